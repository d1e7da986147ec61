//! The plan makers: [`Grid`], [`RandomSearch`] and [`SuccessiveHalving`].

use std::fmt;
use std::rc::Rc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{Candidate, Plan, Rung};
use crate::model::ModelSpec;
use crate::study::StudyError;
use crate::train::TrainConfig;

type Apply = Box<dyn Fn(&mut Candidate)>;

/// A grid over named values: every combination of the axes' values.
///
/// ```ignore
/// let plan = Grid::new(spec, config)
///     .axis("lr", [1e-3, 3e-3], |c, &v| c.config.lr = v)
///     .axis("batch", [32, 128], |c, &v| c.config.batch_size = v)
///     .plan("lr × batch");
/// ```
pub struct Grid {
    base: Candidate,
    axes: Vec<Vec<(String, Apply)>>,
}

impl Grid {
    /// A grid around a base model and config.
    pub fn new(spec: ModelSpec, config: TrainConfig) -> Self {
        Grid {
            base: Candidate::new(spec, config),
            axes: Vec::new(),
        }
    }

    /// Adds an axis: `apply` sets one of `values` on a candidate.
    pub fn axis<T, I, F>(mut self, name: &str, values: I, apply: F) -> Self
    where
        T: fmt::Display + 'static,
        I: IntoIterator<Item = T>,
        F: Fn(&mut Candidate, &T) + 'static,
    {
        let apply = Rc::new(apply);
        let axis = values
            .into_iter()
            .map(|v| {
                let label = format!("{name}={v}");
                let apply = Rc::clone(&apply);
                let f: Apply = Box::new(move |c: &mut Candidate| apply(c, &v));
                (label, f)
            })
            .collect();
        self.axes.push(axis);
        self
    }

    /// The plan: one run per combination, in row-major order (last axis
    /// fastest).
    pub fn plan(&self, name: &str) -> Plan {
        let mut candidates = vec![self.base.clone()];
        for axis in &self.axes {
            let mut next = Vec::with_capacity(candidates.len() * axis.len());
            for c in &candidates {
                for (label, apply) in axis {
                    let mut c = c.clone();
                    apply(&mut c);
                    c.label = if c.label.is_empty() {
                        label.clone()
                    } else {
                        format!("{}, {label}", c.label)
                    };
                    next.push(c);
                }
            }
            candidates = next;
        }
        Plan::single(name, candidates)
    }
}

type Sampler = Box<dyn Fn(&mut ChaCha8Rng, &mut Candidate) -> String>;

/// Random search: `n` candidates, each parameter sampled independently
/// from a seeded generator (the same seed gives the same plan).
///
/// ```ignore
/// let plan = RandomSearch::new(spec, config, 8, 42)
///     .log_uniform("lr", 1e-4, 1e-2, |c, v| c.config.lr = v)
///     .choice("batch", vec![32, 64, 128], |c, &v| c.config.batch_size = v)
///     .plan("random lr/batch");
/// ```
pub struct RandomSearch {
    base: Candidate,
    n: usize,
    seed: u64,
    params: Vec<Sampler>,
}

impl RandomSearch {
    /// `n` samples around a base model and config, with `seed`.
    pub fn new(spec: ModelSpec, config: TrainConfig, n: usize, seed: u64) -> Self {
        RandomSearch {
            base: Candidate::new(spec, config),
            n,
            seed,
            params: Vec::new(),
        }
    }

    /// A parameter sampled uniformly in `[lo, hi)`.
    pub fn uniform(
        self,
        name: &str,
        lo: f64,
        hi: f64,
        apply: impl Fn(&mut Candidate, f64) + 'static,
    ) -> Self {
        self.continuous(name, lo, hi, false, apply)
    }

    /// A positive parameter sampled log-uniformly in `[lo, hi)` (learning
    /// rates, weight decay).
    pub fn log_uniform(
        self,
        name: &str,
        lo: f64,
        hi: f64,
        apply: impl Fn(&mut Candidate, f64) + 'static,
    ) -> Self {
        self.continuous(name, lo, hi, true, apply)
    }

    /// A real parameter in `[lo, hi)`, uniform on a linear or (`log`) a log
    /// scale; `lo` when the range is empty.
    fn continuous(
        mut self,
        name: &str,
        lo: f64,
        hi: f64,
        log: bool,
        apply: impl Fn(&mut Candidate, f64) + 'static,
    ) -> Self {
        let name = name.to_string();
        self.params.push(Box::new(move |rng, c| {
            let v = if hi <= lo {
                lo
            } else if log {
                rng.random_range(lo.ln()..hi.ln()).exp()
            } else {
                rng.random_range(lo..hi)
            };
            apply(c, v);
            if log {
                format!("{name}={v:.3e}")
            } else {
                format!("{name}={v:.4}")
            }
        }));
        self
    }

    /// A parameter drawn from `values`, each equally likely.
    pub fn choice<T: fmt::Display + 'static>(
        mut self,
        name: &str,
        values: Vec<T>,
        apply: impl Fn(&mut Candidate, &T) + 'static,
    ) -> Self {
        let name = name.to_string();
        self.params.push(Box::new(move |rng, c| {
            if values.is_empty() {
                return format!("{name}=(no values)");
            }
            let v = &values[rng.random_range(0..values.len())];
            apply(c, v);
            format!("{name}={v}")
        }));
        self
    }

    /// The plan: `n` sampled candidates.
    pub fn plan(&self, name: &str) -> Plan {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let candidates: Vec<Candidate> = (0..self.n)
            .map(|_| {
                let mut c = self.base.clone();
                let labels: Vec<String> = self.params.iter().map(|p| p(&mut rng, &mut c)).collect();
                c.label = labels.join(", ");
                c
            })
            .collect();
        Plan::single(name, candidates)
    }
}

/// Successive halving: every candidate trains for `rungs[0]` epochs, the
/// best `keep` share (at least one) trains again for `rungs[1]` epochs, and
/// so on. Ranking is by validation accuracy of the kept weights, ties by
/// validation loss.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessiveHalving {
    /// Candidates of the first rung.
    pub candidates: Vec<Candidate>,
    /// Epochs of each rung, increasing.
    pub rungs: Vec<usize>,
    /// Share of a rung's runs that continue (0 < keep < 1; 0.5 halves).
    pub keep: f64,
}

impl SuccessiveHalving {
    /// Successive halving over candidates (e.g. another plan's).
    pub fn new(candidates: Vec<Candidate>, rungs: Vec<usize>, keep: f64) -> Self {
        SuccessiveHalving {
            candidates,
            rungs,
            keep,
        }
    }

    /// The plan; fails when `keep` is not in (0, 1] or the rungs do not
    /// increase.
    pub fn plan(&self, name: &str) -> Result<Plan, StudyError> {
        let bad = |problem: String| StudyError::InvalidPlan {
            plan: name.to_string(),
            problem,
        };
        if !(self.keep > 0.0 && self.keep <= 1.0) {
            return Err(bad(format!("keep must be in (0, 1], not {}", self.keep)));
        }
        if self.rungs.is_empty() || self.rungs.windows(2).any(|w| w[1] <= w[0]) {
            return Err(bad(format!(
                "rungs must be increasing epoch counts, not {:?}",
                self.rungs
            )));
        }
        let mut runs = self.candidates.len();
        let mut rungs = Vec::new();
        for &e in &self.rungs {
            rungs.push(Rung {
                epochs: Some(e),
                runs,
            });
            runs = survivors(runs, self.keep);
        }
        Ok(Plan {
            name: name.to_string(),
            candidates: self.candidates.clone(),
            rungs,
        })
    }
}

fn survivors(runs: usize, keep: f64) -> usize {
    ((runs as f64 * keep).ceil() as usize).clamp(1, runs.max(1))
}

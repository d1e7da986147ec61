//! Accuracy with the **source photo** as the unit of evidence.
//!
//! The test CSV holds about 20 augmented near-copies of each source photo,
//! and a model's errors come a whole photo at a time. An interval that counts
//! images as independent is then far too narrow. [`GroupedAccuracy`] gives,
//! beside the per-image Wilson interval, a group-aware one:
//!
//! - when every group is all right or all wrong, the exact Clopper–Pearson
//!   interval on the share of groups read right ([`GroupMethod::Exact`]);
//! - otherwise a seeded cluster bootstrap: resample whole groups with
//!   replacement, recompute the image accuracy, take the 2.5% and 97.5%
//!   percentiles ([`GroupMethod::Bootstrap`]). A percentile bootstrap is
//!   too narrow when only a few groups hold errors, so the interval is
//!   widened to cover the Clopper–Pearson interval with the photos as trials
//!   and `accuracy × photos` (fractional) successes. A model with a few
//!   errors thus never gets a narrower interval than an error-free one on
//!   the same photos.
//!
//! It also gives the design effect (cluster variance of the accuracy over
//! the variance if images were independent) and the effective sample size
//! `n / deff`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Beta, ContinuousCDF};

use super::intervals::{clopper_pearson_interval, wilson_interval, Interval};

/// Bootstrap resamples used by [`grouped_accuracy`].
pub const BOOTSTRAP_REPS: usize = 4000;
/// Seed of the cluster bootstrap (fixed, so reports are reproducible).
pub const BOOTSTRAP_SEED: u64 = 20_031;

/// How the group-aware interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupMethod {
    /// Every group all right or all wrong: exact Clopper–Pearson on groups.
    Exact,
    /// Mixed groups: percentile cluster bootstrap with this many resamples.
    Bootstrap {
        /// Number of resamples.
        reps: usize,
        /// Seed of the resampling.
        seed: u64,
    },
}

impl GroupMethod {
    /// A short name for tables: "exact (groups)" or "bootstrap (groups)".
    pub fn name(&self) -> &'static str {
        match self {
            GroupMethod::Exact => "exact on groups",
            GroupMethod::Bootstrap { .. } => "group bootstrap",
        }
    }
}

/// An accuracy with its per-image and group-aware 95% intervals.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupedAccuracy {
    /// Images.
    pub n: usize,
    /// Images right.
    pub correct: usize,
    /// `correct / n` (NaN when `n = 0`).
    pub accuracy: f64,
    /// Wilson interval that treats images as independent.
    pub image_ci: Interval,
    /// Groups (source photos) among the images.
    pub groups: usize,
    /// Groups whose every image is right.
    pub groups_all_right: usize,
    /// Groups with both right and wrong images.
    pub groups_mixed: usize,
    /// The group-aware interval.
    pub group_ci: Interval,
    /// How [`GroupedAccuracy::group_ci`] was computed.
    pub method: GroupMethod,
    /// Cluster variance over independent-image variance; `None` when the
    /// accuracy is 0 or 1 (both variances are 0).
    pub design_effect: Option<f64>,
}

impl GroupedAccuracy {
    /// `n / design effect`: how many independent images the evidence is worth;
    /// `None` when the design effect is undefined.
    pub fn effective_n(&self) -> Option<f64> {
        self.design_effect.map(|d| self.n as f64 / d.max(1e-12))
    }

    /// `"99.89% (3575 / 3579)"`.
    pub fn point(&self) -> String {
        format!(
            "{:.2}% ({} / {})",
            100.0 * self.accuracy,
            self.correct,
            self.n
        )
    }

    /// `"[98.3%, 100.0%] on 222 photos"`.
    pub fn group_text(&self) -> String {
        format!("{} on {} photos", self.group_ci.percent(), self.groups)
    }
}

/// Per-group `(images, right)` counts, indexed by a dense renumbering of
/// the group ids that occur.
pub(crate) fn group_counts(correct: &[bool], groups: &[u32]) -> Vec<(usize, usize)> {
    let mut index = std::collections::HashMap::new();
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for (&ok, &g) in correct.iter().zip(groups) {
        let k = *index.entry(g).or_insert_with(|| {
            counts.push((0, 0));
            counts.len() - 1
        });
        counts[k].0 += 1;
        counts[k].1 += usize::from(ok);
    }
    counts
}

/// The design effect of a ratio estimate from per-group `(n, right)`:
/// the cluster-robust variance over `p(1-p)/n`.
pub fn design_effect(counts: &[(usize, usize)]) -> Option<f64> {
    let n: usize = counts.iter().map(|c| c.0).sum();
    let k: usize = counts.iter().map(|c| c.1).sum();
    let g = counts.len();
    if n == 0 || k == 0 || k == n || g < 2 {
        return None;
    }
    let (nf, p) = (n as f64, k as f64 / n as f64);
    let ss: f64 = counts
        .iter()
        .map(|&(ni, ki)| (ki as f64 - p * ni as f64).powi(2))
        .sum();
    let v_cluster = g as f64 / (g as f64 - 1.0) * ss / (nf * nf);
    let v_srs = p * (1.0 - p) / nf;
    Some(v_cluster / v_srs)
}

/// Clopper–Pearson 95% interval with `trials` trials and `p · trials`
/// (possibly fractional) successes, from the Beta quantiles.
pub fn fractional_clopper_pearson(p: f64, trials: usize) -> Interval {
    let n = trials as f64;
    let k = (p * n).clamp(0.0, n);
    if trials == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let quantile = |a: f64, b: f64, q: f64| {
        Beta::new(a, b)
            .map(|d| d.inverse_cdf(q))
            .unwrap_or(f64::NAN)
    };
    Interval {
        lo: if k <= 0.0 {
            0.0
        } else {
            quantile(k, n - k + 1.0, 0.025)
        },
        hi: if k >= n {
            1.0
        } else {
            quantile(k + 1.0, n - k, 0.975)
        },
    }
}

/// Percentile cluster bootstrap of `Σ right / Σ n` over the groups.
pub fn cluster_bootstrap(counts: &[(usize, usize)], reps: usize, seed: u64) -> Interval {
    if counts.is_empty() || reps == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let g = counts.len();
    let mut stats: Vec<f64> = (0..reps)
        .map(|_| {
            let (mut n, mut k) = (0usize, 0usize);
            for _ in 0..g {
                let c = counts[rng.random_range(0..g)];
                n += c.0;
                k += c.1;
            }
            k as f64 / n.max(1) as f64
        })
        .collect();
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((q * reps as f64).floor() as usize).min(reps - 1)];
    Interval {
        lo: at(0.025),
        hi: at(0.975),
    }
}

/// Accuracy of images marked `correct`, grouped by `groups` (one id per
/// image, any numbering), with both 95% intervals. Deterministic: the
/// bootstrap uses [`BOOTSTRAP_SEED`].
pub fn grouped_accuracy(correct: &[bool], groups: &[u32]) -> GroupedAccuracy {
    grouped_accuracy_with(correct, groups, BOOTSTRAP_REPS, BOOTSTRAP_SEED)
}

/// [`grouped_accuracy`] with a chosen number of resamples and seed.
pub fn grouped_accuracy_with(
    correct: &[bool],
    groups: &[u32],
    reps: usize,
    seed: u64,
) -> GroupedAccuracy {
    let counts = group_counts(correct, groups);
    let n = correct.len().min(groups.len());
    let right = correct.iter().take(n).filter(|&&c| c).count();
    let all_right = counts.iter().filter(|c| c.1 == c.0).count();
    let all_wrong = counts.iter().filter(|c| c.1 == 0).count();
    let mixed = counts.len() - all_right - all_wrong;
    let (group_ci, method) = if mixed == 0 {
        (
            clopper_pearson_interval(all_right, counts.len(), 0.95),
            GroupMethod::Exact,
        )
    } else {
        let boot = cluster_bootstrap(&counts, reps, seed);
        let exact = fractional_clopper_pearson(right as f64 / n as f64, counts.len());
        (
            Interval {
                lo: boot.lo.min(exact.lo),
                hi: boot.hi.max(exact.hi),
            },
            GroupMethod::Bootstrap { reps, seed },
        )
    };
    GroupedAccuracy {
        n,
        correct: right,
        accuracy: if n == 0 {
            f64::NAN
        } else {
            right as f64 / n as f64
        },
        image_ci: wilson_interval(right, n, 0.95),
        groups: counts.len(),
        groups_all_right: all_right,
        groups_mixed: mixed,
        group_ci,
        method,
        design_effect: design_effect(&counts),
    }
}

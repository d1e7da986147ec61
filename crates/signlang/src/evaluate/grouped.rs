//! Accuracy with the **source photo** as the unit of evidence.
//!
//! The test CSV holds about 20 augmented near-copies of each source photo,
//! and a model's errors come a whole photo at a time. An interval that counts
//! images as independent is then far too narrow. [`GroupedAccuracy`] gives,
//! beside the per-image Wilson interval, a group-aware one that is always
//! centred on the same quantity as the point estimate (the share of
//! **images** read right):
//!
//! - when every image is right (or every image wrong), the design effect
//!   cannot be estimated, so the interval assumes the worst (each photo one
//!   trial): exact Clopper–Pearson on the photos ([`GroupMethod::Exact`]);
//! - otherwise Korn and Graubard's (1998) Clopper–Pearson interval on the
//!   **effective sample size** ([`GroupMethod::EffectiveSize`]): the design
//!   effect `deff` is the cluster-robust variance of the image accuracy over
//!   `p(1−p)/n`; the effective size `n* = n / deff · (t_{n−1} / t_{G−1})²`
//!   (the t-ratio for the `G` photos' degrees of freedom), at most `n`; and
//!   the Clopper–Pearson interval with `n*` trials and `p · n*` successes
//!   (fractional, from the Beta quantiles).
//!
//! Its coverage with the real group sizes of the test half is measured by
//! `examples/coverage_sim.rs` (see docs/methods.md, "Intervals").
//! [`cluster_bootstrap`] is kept for comparison there; it is not used in
//! reports (measured coverage 23–93% at true accuracies 95–99.9%).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

use super::intervals::{clopper_pearson_interval, rate_with_interval, Interval};

/// How the group-aware interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupMethod {
    /// Every image right (or every image wrong): exact Clopper–Pearson on
    /// the photos, each photo one trial.
    Exact,
    /// Korn–Graubard: Clopper–Pearson on the effective sample size.
    EffectiveSize,
}

impl GroupMethod {
    /// A short name for tables: "exact on photos" or "effective size".
    pub fn name(&self) -> &'static str {
        match self {
            GroupMethod::Exact => "exact on photos",
            GroupMethod::EffectiveSize => "effective size (Korn–Graubard)",
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
pub fn group_counts(correct: &[bool], groups: &[u32]) -> Vec<(usize, usize)> {
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
/// (possibly fractional) successes, from the Beta quantiles. `trials` may
/// be fractional too (an effective sample size).
pub fn fractional_clopper_pearson(p: f64, trials: f64) -> Interval {
    let n = trials;
    if n.is_nan() || n <= 0.0 || p.is_nan() {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let k = (p * n).clamp(0.0, n);
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

/// Korn and Graubard's effective sample size: `n / deff`, times
/// `(t_{n−1} / t_{G−1})²` for the `G` photos' degrees of freedom, at most
/// `n`; `None` when the design effect is undefined.
pub fn effective_size(counts: &[(usize, usize)]) -> Option<f64> {
    let deff = design_effect(counts)?;
    let n: usize = counts.iter().map(|c| c.0).sum();
    let t = |df: usize| {
        StudentsT::new(0.0, 1.0, df.max(1) as f64)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN)
    };
    let ratio = t(n - 1) / t(counts.len() - 1);
    Some((n as f64 / deff.max(1e-12) * ratio * ratio).min(n as f64))
}

/// The group-aware 95% interval of the image accuracy from per-group
/// `(n, right)` counts, and how it was computed (see the module docs).
pub fn group_interval(counts: &[(usize, usize)]) -> (Interval, GroupMethod) {
    let n: usize = counts.iter().map(|c| c.0).sum();
    let k: usize = counts.iter().map(|c| c.1).sum();
    match effective_size(counts) {
        Some(n_eff) if n > 0 => (
            fractional_clopper_pearson(k as f64 / n as f64, n_eff),
            GroupMethod::EffectiveSize,
        ),
        _ => {
            let right = if k == n { counts.len() } else { 0 };
            (
                clopper_pearson_interval(right, counts.len(), 0.95),
                GroupMethod::Exact,
            )
        }
    }
}

/// Percentile cluster bootstrap of `Σ right / Σ n` over the groups (for
/// comparison in the coverage simulation; reports use [`group_interval`]).
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
/// image, any numbering), with both 95% intervals. Deterministic.
pub fn grouped_accuracy(correct: &[bool], groups: &[u32]) -> GroupedAccuracy {
    let n = correct.len().min(groups.len());
    let counts = group_counts(&correct[..n], &groups[..n]);
    let right = correct.iter().take(n).filter(|&&c| c).count();
    let all_right = counts.iter().filter(|c| c.1 == c.0).count();
    let all_wrong = counts.iter().filter(|c| c.1 == 0).count();
    let (group_ci, method) = group_interval(&counts);
    let (accuracy, image_ci) = rate_with_interval(right, n);
    GroupedAccuracy {
        n,
        correct: right,
        accuracy,
        image_ci,
        groups: counts.len(),
        groups_all_right: all_right,
        groups_mixed: counts.len() - all_right - all_wrong,
        group_ci,
        method,
        design_effect: design_effect(&counts),
    }
}

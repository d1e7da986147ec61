//! Accuracy with the **source photo** as the unit of evidence.
//!
//! The test CSV holds about 16 augmented near-copies of each source photo,
//! and a model's errors come a whole photo at a time. An interval that counts
//! images as independent is then far too narrow. [`GroupedAccuracy`] gives,
//! beside the per-image Wilson interval, a group-aware one that is always
//! centred on the same quantity as the point estimate (the share of
//! **images** read right):
//!
//! - when every image is right (or every image wrong): exact Clopper–Pearson
//!   on the `G` photos, each photo one trial ([`GroupMethod::Exact`]);
//! - otherwise Clopper–Pearson on the **effective number of photos**
//!   `n_P = (Σ nᵢ)² / Σ nᵢ²` ([`effective_photos`]; Kish's effective size
//!   of the photo sizes `nᵢ`, `G` when all photos are the same size) with
//!   `p · n_P` successes (fractional, from the Beta quantiles)
//!   ([`GroupMethod::EffectivePhotos`]). That is Korn and Graubard's (1998)
//!   interval with the design effect at its largest, every image of a photo
//!   read alike (intra-photo correlation 1).
//!
//! Why not Korn–Graubard's estimated design effect: with few wrong images
//! the estimate is noise, and one more error can make the errors look less
//! clustered, so the effective size jumps (up to the image count) and the
//! lower bound **rises**: one wrong image lifted the test half's bound from
//! 98.4% to 99.8%. [`effective_photos`] depends only on the photo sizes, so
//!
//! - one more wrong image never raises the lower bound (the successes fall,
//!   the trials stay; from all right, `Beta(p·n_P, (1−p)·n_P + 1)` lies below
//!   `Beta(G, 1)` because `n_P ≤ G`);
//! - the effective size never exceeds the number of photos (`n_P ≤ G`);
//! - with one image per photo it is exact Clopper–Pearson on the photos.
//!
//! Its coverage, against Korn–Graubard's, is simulated by
//! [`super::coverage`] (see docs/methods.md, "Intervals").

use statrs::distribution::{Beta, ContinuousCDF};

use super::intervals::{clopper_pearson_interval, rate_with_interval, Interval};

/// How the group-aware interval was computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupMethod {
    /// Every image right (or every image wrong): exact Clopper–Pearson on
    /// the photos, each photo one trial.
    Exact,
    /// Clopper–Pearson on the effective number of photos
    /// ([`effective_photos`]).
    EffectivePhotos,
}

impl GroupMethod {
    /// A short name for tables: "exact on photos" or "exact on effective photos".
    pub fn name(&self) -> &'static str {
        match self {
            GroupMethod::Exact => "exact on photos",
            GroupMethod::EffectivePhotos => "exact on effective photos",
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
    /// Wilson interval that treats images as independent (per image, shown
    /// beside the group-aware one).
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
    /// The trials of the interval when it is not exact on photos:
    /// [`effective_photos`], at most [`GroupedAccuracy::groups`].
    pub effective_photos: f64,
    /// Cluster variance over independent-image variance (descriptive: how
    /// much the errors cluster in these data; the interval does not use it);
    /// `None` when the accuracy is 0 or 1 (both variances are 0).
    pub design_effect: Option<f64>,
}

impl GroupedAccuracy {
    /// `n / design effect`: how many independent images the evidence is worth
    /// by the estimated design effect; `None` when it is undefined.
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

/// The effective number of photos `(Σ nᵢ)² / Σ nᵢ²` of per-group `(n, right)`
/// counts: `n / deff` with the design effect of photos whose images are all
/// read alike. Depends only on the sizes; `G` when the `G` photos are the same
/// size, less otherwise, never more; 0 without images.
pub fn effective_photos(counts: &[(usize, usize)]) -> f64 {
    let n: f64 = counts.iter().map(|c| c.0 as f64).sum();
    let squares: f64 = counts.iter().map(|c| (c.0 as f64).powi(2)).sum();
    if squares == 0.0 {
        0.0
    } else {
        n * n / squares
    }
}

/// `x` rounded when it is an integer up to rounding error (so that whole
/// counts give the textbook interval bit for bit).
fn snap(x: f64) -> f64 {
    if (x - x.round()).abs() < 1e-9 {
        x.round()
    } else {
        x
    }
}

/// Clopper–Pearson 95% interval with `trials` trials and `p · trials`
/// (possibly fractional) successes, from the Beta quantiles. `trials` may
/// be fractional too (an effective sample size).
pub fn fractional_clopper_pearson(p: f64, trials: f64) -> Interval {
    if trials.is_nan() || trials <= 0.0 || p.is_nan() {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let n = snap(trials);
    let k = snap((p * n).clamp(0.0, n));
    if n.fract() == 0.0 && k.fract() == 0.0 {
        return clopper_pearson_interval(k as usize, n as usize, 0.95);
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

/// The group-aware 95% interval of the image accuracy from per-group
/// `(n, right)` counts, and how it was computed (see the module docs).
pub fn group_interval(counts: &[(usize, usize)]) -> (Interval, GroupMethod) {
    let n: usize = counts.iter().map(|c| c.0).sum();
    let k: usize = counts.iter().map(|c| c.1).sum();
    if n > 0 && k > 0 && k < n {
        let p = k as f64 / n as f64;
        let ci = fractional_clopper_pearson(p, effective_photos(counts));
        return (ci, GroupMethod::EffectivePhotos);
    }
    let right = if n > 0 && k == n { counts.len() } else { 0 };
    (
        clopper_pearson_interval(right, counts.len(), 0.95),
        GroupMethod::Exact,
    )
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
        effective_photos: effective_photos(&counts),
        design_effect: design_effect(&counts),
    }
}

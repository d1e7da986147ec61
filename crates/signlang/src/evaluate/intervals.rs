//! Two-sided confidence intervals for a proportion: [`wilson_interval`]
//! (per image, shown beside the group-aware interval) and
//! [`clopper_pearson_interval`] (exact), the one method for every count of
//! **photos** ([`rate_with_exact_interval`]): it is what
//! [`super::grouped::group_interval`] gives with one image per photo, so a
//! count of photos has the same interval wherever it is shown.

use statrs::distribution::{Beta, ContinuousCDF, Normal};

/// A two-sided confidence interval for a proportion.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// Lower bound.
    #[serde(with = "crate::cache::nan_as_null")]
    pub lo: f64,
    /// Upper bound.
    #[serde(with = "crate::cache::nan_as_null")]
    pub hi: f64,
}

impl Interval {
    /// `"[lo%, hi%]"` with one decimal.
    pub fn percent(&self) -> String {
        format!("[{:.1}%, {:.1}%]", 100.0 * self.lo, 100.0 * self.hi)
    }
}

/// The standard normal quantile for a two-sided interval of this confidence.
pub(crate) fn z_of(confidence: f64) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    normal.inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
}

/// The rate `successes / n` (NaN for `n = 0`) and its 95% Wilson interval
/// ([`wilson_interval`]): for images counted as independent, the per-image
/// interval shown beside the group-aware one.
pub fn rate_with_interval(successes: usize, n: usize) -> (f64, Interval) {
    let rate = if n == 0 {
        f64::NAN
    } else {
        successes as f64 / n as f64
    };
    (rate, wilson_interval(successes, n, 0.95))
}

/// The rate `successes / n` (NaN for `n = 0`) and its exact 95%
/// Clopper–Pearson interval: for counts of photos (field photos, operating
/// points), each photo one trial.
pub fn rate_with_exact_interval(successes: usize, n: usize) -> (f64, Interval) {
    let rate = if n == 0 {
        f64::NAN
    } else {
        successes as f64 / n as f64
    };
    (rate, clopper_pearson_interval(successes, n, 0.95))
}

/// Wilson score interval for `successes` out of `n` at the given confidence
/// (0.95 for 95%). For `n = 0` the interval is `[0, 1]`.
pub fn wilson_interval(successes: usize, n: usize, confidence: f64) -> Interval {
    if n == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let (k, n) = (successes as f64, n as f64);
    let z = z_of(confidence);
    let p = k / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    // Exact bounds at the ends (the formula gives them up to rounding).
    Interval {
        lo: if successes == 0 {
            0.0
        } else {
            (centre - half).max(0.0)
        },
        hi: if successes as f64 == n {
            1.0
        } else {
            (centre + half).min(1.0)
        },
    }
}

/// Clopper–Pearson ("exact") interval for `successes` out of `n`, from the
/// Beta inverse CDF. For `n = 0` the interval is `[0, 1]`.
pub fn clopper_pearson_interval(successes: usize, n: usize, confidence: f64) -> Interval {
    if n == 0 {
        return Interval { lo: 0.0, hi: 1.0 };
    }
    let alpha = 1.0 - confidence;
    let (k, nf) = (successes as f64, n as f64);
    let lo = if successes == 0 {
        0.0
    } else {
        Beta::new(k, nf - k + 1.0)
            .expect("positive shapes")
            .inverse_cdf(alpha / 2.0)
    };
    let hi = if successes == n {
        1.0
    } else {
        Beta::new(k + 1.0, nf - k)
            .expect("positive shapes")
            .inverse_cdf(1.0 - alpha / 2.0)
    };
    Interval { lo, hi }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_comes_with_its_wilson_interval_and_nan_when_empty() {
        let (rate, ci) = rate_with_interval(81, 263);
        assert!((rate - 81.0 / 263.0).abs() < 1e-15);
        assert_eq!(ci, wilson_interval(81, 263, 0.95));
        assert!(ci.lo < rate && rate < ci.hi);
        let (rate, ci) = rate_with_interval(0, 0);
        assert!(rate.is_nan());
        assert_eq!((ci.lo, ci.hi), (0.0, 1.0));
    }

    #[test]
    fn a_count_of_photos_gets_the_exact_interval() {
        // 25 of 190 field photos: [8.7%, 18.8%] wherever it is shown.
        let (rate, ci) = rate_with_exact_interval(25, 190);
        assert!((rate - 25.0 / 190.0).abs() < 1e-15);
        assert_eq!(ci, clopper_pearson_interval(25, 190, 0.95));
        assert_eq!(ci.percent(), "[8.7%, 18.8%]");
        assert_eq!(wilson_interval(25, 190, 0.95).percent(), "[9.1%, 18.7%]");
        assert!(rate_with_exact_interval(0, 0).0.is_nan());
    }
}

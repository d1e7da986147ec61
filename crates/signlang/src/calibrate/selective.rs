//! Judging an "unsure" rule by what it is for: **a rule earns its place
//! only if the images it answers are more often right than those it
//! refuses**, on images it was not fitted on. A rule that refuses
//! everything meets "mostly unsure" and tells an app nothing; this test it
//! fails.
//!
//! - [`RiskCoverage`]: for a score (higher = more sure), the share answered
//!   and the accuracy of the answered at every threshold, and the AUROC of
//!   the score for "this answer is right" (Mann–Whitney, ties count ½);
//! - [`UnsureTest`]: the rule's own decisions on one population: answered
//!   share, accuracy answered against refused, and a one-sided exact test
//!   that the answered are more accurate ([`fisher_exact`]), photo-aware;
//! - [`Verdict`]: passes when the answered are more accurate at
//!   p < [`PASS_P`] and at least [`MIN_ANSWERED`] are answered; else says
//!   why not.
//!
//! **Photo-aware** (the source photo is the unit of evidence): Rao–Scott
//! style, the 2×2 counts are divided by the design effect of the
//! answered-minus-refused accuracy difference (photos as clusters, at
//! least 1) and rounded before Fisher's exact test; with one image per
//! photo the design effect is 1 and the test is plain Fisher exact.

use serde::{Deserialize, Serialize};
use statrs::distribution::{Discrete, Hypergeometric};

use super::CalibrateError;

/// Share of a population a rule must answer to pass (a rule that answers
/// almost nothing is of no use to an app, however right its few answers).
pub const MIN_ANSWERED: f64 = 0.10;
/// Significance level of the one-sided test that the answered images are
/// more accurate than the refused ones.
pub const PASS_P: f64 = 0.05;
/// What the study says where no unsure rule passes on real photos: the
/// notebook and the export README use these words.
pub const CANNOT_TELL_ON_REAL_PHOTOS: &str = "on real photos this model cannot tell its right \
     answers from its wrong ones; an app should not use it there";

/// Key of [`CANNOT_TELL_ON_REAL_PHOTOS`] (or of what passes instead, see
/// [`super::real_photos_sentence`]) in an export's ONNX metadata; the
/// export README quotes it.
pub const REAL_PHOTOS_METADATA_KEY: &str = "unsure_on_real_photos";

/// One threshold of a [`RiskCoverage`] curve: answer images whose score is
/// at least `threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskPoint {
    /// The score threshold.
    pub threshold: f64,
    /// Images answered.
    pub answered: usize,
    /// Right among the answered.
    pub correct: usize,
    /// Share answered.
    pub coverage: f64,
    /// Accuracy of the answered.
    pub accuracy: f64,
}

/// The risk–coverage curve of a score and its AUROC.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RiskCoverage {
    /// Images.
    pub n: usize,
    /// Images answered right when all are answered.
    pub correct: usize,
    /// Source photos among the images (`n` when no groups were given).
    pub photos: usize,
    /// One point per distinct score, from the highest threshold (fewest
    /// answered) to the lowest (all answered).
    pub points: Vec<RiskPoint>,
    /// AUROC of the score for "this answer is right" (`None` when all
    /// answers are right or all wrong).
    pub auroc: Option<f64>,
}

fn check_lengths(what: usize, correct: &[bool]) -> Result<(), CalibrateError> {
    if what != correct.len() {
        return Err(CalibrateError::LengthMismatch {
            probs: what,
            truth: correct.len(),
        });
    }
    if correct.is_empty() {
        return Err(CalibrateError::Empty);
    }
    Ok(())
}

fn check_groups(groups: Option<&[u32]>, n: usize) -> Result<(), CalibrateError> {
    match groups {
        Some(g) if g.len() != n => Err(CalibrateError::LengthMismatch {
            probs: n,
            truth: g.len(),
        }),
        _ => Ok(()),
    }
}

/// Distinct source photos (`n` when every image is its own).
fn photo_count(groups: Option<&[u32]>, n: usize) -> usize {
    groups.map_or(n, |g| {
        g.iter().collect::<std::collections::HashSet<_>>().len()
    })
}

impl RiskCoverage {
    /// The curve of `scores` (higher = more sure; NaN refused) against
    /// `correct`, with the source photo of each image when it has several
    /// images per photo.
    pub fn new(
        scores: &[f64],
        correct: &[bool],
        groups: Option<&[u32]>,
    ) -> Result<RiskCoverage, CalibrateError> {
        check_lengths(scores.len(), correct)?;
        check_groups(groups, correct.len())?;
        if let Some(row) = scores.iter().position(|s| s.is_nan()) {
            return Err(CalibrateError::NotANumber { row });
        }
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
        let n = order.len();
        let (mut points, mut answered, mut right) = (Vec::new(), 0, 0);
        for (i, &k) in order.iter().enumerate() {
            answered += 1;
            right += usize::from(correct[k]);
            if i + 1 == n || scores[order[i + 1]] < scores[k] {
                points.push(RiskPoint {
                    threshold: scores[k],
                    answered,
                    correct: right,
                    coverage: answered as f64 / n as f64,
                    accuracy: right as f64 / answered as f64,
                });
            }
        }
        Ok(RiskCoverage {
            n,
            correct: right,
            photos: photo_count(groups, n),
            points,
            auroc: auroc(scores, correct),
        })
    }

    /// Accuracy when every image is answered.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.n.max(1) as f64
    }
}

/// AUROC of `scores` for `correct` (Mann–Whitney: the chance that a right
/// answer scores above a wrong one, ties ½); `None` when all are right or
/// all wrong.
pub fn auroc(scores: &[f64], correct: &[bool]) -> Option<f64> {
    let right = correct.iter().filter(|&&c| c).count();
    let wrong = correct.len() - right;
    if right == 0 || wrong == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the right answers.
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        let rights = order[i..=j].iter().filter(|&&k| correct[k]).count();
        rank_sum += mean_rank * rights as f64;
        i = j + 1;
    }
    let (r, w) = (right as f64, wrong as f64);
    Some((rank_sum - r * (r + 1.0) / 2.0) / (r * w))
}

/// Which images a threshold answers: `score ≥ threshold`.
pub fn answered_at(scores: &[f64], threshold: f64) -> Vec<bool> {
    scores.iter().map(|&s| s >= threshold).collect()
}

/// Fisher's exact test of a 2×2 table.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FisherExact {
    /// One-sided p-value that the first row is more often right.
    pub greater: f64,
    /// Two-sided p-value (tables no more likely than the one seen).
    pub two_sided: f64,
}

/// Fisher's exact test of `(right, total)` of the answered images against
/// `(right, total)` of the refused ones (hypergeometric, statrs).
pub fn fisher_exact(answered: (usize, usize), refused: (usize, usize)) -> FisherExact {
    let (a, n_a) = answered;
    let (c, n_r) = refused;
    let (n, k) = ((n_a + n_r) as u64, (a + c) as u64);
    let Ok(h) = Hypergeometric::new(n, k, n_a as u64) else {
        return FisherExact {
            greater: 1.0,
            two_sided: 1.0,
        };
    };
    let lo = (n_a as u64 + k).saturating_sub(n);
    let hi = k.min(n_a as u64);
    let pmf = |x: u64| h.ln_pmf(x).exp();
    let seen = pmf(a as u64);
    let greater: f64 = (a as u64..=hi).map(pmf).sum();
    let two_sided: f64 = (lo..=hi)
        .map(pmf)
        .filter(|&p| p <= seen * (1.0 + 1e-7))
        .sum();
    FisherExact {
        greater: greater.min(1.0),
        two_sided: two_sided.min(1.0),
    }
}

/// Whether a rule passes, and why not: it must answer at least
/// [`MIN_ANSWERED`] of the images, and the answered must be more often
/// right than the refused (one-sided p < [`PASS_P`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// True when the rule answers under [`MIN_ANSWERED`] of the images.
    pub answers_too_few: bool,
    /// The p-value when the answered are not shown more accurate than the
    /// refused (`None` when they are, or when nothing is answered).
    pub not_more_accurate: Option<f64>,
}

impl Verdict {
    /// The verdict of a rule answering `share` of the images, at one-sided
    /// p-value `p`.
    pub fn of(share: f64, answered: usize, p: f64) -> Verdict {
        Verdict {
            answers_too_few: share < MIN_ANSWERED,
            not_more_accurate: (answered > 0 && p >= PASS_P).then_some(p),
        }
    }

    /// True when the rule passes.
    pub fn passes(&self) -> bool {
        !self.answers_too_few && self.not_more_accurate.is_none()
    }

    /// `"passes"`, or why not: `"answers under 10%"`, `"answered not more
    /// accurate (p = 0.53)"`, or both joined by `"; "`.
    pub fn words(&self) -> String {
        if self.passes() {
            return "passes".into();
        }
        let mut why = Vec::new();
        if self.answers_too_few {
            why.push(format!("answers under {:.0}%", 100.0 * MIN_ANSWERED));
        }
        if let Some(p) = self.not_more_accurate {
            why.push(format!("answered not more accurate ({})", p_words(p)));
        }
        why.join("; ")
    }
}

/// A p-value as `"0.53"`, `"0.012"` or `"< 0.001"` (for tables).
pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else if p < 0.01 {
        format!("{p:.3}")
    } else {
        format!("{p:.2}")
    }
}

/// A p-value in words: `"p = 0.53"`, or `"p < 0.001"`.
pub fn p_words(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {}", p_text(p))
    }
}

/// The pass test of a rule's decisions on one population.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UnsureTest {
    /// Images.
    pub n: usize,
    /// Source photos among them.
    pub photos: usize,
    /// Images answered.
    pub answered: usize,
    /// Right among the answered.
    pub answered_correct: usize,
    /// Right among the refused.
    pub refused_correct: usize,
    /// Design effect the counts were divided by (1: one image per photo).
    pub design_effect: f64,
    /// One-sided, photo-aware p-value that the answered are more accurate.
    pub p: f64,
    /// The verdict.
    pub verdict: Verdict,
}

impl UnsureTest {
    /// Tests `answered` (the rule's decisions) against `correct`; `groups`
    /// gives the source photo of each image when a photo has several.
    pub fn new(
        answered: &[bool],
        correct: &[bool],
        groups: Option<&[u32]>,
    ) -> Result<UnsureTest, CalibrateError> {
        check_lengths(answered.len(), correct)?;
        check_groups(groups, correct.len())?;
        let count = |ans: bool, right: bool| {
            (answered.iter().zip(correct))
                .filter(|&(&a, &c)| a == ans && (c || !right))
                .count()
        };
        let (n_a, a) = (count(true, false), count(true, true));
        let (n_r, c) = (count(false, false), count(false, true));
        let deff = groups.map_or(1.0, |g| difference_design_effect(answered, correct, g));
        let photos = photo_count(groups, correct.len());
        Ok(Self::counted((a, n_a), (c, n_r), photos, deff))
    }

    /// The test of `(right, total)` answered against `(right, total)`
    /// refused, one image per photo (plain Fisher exact).
    pub fn from_counts(answered: (usize, usize), refused: (usize, usize)) -> UnsureTest {
        let n = answered.1 + refused.1;
        Self::counted(answered, refused, n, 1.0)
    }

    fn counted(
        (a, n_a): (usize, usize),
        (c, n_r): (usize, usize),
        photos: usize,
        deff: f64,
    ) -> UnsureTest {
        let shrink = |x: usize| (x as f64 / deff).round() as usize;
        let (sa, sb) = (shrink(a), shrink(n_a.saturating_sub(a)));
        let (sc, sd) = (shrink(c), shrink(n_r.saturating_sub(c)));
        let p = fisher_exact((sa, sa + sb), (sc, sc + sd)).greater;
        let n = n_a + n_r;
        let verdict = Verdict::of(n_a as f64 / n.max(1) as f64, n_a, p);
        UnsureTest {
            n,
            photos,
            answered: n_a,
            answered_correct: a,
            refused_correct: c,
            design_effect: deff,
            p,
            verdict,
        }
    }

    /// Images refused.
    pub fn refused(&self) -> usize {
        self.n - self.answered
    }

    /// Share answered.
    pub fn answered_share(&self) -> f64 {
        self.answered as f64 / self.n.max(1) as f64
    }

    /// Accuracy of the answered (NaN when none).
    pub fn accuracy_answered(&self) -> f64 {
        ratio(self.answered_correct, self.answered)
    }

    /// Accuracy of the refused (NaN when none).
    pub fn accuracy_refused(&self) -> f64 {
        ratio(self.refused_correct, self.refused())
    }

    /// Accuracy of all.
    pub fn accuracy_all(&self) -> f64 {
        ratio(self.answered_correct + self.refused_correct, self.n)
    }

    /// `"answers 6.8% (13 of 190): 15.4% of the answered right against
    /// 13.0% of the refused; fails: answered not more accurate (p = 0.53)"`.
    pub fn summary(&self) -> String {
        let verdict = match self.verdict.passes() {
            true => "passes".to_string(),
            false => format!("fails: {}", self.verdict.words()),
        };
        format!(
            "answers {} ({} of {}): {} of the answered right against {} of the refused; {verdict}",
            percent(self.answered_share()),
            self.answered,
            self.n,
            percent(self.accuracy_answered()),
            percent(self.accuracy_refused()),
        )
    }
}

fn ratio(k: usize, n: usize) -> f64 {
    if n == 0 {
        f64::NAN
    } else {
        k as f64 / n as f64
    }
}

/// `"15.4%"`, or `"-"` for NaN.
pub(crate) fn percent(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * v)
    }
}

/// Per-photo `(answered, answered right, refused, refused right)`.
fn per_photo(answered: &[bool], correct: &[bool], groups: &[u32]) -> Vec<[usize; 4]> {
    let mut index = std::collections::HashMap::new();
    let mut out: Vec<[usize; 4]> = Vec::new();
    for ((&a, &c), &g) in answered.iter().zip(correct).zip(groups) {
        let k = *index.entry(g).or_insert_with(|| {
            out.push([0; 4]);
            out.len() - 1
        });
        let arm = if a { 0 } else { 2 };
        out[k][arm] += 1;
        out[k][arm + 1] += usize::from(c);
    }
    out
}

/// The design effect of the difference "accuracy answered − accuracy
/// refused" with photos as clusters: its cluster-robust (linearised)
/// variance over the variance with independent images, at least 1. With
/// one image per photo it is 1. When both arms are all right or all wrong
/// the difference has no variance to compare: the design effect of the
/// accuracy of all images stands in ([`crate::evaluate::grouped::design_effect`]).
pub fn difference_design_effect(answered: &[bool], correct: &[bool], groups: &[u32]) -> f64 {
    let photos = per_photo(answered, correct, groups);
    if photos.iter().all(|p| p[0] + p[2] <= 1) || photos.len() < 2 {
        return 1.0;
    }
    let total = |i: usize| photos.iter().map(|p| p[i]).sum::<usize>() as f64;
    let (n_a, n_r) = (total(0), total(2));
    if n_a == 0.0 || n_r == 0.0 {
        return 1.0;
    }
    let (p_a, p_r) = (total(1) / n_a, total(3) / n_r);
    let v_srs = p_a * (1.0 - p_a) / n_a + p_r * (1.0 - p_r) / n_r;
    if v_srs <= 0.0 {
        let counts = crate::evaluate::grouped::group_counts(correct, groups);
        return crate::evaluate::grouped::design_effect(&counts).map_or(1.0, |d| d.max(1.0));
    }
    let ss: f64 = photos
        .iter()
        .map(|p| {
            let e_a = (p[1] as f64 - p_a * p[0] as f64) / n_a;
            let e_r = (p[3] as f64 - p_r * p[2] as f64) / n_r;
            (e_a - e_r).powi(2)
        })
        .sum();
    let g = photos.len() as f64;
    (g / (g - 1.0) * ss / v_srs).max(1.0)
}

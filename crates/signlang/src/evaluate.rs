//! Evaluation and statistics for the client's report.
//!
//! - [`Evaluation`]: a model's predictions on a split, its confusion matrix,
//!   overall accuracy with a 95% Wilson interval, per-letter accuracy with
//!   intervals, precision, recall and F1, the lowest letter and the most
//!   common confusion. Built from plain class vectors
//!   ([`Evaluation::from_predictions`]) or by running a network on a
//!   [`Dataset`] ([`evaluate`]).
//! - [`mcnemar`]: McNemar's test between two models on the same images
//!   (exact binomial and continuity-corrected chi-squared p-values).
//! - [`GoalCheck`] and [`Recommendation`]: the client's goals (over 96%
//!   overall, over 90% for every letter), met or not, and a recommendation
//!   paragraph generated from the numbers.
//!
//! Intervals: [`wilson_interval`] (used throughout) and
//! [`clopper_pearson_interval`] (exact, more conservative), both two-sided.

use statrs::distribution::{Beta, Binomial, ChiSquared, ContinuousCDF, DiscreteCDF, Normal};
use tch::nn::ModuleT;
use tch::{Device, Kind};

use crate::data::Dataset;
use crate::display::{escape, Html, Table};
use crate::letters::{letter, NUM_CLASSES};

/// Errors of the evaluation functions.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// Two class vectors that must describe the same images differ in length.
    #[error(
        "{what}: {a} truths but {b} predictions; both must list the same images in the same order"
    )]
    LengthMismatch {
        /// What was compared.
        what: &'static str,
        /// Length of the first vector.
        a: usize,
        /// Length of the second vector.
        b: usize,
    },
    /// A class index outside `0..24`.
    #[error("{what}: class {class} at position {index} is not one of the 24 letter classes 0..24")]
    BadClass {
        /// Which vector held it.
        what: &'static str,
        /// Position in the vector.
        index: usize,
        /// The bad value.
        class: u8,
    },
    /// Nothing to evaluate.
    #[error("no images to evaluate: the prediction vectors are empty")]
    Empty,
    /// The network failed on the data.
    #[error("running the network on {dataset}: {source}")]
    Torch {
        /// The dataset's name.
        dataset: String,
        /// The tch error.
        source: tch::TchError,
    },
}

/// A two-sided confidence interval for a proportion.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

impl Interval {
    /// `"[lo%, hi%]"` with one decimal.
    pub fn percent(&self) -> String {
        format!("[{:.1}%, {:.1}%]", 100.0 * self.lo, 100.0 * self.hi)
    }
}

/// The standard normal quantile for a two-sided interval of this confidence.
fn z_of(confidence: f64) -> f64 {
    let normal = Normal::new(0.0, 1.0).expect("standard normal");
    normal.inverse_cdf(1.0 - (1.0 - confidence) / 2.0)
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

/// The statistics of one letter (one class).
#[derive(Clone, Debug, PartialEq)]
pub struct LetterStats {
    /// Class index.
    pub class: u8,
    /// The letter.
    pub letter: char,
    /// Images whose true class is this letter.
    pub n: usize,
    /// Of those, correctly classified.
    pub correct: usize,
    /// Images predicted as this letter (true positives plus false positives).
    pub predicted: usize,
    /// Per-letter accuracy = recall = `correct / n`; NaN when `n = 0`.
    pub accuracy: f64,
    /// 95% Wilson interval of the accuracy (`[0, 1]` when `n = 0`).
    pub ci: Interval,
    /// `correct / predicted`; 0 when nothing was predicted as this letter.
    pub precision: f64,
    /// `correct / n`; 0 when `n = 0`.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
}

/// One cell of the confusion matrix off the diagonal: a kind of error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Confusion {
    /// True class.
    pub truth: u8,
    /// Predicted class.
    pub predicted: u8,
    /// Number of images.
    pub count: usize,
}

impl std::fmt::Display for Confusion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} → {} ({} images)",
            letter(self.truth),
            letter(self.predicted),
            self.count
        )
    }
}

/// A model's predictions on one split and everything computed from them.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// True class of each image.
    pub truth: Vec<u8>,
    /// Predicted class of each image.
    pub predicted: Vec<u8>,
    /// `confusion[t][p]`: images of true class `t` predicted as `p`.
    pub confusion: [[usize; NUM_CLASSES]; NUM_CLASSES],
    /// Number of images.
    pub n: usize,
    /// Correctly classified images.
    pub correct: usize,
    /// Overall accuracy.
    pub accuracy: f64,
    /// 95% Wilson interval of the overall accuracy.
    pub ci: Interval,
    /// Statistics of each letter, in class order.
    pub letters: Vec<LetterStats>,
}

fn check_classes(what: &'static str, v: &[u8]) -> Result<(), EvaluateError> {
    match v.iter().position(|&c| c as usize >= NUM_CLASSES) {
        Some(index) => Err(EvaluateError::BadClass {
            what,
            index,
            class: v[index],
        }),
        None => Ok(()),
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Evaluation {
    /// Builds the evaluation from true and predicted classes of the same images.
    pub fn from_predictions(truth: &[u8], predicted: &[u8]) -> Result<Evaluation, EvaluateError> {
        if truth.len() != predicted.len() {
            return Err(EvaluateError::LengthMismatch {
                what: "evaluation",
                a: truth.len(),
                b: predicted.len(),
            });
        }
        if truth.is_empty() {
            return Err(EvaluateError::Empty);
        }
        check_classes("truth", truth)?;
        check_classes("predicted", predicted)?;
        let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        for (&t, &p) in truth.iter().zip(predicted) {
            confusion[t as usize][p as usize] += 1;
        }
        let n = truth.len();
        let correct = (0..NUM_CLASSES).map(|c| confusion[c][c]).sum();
        let letters = (0..NUM_CLASSES)
            .map(|c| {
                let n_c: usize = confusion[c].iter().sum();
                let correct_c = confusion[c][c];
                let predicted_c: usize = (0..NUM_CLASSES).map(|t| confusion[t][c]).sum();
                let precision = ratio(correct_c, predicted_c);
                let recall = ratio(correct_c, n_c);
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                LetterStats {
                    class: c as u8,
                    letter: letter(c as u8),
                    n: n_c,
                    correct: correct_c,
                    predicted: predicted_c,
                    accuracy: if n_c == 0 {
                        f64::NAN
                    } else {
                        correct_c as f64 / n_c as f64
                    },
                    ci: wilson_interval(correct_c, n_c, 0.95),
                    precision,
                    recall,
                    f1,
                }
            })
            .collect();
        Ok(Evaluation {
            truth: truth.to_vec(),
            predicted: predicted.to_vec(),
            confusion,
            n,
            correct,
            accuracy: correct as f64 / n as f64,
            ci: wilson_interval(correct, n, 0.95),
            letters,
        })
    }

    /// The letter with the lowest accuracy among letters with test images
    /// (ties: the one with fewer correct, then alphabetical).
    pub fn lowest_letter(&self) -> &LetterStats {
        self.letters
            .iter()
            .filter(|l| l.n > 0)
            .min_by(|a, b| {
                // Ties (e.g. several letters at 100%) go to the least certain:
                // the lowest lower confidence bound.
                a.accuracy
                    .total_cmp(&b.accuracy)
                    .then(a.ci.lo.total_cmp(&b.ci.lo))
            })
            .expect("an evaluation has at least one image")
    }

    /// All errors (off-diagonal non-zero cells), most common first (ties by
    /// true then predicted class).
    pub fn confusions(&self) -> Vec<Confusion> {
        let mut out = Vec::new();
        for t in 0..NUM_CLASSES {
            for p in 0..NUM_CLASSES {
                if t != p && self.confusion[t][p] > 0 {
                    out.push(Confusion {
                        truth: t as u8,
                        predicted: p as u8,
                        count: self.confusion[t][p],
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.truth.cmp(&b.truth))
                .then(a.predicted.cmp(&b.predicted))
        });
        out
    }

    /// The most common confusion (true → predicted), or `None` when there
    /// are no errors.
    pub fn most_common_confusion(&self) -> Option<Confusion> {
        self.confusions().first().copied()
    }

    /// Indices of the misclassified images, in order.
    pub fn wrong_indices(&self) -> Vec<usize> {
        (0..self.n)
            .filter(|&i| self.truth[i] != self.predicted[i])
            .collect()
    }

    /// Macro-averaged F1 over letters with test images.
    pub fn macro_f1(&self) -> f64 {
        let with: Vec<f64> = self
            .letters
            .iter()
            .filter(|l| l.n > 0)
            .map(|l| l.f1)
            .collect();
        with.iter().sum::<f64>() / with.len().max(1) as f64
    }

    /// Per-letter table: accuracy with its 95% interval, precision, recall, F1, n.
    pub fn per_letter_table(&self) -> Table {
        let mut t = Table::new([
            "letter",
            "n",
            "correct",
            "accuracy",
            "95% CI",
            "precision",
            "recall",
            "F1",
        ])
        .with_caption(format!(
            "Per-letter results on {} images (95% Wilson intervals)",
            self.n
        ));
        for l in &self.letters {
            t.push([
                l.letter.to_string(),
                l.n.to_string(),
                l.correct.to_string(),
                if l.n == 0 {
                    "–".to_string()
                } else {
                    format!("{:.1}%", 100.0 * l.accuracy)
                },
                l.ci.percent(),
                format!("{:.3}", l.precision),
                format!("{:.3}", l.recall),
                format!("{:.3}", l.f1),
            ]);
        }
        t
    }

    /// The headline numbers: overall accuracy with its interval, the lowest
    /// letter, the most common confusion, macro F1.
    pub fn summary(&self) -> Table {
        let mut t = Table::new(["quantity", "value"]).with_caption("Evaluation summary");
        t.push([
            "overall accuracy".to_string(),
            format!(
                "{:.2}% ({} / {}), 95% CI {}",
                100.0 * self.accuracy,
                self.correct,
                self.n,
                self.ci.percent()
            ),
        ]);
        let low = self.lowest_letter();
        t.push([
            "lowest letter".to_string(),
            format!(
                "{}: {:.1}% ({} / {}), 95% CI {}",
                low.letter,
                100.0 * low.accuracy,
                low.correct,
                low.n,
                low.ci.percent()
            ),
        ]);
        t.push([
            "most common error".to_string(),
            match self.most_common_confusion() {
                Some(c) => format!(
                    "{c}, {:.1}% of all {} errors",
                    100.0 * c.count as f64 / (self.n - self.correct) as f64,
                    self.n - self.correct
                ),
                None => "none: no errors".to_string(),
            },
        ]);
        t.push(["macro F1".to_string(), format!("{:.4}", self.macro_f1())]);
        t
    }

    /// The summary and the per-letter table, for the notebook.
    pub fn to_display(&self) -> Html {
        let (summary, table) = (self.summary(), self.per_letter_table());
        Html::new(
            format!("{}<br>{}", summary.to_html(), table.to_html()),
            format!("{summary}\n{table}"),
        )
    }

    /// Shows [`Evaluation::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }

    /// Checks the client's goals against this evaluation.
    pub fn goal_check(&self, goals: &Goals) -> GoalCheck {
        let letters = self
            .letters
            .iter()
            .map(|l| LetterGoal {
                letter: l.letter,
                accuracy: l.accuracy,
                ci: l.ci,
                met: l.n > 0 && l.accuracy > goals.per_letter,
                strictly_met: l.n > 0 && l.ci.lo > goals.per_letter,
            })
            .collect::<Vec<_>>();
        GoalCheck {
            goals: *goals,
            accuracy: self.accuracy,
            ci: self.ci,
            overall_met: self.accuracy > goals.overall,
            overall_strictly_met: self.ci.lo > goals.overall,
            letters,
        }
    }
}

/// Evaluates a network on a dataset: batched forward passes in eval mode
/// without gradients, argmax of the outputs, then
/// [`Evaluation::from_predictions`]. Works with any [`ModuleT`] that maps
/// `N×1×28×28` images in `[0, 1]` to `N×24` logits or probabilities.
pub fn evaluate(
    net: &impl ModuleT,
    data: &Dataset,
    device: Device,
) -> Result<Evaluation, EvaluateError> {
    let predicted = predict_classes(net, data, device)?;
    Evaluation::from_predictions(&data.classes, &predicted)
}

/// The predicted class of each image of `data` (argmax of the network's output).
pub fn predict_classes(
    net: &impl ModuleT,
    data: &Dataset,
    device: Device,
) -> Result<Vec<u8>, EvaluateError> {
    const BATCH: i64 = 512;
    let torch = |source| EvaluateError::Torch {
        dataset: data.name.clone(),
        source,
    };
    let images = data.images();
    let n = data.len() as i64;
    let mut out = Vec::with_capacity(data.len());
    tch::no_grad(|| -> Result<(), EvaluateError> {
        let mut start = 0;
        while start < n {
            let len = BATCH.min(n - start);
            let x = images.f_narrow(0, start, len).map_err(torch)?;
            let x = x.f_to_device(device).map_err(torch)?;
            let y = net.forward_t(&x, false);
            let classes = y
                .f_argmax(-1, false)
                .and_then(|t| t.f_to_device(Device::Cpu))
                .and_then(|t| t.f_to_kind(Kind::Int64))
                .map_err(torch)?;
            let v = Vec::<i64>::try_from(&classes).map_err(torch)?;
            out.extend(v.into_iter().map(|c| c as u8));
            start += len;
        }
        Ok(())
    })?;
    Ok(out)
}

/// McNemar's test between two models classified on the same images.
#[derive(Clone, Debug, PartialEq)]
pub struct McNemar {
    /// Number of images.
    pub n: usize,
    /// Both models right.
    pub both_right: usize,
    /// Model A right, model B wrong (the classical `b`).
    pub only_a_right: usize,
    /// Model A wrong, model B right (the classical `c`).
    pub only_b_right: usize,
    /// Both wrong.
    pub both_wrong: usize,
    /// Exact two-sided p-value: binomial with `n = b + c`, `p = 1/2`,
    /// `min(1, 2·P(X ≤ min(b, c)))`; 1 when `b + c = 0`.
    pub exact_p: f64,
    /// Continuity-corrected statistic `(|b − c| − 1)² / (b + c)` (0 when
    /// `|b − c| ≤ 1` or `b + c = 0`).
    pub chi2: f64,
    /// p-value of [`McNemar::chi2`] under chi-squared with 1 degree of freedom.
    pub chi2_p: f64,
}

/// McNemar's test of models A and B on the same images: `truth`, A's
/// predictions `a` and B's predictions `b`, all in the same image order.
pub fn mcnemar(truth: &[u8], a: &[u8], b: &[u8]) -> Result<McNemar, EvaluateError> {
    for (what, v) in [("model A", a), ("model B", b)] {
        if v.len() != truth.len() {
            return Err(EvaluateError::LengthMismatch {
                what,
                a: truth.len(),
                b: v.len(),
            });
        }
    }
    if truth.is_empty() {
        return Err(EvaluateError::Empty);
    }
    let (mut rr, mut rw, mut wr, mut ww) = (0, 0, 0, 0);
    for i in 0..truth.len() {
        match (a[i] == truth[i], b[i] == truth[i]) {
            (true, true) => rr += 1,
            (true, false) => rw += 1,
            (false, true) => wr += 1,
            (false, false) => ww += 1,
        }
    }
    let (exact_p, chi2, chi2_p) = mcnemar_p(rw, wr);
    Ok(McNemar {
        n: truth.len(),
        both_right: rr,
        only_a_right: rw,
        only_b_right: wr,
        both_wrong: ww,
        exact_p,
        chi2,
        chi2_p,
    })
}

/// Exact p, continuity-corrected chi-squared statistic and its p for
/// discordant counts `b` and `c`.
pub fn mcnemar_p(b: usize, c: usize) -> (f64, f64, f64) {
    let m = b + c;
    if m == 0 {
        return (1.0, 0.0, 1.0);
    }
    let binom = Binomial::new(0.5, m as u64).expect("valid binomial");
    let exact = (2.0 * binom.cdf(b.min(c) as u64)).min(1.0);
    let diff = (b as f64 - c as f64).abs();
    let chi2 = ((diff - 1.0).max(0.0)).powi(2) / m as f64;
    let chi2_p = ChiSquared::new(1.0).expect("df 1").sf(chi2);
    (exact, chi2, chi2_p)
}

impl McNemar {
    /// A plain-words verdict at significance level `alpha`, naming the models.
    pub fn verdict(&self, name_a: &str, name_b: &str, alpha: f64) -> String {
        let (b, c) = (self.only_a_right, self.only_b_right);
        let acc_a = (self.both_right + b) as f64 / self.n as f64;
        let acc_b = (self.both_right + c) as f64 / self.n as f64;
        let (better, worse, more, fewer) = if b >= c {
            (name_a, name_b, b, c)
        } else {
            (name_b, name_a, c, b)
        };
        let head = format!(
            "On the same {} images, {name_a} is right on {:.2}% and {name_b} on {:.2}%. \
             They disagree on {} images: {better} alone is right on {more}, {worse} alone on {fewer}.",
            self.n,
            100.0 * acc_a,
            100.0 * acc_b,
            b + c
        );
        if b + c == 0 {
            return format!(
                "{head} With no disagreements there is no evidence of a difference (p = 1)."
            );
        }
        if self.exact_p < alpha {
            format!(
                "{head} McNemar's exact test gives p = {:.4} (chi-squared with continuity \
                 correction: p = {:.4}), below α = {alpha}: {better} is significantly better than {worse}.",
                self.exact_p, self.chi2_p
            )
        } else {
            format!(
                "{head} McNemar's exact test gives p = {:.4} (chi-squared with continuity \
                 correction: p = {:.4}), not below α = {alpha}: the difference is not statistically \
                 significant; the data do not show that {better} is better than {worse}.",
                self.exact_p, self.chi2_p
            )
        }
    }

    /// The 2×2 table and both p-values, with the verdict at `alpha`.
    pub fn to_display(&self, name_a: &str, name_b: &str, alpha: f64) -> Html {
        let mut t = Table::new([
            String::new(),
            format!("{name_b} right"),
            format!("{name_b} wrong"),
        ])
        .with_caption(format!("McNemar's test: {name_a} vs {name_b}"));
        t.push([
            format!("{name_a} right"),
            self.both_right.to_string(),
            self.only_a_right.to_string(),
        ]);
        t.push([
            format!("{name_a} wrong"),
            self.only_b_right.to_string(),
            self.both_wrong.to_string(),
        ]);
        let stats = format!(
            "Discordant: b = {}, c = {}. Exact binomial p = {:.4}; chi-squared (continuity corrected) = {:.3}, p = {:.4}.",
            self.only_a_right, self.only_b_right, self.exact_p, self.chi2, self.chi2_p
        );
        let verdict = self.verdict(name_a, name_b, alpha);
        Html::new(
            format!(
                "{}<p>{}</p><p>{}</p>",
                t.to_html(),
                escape(&stats),
                escape(&verdict)
            ),
            format!("{}{stats}\n{verdict}\n", t.to_text()),
        )
    }
}

/// The client's accuracy goals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goals {
    /// Overall accuracy must exceed this.
    pub overall: f64,
    /// Every letter's accuracy must exceed this.
    pub per_letter: f64,
}

impl Default for Goals {
    /// Over 96% overall, over 90% for every letter.
    fn default() -> Self {
        Goals {
            overall: 0.96,
            per_letter: 0.90,
        }
    }
}

/// One letter against the per-letter goal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LetterGoal {
    /// The letter.
    pub letter: char,
    /// Its accuracy (NaN without test images).
    pub accuracy: f64,
    /// Its 95% interval.
    pub ci: Interval,
    /// Point estimate above the goal.
    pub met: bool,
    /// Lower interval bound above the goal.
    pub strictly_met: bool,
}

/// The goals against an evaluation: met on point estimates, and the stricter
/// reading (lower 95% bound above the goal).
#[derive(Clone, Debug, PartialEq)]
pub struct GoalCheck {
    /// The goals checked.
    pub goals: Goals,
    /// Overall accuracy.
    pub accuracy: f64,
    /// Its 95% interval.
    pub ci: Interval,
    /// Overall point estimate above the goal.
    pub overall_met: bool,
    /// Overall lower bound above the goal.
    pub overall_strictly_met: bool,
    /// Each letter, in class order.
    pub letters: Vec<LetterGoal>,
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

fn met(b: bool) -> &'static str {
    if b {
        "met"
    } else {
        "not met"
    }
}

impl GoalCheck {
    /// Every letter's point estimate above the per-letter goal.
    pub fn letters_met(&self) -> bool {
        self.letters.iter().all(|l| l.met)
    }

    /// Every letter's lower bound above the per-letter goal.
    pub fn letters_strictly_met(&self) -> bool {
        self.letters.iter().all(|l| l.strictly_met)
    }

    /// Both goals on point estimates.
    pub fn all_met(&self) -> bool {
        self.overall_met && self.letters_met()
    }

    /// Letters whose point estimate is at or below the per-letter goal.
    pub fn failing_letters(&self) -> Vec<LetterGoal> {
        self.letters.iter().filter(|l| !l.met).copied().collect()
    }

    /// Letters above the goal on the point estimate whose interval still reaches below it.
    pub fn uncertain_letters(&self) -> Vec<LetterGoal> {
        self.letters
            .iter()
            .filter(|l| l.met && !l.strictly_met)
            .copied()
            .collect()
    }

    /// The check as a table with a plain-words line per goal.
    pub fn to_table(&self) -> Table {
        let mut t = Table::new(["goal", "estimate (95% CI)", "point estimate", "lower bound"])
            .with_caption("The client's goals");
        t.push([
            format!("overall > {:.0}%", 100.0 * self.goals.overall),
            format!("{:.2}% {}", 100.0 * self.accuracy, self.ci.percent()),
            met(self.overall_met).to_string(),
            met(self.overall_strictly_met).to_string(),
        ]);
        let low = self
            .letters
            .iter()
            .filter(|l| !l.accuracy.is_nan())
            // Same rule as `Evaluation::lowest_letter`: ties by lower bound.
            .min_by(|a, b| {
                a.accuracy
                    .total_cmp(&b.accuracy)
                    .then(a.ci.lo.total_cmp(&b.ci.lo))
            });
        let n_fail = self.failing_letters().len();
        let n_uncertain = self.uncertain_letters().len();
        t.push([
            format!("every letter > {:.0}%", 100.0 * self.goals.per_letter),
            match low {
                Some(l) => format!(
                    "lowest {} {:.1}% {}",
                    l.letter,
                    100.0 * l.accuracy,
                    l.ci.percent()
                ),
                None => "no letters".into(),
            },
            format!(
                "{} ({n_fail} {} at or below)",
                met(self.letters_met()),
                plural(n_fail, "letter")
            ),
            format!(
                "{} ({} {} with lower bound at or below)",
                met(self.letters_strictly_met()),
                n_fail + n_uncertain,
                plural(n_fail + n_uncertain, "letter")
            ),
        ]);
        t
    }
}

/// What the recommendation needs to know about the data beyond the numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct DataContext {
    /// Approximate number of distinct source photos in the test CSV.
    pub source_photos: usize,
    /// Approximate number of augmented variants per source photo.
    pub variants_per_photo: usize,
    /// One line on the recording setting.
    pub setting: String,
}

impl Default for DataContext {
    /// Sign Language MNIST: about 400 source photos in the test CSV, ~20
    /// augmented variants each, one background and signer setting.
    fn default() -> Self {
        DataContext {
            source_photos: 400,
            variants_per_photo: 20,
            setting: "a few signers photographed against one kind of background".into(),
        }
    }
}

/// The recommendation paragraph(s), generated from an evaluation.
#[derive(Clone, Debug)]
pub struct Recommendation {
    /// The paragraphs, plain text.
    pub paragraphs: Vec<String>,
}

impl Recommendation {
    /// Writes the recommendation from the evaluation, the goals and the data context.
    pub fn new(eval: &Evaluation, goals: &Goals, ctx: &DataContext) -> Recommendation {
        let check = eval.goal_check(goals);
        let errors = eval.n - eval.correct;
        let mut p = Vec::new();

        // 1. How likely the goals hold in deployment.
        let eff_n = (eval.n / ctx.variants_per_photo.max(1)).max(1);
        let eff_correct = ((eval.accuracy * eff_n as f64).round() as usize).min(eff_n);
        let eff_ci = wilson_interval(eff_correct, eff_n, 0.95);
        let failing = check.failing_letters();
        let uncertain = check.uncertain_letters();
        let list = |v: &[LetterGoal]| {
            v.iter()
                .map(|l| format!("{} ({:.1}%)", l.letter, 100.0 * l.accuracy))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut s = format!(
            "On the {} held-out test images the model is right {:.2}% of the time (95% CI {}). ",
            eval.n,
            100.0 * eval.accuracy,
            eval.ci.percent()
        );
        s += &match (check.overall_met, check.overall_strictly_met) {
            (true, true) => format!(
                "The overall goal of {:.0}% is met, with the whole interval above it. ",
                100.0 * goals.overall
            ),
            (true, false) => format!(
                "The overall goal of {:.0}% is met on the point estimate, but the interval reaches below it. ",
                100.0 * goals.overall
            ),
            _ => format!(
                "The overall goal of {:.0}% is not met. ",
                100.0 * goals.overall
            ),
        };
        s += &if failing.is_empty() && uncertain.is_empty() {
            format!(
                "Every letter is above {:.0}% with its whole interval. ",
                100.0 * goals.per_letter
            )
        } else if failing.is_empty() {
            format!(
                "Every letter is above {:.0}%, but for {} the interval reaches below it. ",
                100.0 * goals.per_letter,
                list(&uncertain)
            )
        } else {
            format!(
                "The per-letter goal of {:.0}% is not met for {}. ",
                100.0 * goals.per_letter,
                list(&failing)
            )
        };
        s += &format!(
            "These intervals treat the test images as independent, which they are not: they \
             are about {} augmented variants per source photo. Counting each photo once (about {} \
             independent observations) widens the overall interval to {}. ",
            ctx.variants_per_photo,
            eff_n,
            eff_ci.percent()
        );
        s += if check.all_met() && eff_ci.lo > goals.overall {
            "So the goals are likely to hold for images like these; "
        } else if check.all_met() {
            "So the goals plausibly hold for images like these, but the evidence is thinner than the image count suggests; "
        } else {
            "So the goals should not be promised yet, even for images like these; "
        };
        s += "for other hands, lighting, backgrounds and cameras in an app, expect lower accuracy \
              until it is measured on such images.";
        p.push(s);

        // 2. What small further development would likely give.
        let confusions = eval.confusions();
        let mut s = String::new();
        if errors == 0 {
            s += "The model made no errors on the test images, so these data cannot show where it \
                  would improve; the next step is new, independent images.";
        } else {
            let top: Vec<&Confusion> = confusions.iter().take(5).collect();
            let top_sum: usize = top.iter().map(|c| c.count).sum();
            let share = top_sum as f64 / errors as f64;
            s += &format!(
                "The {} errors are {}: the {} most common confusions ({}) make up {:.0}% \
                 of them. ",
                errors,
                if share >= 0.5 {
                    "concentrated"
                } else {
                    "spread over many letter pairs"
                },
                top.len(),
                top.iter()
                    .map(|c| format!("{}→{} {}", letter(c.truth), letter(c.predicted), c.count))
                    .collect::<Vec<_>>()
                    .join(", "),
                100.0 * share
            );
            // Gain if the weak letters were lifted to the per-letter goal.
            let lift: f64 = eval
                .letters
                .iter()
                .filter(|l| l.n > 0 && l.accuracy <= goals.per_letter)
                .map(|l| (goals.per_letter * l.n as f64 - l.correct as f64).max(0.0))
                .sum();
            if lift > 0.0 {
                s += &format!(
                    "Lifting only the letters below {:.0}% to that level would raise overall \
                     accuracy to about {:.2}%. ",
                    100.0 * goals.per_letter,
                    100.0 * (eval.correct as f64 + lift) / eval.n as f64
                );
            }
            let halve = 100.0 * (eval.correct as f64 + top_sum as f64 / 2.0) / eval.n as f64;
            s += &format!("Halving the top confusions alone would give about {halve:.2}%. ");
            s += if eval.accuracy >= goals.overall - 0.03 {
                "Small, targeted steps are likely to get there: more (and more varied) photos of \
                 the confused letters, augmentation that mimics the differences between them \
                 (small rotations, shifts, lighting), and averaging a few models or test-time \
                 augmentations. Beyond that, gains on this test set will be small and may not \
                 carry over to deployment."
            } else {
                "The model is far from the goals, so small steps will not be enough: a stronger \
                 model (convolutional, trained longer, with augmentation) should come before any \
                 fine-tuning of single letters."
            };
        }
        p.push(s);

        // 3. Limits of the data.
        p.push(format!(
            "Limits of this data: the test CSV holds about {} source photos, each expanded \
             into about {} augmented variants, so near-duplicates inflate the apparent sample size; \
             all photos share one setting ({}); the images are 28×28 greyscale crops centred on the \
             hand, so an app must crop and scale the same way; and J and Z, which need motion, are \
             not covered. A small field test with new signers and backgrounds is the cheapest way \
             to learn the deployed accuracy.",
            ctx.source_photos, ctx.variants_per_photo, ctx.setting
        ));
        Recommendation { paragraphs: p }
    }

    /// The recommendation as HTML paragraphs with a plain-text fallback.
    pub fn to_display(&self) -> Html {
        Html::new(
            self.paragraphs
                .iter()
                .map(|s| format!("<p>{}</p>", escape(s)))
                .collect::<String>(),
            self.paragraphs.join("\n\n"),
        )
    }
}

impl std::fmt::Display for Recommendation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.paragraphs.join("\n\n"))
    }
}

/// Two models compared on the same test images, for [`client_report`].
#[derive(Clone, Copy, Debug)]
pub struct Comparison<'a> {
    /// The test result.
    pub test: &'a McNemar,
    /// Name of the best model (model A of the test).
    pub best: &'a str,
    /// Name of the second best model (model B of the test).
    pub second: &'a str,
}

/// The client's report in one block: the unbiased accuracy estimate with
/// its interval, the letter with the lowest accuracy, the most common error,
/// whether the best model is significantly better than the second best
/// (McNemar at α = 0.05, when `comparison` is given), the goal check and the
/// recommendation.
pub fn client_report(
    eval: &Evaluation,
    goals: &Goals,
    ctx: &DataContext,
    comparison: Option<Comparison<'_>>,
) -> Html {
    let low = eval.lowest_letter();
    let mut answers = Table::new(["the client asked", "answer"])
        .with_caption(format!("Results on {} held-out test images", eval.n));
    answers.push([
        "accuracy (unbiased estimate)".to_string(),
        format!(
            "{:.2}% ({} of {}), 95% CI {}",
            100.0 * eval.accuracy,
            eval.correct,
            eval.n,
            eval.ci.percent()
        ),
    ]);
    answers.push([
        "letter with the lowest accuracy".to_string(),
        format!(
            "{}: {:.1}% ({} of {}), 95% CI {}",
            low.letter,
            100.0 * low.accuracy,
            low.correct,
            low.n,
            low.ci.percent()
        ),
    ]);
    answers.push([
        "most common error".to_string(),
        match eval.most_common_confusion() {
            Some(c) => format!(
                "{} shown as {} ({} images)",
                letter(c.truth),
                letter(c.predicted),
                c.count
            ),
            None => "none".to_string(),
        },
    ]);
    let verdict = comparison.map(|c| c.test.verdict(c.best, c.second, 0.05));
    if let Some(c) = comparison {
        answers.push([
            format!("{} significantly better than {}?", c.best, c.second),
            format!(
                "{} (McNemar exact p = {:.4}, b = {}, c = {})",
                if c.test.exact_p < 0.05 { "yes" } else { "no" },
                c.test.exact_p,
                c.test.only_a_right,
                c.test.only_b_right
            ),
        ]);
    }
    let goal_table = eval.goal_check(goals).to_table();
    let rec = Recommendation::new(eval, goals, ctx);
    let mut html = answers.to_html();
    let mut text = answers.to_text();
    if let Some(v) = &verdict {
        html += &format!("<p>{}</p>", escape(v));
        text += &format!("{v}\n");
    }
    html += &goal_table.to_html();
    text += &format!("\n{goal_table}\n");
    html += &rec.to_display().html;
    text += &rec.to_string();
    Html::new(html, text)
}

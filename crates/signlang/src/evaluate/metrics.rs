//! [`Evaluation`]: a model's predictions on a split and what follows from
//! them: the confusion matrix, accuracy overall and per letter with
//! per-image and (given the groups) per-photo intervals, precision, recall,
//! F1, the lowest letters and the confusions.

use super::grouped::{grouped_accuracy, GroupedAccuracy};
use super::intervals::{rate_with_interval, Interval};
use super::EvaluateError;
use crate::letters::{letter, NUM_CLASSES};

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
    /// 95% Wilson interval of the accuracy, images as the unit (`[0, 1]` when `n = 0`).
    pub ci: Interval,
    /// The accuracy with source photos as the unit, when groups are known.
    pub grouped: Option<GroupedAccuracy>,
    /// `correct / predicted`; 0 when nothing was predicted as this letter.
    pub precision: f64,
    /// `correct / n`; 0 when `n = 0`.
    pub recall: f64,
    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub f1: f64,
}

impl LetterStats {
    /// The interval to judge by: per photo when groups are known, else per image.
    pub fn best_ci(&self) -> Interval {
        self.grouped.as_ref().map_or(self.ci, |g| g.group_ci)
    }
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
    /// Source-photo group of each image, when known ([`Evaluation::with_groups`]).
    pub groups: Option<Vec<u32>>,
    /// `confusion[t][p]`: images of true class `t` predicted as `p`.
    pub confusion: [[usize; NUM_CLASSES]; NUM_CLASSES],
    /// Number of images.
    pub n: usize,
    /// Correctly classified images.
    pub correct: usize,
    /// Overall accuracy.
    pub accuracy: f64,
    /// 95% Wilson interval of the overall accuracy, images as the unit.
    pub ci: Interval,
    /// Overall accuracy with source photos as the unit, when groups are known.
    pub grouped: Option<GroupedAccuracy>,
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

fn letter_stats(confusion: &[[usize; NUM_CLASSES]; NUM_CLASSES], c: usize) -> LetterStats {
    let n_c: usize = confusion[c].iter().sum();
    let correct_c = confusion[c][c];
    let (accuracy, ci) = rate_with_interval(correct_c, n_c);
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
        accuracy,
        ci,
        grouped: None,
        precision,
        recall,
        f1,
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
        let (accuracy, ci) = rate_with_interval(correct, n);
        Ok(Evaluation {
            truth: truth.to_vec(),
            predicted: predicted.to_vec(),
            groups: None,
            confusion,
            n,
            correct,
            accuracy,
            ci,
            grouped: None,
            letters: (0..NUM_CLASSES)
                .map(|c| letter_stats(&confusion, c))
                .collect(),
        })
    }

    /// Adds the source-photo group of each image: the overall and per-letter
    /// accuracies get group-aware intervals ([`grouped_accuracy`]).
    pub fn with_groups(mut self, groups: &[u32]) -> Result<Evaluation, EvaluateError> {
        if groups.len() != self.n {
            return Err(EvaluateError::LengthMismatch {
                what: "groups",
                a: self.n,
                b: groups.len(),
            });
        }
        let right: Vec<bool> = self.correct_flags();
        self.grouped = Some(grouped_accuracy(&right, groups));
        for stats in &mut self.letters {
            let idx: Vec<usize> = (0..self.n)
                .filter(|&i| self.truth[i] == stats.class)
                .collect();
            if idx.is_empty() {
                continue;
            }
            let r: Vec<bool> = idx.iter().map(|&i| right[i]).collect();
            let g: Vec<u32> = idx.iter().map(|&i| groups[i]).collect();
            stats.grouped = Some(grouped_accuracy(&r, &g));
        }
        self.groups = Some(groups.to_vec());
        Ok(self)
    }

    /// Whether each image was classified correctly.
    pub fn correct_flags(&self) -> Vec<bool> {
        self.truth
            .iter()
            .zip(&self.predicted)
            .map(|(t, p)| t == p)
            .collect()
    }

    /// The overall interval to judge by: per photo when groups are known.
    pub fn best_ci(&self) -> Interval {
        self.grouped.as_ref().map_or(self.ci, |g| g.group_ci)
    }

    /// The letters with the lowest accuracy (all of them when tied), among
    /// letters with images, least certain first: ranked by the lower bound
    /// of [`LetterStats::best_ci`], then alphabetically.
    pub fn lowest_letters(&self) -> Vec<&LetterStats> {
        let with: Vec<&LetterStats> = self.letters.iter().filter(|l| l.n > 0).collect();
        let min = with
            .iter()
            .map(|l| l.accuracy)
            .fold(f64::INFINITY, f64::min);
        let mut low: Vec<&LetterStats> = with.into_iter().filter(|l| l.accuracy == min).collect();
        low.sort_by(|a, b| {
            a.best_ci()
                .lo
                .total_cmp(&b.best_ci().lo)
                .then(a.class.cmp(&b.class))
        });
        low
    }

    /// The first of [`Evaluation::lowest_letters`].
    pub fn lowest_letter(&self) -> &LetterStats {
        self.lowest_letters()
            .first()
            .copied()
            .expect("an evaluation has at least one image")
    }

    /// All errors (off-diagonal non-zero cells), most common first (ties by
    /// true then predicted class).
    pub fn confusions(&self) -> Vec<Confusion> {
        confusions_of(&self.confusion)
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

    /// Number of misclassified images.
    pub fn errors(&self) -> usize {
        self.n - self.correct
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
}

/// The non-zero off-diagonal cells of a confusion matrix, most common first
/// (ties by true then predicted class).
pub fn confusions_of(confusion: &[[usize; NUM_CLASSES]; NUM_CLASSES]) -> Vec<Confusion> {
    let mut out = Vec::new();
    for (t, row) in confusion.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            if t != p && count > 0 {
                out.push(Confusion {
                    truth: t as u8,
                    predicted: p as u8,
                    count,
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

/// The confusion matrices of several evaluations added up (e.g. the final
/// models on validation), for a pooled "most common error".
pub fn pooled_confusions(evals: &[&Evaluation]) -> Vec<Confusion> {
    let mut sum = [[0usize; NUM_CLASSES]; NUM_CLASSES];
    for e in evals {
        for (t, row) in e.confusion.iter().enumerate() {
            for (p, &c) in row.iter().enumerate() {
                sum[t][p] += c;
            }
        }
    }
    confusions_of(&sum)
}

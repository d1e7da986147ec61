//! Early stopping on validation loss as a small pure type: it is told each
//! epoch's validation loss and says whether the weights improved, whether
//! to wait, or to stop and restore the best epoch.

use super::config::EarlyStopping;

/// What to do after an epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Verdict {
    /// The loss improved: keep these weights as the best.
    Improved,
    /// No improvement yet; go on.
    Wait,
    /// `patience` epochs without improvement: restore `best_epoch`.
    Stop {
        /// The epoch (1-based) whose weights to restore.
        best_epoch: usize,
    },
}

/// The best validation loss so far and the epoch that reached it.
#[derive(Clone, Debug)]
pub(crate) struct EarlyStop {
    patience: usize,
    min_delta: f64,
    best: Option<(f64, usize)>,
}

impl EarlyStop {
    /// A fresh tracker for `settings` (a patience of 0 counts as 1).
    pub(crate) fn new(settings: &EarlyStopping) -> Self {
        EarlyStop {
            patience: settings.patience.max(1),
            min_delta: settings.min_delta,
            best: None,
        }
    }

    /// Records the validation loss of 1-based `epoch`. The first epoch
    /// always improves; later ones must beat the best by more than
    /// `min_delta` (a NaN loss never does).
    pub(crate) fn observe(&mut self, epoch: usize, val_loss: f64) -> Verdict {
        let improved = match self.best {
            None => true,
            Some((best, _)) => val_loss < best - self.min_delta,
        };
        match self.best {
            Some((_, best_epoch)) if !improved => {
                if epoch - best_epoch >= self.patience {
                    Verdict::Stop { best_epoch }
                } else {
                    Verdict::Wait
                }
            }
            _ => {
                self.best = Some((val_loss, epoch));
                Verdict::Improved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(patience: usize, min_delta: f64, losses: &[f64]) -> Vec<Verdict> {
        let mut es = EarlyStop::new(&EarlyStopping {
            patience,
            min_delta,
        });
        losses
            .iter()
            .enumerate()
            .map(|(i, &l)| es.observe(i + 1, l))
            .collect()
    }

    #[test]
    fn verdicts_follow_patience_and_min_delta() {
        use Verdict::{Improved as I, Stop, Wait as W};
        let nan = f64::NAN;
        let cases: &[(usize, f64, &[f64], &[Verdict])] = &[
            // Always improving: never stops.
            (1, 0.0, &[3.0, 2.0, 1.0], &[I, I, I]),
            // Patience 1: the first epoch without improvement stops.
            (1, 0.0, &[1.0, 2.0], &[I, Stop { best_epoch: 1 }]),
            // Patience 0 counts as 1.
            (0, 0.0, &[1.0, 1.0], &[I, Stop { best_epoch: 1 }]),
            // Patience 2: waits once, an improvement resets the count.
            (
                2,
                0.0,
                &[1.0, 1.5, 0.5, 0.6, 0.7],
                &[I, W, I, W, Stop { best_epoch: 3 }],
            ),
            // Equal losses do not improve.
            (2, 0.0, &[1.0, 1.0, 1.0], &[I, W, Stop { best_epoch: 1 }]),
            // min_delta: a decrease of 0.05 is not enough for 0.1.
            (1, 0.1, &[1.0, 0.95], &[I, Stop { best_epoch: 1 }]),
            (1, 0.1, &[1.0, 0.85], &[I, I]),
            // NaN never improves on a number.
            (1, 0.0, &[1.0, nan], &[I, Stop { best_epoch: 1 }]),
        ];
        for (patience, min_delta, losses, expected) in cases {
            assert_eq!(
                run(*patience, *min_delta, losses),
                *expected,
                "patience {patience}, min_delta {min_delta}, losses {losses:?}"
            );
        }
    }
}

//! Full or quick: the size of a study run.
//!
//! The full study uses all the data, the planned epochs and the 50-run
//! budget. Quick mode (`SIGNLANG_QUICK=1`) shrinks the training data and the
//! epochs (not the budget) so the whole notebook runs in a few minutes, in a
//! study folder of its own: `make test` runs the notebook so.

use crate::data::Dataset;
use std::path::PathBuf;

/// How big this run of the study is.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    /// True in quick mode.
    pub quick: bool,
}

impl Scale {
    /// Quick when the environment variable `SIGNLANG_QUICK` is set to
    /// anything but `0` or empty.
    pub fn from_env() -> Scale {
        let quick = std::env::var("SIGNLANG_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        Scale { quick }
    }

    /// The study's folder under `runs/` in the project: `runs/<name>`, or
    /// `runs/<name>-quick` in quick mode. `SIGNLANG_STUDY_DIR` overrides it.
    pub fn study_dir(&self, name: &str) -> PathBuf {
        if let Some(dir) = std::env::var_os("SIGNLANG_STUDY_DIR") {
            return PathBuf::from(dir);
        }
        let name = if self.quick {
            format!("{name}-quick")
        } else {
            name.to_string()
        };
        crate::data::project_root().join("runs").join(name)
    }

    /// The run budget: 50, in quick mode too (the app notebook spends the
    /// rest of the assignment's budget; still enforced).
    pub fn budget(&self) -> usize {
        super::DEFAULT_BUDGET
    }

    /// Epochs for a run planned at `full` epochs: 1 in quick mode.
    pub fn epochs(&self, full: usize) -> usize {
        if self.quick {
            1
        } else {
            full
        }
    }

    /// The training images to use: all of them, or every 10th in quick mode.
    pub fn training_data(&self, train: &Dataset) -> Dataset {
        if self.quick {
            let idx: Vec<usize> = (0..train.len()).step_by(10).collect();
            train.subset(&format!("{} (quick: every 10th)", train.name), &idx)
        } else {
            train.clone()
        }
    }

    /// The training images for searches: every 3rd, or every 30th in quick
    /// mode. The training CSV is made of augmented near-copies, so a third
    /// of it ranks candidates as well as all of it, three times faster.
    pub fn search_data(&self, train: &Dataset) -> Dataset {
        let step = if self.quick { 30 } else { 3 };
        let idx: Vec<usize> = (0..train.len()).step_by(step).collect();
        train.subset(
            &format!("{} (every {step}th, for searches)", train.name),
            &idx,
        )
    }

    /// A line saying which mode this is.
    pub fn describe(&self) -> String {
        if self.quick {
            "QUICK MODE (SIGNLANG_QUICK=1): every 10th training image, 1 epoch per run, budget 50. The figures below are not the study's results.".to_string()
        } else {
            "Full study: all training images, planned epochs, budget 50.".to_string()
        }
    }
}

//! Where and how to train: the device, the progress display and its
//! events, and the stop flag ([`TrainOptions`]).

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use tch::Device;

use super::history::EpochStats;

/// Something for a progress display to show.
#[derive(Clone, Debug)]
pub enum ProgressEvent<'a> {
    /// Training starts.
    Start {
        /// Maximum number of epochs.
        epochs: usize,
        /// Batches in each epoch.
        batches_per_epoch: usize,
    },
    /// A training batch finished.
    Batch {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// Batches in the epoch.
        batches: usize,
    },
    /// An epoch finished (validation included).
    Epoch(&'a EpochStats),
}

/// How the trainer reports progress.
pub enum Progress {
    /// Nothing.
    Silent,
    /// One printed line per epoch (the notebook).
    Lines,
    /// A callback for every [`ProgressEvent`] (the CLI drives an indicatif bar with it).
    Callback(Box<dyn FnMut(&ProgressEvent<'_>) + Send>),
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Progress::Silent => "Silent",
            Progress::Lines => "Lines",
            Progress::Callback(_) => "Callback(..)",
        })
    }
}

/// Where and how to train (does not change results on the CPU).
#[derive(Debug)]
pub struct TrainOptions {
    /// Device to train on.
    pub device: Device,
    /// Progress display.
    pub progress: Progress,
    /// When set to true (Ctrl-C, notebook interrupt), the run ends after the
    /// current batch with [`crate::train::RunStatus::Interrupted`].
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            device: Device::cuda_if_available(),
            progress: Progress::Lines,
            stop: None,
        }
    }
}

//! Adapting a trained model to real photos, and what that buys: a labelled
//! photo folder with source photos ([`photos`]), seeded draws of `k` source
//! photos per letter ([`draw`]), adaptation as study runs ([`tune`]:
//! fine-tuning, or class means of frozen features), the learning curve on a
//! measuring folder ([`curve`]), near-duplicate partners between the
//! measuring and the training folder ([`partners`]) and the export of an
//! adapted model ([`export`]).
//!
//! Adapting is training: every adapted model is a run of a
//! [`crate::study::Study`], recorded in its ledger and counted in its
//! budget, keyed by its config, whose [`crate::train::Init`] names the
//! starting weights by their SHA-256. Asking again trains nothing.
//!
//! Settings are fixed before any photo is seen ([`fine_tune_config`]); the
//! best epoch and the best adapted model are chosen on held-out source
//! photos of the training folder, never on the measuring folder.

pub mod app;
pub mod curve;
pub mod draw;
pub mod export;
pub mod partners;
#[cfg(test)]
mod partners_tests;
pub mod photos;
mod report;
pub mod tune;

use std::path::PathBuf;

pub use app::{adapt_export, AdaptOptions, AdaptOutcome, STUDY_SUBDIR};
pub use curve::{learning_curve, CurveConfig, CurvePoint, LearningCurve};
pub use draw::{draw, holdout, PerLetter};
pub use export::{check_out_dir, export_adapted, AdaptedExport};
pub use partners::{Partner, Partners, CLOSE_PARTNER, PARTNER_SIDE};
pub use photos::{load_photos, parse_name, Photos};
pub use tune::{
    adapt_run, class_means, class_means_config, fine_tune_config, load_net, score, Base,
};

/// Why adapting could not go on. Each message is one line naming the file
/// or folder and the fix.
#[derive(Debug, thiserror::Error)]
pub enum AdaptError {
    /// An image file could not be read.
    #[error(
        "{path}: cannot read this image ({reason}); replace it with a PNG or JPEG of one hand, \
         or move it out of the folder"
    )]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file name does not start with one of the 24 letters.
    #[error(
        "{path}: the name starts with '{found}', not one of the 24 letters A–Y without J; \
         name photos <LETTER>_<source>_<version>.jpg (e.g. A_11_2.jpg)"
    )]
    UnknownLetter {
        /// The file.
        path: PathBuf,
        /// The first character of its name.
        found: char,
    },
    /// The folder has no images.
    #[error(
        "{dir}: no .jpg, .jpeg or .png photos; put photos named <LETTER>_<source>_<version>.jpg \
         there"
    )]
    EmptyFolder {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder could not be listed.
    #[error("{dir}: cannot list the folder ({reason}); pass a readable folder of photos")]
    Folder {
        /// The folder.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
    /// A letter has too few source photos.
    #[error(
        "{dir}: letter {letter} has {found} source photo(s), {needed} needed ({why}); add photos \
         of {letter}"
    )]
    TooFew {
        /// The folder.
        dir: PathBuf,
        /// The letter.
        letter: char,
        /// Source photos found.
        found: usize,
        /// Source photos needed.
        needed: usize,
        /// What they are needed for.
        why: String,
    },
    /// A model folder is not an export.
    #[error(
        "{dir} is not an exported model: {missing} is missing; pass a folder written by the \
         export (spec.json and model.safetensors)"
    )]
    NotAnExport {
        /// The folder.
        dir: PathBuf,
        /// The missing file.
        missing: String,
    },
    /// A file of an export could not be read.
    #[error("{path}: {reason}; export the model again")]
    BadExport {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The output folder holds files already.
    #[error("{dir} exists and is not empty; pass --force (force = true) to write over it, or another folder")]
    OutExists {
        /// The folder.
        dir: PathBuf,
    },
    /// Not enough runs left in the study's budget.
    #[error(
        "{dir}: the plan needs {needed} new runs but the study has {left} left; plan fewer draws \
         or sizes (CurveConfig)"
    )]
    Budget {
        /// The study folder.
        dir: PathBuf,
        /// New runs the plan needs.
        needed: usize,
        /// Runs left.
        left: usize,
    },
    /// A share outside (0, 1).
    #[error("hold-out share {0} must be between 0 and 1 (e.g. 0.25)")]
    BadShare(f64),
    /// The study refused or a run failed.
    #[error(transparent)]
    Study(#[from] crate::study::StudyError),
    /// Exporting failed.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// Calibration failed.
    #[error(transparent)]
    Calibrate(#[from] crate::calibrate::CalibrateError),
    /// libtorch failed.
    #[error("libtorch: {0}")]
    Torch(#[from] tch::TchError),
}

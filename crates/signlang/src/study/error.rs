//! [`StudyError`]: everything the study refuses or reports, each with what
//! to do next.

use std::path::PathBuf;

use super::format::{FORMAT_VERSION, LEDGER_FILE};

/// Errors of the study ledger.
#[derive(Debug, thiserror::Error)]
pub enum StudyError {
    /// No run is recorded for a named choice.
    #[error("{path} records no choice named {name:?}: run the notebook that makes it first (notebooks/assignment.ipynb records \"app\")")]
    NoChoice {
        /// The choice.
        name: String,
        /// The choices file.
        path: PathBuf,
    },
    /// The choices file cannot be read as JSON.
    #[error("{path} is not a valid choices file ({reason}): delete it and re-run notebooks/assignment.ipynb")]
    BadChoices {
        /// The choices file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file operation failed.
    #[error("could not {action} {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder holds no ledger.
    #[error("{dir} holds no study (no {LEDGER_FILE}); create one with Study::create or Study::open_or_create")]
    NotAStudy {
        /// The folder.
        dir: PathBuf,
    },
    /// `create` found a ledger already.
    #[error("{dir} already holds a study; open it with Study::open, or start a new study on purpose in a new folder")]
    AlreadyExists {
        /// The folder.
        dir: PathBuf,
    },
    /// The ledger cannot be parsed.
    #[error("the study ledger {path} is corrupt: {detail}. It was left untouched and nothing was reset; restore it (backup, version control) or start a new study in a new folder")]
    CorruptLedger {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The ledger has another format version.
    #[error("the study ledger {path} has format_version {found}, but this library reads format {FORMAT_VERSION}; use a matching signlang version, or start a new study in a new folder")]
    UnsupportedFormat {
        /// The ledger file.
        path: PathBuf,
        /// The version found ("none" when missing).
        found: String,
    },
    /// The checksum does not match: the file was edited by hand or damaged.
    #[error("the study ledger {path} was edited by hand or damaged: its checksum does not match its content, so its runs and budget cannot be trusted and it is not used. Restore the file, or start a new study in a new folder")]
    EditedLedger {
        /// The ledger file.
        path: PathBuf,
    },
    /// The ledger parses but contradicts itself.
    #[error("the study ledger {path} is inconsistent: {problem}. Restore the file, or start a new study in a new folder")]
    InconsistentLedger {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A budget of 0 was asked for.
    #[error("a study needs a budget of at least 1 run")]
    InvalidBudget,
    /// `open_or_create` was given another budget than the stored one.
    #[error("the study in {dir} was created with a budget of {stored} runs, not {requested}; the budget is fixed at creation. Use {stored}, or start a new study on purpose in a new folder")]
    BudgetMismatch {
        /// The folder.
        dir: PathBuf,
        /// Budget in the ledger.
        stored: usize,
        /// Budget asked for.
        requested: usize,
    },
    /// The budget is spent; nothing was trained.
    #[error("run refused before training: the study in {dir} has used {used} / {budget} runs. Recorded runs can still be reused for free (same model, config, seed and data), compared and evaluated; for more training, start a new study on purpose in a new folder")]
    BudgetExhausted {
        /// The folder.
        dir: PathBuf,
        /// Runs used.
        used: usize,
        /// The budget.
        budget: usize,
    },
    /// A plan needs more new runs than are left.
    #[error("plan \"{plan}\" refused before training: it needs up to {new_runs} new runs ({cached} more are recorded and free), but only {remaining} of {budget} remain. Shrink the plan (fewer values, samples or rungs) or reuse recorded runs")]
    PlanOverBudget {
        /// The plan's name.
        plan: String,
        /// New (uncached) runs it may need.
        new_runs: usize,
        /// Runs it would reuse.
        cached: usize,
        /// Runs left.
        remaining: usize,
        /// The budget.
        budget: usize,
    },
    /// Evaluating a recorded run failed.
    #[error("evaluating run {id}: {source}")]
    Evaluate {
        /// The run.
        id: String,
        /// The cause.
        source: crate::evaluate::EvaluateError,
    },
    /// A plan is malformed.
    #[error("plan \"{plan}\" is invalid: {problem}")]
    InvalidPlan {
        /// The plan's name.
        plan: String,
        /// What is wrong.
        problem: String,
    },
    /// The same run is being trained by a live process.
    #[error("run {id} (same model, config, seed and data) is being trained right now by process {pid}; wait for it, then ask again to get the recorded run")]
    RunInProgress {
        /// The run.
        id: String,
        /// The process training it.
        pid: u32,
    },
    /// The trainer failed (now, or when the run was recorded).
    #[error("run {id} failed: {message}. It counts against the budget; asking again returns this error; change the config or seed to try something else")]
    RunFailed {
        /// The run.
        id: String,
        /// The trainer's error.
        message: String,
    },
    /// The run was interrupted (stop flag).
    #[error("run {id} was interrupted after {epochs} epochs; it counts against the budget, and asking for it again trains it again")]
    Interrupted {
        /// The run.
        id: String,
        /// Epochs that finished.
        epochs: usize,
    },
    /// The trainer refused before training (bad spec, config or data).
    #[error("nothing was trained and no budget was spent: {message}")]
    NothingTrained {
        /// The trainer's message.
        message: String,
    },
    /// No run with that id.
    #[error("the study in {dir} has no run {id}")]
    UnknownRun {
        /// The folder.
        dir: PathBuf,
        /// The id asked for.
        id: String,
    },
    /// The run has no weights (not finished, diverged, or failed).
    #[error("run {id} has no weights (status {status}); only completed or early-stopped runs do")]
    NoWeights {
        /// The run.
        id: String,
        /// Its status.
        status: &'static str,
    },
    /// Saving or loading weights failed.
    #[error("could not {action} the weights of run {id} ({path}): {source}")]
    Weights {
        /// The run.
        id: String,
        /// The file.
        path: PathBuf,
        /// "save" or "load".
        action: &'static str,
        /// The cause.
        source: Box<tch::TchError>,
    },
    /// Predictions on the test split had the wrong shape.
    #[error("the model of run {id} returned probabilities of shape {shape:?} for {n} test images; expected [{n}, 24]")]
    BadPredictions {
        /// The run.
        id: String,
        /// Shape returned.
        shape: Vec<i64>,
        /// Number of test images.
        n: usize,
    },
    /// Exporting a run's model failed.
    #[error("export of run {id}: {source}")]
    Export {
        /// The run.
        id: String,
        /// What went wrong.
        source: crate::export::ExportError,
    },
    /// A robustness evaluation of a run failed.
    #[error("robustness evaluation of run {id}: {source}")]
    Robustness {
        /// The run.
        id: String,
        /// What went wrong.
        source: crate::corrupt::RobustnessError,
    },
}

impl StudyError {
    /// Wraps a robustness error of run `id` (for `map_err`).
    pub(crate) fn robustness(
        id: &str,
    ) -> impl FnOnce(crate::corrupt::RobustnessError) -> Self + '_ {
        move |source| StudyError::Robustness {
            id: id.to_string(),
            source,
        }
    }
}

//! The study ledger in one process: budget, cache, errors, views, weights.

mod study_common;

use std::cell::Cell;
use std::fs;

use signlang::study::{
    EntryStatus, Ledger, Study, StudyError, TrainerFailure, TrainerOutput, DEFAULT_BUDGET,
    LEDGER_FILE,
};
use signlang::train::{History, Progress, RunStatus, TrainOptions};
use study_common::{config, data, dataset, fake, fake_history, spec};
use tch::nn;

#[test]
fn the_51st_run_is_refused_before_training() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), DEFAULT_BUDGET).unwrap();
    let calls = Cell::new(0);
    for seed in 0..50 {
        let run = study
            .run_with(&spec(), &config(seed), &train, &val, fake(&calls))
            .unwrap();
        assert!(!run.cached);
    }
    assert_eq!(calls.get(), 50);
    let err = study
        .run_with(&spec(), &config(50), &train, &val, fake(&calls))
        .unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::BudgetExhausted {
                used: 50,
                budget: 50,
                ..
            }
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("50 / 50 runs"), "{msg}");
    assert!(
        msg.contains("reused for free") && msg.contains("new study"),
        "{msg}"
    );
    assert_eq!(calls.get(), 50, "the trainer must not be called");
    // The refusal holds for a fresh handle too, and recorded runs stay free.
    let mut again = Study::open(dir.path()).unwrap();
    assert_eq!(again.used(), 50);
    assert!(again
        .run_with(&spec(), &config(51), &train, &val, fake(&calls))
        .is_err());
    let cached = again
        .run_with(&spec(), &config(7), &train, &val, fake(&calls))
        .unwrap();
    assert!(cached.cached);
    assert_eq!(calls.get(), 50);
    assert_eq!(again.budget_line(), "50 / 50 runs used (1 cached request)");
}

#[test]
fn a_repeated_request_trains_nothing_and_spends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 5).unwrap();
    let calls = Cell::new(0);
    let first = study
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    let second = study
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    assert_eq!((calls.get(), study.used()), (1, 1));
    assert!(!first.cached && second.cached);
    assert_eq!(first.entry, second.entry);
    // Re-running the whole notebook: a new handle on the same folder.
    let mut rerun = Study::open_or_create(dir.path(), 5).unwrap();
    let third = rerun
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    assert!(third.cached);
    assert_eq!((calls.get(), rerun.used()), (1, 1));
    // Anything in the key makes a new run: lr, epochs, seed, data.
    let mut lr = config(1);
    lr.lr = 3e-3;
    let mut epochs = config(1);
    epochs.epochs = 4;
    let other_val = dataset("validation", 24, 9);
    rerun
        .run_with(&spec(), &lr, &train, &val, fake(&calls))
        .unwrap();
    rerun
        .run_with(&spec(), &epochs, &train, &val, fake(&calls))
        .unwrap();
    rerun
        .run_with(&spec(), &config(2), &train, &val, fake(&calls))
        .unwrap();
    rerun
        .run_with(&spec(), &config(1), &train, &other_val, fake(&calls))
        .unwrap();
    assert_eq!((calls.get(), rerun.used()), (5, 5));
    // The data set's name is not in the key.
    let mut renamed = val.clone();
    renamed.name = "val".into();
    assert!(
        rerun
            .run_with(&spec(), &config(1), &train, &renamed, fake(&calls))
            .unwrap()
            .cached
    );
    assert!(rerun.lookup(&spec(), &config(2), &train, &val).is_some());
}

#[test]
fn interrupted_and_failed_runs_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 10).unwrap();
    let calls = Cell::new(0);
    let interrupted = |_: &_, c: &_, _: &_, _: &_| -> Result<TrainerOutput, String> {
        calls.set(calls.get() + 1);
        let mut h: History = fake_history(c);
        h.epochs.truncate(1);
        h.status = RunStatus::Interrupted;
        Ok(TrainerOutput {
            history: h,
            weights: None,
        })
    };
    let err = study
        .run_with(&spec(), &config(1), &train, &val, interrupted)
        .unwrap_err();
    assert!(
        matches!(err, StudyError::Interrupted { epochs: 1, .. }),
        "{err}"
    );
    assert_eq!(study.used(), 1);
    assert_eq!(study.runs()[0].status, EntryStatus::Interrupted);
    // Asking again trains again (one more run).
    let run = study
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    assert!(!run.cached);
    assert_eq!((calls.get(), study.used()), (2, 2));

    let failing = |_: &_, _: &_, _: &_, _: &_| -> Result<TrainerOutput, String> {
        calls.set(calls.get() + 1);
        Err("out of memory".into())
    };
    let err = study
        .run_with(&spec(), &config(2), &train, &val, failing)
        .unwrap_err();
    assert!(err.to_string().contains("out of memory"), "{err}");
    // Asking again returns the recorded failure without training.
    let err = study
        .run_with(&spec(), &config(2), &train, &val, fake(&calls))
        .unwrap_err();
    assert!(matches!(err, StudyError::RunFailed { .. }), "{err}");
    assert_eq!((calls.get(), study.used()), (3, 3));
    // A panicking trainer is recorded as failed too.
    let err = study
        .run_with(
            &spec(),
            &config(3),
            &train,
            &val,
            |_, _, _, _| -> Result<TrainerOutput, String> { panic!("boom") },
        )
        .unwrap_err();
    assert!(err.to_string().contains("panicked: boom"), "{err}");
    assert_eq!(study.used(), 4);
    assert_eq!(
        study.budget_line(),
        "4 / 10 runs used (1 interrupted, 2 failed, 1 cached request)"
    );
}

#[test]
fn corrupt_or_edited_ledgers_get_clear_errors_and_are_not_reset() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 5).unwrap();
    let calls = Cell::new(0);
    for seed in 0..3 {
        study
            .run_with(&spec(), &config(seed), &train, &val, fake(&calls))
            .unwrap();
    }
    let path = dir.path().join(LEDGER_FILE);
    let good = fs::read_to_string(&path).unwrap();
    let path_text = path.display().to_string();

    let cases: Vec<(String, &str)> = vec![
        (good[..good.len() / 2].to_string(), "not valid JSON"),
        (
            good.replace("\"format_version\": 1", "\"format_version\": 2"),
            "format_version 2",
        ),
        (
            good.replace("\"budget\": 5", "\"budget\": 2"),
            "edited by hand",
        ),
        (
            good.replace("\"budget\": 5", "\"budget\": 500"),
            "edited by hand",
        ),
        (
            good.replacen("\"completed\"", "\"running\"", 1),
            "edited by hand",
        ),
        ("[1, 2]".to_string(), "not a JSON object"),
    ];
    for (text, expected) in cases {
        assert_ne!(text, good);
        fs::write(&path, &text).unwrap();
        let err = Study::open(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(expected), "{expected}: {msg}");
        assert!(msg.contains(&path_text), "names the file: {msg}");
        assert!(msg.contains("new study"), "says the fix: {msg}");
        // Running with a handle opened before the damage is refused too.
        assert!(study
            .run_with(&spec(), &config(9), &train, &val, fake(&calls))
            .is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "never reset");
    }
    assert_eq!(calls.get(), 3);
    fs::write(&path, &good).unwrap();
    assert_eq!(Study::open(dir.path()).unwrap().used(), 3);

    // A consistent checksum over inconsistent content is still refused.
    let mut ledger = Ledger::parse(&path, &good).unwrap();
    ledger.budget = 2;
    let err = Ledger::parse(&path, &ledger.to_text()).unwrap_err();
    assert!(
        err.to_string()
            .contains("records 3 runs but its budget is 2"),
        "{err}"
    );

    let missing = dir.path().join("nothing-here");
    let err = Study::open(&missing).unwrap_err();
    assert!(matches!(err, StudyError::NotAStudy { .. }), "{err}");
    let err = Study::open_or_create(dir.path(), 50).unwrap_err();
    assert!(
        matches!(
            err,
            StudyError::BudgetMismatch {
                stored: 5,
                requested: 50,
                ..
            }
        ),
        "{err}"
    );
    assert!(matches!(
        Study::create(dir.path(), 5),
        Err(StudyError::AlreadyExists { .. })
    ));
}

#[test]
fn views_show_runs_best_k_and_budget() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 50).unwrap();
    let calls = Cell::new(0);
    for (seed, lr) in [(1, 1e-2), (2, 1e-3), (3, 1e-4)] {
        let mut c = config(seed);
        c.lr = lr;
        study
            .run_with(&spec(), &c, &train, &val, fake(&calls))
            .unwrap();
    }
    study
        .run_with(&spec(), &config(9), &train, &val, |_, _, _, _| Err("bad"))
        .unwrap_err();

    let best = study.best(2);
    assert_eq!(
        best.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["r002", "r001"]
    );
    let table = study.table();
    assert_eq!(table.rows.len(), 4);
    assert_eq!(table.rows[3].status, "failed");
    assert_eq!(table.rows[1].epochs, 3);
    let text = table.to_string();
    assert!(
        text.starts_with("4 / 50 runs used (1 failed, 0 cached requests)\n"),
        "{text}"
    );
    assert!(
        text.contains("dense 8 relu | adam lr=0.001 bs=16 3ep seed=2"),
        "{text}"
    );
    assert!(table
        .to_display()
        .html
        .contains("<td style=\"padding:2px 8px\">r003</td>"));
    let expected = study_common::fake_accuracy(&study.runs()[1].config, 3);
    assert_eq!(table.rows[1].best_val_accuracy, Some(expected));
    assert_eq!(
        table
            .rows
            .iter()
            .filter(|r| r.best_val_accuracy.is_none())
            .count(),
        1
    );
}

#[test]
fn weights_are_saved_as_safetensors_and_load_back() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 3).unwrap();
    let run = study
        .run_with(
            &spec(),
            &config(4),
            &train,
            &val,
            |_, c, _, _| -> Result<_, String> {
                let vs = nn::VarStore::new(tch::Device::Cpu);
                let mut w = vs.root().zeros("w", &[3]);
                tch::no_grad(|| w.f_copy_(&tch::Tensor::from_slice(&[1.5f32, -2.0, 4.25])))
                    .unwrap();
                Ok(TrainerOutput {
                    history: fake_history(c),
                    weights: Some(vs),
                })
            },
        )
        .unwrap();
    let path = study.weights_path(run.id()).unwrap();
    assert_eq!(path, dir.path().join("weights/r001.safetensors"));
    assert!(path.exists());
    let mut vs = nn::VarStore::new(tch::Device::Cpu);
    let w = vs.root().zeros("w", &[3]);
    study.load_weights_into(run.id(), &mut vs).unwrap();
    assert_eq!(Vec::<f32>::try_from(&w).unwrap(), [1.5, -2.0, 4.25]);
    // No leftover temporary files.
    let names: Vec<_> = fs::read_dir(dir.path().join("weights"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn a_refusal_before_training_spends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 2).unwrap();
    let calls = Cell::new(0);
    study
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    let err = study
        .run_with(&spec(), &config(2), &train, &val, |_, _, _, _| {
            Err::<TrainerOutput, _>(TrainerFailure::nothing_trained("lr = -1 is out of range"))
        })
        .unwrap_err();
    assert!(matches!(err, StudyError::NothingTrained { .. }), "{err}");
    assert!(
        err.to_string().contains("no budget was spent: lr = -1"),
        "{err}"
    );
    assert_eq!(study.used(), 1);
    assert_eq!(Study::open(dir.path()).unwrap().used(), 1);
    // The slot is free again: the last run fits and gets the next id.
    let run = study
        .run_with(&spec(), &config(2), &train, &val, fake(&calls))
        .unwrap();
    assert_eq!(run.id(), "r002");
    assert_eq!(study.used(), 2);
}

/// A config the trainer refuses (lr = -1) costs no run, whether the study
/// calls the project's trainer itself (`run`) or is handed it (`run_with`).
#[test]
fn a_refused_config_costs_no_run_through_either_entry_point() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 2).unwrap();
    let mut bad = config(1);
    bad.lr = -1.0;
    let silent = || TrainOptions {
        device: tch::Device::Cpu,
        progress: Progress::Silent,
        stop: None,
    };
    let err = study
        .run(&spec(), &bad, &train, &val, silent())
        .unwrap_err();
    assert!(matches!(err, StudyError::NothingTrained { .. }), "{err}");
    assert_eq!(study.used(), 0);
    let err = study
        .run_with(&spec(), &bad, &train, &val, |s, c, t, v| {
            signlang::train::train(s, c, t, v, silent()).map(TrainerOutput::from)
        })
        .unwrap_err();
    assert!(matches!(err, StudyError::NothingTrained { .. }), "{err}");
    assert_eq!(study.used(), 0);
    assert!(study.runs().is_empty());
    assert_eq!(Study::open(dir.path()).unwrap().used(), 0);
}

#[test]
fn a_recorded_choice_reads_back_and_must_name_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), DEFAULT_BUDGET).unwrap();
    assert!(matches!(
        study.choice("app"),
        Err(StudyError::NoChoice { .. })
    ));
    let calls = Cell::new(0);
    let run = study
        .run_with(&spec(), &config(1), &train, &val, fake(&calls))
        .unwrap();
    assert!(
        study.record_choice("app", "r999").is_err(),
        "r999 is not in the ledger"
    );
    study.record_choice("app", &run.entry.id).unwrap();
    let reopened = Study::open(dir.path()).unwrap();
    assert_eq!(reopened.choice("app").unwrap(), run.entry.id);
}

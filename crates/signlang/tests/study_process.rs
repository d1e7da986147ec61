//! The study ledger across processes: a kill in the middle of a run, and two
//! processes racing for the last run.
//!
//! The child processes are this test binary itself, re-invoked to run the
//! ignored `child` test with `STUDY_CHILD` set.

mod study_common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use signlang::study::{EntryStatus, Study, StudyError, TrainerOutput};
use study_common::{config, data, fake_history, spec};

/// Starts `child` in a new process: `STUDY_CHILD=<mode>:<dir>:<seed>`.
fn spawn(mode: &str, dir: &Path, seed: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("STUDY_CHILD", format!("{mode}:{}:{seed}", dir.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until `path` exists; panics after two minutes (a stuck child).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "child never wrote {}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The child side. `slow`: start a run whose trainer writes `started` and
/// then sleeps for a minute (it is killed before). `race`: wait for `go`,
/// (after writing `ready-<seed>`), then ask for one run whose trainer writes `trained-<seed>` and sleeps
/// 300 ms; print RESULT=trained / RESULT=refused.
#[test]
#[ignore = "child process of the other tests in this file"]
fn child() {
    let Ok(spec_text) = std::env::var("STUDY_CHILD") else {
        return;
    };
    let mut parts = spec_text.splitn(3, ':');
    let mode = parts.next().unwrap().to_string();
    let dir = PathBuf::from(parts.next().unwrap());
    let seed: u64 = parts.next().unwrap().parse().unwrap();
    let (train, val) = data();
    if mode == "race" {
        // Start together: say ready, then spin until the parent says go.
        std::fs::write(dir.join(format!("ready-{seed}")), b"").unwrap();
        while !dir.join("go").exists() {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    let mut study = Study::open(&dir).unwrap();
    let marker_dir = dir.clone();
    let result = study.run_with(&spec(), &config(seed), &train, &val, move |_, c, _, _| {
        if mode == "slow" {
            std::fs::write(marker_dir.join("started"), b"").unwrap();
            std::thread::sleep(Duration::from_secs(60));
        } else {
            std::fs::write(marker_dir.join(format!("trained-{seed}")), b"").unwrap();
            std::thread::sleep(Duration::from_millis(300));
        }
        Ok::<_, String>(TrainerOutput {
            history: fake_history(c),
            weights: None,
        })
    });
    match result {
        Ok(_) => println!("RESULT=trained"),
        Err(StudyError::BudgetExhausted { .. }) => println!("RESULT=refused"),
        Err(e) => println!("RESULT=error {e}"),
    }
}

#[test]
fn a_kill_in_the_middle_of_a_run_leaves_a_valid_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 5).unwrap();
    study
        .run_with(&spec(), &config(1), &train, &val, |_, c, _, _| {
            Ok::<_, String>(TrainerOutput {
                history: fake_history(c),
                weights: None,
            })
        })
        .unwrap();

    let mut child = spawn("slow", dir.path(), 2);
    wait_for(&dir.path().join("started"));
    // While the child trains, its run is reserved and shown as running.
    let live = Study::open(dir.path()).unwrap();
    assert_eq!(live.used(), 2);
    assert_eq!(live.runs()[1].status, EntryStatus::Running);
    assert_eq!(live.runs()[1].pid, child.id());
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let mut after = Study::open(dir.path()).unwrap();
    assert_eq!(after.used(), 2, "the killed run is counted");
    let killed = &after.runs()[1];
    assert_eq!(killed.status, EntryStatus::Interrupted);
    assert!(killed.message.as_deref().unwrap().contains("killed"));
    assert_eq!(after.runs()[0].status, EntryStatus::Completed);
    assert!(after
        .budget_line()
        .starts_with("2 / 5 runs used (1 interrupted"));
    // The interrupted request can be run again (one more run).
    let again = after
        .run_with(&spec(), &config(2), &train, &val, |_, c, _, _| {
            Ok::<_, String>(TrainerOutput {
                history: fake_history(c),
                weights: None,
            })
        })
        .unwrap();
    assert!(!again.cached);
    assert_eq!(after.used(), 3);
}

#[test]
fn two_processes_racing_for_the_last_run_spend_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let (train, val) = data();
    let mut study = Study::create(dir.path(), 2).unwrap();
    study
        .run_with(&spec(), &config(1), &train, &val, |_, c, _, _| {
            Ok::<_, String>(TrainerOutput {
                history: fake_history(c),
                weights: None,
            })
        })
        .unwrap();
    let children = [spawn("race", dir.path(), 10), spawn("race", dir.path(), 11)];
    wait_for(&dir.path().join("ready-10"));
    wait_for(&dir.path().join("ready-11"));
    std::fs::write(dir.path().join("go"), b"").unwrap();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    let count = |what: &str| outputs.iter().filter(|o| o.contains(what)).count();
    assert_eq!(
        (count("RESULT=trained"), count("RESULT=refused")),
        (1, 1),
        "{outputs:?}"
    );
    let trained = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("trained-")
        })
        .count();
    assert_eq!(trained, 1, "exactly one trainer ran");
    let after = Study::open(dir.path()).unwrap();
    assert_eq!(after.used(), 2);
    assert!(after
        .runs()
        .iter()
        .all(|r| r.status == EntryStatus::Completed));
}

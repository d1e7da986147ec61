//! `signlang adapt` end to end on a generated photo folder: before/after
//! lines, an export that `signlang predict` reads, no overwrite without
//! `--force` (and then the recorded run, not a new one), and a folder that
//! is not an export.

use std::path::Path;
use std::process::{Command, Output};

use signlang::testing::{export_small, write_letter_photos};

fn signlang(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_signlang"))
        .args(args)
        .output()
        .unwrap()
}

fn text(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn adapt_writes_an_export_that_predict_reads_and_never_overwrites_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let (model, photos, out) = (
        tmp.path().join("m"),
        tmp.path().join("p"),
        tmp.path().join("o"),
    );
    export_small(&model, 5);
    write_letter_photos(&photos, 3, 2);
    let args = [
        text(&model),
        text(&photos),
        "--out",
        text(&out),
        "--epochs",
        "1",
    ];
    let first = signlang(&[&["adapt"], &args[..]].concat());
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("before (the exported model):"), "{stdout}");
    assert!(
        stdout.contains("after (adapted):") && stdout.contains("on 24 photos"),
        "{stdout}"
    );
    let predicted = signlang(&["predict", text(&out), text(&photos.join("A_0_1.png"))]);
    assert!(predicted.status.success());
    assert!(String::from_utf8_lossy(&predicted.stdout).contains("A_0_1.png: "));

    let again = signlang(&[&["adapt"], &args[..]].concat());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && stderr.contains("--force"),
        "{stderr}"
    );
    let forced = signlang(&[&["adapt"], &args[..], &["--force"]].concat());
    assert!(forced.status.success());
    let stdout = String::from_utf8_lossy(&forced.stdout);
    assert!(
        stdout.contains("recorded before, nothing trained"),
        "{stdout}"
    );

    let not_export = signlang(&[
        "adapt",
        text(&photos),
        text(&photos),
        "--out",
        text(&tmp.path().join("x")),
    ]);
    let stderr = String::from_utf8_lossy(&not_export.stderr);
    assert!(!not_export.status.success(), "{stderr}");
    assert!(
        stderr.contains("is not an exported model: spec.json is missing"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

//! `signlang data check`: exit 0 with a report for a readable file (problems
//! included), non-zero with one clear line for a file that is not this format.

use std::path::PathBuf;
use std::process::Command;

fn signlang() -> Command {
    Command::new(env!("CARGO_BIN_EXE_signlang"))
}

fn data(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(file)
}

#[test]
fn real_test_csv_is_reported_clean_and_figures_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = signlang()
        .args(["data", "check"])
        .arg(data("sign_mnist_test.csv.gz"))
        .arg("--figures")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("7172"), "{stdout}");
    assert!(stdout.contains("24 of 24"), "{stdout}");
    assert!(stdout.contains("kept 7172 rows, dropped 0"), "{stdout}");
    let svg = std::fs::read_to_string(dir.path().join("class_distribution.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("Class distribution"));
    assert!(dir.path().join("samples_1.svg").is_file());
}

#[test]
fn problems_are_listed_with_exit_0_and_unreadable_files_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("label");
    for i in 1..=784 {
        text += &format!(",pixel{i}");
    }
    text += "\n";
    for label in [3, 9] {
        text += &label.to_string();
        text += &",0".repeat(784);
        text += "\n";
    }
    let bad_rows = dir.path().join("rows.csv");
    std::fs::write(&bad_rows, text).unwrap();
    let out = signlang()
        .args(["data", "check"])
        .arg(&bad_rows)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(stdout.contains("row 2 (line 3): label 9 (J)"), "{stdout}");

    let not_gz = dir.path().join("x.csv.gz");
    std::fs::write(&not_gz, "label\n").unwrap();
    let out = signlang()
        .args(["data", "check"])
        .arg(&not_gz)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("x.csv.gz") && stderr.contains("not gzip"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn spreadsheet_csvs_a_bom_is_noted_and_utf16_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("label");
    for i in 1..=784 {
        text += &format!(",pixel{i}");
    }
    text += "\r\n3";
    text += &",0".repeat(784);
    text += "\r\n";
    let bom = dir.path().join("excel.csv");
    std::fs::write(&bom, [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat()).unwrap();
    let out = signlang()
        .args(["data", "check"])
        .arg(&bom)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Note: the file starts with a UTF-8 byte-order mark"),
        "{stdout}"
    );

    let utf16 = dir.path().join("utf16.csv");
    let bytes: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    std::fs::write(&utf16, bytes).unwrap();
    let out = signlang()
        .args(["data", "check"])
        .arg(&utf16)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("utf16.csv") && stderr.contains("UTF-16"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

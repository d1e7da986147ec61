//! Spreadsheet-made CSVs: a UTF-8 byte-order mark is accepted and noted;
//! UTF-16 and binary files get one clear line naming the file; texts quoted
//! in messages are escaped and cut.

use std::path::{Path, PathBuf};

use signlang::data::load::quote;
use signlang::data::{check, load_raw, DataError, ProblemKind};

fn csv(rows: usize, eol: &str) -> String {
    let mut text = String::from("label");
    for i in 1..=784 {
        text += &format!(",pixel{i}");
    }
    text += eol;
    for r in 0..rows {
        let cells: Vec<String> = std::iter::once((r % 24 + (r % 24 >= 9) as usize).to_string())
            .chain((0..784).map(|i| ((i * 7 + r * 13) % 256).to_string()))
            .collect();
        text += &cells.join(",");
        text += eol;
    }
    text
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_utf8_bom_is_accepted_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(csv(4, "\r\n").bytes());
    let path = write(dir.path(), "excel.csv", &bytes);
    let raw = load_raw(&path).unwrap();
    assert!(raw.utf8_bom);
    assert_eq!(raw.len(), 4);
    let report = check(&raw);
    assert!(report.is_clean(), "{:?}", report.problems);
    assert!(report.utf8_bom);
    let shown = report.to_string();
    assert!(
        shown.contains("Note: the file starts with a UTF-8 byte-order mark"),
        "{shown}"
    );
    assert!(report.to_display().html.contains("byte-order mark"));

    // Without the mark: no note.
    let plain = write(dir.path(), "plain.csv", csv(4, "\n").as_bytes());
    let report = check(&load_raw(&plain).unwrap());
    assert!(!report.utf8_bom && report.notes().is_empty());
    assert!(!report.to_string().contains("Note:"));
}

#[test]
fn a_cr_inside_a_cell_is_reported_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let text = csv(3, "\n");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[5] = "20\r4".into();
    cells[9] = "\u{0}\u{1f}x".into();
    lines[2] = cells.join(",");
    let path = write(dir.path(), "cr.csv", (lines.join("\n") + "\n").as_bytes());
    let report = check(&load_raw(&path).unwrap());
    assert_eq!(report.invalid_rows, vec![2], "{:?}", report.problems);
    let texts: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    assert!(
        texts.contains(&r#"row 2 (line 3): column pixel5 is "20\r4", not an integer"#.to_string()),
        "{texts:?}"
    );
    assert!(
        texts.contains(
            &r#"row 2 (line 3): column pixel9 is "\x00\x1fx", not an integer"#.to_string()
        ),
        "{texts:?}"
    );
    assert!(report
        .problems
        .iter()
        .any(|p| matches!(&p.kind, ProblemKind::NotANumber { text, .. } if text == "20\r4")));
    // The printed report holds no raw control characters.
    let shown = report.to_string();
    assert!(
        !shown.contains('\r') && !shown.contains('\u{0}'),
        "{shown:?}"
    );
}

#[test]
fn long_texts_are_cut_in_messages() {
    let long = "x".repeat(100);
    assert_eq!(
        quote(&long),
        format!("\"{}\"… (100 characters)", "x".repeat(40))
    );
    assert_eq!(quote("ok"), "\"ok\"");
    assert_eq!(quote("a\"b\\c\td\n"), r#""a\"b\\c\td\n""#);
    let dir = tempfile::tempdir().unwrap();
    let text = csv(2, "\n").replacen("pixel3,", &format!("{long},"), 1);
    let path = write(dir.path(), "header.csv", text.as_bytes());
    let msg = load_raw(&path).unwrap_err().to_string();
    assert!(
        msg.contains(&format!("found \"{}\"… (100 characters)", "x".repeat(40))),
        "{msg}"
    );
}

fn one_line_error(name: &str, bytes: &[u8], says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    let err = load_raw(&path).unwrap_err();
    assert!(matches!(err, DataError::Encoding { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "not one line: {msg}");
    assert!(msg.starts_with(&path.display().to_string()), "{msg}");
    assert!(msg.contains(says), "{msg}");
}

#[test]
fn utf16_files_get_one_clear_line() {
    let text = csv(2, "\r\n");
    let mut le = vec![0xff, 0xfe];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    one_line_error("utf16.csv", &le, "UTF-16 (little-endian");
    let mut be = vec![0xfe, 0xff];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    one_line_error("utf16be.csv", &be, "UTF-16 (big-endian");
    let bare: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    one_line_error(
        "utf16-no-bom.csv",
        &bare,
        "UTF-16 without a byte-order mark",
    );
}

#[test]
fn binary_garbage_gets_one_clear_line() {
    // Deterministic pseudo-random bytes (an LCG), not valid UTF-8.
    let mut x: u32 = 12345;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8 | 0x80
        })
        .collect();
    one_line_error("garbage.csv", &bytes, "is not valid UTF-8");
    // Latin-1 text in a header: also not UTF-8, located by line.
    let mut latin1 = csv(1, "\n").into_bytes();
    latin1.extend(b"1,caf\xe9\n");
    one_line_error("latin1.csv", &latin1, "at line 3");
}

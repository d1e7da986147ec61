//! Bad input: every case is a generated fixture. Each gives a clear error or a
//! report entry naming the file and the 1-based row, never a panic, and rows
//! that are fine are never lost.

use flate2::write::GzEncoder;
use flate2::Compression;
use signlang::data::{check, fix, load_raw, DataError, ProblemKind};
use std::io::Write;
use std::path::{Path, PathBuf};

fn header() -> String {
    let mut h = String::from("label");
    for i in 1..=784 {
        h += &format!(",pixel{i}");
    }
    h
}

/// A valid row: label, then pixels derived from `seed`.
fn row(label: i64, seed: usize) -> Vec<String> {
    let mut r = vec![label.to_string()];
    r.extend((0..784).map(|i| ((i * 7 + seed * 13) % 256).to_string()));
    r
}

fn write_csv(dir: &Path, name: &str, rows: &[Vec<String>], eol: &str) -> PathBuf {
    let mut text = header() + eol;
    for r in rows {
        text += &r.join(",");
        text += eol;
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn five_good_rows() -> Vec<Vec<String>> {
    (0..5).map(|i| row([0, 1, 10, 24, 8][i], i)).collect()
}

/// Writes five good rows with row `bad` (1-based) replaced, and checks that
/// the report names that row with the expected problem and that fixing keeps
/// the other four.
fn one_bad_row(bad: Vec<String>, expect: impl Fn(&ProblemKind) -> bool) {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = five_good_rows();
    rows[2] = bad;
    let path = write_csv(dir.path(), "bad.csv", &rows, "\r\n");
    let raw = load_raw(&path).unwrap();
    let report = check(&raw);
    assert_eq!(report.rows, 5);
    assert_eq!(report.invalid_rows, vec![3], "{:?}", report.problems);
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.row == 3 && expect(&p.kind)),
        "{:?}",
        report.problems
    );
    let shown = report.to_string();
    assert!(
        shown.contains("bad.csv") && shown.contains("row 3 (line 4)"),
        "{shown}"
    );
    let (data, log) = fix(&raw, &report, "fixed");
    assert_eq!(data.len(), 4);
    assert_eq!(data.rows, vec![1, 2, 4, 5]);
    assert_eq!(log.dropped.len(), 1);
    assert_eq!(log.dropped[0].row, 3);
    // The kept rows are exactly the good ones, pixels intact.
    // Row 4 was written with seed 3: pixel1 = (1 * 7 + 3 * 13) % 256.
    assert_eq!(data.image(2)[1], 46);
    // The source file is untouched.
    assert_eq!(
        std::fs::read_to_string(&path).unwrap().lines().count(),
        6,
        "source file modified"
    );
}

#[test]
fn good_file_in_crlf_lf_and_gzip_loads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let rows = five_good_rows();
    let crlf = write_csv(dir.path(), "a.csv", &rows, "\r\n");
    let lf = write_csv(dir.path(), "b.csv", &rows, "\n");
    let gz = dir.path().join("c.csv.gz");
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(&std::fs::read(&crlf).unwrap()).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let load = |p: &Path| signlang::data::load_dataset(p).unwrap();
    let (a, b, c) = (load(&crlf), load(&lf), load(&gz));
    assert_eq!(a.len(), 5);
    assert_eq!(a.classes, vec![0, 1, 9, 23, 8]);
    assert_eq!(a.pixels, b.pixels);
    assert_eq!(a.pixels, c.pixels);
    assert!(load_raw(&crlf).unwrap().crlf);
    assert!(!load_raw(&lf).unwrap().crlf);
}

#[test]
fn gzip_of_two_members_loads_every_row() {
    // `cat a.gz b.gz` is a valid gzip file; the one-call inflater refuses it,
    // and the streaming decoder reads both members.
    let dir = tempfile::tempdir().unwrap();
    let plain = write_csv(dir.path(), "a.csv", &five_good_rows(), "\n");
    let text = std::fs::read(&plain).unwrap();
    let cut = text.len() / 2;
    let mut joined = Vec::new();
    for part in [&text[..cut], &text[cut..]] {
        let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
        enc.write_all(part).unwrap();
        joined.extend(enc.finish().unwrap());
    }
    let gz = dir.path().join("two.csv.gz");
    std::fs::write(&gz, joined).unwrap();
    let (a, b) = (
        signlang::data::load_dataset(&plain).unwrap(),
        signlang::data::load_dataset(&gz).unwrap(),
    );
    assert_eq!(b.len(), 5);
    assert_eq!(a.pixels, b.pixels);
    assert_eq!(a.classes, b.classes);
}

fn error_of(path: &Path) -> (DataError, String) {
    let e = load_raw(path).expect_err("should not load");
    let msg = e.to_string();
    assert!(
        msg.contains(&path.display().to_string()),
        "error does not name the file: {msg}"
    );
    (e, msg)
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let (e, _) = error_of(&dir.path().join("nope.csv"));
    assert!(matches!(e, DataError::Io { .. }));
}

#[test]
fn empty_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("empty.csv");
    std::fs::write(&p, "").unwrap();
    let (e, msg) = error_of(&p);
    assert!(matches!(e, DataError::Empty { .. }), "{msg}");
}

#[test]
fn gz_that_is_not_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("plain.csv.gz");
    std::fs::write(&p, header() + "\n").unwrap();
    let (e, msg) = error_of(&p);
    assert!(matches!(e, DataError::NotGzip { .. }), "{msg}");
}

#[test]
fn truncated_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write_csv(dir.path(), "a.csv", &five_good_rows(), "\n");
    let mut enc = GzEncoder::new(Vec::new(), Compression::default());
    enc.write_all(&std::fs::read(&csv).unwrap()).unwrap();
    let full = enc.finish().unwrap();
    let p = dir.path().join("cut.csv.gz");
    std::fs::write(&p, &full[..full.len() / 2]).unwrap();
    let (e, msg) = error_of(&p);
    assert!(matches!(e, DataError::BadGzip { .. }), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
}

#[test]
fn wrong_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.csv");
    let text = header().replace("pixel17,", "pixel_17,") + "\n" + &row(0, 0).join(",") + "\n";
    std::fs::write(&p, text).unwrap();
    let (e, msg) = error_of(&p);
    assert!(
        matches!(e, DataError::WrongHeader { column: 18, .. }),
        "{msg}"
    );
    assert!(msg.contains("pixel_17") && msg.contains("line 1"), "{msg}");
}

#[test]
fn missing_header() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("noheader.csv");
    std::fs::write(&p, row(3, 1).join(",") + "\n").unwrap();
    let (e, msg) = error_of(&p);
    assert!(matches!(e, DataError::MissingHeader { .. }), "{msg}");
    assert!(msg.contains("row 1"), "{msg}");
}

#[test]
fn row_with_784_fields() {
    let mut r = row(1, 2);
    r.pop();
    one_bad_row(r, |k| matches!(k, ProblemKind::FieldCount { found: 784 }));
}

#[test]
fn row_with_786_fields() {
    let mut r = row(1, 2);
    r.push("0".into());
    one_bad_row(r, |k| matches!(k, ProblemKind::FieldCount { found: 786 }));
}

#[test]
fn non_numeric_cell() {
    let mut r = row(1, 2);
    r[100] = "abc".into();
    one_bad_row(
        r,
        |k| matches!(k, ProblemKind::NotANumber { column, text } if column == "pixel100" && text == "abc"),
    );
}

#[test]
fn empty_cell() {
    let mut r = row(1, 2);
    r[5] = String::new();
    one_bad_row(
        r,
        |k| matches!(k, ProblemKind::MissingCell { column } if column == "pixel5"),
    );
}

#[test]
fn label_200() {
    one_bad_row(row(200, 2), |k| {
        matches!(k, ProblemKind::LabelOutOfRange { label: 200 })
    });
}

#[test]
fn label_9_is_j() {
    one_bad_row(row(9, 2), |k| matches!(k, ProblemKind::LabelJ));
}

#[test]
fn label_minus_1() {
    one_bad_row(row(-1, 2), |k| {
        matches!(k, ProblemKind::LabelOutOfRange { label: -1 })
    });
}

#[test]
fn pixel_256() {
    let mut r = row(1, 2);
    r[784] = "256".into();
    one_bad_row(
        r,
        |k| matches!(k, ProblemKind::PixelOutOfRange { column, value: 256 } if column == "pixel784"),
    );
}

#[test]
fn pixel_minus_1() {
    let mut r = row(1, 2);
    r[1] = "-1".into();
    one_bad_row(
        r,
        |k| matches!(k, ProblemKind::PixelOutOfRange { column, value: -1 } if column == "pixel1"),
    );
}

#[test]
fn blank_line_in_the_middle_is_reported_and_trailing_newlines_are_not_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = five_good_rows();
    let mut text = header() + "\n";
    for (i, r) in rows.iter().enumerate() {
        text += &r.join(",");
        text += "\n";
        if i == 1 {
            text += "\n";
        }
    }
    text += "\n\n";
    let p = dir.path().join("blank.csv");
    std::fs::write(&p, text).unwrap();
    let report = check(&load_raw(&p).unwrap());
    assert_eq!(report.rows, 6);
    assert_eq!(report.invalid_rows, vec![3]);
    assert!(matches!(report.problems[0].kind, ProblemKind::Blank));
}

#[test]
fn duplicates_within_a_file_are_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows = five_good_rows();
    rows.push(rows[1].clone());
    let p = write_csv(dir.path(), "dup.csv", &rows, "\n");
    let raw = load_raw(&p).unwrap();
    let report = check(&raw);
    assert_eq!(report.duplicates, vec![(6, 2)]);
    assert!(report.is_clean());
    assert_eq!(fix(&raw, &report, "d").0.len(), 6);
}

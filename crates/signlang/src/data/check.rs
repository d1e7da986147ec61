//! Checking a [`RawTable`] and fixing it with an explicit policy.
//!
//! [`check`] lists every problem by its 1-based data row (the header is not a
//! row; file line = row + 1): wrong field counts, blank rows, empty or
//! non-numeric cells, labels outside 0..=24 or equal to 9 (J), pixels outside
//! 0..=255, plus exact duplicate rows and the class counts. [`fix`] drops the
//! invalid rows (the only policy), says which and why, and never touches
//! the source file.

use super::load::{column_name, quote, RawTable, COLUMNS, NULL};
use super::{Dataset, PIXELS};
use crate::display::{escape, Html, Table};
use crate::letters::{class_of_label, LABEL_J, LETTERS, NUM_CLASSES};
use std::collections::HashMap;
use std::fmt;

/// What is wrong with one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// The row has the wrong number of fields.
    FieldCount {
        /// Fields found (785 expected).
        found: usize,
    },
    /// The row is blank.
    Blank,
    /// A cell is empty.
    MissingCell {
        /// Column name.
        column: String,
    },
    /// A cell is not an integer.
    NotANumber {
        /// Column name.
        column: String,
        /// The cell's text.
        text: String,
    },
    /// The label is outside 0..=24.
    LabelOutOfRange {
        /// The label.
        label: i64,
    },
    /// The label is 9 (J), which needs motion and cannot occur.
    LabelJ,
    /// A pixel is outside 0..=255.
    PixelOutOfRange {
        /// Column name.
        column: String,
        /// The value.
        value: i64,
    },
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProblemKind::FieldCount { found } => {
                write!(f, "{found} fields, expected {COLUMNS} (label + 784 pixels)")
            }
            ProblemKind::Blank => write!(f, "blank row"),
            ProblemKind::MissingCell { column } => write!(f, "empty cell in column {column}"),
            ProblemKind::NotANumber { column, text } => {
                write!(f, "column {column} is {}, not an integer", quote(text))
            }
            ProblemKind::LabelOutOfRange { label } => {
                write!(f, "label {label} is outside 0..=24")
            }
            ProblemKind::LabelJ => write!(f, "label 9 (J) cannot occur: J needs motion"),
            ProblemKind::PixelOutOfRange { column, value } => {
                write!(f, "{column} = {value} is outside 0..=255")
            }
        }
    }
}

/// One problem, located by its 1-based data row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based data row (file line = row + 1, after the header).
    pub row: u32,
    /// What is wrong.
    pub kind: ProblemKind,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {} (line {}): {}", self.row, self.row + 1, self.kind)
    }
}

/// The result of checking one file.
#[derive(Clone, Debug)]
pub struct CheckReport {
    /// The file checked.
    pub path: std::path::PathBuf,
    /// Data rows in the file.
    pub rows: usize,
    /// Columns of the header (785).
    pub columns: usize,
    /// Whether lines end in CRLF.
    pub crlf: bool,
    /// Whether the file started with a UTF-8 byte-order mark (accepted).
    pub utf8_bom: bool,
    /// Every problem, by row.
    pub problems: Vec<Problem>,
    /// Rows that have at least one problem (sorted).
    pub invalid_rows: Vec<u32>,
    /// Exact duplicates within the file: (row, row of its first occurrence).
    pub duplicates: Vec<(u32, u32)>,
    /// Images (rows of valid labels) per class.
    pub class_counts: [usize; NUM_CLASSES],
}

impl CheckReport {
    /// True when no row has a problem.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// Remarks about the file that are not problems (e.g. a UTF-8
    /// byte-order mark, as spreadsheet programs write).
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.utf8_bom {
            notes.push(
                "the file starts with a UTF-8 byte-order mark (as spreadsheet programs write \
                 \"CSV UTF-8\"); it was skipped"
                    .to_string(),
            );
        }
        notes
    }

    /// Problems of the kinds `f` picks.
    fn count(&self, f: fn(&ProblemKind) -> bool) -> usize {
        self.problems.iter().filter(|p| f(&p.kind)).count()
    }

    /// The findings as `(check, result)` rows.
    fn findings(&self) -> [(&'static str, String); 10] {
        use ProblemKind as K;
        let count = |f| self.count(f);
        let pair = |a: usize, b: usize| format!("{a} / {b}");
        let letters = self.class_counts.iter().filter(|&&n| n > 0).count();
        let (min, max) = min_max(&self.class_counts);
        [
            ("rows", self.rows.to_string()),
            (
                "columns",
                format!("{} (header label, pixel1..pixel784: ok)", self.columns),
            ),
            (
                "line ends",
                if self.crlf { "CRLF" } else { "LF" }.to_string(),
            ),
            (
                "rows with wrong field count / blank",
                pair(
                    count(|k| matches!(k, K::FieldCount { .. })),
                    count(|k| matches!(k, K::Blank)),
                ),
            ),
            (
                "missing / non-numeric cells",
                pair(
                    count(|k| matches!(k, K::MissingCell { .. })),
                    count(|k| matches!(k, K::NotANumber { .. })),
                ),
            ),
            (
                "labels outside 0..24 / equal to 9 (J)",
                pair(
                    count(|k| matches!(k, K::LabelOutOfRange { .. })),
                    count(|k| matches!(k, K::LabelJ)),
                ),
            ),
            (
                "pixels outside 0..255",
                count(|k| matches!(k, K::PixelOutOfRange { .. })).to_string(),
            ),
            (
                "invalid rows (dropped by fix)",
                self.invalid_rows.len().to_string(),
            ),
            ("exact duplicate rows", self.duplicates.len().to_string()),
            (
                "letters present",
                format!("{letters} of 24 (per letter: {min}..{max} images)"),
            ),
        ]
    }

    /// The report as a table of findings (HTML inline in evcxr, text in terminals).
    pub fn to_display(&self) -> Html {
        let name = self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut t = Table::new(["check", "result"]).with_caption(format!("Data check: {name}"));
        for (check, result) in self.findings() {
            t.push([check.to_string(), result]);
        }
        let mut html = t.to_html();
        let mut text = t.to_text();
        for note in self.notes() {
            html += &format!("<p><b>Note:</b> {}</p>", escape(&note));
            text += &format!("Note: {note}\n");
        }
        if !self.problems.is_empty() {
            html += "<p><b>First problems:</b></p><ul>";
            text += "First problems:\n";
            for p in self.problems.iter().take(20) {
                html += &format!("<li>{}</li>", escape(&p.to_string()));
                text += &format!("  {p}\n");
            }
            html += "</ul>";
            if self.problems.len() > 20 {
                text += &format!("  ... and {} more\n", self.problems.len() - 20);
                html += &format!("<p>... and {} more</p>", self.problems.len() - 20);
            }
        }
        Html::new(html, text)
    }

    /// Shows the report inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display().text)
    }
}

fn min_max(counts: &[usize]) -> (usize, usize) {
    let present = counts.iter().copied().filter(|&n| n > 0);
    (
        present.clone().min().unwrap_or(0),
        present.max().unwrap_or(0),
    )
}

/// Problems found while parsing: wrong field counts, blank rows, empty
/// and non-numeric cells.
fn parse_problems(table: &RawTable) -> Vec<Problem> {
    let ragged = table.ragged.iter().map(|&(row, found)| Problem {
        row,
        kind: ProblemKind::FieldCount { found },
    });
    let blank = table.blank.iter().map(|&row| Problem {
        row,
        kind: ProblemKind::Blank,
    });
    let cells = table.bad_cells.iter().map(|(row, c, text)| {
        let column = column_name(*c);
        let kind = if text.trim().is_empty() {
            ProblemKind::MissingCell { column }
        } else {
            ProblemKind::NotANumber {
                column,
                text: text.clone(),
            }
        };
        Problem { row: *row, kind }
    });
    ragged.chain(blank).chain(cells).collect()
}

/// The class of a parsed label, or what is wrong with it.
fn label_class(label: i64) -> Result<u8, ProblemKind> {
    if label == LABEL_J {
        return Err(ProblemKind::LabelJ);
    }
    class_of_label(label).ok_or(ProblemKind::LabelOutOfRange { label })
}

/// Adds the problems of parsed values (labels, pixels) to `problems` and
/// returns the images per class of the rows with valid labels.
fn value_problems(table: &RawTable, problems: &mut Vec<Problem>) -> [usize; NUM_CLASSES] {
    let mut class_counts = [0usize; NUM_CLASSES];
    for i in 0..table.len() {
        let row = table.rows[i];
        let cells = table.row(i);
        if cells[0] != NULL {
            match label_class(i64::from(cells[0])) {
                Ok(class) => class_counts[class as usize] += 1,
                Err(kind) => problems.push(Problem { row, kind }),
            }
        }
        for (c, &v) in cells.iter().enumerate().skip(1) {
            if v != NULL && !(0..=255).contains(&v) {
                let (column, value) = (column_name(c), i64::from(v));
                let kind = ProblemKind::PixelOutOfRange { column, value };
                problems.push(Problem { row, kind });
            }
        }
    }
    class_counts
}

/// Checks a raw table and builds its report.
pub fn check(table: &RawTable) -> CheckReport {
    let mut problems = parse_problems(table);
    let class_counts = value_problems(table, &mut problems);
    problems.sort_by_key(|p| p.row);
    let mut invalid_rows: Vec<u32> = problems.iter().map(|p| p.row).collect();
    invalid_rows.dedup();

    let duplicates = exact_duplicates(table);
    CheckReport {
        path: table.path.clone(),
        rows: table.file_rows,
        columns: COLUMNS,
        crlf: table.crlf,
        utf8_bom: table.utf8_bom,
        problems,
        invalid_rows,
        duplicates,
        class_counts,
    }
}

/// Exact duplicates among the parsed rows (label and pixels): (row, first
/// row with the same cells). Each row's bytes are hashed once (foldhash, on
/// all cores: ~10× faster than SipHash cell by cell), and rows whose hashes
/// match are compared cell by cell.
fn exact_duplicates(table: &RawTable) -> Vec<(u32, u32)> {
    use std::hash::BuildHasher;
    let n = table.len();
    let mut hashes = vec![0u64; n];
    let hasher = &foldhash::fast::FixedState::default();
    let chunk = n.div_ceil(super::parse::default_threads()).max(1);
    std::thread::scope(|s| {
        for (part, out) in hashes.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                for (k, h) in out.iter_mut().enumerate() {
                    *h = hasher
                        .hash_one(bytemuck::cast_slice::<i32, u8>(table.row(part * chunk + k)));
                }
            });
        }
    });
    let mut seen: foldhash::HashMap<u64, Vec<usize>> =
        foldhash::HashMap::with_capacity_and_hasher(n, Default::default());
    let mut duplicates = Vec::new();
    for (i, &h) in hashes.iter().enumerate() {
        let same = seen.entry(h).or_default();
        match same.iter().find(|&&j| table.row(j) == table.row(i)) {
            Some(&j) => duplicates.push((table.rows[i], table.rows[j])),
            None => same.push(i),
        }
    }
    duplicates
}

/// Images of `b` whose pixels exactly equal an image of `a` (labels ignored):
/// (row in `b`, row in `a`). Used to check that no test image is a copy of a
/// training image.
pub fn duplicates_between(a: &Dataset, b: &Dataset) -> Vec<(u32, u32)> {
    let index: foldhash::HashMap<&[u8], u32> =
        (0..a.len()).map(|i| (a.image(i), a.rows[i])).collect();
    (0..b.len())
        .filter_map(|i| index.get(b.image(i)).map(|&ra| (b.rows[i], ra)))
        .collect()
}

/// A row dropped by [`fix`], and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dropped {
    /// 1-based data row.
    pub row: u32,
    /// The problems of that row.
    pub reasons: Vec<String>,
}

/// What [`fix`] did.
#[derive(Clone, Debug, Default)]
pub struct FixLog {
    /// Rows kept.
    pub kept: usize,
    /// Rows dropped, with reasons.
    pub dropped: Vec<Dropped>,
}

impl fmt::Display for FixLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "fix (policy: drop invalid rows): kept {} rows, dropped {}",
            self.kept,
            self.dropped.len()
        )?;
        for d in self.dropped.iter().take(20) {
            writeln!(f, "  row {}: {}", d.row, d.reasons.join("; "))?;
        }
        if self.dropped.len() > 20 {
            writeln!(f, "  ... and {} more", self.dropped.len() - 20)?;
        }
        Ok(())
    }
}

/// Fixes a table by the one explicit policy: drop every invalid row (see
/// [`check`]), keep every valid one, in file order. Exact duplicates are kept
/// (augmented copies are legitimate training data). The source file is
/// never modified.
pub fn fix(table: &RawTable, report: &CheckReport, name: &str) -> (Dataset, FixLog) {
    let mut reasons: HashMap<u32, Vec<String>> = HashMap::new();
    for p in &report.problems {
        reasons.entry(p.row).or_default().push(p.kind.to_string());
    }
    let mut pixels = Vec::with_capacity(table.len() * PIXELS);
    let mut classes = Vec::with_capacity(table.len());
    let mut rows = Vec::with_capacity(table.len());
    for i in 0..table.len() {
        let row = table.rows[i];
        if reasons.contains_key(&row) {
            continue;
        }
        let cells = table.row(i);
        let Some(class) = class_of_label(i64::from(cells[0])) else {
            continue; // unreachable: a row without problems has a valid label
        };
        classes.push(class);
        rows.push(row);
        pixels.extend(cells[1..].iter().map(|&v| v as u8));
    }
    let mut dropped: Vec<Dropped> = reasons
        .into_iter()
        .map(|(row, reasons)| Dropped { row, reasons })
        .collect();
    dropped.sort_by_key(|d| d.row);
    let log = FixLog {
        kept: classes.len(),
        dropped,
    };
    (
        Dataset {
            name: name.to_string(),
            pixels,
            classes,
            rows,
        },
        log,
    )
}

/// The class counts as a table with one row per letter.
pub fn class_count_table(sets: &[&Dataset]) -> Table {
    let mut header = vec!["letter".to_string()];
    header.extend(sets.iter().map(|d| d.name.clone()));
    let mut t = Table::new(header);
    let counts: Vec<_> = sets.iter().map(|d| d.class_counts()).collect();
    for (c, l) in LETTERS.iter().enumerate() {
        let mut row = vec![l.to_string()];
        row.extend(counts.iter().map(|k| k[c].to_string()));
        t.push(row);
    }
    let mut total = vec!["total".to_string()];
    total.extend(sets.iter().map(|d| d.len().to_string()));
    t.push(total);
    t
}

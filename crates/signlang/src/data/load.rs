//! Reading a Sign Language MNIST CSV (plain or gzip, CRLF or LF) into a
//! [`RawTable`]: every cell kept as read, so that checking can name each
//! problem by row, and fixing never loses a good row.
//!
//! Layout: a header `label,pixel1,...,pixel784`, then one image per line:
//! the label, then 784 pixel values (row-major 28×28). The reader is polars'
//! CSV parser with an explicit all-integer schema; cells that are empty or
//! not integers become nulls that the checker reports. Lines with the wrong
//! number of fields are set aside before parsing and reported too.
//!
//! Encodings: UTF-8 (or ASCII), with or without the byte-order mark that
//! spreadsheet programs write ("CSV UTF-8"); the mark is skipped and noted
//! ([`RawTable::utf8_bom`]). UTF-16 (with its byte-order mark, or without:
//! every other byte zero) and bytes that are not valid UTF-8 (binary data,
//! Latin-1, …) are refused with [`DataError::Encoding`], one line naming the
//! file and the fix. Cell and header texts quoted in messages go through
//! [`quote`]: control characters escaped, long texts cut.

use super::{DataError, PIXELS};
use flate2::read::MultiGzDecoder;
use polars::prelude::*;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

/// Number of columns: the label and 784 pixels.
pub const COLUMNS: usize = PIXELS + 1;

/// Marks a cell that was empty or not an integer.
pub const NULL: i32 = i32::MIN;

/// A CSV as read: every parseable row with its cells, plus the lines that
/// could not be parsed as rows at all.
#[derive(Clone, Debug)]
pub struct RawTable {
    /// The file it came from.
    pub path: PathBuf,
    /// Number of data rows in the file (lines after the header, blank lines included).
    pub file_rows: usize,
    /// 1-based data-row number of each parsed row.
    pub rows: Vec<u32>,
    /// Cells of the parsed rows, row-major, [`COLUMNS`] per row; [`NULL`] where a
    /// cell was empty or not an integer in `i32` range.
    pub cells: Vec<i32>,
    /// Rows set aside because they had the wrong number of fields: (row, fields).
    pub ragged: Vec<(u32, usize)>,
    /// Blank rows (set aside, not parsed).
    pub blank: Vec<u32>,
    /// Cell texts of rows holding nulls, for the report: (row, column, text).
    pub bad_cells: Vec<(u32, usize, String)>,
    /// Whether the file had CRLF line ends.
    pub crlf: bool,
    /// Whether the file started with a UTF-8 byte-order mark (skipped).
    pub utf8_bom: bool,
}

impl RawTable {
    /// Number of parsed rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row was parsed.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The cells of parsed row `i` (not the file's row number).
    pub fn row(&self, i: usize) -> &[i32] {
        &self.cells[i * COLUMNS..(i + 1) * COLUMNS]
    }
}

/// The expected header's name of column `c` (0 = label).
pub fn column_name(c: usize) -> String {
    if c == 0 {
        "label".to_string()
    } else {
        format!("pixel{c}")
    }
}

/// Longest text, in characters, that [`quote`] shows in full.
pub const QUOTE_MAX_CHARS: usize = 40;

/// Quotes a text for a message: in double quotes, with `\r`, `\n`, `\t`,
/// `\"`, `\\` escaped as in Rust, other control characters as `\xNN`,
/// and cut after [`QUOTE_MAX_CHARS`] characters with `…` and the full length.
///
/// ```text
/// 204<CR>            → "204\r"
/// <NUL><US>a         → "\x00\x1fa"
/// 50 × x             → "xxxx…(40 x)…"… (50 characters)
/// ```
pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars().take(QUOTE_MAX_CHARS) {
        match c {
            '\r' | '\n' | '\t' | '"' | '\\' => out.extend(c.escape_debug()),
            c if c.is_control() && (c as u32) < 0x100 => out += &format!("\\x{:02x}", c as u32),
            c => out.extend(c.escape_debug()),
        }
    }
    out.push('"');
    let n = text.chars().count();
    if n > QUOTE_MAX_CHARS {
        out += &format!("… ({n} characters)");
    }
    out
}

/// Refuses text that is not UTF-8: UTF-16 (by its byte-order mark, or
/// zeros in every other byte of the start) and invalid UTF-8 (binary data,
/// other encodings). Returns whether a UTF-8 byte-order mark leads.
fn check_encoding(path: &Path, bytes: &[u8]) -> Result<bool, DataError> {
    let encoding = |detail: String| DataError::Encoding {
        path: path.to_path_buf(),
        detail,
    };
    const SAVE: &str = "save it as \"CSV UTF-8\" in the spreadsheet program, or convert it \
                        with `iconv -f UTF-16 -t UTF-8`";
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        let order = if bytes[0] == 0xff { "little" } else { "big" };
        return Err(encoding(format!(
            "the file is UTF-16 ({order}-endian, it starts with a UTF-16 byte-order mark), \
             not UTF-8; {SAVE}"
        )));
    }
    let head = &bytes[..bytes.len().min(64)];
    let zeros = head.iter().filter(|&&b| b == 0).count();
    if head.len() >= 8 && zeros * 3 >= head.len() {
        return Err(encoding(format!(
            "the file is not UTF-8 text ({zeros} of its first {} bytes are zero: UTF-16 \
             without a byte-order mark, or binary data); {SAVE}, or check that it is the \
             right file",
            head.len()
        )));
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(encoding(format!(
            "the file is not UTF-8 text: byte 0x{:02x} at line {line} (byte offset {at}) is \
             not valid UTF-8 (binary data, or another encoding such as Latin-1); check that \
             it is the right file, and save it as \"CSV UTF-8\"",
            bytes[at]
        )));
    }
    Ok(bytes.starts_with(b"\xef\xbb\xbf"))
}

/// Reads the file's bytes, decompressing gzip (detected by its magic bytes).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|error| DataError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let named_gz = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| DataError::BadGzip {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        Ok(out)
    } else if named_gz && !raw.is_empty() {
        Err(DataError::NotGzip {
            path: path.to_path_buf(),
        })
    } else {
        Ok(raw)
    }
}

/// Loads a CSV into a [`RawTable`]. Fails only when the file cannot be read
/// as this format at all (missing, empty, bad gzip, wrong header); problems
/// inside rows are kept for [`super::check`].
pub fn load_raw(path: impl AsRef<Path>) -> Result<RawTable, DataError> {
    let path = path.as_ref();
    let bytes = read_bytes(path)?;
    parse_raw(path, bytes)
}

/// Parses CSV bytes already in memory (see [`load_raw`]); `path` names them in errors.
pub fn parse_raw(path: &Path, mut bytes: Vec<u8>) -> Result<RawTable, DataError> {
    let path_buf = path.to_path_buf();
    let utf8_bom = check_encoding(path, &bytes)?;
    if utf8_bom {
        bytes.drain(..3);
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DataError::Empty { path: path_buf });
    }
    let header_end = bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(bytes.len());
    let header = &bytes[..header_end];
    let crlf = header.last() == Some(&b'\r');
    check_header(path, header.strip_suffix(b"\r").unwrap_or(header))?;

    // Scan the data lines: field counts and blank lines.
    let body_start = (header_end + 1).min(bytes.len());
    let mut file_rows = 0usize;
    let mut good_rows: Vec<u32> = Vec::new();
    let mut good_spans: Vec<(usize, usize)> = Vec::new();
    let mut ragged = Vec::new();
    let mut blank = Vec::new();
    // Whitespace after the last row (final line breaks) is not a row.
    let body_end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(body_start, |i| i + 1)
        .max(body_start);
    let mut start = body_start;
    while start < body_end {
        let end = memchr_newline(&bytes[start..body_end]).map_or(body_end, |i| start + i);
        let line = &bytes[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        file_rows += 1;
        let row = file_rows as u32;
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            blank.push(row);
        } else {
            let fields = line.iter().filter(|&&b| b == b',').count() + 1;
            if fields == COLUMNS {
                good_rows.push(row);
                good_spans.push((start, end));
            } else {
                ragged.push((row, fields));
            }
        }
        start = end + 1;
    }

    // Parse only the well-formed rows. Without set-aside rows, the body is parsed in place.
    let body: Vec<u8> = if ragged.is_empty() && blank.is_empty() {
        bytes[body_start..body_end].to_vec()
    } else {
        let mut b = Vec::with_capacity(bytes.len());
        for &(s, e) in &good_spans {
            b.extend_from_slice(&bytes[s..e]);
            b.push(b'\n');
        }
        b
    };
    let cells = if good_rows.is_empty() {
        Vec::new()
    } else {
        parse_cells(path, body, good_rows.len())?
    };

    let mut table = RawTable {
        path: path_buf,
        file_rows,
        rows: good_rows,
        cells,
        ragged,
        blank,
        bad_cells: Vec::new(),
        crlf,
        utf8_bom,
    };
    // Name the text of each null cell.
    for (i, &(s, e)) in good_spans.iter().enumerate() {
        if table.row(i).contains(&NULL) {
            let line = &bytes[s..e];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            for (c, text) in line.split(|&b| b == b',').enumerate() {
                if table.cells[i * COLUMNS + c] == NULL {
                    let text = String::from_utf8_lossy(text).into_owned();
                    table.bad_cells.push((table.rows[i], c, text));
                }
            }
        }
    }
    Ok(table)
}

fn memchr_newline(s: &[u8]) -> Option<usize> {
    s.iter().position(|&b| b == b'\n')
}

fn check_header(path: &Path, header: &[u8]) -> Result<(), DataError> {
    let text = String::from_utf8_lossy(header);
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields[0].parse::<i64>().is_ok() {
        return Err(DataError::MissingHeader {
            path: path.to_path_buf(),
        });
    }
    for c in 0..COLUMNS.max(fields.len()) {
        let want = (c < COLUMNS).then(|| column_name(c));
        let found = fields.get(c).map(|s| s.trim_matches('"').to_string());
        if want != found {
            return Err(DataError::WrongHeader {
                path: path.to_path_buf(),
                column: c + 1,
                expected: want.unwrap_or_else(|| "(end of line)".into()),
                found: found.map_or_else(|| "(end of line)".into(), |f| quote(&f)),
            });
        }
    }
    Ok(())
}

fn parse_cells(path: &Path, body: Vec<u8>, n: usize) -> Result<Vec<i32>, DataError> {
    let schema: Schema = (0..COLUMNS)
        .map(|c| Field::new(column_name(c).into(), DataType::Int32))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_ignore_errors(true)
        .map_parse_options(|o| o.with_quote_char(None))
        .into_reader_with_file_handle(Cursor::new(body))
        .finish()
        .map_err(|e| DataError::Parse {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    if df.height() != n {
        return Err(DataError::Parse {
            path: path.to_path_buf(),
            detail: format!("parsed {} rows, expected {n}", df.height()),
        });
    }
    let mut cells = vec![NULL; n * COLUMNS];
    for (c, col) in df.columns().iter().enumerate() {
        let ca = col
            .as_materialized_series()
            .i32()
            .map_err(|e| DataError::Parse {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        for (r, v) in ca.iter().enumerate() {
            if let Some(v) = v {
                cells[r * COLUMNS + c] = v;
            }
        }
    }
    Ok(cells)
}

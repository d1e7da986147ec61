//! Reading a Sign Language MNIST CSV (plain or gzip, CRLF or LF) into a
//! [`RawTable`]: every cell kept as read, so that checking can name each
//! problem by row, and fixing never loses a good row.
//!
//! Layout: a header `label,pixel1,...,pixel784`, then one image per line:
//! the label, then 784 pixel values (row-major 28×28). The cells are read
//! by [`super::parse`], an integer-only parser that splits the lines across
//! the cores; cells that are empty or not integers become nulls that the
//! checker reports. Lines with the wrong number of fields, and blank lines,
//! are set aside and reported too.
//!
//! Encodings: UTF-8 (or ASCII), with or without the byte-order mark that
//! spreadsheet programs write ("CSV UTF-8"); the mark is skipped and noted
//! ([`RawTable::utf8_bom`]). UTF-16 (with its byte-order mark, or without:
//! every other byte zero) and bytes that are not valid UTF-8 (binary data,
//! Latin-1, …) are refused with [`DataError::Encoding`], one line naming the
//! file and the fix. Cell and header texts quoted in messages go through
//! [`quote`]: control characters escaped, long texts cut.

use super::parse::{self, Line};
use super::DataError;
use flate2::read::MultiGzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

pub use super::parse::{COLUMNS, NULL};

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
        if let Some(out) = inflate_whole(&raw) {
            return Ok(out);
        }
        // Several gzip members, or a broken file: the streaming decoder reads
        // the first and names what is wrong with the second.
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

/// Inflates a one-member gzip file in one call with libdeflate (about 2×
/// faster than a streaming decoder), into a buffer of the size its trailer
/// states. `None` when that does not work out (several members, a size that
/// no DEFLATE stream could reach, a broken stream).
fn inflate_whole(gz: &[u8]) -> Option<Vec<u8>> {
    let trailer: [u8; 4] = gz.get(gz.len().checked_sub(4)?..)?.try_into().ok()?;
    let size = u32::from_le_bytes(trailer) as usize;
    // DEFLATE expands at most ~1032:1.
    if size > gz.len().saturating_mul(1032) {
        return None;
    }
    let mut out = vec![0u8; size];
    let n = libdeflater::Decompressor::new()
        .gzip_decompress(gz, &mut out)
        .ok()?;
    (n == size).then_some(out)
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
pub fn parse_raw(path: &Path, bytes: Vec<u8>) -> Result<RawTable, DataError> {
    let path_buf = path.to_path_buf();
    let utf8_bom = check_encoding(path, &bytes)?;
    let bytes = if utf8_bom { &bytes[3..] } else { &bytes[..] };
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

    // The data lines; whitespace after the last row (final line breaks) is not a row.
    let body_start = (header_end + 1).min(bytes.len());
    let body_end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(body_start, |i| i + 1)
        .max(body_start);
    let parsed = parse::parse_body(&bytes[body_start..body_end], parse::default_threads());

    let mut table = RawTable {
        path: path_buf,
        file_rows: parsed.lines.len(),
        rows: Vec::with_capacity(parsed.lines.len()),
        cells: parsed.cells,
        ragged: Vec::new(),
        blank: Vec::new(),
        bad_cells: Vec::new(),
        crlf,
        utf8_bom,
    };
    let mut good_spans = Vec::with_capacity(parsed.lines.len());
    for (i, (&line, &span)) in parsed.lines.iter().zip(&parsed.spans).enumerate() {
        let row = i as u32 + 1;
        match line {
            Line::Blank => table.blank.push(row),
            Line::Ragged(fields) => table.ragged.push((row, fields)),
            Line::Row => {
                table.rows.push(row);
                good_spans.push(span);
            }
        }
    }
    // Name the text of each null cell.
    let body = &bytes[body_start..body_end];
    for (i, &(s, e)) in good_spans.iter().enumerate() {
        if table.row(i).contains(&NULL) {
            let line = &body[s..e];
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

//! The integer-cell parser behind [`super::load`]: every data line of the
//! body in one pass, split across the CPU's cores.
//!
//! A Sign Language MNIST body is 785 small integers per line and nothing
//! else, so a general CSV reader spends most of its time on work this format
//! never needs (quoting, type inference, a column store that is then copied
//! back into rows). Here each line is cut at its commas and each cell read
//! as `-?[0-9]{1,9}` directly; any other text (empty, `abc`, `1.5`, `" 3"`)
//! goes through [`str::parse::<i32>`], and becomes [`NULL`] when that fails
//! too, so the checker can name it. Lines are found with `memchr`.

use super::PIXELS;

/// Number of columns: the label and 784 pixels.
pub const COLUMNS: usize = PIXELS + 1;

/// Marks a cell that was empty or not an integer.
pub const NULL: i32 = i32::MIN;

/// What one data line turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// Only whitespace.
    Blank,
    /// The wrong number of fields (how many it had).
    Ragged(usize),
    /// [`COLUMNS`] cells, parsed.
    Row,
}

/// The parsed body: one [`Line`] per data line, in order, with the cells
/// of the [`Line::Row`] lines (row-major, [`COLUMNS`] each) and each line's
/// byte span in the body (line end excluded, `\r` included).
#[derive(Debug, Default)]
pub struct Parsed {
    /// Each line's kind.
    pub lines: Vec<Line>,
    /// Byte range of each line.
    pub spans: Vec<(usize, usize)>,
    /// Cells of the rows.
    pub cells: Vec<i32>,
}

/// Parses every line of `body` (a CSV body without its header; a final
/// newline is optional), using up to `threads` threads.
///
/// Each line long enough to be a row owns a slot of [`COLUMNS`] cells in one
/// output buffer, so the threads write their parts in place (a fresh
/// buffer's pages are then touched by all threads at once, and nothing is
/// copied to merge); slots of lines that turn out not to be rows are
/// squeezed out at the end. Shorter lines get no slot, so the buffer stays
/// within about twice the body's size whatever the input.
pub fn parse_body(body: &[u8], threads: usize) -> Parsed {
    let mut spans = Vec::with_capacity(body.len() / (COLUMNS * 3) + 1);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', body) {
        spans.push((start, end));
        start = end + 1;
    }
    if start < body.len() {
        spans.push((start, body.len()));
    }
    let slots = spans.iter().filter(|s| may_be_row(s)).count();
    let mut cells = vec![0i32; slots * COLUMNS];
    let mut lines = vec![Line::Blank; spans.len()];
    let chunk = spans.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let mut rest: &mut [i32] = &mut cells;
        for (spans, lines) in spans.chunks(chunk).zip(lines.chunks_mut(chunk)) {
            let n = spans.iter().filter(|s| may_be_row(s)).count();
            let (mine, tail) = std::mem::take(&mut rest).split_at_mut(n * COLUMNS);
            rest = tail;
            s.spawn(move || parse_lines(body, spans, lines, mine));
        }
    });
    // Squeeze out the slots of long lines that are not rows (none in a clean file).
    let (mut slot, mut kept) = (0, 0);
    for (span, line) in spans.iter().zip(&lines) {
        if !may_be_row(span) {
            continue;
        }
        if *line == Line::Row {
            if kept != slot {
                cells.copy_within(slot * COLUMNS..(slot + 1) * COLUMNS, kept * COLUMNS);
            }
            kept += 1;
        }
        slot += 1;
    }
    cells.truncate(kept * COLUMNS);
    Parsed {
        lines,
        spans,
        cells,
    }
}

/// Whether a line is long enough to hold [`COLUMNS`] cells (one character
/// each, and the commas between them).
fn may_be_row(&(start, end): &(usize, usize)) -> bool {
    end - start >= 2 * COLUMNS - 1
}

/// The number of threads worth using here: the cores this process may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Parses the lines at `spans` into their kinds, writing the cells of each
/// line that [`may_be_row`] into the next slot of `cells`.
fn parse_lines(body: &[u8], spans: &[(usize, usize)], lines: &mut [Line], cells: &mut [i32]) {
    let mut slots = cells.chunks_mut(COLUMNS);
    for (span, kind) in spans.iter().zip(lines) {
        let line = &body[span.0..span.1];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let slot = if may_be_row(span) {
            slots.next().unwrap_or_default()
        } else {
            &mut []
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            *kind = Line::Blank;
            continue;
        }
        let fields = parse_line(line, slot);
        *kind = if fields == COLUMNS {
            Line::Row
        } else {
            Line::Ragged(fields)
        };
    }
}

/// Parses the cells of one line into `row` (as many as fit) and returns the
/// number of fields the line has. One pass over the bytes: digits accumulate,
/// a comma ends a cell; a cell holding anything but 1–9 digits is read again
/// by [`parse_cell`].
fn parse_line(line: &[u8], row: &mut [i32]) -> usize {
    let mut fields = 0;
    let mut start = 0;
    let mut value: i32 = 0;
    let mut plain = true;
    let mut finish = |fields: &mut usize, start: usize, end: usize, value: i32, plain: bool| {
        if let Some(cell) = row.get_mut(*fields) {
            *cell = if plain && (1..=9).contains(&(end - start)) {
                value
            } else {
                parse_cell(&line[start..end])
            };
        }
        *fields += 1;
    };
    for (i, &b) in line.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            value = value.wrapping_mul(10).wrapping_add(i32::from(digit));
        } else if b == b',' {
            finish(&mut fields, start, i, value, plain);
            (start, value, plain) = (i + 1, 0, true);
        } else {
            plain = false;
        }
    }
    finish(&mut fields, start, line.len(), value, plain);
    fields
}

/// One cell: plain decimal integers directly, anything else through the
/// standard parser, [`NULL`] when neither reads it.
fn parse_cell(text: &[u8]) -> i32 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    if !digits.is_empty() && digits.len() <= 9 && digits.iter().all(u8::is_ascii_digit) {
        let value = digits
            .iter()
            .fold(0i32, |v, &d| v * 10 + i32::from(d - b'0'));
        return if negative { -value } else { value };
    }
    std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<i32>().ok())
        .filter(|&v| v != NULL)
        .unwrap_or(NULL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_integers_or_null() {
        for (text, want) in [
            ("0", 0),
            ("255", 255),
            ("-1", -1),
            ("007", 7),
            ("+5", 5),
            ("2147483647", i32::MAX),
            ("2147483648", NULL),
            ("", NULL),
            ("-", NULL),
            ("abc", NULL),
            ("1.5", NULL),
            (" 3", NULL),
            ("\"5\"", NULL),
        ] {
            assert_eq!(parse_cell(text.as_bytes()), want, "{text:?}");
        }
    }

    #[test]
    fn a_line_reads_the_same_as_cell_by_cell() {
        let mut texts: Vec<String> = (0..COLUMNS).map(|c| (c * 7 % 256).to_string()).collect();
        for (c, t) in [
            (0, "-3"),
            (1, ""),
            (2, "abc"),
            (3, "1.5"),
            (4, "2147483648"),
            (5, "+5"),
            (6, "0012"),
        ] {
            texts[c] = t.to_string();
        }
        let line = texts.join(",");
        let mut row = vec![0; COLUMNS];
        assert_eq!(parse_line(line.as_bytes(), &mut row), COLUMNS);
        for (c, t) in texts.iter().enumerate() {
            assert_eq!(row[c], parse_cell(t.as_bytes()), "cell {c}: {t:?}");
        }
        assert_eq!(&row[..7], &[-3, NULL, NULL, NULL, NULL, 5, 12]);
        assert_eq!(parse_line(b"1,2,3", &mut row), 3);
        assert_eq!(parse_line(b"", &mut row), 1);
    }

    #[test]
    fn lines_are_sorted_into_rows_blanks_and_ragged_in_order_across_threads() {
        // Row i starts with the label i; lines 3, 5, 6 and 8 are not rows.
        let row = |i: usize| {
            let mut cells: Vec<String> =
                (0..COLUMNS).map(|c| ((c + i) % 256).to_string()).collect();
            cells[0] = i.to_string();
            cells.join(",")
        };
        let long_ragged = row(5).rsplit_once(',').expect("a comma").0.to_string();
        let mut body = String::new();
        for i in 0..10 {
            body += &match i {
                3 => "  \r".to_string(),         // blank, no slot
                5 => long_ragged.clone() + "\r", // 784 fields, has a slot
                6 => "1,2,3".to_string(),        // 3 fields, no slot
                8 => " ".repeat(2 * COLUMNS),    // blank, has a slot
                _ => row(i),
            };
            body += "\n";
        }
        body.pop(); // no final newline
        let want: Vec<Line> = (0..10)
            .map(|i| match i {
                3 | 8 => Line::Blank,
                5 => Line::Ragged(COLUMNS - 1),
                6 => Line::Ragged(3),
                _ => Line::Row,
            })
            .collect();
        for threads in [1, 2, 3, 4, 16] {
            let p = parse_body(body.as_bytes(), threads);
            assert_eq!(p.lines, want, "threads {threads}");
            assert_eq!(p.spans.len(), 10);
            let labels: Vec<i32> = p.cells.chunks(COLUMNS).map(|r| r[0]).collect();
            assert_eq!(labels, vec![0, 1, 2, 4, 7, 9], "threads {threads}");
            assert_eq!(p.cells[4 * COLUMNS + 300], (300 + 7) % 256);
        }
    }
}

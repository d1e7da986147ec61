//! Rich output for the evcxr Jupyter kernel.
//!
//! evcxr shows a value inline when its type has an `evcxr_display` method
//! that prints `EVCXR_BEGIN_CONTENT <mime>`, the payload, then
//! `EVCXR_END_CONTENT`. [`Html`] and [`Svg`] wrap a payload so; every table and
//! figure of the library converts into one of them, and prints as plain text
//! (`Display`) elsewhere.

use std::fmt;
use std::path::Path;

/// An HTML fragment with a plain-text fallback.
#[derive(Clone, Debug)]
pub struct Html {
    /// The HTML fragment.
    pub html: String,
    /// What `Display` prints (terminals, logs).
    pub text: String,
}

impl Html {
    /// Wraps an HTML fragment and its plain-text form.
    pub fn new(html: impl Into<String>, text: impl Into<String>) -> Self {
        Html {
            html: html.into(),
            text: text.into(),
        }
    }

    /// Shows the HTML inline in evcxr.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html
        );
    }
}

impl fmt::Display for Html {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// An SVG figure.
#[derive(Clone, Debug)]
pub struct Svg {
    /// The SVG document.
    pub svg: String,
}

impl Svg {
    /// Shows the figure inline in evcxr.
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            self.svg
        );
    }

    /// Writes the figure to an `.svg` file.
    pub fn save(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        std::fs::write(path, &self.svg)
    }
}

impl fmt::Display for Svg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<svg figure, {} bytes>", self.svg.len())
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// A simple table that renders as HTML and as aligned plain text.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Optional caption shown above the table.
    pub caption: Option<String>,
    /// Column headers.
    pub header: Vec<String>,
    /// Rows of cells, as text.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given column headers.
    pub fn new<S: Into<String>>(header: impl IntoIterator<Item = S>) -> Self {
        Table {
            caption: None,
            header: header.into_iter().map(Into::into).collect(),
            rows: Vec::new(),
        }
    }

    /// Sets the caption.
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// Adds one column to the header (rows pushed after it fill it).
    pub fn push_header(&mut self, name: impl Into<String>) {
        self.header.push(name.into());
    }

    /// Appends a row.
    pub fn push<S: Into<String>>(&mut self, row: impl IntoIterator<Item = S>) {
        self.rows.push(row.into_iter().map(Into::into).collect());
    }

    /// Renders the table as an HTML fragment.
    pub fn to_html(&self) -> String {
        let mut h = String::from(
            "<table style=\"border-collapse:collapse;font-family:sans-serif;font-size:13px\">",
        );
        if let Some(c) = &self.caption {
            h += &format!(
                "<caption style=\"text-align:left;font-weight:bold;padding:4px 0\">{}</caption>",
                escape(c)
            );
        }
        h += "<thead><tr>";
        for c in &self.header {
            h += &format!(
                "<th style=\"border-bottom:1px solid #888;padding:2px 8px;text-align:left\">{}</th>",
                escape(c)
            );
        }
        h += "</tr></thead><tbody>";
        for row in &self.rows {
            h += "<tr>";
            for c in row {
                h += &format!("<td style=\"padding:2px 8px\">{}</td>", escape(c));
            }
            h += "</tr>";
        }
        h += "</tbody></table>";
        h
    }

    /// Renders the table as aligned plain text.
    pub fn to_text(&self) -> String {
        let ncol = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.header.len()])
            .max()
            .unwrap_or(0);
        let mut width = vec![0usize; ncol];
        for row in std::iter::once(&self.header).chain(&self.rows) {
            for (i, c) in row.iter().enumerate() {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let line = |row: &Vec<String>| {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c:<w$}", w = width[i]))
                .collect();
            cells.join("  ").trim_end().to_string()
        };
        let mut out = String::new();
        if let Some(c) = &self.caption {
            out += c;
            out.push('\n');
        }
        out += &line(&self.header);
        out.push('\n');
        out += &width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ");
        out.push('\n');
        for row in &self.rows {
            out += &line(row);
            out.push('\n');
        }
        out
    }

    /// Converts to an [`Html`] value that shows inline in evcxr.
    pub fn to_display(&self) -> Html {
        Html::new(self.to_html(), self.to_text())
    }

    /// Shows the table inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// A number as written in one-line summaries: as Rust prints it, or in
/// scientific notation with one decimal when that is longer than 8
/// characters (`0.001`, `3.3e-4`).
pub(crate) fn short_number(x: f64) -> String {
    let s = format!("{x}");
    if s.len() > 8 {
        format!("{x:.1e}")
    } else {
        s
    }
}

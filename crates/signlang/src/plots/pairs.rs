//! A contact sheet of image pairs: two small greyscale thumbnails side by
//! side with a caption, grouped in titled sections, each pair framed in
//! green or red (e.g. under or over a threshold), so that a reader can
//! check a threshold by eye. Thumbnails are embedded as PNG data URIs.

use base64::Engine;

use crate::display::{escape, Svg};

/// One pair of square greyscale thumbnails.
#[derive(Clone, Debug, PartialEq)]
pub struct ThumbPair {
    /// Left image, `side × side` pixels, row-major.
    pub left: Vec<u8>,
    /// Right image, `side × side` pixels.
    pub right: Vec<u8>,
    /// Side of both images in pixels.
    pub side: u32,
    /// Two caption lines under the pair.
    pub caption: [String; 2],
    /// Framed green when true, red when false.
    pub under: bool,
}

/// Encodes `side × side` greyscale pixels as a base64 PNG data URI.
pub(crate) fn grey_png_uri(pixels: &[u8], side: u32) -> String {
    let mut png = Vec::new();
    if let Some(img) = image::GrayImage::from_raw(side, side, pixels.to_vec()) {
        let _ = img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png);
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// Pairs per row of the sheet.
const COLUMNS: u32 = 6;

/// The sheet: `sections` of `(title, pairs)`, [`COLUMNS`] pairs a row,
/// under one `title` (one line per `\n`).
pub fn pair_sheet(title: &str, sections: &[(String, Vec<ThumbPair>)]) -> Svg {
    let side = sections
        .iter()
        .flat_map(|(_, p)| p.iter().map(|t| t.side))
        .max()
        .unwrap_or(48);
    let (cell_w, cell_h) = (2 * side + 26, side + 44);
    let w = COLUMNS * cell_w + 10;
    let mut body = String::new();
    for (k, line) in title.lines().enumerate() {
        let (size, at) = if k == 0 {
            (15, 20)
        } else {
            (12, 22 + 15 * k as u32)
        };
        body += &format!(
            r#"<text x="{}" y="{at}" font-family="sans-serif" font-size="{size}" text-anchor="middle">{}</text>"#,
            w / 2,
            escape(line)
        );
    }
    let mut y = 30 + 15 * title.lines().count().max(1) as u32;
    for (name, pairs) in sections {
        body += &format!(
            r#"<text x="8" y="{}" font-family="sans-serif" font-size="14">{}</text>"#,
            y + 4,
            escape(name)
        );
        y += 14;
        for (i, p) in pairs.iter().enumerate() {
            let x = 5 + (i as u32 % COLUMNS) * cell_w;
            let top = y + (i as u32 / COLUMNS) * cell_h;
            body += &pair_svg(p, x, top);
        }
        y += (pairs.len() as u32).div_ceil(COLUMNS).max(1) * cell_h + 10;
    }
    let h = y + 4;
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><rect width="100%" height="100%" fill="white"/>{body}</svg>"#
    );
    Svg { svg }
}

/// One framed pair with its caption, its top-left corner at `(x, y)`.
fn pair_svg(p: &ThumbPair, x: u32, y: u32) -> String {
    let s = p.side;
    let colour = if p.under { "#2ca02c" } else { "#d62728" };
    let mut out = format!(
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
        x + 4,
        y + 4,
        2 * s + 8,
        s + 4
    );
    for (k, img) in [&p.left, &p.right].into_iter().enumerate() {
        out += &format!(
            r#"<image x="{}" y="{}" width="{s}" height="{s}" href="{}"/>"#,
            x + 6 + k as u32 * (s + 4),
            y + 6,
            grey_png_uri(img, s)
        );
    }
    for (k, line) in p.caption.iter().enumerate() {
        out += &format!(
            r#"<text x="{}" y="{}" font-family="sans-serif" font-size="11" text-anchor="middle">{}</text>"#,
            x + 8 + s,
            y + s + 22 + 13 * k as u32,
            escape(line)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pair_is_drawn_framed_and_captioned() {
        let pair = |under| ThumbPair {
            left: vec![0; 16],
            right: vec![255; 16],
            side: 4,
            caption: ["A_1 ↔ A_2_1".into(), "d = 0.12 & mirrored".into()],
            under,
        };
        let sections = vec![
            ("close".to_string(), vec![pair(true); 7]),
            ("far".to_string(), vec![pair(false)]),
        ];
        let svg = pair_sheet("Pairs", &sections).svg;
        assert_eq!(svg.matches("<image").count(), 16);
        assert_eq!(svg.matches("#2ca02c").count(), 7);
        assert_eq!(svg.matches("#d62728").count(), 1);
        assert!(svg.contains("d = 0.12 &amp; mirrored") && svg.contains("data:image/png;base64,"));
    }
}

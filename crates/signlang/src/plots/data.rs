//! Data figures: class distributions and grids of labelled images.

use crate::data::{Dataset, PIXELS};
use crate::display::{escape, Svg};
use crate::letters::{letter, LETTERS, NUM_CLASSES};
use base64::Engine;
use plotters::prelude::*;

/// Class distribution: the share of each letter in each set, as grouped bars.
/// Shares (not counts) make sets of different sizes comparable. Each set is
/// given by its name and its class counts (`Dataset::class_counts`,
/// `TestSplit::class_counts`).
pub fn class_distribution(sets: &[(&str, [usize; NUM_CLASSES])]) -> Svg {
    let shares: Vec<Vec<f64>> = sets
        .iter()
        .map(|(_, c)| {
            let n = c.iter().sum::<usize>().max(1) as f64;
            c.iter().map(|&k| 100.0 * k as f64 / n).collect()
        })
        .collect();
    let ymax = shares.iter().flatten().cloned().fold(0.0, f64::max) * 1.15 + 0.5;
    super::plot((900, 360), |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Class distribution (% of each set)", ("sans-serif", 18))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(45)
            .build_cartesian_2d(0.0..NUM_CLASSES as f64, 0.0..ymax)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|_| String::new())
            .y_desc("% of images")
            .draw()?;
        // Letter labels under each group.
        for (c, l) in LETTERS.iter().enumerate() {
            chart.draw_series(std::iter::once(Text::new(
                l.to_string(),
                (c as f64 + 0.4, -ymax * 0.02),
                ("sans-serif", 13).into_font().color(&BLACK),
            )))?;
        }
        let k = sets.len().max(1) as f64;
        let width = 0.8 / k;
        for (s, ((name, counts), sh)) in sets.iter().zip(&shares).enumerate() {
            let colour = super::series_colour(s);
            chart
                .draw_series(sh.iter().enumerate().map(|(c, &v)| {
                    let x0 = c as f64 + 0.1 + s as f64 * width;
                    Rectangle::new([(x0, 0.0), (x0 + width, v)], colour.filled())
                }))?
                .label(format!("{name} (n = {})", counts.iter().sum::<usize>()))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], colour.filled())
                });
        }
        super::legend(&mut chart, SeriesLabelPosition::UpperRight, 0.8, 1.0)
    })
}

/// Encodes a 28×28 greyscale image as a base64 PNG data URI.
pub(crate) fn png_data_uri(pixels: &[u8]) -> String {
    let mut png = Vec::new();
    let img = image::GrayImage::from_raw(28, 28, pixels.to_vec());
    if let Some(img) = img {
        let _ = img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png);
    }
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// A grid of 28×28 images, each drawn at `scale`× with a caption under it.
/// Images are embedded as small PNGs, so the SVG stays compact.
pub fn image_grid(images: &[&[u8]], captions: &[String], columns: usize, title: &str) -> Svg {
    let scale = 3u32;
    let cell_w = 28 * scale + 12;
    let cell_h = 28 * scale + 26;
    let columns = columns.max(1);
    let rows = images.len().div_ceil(columns).max(1);
    let (w, h) = (columns as u32 * cell_w + 10, rows as u32 * cell_h + 36);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><rect width="100%" height="100%" fill="white"/><text x="{}" y="22" font-family="sans-serif" font-size="16" text-anchor="middle">{}</text>"#,
        w / 2,
        escape(title)
    );
    for (i, (img, cap)) in images.iter().zip(captions).enumerate() {
        debug_assert_eq!(img.len(), PIXELS);
        let x = 5 + (i % columns) as u32 * cell_w + 6;
        let y = 34 + (i / columns) as u32 * cell_h;
        svg += &format!(
            r#"<image x="{x}" y="{y}" width="{s}" height="{s}" style="image-rendering:pixelated" href="{}"/><text x="{}" y="{}" font-family="sans-serif" font-size="13" text-anchor="middle">{}</text>"#,
            png_data_uri(img),
            x + 14 * scale,
            y + 28 * scale + 16,
            escape(cap),
            s = 28 * scale
        );
    }
    svg += "</svg>";
    Svg { svg }
}

/// A grid of sample images, `per_letter` of each letter (the first ones in
/// file order), each captioned with its letter.
pub fn sample_grid(data: &Dataset, per_letter: usize) -> Svg {
    let mut picked: Vec<usize> = Vec::new();
    for c in 0..NUM_CLASSES as u8 {
        picked.extend(
            (0..data.len())
                .filter(|&i| data.classes[i] == c)
                .take(per_letter),
        );
    }
    let images: Vec<&[u8]> = picked.iter().map(|&i| data.image(i)).collect();
    let captions: Vec<String> = picked
        .iter()
        .map(|&i| format!("{} (row {})", letter(data.classes[i]), data.rows[i]))
        .collect();
    image_grid(
        &images,
        &captions,
        8,
        &format!("Sample images from {}", data.name),
    )
}

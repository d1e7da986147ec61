//! Robustness figures: accuracy against corruption severity for several
//! models ([`robustness_curves`]), and one image under every corruption
//! ([`corruption_samples`]).

use plotters::prelude::*;
use tch::{Kind, Tensor};

use super::data::png_data_uri;
use super::{legend, line_key, series_colour, PlotError};
use crate::corrupt::{Corruption, RobustnessReport, MAX_SEVERITY};
use crate::data::PIXELS;
use crate::display::{escape, Svg};

/// A model's accuracies at severities 0 (clean) to 5 under a corruption;
/// `None` = the mean over all corruptions.
fn curve(r: &RobustnessReport, c: Option<Corruption>) -> Vec<(f64, f64)> {
    let mut pts = vec![(0.0, r.clean)];
    for s in 1..=MAX_SEVERITY {
        let v = match c {
            Some(c) => r.accuracy(c, s).unwrap_or(f64::NAN),
            None => {
                let k = r.rows.len().max(1) as f64;
                r.rows
                    .iter()
                    .map(|row| row.accuracy[usize::from(s) - 1])
                    .sum::<f64>()
                    / k
            }
        };
        pts.push((f64::from(s), v));
    }
    pts.into_iter().filter(|p| p.1.is_finite()).collect()
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    reports: &[&RobustnessReport],
    c: Option<Corruption>,
    show_legend: bool,
) -> Result<(), PlotError> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 14))
        .margin(6)
        .x_label_area_size(22)
        .y_label_area_size(34)
        .build_cartesian_2d(-0.2f64..f64::from(MAX_SEVERITY) + 0.2, 0.0f64..1.0)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}%", 100.0 * y))
        .light_line_style(WHITE.mix(0.0))
        .draw()?;
    for (i, r) in reports.iter().enumerate() {
        let colour = series_colour(i);
        let style = ShapeStyle::from(colour).stroke_width(2);
        let pts = curve(r, c);
        chart
            .draw_series(LineSeries::new(pts.clone(), style))?
            .label(r.model.clone())
            .legend(line_key(style));
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, colour.filled())))?;
    }
    if show_legend {
        legend(&mut chart, SeriesLabelPosition::LowerLeft, 0.8, 0.3)?;
    }
    Ok(())
}

/// Accuracy against severity (0 = clean … 5) for several models: one small
/// panel per corruption, the last one the mean over all corruptions (with
/// the legend), one colour per model.
pub fn robustness_curves(reports: &[&RobustnessReport], title: &str) -> Svg {
    super::plot((1150, 720), |root| {
        let root = root.titled(title, ("sans-serif", 18))?;
        let areas = root.split_evenly((3, 5));
        let mut panels: Vec<(String, Option<Corruption>)> = Corruption::ALL
            .iter()
            .map(|&c| (c.name().to_string(), Some(c)))
            .collect();
        panels.push(("mean over corruptions".into(), None));
        for (area, (name, c)) in areas.iter().zip(&panels) {
            panel(area, name, reports, *c, c.is_none())?;
        }
        Ok(())
    })
}

/// `pixels` as a 1×1×28×28 tensor in [0, 1] (black when not 28×28).
fn image_tensor(pixels: &[u8]) -> Tensor {
    if pixels.len() == PIXELS {
        Tensor::from_slice(pixels)
            .view([1, 1, 28, 28])
            .to_kind(Kind::Float)
            / 255.0
    } else {
        Tensor::zeros([1, 1, 28, 28], (Kind::Float, tch::Device::Cpu))
    }
}

/// An image tensor in [0, 1] back to pixels 0–255.
fn tensor_pixels(t: &Tensor) -> Vec<u8> {
    Vec::try_from(
        (t * 255.0)
            .round()
            .clamp(0.0, 255.0)
            .to_kind(Kind::Uint8)
            .contiguous()
            .view([-1]),
    )
    .unwrap_or_else(|_| vec![0; PIXELS])
}

/// Severities shown by [`corruption_samples`], one column each (0: clean).
const SAMPLE_SEVERITIES: [u8; 4] = [0, 1, 3, 5];

/// One 28×28 image (pixels 0–255) as it is and under every corruption at
/// severities 1, 3 and 5 (random draws from `seed`): one row per corruption.
pub fn corruption_samples(pixels: &[u8], seed: u64, title: &str) -> Svg {
    let image = image_tensor(pixels);
    let (side, label_w, cell_w, cell_h, top) = (56u32, 110u32, 66u32, 64u32, 50u32);
    let rows = Corruption::ALL.len() as u32;
    let (w, h) = (label_w + 4 * cell_w + 10, top + rows * cell_h + 6);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><rect width="100%" height="100%" fill="white"/><text x="{}" y="20" font-family="sans-serif" font-size="15" text-anchor="middle">{}</text>"#,
        w / 2,
        escape(title)
    );
    let column_x = |j: usize| label_w + j as u32 * cell_w;
    for (j, s) in SAMPLE_SEVERITIES.iter().enumerate() {
        let head = if *s == 0 {
            "clean".to_string()
        } else {
            format!("severity {s}")
        };
        svg += &format!(
            r#"<text x="{}" y="{}" font-family="sans-serif" font-size="12" text-anchor="middle">{head}</text>"#,
            column_x(j) + side / 2,
            top - 8
        );
    }
    for (i, c) in Corruption::ALL.iter().enumerate() {
        let y = top + i as u32 * cell_h;
        svg += &format!(
            r#"<text x="{}" y="{}" font-family="sans-serif" font-size="13" text-anchor="end">{}</text>"#,
            label_w - 8,
            y + side / 2 + 4,
            escape(c.name())
        );
        for (j, &s) in SAMPLE_SEVERITIES.iter().enumerate() {
            let img = tensor_pixels(&c.apply(&image, s, seed));
            svg += &format!(
                r#"<image x="{}" y="{y}" width="{side}" height="{side}" style="image-rendering:pixelated" href="{}"/>"#,
                column_x(j),
                png_data_uri(&img)
            );
        }
    }
    svg += "</svg>";
    Svg { svg }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corrupt::CorruptionRow;

    fn report(name: &str, drop: f64) -> RobustnessReport {
        RobustnessReport {
            model: name.into(),
            data: "validation".into(),
            n_images: 100,
            seed: 0,
            clean: 0.99,
            rows: Corruption::ALL
                .iter()
                .map(|&c| CorruptionRow {
                    corruption: c,
                    accuracy: [0.9, 0.8, 0.7, 0.6, 0.5].map(|a| a - drop),
                })
                .collect(),
        }
    }

    #[test]
    fn curves_draw_a_panel_per_corruption_and_a_line_per_model() {
        let (a, b) = (report("plain", 0.0), report("robust", 0.2));
        let svg = robustness_curves(&[&a, &b], "Robustness on validation").svg;
        assert!(!svg.contains("cannot draw"));
        assert!(svg.contains("gaussian noise") && svg.contains("mean over corruptions"));
        assert!(svg.contains("plain") && svg.contains("robust"));
        // 14 panels × 2 models × 6 severities.
        assert_eq!(svg.matches("<circle").count(), 14 * 2 * 6);
    }

    #[test]
    fn samples_show_every_corruption_at_four_severities() {
        let pixels: Vec<u8> = (0..PIXELS).map(|i| (i * 7 % 256) as u8).collect();
        let svg = corruption_samples(&pixels, 1, "One image, corrupted").svg;
        assert_eq!(svg.matches("<image").count(), 13 * 4);
        assert!(svg.contains("occlusion") && svg.contains("severity 5"));
    }
}

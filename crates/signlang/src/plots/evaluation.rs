//! Evaluation figures: the confusion matrix, per-letter accuracy with
//! interval whiskers, and a grid of misclassified images.
//!
//! Drawn with plotters' SVG backend in pixel coordinates (text is SVG
//! `<text>`, no font files needed).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use crate::data::{Dataset, PIXELS};
use crate::display::Svg;
use crate::evaluate::Evaluation;
use crate::letters::{letter, LETTERS, NUM_CLASSES};

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn text_style(size: u32, h: HPos, v: VPos, colour: RGBColor) -> TextStyle<'static> {
    let mut style = TextStyle::from(("sans-serif", size).into_font()).pos(Pos::new(h, v));
    style.color = colour.to_backend_color();
    style
}

fn label(area: &Area, s: &str, at: (i32, i32), style: &TextStyle) {
    let _ = area.draw(&Text::new(s.to_string(), at, style.clone()));
}

fn rect(area: &Area, from: (i32, i32), to: (i32, i32), fill: RGBColor) {
    let _ = area.draw(&Rectangle::new([from, to], fill.filled()));
}

fn outline(area: &Area, from: (i32, i32), to: (i32, i32), colour: RGBColor) {
    let _ = area.draw(&Rectangle::new([from, to], colour.stroke_width(1)));
}

fn line(area: &Area, from: (i32, i32), to: (i32, i32), colour: RGBColor, width: u32) {
    let _ = area.draw(&PathElement::new(
        vec![from, to],
        colour.stroke_width(width),
    ));
}

/// Linear blend from white to `c` by `t ∈ [0, 1]`.
fn shade(c: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let mix = |v: u8| (255.0 - (255.0 - f64::from(v)) * t).round() as u8;
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

const BLUE: RGBColor = RGBColor(31, 96, 170);
const RED: RGBColor = RGBColor(200, 50, 30);
const ORANGE: RGBColor = RGBColor(230, 140, 20);
const GREY: RGBColor = RGBColor(120, 120, 120);
const DARK: RGBColor = RGBColor(30, 30, 30);

fn render(size: (u32, u32), draw: impl FnOnce(&Area)) -> Svg {
    super::render(size, |area| {
        draw(area);
        Ok(())
    })
}

/// The 24×24 confusion matrix as a heatmap: rows are true letters, columns
/// predicted letters. Diagonal cells are blue by the letter's accuracy;
/// error cells are red by their count (relative to the largest error cell)
/// and show the count.
pub fn confusion_matrix(eval: &Evaluation) -> Svg {
    let cell = 26;
    let (left, top) = (64, 70);
    let side = cell * NUM_CLASSES as i32;
    let size = ((left + side + 20) as u32, (top + side + 50) as u32);
    let max_err = eval.confusions().first().map_or(1, |c| c.count).max(1) as f64;
    render(size, |a| {
        let title = text_style(15, HPos::Center, VPos::Top, DARK);
        label(
            a,
            &format!(
                "Confusion matrix, {} images, accuracy {:.2}%",
                eval.n,
                100.0 * eval.accuracy
            ),
            (left + side / 2, 6),
            &title,
        );
        let axis = text_style(12, HPos::Center, VPos::Center, DARK);
        label(a, "predicted letter", (left + side / 2, top - 44), &axis);
        label(
            a,
            "true letter",
            (14, top + side / 2),
            &axis.transform(FontTransform::Rotate270),
        );
        let tick = text_style(11, HPos::Center, VPos::Center, DARK);
        for (i, &l) in LETTERS.iter().enumerate() {
            let c = left + cell * i as i32 + cell / 2;
            label(a, &l.to_string(), (c, top - 12), &tick);
            label(
                a,
                &l.to_string(),
                (left - 14, top + cell * i as i32 + cell / 2),
                &tick,
            );
        }
        for t in 0..NUM_CLASSES {
            let row: usize = eval.confusion[t].iter().sum();
            for p in 0..NUM_CLASSES {
                let count = eval.confusion[t][p];
                let x0 = left + cell * p as i32;
                let y0 = top + cell * t as i32;
                let fill = if t == p {
                    if row == 0 {
                        WHITE
                    } else {
                        shade(BLUE, count as f64 / row as f64)
                    }
                } else if count > 0 {
                    shade(RED, 0.15 + 0.85 * count as f64 / max_err)
                } else {
                    WHITE
                };
                rect(a, (x0, y0), (x0 + cell, y0 + cell), fill);
                if count > 0 && t != p {
                    let dark = count as f64 / max_err > 0.5;
                    let st = text_style(
                        if count >= 100 { 8 } else { 10 },
                        HPos::Center,
                        VPos::Center,
                        if dark { WHITE } else { DARK },
                    );
                    label(a, &count.to_string(), (x0 + cell / 2, y0 + cell / 2), &st);
                }
            }
        }
        for i in 0..=NUM_CLASSES as i32 {
            let colour = RGBColor(225, 225, 225);
            line(
                a,
                (left + cell * i, top),
                (left + cell * i, top + side),
                colour,
                1,
            );
            line(
                a,
                (left, top + cell * i),
                (left + side, top + cell * i),
                colour,
                1,
            );
        }
        outline(a, (left, top), (left + side, top + side), GREY);
        let note = text_style(11, HPos::Left, VPos::Top, GREY);
        label(
            a,
            "diagonal: blue by the letter's accuracy; off-diagonal: errors, red by count",
            (left, top + side + 12),
            &note,
        );
        if let Some(c) = eval.most_common_confusion() {
            label(
                a,
                &format!("most common error: {c}"),
                (left, top + side + 28),
                &note,
            );
        }
    })
}

/// Per-letter accuracy as bars with 95% interval whiskers and a dashed line
/// at the 90% goal. Bars are blue when the whole interval is above the goal,
/// orange when only the point estimate is, red when it is not.
pub fn per_letter_accuracy(eval: &Evaluation) -> Svg {
    per_letter_accuracy_with_goal(eval, 0.90)
}

/// [`per_letter_accuracy`] with another goal line.
pub fn per_letter_accuracy_with_goal(eval: &Evaluation, goal: f64) -> Svg {
    let (left, right, top, bottom) = (60, 20, 48, 60);
    let (w, h) = (760, 380);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let lowest = eval
        .letters
        .iter()
        .filter(|l| l.n > 0)
        .map(|l| l.best_ci().lo)
        .fold(goal, f64::min);
    let y_min = ((lowest - 0.02) * 20.0).floor().clamp(0.0, 19.0) / 20.0;
    let y_min = y_min.min(0.8);
    let y = |v: f64| top + ((1.0 - (v - y_min) / (1.0 - y_min)) * plot_h as f64).round() as i32;
    let slot = plot_w as f64 / NUM_CLASSES as f64;
    render((w as u32, h as u32), |a| {
        let title = text_style(15, HPos::Center, VPos::Top, DARK);
        label(
            a,
            &if eval.grouped.is_some() {
                format!(
                    "Accuracy per letter ({} images; 95% intervals per source photo)",
                    eval.n
                )
            } else {
                format!(
                    "Accuracy per letter ({} images, 95% Wilson intervals)",
                    eval.n
                )
            },
            (left + plot_w / 2, 8),
            &title,
        );
        // Grid and y ticks.
        let tick = text_style(11, HPos::Right, VPos::Center, DARK);
        let step = if 1.0 - y_min > 0.5 { 0.1 } else { 0.05 };
        let mut v = y_min;
        while v <= 1.0 + 1e-9 {
            line(
                a,
                (left, y(v)),
                (left + plot_w, y(v)),
                RGBColor(230, 230, 230),
                1,
            );
            label(a, &format!("{:.0}%", 100.0 * v), (left - 6, y(v)), &tick);
            v += step;
        }
        label(
            a,
            "accuracy",
            (14, top + plot_h / 2),
            &text_style(12, HPos::Center, VPos::Center, DARK).transform(FontTransform::Rotate270),
        );
        let xt = text_style(12, HPos::Center, VPos::Top, DARK);
        let nt = text_style(9, HPos::Center, VPos::Top, GREY);
        for l in &eval.letters {
            let cx = left + (slot * (f64::from(l.class) + 0.5)).round() as i32;
            label(a, &l.letter.to_string(), (cx, top + plot_h + 6), &xt);
            label(a, &l.n.to_string(), (cx, top + plot_h + 22), &nt);
            if l.n == 0 {
                continue;
            }
            let ci = l.best_ci();
            let colour = if ci.lo > goal {
                BLUE
            } else if l.accuracy > goal {
                ORANGE
            } else {
                RED
            };
            let half = (slot * 0.35) as i32;
            rect(
                a,
                (cx - half, y(l.accuracy.max(y_min))),
                (cx + half, y(y_min)),
                shade(colour, 0.75),
            );
            let (lo, hi) = (y(ci.lo.max(y_min)), y(ci.hi));
            line(a, (cx, lo), (cx, hi), DARK, 1);
            line(a, (cx - 4, lo), (cx + 4, lo), DARK, 1);
            line(a, (cx - 4, hi), (cx + 4, hi), DARK, 1);
        }
        // Dashed goal line.
        let gy = y(goal);
        let mut x = left;
        while x < left + plot_w {
            line(a, (x, gy), ((x + 8).min(left + plot_w), gy), RED, 2);
            x += 14;
        }
        label(
            a,
            &format!(
                "dashed line: goal {:.0}%  |  blue: whole interval above the goal  |  orange: only the estimate above  |  red: at or below",
                100.0 * goal
            ),
            (left + plot_w / 2, 26),
            &text_style(10, HPos::Center, VPos::Top, GREY),
        );
        outline(a, (left, top), (left + plot_w, top + plot_h), GREY);
        label(
            a,
            "letter (test images below)",
            (left + plot_w / 2, h - 16),
            &text_style(12, HPos::Center, VPos::Center, DARK),
        );
    })
}

/// A grid of misclassified images captioned "true→predicted". `images`,
/// `truth` and `predicted` describe the same images in the same order; the
/// first `max` images with `truth != predicted` are drawn (images that are
/// not 28×28 = 784 pixels are skipped).
///
/// Pixels are grey rectangles, written compactly by hand rather than through
/// plotters: grey is quantised to 32 levels, runs of equal grey along a row
/// merge into one rectangle, and the rectangles of one level form one SVG
/// path (a few kB per image).
pub fn misclassified_grid(images: &[&[u8]], truth: &[u8], predicted: &[u8], max: usize) -> Svg {
    use std::fmt::Write;
    let picked: Vec<usize> = (0..images.len().min(truth.len()).min(predicted.len()))
        .filter(|&i| {
            truth[i] != predicted[i]
                && images[i].len() == PIXELS
                && (truth[i] as usize) < NUM_CLASSES
                && (predicted[i] as usize) < NUM_CLASSES
        })
        .take(max)
        .collect();
    let total = (0..truth.len().min(predicted.len()))
        .filter(|&i| truth[i] != predicted[i])
        .count();
    let scale = 3;
    let (img, caption, gap) = (28 * scale, 18, 10);
    let cols = picked.len().clamp(1, 10);
    let rows = picked.len().div_ceil(cols).max(1);
    let (cell_w, cell_h) = (img + gap, img + caption + gap);
    let (left, top) = (10, 34);
    // At least wide enough for the title line (and the "none" note).
    let (w, h) = (
        (left * 2 + cols * cell_w).max(420),
        top + rows * cell_h + 10,
    );
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\" \
         font-family=\"sans-serif\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n\
         <text x=\"{left}\" y=\"22\" font-size=\"13\" fill=\"#1E1E1E\">Misclassified images \
         (true→predicted): {} of {total} shown</text>\n",
        picked.len()
    );
    for (k, &i) in picked.iter().enumerate() {
        let (x0, y0) = (left + (k % cols) * cell_w, top + (k / cols) * cell_h);
        let px = images[i];
        let mut paths: Vec<String> = vec![String::new(); 32];
        for row in 0..28 {
            let mut col = 0;
            while col < 28 {
                let q = px[row * 28 + col] / 8;
                let mut end = col + 1;
                while end < 28 && px[row * 28 + end] / 8 == q {
                    end += 1;
                }
                let _ = write!(
                    paths[q as usize],
                    "M{} {}h{}v{}h-{}z",
                    x0 + col * scale,
                    y0 + row * scale,
                    (end - col) * scale,
                    scale,
                    (end - col) * scale
                );
                col = end;
            }
        }
        for (q, d) in paths.iter().enumerate() {
            if !d.is_empty() {
                let g = q * 8 + 4;
                let _ = writeln!(svg, "<path fill=\"#{g:02X}{g:02X}{g:02X}\" d=\"{d}\"/>");
            }
        }
        let _ = writeln!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1E1E1E\">{}→{}</text>",
            x0 + img / 2,
            y0 + img + 13,
            letter(truth[i]),
            letter(predicted[i])
        );
    }
    if picked.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"{left}\" y=\"{}\" font-size=\"12\" fill=\"#787878\">no misclassified images</text>",
            top + 16
        );
    }
    svg.push_str("</svg>\n");
    Svg { svg }
}

/// [`misclassified_grid`] for an evaluation made on `data` (same images, same order).
pub fn misclassified_grid_for(data: &Dataset, eval: &Evaluation, max: usize) -> Svg {
    let images: Vec<&[u8]> = (0..data.len()).map(|i| data.image(i)).collect();
    misclassified_grid(&images, &eval.truth, &eval.predicted, max)
}

/// [`misclassified_grid`] for an evaluation made on the sealed test split
/// (from `Study::evaluate_on_test`, same images, same order).
pub fn misclassified_test(test: &crate::data::TestSplit, eval: &Evaluation, max: usize) -> Svg {
    misclassified_grid_for(test.dataset(), eval, max)
}

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

/// Where the confusion matrix goes: square cells of `cell` pixels from
/// (`left`, `top`), `side` pixels across in all.
#[derive(Clone, Copy)]
struct Matrix {
    cell: i32,
    left: i32,
    top: i32,
    side: i32,
}

impl Matrix {
    fn new() -> Self {
        let cell = 26;
        let side = cell * NUM_CLASSES as i32;
        Matrix {
            cell,
            left: 64,
            top: 70,
            side,
        }
    }

    fn size(self) -> (u32, u32) {
        let (w, h) = (self.left + self.side + 20, self.top + self.side + 50);
        (w as u32, h as u32)
    }

    /// The top-left corner of the cell in `row`, `column`.
    fn corner(self, row: usize, column: usize) -> (i32, i32) {
        let (x, y) = (self.cell * column as i32, self.cell * row as i32);
        (self.left + x, self.top + y)
    }
}

/// A cell's fill and, for an error cell, the style of its count: the
/// diagonal blue by the row's accuracy, errors red by `count / max_err`.
fn matrix_cell(
    count: usize,
    row_total: usize,
    diagonal: bool,
    max_err: f64,
) -> (RGBColor, Option<TextStyle<'static>>) {
    if diagonal {
        let accuracy = count as f64 / row_total as f64;
        return (
            if row_total == 0 {
                WHITE
            } else {
                shade(BLUE, accuracy)
            },
            None,
        );
    }
    if count == 0 {
        return (WHITE, None);
    }
    let share = count as f64 / max_err;
    let ink = if share > 0.5 { WHITE } else { DARK };
    let size = if count >= 100 { 8 } else { 10 };
    let style = text_style(size, HPos::Center, VPos::Center, ink);
    (shade(RED, 0.15 + 0.85 * share), Some(style))
}

/// The title, axis titles and letters around the matrix.
fn matrix_axes(a: &Area, eval: &Evaluation, m: Matrix) {
    let title = format!(
        "Confusion matrix, {} images, accuracy {:.2}%",
        eval.n,
        100.0 * eval.accuracy
    );
    let centre = m.left + m.side / 2;
    label(
        a,
        &title,
        (centre, 6),
        &text_style(15, HPos::Center, VPos::Top, DARK),
    );
    let axis = text_style(12, HPos::Center, VPos::Center, DARK);
    label(a, "predicted letter", (centre, m.top - 44), &axis);
    let rotated = axis.transform(FontTransform::Rotate270);
    label(a, "true letter", (14, m.top + m.side / 2), &rotated);
    let tick = text_style(11, HPos::Center, VPos::Center, DARK);
    for (i, &l) in LETTERS.iter().enumerate() {
        let (x, y) = m.corner(i, i);
        label(a, &l.to_string(), (x + m.cell / 2, m.top - 12), &tick);
        label(a, &l.to_string(), (m.left - 14, y + m.cell / 2), &tick);
    }
}

/// The cells, then the grid, frame and notes below.
fn matrix_cells(a: &Area, eval: &Evaluation, m: Matrix) {
    let max_err = eval.confusions().first().map_or(1, |c| c.count).max(1) as f64;
    for t in 0..NUM_CLASSES {
        let row: usize = eval.confusion[t].iter().sum();
        for p in 0..NUM_CLASSES {
            let count = eval.confusion[t][p];
            let (x0, y0) = m.corner(t, p);
            let (fill, text) = matrix_cell(count, row, t == p, max_err);
            rect(a, (x0, y0), (x0 + m.cell, y0 + m.cell), fill);
            if let Some(st) = text {
                let at = (x0 + m.cell / 2, y0 + m.cell / 2);
                label(a, &count.to_string(), at, &st);
            }
        }
    }
    let (left, top, side) = (m.left, m.top, m.side);
    for i in 0..=NUM_CLASSES {
        let (x, y) = m.corner(i, i);
        line(a, (x, top), (x, top + side), RGBColor(225, 225, 225), 1);
        line(a, (left, y), (left + side, y), RGBColor(225, 225, 225), 1);
    }
    outline(a, (left, top), (left + side, top + side), GREY);
    let note = text_style(11, HPos::Left, VPos::Top, GREY);
    let key = "diagonal: blue by the letter's accuracy; off-diagonal: errors, red by count";
    label(a, key, (left, top + side + 12), &note);
    if let Some(c) = eval.most_common_confusion() {
        let text = format!("most common error: {c}");
        label(a, &text, (left, top + side + 28), &note);
    }
}

/// The 24×24 confusion matrix as a heatmap: rows are true letters, columns
/// predicted letters. Diagonal cells are blue by the letter's accuracy;
/// error cells are red by their count (relative to the largest error cell)
/// and show the count.
pub fn confusion_matrix(eval: &Evaluation) -> Svg {
    let m = Matrix::new();
    render(m.size(), |a| {
        matrix_axes(a, eval, m);
        matrix_cells(a, eval, m);
    })
}

/// Per-letter accuracy as bars with 95% interval whiskers and a dashed line
/// at the 90% goal. Bars are blue when the whole interval is above the goal,
/// orange when only the point estimate is, red when it is not.
pub fn per_letter_accuracy(eval: &Evaluation) -> Svg {
    per_letter_accuracy_with_goal(eval, 0.90)
}

/// Where the per-letter bars go: the plot area from (`left`, `top`),
/// `plot_w` × `plot_h` pixels, in a `w` × `h` figure; the y axis from
/// `y_min` to 100%; `slot` pixels per letter.
struct Bars {
    left: i32,
    top: i32,
    plot_w: i32,
    plot_h: i32,
    w: i32,
    h: i32,
    y_min: f64,
    slot: f64,
}

impl Bars {
    fn new(eval: &Evaluation, goal: f64) -> Self {
        let (left, right, top, bottom) = (60, 20, 48, 60);
        let (w, h) = (760, 380);
        let lowest = eval.letters.iter().filter(|l| l.n > 0);
        let lowest = lowest.map(|l| l.best_ci().lo).fold(goal, f64::min);
        let y_min = ((lowest - 0.02) * 20.0).floor().clamp(0.0, 19.0) / 20.0;
        let plot_w = w - left - right;
        Bars {
            left,
            top,
            plot_w,
            plot_h: h - top - bottom,
            w,
            h,
            y_min: y_min.min(0.8),
            slot: plot_w as f64 / NUM_CLASSES as f64,
        }
    }

    /// The pixel row of accuracy `v`.
    fn y(&self, v: f64) -> i32 {
        let up = 1.0 - (v - self.y_min) / (1.0 - self.y_min);
        self.top + (up * self.plot_h as f64).round() as i32
    }

    /// The pixel column of the centre of `class`'s bar.
    fn x(&self, class: u8) -> i32 {
        self.left + (self.slot * (f64::from(class) + 0.5)).round() as i32
    }
}

/// The title, the horizontal grid with its percentages, the y axis title.
fn bar_axes(a: &Area, eval: &Evaluation, b: &Bars) {
    let title = if eval.grouped.is_some() {
        format!(
            "Accuracy per letter ({} images; 95% intervals per source photo)",
            eval.n
        )
    } else {
        format!(
            "Accuracy per letter ({} images, 95% Wilson intervals)",
            eval.n
        )
    };
    let title_style = text_style(15, HPos::Center, VPos::Top, DARK);
    label(a, &title, (b.left + b.plot_w / 2, 8), &title_style);
    let tick = text_style(11, HPos::Right, VPos::Center, DARK);
    let step = if 1.0 - b.y_min > 0.5 { 0.1 } else { 0.05 };
    let mut v = b.y_min;
    while v <= 1.0 + 1e-9 {
        let (from, to) = ((b.left, b.y(v)), (b.left + b.plot_w, b.y(v)));
        line(a, from, to, RGBColor(230, 230, 230), 1);
        label(
            a,
            &format!("{:.0}%", 100.0 * v),
            (b.left - 6, b.y(v)),
            &tick,
        );
        v += step;
    }
    let rotated =
        text_style(12, HPos::Center, VPos::Center, DARK).transform(FontTransform::Rotate270);
    label(a, "accuracy", (14, b.top + b.plot_h / 2), &rotated);
}

/// Each letter's name and image count under the axis, its bar coloured
/// against the goal, and its interval as a whisker.
fn letter_bars(a: &Area, eval: &Evaluation, b: &Bars, goal: f64) {
    let xt = text_style(12, HPos::Center, VPos::Top, DARK);
    let nt = text_style(9, HPos::Center, VPos::Top, GREY);
    let half = (b.slot * 0.35) as i32;
    for l in &eval.letters {
        let cx = b.x(l.class);
        label(a, &l.letter.to_string(), (cx, b.top + b.plot_h + 6), &xt);
        label(a, &l.n.to_string(), (cx, b.top + b.plot_h + 22), &nt);
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
        let (bar_top, base) = (b.y(l.accuracy.max(b.y_min)), b.y(b.y_min));
        rect(
            a,
            (cx - half, bar_top),
            (cx + half, base),
            shade(colour, 0.75),
        );
        let (lo, hi) = (b.y(ci.lo.max(b.y_min)), b.y(ci.hi));
        line(a, (cx, lo), (cx, hi), DARK, 1);
        line(a, (cx - 4, lo), (cx + 4, lo), DARK, 1);
        line(a, (cx - 4, hi), (cx + 4, hi), DARK, 1);
    }
}

/// The dashed goal line, the colour key, the frame and the x axis title.
fn goal_line(a: &Area, b: &Bars, goal: f64) {
    let (gy, right) = (b.y(goal), b.left + b.plot_w);
    let mut x = b.left;
    while x < right {
        line(a, (x, gy), ((x + 8).min(right), gy), RED, 2);
        x += 14;
    }
    let key = format!(
        "dashed line: goal {:.0}%  |  blue: whole interval above the goal  |  orange: only the estimate above  |  red: at or below",
        100.0 * goal
    );
    let centre = b.left + b.plot_w / 2;
    label(
        a,
        &key,
        (centre, 26),
        &text_style(10, HPos::Center, VPos::Top, GREY),
    );
    outline(a, (b.left, b.top), (right, b.top + b.plot_h), GREY);
    let axis = text_style(12, HPos::Center, VPos::Center, DARK);
    label(a, "letter (test images below)", (centre, b.h - 16), &axis);
}

/// [`per_letter_accuracy`] with another goal line.
pub fn per_letter_accuracy_with_goal(eval: &Evaluation, goal: f64) -> Svg {
    let b = Bars::new(eval, goal);
    render((b.w as u32, b.h as u32), |a| {
        bar_axes(a, eval, &b);
        letter_bars(a, eval, &b, goal);
        goal_line(a, &b, goal);
    })
}

/// The images [`misclassified_grid`] draws: the first `max` wrong ones that
/// are 28×28 with known classes.
fn misclassified(images: &[&[u8]], truth: &[u8], predicted: &[u8], max: usize) -> Vec<usize> {
    let known = |c: u8| (c as usize) < NUM_CLASSES;
    (0..images.len().min(truth.len()).min(predicted.len()))
        .filter(|&i| {
            truth[i] != predicted[i]
                && images[i].len() == PIXELS
                && known(truth[i])
                && known(predicted[i])
        })
        .take(max)
        .collect()
}

/// Writes one 28×28 image at (`x0`, `y0`), `scale` pixels a pixel: runs of
/// equal grey (32 levels) along a row merge into one rectangle, and the
/// rectangles of one level form one SVG path.
fn grey_paths(svg: &mut String, px: &[u8], (x0, y0): (usize, usize), scale: usize) {
    use std::fmt::Write;
    let mut paths: Vec<String> = vec![String::new(); 32];
    for row in 0..28 {
        let mut col = 0;
        while col < 28 {
            let q = px[row * 28 + col] / 8;
            let mut end = col + 1;
            while end < 28 && px[row * 28 + end] / 8 == q {
                end += 1;
            }
            let (x, y, run) = (x0 + col * scale, y0 + row * scale, (end - col) * scale);
            let _ = write!(paths[q as usize], "M{x} {y}h{run}v{scale}h-{run}z");
            col = end;
        }
    }
    for (q, d) in paths.iter().enumerate() {
        if !d.is_empty() {
            let g = q * 8 + 4;
            let _ = writeln!(svg, "<path fill=\"#{g:02X}{g:02X}{g:02X}\" d=\"{d}\"/>");
        }
    }
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
    let picked = misclassified(images, truth, predicted, max);
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
        grey_paths(&mut svg, images[i], (x0, y0), scale);
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

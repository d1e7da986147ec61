//! Each searched setting against validation accuracy, as small multiples
//! ([`settings_vs_accuracy`]); the settings of a run from its spec and
//! config ([`run_settings`]).

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::search::{accuracy_range, colour, msg};
use crate::display::Svg;
use crate::model::{ModelSpec, Padding};
use crate::study::RunEntry;
use crate::train::{Optimizer, Schedule, TrainConfig};

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// The value of one setting of a run.
#[derive(Clone, Debug, PartialEq)]
pub enum SettingValue {
    /// A number, drawn on a numeric axis (log scale for the learning rate).
    Number(f64),
    /// A category, drawn as one column per value.
    Category(String),
}

/// The settings of a run that the study's searches vary, in panel order:
/// architecture (`dense`, or the conv filters, kernel and padding), hidden
/// layers (of a dense network, or of a CNN's dense head), batch norm,
/// dropout (of the dense layers), optimizer, learning rate, schedule, batch
/// size, epochs.
pub fn run_settings(spec: &ModelSpec, config: &TrainConfig) -> Vec<(&'static str, SettingValue)> {
    let cat = |s: String| SettingValue::Category(s);
    let (arch, dense, conv_bn) = match spec {
        ModelSpec::Dense(d) => ("dense".to_string(), d, false),
        ModelSpec::Cnn(c) => {
            let filters: Vec<String> = c.blocks.iter().map(|b| b.filters.to_string()).collect();
            let mut arch = format!("conv {}", filters.join("-"));
            if c.blocks.iter().any(|b| b.kernel != 3) {
                arch += &format!(" k{}", c.blocks.first().map_or(3, |b| b.kernel));
            }
            if c.blocks.iter().any(|b| b.padding == Padding::Valid) {
                arch += " valid";
            }
            (arch, &c.head, c.blocks.iter().any(|b| b.batch_norm))
        }
    };
    let hidden: Vec<String> = dense.hidden.iter().map(|h| h.to_string()).collect();
    let optimizer = match config.optimizer {
        Optimizer::Sgd { nesterov: true, .. } => "sgd nesterov",
        Optimizer::Sgd { .. } => "sgd",
        Optimizer::Adam => "adam",
        Optimizer::AdamW => "adamw",
    };
    let schedule = match config.schedule {
        Schedule::Constant => "constant",
        Schedule::Step { .. } => "step",
        Schedule::Cosine => "cosine",
        Schedule::OneCycle { .. } => "one-cycle",
    };
    let yes_no = |b: bool| cat(if b { "yes" } else { "no" }.to_string());
    vec![
        ("architecture", cat(arch)),
        (
            "hidden layers",
            cat(if hidden.is_empty() {
                "none".into()
            } else {
                hidden.join("-")
            }),
        ),
        ("batch norm", yes_no(dense.batch_norm || conv_bn)),
        ("dropout", SettingValue::Number(dense.dropout)),
        ("optimizer", cat(optimizer.to_string())),
        ("learning rate", SettingValue::Number(config.lr)),
        ("schedule", cat(schedule.to_string())),
        ("batch size", cat(config.batch_size.to_string())),
        ("epochs", cat(config.epochs.to_string())),
    ]
}

/// One panel: a setting's name and, per plotted run, (value, accuracy, family colour).
type Panel = (&'static str, Vec<(SettingValue, f64, RGBColor)>);

/// The panels of the settings that vary among runs with a validation result.
fn setting_panels(runs: &[RunEntry]) -> Vec<Panel> {
    let scored: Vec<(&RunEntry, f64)> = runs
        .iter()
        .filter_map(|r| Some((r, r.validation.as_ref()?.accuracy)).filter(|(_, a)| a.is_finite()))
        .collect();
    let mut panels: Vec<Panel> = Vec::new();
    for (r, acc) in &scored {
        let c = colour(usize::from(r.family() == "cnn"));
        for (k, (name, value)) in run_settings(&r.spec, &r.config).into_iter().enumerate() {
            if panels.len() <= k {
                panels.push((name, Vec::new()));
            }
            panels[k].1.push((value, *acc, c));
        }
    }
    panels.retain(|(_, pts)| pts.iter().any(|p| p.0 != pts[0].0));
    panels
}

/// The distinct categories, numerically sorted when they are all numbers.
fn categories(points: &[(SettingValue, f64, RGBColor)]) -> Vec<String> {
    let mut cats: Vec<String> = Vec::new();
    for (v, _, _) in points {
        if let SettingValue::Category(s) = v {
            if !cats.contains(s) {
                cats.push(s.clone());
            }
        }
    }
    if cats.iter().all(|c| c.parse::<f64>().is_ok()) {
        cats.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse().unwrap_or(0.0))
        });
    } else {
        cats.sort();
    }
    cats
}

/// A categorical axis of `n` columns at 0, 1, …, n − 1, each labelled.
struct CategoryAxis(usize);

impl Ranged for CategoryAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value + 0.5) / self.0 as f64;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.0).map(|i| i as f64).collect()
    }

    fn range(&self) -> Range<f64> {
        -0.5..self.0 as f64 - 0.5
    }
}

/// A scatter of accuracy against one setting. `hanging` labels (long
/// category names) are drawn turned, hanging below their column, in place
/// of the axis labels.
fn scatter<X>(
    area: &Area,
    name: &str,
    x: X,
    y: (f64, f64),
    points: Vec<(f64, f64, RGBColor)>,
    format: &dyn Fn(&f64) -> String,
    hanging: &[String],
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let hang = !hanging.is_empty();
    let mut chart = ChartBuilder::on(area)
        .caption(name, ("sans-serif", 15))
        .margin(6)
        .x_label_area_size(if hang { 84 } else { 28 })
        .y_label_area_size(44)
        .build_cartesian_2d(x, y.0..y.1)
        .map_err(msg)?;
    let blank = |_: &f64| String::new();
    chart
        .configure_mesh()
        .x_label_formatter(if hang { &blank } else { format })
        .y_desc("validation accuracy")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(msg)?;
    let style = TextStyle::from(("sans-serif", 11).into_font())
        .transform(FontTransform::Rotate90)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let (bx, by) = area.get_base_pixel();
    for (i, label) in hanging.iter().enumerate() {
        let (px, py) = chart.backend_coord(&(i as f64, y.0));
        let at = (px - bx, py - by + 6);
        area.draw(&Text::new(label.clone(), at, style.clone()))
            .map_err(msg)?;
    }
    chart
        .draw_series(
            points
                .into_iter()
                .map(|(x, y, c)| Circle::new((x, y), 4, c.mix(0.7).filled())),
        )
        .map_err(msg)?;
    Ok(())
}

fn draw_panel(area: &Area, (name, points): &Panel, y: (f64, f64)) -> Result<(), String> {
    if points
        .iter()
        .all(|p| matches!(p.0, SettingValue::Number(_)))
    {
        let xs: Vec<(f64, f64, RGBColor)> = points
            .iter()
            .filter_map(|(v, a, c)| match v {
                SettingValue::Number(x) => Some((*x, *a, *c)),
                SettingValue::Category(_) => None,
            })
            .collect();
        let (lo, hi) = xs
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), p| {
                (l.min(p.0), h.max(p.0))
            });
        if *name == "learning rate" && lo > 0.0 {
            let fmt = |x: &f64| format!("{x:.0e}");
            return scatter(
                area,
                name,
                (lo / 1.5..hi * 1.5).log_scale(),
                y,
                xs,
                &fmt,
                &[],
            );
        }
        let pad = 0.08 * (hi - lo);
        let fmt = |x: &f64| format!("{x:.2}");
        return scatter(area, name, lo - pad..hi + pad, y, xs, &fmt, &[]);
    }
    let cats = categories(points);
    let index = |s: &str| cats.iter().position(|c| c == s).unwrap_or(0) as f64;
    let xs = points
        .iter()
        .map(|(v, a, c)| match v {
            SettingValue::Category(s) => (index(s), *a, *c),
            SettingValue::Number(x) => (index(&x.to_string()), *a, *c),
        })
        .collect();
    let x = CategoryAxis(cats.len());
    let fmt = |x: &f64| cats.get(x.round() as usize).cloned().unwrap_or_default();
    let long = cats.iter().map(String::len).sum::<usize>() > 24;
    let hanging = if long { cats.clone() } else { Vec::new() };
    scatter(area, name, x, y, xs, &fmt, &hanging)
}

/// Small multiples: one panel per setting that varies among the runs with a
/// validation result ([`run_settings`]), each a scatter of validation
/// accuracy against the setting (learning rate on a log scale); blue points
/// are dense networks, orange CNNs. Runs without a validation result are
/// left out and counted in the title.
pub fn settings_vs_accuracy(runs: &[RunEntry], title: &str) -> Svg {
    let panels = setting_panels(runs);
    let plotted = panels.first().map_or(0, |p| p.1.len());
    let left_out = runs
        .iter()
        .filter(|r| {
            r.validation
                .as_ref()
                .is_none_or(|v| !v.accuracy.is_finite())
        })
        .count();
    let cols = panels.len().clamp(1, 3);
    let rows = panels.len().div_ceil(cols).max(1);
    let size = (320 * cols as u32, 40 + 290 * rows as u32);
    super::render(size, |root| {
        let mut heading = format!("{title}: {plotted} runs (blue: dense, orange: CNN)");
        if left_out > 0 {
            heading += &format!("; {left_out} without a validation result left out");
        }
        let root = root.titled(&heading, ("sans-serif", 17)).map_err(msg)?;
        if panels.is_empty() {
            let note = "no setting varies among the runs with a validation result";
            root.draw(&Text::new(note, (20, 30), ("sans-serif", 14)))
                .map_err(msg)?;
            return Ok(());
        }
        let y = accuracy_range(panels[0].1.iter().map(|p| p.1));
        for (area, panel) in root.split_evenly((rows, cols)).iter().zip(&panels) {
            draw_panel(area, panel, y)?;
        }
        Ok(())
    })
}

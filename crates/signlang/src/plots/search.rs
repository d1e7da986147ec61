//! The selection process at a glance: every run of the study in ledger
//! order with the running best ([`optimisation_history`], as a table
//! [`history_table`]), and each searched setting against validation
//! accuracy ([`settings_vs_accuracy`], settings from [`run_settings`]).

use std::ops::Range;

use plotters::coord::ranged1d::{AsRangedCoord, DefaultFormatting, KeyPointHint, ValueFormatter};
use plotters::prelude::*;
use plotters::style::FontTransform;

use super::SERIES_COLOURS;
use crate::display::{Svg, Table};
use crate::model::{ModelSpec, Padding};
use crate::study::{RunEntry, SearchOutcome};
use crate::train::{Optimizer, Schedule, TrainConfig};

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

const GREY: RGBColor = RGBColor(120, 120, 120);

/// The stages of a search outcome, for [`optimisation_history`]: one stage
/// named `name` for a one-rung search, else `"{name} rung 1"`, `"… rung 2"`, ….
pub fn outcome_stages(outcome: &SearchOutcome, name: &str) -> Vec<(String, Vec<RunEntry>)> {
    let many = outcome.rungs.len() > 1;
    outcome
        .rungs
        .iter()
        .enumerate()
        .map(|(i, rung)| {
            let stage = if many {
                format!("{name} rung {}", i + 1)
            } else {
                name.to_string()
            };
            (stage, rung.iter().map(|r| r.entry.clone()).collect())
        })
        .collect()
}

/// One plotted run of the history.
struct Point<'a> {
    x: f64,
    stage: usize,
    entry: &'a RunEntry,
    accuracy: Option<f64>,
}

/// Runs of all stages in run order; x is the number of the id (`r012` → 12),
/// or the position when the id has no number.
fn history_points<'a, S: AsRef<str>>(stages: &'a [(S, Vec<RunEntry>)]) -> Vec<Point<'a>> {
    let mut points: Vec<Point> = stages
        .iter()
        .enumerate()
        .flat_map(|(stage, (_, runs))| runs.iter().map(move |e| (stage, e)))
        .enumerate()
        .map(|(i, (stage, entry))| Point {
            x: entry
                .id
                .trim_start_matches('r')
                .parse::<f64>()
                .unwrap_or(i as f64 + 1.0),
            stage,
            entry,
            accuracy: entry
                .validation
                .as_ref()
                .map(|v| v.accuracy)
                .filter(|a| a.is_finite()),
        })
        .collect();
    points.sort_by(|a, b| a.x.total_cmp(&b.x));
    points
}

/// The best validation accuracy up to and including each point.
fn running_best(points: &[Point]) -> Vec<Option<f64>> {
    let mut best: Option<f64> = None;
    points
        .iter()
        .map(|p| {
            if let Some(a) = p.accuracy {
                best = Some(best.map_or(a, |b| b.max(a)));
            }
            best
        })
        .collect()
}

/// A y range from below the lowest accuracy (in steps of 0.1) to 1.
fn accuracy_range(accuracies: impl Iterator<Item = f64>) -> (f64, f64) {
    let low = accuracies.fold(1.0f64, f64::min);
    (((low - 0.02) * 10.0).floor().clamp(0.0, 9.0) / 10.0, 1.0)
}

fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// The optimisation history: the validation accuracy of every run in run
/// order (x: the number of its id), one colour per stage, the running best
/// as a step line, and the `chosen` runs ringed and labelled with their id.
/// Runs without a validation result (failed, interrupted) are drawn as grey
/// crosses on the bottom line and counted in the legend.
pub fn optimisation_history<S: AsRef<str>>(stages: &[(S, Vec<RunEntry>)], chosen: &[&str]) -> Svg {
    let points = history_points(stages);
    super::render((900, 420), |root| {
        let (lo, hi) = accuracy_range(points.iter().filter_map(|p| p.accuracy));
        let max_x = points.iter().map(|p| p.x).fold(1.0, f64::max);
        let mut chart = ChartBuilder::on(root)
            .caption(
                "Optimisation history: validation accuracy of every run",
                ("sans-serif", 18),
            )
            .margin(10)
            .x_label_area_size(36)
            .y_label_area_size(52)
            .build_cartesian_2d(0.5..max_x + 0.5, lo..hi)
            .map_err(msg)?;
        chart
            .configure_mesh()
            .x_desc("run (ledger order)")
            .y_desc("validation accuracy")
            .x_label_formatter(&|x| format!("r{x:03.0}"))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(msg)?;

        for (i, (name, _)) in stages.iter().enumerate() {
            let c = colour(i);
            let mine: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.stage == i)
                .filter_map(|p| Some((p.x, p.accuracy?)))
                .collect();
            chart
                .draw_series(mine.iter().map(|&p| Circle::new(p, 5, c.filled())))
                .map_err(msg)?
                .label(format!("{} ({})", name.as_ref(), mine.len()))
                .legend(move |(x, y)| Circle::new((x + 8, y), 5, c.filled()));
        }
        let best = running_best(&points);
        let mut step: Vec<(f64, f64)> = Vec::new();
        for (p, b) in points.iter().zip(&best) {
            if let Some(b) = *b {
                if let Some(&(_, prev)) = step.last() {
                    step.push((p.x, prev));
                }
                step.push((p.x, b));
            }
        }
        if let Some(&(_, last)) = step.last() {
            step.push((max_x + 0.5, last));
        }
        let dark = BLACK.mix(0.6).stroke_width(2);
        chart
            .draw_series(LineSeries::new(step, dark))
            .map_err(msg)?
            .label("best so far")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], dark));
        let failed: Vec<f64> = points
            .iter()
            .filter(|p| p.accuracy.is_none())
            .map(|p| p.x)
            .collect();
        if !failed.is_empty() {
            let bottom = lo + 0.02 * (hi - lo);
            chart
                .draw_series(
                    failed
                        .iter()
                        .map(|&x| Cross::new((x, bottom), 5, GREY.stroke_width(2))),
                )
                .map_err(msg)?
                .label(format!("no validation result ({})", failed.len()))
                .legend(|(x, y)| Cross::new((x + 8, y), 5, GREY.stroke_width(2)));
        }
        let rings: Vec<(f64, f64, &str)> = points
            .iter()
            .filter(|p| chosen.contains(&p.entry.id.as_str()))
            .filter_map(|p| Some((p.x, p.accuracy?, p.entry.id.as_str())))
            .collect();
        if !rings.is_empty() {
            let ring = BLACK.stroke_width(2);
            chart
                .draw_series(rings.iter().enumerate().map(|(k, &(x, y, id))| {
                    let dy = if k % 2 == 0 { -22 } else { 10 };
                    EmptyElement::at((x, y))
                        + Circle::new((0, 0), 9, ring)
                        + Text::new(id.to_string(), (8, dy), ("sans-serif", 13))
                }))
                .map_err(msg)?
                .label("chosen")
                .legend(move |(x, y)| Circle::new((x + 8, y), 7, ring));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(msg)
    })
}

/// The history as a table, in run order: run, stage, label, status,
/// validation accuracy, best so far, chosen.
pub fn history_table<S: AsRef<str>>(stages: &[(S, Vec<RunEntry>)], chosen: &[&str]) -> Table {
    let points = history_points(stages);
    let best = running_best(&points);
    let pct = |a: Option<f64>| a.map_or("—".to_string(), |a| format!("{:.2}%", 100.0 * a));
    let mut table = Table::new([
        "run",
        "stage",
        "label",
        "status",
        "validation accuracy",
        "best so far",
        "chosen",
    ])
    .with_caption(format!(
        "{} runs in ledger order; chosen: {}",
        points.len(),
        chosen.join(", ")
    ));
    for (p, b) in points.iter().zip(best) {
        let label = p
            .entry
            .label
            .clone()
            .unwrap_or_else(|| p.entry.spec.describe());
        table.push([
            p.entry.id.clone(),
            stages[p.stage].0.as_ref().to_string(),
            label,
            p.entry.status.name().to_string(),
            pct(p.accuracy),
            pct(b),
            if chosen.contains(&p.entry.id.as_str()) {
                "yes"
            } else {
                ""
            }
            .to_string(),
        ]);
    }
    table
}

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
        Optimizer::RmsProp => "rmsprop",
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

fn scatter<X>(
    area: &Area,
    name: &str,
    x: X,
    y: (f64, f64),
    points: Vec<(f64, f64, RGBColor)>,
    format: &dyn Fn(&f64) -> String,
    rotate: bool,
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(name, ("sans-serif", 15))
        .margin(6)
        .x_label_area_size(if rotate { 84 } else { 28 })
        .y_label_area_size(44)
        .build_cartesian_2d(x, y.0..y.1)
        .map_err(msg)?;
    let mut style = TextStyle::from(("sans-serif", 11).into_font());
    if rotate {
        style = style.transform(FontTransform::Rotate90);
    }
    chart
        .configure_mesh()
        .x_label_formatter(format)
        .x_label_style(style)
        .y_desc("validation accuracy")
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(msg)?;
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
                false,
            );
        }
        let pad = 0.08 * (hi - lo);
        let fmt = |x: &f64| format!("{x:.2}");
        return scatter(area, name, lo - pad..hi + pad, y, xs, &fmt, false);
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
    let rotate = cats.iter().map(String::len).sum::<usize>() > 24;
    scatter(area, name, x, y, xs, &fmt, rotate)
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

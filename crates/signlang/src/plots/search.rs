//! The selection process at a glance: every run of the study in ledger
//! order with the running best ([`optimisation_history`], as a table
//! [`history_table`]); the learning curves of a search's runs overlaid
//! ([`compare_outcome`]). Each searched setting against validation accuracy
//! is in the sibling module `settings` ([`super::settings_vs_accuracy`]).

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{compare_runs, CurveMetric, SERIES_COLOURS};
use crate::display::{Svg, Table};
use crate::study::{RunEntry, SearchOutcome};
use crate::train::History;

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

/// One metric of every run of a search outcome (all rungs), overlaid with
/// [`compare_runs`]; each run is named by its id and label.
pub fn compare_outcome(outcome: &SearchOutcome, metric: CurveMetric) -> Svg {
    let histories: Vec<(String, History)> = outcome
        .rungs
        .iter()
        .flatten()
        .map(|r| {
            let label = r.entry.label.clone().unwrap_or_else(|| r.entry.id.clone());
            (format!("{} {label}", r.entry.id), r.entry.history())
        })
        .collect();
    let refs: Vec<(&str, &History)> = histories.iter().map(|(n, h)| (n.as_str(), h)).collect();
    compare_runs(&refs, metric)
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
pub(super) fn accuracy_range(accuracies: impl Iterator<Item = f64>) -> (f64, f64) {
    let low = accuracies.fold(1.0f64, f64::min);
    (((low - 0.02) * 10.0).floor().clamp(0.0, 9.0) / 10.0, 1.0)
}

pub(super) fn msg(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub(super) fn colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// [`optimisation_history`] of a whole study: the baseline run, then each
/// named search outcome's stages ([`outcome_stages`]).
pub fn study_history(
    baseline: &RunEntry,
    outcomes: &[(&SearchOutcome, &str)],
    chosen: &[&str],
) -> Svg {
    let mut stages = vec![("baseline".to_string(), vec![baseline.clone()])];
    for (outcome, name) in outcomes {
        stages.extend(outcome_stages(outcome, name));
    }
    optimisation_history(&stages, chosen)
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
        draw_stages(&mut chart, stages, &points)?;
        let dark = BLACK.mix(0.6).stroke_width(2);
        chart
            .draw_series(LineSeries::new(best_step(&points, max_x), dark))
            .map_err(msg)?
            .label("best so far")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], dark));
        draw_failed(&mut chart, &points, lo + 0.02 * (hi - lo))?;
        draw_chosen(&mut chart, &points, chosen)?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(msg)
    })
}

/// The chart of [`optimisation_history`]: run number against accuracy.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The runs with a validation result, one colour per stage, counted in the legend.
fn draw_stages<S: AsRef<str>>(
    chart: &mut Chart,
    stages: &[(S, Vec<RunEntry>)],
    points: &[Point],
) -> Result<(), String> {
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
    Ok(())
}

/// The running best as a step line, carried on to the right edge (`max_x + 0.5`).
fn best_step(points: &[Point], max_x: f64) -> Vec<(f64, f64)> {
    let best = running_best(points);
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
    step
}

/// Runs without a validation result as grey crosses at height `bottom`.
fn draw_failed(chart: &mut Chart, points: &[Point], bottom: f64) -> Result<(), String> {
    let failed: Vec<f64> = points
        .iter()
        .filter(|p| p.accuracy.is_none())
        .map(|p| p.x)
        .collect();
    if !failed.is_empty() {
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
    Ok(())
}

/// The `chosen` runs ringed and labelled with their id.
fn draw_chosen(chart: &mut Chart, points: &[Point], chosen: &[&str]) -> Result<(), String> {
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
    Ok(())
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

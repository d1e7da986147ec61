//! Figures as SVG (plotters), shown inline in the notebook and saved by the CLI.
//! Every figure is returned as a [`crate::display::Svg`].

use crate::display::Svg;
use plotters::prelude::*;

/// Colours of the series in every figure, in order (wrapping after eight).
pub const SERIES_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// The colour of series `i` (wrapping after eight).
pub(crate) fn series_colour(i: usize) -> RGBColor {
    SERIES_COLOURS[i % SERIES_COLOURS.len()]
}

/// A plotters drawing error, as its message (`?` converts one).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct PlotError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for PlotError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        PlotError(e.to_string())
    }
}

/// Draws the series legend at `position` on a white box (opacity
/// `background`) with a black border (opacity `border`).
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    background: f64,
    border: f64,
) -> Result<(), PlotError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(background))
        .border_style(BLACK.mix(border))
        .draw()?;
    Ok(())
}

/// The legend key of a line series: a 16-pixel stroke in `style`.
pub(crate) fn line_key(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], style)
}

/// [`render`] for a drawing that fails with a [`PlotError`].
pub(crate) fn plot(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), PlotError>,
) -> Svg {
    render(size, |root| draw(root).map_err(|e| e.0))
}

/// Renders a plotters drawing on a white SVG canvas of `size` pixels. A
/// drawing error becomes a line of text in the figure, never a panic.
pub(crate) fn render(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, plotters::coord::Shift>) -> Result<(), String>,
) -> Svg {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let _ = root.fill(&WHITE);
        if let Err(e) = draw(&root) {
            let _ = root.draw(&Text::new(
                format!("cannot draw: {e}"),
                (10, 20),
                ("sans-serif", 14),
            ));
        }
        let _ = root.present();
    }
    Svg { svg }
}

mod calibration;
mod curves;
mod data;
mod distance;
mod evaluation;
mod pairs;
mod real;
mod risk_coverage;
mod robustness;
mod search;
mod settings;

pub use calibration::*;
pub use curves::*;
pub use data::*;
pub use distance::*;
pub use evaluation::*;
pub use pairs::{pair_sheet, ThumbPair};
pub use real::{learning_curve_real, CurveSample};
pub use risk_coverage::risk_coverage;
pub use robustness::{corruption_samples, robustness_curves};
pub use search::*;
pub use settings::*;

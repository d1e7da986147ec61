//! Figures as SVG (plotters), shown inline in the notebook and saved by the CLI.
//! Every figure is returned as a [`crate::display::Svg`].

mod curves;
mod data;
mod evaluation;

pub use curves::*;
pub use data::*;
pub use evaluation::*;

//! Figures as SVG (plotters), shown inline in the notebook and saved by the CLI.
//! Every figure is returned as a [`crate::display::Svg`].

mod curves;
mod data;
mod evaluation;

#[allow(unused_imports)] // filled by the models branch
pub use curves::*;
pub use data::*;
#[allow(unused_imports)] // filled by the evaluation branch
pub use evaluation::*;

//! Data figures: class distributions and sample grids.

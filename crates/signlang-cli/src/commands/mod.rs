//! One file per subcommand.

pub mod adapt;
pub mod bench;
pub mod bench_landmarks;
pub mod data;
pub mod predict;
pub mod robustness;
pub mod runs;

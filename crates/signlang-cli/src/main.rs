//! `signlang`: the command-line side of the study, for scripts and apps.
//!
//! - `signlang data check <csv>`: check a Sign Language MNIST CSV and print the report;
//! - `signlang runs <study-dir>`: list a study's runs and its budget;
//! - `signlang bench --model <name> --epochs N`: time training epochs, one JSON line each;
//! - `signlang bench-landmarks <folder>`: the landmark front end's cost per photo, one JSON line per way of looking;
//! - `signlang predict [--route landmarks|pixels] [--model DIR] <image>...`: top-3 letters for each photo;
//! - `signlang robustness <model-dir> <csv>`: accuracy under 13 corruptions × 5 severities;
//! - `signlang adapt <model-dir> <photos-dir> --out <dir>`: adapt an exported model to labelled photos.

mod commands;

use clap::{Parser, Subcommand};

/// Sign Language MNIST study tools.
#[derive(Parser)]
#[command(name = "signlang", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check data files.
    Data {
        #[command(subcommand)]
        command: commands::data::DataCommand,
    },
    /// List a study's runs and its budget line.
    Runs(commands::runs::RunsArgs),
    /// Benchmark training epochs of a reference model (one JSON line per epoch).
    Bench(commands::bench::BenchArgs),
    /// Time the landmark front end (MediaPipe's hand models from Rust) per
    /// photo on one thread (one JSON line per way of looking).
    BenchLandmarks(commands::bench_landmarks::BenchLandmarksArgs),
    /// Read photos with an exported route (landmarks by default, or
    /// pixels): top-3 letters with probabilities, or a report.
    Predict(commands::predict::PredictArgs),
    /// Accuracy of an exported model on a CSV's images, clean and under 13
    /// corruptions at 5 severities.
    Robustness(commands::robustness::RobustnessArgs),
    /// Adapt an exported model to labelled photos: before/after accuracy on
    /// held-out source photos, and a full export of the adapted model.
    Adapt(commands::adapt::AdaptArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Data { command } => commands::data::run(command),
        Command::Runs(args) => commands::runs::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::BenchLandmarks(args) => commands::bench_landmarks::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Robustness(args) => commands::robustness::run(args),
        Command::Adapt(args) => commands::adapt::run(args),
    };
    if let Err(e) = result {
        eprintln!("signlang: {e:#}");
        std::process::exit(1);
    }
}

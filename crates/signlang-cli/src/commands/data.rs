//! `signlang data check` and `signlang data bench`.

use anyhow::Context;
use clap::Subcommand;
use std::path::PathBuf;
use std::time::Instant;

/// `signlang data ...`
#[derive(Subcommand)]
pub enum DataCommand {
    /// Check a Sign Language MNIST CSV (plain or .gz) and print the report.
    ///
    /// Exits 0 when the file is readable, even if the report lists problems;
    /// non-zero with a message when it cannot be read as this format.
    Check {
        /// The CSV file(s).
        #[arg(required = true)]
        csv: Vec<PathBuf>,
        /// Also write the figures (class distribution, sample images) as SVG into this folder.
        #[arg(long, value_name = "DIR")]
        figures: Option<PathBuf>,
    },
    /// Time loading CSV files (best of N), one JSON line per file.
    Bench {
        /// The CSV file(s).
        #[arg(required = true)]
        csv: Vec<PathBuf>,
        /// Repetitions per file.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
}

/// Runs `signlang data ...`.
pub fn run(command: DataCommand) -> anyhow::Result<()> {
    match command {
        DataCommand::Check { csv, figures } => {
            let mut sets = Vec::new();
            for path in &csv {
                let (data, report, log) =
                    signlang::data::load_checked(path, &path.display().to_string())?;
                println!("{report}");
                println!("{log}");
                sets.push(data);
            }
            if let Some(dir) = figures {
                write_figures(&dir, &sets)?;
            }
            // Exact copies across files (e.g. a test image that is also a training image).
            for (i, a) in sets.iter().enumerate() {
                for b in &sets[i + 1..] {
                    let dups = signlang::data::duplicates_between(a, b);
                    println!(
                        "images of {} identical to an image of {}: {}",
                        b.name,
                        a.name,
                        dups.len()
                    );
                }
            }
            Ok(())
        }
        DataCommand::Bench { csv, repeat } => {
            let cpu = signlang::cpu::CpuInfo::detect();
            for path in &csv {
                let mut best = f64::INFINITY;
                let mut rows = 0;
                for _ in 0..repeat.max(1) {
                    let t = Instant::now();
                    let data = signlang::data::load_dataset(path)
                        .with_context(|| format!("loading {}", path.display()))?;
                    best = best.min(t.elapsed().as_secs_f64());
                    rows = data.len();
                }
                println!(
                    "{}",
                    serde_json::json!({"tool": "signlang", "file": path.display().to_string(), "rows": rows, "seconds": best, "cpu": cpu.line()})
                );
            }
            Ok(())
        }
    }
}

/// Writes the data figures of each file into `dir`.
fn write_figures(dir: &std::path::Path, sets: &[signlang::data::Dataset]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let counts: Vec<(&str, [usize; signlang::NUM_CLASSES])> = sets
        .iter()
        .map(|d| (d.name.as_str(), d.class_counts()))
        .collect();
    let path = dir.join("class_distribution.svg");
    signlang::plots::class_distribution(&counts)
        .save(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {}", path.display());
    for (i, d) in sets.iter().enumerate() {
        let path = dir.join(format!("samples_{}.svg", i + 1));
        signlang::plots::sample_grid(d, 2)
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        println!("wrote {} ({})", path.display(), d.name);
    }
    Ok(())
}

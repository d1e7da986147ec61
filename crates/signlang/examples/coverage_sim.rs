//! Coverage of the group-aware 95% interval with the real photo sizes of
//! the test half ([`signlang::evaluate::CoverageTable`]), printed as the
//! markdown table of docs/methods.md ("Intervals").
//!
//! Builds the split as the notebook does (`data::load_checked` +
//! `split_by_group` with `SplitConfig::default()`), then simulates letters of
//! 4–17 photos and the whole test half with those photo sizes.
//!
//! `cargo run --release -p signlang --example coverage_sim [sims]` (default 1000).

use signlang::data::{data_path, load_checked, split_by_group, SplitConfig};
use signlang::evaluate::coverage::photo_sizes;
use signlang::evaluate::grouped::{effective_photos, group_interval};
use signlang::evaluate::{CoverageConfig, CoverageRow, CoverageTable};

/// `"96.8% (0.5%)"`: coverage and how often the lower bound lies above.
fn cell(coverage: f64, above: f64) -> String {
    format!("{:.1}% ({:.1}%)", 100.0 * coverage, 100.0 * above)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sims: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1000);
    let (csv, _, _) = load_checked(data_path("sign_mnist_test.csv.gz"), "test CSV")?;
    let split = split_by_group(&csv, &SplitConfig::default());
    let sizes = photo_sizes(split.test.groups());
    println!(
        "test half: {} images in {} photos (sizes {}..{}, median {}); {sims} sets per cell",
        sizes.iter().sum::<usize>(),
        sizes.len(),
        sizes[sizes.len() - 1],
        sizes[0],
        sizes[sizes.len() / 2]
    );
    // The test half all right, then with one wrong image in its median photo.
    let mut counts: Vec<(usize, usize)> = sizes.iter().map(|&n| (n, n)).collect();
    let all_right = group_interval(&counts).0.lo;
    counts[sizes.len() / 2].1 -= 1;
    println!(
        "effective photos {:.1}; lower bound all right {:.2}%, one wrong image {:.2}%",
        effective_photos(&counts),
        100.0 * all_right,
        100.0 * group_interval(&counts).0.lo
    );
    let start = std::time::Instant::now();
    let table = CoverageTable::simulate(&CoverageConfig::new(sizes, sims));
    println!("simulated in {:.1} s", start.elapsed().as_secs_f64());
    println!("{}\n", table.summary());
    println!(
        "| photos | true p | ρ | coverage (lower bound above p) | Korn–Graubard | mean width |"
    );
    println!("|---|---|---|---|---|---|");
    let row = |r: &CoverageRow| {
        let photos = if r.whole {
            format!("{} (whole)", r.photos)
        } else {
            r.photos.to_string()
        };
        println!(
            "| {photos} | {} | {} | {} | {} | {:.1} points |",
            r.accuracy,
            r.correlation,
            cell(r.coverage, r.above),
            cell(r.kg_coverage, r.kg_above),
            100.0 * r.width
        );
    };
    table.rows.iter().for_each(row);
    let (truth, goal) = table.config.false_met;
    println!("\nA false \"met\" (truth {truth}, goal {goal}): lower bound above the goal\n");
    println!("| photos | ρ | exact on effective photos | Korn–Graubard |");
    println!("|---|---|---|---|");
    for r in &table.false_met {
        println!(
            "| {} | {} | {:.1}% | {:.1}% |",
            r.photos,
            r.correlation,
            100.0 * r.above,
            100.0 * r.kg_above
        );
    }
    Ok(())
}

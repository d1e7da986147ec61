//! Coverage of the group-aware 95% interval with the real group sizes of
//! the test half.
//!
//! Builds the split as the notebook does (`data::load_checked` +
//! `split_by_group` with `SplitConfig::default()`), then simulates test sets
//! with those group sizes: each source photo draws its own accuracy from a
//! Beta distribution with mean `p` and intra-photo correlation `rho`, and
//! each of its images is right with that probability. For each true `p` and
//! `rho` it prints how often the interval of `grouped_accuracy` (Clopper–
//! Pearson on the effective sample size) contains `p`, beside the percentile
//! cluster bootstrap and the per-image Wilson interval.
//!
//! `cargo run --release -p signlang --example coverage_sim [sims]` (default 400).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use signlang::data::{load_checked, project_root, split_by_group, SplitConfig};
use signlang::evaluate::grouped::{cluster_bootstrap, group_counts};
use signlang::evaluate::{grouped_accuracy, Interval};
use statrs::distribution::{Beta, ContinuousCDF};

/// One simulated test set: per-image rightness and group ids.
fn simulate(sizes: &[usize], p: f64, rho: f64, rng: &mut ChaCha8Rng) -> (Vec<bool>, Vec<u32>) {
    let (a, b) = (p * (1.0 - rho) / rho, (1.0 - p) * (1.0 - rho) / rho);
    let beta = Beta::new(a, b).expect("positive shapes");
    let (mut right, mut groups) = (Vec::new(), Vec::new());
    for (g, &n) in sizes.iter().enumerate() {
        let pg = beta.inverse_cdf(rng.random::<f64>());
        for _ in 0..n {
            right.push(rng.random::<f64>() < pg);
            groups.push(g as u32);
        }
    }
    (right, groups)
}

fn covers(ci: Interval, p: f64) -> bool {
    ci.lo <= p && p <= ci.hi
}

fn main() {
    let sims: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let path = project_root().join("data/sign_mnist_test.csv.gz");
    let (csv, _, _) = load_checked(&path, "test CSV").expect("the test CSV");
    let split = split_by_group(&csv, &SplitConfig::default());
    let mut sizes = std::collections::HashMap::<u32, usize>::new();
    for &g in split.test.groups() {
        *sizes.entry(g).or_default() += 1;
    }
    let mut sizes: Vec<usize> = sizes.into_values().collect();
    sizes.sort_unstable();
    println!(
        "test half: {} images in {} photos (sizes {}..{}, median {}); {sims} simulations each",
        sizes.iter().sum::<usize>(),
        sizes.len(),
        sizes[0],
        sizes[sizes.len() - 1],
        sizes[sizes.len() / 2]
    );
    println!("| true p | rho | effective size (KG) | cluster bootstrap | per image (Wilson) | mean width KG |");
    println!("|---|---|---|---|---|---|");
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    for rho in [0.3, 0.9] {
        for p in [0.95, 0.97, 0.99, 0.999] {
            let (mut kg, mut boot, mut image, mut width) = (0, 0, 0, 0.0);
            for s in 0..sims {
                let (right, groups) = simulate(&sizes, p, rho, &mut rng);
                let g = grouped_accuracy(&right, &groups);
                kg += usize::from(covers(g.group_ci, p));
                image += usize::from(covers(g.image_ci, p));
                width += g.group_ci.hi - g.group_ci.lo;
                let b = cluster_bootstrap(&group_counts(&right, &groups), 500, s as u64);
                boot += usize::from(covers(b, p));
            }
            let pc = |k: usize| format!("{:.1}%", 100.0 * k as f64 / sims as f64);
            println!(
                "| {p} | {rho} | {} | {} | {} | {:.2} points |",
                pc(kg),
                pc(boot),
                pc(image),
                100.0 * width / sims as f64
            );
        }
    }
}

//! How often the group-aware 95% interval ([`super::grouped::group_interval`])
//! holds the true accuracy, simulated, beside Korn–Graubard's interval with
//! the estimated design effect (the method it replaced).
//!
//! Each simulated test set has photos of given sizes (images per photo);
//! each photo draws its own accuracy from a Beta distribution with mean `p`
//! and intra-photo correlation `ρ` (`ρ = 1/(a+b+1)`), and each of its images
//! is right with that probability. Scenarios: a letter (a few photos drawn
//! from the sizes, again for every simulated set) and the whole test half
//! (the sizes as given), at each true accuracy and correlation. Reported:
//! **coverage** (the interval holds `p`), how often the **lower bound lies
//! above** `p` (the side that makes a goal look met), and the rate of a
//! **false "met"**: a lower bound above a goal that the truth is below.
//!
//! Deterministic: every scenario has its own random stream of the seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::grouped::{design_effect, fractional_clopper_pearson, group_interval};
use super::intervals::{clopper_pearson_interval, Interval};
use crate::display::{Html, Table};

/// What to simulate.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverageConfig {
    /// Images per photo. The whole-half scenario uses them as they are; a
    /// letter's draws its photos from them (with replacement).
    pub sizes: Vec<usize>,
    /// Photos of a letter, one scenario each (the test half has 4–17).
    pub letter_photos: Vec<usize>,
    /// True accuracies.
    pub accuracies: Vec<f64>,
    /// Intra-photo correlations, each in `(0, 1)`.
    pub correlations: Vec<f64>,
    /// `(truth, goal)` of the false-"met" rate: truth below the goal.
    pub false_met: (f64, f64),
    /// Simulated test sets per scenario.
    pub sims: usize,
    /// Seed of the random streams.
    pub seed: u64,
}

impl CoverageConfig {
    /// The standard grid (letters of 4, 8, 12 and 17 photos and the whole
    /// half; true accuracy 85% to 99.9%; correlation 0.05, 0.3 and 0.9;
    /// truth 88% against the 90% letter goal) on these photo sizes.
    pub fn new(sizes: Vec<usize>, sims: usize) -> CoverageConfig {
        CoverageConfig {
            sizes,
            letter_photos: vec![4, 8, 12, 17],
            accuracies: vec![0.85, 0.90, 0.95, 0.99, 0.999],
            correlations: vec![0.05, 0.3, 0.9],
            false_met: (0.88, 0.90),
            sims,
            seed: 2026,
        }
    }

    /// 225 photo sizes like the test half's (1 to 31 images, mean 16), for
    /// tests and when the real sizes are not at hand.
    pub fn synthetic_sizes() -> Vec<usize> {
        (0..225).map(|i| 1 + (i * 7) % 31).collect()
    }
}

/// The images per photo of a grouping (one group id per image), largest first.
pub fn photo_sizes(groups: &[u32]) -> Vec<usize> {
    let mut sizes = std::collections::HashMap::<u32, usize>::new();
    for &g in groups {
        *sizes.entry(g).or_default() += 1;
    }
    let mut sizes: Vec<usize> = sizes.into_values().collect();
    sizes.sort_unstable_by(|a, b| b.cmp(a));
    sizes
}

/// Korn and Graubard's (1998) interval, the method
/// [`super::grouped::group_interval`] replaced, kept for comparison:
/// Clopper–Pearson on `n / deff · (t_{n−1} / t_{G−1})²` (at most `n`) trials
/// with the estimated design effect; exact on photos when it is undefined.
pub fn korn_graubard_interval(counts: &[(usize, usize)]) -> Interval {
    let n: usize = counts.iter().map(|c| c.0).sum();
    let k: usize = counts.iter().map(|c| c.1).sum();
    match design_effect(counts) {
        Some(deff) => {
            let ratio = t975(n - 1) / t975(counts.len() - 1);
            let trials = (n as f64 / deff.max(1e-12) * ratio * ratio).min(n as f64);
            fractional_clopper_pearson(k as f64 / n as f64, trials)
        }
        None => {
            let right = if n > 0 && k == n { counts.len() } else { 0 };
            clopper_pearson_interval(right, counts.len(), 0.95)
        }
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (at least 1).
fn t975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df.max(1) as f64)
        .map(|d| d.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// One scenario: a letter of `photos` photos (`whole: false`) or the whole
/// half, at one true accuracy and correlation.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverageRow {
    /// Photos per simulated set.
    pub photos: usize,
    /// The whole test half (the sizes as given) rather than a letter.
    pub whole: bool,
    /// True accuracy.
    pub accuracy: f64,
    /// Intra-photo correlation.
    pub correlation: f64,
    /// Share of sets whose group-aware interval holds the truth.
    pub coverage: f64,
    /// Share whose group-aware lower bound lies above the truth.
    pub above: f64,
    /// Mean width of the group-aware interval.
    pub width: f64,
    /// Coverage of Korn–Graubard's interval ([`korn_graubard_interval`]).
    pub kg_coverage: f64,
    /// Share whose Korn–Graubard lower bound lies above the truth.
    pub kg_above: f64,
}

/// The simulated coverage, as [`CoverageTable::simulate`] measures it.
#[derive(Clone, Debug, PartialEq)]
pub struct CoverageTable {
    /// The settings.
    pub config: CoverageConfig,
    /// One row per scenario, by photos, then correlation, then accuracy.
    pub rows: Vec<CoverageRow>,
    /// At the truth and goal of [`CoverageConfig::false_met`]: per scenario
    /// (`accuracy` = the truth), `above` is the share of sets whose lower
    /// bound passes the goal, `kg_above` the same for Korn–Graubard.
    pub false_met: Vec<CoverageRow>,
}

/// Counts over the simulated sets of one scenario.
#[derive(Default)]
struct Tally {
    covered: usize,
    above: usize,
    width: f64,
    kg_covered: usize,
    kg_above: usize,
}

impl Tally {
    /// Adds one set's intervals, judged against `truth` (coverage) and
    /// `bar` (lower bound above it).
    fn add(&mut self, ci: Interval, kg: Interval, truth: f64, bar: f64) {
        self.covered += usize::from(ci.lo <= truth && truth <= ci.hi);
        self.above += usize::from(ci.lo > bar);
        self.width += ci.hi - ci.lo;
        self.kg_covered += usize::from(kg.lo <= truth && truth <= kg.hi);
        self.kg_above += usize::from(kg.lo > bar);
    }
}

/// A Gamma(`shape`, 1) variate (Marsaglia and Tsang; `shape < 1` by
/// boosting with `U^(1/shape)`).
fn gamma(shape: f64, rng: &mut ChaCha8Rng) -> f64 {
    if shape < 1.0 {
        let u: f64 = rng.random();
        return gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

/// A standard normal variate (Box–Muller).
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// One simulated set: per-photo `(images, right)` for photos of `sizes`
/// whose accuracies are Beta with mean `p` and correlation `rho`.
pub(crate) fn simulate_counts(
    sizes: &[usize],
    p: f64,
    rho: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<(usize, usize)> {
    let (a, b) = (p * (1.0 - rho) / rho, (1.0 - p) * (1.0 - rho) / rho);
    sizes
        .iter()
        .map(|&n| {
            let (x, y) = (gamma(a, rng), gamma(b, rng));
            let pg = if x + y > 0.0 { x / (x + y) } else { p };
            (n, (0..n).filter(|_| rng.random::<f64>() < pg).count())
        })
        .collect()
}

impl CoverageTable {
    /// Runs every scenario of `config` ([`CoverageConfig::sims`] sets each).
    pub fn simulate(config: &CoverageConfig) -> CoverageTable {
        let mut scenarios: Vec<(Option<usize>, f64, f64)> = Vec::new();
        let counts = config.letter_photos.iter().map(|&g| Some(g));
        for photos in counts.chain([None]) {
            for &rho in &config.correlations {
                for &p in config.accuracies.iter().chain([&config.false_met.0]) {
                    scenarios.push((photos, rho, p));
                }
            }
        }
        let per_block = config.accuracies.len() + 1;
        let (mut rows, mut false_met) = (Vec::new(), Vec::new());
        for (index, &(photos, rho, p)) in scenarios.iter().enumerate() {
            let is_false_met = index % per_block == per_block - 1;
            let row = scenario(config, index as u64, photos, rho, p, is_false_met);
            if is_false_met {
                false_met.push(row);
            } else {
                rows.push(row);
            }
        }
        CoverageTable {
            config: config.clone(),
            rows,
            false_met,
        }
    }

    /// The lowest coverage of the group-aware interval over the scenarios.
    pub fn min_coverage(&self) -> f64 {
        self.rows.iter().map(|r| r.coverage).fold(1.0, f64::min)
    }

    /// The highest false-"met" rate of the group-aware interval.
    pub fn max_false_met(&self) -> f64 {
        self.false_met.iter().map(|r| r.above).fold(0.0, f64::max)
    }
}

/// Simulates one scenario (stream `index` of the seed): `photos` drawn
/// from the sizes, or all of them when `None`. With `false_met` the lower
/// bound is compared with the goal rather than the truth.
fn scenario(
    config: &CoverageConfig,
    index: u64,
    photos: Option<usize>,
    rho: f64,
    p: f64,
    false_met: bool,
) -> CoverageRow {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(index);
    let bar = if false_met { config.false_met.1 } else { p };
    let mut tally = Tally::default();
    let mut sizes = config.sizes.clone();
    for _ in 0..config.sims {
        if let Some(g) = photos.filter(|_| !config.sizes.is_empty()) {
            sizes = (0..g)
                .map(|_| config.sizes[rng.random_range(0..config.sizes.len())])
                .collect();
        }
        let counts = simulate_counts(&sizes, p, rho, &mut rng);
        tally.add(
            group_interval(&counts).0,
            korn_graubard_interval(&counts),
            p,
            bar,
        );
    }
    let share = |k: usize| k as f64 / config.sims.max(1) as f64;
    CoverageRow {
        photos: photos.unwrap_or(config.sizes.len()),
        whole: photos.is_none(),
        accuracy: p,
        correlation: rho,
        coverage: share(tally.covered),
        above: share(tally.above),
        width: tally.width / config.sims.max(1) as f64,
        kg_coverage: share(tally.kg_covered),
        kg_above: share(tally.kg_above),
    }
}

/// `"4"` for a letter, `"225 (whole half)"` for the whole half.
fn photos_label(r: &CoverageRow) -> String {
    if r.whole {
        format!("{} (whole half)", r.photos)
    } else {
        r.photos.to_string()
    }
}

/// `"96.8%"`.
fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

impl CoverageTable {
    /// The rows by photos and true accuracy, two columns per correlation:
    /// the group-aware interval's coverage (and how often its lower bound
    /// lies above the truth), then Korn–Graubard's.
    pub fn table(&self) -> Table {
        let c = &self.config;
        let mut header = vec!["photos".to_string(), "true accuracy".to_string()];
        for rho in &c.correlations {
            header.push(format!("ρ {rho}: coverage (bound above truth)"));
            header.push(format!("ρ {rho}: Korn–Graubard"));
        }
        let mut t = Table::new(header).with_caption(format!(
            "Coverage of the 95% interval, exact on effective photos, beside Korn–Graubard's \
             (estimated design effect); {} simulated sets per cell, seed {}",
            c.sims, c.seed
        ));
        self.push_rows(&mut t, &self.rows, self.config.accuracies.len());
        t
    }

    /// The false-"met" rates: a lower bound above the goal when the truth
    /// is below it (nominal: at most 2.5%).
    pub fn false_met_table(&self) -> Table {
        let c = &self.config;
        let mut header = vec!["photos".to_string(), "true accuracy".to_string()];
        for rho in &c.correlations {
            header.push(format!("ρ {rho}: lower bound above {}", pct(c.false_met.1)));
            header.push(format!("ρ {rho}: Korn–Graubard"));
        }
        let mut t = Table::new(header).with_caption(format!(
            "A false \"met\": the truth {}, the goal {} (nominal at most 2.5%)",
            pct(c.false_met.0),
            pct(c.false_met.1)
        ));
        self.push_rows(&mut t, &self.false_met, 1);
        t
    }

    /// One table row per photos and accuracy of `rows` (ordered by photos,
    /// correlation, then `accuracies` accuracies), a cell pair per correlation.
    fn push_rows(&self, t: &mut Table, rows: &[CoverageRow], accuracies: usize) {
        let per_photos = accuracies * self.config.correlations.len();
        for block in rows.chunks(per_photos.max(1)) {
            for first in &block[..accuracies.min(block.len())] {
                let mut cells = vec![photos_label(first), pct(first.accuracy)];
                let same = block.iter().filter(|r| r.accuracy == first.accuracy);
                for r in same {
                    cells.push(format!("{} ({})", pct(r.coverage), pct(r.above)));
                    cells.push(format!("{} ({})", pct(r.kg_coverage), pct(r.kg_above)));
                }
                t.push(cells);
            }
        }
    }

    /// `"coverage 94.0–100.0% (nominal 95%), a false \"met\" at most 0.3%;
    /// Korn–Graubard: 82.0–100.0%, up to 10.5%"`.
    pub fn summary(&self) -> String {
        let range = |f: fn(&CoverageRow) -> f64| {
            let lo = self.rows.iter().map(f).fold(1.0, f64::min);
            let hi = self.rows.iter().map(f).fold(0.0, f64::max);
            format!("{}–{}", pct(lo), pct(hi))
        };
        let kg_false = self
            .false_met
            .iter()
            .map(|r| r.kg_above)
            .fold(0.0, f64::max);
        format!(
            "coverage {} (nominal 95%), a false \"met\" at most {}; Korn–Graubard: {}, up to {}",
            range(|r| r.coverage),
            pct(self.max_false_met()),
            range(|r| r.kg_coverage),
            pct(kg_false)
        )
    }

    /// Both tables and the summary, inline in evcxr.
    pub fn to_display(&self) -> Html {
        let (a, b) = (self.table(), self.false_met_table());
        Html::new(
            format!(
                "<p>{}</p>{}{}",
                crate::display::escape(&self.summary()),
                a.to_html(),
                b.to_html()
            ),
            format!("{}\n{}\n{}", self.summary(), a.to_text(), b.to_text()),
        )
    }

    /// Shows [`CoverageTable::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

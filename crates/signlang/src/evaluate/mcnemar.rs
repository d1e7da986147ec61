//! Comparing two models on the same images: McNemar's test per image, and
//! its clustered versions with the source photo as the unit.
//!
//! - [`mcnemar`]: the classical exact binomial test and the
//!   continuity-corrected chi-squared test on the discordant images.
//! - [`clustered_mcnemar`]: the Durkalski et al. (2003) test for clustered
//!   matched pairs, `(Σ_k (b_k − c_k))² / Σ_k (b_k − c_k)²` against χ²(1);
//!   an exact sign test over groups (groups where A is right more often
//!   against groups where B is); and the paired accuracy difference with a
//!   cluster-robust 95% interval.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF};

use super::intervals::{z_of, Interval};
use super::EvaluateError;
use crate::display::{escape, Html, Table};

/// McNemar's test between two models classified on the same images.
#[derive(Clone, Debug, PartialEq)]
pub struct McNemar {
    /// Number of images.
    pub n: usize,
    /// Both models right.
    pub both_right: usize,
    /// Model A right, model B wrong (the classical `b`).
    pub only_a_right: usize,
    /// Model A wrong, model B right (the classical `c`).
    pub only_b_right: usize,
    /// Both wrong.
    pub both_wrong: usize,
    /// Exact two-sided p-value: binomial with `n = b + c`, `p = 1/2`,
    /// `min(1, 2·P(X ≤ min(b, c)))`; 1 when `b + c = 0`.
    pub exact_p: f64,
    /// Continuity-corrected statistic `(|b − c| − 1)² / (b + c)` (0 when
    /// `|b − c| ≤ 1` or `b + c = 0`).
    pub chi2: f64,
    /// p-value of [`McNemar::chi2`] under chi-squared with 1 degree of freedom.
    pub chi2_p: f64,
}

/// McNemar's test of models A and B on the same images: `truth`, A's
/// predictions `a` and B's predictions `b`, all in the same image order.
pub fn mcnemar(truth: &[u8], a: &[u8], b: &[u8]) -> Result<McNemar, EvaluateError> {
    for (what, v) in [("model A", a), ("model B", b)] {
        if v.len() != truth.len() {
            return Err(EvaluateError::LengthMismatch {
                what,
                a: truth.len(),
                b: v.len(),
            });
        }
    }
    if truth.is_empty() {
        return Err(EvaluateError::Empty);
    }
    let (mut rr, mut rw, mut wr, mut ww) = (0, 0, 0, 0);
    for i in 0..truth.len() {
        match (a[i] == truth[i], b[i] == truth[i]) {
            (true, true) => rr += 1,
            (true, false) => rw += 1,
            (false, true) => wr += 1,
            (false, false) => ww += 1,
        }
    }
    let (exact_p, chi2, chi2_p) = mcnemar_p(rw, wr);
    Ok(McNemar {
        n: truth.len(),
        both_right: rr,
        only_a_right: rw,
        only_b_right: wr,
        both_wrong: ww,
        exact_p,
        chi2,
        chi2_p,
    })
}

/// Exact p, continuity-corrected chi-squared statistic and its p for
/// discordant counts `b` and `c`.
pub fn mcnemar_p(b: usize, c: usize) -> (f64, f64, f64) {
    let m = b + c;
    if m == 0 {
        return (1.0, 0.0, 1.0);
    }
    let binom = Binomial::new(0.5, m as u64).expect("valid binomial");
    let exact = (2.0 * binom.cdf(b.min(c) as u64)).min(1.0);
    let diff = (b as f64 - c as f64).abs();
    let chi2 = ((diff - 1.0).max(0.0)).powi(2) / m as f64;
    let chi2_p = ChiSquared::new(1.0).expect("df 1").sf(chi2);
    (exact, chi2, chi2_p)
}

impl McNemar {
    /// A plain-words verdict at significance level `alpha`, naming the models.
    pub fn verdict(&self, name_a: &str, name_b: &str, alpha: f64) -> String {
        let (b, c) = (self.only_a_right, self.only_b_right);
        let acc_a = (self.both_right + b) as f64 / self.n as f64;
        let acc_b = (self.both_right + c) as f64 / self.n as f64;
        let (better, worse, more, fewer) = if b >= c {
            (name_a, name_b, b, c)
        } else {
            (name_b, name_a, c, b)
        };
        let head = format!(
            "On the same {} images, {name_a} is right on {:.2}% and {name_b} on {:.2}%. \
             They disagree on {} images: {better} alone is right on {more}, {worse} alone on {fewer}.",
            self.n,
            100.0 * acc_a,
            100.0 * acc_b,
            b + c
        );
        if b + c == 0 {
            return format!(
                "{head} With no disagreements there is no evidence of a difference (p = 1)."
            );
        }
        if self.exact_p < alpha {
            format!(
                "{head} McNemar's exact test gives p = {:.4} (chi-squared with continuity \
                 correction: p = {:.4}), below α = {alpha}: {better} is significantly better than {worse}.",
                self.exact_p, self.chi2_p
            )
        } else {
            format!(
                "{head} McNemar's exact test gives p = {:.4} (chi-squared with continuity \
                 correction: p = {:.4}), not below α = {alpha}: the difference is not statistically \
                 significant; the data do not show that {better} is better than {worse}.",
                self.exact_p, self.chi2_p
            )
        }
    }

    /// The 2×2 table and both p-values, with the verdict at `alpha`.
    pub fn to_display(&self, name_a: &str, name_b: &str, alpha: f64) -> Html {
        let mut t = Table::new([
            String::new(),
            format!("{name_b} right"),
            format!("{name_b} wrong"),
        ])
        .with_caption(format!("McNemar's test: {name_a} vs {name_b}"));
        t.push([
            format!("{name_a} right"),
            self.both_right.to_string(),
            self.only_a_right.to_string(),
        ]);
        t.push([
            format!("{name_a} wrong"),
            self.only_b_right.to_string(),
            self.both_wrong.to_string(),
        ]);
        let stats = format!(
            "Discordant: b = {}, c = {}. Exact binomial p = {:.4}; chi-squared (continuity corrected) = {:.3}, p = {:.4}.",
            self.only_a_right, self.only_b_right, self.exact_p, self.chi2, self.chi2_p
        );
        let verdict = self.verdict(name_a, name_b, alpha);
        Html::new(
            format!(
                "{}<p>{}</p><p>{}</p>",
                t.to_html(),
                escape(&stats),
                escape(&verdict)
            ),
            format!("{}{stats}\n{verdict}\n", t.to_text()),
        )
    }
}

/// McNemar's comparison with the source photo as the unit (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct ClusteredMcNemar {
    /// The per-image test on the same images.
    pub images: McNemar,
    /// Groups (source photos).
    pub groups: usize,
    /// Groups where A is right on more images than B (`b_k > c_k`).
    pub groups_a_better: usize,
    /// Groups where B is right on more images than A (`c_k > b_k`).
    pub groups_b_better: usize,
    /// Durkalski's statistic (0 when no group has `b_k ≠ c_k`).
    pub durkalski: f64,
    /// Its p-value under χ²(1); 1 when the statistic is 0.
    pub durkalski_p: f64,
    /// Exact two-sided sign test over the groups that lean one way.
    pub sign_p: f64,
    /// The smallest p-value the sign test could give with this many
    /// leaning groups, whatever their direction: `min(1, 2 · 0.5^m)`.
    pub sign_p_floor: f64,
    /// Accuracy of A minus accuracy of B on these images.
    pub difference: f64,
    /// Cluster-robust 95% interval of the difference (normal approximation).
    pub difference_ci: Interval,
}

/// The exact two-sided binomial (sign) test of `b` against `c` at `p = 1/2`.
fn sign_test(b: usize, c: usize) -> f64 {
    if b + c == 0 {
        return 1.0;
    }
    let binom = Binomial::new(0.5, (b + c) as u64).expect("valid binomial");
    (2.0 * binom.cdf(b.min(c) as u64)).min(1.0)
}

/// Per-group discordant counts `(n_k, b_k, c_k)` in order of first appearance.
fn discordant_by_group(
    truth: &[u8],
    a: &[u8],
    b: &[u8],
    groups: &[u32],
) -> Vec<(usize, usize, usize)> {
    let mut index = std::collections::HashMap::new();
    let mut out: Vec<(usize, usize, usize)> = Vec::new();
    for i in 0..truth.len() {
        let k = *index.entry(groups[i]).or_insert_with(|| {
            out.push((0, 0, 0));
            out.len() - 1
        });
        out[k].0 += 1;
        match (a[i] == truth[i], b[i] == truth[i]) {
            (true, false) => out[k].1 += 1,
            (false, true) => out[k].2 += 1,
            _ => {}
        }
    }
    out
}

/// Durkalski's clustered McNemar statistic from the per-group differences
/// (discordant pairs A-only minus B-only), and its p-value (χ², 1 df).
fn durkalski(diffs: &[f64]) -> (f64, f64) {
    let sum: f64 = diffs.iter().sum();
    let sum_sq: f64 = diffs.iter().map(|d| d * d).sum();
    let statistic = if sum_sq > 0.0 {
        sum * sum / sum_sq
    } else {
        0.0
    };
    let p = if statistic > 0.0 {
        ChiSquared::new(1.0).expect("df 1").sf(statistic)
    } else {
        1.0
    };
    (statistic, p)
}

/// The accuracy difference A − B over `n` images and its 95% interval,
/// with a cluster-robust standard error over the groups `per`
/// (`(images, A-only, B-only)`) and their differences `diffs`.
fn clustered_difference(per: &[(usize, usize, usize)], diffs: &[f64], n: f64) -> (f64, Interval) {
    let difference = diffs.iter().sum::<f64>() / n;
    let g = per.len() as f64;
    let ss: f64 = per
        .iter()
        .zip(diffs)
        .map(|(&(nk, _, _), d)| (d - difference * nk as f64).powi(2))
        .sum();
    let se = if g > 1.0 {
        (g / (g - 1.0) * ss).sqrt() / n
    } else {
        0.0
    };
    let z = z_of(0.95);
    let ci = Interval {
        lo: (difference - z * se).max(-1.0),
        hi: (difference + z * se).min(1.0),
    };
    (difference, ci)
}

/// Clustered McNemar test of models A and B on the same images, grouped by
/// `groups` (one id per image).
pub fn clustered_mcnemar(
    truth: &[u8],
    a: &[u8],
    b: &[u8],
    groups: &[u32],
) -> Result<ClusteredMcNemar, EvaluateError> {
    let images = mcnemar(truth, a, b)?;
    if groups.len() != truth.len() {
        return Err(EvaluateError::LengthMismatch {
            what: "groups",
            a: truth.len(),
            b: groups.len(),
        });
    }
    let per = discordant_by_group(truth, a, b, groups);
    let diffs: Vec<f64> = per
        .iter()
        .map(|&(_, bk, ck)| bk as f64 - ck as f64)
        .collect();
    let (durkalski, durkalski_p) = durkalski(&diffs);
    let a_better = per.iter().filter(|p| p.1 > p.2).count();
    let b_better = per.iter().filter(|p| p.2 > p.1).count();
    let m = a_better + b_better;
    let (difference, difference_ci) = clustered_difference(&per, &diffs, truth.len() as f64);
    Ok(ClusteredMcNemar {
        images,
        groups: per.len(),
        groups_a_better: a_better,
        groups_b_better: b_better,
        durkalski,
        durkalski_p,
        sign_p: sign_test(a_better, b_better),
        sign_p_floor: (2.0 * 0.5f64.powi(m as i32)).min(1.0),
        difference,
        difference_ci,
    })
}

impl ClusteredMcNemar {
    /// True when no outcome of the sign test over these groups could fall
    /// below `alpha`: too few photos separate the models.
    pub fn cannot_be_significant(&self, alpha: f64) -> bool {
        self.sign_p_floor >= alpha
    }

    /// When the models agree on every image: the exact 95% upper bound on
    /// how far their accuracies can differ on photos like these; `None`
    /// when some image is discordant.
    ///
    /// With 0 of `G` photos differing, the Clopper–Pearson upper bound on
    /// the share of photos on which the models differ is `1 − 0.025^(1/G)`.
    /// A photo on which they differ moves the accuracy difference by at most
    /// that photo's weight, so the share of differing photos bounds
    /// `|accuracy A − accuracy B|` (per photo). For 225 photos: 1.6 points.
    pub fn zero_difference_bound(&self) -> Option<f64> {
        let discordant = self.images.only_a_right + self.images.only_b_right;
        (discordant == 0 && self.groups > 0).then(|| 1.0 - 0.025f64.powf(1.0 / self.groups as f64))
    }

    /// The paired difference in words; with no discordant image, the exact
    /// bound of [`ClusteredMcNemar::zero_difference_bound`] instead of a
    /// zero-width interval.
    pub fn difference_text(&self, name_a: &str, name_b: &str) -> String {
        if let Some(bound) = self.zero_difference_bound() {
            return format!(
                "0 of {} photos differ: {name_a} and {name_b} give the same answer on every \
                 image; on photos like these their accuracies differ by at most {:.1} points \
                 (exact 95% upper bound).",
                self.groups,
                100.0 * bound
            );
        }
        format!(
            "The accuracy difference {name_a} − {name_b} is {:+.2} points (95% CI {:+.2} to {:+.2}, \
             cluster-robust).",
            100.0 * self.difference,
            100.0 * self.difference_ci.lo,
            100.0 * self.difference_ci.hi
        )
    }

    /// A plain-words verdict at `alpha`, with the source photo as the unit.
    pub fn verdict(&self, name_a: &str, name_b: &str, alpha: f64) -> String {
        let d = self.difference_text(name_a, name_b);
        let m = self.groups_a_better + self.groups_b_better;
        let lean = format!(
            "Of {} source photos, {} favour {name_a} and {} favour {name_b}.",
            self.groups, self.groups_a_better, self.groups_b_better
        );
        let tail = if self.cannot_be_significant(alpha) {
            format!(
                "With only {m} photo{} on which the models differ, no result could reach \
                 significance at α = {alpha} (the smallest possible sign-test p is {:.3}): these \
                 data cannot tell the two models apart.",
                if m == 1 { "" } else { "s" },
                self.sign_p_floor
            )
        } else if self.sign_p < alpha && self.durkalski_p < alpha {
            format!(
                "Sign test over photos p = {:.4}, Durkalski's clustered McNemar p = {:.4}: \
                 significant at α = {alpha}.",
                self.sign_p, self.durkalski_p
            )
        } else {
            format!(
                "Sign test over photos p = {:.4}, Durkalski's clustered McNemar p = {:.4}: \
                 not significant at α = {alpha}.",
                self.sign_p, self.durkalski_p
            )
        };
        format!("{lean} {d} {tail}")
    }

    /// Both tests side by side, with the per-image 2×2 table and the verdicts.
    pub fn to_display(&self, name_a: &str, name_b: &str, alpha: f64) -> Html {
        let mut t = Table::new(["test", "unit", "statistic", "p"]).with_caption(format!(
            "{name_a} vs {name_b}: McNemar per image and per source photo"
        ));
        t.push([
            "McNemar exact (binomial)".to_string(),
            format!("{} images", self.images.n),
            format!(
                "b = {}, c = {}",
                self.images.only_a_right, self.images.only_b_right
            ),
            format!("{:.4}", self.images.exact_p),
        ]);
        t.push([
            "Durkalski clustered McNemar".to_string(),
            format!("{} photos", self.groups),
            format!("χ² = {:.3}", self.durkalski),
            format!("{:.4}", self.durkalski_p),
        ]);
        t.push([
            "exact sign test over photos".to_string(),
            format!("{} photos", self.groups),
            format!("{} vs {}", self.groups_a_better, self.groups_b_better),
            format!("{:.4}", self.sign_p),
        ]);
        let v = self.verdict(name_a, name_b, alpha);
        let html = format!(
            "{}{}<p>{}</p>",
            self.images.to_display(name_a, name_b, alpha).html,
            t.to_html(),
            escape(&v)
        );
        Html::new(
            html,
            format!(
                "{}\n{}{v}\n",
                self.images.to_display(name_a, name_b, alpha).text,
                t.to_text()
            ),
        )
    }
}

//! How an [`Evaluation`] is shown: the summary, the per-letter table and the
//! plain-words answers ("lowest letter", "most common error") that the
//! client report reuses.

use super::grouped::GroupedAccuracy;
use super::metrics::{Evaluation, LetterStats};
use crate::display::{Html, Table};

/// `"[a, b] (exact on groups, 222 photos)"`, or `"–"` without groups.
pub fn group_cell(g: Option<&GroupedAccuracy>) -> String {
    match g {
        Some(g) => format!(
            "{} ({}, {} photos)",
            g.group_ci.percent(),
            g.method.name(),
            g.groups
        ),
        None => "–".to_string(),
    }
}

/// Design effect and effective sample size in words.
pub fn design_effect_text(g: &GroupedAccuracy) -> String {
    match (g.design_effect, g.effective_n()) {
        (Some(d), Some(n_eff)) => format!(
            "design effect {d:.1}: the {} images are worth about {n_eff:.0} independent ones \
             ({} photos)",
            g.n, g.groups
        ),
        _ => format!(
            "design effect undefined (no variation: accuracy {:.0}%); the evidence is {} photos, \
             not {} images",
            100.0 * g.accuracy,
            g.groups,
            g.n
        ),
    }
}

/// One letter as `"R: 100.0% (62 / 62), photos [39.8%, 100.0%] on 4"`.
pub fn letter_text(l: &LetterStats) -> String {
    let photos = match &l.grouped {
        Some(g) => format!(", 95% CI {} on {} photos", g.group_ci.percent(), g.groups),
        None => format!(", 95% CI {}", l.ci.percent()),
    };
    format!(
        "{}: {:.1}% ({} / {}){photos}",
        l.letter,
        100.0 * l.accuracy,
        l.correct,
        l.n
    )
}

impl Evaluation {
    /// The lowest letter, or the tie: `"R: 100.0% … (tied with 23 letters
    /// at 100.0%; shown: the least certain)"`.
    pub fn lowest_letter_text(&self) -> String {
        let low = self.lowest_letters();
        let first = letter_text(low[0]);
        if low.len() == 1 {
            return first;
        }
        let names: Vec<String> = low.iter().map(|l| l.letter.to_string()).collect();
        format!(
            "{} letters tied at {:.1}% ({}); least certain first: {first}",
            low.len(),
            100.0 * low[0].accuracy,
            names.join(" ")
        )
    }

    /// The most common error in words, or that there is none.
    pub fn most_common_error_text(&self) -> String {
        match self.most_common_confusion() {
            Some(c) => format!(
                "{c}, {:.1}% of all {} errors",
                100.0 * c.count as f64 / self.errors() as f64,
                self.errors()
            ),
            None => "none: this model made no errors on these images".to_string(),
        }
    }

    /// Per-letter table: accuracy with its per-image and per-photo 95%
    /// intervals, precision, recall, F1.
    pub fn per_letter_table(&self) -> Table {
        let mut t = Table::new([
            "letter",
            "images",
            "photos",
            "accuracy",
            "95% CI (images)",
            "95% CI (photos)",
            "precision",
            "recall",
            "F1",
        ])
        .with_caption(format!(
            "Per-letter results on {} images: Wilson intervals per image, and per source photo \
             (the honest unit)",
            self.n
        ));
        for l in &self.letters {
            t.push([
                l.letter.to_string(),
                l.n.to_string(),
                l.grouped
                    .as_ref()
                    .map_or("–".into(), |g| g.groups.to_string()),
                if l.n == 0 {
                    "–".to_string()
                } else {
                    format!("{:.1}%", 100.0 * l.accuracy)
                },
                l.ci.percent(),
                l.grouped
                    .as_ref()
                    .map_or("–".into(), |g| g.group_ci.percent()),
                format!("{:.3}", l.precision),
                format!("{:.3}", l.recall),
                format!("{:.3}", l.f1),
            ]);
        }
        t
    }

    /// The headline numbers: overall accuracy with both intervals, the design
    /// effect, the lowest letter(s), the most common confusion, macro F1.
    pub fn summary(&self) -> Table {
        let mut t = Table::new(["quantity", "value"]).with_caption("Evaluation summary");
        t.push([
            "overall accuracy".to_string(),
            format!(
                "{:.2}% ({} / {})",
                100.0 * self.accuracy,
                self.correct,
                self.n
            ),
        ]);
        t.push(["95% CI, images as the unit".to_string(), self.ci.percent()]);
        t.push([
            "95% CI, source photos as the unit".to_string(),
            group_cell(self.grouped.as_ref()),
        ]);
        if let Some(g) = &self.grouped {
            t.push(["design effect".to_string(), design_effect_text(g)]);
        }
        t.push(["lowest letter".to_string(), self.lowest_letter_text()]);
        t.push([
            "most common error".to_string(),
            self.most_common_error_text(),
        ]);
        t.push(["macro F1".to_string(), format!("{:.4}", self.macro_f1())]);
        t
    }

    /// The summary and the per-letter table, for the notebook.
    pub fn to_display(&self) -> Html {
        let (summary, table) = (self.summary(), self.per_letter_table());
        Html::new(
            format!("{}<br>{}", summary.to_html(), table.to_html()),
            format!("{summary}\n{table}"),
        )
    }

    /// Shows [`Evaluation::to_display`] inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

/// The headline result under other grouping thresholds: the same
/// predictions, regrouped (`(threshold, group of each image)`), with the
/// photo count and the group-aware interval each grouping gives.
pub fn grouping_sensitivity(
    eval: &Evaluation,
    groupings: &[(f64, Vec<u32>)],
) -> Result<Table, super::EvaluateError> {
    let mut t = Table::new([
        "threshold",
        "photos",
        "accuracy",
        "95% CI (photos)",
        "method",
    ])
    .with_caption(format!(
        "Sensitivity to the grouping threshold: {} test images, as grouped by the caller",
        eval.n
    ));
    let right = eval.correct_flags();
    for (threshold, groups) in groupings {
        if groups.len() != eval.n {
            return Err(super::EvaluateError::LengthMismatch {
                what: "groups",
                a: eval.n,
                b: groups.len(),
            });
        }
        let a = super::grouped::grouped_accuracy(&right, groups);
        t.push([
            format!("{threshold:.1}"),
            a.groups.to_string(),
            format!("{:.2}%", 100.0 * a.accuracy),
            a.group_ci.percent(),
            a.method.name().to_string(),
        ]);
    }
    Ok(t)
}

/// The headline result with the **whole test CSV** (both halves) linked at
/// each threshold ([`crate::data::cross_half_linkage`]): the test images'
/// photo count, accuracy and group-aware interval under each grouping, and
/// how many test images share a cluster with validation images.
pub fn grouping_sensitivity_whole(
    eval: &Evaluation,
    links: &[crate::data::CrossHalfLink],
) -> Result<Table, super::EvaluateError> {
    let mut t = Table::new([
        "threshold",
        "test photos",
        "accuracy",
        "95% CI (photos)",
        "test images linked to validation",
    ])
    .with_caption(format!(
        "Sensitivity to the grouping threshold: the whole test CSV linked at each threshold \
         (single linkage, same letter), {} test images",
        eval.n
    ));
    let right = eval.correct_flags();
    for l in links {
        if l.test_groups.len() != eval.n {
            return Err(super::EvaluateError::LengthMismatch {
                what: "groups",
                a: eval.n,
                b: l.test_groups.len(),
            });
        }
        let a = super::grouped::grouped_accuracy(&right, &l.test_groups);
        t.push([
            format!("{:.1}", l.threshold),
            a.groups.to_string(),
            format!("{:.2}%", 100.0 * a.accuracy),
            a.group_ci.percent(),
            format!("{:.1}%", 100.0 * l.share()),
        ]);
    }
    Ok(t)
}

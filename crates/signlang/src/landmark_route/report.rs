//! The landmark route's report on labelled photos, the same wherever it is
//! printed (the notebook from a [`RouteScore`], `signlang predict
//! --truth-from-name` from an export's answers): photos, hands found,
//! accuracy with a photo without a hand counted **wrong** (the headline),
//! accuracy where a hand was found, per letter, the top confusions, and
//! what the unsure rule answers and refuses.
//!
//! Every share is counted per photo with its 95% interval: exact
//! Clopper–Pearson when each source photo has one version
//! ([`rate_with_exact_interval`]), else with the source photo as the unit
//! ([`crate::evaluate::grouped_accuracy`]; versions `<LETTER>_<source>_<version>`
//! of one photo together, as [`crate::adapt::parse_name`] reads them).

use std::path::PathBuf;

use super::predict::{RouteClassifier, RoutePrediction};
use super::score::{RouteScore, NO_HAND};
use super::unsure::MarginRule;
use crate::display::{escape, Html, Table};
use crate::evaluate::{grouped_accuracy, rate_with_exact_interval, GroupedAccuracy};
use crate::field::{FieldFailure, FIELD_UNIT_NOTE};
use crate::letters::class_of_letter;

/// A photo read by an export, with its true letter and source photo from
/// its name.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteRecord {
    /// The true class.
    pub truth: u8,
    /// The source photo (`A_11` for `A_11_2.jpg`; the name itself otherwise).
    pub source: String,
    /// What the route answered.
    pub prediction: RoutePrediction,
}

impl RouteScore {
    /// The score of an export's answers on labelled photos: `route` and
    /// `photos` name them in tables.
    pub fn of_records(route: &str, photos: &str, records: &[RouteRecord]) -> RouteScore {
        let mut ids = std::collections::HashMap::new();
        let groups = records
            .iter()
            .map(|r| {
                let next = ids.len() as u32;
                *ids.entry(r.source.clone()).or_insert(next)
            })
            .collect();
        RouteScore {
            route: route.into(),
            photos: photos.into(),
            truth: records.iter().map(|r| r.truth).collect(),
            predicted: records
                .iter()
                .map(|r| r.prediction.letter().and_then(class_of_letter))
                .map(|c| c.unwrap_or(NO_HAND))
                .collect(),
            margin: records.iter().map(|r| r.prediction.margin).collect(),
            groups,
        }
    }
}

/// A route's score on labelled photos, its unsure rule, and the files it
/// could not read.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteReport {
    /// The answers.
    pub score: RouteScore,
    /// The unsure rule the route travels with.
    pub unsure: MarginRule,
    /// Files that could not be scored, each with its one-line error.
    pub failures: Vec<FieldFailure>,
}

/// `"93.2% (177/190) [89.0%, 96.1%]"`: a share counted per photo with its
/// 95% interval (see the module docs); `"no photos"` when there are none.
pub fn share_text(g: &GroupedAccuracy) -> String {
    if g.n == 0 {
        return "no photos".into();
    }
    let ci = if g.groups == g.n {
        rate_with_exact_interval(g.correct, g.n).1
    } else {
        g.group_ci
    };
    let point = format!("{:.1}% ({}/{})", 100.0 * g.accuracy, g.correct, g.n);
    format!("{point} {}", ci.percent())
}

/// Photos marked `values` among those `keep`s, grouped by `groups`.
fn among(values: &[bool], groups: &[u32], keep: &[bool]) -> GroupedAccuracy {
    let (v, g): (Vec<bool>, Vec<u32>) = values
        .iter()
        .zip(groups)
        .zip(keep)
        .filter(|(_, &k)| k)
        .map(|((&v, &g), _)| (v, g))
        .unzip();
    grouped_accuracy(&v, &g)
}

impl RouteReport {
    /// The report of `score` under `unsure`, with no failed files.
    pub fn new(score: RouteScore, unsure: MarginRule) -> RouteReport {
        RouteReport {
            score,
            unsure,
            failures: Vec::new(),
        }
    }

    /// Share of the photos the unsure rule answers.
    pub fn answered_share(&self) -> GroupedAccuracy {
        grouped_accuracy(&self.unsure.answered(&self.score), &self.score.groups)
    }

    /// Accuracy of the photos the rule answers.
    pub fn answered_accuracy(&self) -> GroupedAccuracy {
        let answered = self.unsure.answered(&self.score);
        among(&self.score.correct(), &self.score.groups, &answered)
    }

    /// Accuracy of the photos the rule refuses (no hand counted wrong):
    /// what an app would have said, had it answered them.
    pub fn refused_accuracy(&self) -> GroupedAccuracy {
        let refused: Vec<bool> = self
            .unsure
            .answered(&self.score)
            .iter()
            .map(|a| !a)
            .collect();
        among(&self.score.correct(), &self.score.groups, &refused)
    }

    /// How the intervals count, in words.
    fn unit(&self) -> String {
        let groups = self.score.detection().groups;
        if groups == self.score.len() {
            "exact Clopper–Pearson, each photo one trial".into()
        } else {
            let s = if groups == 1 { "" } else { "s" };
            format!("{groups} source photo{s}: {FIELD_UNIT_NOTE}")
        }
    }

    /// The headline numbers and the unsure rule.
    pub fn summary_table(&self) -> Table {
        let s = &self.score;
        let mut t = Table::new(["measure", "value"]).with_caption(format!(
            "{} on {}: {} photos scored, {} failed",
            s.route,
            s.photos,
            s.len(),
            self.failures.len()
        ));
        let rule = format!(
            "answer when a hand is found and the top letter's probability leads the second's \
             by at least {:.4}",
            self.unsure.threshold
        );
        let rows = [
            ("hand found", share_text(&s.detection())),
            ("accuracy, no hand counted wrong", share_text(&s.accuracy())),
            (
                "accuracy where a hand was found",
                share_text(&s.among_detected()),
            ),
            ("unsure rule", rule),
            ("answered by the rule", share_text(&self.answered_share())),
            (
                "accuracy of the answered",
                share_text(&self.answered_accuracy()),
            ),
            (
                "accuracy of the refused (no hand = wrong)",
                share_text(&self.refused_accuracy()),
            ),
            ("intervals", self.unit()),
        ];
        t.push(["photos".to_string(), s.len().to_string()]);
        for (measure, value) in rows {
            t.push([measure.to_string(), value]);
        }
        t
    }

    /// The files that failed, with their errors.
    pub fn failures_table(&self) -> Table {
        let mut t = Table::new(["file", "error"]).with_caption("Files not scored");
        for f in &self.failures {
            t.push([f.file.display().to_string(), f.error.clone()]);
        }
        t
    }

    fn note() -> &'static str {
        "A photo where no hand was found counts wrong. The signers are unknown, so photos of one \
         person count as independent and the intervals may be too narrow. Photos that measure \
         must not choose models or thresholds."
    }

    /// The whole report as plain text.
    pub fn to_text(&self) -> String {
        let mut parts = vec![self.summary_table().to_text(), Self::note().to_string()];
        parts.push(self.score.per_letter_table().to_text());
        parts.push(self.score.confusions_table(10).to_text());
        if !self.failures.is_empty() {
            parts.push(self.failures_table().to_text());
        }
        parts.join("\n\n")
    }

    /// The whole report as HTML for the notebook.
    pub fn to_display(&self) -> Html {
        let mut html = self.summary_table().to_html();
        html += &format!("<p><em>{}</em></p>", escape(Self::note()));
        html += &self.score.per_letter_table().to_html();
        html += &self.score.confusions_table(10).to_html();
        if !self.failures.is_empty() {
            html += &self.failures_table().to_html();
        }
        Html::new(html, self.to_text())
    }

    /// Shows the report inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display();
    }
}

impl std::fmt::Display for RouteReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// An export's answers on labelled photos and their report.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteCheck {
    /// Each photo read, in file order.
    pub records: Vec<RouteRecord>,
    /// Their report (with the files that failed).
    pub report: RouteReport,
}

impl RouteClassifier {
    /// The route's name in tables: `"landmarks: dense 128-64 (…)"`.
    pub fn name(&self) -> String {
        format!("landmarks: {}", self.manifest.classifier)
    }

    /// Reads each of `files` (named `<LETTER>_<n>.jpg` or
    /// `<LETTER>_<source>_<version>.jpg`) and reports on them as `source`
    /// (a folder, or "N files"). A file with a bad name or unreadable
    /// pixels becomes a failure naming it; the others are still read.
    pub fn check_files(&self, files: &[PathBuf], source: &str) -> RouteCheck {
        let mut records = Vec::new();
        let mut failures = Vec::new();
        for file in files {
            let read = crate::adapt::parse_name(file)
                .map_err(|e| e.to_string())
                .and_then(|(truth, group)| {
                    let prediction = self.predict_file(file).map_err(|e| e.to_string())?;
                    Ok(RouteRecord {
                        truth,
                        source: group,
                        prediction,
                    })
                });
            match read {
                Ok(r) => records.push(r),
                Err(error) => failures.push(FieldFailure {
                    file: file.clone(),
                    error,
                }),
            }
        }
        let score = RouteScore::of_records(&self.name(), source, &records);
        let mut report = RouteReport::new(score, self.manifest.unsure);
        report.failures = failures;
        RouteCheck { records, report }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prediction(letter: Option<char>, margin: f64) -> RoutePrediction {
        RoutePrediction {
            file: PathBuf::from("x.jpg"),
            hand: letter.is_some(),
            top3: letter.map(|l| vec![(l, 0.9)]).unwrap_or_default(),
            margin,
            unsure: false,
        }
    }

    fn record(truth: char, source: &str, read: Option<char>, margin: f64) -> RouteRecord {
        RouteRecord {
            truth: class_of_letter(truth).unwrap(),
            source: source.into(),
            prediction: prediction(read, margin),
        }
    }

    #[test]
    fn shares_add_up_and_a_photo_without_a_hand_counts_wrong() {
        let records = [
            record('A', "A_1", Some('A'), 0.9),
            record('B', "B_1", Some('B'), 0.05),
            record('C', "C_1", None, 0.0),
            record('D', "D_1", Some('E'), 0.5),
        ];
        let score = RouteScore::of_records("r", "p", &records);
        assert_eq!(score.predicted[2], NO_HAND);
        let rule = MarginRule {
            threshold: 0.1,
            target: 0.95,
        };
        let report = RouteReport::new(score, rule);
        let (ans, right, refused) = (
            report.answered_share(),
            report.answered_accuracy(),
            report.refused_accuracy(),
        );
        assert_eq!((ans.correct, ans.n), (2, 4), "A and D answered");
        assert_eq!((right.correct, right.n), (1, 2));
        assert_eq!((refused.correct, refused.n), (1, 2), "B right, C wrong");
        assert_eq!(report.score.accuracy().correct, 2);
        // One version per photo: the interval is exact Clopper–Pearson.
        let exact = rate_with_exact_interval(2, 4).1.percent();
        assert_eq!(
            share_text(&report.score.accuracy()),
            format!("50.0% (2/4) {exact}")
        );
        let text = report.to_text();
        assert!(text.contains("exact Clopper–Pearson"), "{text}");
        assert!(text.contains("hand found"), "{text}");
    }

    #[test]
    fn versions_of_one_source_photo_are_one_unit() {
        let records = [
            record('A', "A_1", Some('A'), 0.9),
            record('A', "A_1", Some('A'), 0.9),
            record('B', "B_2", Some('C'), 0.9),
        ];
        let score = RouteScore::of_records("r", "p", &records);
        assert_eq!(score.groups, vec![0, 0, 1]);
        let report = RouteReport::new(score, MarginRule::default());
        assert_eq!(report.score.accuracy().groups, 2);
        assert!(report.to_text().contains("2 source photos"));
    }
}

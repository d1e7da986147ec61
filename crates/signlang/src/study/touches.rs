//! The test-touch log summarised by purpose: how many times the test split
//! was evaluated, and for what, as counts (never a list of run ids).

use super::TestTouch;
use crate::display::Table;

/// Why the test split was evaluated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TouchPurpose {
    /// The headline evaluation of a chosen configuration (its best seed).
    Finals,
    /// The other seeds of the chosen configurations (the seed spread).
    Seeds,
    /// Corrupted copies of the test photos.
    Robustness,
    /// The calibrated abstain rule on the test photos.
    CalibrationChecks,
    /// Runs that were tested for a choice that was later replaced (for
    /// example a "second model" before the app rule chose otherwise).
    EarlierChoices,
}

impl TouchPurpose {
    /// All purposes, in table order.
    pub const ALL: [TouchPurpose; 5] = [
        TouchPurpose::Finals,
        TouchPurpose::Seeds,
        TouchPurpose::Robustness,
        TouchPurpose::CalibrationChecks,
        TouchPurpose::EarlierChoices,
    ];

    /// The purpose in words for the table.
    pub fn words(self) -> &'static str {
        match self {
            TouchPurpose::Finals => "finals: the chosen models' headline evaluation",
            TouchPurpose::Seeds => "seeds: the other seeds of the chosen configurations",
            TouchPurpose::Robustness => "robustness: corrupted copies of the test photos",
            TouchPurpose::CalibrationChecks => "calibration checks: the abstain rule",
            TouchPurpose::EarlierChoices => "earlier choices, since replaced",
        }
    }

    /// Classifies one touch: by what was measured, else by the run
    /// (`finals`: the chosen configurations' headline runs; `seeds`: their
    /// other seeds); any other plain evaluation was an earlier choice.
    pub fn of(touch: &TestTouch, finals: &[&str], seeds: &[&str]) -> TouchPurpose {
        let what = touch.what.as_deref().unwrap_or("").to_lowercase();
        let id = touch.run_id.as_str();
        if what.starts_with("robustness") {
            TouchPurpose::Robustness
        } else if what.contains("abstain") || what.contains("calibrat") {
            TouchPurpose::CalibrationChecks
        } else if finals.contains(&id) {
            TouchPurpose::Finals
        } else if seeds.contains(&id) {
            TouchPurpose::Seeds
        } else {
            TouchPurpose::EarlierChoices
        }
    }
}

/// Touches and distinct runs per purpose, in [`TouchPurpose::ALL`] order.
pub fn touch_counts(
    touches: &[TestTouch],
    finals: &[&str],
    seeds: &[&str],
) -> Vec<(TouchPurpose, usize, usize)> {
    TouchPurpose::ALL
        .iter()
        .map(|&p| {
            let of: Vec<&TestTouch> = touches
                .iter()
                .filter(|t| TouchPurpose::of(t, finals, seeds) == p)
                .collect();
            let runs: std::collections::HashSet<&str> =
                of.iter().map(|t| t.run_id.as_str()).collect();
            (p, of.len(), runs.len())
        })
        .collect()
}

/// The test-touch log by purpose, as counts (see [`touch_counts`]).
pub fn touch_table(touches: &[TestTouch], finals: &[&str], seeds: &[&str]) -> Table {
    let mut t = Table::new(["purpose", "evaluations", "runs"]).with_caption(format!(
        "Every evaluation on the test half, by purpose: {} in all; nothing was chosen on them",
        touches.len()
    ));
    for (p, n, runs) in touch_counts(touches, finals, seeds) {
        t.push([p.words().to_string(), n.to_string(), runs.to_string()]);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(id: &str, what: Option<&str>) -> TestTouch {
        TestTouch {
            run_id: id.into(),
            at: String::new(),
            n_images: 10,
            accuracy: 1.0,
            test_fingerprint: "f".into(),
            what: what.map(String::from),
        }
    }

    #[test]
    fn touches_are_counted_by_purpose() {
        let touches = vec![
            touch("r026", None),
            touch("r026", None),
            touch("r027", None),
            touch("r028", None),
            touch("r017", None),
            touch("r018", None),
            touch("r026", Some("robustness (seed 11, 30 images): clean 99%")),
            touch(
                "r026",
                Some("abstain rule (threshold 0.9) under corruptions"),
            ),
        ];
        let counts = touch_counts(&touches, &["r026"], &["r027", "r028"]);
        let got: Vec<(usize, usize)> = counts.iter().map(|c| (c.1, c.2)).collect();
        assert_eq!(got, [(2, 1), (2, 2), (1, 1), (1, 1), (2, 2)]);
        let text = touch_table(&touches, &["r026"], &["r027", "r028"]).to_text();
        assert!(text.contains("8 in all"), "{text}");
        assert!(!text.contains("r017"), "counts, not ids: {text}");
    }
}

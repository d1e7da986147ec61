//! The client's goals (over 96% overall, over 90% for every letter) against
//! an evaluation, judged on the group-aware interval when the groups are
//! known: a goal is **met** only when the whole interval is above it, **met
//! on the point estimate only** when the estimate is above it but the
//! interval reaches below, and **not met** otherwise.

use super::intervals::Interval;
use super::metrics::Evaluation;
use crate::display::Table;

/// The client's accuracy goals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Goals {
    /// Overall accuracy must exceed this.
    pub overall: f64,
    /// Every letter's accuracy must exceed this.
    pub per_letter: f64,
}

impl Default for Goals {
    /// Over 96% overall, over 90% for every letter.
    fn default() -> Self {
        Goals {
            overall: 0.96,
            per_letter: 0.90,
        }
    }
}

/// How a goal stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// The point estimate is at or below the goal.
    NotMet,
    /// The point estimate is above the goal, the interval reaches below it.
    PointOnly,
    /// The whole interval is above the goal.
    Met,
}

impl Verdict {
    /// Judges an estimate and its interval against a goal.
    pub fn of(accuracy: f64, ci: Interval, goal: f64) -> Verdict {
        if accuracy.is_nan() || accuracy <= goal {
            Verdict::NotMet
        } else if ci.lo > goal {
            Verdict::Met
        } else {
            Verdict::PointOnly
        }
    }

    /// "met", "met on the point estimate only" or "not met".
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Met => "met",
            Verdict::PointOnly => "met on the point estimate only",
            Verdict::NotMet => "not met",
        }
    }
}

/// One letter against the per-letter goal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LetterGoal {
    /// The letter.
    pub letter: char,
    /// Its accuracy (NaN without images).
    pub accuracy: f64,
    /// The interval judged by (per photo when groups are known).
    pub ci: Interval,
    /// Source photos behind it (0 when groups are unknown).
    pub photos: usize,
    /// How it stands.
    pub verdict: Verdict,
}

/// The goals against an evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalCheck {
    /// The goals checked.
    pub goals: Goals,
    /// Overall accuracy.
    pub accuracy: f64,
    /// The interval judged by (per photo when groups are known).
    pub ci: Interval,
    /// True when the intervals are per source photo.
    pub by_photo: bool,
    /// The overall goal.
    pub overall: Verdict,
    /// Each letter with images, in class order.
    pub letters: Vec<LetterGoal>,
}

impl Evaluation {
    /// Checks the client's goals against this evaluation.
    pub fn goal_check(&self, goals: &Goals) -> GoalCheck {
        let letters = self
            .letters
            .iter()
            .filter(|l| l.n > 0)
            .map(|l| LetterGoal {
                letter: l.letter,
                accuracy: l.accuracy,
                ci: l.best_ci(),
                photos: l.grouped.as_ref().map_or(0, |g| g.groups),
                verdict: Verdict::of(l.accuracy, l.best_ci(), goals.per_letter),
            })
            .collect();
        GoalCheck {
            goals: *goals,
            accuracy: self.accuracy,
            ci: self.best_ci(),
            by_photo: self.grouped.is_some(),
            overall: Verdict::of(self.accuracy, self.best_ci(), goals.overall),
            letters,
        }
    }
}

impl GoalCheck {
    /// The per-letter goal: the weakest verdict over the letters.
    pub fn letters_verdict(&self) -> Verdict {
        self.letters
            .iter()
            .map(|l| l.verdict)
            .min()
            .unwrap_or(Verdict::NotMet)
    }

    /// Letters with this verdict.
    pub fn letters_with(&self, verdict: Verdict) -> Vec<LetterGoal> {
        self.letters
            .iter()
            .filter(|l| l.verdict == verdict)
            .copied()
            .collect()
    }

    /// The two goals only (no letter rows), for the report.
    pub fn headline_table(&self) -> Table {
        let mut t = self.to_table();
        t.rows.truncate(2);
        t
    }

    /// The goals, then every letter, with their verdicts.
    pub fn to_table(&self) -> Table {
        let unit = if self.by_photo {
            "95% CI (photos)"
        } else {
            "95% CI (images)"
        };
        let mut t = Table::new(["goal", "estimate", unit, "verdict"]).with_caption(
            "The client's goals for photos like the test CSV: met only when the whole \
                 interval is above the goal",
        );
        t.push([
            format!("overall > {:.0}%", 100.0 * self.goals.overall),
            format!("{:.2}%", 100.0 * self.accuracy),
            self.ci.percent(),
            self.overall.words().to_string(),
        ]);
        let counts = |v| self.letters_with(v).len();
        t.push([
            format!("every letter > {:.0}%", 100.0 * self.goals.per_letter),
            format!(
                "{} met, {} on the point estimate only, {} not met",
                counts(Verdict::Met),
                counts(Verdict::PointOnly),
                counts(Verdict::NotMet)
            ),
            String::new(),
            self.letters_verdict().words().to_string(),
        ]);
        for l in &self.letters {
            t.push([
                format!("  letter {}", l.letter),
                format!("{:.1}%", 100.0 * l.accuracy),
                if self.by_photo {
                    format!("{} on {} photos", l.ci.percent(), l.photos)
                } else {
                    l.ci.percent()
                },
                l.verdict.words().to_string(),
            ]);
        }
        t
    }
}

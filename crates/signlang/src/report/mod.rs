//! Prose for the client, generated from measurements: [`AppAnswer`], the
//! answer to "could an app read ASL letters?", which leads with photos of
//! other people (what an app meets), then photos like the dataset's own,
//! then what it would take, in words a manager reads.

use crate::calibrate::UnsureEvidence;
use crate::display::{escape, Html};
use crate::evaluate::goals::Verdict;
use crate::evaluate::{GroupedAccuracy, Interval};
use crate::landmark_route::RouteScore;
use crate::letters::letter;

/// Most words [`AppAnswer::lines`] may take: one screen.
pub const APP_ANSWER_WORDS: usize = 260;

/// The measurements the answer is made of.
#[derive(Clone, Debug)]
pub struct AppAnswer<'a> {
    /// The landmark route on the real photos.
    pub landmarks: &'a RouteScore,
    /// The landmark route on those photos shrunk to 64×64 pixels.
    pub landmarks_small: Option<&'a RouteScore>,
    /// The landmark route on the real photos with no near-twin among its
    /// training photos.
    pub landmarks_apart: Option<&'a RouteScore>,
    /// The pixel model trained on Sign-MNIST, on the real photos.
    pub pixels: &'a RouteScore,
    /// The pixel model fine-tuned on the real training crops, on the real photos.
    pub pixels_adapted: Option<&'a RouteScore>,
    /// The landmark route's unsure rule on the real photos.
    pub unsure: Option<&'a UnsureEvidence>,
    /// The pixel model on photos like the test CSV.
    pub test: GroupedAccuracy,
    /// Training photos per letter behind the landmark route (mean).
    pub photos_per_letter: f64,
    /// The landmark route trained on fewer photos per letter: (photos per
    /// letter, accuracy on the real photos), smallest first.
    pub curve: Vec<(f64, f64)>,
    /// The overall goal (0.96) and the per-letter goal (0.90).
    pub goals: (f64, f64),
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn range(ci: Interval) -> String {
    format!("95% range {:.1}–{:.1}%", 100.0 * ci.lo, 100.0 * ci.hi)
}

fn standing(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::PointOnly => "met on the point estimate only",
        Verdict::NotMet => "not met",
    }
}

impl AppAnswer<'_> {
    /// The answer's lines: a headline, then one line per kind of photo, then
    /// what it would take and the recommendation.
    pub fn lines(&self) -> Vec<String> {
        let lm = self.landmarks.accuracy();
        let verdict = Verdict::of(lm.accuracy, lm.group_ci, self.goals.0);
        let mut out = vec![format!(
            "Could an app read ASL letters? From hand keypoints it read {} of real photos of \
             people, from Sign-MNIST's pixels {}. Goal over {:.0}% on real photos: {}.",
            pct(lm.accuracy),
            pct(self.pixels.accuracy().accuracy),
            100.0 * self.goals.0,
            standing(verdict)
        )];
        out.push(self.other_people_line(&lm));
        out.push(self.pixels_line());
        out.push(format!(
            "Photos like the dataset's own test photos (its camera, room and signers): the pixel \
             model reads {} ({}), {} for such photos only.",
            pct(self.test.accuracy),
            range(self.test.group_ci),
            standing(Verdict::of(
                self.test.accuracy,
                self.test.group_ci,
                self.goals.0
            ))
        ));
        if let Some(u) = self.unsure {
            out.push(unsure_line(u));
        }
        out.push(self.needs_line());
        out
    }

    fn other_people_line(&self, lm: &GroupedAccuracy) -> String {
        let det = self.landmarks.detection();
        let mut s = format!(
            "Real photos ({} photos of several people in ordinary rooms): the keypoint route \
             reads {} ({}); it finds the hand in {}; a photo without a hand counts wrong.",
            self.landmarks.len(),
            pct(lm.accuracy),
            range(lm.group_ci),
            pct(det.accuracy)
        );
        if let Some((t, p, n)) = self.landmarks.confusions().first() {
            s += &format!(
                " Most common mistake: {} read as {} ({n} photos).",
                letter(*t),
                letter(*p)
            );
        }
        if let Some(small) = self.landmarks_small {
            s += &format!(
                " Shrunk to 64×64 pixels: {}.",
                pct(small.accuracy().accuracy)
            );
        }
        if let Some(a) = self.landmarks_apart.map(RouteScore::accuracy) {
            s += &format!(
                " These photos come from the same few people and rooms as its training photos; \
                 on the {} with no near-twin among them it reads {} ({}). New signers may do worse.",
                a.n,
                pct(a.accuracy),
                range(a.group_ci)
            );
        }
        s
    }

    fn pixels_line(&self) -> String {
        let p = self.pixels.accuracy();
        let mut s = format!(
            "The pixel model trained on Sign-MNIST reads {} of them ({}; guessing gives 4%)",
            pct(p.accuracy),
            range(p.group_ci)
        );
        if let Some(a) = self.pixels_adapted {
            s += &format!(
                ", and {} after fine-tuning on the same real training photos",
                pct(a.accuracy().accuracy)
            );
        }
        s + "."
    }

    fn needs_line(&self) -> String {
        let curve: Vec<String> = self
            .curve
            .iter()
            .map(|(k, a)| format!("{k:.0} per letter {}", pct(*a)))
            .collect();
        format!(
            "What it needs: about {:.0} real training photos per letter ({}), MediaPipe's hand \
             keypoint models (free, on-device) and the exported classifier. Before launch: a \
             field test of new signers, at least 36 photos of every letter, to show each letter \
             above {:.0}%.",
            self.photos_per_letter,
            curve.join(", "),
            100.0 * self.goals.1
        )
    }

    /// Words in the answer.
    pub fn words(&self) -> usize {
        self.lines()
            .iter()
            .map(|l| l.split_whitespace().count())
            .sum()
    }

    /// The answer as HTML: the headline in bold, then a list.
    pub fn to_display(&self) -> Html {
        let lines = self.lines();
        let items: String = lines[1..]
            .iter()
            .map(|l| format!("<li>{}</li>", escape(l)))
            .collect();
        Html::new(
            format!("<p><b>{}</b></p><ul>{items}</ul>", escape(&lines[0])),
            lines.join("\n"),
        )
    }

    /// Shows the answer inline in evcxr.
    pub fn evcxr_display(&self) {
        self.to_display().evcxr_display()
    }
}

/// The unsure rule in words: does it tell right answers from wrong ones?
fn unsure_line(u: &UnsureEvidence) -> String {
    let t = &u.test;
    if t.verdict.passes() {
        format!(
            "\"Unsure\": when the app answers, it is right {} of the time; the photos it refuses \
             ({}) are right only {}: the rule helps.",
            pct(t.accuracy_answered()),
            pct(1.0 - t.answered_share()),
            pct(t.accuracy_refused())
        )
    } else {
        format!(
            "\"Unsure\" does not help here: answered photos ({}) are not clearly more often right \
             than refused ones ({}).",
            pct(t.accuracy_answered()),
            pct(t.accuracy_refused())
        )
    }
}

//! What a model answers on images it cannot read: the predicted-letter
//! distribution per probe kind and on a set of photos.

use super::probes::{ProbeKind, Probes};
use super::{argmax, Outputs};
use crate::calibrate::ScoreKind;
use crate::display::Table;
use crate::letters::{letter, NUM_CLASSES};

/// The answers on one set of images.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Readout {
    /// The set ("white noise", "field photos", …).
    pub name: String,
    /// Images.
    pub images: usize,
    /// How often each letter was predicted.
    pub counts: [usize; NUM_CLASSES],
    /// Mean top probability (temperature 1).
    pub mean_top_probability: f64,
}

impl Readout {
    /// The answers read from logits.
    pub fn new(name: &str, logits: &[Vec<f32>]) -> Readout {
        let mut counts = [0; NUM_CLASSES];
        argmax(logits)
            .into_iter()
            .for_each(|c| counts[c as usize] += 1);
        let top: f64 = logits
            .iter()
            .map(|l| ScoreKind::MaxProbability.score(l, 1.0))
            .sum();
        Readout {
            name: name.to_string(),
            images: logits.len(),
            counts,
            mean_top_probability: top / logits.len().max(1) as f64,
        }
    }

    /// The most predicted letter and its share of the images.
    pub fn most_predicted(&self) -> (char, f64) {
        let c = (0..NUM_CLASSES).fold(0, |b, c| {
            if self.counts[c] > self.counts[b] {
                c
            } else {
                b
            }
        });
        (
            letter(c as u8),
            self.counts[c] as f64 / self.images.max(1) as f64,
        )
    }
}

/// One [`Readout`] per probe kind present, in [`ProbeKind::ALL`] order.
pub fn probe_readouts(probes: &Probes, outputs: &Outputs) -> Vec<Readout> {
    ProbeKind::ALL
        .iter()
        .filter_map(|&k| {
            let idx = probes.of_kind(k);
            (!idx.is_empty()).then(|| {
                let logits: Vec<Vec<f32>> =
                    idx.iter().map(|&i| outputs.logits[i].clone()).collect();
                Readout::new(k.name(), &logits)
            })
        })
        .collect()
}

/// One row per set: images, most predicted letter, its share, letters
/// predicted at all, mean top probability.
pub fn readout_table(readouts: &[Readout]) -> Table {
    let mut table = Table::new([
        "images",
        "n",
        "most predicted",
        "its share",
        "letters used",
        "mean top probability",
    ])
    .with_caption("What the model answers on images it cannot read");
    for r in readouts {
        let (l, share) = r.most_predicted();
        table.push([
            r.name.clone(),
            r.images.to_string(),
            l.to_string(),
            format!("{:.1}%", 100.0 * share),
            r.counts.iter().filter(|&&c| c > 0).count().to_string(),
            format!("{:.3}", r.mean_top_probability),
        ]);
    }
    table
}

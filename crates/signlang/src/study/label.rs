//! The labels of seeded runs: a configuration's name and a seed, written
//! `"{config} · seed {seed}"` in the ledger ([`RunLabel`]).

use std::fmt;

/// What separates a configuration's name from its seed in run labels.
const SEED_TAG: &str = " · seed ";

/// The label of a run: the configuration's name and, for seeded runs
/// (finals, recipes, levers), the seed. Written as `"{config} · seed {seed}"`,
/// or `config` alone without a seed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunLabel {
    /// The configuration's name (shared by the runs of all its seeds).
    pub config: String,
    /// The seed, when the label names one.
    pub seed: Option<u64>,
}

impl RunLabel {
    /// The label of one seed of a configuration.
    pub fn seeded(config: impl Into<String>, seed: u64) -> RunLabel {
        RunLabel {
            config: config.into(),
            seed: Some(seed),
        }
    }

    /// Reads a label: the configuration's name is the text before the first
    /// `" · seed "`, the seed the number after it (`None` without the tag or
    /// when the rest is not a number). Labels written by [`RunLabel`] read
    /// back unchanged.
    pub fn parse(label: &str) -> RunLabel {
        match label.split_once(SEED_TAG) {
            Some((config, seed)) => RunLabel {
                config: config.to_string(),
                seed: seed.parse().ok(),
            },
            None => RunLabel {
                config: label.to_string(),
                seed: None,
            },
        }
    }
}

impl fmt::Display for RunLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.config)?;
        match self.seed {
            Some(seed) => write!(f, "{SEED_TAG}{seed}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_labels_are_written_as_recorded_and_read_back() {
        let label = RunLabel::seeded("final: cnn 32-64", 43);
        assert_eq!(label.to_string(), "final: cnn 32-64 · seed 43");
        assert_eq!(RunLabel::parse(&label.to_string()), label);
    }

    #[test]
    fn labels_without_a_seed_keep_their_whole_text_as_the_name() {
        let plain = RunLabel::parse("cnn 32-64, lr 0.01");
        assert_eq!(plain.config, "cnn 32-64, lr 0.01");
        assert_eq!(plain.seed, None);
        assert_eq!(plain.to_string(), "cnn 32-64, lr 0.01");
        let odd = RunLabel::parse("a · seed b · seed 3");
        assert_eq!((odd.config.as_str(), odd.seed), ("a", None));
    }
}

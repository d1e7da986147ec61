//! Seeded draws of source photos per letter: a grouped hold-out, and `k`
//! source photos of each letter (every version of a photo goes with it).
//! Draws with one seed are nested: the first `k` of one shuffle per letter,
//! so `k = 1 ⊂ 2 ⊂ 4 ⊂ …`.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::photos::Photos;

/// How many source photos of each letter a draw takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PerLetter {
    /// `k` of each letter (all of a letter that has fewer).
    Count(usize),
    /// Every one.
    All,
}

impl PerLetter {
    /// `"1"`, `"8"`, `"all"`.
    pub fn label(&self) -> String {
        match self {
            PerLetter::Count(k) => k.to_string(),
            PerLetter::All => "all".into(),
        }
    }
}

/// The source photos of each letter among `pool`, each letter's list
/// shuffled by `seed` (deterministic).
fn shuffled(photos: &Photos, pool: &[u32], seed: u64) -> Vec<Vec<u32>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    photos
        .groups_by_letter()
        .into_iter()
        .map(|groups| {
            let mut g: Vec<u32> = groups.into_iter().filter(|g| pool.contains(g)).collect();
            g.shuffle(&mut rng);
            g
        })
        .collect()
}

/// Splits the source photos into `(kept, held out)`: of each letter,
/// `share` of its source photos (rounded, at least 1 and at most all but 1)
/// are held out. Needs 2 source photos of each letter ([`Photos::require`]).
pub fn holdout(photos: &Photos, share: f64, seed: u64) -> (Vec<u32>, Vec<u32>) {
    let all: Vec<u32> = (0..photos.group_names.len() as u32).collect();
    let (mut kept, mut held) = (Vec::new(), Vec::new());
    for groups in shuffled(photos, &all, seed) {
        let n = groups.len();
        let h = ((share * n as f64).round() as usize).clamp(1.min(n), n.saturating_sub(1));
        held.extend_from_slice(&groups[..h]);
        kept.extend_from_slice(&groups[h..]);
    }
    kept.sort_unstable();
    held.sort_unstable();
    (kept, held)
}

/// `k` source photos of each letter from `pool` (group ids), drawn with
/// `seed`; sorted group ids.
pub fn draw(photos: &Photos, pool: &[u32], k: PerLetter, seed: u64) -> Vec<u32> {
    let mut out: Vec<u32> = shuffled(photos, pool, seed)
        .into_iter()
        .flat_map(|g| match k {
            PerLetter::Count(k) => g.into_iter().take(k).collect::<Vec<_>>(),
            PerLetter::All => g,
        })
        .collect();
    out.sort_unstable();
    out
}

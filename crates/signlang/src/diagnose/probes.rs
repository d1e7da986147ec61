//! Synthetic non-hand images ("probes"): white noise, blocky noise, blank
//! grey, textures and backgrounds cut from the data, seeded and
//! deterministic.

use image::imageops::FilterType;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::data::{Dataset, PIXELS};

/// What kind of non-hand image a probe is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProbeKind {
    /// Independent uniform noise per pixel.
    WhiteNoise,
    /// Uniform noise in 4×4 blocks.
    BlockyNoise,
    /// One grey level everywhere.
    Blank,
    /// Stripes, checkerboards and smooth gradients.
    Texture,
    /// A corner of a training image (no hand), upscaled to 28×28.
    Background,
}

impl ProbeKind {
    /// Every kind, in table order.
    pub const ALL: [ProbeKind; 5] = [
        ProbeKind::WhiteNoise,
        ProbeKind::BlockyNoise,
        ProbeKind::Blank,
        ProbeKind::Texture,
        ProbeKind::Background,
    ];

    /// The name in tables.
    pub fn name(self) -> &'static str {
        match self {
            ProbeKind::WhiteNoise => "white noise",
            ProbeKind::BlockyNoise => "blocky noise",
            ProbeKind::Blank => "blank",
            ProbeKind::Texture => "texture",
            ProbeKind::Background => "background",
        }
    }

    /// True for the kinds the unsure goal (≥ 99% unsure) is set on: noise and blanks.
    pub fn in_goal(self) -> bool {
        matches!(
            self,
            ProbeKind::WhiteNoise | ProbeKind::BlockyNoise | ProbeKind::Blank
        )
    }
}

/// A set of probes: 28×28 images (class 0 throughout, meaningless) and their kinds.
#[derive(Clone, Debug, PartialEq)]
pub struct Probes {
    /// The images, as a [`Dataset`] named "probes".
    pub data: Dataset,
    /// The kind of each image.
    pub kinds: Vec<ProbeKind>,
}

impl Probes {
    /// `per_kind` images of every kind from `seed`; backgrounds are cut
    /// from `source` (e.g. the training half), skipped when it is empty.
    pub fn generate(per_kind: usize, seed: u64, source: &Dataset) -> Probes {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (mut pixels, mut kinds) = (Vec::new(), Vec::new());
        for kind in ProbeKind::ALL {
            if kind == ProbeKind::Background && source.is_empty() {
                continue;
            }
            for i in 0..per_kind {
                pixels.extend(make(kind, i, &mut rng, source));
                kinds.push(kind);
            }
        }
        let n = kinds.len();
        Probes {
            data: Dataset {
                name: "probes".into(),
                pixels,
                classes: vec![0; n],
                rows: (1..=n as u32).collect(),
            },
            kinds,
        }
    }

    /// Indices of the probes of one kind.
    pub fn of_kind(&self, kind: ProbeKind) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|&i| self.kinds[i] == kind)
            .collect()
    }
}

fn make(kind: ProbeKind, i: usize, rng: &mut ChaCha8Rng, source: &Dataset) -> Vec<u8> {
    match kind {
        ProbeKind::WhiteNoise => (0..PIXELS).map(|_| rng.random()).collect(),
        ProbeKind::BlockyNoise => {
            let blocks: Vec<u8> = (0..49).map(|_| rng.random()).collect();
            (0..PIXELS)
                .map(|p| blocks[(p / 28 / 4) * 7 + (p % 28) / 4])
                .collect()
        }
        ProbeKind::Blank => vec![(i * 37 % 256) as u8; PIXELS],
        ProbeKind::Texture => texture(i % 3, rng),
        ProbeKind::Background => background(rng, source),
    }
}

fn texture(which: usize, rng: &mut ChaCha8Rng) -> Vec<u8> {
    let period = rng.random_range(2.0..10.0f64);
    let angle = rng.random_range(0.0..std::f64::consts::PI);
    let (lo, hi) = (rng.random_range(0.0..0.5f64), rng.random_range(0.5..1.0f64));
    (0..PIXELS)
        .map(|p| {
            let (x, y) = ((p % 28) as f64, (p / 28) as f64);
            let u = x * angle.cos() + y * angle.sin();
            let v = match which {
                0 => f64::from(u8::from((u / period).floor() as i64 % 2 == 0)),
                1 => {
                    let s = period.round().max(1.0);
                    f64::from(u8::from(
                        ((x / s).floor() + (y / s).floor()) as i64 % 2 == 0,
                    ))
                }
                _ => ((u + 28.0) / 56.0).clamp(0.0, 1.0),
            };
            ((lo + (hi - lo) * v) * 255.0).round() as u8
        })
        .collect()
}

fn background(rng: &mut ChaCha8Rng, source: &Dataset) -> Vec<u8> {
    let img = source.image(rng.random_range(0..source.len()));
    let (cx, cy) = (
        rng.random_range(0..2u32) * 20,
        rng.random_range(0..2u32) * 20,
    );
    let grey = image::GrayImage::from_raw(28, 28, img.to_vec()).expect("28×28 pixels");
    let corner = image::imageops::crop_imm(&grey, cx, cy, 8, 8).to_image();
    image::imageops::resize(&corner, 28, 28, FilterType::Triangle).into_raw()
}

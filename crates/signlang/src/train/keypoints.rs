//! Augmentation of hand landmarks in feature space (layout
//! [`crate::landmarks::FEATURE_LAYOUT`]): each vector's 21 points turned by
//! a small random angle in the photo's plane and, with some probability,
//! mirrored (a hand whose handedness was read wrong). Both keep the
//! distances that follow the points, so only the 63 coordinates change.

use rand::Rng;
use serde::{Deserialize, Serialize};
use tch::{Kind, Tensor};

use crate::landmarks::features::POINTS;

/// How landmarks are augmented while training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeypointAugmentation {
    /// Largest turn in degrees, either way (uniform).
    pub rotate_degrees: f64,
    /// Probability of mirroring a hand (negating every `x`).
    pub mirror: f64,
}

impl KeypointAugmentation {
    /// Turns of up to 15° and mirrors 10% of the hands.
    pub fn mild() -> Self {
        KeypointAugmentation {
            rotate_degrees: 15.0,
            mirror: 0.1,
        }
    }

    /// The batch `x` (`N×85`) augmented with `rng`.
    pub fn apply(&self, x: &Tensor, rng: &mut impl Rng) -> Tensor {
        let n = x.size()[0];
        let (mut cos, mut sin) = (Vec::new(), Vec::new());
        for _ in 0..n {
            let a = rng.random_range(-1.0..=1.0) * self.rotate_degrees.to_radians();
            let flip = if rng.random::<f64>() < self.mirror {
                -1.0
            } else {
                1.0
            };
            cos.push((a.cos() * flip) as f32);
            sin.push(a.sin() as f32);
        }
        let (cos, sin) = (column(&cos, x), column(&sin, x));
        let coords = 3 * POINTS as i64;
        let pts = x.narrow(1, 0, coords).view([n, POINTS as i64, 3]);
        let (px, py, pz) = (pts.select(2, 0), pts.select(2, 1), pts.select(2, 2));
        // Mirror first (x → −x, folded into cos), then turn.
        let (fx, fy) = (&px * &cos.sign(), py);
        let turned_x = &fx * cos.abs() - &fy * &sin;
        let turned_y = fx * sin + fy * cos.abs();
        let turned = Tensor::stack(&[turned_x, turned_y, pz], 2).view([n, coords]);
        Tensor::cat(&[turned, x.narrow(1, coords, x.size()[1] - coords)], 1)
    }
}

/// `values` as an `N×1` float column on `like`'s device.
fn column(values: &[f32], like: &Tensor) -> Tensor {
    Tensor::from_slice(values)
        .to_kind(Kind::Float)
        .view([-1, 1])
        .to_device(like.device())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn a_turn_keeps_lengths_and_distances_and_a_mirror_negates_x() {
        let x = Tensor::rand([4, 85], (Kind::Float, tch::Device::Cpu));
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let turned = KeypointAugmentation {
            rotate_degrees: 30.0,
            mirror: 0.0,
        }
        .apply(&x, &mut rng);
        let norm = |t: &Tensor| {
            let p = t.narrow(1, 0, 63).view([4, 21, 3]).narrow(2, 0, 2);
            p.square()
                .sum_dim_intlist([2i64].as_slice(), false, Kind::Float)
        };
        assert!(norm(&x).allclose(&norm(&turned), 1e-4, 1e-5, false));
        assert!(!x.allclose(&turned, 1e-4, 1e-5, false), "the points moved");
        assert!(x.narrow(1, 63, 22).equal(&turned.narrow(1, 63, 22)));
        let mirrored = KeypointAugmentation {
            rotate_degrees: 0.0,
            mirror: 1.0,
        }
        .apply(&x, &mut rng);
        let xs = |t: &Tensor| t.narrow(1, 0, 63).view([4, 21, 3]).select(2, 0);
        assert!(xs(&mirrored).allclose(&(-xs(&x)), 1e-6, 1e-6, false));
    }
}

//! The classifier's input: a hand's 21 landmarks as a fixed-length vector,
//! layout [`FEATURE_LAYOUT`] (`hand-v1`), the same wherever the landmarks
//! came from (this library, or MediaPipe's own hand landmarker in an app).
//!
//! # Layout `hand-v1` ([`FEATURE_LEN`] = 85 numbers)
//! 1. Take the 21 landmarks in pixels (`x` right, `y` down, `z` towards the
//!    camera in the same units as `x`, as MediaPipe reports them times the
//!    photo's width).
//! 2. Move the origin to the wrist (landmark 0).
//! 3. If MediaPipe's handedness label is `"Left"`, negate every `x` (left
//!    hands become right hands).
//! 4. Divide everything by the hand's size: the distance in `x, y` from the
//!    wrist to the middle finger's knuckle (landmark 9). A hand whose size
//!    is 0 has no features.
//! 5. Numbers 0–62: the 21 points' `x, y, z` in landmark order (the wrist's
//!    three are 0).
//! 6. Numbers 63–84: the 3-D distances between the pairs in [`PAIRS`]: the
//!    fingertips with each other, the thumb's tip to the other fingers'
//!    middle joints, and the fingertips to the wrist.
//!
//! The photo's orientation is kept (no rotation to upright): P, Q and G, H
//! differ mainly in which way the hand points.

use serde::{Deserialize, Serialize};

/// The name and version of the feature layout (see the module docs).
pub const FEATURE_LAYOUT: &str = "hand-v1";
/// Landmarks per hand.
pub const POINTS: usize = 21;
/// Pairs of landmarks whose distances follow the coordinates.
pub const PAIRS: [(usize, usize); 22] = [
    (4, 8),
    (4, 12),
    (4, 16),
    (4, 20),
    (8, 12),
    (8, 16),
    (8, 20),
    (12, 16),
    (12, 20),
    (16, 20),
    (4, 6),
    (4, 7),
    (4, 10),
    (4, 11),
    (4, 14),
    (4, 15),
    (4, 18),
    (4, 19),
    (8, 0),
    (12, 0),
    (16, 0),
    (20, 0),
];
/// Numbers in a feature vector: 63 coordinates and 22 distances.
pub const FEATURE_LEN: usize = POINTS * 3 + PAIRS.len();

/// Which hand MediaPipe says it is, with its score.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Handedness {
    /// MediaPipe's label: `"Left"` or `"Right"` (for a photo as the camera
    /// took it; MediaPipe's legacy and task APIs label the same way).
    pub left: bool,
    /// The label's score in `[0.5, 1]`.
    pub score: f32,
}

impl Handedness {
    /// `"Left"` or `"Right"`.
    pub fn label(&self) -> &'static str {
        if self.left {
            "Left"
        } else {
            "Right"
        }
    }
}

/// The feature vector of a hand (layout `hand-v1`), or `None` when its size
/// (wrist to middle knuckle) is 0.
pub fn features(points: &[[f32; 3]; POINTS], handedness: Handedness) -> Option<Vec<f32>> {
    let sign = if handedness.left { -1.0 } else { 1.0 };
    let wrist = points[0];
    let rel: Vec<[f32; 3]> = points
        .iter()
        .map(|p| [sign * (p[0] - wrist[0]), p[1] - wrist[1], p[2] - wrist[2]])
        .collect();
    let size = rel[9][0].hypot(rel[9][1]);
    if !size.is_finite() || size < 1e-6 {
        return None;
    }
    let scaled: Vec<[f32; 3]> = rel.iter().map(|p| p.map(|v| v / size)).collect();
    let mut out: Vec<f32> = scaled.iter().flatten().copied().collect();
    out.extend(PAIRS.iter().map(|&(a, b)| {
        let d: f32 = (0..3).map(|k| (scaled[a][k] - scaled[b][k]).powi(2)).sum();
        d.sqrt()
    }));
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hand() -> [[f32; 3]; POINTS] {
        std::array::from_fn(|i| [100.0 + 3.0 * i as f32, 200.0 - 5.0 * i as f32, i as f32])
    }

    #[test]
    fn features_are_wrist_centred_scaled_and_mirror_left_hands() {
        let right = Handedness {
            left: false,
            score: 0.9,
        };
        let f = features(&hand(), right).expect("a hand with a size");
        assert_eq!(f.len(), FEATURE_LEN);
        assert_eq!(&f[..3], &[0.0, 0.0, 0.0]);
        let size = (27f32).hypot(45.0);
        assert!((f[9 * 3] - 27.0 / size).abs() < 1e-6);
        assert!((f[9 * 3 + 1] + 45.0 / size).abs() < 1e-6);
        let left = features(
            &hand(),
            Handedness {
                left: true,
                ..right
            },
        )
        .unwrap();
        assert!((left[9 * 3] + f[9 * 3]).abs() < 1e-6, "x mirrored");
        assert_eq!(&left[63..], &f[63..], "distances do not change");
        // Twice the size, moved: the same features.
        let moved = hand().map(|p| [2.0 * p[0] + 7.0, 2.0 * p[1] - 3.0, 2.0 * p[2]]);
        let g = features(&moved, right).unwrap();
        assert!(f.iter().zip(&g).all(|(a, b)| (a - b).abs() < 1e-5));
    }

    #[test]
    fn a_hand_of_no_size_has_no_features() {
        let flat = [[5.0, 5.0, 0.0]; POINTS];
        assert!(features(
            &flat,
            Handedness {
                left: false,
                score: 1.0
            }
        )
        .is_none());
    }
}

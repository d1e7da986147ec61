//! The landmark model on one rotated square of a photo, as MediaPipe's
//! `HandLandmarkCpu` runs it: the square warped to 224×224 (edges
//! replicated, values in `[0, 1]`), then 21 points in the input's pixels
//! projected back onto the photo, the hand's presence score (kept at ≥ 0.5)
//! and its handedness (the model's third output is the score of MediaPipe's
//! first label, "Left": `TensorsToClassificationCalculator` with
//! `binary_classification`).

use image::RgbImage;

use super::error::LandmarkError;
use super::features::{Handedness, POINTS};
use super::files::HAND_ONNX;
use super::roi::{warp, Border, RotatedRect};
use super::runtime::Models;
pub use super::runtime::HAND_INPUT;

/// `TensorsToLandmarksCalculator`'s `normalize_z` for this model: `z` is
/// divided by it (after the input's width), then scaled by the square's width.
const NORMALIZE_Z: f32 = 0.4;
/// A hand is present at this score or above.
pub const MIN_PRESENCE: f32 = 0.5;

/// What the landmark model saw in one square.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HandLook {
    /// The 21 points in the photo's pixels (`z` in the units of `x`).
    pub points: [[f32; 3]; POINTS],
    /// Presence score in `[0, 1]`.
    pub presence: f32,
    /// MediaPipe's handedness.
    pub handedness: Handedness,
    /// The square it looked at.
    pub rect: RotatedRect,
}

impl HandLook {
    /// True when the presence score reaches [`MIN_PRESENCE`].
    pub fn is_hand(&self) -> bool {
        self.presence >= MIN_PRESENCE
    }
}

/// Runs the landmark model on the square `rect` of `photo`.
pub fn look(
    models: &Models,
    photo: &RgbImage,
    rect: &RotatedRect,
) -> Result<HandLook, LandmarkError> {
    let input = warp(photo, rect, HAND_INPUT, Border::Replicate);
    let out = models.hand(input)?;
    let bad = |what: &str| LandmarkError::Inference {
        model: HAND_ONNX.into(),
        reason: format!("unexpected outputs: {what}"),
    };
    if out.len() < 3 || out[0].len() != POINTS * 3 || out[1].len() != 1 || out[2].len() != 1 {
        return Err(bad(
            "want 63 landmarks, a presence score and a handedness score",
        ));
    }
    let scale = 1.0 / HAND_INPUT as f32;
    let points = std::array::from_fn(|i| {
        let raw = &out[0][i * 3..i * 3 + 3];
        let [x, y] = rect.to_image(raw[0] * scale, raw[1] * scale);
        [x, y, raw[2] * scale / NORMALIZE_Z * rect.width]
    });
    let left = out[2][0];
    Ok(HandLook {
        points,
        presence: out[1][0],
        handedness: Handedness {
            left: left >= 0.5,
            score: left.max(1.0 - left),
        },
        rect: *rect,
    })
}

//! Hand landmarks: MediaPipe's palm detector and hand landmark model
//! (Apache-2.0, from the `mediapipe` wheel; [`runtime`]) run from Rust with
//! ONNX Runtime, and the steps MediaPipe takes around them written out:
//! anchors ([`anchors`]), box decoding and suppression ([`palm`]), the
//! rotated square and its warp ([`roi`]), the landmark model's projection
//! ([`hand`]), and the classifier's input vector ([`features`]).
//!
//! [`Landmarker::find`] looks for one hand in a photo. Hand crops are padded
//! first (a tight crop leaves the palm detector too little context), and the
//! attempts of [`FindOptions`] are tried in order until one finds a hand;
//! a photo where none does is reported as such ([`None`]), never guessed.
//!
//! ```no_run
//! # fn main() -> Result<(), signlang::landmarks::LandmarkError> {
//! let finder = signlang::landmarks::Landmarker::load_default()?;
//! match finder.find_file("photo.jpg")? {
//!     Some(found) => println!("{:?}", found.features()),
//!     None => println!("no hand found"),
//! }
//! # Ok(()) }
//! ```

pub mod anchors;
mod error;
pub mod features;
pub mod files;
pub mod hand;
pub mod palm;
pub mod roi;
pub mod runtime;

use std::path::Path;

use image::RgbImage;
use serde::{Deserialize, Serialize};

pub use error::LandmarkError;
pub use features::{features, Handedness, FEATURE_LAYOUT, FEATURE_LEN};
pub use files::default_models_dir;
pub use hand::{look, HandLook};
pub use palm::PalmDetection;
pub use roi::RotatedRect;
pub use runtime::Models;

/// One way to look for a hand.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Attempt {
    /// Pad the photo by `pad` × its longer side on every side (edges
    /// replicated, or black), run the palm detector, then the landmark model
    /// on the best palm's square.
    Palm {
        /// Padding as a share of the longer side.
        pad: f32,
        /// Pad with black instead of replicated edges.
        black: bool,
    },
    /// Take the padded photo itself as the hand's square (a hand crop) and
    /// run the landmark model on it; no palm detector.
    WholeCrop {
        /// Padding as a share of the longer side (edges replicated).
        pad: f32,
    },
}

/// How [`Landmarker::find`] looks for a hand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FindOptions {
    /// The attempts, in order; the first that finds a hand wins.
    pub attempts: Vec<Attempt>,
    /// Look a second time from the square the first look's landmarks give
    /// (as MediaPipe does from one video frame to the next), and keep it
    /// when it still finds the hand.
    pub refine: bool,
}

/// Palm attempts with a 40% replicated, 25% black and 15% replicated
/// border, then the whole crop; each hand looked at a second time.
impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            attempts: vec![
                Attempt::Palm {
                    pad: 0.4,
                    black: false,
                },
                Attempt::Palm {
                    pad: 0.25,
                    black: true,
                },
                Attempt::Palm {
                    pad: 0.15,
                    black: false,
                },
                Attempt::WholeCrop { pad: 0.25 },
            ],
            refine: true,
        }
    }
}

/// A hand found in a photo.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Found {
    /// What the landmark model saw, in the photo's own pixels.
    pub hand: HandLook,
    /// Which of the attempts found it (0-based).
    pub attempt: usize,
    /// The palm detection it came from (in the photo's pixels), if any.
    pub palm: Option<PalmDetection>,
}

impl Found {
    /// The classifier's input vector (layout [`FEATURE_LAYOUT`]), or `None`
    /// for a degenerate hand.
    pub fn features(&self) -> Option<Vec<f32>> {
        features(&self.hand.points, self.hand.handedness)
    }
}

/// The two models and the way to use them.
#[derive(Debug)]
pub struct Landmarker {
    models: Models,
    anchors: Vec<anchors::Anchor>,
    /// How [`Landmarker::find`] looks.
    pub options: FindOptions,
}

/// Reads a PNG or JPEG photo as RGB.
pub fn read_photo(path: &Path) -> Result<RgbImage, LandmarkError> {
    crate::infer::read_image(path)
        .map(|img| img.to_rgb8())
        .map_err(|e| LandmarkError::Photo {
            path: path.to_path_buf(),
            reason: match e {
                crate::infer::InferError::Image { reason, .. } => reason,
                other => other.to_string(),
            },
        })
}

/// `photo` padded by `pad` × its longer side on every side, and the border
/// in pixels.
pub fn pad_photo(photo: &RgbImage, pad: f32, black: bool) -> (RgbImage, u32) {
    let (w, h) = photo.dimensions();
    let p = (pad * w.max(h) as f32).round() as u32;
    let out = RgbImage::from_fn(w + 2 * p, h + 2 * p, |x, y| {
        let (sx, sy) = (x as i64 - p as i64, y as i64 - p as i64);
        let inside = (0..w as i64).contains(&sx) && (0..h as i64).contains(&sy);
        if black && !inside {
            image::Rgb([0, 0, 0])
        } else {
            *photo.get_pixel(
                sx.clamp(0, w as i64 - 1) as u32,
                sy.clamp(0, h as i64 - 1) as u32,
            )
        }
    });
    (out, p)
}

impl Landmarker {
    /// Loads the models from `dir` with the default [`FindOptions`].
    pub fn load(dir: impl AsRef<Path>) -> Result<Landmarker, LandmarkError> {
        Ok(Landmarker {
            models: Models::load(dir)?,
            anchors: anchors::palm_anchors(),
            options: FindOptions::default(),
        })
    }

    /// Loads the models from where setup puts them ([`default_models_dir`]).
    pub fn load_default() -> Result<Landmarker, LandmarkError> {
        Landmarker::load(default_models_dir())
    }

    /// The models.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// The palms in `photo` as it is (letterboxed to the detector's 192×192
    /// input), in the photo's pixels, best first.
    pub fn palms(&self, photo: &RgbImage) -> Result<Vec<PalmDetection>, LandmarkError> {
        let letterbox = RotatedRect::letterbox(photo.width(), photo.height());
        let input = roi::warp(photo, &letterbox, anchors::PALM_INPUT, roi::Border::Zero);
        let (boxes, logits) = self.models.palm(input)?;
        let found = palm::decode(&boxes, &logits, &self.anchors);
        Ok(found.iter().map(|d| d.in_photo(&letterbox)).collect())
    }

    /// Looks for one hand in `photo` (see [`FindOptions`]).
    pub fn find(&self, photo: &RgbImage) -> Result<Option<Found>, LandmarkError> {
        for (i, attempt) in self.options.attempts.iter().enumerate() {
            if let Some(mut found) = self.try_attempt(photo, *attempt)? {
                found.attempt = i;
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Reads the photo at `path` and looks for one hand in it.
    pub fn find_file(&self, path: impl AsRef<Path>) -> Result<Option<Found>, LandmarkError> {
        self.find(&read_photo(path.as_ref())?)
    }

    fn try_attempt(
        &self,
        photo: &RgbImage,
        attempt: Attempt,
    ) -> Result<Option<Found>, LandmarkError> {
        let (pad, black) = match attempt {
            Attempt::Palm { pad, black } => (pad, black),
            Attempt::WholeCrop { pad } => (pad, false),
        };
        let (padded, border) = pad_photo(photo, pad, black);
        let (rect, palm) = match attempt {
            Attempt::Palm { .. } => match self.palms(&padded)?.into_iter().next() {
                Some(p) => (p.hand_rect(), Some(p)),
                None => return Ok(None),
            },
            Attempt::WholeCrop { .. } => (
                RotatedRect::letterbox(padded.width(), padded.height()),
                None,
            ),
        };
        let mut seen = look(&self.models, &padded, &rect)?;
        if !seen.is_hand() {
            return Ok(None);
        }
        if self.options.refine {
            let again = look(
                &self.models,
                &padded,
                &roi::rect_from_landmarks(&seen.points),
            )?;
            if again.is_hand() {
                seen = again;
            }
        }
        let shift = border as f32;
        Ok(Some(Found {
            hand: unpadded(seen, shift),
            attempt: 0,
            palm: palm.map(|p| unpadded_palm(p, shift)),
        }))
    }
}

fn unpadded(mut look: HandLook, shift: f32) -> HandLook {
    for p in look.points.iter_mut() {
        p[0] -= shift;
        p[1] -= shift;
    }
    look.rect.cx -= shift;
    look.rect.cy -= shift;
    look
}

fn unpadded_palm(mut palm: PalmDetection, shift: f32) -> PalmDetection {
    for k in 0..4 {
        palm.bbox[k] -= shift;
    }
    for p in palm.keypoints.iter_mut() {
        p[0] -= shift;
        p[1] -= shift;
    }
    palm
}

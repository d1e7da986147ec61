//! The palm detector's outputs decoded as MediaPipe's
//! `TensorsToDetectionsCalculator` and `NonMaxSuppressionCalculator` do for
//! `palm_detection_full`: per anchor 18 numbers (box centre and size, then 7
//! keypoints, in 192-pixel units relative to the anchor) and a score logit
//! (clipped to ±100, sigmoid, kept at ≥ 0.5), then weighted non-maximum
//! suppression (IoU > 0.3: boxes and keypoints averaged by score).

use super::anchors::{Anchor, PALM_INPUT};
use super::roi::{upright_rotation, RotatedRect};

/// Numbers per anchor in the box output.
pub const COORDS: usize = 18;
/// A palm is kept at this score or above.
pub const MIN_SCORE: f32 = 0.5;
/// Detections overlapping more than this are merged.
const MIN_SUPPRESSION_IOU: f32 = 0.3;
/// Logits are clipped to this magnitude before the sigmoid.
const SCORE_CLIP: f32 = 100.0;

/// One palm, in `[0, 1]` coordinates of the detector's letterboxed input.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PalmDetection {
    /// Score (sigmoid of the logit).
    pub score: f32,
    /// Box: x min, y min, x max, y max.
    pub bbox: [f32; 4],
    /// The 7 keypoints (wrist, index knuckle, middle knuckle, ring knuckle,
    /// little-finger knuckle, thumb base, thumb joint), `[x, y]`.
    pub keypoints: [[f32; 2]; 7],
}

/// The palms the raw outputs show: every anchor whose score reaches
/// [`MIN_SCORE`], merged by weighted non-maximum suppression, best first.
pub fn decode(boxes: &[f32], logits: &[f32], anchors: &[Anchor]) -> Vec<PalmDetection> {
    let scale = 1.0 / PALM_INPUT as f32;
    let mut found: Vec<PalmDetection> = anchors
        .iter()
        .zip(logits)
        .enumerate()
        .filter_map(|(i, (a, &logit))| {
            let score = 1.0 / (1.0 + (-logit.clamp(-SCORE_CLIP, SCORE_CLIP)).exp());
            (score >= MIN_SCORE).then(|| {
                let raw = &boxes[i * COORDS..(i + 1) * COORDS];
                let at = |k: usize| [raw[k] * scale + a.x, raw[k + 1] * scale + a.y];
                let [cx, cy] = at(0);
                let (w, h) = (raw[2] * scale, raw[3] * scale);
                PalmDetection {
                    score,
                    bbox: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
                    keypoints: std::array::from_fn(|k| at(4 + 2 * k)),
                }
            })
        })
        .collect();
    found.sort_by(|a, b| b.score.total_cmp(&a.score));
    weighted_nms(found)
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    let union = area(a) + area(b) - inter;
    if union <= 0.0 {
        0.0
    } else {
        inter / union
    }
}

/// MediaPipe's weighted suppression: the best remaining detection takes
/// every other that overlaps it by more than [`MIN_SUPPRESSION_IOU`], and
/// its box and keypoints become their score-weighted mean (its own score kept).
fn weighted_nms(mut remaining: Vec<PalmDetection>) -> Vec<PalmDetection> {
    let mut kept = Vec::new();
    while let Some(best) = remaining.first().cloned() {
        let (group, rest): (Vec<_>, Vec<_>) = remaining
            .into_iter()
            .partition(|d| iou(&best.bbox, &d.bbox) > MIN_SUPPRESSION_IOU);
        remaining = rest;
        let total: f32 = group.iter().map(|d| d.score).sum();
        let mut merged = PalmDetection {
            score: best.score,
            bbox: [0.0; 4],
            keypoints: [[0.0; 2]; 7],
        };
        for d in &group {
            let w = d.score / total;
            for k in 0..4 {
                merged.bbox[k] += w * d.bbox[k];
            }
            for (m, p) in merged.keypoints.iter_mut().zip(&d.keypoints) {
                m[0] += w * p[0];
                m[1] += w * p[1];
            }
        }
        kept.push(merged);
    }
    kept
}

impl PalmDetection {
    /// This detection in the photo's pixels, given the letterbox it was
    /// found in ([`RotatedRect::letterbox`]).
    pub fn in_photo(&self, letterbox: &RotatedRect) -> PalmDetection {
        let [x0, y0] = letterbox.to_image(self.bbox[0], self.bbox[1]);
        let [x1, y1] = letterbox.to_image(self.bbox[2], self.bbox[3]);
        PalmDetection {
            score: self.score,
            bbox: [x0, y0, x1, y1],
            keypoints: self.keypoints.map(|[x, y]| letterbox.to_image(x, y)),
        }
    }

    /// The square the landmark model reads for this palm (in the photo's
    /// pixels, from [`PalmDetection::in_photo`]): rotated from the wrist
    /// towards the middle finger's knuckle, ×2.6, shifted up by half a box.
    pub fn hand_rect(&self) -> RotatedRect {
        let b = self.bbox;
        RotatedRect {
            cx: (b[0] + b[2]) / 2.0,
            cy: (b[1] + b[3]) / 2.0,
            width: b[2] - b[0],
            height: b[3] - b[1],
            rotation: upright_rotation(self.keypoints[0], self.keypoints[2]),
        }
        .transformed(2.6, -0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landmarks::anchors::palm_anchors;

    #[test]
    fn one_confident_anchor_decodes_to_its_box_and_overlaps_merge() {
        let anchors = palm_anchors();
        let mut boxes = vec![0f32; anchors.len() * COORDS];
        let mut logits = vec![-10f32; anchors.len()];
        // Anchors 0 and 1 share a cell: a 19.2-pixel box, offset slightly.
        for (i, dx) in [(0, 0.0), (1, 1.92)] {
            boxes[i * COORDS] = dx;
            boxes[i * COORDS + 2] = 19.2;
            boxes[i * COORDS + 3] = 19.2;
        }
        logits[0] = 2.0;
        logits[1] = 0.0; // score 0.5: kept, then merged
        let found = decode(&boxes, &logits, &anchors);
        assert_eq!(found.len(), 1);
        let d = &found[0];
        assert!((d.score - 1.0 / (1.0 + (-2f32).exp())).abs() < 1e-6);
        let w0 = d.score / (d.score + 0.5);
        let cx = anchors[0].x + (1.0 - w0) * 0.01;
        assert!(((d.bbox[0] + d.bbox[2]) / 2.0 - cx).abs() < 1e-5);
        assert!((d.bbox[2] - d.bbox[0] - 0.1).abs() < 1e-5);
    }
}

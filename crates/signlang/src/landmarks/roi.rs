//! The rotated squares MediaPipe cuts hands out with: from a palm detection
//! (`PalmDetectionDetectionToRoi`: rotation from the wrist to the middle
//! finger's knuckle, the box enlarged ×2.6, shifted up by half a box and made
//! square), from 21 landmarks (`HandLandmarkLandmarksToRoi`: ×2.0, shifted up
//! by a tenth), the warp of such a square into a model's input, and the
//! projection of points found there back onto the photo.
//!
//! Everything here is in the photo's pixels (x right, y down); a rotation is
//! in radians, clockwise on screen, as MediaPipe's `NormalizedRect`.

use std::f32::consts::{FRAC_PI_2, PI};

use image::RgbImage;

/// A rotated rectangle in pixels: its centre, size and rotation.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RotatedRect {
    /// Centre, x.
    pub cx: f32,
    /// Centre, y.
    pub cy: f32,
    /// Width (along the rotated x axis).
    pub width: f32,
    /// Height (along the rotated y axis).
    pub height: f32,
    /// Rotation in radians (clockwise on screen).
    pub rotation: f32,
}

/// How a warp fills what lies outside the photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// Zeros (the palm detector's letterbox).
    Zero,
    /// The nearest edge pixel (the landmark model's crop).
    Replicate,
}

/// `angle` wrapped into `[-π, π)`.
pub fn normalize_radians(angle: f32) -> f32 {
    angle - 2.0 * PI * ((angle + PI) / (2.0 * PI)).floor()
}

/// The rotation that turns the vector `from → to` upright (MediaPipe's
/// target angle of 90°).
pub fn upright_rotation(from: [f32; 2], to: [f32; 2]) -> f32 {
    normalize_radians(FRAC_PI_2 - (-(to[1] - from[1])).atan2(to[0] - from[0]))
}

impl RotatedRect {
    /// The whole photo as a square of its longer side, centred (the palm
    /// detector's letterbox).
    pub fn letterbox(width: u32, height: u32) -> RotatedRect {
        let side = width.max(height) as f32;
        RotatedRect {
            cx: width as f32 / 2.0,
            cy: height as f32 / 2.0,
            width: side,
            height: side,
            rotation: 0.0,
        }
    }

    /// MediaPipe's `RectTransformationCalculator` with `square_long`: shift
    /// by `shift_y` of the height along the rotated y axis, make square on
    /// the longer side, then scale both sides by `scale`.
    pub fn transformed(self, scale: f32, shift_y: f32) -> RotatedRect {
        let (sin, cos) = self.rotation.sin_cos();
        let long = self.width.max(self.height);
        RotatedRect {
            cx: self.cx - self.height * shift_y * sin,
            cy: self.cy + self.height * shift_y * cos,
            width: long * scale,
            height: long * scale,
            rotation: self.rotation,
        }
    }

    /// The photo pixel at `(s, t)` of this rectangle, where `(0, 0)` is its
    /// top-left corner and `(1, 1)` its bottom-right one.
    pub fn to_image(&self, s: f32, t: f32) -> [f32; 2] {
        let (dx, dy) = ((s - 0.5) * self.width, (t - 0.5) * self.height);
        let (sin, cos) = self.rotation.sin_cos();
        [self.cx + dx * cos - dy * sin, self.cy + dx * sin + dy * cos]
    }

    /// The rectangle in coordinates relative to the photo's size (as
    /// MediaPipe's `NormalizedRect`: centre and size in `[0, 1]`).
    pub fn normalized(&self, width: u32, height: u32) -> [f32; 5] {
        let (w, h) = (width as f32, height as f32);
        [
            self.cx / w,
            self.cy / h,
            self.width / w,
            self.height / h,
            self.rotation,
        ]
    }
}

/// Warps the part of `photo` under `rect` into a `side`×`side` RGB tensor
/// (height, width, channel; values in `[0, 1]`), bilinear, filling outside
/// the photo as `border` says. As MediaPipe's OpenCV converter does it: the
/// rectangle's corners go to the output's corners `0` and `side`, with
/// pixel centres at whole coordinates on both sides.
pub fn warp(photo: &RgbImage, rect: &RotatedRect, side: usize, border: Border) -> Vec<f32> {
    let mut out = vec![0f32; side * side * 3];
    let scale = 1.0 / side as f32;
    for v in 0..side {
        for u in 0..side {
            let [x, y] = rect.to_image(u as f32 * scale, v as f32 * scale);
            let at = (v * side + u) * 3;
            sample(photo, x, y, border, &mut out[at..at + 3]);
        }
    }
    out
}

/// Bilinear sample of `photo` at pixel-index coordinates `(x, y)` into
/// `rgb` (values in `[0, 1]`).
fn sample(photo: &RgbImage, x: f32, y: f32, border: Border, rgb: &mut [f32]) {
    let (w, h) = (photo.width() as i64, photo.height() as i64);
    if border == Border::Zero && (x < -1.0 || y < -1.0 || x > w as f32 || y > h as f32) {
        return;
    }
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let (x0, y0) = (x0 as i64, y0 as i64);
    for (dy, wy) in [(0, 1.0 - fy), (1, fy)] {
        for (dx, wx) in [(0, 1.0 - fx), (1, fx)] {
            let (px, py) = (x0 + dx, y0 + dy);
            let inside = (0..w).contains(&px) && (0..h).contains(&py);
            if !inside && border == Border::Zero {
                continue;
            }
            let p = photo.get_pixel(px.clamp(0, w - 1) as u32, py.clamp(0, h - 1) as u32);
            for c in 0..3 {
                rgb[c] += wx * wy * f32::from(p[c]) / 255.0;
            }
        }
    }
}

/// Indices of the landmarks `HandLandmarkLandmarksToRoi` bounds the hand with
/// (the wrist, the thumb's base joints and every finger's two lowest joints).
const ROI_POINTS: [usize; 12] = [0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18];

/// The square MediaPipe cuts the next look at a hand from, given its 21
/// landmarks in pixels: rotation from the wrist towards the middle of the
/// index, middle and ring knuckles, the bounding box of [`ROI_POINTS`] in
/// that rotated frame, then ×2.0 and shifted up by 0.1.
pub fn rect_from_landmarks(points: &[[f32; 3]; 21]) -> RotatedRect {
    let p = |i: usize| [points[i][0], points[i][1]];
    let knuckles = [
        ((p(5)[0] + p(13)[0]) / 2.0 + p(9)[0]) / 2.0,
        ((p(5)[1] + p(13)[1]) / 2.0 + p(9)[1]) / 2.0,
    ];
    let rotation = upright_rotation(p(0), knuckles);
    let bounds = |xs: &mut dyn Iterator<Item = [f32; 2]>| {
        xs.fold([f32::MAX, f32::MAX, f32::MIN, f32::MIN], |b, [x, y]| {
            [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)]
        })
    };
    let aligned = bounds(&mut ROI_POINTS.iter().map(|&i| p(i)));
    let centre = [
        (aligned[0] + aligned[2]) / 2.0,
        (aligned[1] + aligned[3]) / 2.0,
    ];
    let (sin, cos) = (-rotation).sin_cos();
    let turned = bounds(&mut ROI_POINTS.iter().map(|&i| {
        let (x, y) = (p(i)[0] - centre[0], p(i)[1] - centre[1]);
        [x * cos - y * sin, x * sin + y * cos]
    }));
    let mid = [(turned[0] + turned[2]) / 2.0, (turned[1] + turned[3]) / 2.0];
    let (sin, cos) = rotation.sin_cos();
    RotatedRect {
        cx: mid[0] * cos - mid[1] * sin + centre[0],
        cy: mid[0] * sin + mid[1] * cos + centre[1],
        width: turned[2] - turned[0],
        height: turned[3] - turned[1],
        rotation,
    }
    .transformed(2.0, -0.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_wrap_and_point_upright() {
        assert!((normalize_radians(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-6);
        // A hand pointing straight up (y decreases) needs no rotation.
        assert!(upright_rotation([10.0, 20.0], [10.0, 5.0]).abs() < 1e-6);
        // Pointing right: rotated a quarter turn clockwise.
        assert!((upright_rotation([0.0, 0.0], [5.0, 0.0]) - FRAC_PI_2).abs() < 1e-6);
    }

    #[test]
    fn a_transform_squares_scales_and_shifts_along_the_rotation() {
        let r = RotatedRect {
            cx: 50.0,
            cy: 50.0,
            width: 10.0,
            height: 20.0,
            rotation: 0.0,
        };
        let t = r.transformed(2.6, -0.5);
        assert_eq!((t.width, t.height), (52.0, 52.0));
        assert_eq!((t.cx, t.cy), (50.0, 40.0));
        let turned = RotatedRect {
            rotation: FRAC_PI_2,
            ..r
        }
        .transformed(1.0, -0.5);
        assert!((turned.cx - 60.0).abs() < 1e-4 && (turned.cy - 50.0).abs() < 1e-4);
    }

    #[test]
    fn a_warp_of_the_letterbox_keeps_the_photo_and_pads_with_zeros() {
        let photo = RgbImage::from_pixel(20, 10, image::Rgb([255, 0, 0]));
        let out = warp(&photo, &RotatedRect::letterbox(20, 10), 20, Border::Zero);
        let at = |u: usize, v: usize| &out[(v * 20 + u) * 3..(v * 20 + u) * 3 + 3];
        assert_eq!(at(10, 10), &[1.0, 0.0, 0.0]);
        assert_eq!(at(10, 1), &[0.0, 0.0, 0.0]);
        let replicated = warp(
            &photo,
            &RotatedRect::letterbox(20, 10),
            20,
            Border::Replicate,
        );
        assert_eq!(
            &replicated[(20 + 10) * 3..(20 + 10) * 3 + 3],
            &[1.0, 0.0, 0.0]
        );
        // The first output pixel samples the rectangle's corner (0, 5 − 10).
        let inside = warp(&photo, &RotatedRect::letterbox(20, 20), 20, Border::Zero);
        assert_eq!(&inside[..3], &[1.0, 0.0, 0.0]);
    }

    #[test]
    fn landmarks_of_an_upright_hand_give_an_upright_square_around_them() {
        let mut points = [[0f32; 3]; 21];
        for (i, p) in points.iter_mut().enumerate() {
            *p = [
                100.0 + (i % 5) as f32 * 10.0,
                200.0 - (i / 5) as f32 * 20.0,
                0.0,
            ];
        }
        points[0] = [120.0, 200.0, 0.0];
        points[5] = [110.0, 120.0, 0.0];
        points[9] = [120.0, 120.0, 0.0];
        points[13] = [130.0, 120.0, 0.0];
        let r = rect_from_landmarks(&points);
        assert!(r.rotation.abs() < 1e-5);
        assert!((r.width - r.height).abs() < 1e-4 && r.width > 100.0);
    }
}

//! The Rust re-implementation of MediaPipe Hands against the Python
//! package's own output, step by step (tests/fixtures/mediapipe_hands.json,
//! recorded once by scripts/record_mediapipe_fixture.py): the two converted
//! models on a synthetic input, then on padded real crops the palm
//! detections, the hand's square, the presence score, the handedness and the
//! 21 landmarks. Needs the models from `make setup` and the shared crops in
//! `../shared/field` (both are there in CI); a missing one fails the test.

use std::path::PathBuf;

use serde_json::Value;
use signlang::landmarks::{look, pad_photo, Landmarker};

fn fixture() -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mediapipe_hands.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("the fixture")).expect("JSON")
}

fn landmarker() -> Landmarker {
    Landmarker::load_default().unwrap_or_else(|e| panic!("{e}"))
}

fn shared_field() -> PathBuf {
    let dir = signlang::data::project_root().join("../shared/field");
    assert!(
        dir.is_dir(),
        "{}: the shared photos must sit beside the project",
        dir.display()
    );
    dir
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

thread_local! {
    static MISMATCHES: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Notes a difference beyond `tol`; the test lists them all before failing.
fn close(a: f32, b: f32, tol: f32, what: &str) {
    if (a - b).abs() > tol || a.is_nan() {
        let line = format!("{what}: {a} against MediaPipe's {b} (tolerance {tol})");
        MISMATCHES.with(|m| m.borrow_mut().push(line));
    }
}

fn assert_no_mismatch() {
    let found = MISMATCHES.with(|m| m.borrow().clone());
    assert!(
        found.is_empty(),
        "{} differences:\n{}",
        found.len(),
        found.join("\n")
    );
}

/// The fixture's synthetic input: `((x*3 + y*7 + c*11) % 256) / 255`.
fn synthetic(side: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(side * side * 3);
    for y in 0..side {
        for x in 0..side {
            for c in 0..3 {
                out.push(((x * 3 + y * 7 + c * 11) % 256) as f32 / 255.0);
            }
        }
    }
    out
}

#[test]
fn the_converted_models_give_the_reference_interpreters_outputs() {
    let (f, finder) = (fixture(), landmarker());
    let palm = &f["model_level"]["palm_detection_full"]["outputs"];
    let (boxes, logits) = finder.models().palm(synthetic(192)).unwrap();
    for (got, name) in [(&boxes, "Identity"), (&logits, "Identity_1")] {
        let want = floats(&palm[name]["first12"]);
        for (g, w) in got.iter().zip(&want) {
            close(*g, *w, 2e-3 * (1.0 + w.abs()), name);
        }
        let sum: f32 = got.iter().sum();
        let want_sum = palm[name]["sum"].as_f64().unwrap() as f32;
        close(sum, want_sum, 1e-3 * want_sum.abs().max(100.0), name);
    }
    let hand = &f["model_level"]["hand_landmark_full"]["outputs"];
    let out = finder.models().hand(synthetic(224)).unwrap();
    for (got, name) in out
        .iter()
        .zip(["Identity", "Identity_1", "Identity_2", "Identity_3"])
    {
        for (g, w) in got.iter().zip(floats(&hand[name]["first12"])) {
            close(*g, w, 1e-3 * (1.0 + w.abs()), name);
        }
    }
    assert_no_mismatch();
}

#[test]
fn each_step_on_padded_crops_matches_mediapipe() {
    let (f, finder, dir) = (fixture(), landmarker(), shared_field());
    let crops = f["pipeline"]["crops"].as_array().expect("crops");
    assert!(crops.len() >= 8);
    let mut hands = 0;
    for crop in crops {
        let file = dir
            .join(crop["folder"].as_str().unwrap())
            .join(crop["file"].as_str().unwrap());
        let name = crop["file"].as_str().unwrap();
        let photo = signlang::infer::read_image(&file).unwrap().to_rgb8();
        let (padded, border) = pad_photo(&photo, 0.25, false);
        assert_eq!(
            border as u64,
            crop["pad"].as_u64().unwrap(),
            "{name}: padding"
        );
        let (w, h) = padded.dimensions();
        assert_eq!(
            (w as u64, h as u64),
            (
                crop["padded_width"].as_u64().unwrap(),
                crop["padded_height"].as_u64().unwrap()
            )
        );
        check_mean(&padded, &floats(&crop["padded_mean_rgb"]), name);
        let palms = finder.palms(&padded).unwrap();
        let want = crop["palm_detections"].as_array().unwrap();
        assert_eq!(palms.is_empty(), want.is_empty(), "{name}: palms found");
        let (Some(palm), Some(want)) = (palms.first(), want.first()) else {
            continue;
        };
        check_palm(palm, want, w, h, name);
        let rect = palm.hand_rect();
        let want_rect = &crop["hand_rects_from_palm"][0];
        let n = rect.normalized(w, h);
        for (k, key) in ["x_center", "y_center", "width", "height", "rotation"]
            .iter()
            .enumerate()
        {
            close(
                n[k],
                want_rect[key].as_f64().unwrap() as f32,
                0.02,
                &format!("{name}: rect {key}"),
            );
        }
        let seen = look(finder.models(), &padded, &rect).unwrap();
        close(
            seen.presence,
            crop["hand_presence"].as_f64().unwrap() as f32,
            0.05,
            &format!("{name}: presence"),
        );
        if crop["hand"].is_null() {
            assert!(!seen.is_hand(), "{name}: MediaPipe found no hand here");
            continue;
        }
        hands += 1;
        check_hand(&seen, &crop["hand"], w, h, name);
    }
    assert_no_mismatch();
    assert!(hands >= 5, "most fixture crops hold a hand: {hands}");
}

fn check_mean(photo: &image::RgbImage, want: &[f32], name: &str) {
    let mut sum = [0f64; 3];
    for p in photo.pixels() {
        for c in 0..3 {
            sum[c] += f64::from(p[c]);
        }
    }
    let n = (photo.width() * photo.height()) as f64;
    for c in 0..3 {
        close(
            (sum[c] / n) as f32,
            want[c],
            1.0,
            &format!("{name}: decoded mean, channel {c}"),
        );
    }
}

fn check_palm(palm: &signlang::landmarks::PalmDetection, want: &Value, w: u32, h: u32, name: &str) {
    let (w, h) = (w as f32, h as f32);
    close(
        palm.score,
        want["score"].as_f64().unwrap() as f32,
        0.03,
        &format!("{name}: palm score"),
    );
    let b = floats(&want["box"]);
    let got = [
        palm.bbox[0] / w,
        palm.bbox[1] / h,
        (palm.bbox[2] - palm.bbox[0]) / w,
        (palm.bbox[3] - palm.bbox[1]) / h,
    ];
    for k in 0..4 {
        close(got[k], b[k], 0.015, &format!("{name}: palm box {k}"));
    }
    for (i, kp) in want["keypoints"].as_array().unwrap().iter().enumerate() {
        let kp = floats(kp);
        close(
            palm.keypoints[i][0] / w,
            kp[0],
            0.015,
            &format!("{name}: palm keypoint {i} x"),
        );
        close(
            palm.keypoints[i][1] / h,
            kp[1],
            0.015,
            &format!("{name}: palm keypoint {i} y"),
        );
    }
}

fn check_hand(seen: &signlang::landmarks::HandLook, want: &Value, w: u32, h: u32, name: &str) {
    let label = want["handedness"]["label"].as_str().unwrap();
    if seen.handedness.label() != label {
        let line = format!(
            "{name}: handedness {} against MediaPipe's {label}",
            seen.handedness.label()
        );
        MISMATCHES.with(|m| m.borrow_mut().push(line));
    }
    close(
        seen.handedness.score,
        want["handedness"]["score"].as_f64().unwrap() as f32,
        0.05,
        name,
    );
    for (i, lm) in want["landmarks"].as_array().unwrap().iter().enumerate() {
        let lm = floats(lm);
        let p = seen.points[i];
        close(
            p[0] / w as f32,
            lm[0],
            0.02,
            &format!("{name}: landmark {i} x"),
        );
        close(
            p[1] / h as f32,
            lm[1],
            0.02,
            &format!("{name}: landmark {i} y"),
        );
        close(
            p[2] / w as f32,
            lm[2],
            0.03,
            &format!("{name}: landmark {i} z"),
        );
    }
}

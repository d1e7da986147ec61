//! Calibration: ECE on constructed cases with known answers, temperature
//! scaling recovering a known temperature, threshold choice, the
//! calibration.json round trip and the Classifier applying it.

use rand::{Rng, SeedableRng};
use signlang::calibrate::{
    apply_temperature, at_threshold, choose_threshold, coverage_curve, expected_calibration_error,
    fit_temperature, reliability_bins, softmax, CalibrateError, Calibration, Probs, ECE_BINS,
};
use signlang::export::export_model;
use signlang::infer::Classifier;
use signlang::model::{DenseSpec, ModelSpec};
use signlang::NUM_CLASSES;
use tch::{nn, Device, Kind, Tensor};

/// Probabilities with `top` on class `class` and the rest spread evenly.
fn peaked(class: u8, top: f32) -> Probs {
    let mut p = [(1.0 - top) / (NUM_CLASSES as f32 - 1.0); NUM_CLASSES];
    p[class as usize] = top;
    p
}

/// Images with these confidences; `correct` says whether class 0 is true.
fn set(items: &[(f32, bool)]) -> (Vec<Probs>, Vec<u8>) {
    let probs = items.iter().map(|&(c, _)| peaked(0, c)).collect();
    let truth = items
        .iter()
        .map(|&(_, ok)| if ok { 0 } else { 1 })
        .collect();
    (probs, truth)
}

#[test]
fn ece_matches_a_hand_computed_case() {
    // 10 images at 0.8 with 6 right (gap 0.2), 10 at 0.5 with 5 right
    // (gap 0): ECE = 10/20 · 0.2 = 0.1.
    let mut items = vec![(0.8, true); 6];
    items.extend(vec![(0.8, false); 4]);
    items.extend(vec![(0.5, true); 5]);
    items.extend(vec![(0.5, false); 5]);
    let (probs, truth) = set(&items);
    let ece = expected_calibration_error(&probs, &truth).unwrap();
    assert!((ece - 0.1).abs() < 1e-6, "{ece}");

    let bins = reliability_bins(&probs, &truth, ECE_BINS).unwrap();
    assert_eq!(bins.len(), 15);
    assert_eq!(bins.iter().map(|b| b.n).sum::<usize>(), 20);
    let full: Vec<_> = bins.iter().filter(|b| b.n > 0).collect();
    assert_eq!(full.len(), 2);
    assert!((full[0].accuracy - 0.5).abs() < 1e-12 && (full[1].accuracy - 0.6).abs() < 1e-12);

    // Perfectly calibrated: 0.75 confidence, 3 of 4 right.
    let (probs, truth) = set(&[(0.75, true), (0.75, true), (0.75, true), (0.75, false)]);
    assert!(expected_calibration_error(&probs, &truth).unwrap() < 1e-6);
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let (probs, _) = set(&[(0.9, true)]);
    assert!(matches!(
        expected_calibration_error(&probs, &[0, 1]),
        Err(CalibrateError::LengthMismatch { probs: 1, truth: 2 })
    ));
    assert!(matches!(
        fit_temperature(&[], &[]),
        Err(CalibrateError::Empty)
    ));
    assert!(matches!(
        at_threshold(&probs, &[24], 0.5),
        Err(CalibrateError::BadClass { row: 0, class: 24 })
    ));
    assert!(matches!(
        choose_threshold(&probs, &[0], 1.5),
        Err(CalibrateError::BadTarget(_))
    ));
}

/// `n` images whose labels are drawn from `softmax(z)` but whose reported
/// probabilities are `softmax(z · t_true)` (over-confident for `t_true > 1`):
/// the best temperature is `t_true`.
fn overconfident(n: usize, t_true: f64, seed: u64) -> (Vec<Probs>, Vec<u8>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut probs = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for _ in 0..n {
        let z: Vec<f64> = (0..NUM_CLASSES)
            .map(|_| 8.0 * rng.random::<f64>() - 4.0)
            .collect();
        let p_true = softmax(&z);
        let u: f32 = rng.random();
        let mut acc = 0.0;
        let label = p_true
            .iter()
            .position(|&p| {
                acc += p;
                u < acc
            })
            .unwrap_or(NUM_CLASSES - 1);
        truth.push(label as u8);
        let scaled: Vec<f64> = z.iter().map(|v| v * t_true).collect();
        probs.push(softmax(&scaled));
    }
    (probs, truth)
}

#[test]
fn temperature_fit_recovers_a_known_temperature() {
    for t_true in [2.5, 0.6] {
        let (probs, truth) = overconfident(20_000, t_true, 7);
        let t = fit_temperature(&probs, &truth).unwrap();
        assert!((t / t_true - 1.0).abs() < 0.05, "fitted {t}, true {t_true}");
        // Deterministic.
        assert_eq!(t, fit_temperature(&probs, &truth).unwrap());
        // Calibrating lowers the ECE.
        let scaled: Vec<Probs> = probs.iter().map(|p| apply_temperature(p, t)).collect();
        let (before, after) = (
            expected_calibration_error(&probs, &truth).unwrap(),
            expected_calibration_error(&scaled, &truth).unwrap(),
        );
        assert!(after < before / 2.0, "ECE {before} → {after}");
    }
}

#[test]
fn no_errors_leave_nothing_to_fit_and_the_temperature_at_one() {
    let (probs, truth) = set(&[(0.9, true), (0.6, true), (0.99, true)]);
    assert_eq!(fit_temperature(&probs, &truth).unwrap(), 1.0);
    // One error is enough to fit.
    let (probs, truth) = set(&[(0.9, true), (0.6, false), (0.99, true)]);
    assert_ne!(fit_temperature(&probs, &truth).unwrap(), 1.0);
}

#[test]
fn threshold_is_the_lowest_reaching_the_target() {
    let (probs, truth) = set(&[
        (0.99, true),
        (0.95, true),
        (0.9, true),
        (0.8, false),
        (0.7, true),
        (0.6, false),
    ]);
    // Accuracy above each threshold: 1, 1, 1, 3/4, 4/5, 4/6.
    let th = |target| choose_threshold(&probs, &truth, target).unwrap();
    assert_eq!(th(0.99), f64::from(0.9f32));
    assert_eq!(th(0.75), f64::from(0.7f32));
    assert_eq!(th(0.5), f64::from(0.6f32));

    let op = at_threshold(&probs, &truth, th(0.75)).unwrap();
    assert_eq!(
        (op.n, op.accepted, op.correct, op.correct_all),
        (6, 5, 4, 4)
    );
    assert!((op.coverage - 5.0 / 6.0).abs() < 1e-12 && (op.accuracy - 0.8).abs() < 1e-12);

    let curve = coverage_curve(&probs, &truth).unwrap();
    assert_eq!(curve.len(), 6);
    assert_eq!(curve.last().unwrap().accepted, 6);

    // Unreachable (the most confident image is wrong): nothing accepted.
    let (probs, truth) = set(&[(0.9, false), (0.8, true)]);
    let t = choose_threshold(&probs, &truth, 0.99).unwrap();
    assert!(t > f64::from(0.9f32));
    assert_eq!(at_threshold(&probs, &truth, t).unwrap().accepted, 0);
}

#[test]
fn calibration_json_round_trips_and_the_classifier_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    tch::manual_seed(5);
    let vs = nn::VarStore::new(Device::Cpu);
    let net = nn::seq_t()
        .add_fn(|x| x.flatten(1, -1))
        .add(nn::linear(vs.root() / "fc", 784, 24, Default::default()))
        .add_fn(|x| x * 20.0);
    export_model(
        dir.path(),
        &ModelSpec::Dense(DenseSpec::default()),
        &vs,
        &net,
    )
    .unwrap();

    assert!(Calibration::load(dir.path()).unwrap().is_none());
    let x = Tensor::rand([5, 1, 28, 28], (Kind::Float, Device::Cpu));
    let raw = Classifier::load(dir.path()).unwrap();
    assert!(raw.calibration().is_none());
    let p_raw: Vec<f32> = Vec::try_from(&raw.probabilities(&x).unwrap().view([-1])).unwrap();

    let (probs, truth) = overconfident(2_000, 2.0, 3);
    let cal = Calibration::fit(&probs, &truth, 0.99).unwrap();
    assert!(cal.ece_after < cal.ece_before);
    let path = cal.save(dir.path()).unwrap();
    assert!(path.ends_with("calibration.json"));
    assert_eq!(Calibration::load(dir.path()).unwrap().unwrap(), cal);

    let calibrated = Classifier::load(dir.path()).unwrap();
    assert_eq!(calibrated.calibration(), Some(&cal));
    let p_cal: Vec<f32> = Vec::try_from(&calibrated.probabilities(&x).unwrap().view([-1])).unwrap();
    for (r, c) in p_raw.chunks(NUM_CLASSES).zip(p_cal.chunks(NUM_CLASSES)) {
        let want = apply_temperature(&r.try_into().unwrap(), cal.temperature);
        for (w, g) in want.iter().zip(c) {
            assert!((w - g).abs() < 1e-4, "{w} vs {g}");
        }
    }

    let table = cal.report(&[("validation", &probs, &truth)]).unwrap();
    assert_eq!(table.rows.len(), 1);
    // The same numbers travel in model.onnx's metadata.
    let meta = cal.onnx_metadata();
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(get("temperature"), Some(cal.temperature.to_string()));
    assert_eq!(get("abstain_threshold"), Some(cal.threshold.to_string()));
    assert!(meta.iter().all(|(k, _)| !k.is_empty() && !k.contains('=')));

    // A broken file is an error naming it, for load and for the Classifier.
    std::fs::write(&path, "{ not json").unwrap();
    let err = Calibration::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("calibration.json"), "{err}");
    let err = Classifier::load(dir.path()).unwrap_err().to_string();
    assert!(err.contains("calibration.json"), "{err}");
}

#[test]
fn plots_draw_every_set() {
    let (probs, truth) = overconfident(500, 2.0, 1);
    let scaled: Vec<Probs> = probs.iter().map(|p| apply_temperature(p, 2.0)).collect();
    let svg = signlang::plots::reliability_diagram(&[
        ("raw", &probs, &truth),
        ("calibrated", &scaled, &truth),
    ]);
    assert!(svg.svg.contains("raw (n = 500, ECE") && svg.svg.contains("calibrated (n = 500"));
    let svg = signlang::plots::coverage_accuracy(&[("validation", &probs, &truth)], Some(0.5));
    assert!(
        svg.svg.contains("validation (n = 500)"),
        "{}",
        &svg.svg[..200]
    );
    assert!(!svg.svg.contains("cannot draw"));
}

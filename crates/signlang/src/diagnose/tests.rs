//! Tests of the diagnosis and the unsure rule on generated data.

use super::unsure_fit::SetData;
use super::variants::{autocontrast, equalise, match_stats};
use super::*;
use crate::calibrate::{pixel_stats, Calibration, InputGate, ScoreKind, UnsureRule};
use crate::data::{Dataset, PIXELS};

fn smooth(i: usize) -> Vec<u8> {
    (0..PIXELS)
        .map(|p| {
            let (x, y) = ((p % 28) as f64, (p / 28) as f64);
            let v = 120.0 + 70.0 * (x / 5.0 + i as f64).sin() * (y / 7.0 + 0.3 * i as f64).cos();
            v.round() as u8
        })
        .collect()
}

fn logits(class: usize, height: f32, wobble: usize) -> Vec<f32> {
    (0..24)
        .map(|c| {
            if c == class {
                height
            } else {
                (c + wobble) as f32 % 3.0 * 0.1
            }
        })
        .collect()
}

fn empty() -> Dataset {
    Dataset {
        name: "none".into(),
        pixels: Vec::new(),
        classes: Vec::new(),
        rows: Vec::new(),
    }
}

fn base() -> Calibration {
    crate::testing::calibration(0.5)
}

fn hands(n: usize, offset: usize) -> SetData {
    let mut set = SetData::default();
    for i in 0..n {
        let class = i % 24;
        set.pixels.extend(smooth(i + offset));
        set.truth.push(class as u8);
        set.outputs
            .logits
            .push(logits(class, 6.0 + (i % 7) as f32, i));
        set.outputs
            .features
            .push((0..8).map(|k| ((k + class) % 8) as f32 + 0.1).collect());
    }
    set
}

/// Noise read as "P" (class 14) with high confidence, as the real model does.
fn probe_set(probes: &Probes) -> SetData {
    let n = probes.data.len();
    SetData {
        outputs: Outputs {
            logits: (0..n).map(|i| logits(14, 12.0, i)).collect(),
            features: (0..n).map(|_| vec![1.0; 8]).collect(),
        },
        pixels: probes.data.pixels.clone(),
        truth: vec![0; n],
    }
}

#[test]
fn confidently_read_noise_is_rejected_by_the_chosen_rule() {
    let probes = Probes::generate(40, 3, &empty());
    let inputs = UnsureInputs {
        validation: hands(480, 0),
        corrupted: hands(96, 1000),
        probes: probe_set(&probes),
        probe_set: probes,
        field: Some(hands(48, 5000)),
    };
    let study = UnsureStudy::fit(&inputs, &base());
    let chosen = study.chosen();
    assert!(chosen.meets_goals(), "{}", study.table().to_text());
    let rule = chosen.rule.clone().expect("an exportable rule");
    assert!(
        rule.gate.is_some(),
        "logits alone cannot reject confident noise"
    );
    // A fresh noise image, read as P with logit 12, is unsure.
    let fresh = Probes::generate(1, 99, &empty());
    for kind in [
        ProbeKind::WhiteNoise,
        ProbeKind::BlockyNoise,
        ProbeKind::Blank,
    ] {
        let i = fresh.of_kind(kind)[0];
        let (unsure, _) = rule.decide(fresh.data.image(i), &logits(14, 12.0, 0), 1.0);
        assert!(unsure, "{kind:?} read confidently as P must be unsure");
    }
    // A validation-like image read at logit 9 is answered.
    assert!(!rule.decide(&smooth(3), &logits(3, 9.0, 0), 1.0).0);
    // Logit-only candidates cannot separate: their noise rejection is 0%.
    let max_logit = &study.candidates[3];
    assert!(max_logit.name.starts_with("max logit") && max_logit.probes_unsure < 0.01);
    assert!(study.table().to_text().contains("(chosen)"));
    assert_eq!(study.calibration.unsure, Some(rule));
}

#[test]
fn the_rule_round_trips_through_calibration_json_and_old_files_still_load() {
    let dir = tempfile::tempdir().unwrap();
    let mut cal = base();
    cal.save(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join("calibration.json")).unwrap();
    assert!(
        !text.contains("unsure"),
        "old files stay as they were: {text}"
    );
    assert_eq!(Calibration::load(dir.path()).unwrap(), Some(cal.clone()));
    cal.unsure = Some(UnsureRule {
        score: ScoreKind::NegativeEnergy,
        threshold: 4.25,
        gate: Some(InputGate {
            std_min: 0.02,
            gradient_max: 0.15,
            flat_max: Some(0.4),
        }),
        fitted_on: "validation".into(),
    });
    cal.save(dir.path()).unwrap();
    assert_eq!(Calibration::load(dir.path()).unwrap(), Some(cal.clone()));
    let keys: Vec<String> = cal.onnx_metadata().into_iter().map(|(k, _)| k).collect();
    assert!(
        keys.contains(&"unsure_score".to_string())
            && keys.contains(&"unsure_gradient_max".to_string())
            && keys.contains(&"unsure_flat_max".to_string())
    );
    // Without a rule, decide falls back to the calibrated top probability.
    let old = base();
    assert!(
        old.decide(&smooth(0), &[0.0; 24]).0,
        "uniform logits: 1/24 < 0.5"
    );
    assert!(!old.decide(&smooth(0), &logits(2, 9.0, 0)).0);
}

#[test]
fn probes_are_deterministic_and_of_every_kind() {
    let source = Dataset {
        name: "train".into(),
        pixels: (0..3).flat_map(smooth).collect(),
        classes: vec![0, 1, 2],
        rows: vec![1, 2, 3],
    };
    let a = Probes::generate(10, 5, &source);
    assert_eq!(a, Probes::generate(10, 5, &source));
    assert_ne!(a.data.pixels, Probes::generate(10, 6, &source).data.pixels);
    for kind in ProbeKind::ALL {
        assert_eq!(a.of_kind(kind).len(), 10, "{kind:?}");
    }
    for i in a.of_kind(ProbeKind::Blank) {
        assert!(pixel_stats(a.data.image(i)).std < 1e-9);
    }
    let noise = pixel_stats(a.data.image(a.of_kind(ProbeKind::WhiteNoise)[0]));
    assert!(noise.gradient > 0.25, "{noise:?}");
}

#[test]
fn explanation_follows_its_measurements() {
    let mut f = Findings {
        field_accuracy: 0.132,
        test_median_distance: 2.0,
        field_median_distance: 6.0,
        best_variant: Some(("blur (σ 1 px)".into(), 0.5)),
        noise_letter: Some(('P', 0.88)),
        field_letter: Some(('P', 0.4)),
        standardises_input: false,
    };
    let text = explanation(&f);
    assert!(text.contains("so contrast, framing"), "{text}");
    f.standardises_input = true;
    let standardised = explanation(&f);
    assert!(
        standardised.contains("not contrast") && !standardised.contains("so contrast, framing"),
        "{standardised}"
    );
    f.standardises_input = false;
    assert!(
        text.contains("13.2%") && text.contains("3.0 times farther"),
        "{text}"
    );
    assert!(
        text.contains("ruled out") && text.contains("read as P 88%"),
        "{text}"
    );
    f.best_variant = Some(("zoom in (crop 80%)".into(), 6.0));
    f.field_median_distance = 1.0;
    f.field_letter = Some(('A', 0.3));
    let text = explanation(&f);
    assert!(
        text.contains("framing") && text.contains("no farther"),
        "{text}"
    );
    assert!(
        text.contains("most often as A") && !text.contains("ruled out"),
        "{text}"
    );
}

#[test]
fn input_variants_are_pure_functions_of_the_image() {
    let mut px = [0u8; PIXELS];
    px.iter_mut()
        .enumerate()
        .for_each(|(i, p)| *p = 50 + (i % 51) as u8);
    let a = autocontrast(&px);
    assert_eq!((a.iter().min(), a.iter().max()), (Some(&0), Some(&255)));
    assert_eq!(autocontrast(&[7; PIXELS]), [7; PIXELS]);
    let e = equalise(&px);
    assert_eq!(*e.iter().max().unwrap(), 255);
    let m = pixel_stats(&match_stats(&px, 0.5, 0.2));
    assert!(
        (m.mean - 0.5).abs() < 0.01 && (m.std - 0.2).abs() < 0.01,
        "{m:?}"
    );
    // A square dark on the left, bright on the right: the mirror swaps them.
    let square =
        image::GrayImage::from_fn(56, 56, |x, _| image::Luma([if x < 28 { 10 } else { 240 }]));
    let plain = InputVariant::Plain.apply(&square);
    let mirror = InputVariant::Mirror.apply(&square);
    assert!(plain[0] < 50 && mirror[0] > 200 && plain[27] > 200);
    assert_eq!(mirror, InputVariant::Mirror.apply(&square), "deterministic");
    // A white centre in a black frame: zooming in is brighter, out darker.
    let framed = image::GrayImage::from_fn(100, 100, |x, y| {
        image::Luma([if (15..85).contains(&x) && (15..85).contains(&y) {
            255
        } else {
            0
        }])
    });
    let mean = |v: InputVariant| pixel_stats(&v.apply(&framed)).mean;
    assert!(mean(InputVariant::ZoomIn) > mean(InputVariant::Plain));
    // Zooming out pads with the square's mean grey: the corner turns grey.
    let (plain, out) = (
        InputVariant::Plain.apply(&framed),
        InputVariant::ZoomOut.apply(&framed),
    );
    assert!(
        plain[0] < 10 && (100..=150).contains(&out[0]),
        "{} {}",
        plain[0],
        out[0]
    );
    assert!(out[14 * 28 + 14] > 240);
}

#[test]
fn readout_names_the_default_letter() {
    let rows: Vec<Vec<f32>> = (0..10)
        .map(|i| logits(if i < 8 { 14 } else { 2 }, 5.0, i))
        .collect();
    let r = Readout::new("noise", &rows);
    assert_eq!(r.most_predicted(), ('P', 0.8));
    assert!(readout_table(&[r]).to_text().contains("80.0%"));
}

/// The summary and the table judge a rule on real photos by what it is
/// for: are the photos it answers more often right than those it refuses?
/// Refusing almost everything no longer counts as a success.
#[test]
fn real_photos_judge_the_rule_by_answered_against_refused() {
    let candidate = |answered, answered_correct| Candidate {
        name: "rule".into(),
        rule: None,
        val_answered: 0.96,
        corrupted_val_answered: 0.5,
        probes_unsure: 1.0,
        all_probes_unsure: 1.0,
        field: Some(FieldOutcome {
            n: 190,
            answered,
            answered_correct,
            all_correct: 25,
        }),
    };
    // The audit: 13 answered (2 right), 177 refused (23 right).
    let audit = candidate(13, 2);
    let said = audit.summary();
    assert!(
        said.contains("on 190 real photos it answers 6.8% (13 of 190)")
            && said.contains("fails: answers under 10%; answered not more accurate (p = 0.53)"),
        "{said}"
    );
    // 40 answered, 20 right, against 5 of 150 refused: passes.
    let good = candidate(40, 20);
    assert!(good.field.unwrap().test().verdict.passes());
    assert!(good.summary().ends_with("; passes."), "{}", good.summary());
    // 40 answered, 6 right, against 19 of 150: not more accurate.
    let flat = candidate(40, 6);
    assert!(flat
        .summary()
        .contains("fails: answered not more accurate (p = "));
    for c in [&audit, &good, &flat] {
        assert!(!c.summary().contains("goal met: at least 80% unsure"));
    }
}

/// A gated rule's refusals are ranked lowest, so its operating point lies
/// on its curve; the verdict uses the rule's own decisions.
#[test]
fn judge_ranks_gated_refusals_lowest() {
    let mut set = hands(48, 0);
    // Image 0: read confidently (logit 9) but pixels the gate refuses (blank).
    set.pixels[..PIXELS].fill(128);
    let mut cal = base();
    cal.unsure = Some(UnsureRule {
        score: ScoreKind::MaxLogit,
        threshold: 7.0,
        gate: Some(InputGate {
            std_min: 0.02,
            gradient_max: 1.0,
            flat_max: None,
        }),
        fitted_on: "test".into(),
    });
    set.outputs.logits[0] = logits(0, 9.0, 0);
    let e = judge(
        "m",
        crate::calibrate::Population::TestHalf,
        &cal,
        &set,
        None,
    )
    .unwrap();
    let answered = e.test.answered;
    let point = e
        .curve
        .points
        .iter()
        .find(|p| p.answered == answered)
        .expect("the operating point is on the curve");
    assert_eq!(point.correct, e.test.answered_correct);
    assert_eq!(e.curve.points.last().unwrap().threshold, f64::MIN);
}

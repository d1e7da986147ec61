use super::*;
use crate::data::{Dataset, PIXELS};
use tch::Device;

/// Generated hand-like images: a plain background, a bright blob whose
/// centre depends on the image, and a soft gradient.
fn images(n: i64) -> Tensor {
    let opts = (Kind::Float, Device::Cpu);
    let ys = Tensor::arange(28, opts).view([1, 1, 28, 1]);
    let xs = Tensor::arange(28, opts).view([1, 1, 1, 28]);
    let i = Tensor::arange(n, opts).view([n, 1, 1, 1]);
    let cy = (&i * 1.7).sin() * 4.0 + 14.0;
    let cx = (&i * 2.3).cos() * 4.0 + 14.0;
    let d2 = (ys - cy).square() + (xs.shallow_clone() - cx).square();
    let blob = (d2 / -40.0).exp() * 0.6;
    (blob + 0.25 + xs * 0.004 + i * 0.01).clamp(0.0, 1.0)
}

fn mean_abs(a: &Tensor, b: &Tensor) -> f64 {
    (a - b).abs().mean(Kind::Float).double_value(&[])
}

#[test]
fn every_corruption_keeps_shape_and_range() {
    let x = images(6);
    for c in Corruption::ALL {
        for s in 0..=MAX_SEVERITY {
            let y = c.apply(&x, s, 11);
            assert_eq!(y.size(), x.size(), "{c} {s}");
            assert_eq!(y.kind(), Kind::Float, "{c} {s}");
            let (lo, hi) = (y.min().double_value(&[]), y.max().double_value(&[]));
            assert!(lo >= 0.0 && hi <= 1.0, "{c} {s}: [{lo}, {hi}]");
        }
    }
}

#[test]
fn severity_zero_is_identity_and_a_seed_repeats() {
    let x = images(5);
    for c in Corruption::ALL {
        assert!(c.apply(&x, 0, 3).equal(&x), "{c}");
        let a = c.apply(&x, 3, 3);
        assert!(a.equal(&c.apply(&x, 3, 3)), "{c} is not deterministic");
        assert!(mean_abs(&a, &x) > 1e-3, "{c} changed nothing");
    }
    // Random corruptions change with the seed.
    for c in [
        Corruption::GaussianNoise,
        Corruption::Occlusion,
        Corruption::Clutter,
    ] {
        assert!(!c.apply(&x, 3, 3).equal(&c.apply(&x, 3, 4)), "{c}");
    }
}

#[test]
fn higher_severity_changes_the_images_more() {
    let x = images(8);
    for c in Corruption::ALL {
        let d: Vec<f64> = (0..=MAX_SEVERITY)
            .map(|s| mean_abs(&c.apply(&x, s, 5), &x))
            .collect();
        for s in 1..d.len() {
            if c == Corruption::Mirror {
                assert!(d[s] > 0.0 && (s == 1 || d[s] == d[s - 1]), "{c}: {d:?}");
            } else {
                assert!(d[s] > d[s - 1], "{c}: mean change per severity {d:?}");
            }
        }
    }
}

#[test]
fn mirror_flips_and_occlusion_paints_a_square() {
    let x = images(2);
    let m = Corruption::Mirror.apply(&x, 1, 0);
    assert!(m.flip([3]).allclose(&x, 1e-6, 1e-6, false));
    // Occlusion at severity 1: a 4×4 square of one grey level per image.
    let o = Corruption::Occlusion.apply(&x, 1, 9);
    let changed = (&o - &x).abs().gt(1e-6).sum(Kind::Int64).int64_value(&[]);
    assert!(changed > 0 && changed <= 2 * 16, "{changed} pixels changed");
}

/// A data set whose class says which half of the image is bright: class 0
/// left, class 1 right.
fn halves(n: usize) -> Dataset {
    let mut pixels = Vec::with_capacity(n * PIXELS);
    for i in 0..n {
        for p in 0..PIXELS {
            let left = p % 28 < 14;
            let bright = left == (i % 2 == 0);
            pixels.push(if bright { 200 } else { 40 } + (p % 7) as u8);
        }
    }
    Dataset {
        name: "halves".into(),
        pixels,
        classes: (0..n).map(|i| (i % 2) as u8).collect(),
        rows: (1..=n as u32).collect(),
    }
}

/// Predicts class 0 when the left half is brighter, else class 1.
fn half_predictor(x: &Tensor) -> Result<Tensor, String> {
    let left = x
        .narrow(3, 0, 14)
        .sum_dim_intlist([1i64, 2, 3].as_slice(), false, Kind::Float);
    let right = x
        .narrow(3, 14, 14)
        .sum_dim_intlist([1i64, 2, 3].as_slice(), false, Kind::Float);
    let class = left.lt_tensor(&right).to_kind(Kind::Int64);
    Ok(class.one_hot(24).to_kind(Kind::Float))
}

#[test]
fn robustness_reports_real_accuracies_and_repeats_for_a_seed() {
    let data = halves(40);
    let mut steps = Vec::new();
    let report = evaluate_robustness("halves", half_predictor, &data, 1, |d, t| {
        steps.push((d, t))
    })
    .unwrap();
    assert_eq!(steps.len(), 66);
    assert_eq!(steps.last(), Some(&(66, 66)));
    assert_eq!(report.clean, 1.0);
    assert_eq!(report.n_images, 40);
    assert_eq!(report.rows.len(), 13);
    // The mirror swaps the halves: every prediction flips.
    assert_eq!(report.accuracy(Corruption::Mirror, 3), Some(0.0));
    // Brightness moves both halves alike: nothing flips.
    assert_eq!(report.accuracy(Corruption::Brightness, 5), Some(1.0));
    let mean = report.mean_corruption_accuracy();
    assert!(mean > 0.5 && mean < 1.0, "{mean}");
    let text = report.to_string();
    assert!(
        text.contains("mean corruption") && text.contains("jpeg"),
        "{text}"
    );
    let again = evaluate_robustness("halves", half_predictor, &data, 1, |_, _| {}).unwrap();
    assert_eq!(again, report);
}

#[test]
fn robustness_rejects_empty_data_and_bad_predictions() {
    let empty = halves(0);
    let err = evaluate_robustness("m", half_predictor, &empty, 1, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("halves"), "{err}");
    let bad =
        |x: &Tensor| Ok::<_, String>(Tensor::zeros([x.size()[0], 3], (Kind::Float, Device::Cpu)));
    let err = evaluate_robustness("m", bad, &halves(4), 1, |_, _| {}).unwrap_err();
    assert!(
        matches!(err, RobustnessError::BadPredictions { .. }),
        "{err}"
    );
    let failing = |_: &Tensor| Err::<Tensor, _>("out of memory");
    let err = evaluate_robustness("m", failing, &halves(4), 1, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("out of memory"), "{err}");
}

#[test]
fn per_photo_sample_keeps_every_photo_and_at_most_k_images_of_each() {
    // Photo 7 has 6 images, photo 2 has 1, photo 5 has 3 (interleaved).
    let groups = [7, 7, 2, 7, 5, 7, 5, 7, 5, 7];
    let idx = super::per_photo_sample(&groups, 3);
    assert_eq!(idx, vec![0, 2, 3, 4, 6, 7, 8]);
    // Photo 7's images are 0, 1, 3, 5, 7, 9: every second one is taken.
    let mut per: std::collections::HashMap<u32, usize> = Default::default();
    for &i in &idx {
        *per.entry(groups[i]).or_default() += 1;
    }
    assert_eq!(per[&7], 3);
    assert_eq!(per[&2], 1);
    assert_eq!(per[&5], 3);
    assert_eq!(
        super::per_photo_sample(&groups, 0).len(),
        3,
        "k = 0 still keeps one per photo"
    );
    assert!(super::per_photo_sample(&[], 3).is_empty());
}

#[test]
fn abstain_rule_under_corruptions_counts_confident_errors() {
    let data = halves(20);
    // Confidence 0.6 + 0.4 / 24 ≈ 0.617 on the predicted half.
    let soft = |x: &Tensor| half_predictor(x).map(|p| p * 0.6 + 0.4 / 24.0);
    let rows =
        abstain_under_corruptions(soft, &data, &crate::testing::calibration(0.5), 3, 1).unwrap();
    assert_eq!(rows.len(), 14);
    assert_eq!(rows[0].images, "clean");
    let clean = &rows[0].operating;
    assert_eq!((clean.n, clean.accepted, clean.correct), (20, 20, 20));
    // The mirror swaps the halves: everything accepted, everything wrong.
    let mirror = rows.iter().find(|r| r.images == "mirror").unwrap();
    assert_eq!(
        (mirror.operating.accepted, mirror.operating.correct),
        (20, 0)
    );
    // Above the model's confidence nothing is accepted.
    let none =
        abstain_under_corruptions(soft, &data, &crate::testing::calibration(0.7), 3, 1).unwrap();
    assert!(none.iter().all(|r| r.operating.accepted == 0));
    let table = abstain_table(&none, "t").to_string();
    assert!(table.contains("none accepted"), "{table}");
    assert!(
        abstain_under_corruptions(soft, &halves(0), &crate::testing::calibration(0.5), 3, 1)
            .is_err()
    );
}

#[test]
fn comparison_table_puts_models_side_by_side() {
    let data = halves(20);
    let a = evaluate_robustness("halves", half_predictor, &data, 1, |_, _| {}).unwrap();
    let mut b = a.clone();
    b.model = "other".into();
    b.clean = 0.5;
    let t = comparison_table(&[&a, &b]);
    assert_eq!(t.rows.len(), 13 + 2);
    assert_eq!(t.rows[12][0], "mirror");
    assert_eq!(t.rows[12][1], "0.0%", "the mirror flips every prediction");
    assert_eq!(t.rows[13], ["clean", "100.0%", "50.0%"]);
    let mean = format!("{:.1}%", 100.0 * a.mean_corruption_accuracy());
    assert_eq!(
        t.rows[14],
        ["mean corruption".to_string(), mean.clone(), mean]
    );
}

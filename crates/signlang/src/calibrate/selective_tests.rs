//! Tests of the pass test of unsure rules ([`super::selective`]) and its
//! evidence table ([`super::evidence`]).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

/// `n` images, the first `right` of them right.
fn rights(n: usize, right: usize) -> Vec<bool> {
    (0..n).map(|i| i < right).collect()
}

#[test]
fn a_score_that_ranks_right_answers_first_has_auroc_1_and_passes() {
    let correct = rights(100, 80);
    // Right answers score 1.0..1.8, wrong ones 0.0..0.2.
    let scores: Vec<f64> = (0..100)
        .map(|i| {
            if i < 80 {
                1.0 + i as f64 / 100.0
            } else {
                i as f64 / 100.0 - 0.8
            }
        })
        .collect();
    let curve = RiskCoverage::new(&scores, &correct, None).unwrap();
    assert_eq!(curve.auroc, Some(1.0));
    assert_eq!(curve.points.len(), 100);
    let at_80 = curve.points[79];
    assert_eq!(
        (at_80.answered, at_80.correct, at_80.accuracy),
        (80, 80, 1.0)
    );
    let last = curve.points.last().unwrap();
    assert_eq!((last.coverage, last.accuracy), (1.0, 0.8));
    let test = UnsureTest::new(&answered_at(&scores, 0.5), &correct, None).unwrap();
    assert_eq!(
        (test.answered, test.answered_correct, test.refused_correct),
        (80, 80, 0)
    );
    assert!(test.p < 1e-10, "{}", test.p);
    assert!(test.verdict.passes(), "{}", test.summary());
    assert!(test.summary().ends_with("; passes"), "{}", test.summary());
}

#[test]
fn a_random_score_fails() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let correct: Vec<bool> = (0..400).map(|i| i % 3 != 0).collect();
    let scores: Vec<f64> = (0..400).map(|_| rng.random::<f64>()).collect();
    let curve = RiskCoverage::new(&scores, &correct, None).unwrap();
    let a = curve.auroc.unwrap();
    assert!((a - 0.5).abs() < 0.08, "AUROC {a}");
    let test = UnsureTest::new(&answered_at(&scores, 0.5), &correct, None).unwrap();
    assert!(!test.verdict.passes() && !test.verdict.answers_too_few);
    assert_eq!(
        test.verdict.not_more_accurate,
        Some(test.p),
        "{}",
        test.summary()
    );
    assert!(test.p >= PASS_P);
}

#[test]
fn a_rule_that_refuses_everything_fails_for_answering_under_10_percent() {
    let correct = rights(190, 25);
    let test = UnsureTest::new(&[false; 190], &correct, None).unwrap();
    assert!(test.verdict.answers_too_few && !test.verdict.passes());
    assert_eq!(test.verdict.words(), "answers under 10%");
    assert_eq!(test.p, 1.0);
    assert!(test.accuracy_answered().is_nan());
    // Answering 18 of 190 (9.5%), all right, still answers too few.
    let answered: Vec<bool> = (0..190).map(|i| i < 18).collect();
    let test = UnsureTest::new(&answered, &correct, None).unwrap();
    assert!(test.p < PASS_P);
    assert_eq!(test.verdict.words(), "answers under 10%");
}

/// The 2×2 of the audit: answered 13 with 2 right, refused 177 with 23
/// right (13 of 190 is also under 10% answered). Its p = 0.68 is Fisher's **two-sided** p; the one-sided p that
/// the answered are more accurate is 0.53 (scipy's
/// `fisher_exact([[2, 11], [23, 154]], "greater")` = 0.5324).
fn audit_table() -> (Vec<bool>, Vec<bool>) {
    let answered: Vec<bool> = (0..190).map(|i| i < 13).collect();
    let correct: Vec<bool> = (0..190).map(|i| i < 2 || (13..36).contains(&i)).collect();
    (answered, correct)
}

#[test]
fn the_audit_table_gives_the_audits_p_two_sided_and_fails_one_sided() {
    let f = fisher_exact((2, 13), (23, 177));
    assert!((f.two_sided - 0.68207).abs() < 1e-4, "{f:?}");
    assert!((f.greater - 0.53240).abs() < 1e-4, "{f:?}");
    let (answered, correct) = audit_table();
    let photos: Vec<u32> = (0..190).collect();
    for groups in [None, Some(photos.as_slice())] {
        let test = UnsureTest::new(&answered, &correct, groups).unwrap();
        assert_eq!((test.answered, test.answered_correct), (13, 2));
        assert_eq!((test.refused(), test.refused_correct), (177, 23));
        assert_eq!(test.design_effect, 1.0, "one image per photo: plain Fisher");
        assert_eq!(test.p, f.greater);
        assert_eq!(
            test.verdict.words(),
            "answers under 10%; answered not more accurate (p = 0.53)"
        );
        assert!(
            test.summary().contains("answers 6.8% (13 of 190)"),
            "{}",
            test.summary()
        );
    }
}

#[test]
fn copies_of_each_photo_add_no_evidence_when_the_test_is_photo_aware() {
    // 40 photos: 20 answered (18 right), 20 refused (10 right).
    let answered1: Vec<bool> = (0..40).map(|i| i < 20).collect();
    let correct1: Vec<bool> = (0..40).map(|i| i < 18 || (20..30).contains(&i)).collect();
    let one = UnsureTest::new(&answered1, &correct1, None).unwrap();
    // The same photos, 16 identical images each.
    let copies = |v: &[bool]| v.iter().flat_map(|&x| [x; 16]).collect::<Vec<bool>>();
    let (answered, correct) = (copies(&answered1), copies(&correct1));
    let groups: Vec<u32> = (0..40u32).flat_map(|g| [g; 16]).collect();
    let naive = UnsureTest::new(&answered, &correct, None).unwrap();
    let aware = UnsureTest::new(&answered, &correct, Some(&groups)).unwrap();
    assert!((aware.design_effect - 16.0 * 40.0 / 39.0).abs() < 1e-9);
    assert_eq!(aware.p, one.p, "the photos' own table");
    assert!(naive.p < 1e-6 && one.p > 1e-3, "{} vs {}", naive.p, one.p);
    assert_eq!((aware.photos, aware.n), (40, 640));
}

#[test]
fn ties_count_half_and_bad_input_is_a_typed_error() {
    assert_eq!(auroc(&[1.0, 1.0], &[true, false]), Some(0.5));
    assert_eq!(auroc(&[2.0, 1.0, 1.0], &[true, true, false]), Some(0.75));
    assert_eq!(auroc(&[1.0, 2.0], &[true, true]), None);
    let err = RiskCoverage::new(&[0.1, f64::NAN], &[true, false], None).unwrap_err();
    assert!(matches!(err, CalibrateError::NotANumber { row: 1 }));
    let err = UnsureTest::new(&[true], &[true, false], None).unwrap_err();
    assert!(matches!(err, CalibrateError::LengthMismatch { .. }));
    let err = UnsureTest::new(&[true, false], &[true, false], Some(&[0])).unwrap_err();
    assert!(matches!(err, CalibrateError::LengthMismatch { .. }));
}

#[test]
fn the_table_and_the_sentence_say_what_the_evidence_shows() {
    let (answered, correct) = audit_table();
    let scores: Vec<f64> = answered.iter().map(|&a| f64::from(u8::from(a))).collect();
    let real = UnsureEvidence::new(
        "chosen",
        Population::RealPhotos,
        &scores,
        &answered,
        &correct,
        None,
    )
    .unwrap();
    let text = evidence_table(std::slice::from_ref(&real)).to_text();
    assert!(text.contains("190 real photos"), "{text}");
    assert!(
        text.contains("answered not more accurate (p = 0.53)"),
        "{text}"
    );
    assert_eq!(
        real_photos_sentence(std::slice::from_ref(&real)).as_deref(),
        Some(CANNOT_TELL_ON_REAL_PHOTOS)
    );
    // Answers 50 of 190, 45 of them right; refuses 140, none right.
    let answered50: Vec<bool> = (0..190).map(|i| i < 50).collect();
    let right45 = rights(190, 45);
    let good = UnsureEvidence::new(
        "good",
        Population::RealPhotos,
        &scores,
        &answered50,
        &right45,
        None,
    )
    .unwrap();
    assert!(good.test.verdict.passes(), "{}", good.summary());
    let said = real_photos_sentence(&[real.clone(), good]).unwrap();
    assert!(
        said.starts_with("on real photos the unsure rule of good answers 26.3%"),
        "{said}"
    );
    let test_half = UnsureEvidence {
        population: Population::TestHalf,
        ..real
    };
    assert_eq!(real_photos_sentence(&[test_half]), None);
}

//! The evaluation statistics against hand computations.

use signlang::evaluate::{
    clopper_pearson_interval, clustered_mcnemar, mcnemar, mcnemar_p, wilson_interval, ClientReport,
    Comparison, EvaluateError, Evaluation, Goals, Verdict,
};
use signlang::letters::class_of_letter;

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

fn c(l: char) -> u8 {
    class_of_letter(l).unwrap()
}

/// A 3-letter confusion (M, N, S) embedded in the 24 classes:
///
/// | true \ pred | M | N | S |
/// |---|---|---|---|
/// | M | 8 | 2 | 0 |
/// | N | 1 | 6 | 3 |
/// | S | 0 | 1 | 9 |
fn mns() -> (Vec<u8>, Vec<u8>) {
    let cells = [
        ('M', 'M', 8),
        ('M', 'N', 2),
        ('N', 'M', 1),
        ('N', 'N', 6),
        ('N', 'S', 3),
        ('S', 'N', 1),
        ('S', 'S', 9),
    ];
    let (mut truth, mut pred) = (Vec::new(), Vec::new());
    for (t, p, k) in cells {
        for _ in 0..k {
            truth.push(c(t));
            pred.push(c(p));
        }
    }
    (truth, pred)
}

#[test]
fn known_confusion_matrix_gives_hand_computed_statistics() {
    let (truth, pred) = mns();
    let e = Evaluation::from_predictions(&truth, &pred).unwrap();
    assert_eq!(e.n, 30);
    assert_eq!(e.correct, 23);
    close(e.accuracy, 23.0 / 30.0, 1e-12);
    assert_eq!(e.confusion[c('N') as usize][c('S') as usize], 3);
    assert_eq!(e.confusion[c('M') as usize].iter().sum::<usize>(), 10);
    assert_eq!(e.confusion.iter().flatten().sum::<usize>(), 30);

    let m = &e.letters[c('M') as usize];
    let n = &e.letters[c('N') as usize];
    let s = &e.letters[c('S') as usize];
    assert_eq!((m.n, m.correct, m.predicted), (10, 8, 9));
    assert_eq!((n.n, n.correct, n.predicted), (10, 6, 9));
    assert_eq!((s.n, s.correct, s.predicted), (10, 9, 12));
    close(m.precision, 8.0 / 9.0, 1e-12);
    close(n.precision, 6.0 / 9.0, 1e-12);
    close(s.precision, 9.0 / 12.0, 1e-12);
    close(m.recall, 0.8, 1e-12);
    close(m.f1, 0.842_105_263, 1e-8); // 2·(8/9)·0.8 / (8/9 + 0.8) = 16/19
    close(n.f1, 0.631_578_947, 1e-8); // 12/19
    close(s.f1, 0.818_181_818, 1e-8); // 9/11
    close(
        e.macro_f1(),
        (16.0 / 19.0 + 12.0 / 19.0 + 9.0 / 11.0) / 3.0,
        1e-12,
    );

    // Letters without images are ignored for the lowest letter and macro F1.
    assert_eq!(e.letters[0].n, 0);
    assert!(e.letters[0].accuracy.is_nan());
    assert_eq!(e.lowest_letter().letter, 'N');
    let top = e.most_common_confusion().unwrap();
    assert_eq!((top.truth, top.predicted, top.count), (c('N'), c('S'), 3));
    assert_eq!(top.to_string(), "N → S (3 images)");
    let all = e.confusions();
    assert_eq!(all.len(), 4);
    assert_eq!(all.iter().map(|c| c.count).sum::<usize>(), 7);
    assert_eq!(e.wrong_indices().len(), 7);

    // Wilson interval of 23/30, by hand: centre 0.7319, half-width 0.1475.
    close(e.ci.lo, 0.5907, 1e-3);
    close(e.ci.hi, 0.8820, 1e-3);

    let table = e.per_letter_table();
    assert_eq!(table.rows.len(), 24);
    assert_eq!(
        table.rows[c('N') as usize],
        [
            "N",
            "10",
            "–",
            "60.0%",
            "[31.3%, 83.2%]",
            "–",
            "0.667",
            "0.600",
            "0.632"
        ]
    );
    // With photos of 2 images: N's 10 images are 5 photos.
    let groups: Vec<u32> = (0..30).map(|i| i / 2).collect();
    let g = e.clone().with_groups(&groups).unwrap();
    let row = &g.per_letter_table().rows[c('N') as usize];
    assert_eq!(row[2], "5");
    assert!(row[5].starts_with('['), "{row:?}");
    assert!(e
        .summary()
        .to_text()
        .contains("N → S (3 images), 42.9% of all 7 errors"));
}

#[test]
fn intervals_match_textbook_values() {
    // Wilson 81/263: (0.2553, 0.3662), e.g. Wikipedia / statsmodels.
    let w = wilson_interval(81, 263, 0.95);
    close(w.lo, 0.255_288_5, 1e-6);
    close(w.hi, 0.366_209_6, 1e-6);
    let w = wilson_interval(95, 100, 0.95);
    close(w.lo, 0.888_249_5, 1e-6);
    close(w.hi, 0.978_456_3, 1e-6);
    let w = wilson_interval(0, 10, 0.95);
    assert_eq!(w.lo, 0.0);
    close(w.hi, 0.277_532_8, 1e-6);
    // Clopper-Pearson, checked by bisection on the binomial CDF.
    let cp = clopper_pearson_interval(81, 263, 0.95);
    close(cp.lo, 0.252_736_7, 1e-6);
    close(cp.hi, 0.367_621_9, 1e-6);
    let cp = clopper_pearson_interval(95, 100, 0.95);
    close(cp.lo, 0.887_165_1, 1e-6);
    close(cp.hi, 0.983_568_1, 1e-6);
    let cp = clopper_pearson_interval(0, 10, 0.95);
    assert_eq!(cp.lo, 0.0);
    close(cp.hi, 0.308_497_1, 1e-6); // 1 - 0.025^(1/10)
    let cp = clopper_pearson_interval(10, 10, 0.95);
    assert_eq!(cp.hi, 1.0);
    close(cp.lo, 0.691_502_9, 1e-6);
}

/// Builds truth/A/B vectors with the given 2×2 counts (both right, only A
/// right, only B right, both wrong).
fn paired(rr: usize, rw: usize, wr: usize, ww: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let (mut t, mut a, mut b) = (Vec::new(), Vec::new(), Vec::new());
    let mut push = |k: usize, a_right: bool, b_right: bool| {
        for i in 0..k {
            let truth = (i % 24) as u8;
            let wrong = ((i + 1) % 24) as u8;
            t.push(truth);
            a.push(if a_right { truth } else { wrong });
            b.push(if b_right { truth } else { wrong });
        }
    };
    push(rr, true, true);
    push(rw, true, false);
    push(wr, false, true);
    push(ww, false, false);
    (t, a, b)
}

#[test]
fn mcnemar_counts_and_p_values_match_hand_calculation() {
    // b = 10, c = 2: exact p = 2·(1 + 12 + 66)/4096 = 0.038574;
    // chi² = (|10 − 2| − 1)²/12 = 49/12 = 4.0833, p = erfc(√(49/24)) = 0.043308.
    let (t, a, b) = paired(50, 10, 2, 3);
    let m = mcnemar(&t, &a, &b).unwrap();
    assert_eq!(
        (
            m.n,
            m.both_right,
            m.only_a_right,
            m.only_b_right,
            m.both_wrong
        ),
        (65, 50, 10, 2, 3)
    );
    close(m.exact_p, 158.0 / 4096.0, 1e-9);
    close(m.chi2, 49.0 / 12.0, 1e-12);
    close(m.chi2_p, 0.043_308_14, 1e-7);
    let v = m.verdict("CNN", "dense", 0.05);
    assert!(v.contains("CNN is significantly better than dense"), "{v}");
    // Swapping the models swaps b and c and keeps the p-values.
    let m2 = mcnemar(&t, &b, &a).unwrap();
    assert_eq!((m2.only_a_right, m2.only_b_right), (2, 10));
    close(m2.exact_p, m.exact_p, 1e-12);

    // b = 25, c = 10: exact 0.016674, chi² cc p 0.017960.
    let (e, x, y) = mcnemar_p(25, 10);
    close(e, 0.016_673_848, 1e-8);
    close(x, 196.0 / 35.0, 1e-12);
    close(y, 0.017_960_478, 1e-8);

    // Not significant: b = 5, c = 3 → exact p = 2·(1+8+28+56)/256 = 0.7266.
    let (t, a, b) = paired(10, 5, 3, 0);
    let m = mcnemar(&t, &a, &b).unwrap();
    close(m.exact_p, 186.0 / 256.0, 1e-9);
    close(m.chi2, 0.125, 1e-12);
    assert!(m
        .verdict("A", "B", 0.05)
        .contains("not statistically significant"));

    // No disagreements.
    let (t, a, b) = paired(20, 0, 0, 4);
    let m = mcnemar(&t, &a, &b).unwrap();
    assert_eq!((m.exact_p, m.chi2, m.chi2_p), (1.0, 0.0, 1.0));
    // b = c = 1: exact p capped at 1.
    assert_eq!(mcnemar_p(1, 1).0, 1.0);
    assert!(m
        .to_display("A", "B", 0.05)
        .text
        .contains("Exact binomial p = 1.0000"));
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    assert!(matches!(
        Evaluation::from_predictions(&[1, 2], &[1]),
        Err(EvaluateError::LengthMismatch { a: 2, b: 1, .. })
    ));
    assert!(matches!(
        Evaluation::from_predictions(&[1, 24], &[1, 2]),
        Err(EvaluateError::BadClass {
            index: 1,
            class: 24,
            ..
        })
    ));
    assert!(matches!(
        Evaluation::from_predictions(&[], &[]),
        Err(EvaluateError::Empty)
    ));
    let err = mcnemar(&[1, 2], &[1, 2], &[1]).unwrap_err();
    assert!(err.to_string().contains("model B"), "{err}");
}

/// 100 images per letter; letter `weak` gets `weak_correct` right, all others
/// `strong_correct`; errors go to the next letter.
fn synthetic(weak: u8, weak_correct: usize, strong_correct: usize) -> Evaluation {
    let (mut t, mut p) = (Vec::new(), Vec::new());
    for class in 0..24u8 {
        let right = if class == weak {
            weak_correct
        } else {
            strong_correct
        };
        for i in 0..100 {
            t.push(class);
            p.push(if i < right { class } else { (class + 1) % 24 });
        }
    }
    Evaluation::from_predictions(&t, &p).unwrap()
}

#[test]
fn goal_check_reads_point_estimates_and_lower_bounds() {
    let goals = Goals::default();
    // 98% everywhere except G at 88%: overall (23·98 + 88)/2400 = 97.58%.
    let e = synthetic(c('G'), 88, 98);
    let g = e.goal_check(&goals);
    close(g.accuracy, 2342.0 / 2400.0, 1e-12);
    assert!(!g.by_photo);
    assert_eq!(g.overall, Verdict::Met, "lower bound {}", g.ci.lo);
    assert_eq!(g.letters_verdict(), Verdict::NotMet);
    let failing = g.letters_with(Verdict::NotMet);
    assert_eq!(failing.len(), 1);
    assert_eq!(failing[0].letter, 'G');
    // 98/100 has Wilson lower bound 0.930 > 0.9: met for the others.
    assert_eq!(g.letters_with(Verdict::Met).len(), 23);
    let text = g.to_table().to_text();
    assert!(
        text.contains("23 met, 0 on the point estimate only, 1 not met"),
        "{text}"
    );

    let r = ClientReport::new(&e, "m", goals);
    let s = r.recommendation().join("\n");
    assert!(s.contains("is not met: 23 letters meet it"), "{s}");
    assert!(s.contains("(G (88.0%))"), "{s}");
    // Lifting G to 90% gains 2 images: (2342 + 2)/2400 = 97.67%.
    assert!(s.contains("97.67%"), "{s}");
    // 58 errors; top five: G→H 12 and four of 2 = 20, 34%.
    assert!(
        s.contains("The 58 errors are spread over many letter pairs"),
        "{s}"
    );
    assert!(s.contains("make up 34% of them"), "{s}");
    assert!(r.to_display().html.contains("<p>"));

    // 93/100 for K: point estimate above 90%, lower bound (0.862) below.
    let e = synthetic(c('K'), 93, 99);
    let g = e.goal_check(&goals);
    assert_eq!(g.letters_verdict(), Verdict::PointOnly);
    assert_eq!(g.letters_with(Verdict::PointOnly)[0].letter, 'K');
    let s = ClientReport::new(&e, "m", goals)
        .recommendation()
        .join("\n");
    assert!(
        s.contains("is met on the point estimate only: 23 letters meet it with their whole interval, 1 on the point estimate only"),
        "{s}"
    );
}

#[test]
fn client_report_answers_the_questions_with_photos_as_the_unit() {
    let e = synthetic(c('G'), 88, 98);
    // 5 images per photo: 480 photos, 20 per letter.
    let groups: Vec<u32> = (0..e.n as u32).map(|i| i / 5).collect();
    let e = e.with_groups(&groups).unwrap();
    // The second model is the best one with 10 more A images wrong (two photos).
    let mut second = e.predicted.clone();
    let a_right: Vec<usize> = (0..e.n)
        .filter(|&i| e.truth[i] == c('A') && e.predicted[i] == c('A'))
        .take(10)
        .collect();
    for i in a_right {
        second[i] = c('B');
    }
    let e2 = Evaluation::from_predictions(&e.truth, &second)
        .unwrap()
        .with_groups(&groups)
        .unwrap();
    let test = clustered_mcnemar(&e.truth, &e.predicted, &second, &groups).unwrap();
    assert_eq!(
        (test.images.only_a_right, test.images.only_b_right),
        (10, 0)
    );
    assert_eq!((test.groups_a_better, test.groups_b_better), (2, 0));
    let mut report = ClientReport::new(&e, "cnn-3", Goals::default());
    report.second = Some(Comparison {
        name: "cnn-2",
        eval: &e2,
        test: &test,
    });
    let t = report.to_display().text;
    println!("{t}");
    assert!(t.contains("97.58% (2342 of 2400)"), "{t}");
    // 480 photos of 5 images: 480 effective photos, 468.4 of them right.
    assert!(
        t.contains("[95.8%, 98.8%] (exact on effective photos, 480 photos)"),
        "{t}"
    );
    assert!(t.contains("G: 88.0% (88 / 100)"), "{t}");
    assert!(t.contains("G → H (12 images)"), "{t}");
    // Two photos separate the models: the sign test cannot reach 0.05.
    assert!(t.contains("no result could reach significance"), "{t}");
    assert!(
        t.contains("Each letter rests on only 20–20 source photos"),
        "{t}"
    );
    assert!(t.contains("at least 36 photos"), "{t}");
    // Real-photo sentences stand beside the test result: a row and a paragraph.
    report.app_readiness = vec![
        "On 190 real photos it reads 14.7%.".into(),
        "More data.".into(),
    ];
    let t = report.to_display().text;
    assert!(
        t.contains("would an app work? (real photos)        On 190 real photos it reads 14.7%."),
        "{t}"
    );
    assert!(
        t.contains("On 190 real photos it reads 14.7%. More data."),
        "{t}"
    );
    assert!(
        t.contains("97.58% (2342 of 2400)"),
        "the test result is unchanged: {t}"
    );
}

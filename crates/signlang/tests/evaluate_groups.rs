//! Source photos as the unit of evidence: group-aware intervals, the design
//! effect, the clustered McNemar test, letter-pure groups and distance bands,
//! each against a small worked example computed by hand.

use signlang::data::{group_near_copies, Dataset, PIXELS};
use signlang::evaluate::coverage::korn_graubard_interval;
use signlang::evaluate::grouped::{
    effective_photos, fractional_clopper_pearson, group_counts, group_interval,
};
use signlang::evaluate::{
    clopper_pearson_interval, clustered_mcnemar, grouped_accuracy, photos_needed, DistanceBands,
    Evaluation, GroupMethod, Interval, Verdict,
};

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() <= tol, "{a} vs {b} (tolerance {tol})");
}

#[test]
fn all_right_groups_get_the_exact_bound_on_photos() {
    // 222 photos of 16 images, all right: Clopper–Pearson 0.025^(1/222).
    let groups: Vec<u32> = (0..222 * 16).map(|i| i / 16).collect();
    let g = grouped_accuracy(&vec![true; groups.len()], &groups);
    assert_eq!(g.method, GroupMethod::Exact);
    assert_eq!((g.n, g.correct, g.groups), (3552, 3552, 222));
    close(g.group_ci.lo, 0.983_520_7, 1e-6);
    assert_eq!(g.group_ci.hi, 1.0);
    // Per image the bound is far tighter (and wrong).
    assert!(g.image_ci.lo > 0.998, "{:?}", g.image_ci);
    assert_eq!(g.design_effect, None);
    // A letter with 4 photos: 0.025^(1/4) = 0.3976.
    let four: Vec<u32> = (0..60).map(|i| i / 15).collect();
    close(
        grouped_accuracy(&[true; 60], &four).group_ci.lo,
        0.397_635,
        1e-5,
    );
    // 36 photos all right is the fewest with a lower bound above 90%.
    assert_eq!(photos_needed(0.9), 36);
}

#[test]
fn design_effect_and_effective_photos_match_the_hand_computation() {
    // 10 photos of 10 images; 2 photos all wrong: p = 0.8.
    // v_cluster = 10/9 · (8·2² + 2·8²) / 100² = 0.017778; v_srs = 0.0016.
    let groups: Vec<u32> = (0..100).map(|i| i / 10).collect();
    let right: Vec<bool> = (0..100).map(|i| i >= 20).collect();
    let g = grouped_accuracy(&right, &groups);
    assert_eq!(g.method, GroupMethod::EffectivePhotos);
    close(g.design_effect.unwrap(), 100.0 / 9.0, 1e-9);
    close(g.effective_n().unwrap(), 9.0, 1e-9);
    // Equal sizes: 10 effective photos, and 8 of 10 is exact Clopper–Pearson.
    assert_eq!(g.effective_photos, 10.0);
    assert_eq!(g.group_ci, clopper_pearson_interval(8, 10, 0.95));
    // Sizes 30, 10, 10: 50² / (900 + 100 + 100) = 2.27 photos' worth.
    let counts = [(30, 30), (10, 9), (10, 10)];
    close(effective_photos(&counts), 2500.0 / 1100.0, 1e-12);
    let (ci, _) = group_interval(&counts);
    assert_eq!(ci, fractional_clopper_pearson(49.0 / 50.0, 2500.0 / 1100.0));
    // Korn–Graubard with the estimated design effect (for comparison only):
    // 9 · (t_99 / t_9)² = 6.9242 trials.
    let kg = korn_graubard_interval(&group_counts(&right, &groups));
    let n_eff = 9.0 * (1.984_217_f64 / 2.262_157).powi(2);
    let expected = fractional_clopper_pearson(0.8, n_eff);
    close(kg.lo, expected.lo, 1e-5);
    close(kg.hi, expected.hi, 1e-5);
}

#[test]
fn one_all_wrong_large_photo_keeps_the_estimate_inside_its_interval() {
    // 221 photos of 16 images all right, one photo of 136 images all wrong:
    // 3536 / 3672 = 96.30% per image, but 221 / 222 = 99.5% of the photos.
    let mut groups: Vec<u32> = (0..221 * 16).map(|i| i / 16).collect();
    let mut right = vec![true; groups.len()];
    groups.extend(std::iter::repeat_n(221, 136));
    right.extend(std::iter::repeat_n(false, 136));
    let g = grouped_accuracy(&right, &groups);
    close(g.accuracy, 3536.0 / 3672.0, 1e-12);
    assert!(
        g.group_ci.lo < g.accuracy && g.accuracy < g.group_ci.hi,
        "{:?} must contain {}",
        g.group_ci,
        g.accuracy
    );
    assert_ne!(Verdict::of(g.accuracy, g.group_ci, 0.96), Verdict::Met);
    // deff ≈ 132: the 3672 images are worth about 28 independent ones.
    let n_eff = g.effective_n().unwrap();
    assert!((25.0..32.0).contains(&n_eff), "{n_eff}");
}

#[test]
fn the_interval_is_deterministic_and_fractional_cp_is_the_textbook_one() {
    // 50 photos of 8 images; photo 0 has 3 errors, photo 1 has 8.
    let groups: Vec<u32> = (0..400).map(|i| i / 8).collect();
    let right: Vec<bool> = (0..400).map(|i| !(i < 3 || (8..16).contains(&i))).collect();
    let (a, b) = (
        grouped_accuracy(&right, &groups),
        grouped_accuracy(&right, &groups),
    );
    assert_eq!(a, b, "same data, same interval");
    assert_eq!(a.groups_mixed, 1);
    close(a.accuracy, 389.0 / 400.0, 1e-12);
    assert!(a.group_ci.lo < a.accuracy && a.accuracy < a.group_ci.hi);
    assert!(a.group_ci.lo < a.image_ci.lo, "wider than per image");
    // With integer successes and trials it is the textbook interval.
    assert_eq!(
        fractional_clopper_pearson(0.96, 50.0),
        clopper_pearson_interval(48, 50, 0.95)
    );
    // All right on n trials: the lower bound is 0.025^(1/n), also fractional.
    close(
        fractional_clopper_pearson(1.0, 12.5).lo,
        0.025f64.powf(1.0 / 12.5),
        1e-9,
    );
    assert_eq!(
        fractional_clopper_pearson(f64::NAN, 3.0),
        Interval { lo: 0.0, hi: 1.0 }
    );
}

/// Truth is class 0; predictions of A and B built from per-photo counts
/// `(n_k, b_k, c_k)`: b_k images only A right, c_k only B right.
fn paired(photos: &[(usize, usize, usize)]) -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u32>) {
    let (mut t, mut a, mut b, mut g) = (vec![], vec![], vec![], vec![]);
    for (k, &(n, bk, ck)) in photos.iter().enumerate() {
        for i in 0..n {
            t.push(0);
            a.push(if i >= bk && i < bk + ck { 1 } else { 0 });
            b.push(if i < bk { 1 } else { 0 });
            g.push(k as u32);
        }
    }
    (t, a, b, g)
}

#[test]
fn clustered_mcnemar_matches_the_worked_example() {
    // b_k − c_k = 3, 1, −1, 0: Σ = 3, Σ² = 11, X² = 9/11, p = 0.3657.
    let (t, a, b, g) = paired(&[(5, 3, 0), (5, 2, 1), (5, 0, 1), (5, 0, 0)]);
    let m = clustered_mcnemar(&t, &a, &b, &g).unwrap();
    assert_eq!((m.images.only_a_right, m.images.only_b_right), (5, 2));
    close(m.durkalski, 9.0 / 11.0, 1e-12);
    close(m.durkalski_p, 0.365_712_3, 1e-6);
    // Sign test: 2 photos favour A, 1 favours B: p = 2 · P(X ≤ 1 | 3) = 1.
    assert_eq!((m.groups_a_better, m.groups_b_better), (2, 1));
    close(m.sign_p, 1.0, 1e-12);
    close(m.sign_p_floor, 0.25, 1e-12);
    assert!(m.cannot_be_significant(0.05));
    // d = 3/20; SE = sqrt(4/3 · 8.75)/20 = 0.170783.
    close(m.difference, 0.15, 1e-12);
    close(m.difference_ci.lo, 0.15 - 1.959_964 * 0.170_783, 1e-5);
    close(m.difference_ci.hi, 0.15 + 1.959_964 * 0.170_783, 1e-5);
    let v = m.verdict("A", "B", 0.05);
    assert!(v.contains("no result could reach significance"), "{v}");

    // Eight photos all favouring A: sign test p = 2/256 < 0.05.
    let (t, a, b, g) = paired(&[(4, 2, 0); 8]);
    let m = clustered_mcnemar(&t, &a, &b, &g).unwrap();
    close(m.sign_p, 2.0 / 256.0, 1e-12);
    assert!(!m.cannot_be_significant(0.05));
    assert!(m.verdict("A", "B", 0.05).contains("significant at α"));
    assert!(clustered_mcnemar(&t, &a, &b, &g[1..]).is_err());
}

fn images(pixels: &[u8], classes: &[u8]) -> Dataset {
    let n = classes.len();
    Dataset {
        name: "gen".into(),
        pixels: pixels
            .iter()
            .flat_map(|&p| std::iter::repeat_n(p, PIXELS))
            .collect(),
        classes: classes.to_vec(),
        rows: (1..=n as u32).collect(),
    }
}

#[test]
fn groups_never_mix_letters() {
    // Images 0–2 are identical; 2 shows another letter. Image 3 is far away.
    let d = images(&[100, 100, 100, 250], &[0, 0, 5, 0]);
    let g = group_near_copies(&d, 2.0);
    assert_eq!(g.count, 3);
    assert_eq!(g.group_of[0], g.group_of[1]);
    assert_ne!(g.group_of[0], g.group_of[2]);
    assert_ne!(g.group_of[0], g.group_of[3]);
}

#[test]
fn distance_bands_and_novel_groups_on_a_constructed_case() {
    // 6 test images in 3 photos; distances to training by image.
    let distances = vec![0.5, 2.5, 1.5, 1.7, 3.5, 4.0];
    let groups = vec![0, 0, 1, 1, 2, 2];
    let bands = DistanceBands::new(distances, groups, 2.0, &[1.0, 2.0, 3.0]).unwrap();
    assert_eq!(bands.labels(), ["< 1", "1–2", "2–3", "≥ 3"]);
    // Photos 0 and 1 have an image within 2.0; photo 2 is novel.
    assert_eq!(bands.novel(), [false, false, false, false, true, true]);
    assert_eq!(bands.group_counts(), (3, 1));
    close(bands.share_within_threshold(), 3.0 / 6.0, 1e-12);
    // The model gets image 1 and image 5 wrong.
    let truth = [0u8; 6];
    let pred = [0u8, 1, 0, 0, 0, 1];
    let eval = Evaluation::from_predictions(&truth, &pred).unwrap();
    let acc = bands.accuracy(&eval).unwrap();
    let names: Vec<&str> = acc.iter().map(|b| b.band.as_str()).collect();
    assert_eq!(names, ["< 1", "1–2", "2–3", "≥ 3", "novel groups"]);
    let got: Vec<Option<(usize, usize, usize)>> = acc
        .iter()
        .map(|b| b.accuracy.as_ref().map(|a| (a.n, a.correct, a.groups)))
        .collect();
    assert_eq!(
        got,
        [
            Some((1, 1, 1)),
            Some((2, 2, 1)),
            Some((1, 0, 1)),
            Some((2, 1, 1)),
            Some((2, 1, 1))
        ]
    );
    let table = bands.table(&[("m", &eval)]).unwrap().to_text();
    assert!(table.contains("1 of 3 test photos are novel"), "{table}");
}

#[test]
fn zero_discordant_photos_give_an_exact_bound_not_a_zero_width_interval() {
    // 225 photos of 4 images; both models right everywhere but photo 0.
    let photos: Vec<(usize, usize, usize)> = (0..225).map(|_| (4, 0, 0)).collect();
    let (t, a, b, g) = paired(&photos);
    let c = clustered_mcnemar(&t, &a, &b, &g).unwrap();
    let bound = c.zero_difference_bound().unwrap();
    close(bound, 1.0 - 0.025f64.powf(1.0 / 225.0), 1e-12);
    let v = c.verdict("A", "B", 0.05);
    assert!(v.contains("0 of 225 photos differ"), "{v}");
    assert!(
        v.contains("at most 1.6 points (exact 95% upper bound)"),
        "{v}"
    );
    assert!(!v.contains("+0.00 to +0.00"), "{v}");
    // One discordant image: the usual interval, no bound.
    let mut photos = photos;
    photos[0] = (4, 1, 0);
    let (t, a, b, g) = paired(&photos);
    let c = clustered_mcnemar(&t, &a, &b, &g).unwrap();
    assert_eq!(c.zero_difference_bound(), None);
    assert!(c.verdict("A", "B", 0.05).contains("95% CI"));
}

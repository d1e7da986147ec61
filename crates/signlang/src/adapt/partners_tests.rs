//! Tests of [`super::partners`] on tiny generated photo folders: an exact
//! copy and a mirrored copy are partners at distance ≈ 0, an unrelated
//! photo is not.

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::partners::*;

/// A 90×70 photo (cropped to a square when compared) of smooth seeded
/// blobs: lopsided, so its mirror image differs from it.
fn photo(seed: u64) -> image::GrayImage {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let blobs: Vec<(f64, f64, f64)> = (0..16)
        .map(|_| {
            let (x, y) = (rng.random_range(0.0..90.0), rng.random_range(0.0..70.0));
            (x, y, rng.random_range(-1.0..1.0))
        })
        .collect();
    image::GrayImage::from_fn(90, 70, |x, y| {
        let v: f64 = blobs
            .iter()
            .map(|&(bx, by, w)| {
                let d2 = (f64::from(x) - bx).powi(2) + (f64::from(y) - by).powi(2);
                w * (-d2 / 100.0).exp()
            })
            .sum();
        image::Luma([(128.0 + 100.0 * v.clamp(-1.2, 1.2)).round() as u8])
    })
}

fn save(dir: &Path, name: &str, img: &image::GrayImage) {
    img.save(dir.join(name)).unwrap();
}

#[test]
fn copies_and_mirrored_copies_are_partners_and_unrelated_photos_are_not() {
    let tmp = tempfile::tempdir().unwrap();
    let (measure, train) = (tmp.path().join("measure"), tmp.path().join("train"));
    std::fs::create_dir_all(&measure).unwrap();
    std::fs::create_dir_all(&train).unwrap();
    save(&measure, "A_1.png", &photo(1));
    save(&measure, "B_2.png", &photo(2));
    save(&measure, "C_3.png", &photo(3));
    save(&measure, "D_4.png", &photo(4));
    // A_10: version 1 an exact copy of A_1, version 2 another photo.
    save(&train, "A_10_1.png", &photo(1));
    save(&train, "A_10_2.png", &photo(11));
    save(
        &train,
        "B_11_1.png",
        &image::imageops::flip_horizontal(&photo(2)),
    );
    save(&train, "D_12_1.png", &photo(12));
    let p = Partners::find(&measure, &train).unwrap();
    assert_eq!(p.sources, ["A_10", "B_11", "D_12"]);
    let names: Vec<(String, String, bool)> = p
        .nearest
        .iter()
        .map(|n| (p.measure_name(n.measure), p.train_name(n.file), n.mirrored))
        .collect();
    assert_eq!(names[0], ("A_1".into(), "A_10_1".into(), false));
    assert_eq!(names[1], ("B_2".into(), "B_11_1".into(), true));
    assert!(p.nearest[0].distance < 1e-3 && p.nearest[1].distance < 1e-3);
    // C_3 has no training photo of its letter; D_4 one, unrelated.
    let d4 = p.same_letter.iter().find(|s| s.measure == 3).unwrap();
    assert_eq!(p.same_letter.len(), 3, "A, B and D have training photos");
    for far in [p.nearest[2].distance, p.nearest[3].distance, d4.distance] {
        assert!(far > CLOSE_PARTNER + 0.2, "unrelated: {far}");
    }
    assert_eq!(p.partnered_sources(CLOSE_PARTNER), ["A_10", "B_11"]);
    assert_eq!(p.unpartnered_measures(CLOSE_PARTNER), [2, 3]);
    assert_eq!(p.unpartnered_names(CLOSE_PARTNER), ["C_3", "D_4"]);
    assert_eq!(p.close_pairs(CLOSE_PARTNER).len(), 2);
    let sheet = p.contact_sheet(CLOSE_PARTNER, 2, 4).unwrap().svg;
    assert!(sheet.contains("A_1 ↔ A_10_1") && sheet.contains("B_2 ↔ B_11_1"));
    assert!(sheet.contains("d = 0.000, mirrored") && sheet.contains("D_4 ↔ D_12_1"));
    assert!(p
        .summary(CLOSE_PARTNER)
        .contains("2 measuring photos have a close partner"));
}

#[test]
fn the_distance_ignores_brightness_and_contrast() {
    let a: Vec<u8> = (0..64).map(|i| (i * 3) as u8).collect();
    let b: Vec<u8> = a.iter().map(|&v| v / 2 + 40).collect();
    let d = photo_distance(&standardise(&a), &standardise(&b));
    assert!(d < 0.02, "{d}");
    let negative: Vec<u8> = a.iter().map(|&v| 255 - v).collect();
    let d = photo_distance(&standardise(&a), &standardise(&negative));
    assert!((d - 2.0).abs() < 1e-6, "a negative is at 2: {d}");
    assert!(standardise(&[7; 16]).iter().all(|&v| v == 0.0));
}

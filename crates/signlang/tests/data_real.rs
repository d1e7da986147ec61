//! The real dataset: integrity against SOURCE.md, the check report, and the
//! grouped split.

use sha2::{Digest, Sha256};
use signlang::data::{load_checked, read_bytes, split_by_group, SplitConfig};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// The sha256 of the decompressed CSVs equals the values in data/SOURCE.md.
#[test]
fn decompressed_files_match_source_md() {
    let source = std::fs::read_to_string(data_dir().join("SOURCE.md")).unwrap();
    let line = source
        .lines()
        .find(|l| l.starts_with("| sha256 (uncompressed)"))
        .expect("SOURCE.md has a sha256 (uncompressed) row");
    let hashes: Vec<&str> = line
        .split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s)
        .collect();
    assert_eq!(hashes.len(), 2, "{line}");
    for (file, want) in ["sign_mnist_train.csv.gz", "sign_mnist_test.csv.gz"]
        .iter()
        .zip(hashes)
    {
        let bytes = read_bytes(&data_dir().join(file)).unwrap();
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn real_files_are_clean_with_24_letters() {
    for (file, rows) in [
        ("sign_mnist_train.csv.gz", 27_455),
        ("sign_mnist_test.csv.gz", 7_172),
    ] {
        let (data, report, log) = load_checked(data_dir().join(file), "x").unwrap();
        assert_eq!(report.rows, rows, "{file}");
        assert_eq!(data.len(), rows, "{file}");
        assert!(report.is_clean(), "{file}: {:?}", &report.problems[..3]);
        assert!(log.dropped.is_empty());
        assert!(report.crlf);
        assert_eq!(report.class_counts.iter().filter(|&&n| n > 0).count(), 24);
        if file.contains("test") {
            // From SOURCE.md: A 331, R 144, Y 332.
            assert_eq!(report.class_counts[0], 331);
            assert_eq!(report.class_counts[16], 144);
            assert_eq!(report.class_counts[23], 332);
        }
    }
}

#[test]
fn grouped_split_has_no_leakage_and_is_reproducible() {
    let (test, _, _) = load_checked(data_dir().join("sign_mnist_test.csv.gz"), "test").unwrap();
    let config = SplitConfig::default();
    let a = split_by_group(&test, &config);
    // ~430 source photos of ~20 variants each.
    assert!((380..=500).contains(&a.groups.count), "{}", a.groups.count);
    // No group mixes letters.
    let mut letter_of = vec![None; a.groups.count];
    for (i, &g) in a.groups.group_of.iter().enumerate() {
        let l = test.classes[i];
        assert!(
            letter_of[g as usize].is_none_or(|x| x == l),
            "group {g} mixes letters"
        );
        letter_of[g as usize] = Some(l);
    }
    assert_eq!(a.validation.len() + a.test.len(), test.len());
    assert!(a.validation.len().abs_diff(a.test.len()) < 700);
    // The halves are apart: test images are closer to their own photo's
    // images than to any validation image; a random split mixes them.
    let sep = &a.separation;
    assert!(sep.closer_to_validation < 0.02, "{sep:?}");
    assert!(sep.random_closer_to_validation > 0.3, "{sep:?}");
    assert!(
        sep.to_validation_median > 2.0 * sep.within_group_median,
        "{sep:?}"
    );
    assert_eq!(a.test.groups().len(), a.test.len());
    assert_eq!(a.validation_groups.len(), a.validation.len());
    assert_eq!(a.test.group_count(), a.group_counts.1);
    // Whole groups on one side only.
    let val_rows: std::collections::HashSet<u32> = a.validation.rows.iter().copied().collect();
    let mut side = vec![None; a.groups.count];
    for (i, &g) in a.groups.group_of.iter().enumerate() {
        let in_val = val_rows.contains(&test.rows[i]);
        assert!(
            side[g as usize].is_none_or(|s| s == in_val),
            "group {g} split"
        );
        side[g as usize] = Some(in_val);
    }
    // Same seed, same split; another seed, another split.
    let b = split_by_group(&test, &config);
    assert_eq!(a.validation.rows, b.validation.rows);
    assert_eq!(a.test.fingerprint(), b.test.fingerprint());
    let c = split_by_group(&test, &SplitConfig { seed: 7, ..config });
    assert_ne!(a.validation.rows, c.validation.rows);
}

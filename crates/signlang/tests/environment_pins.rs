//! environment.yml (conda users) and scripts/requirements.txt (scripts/setup.sh)
//! must pin the same Python packages to the same versions.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name==version` or `name=version` → (normalised name, version).
fn pin(s: &str) -> Option<(String, String)> {
    let s = s.trim().trim_start_matches("- ").trim();
    let (name, version) = s.split_once("==").or_else(|| s.split_once('='))?;
    let name = name.trim().to_lowercase().replace('-', "_");
    Some((name, version.trim().to_string()))
}

#[test]
fn conda_environment_and_setup_requirements_agree() {
    let req = std::fs::read_to_string(root().join("scripts/requirements.txt")).unwrap();
    let setup: BTreeMap<String, String> = req
        .lines()
        .filter(|l| !l.trim().starts_with('#'))
        .filter_map(pin)
        .collect();
    let yml = std::fs::read_to_string(root().join("environment.yml")).unwrap();
    let conda: BTreeMap<String, String> = yml
        .lines()
        .filter(|l| l.trim_start().starts_with("- ") && !l.trim_start().starts_with("- pip:"))
        .filter_map(pin)
        .collect();
    assert_eq!(conda.get("python").map(String::as_str), Some("3.11"));
    assert_eq!(setup.get("torch").map(String::as_str), Some("2.13.0"));
    for (name, version) in &setup {
        assert_eq!(
            conda.get(name),
            Some(version),
            "{name}: scripts/requirements.txt pins {version}, environment.yml pins {:?}",
            conda.get(name)
        );
    }
    let extra: Vec<_> = conda
        .keys()
        .filter(|k| *k != "python" && !setup.contains_key(*k))
        .collect();
    assert!(
        extra.is_empty(),
        "pinned only in environment.yml: {extra:?}"
    );
}

//! README's module table lists exactly the library's public modules (`lib.rs`),
//! so a newcomer's map cannot drift from the code.

use std::collections::BTreeSet;
use std::path::Path;

/// The `pub mod` names of `lib.rs`, without the test-only `testing`.
fn library_modules(lib_rs: &str) -> BTreeSet<String> {
    lib_rs
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|l| l.trim_end_matches(';').trim().to_string())
        .filter(|m| m != "testing")
        .collect()
}

/// The backticked names in the first column of README's module table (the
/// table that follows the line starting "The library's modules").
fn readme_modules(readme: &str) -> BTreeSet<String> {
    let mut lines = readme
        .lines()
        .skip_while(|l| !l.starts_with("The library's modules"));
    lines.next();
    lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .filter_map(|row| row.split('|').nth(1))
        .flat_map(|cell| {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(|name| name.trim_end_matches('/').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn readme_module_table_matches_lib_rs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib_rs = std::fs::read_to_string(root.join("src/lib.rs")).unwrap();
    let readme = std::fs::read_to_string(root.join("../../README.md")).unwrap();
    let (code, doc) = (library_modules(&lib_rs), readme_modules(&readme));
    assert!(code.len() > 20, "lib.rs lists {} modules", code.len());
    let missing: Vec<_> = code.difference(&doc).collect();
    let extra: Vec<_> = doc.difference(&code).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README's module table: missing {missing:?}, not in lib.rs {extra:?}"
    );
}

#[test]
fn a_table_without_a_module_is_caught() {
    let readme =
        "x\n\nThe library's modules:\n\n| module | does |\n|---|---|\n| `data/`, `model` | a |\n";
    let found = readme_modules(readme);
    assert_eq!(found, ["data", "model"].map(String::from).into());
    let code = library_modules("pub mod data;\npub mod model;\npub mod plots;\n");
    assert_ne!(found, code, "a module missing from the table must differ");
}

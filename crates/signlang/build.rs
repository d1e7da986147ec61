//! Hashes the library's own source and the workspace's `Cargo.lock` at build
//! time into `SIGNLANG_LIBRARY_HASH`, part of every cache key
//! (`signlang::cache`): a change to the code or a dependency makes every
//! cached result compute afresh.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files = Vec::new();
    files_under(&root.join("src"), &mut files);
    files.sort();
    files.push(root.join("Cargo.toml"));
    files.push(root.join("../../Cargo.lock"));
    let mut hasher = DefaultHasher::new();
    for path in &files {
        let name = path.strip_prefix(&root).unwrap_or(path).to_string_lossy();
        let bytes = std::fs::read(path).unwrap_or_default();
        hasher.write_usize(name.len());
        hasher.write(name.as_bytes());
        hasher.write_usize(bytes.len());
        hasher.write(&bytes);
    }
    println!(
        "cargo:rustc-env=SIGNLANG_LIBRARY_HASH={:016x}",
        hasher.finish()
    );
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.toml");
    println!("cargo:rerun-if-changed=../../Cargo.lock");
}

//! Results kept on disk, keyed by everything they depend on, so that a
//! re-run answers at once.
//!
//! A walkthrough re-runs cells that evaluate unchanged models on unchanged
//! data. Each such result is computed once and stored as JSON in a cache
//! folder (a study's `cache/`, [`crate::study::Study::cache`]). Its [`Key`]
//! hashes the evaluation's name, every input it was given (weights
//! checksum, data fingerprint, parameters) and the library's own source and
//! `Cargo.lock` ([`LIBRARY_HASH`], taken at build time): a change to any of
//! them is a different key, so a stale result cannot be read back.
//!
//! A missing or damaged entry is computed afresh; a failed write is
//! reported on standard error and the result is still returned. Set
//! `SIGNLANG_CACHE=off` to compute everything (for timings).

use std::path::{Path, PathBuf};

use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};

/// Hash of the library's source files and the workspace's `Cargo.lock`,
/// taken when the library was built (`build.rs`).
pub const LIBRARY_HASH: &str = env!("SIGNLANG_LIBRARY_HASH");

/// Environment variable that turns the cache off when set to `off`.
pub const CACHE_ENV: &str = "SIGNLANG_CACHE";

/// What a cached result depends on, hashed (SHA-256). Built with
/// [`Key::new`] and one [`Key::with`] per input.
#[derive(Clone, Debug)]
pub struct Key {
    what: String,
    hasher: Sha256,
    /// An input could not be written as JSON: the key names nothing for
    /// sure, so its result is computed and never stored.
    unusable: bool,
}

impl Key {
    /// A key for the evaluation named `what` (a short file-name-safe word,
    /// e.g. `robustness-validation`), under this build of the library.
    pub fn new(what: &str) -> Key {
        let mut key = Key {
            what: what
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect(),
            hasher: Sha256::new(),
            unusable: false,
        };
        key.bytes(LIBRARY_HASH.as_bytes());
        key.bytes(what.as_bytes());
        key
    }

    /// Adds one input, as its JSON form. An input that cannot be written
    /// as JSON makes the key unusable: its result is always computed.
    pub fn with(mut self, input: &impl Serialize) -> Key {
        match serde_json::to_vec(input) {
            Ok(json) => self.bytes(&json),
            Err(_) => self.unusable = true,
        }
        self
    }

    /// Adds one input given as raw bytes (pixels, a file's content).
    pub fn with_bytes(mut self, bytes: &[u8]) -> Key {
        self.bytes(bytes);
        self
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.hasher.update((bytes.len() as u64).to_le_bytes());
        self.hasher.update(bytes);
    }

    /// The entry's file name: `<what>-<first 16 hex digits>.json`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.json", self.what, self.digest())
    }

    /// The first 16 hex digits of the hash of everything added.
    pub fn digest(&self) -> String {
        let digest = self.hasher.clone().finalize();
        digest[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// A folder of cached results ([`Cache::at`]), or none ([`Cache::off`]).
#[derive(Clone, Debug)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// A cache in `dir` (created on the first write); off when the
    /// environment sets `SIGNLANG_CACHE=off`.
    pub fn at(dir: impl AsRef<Path>) -> Cache {
        let off = std::env::var(CACHE_ENV).is_ok_and(|v| v.eq_ignore_ascii_case("off"));
        Cache {
            dir: (!off).then(|| dir.as_ref().to_path_buf()),
        }
    }

    /// No cache: every result is computed.
    pub fn off() -> Cache {
        Cache { dir: None }
    }

    /// Whether results are kept (a folder is set and the environment does
    /// not turn the cache off).
    pub fn is_on(&self) -> bool {
        self.dir.is_some()
    }

    /// Where the entry of `key` lives (`None` when the cache is off).
    pub fn path(&self, key: &Key) -> Option<PathBuf> {
        let dir = self.dir.as_ref().filter(|_| !key.unusable)?;
        Some(dir.join(key.file_name()))
    }

    /// The stored result of `key`, if there is a readable one.
    /// A damaged entry is reported on standard error and reads as none.
    pub fn get<T: DeserializeOwned>(&self, key: &Key) -> Option<T> {
        let path = self.path(key)?;
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            Err(e) => {
                eprintln!(
                    "cache: {} is unreadable ({e}); computing afresh",
                    path.display()
                );
                None
            }
        }
    }

    /// Stores `value` under `key` (written to a temporary file, then
    /// renamed, so a reader never sees half an entry). A failure is
    /// reported on standard error: the cache only saves time.
    pub fn put<T: Serialize>(&self, key: &Key, value: &T) {
        let Some(path) = self.path(key) else { return };
        let written = (|| -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().expect("a cache entry has a folder"))?;
            let tmp = path.with_extension(format!("tmp{}", std::process::id()));
            std::fs::write(
                &tmp,
                serde_json::to_vec(value).map_err(std::io::Error::other)?,
            )?;
            std::fs::rename(&tmp, &path)
        })();
        if let Err(e) = written {
            eprintln!(
                "cache: could not write {} ({e}); the result is not kept",
                path.display()
            );
        }
    }

    /// The stored result of `key`, or `compute`'s, which is then stored.
    pub fn get_or_compute<T, E>(
        &self,
        key: &Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
    {
        if let Some(value) = self.get(key) {
            return Ok(value);
        }
        let value = compute()?;
        self.put(key, &value);
        Ok(value)
    }

    /// [`Cache::get_or_compute`] with a key built only when the cache is
    /// on: keys that hash whole data sets or folders cost nothing when off.
    pub fn get_or_compute_lazy<T, E>(
        &self,
        key: impl FnOnce() -> Key,
        compute: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
    {
        if !self.is_on() {
            return compute();
        }
        self.get_or_compute(&key(), compute)
    }
}

/// The cache of computations outside a study (nearest neighbours, close
/// pairs, photo folders, adapted models' scores): `$SIGNLANG_ROOT/runs/cache/`, on only when `SIGNLANG_ROOT`
/// is set (the notebook kernel sets it), so tests and library users write
/// nothing unasked.
pub fn data_cache() -> Cache {
    match std::env::var_os("SIGNLANG_ROOT") {
        Some(root) => Cache::at(Path::new(&root).join("runs").join("cache")),
        None => Cache::off(),
    }
}

/// SHA-256 (first 16 hex digits) of every file under `dir`, by relative
/// name and content, in name order: a key input for a folder of photos or
/// an export. An unreadable folder hashes as empty.
pub fn folder_checksum(dir: &Path) -> String {
    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                files_under(&path, out);
            } else {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    files_under(dir, &mut files);
    files.sort();
    let mut key = Key::new("folder");
    for path in &files {
        let name = path.strip_prefix(dir).unwrap_or(path).to_string_lossy();
        key = key
            .with_bytes(name.as_bytes())
            .with_bytes(&std::fs::read(path).unwrap_or_default());
    }
    key.digest()
}

/// Serde helpers for an `f64` that may be NaN ("no value", e.g. the accuracy
/// of nothing): NaN is stored as `null`, which JSON has no number for, and
/// read back as NaN. Use with `#[serde(with = "crate::cache::nan_as_null")]`.
pub mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes NaN as `null`, any other value as a number.
    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*value)
        }
    }

    /// Reads `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(cache: &Cache, key: &Key, calls: &mut u32, value: u32) -> u32 {
        cache
            .get_or_compute(key, || {
                *calls += 1;
                Ok::<_, String>(value)
            })
            .unwrap()
    }

    #[test]
    fn a_result_is_computed_once_per_key() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::new("demo").with(&"weights-a").with(&3u8);
        let mut calls = 0;
        assert_eq!(counted(&cache, &key, &mut calls, 7), 7);
        assert_eq!(counted(&cache, &key, &mut calls, 8), 7, "read back");
        assert_eq!(calls, 1);
        // Any changed input is another key, computed afresh.
        for other in [
            Key::new("demo").with(&"weights-b").with(&3u8),
            Key::new("demo").with(&"weights-a").with(&4u8),
            Key::new("other").with(&"weights-a").with(&3u8),
            Key::new("demo").with_bytes(b"weights-a").with(&3u8),
        ] {
            assert_ne!(other.file_name(), key.file_name());
            assert_eq!(counted(&cache, &other, &mut calls, 9), 9);
        }
        assert_eq!(calls, 5);
    }

    #[test]
    fn a_damaged_entry_is_computed_afresh_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::new("demo").with(&1u8);
        std::fs::write(cache.path(&key).unwrap(), b"{not json").unwrap();
        let mut calls = 0;
        assert_eq!(counted(&cache, &key, &mut calls, 5), 5);
        assert_eq!(cache.get::<u32>(&key), Some(5));
        assert_eq!(calls, 1);
    }

    #[test]
    fn errors_are_not_cached_and_off_computes_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let key = Key::new("demo");
        let failed: Result<u32, String> = cache.get_or_compute(&key, || Err("no".into()));
        assert!(failed.is_err());
        assert_eq!(cache.get::<u32>(&key), None);
        let off = Cache::off();
        let mut calls = 0;
        counted(&off, &key, &mut calls, 1);
        counted(&off, &key, &mut calls, 1);
        assert_eq!(calls, 2);
    }

    #[test]
    fn a_lazy_key_is_built_only_when_the_cache_is_on() {
        let dir = tempfile::tempdir().unwrap();
        let built = std::cell::Cell::new(0);
        let key = || {
            built.set(built.get() + 1);
            Key::new("lazy")
        };
        let ok = || Ok::<_, String>(4u8);
        assert_eq!(Cache::off().get_or_compute_lazy(key, ok), Ok(4));
        assert_eq!(built.get(), 0);
        let on = Cache::at(dir.path());
        assert_eq!(on.get_or_compute_lazy(key, ok), Ok(4));
        assert_eq!(on.get::<u8>(&Key::new("lazy")), Some(4));
        assert_eq!(built.get(), 1);
    }

    #[test]
    fn an_input_without_a_json_form_is_computed_every_time() {
        use std::collections::HashMap;
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        // JSON object keys must be strings: this map has no JSON form.
        let odd: HashMap<(u8, u8), u8> = HashMap::from([((1, 2), 3)]);
        let key = Key::new("demo").with(&odd);
        assert_eq!(cache.path(&key), None);
        let mut calls = 0;
        counted(&cache, &key, &mut calls, 1);
        counted(&cache, &key, &mut calls, 1);
        assert_eq!(calls, 2);
    }

    #[test]
    fn the_key_names_the_evaluation_and_this_build() {
        let key = Key::new("robustness-validation");
        assert!(key.file_name().starts_with("robustness-validation-"));
        assert_eq!(LIBRARY_HASH.len(), 16);
        let unsafe_name = Key::new("../x y");
        assert!(
            unsafe_name.file_name().starts_with("xy-"),
            "{}",
            unsafe_name.file_name()
        );
    }
}

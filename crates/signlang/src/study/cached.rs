//! The study's cache of evaluations ([`crate::cache`]): `<study>/cache/`,
//! each entry keyed by the run's key and the checksum of its weights file;
//! and what an export wrote, so that [`super::LoadedRun::export`] writes
//! again only when something changed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Study, StudyError};
use crate::cache::{Cache, Key};
use crate::export::ExportInfo;

/// SHA-256 of a file ([`crate::weights::file_sha256`]); `None` when unreadable.
fn file_checksum(path: &Path) -> Option<String> {
    crate::weights::file_sha256(path).ok()
}

/// The cache folder's name inside a study folder.
pub const CACHE_DIR: &str = "cache";

impl Study {
    /// The cache of this study's evaluations (`<dir>/cache`; off when
    /// `SIGNLANG_CACHE=off`).
    pub fn cache(&self) -> Cache {
        Cache::at(self.dir().join(CACHE_DIR))
    }

    /// A cache key for the evaluation `what` of run `id`: its run key (model,
    /// configuration, data) and the SHA-256 of its weights file. Add the
    /// evaluation's own inputs with [`Key::with`].
    pub fn cache_key(&self, what: &str, id: &str) -> Result<Key, StudyError> {
        let entry = self.get(id)?;
        let weights = file_checksum(&self.weights_path(id)?);
        Ok(Key::new(what)
            .with(&entry.key)
            .with(&weights)
            .with(&entry.spec))
    }
}

/// An export as written: what [`export_model_with`] returned and the
/// checksum of each file it wrote.
#[derive(Serialize, Deserialize)]
pub(super) struct WrittenExport {
    pub(super) info: ExportInfo,
    checksums: Vec<Option<String>>,
}

impl WrittenExport {
    pub(super) fn of(info: ExportInfo) -> WrittenExport {
        let checksums = info.files.iter().map(|f| file_checksum(f)).collect();
        WrittenExport { info, checksums }
    }

    /// Every file is still there, unchanged.
    pub(super) fn intact(&self) -> bool {
        let now = self.info.files.iter().map(|f| file_checksum(f));
        now.eq(self.checksums.iter().cloned()) && self.checksums.iter().all(Option::is_some)
    }

    /// Where each file's copy is kept: `<cache entry>.files/<name>`.
    fn copies(&self, stash: &Path) -> Vec<PathBuf> {
        let name = |f: &PathBuf| f.file_name().map(|n| stash.join(n)).unwrap_or_default();
        self.info.files.iter().map(name).collect()
    }

    /// Keeps a copy of every file in `stash`, so that an export overwritten
    /// by another (the app notebook re-exports to the same folder) comes
    /// back by copying; a failure only costs a fresh export later.
    pub(super) fn keep(&self, stash: &Path) {
        let _ = std::fs::create_dir_all(stash);
        for (file, copy) in self.info.files.iter().zip(self.copies(stash)) {
            let _ = std::fs::copy(file, copy);
        }
    }

    /// Copies the kept files back when every copy is unchanged; true when done.
    pub(super) fn restore(&self, stash: &Path) -> bool {
        let copies = self.copies(stash);
        let sound = copies
            .iter()
            .zip(&self.checksums)
            .all(|(c, sum)| sum.is_some() && file_checksum(c) == *sum);
        sound
            && self.info.files.iter().zip(&copies).all(|(file, copy)| {
                file.parent()
                    .is_some_and(|d| std::fs::create_dir_all(d).is_ok())
                    && std::fs::copy(copy, file).is_ok()
            })
            && self.intact()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::TestSplit;
    use crate::onnx::ExportOptions;
    use crate::study::TrainerOutput;
    use crate::testing::{completed, config, dataset, epoch, small_spec};

    /// A study with one run whose weights are a fresh network (seeded).
    fn study_with_run(dir: &Path) -> (Study, String) {
        let (train, val) = (dataset("train", 24, 1), dataset("validation", 24, 2));
        let mut study = Study::create(dir, 3).unwrap();
        let run = study
            .run_with(&small_spec(), &config(1), &train, &val, |s, _, _, _| {
                let _rng = crate::runtime::torch_rng_lock();
                tch::manual_seed(1);
                let vs = tch::nn::VarStore::new(tch::Device::Cpu);
                let _net = s.build(&vs.root());
                Ok::<_, String>(TrainerOutput {
                    history: completed(vec![epoch(1, 0.5, 1e-3)]),
                    weights: Some(vs),
                })
            })
            .unwrap();
        (study, run.entry.id)
    }

    fn entries(study: &Study, what: &str) -> usize {
        let dir = study.dir().join(CACHE_DIR);
        std::fs::read_dir(dir)
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().starts_with(what))
                    .count()
            })
            .unwrap_or(0)
    }

    #[test]
    fn a_cached_test_evaluation_is_the_same_and_still_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let (mut study, id) = study_with_run(dir.path());
        let test = TestSplit::seal(dataset("test", 30, 3));
        let first = study.evaluate_on_test(&id, &test).unwrap();
        let again = study.evaluate_on_test(&id, &test).unwrap();
        assert_eq!(first, again, "read back exactly, probabilities included");
        assert_eq!(entries(&study, "test-predictions-"), 1);
        assert_eq!(study.test_touches().len(), 2, "every look is a touch");

        // Other test data is another key.
        let other = TestSplit::seal(dataset("test", 30, 4));
        study.evaluate_on_test(&id, &other).unwrap();
        assert_eq!(entries(&study, "test-predictions-"), 2);
    }

    #[test]
    fn a_loaded_run_keeps_its_evaluations_and_names_itself_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (study, id) = study_with_run(dir.path());
        let validation = dataset("validation", 24, 5);
        let run = study.load(&id).unwrap();
        let first = run.evaluate_on(&validation).unwrap();
        let again = study.load(&id).unwrap().evaluate_on(&validation).unwrap();
        assert_eq!(first.predicted, again.predicted);
        assert_eq!(entries(&study, "predicted-classes-"), 1);
        run.evaluate_on(&dataset("other", 24, 6)).unwrap();
        assert_eq!(entries(&study, "predicted-classes-"), 2);
        // Unreadable weights: the error names the run and its file.
        std::fs::write(study.weights_path(&id).unwrap(), b"").unwrap();
        let err = study
            .load(&id)
            .unwrap()
            .evaluate_on(&validation)
            .unwrap_err();
        assert!(err.to_string().contains(&id), "{err}");
        assert!(study.load("r999").is_err(), "no such run");
    }

    #[test]
    fn changed_weights_are_evaluated_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let (mut study, id) = study_with_run(dir.path());
        let test = TestSplit::seal(dataset("test", 30, 3));
        let before = study.evaluate_on_test(&id, &test).unwrap();
        // Replace the weights file with another network's.
        let vs = tch::nn::VarStore::new(tch::Device::Cpu);
        tch::manual_seed(2);
        let _net = small_spec().build(&vs.root());
        vs.save(study.weights_path(&id).unwrap()).unwrap();
        let after = study.evaluate_on_test(&id, &test).unwrap();
        assert_eq!(entries(&study, "test-predictions-"), 2);
        assert_ne!(before.probabilities, after.probabilities);
    }

    #[test]
    fn an_unchanged_export_is_not_written_again() {
        let dir = tempfile::tempdir().unwrap();
        let (study, id) = study_with_run(dir.path());
        let out = dir.path().join("export");
        let options = ExportOptions {
            onnx: false,
            ..Default::default()
        };
        let first = study.load(&id).unwrap().export(&out, &options).unwrap();
        let model = out.join("model.pt");
        let written_at = std::fs::metadata(&model).unwrap().modified().unwrap();
        let again = study.load(&id).unwrap().export(&out, &options).unwrap();
        assert_eq!(first, again);
        assert_eq!(
            std::fs::metadata(&model).unwrap().modified().unwrap(),
            written_at
        );
        // A damaged or overwritten file comes back from the cache's copy.
        let exported = std::fs::read(&model).unwrap();
        std::fs::write(&model, b"overwritten").unwrap();
        assert_eq!(
            study.load(&id).unwrap().export(&out, &options).unwrap(),
            first
        );
        assert_eq!(std::fs::read(&model).unwrap(), exported);
        // Without the copies, it is exported afresh.
        std::fs::remove_dir_all(dir.path().join(CACHE_DIR)).unwrap();
        std::fs::write(&model, b"overwritten").unwrap();
        study.load(&id).unwrap().export(&out, &options).unwrap();
        assert_eq!(std::fs::read(&model).unwrap(), exported);
    }

    #[test]
    fn probabilities_survive_the_json_round_trip_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let values: Vec<f32> = (0..200_000)
            .map(|_| f32::from_bits(rng.random::<u32>() & 0x3fff_ffff))
            .chain([0.0, 1.0, f32::MIN_POSITIVE, 1e-45, 0.999_999_94])
            .collect();
        let back: Vec<f32> = serde_json::from_slice(&serde_json::to_vec(&values).unwrap()).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back), bits(&values));
    }
}

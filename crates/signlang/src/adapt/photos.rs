//! A labelled photo folder as a [`Dataset`] with the source photo of each
//! image: the letter is the first character of the name, the source photo
//! the name up to its last `_` when the name has two (`A_11_2.jpg` is
//! version 2 of source photo `A_11`; `A_1.jpg` is its own source photo).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::AdaptError;
use crate::data::{Dataset, PIXELS};
use crate::letters::{class_of_letter, letter, NUM_CLASSES};

/// Labelled photos, 28×28 as the export's contract says
/// ([`crate::infer::preprocess`]), with their source photos.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Photos {
    /// The folder they came from.
    pub dir: PathBuf,
    /// The images (named after the folder) and their classes.
    pub data: Dataset,
    /// Source-photo group of each image (an index into `group_names`).
    pub groups: Vec<u32>,
    /// Name of each source photo (`A_11`), sorted.
    pub group_names: Vec<String>,
    /// The file of each image.
    pub files: Vec<PathBuf>,
}

/// The letter class and source-photo name of a file name, or why not.
pub fn parse_name(path: &Path) -> Result<(u8, String), AdaptError> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let first = stem.chars().next().unwrap_or('?');
    let class = match first.to_ascii_uppercase() {
        'J' | 'Z' => None,
        c => class_of_letter(c),
    }
    .ok_or_else(|| AdaptError::UnknownLetter {
        path: path.to_path_buf(),
        found: first,
    })?;
    let group = match stem.rsplit_once('_') {
        Some((head, _)) if head.contains('_') => head,
        _ => stem,
    };
    Ok((class, group.to_ascii_uppercase()))
}

/// Loads every `.jpg`, `.jpeg` and `.png` of `dir` (sorted by name). Kept
/// in [`crate::cache::data_cache`] when it is on, keyed by every file.
pub fn load_photos(dir: impl AsRef<Path>) -> Result<Photos, AdaptError> {
    let dir = dir.as_ref();
    let key = || {
        let key = crate::cache::Key::new("photos").with(&dir);
        key.with(&crate::cache::folder_checksum(dir))
    };
    crate::cache::data_cache().get_or_compute_lazy(key, || load_photos_uncached(dir))
}

fn load_photos_uncached(dir: &Path) -> Result<Photos, AdaptError> {
    let files = crate::field::list_images(dir).map_err(|e| AdaptError::Folder {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    if files.is_empty() {
        return Err(AdaptError::EmptyFolder {
            dir: dir.to_path_buf(),
        });
    }
    let mut pixels = Vec::with_capacity(files.len() * PIXELS);
    let (mut classes, mut names) = (Vec::new(), Vec::new());
    for file in &files {
        let (class, group) = parse_name(file)?;
        let image = crate::infer::preprocess_image(file).map_err(|e| AdaptError::Unreadable {
            path: file.clone(),
            reason: match e {
                crate::infer::InferError::Image { reason, .. } => reason,
                other => other.to_string(),
            },
        })?;
        pixels.extend_from_slice(&image);
        classes.push(class);
        names.push(group);
    }
    let index: BTreeMap<&String, u32> = names
        .iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .enumerate()
        .map(|(i, n)| (n, i as u32))
        .collect();
    let groups = names.iter().map(|n| index[n]).collect();
    let group_names = index.keys().map(|n| n.to_string()).collect();
    let name = dir
        .file_name()
        .map_or("photos".into(), |n| n.to_string_lossy().into_owned());
    let rows = (1..=files.len() as u32).collect();
    let data = Dataset {
        name,
        pixels,
        classes,
        rows,
    };
    Ok(Photos {
        dir: dir.to_path_buf(),
        data,
        groups,
        group_names,
        files,
    })
}

impl Photos {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when there are no images.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The source photos of each letter (group ids, ascending).
    pub fn groups_by_letter(&self) -> Vec<Vec<u32>> {
        let mut by = vec![std::collections::BTreeSet::new(); NUM_CLASSES];
        for (&c, &g) in self.data.classes.iter().zip(&self.groups) {
            by[c as usize].insert(g);
        }
        by.into_iter().map(|s| s.into_iter().collect()).collect()
    }

    /// Fails with [`AdaptError::TooFew`] naming the first letter with fewer
    /// than `needed` source photos (`why` says what they are needed for).
    pub fn require(&self, needed: usize, why: &str) -> Result<(), AdaptError> {
        for (c, groups) in self.groups_by_letter().iter().enumerate() {
            if groups.len() < needed {
                return Err(AdaptError::TooFew {
                    dir: self.dir.clone(),
                    letter: letter(c as u8),
                    found: groups.len(),
                    needed,
                    why: why.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The images of the source photos in `groups` (any order), as a data
    /// set named `name`, with their group ids.
    pub fn select(&self, name: &str, groups: &[u32]) -> (Dataset, Vec<u32>) {
        let keep: std::collections::HashSet<u32> = groups.iter().copied().collect();
        let idx: Vec<usize> = (0..self.len())
            .filter(|&i| keep.contains(&self.groups[i]))
            .collect();
        let ids = idx.iter().map(|&i| self.groups[i]).collect();
        (self.data.subset(name, &idx), ids)
    }
}

//! The study's recorded choices: which run a named decision picked (for
//! example `"app"`, the model exported for apps), kept in `choices.json` in
//! the study folder so a second notebook reads the decision instead of
//! making it again.

use std::collections::BTreeMap;

use super::files::write_atomic;
use super::{Study, StudyError};

/// File name of the recorded choices in the study folder.
pub const CHOICES_FILE: &str = "choices.json";

impl Study {
    /// Records that decision `name` picked run `id` (which must be in the
    /// ledger); recording the same choice again changes nothing.
    pub fn record_choice(&self, name: &str, id: &str) -> Result<(), StudyError> {
        self.get(id)?;
        let mut choices = self.choices()?;
        if choices.get(name).map(String::as_str) == Some(id) {
            return Ok(());
        }
        choices.insert(name.to_string(), id.to_string());
        let json = serde_json::to_string_pretty(&choices).expect("a map of strings serialises");
        write_atomic(&self.dir().join(CHOICES_FILE), json.as_bytes())
    }

    /// The run that decision `name` picked, or an error saying which
    /// notebook records it.
    pub fn choice(&self, name: &str) -> Result<String, StudyError> {
        self.choices()?
            .remove(name)
            .ok_or_else(|| StudyError::NoChoice {
                name: name.to_string(),
                path: self.dir().join(CHOICES_FILE),
            })
    }

    fn choices(&self) -> Result<BTreeMap<String, String>, StudyError> {
        let path = self.dir().join(CHOICES_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| StudyError::BadChoices {
                path,
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(source) => Err(StudyError::Io {
                path,
                action: "read",
                source,
            }),
        }
    }
}

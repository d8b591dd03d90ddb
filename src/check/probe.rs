//! Resolving references without an index: by looking for the referred files in
//! the source, the referring object's partition first.

use std::sync::Mutex;

use super::object;
use crate::canonical::ObjectHash;
use crate::document::Format;
use crate::source::{Source, SourceError};
use crate::store::{OBJECTS_DIR, ObjectPath};

/// Resolves references by looking for the files in the source: in the referring
/// object's own partition first, where references usually point, then in every
/// partition of the store.
pub(super) struct Probe<'a> {
    source: &'a dyn Source,
    partition: &'a str,
    error: Mutex<Option<SourceError>>,
}

impl<'a> Probe<'a> {
    pub(super) fn new(source: &'a dyn Source, partition: &'a str) -> Probe<'a> {
        Probe {
            source,
            partition,
            error: Mutex::new(None),
        }
    }

    fn find(&self, store: &str, hash: &ObjectHash) -> Result<bool, SourceError> {
        let dir = format!("{OBJECTS_DIR}/{store}");
        let held_in = |partition: &str| -> Result<bool, SourceError> {
            for format in [Format::Json, Format::Toml] {
                let file = format!("{dir}/{partition}/{hash}.{}", format.extension());
                if self.source.exists(&file)? {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        if held_in(self.partition)? {
            return Ok(true);
        }
        for partition in self.source.dirs(&dir)? {
            if partition != self.partition && held_in(&partition)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The same object in the other format, beside it: two files, one object.
    pub(super) fn twin(&self, path: &ObjectPath) -> Result<Option<String>, SourceError> {
        let other = match path.format {
            Format::Json => Format::Toml,
            Format::Toml => Format::Json,
        };
        let twin = ObjectPath {
            format: other,
            ..path.clone()
        }
        .path();
        Ok(self.source.exists(&twin)?.then_some(twin))
    }

    /// The first read error a lookup met, if any.
    pub(super) fn finish(self) -> Result<(), SourceError> {
        match self.error.into_inner() {
            Ok(Some(error)) => Err(error),
            _ => Ok(()),
        }
    }
}

impl object::Resolve for Probe<'_> {
    fn contains(&self, store: &str, hash: &ObjectHash) -> bool {
        match self.find(store, hash) {
            Ok(found) => found,
            Err(error) => {
                if let Ok(mut first) = self.error.lock() {
                    first.get_or_insert(error);
                }
                // Reported as the read error it is, not as a dangling reference.
                true
            }
        }
    }
}

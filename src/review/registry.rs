//! The registry section: component files and version maps a change adds or edits.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{FileChange, MovedTag, RegistryKind, RegistryReview, TagEntry};
use super::{ReviewError, Reviewer};
use crate::bump::{self, Shape};
use crate::document::{self, Format};
use crate::kinds::component::RegistryFile;
use crate::source::{ChangeKind, Content, Source, SourceError};

impl Reviewer<'_> {
    /// The registry files the change touches, entry by entry.
    pub(super) fn registry(&self) -> Result<Vec<RegistryReview>, ReviewError> {
        let mut reviews = Vec::new();
        for change in self.changes {
            let Some(file) = RegistryFile::parse(&change.path) else {
                continue;
            };
            let before = match self.base_files {
                Some(base) => read_toml(base, &change.path)?,
                None => None,
            };
            let after = read_toml(self.source, &change.path)?;
            let change_kind = match change.kind {
                ChangeKind::Added => FileChange::Added,
                ChangeKind::Modified => FileChange::Modified,
                ChangeKind::Deleted => FileChange::Deleted,
            };
            let null = Value::Null;
            let (component, kind) = match &file {
                RegistryFile::Component(name) => (name.clone(), RegistryKind::Component),
                RegistryFile::Versions(name) => (name.clone(), RegistryKind::Versions),
            };
            let mut review = RegistryReview {
                file: change.path.clone(),
                component,
                kind,
                change: change_kind,
                fields: Vec::new(),
                tags_added: Vec::new(),
                tags_removed: Vec::new(),
                tags_moved: Vec::new(),
            };
            match kind {
                // An added or removed definition is the whole file; a change
                // lists its fields.
                RegistryKind::Component if change_kind == FileChange::Modified => {
                    review.fields = bump::reasons(
                        before.as_ref().unwrap_or(&null),
                        after.as_ref().unwrap_or(&null),
                        Shape {
                            ignored: &[],
                            keyed: &[("/rules", "pattern")],
                        },
                    );
                }
                RegistryKind::Component => {}
                RegistryKind::Versions => {
                    let old = tag_entries(before.as_ref());
                    let new = tag_entries(after.as_ref());
                    let old_tags: BTreeMap<&str, &TagEntry> =
                        old.iter().map(|e| (e.tag.as_str(), e)).collect();
                    let mut new_tags: BTreeMap<&str, &TagEntry> = BTreeMap::new();
                    for entry in &new {
                        // A tag recorded again with another digest moved inside the
                        // file itself.
                        if let Some(first) = new_tags.get(entry.tag.as_str())
                            && first.digest != entry.digest
                        {
                            review.tags_moved.push(MovedTag {
                                tag: entry.tag.clone(),
                                from: first.digest.clone(),
                                to: entry.digest.clone(),
                            });
                            continue;
                        }
                        new_tags.entry(&entry.tag).or_insert(entry);
                    }
                    for (tag, entry) in &new_tags {
                        match old_tags.get(tag) {
                            None => review.tags_added.push((*entry).clone()),
                            Some(was) if was.digest != entry.digest => {
                                review.tags_moved.push(MovedTag {
                                    tag: (*tag).to_owned(),
                                    from: was.digest.clone(),
                                    to: entry.digest.clone(),
                                });
                            }
                            Some(_) => {}
                        }
                    }
                    review.tags_removed = old_tags
                        .iter()
                        .filter(|(tag, _)| !new_tags.contains_key(*tag))
                        .map(|(_, entry)| (*entry).clone())
                        .collect();
                }
            }
            reviews.push(review);
        }
        Ok(reviews)
    }
}

/// A TOML file's data, or `None` when it is absent or does not parse (the
/// validator reports that).
fn read_toml(source: &dyn Source, path: &str) -> Result<Option<Value>, SourceError> {
    Ok(
        match source.read(path, crate::kinds::component::MAX_FILE_BYTES)? {
            Some(Content::Bytes(bytes)) => document::parse(&bytes, Format::Toml).ok(),
            _ => None,
        },
    )
}

/// A version map's entries, as far as they can be read.
fn tag_entries(map: Option<&Value>) -> Vec<TagEntry> {
    let Some(entries) = map
        .and_then(|m| m.get("versions"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_owned);
            Some(TagEntry {
                tag: text("tag")?,
                digest: text("digest")?,
                semver: text("semver"),
                channel: text("channel"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_maps_are_read_as_far_as_they_go() {
        let map = serde_json::json!({"versions": [
            {"tag": "v1", "digest": "sha256:aa", "semver": "1.0.0", "channel": "stable"},
            {"tag": "v2"},
            {"digest": "sha256:bb"},
        ]});
        let entries = tag_entries(Some(&map));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].tag, "v1");
        assert_eq!(tag_entries(None), Vec::new());
    }
}

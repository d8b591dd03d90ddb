//! Rules of the component registry: each file under `components/` reads, version
//! maps only grow (`tag-moved`, `version-map-edited`), and releases name registered
//! components and digests their version maps record.

use std::collections::HashMap;

use serde_json::Value;

use super::succession::Versioned;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::kinds::component::Registry;
use crate::kinds::component::{self, RegistryFile, VersionEntry};
use crate::kinds::release;
use crate::names;
use crate::source::{Change, ChangeKind, Content, Entry, Refusal, Source, SourceError};
use crate::store::RELEASES;

/// The largest registry file the validator reads.
const MAX_FILE_BYTES: u64 = 8 << 20;

/// Checks the registry files among `entries`: their place, names and content;
/// and gives the registry of those that read.
pub fn check_files(
    source: &dyn Source,
    entries: &[Entry],
) -> Result<(Registry, Vec<Finding>), SourceError> {
    let mut registry = Registry::default();
    let mut findings = Vec::new();
    for entry in entries {
        let path = entry.path.as_str();
        if let Some(refusal) = Refusal::of_entry(entry.kind) {
            findings.push(crate::source::refused(path, &refusal));
            continue;
        }
        let Some(file) = RegistryFile::parse(path) else {
            findings.push(
                Finding::new(Code::BadPath, path, "is not a registry file")
                    .with_help("components/ holds <name>.toml and <name>.versions.toml only"),
            );
            continue;
        };
        let name = file.component();
        if let Err(error) = names::check(name) {
            findings.push(Finding::new(
                Code::BadName,
                path,
                format!("component `{name}`: {error}"),
            ));
            continue;
        }
        let bytes = match source.read(path, MAX_FILE_BYTES) {
            Ok(Some(Content::Bytes(bytes))) => bytes,
            Ok(Some(Content::TooLarge { size })) => {
                findings.push(super::object::too_large(path, size, MAX_FILE_BYTES));
                continue;
            }
            Ok(None) => continue,
            Err(error) => match error.finding() {
                Some(finding) => {
                    findings.push(finding);
                    continue;
                }
                None => return Err(error),
            },
        };
        findings.extend(registry.read(&file, path, &bytes));
        if matches!(file, RegistryFile::Versions(_))
            && !source.exists(&component::component_path(name))?
        {
            findings.push(
                Finding::new(
                    Code::UnknownComponent,
                    path,
                    format!("is the version map of `{name}`, which is not registered"),
                )
                .with_help("register it (`berth component add`, with its image repository) or remove the map"),
            );
        }
    }
    Ok((registry, findings))
}

/// The history rule of version maps: every entry the base records is still there,
/// unchanged. A tag with another digest is `tag-moved`, anything else
/// `version-map-edited`.
pub fn history(
    head: &dyn Source,
    base: &dyn Source,
    changes: &[Change],
    base_name: &str,
) -> Result<Vec<Finding>, SourceError> {
    let mut findings = Vec::new();
    for change in changes {
        let Some(RegistryFile::Versions(_)) = RegistryFile::parse(&change.path) else {
            continue;
        };
        if change.kind == ChangeKind::Added {
            continue;
        }
        let path = change.path.as_str();
        let Some(before) = read_map(base, path)? else {
            continue;
        };
        let after = match change.kind {
            ChangeKind::Deleted => Vec::new(),
            _ => match read_map(head, path)? {
                Some(after) => after,
                // Reported as the parse or schema finding it is.
                None => continue,
            },
        };
        if change.kind == ChangeKind::Deleted {
            findings.push(Finding::new(
                Code::VersionMapEdited,
                path,
                format!(
                    "was removed; {base_name} records {} in it",
                    crate::diagnostic::finding::plural(before.len(), "tag")
                ),
            ));
            continue;
        }
        let text = head_text(head, path)?;
        let now: HashMap<&str, (usize, &VersionEntry)> = after
            .iter()
            .enumerate()
            .map(|(index, entry)| (entry.tag.as_str(), (index, entry)))
            .collect();
        for entry in &before {
            match now.get(entry.tag.as_str()) {
                None => findings.push(Finding::new(
                    Code::VersionMapEdited,
                    path,
                    format!(
                        "the entry for tag `{}` ({}) was removed; {base_name} records it",
                        entry.tag, entry.digest
                    ),
                )),
                Some((index, current)) if current.digest != entry.digest => findings.push(
                    Finding::new(
                        Code::TagMoved,
                        path,
                        format!(
                            "tag `{}` now names {}; {base_name} records {}",
                            entry.tag, current.digest, entry.digest
                        ),
                    )
                    .with_label("moved")
                    .at_pointer(
                        &text,
                        crate::document::Format::Toml,
                        &format!("/versions/{index}/digest"),
                    ),
                ),
                Some((index, current)) if current != &entry => findings.push(
                    Finding::new(
                        Code::VersionMapEdited,
                        path,
                        format!(
                            "the entry for tag `{}` was changed; {base_name} records it otherwise",
                            entry.tag
                        ),
                    )
                    .at_pointer(
                        &text,
                        crate::document::Format::Toml,
                        &format!("/versions/{index}"),
                    ),
                ),
                Some(_) => {}
            }
        }
    }
    Ok(findings)
}

fn read_map(source: &dyn Source, path: &str) -> Result<Option<Vec<VersionEntry>>, SourceError> {
    let bytes = match source.read(path, MAX_FILE_BYTES) {
        Ok(Some(Content::Bytes(bytes))) => bytes,
        // A map that is not read is reported as the file it is.
        Ok(_) => return Ok(None),
        Err(error) if error.is_refusal() => return Ok(None),
        Err(error) => return Err(error),
    };
    // A map that does not read here is reported by its own findings; the
    // history rule compares maps that read, entry by entry.
    let map = crate::document::parse(&bytes, crate::document::Format::Toml)
        .ok()
        .and_then(|data| data.get("versions").cloned())
        .and_then(|versions| serde_json::from_value::<Vec<VersionEntry>>(versions).ok());
    Ok(map)
}

fn head_text(source: &dyn Source, path: &str) -> Result<std::sync::Arc<str>, SourceError> {
    let bytes = match source.read(path, MAX_FILE_BYTES) {
        Ok(Some(Content::Bytes(bytes))) => bytes,
        Ok(_) => Vec::new(),
        Err(error) if error.is_refusal() => Vec::new(),
        Err(error) => return Err(error),
    };
    Ok(std::sync::Arc::from(
        String::from_utf8_lossy(&bytes).as_ref(),
    ))
}

/// Releases name registered components, and digests their version maps record
/// (a component without a map is not checked for digests).
pub fn check_releases(registry: &Registry, objects: &[Versioned]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for object in objects.iter().filter(|o| o.in_scope && o.store == RELEASES) {
        let Some(components) = object.data.get("components").and_then(Value::as_array) else {
            continue;
        };
        for (index, item) in components.iter().enumerate() {
            let Some(name) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            let at = format!("/components/{index}");
            if !registry.components.contains_key(name) {
                findings.push(
                    Finding::new(
                        Code::UnknownComponent,
                        &object.file,
                        format!(
                            "component `{name}` is not registered (no {})",
                            component::component_path(name)
                        ),
                    )
                    .with_label("not in the registry")
                    .at_pointer(
                        &object.text,
                        object.format,
                        &format!("{at}/name"),
                    ),
                );
                continue;
            }
            let Some(map) = registry.maps.get(name) else {
                continue;
            };
            let Some(digest) = item.get("digest").and_then(Value::as_str) else {
                continue;
            };
            if release::is_digest(digest) && !map.versions.iter().any(|e| e.records(digest)) {
                findings.push(
                    Finding::new(
                        Code::UnknownDigest,
                        &object.file,
                        format!("`{name}`'s version map does not record {digest}"),
                    )
                    .with_label("not in the version map")
                    .at_pointer(
                        &object.text,
                        object.format,
                        &format!("{at}/digest"),
                    ),
                );
            }
        }
    }
    findings
}

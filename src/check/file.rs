//! Checking one object file: placing every entry under `objects/`, then reading,
//! parsing, hashing and checking each file on its own.

use std::collections::HashMap;

use super::succession::Versioned;
use super::{object, read_versioned};
use crate::canonical::ObjectHash;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document::Format;
use crate::kinds::{Kinds, StoreDef};
use crate::settings::Settings;
use crate::source::{Content, Entry, EntryKind, Source, SourceError};
use crate::store::{CONFIGS, EVENTS, LayoutProblem, OBJECTS_DIR, ObjectPath};

/// Places every entry under `objects/`: the object files to check, and findings for
/// everything that is not one.
pub(super) fn place<'a>(
    entries: &'a [Entry],
    kinds: &Kinds,
) -> (Vec<(&'a Entry, ObjectPath)>, Vec<Finding>) {
    let mut placed = Vec::with_capacity(entries.len());
    let mut findings = Vec::new();
    let mut seen: HashMap<(String, crate::canonical::ObjectHash), &str> = HashMap::new();
    for entry in entries {
        let file = entry.path.as_str();
        match entry.kind {
            EntryKind::Symlink => {
                findings.push(
                    Finding::new(
                        Code::BadPath,
                        file,
                        "is a symlink; objects are regular files",
                    )
                    .with_help("replace the link with the object file itself, or remove it"),
                );
                continue;
            }
            EntryKind::Other => {
                findings.push(Finding::new(Code::BadPath, file, "is not a regular file"));
                continue;
            }
            EntryKind::File => {}
        }
        let path = match ObjectPath::parse(file) {
            Ok(path) => path,
            Err(LayoutProblem::BadPath(message)) => {
                findings.push(Finding::new(Code::BadPath, file, message));
                continue;
            }
            Err(LayoutProblem::BadName(message)) => {
                findings.push(Finding::new(Code::BadName, file, message));
                continue;
            }
        };
        match kinds.get(&path.store) {
            None => {
                findings.push(
                    Finding::new(Code::BadPath, file, format!("`{}` is not a store", path.store)).with_help(format!(
                        "declare [stores.{}] in berth.toml, or move the file to the store it belongs to",
                        path.store
                    )),
                );
                continue;
            }
            Some(StoreDef::External) => {
                findings.push(
                    Finding::new(
                        Code::BadPath,
                        file,
                        format!("`{}` is an external store: its objects live outside the repository", path.store),
                    )
                    .with_help("remove the file, or drop `external = true` to hold the store's objects here"),
                );
                continue;
            }
            Some(StoreDef::Held(_)) => {}
        }
        if let Some(first) = seen.insert((path.store.clone(), path.hash), file) {
            findings.push(same_object(file, first));
            continue;
        }
        placed.push((entry, path));
    }
    (placed, findings)
}

pub(super) fn same_object(file: &str, first: &str) -> Finding {
    Finding::new(
        Code::BadPath,
        file,
        format!("is the same object as `{first}`"),
    )
    .with_help("an object is stored once; remove this copy")
}

/// Checks one object file: size, parse, identity, partition and its kind's checks.
///
/// Severities are not yet applied (see [`super::apply_severities`]).
pub fn check_file(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    resolver: &dyn object::Resolve,
    file: &str,
    path: &ObjectPath,
) -> Result<Vec<Finding>, SourceError> {
    Ok(check_entry(source, settings, kinds, resolver, file, path)?.0)
}

/// What checking one object file gives: its findings, and the object when the
/// rules across its package need it.
pub(super) type CheckedFile = (Vec<Finding>, Option<Versioned>);

/// Checks one object file, and reads it for the rules across its package when its
/// kind has a version.
pub(super) fn check_entry(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    resolver: &dyn object::Resolve,
    file: &str,
    path: &ObjectPath,
) -> Result<CheckedFile, SourceError> {
    let limit = settings.max_object_bytes();
    let read = match source.read(file, limit) {
        Ok(read) => read,
        // Listed as a file, refused when read (below a linked directory, or
        // swapped for a link since): the finding it is, not a failed run.
        Err(error) => match error.finding() {
            Some(finding) => return Ok((vec![finding], None)),
            None => return Err(error),
        },
    };
    let bytes = match read {
        Some(Content::Bytes(bytes)) => bytes,
        Some(Content::TooLarge { size }) => {
            return Ok((vec![object::too_large(file, size, limit)], None));
        }
        None => return Ok((Vec::new(), None)),
    };
    let mut findings = check_bytes(kinds, resolver, file, path, &bytes);
    if path.store == EVENTS {
        findings.extend(event_package(source, resolver, file, path.format, &bytes)?);
    }
    let versioned = kinds
        .held(&path.store)
        .filter(|kind| kind.version_pointer().is_some() || path.store == CONFIGS)
        .and_then(|_| read_versioned(file, path, &bytes, true));
    Ok((findings, versioned))
}

/// Checks an object file's bytes as the validator does: parse, identity against
/// the name, partition, and its kind's schema, rules and references.
pub fn check_bytes(
    kinds: &Kinds,
    resolver: &dyn object::Resolve,
    file: &str,
    path: &ObjectPath,
    bytes: &[u8],
) -> Vec<Finding> {
    let (data, hash) = match crate::store::read_object(file, bytes, path.format) {
        Ok(read) => read,
        Err(finding) => return vec![*finding],
    };
    let mut findings = Vec::new();
    if hash != path.hash {
        findings.push(
            Finding::new(
                Code::HashMismatch,
                file,
                format!(
                    "the data hashes to {hash}, not to the {} its name claims",
                    path.hash.short(12)
                ),
            )
            .with_label("edited after it was written"),
        );
    }
    let Some(kind) = kinds.held(&path.store) else {
        return findings;
    };
    let checked = object::check_object(
        kind.as_ref(),
        kinds,
        resolver,
        file,
        bytes,
        path.format,
        &data,
    );
    if let Some(partition) = &checked.partition
        && *partition != path.partition
    {
        findings.push(
            Finding::new(
                Code::BadPath,
                file,
                format!(
                    "belongs in partition `{partition}`, not `{}`",
                    path.partition
                ),
            )
            .with_help(format!(
                "move it to {OBJECTS_DIR}/{}/{partition}/, or let `berth put` place it",
                path.store
            )),
        );
    }
    findings.extend(checked.findings);
    findings
}

/// An event's subject must be in the event's package: statuses are read from the
/// events of the subject's own package, so an event filed under another package
/// would never count (a `failed` that production does not see).
pub fn event_package(
    source: &dyn Source,
    resolver: &dyn object::Resolve,
    file: &str,
    format: Format,
    bytes: &[u8],
) -> Result<Option<Finding>, SourceError> {
    let Ok((data, _)) = crate::store::read_object(file, bytes, format) else {
        return Ok(None);
    };
    let text = |key: &str| data.get(key).and_then(serde_json::Value::as_str);
    let (Some(subject), Some(package)) = (text("subject"), text("package")) else {
        return Ok(None);
    };
    let Some((store, hash)) = subject.split_once('/') else {
        return Ok(None);
    };
    let Ok(parsed) = hash.parse::<ObjectHash>() else {
        return Ok(None);
    };
    // A subject that is nowhere is the dangling reference it is reported as.
    if crate::names::check(package).is_err() || !resolver.contains(store, &parsed) {
        return Ok(None);
    }
    for candidate in [Format::Json, Format::Toml] {
        let path = format!(
            "{OBJECTS_DIR}/{store}/{package}/{hash}.{}",
            candidate.extension()
        );
        if source.exists(&path)? {
            return Ok(None);
        }
    }
    let text = shown_text(bytes);
    Ok(Some(
        Finding::new(
            Code::Schema,
            file,
            format!("the subject `{subject}` is not an object of package `{package}`"),
        )
        .with_label("not the subject's package")
        .with_help("set `package` to the subject's package: its status is read from the events of that package")
        .at_pointer(&text, format, "/package"),
    ))
}

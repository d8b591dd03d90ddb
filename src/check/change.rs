//! Validating a change: the history rules over what changed since a base, which
//! objects the change touches, and the neighbours the rules across objects compare
//! them with (read in parallel).

use std::collections::{BTreeSet, HashSet};
use std::time::Duration;

use rayon::prelude::*;

use super::succession::Versioned;
use super::{
    CheckedFile, Probe, Progress, ValidateError, Validation, across_objects, apply_severities,
    check_entry, configs, place, registry, same_object,
};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::kinds::Kinds;
use crate::kinds::component::{self, Registry, RegistryFile};
use crate::settings::FILE as SETTINGS_FILE;
use crate::settings::Settings;
use crate::source::{Change, ChangeKind, Content, Entry, Source, SourceError};
use crate::store::{CONFIGS, OBJECTS_DIR, ObjectPath, RELEASES};

/// The history rules: an object on the base may be neither changed nor removed.
pub fn history(changes: &[Change], base: &str) -> Vec<Finding> {
    changes
        .iter()
        .filter(|change| ObjectPath::parse(&change.path).is_ok())
        .filter_map(|change| match change.kind {
            ChangeKind::Added => None,
            ChangeKind::Modified => Some(Finding::new(
                Code::ObjectModified,
                &change.path,
                format!("was changed; {base} has this object with other content"),
            )),
            ChangeKind::Deleted => Some(Finding::new(
                Code::ObjectDeleted,
                &change.path,
                format!("was removed; {base} has this object"),
            )),
        })
        .collect()
}

/// What a change adds or alters: object files and registry files.
#[derive(Debug, Default)]
pub(super) struct Scope {
    objects: Vec<Entry>,
    registry: Vec<Entry>,
}

/// The object and registry files a change adds or alters, or `None` when the
/// change can affect every object: it touches berth.toml or a store's schema, or
/// removes an object or a component that others may refer to. No change at all is
/// checked in full too: there is nothing narrower to check, and a hook run on a
/// clean index (`pre-commit run --all-files` in CI) must still check the
/// repository.
pub(super) fn changed_objects(settings: &Settings, changes: &[Change]) -> Option<Scope> {
    if changes.is_empty() {
        return None;
    }
    let schemas: Vec<&str> = settings
        .stores()
        .values()
        .filter_map(|store| store.schema.as_deref())
        .collect();
    let prefix = format!("{OBJECTS_DIR}/");
    let registry_prefix = format!("{}/", component::DIR);
    let mut scope = Scope::default();
    for change in changes {
        if change.path == SETTINGS_FILE || schemas.contains(&change.path.as_str()) {
            return None;
        }
        let entry = Entry {
            path: change.path.clone(),
            kind: change.entry,
        };
        if change.path.starts_with(&registry_prefix) {
            match (change.kind, RegistryFile::parse(&change.path)) {
                (ChangeKind::Deleted, Some(RegistryFile::Component(_))) => return None,
                (ChangeKind::Deleted, _) => {}
                _ => scope.registry.push(entry),
            }
            continue;
        }
        if !change.path.starts_with(&prefix) {
            continue;
        }
        if change.kind == ChangeKind::Deleted {
            return None;
        }
        scope.objects.push(entry);
    }
    Some(scope)
}

/// Checks the given object files only, references resolved by probing `source`.
pub(super) fn check_scope(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    scope: &Scope,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    let (placed, mut findings) = place(&scope.objects, kinds);
    progress.start(placed.len());
    let checked: Result<Vec<CheckedFile>, SourceError> = placed
        .par_iter()
        .map(|(entry, path)| {
            let checked = check_changed(source, settings, kinds, &entry.path, path);
            progress.checked();
            checked
        })
        .collect();
    let mut versioned = Vec::new();
    for (found, object) in checked? {
        findings.extend(found);
        versioned.extend(object);
    }
    // Only the changed registry files are checked; the releases are checked
    // against the whole registry.
    findings.extend(registry::check_files(source, &scope.registry)?.1);
    let mut files_checked = scope
        .objects
        .len()
        .saturating_add(scope.registry.len())
        .saturating_add(1);
    if versioned.iter().any(|o| o.store == RELEASES) {
        let (registry, _) = Registry::load(source)?;
        findings.extend(registry::check_releases(&registry, &versioned));
    }
    files_checked = files_checked.saturating_add(neighbours(source, settings, &mut versioned)?);
    findings.extend(across_objects(kinds, &versioned));
    Ok(Validation {
        findings: apply_severities(settings, findings),
        files_checked,
        elapsed: Duration::ZERO,
    })
}

/// One object file the change adds or alters, its references resolved by probing
/// the tree around it.
fn check_changed(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    file: &str,
    path: &ObjectPath,
) -> Result<CheckedFile, SourceError> {
    let probe = Probe::new(source, &path.partition);
    let (mut found, versioned) = check_entry(source, settings, kinds, &probe, file, path)?;
    if let Some(twin) = probe.twin(path)? {
        found.push(same_object(file, &twin));
    }
    probe.finish()?;
    Ok((found, versioned))
}

/// Adds the objects the rules across objects compare a change with: the other
/// objects of each package it touches, the other versions of each config id it
/// touches and of each id a release pins, and every config when it adds a config
/// that may overlap another id. Returns how many were read.
fn neighbours(
    source: &dyn Source,
    settings: &Settings,
    versioned: &mut Vec<Versioned>,
) -> Result<usize, SourceError> {
    let configs_dir = format!("{OBJECTS_DIR}/{}", CONFIGS);
    let mut dirs = BTreeSet::new();
    for object in versioned.iter() {
        dirs.insert(format!(
            "{OBJECTS_DIR}/{}/{}",
            object.store, object.partition
        ));
        for (_, id, _) in configs::pins(&object.data) {
            // A pin is read from the path its id names: only a name may become one.
            if crate::names::check(id).is_ok() {
                dirs.insert(format!("{configs_dir}/{id}"));
            }
        }
    }
    let mut seen: HashSet<String> = versioned.iter().map(|o| o.file.clone()).collect();
    let mut read = read_dirs(source, settings, &dirs, &mut seen, versioned)?;
    if configs::may_overlap(versioned) {
        read = read.saturating_add(read_dirs(
            source,
            settings,
            &BTreeSet::from([configs_dir]),
            &mut seen,
            versioned,
        )?);
    }
    Ok(read)
}

/// Reads the objects below `dirs` that are not `seen` yet, in parallel.
pub fn read_dirs(
    source: &dyn Source,
    settings: &Settings,
    dirs: &BTreeSet<String>,
    seen: &mut HashSet<String>,
    versioned: &mut Vec<Versioned>,
) -> Result<usize, SourceError> {
    let mut wanted = Vec::new();
    for dir in dirs {
        for entry in source.list(dir)? {
            if let Ok(path) = ObjectPath::parse(&entry.path)
                && seen.insert(entry.path.clone())
            {
                wanted.push((entry.path, path));
            }
        }
    }
    let read: Result<Vec<Option<Versioned>>, SourceError> = wanted
        .par_iter()
        .map(|(file, path)| {
            Ok(match source.read(file, settings.max_object_bytes()) {
                Ok(Some(Content::Bytes(bytes))) => read_versioned(file, path, &bytes, false),
                // A neighbour that is not read is reported where it is checked.
                Ok(_) => None,
                Err(error) if error.is_refusal() => None,
                Err(error) => return Err(error),
            })
        })
        .collect();
    versioned.extend(read?.into_iter().flatten());
    Ok(wanted.len())
}

/// An object's data and text for the rules across objects.
pub fn read_versioned(
    file: &str,
    path: &ObjectPath,
    bytes: &[u8],
    in_scope: bool,
) -> Option<Versioned> {
    let (data, _) = crate::store::read_object(file, bytes, path.format).ok()?;
    Some(Versioned {
        file: file.to_owned(),
        store: path.store.clone(),
        partition: path.partition.clone(),
        format: path.format,
        text: shown_text(bytes),
        data,
        in_scope,
    })
}

//! The validator: one engine that checks every invariant of a repository read from a
//! [`Source`], and reports every problem as a [`Finding`].
//!
//! It reads berth.toml and the stores first, lists `objects/` once to place every
//! file and index every hash, then checks the objects in parallel: each is read,
//! parsed, hashed and checked on its own, so memory stays flat in the number of
//! objects.
//!
//! Given the changes from a base ([`validate_change`]), it checks the history rules
//! (objects are immutable once on the base) and only the objects the change adds or
//! alters, resolving their references by probing the tree rather than indexing it:
//! the cost follows the change. A change that can affect everything (berth.toml, a
//! store's schema, a deleted object others may name), and no change at all, are
//! validated in full.
//!
//! `mod.rs` is the engine (load berth.toml and the kinds, place, check, sort);
//! `validation` what it found and its summary; `progress` how far it has come,
//! for a caller that shows it; `file` one object file's checks;
//! `change` what a change touches and the history rules; `probe` references
//! resolved without an index; `object`, `registry`, `configs` and `succession`
//! the rules of one object, of the registry, of configs and across a package's
//! versions.

mod change;
pub mod configs;
mod file;
pub mod object;
mod probe;
mod progress;
pub mod registry;
pub mod succession;
mod validation;

use change::{changed_objects, check_scope};
pub use change::{history, read_dirs, read_versioned};
use file::{CheckedFile, check_entry, place, same_object};
pub use file::{check_bytes, check_file, event_package};
use probe::Probe;
pub use progress::{Progress, Unwatched};
pub use validation::{Summary, Validation, ValidationReport, summary_line};

use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::kinds::Kinds;
use crate::kinds::component;
use crate::repo::{Changeset, Git, Head, short_id};
use crate::settings::{LoadError, Settings};
use crate::source::{Change, Source, SourceError};
use crate::store::{OBJECTS_DIR, ObjectIndex};
use succession::Versioned;

/// Why validation could not run at all.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ValidateError {
    /// berth.toml is missing or unreadable (an invalid one is findings instead).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Settings(#[from] LoadError),
    /// A file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
}

impl ValidateError {
    /// This error as said of what was read from `head`: see [`LoadError::of_head`].
    pub fn of_head(self, git: &Git, head: Head<'_>) -> ValidateError {
        match self {
            ValidateError::Settings(error) => ValidateError::Settings(error.of_head(git, head)),
            other => other,
        }
    }
}

/// Validates a repository.
pub fn validate(source: &dyn Source) -> Result<Validation, ValidateError> {
    validate_with_progress(source, &Unwatched)
}

/// [`validate`], telling `progress` as object files are checked.
pub fn validate_with_progress(
    source: &dyn Source,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    let started = Instant::now();
    let mut validation = validate_unsorted(source, progress)?;
    mark_unmerged(source, &mut validation);
    validation.sort();
    validation.elapsed = started.elapsed();
    Ok(validation)
}

/// Validates the repository a change leaves, given every path it changes from its
/// base (`base` names the base in messages): the history rules, then the objects
/// the change adds or alters, or everything when the change can affect everything.
/// `progress` is told as object files are checked.
pub fn validate_change(
    source: &dyn Source,
    base_files: &dyn Source,
    changes: &[Change],
    base: &str,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    let started = Instant::now();
    let mut history = history(changes, base);
    history.extend(registry::history(source, base_files, changes, base)?);
    let mut validation = match load_kinds(source)? {
        Ok((settings, kinds)) => {
            let mut validation = match changed_objects(&settings, changes) {
                Some(scope) => check_scope(source, &settings, &kinds, &scope, progress)?,
                None => check_all(source, &settings, &kinds, progress)?,
            };
            validation
                .findings
                .extend(apply_severities(&settings, history));
            validation
        }
        Err(mut validation) => {
            validation.findings.extend(history);
            validation
        }
    };
    mark_unmerged(source, &mut validation);
    validation.sort();
    validation.elapsed = started.elapsed();
    Ok(validation)
}

/// Validates the head of a changeset as its change from its base, named in
/// messages as given (`origin/main`) and by the commit compared with.
pub fn validate_changeset(changeset: &Changeset, base: &str) -> Result<Validation, ValidateError> {
    validate_changeset_with_progress(changeset, base, &Unwatched)
}

/// [`validate_changeset`], telling `progress` as object files are checked.
pub fn validate_changeset_with_progress(
    changeset: &Changeset,
    base: &str,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    let name = format!("the base {base} ({})", short_id(changeset.base));
    validate_change(
        changeset,
        &changeset.base_files(),
        &changeset.changes,
        &name,
        progress,
    )
}

/// A path in conflict is never validated as if one side of it were what gets
/// committed: each is an error of its own, and whatever else was said of it
/// (read from one of its sides) is dropped.
fn mark_unmerged(source: &dyn Source, validation: &mut Validation) {
    let unmerged = source.unmerged();
    if unmerged.is_empty() {
        return;
    }
    validation
        .findings
        .retain(|finding| !unmerged.contains(&finding.file));
    validation.findings.extend(unmerged.iter().map(|path| {
        Finding::new(
            Code::Unmerged,
            path,
            format!(
                "is unmerged in the {}: a merge stopped on a conflict here",
                source.name()
            ),
        )
    }));
}

/// The rules across objects: a package's versions, config versions, and the
/// config versions releases pin.
fn across_objects(kinds: &Kinds, versioned: &[Versioned]) -> Vec<Finding> {
    let mut findings = succession::check(kinds, versioned);
    findings.extend(configs::check(versioned));
    findings.extend(configs::check_pins(versioned));
    findings
}

/// Settings and kinds, or the validation that says why they cannot be had.
type Loaded = Result<(Settings, Kinds), Validation>;

/// Loads settings and kinds.
fn load_kinds(source: &dyn Source) -> Result<Loaded, ValidateError> {
    let settings = match Settings::load(source) {
        Ok(settings) => settings,
        Err(LoadError::Invalid(findings)) => {
            return Ok(Err(Validation {
                findings,
                files_checked: 1,
                elapsed: Duration::ZERO,
            }));
        }
        Err(error) => return Err(error.into()),
    };
    match Kinds::load(&settings, source) {
        Ok(kinds) => Ok(Ok((settings, kinds))),
        Err(LoadError::Invalid(findings)) => Ok(Err(Validation {
            findings,
            files_checked: settings.stores().len().saturating_add(1),
            elapsed: Duration::ZERO,
        })),
        Err(error) => Err(error.into()),
    }
}

fn validate_unsorted(
    source: &dyn Source,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    match load_kinds(source)? {
        Ok((settings, kinds)) => check_all(source, &settings, &kinds, progress),
        Err(validation) => Ok(validation),
    }
}

/// Checks every object.
fn check_all(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    progress: &dyn Progress,
) -> Result<Validation, ValidateError> {
    let entries = source.list(OBJECTS_DIR)?;
    let (placed, mut findings) = place(&entries, kinds);
    let index = ObjectIndex::of_entries(&entries);
    progress.start(placed.len());
    let checked: Result<Vec<CheckedFile>, SourceError> = placed
        .par_iter()
        .map(|(entry, path)| {
            let checked = check_entry(source, settings, kinds, &index, &entry.path, path);
            progress.checked();
            checked
        })
        .collect();
    let mut versioned = Vec::new();
    for (found, object) in checked? {
        findings.extend(found);
        versioned.extend(object);
    }
    let registry_entries = source.list(component::DIR)?;
    let (registry, found) = registry::check_files(source, &registry_entries)?;
    findings.extend(found);
    findings.extend(registry::check_releases(&registry, &versioned));
    findings.extend(across_objects(kinds, &versioned));
    let findings = apply_severities(settings, findings);
    Ok(Validation {
        findings,
        files_checked: entries
            .len()
            .saturating_add(registry_entries.len())
            .saturating_add(1),
        elapsed: Duration::ZERO,
    })
}

/// Applies `[checks]`: drops findings whose check is off and sets severities.
pub fn apply_severities(settings: &Settings, findings: Vec<Finding>) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut finding| {
            finding.severity = settings.severity(finding.code)?;
            Some(finding)
        })
        .collect()
}

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

pub mod configs;
pub mod object;
pub mod registry;
pub mod succession;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use crate::canonical::ObjectHash;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{self, Finding, plural, shown_text};
use crate::document::Format;
use crate::kinds::component::{self as registry_files, Registry, RegistryFile};
use crate::kinds::{Kinds, StoreDef, config, release};
use crate::repo::{Changeset, short_id};
use crate::settings::FILE as SETTINGS_FILE;
use crate::settings::{LoadError, Settings};
use crate::source::{Change, ChangeKind, Content, Entry, EntryKind, Source, SourceError};
use crate::store::{LayoutProblem, OBJECTS_DIR, ObjectIndex, ObjectPath};
use succession::Versioned;

/// What a validation found.
#[derive(Debug, Default)]
pub struct Validation {
    /// Every finding, sorted by file and position.
    pub findings: Vec<Finding>,
    /// How many files were checked.
    pub files_checked: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// `berth validate --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidationReport<'a> {
    /// True when no error was found.
    pub ok: bool,
    /// Every finding, sorted by file and position.
    pub findings: &'a [Finding],
    /// Counts and time.
    pub summary: Summary,
}

/// The counts of a validation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    /// Files checked, berth.toml included.
    pub files_checked: usize,
    /// Findings with severity `error`.
    pub errors: usize,
    /// Findings with severity `warning`.
    pub warnings: usize,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

impl Validation {
    /// The result as `--format json` reports it.
    pub fn report(&self) -> ValidationReport<'_> {
        ValidationReport {
            ok: self.errors() == 0,
            findings: &self.findings,
            summary: Summary {
                files_checked: self.files_checked,
                errors: self.errors(),
                warnings: self.warnings(),
                elapsed_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            },
        }
    }

    /// Adds findings made elsewhere (the environment checks), keeping the order.
    pub fn add(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
        self.sort();
    }

    /// Puts the findings in report order: by file, position and code.
    fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    /// Makes every warning an error (`--deny-warnings`).
    pub fn deny_warnings(&mut self) {
        for finding in &mut self.findings {
            finding.severity = finding::Severity::Error;
        }
    }

    /// The number of error findings.
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    /// The number of warning findings.
    pub fn warnings(&self) -> usize {
        self.findings.len().saturating_sub(self.errors())
    }
}

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

/// Validates a repository.
pub fn validate(source: &dyn Source) -> Result<Validation, ValidateError> {
    let started = Instant::now();
    let mut validation = validate_unsorted(source)?;
    mark_unmerged(source, &mut validation);
    validation.sort();
    validation.elapsed = started.elapsed();
    Ok(validation)
}

/// Validates the repository a change leaves, given every path it changes from its
/// base (`base` names the base in messages): the history rules, then the objects
/// the change adds or alters, or everything when the change can affect everything.
pub fn validate_change(
    source: &dyn Source,
    base_files: &dyn Source,
    changes: &[Change],
    base: &str,
) -> Result<Validation, ValidateError> {
    let started = Instant::now();
    let mut history = history(changes, base);
    history.extend(registry::history(source, base_files, changes, base)?);
    let mut validation = match load_kinds(source)? {
        Ok((settings, kinds)) => {
            let mut validation = match changed_objects(&settings, changes) {
                Some(scope) => check_scope(source, &settings, &kinds, &scope)?,
                None => check_all(source, &settings, &kinds)?,
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
    let name = format!("the base {base} ({})", short_id(changeset.base));
    validate_change(
        changeset,
        &changeset.base_files(),
        &changeset.changes,
        &name,
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
struct Scope {
    objects: Vec<Entry>,
    registry: Vec<Entry>,
}

/// The object and registry files a change adds or alters, or `None` when the
/// change can affect every object: it touches berth.toml or a store's schema, or
/// removes an object or a component that others may refer to. No change at all is
/// checked in full too: there is nothing narrower to check, and a hook run on a
/// clean index (`pre-commit run --all-files` in CI) must still check the
/// repository.
fn changed_objects(settings: &Settings, changes: &[Change]) -> Option<Scope> {
    if changes.is_empty() {
        return None;
    }
    let schemas: Vec<&str> = settings
        .stores()
        .values()
        .filter_map(|store| store.schema.as_deref())
        .collect();
    let prefix = format!("{OBJECTS_DIR}/");
    let registry_prefix = format!("{}/", registry_files::DIR);
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
fn check_scope(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
    scope: &Scope,
) -> Result<Validation, ValidateError> {
    let (placed, mut findings) = place(&scope.objects, kinds);
    let checked: Result<Vec<CheckedFile>, SourceError> = placed
        .par_iter()
        .map(|(entry, path)| {
            let probe = Probe::new(source, &path.partition);
            let (mut found, versioned) =
                check_entry(source, settings, kinds, &probe, &entry.path, path)?;
            if let Some(twin) = probe.twin(path)? {
                found.push(same_object(&entry.path, &twin));
            }
            probe.finish()?;
            Ok((found, versioned))
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
    if versioned.iter().any(|o| o.store == release::STORE) {
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

/// The rules across objects: a package's versions, config versions, and the
/// config versions releases pin.
fn across_objects(kinds: &Kinds, versioned: &[Versioned]) -> Vec<Finding> {
    let mut findings = succession::check(kinds, versioned);
    findings.extend(configs::check(versioned));
    findings.extend(configs::check_pins(versioned));
    findings
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
    let configs_dir = format!("{OBJECTS_DIR}/{}", config::STORE);
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

/// Resolves references by looking for the files in the source: in the referring
/// object's own partition first, where references usually point, then in every
/// partition of the store.
struct Probe<'a> {
    source: &'a dyn Source,
    partition: &'a str,
    error: Mutex<Option<SourceError>>,
}

impl<'a> Probe<'a> {
    fn new(source: &'a dyn Source, partition: &'a str) -> Probe<'a> {
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
    fn twin(&self, path: &ObjectPath) -> Result<Option<String>, SourceError> {
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
    fn finish(self) -> Result<(), SourceError> {
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

fn validate_unsorted(source: &dyn Source) -> Result<Validation, ValidateError> {
    match load_kinds(source)? {
        Ok((settings, kinds)) => check_all(source, &settings, &kinds),
        Err(validation) => Ok(validation),
    }
}

/// Checks every object.
fn check_all(
    source: &dyn Source,
    settings: &Settings,
    kinds: &Kinds,
) -> Result<Validation, ValidateError> {
    let entries = source.list(OBJECTS_DIR)?;
    let (placed, mut findings) = place(&entries, kinds);
    let index = ObjectIndex::of_entries(&entries);
    let checked: Result<Vec<CheckedFile>, SourceError> = placed
        .par_iter()
        .map(|(entry, path)| check_entry(source, settings, kinds, &index, &entry.path, path))
        .collect();
    let mut versioned = Vec::new();
    for (found, object) in checked? {
        findings.extend(found);
        versioned.extend(object);
    }
    let registry_entries = source.list(registry_files::DIR)?;
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

/// Places every entry under `objects/`: the object files to check, and findings for
/// everything that is not one.
fn place<'a>(entries: &'a [Entry], kinds: &Kinds) -> (Vec<(&'a Entry, ObjectPath)>, Vec<Finding>) {
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

fn same_object(file: &str, first: &str) -> Finding {
    Finding::new(
        Code::BadPath,
        file,
        format!("is the same object as `{first}`"),
    )
    .with_help("an object is stored once; remove this copy")
}

/// Checks one object file: size, parse, identity, partition and its kind's checks.
///
/// Severities are not yet applied (see [`apply_severities`]).
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
type CheckedFile = (Vec<Finding>, Option<Versioned>);

/// Checks one object file, and reads it for the rules across its package when its
/// kind has a version.
fn check_entry(
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
    if path.store == crate::kinds::event::STORE {
        findings.extend(event_package(source, resolver, file, path.format, &bytes)?);
    }
    let versioned = kinds
        .held(&path.store)
        .filter(|kind| kind.version_pointer().is_some() || path.store == config::STORE)
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

/// A summary line: "2 errors, 1 warning in 1204 files (0.31s)".
pub fn summary_line(validation: &Validation) -> String {
    format!(
        "{}, {} in {} ({:.2}s)",
        plural(validation.errors(), "error"),
        plural(validation.warnings(), "warning"),
        plural(validation.files_checked, "file"),
        validation.elapsed.as_secs_f64()
    )
}

//! Pull-request review: what a change does to releases, environments and configs,
//! with everything the validator finds, as data a comment is rendered from.
//!
//! The catalog side is the change from the merge base of the base and the head
//! (what `git diff base...head` shows): the validator checks it as `berth check`
//! does, and only the packages, config ids and registry files it touches are read.
//! The environment side compares each environment's commit before the change with
//! its commit after: named on the command line, or else the remote-tracking ref
//! (what is shared) and the local ref (what the author has promoted). Only the two
//! states, the commits between them and the moved entries' objects are read.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::bump::{self, Bump, Reason, Shape};
use crate::check::succession::{self, Versioned};
use crate::check::{self, ValidateError, Validation};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, Severity};
use crate::document::{self, Format};
use crate::env::audit::{EnvAt, audit_at};
use crate::env::log::{Action, EnvCommit, first_parents};
use crate::env::provenance::{Anchors, Provenance};
use crate::env::query::{LineageStep, held_data, held_version, path_from};
use crate::env::state::{STATE_FILE, State};
use crate::env::{EnvError, read_state};
use crate::kinds::Kinds;
use crate::kinds::component::RegistryFile;
use crate::kinds::config::{self as config_kind, Config};
use crate::kinds::event::{self, Event};
use crate::kinds::release::{self as release_kind, Release};
use crate::release::Components;
use crate::repo::{BadRevision, FilesError, Git, GitError, Head, Oid, ShallowHistory, short_id};
use crate::settings::Settings;
use crate::source::{ChangeKind, Content, Source, SourceError};
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};
use crate::time::{self, BadEpoch};

/// What to review.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The revision the change is compared with, such as `origin/main`.
    pub base: &'a str,
    /// The revision reviewed; `None` reviews the environments alone.
    pub head: Option<&'a str>,
    /// Environments' commits before the change: (environment, revision).
    pub env_base: &'a [(String, String)],
    /// Environments' commits after the change: (environment, revision).
    pub env_head: &'a [(String, String)],
    /// The remote whose tracking refs hold the environments as they are shared.
    pub remote: &'a str,
}

/// Why a review could not be made.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReviewError {
    /// A revision names no commit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Revision(#[from] BadRevision),
    /// The change could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Files(#[from] FilesError),
    /// The validator could not run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Validate(#[from] ValidateError),
    /// A file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// `--env-base` or `--env-head` names an environment berth.toml does not have.
    #[error("`{name}` is not an environment in berth.toml")]
    #[diagnostic(
        code("berth::unknown-environment"),
        help("the environments are: {}", known.join(", "))
    )]
    UnknownEnvironment {
        /// The name given.
        name: String,
        /// The environments berth.toml names.
        known: Vec<String>,
    },
    /// `--env-base` or `--env-head` names a commit that is not an environment's.
    #[error("`{revision}` is not a commit of an environment: it has no state.toml")]
    #[diagnostic(
        code("berth::not-environment"),
        help(
            "name a commit of {environment}'s branch, such as env/{environment} or origin/env/{environment}"
        )
    )]
    NotEnvironment {
        /// The environment it was given for.
        environment: String,
        /// The revision given.
        revision: String,
    },
    /// An environment's commit is not one (it has no readable state.toml).
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] BadEpoch),
}

/// A revision as the review read it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Revision {
    /// As given: a branch, a tag, a hash, `HEAD~1`.
    pub revision: String,
    /// The commit it named.
    pub commit: String,
}

/// Whether the change may ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing found.
    Ready,
    /// Warnings, no errors.
    HasWarnings,
    /// At least one error: the review exits 1.
    Blocked,
}

/// The counts the summary line gives.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Counts {
    /// Objects the change adds.
    pub new_objects: usize,
    /// Packages they belong to, whatever their stores (config ids not included).
    pub packages: usize,
    /// Environment entries that change.
    pub environment_moves: usize,
    /// Config versions the change adds.
    pub config_versions: usize,
    /// Registry files the change touches.
    pub registry_changes: usize,
    /// Findings with severity `error`.
    pub errors: usize,
    /// Findings with severity `warning`.
    pub warnings: usize,
}

/// `berth review`: everything a reviewer needs, each part empty when the change
/// has none of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Review {
    /// The commit compared with: the merge base of the base and the head.
    pub base: Revision,
    /// The revision reviewed; absent when only environments were reviewed.
    pub head: Option<Revision>,
    /// Ready, has warnings, or blocked.
    pub verdict: Verdict,
    /// What the summary line counts.
    pub counts: Counts,
    /// New objects, by store and package.
    pub packages: Vec<PackageReview>,
    /// Environments whose entries change.
    pub environments: Vec<EnvironmentReview>,
    /// New config versions.
    pub configs: Vec<ConfigReview>,
    /// Component registry and version map changes.
    pub registry: Vec<RegistryReview>,
    /// Every finding of the validator and of the environment checks.
    pub findings: Vec<Finding>,
    /// What the review could not look at, and why.
    pub notes: Vec<String>,
}

/// The new objects of one package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageReview {
    /// The store.
    pub store: String,
    /// The package (the store's partition).
    pub package: String,
    /// The new objects, in version order where they have versions.
    pub objects: Vec<NewObject>,
}

/// One object the change adds, against the one it follows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NewObject {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
    /// The object it follows: the version below it, or for kinds without versions
    /// the newest object of the package made before it.
    pub previous: Option<Previous>,
    /// The bump its version declares over the previous one.
    pub declared: Option<Bump>,
    /// The bump the change requires (kinds with versions, when there is a
    /// previous version).
    pub required: Option<Bump>,
    /// Whether the declared bump is smaller than the required one.
    pub understated: bool,
    /// Every field that differs from the previous object, with the bump it needs.
    pub changes: Vec<Reason>,
    /// A release's components against the previous release's (all added for a
    /// first release).
    pub components: Option<Components>,
    /// A lifecycle event: the object it is about and the status it records.
    pub event: Option<EventSummary>,
}

/// The object a new one follows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Previous {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
    /// For a kind without versions, the environment whose entry for the package
    /// it was before the change (the first, in promotion order, that held one):
    /// the new object is compared with what it would replace. Absent when the
    /// previous object is another new one.
    pub held_by: Option<String>,
}

/// What a new lifecycle event records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventSummary {
    /// `<store>/<hash>` of the object it is about.
    pub subject: String,
    /// The status: ready, failed, deprecated, archived, artifact-deleted.
    pub status: String,
    /// Why, when given.
    pub reason: Option<String>,
}

/// One environment whose entries change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentReview {
    /// The environment.
    pub environment: String,
    /// Its commit before the change; absent when it had none (never shared).
    pub base: Option<Revision>,
    /// Its commit after the change.
    pub head: Revision,
    /// Whether the head's history lacks the base commit: the environment's log
    /// was rewritten, not added to.
    pub rewritten: bool,
    /// The entries that change, by package.
    pub moves: Vec<Move>,
}

/// One package's entry in an environment, before and after.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Move {
    /// The package.
    pub package: String,
    /// What it held before; absent when it held nothing.
    pub from: Option<Held>,
    /// What it holds after; absent when the entry was removed.
    pub to: Option<Held>,
    /// The commit that set the entry, `promote` or `rollback`; absent when no
    /// berth commit between the two did.
    pub action: Option<Action>,
    /// The path the object took, from this environment back to the catalog.
    pub path: Vec<LineageStep>,
    /// Whether the path is one berth.toml allows (and signed where required).
    pub allowed: bool,
    /// The environment findings about this entry.
    pub problems: Vec<String>,
}

/// An object an environment holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Held {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
}

/// A new config version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConfigReview {
    /// The config id.
    pub id: String,
    /// The new version.
    pub version: u64,
    /// `configs/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its type.
    #[serde(rename = "type")]
    pub config_type: String,
    /// `account`, `campaign` or `asset`.
    pub scope: String,
    /// The entity it applies to.
    pub applies_to: String,
    /// When it takes effect.
    pub effective_at: String,
    /// Whether that time is already past: merging changes answers for the time
    /// between it and now.
    pub effective_in_past: bool,
    /// The version it supersedes from `effective_at`, and when that one took
    /// effect.
    pub supersedes: Option<Superseded>,
    /// The settings that change (all added for version 1).
    pub settings: Vec<crate::config::SettingChange>,
}

/// The version a new config version supersedes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Superseded {
    /// Its number.
    pub version: u64,
    /// `configs/<hash>`.
    pub object: String,
    /// When it took effect.
    pub effective_at: String,
}

/// A registry file the change touches.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegistryReview {
    /// The file.
    pub file: String,
    /// The component.
    pub component: String,
    /// `component` (its definition) or `versions` (its version map).
    pub kind: RegistryKind,
    /// Added, modified or deleted.
    pub change: FileChange,
    /// A definition's fields that differ.
    pub fields: Vec<Reason>,
    /// Version map entries added.
    pub tags_added: Vec<TagEntry>,
    /// Version map entries removed.
    pub tags_removed: Vec<TagEntry>,
    /// Tags that now name another digest: a tag that was reviewed names other
    /// code. Always an error (`tag-moved`).
    pub tags_moved: Vec<MovedTag>,
}

/// Which registry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegistryKind {
    /// `components/<name>.toml`.
    Component,
    /// `components/<name>.versions.toml`.
    Versions,
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    /// New.
    Added,
    /// Edited.
    Modified,
    /// Removed.
    Deleted,
}

/// A version map entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TagEntry {
    /// The tag.
    pub tag: String,
    /// The digest it names.
    pub digest: String,
    /// Its semantic version, if any.
    pub semver: Option<String>,
    /// Its channel.
    pub channel: Option<String>,
}

/// A tag recorded with one digest before and another after.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MovedTag {
    /// The tag.
    pub tag: String,
    /// The digest recorded before.
    pub from: String,
    /// The digest recorded now.
    pub to: String,
}

impl Review {
    /// Makes every warning an error (`--deny-warnings`), so the verdict blocks.
    pub fn deny_warnings(&mut self) {
        for finding in &mut self.findings {
            finding.severity = Severity::Error;
        }
        self.tally();
    }

    /// Counts what the review found and gives the verdict.
    fn tally(&mut self) {
        self.counts = Counts {
            new_objects: self
                .packages
                .iter()
                .map(|p| p.objects.len())
                .sum::<usize>()
                .saturating_add(self.configs.len()),
            packages: self
                .packages
                .iter()
                .map(|p| p.package.as_str())
                .collect::<BTreeSet<_>>()
                .len(),
            environment_moves: self.environments.iter().map(|e| e.moves.len()).sum(),
            config_versions: self.configs.len(),
            registry_changes: self.registry.len(),
            errors: self.findings.iter().filter(|f| f.is_error()).count(),
            warnings: self.findings.iter().filter(|f| !f.is_error()).count(),
        };
        self.verdict = if self.counts.errors > 0 {
            Verdict::Blocked
        } else if self.counts.warnings > 0 {
            Verdict::HasWarnings
        } else {
            Verdict::Ready
        };
    }
}

/// Reviews a change: the catalog from `base` to `head`, and every environment from
/// its commit before to its commit after.
pub fn review(git: &Git, request: &Request<'_>) -> Result<Review, ReviewError> {
    match request.head {
        Some(head) => {
            let changeset = git.changes_since(request.base, Head::Revision(head))?;
            let base = Revision {
                revision: request.base.to_owned(),
                commit: changeset.base.to_string(),
            };
            let head_commit = git.resolve_commit(head)?;
            let validation = check::validate_changeset(&changeset, request.base)?;
            let mut review = Reviewer {
                git,
                request,
                source: &changeset,
                base_files: Some(&changeset.base_files()),
                changes: &changeset.changes,
                catalog: head_commit,
            }
            .review(base, validation)?;
            review.head = Some(Revision {
                revision: head.to_owned(),
                commit: head_commit.to_string(),
            });
            Ok(review)
        }
        None => {
            let files = git.files_at(request.base)?;
            let base_commit = git.resolve_commit(request.base)?;
            let base = Revision {
                revision: request.base.to_owned(),
                commit: base_commit.to_string(),
            };
            Reviewer {
                git,
                request,
                source: &files,
                base_files: None,
                changes: &[],
                catalog: base_commit,
            }
            .review(base, Validation::default())
        }
    }
}

/// One review in the making: the head's files and the change that made them.
struct Reviewer<'a> {
    git: &'a Git,
    request: &'a Request<'a>,
    /// The head's files (the base's, when only environments are reviewed).
    source: &'a dyn Source,
    base_files: Option<&'a dyn Source>,
    changes: &'a [crate::source::Change],
    /// The catalog commit reviewed: a promotion from the catalog may take its
    /// object from it as well as from the catalog branch.
    catalog: Oid,
}

impl Reviewer<'_> {
    fn review(&self, base: Revision, validation: Validation) -> Result<Review, ReviewError> {
        let mut review = Review {
            base,
            head: None,
            verdict: Verdict::Ready,
            counts: Counts::default(),
            packages: Vec::new(),
            environments: Vec::new(),
            configs: Vec::new(),
            registry: Vec::new(),
            findings: validation.findings,
            notes: Vec::new(),
        };
        // A berth.toml or schema the head cannot load is already a finding; with
        // no kinds to read objects by, the findings are the review.
        let loaded = Settings::load(self.source)
            .ok()
            .and_then(|settings| Some((Kinds::load(&settings, self.source).ok()?, settings)));
        match loaded {
            Some((kinds, settings)) => {
                let added = self.added_objects();
                let pairs = self.env_pairs(&settings)?;
                review.packages = self.packages(&settings, &kinds, &pairs, &added)?;
                review.configs = self.configs(&settings, &added)?;
                review.registry = self.registry()?;
                self.environments(&settings, &kinds, &pairs, &mut review)?;
            }
            None => review.notes.push(
                "berth.toml or a store's schema could not be loaded at the head, so only the findings are shown"
                    .to_owned(),
            ),
        }
        review
            .findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        review.tally();
        Ok(review)
    }

    /// The object files the change adds, by path.
    fn added_objects(&self) -> Vec<ObjectPath> {
        self.changes
            .iter()
            .filter(|change| change.kind == ChangeKind::Added)
            .filter_map(|change| ObjectPath::parse(&change.path).ok())
            .collect()
    }

    /// The new objects of every package but configs. Those of a kind with
    /// versions are read with the package's other versions, to follow the
    /// succession the validator judges; the others are read alone, and compared
    /// with what an environment holds for the package.
    fn packages(
        &self,
        settings: &Settings,
        kinds: &Kinds,
        pairs: &[EnvPair],
        added: &[ObjectPath],
    ) -> Result<Vec<PackageReview>, ReviewError> {
        let mut by_package: BTreeMap<(&str, &str), Vec<&ObjectPath>> = BTreeMap::new();
        for path in added {
            if path.store != config_kind::STORE {
                by_package
                    .entry((&path.store, &path.partition))
                    .or_default()
                    .push(path);
            }
        }
        let states = if by_package.is_empty() {
            Vec::new()
        } else {
            self.states_before(pairs)?
        };
        let mut packages = Vec::new();
        for ((store, package), paths) in by_package {
            let has_versions = kinds
                .held(store)
                .is_some_and(|kind| kind.version_pointer().is_some());
            let mut reviewed = if has_versions {
                let new: HashSet<String> = paths.iter().map(|path| path.path()).collect();
                let mut objects = Vec::new();
                let dir = format!("{OBJECTS_DIR}/{store}/{package}");
                check::read_dirs(
                    self.source,
                    settings,
                    &BTreeSet::from([dir]),
                    &mut HashSet::new(),
                    &mut objects,
                )?;
                for object in &mut objects {
                    object.in_scope = new.contains(&object.file);
                }
                succession::steps(kinds, &objects)
                    .into_iter()
                    .map(|step| versioned(store, step))
                    .collect()
            } else {
                let mut objects = Vec::new();
                for path in &paths {
                    let file = path.path();
                    if let Some(Content::Bytes(bytes)) =
                        self.source.read(&file, settings.max_object_bytes())?
                        && let Some(object) = check::read_versioned(&file, path, &bytes, true)
                    {
                        objects.push(object);
                    }
                }
                let held = if store == event::STORE {
                    None
                } else {
                    self.held_before(&states, store, package)?
                };
                unversioned(kinds, store, &objects, held)
            };
            // Files that do not parse are the validator's to report; they are still
            // new objects.
            let listed: HashSet<String> = reviewed.iter().map(|o| o.file.clone()).collect();
            for path in paths {
                if !listed.contains(&path.path()) {
                    reviewed.push(NewObject::bare(path));
                }
            }
            packages.push(PackageReview {
                store: store.to_owned(),
                package: package.to_owned(),
                objects: reviewed,
            });
        }
        Ok(packages)
    }

    /// The new config versions, each against the version it supersedes.
    fn configs(
        &self,
        settings: &Settings,
        added: &[ObjectPath],
    ) -> Result<Vec<ConfigReview>, ReviewError> {
        let now = time::now()?;
        let ids: BTreeSet<&str> = added
            .iter()
            .filter(|path| path.store == config_kind::STORE)
            .map(|path| path.partition.as_str())
            .collect();
        let new: HashSet<String> = added.iter().map(ObjectPath::path).collect();
        let mut reviews = Vec::new();
        for id in ids {
            let mut seen = HashSet::new();
            let mut objects = Vec::new();
            let dir = format!("{OBJECTS_DIR}/{}/{id}", config_kind::STORE);
            check::read_dirs(
                self.source,
                settings,
                &BTreeSet::from([dir]),
                &mut seen,
                &mut objects,
            )?;
            let mut versions: Vec<(&Versioned, Config)> = objects
                .iter()
                .filter_map(|object| {
                    let config = serde_json::from_value(object.data.clone()).ok()?;
                    Some((object, config))
                })
                .collect();
            versions.sort_by_key(|(_, config)| config.version);
            for (object, config) in &versions {
                if !new.contains(&object.file) {
                    continue;
                }
                let before = versions
                    .iter()
                    .rev()
                    .find(|(_, other)| other.version < config.version);
                let empty = BTreeMap::new();
                let settings_before = before.map_or(&empty, |(_, other)| &other.settings);
                let effective_in_past =
                    crate::time::parse(&config.effective_at).is_ok_and(|at| at < now);
                reviews.push(ConfigReview {
                    id: config.id.clone(),
                    version: config.version,
                    object: object_ref(&object.file),
                    file: object.file.clone(),
                    config_type: config.config_type.clone(),
                    scope: config.scope.to_string(),
                    applies_to: config.applies_to.clone(),
                    effective_at: config.effective_at.clone(),
                    effective_in_past,
                    supersedes: before.map(|(other_object, other)| Superseded {
                        version: other.version,
                        object: object_ref(&other_object.file),
                        effective_at: other.effective_at.clone(),
                    }),
                    settings: crate::config::settings_diff(settings_before, &config.settings),
                });
            }
        }
        Ok(reviews)
    }

    /// The registry files the change touches, entry by entry.
    fn registry(&self) -> Result<Vec<RegistryReview>, ReviewError> {
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

    /// Each environment's commits before and after the change, in promotion order:
    /// named on the command line, else the remote-tracking ref and the local ref.
    fn env_pairs(&self, settings: &Settings) -> Result<Vec<EnvPair>, ReviewError> {
        let known: Vec<String> = settings
            .environment_order()
            .iter()
            .map(|name| (*name).to_owned())
            .collect();
        for (name, _) in self.request.env_base.iter().chain(self.request.env_head) {
            if settings.environment(name).is_none() {
                return Err(ReviewError::UnknownEnvironment {
                    name: name.clone(),
                    known,
                });
            }
        }
        let given = |list: &[(String, String)], name: &str| {
            list.iter()
                .rev()
                .find(|(env, _)| env == name)
                .map(|(_, revision)| revision.clone())
        };
        let has_remote = self.git.has_remote(self.request.remote);
        let mut pairs = Vec::new();
        for name in settings.environment_order() {
            let refname = settings.env_ref(name);
            let after = match given(self.request.env_head, name) {
                Some(revision) => Some(self.resolve(name, &revision)?),
                None => self
                    .git
                    .ref_target(&refname)?
                    .map(|id| (refname.clone(), id)),
            };
            let tracking = tracking_ref(&refname, self.request.remote);
            let before = match given(self.request.env_base, name) {
                Some(revision) => Some(self.resolve(name, &revision)?),
                None => match &tracking {
                    Some(tracking) => self
                        .git
                        .ref_target(tracking)?
                        .map(|id| (tracking.clone(), id)),
                    None => None,
                },
            };
            // Named commits are compared whatever the remote holds; a local ref
            // alone is compared only with a remote that could hold it.
            let named = given(self.request.env_base, name).is_some()
                || given(self.request.env_head, name).is_some();
            let Some(after) = after.or_else(|| before.clone()) else {
                continue;
            };
            let compared = before.is_some() || named || (has_remote && tracking.is_some());
            pairs.push(EnvPair {
                name: name.to_owned(),
                before,
                after,
                compared,
            });
        }
        Ok(pairs)
    }

    /// Adds every environment whose entries differ between its two commits, the
    /// environment findings about the entries that moved, and a note of the
    /// environments that could not be compared.
    fn environments(
        &self,
        settings: &Settings,
        kinds: &Kinds,
        pairs: &[EnvPair],
        review: &mut Review,
    ) -> Result<(), ReviewError> {
        let mut anchors = Anchors::refs(self.git, settings)?;
        anchors.add_catalog(self.git, self.catalog)?;
        for pair in pairs {
            anchors.add_environment(&pair.name, pair.after.1);
        }
        let mut provenance = Provenance::new(self.git, settings, anchors);
        let mut uncompared = Vec::new();
        for pair in pairs {
            let (name, base, head) = (pair.name.as_str(), pair.before.as_ref(), &pair.after);
            if !pair.compared {
                uncompared.push(name);
                continue;
            }
            if base.is_some_and(|(_, id)| *id == head.1) {
                continue;
            }
            let environment = self.environment(kinds, &mut provenance, name, base, head)?;
            let at = EnvAt {
                name,
                refname: &head.0,
                tip: head.1,
            };
            let moved: BTreeSet<String> = environment
                .moves
                .iter()
                .filter(|m| m.to.is_some())
                .map(|m| m.package.clone())
                .collect();
            let mut found = audit_at(
                self.git,
                settings,
                kinds,
                &mut provenance,
                &at,
                Some(&moved),
            )?;
            if let (true, Some((revision, id))) = (environment.rewritten, base) {
                let finding = Finding::new(
                    Code::EnvRewritten,
                    format!("{}:{STATE_FILE}", head.0),
                    format!(
                        "{name} at `{}` does not contain its commit before the change, `{revision}` ({}): the promotions since the two parted drop out of its log",
                        head.0,
                        short_id(*id)
                    ),
                );
                found.extend(check::apply_severities(settings, vec![finding]));
            }
            let environment = with_problems(environment, &found);
            review.findings.extend(found);
            if !environment.moves.is_empty() {
                review.environments.push(environment);
            }
        }
        if !uncompared.is_empty() {
            review.notes.push(format!(
                "not compared: {} (no `{}` remote-tracking ref to compare the local ref with; name the commits with --env-base and --env-head)",
                uncompared.join(", "),
                self.request.remote
            ));
        }
        Ok(())
    }

    /// Each environment's state before the change, in promotion order, with its
    /// tree: the commit before, or the local ref of an environment that cannot be
    /// compared (the best knowledge there is).
    fn states_before(&self, pairs: &[EnvPair]) -> Result<Vec<(String, Oid, State)>, ReviewError> {
        let mut states = Vec::new();
        for pair in pairs {
            let before = match (&pair.before, pair.compared) {
                (Some(before), _) => before,
                (None, false) => &pair.after,
                (None, true) => continue,
            };
            let commit = self.git.commit(before.1)?;
            if let Ok(state) = read_state(self.git, &before.0, &commit) {
                states.push((pair.name.clone(), commit.tree, state));
            }
        }
        Ok(states)
    }

    /// What the first environment holding `package` held before the change, when
    /// it is an object of `store`: a new object of a kind without versions is
    /// compared with what it would replace.
    fn held_before(
        &self,
        states: &[(String, Oid, State)],
        store: &str,
        package: &str,
    ) -> Result<Option<(Previous, Value)>, ReviewError> {
        let Some((name, tree, object)) = states
            .iter()
            .find_map(|(name, tree, state)| Some((name, *tree, state.object(package)?)))
        else {
            return Ok(None);
        };
        if object.store != store {
            return Ok(None);
        }
        let Some((file, data)) = held_data(self.git, tree, &object, package)? else {
            return Ok(None);
        };
        let previous = Previous {
            object: object.to_string(),
            file,
            version: None,
            held_by: Some(name.clone()),
        };
        Ok(Some((previous, data)))
    }

    /// A revision given for an environment: how findings name it, and its commit.
    fn resolve(&self, environment: &str, revision: &str) -> Result<(String, Oid), ReviewError> {
        let id = self.git.resolve_commit(revision)?;
        let tree = self.git.commit(id)?.tree;
        if self.git.entry(tree, STATE_FILE)?.is_none() {
            return Err(ReviewError::NotEnvironment {
                environment: environment.to_owned(),
                revision: revision.to_owned(),
            });
        }
        Ok((revision.to_owned(), id))
    }

    /// One environment's moves from `base` to `head`.
    fn environment(
        &self,
        kinds: &Kinds,
        provenance: &mut Provenance<'_>,
        name: &str,
        base: Option<&(String, Oid)>,
        head: &(String, Oid),
    ) -> Result<EnvironmentReview, ReviewError> {
        let git = self.git;
        let head_commit = git.commit(head.1)?;
        let after = read_state(git, &head.0, &head_commit)?;
        let (before, base_tree) = match base {
            Some((revision, id)) => {
                let commit = git.commit(*id)?;
                (read_state(git, revision, &commit)?, Some(commit.tree))
            }
            None => (State::default(), None),
        };
        let rewritten = match base {
            Some((_, id)) => !git.descends_from(head.1, *id)?,
            None => false,
        };
        // A shallow clone may only lack the history that joins the two.
        if rewritten && !git.shallow_boundary()?.is_empty() {
            return Err(EnvError::from(ShallowHistory {
                needs: format!(
                    "whether {} at `{}` contains its commit before the change",
                    name, head.0
                ),
            })
            .into());
        }
        let packages: BTreeSet<&String> = before
            .packages
            .keys()
            .chain(after.packages.keys())
            .collect();
        let mut moves = Vec::new();
        let held =
            |state: &State, tree: Option<Oid>, package: &str| -> Result<Option<Held>, GitError> {
                let (Some(entry), Some(tree)) = (state.packages.get(package), tree) else {
                    return Ok(None);
                };
                let version = match entry.object.parse::<ObjectRef>() {
                    Ok(object) => held_version(git, kinds, tree, &object, package)?,
                    Err(_) => None,
                };
                Ok(Some(Held {
                    object: entry.object.clone(),
                    version,
                }))
            };
        let mut setters = self.setters(head.1, base.map(|(_, id)| *id), &after, &before)?;
        for package in packages {
            let object = |state: &State| state.packages.get(package).map(|e| e.object.clone());
            if object(&before) == object(&after) {
                continue;
            }
            let from = held(&before, base_tree, package)?;
            let to = held(&after, Some(head_commit.tree), package)?;
            let setter = setters.remove(package.as_str());
            let action = setter.as_ref().and_then(|commit| commit.action);
            // The path as far as it verifies: a step that does not is the last
            // shown, and the audit's finding says why.
            let path = match (setter, &to) {
                (Some(commit), Some(to)) => {
                    path_from(provenance, name, package, commit, &to.object)?.steps
                }
                _ => Vec::new(),
            };
            moves.push(Move {
                package: package.clone(),
                from,
                to,
                action,
                path,
                allowed: true,
                problems: Vec::new(),
            });
        }
        Ok(EnvironmentReview {
            environment: name.to_owned(),
            base: base.map(|(revision, id)| Revision {
                revision: revision.clone(),
                commit: id.to_string(),
            }),
            head: Revision {
                revision: head.0.clone(),
                commit: head.1.to_string(),
            },
            rewritten,
            moves,
        })
    }

    /// The berth commit that last set each package whose entry differs, walking the
    /// head's first parents back to the base commit.
    fn setters(
        &self,
        head: Oid,
        base: Option<Oid>,
        after: &State,
        before: &State,
    ) -> Result<BTreeMap<String, EnvCommit>, EnvError> {
        let mut pending: BTreeSet<&str> = after
            .packages
            .iter()
            .filter(|(package, entry)| before.packages.get(*package) != Some(*entry))
            .map(|(package, _)| package.as_str())
            .collect();
        let mut found = BTreeMap::new();
        for commit in first_parents(self.git, Some(head)) {
            if pending.is_empty() {
                break;
            }
            let commit = commit?;
            if Some(commit.info.id) == base {
                break;
            }
            if let Some(package) = commit.package.clone()
                && matches!(commit.action, Some(Action::Promote | Action::Rollback))
                && pending.remove(package.as_str())
            {
                found.insert(package, commit);
            }
        }
        Ok(found)
    }
}

/// An environment's commits before and after the change.
struct EnvPair {
    name: String,
    /// Before: how findings name it, and the commit; `None` when it had none.
    before: Option<(String, Oid)>,
    /// After (the same commit when nothing names a newer one).
    after: (String, Oid),
    /// Whether the two can be compared: false for a local ref with no remote to
    /// hold what it was before.
    compared: bool,
}

/// Marks each move with the environment findings about its entry.
fn with_problems(mut review: EnvironmentReview, findings: &[Finding]) -> EnvironmentReview {
    for entry in &mut review.moves {
        let mut pointer = "/packages".to_owned();
        document::push_segment(&mut pointer, &entry.package);
        for finding in findings {
            if finding.pointer.as_deref() != Some(pointer.as_str()) {
                continue;
            }
            if matches!(finding.code, Code::PromotionPath | Code::UnsignedPromotion)
                && finding.is_error()
            {
                entry.allowed = false;
            }
            entry.problems.push(finding.message.clone());
        }
    }
    review
}

/// The remote-tracking ref of an environment's branch: `refs/heads/env/dev` is
/// tracked as `refs/remotes/origin/env/dev`. Refs outside `refs/heads/` have none.
fn tracking_ref(refname: &str, remote: &str) -> Option<String> {
    let branch = refname.strip_prefix("refs/heads/")?;
    Some(format!("refs/remotes/{remote}/{branch}"))
}

/// `<store>/<hash>` of an object file.
fn object_ref(file: &str) -> String {
    ObjectPath::parse(file).map_or_else(|_| file.to_owned(), |p| p.object_ref().to_string())
}

impl NewObject {
    /// A new object nothing more could be read of.
    fn bare(path: &ObjectPath) -> NewObject {
        NewObject {
            object: path.object_ref().to_string(),
            file: path.path(),
            version: None,
            previous: None,
            declared: None,
            required: None,
            understated: false,
            changes: Vec::new(),
            components: None,
            event: None,
        }
    }
}

/// A new object of a kind with versions, from its step in the package's
/// succession.
fn versioned(store: &str, step: succession::Step<'_>) -> NewObject {
    let components = (store == release_kind::STORE)
        .then(|| {
            let release: Release = serde_json::from_value(step.object.data.clone()).ok()?;
            let before = match &step.previous {
                Some((previous, _)) => {
                    serde_json::from_value::<Release>(previous.data.clone())
                        .ok()?
                        .components
                }
                None => Vec::new(),
            };
            Some(Components::compare(&before, &release.components))
        })
        .flatten();
    let required = step.previous.as_ref().map(|_| step.required);
    NewObject {
        object: object_ref(&step.object.file),
        file: step.object.file.clone(),
        version: Some(step.version.to_string()),
        previous: step.previous.as_ref().map(|(previous, version)| Previous {
            object: object_ref(&previous.file),
            file: previous.file.clone(),
            version: Some(version.to_string()),
            held_by: None,
        }),
        declared: step.declared,
        required,
        understated: matches!((step.declared, required), (Some(d), Some(r)) if d < r),
        changes: step.reasons,
        components,
        event: None,
    }
}

/// The new objects of a kind without versions, by `created_at`: the first
/// compared with `held` (what an environment held for the package before), each
/// later one with the new one before it; events with what they record.
fn unversioned(
    kinds: &Kinds,
    store: &str,
    objects: &[Versioned],
    held: Option<(Previous, Value)>,
) -> Vec<NewObject> {
    let created = |object: &Versioned| -> Option<jiff::Timestamp> {
        crate::time::parse(object.data.pointer("/created_at")?.as_str()?).ok()
    };
    let (ignored, keyed) = kinds.held(store).map_or((&[][..], &[][..]), |kind| {
        (kind.descriptive_fields(), kind.keyed_lists())
    });
    let mut sorted: Vec<&Versioned> = objects.iter().collect();
    sorted.sort_by(|a, b| {
        created(a)
            .cmp(&created(b))
            .then_with(|| a.file.cmp(&b.file))
    });
    let mut before = held;
    let mut reviewed = Vec::new();
    for object in sorted {
        let Ok(path) = ObjectPath::parse(&object.file) else {
            continue;
        };
        let mut new = NewObject::bare(&path);
        if store == event::STORE {
            new.event = serde_json::from_value::<Event>(object.data.clone())
                .ok()
                .map(|event| EventSummary {
                    subject: event.subject,
                    status: event.status.as_str().to_owned(),
                    reason: event.reason,
                });
        } else {
            if let Some((previous, data)) = &before {
                new.changes = bump::reasons(data, &object.data, Shape { ignored, keyed });
                new.previous = Some(previous.clone());
            }
            before = Some((
                Previous {
                    object: new.object.clone(),
                    file: new.file.clone(),
                    version: None,
                    held_by: None,
                },
                object.data.clone(),
            ));
        }
        reviewed.push(new);
    }
    reviewed
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
    fn environments_on_branches_are_tracked_by_the_remote() {
        let cases = [
            (
                "refs/heads/env/dev",
                "origin",
                Some("refs/remotes/origin/env/dev"),
            ),
            (
                "refs/heads/dev",
                "upstream",
                Some("refs/remotes/upstream/dev"),
            ),
            ("refs/berth/env/dev", "origin", None),
        ];
        for (refname, remote, tracking) in cases {
            assert_eq!(
                tracking_ref(refname, remote).as_deref(),
                tracking,
                "{refname}"
            );
        }
    }

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

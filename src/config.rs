//! Configs as people use them: write the next version under optimistic locking
//! with idempotency keys, read the version in force at a time, follow an id's
//! history, and resolve a type for an asset through its scopes (the config
//! versioning pattern, kept as files).
//!
//! Every answer is read off the version objects: a version is in force from its
//! `effective_at` until the next version's, so `superseded_at` is derived and no
//! file ever changes. An id whose versions break the invariants answers nothing:
//! the query reports the same findings `berth validate` does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::check::apply_severities;
use crate::check::configs;
use crate::check::read_versioned;
use crate::check::succession::Versioned;
use crate::diagnostic::finding::{Finding, plural};
use crate::document::{self, Format, MAX_SAFE_INTEGER, ProblemKind};
use crate::kinds::Kind;
use crate::kinds::config::{self, Category, Config, Configs, Scope};
use crate::names::{self, BadName};
use crate::objects::put::{InputFile, PutError, PutOutcome, PutRequest, put};
use crate::repo::{CommitError, GitError, Oid, Onto};
use crate::source::{Content, Source, SourceError};
use crate::store::{OBJECTS_DIR, ObjectPath};
use crate::time::{self, BadEpoch};
use crate::workspace::Workspace;

/// Why a config could not be written, read or resolved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// The id is not a name.
    #[error("config id {0}")]
    #[diagnostic(
        code("berth::bad-name"),
        help("use lowercase letters, digits, `.`, `_` and `-`, such as pricing-acct-1")
    )]
    BadName(#[from] BadName),
    /// A `--set` or `--unset` that is not a setting.
    #[error("`{text}` is not a setting: {reason}")]
    #[diagnostic(
        code("berth::bad-setting"),
        help(
            "write --set KEY=VALUE with a TOML value (rate=0.02, tier=gold, limits.daily=100; a quoted \"text\" stays text) and --unset KEY"
        )
    )]
    BadSetting {
        /// What was given.
        text: String,
        /// Why it is not one.
        reason: String,
    },
    /// The settings file could not be read as a table.
    #[error("`{file}` is not a settings table: {reason}")]
    #[diagnostic(
        code("berth::bad-setting"),
        help("give a .toml or .json file whose top level is a table of settings")
    )]
    SettingsFile {
        /// The file as given.
        file: String,
        /// Why.
        reason: String,
    },
    /// The settings file could not be opened.
    #[error("could not read `{}`", path.display())]
    #[diagnostic(code("berth::io"), help("check the path and the file's permissions"))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// The version expected leaves no version to write.
    #[error(
        "--expect-version {expected} leaves no version to write: config versions stop at {MAX_SAFE_INTEGER} (2^53 − 1)"
    )]
    #[diagnostic(
        code("berth::bad-version"),
        help("give the version you read: `berth config show {id}` shows the current one")
    )]
    VersionRange {
        /// The id.
        id: String,
        /// The version given.
        expected: u64,
    },
    /// Version 1 needs the fields that stay fixed.
    #[error("version 1 of `{id}` needs {}", missing.join(", "))]
    #[diagnostic(
        code("berth::config-fixed-fields"),
        help(
            "a new config is created with --expect-version 0 --type T --category policy|logic --applies-to ENTITY --scope account|campaign|asset"
        )
    )]
    MissingFixed {
        /// The id.
        id: String,
        /// The flags missing.
        missing: Vec<&'static str>,
    },
    /// The current version is not the one the writer read.
    #[error("config `{id}` is at version {actual}, not the expected {expected}")]
    #[diagnostic(code("berth::config-conflict"), help("{help}"))]
    Conflict {
        /// The id.
        id: String,
        /// The version the writer expected.
        expected: u64,
        /// The version there is.
        actual: u64,
        /// What to do.
        help: String,
    },
    /// An idempotency key already wrote a version from other data: the request is
    /// not a retry of that write, and writing nothing would lose it.
    #[error(
        "idempotency key `{key}` already wrote version {version} of `{id}`, from other data: {}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    #[diagnostic(
        code("berth::idempotency-key-reused"),
        help(
            "a retry must repeat the request that first used the key, and gets that version back; give a new change a new key (`berth config show {id} --version {version}` shows what the key wrote)"
        )
    )]
    KeyReused {
        /// The id.
        id: String,
        /// The key.
        key: String,
        /// The version the key wrote.
        version: u64,
        /// What differs between that version and this request.
        differences: Vec<Difference>,
    },
    /// The working tree holds versions the branch does not: committing would
    /// decide on other state than the one on disk.
    #[error("`{id}` has versions in the working tree that the branch does not: {}", files.join(", "))]
    #[diagnostic(
        code("berth::config-uncommitted"),
        help(
            "commit them (or remove them) first; another `berth config set` may be committing right now, so retrying may succeed"
        )
    )]
    Uncommitted {
        /// The id.
        id: String,
        /// The files.
        files: Vec<String>,
    },
    /// The branch moved while the version was being committed, by a commit that
    /// did not touch this config.
    #[error("the branch moved while a version of `{id}` was being committed; nothing was written")]
    #[diagnostic(
        code("berth::conflict"),
        help("someone committed to the branch at the same time; run the command again")
    )]
    Moved {
        /// The id.
        id: String,
    },
    /// The new version would break an invariant.
    #[error("nothing was written: version {version} of `{id}` would break {}", plural(findings.len(), "rule"))]
    #[diagnostic(
        code("berth::invalid-config"),
        help(
            "the findings above say what; `berth config history {id}` shows the versions there are"
        )
    )]
    Invalid {
        /// The id.
        id: String,
        /// The version that was to be written.
        version: u64,
        /// What it would break.
        #[related]
        findings: Vec<Finding>,
    },
    /// The versions there are break an invariant, so no answer can be trusted.
    #[error("the versions of `{id}` break {}; berth answers nothing from them", plural(findings.len(), "rule"))]
    #[diagnostic(
        code("berth::config-history"),
        help(
            "`berth validate` reports the same findings; repair the versions (git keeps every file) and ask again"
        )
    )]
    Broken {
        /// The id.
        id: String,
        /// What the versions break.
        #[related]
        findings: Vec<Finding>,
    },
    /// No config by that id.
    #[error("there is no config `{id}`")]
    #[diagnostic(
        code("berth::unknown-config"),
        help(
            "`berth config ls` lists the configs; create one with `berth config set {id} --expect-version 0 ...`"
        )
    )]
    Unknown {
        /// The id.
        id: String,
    },
    /// No such version of a config.
    #[error("config `{id}` has no version {version}; its highest is {highest}")]
    #[diagnostic(
        code("berth::unknown-config"),
        help("`berth config history {id}` lists its versions")
    )]
    NoSuchVersion {
        /// The id.
        id: String,
        /// The version asked for.
        version: u64,
        /// The highest there is.
        highest: u64,
    },
    /// A fail-closed type has no answer.
    #[error(
        "no `{config_type}` config is in force for {looked} at {at}, and `{config_type}` is fail-closed"
    )]
    #[diagnostic(
        code("berth::config-unresolved"),
        help(
            "create one (`berth config set <id> --expect-version 0 --type {config_type} ...`); berth.toml's [configs] fail_closed lists the types that must resolve (pricing, budget, autonomy and billing unless it says otherwise)"
        )
    )]
    Unresolved {
        /// The type.
        config_type: String,
        /// The entities looked at, in order.
        looked: String,
        /// The time asked about.
        at: String,
    },
    /// Two configs answer for one scope.
    #[error("`{}` are all in force for `{config_type}` on {scope} `{applies_to}` at {at}", ids.join("`, `"))]
    #[diagnostic(
        code("berth::config-overlap"),
        help(
            "`berth validate` reports the overlap; supersede one config with a new version of the other"
        )
    )]
    Ambiguous {
        /// The type.
        config_type: String,
        /// The scope.
        scope: Scope,
        /// The entity.
        applies_to: String,
        /// The ids in force.
        ids: Vec<String>,
        /// The time asked about.
        at: String,
    },
    /// A config file could not be read as a config.
    #[error("`{file}` is not a config version: {reason}")]
    #[diagnostic(
        code("berth::invalid-config"),
        help("`berth validate` says what is wrong with it")
    )]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Writing the version failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Put(#[from] PutError),
    /// Reading the branch failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
    /// Reading git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// Reading a file failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] BadEpoch),
    /// The new version could not be serialized.
    #[error("could not write the config as JSON")]
    #[diagnostic(code("berth::io"), help("this is a bug in berth; please report it"))]
    Serialize(#[from] serde_json::Error),
}

/// One version of a config, as read.
#[derive(Debug, Clone)]
pub struct Version {
    /// `configs/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// The version.
    pub config: Config,
    /// When it takes effect.
    pub effective: Timestamp,
}

/// Every version of one config id, in version order, checked.
#[derive(Debug, Clone)]
pub struct History {
    /// The id.
    pub id: String,
    /// The versions, 1 first.
    pub versions: Vec<Version>,
}

/// Whether a version is in force at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// It takes effect later.
    Scheduled,
    /// It is in force.
    Current,
    /// A later version took over.
    Superseded,
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            State::Scheduled => "scheduled",
            State::Current => "current",
            State::Superseded => "superseded",
        })
    }
}

/// A version with what is derived of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VersionView {
    /// `configs/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// The version as written.
    pub config: Config,
    /// When the next version took over: derived, never written.
    pub superseded_at: Option<String>,
    /// The version that took over.
    pub superseded_by: Option<u64>,
    /// Whether it is in force now.
    pub state: State,
}

/// A setting that differs between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct SettingChange {
    /// The setting's key; nested tables joined with `.`.
    pub key: String,
    /// What it was; absent when it was added.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// What it is; absent when it was removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

/// A field or setting that differs between the version an idempotency key wrote
/// and a request that uses the key again.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The field, or `settings.<key>` with nested tables joined with `.`.
    pub field: String,
    /// Its value in the version written; `None` when it has none.
    pub written: Option<Value>,
    /// Its value in this request; `None` when it has none.
    pub requested: Option<Value>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` is {} there, {} here",
            self.field,
            brief(self.written.as_ref()),
            brief(self.requested.as_ref())
        )
    }
}

/// A value as JSON, cut to a readable width: a message names what differs, it
/// does not echo a whole table.
fn brief(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_owned(), |value| cut(&value.to_string()))
}

/// Text from the command line or a file, cut to a readable width for a message,
/// saying how much was cut.
fn cut(text: &str) -> String {
    const WIDTH: usize = 60;
    let total = text.chars().count();
    if total <= WIDTH {
        return text.to_owned();
    }
    let kept: String = text.chars().take(WIDTH).collect();
    format!("{kept}… ({} more characters)", total.saturating_sub(WIDTH))
}

impl History {
    /// The highest version; 0 when there is none.
    pub fn latest(&self) -> u64 {
        self.versions.last().map_or(0, |v| v.config.version)
    }

    /// The version in force at `at`: the last to take effect at or before it.
    pub fn at(&self, at: Timestamp) -> Option<&Version> {
        self.versions.iter().rev().find(|v| v.effective <= at)
    }

    /// A version by number.
    pub fn version(&self, version: u64) -> Result<&Version, ConfigError> {
        self.versions
            .iter()
            .find(|v| v.config.version == version)
            .ok_or_else(|| ConfigError::NoSuchVersion {
                id: self.id.clone(),
                version,
                highest: self.latest(),
            })
    }

    /// A version with its derived fields, as of `now`.
    pub fn view(&self, version: &Version, now: Timestamp) -> VersionView {
        let next = self
            .versions
            .iter()
            .find(|v| v.config.version > version.config.version);
        let state = if version.effective > now {
            State::Scheduled
        } else if next.is_some_and(|next| next.effective <= now) {
            State::Superseded
        } else {
            State::Current
        };
        VersionView {
            object: version.object.clone(),
            file: version.file.clone(),
            config: version.config.clone(),
            superseded_at: next.map(|next| next.config.effective_at.clone()),
            superseded_by: next.map(|next| next.config.version),
            state,
        }
    }

    /// The settings changes from the version before `version` (all added for
    /// version 1).
    pub fn changes(&self, version: &Version) -> Vec<SettingChange> {
        let empty = BTreeMap::new();
        let before = self
            .versions
            .iter()
            .rev()
            .find(|v| v.config.version < version.config.version)
            .map_or(&empty, |v| &v.config.settings);
        settings_diff(before, &version.config.settings)
    }
}

/// Where config versions are read from.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// The working tree.
    WorkTree,
    /// A commit's tree.
    Tree(Oid),
}

/// The config files below `dir`, read from `place`: (path, bytes).
fn read_files(
    workspace: &Workspace,
    place: Place,
    dir: &str,
) -> Result<Vec<(String, Vec<u8>)>, ConfigError> {
    let limit = workspace.settings.max_object_bytes();
    let mut files = Vec::new();
    match place {
        Place::WorkTree => {
            for entry in workspace.tree.list(dir)? {
                match workspace.tree.read(&entry.path, limit)? {
                    Some(Content::Bytes(bytes)) => files.push((entry.path, bytes)),
                    Some(Content::TooLarge { size }) => {
                        return Err(ConfigError::Unreadable {
                            file: entry.path,
                            reason: format!("{size} bytes, over the limit of {limit}"),
                        });
                    }
                    None => {}
                }
            }
        }
        Place::Tree(tree) => {
            for (path, blob) in workspace.git.list_files(tree, dir)? {
                files.push((path, workspace.git.blob(blob)?));
            }
        }
    }
    Ok(files)
}

/// Reads config files into checked histories, by id.
fn histories(files: &[(String, Vec<u8>)]) -> Result<BTreeMap<String, Vec<Versioned>>, ConfigError> {
    let mut by_id: BTreeMap<String, Vec<Versioned>> = BTreeMap::new();
    for (file, bytes) in files {
        let unreadable = |reason: &str| ConfigError::Unreadable {
            file: file.clone(),
            reason: reason.to_owned(),
        };
        let path = ObjectPath::parse(file).map_err(|_| unreadable("not an object file"))?;
        let object = read_versioned(file, &path, bytes, true)
            .ok_or_else(|| unreadable("not well-formed JSON or TOML"))?;
        by_id
            .entry(path.partition.clone())
            .or_default()
            .push(object);
    }
    Ok(by_id)
}

/// An id's versions as a history, refused when they break an invariant.
fn history(workspace: &Workspace, id: &str, objects: &[Versioned]) -> Result<History, ConfigError> {
    let findings: Vec<Finding> = apply_severities(&workspace.settings, configs::check(objects))
        .into_iter()
        .filter(Finding::is_error)
        .collect();
    if !findings.is_empty() {
        return Err(ConfigError::Broken {
            id: id.to_owned(),
            findings,
        });
    }
    let mut versions = Vec::with_capacity(objects.len());
    for object in objects {
        let unreadable = |reason: String| ConfigError::Unreadable {
            file: object.file.clone(),
            reason,
        };
        // The schema first: it bounds what the rules and the arithmetic on
        // versions may meet (a version 0, a version past 2^53 − 1).
        if !Configs.validator().is_valid(&object.data) {
            return Err(unreadable("it does not match the config schema".to_owned()));
        }
        let config: Config = serde_json::from_value(object.data.clone())
            .map_err(|error| unreadable(error.to_string()))?;
        if config.id != id {
            return Err(unreadable(format!(
                "its id is `{}`, but it is filed under `{id}`",
                config.id
            )));
        }
        let effective = config
            .effective_at
            .parse()
            .map_err(|error: jiff::Error| unreadable(error.to_string()))?;
        let path = ObjectPath::parse(&object.file)
            .map_err(|_| unreadable("not an object file".to_owned()))?;
        versions.push(Version {
            object: path.object_ref().to_string(),
            file: object.file.clone(),
            config,
            effective,
        });
    }
    versions.sort_by_key(|v| v.config.version);
    Ok(History {
        id: id.to_owned(),
        versions,
    })
}

fn id_dir(id: &str) -> String {
    format!("{OBJECTS_DIR}/{}/{id}", config::STORE)
}

fn store_dir() -> String {
    format!("{OBJECTS_DIR}/{}", config::STORE)
}

/// The history of one id in the working tree.
pub fn read(workspace: &Workspace, id: &str) -> Result<History, ConfigError> {
    names::check(id)?;
    let files = read_files(workspace, Place::WorkTree, &id_dir(id))?;
    let objects = histories(&files)?.remove(id).unwrap_or_default();
    if objects.is_empty() {
        return Err(ConfigError::Unknown { id: id.to_owned() });
    }
    history(workspace, id, &objects)
}

/// How the settings of the new version are made.
#[derive(Debug, Clone)]
pub enum NewSettings {
    /// The whole table, as given.
    Replace(BTreeMap<String, Value>),
    /// The previous version's settings with keys set and removed.
    Edit {
        /// Keys to set, as paths into nested tables, with their values.
        set: Vec<(Vec<String>, Value)>,
        /// Keys to remove.
        unset: Vec<Vec<String>>,
    },
}

/// The fixed fields of a new config, and those that may change.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// `type`.
    pub config_type: Option<String>,
    /// `category`.
    pub category: Option<Category>,
    /// `applies_to`.
    pub applies_to: Option<String>,
    /// `scope`.
    pub scope: Option<Scope>,
    /// `name`; the previous version's when not given.
    pub name: Option<String>,
    /// `tenant_id`; the previous version's when not given.
    pub tenant_id: Option<String>,
}

/// What `berth config set` is asked to do.
#[derive(Debug, Clone)]
pub struct SetRequest {
    /// The config id.
    pub id: String,
    /// The version the writer read: 0 to create the config.
    pub expect_version: u64,
    /// The new settings.
    pub settings: NewSettings,
    /// The fields.
    pub fields: Fields,
    /// When the new version takes effect; now when not given.
    pub effective_at: Option<Timestamp>,
    /// The write's idempotency key.
    pub idempotency_key: Option<String>,
    /// Commit the version, moving the branch from the tip it was read at.
    pub commit: bool,
}

/// What `berth config set` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SetOutcome {
    /// The config id.
    pub id: String,
    /// The version written, or found for the idempotency key.
    pub version: u64,
    /// `configs/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// False when the idempotency key had been used: nothing was written.
    pub written: bool,
    /// When the version takes effect.
    pub effective_at: String,
    /// Whether it takes effect later than now.
    pub scheduled: bool,
    /// The version it supersedes.
    pub supersedes: Option<u64>,
    /// What changed in the settings.
    pub changes: Vec<SettingChange>,
    /// How it was put, when it was written.
    pub put: Option<PutOutcome>,
}

/// Writes the next version of a config, if the current version is the one the
/// writer expects; with an idempotency key already used for the id, reports that
/// version and writes nothing.
pub fn set(workspace: &Workspace, request: &SetRequest) -> Result<SetOutcome, ConfigError> {
    let id = request.id.as_str();
    names::check(id)?;
    if request.expect_version >= MAX_SAFE_INTEGER {
        return Err(ConfigError::VersionRange {
            id: id.to_owned(),
            expected: request.expect_version,
        });
    }
    let now = clock()?;
    let (place, onto) = if request.commit {
        let (_, tip) = workspace.git.head_tip()?;
        let place = match tip {
            Some(tip) => Some(Place::Tree(workspace.git.commit(tip)?.tree)),
            None => None,
        };
        (place, Some(Onto::Read(tip)))
    } else {
        (Some(Place::WorkTree), None)
    };
    let files = match place {
        Some(place) => read_files(workspace, place, &id_dir(id))?,
        None => Vec::new(),
    };
    // Versions only the working tree has keep a commit from building on the
    // branch, all but the one this request would write itself (below).
    let mut extra = if request.commit {
        uncommitted(workspace, id, &files)?
    } else {
        Vec::new()
    };
    let refuse_extra = |extra: &[String]| match extra {
        [] => Ok(()),
        _ => Err(ConfigError::Uncommitted {
            id: id.to_owned(),
            files: extra.to_vec(),
        }),
    };
    let objects = histories(&files)?.remove(id).unwrap_or_default();
    let current = history(workspace, id, &objects)?;
    if let Some(key) = &request.idempotency_key
        && let Some(done) = current
            .versions
            .iter()
            .find(|v| v.config.idempotency_key.as_ref() == Some(key))
    {
        refuse_extra(&extra)?;
        let differences = differences(request, &current, done)?;
        if !differences.is_empty() {
            return Err(ConfigError::KeyReused {
                id: id.to_owned(),
                key: key.clone(),
                version: done.config.version,
                differences,
            });
        }
        return Ok(SetOutcome {
            id: id.to_owned(),
            version: done.config.version,
            object: done.object.clone(),
            file: done.file.clone(),
            written: false,
            effective_at: done.config.effective_at.clone(),
            scheduled: done.effective > now,
            supersedes: done.config.version.checked_sub(1).filter(|v| *v > 0),
            changes: current.changes(done),
            put: None,
        });
    }
    let actual = current.latest();
    if actual != request.expect_version {
        refuse_extra(&extra)?;
        return Err(conflict(id, request.expect_version, actual));
    }
    let previous = current.versions.last();
    let new = next_version(request, previous, now)?;
    let mut bytes = serde_json::to_vec_pretty(&new)?;
    bytes.push(b'\n');
    let candidate_file = candidate_path(&new, &bytes)?;
    // The file this very version would be written to is no obstacle: its name is
    // its data's hash, so it is what an interrupted run of this request left.
    extra.retain(|path| *path != candidate_file);
    refuse_extra(&extra)?;
    // The new version against the versions there are, and on creation against
    // every config (another id may already answer for this type and entity).
    let mut others = if previous.is_none() {
        match place {
            Some(place) => read_files(workspace, place, &store_dir())?,
            None => Vec::new(),
        }
    } else {
        files
    };
    others.retain(|(file, _)| *file != candidate_file);
    let mut objects: Vec<Versioned> = histories(&others)?.into_values().flatten().collect();
    for object in &mut objects {
        object.in_scope = false;
    }
    let path = ObjectPath::parse(&candidate_file).map_err(|_| ConfigError::Unreadable {
        file: candidate_file.clone(),
        reason: "not an object path".to_owned(),
    })?;
    // Findings on the new version name it, not the file it would have had: a
    // refusal names only files that exist.
    objects.extend(
        read_versioned(&candidate_file, &path, &bytes, true).map(|mut candidate| {
            candidate.file = format!("<{id} version {}, not written>", new.version);
            candidate
        }),
    );
    let findings: Vec<Finding> = apply_severities(&workspace.settings, configs::check(&objects))
        .into_iter()
        .filter(Finding::is_error)
        .collect();
    if !findings.is_empty() {
        return Err(ConfigError::Invalid {
            id: id.to_owned(),
            version: new.version,
            findings,
        });
    }
    let message = format!(
        "Config {id} version {}\n\nEffective-At: {}\n",
        new.version, new.effective_at
    );
    let files = [InputFile {
        path: PathBuf::from("config.json"),
        name: format!("config {id} version {}", new.version),
        bytes: Some(bytes),
    }];
    let put = match put(
        workspace,
        &PutRequest {
            store: config::STORE,
            files: &files,
            commit: onto,
            message: Some(&message),
        },
    ) {
        // Another writer committed between the read and the commit: if it wrote
        // this config, say so in versions; otherwise the branch simply moved.
        Err(PutError::Commit(CommitError::Conflict { .. })) if request.commit => {
            let actual = committed_version(workspace, id)?;
            if actual != request.expect_version {
                return Err(conflict(id, request.expect_version, actual));
            }
            return Err(ConfigError::Moved { id: id.to_owned() });
        }
        other => other?,
    };
    let before = previous.map_or_else(BTreeMap::new, |v| v.config.settings.clone());
    let effective: Timestamp = new.effective_at.parse().unwrap_or(now);
    Ok(SetOutcome {
        id: id.to_owned(),
        version: new.version,
        object: path.object_ref().to_string(),
        file: candidate_file,
        written: true,
        effective_at: new.effective_at.clone(),
        scheduled: effective > now,
        supersedes: previous.map(|v| v.config.version),
        changes: settings_diff(&before, &new.settings),
        put: Some(put),
    })
}

/// The highest version of a config at the branch's tip.
fn committed_version(workspace: &Workspace, id: &str) -> Result<u64, ConfigError> {
    let (_, tip) = workspace.git.head_tip()?;
    let Some(tip) = tip else {
        return Ok(0);
    };
    let files = read_files(
        workspace,
        Place::Tree(workspace.git.commit(tip)?.tree),
        &id_dir(id),
    )?;
    let objects = histories(&files)?.remove(id).unwrap_or_default();
    Ok(history(workspace, id, &objects)?.latest())
}

fn conflict(id: &str, expected: u64, actual: u64) -> ConfigError {
    let help = if actual == 0 {
        format!(
            "`{id}` has no versions yet: create version 1 with --expect-version 0 and the fixed fields"
        )
    } else {
        format!(
            "someone else wrote version {actual}: read it (`berth config show {id}`), redo the change on it, and retry with --expect-version {actual}"
        )
    };
    ConfigError::Conflict {
        id: id.to_owned(),
        expected,
        actual,
        help,
    }
}

/// The version files of `id` that only the working tree has.
fn uncommitted(
    workspace: &Workspace,
    id: &str,
    committed: &[(String, Vec<u8>)],
) -> Result<Vec<String>, ConfigError> {
    Ok(workspace
        .tree
        .list(&id_dir(id))?
        .into_iter()
        .map(|entry| entry.path)
        .filter(|path| !committed.iter().any(|(file, _)| file == path))
        .collect())
}

/// Where a new version's file goes.
fn candidate_path(new: &Config, bytes: &[u8]) -> Result<String, ConfigError> {
    let data = document::parse(bytes, Format::Json).map_err(|problem| ConfigError::Unreadable {
        file: "config.json".to_owned(),
        reason: problem.message,
    })?;
    let hash = crate::canonical::ObjectHash::of(&data);
    Ok(ObjectPath {
        store: config::STORE.to_owned(),
        partition: new.id.clone(),
        hash,
        format: Format::Json,
    }
    .path())
}

/// The new version: the fixed fields from the request for version 1, from the
/// previous version after (a different one given is refused by the rules).
fn next_version(
    request: &SetRequest,
    previous: Option<&Version>,
    now: Timestamp,
) -> Result<Config, ConfigError> {
    let fields = &request.fields;
    let (config_type, category, applies_to, scope) = match previous {
        None => {
            let mut missing = Vec::new();
            if fields.config_type.is_none() {
                missing.push("--type");
            }
            if fields.category.is_none() {
                missing.push("--category");
            }
            if fields.applies_to.is_none() {
                missing.push("--applies-to");
            }
            if fields.scope.is_none() {
                missing.push("--scope");
            }
            match (
                &fields.config_type,
                fields.category,
                &fields.applies_to,
                fields.scope,
            ) {
                (Some(t), Some(c), Some(a), Some(s)) => (t.clone(), c, a.clone(), s),
                _ => {
                    return Err(ConfigError::MissingFixed {
                        id: request.id.clone(),
                        missing,
                    });
                }
            }
        }
        Some(previous) => {
            let was = &previous.config;
            (
                fields
                    .config_type
                    .clone()
                    .unwrap_or_else(|| was.config_type.clone()),
                fields.category.unwrap_or(was.category),
                fields
                    .applies_to
                    .clone()
                    .unwrap_or_else(|| was.applies_to.clone()),
                fields.scope.unwrap_or(was.scope),
            )
        }
    };
    let was = previous.map(|v| &v.config);
    let settings = requested_settings(&request.settings, was)?;
    let version = request
        .expect_version
        .checked_add(1)
        .filter(|version| *version <= MAX_SAFE_INTEGER)
        .ok_or_else(|| ConfigError::VersionRange {
            id: request.id.clone(),
            expected: request.expect_version,
        })?;
    Ok(Config {
        id: request.id.clone(),
        version,
        config_type,
        category,
        name: fields
            .name
            .clone()
            .or_else(|| was.and_then(|was| was.name.clone())),
        applies_to,
        scope,
        tenant_id: fields
            .tenant_id
            .clone()
            .or_else(|| was.and_then(|was| was.tenant_id.clone())),
        settings,
        effective_at: request
            .effective_at
            .unwrap_or_else(|| default_effective(now, previous))
            .to_string(),
        idempotency_key: request.idempotency_key.clone(),
    })
}

/// The settings a request makes: the whole table given, or the previous
/// version's with keys set and removed.
fn requested_settings(
    settings: &NewSettings,
    previous: Option<&Config>,
) -> Result<BTreeMap<String, Value>, ConfigError> {
    match settings {
        NewSettings::Replace(settings) => Ok(settings.clone()),
        NewSettings::Edit { set, unset } => {
            let mut settings = previous.map_or_else(BTreeMap::new, |was| was.settings.clone());
            edit(&mut settings, set, unset)?;
            Ok(settings)
        }
    }
}

/// What differs between the version an idempotency key wrote and what `request`
/// asks for, had it been the write that made that version: the settings, made
/// over the version before it; each field the request gives, and the name and
/// tenant it would carry over; and `effective_at` when the request gives one.
/// Without one, the retry takes effect "now" like the first try did, and now has
/// moved on since: that is no difference.
fn differences(
    request: &SetRequest,
    history: &History,
    done: &Version,
) -> Result<Vec<Difference>, ConfigError> {
    let was = &done.config;
    let base = history
        .versions
        .iter()
        .rev()
        .find(|v| v.config.version < was.version)
        .map(|v| &v.config);
    let settings = requested_settings(&request.settings, base)?;
    let mut differences: Vec<Difference> = settings_diff(&was.settings, &settings)
        .into_iter()
        .map(|change| Difference {
            field: format!("settings.{}", change.key),
            written: change.from,
            requested: change.to,
        })
        .collect();
    let text = |value: &str| Some(Value::String(value.to_owned()));
    let fields = &request.fields;
    let carried = |given: &Option<String>, previous: Option<&Option<String>>| {
        given
            .clone()
            .or_else(|| previous.cloned().flatten())
            .as_deref()
            .and_then(text)
    };
    let compared = [
        (
            "type",
            text(&was.config_type),
            fields.config_type.as_deref().and_then(text),
        ),
        (
            "category",
            text(was.category.as_str()),
            fields.category.and_then(|c| text(c.as_str())),
        ),
        (
            "applies_to",
            text(&was.applies_to),
            fields.applies_to.as_deref().and_then(text),
        ),
        (
            "scope",
            text(was.scope.as_str()),
            fields.scope.and_then(|s| text(s.as_str())),
        ),
    ];
    for (field, written, requested) in compared {
        if requested.is_some() && requested != written {
            differences.push(Difference {
                field: field.to_owned(),
                written,
                requested,
            });
        }
    }
    for (field, written, requested) in [
        (
            "name",
            was.name.as_deref().and_then(text),
            carried(&fields.name, base.map(|b| &b.name)),
        ),
        (
            "tenant_id",
            was.tenant_id.as_deref().and_then(text),
            carried(&fields.tenant_id, base.map(|b| &b.tenant_id)),
        ),
    ] {
        if requested != written {
            differences.push(Difference {
                field: field.to_owned(),
                written,
                requested,
            });
        }
    }
    if let Some(at) = request.effective_at
        && at != done.effective
    {
        differences.push(Difference {
            field: "effective_at".to_owned(),
            written: text(&was.effective_at),
            requested: text(&at.to_string()),
        });
    }
    Ok(differences)
}

/// The smallest step berth puts between two versions' `effective_at`: a
/// millisecond, the precision of its clock.
const STEP: SignedDuration = SignedDuration::from_millis(1);

/// How far after "now" the previous version may take effect and still count as
/// taking effect now: `SOURCE_DATE_EPOCH` counts whole seconds, and the clocks of
/// two machines writing one config disagree by about that much.
const SAME_MOMENT: SignedDuration = SignedDuration::from_secs(1);

/// Now, to the millisecond, the precision of the source's clock (`Date.now()`):
/// two versions written within one second still take effect one after the
/// other. Under `SOURCE_DATE_EPOCH` it is that time, as everywhere in berth, so
/// that scripted runs make the same objects.
fn clock() -> Result<Timestamp, ConfigError> {
    if std::env::var_os("SOURCE_DATE_EPOCH").is_some() {
        return Ok(time::now()?);
    }
    let now = Timestamp::now();
    Ok(Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now))
}

/// When a version written without `--effective-at` takes effect: now; or, when
/// the previous version takes effect at this same moment (a second written under
/// one `SOURCE_DATE_EPOCH`, a writer whose clock runs a little ahead), one step
/// after it. A previous version scheduled for later than that keeps its place,
/// and the new version is refused as out of order rather than scheduled behind
/// it unasked.
fn default_effective(now: Timestamp, previous: Option<&Version>) -> Timestamp {
    let Some(previous) = previous.map(|v| v.effective) else {
        return now;
    };
    let same_moment = now.checked_add(SAME_MOMENT).is_ok_and(|end| previous < end);
    if previous >= now && same_moment {
        previous.checked_add(STEP).unwrap_or(now)
    } else {
        now
    }
}

/// Applies `--set` and `--unset` to a settings table.
fn edit(
    settings: &mut BTreeMap<String, Value>,
    set: &[(Vec<String>, Value)],
    unset: &[Vec<String>],
) -> Result<(), ConfigError> {
    let mut table: Map<String, Value> = settings.clone().into_iter().collect();
    for (path, value) in set {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut at = &mut table;
        for (depth, key) in parents.iter().enumerate() {
            let through = parents.get(..=depth).unwrap_or(parents);
            let entry = at
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            at = entry
                .as_object_mut()
                .ok_or_else(|| ConfigError::BadSetting {
                    text: join_key(path),
                    reason: format!("`{}` is not a table", join_key(through)),
                })?;
        }
        at.insert(last.clone(), value.clone());
    }
    for path in unset {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut at = Some(&mut table);
        for key in parents {
            at = at
                .and_then(|table| table.get_mut(key))
                .and_then(Value::as_object_mut);
        }
        if at.and_then(|table| table.remove(last)).is_none() {
            return Err(ConfigError::BadSetting {
                text: join_key(path),
                reason: "there is no such setting to unset".to_owned(),
            });
        }
    }
    *settings = table.into_iter().collect();
    Ok(())
}

/// Parses `--set KEY=VALUE`: the value as TOML (`0.02`, `true`, `[1, 2]`,
/// `"text"`), or as a string when it is not one TOML value (`gold`); the key as
/// a TOML key (`limits.daily`).
pub fn parse_assignment(text: &str) -> Result<(Vec<String>, Value), ConfigError> {
    let bad = |reason: &str| ConfigError::BadSetting {
        text: cut(text),
        reason: reason.to_owned(),
    };
    let (key, value) = text.split_once('=').ok_or_else(|| bad("it has no `=`"))?;
    let path = parse_key(key).ok_or_else(|| bad("the key is not a TOML key"))?;
    let value = parse_value(value).map_err(|reason| bad(&reason))?;
    Ok((path, value))
}

/// A `--set` value: one TOML value, or else text. A TOML number berth cannot
/// keep exactly (beyond ±(2^53 − 1), NaN, an infinity) is refused for the reason
/// a file holding it is; so is text that reads as a number but is not a TOML one
/// (`.5`, `01`, `NaN`), and text that opens like a TOML string, array or table
/// but is not one (`"unclosed`, `[a`, arrays nested past the parser's depth):
/// none of them may silently become a string. Quoted, any of them is text.
fn parse_value(value: &str) -> Result<Value, String> {
    let problem = match document::parse_text(&format!("v = {value}"), Format::Toml) {
        Ok(Value::Object(mut table)) if table.len() == 1 => match table.remove("v") {
            Some(value) => return Ok(value),
            None => None,
        },
        // More than one TOML value (`1\nb = 2`): not a value, so text.
        Ok(_) => None,
        Err(problem)
            if matches!(
                problem.kind,
                ProblemKind::NonFinite | ProblemKind::IntegerRange
            ) =>
        {
            return Err(problem.message);
        }
        Err(problem) => Some(problem),
    };
    if reads_as_number(value) {
        return Err(format!(
            "`{}` reads as a number but is not a TOML number: write it as one (0.5, 1e3, 1_000), or quote it to keep it as text",
            cut(value)
        ));
    }
    let opens = match value.trim_start().chars().next() {
        Some('"' | '\'') => Some("a string"),
        Some('[') => Some("an array"),
        Some('{') => Some("an inline table"),
        _ => None,
    };
    if let (Some(opens), Some(problem)) = (opens, problem) {
        return Err(format!(
            "`{}` opens like {opens} but is not one in TOML ({}): write it as TOML, or quote it whole to keep it as text",
            cut(value),
            problem.message
        ));
    }
    Ok(Value::String(value.to_owned()))
}

/// Whether text reads as a number: a sign, digits with at most one point and an
/// exponent, or NaN or an infinity in any case.
fn reads_as_number(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word))
    {
        return true;
    }
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit() || c == '_');
    let (mantissa, exponent) = unsigned
        .split_once(['e', 'E'])
        .map_or((unsigned, None), |(mantissa, exponent)| {
            (mantissa, Some(exponent))
        });
    let (whole, fraction) = mantissa
        .split_once('.')
        .map_or((mantissa, None), |(whole, fraction)| {
            (whole, Some(fraction))
        });
    digits(whole)
        && fraction.is_none_or(digits)
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Parses `--unset KEY`.
pub fn parse_unset(text: &str) -> Result<Vec<String>, ConfigError> {
    parse_key(text).ok_or_else(|| ConfigError::BadSetting {
        text: cut(text),
        reason: "the key is not a TOML key".to_owned(),
    })
}

/// A TOML key (`rate`, `limits.daily`, `"a.b"`) as its path of table keys; `None`
/// when the text is anything more than one key. The key is read as the left side
/// of two one-line documents with different values: text that ends the line early
/// (`a = 0 #`) or adds a second key gives itself away by a value that is not the
/// one written after it.
fn parse_key(key: &str) -> Option<Vec<String>> {
    let key = key.trim();
    if key.is_empty() || key.contains(['\n', '\r']) {
        return None;
    }
    let read = |leaf: i64| -> Option<Vec<String>> {
        let mut data = document::parse_text(&format!("{key} = {leaf}"), Format::Toml).ok()?;
        let mut path = Vec::new();
        loop {
            match data {
                Value::Object(table) if table.len() == 1 => {
                    let (name, value) = table.into_iter().next()?;
                    path.push(name);
                    data = value;
                }
                Value::Number(n) if n.as_i64() == Some(leaf) && !path.is_empty() => {
                    return Some(path);
                }
                _ => return None,
            }
        }
    };
    let path = read(0)?;
    (read(1)? == path).then_some(path)
}

/// Reads the settings table of `--file`: a regular file of at most `limit`
/// bytes (a directory, a FIFO or a device is refused before it is opened, so
/// nothing blocks on it).
pub fn read_settings_file(path: &Path, name: &str, limit: u64) -> Result<NewSettings, ConfigError> {
    let bad = |reason: String| ConfigError::SettingsFile {
        file: name.to_owned(),
        reason,
    };
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
        .ok_or_else(|| bad("it is neither a .json nor a .toml file".to_owned()))?;
    // Opened as every input file is: a directory, FIFO or device is refused
    // before anything blocks on it.
    let bytes = match crate::source::read_capped(path, limit) {
        Ok(Content::Bytes(bytes)) => bytes,
        Ok(Content::TooLarge { size }) => {
            return Err(bad(format!(
                "it is {size} bytes, over the object size limit of {limit}"
            )));
        }
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::IsADirectory | std::io::ErrorKind::InvalidInput
            ) =>
        {
            return Err(bad("it is not a regular file".to_owned()));
        }
        Err(error) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                error,
            });
        }
    };
    match document::parse(&bytes, format) {
        Ok(Value::Object(table)) => Ok(NewSettings::Replace(table.into_iter().collect())),
        Ok(_) => Err(bad("its top level is not a table".to_owned())),
        Err(problem) => Err(bad(problem.message)),
    }
}

fn join_key(path: &[String]) -> String {
    path.iter()
        .map(|key| {
            if !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                key.clone()
            } else {
                Value::String(key.clone()).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The settings that differ between two tables, nested tables key by key.
pub fn settings_diff(
    from: &BTreeMap<String, Value>,
    to: &BTreeMap<String, Value>,
) -> Vec<SettingChange> {
    let mut changes = Vec::new();
    let from: Map<String, Value> = from.clone().into_iter().collect();
    let to: Map<String, Value> = to.clone().into_iter().collect();
    diff_tables(&mut Vec::new(), &from, &to, &mut changes);
    changes
}

fn diff_tables(
    path: &mut Vec<String>,
    from: &Map<String, Value>,
    to: &Map<String, Value>,
    changes: &mut Vec<SettingChange>,
) {
    let mut keys: Vec<&String> = from.keys().chain(to.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        path.push(key.clone());
        match (from.get(key), to.get(key)) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => diff_tables(path, a, b, changes),
            (a, b) if a != b => changes.push(SettingChange {
                key: join_key(path),
                from: a.cloned(),
                to: b.cloned(),
            }),
            _ => {}
        }
        path.pop();
    }
}

/// Which version `berth config show` shows.
#[derive(Debug, Clone, Copy)]
pub enum Select {
    /// The version in force now.
    Now,
    /// A version by number.
    Version(u64),
    /// The version in force at a time.
    At(Timestamp),
}

/// What `berth config show` found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Shown {
    /// The config id.
    pub id: String,
    /// The time asked about, when the question was "in force when".
    pub at: Option<String>,
    /// The version; `null` when none was in force at that time.
    pub version: Option<VersionView>,
    /// When no version was in force: when the first took effect.
    pub first_effective_at: Option<String>,
    /// The highest version.
    pub latest: u64,
}

/// A version of a config: by number, or the one in force at a time.
pub fn show(workspace: &Workspace, id: &str, select: Select) -> Result<Shown, ConfigError> {
    let history = read(workspace, id)?;
    let now = clock()?;
    let (version, at) = match select {
        Select::Version(number) => (Some(history.version(number)?), None),
        Select::Now => (history.at(now), Some(now)),
        Select::At(at) => (history.at(at), Some(at)),
    };
    Ok(Shown {
        id: id.to_owned(),
        at: at.map(|at| at.to_string()),
        version: version.map(|v| history.view(v, now)),
        first_effective_at: history
            .versions
            .first()
            .filter(|_| version.is_none())
            .map(|v| v.config.effective_at.clone()),
        latest: history.latest(),
    })
}

/// One version in `berth config history`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryEntry {
    /// The version and what is derived of it.
    #[serde(flatten)]
    pub view: VersionView,
    /// What changed in the settings from the version before.
    pub changes: Vec<SettingChange>,
}

/// What `berth config history` found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistoryReport {
    /// The config id.
    pub id: String,
    /// Every version, 1 first.
    pub versions: Vec<HistoryEntry>,
}

/// Every version of a config, with its times and its settings changes.
pub fn history_of(workspace: &Workspace, id: &str) -> Result<HistoryReport, ConfigError> {
    let history = read(workspace, id)?;
    let now = clock()?;
    Ok(HistoryReport {
        id: id.to_owned(),
        versions: history
            .versions
            .iter()
            .map(|version| HistoryEntry {
                view: history.view(version, now),
                changes: history.changes(version),
            })
            .collect(),
    })
}

/// A field other than the settings that differs between two versions.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct FieldChange {
    /// The field.
    pub field: String,
    /// What it was.
    pub from: Option<String>,
    /// What it is.
    pub to: Option<String>,
}

/// What `berth config diff` found.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConfigDiff {
    /// The config id.
    pub id: String,
    /// The version compared from.
    pub from: u64,
    /// The version compared to.
    pub to: u64,
    /// The settings that differ.
    pub settings: Vec<SettingChange>,
    /// The other fields that differ.
    pub fields: Vec<FieldChange>,
}

/// The differences between two versions of a config.
pub fn diff(
    workspace: &Workspace,
    id: &str,
    from: u64,
    to: u64,
) -> Result<ConfigDiff, ConfigError> {
    let history = read(workspace, id)?;
    let (a, b) = (&history.version(from)?.config, &history.version(to)?.config);
    let fields = [
        ("name", a.name.clone(), b.name.clone()),
        ("tenant_id", a.tenant_id.clone(), b.tenant_id.clone()),
        (
            "effective_at",
            Some(a.effective_at.clone()),
            Some(b.effective_at.clone()),
        ),
        (
            "idempotency_key",
            a.idempotency_key.clone(),
            b.idempotency_key.clone(),
        ),
    ]
    .into_iter()
    .filter(|(_, was, now)| was != now)
    .map(|(field, from, to)| FieldChange {
        field: field.to_owned(),
        from,
        to,
    })
    .collect();
    Ok(ConfigDiff {
        id: id.to_owned(),
        from,
        to,
        settings: settings_diff(&a.settings, &b.settings),
        fields,
    })
}

/// One config in `berth config ls`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Listed {
    /// The id.
    pub id: String,
    /// Its type.
    #[serde(rename = "type")]
    pub config_type: String,
    /// Its scope.
    pub scope: Scope,
    /// The entity it governs.
    pub applies_to: String,
    /// The version in force now, if one is.
    pub current: Option<u64>,
    /// The highest version.
    pub latest: u64,
}

/// Every config, by id, with the version in force now.
pub fn list(workspace: &Workspace) -> Result<Vec<Listed>, ConfigError> {
    let now = clock()?;
    let files = read_files(workspace, Place::WorkTree, &store_dir())?;
    let mut listed = Vec::new();
    for (id, objects) in histories(&files)? {
        let history = history(workspace, &id, &objects)?;
        let Some(latest) = history.versions.last() else {
            continue;
        };
        listed.push(Listed {
            id,
            config_type: latest.config.config_type.clone(),
            scope: latest.config.scope,
            applies_to: latest.config.applies_to.clone(),
            current: history.at(now).map(|v| v.config.version),
            latest: latest.config.version,
        });
    }
    Ok(listed)
}

/// What `berth config resolve` is asked.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    /// The config type.
    pub config_type: String,
    /// The asset.
    pub asset: String,
    /// Its campaign, if any.
    pub campaign: Option<String>,
    /// Its account, if any.
    pub account: Option<String>,
    /// The time; now when not given.
    pub at: Option<Timestamp>,
}

/// One scope resolution looked at.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Look {
    /// The scope.
    pub scope: Scope,
    /// The entity asked about; absent when none was given for the scope.
    pub applies_to: Option<String>,
    /// Whether it was asked: a more specific scope may have answered first.
    pub asked: bool,
    /// The config version in force there, if any.
    pub found: Option<Found>,
}

/// A config version found at a scope.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Found {
    /// The id.
    pub id: String,
    /// The version.
    pub version: u64,
}

/// What `berth config resolve` answered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Resolution {
    /// The config type.
    #[serde(rename = "type")]
    pub config_type: String,
    /// The time asked about.
    pub at: String,
    /// Whether the type is fail-closed: no answer is an error.
    pub fail_closed: bool,
    /// The scope that answered, if one did.
    pub scope: Option<Scope>,
    /// The answer: the version in force at the most specific scope that has one.
    pub answer: Option<VersionView>,
    /// Each scope, most specific first.
    pub looked: Vec<Look>,
}

/// Resolves a config type for an asset: asset beats campaign beats account.
/// Configs are matched by `type`, `scope` and `applies_to`, and answer with the
/// version in force at the time asked.
pub fn resolve(workspace: &Workspace, request: &ResolveRequest) -> Result<Resolution, ConfigError> {
    let now = clock()?;
    let at = request.at.unwrap_or(now);
    let files = read_files(workspace, Place::WorkTree, &store_dir())?;
    let asked: [(Scope, Option<&String>); 3] = [
        (Scope::Asset, Some(&request.asset)),
        (Scope::Campaign, request.campaign.as_ref()),
        (Scope::Account, request.account.as_ref()),
    ];
    let mut candidates: BTreeMap<Scope, Vec<History>> = BTreeMap::new();
    for (id, objects) in histories(&files)? {
        let matches = |object: &Versioned| {
            let text = |key: &str| object.data.get(key).and_then(Value::as_str);
            text("type") == Some(request.config_type.as_str())
                && asked.iter().any(|(scope, entity)| {
                    text("scope") == Some(scope.as_str())
                        && entity.is_some_and(|e| text("applies_to") == Some(e.as_str()))
                })
        };
        if !objects.iter().any(matches) {
            continue;
        }
        let history = history(workspace, &id, &objects)?;
        if let Some(first) = history.versions.first() {
            candidates
                .entry(first.config.scope)
                .or_default()
                .push(history);
        }
    }
    let mut looked = Vec::new();
    let mut answer: Option<(Scope, VersionView)> = None;
    for (scope, entity) in asked {
        let Some(entity) = entity else {
            looked.push(Look {
                scope,
                applies_to: None,
                asked: false,
                found: None,
            });
            continue;
        };
        if answer.is_some() {
            looked.push(Look {
                scope,
                applies_to: Some(entity.clone()),
                asked: false,
                found: None,
            });
            continue;
        }
        let in_force: Vec<(&History, &Version)> = candidates
            .get(&scope)
            .into_iter()
            .flatten()
            .filter(|h| {
                h.versions
                    .first()
                    .is_some_and(|v| &v.config.applies_to == entity)
            })
            .filter_map(|h| Some((h, h.at(at)?)))
            .collect();
        if in_force.len() > 1 {
            return Err(ConfigError::Ambiguous {
                config_type: request.config_type.clone(),
                scope,
                applies_to: entity.clone(),
                ids: in_force.iter().map(|(h, _)| h.id.clone()).collect(),
                at: at.to_string(),
            });
        }
        let found = in_force.first().map(|(history, version)| {
            answer = Some((scope, history.view(version, now)));
            Found {
                id: history.id.clone(),
                version: version.config.version,
            }
        });
        looked.push(Look {
            scope,
            applies_to: Some(entity.clone()),
            asked: true,
            found,
        });
    }
    let fail_closed = workspace
        .settings
        .file
        .configs
        .fail_closed
        .contains(&request.config_type);
    if answer.is_none() && fail_closed {
        let looked = looked
            .iter()
            .filter_map(|look| Some(format!("{} `{}`", look.scope, look.applies_to.as_ref()?)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ConfigError::Unresolved {
            config_type: request.config_type.clone(),
            looked,
            at: at.to_string(),
        });
    }
    let (scope, answer) = match answer {
        Some((scope, view)) => (Some(scope), Some(view)),
        None => (None, None),
    };
    Ok(Resolution {
        config_type: request.config_type.clone(),
        at: at.to_string(),
        fail_closed,
        scope,
        answer,
        looked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assignments_read_toml_values_and_fall_back_to_text() {
        let cases: &[(&str, &[&str], Value)] = &[
            ("rate=0.02", &["rate"], json!(0.02)),
            ("enabled=true", &["enabled"], json!(true)),
            ("tier=gold", &["tier"], json!("gold")),
            ("limits.daily=100", &["limits", "daily"], json!(100)),
            ("days=[1, 2]", &["days"], json!([1, 2])),
            ("note=\"a=b\"", &["note"], json!("a=b")),
            (
                "url=https://x.example/a=b",
                &["url"],
                json!("https://x.example/a=b"),
            ),
            ("\"a.b\"=1", &["a.b"], json!(1)),
            ("empty=", &["empty"], json!("")),
            // Quoted, anything is text.
            (
                "big=\"9007199254740993\"",
                &["big"],
                json!("9007199254740993"),
            ),
            ("n='nan'", &["n"], json!("nan")),
            // Text with dots or dashes that is no number stays text.
            ("version=1.2.3", &["version"], json!("1.2.3")),
            ("ip=10.0.0.1", &["ip"], json!("10.0.0.1")),
            ("dash=-", &["dash"], json!("-")),
            ("e=e5", &["e"], json!("e5")),
            // More than one TOML value is not a value: text, whole.
            ("note=1\nb = 2", &["note"], json!("1\nb = 2")),
            (
                "max=9007199254740991",
                &["max"],
                json!(9_007_199_254_740_991_u64),
            ),
            ("sep=1_000", &["sep"], json!(1000)),
        ];
        for (text, path, value) in cases {
            let (got_path, got_value) = parse_assignment(text).unwrap();
            assert_eq!(got_path, *path, "{text}");
            assert_eq!(&got_value, value, "{text}");
        }
        for bad in [
            "rate",
            "=1",
            "a..b=1",
            " =1",
            // A key that is more than a key.
            "[t]\nc=1",
            // Numbers berth cannot keep, and text that reads as a number.
            "n=9007199254740992",
            "n=-9007199254740992",
            "n=1e400",
            "n=nan",
            "n=-inf",
            "n=[1, inf]",
            "n={a = nan}",
            "n=.5",
            "n=5.",
            "n=01",
            "n=1e",
            "n=NaN",
            "n=-Infinity",
            // Text that opens like a TOML string, array or table but is not one.
            "n=\"abc",
            "n='abc",
            "n=[beta]",
            "n=[1, 2",
            "n={a=",
        ] {
            assert!(parse_assignment(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_unset("limits.daily").unwrap(), ["limits", "daily"]);
        assert_eq!(parse_unset(" \"a = b\" ").unwrap(), ["a = b"]);
        for bad in [
            "a = 0 #",
            "a.b = 0 #",
            "a = 1\nb",
            "[t]\nc",
            "a = {b",
            "",
            "a.",
        ] {
            assert!(parse_unset(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn now_is_kept_to_the_millisecond_and_follows_a_version_of_the_same_moment() {
        let at = |text: &str| -> Timestamp { text.parse().unwrap() };
        let version = |effective: &str| Version {
            object: String::new(),
            file: String::new(),
            config: serde_json::from_value(json!({
                "id": "c", "version": 1, "type": "t", "category": "logic",
                "applies_to": "a", "scope": "asset", "settings": {},
                "effective_at": effective,
            }))
            .unwrap(),
            effective: at(effective),
        };
        let now = at("2025-04-30T08:00:00.250Z");
        for (previous, effective) in [
            (None, "2025-04-30T08:00:00.25Z"),
            (Some("2025-04-30T07:00:00Z"), "2025-04-30T08:00:00.25Z"),
            (Some("2025-04-30T08:00:00.25Z"), "2025-04-30T08:00:00.251Z"),
            (Some("2025-04-30T08:00:01.249Z"), "2025-04-30T08:00:01.25Z"),
            // Scheduled later than this moment: left ahead, refused by the rules.
            (Some("2025-04-30T08:00:01.25Z"), "2025-04-30T08:00:00.25Z"),
            (Some("2026-01-01T00:00:00Z"), "2025-04-30T08:00:00.25Z"),
        ] {
            let previous = previous.map(version);
            let got = default_effective(now, previous.as_ref()).to_string();
            assert_eq!(got, effective, "{previous:?}");
        }
        assert_eq!(
            Timestamp::from_second(1_746_000_000).unwrap().to_string(),
            "2025-04-30T08:00:00Z"
        );
    }

    #[test]
    fn edits_set_nested_keys_and_unset_only_what_exists() {
        let mut settings: BTreeMap<String, Value> =
            [("rate".to_owned(), json!(0.02)), ("x".to_owned(), json!(1))]
                .into_iter()
                .collect();
        let set = vec![
            (vec!["limits".to_owned(), "daily".to_owned()], json!(5)),
            (vec!["rate".to_owned()], json!(0.03)),
        ];
        edit(&mut settings, &set, &[vec!["x".to_owned()]]).unwrap();
        assert_eq!(
            serde_json::to_value(&settings).unwrap(),
            json!({"limits": {"daily": 5}, "rate": 0.03})
        );
        assert!(edit(&mut settings, &[], &[vec!["nope".to_owned()]]).is_err());
        let into_number = vec![(vec!["rate".to_owned(), "sub".to_owned()], json!(1))];
        assert!(edit(&mut settings, &into_number, &[]).is_err());
    }

    #[test]
    fn settings_diffs_go_key_by_key() {
        let from = serde_json::from_value(
            json!({"rate": 0.02, "old": true, "limits": {"daily": 5, "weekly": 20}}),
        )
        .unwrap();
        let to = serde_json::from_value(
            json!({"rate": 0.03, "min": 0.01, "limits": {"daily": 5, "weekly": 30}}),
        )
        .unwrap();
        let keys: Vec<(String, bool, bool)> = settings_diff(&from, &to)
            .into_iter()
            .map(|c| (c.key, c.from.is_some(), c.to.is_some()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("limits.weekly".to_owned(), true, true),
                ("min".to_owned(), false, true),
                ("old".to_owned(), true, false),
                ("rate".to_owned(), true, true),
            ]
        );
    }
}

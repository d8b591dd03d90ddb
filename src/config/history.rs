//! An id's history: its version files, read from the working tree or a revision,
//! and what each version holds and when it is in force.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ConfigError;
use super::edit::settings_diff;
use crate::check::apply_severities;
use crate::check::configs;
use crate::check::read_versioned;
use crate::check::succession::Versioned;
use crate::diagnostic::finding::{Finding, clip};
use crate::kinds::Kind;
use crate::kinds::config_version::{Config, Configs};
use crate::names;
use crate::repo::Oid;
use crate::source::{Content, Source};
use crate::store::{CONFIGS, OBJECTS_DIR, ObjectPath};
use crate::workspace::Workspace;

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

/// Text from the command line or a file, cut to a readable width for a message
/// the way every echoed value is ([`clip`]).
pub(super) fn cut(text: &str) -> String {
    clip(text, 60).into_owned()
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
pub(super) enum Place {
    /// The working tree.
    WorkTree,
    /// A commit's tree.
    Tree(Oid),
}

/// The config files below `dir`, read from `place`: (path, bytes).
pub(super) fn read_files(
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
pub(super) fn histories(
    files: &[(String, Vec<u8>)],
) -> Result<BTreeMap<String, Vec<Versioned>>, ConfigError> {
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
pub(super) fn history(
    workspace: &Workspace,
    id: &str,
    objects: &[Versioned],
) -> Result<History, ConfigError> {
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
        let config: Config = object
            .typed()
            .map_err(|error| unreadable(error.reason))?
            .data;
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

pub(super) fn id_dir(id: &str) -> String {
    format!("{OBJECTS_DIR}/{}/{id}", CONFIGS)
}

pub(super) fn store_dir() -> String {
    format!("{OBJECTS_DIR}/{}", CONFIGS)
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::kinds::config_version::{Category, Scope};

    pub(in crate::config) fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// The history of `id`: a `pricing` config for `entity` at `scope`, one
    /// version per time it takes effect, with the settings `{"v": <version>}`.
    pub(in crate::config) fn history(
        id: &str,
        scope: Scope,
        entity: &str,
        effective: &[&str],
    ) -> History {
        let versions = effective
            .iter()
            .zip(1..)
            .map(|(effective_at, version)| Version {
                object: format!("configs/{id}-{version}"),
                file: format!("objects/configs/{id}/{version}.json"),
                config: Config {
                    id: id.to_owned(),
                    version,
                    config_type: "pricing".to_owned(),
                    category: Category::Logic,
                    name: None,
                    applies_to: entity.to_owned(),
                    scope,
                    tenant_id: None,
                    settings: BTreeMap::from([("v".to_owned(), Value::from(version))]),
                    effective_at: (*effective_at).to_owned(),
                    idempotency_key: None,
                },
                effective: at(effective_at),
            })
            .collect();
        History {
            id: id.to_owned(),
            versions,
        }
    }

    /// Versions 1, 2 and 3 of one config, taking effect in January, May and July.
    fn three() -> History {
        history(
            "c",
            Scope::Asset,
            "a1",
            &[
                "2025-01-01T00:00:00Z",
                "2025-05-01T00:00:00Z",
                "2025-07-01T00:00:00Z",
            ],
        )
    }

    #[test]
    fn the_version_in_force_is_the_last_to_take_effect_at_or_before_the_time() {
        let history = three();
        let cases = [
            ("before the first version", "2024-12-31T23:59:59Z", None),
            (
                "the first version's instant",
                "2025-01-01T00:00:00Z",
                Some(1),
            ),
            (
                "between the first and the second",
                "2025-03-01T00:00:00Z",
                Some(1),
            ),
            (
                "the second version's instant",
                "2025-05-01T00:00:00Z",
                Some(2),
            ),
            ("after the last", "2030-01-01T00:00:00Z", Some(3)),
        ];
        for (name, when, expected) in cases {
            let got = history.at(at(when)).map(|v| v.config.version);
            assert_eq!(got, expected, "{name}");
        }
        assert_eq!(history.latest(), 3);
        assert_eq!(history.version(2).unwrap().config.version, 2);
        assert!(matches!(
            history.version(4),
            Err(ConfigError::NoSuchVersion { highest: 3, .. })
        ));
    }

    #[test]
    fn a_version_is_scheduled_current_or_superseded_as_of_now() {
        let history = three();
        let now = at("2025-06-01T00:00:00Z");
        let cases = [
            (1, State::Superseded, Some(("2025-05-01T00:00:00Z", 2))),
            (2, State::Current, Some(("2025-07-01T00:00:00Z", 3))),
            (3, State::Scheduled, None),
        ];
        for (version, state, superseded) in cases {
            let view = history.view(history.version(version).unwrap(), now);
            assert_eq!(view.state, state, "version {version}");
            assert_eq!(
                view.superseded_at.as_deref().zip(view.superseded_by),
                superseded,
                "version {version}: superseded_at is the next version's effective_at, derived"
            );
        }
        let at_the_instant = history.view(history.version(2).unwrap(), at("2025-05-01T00:00:00Z"));
        assert_eq!(
            at_the_instant.state,
            State::Current,
            "in force from its instant"
        );
        let last = history.view(history.version(3).unwrap(), at("2026-01-01T00:00:00Z"));
        assert_eq!(
            last.state,
            State::Current,
            "the last version is never superseded"
        );
    }

    #[test]
    fn changes_are_against_the_version_before() {
        let history = three();
        let changes = |version| history.changes(history.version(version).unwrap());
        assert_eq!(
            changes(1),
            [SettingChange {
                key: "v".to_owned(),
                from: None,
                to: Some(Value::from(1))
            }]
        );
        assert_eq!(
            changes(3),
            [SettingChange {
                key: "v".to_owned(),
                from: Some(Value::from(2)),
                to: Some(Value::from(3))
            }]
        );
    }
}

//! `config show`, `history`, `diff` and `ls`: what the versions say, read at a time.

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;

use super::ConfigError;
use super::edit::settings_diff;
use super::history::{
    Place, SettingChange, VersionView, histories, history, read, read_files, store_dir,
};
use crate::kinds::config_version::Scope;
use crate::workspace::Workspace;

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
    let now = workspace.clock.now()?;
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
    let now = workspace.clock.now()?;
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
    let now = workspace.clock.now()?;
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

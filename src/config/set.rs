//! `config set`: the next version under optimistic locking, with idempotency keys
//! and an effective time that never goes back.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ConfigError;
use super::edit::{edit, settings_diff};
use super::history::{
    Difference, History, Place, SettingChange, Version, histories, history, id_dir, read_files,
    store_dir,
};
use crate::check::apply_severities;
use crate::check::configs;
use crate::check::read_versioned;
use crate::check::succession::Versioned;
use crate::diagnostic::finding::Finding;
use crate::document::{self, Format, MAX_SAFE_INTEGER};
use crate::kinds::config_version::{Category, Config, Scope};
use crate::names;
use crate::objects::put::{InputFile, PutError, PutOutcome, PutRequest, put};
use crate::repo::{CommitError, Oid, Onto, Push};
use crate::source::Source;
use crate::store::{CONFIGS, ObjectPath};
use crate::workspace::Workspace;

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
    /// With `commit`: the remote to build the commit on and push it to. The
    /// versions are read again on the remote's tip, so that the expected version
    /// holds there too.
    pub push: Option<String>,
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
    let now = workspace.clock.now()?;
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
            store: CONFIGS,
            files: &files,
            commit: onto,
            message: Some(&message),
            push: request.push.clone().map(|remote| Push {
                remote,
                // What the version was decided on: the id's versions, and on
                // creation every config.
                guard: vec![if previous.is_none() {
                    store_dir()
                } else {
                    id_dir(id)
                }],
            }),
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
        // Another writer pushed to the remote's branch what this version was
        // decided on: the versions there say whether it wrote this config.
        Err(PutError::Commit(CommitError::RemoteChanged { tip, .. })) => {
            let actual = version_at(workspace, id, Some(tip))?;
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
    version_at(workspace, id, tip)
}

/// The highest version of a config at a commit.
fn version_at(workspace: &Workspace, id: &str, tip: Option<Oid>) -> Result<u64, ConfigError> {
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
            "`{id}` has no versions yet: write version 1, expecting version 0, with the fixed fields"
        )
    } else {
        format!(
            "someone else wrote version {actual}: read it (`berth config show {id}`), redo the change on it, and retry expecting version {actual}"
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
        store: CONFIGS.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::history::tests::{at, history};
    use serde_json::json;

    /// A request for the next version of `c` after `expect_version`, replacing
    /// the settings with `{"v": 9}`.
    fn request(expect_version: u64, fields: Fields) -> SetRequest {
        SetRequest {
            id: "c".to_owned(),
            expect_version,
            settings: NewSettings::Replace(BTreeMap::from([("v".to_owned(), json!(9))])),
            fields,
            effective_at: None,
            idempotency_key: None,
            commit: false,
            push: None,
        }
    }

    fn all_fixed() -> Fields {
        Fields {
            config_type: Some("pricing".to_owned()),
            category: Some(Category::Logic),
            applies_to: Some("a1".to_owned()),
            scope: Some(Scope::Asset),
            name: None,
            tenant_id: None,
        }
    }

    #[test]
    fn version_one_needs_every_fixed_field() {
        let now = at("2025-06-01T00:00:00Z");
        let cases: [(&str, Fields, &[&str]); 4] = [
            (
                "none given",
                Fields::default(),
                &["--type", "--category", "--applies-to", "--scope"],
            ),
            (
                "no scope",
                Fields {
                    scope: None,
                    ..all_fixed()
                },
                &["--scope"],
            ),
            (
                "no type or entity",
                Fields {
                    config_type: None,
                    applies_to: None,
                    ..all_fixed()
                },
                &["--type", "--applies-to"],
            ),
            ("all given", all_fixed(), &[]),
        ];
        for (name, fields, missing) in cases {
            match next_version(&request(0, fields), None, now) {
                Ok(config) => {
                    assert!(missing.is_empty(), "{name}: wrote {config:?}");
                    assert_eq!(config.version, 1, "{name}");
                    assert_eq!(config.effective_at, "2025-06-01T00:00:00Z", "{name}");
                }
                Err(ConfigError::MissingFixed { missing: got, .. }) => {
                    assert_eq!(got, missing, "{name}");
                }
                Err(other) => panic!("{name}: {other}"),
            }
        }
    }

    #[test]
    fn a_later_version_carries_the_fixed_fields_and_takes_what_is_given() {
        let current = history("c", Scope::Campaign, "c1", &["2025-01-01T00:00:00Z"]);
        let previous = current.versions.last();
        let now = at("2025-06-01T00:00:00Z");
        let carried = next_version(&request(1, Fields::default()), previous, now).unwrap();
        assert_eq!(
            (carried.version, carried.scope, carried.applies_to.as_str()),
            (2, Scope::Campaign, "c1")
        );
        assert_eq!(
            carried.settings,
            BTreeMap::from([("v".to_owned(), json!(9))])
        );
        let given = Fields {
            scope: Some(Scope::Asset),
            name: Some("Pricing".to_owned()),
            ..Fields::default()
        };
        let changed = next_version(&request(1, given), previous, now).unwrap();
        assert_eq!(
            (changed.scope, changed.name.as_deref()),
            (Scope::Asset, Some("Pricing")),
            "a fixed field given is written, for the rules to refuse"
        );
        let edit = SetRequest {
            settings: NewSettings::Edit {
                set: vec![(vec!["w".to_owned()], json!(2))],
                unset: vec![vec!["v".to_owned()]],
            },
            ..request(1, Fields::default())
        };
        let edited = next_version(&edit, previous, now).unwrap();
        assert_eq!(
            edited.settings,
            BTreeMap::from([("w".to_owned(), json!(2))]),
            "an edit starts from the previous version's settings"
        );
        assert!(matches!(
            next_version(&request(MAX_SAFE_INTEGER, Fields::default()), previous, now),
            Err(ConfigError::VersionRange { .. })
        ));
    }

    #[test]
    fn a_reused_idempotency_key_differs_only_in_what_the_request_would_change() {
        let current = history(
            "c",
            Scope::Asset,
            "a1",
            &["2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z"],
        );
        let done = current.version(2).unwrap();
        let retry = |settings: Value, fields: Fields, effective_at: Option<&str>| SetRequest {
            settings: NewSettings::Replace(serde_json::from_value(settings).unwrap()),
            effective_at: effective_at.map(at),
            ..request(1, fields)
        };
        let cases = [
            (
                "the same request",
                retry(json!({"v": 2}), Fields::default(), None),
                vec![],
            ),
            (
                "the same fixed fields given again",
                retry(json!({"v": 2}), all_fixed(), None),
                vec![],
            ),
            (
                "the same effective_at given",
                retry(
                    json!({"v": 2}),
                    Fields::default(),
                    Some("2025-02-01T00:00:00Z"),
                ),
                vec![],
            ),
            (
                "other settings",
                retry(json!({"v": 3}), Fields::default(), None),
                vec!["settings.v"],
            ),
            (
                "another scope and a name",
                retry(
                    json!({"v": 2}),
                    Fields {
                        scope: Some(Scope::Account),
                        name: Some("N".to_owned()),
                        ..Fields::default()
                    },
                    None,
                ),
                vec!["scope", "name"],
            ),
            (
                "another effective_at",
                retry(
                    json!({"v": 2}),
                    Fields::default(),
                    Some("2025-03-01T00:00:00Z"),
                ),
                vec!["effective_at"],
            ),
        ];
        for (name, request, expected) in cases {
            let got: Vec<String> = differences(&request, &current, done)
                .unwrap()
                .into_iter()
                .map(|difference| difference.field)
                .collect();
            assert_eq!(got, expected, "{name}");
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
}

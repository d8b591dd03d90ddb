//! The lifecycle of objects: statuses are append-only events (store `events`), and
//! an object's status is derived from its latest event and from the environments
//! that hold it, never stored on the object (the ferro deployment lifecycle and
//! the release manager's statuses, kept as files).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::document::{self, Format};
use crate::env::{self, EnvError};
use crate::kinds::event::{self, Event, Status};
use crate::repo::Onto;
use crate::settings::Settings;
use crate::source::{Content, Source, SourceError};
use crate::store::OBJECTS_DIR;
use crate::store::lookup::ShownObject;
use crate::store::put::{InputFile, PutError, PutOutcome, PutRequest, put};
use crate::workspace::Workspace;

/// `SOURCE_DATE_EPOCH` that is not a time in seconds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("SOURCE_DATE_EPOCH is `{value}`, not a number of seconds since 1970 that is a date")]
#[diagnostic(
    code("berth::bad-source-date-epoch"),
    help(
        "set it to whole seconds (`date +%s`), not milliseconds, or unset it to use the current time"
    )
)]
pub struct BadEpoch {
    /// What it says.
    pub value: String,
}

/// The time berth writes into what it makes, to the second: now, or
/// `SOURCE_DATE_EPOCH` when set (the reproducible-builds convention), so that
/// scripted runs make the same objects. A value that is not a time is an error,
/// never a silent 1970 or a silent now.
pub fn now() -> Result<jiff::Timestamp, BadEpoch> {
    let Ok(value) = std::env::var("SOURCE_DATE_EPOCH") else {
        let now = jiff::Timestamp::now().as_second();
        return jiff::Timestamp::from_second(now).map_err(|_| BadEpoch {
            value: now.to_string(),
        });
    };
    value
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
        .ok_or(BadEpoch { value })
}

/// The latest event about an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Latest {
    /// Its status.
    pub status: Status,
    /// When, as written.
    pub at: String,
    /// Why, if the event says.
    pub reason: Option<String>,
    /// The event's file.
    pub file: String,
}

/// The latest of `events` about `subject`. Of two events at the same instant, the
/// later status in the lifecycle (ready < failed < deprecated < archived <
/// artifact-deleted) wins, so a tie never lets a failed object through.
pub fn latest<I>(events: I, subject: &str) -> Option<Latest>
where
    I: IntoIterator<Item = (String, Event)>,
{
    let mut found: Option<(jiff::Timestamp, Latest)> = None;
    for (file, event) in events {
        if event.subject != subject {
            continue;
        }
        let Ok(at) = crate::time::parse(&event.at) else {
            continue;
        };
        let later = found
            .as_ref()
            .is_none_or(|(time, current)| (at, event.status) > (*time, current.status));
        if later {
            found = Some((
                at,
                Latest {
                    status: event.status,
                    at: event.at,
                    reason: event.reason,
                    file,
                },
            ));
        }
    }
    found.map(|(_, latest)| latest)
}

/// Reads an event file's bytes; files that are not events are skipped, as the
/// validator reports them.
pub fn parse_event(path: &str, bytes: &[u8]) -> Option<Event> {
    let format = Format::of_path(path)?;
    let data = document::parse(bytes, format).ok()?;
    serde_json::from_value(data).ok()
}

/// Every event of a package in a source.
pub fn events_of(source: &dyn Source, package: &str) -> Result<Vec<(String, Event)>, SourceError> {
    let dir = format!("{OBJECTS_DIR}/{}/{package}", event::STORE);
    let mut events = Vec::new();
    for entry in source.list(&dir)? {
        if let Some(Content::Bytes(bytes)) = source.read(&entry.path, 1 << 20)?
            && let Some(event) = parse_event(&entry.path, &bytes)
        {
            events.push((entry.path, event));
        }
    }
    Ok(events)
}

/// An object's status as berth derives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Derived {
    /// No event: being composed.
    Draft,
    /// Marked ready, held by no environment.
    Ready,
    /// Its build failed.
    Failed,
    /// Held by at least one environment.
    Deployed,
    /// Marked deprecated.
    Deprecated,
    /// Marked archived.
    Archived,
    /// Its artifact was deleted.
    ArtifactDeleted,
}

impl Derived {
    /// The name shown and accepted by `--status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Derived::Draft => "draft",
            Derived::Ready => "ready",
            Derived::Failed => "failed",
            Derived::Deployed => "deployed",
            Derived::Deprecated => "deprecated",
            Derived::Archived => "archived",
            Derived::ArtifactDeleted => "artifact-deleted",
        }
    }

    /// Every status, in lifecycle order.
    pub const ALL: &'static [Derived] = &[
        Derived::Draft,
        Derived::Ready,
        Derived::Failed,
        Derived::Deployed,
        Derived::Deprecated,
        Derived::Archived,
        Derived::ArtifactDeleted,
    ];

    /// The status from the latest event and whether any environment holds it: a
    /// failed, deprecated, archived or deleted object stays so wherever it is held;
    /// otherwise being held makes it deployed.
    pub fn of(latest: Option<&Latest>, held: bool) -> Derived {
        match latest.map(|latest| latest.status) {
            Some(Status::Failed) => Derived::Failed,
            Some(Status::Deprecated) => Derived::Deprecated,
            Some(Status::Archived) => Derived::Archived,
            Some(Status::ArtifactDeleted) => Derived::ArtifactDeleted,
            _ if held => Derived::Deployed,
            Some(Status::Ready) => Derived::Ready,
            None => Derived::Draft,
        }
    }
}

impl fmt::Display for Derived {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What berth derives about an object's lifecycle.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Lifecycle {
    /// The derived status.
    pub status: Derived,
    /// The latest event, if any.
    pub latest: Option<Latest>,
    /// The environments that hold the object now.
    pub environments: Vec<String>,
    /// `https://<first 12 hex of hash>.<preview_domain>/`, when berth.toml sets a
    /// preview domain.
    pub preview_url: Option<String>,
}

/// What every environment holds now: object -> environments.
#[derive(Debug, Clone, Default)]
pub struct Held(BTreeMap<String, Vec<String>>);

impl Held {
    /// Reads every environment's tip.
    pub fn read(workspace: &Workspace) -> Result<Held, EnvError> {
        let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in workspace.settings.environment_order() {
            let view = env::read(&workspace.git, &workspace.settings, name, None)?;
            for entry in view.state.packages.values() {
                held.entry(entry.object.clone())
                    .or_default()
                    .push(name.to_owned());
            }
        }
        Ok(Held(held))
    }

    /// The environments holding an object.
    pub fn environments(&self, object: &str) -> Vec<String> {
        self.0.get(object).cloned().unwrap_or_default()
    }
}

/// An object's lifecycle, given its package's events and what environments hold.
pub fn lifecycle(
    settings: &Settings,
    events: &[(String, Event)],
    held: &Held,
    object: &str,
    hash: &str,
) -> Lifecycle {
    let latest = latest(events.iter().cloned(), object);
    let environments = held.environments(object);
    Lifecycle {
        status: Derived::of(latest.as_ref(), !environments.is_empty()),
        latest,
        environments,
        preview_url: preview_url(settings, hash),
    }
}

/// The preview URL of an object, when berth.toml sets `[repo] preview_domain`.
pub fn preview_url(settings: &Settings, hash: &str) -> Option<String> {
    let domain = settings.file.repo.preview_domain.as_deref()?;
    let short: String = hash.chars().take(12).collect();
    Some(format!("https://{short}.{domain}/"))
}

/// The lifecycle of an object of a promotable kind (`None` for other kinds), from
/// the working tree's events and the environments' tips.
pub fn of_object(
    workspace: &Workspace,
    shown: &ShownObject,
) -> Result<Option<Lifecycle>, MarkError> {
    if !has_lifecycle(workspace, shown) {
        return Ok(None);
    }
    current(workspace, shown).map(Some)
}

/// Whether an object has a lifecycle: its kind is promoted.
fn has_lifecycle(workspace: &Workspace, shown: &ShownObject) -> bool {
    workspace
        .kinds
        .held(&shown.store)
        .is_some_and(|kind| kind.promotable())
}

/// An object's lifecycle now: its package's events in the working tree and the
/// environments' tips.
fn current(workspace: &Workspace, shown: &ShownObject) -> Result<Lifecycle, MarkError> {
    let events = events_of(&workspace.tree, &shown.partition)?;
    let held = Held::read(workspace)?;
    Ok(lifecycle(
        &workspace.settings,
        &events,
        &held,
        &shown.object,
        &shown.hash,
    ))
}

/// What to mark.
#[derive(Debug, Clone)]
pub struct MarkRequest<'a> {
    /// The object, as shown.
    pub object: &'a ShownObject,
    /// The status it enters.
    pub status: Status,
    /// Why.
    pub reason: Option<String>,
    /// Where its artifact is stored.
    pub artifact_location: Option<String>,
    /// The artifact's size.
    pub size_bytes: Option<u64>,
    /// Commit the event.
    pub commit: bool,
}

/// What `berth mark` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MarkOutcome {
    /// The object marked.
    pub subject: String,
    /// The event written.
    pub event: Event,
    /// How it was put.
    pub put: PutOutcome,
    /// The object's lifecycle now.
    pub lifecycle: Lifecycle,
}

/// Why `berth mark` wrote nothing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum MarkError {
    /// Writing the event failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Put(#[from] PutError),
    /// Reading events failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// Reading environments failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] BadEpoch),
    /// The object has no lifecycle: its store is not promoted.
    #[error("`{object}` is in `{store}`, whose objects have no lifecycle")]
    #[diagnostic(
        code("berth::not-promotable"),
        help(
            "mark objects that are promoted: releases, version sets, and user stores with `promotable = true`"
        )
    )]
    NotPromotable {
        /// The object.
        object: String,
        /// Its store.
        store: String,
    },
    /// The event could not be written as JSON.
    #[error("could not write the event: {0}")]
    #[diagnostic(code("berth::io"), help("this is a bug in berth; please report it"))]
    Serialize(#[from] serde_json::Error),
}

/// Writes an event: the object enters a status.
pub fn mark(workspace: &Workspace, request: &MarkRequest<'_>) -> Result<MarkOutcome, MarkError> {
    let shown = request.object;
    if !has_lifecycle(workspace, shown) {
        return Err(MarkError::NotPromotable {
            object: shown.object.clone(),
            store: shown.store.clone(),
        });
    }
    let event = Event {
        subject: shown.object.clone(),
        package: shown.partition.clone(),
        status: request.status,
        at: now()?.to_string(),
        reason: request.reason.clone(),
        artifact_location: request.artifact_location.clone(),
        size_bytes: request.size_bytes,
    };
    let mut bytes = serde_json::to_vec_pretty(&event)?;
    bytes.push(b'\n');
    let message = format!(
        "Mark {}/{} {}",
        shown.store,
        shown.hash.get(..12).unwrap_or(&shown.hash),
        request.status.as_str()
    );
    let files = [InputFile {
        path: PathBuf::from("event.json"),
        name: "event".to_owned(),
        bytes: Some(bytes),
    }];
    let put = put(
        workspace,
        &PutRequest {
            store: event::STORE,
            files: &files,
            commit: request.commit.then_some(Onto::Tip),
            message: Some(&message),
        },
    )?;
    Ok(MarkOutcome {
        subject: shown.object.clone(),
        event,
        put,
        lifecycle: current(workspace, shown)?,
    })
}

//! The lifecycle of objects: statuses are append-only events (store `events`), and
//! an object's status is derived from its latest event and from the environments
//! that hold it, never stored on the object (the ferro deployment lifecycle and
//! the release manager's statuses, kept as files). Reading events and deriving a
//! status is [`crate::kinds::event`]'s; here are what needs the environments'
//! tips (what holds an object) and `mark`, which writes an event.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;

use crate::env::{self, EnvError};
use crate::kinds::event::{Derived, Event, Lifecycle, Status, events_of, latest};
use crate::objects::lookup::ShownObject;
use crate::objects::put::{InputFile, PutError, PutOutcome, PutRequest, put};
use crate::repo::{GitError, Onto, Push};
use crate::settings::Settings;
use crate::source::SourceError;
use crate::store::{EVENTS, Object};
use crate::time::BadEpoch;
use crate::workspace::Workspace;

/// What every environment holds now: object -> environments.
#[derive(Debug, Clone, Default)]
pub struct Held(BTreeMap<String, Vec<String>>);

impl Held {
    /// Reads every environment's tip, as readers find it (`env::view`).
    pub fn read(workspace: &Workspace) -> Result<Held, EnvError> {
        let mut held: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for name in workspace.settings.environment_order() {
            let view = env::view(&workspace.git, &workspace.settings, name, None)?;
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
    events: &[Object<Event>],
    held: &Held,
    object: &str,
    hash: &str,
) -> Lifecycle {
    let latest = latest(events, object);
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
    /// With `commit`: the remote to build the commit on and push it to.
    pub push: Option<String>,
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
    /// Whether the event is on the catalog branch, whose events promotion reads:
    /// not until it is committed there.
    pub on_catalog: bool,
    /// The object's lifecycle now, as the working tree's events and the
    /// environments' tips make it.
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
        at: workspace.clock.now_to_the_second()?.to_string(),
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
            store: EVENTS,
            files: &files,
            commit: request.commit.then_some(Onto::Tip),
            message: Some(&message),
            push: request.push.clone().map(|remote| Push {
                remote,
                guard: Vec::new(),
            }),
        },
    )?;
    let on_catalog = match put.objects.first() {
        Some(written) => on_catalog(workspace, &written.path).map_err(EnvError::from)?,
        None => false,
    };
    Ok(MarkOutcome {
        subject: shown.object.clone(),
        event,
        put,
        on_catalog,
        lifecycle: current(workspace, shown)?,
    })
}

/// Whether the catalog branch's tip has the file at `path`.
fn on_catalog(workspace: &Workspace, path: &str) -> Result<bool, GitError> {
    let git = &workspace.git;
    let catalog = format!("refs/heads/{}", workspace.settings.catalog());
    match git.ref_target(&catalog)? {
        Some(tip) => Ok(git.entry(git.commit(tip)?.tree, path)?.is_some()),
        None => Ok(false),
    }
}

//! Lifecycle events: statuses change and objects do not, so an object's status is
//! the latest of the append-only events that name it (the ferro deployment
//! lifecycle, kept as files). An object's derived status ([`Derived`]) also
//! counts whether any environment holds it.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::version_set::{DATE_TIME_PATTERN, REF_PATTERN};
use super::{FieldProblem, FieldRef, Kind};
use crate::names::NAME_PATTERN;
use crate::source::{Content, Source, SourceError};
use crate::store::{EVENTS, OBJECTS_DIR, Object};

/// One lifecycle event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Lifecycle event",
    description = "A status an object entered, appended and never edited: the object's status is its latest event. Stored at objects/events/<package>/<sha256>.<json|toml>."
)]
pub struct Event {
    /// The object whose status this is: `<store>/<hash>`.
    #[schemars(regex(pattern = REF_PATTERN))]
    pub subject: String,
    /// The subject's package; also the event's partition.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub package: String,
    /// The status the subject entered.
    pub status: Status,
    /// When: an RFC 3339 date-time with an offset.
    #[schemars(regex(pattern = DATE_TIME_PATTERN), extend("format" = "date-time"))]
    pub at: String,
    /// Why, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where the built artifact is stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_location: Option<String>,
    /// The artifact's size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
}

/// A lifecycle status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Built and stored; may be promoted.
    Ready,
    /// The build failed.
    Failed,
    /// Superseded; should not be promoted again.
    Deprecated,
    /// Kept for the record only.
    Archived,
    /// The artifact was garbage-collected; it cannot be deployed.
    ArtifactDeleted,
}

impl Status {
    /// The name written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ready => "ready",
            Status::Failed => "failed",
            Status::Deprecated => "deprecated",
            Status::Archived => "archived",
            Status::ArtifactDeleted => "artifact-deleted",
        }
    }
}

/// The event kind.
pub struct Events;

impl Kind for Events {
    fn store(&self) -> &str {
        EVENTS
    }

    fn partition(&self) -> &str {
        "/package"
    }

    super::builtin_schema!(Event);

    fn rules(&self, data: &Value) -> Vec<FieldProblem> {
        super::instant_rule(data, "/at").into_iter().collect()
    }

    fn references(&self, data: &Value) -> Vec<FieldRef> {
        data.pointer("/subject")
            .and_then(Value::as_str)
            .map(|target| FieldRef {
                pointer: "/subject".to_owned(),
                target: target.to_owned(),
            })
            .into_iter()
            .collect()
    }

    fn tags(&self, partition: &str) -> Vec<String> {
        vec![format!("pkg:{partition}")]
    }
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
pub fn latest<'e, I>(events: I, subject: &str) -> Option<Latest>
where
    I: IntoIterator<Item = &'e Object<Event>>,
{
    let mut found: Option<(jiff::Timestamp, &Object<Event>)> = None;
    for object in events {
        let event = &object.data;
        if event.subject != subject {
            continue;
        }
        let Ok(at) = crate::time::parse(&event.at) else {
            continue;
        };
        let later = found
            .as_ref()
            .is_none_or(|(time, current)| (at, event.status) > (*time, current.data.status));
        if later {
            found = Some((at, object));
        }
    }
    found.map(|(_, object)| Latest {
        status: object.data.status,
        at: object.data.at.clone(),
        reason: object.data.reason.clone(),
        file: object.file.clone(),
    })
}

/// The events among a package's event files, as (path, bytes).
///
/// A file that is not an event is left out, here for every reader of events:
/// the validator reports it, and a status is read from the events that are.
pub fn events_in<I>(files: I) -> Vec<Object<Event>>
where
    I: IntoIterator<Item = (String, Vec<u8>)>,
{
    files
        .into_iter()
        .filter_map(|(path, bytes)| Object::read(&path, &bytes).ok())
        .collect()
}

/// Every event of a package in a source.
pub fn events_of(source: &dyn Source, package: &str) -> Result<Vec<Object<Event>>, SourceError> {
    let dir = format!("{OBJECTS_DIR}/{EVENTS}/{package}");
    let mut files = Vec::new();
    for entry in source.list(&dir)? {
        if let Some(Content::Bytes(bytes)) = source.read(&entry.path, 1 << 20)? {
            files.push((entry.path, bytes));
        }
    }
    Ok(events_in(files))
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn events_are_checked_and_typed() {
        let event = json!({
            "subject": "version-sets/cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246",
            "package": "search",
            "status": "artifact-deleted",
            "at": "2025-05-01T12:00:00Z"
        });
        assert!(Events.validator().is_valid(&event));
        assert!(Events.rules(&event).is_empty());
        let typed: Event = serde_json::from_value(event.clone()).unwrap();
        assert_eq!(typed.status, Status::ArtifactDeleted);
        assert_eq!(Events.references(&event)[0].pointer, "/subject");

        for (pointer, value) in [
            ("/status", json!("deployed")),
            ("/at", json!("yesterday")),
            ("/subject", json!("nothing")),
        ] {
            let mut bad = event.clone();
            *bad.pointer_mut(pointer).unwrap() = value;
            assert!(!Events.validator().is_valid(&bad), "{pointer}");
        }
        let mut unreal = event;
        unreal["at"] = json!("2025-02-30T12:00:00Z");
        assert_eq!(Events.rules(&unreal).len(), 1);
    }

    const SUBJECT: &str =
        "version-sets/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    /// An event file `name` about `subject`.
    fn event(name: &str, subject: &str, status: Status, at: &str) -> Object<Event> {
        Object {
            file: format!("objects/events/api/{name}.json"),
            data: Event {
                subject: subject.to_owned(),
                package: "api".to_owned(),
                status,
                at: at.to_owned(),
                reason: None,
                artifact_location: None,
                size_bytes: None,
            },
        }
    }

    #[test]
    fn the_latest_event_wins_and_a_tie_goes_to_the_later_status() {
        use Status::{Archived, Failed, Ready};
        let cases = [
            ("no events", vec![], None),
            (
                "one event",
                vec![event("a", SUBJECT, Ready, "2025-05-01T00:00:00Z")],
                Some("a"),
            ),
            (
                "the later instant, whatever the order read",
                vec![
                    event("b", SUBJECT, Failed, "2025-05-02T00:00:00Z"),
                    event("a", SUBJECT, Ready, "2025-05-01T00:00:00Z"),
                ],
                Some("b"),
            ),
            (
                "instants compared, not texts",
                vec![
                    event("a", SUBJECT, Archived, "2025-05-01T12:00:00+02:00"),
                    event("b", SUBJECT, Ready, "2025-05-01T11:00:00Z"),
                ],
                Some("b"),
            ),
            (
                "a tie: the later status in the lifecycle",
                vec![
                    event("a", SUBJECT, Failed, "2025-05-01T00:00:00Z"),
                    event("b", SUBJECT, Ready, "2025-05-01T00:00:00Z"),
                ],
                Some("a"),
            ),
            (
                "another subject's events do not count",
                vec![
                    event("a", SUBJECT, Ready, "2025-05-01T00:00:00Z"),
                    event("b", "releases/other", Failed, "2025-05-02T00:00:00Z"),
                ],
                Some("a"),
            ),
            (
                "an event whose time is no instant does not count",
                vec![
                    event("a", SUBJECT, Ready, "2025-05-01T00:00:00Z"),
                    event("b", SUBJECT, Failed, "2025-02-30T00:00:00Z"),
                ],
                Some("a"),
            ),
        ];
        for (name, events, expected) in cases {
            let got = latest(&events, SUBJECT).map(|latest| latest.file);
            let expected = expected.map(|name| format!("objects/events/api/{name}.json"));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn the_derived_status_is_the_latest_events_unless_held_and_not_withdrawn() {
        let latest = |status| Latest {
            status,
            at: "2025-05-01T00:00:00Z".to_owned(),
            reason: None,
            file: String::new(),
        };
        let cases = [
            (None, false, Derived::Draft),
            (None, true, Derived::Deployed),
            (Some(Status::Ready), false, Derived::Ready),
            (Some(Status::Ready), true, Derived::Deployed),
            (Some(Status::Failed), true, Derived::Failed),
            (Some(Status::Deprecated), true, Derived::Deprecated),
            (Some(Status::Archived), false, Derived::Archived),
            (
                Some(Status::ArtifactDeleted),
                true,
                Derived::ArtifactDeleted,
            ),
        ];
        for (status, held, expected) in cases {
            let event = status.map(latest);
            assert_eq!(
                Derived::of(event.as_ref(), held),
                expected,
                "{status:?}, held: {held}"
            );
        }
    }

    #[test]
    fn files_that_are_not_events_are_left_out() {
        let good =
            serde_json::to_vec(&event("a", SUBJECT, Status::Ready, "2025-05-01T00:00:00Z").data)
                .unwrap();
        let files = [
            ("objects/events/api/a.json".to_owned(), good),
            ("objects/events/api/b.json".to_owned(), b"{".to_vec()),
            (
                "objects/events/api/c.json".to_owned(),
                br#"{"subject": 1}"#.to_vec(),
            ),
            (
                "objects/events/api/d.yaml".to_owned(),
                b"subject: x".to_vec(),
            ),
        ];
        let read: Vec<String> = events_in(files).into_iter().map(|e| e.file).collect();
        assert_eq!(read, ["objects/events/api/a.json"]);
    }
}

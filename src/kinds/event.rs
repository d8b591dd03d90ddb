//! Lifecycle events: statuses change and objects do not, so an object's status is
//! the latest of the append-only events that name it (the ferro deployment
//! lifecycle, kept as files).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::version_set::{DATE_TIME_PATTERN, REF_PATTERN};
use super::{FieldProblem, FieldRef, Kind};
use crate::names::NAME_PATTERN;

/// The store events live in.
pub const STORE: &str = "events";

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
        STORE
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
}

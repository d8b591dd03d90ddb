//! The lifecycle guard of `require_ready` environments: an object's status is its
//! latest event on the catalog, and only `ready` may be promoted.

use crate::document::{self, Format};
use crate::kinds::event::{self, Event, Status};
use crate::repo::{Git, GitError, Oid};
use crate::store::{OBJECTS_DIR, ObjectRef};

/// The latest event about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    /// Its status.
    pub status: Status,
    /// When, as written.
    pub at: String,
    /// The event's file.
    pub file: String,
}

/// The latest event naming `object` among `package`'s events in `tree`.
///
/// Events that do not parse or are not events are skipped: the validator reports
/// them. Of two events at the same instant, the later status in the lifecycle
/// (ready < failed < deprecated < archived < artifact-deleted) wins, so a tie never
/// lets a failed object through.
pub fn latest_event(
    git: &Git,
    tree: Oid,
    package: &str,
    object: &ObjectRef,
) -> Result<Option<Latest>, GitError> {
    let dir = format!("{OBJECTS_DIR}/{}/{package}", event::STORE);
    let subject = object.to_string();
    let mut latest: Option<(jiff::Timestamp, Latest)> = None;
    for (path, blob) in git.list_files(tree, &dir)? {
        let Some(format) = path
            .rsplit_once('.')
            .and_then(|(_, extension)| Format::from_extension(extension))
        else {
            continue;
        };
        let Ok(data) = document::parse(&git.blob(blob)?, format) else {
            continue;
        };
        let Ok(event) = serde_json::from_value::<Event>(data) else {
            continue;
        };
        let Ok(at) = event.at.parse::<jiff::Timestamp>() else {
            continue;
        };
        if event.subject != subject {
            continue;
        }
        let later = latest
            .as_ref()
            .is_none_or(|(time, current)| (at, event.status) > (*time, current.status));
        if later {
            latest = Some((
                at,
                Latest {
                    status: event.status,
                    at: event.at,
                    file: path,
                },
            ));
        }
    }
    Ok(latest.map(|(_, latest)| latest))
}

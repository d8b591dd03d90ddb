//! The lifecycle guard of `require_ready` environments: an object's status is its
//! latest event on the catalog, and only `ready` may be promoted.

use crate::kinds::event::{self, Latest};
use crate::repo::{Git, GitError, Oid};
use crate::store::{OBJECTS_DIR, ObjectRef};

/// The latest event naming `object` among `package`'s events in `tree`.
///
/// Events that do not parse or are not events are skipped: the validator reports
/// them.
pub fn latest_event(
    git: &Git,
    tree: Oid,
    package: &str,
    object: &ObjectRef,
) -> Result<Option<Latest>, GitError> {
    let dir = format!("{OBJECTS_DIR}/{}/{package}", event::STORE);
    let mut events = Vec::new();
    for (path, blob) in git.list_files(tree, &dir)? {
        if let Some(event) = event::parse_event(&path, &git.blob(blob)?) {
            events.push((path, event));
        }
    }
    Ok(event::latest(events, &object.to_string()))
}

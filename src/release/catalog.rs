//! The release catalog: every release newest first with its derived status,
//! filtered by package, component or status.

use super::{ComponentVersion, ReleaseError};
use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::kinds::event::{Derived, Event, Lifecycle};
use crate::kinds::release::Release;
use crate::lifecycle::{self, Held};
use crate::objects::lookup::{self};
use crate::store::{Object, RELEASES};
use crate::workspace::Workspace;

/// A release in the catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Listed {
    /// The object: `releases/<hash>`.
    pub object: String,
    /// The package.
    pub package: String,
    /// The version.
    pub version: String,
    /// When it was made.
    pub created_at: String,
    /// Its components.
    pub components: Vec<ComponentVersion>,
    /// Its lifecycle.
    pub lifecycle: Lifecycle,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this package.
    pub package: Option<String>,
    /// Only releases that carry this component.
    pub component: Option<String>,
    /// Only releases in this status.
    pub status: Option<Derived>,
}

/// The releases in the working tree, of one package or all, that read as
/// releases (the others are the validator's to report).
pub(super) fn releases_of(
    workspace: &Workspace,
    package: Option<&str>,
) -> Result<Vec<(lookup::ListedObject, Release)>, ReleaseError> {
    let mut found = Vec::new();
    for object in lookup::list(workspace, Some(RELEASES), package)? {
        let Some(crate::source::Content::Bytes(bytes)) = crate::source::Source::read(
            &workspace.tree,
            &object.path,
            workspace.settings.max_object_bytes(),
        )?
        else {
            continue;
        };
        if let Ok(release) = Object::<Release>::read(&object.path, &bytes) {
            found.push((object, release.data));
        }
    }
    Ok(found)
}

/// The releases of the catalog, newest first.
pub fn list(workspace: &Workspace, filter: &Filter) -> Result<Vec<Listed>, ReleaseError> {
    let held = Held::read(workspace)?;
    let mut events: BTreeMap<String, Vec<Object<Event>>> = BTreeMap::new();
    let mut listed = Vec::new();
    for (object, release) in releases_of(workspace, filter.package.as_deref())? {
        if let Some(component) = &filter.component
            && !release.components.iter().any(|c| &c.name == component)
        {
            continue;
        }
        if !events.contains_key(&object.partition) {
            let found = crate::kinds::event::events_of(&workspace.tree, &object.partition)?;
            events.insert(object.partition.clone(), found);
        }
        let package_events = events.get(&object.partition).map_or(&[][..], Vec::as_slice);
        let lifecycle = lifecycle::lifecycle(
            &workspace.settings,
            package_events,
            &held,
            &object.object,
            &object.hash,
        );
        if filter
            .status
            .is_some_and(|status| status != lifecycle.status)
        {
            continue;
        }
        listed.push(Listed {
            object: object.object,
            package: release.package,
            version: release.version,
            created_at: release.created_at,
            components: release
                .components
                .iter()
                .map(ComponentVersion::from)
                .collect(),
            lifecycle,
        });
    }
    listed.sort_by(|a, b| {
        let time = |l: &Listed| crate::time::parse(&l.created_at).ok();
        time(b)
            .cmp(&time(a))
            .then_with(|| {
                let version = |l: &Listed| l.version.parse::<semver::Version>().ok();
                version(b).cmp(&version(a))
            })
            .then_with(|| a.object.cmp(&b.object))
    });
    Ok(listed)
}

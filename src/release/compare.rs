//! Comparing two releases component by component: added, removed, changed (from
//! and to semver, tag and digest) and unchanged.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

use crate::kinds::release::{Release, ReleaseComponent};

/// One component as a release carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ComponentVersion {
    /// The component.
    pub name: String,
    /// Its digest.
    pub digest: String,
    /// Its tag.
    pub tag: Option<String>,
    /// Its version.
    pub semver: Option<String>,
}

impl From<&ReleaseComponent> for ComponentVersion {
    fn from(component: &ReleaseComponent) -> ComponentVersion {
        ComponentVersion {
            name: component.name.clone(),
            digest: component.digest.clone(),
            tag: component.tag.clone(),
            semver: component.semver.clone(),
        }
    }
}

/// A component two releases carry with different digests.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ComponentChange {
    /// The component.
    pub name: String,
    /// In the first release.
    pub from: ComponentVersion,
    /// In the second.
    pub to: ComponentVersion,
}

/// A release's components against another's, matched by name and compared by
/// digest.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Components {
    /// Components only the second carries.
    pub added: Vec<ComponentVersion>,
    /// Components only the first carries.
    pub removed: Vec<ComponentVersion>,
    /// Components both carry, with other digests.
    pub changed: Vec<ComponentChange>,
    /// Components both carry with the same digest.
    pub unchanged: Vec<ComponentVersion>,
}

impl Components {
    /// Compares two lists of components; a first release compares with none.
    pub fn compare(before: &[ReleaseComponent], after: &[ReleaseComponent]) -> Components {
        let index = |components: &[ReleaseComponent]| -> BTreeMap<String, ComponentVersion> {
            components
                .iter()
                .map(|c| (c.name.clone(), ComponentVersion::from(c)))
                .collect()
        };
        let (before, after) = (index(before), index(after));
        let mut components = Components::default();
        for (name, old) in &before {
            match after.get(name) {
                None => components.removed.push(old.clone()),
                Some(new) if new.digest == old.digest => components.unchanged.push(new.clone()),
                Some(new) => components.changed.push(ComponentChange {
                    name: name.clone(),
                    from: old.clone(),
                    to: new.clone(),
                }),
            }
        }
        components.added = after
            .into_iter()
            .filter(|(name, _)| !before.contains_key(name))
            .map(|(_, new)| new)
            .collect();
        components
    }

    /// Whether anything was added, removed or changed.
    pub fn differ(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }
}

/// What changes from one release to another.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReleaseDiff {
    /// The first release: `releases/<hash>`.
    pub from: String,
    /// Its package and version.
    pub from_version: String,
    /// The second release.
    pub to: String,
    /// Its package and version.
    pub to_version: String,
    /// The components, compared.
    #[serde(flatten)]
    pub components: Components,
}

/// Compares two releases component by component, by digest.
pub fn compare(from: (&str, &Release), to: (&str, &Release)) -> ReleaseDiff {
    ReleaseDiff {
        from: from.0.to_owned(),
        from_version: format!("{} {}", from.1.package, from.1.version),
        to: to.0.to_owned(),
        to_version: format!("{} {}", to.1.package, to.1.version),
        components: Components::compare(&from.1.components, &to.1.components),
    }
}

//! `berth versions sync`: a component's version map brought up to date from its
//! image registry. The tags are listed (every page), tags already recorded are
//! left alone (unless refreshed), tags the component's rules do not read as
//! versions are skipped without a request, and each new tag is resolved to its
//! digest (and, for a multi-arch tag, its platforms' digests). What the new
//! digests add is decided as `versions import` decides ([`super::plan`]), so
//! both write the same entries. Nothing is written unless every component
//! synced: a registry that fails, or a moved tag, leaves every map as it was.

use schemars::JsonSchema;
use serde::Serialize;

use super::{
    RegistryError, SkippedTag, TagDigest, Written, appended, component_rules, plan, write_files,
};
use crate::kinds::component::{self, PlatformDigest, Registry, VersionEntry};
use crate::oci::{Client, ImageRef, Options, Requests};
use crate::repo::Push;
use crate::workspace::Workspace;

/// What to sync, and how.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The components, in order (every registered one if empty).
    pub components: Vec<String>,
    /// Resolve recorded tags again, to catch a tag that moved.
    pub refresh: bool,
    /// Commit what is written.
    pub commit: bool,
    /// Build the commit on this remote's tip and push it there.
    pub push: Option<String>,
    /// When the new entries are recorded.
    pub resolved_at: String,
    /// How the registries are reached.
    pub client: Options,
}

/// Told as a sync goes.
pub trait SyncProgress {
    /// A component's tags are being listed; `listed` so far.
    fn listing(&self, component: &str, listed: usize);
    /// `total` tags of a component are to be resolved.
    fn resolving(&self, component: &str, total: usize);
    /// One more tag has been resolved.
    fn resolved(&self);
}

/// Progress nobody watches.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwatched;

impl SyncProgress for Unwatched {
    fn listing(&self, _component: &str, _listed: usize) {}
    fn resolving(&self, _component: &str, _total: usize) {}
    fn resolved(&self) {}
}

/// What `berth versions sync` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SyncOutcome {
    /// Each component synced, in the order given.
    pub components: Vec<SyncedComponent>,
    /// The requests sent to registries.
    pub requests: Requests,
    /// What was written.
    pub written: Written,
}

/// One component's sync.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SyncedComponent {
    /// The component.
    pub component: String,
    /// Its image repository.
    pub image_repository: String,
    /// Tags the registry lists.
    pub seen: usize,
    /// Tags the component's rules read as versions.
    pub matched: usize,
    /// Tags recorded already (with the same digest, when refreshed).
    pub known: usize,
    /// Tags resolved to their digests.
    pub resolved: usize,
    /// The entries recorded.
    pub added: Vec<VersionEntry>,
    /// Tags left out, and why: not versions by the rules, or a digest recorded
    /// under another tag.
    pub skipped: Vec<SkippedTag>,
    /// Recorded tags that name other digests now (always 0 in an outcome: a
    /// moved tag fails the sync).
    pub moved: usize,
}

/// Syncs components' version maps from their image registries.
pub fn sync(
    workspace: &Workspace,
    options: SyncOptions,
    progress: &dyn SyncProgress,
) -> Result<SyncOutcome, RegistryError> {
    let names: Vec<String> = if options.components.is_empty() {
        let (registry, _) = Registry::load(&workspace.tree)?;
        registry.components.keys().cloned().collect()
    } else {
        // Each once, in the order first given.
        let mut seen = std::collections::BTreeSet::new();
        options
            .components
            .iter()
            .filter(|name| seen.insert(name.as_str()))
            .cloned()
            .collect()
    };
    let mut client = Client::new(options.client.clone());
    let mut synced = Vec::new();
    let mut moved = Vec::new();
    for name in &names {
        let (registry, rules) = component_rules(workspace, name)?;
        let Some(component) = registry.components.get(name) else {
            return Err(RegistryError::UnknownComponent { name: name.clone() });
        };
        let image = ImageRef::parse(&component.image_repository)?;
        let recorded = registry.entries(name);
        let tags = client.list_tags(&image, &mut |listed| progress.listing(name, listed))?;
        let mut known: usize = 0;
        let mut skipped = Vec::new();
        let mut wanted = Vec::new();
        for tag in &tags {
            let is_recorded = recorded.iter().any(|entry| &entry.tag == tag);
            if is_recorded && !options.refresh {
                known = known.saturating_add(1);
            } else {
                match rules.read(tag) {
                    Ok(reading) => wanted.push((reading.semver, tag)),
                    Err(skip) => skipped.push(SkippedTag {
                        tag: tag.clone(),
                        reason: skip.to_string(),
                    }),
                }
            }
        }
        // A registry lists tags in an order of its own (distribution 2.8 as its
        // storage walks them): new tags are resolved and appended in version
        // order, then by tag, so the same tags write the same map.
        wanted.sort();
        let matched = tags.len().saturating_sub(skipped.len());
        progress.resolving(name, wanted.len());
        let mut list = Vec::with_capacity(wanted.len());
        for (_, tag) in &wanted {
            let resolved = client.resolve(&image, tag)?;
            list.push(TagDigest {
                tag: (*tag).clone(),
                digest: resolved.digest,
                platforms: resolved
                    .platforms
                    .into_iter()
                    .map(|p| PlatformDigest {
                        os: p.os,
                        architecture: p.architecture,
                        variant: p.variant,
                        digest: p.digest,
                    })
                    .collect(),
            });
            progress.resolved();
        }
        let plan = plan(
            &component::versions_path(name),
            recorded,
            &rules,
            &list,
            &options.resolved_at,
            "the registry",
        );
        skipped.extend(plan.skipped);
        synced.push(SyncedComponent {
            component: name.clone(),
            image_repository: component.image_repository.clone(),
            seen: tags.len(),
            matched,
            known: known.saturating_add(plan.known),
            resolved: list.len(),
            added: plan.added,
            skipped,
            moved: plan.moved.len(),
        });
        moved.extend(plan.moved);
    }
    if !moved.is_empty() {
        return Err(RegistryError::TagMoved(moved));
    }
    let mut files = Vec::new();
    for one in &synced {
        files.extend(appended(workspace, &one.component, &one.added)?);
    }
    let written = if files.is_empty() {
        Written {
            files: Vec::new(),
            commit: None,
            pushed: None,
        }
    } else {
        let recorded: usize = synced.iter().map(|one| one.added.len()).sum();
        let which: Vec<&str> = synced
            .iter()
            .filter(|one| !one.added.is_empty())
            .map(|one| one.component.as_str())
            .collect();
        let message = format!(
            "Record {} of {} from the registry",
            crate::diagnostic::finding::plural(recorded, "tag"),
            which.join(", ")
        );
        write_files(
            workspace,
            files,
            (options.commit || options.push.is_some()).then_some(message),
            // The new tags were read against the components' rules.
            options.push.as_ref().map(|remote| Push {
                remote: remote.clone(),
                guard: which
                    .iter()
                    .map(|name| component::component_path(name))
                    .collect(),
            }),
        )?
    };
    Ok(SyncOutcome {
        components: synced,
        requests: client.requests(),
        written,
    })
}

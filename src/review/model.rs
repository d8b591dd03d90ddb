//! What a review found, as data: the verdict, its counts, and one section each
//! for packages, environments, configs and the component registry.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::bump::{Bump, Reason};
use crate::diagnostic::finding::{Finding, Severity};
use crate::env::log::Action;
use crate::env::query::LineageStep;
use crate::release::Components;

/// A revision as the review read it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Revision {
    /// As given: a branch, a tag, a hash, `HEAD~1`.
    pub revision: String,
    /// The commit it named.
    pub commit: String,
}

/// Whether the change may ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing found.
    Ready,
    /// Warnings, no errors.
    HasWarnings,
    /// At least one error: the review exits 1.
    Blocked,
}

/// The counts the summary line gives.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Counts {
    /// Objects the change adds.
    pub new_objects: usize,
    /// Packages they belong to, whatever their stores (config ids not included).
    pub packages: usize,
    /// Environment entries that change.
    pub environment_moves: usize,
    /// Config versions the change adds.
    pub config_versions: usize,
    /// Registry files the change touches.
    pub registry_changes: usize,
    /// Findings with severity `error`.
    pub errors: usize,
    /// Findings with severity `warning`.
    pub warnings: usize,
}

/// `berth review`: everything a reviewer needs, each part empty when the change
/// has none of it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Review {
    /// The commit compared with: the merge base of the base and the head; for a
    /// pull request into an environment, the environment's commit before.
    pub base: Revision,
    /// The revision reviewed; absent when only environments were reviewed.
    pub head: Option<Revision>,
    /// For a pull request into an environment branch (the base is one of its
    /// commits): the environment, moved from the base to the head. Absent for a
    /// change to the catalog.
    pub into: Option<String>,
    /// For a pull request into an environment: the catalog branch it is judged
    /// by, the remote's (`refs/remotes/origin/main`) or else the local one.
    pub catalog: Option<Revision>,
    /// Ready, has warnings, or blocked.
    pub verdict: Verdict,
    /// What the summary line counts.
    pub counts: Counts,
    /// New objects, by store and package.
    pub packages: Vec<PackageReview>,
    /// Environments whose entries change.
    pub environments: Vec<EnvironmentReview>,
    /// New config versions.
    pub configs: Vec<ConfigReview>,
    /// Component registry and version map changes.
    pub registry: Vec<RegistryReview>,
    /// Every finding of the validator and of the environment checks.
    pub findings: Vec<Finding>,
    /// The environments whose commits before and after the change could not be
    /// compared, so that no move of theirs was reviewed, and why.
    pub not_compared: Vec<NotCompared>,
    /// What the review could not look at, and why, in sentences.
    pub notes: Vec<String>,
}

/// An environment the review did not compare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct NotCompared {
    /// The environment.
    pub environment: String,
    /// Why.
    pub reason: NotComparedReason,
    /// The remote-tracking ref that would have held its commit before the
    /// change, such as `refs/remotes/origin/env/dev`; absent for an environment
    /// outside `refs/heads/`, which no remote tracks.
    pub tracking_ref: Option<String>,
}

/// Why an environment was not compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NotComparedReason {
    /// Its own ref is here, but no remote-tracking ref holds its commit before
    /// the change, and no `--env-base` names one.
    NoRemoteTrackingRef,
    /// Neither its own ref nor its remote-tracking ref is here, and no
    /// `--env-head` names a commit of it: not fetched, or never opened.
    NoRef,
}

/// The new objects of one package.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PackageReview {
    /// The store.
    pub store: String,
    /// The package (the store's partition).
    pub package: String,
    /// The new objects, in version order where they have versions.
    pub objects: Vec<NewObject>,
}

/// One object the change adds, against the one it follows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NewObject {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
    /// The object it follows: the version below it, or for kinds without versions
    /// the newest object of the package made before it.
    pub previous: Option<Previous>,
    /// The bump its version declares over the previous one.
    pub declared: Option<Bump>,
    /// The bump the change requires (kinds with versions, when there is a
    /// previous version).
    pub required: Option<Bump>,
    /// Whether the declared bump is smaller than the required one.
    pub understated: bool,
    /// Every field that differs from the previous object, with the bump it needs.
    pub changes: Vec<Reason>,
    /// A release's components against the previous release's (all added for a
    /// first release).
    pub components: Option<Components>,
    /// A lifecycle event: the object it is about and the status it records.
    pub event: Option<EventSummary>,
}

/// The object a new one follows.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Previous {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
    /// For a kind without versions, the environment whose entry for the package
    /// it was before the change (the first, in promotion order, that held one):
    /// the new object is compared with what it would replace. Absent when the
    /// previous object is another new one.
    pub held_by: Option<String>,
}

/// What a new lifecycle event records.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EventSummary {
    /// `<store>/<hash>` of the object it is about.
    pub subject: String,
    /// The status: ready, failed, deprecated, archived, artifact-deleted.
    pub status: String,
    /// Why, when given.
    pub reason: Option<String>,
}

/// One environment whose entries change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EnvironmentReview {
    /// The environment.
    pub environment: String,
    /// Its commit before the change; absent when it had none (never shared).
    pub base: Option<Revision>,
    /// Its commit after the change.
    pub head: Revision,
    /// Whether the head's history lacks the base commit: the environment's log
    /// was rewritten, not added to.
    pub rewritten: bool,
    /// The entries that change, by package.
    pub moves: Vec<Move>,
    /// The repairs among the change's commits, newest first: each restored
    /// what commits berth cannot verify changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repairs: Vec<RepairMade>,
}

/// A `berth repair` commit in a reviewed change.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RepairMade {
    /// The repair commit.
    pub commit: String,
    /// Its reason.
    pub reason: String,
    /// The commits it repaired.
    pub repairs: Vec<String>,
}

/// One package's entry in an environment, before and after.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Move {
    /// The package.
    pub package: String,
    /// What it held before; absent when it held nothing.
    pub from: Option<Held>,
    /// What it holds after; absent when the entry was removed.
    pub to: Option<Held>,
    /// The commit that set the entry, `promote` or `rollback`; absent when no
    /// berth commit between the two did.
    pub action: Option<Action>,
    /// The path the object took, from this environment back to the catalog.
    pub path: Vec<LineageStep>,
    /// Whether the path is one berth.toml allows (and signed where required).
    pub allowed: bool,
    /// The step of the path that skipped the promotion path, by an override
    /// berth.toml allows (a hotfix); absent when none did.
    #[serde(rename = "override", skip_serializing_if = "Option::is_none")]
    pub overridden: Option<PathOverride>,
    /// The environment findings about this entry.
    pub problems: Vec<String>,
}

/// A step that skipped the promotion path, by an override: the commit's
/// `Berth-Override` trailer, in an environment with `allow_override = true`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PathOverride {
    /// The environment whose commit skipped the path: this one, or one the
    /// object came through.
    pub environment: String,
    /// That commit.
    pub commit: String,
    /// Where it took the object from: the catalog branch or an environment.
    pub from: String,
    /// The reason it gives.
    pub reason: String,
}

/// An object an environment holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Held {
    /// `<store>/<hash>`.
    pub object: String,
    /// Its version, when its kind has one.
    pub version: Option<String>,
}

/// A new config version.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConfigReview {
    /// The config id.
    pub id: String,
    /// The new version.
    pub version: u64,
    /// `configs/<hash>`.
    pub object: String,
    /// Its file.
    pub file: String,
    /// Its type.
    #[serde(rename = "type")]
    pub config_type: String,
    /// `account`, `campaign` or `asset`.
    pub scope: String,
    /// The entity it applies to.
    pub applies_to: String,
    /// When it takes effect.
    pub effective_at: String,
    /// Whether that time is already past: merging changes answers for the time
    /// between it and now.
    pub effective_in_past: bool,
    /// The version it supersedes from `effective_at`, and when that one took
    /// effect.
    pub supersedes: Option<Superseded>,
    /// The settings that change (all added for version 1).
    pub settings: Vec<crate::config::SettingChange>,
}

/// The version a new config version supersedes.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Superseded {
    /// Its number.
    pub version: u64,
    /// `configs/<hash>`.
    pub object: String,
    /// When it took effect.
    pub effective_at: String,
}

/// A registry file the change touches.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct RegistryReview {
    /// The file.
    pub file: String,
    /// The component.
    pub component: String,
    /// `component` (its definition) or `versions` (its version map).
    pub kind: RegistryKind,
    /// Added, modified or deleted.
    pub change: FileChange,
    /// A definition's fields that differ.
    pub fields: Vec<Reason>,
    /// Version map entries added.
    pub tags_added: Vec<TagEntry>,
    /// Version map entries removed.
    pub tags_removed: Vec<TagEntry>,
    /// Tags that now name another digest: a tag that was reviewed names other
    /// code. Always an error (`tag-moved`).
    pub tags_moved: Vec<MovedTag>,
}

/// Which registry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RegistryKind {
    /// `components/<name>.toml`.
    Component,
    /// `components/<name>.versions.toml`.
    Versions,
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    /// New.
    Added,
    /// Edited.
    Modified,
    /// Removed.
    Deleted,
}

/// A version map entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct TagEntry {
    /// The tag.
    pub tag: String,
    /// The digest it names.
    pub digest: String,
    /// Its semantic version, if any.
    pub semver: Option<String>,
    /// Its channel.
    pub channel: Option<String>,
}

/// A tag recorded with one digest before and another after.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct MovedTag {
    /// The tag.
    pub tag: String,
    /// The digest recorded before.
    pub from: String,
    /// The digest recorded now.
    pub to: String,
}

impl Review {
    /// Makes every warning an error (`--deny-warnings`), so the verdict blocks.
    pub fn deny_warnings(&mut self) {
        for finding in &mut self.findings {
            finding.severity = Severity::Error;
        }
        self.tally();
    }

    /// Counts what the review found and gives the verdict.
    pub(super) fn tally(&mut self) {
        self.counts = Counts {
            new_objects: self
                .packages
                .iter()
                .map(|p| p.objects.len())
                .sum::<usize>()
                .saturating_add(self.configs.len()),
            packages: self
                .packages
                .iter()
                .map(|p| p.package.as_str())
                .collect::<BTreeSet<_>>()
                .len(),
            environment_moves: self.environments.iter().map(|e| e.moves.len()).sum(),
            config_versions: self.configs.len(),
            registry_changes: self.registry.len(),
            errors: self.findings.iter().filter(|f| f.is_error()).count(),
            warnings: self.findings.iter().filter(|f| !f.is_error()).count(),
        };
        self.verdict = if self.counts.errors > 0 {
            Verdict::Blocked
        } else if self.counts.warnings > 0 {
            Verdict::HasWarnings
        } else {
            Verdict::Ready
        };
    }
}

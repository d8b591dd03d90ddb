//! The component registry: `components/<name>.toml` says what an image is and how
//! its tags read as versions; `components/<name>.versions.toml` records, append-only,
//! which digest each tag named when it was seen.
//!
//! Registry files are reviewed and edited like code, so they are not objects: a
//! component's file may change; its version map may only grow.
//!
//! [`parse_component`] and [`parse_versions`] return every finding a file has,
//! and [`Registry::load`] reads them all: the validator and the commands that
//! change the registry (`crate::registry`) read it the same way.
//!
//! This file holds the files' formats and paths: the types a component's file
//! and a version map deserialize to, their schemas, and [`RegistryFile`], what a
//! path under `components/` is. The rest is one concept per file:
//! - `rules`: reading tags as versions ([`Rules`], [`Reading`], [`Skip`]) and
//!   the head of a channel ([`channel_head`]);
//! - `parse`: reading one registry file with its findings
//!   ([`parse_component`], [`parse_versions`]);
//! - `registry`: the loaded [`Registry`] and what resolves in it.

mod parse;
mod registry;
mod rules;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::Validator;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::release::DIGEST_PATTERN;
use super::version_set::DATE_TIME_PATTERN;
use crate::names::NAME_PATTERN;
use crate::schema;

pub use parse::{MAX_FILE_BYTES, parse_component, parse_versions};
pub use registry::Registry;
pub use rules::{BadRule, Reading, Rules, Skip, channel_head};

/// The directory of the registry.
pub const DIR: &str = "components";

/// The suffix of a version map's file name.
pub const VERSIONS_SUFFIX: &str = ".versions.toml";

/// A registered component.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Component",
    description = "An image berth releases: where it is stored and how its tags read as versions. Kept at components/<name>.toml."
)]
pub struct Component {
    /// The component's name; the file is `components/<name>.toml`.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// A name for people, such as `API Service`.
    pub display_name: String,
    /// The image repository, such as `registry.example.com/shop/api`.
    #[schemars(length(min = 1))]
    pub image_repository: String,
    /// The channel a release takes this component from unless told otherwise.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub default_channel: String,
    /// The deployment template (workflow) this component deploys with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_template: Option<String>,
    /// How tags read as versions.
    pub versioning: Versioning,
    /// Which tags go to which channel, first match wins. Without rules, every
    /// version tag goes to the default channel, and a prerelease to the channel its
    /// first prerelease identifier names (`1.2.0-beta.1`: `beta`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<VersionRule>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// `versioning`: the component's versioning strategy.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Versioning {
    /// How versions are numbered.
    #[serde(rename = "type")]
    pub strategy: Strategy,
    /// Only tags matching this regular expression are versions (others, such as
    /// `latest`, are skipped on import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag_pattern: Option<String>,
    /// A regular expression whose first capture group is the version in a tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver_extract: Option<String>,
}

/// A versioning strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Tags carry a semantic version (`v2.3.1`).
    Semver,
    /// Tags carry a date (`2025.05.01`, `2025-05-01`, `20250501`), read as
    /// YEAR.MONTH.DAY.
    Date,
    /// Tags carry a build number (`1234`), read as NUMBER.0.0.
    Sequential,
    /// Versions are assigned by hand: imported tags have none.
    Manual,
}

/// A version rule: tags matching `pattern` belong to `channel`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionRule {
    /// A regular expression on the tag; its first capture group, if any, is the
    /// version.
    pub pattern: String,
    /// The channel matching tags belong to.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub channel: String,
    /// Tags that also match this are prereleases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prerelease_pattern: Option<String>,
}

/// A component's version map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Version map",
    description = "Which digest each tag of a component named when it was seen, append-only: a recorded tag never changes digest and a digest appears once. Kept at components/<name>.versions.toml."
)]
pub struct VersionMap {
    /// The entries, in the order they were recorded.
    #[serde(default)]
    pub versions: Vec<VersionEntry>,
}

/// One tag of a component and the digest it named.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionEntry {
    /// The tag.
    #[schemars(length(min = 1))]
    pub tag: String,
    /// The image digest the tag named.
    #[schemars(regex(pattern = DIGEST_PATTERN))]
    pub digest: String,
    /// The semantic version read from the tag (none for manual versioning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semver: Option<String>,
    /// The channel the tag belongs to.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub channel: String,
    /// Whether the tag is a prerelease.
    pub prerelease: bool,
    /// The semver build metadata, if the tag has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_metadata: Option<String>,
    /// When berth recorded it.
    #[schemars(regex(pattern = DATE_TIME_PATTERN), extend("format" = "date-time"))]
    pub resolved_at: String,
    /// `auto` for imported tags, `manual` for versions assigned by hand.
    pub source: EntrySource,
    /// For a multi-arch tag (an OCI image index or a Docker manifest list),
    /// each platform's image digest; `digest` is the index's. A release may pin
    /// either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<PlatformDigest>,
}

/// One platform's image of a multi-arch tag.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformDigest {
    /// The operating system, such as `linux`.
    #[schemars(length(min = 1))]
    pub os: String,
    /// The CPU architecture, such as `amd64` or `arm64`.
    #[schemars(length(min = 1))]
    pub architecture: String,
    /// The architecture's variant, such as `v7` or `v8`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The platform image's manifest digest.
    #[schemars(regex(pattern = DIGEST_PATTERN))]
    pub digest: String,
}

impl PlatformDigest {
    /// `linux/arm64/v8`.
    pub fn name(&self) -> String {
        match &self.variant {
            Some(variant) => format!("{}/{}/{variant}", self.os, self.architecture),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// How a version map entry was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntrySource {
    /// Imported from a registry's tag list.
    Auto,
    /// Recorded by hand.
    Manual,
}

impl VersionEntry {
    /// The entry's version, if it has one that parses.
    pub fn version(&self) -> Option<semver::Version> {
        self.semver.as_deref()?.parse().ok()
    }

    /// Whether the entry records a digest: its own, or one of its platforms'.
    pub fn records(&self, digest: &str) -> bool {
        self.digest == digest || self.platforms.iter().any(|p| p.digest == digest)
    }

    /// The platform whose image has a digest.
    pub fn platform(&self, digest: &str) -> Option<&PlatformDigest> {
        self.platforms.iter().find(|p| p.digest == digest)
    }
}

/// The JSON Schema of component files.
pub fn component_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(schema::schema_of::<Component>)
}

/// The compiled schema of component files.
pub fn component_validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| schema::compile_builtin(component_schema()))
}

/// The JSON Schema of version maps.
pub fn versions_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(schema::schema_of::<VersionMap>)
}

/// The compiled schema of version maps.
pub fn versions_validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| schema::compile_builtin(versions_schema()))
}

/// What a registry file is, by its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistryFile {
    /// `components/<name>.toml`.
    Component(String),
    /// `components/<name>.versions.toml`.
    Versions(String),
}

impl RegistryFile {
    /// The registry file at a path under `components/`, if the name has the form
    /// of one (the component name is not checked here).
    pub fn parse(path: &str) -> Option<RegistryFile> {
        let name = path.strip_prefix(DIR)?.strip_prefix('/')?;
        if name.contains('/') {
            return None;
        }
        if let Some(component) = name.strip_suffix(VERSIONS_SUFFIX) {
            return Some(RegistryFile::Versions(component.to_owned()));
        }
        name.strip_suffix(".toml")
            .map(|component| RegistryFile::Component(component.to_owned()))
    }

    /// The component the file is about.
    pub fn component(&self) -> &str {
        match self {
            RegistryFile::Component(name) | RegistryFile::Versions(name) => name,
        }
    }
}

/// The path of a component's file.
pub fn component_path(name: &str) -> String {
    format!("{DIR}/{name}.toml")
}

/// The path of a component's version map.
pub fn versions_path(name: &str) -> String {
    format!("{DIR}/{name}{VERSIONS_SUFFIX}")
}

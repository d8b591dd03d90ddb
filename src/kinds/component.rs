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

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use jsonschema::Validator;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::release::DIGEST_PATTERN;
use super::version_set::DATE_TIME_PATTERN;
use crate::diagnostic::finding::shown_text;
use crate::diagnostic::{Code, Finding};
use crate::document::Format;
use crate::names::NAME_PATTERN;
use crate::schema;
use crate::source::{Content, Refusal, Source, SourceError};
use crate::store::read_object;

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
    /// The component's name; the file is components/<name>.toml.
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

/// A regular expression of a component that does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRule {
    /// Where it is, as a JSON pointer.
    pub pointer: String,
    /// The compiler's complaint.
    pub message: String,
}

/// A component's rules, compiled.
#[derive(Debug, Clone)]
pub struct Rules {
    strategy: Strategy,
    default_channel: String,
    tag_pattern: Option<Regex>,
    semver_extract: Option<Regex>,
    rules: Vec<(Regex, String, Option<Regex>)>,
}

/// What a tag reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The version, if the strategy gives one.
    pub semver: Option<semver::Version>,
    /// The channel.
    pub channel: String,
    /// Whether it is a prerelease.
    pub prerelease: bool,
}

/// Why a tag is not a version of the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// It does not match `tag_pattern`.
    NotAVersionTag,
    /// No rule matches it.
    NoRule,
    /// The version in it does not read under the strategy.
    NoVersion(String),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotAVersionTag => f.write_str("does not match versioning.tag_pattern"),
            Skip::NoRule => f.write_str("matches no version rule"),
            Skip::NoVersion(why) => f.write_str(why),
        }
    }
}

impl Component {
    /// Compiles the component's regular expressions, reporting every one that does
    /// not compile.
    pub fn rules(&self) -> Result<Rules, Vec<BadRule>> {
        let mut bad = Vec::new();
        let mut compile = |pattern: &str, pointer: String| match Regex::new(pattern) {
            Ok(regex) => Some(regex),
            Err(error) => {
                bad.push(BadRule {
                    pointer,
                    message: format!("`{pattern}` is not a regular expression: {error}"),
                });
                None
            }
        };
        let tag_pattern = self
            .versioning
            .tag_pattern
            .as_deref()
            .map(|p| compile(p, "/versioning/tag_pattern".to_owned()));
        let semver_extract = self
            .versioning
            .semver_extract
            .as_deref()
            .map(|p| compile(p, "/versioning/semver_extract".to_owned()));
        let mut rules = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            let pattern = compile(&rule.pattern, format!("/rules/{index}/pattern"));
            let prerelease = match rule.prerelease_pattern.as_deref() {
                None => Some(None),
                Some(p) => compile(p, format!("/rules/{index}/prerelease_pattern")).map(Some),
            };
            if let (Some(pattern), Some(prerelease)) = (pattern, prerelease) {
                rules.push((pattern, rule.channel.clone(), prerelease));
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        Ok(Rules {
            strategy: self.versioning.strategy,
            default_channel: self.default_channel.clone(),
            tag_pattern: tag_pattern.flatten(),
            semver_extract: semver_extract.flatten(),
            rules,
        })
    }
}

impl Rules {
    /// What a tag reads as under the component's rules.
    pub fn read(&self, tag: &str) -> Result<Reading, Skip> {
        if let Some(pattern) = &self.tag_pattern
            && !pattern.is_match(tag)
        {
            return Err(Skip::NotAVersionTag);
        }
        let (channel, captured, prerelease_rule) = if self.rules.is_empty() {
            (None, None, false)
        } else {
            let (pattern, channel, prerelease) = self
                .rules
                .iter()
                .find(|(pattern, _, _)| pattern.is_match(tag))
                .ok_or(Skip::NoRule)?;
            let captured = pattern
                .captures(tag)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_owned());
            let is_pre = prerelease.as_ref().is_some_and(|p| p.is_match(tag));
            (Some(channel.clone()), captured, is_pre)
        };
        let text = self
            .semver_extract
            .as_ref()
            .and_then(|extract| extract.captures(tag))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
            .or(captured)
            .unwrap_or_else(|| tag.strip_prefix('v').unwrap_or(tag).to_owned());
        let semver = self.version_of(&text)?;
        let prerelease = prerelease_rule || semver.as_ref().is_some_and(|v| !v.pre.is_empty());
        let channel = channel.unwrap_or_else(|| match &semver {
            Some(version) if !version.pre.is_empty() => version
                .pre
                .as_str()
                .split('.')
                .next()
                .map(|first| first.to_ascii_lowercase())
                .filter(|first| crate::names::check(first).is_ok())
                .unwrap_or_else(|| self.default_channel.clone()),
            _ => self.default_channel.clone(),
        });
        Ok(Reading {
            semver,
            channel,
            prerelease,
        })
    }

    fn version_of(&self, text: &str) -> Result<Option<semver::Version>, Skip> {
        let number = |part: &str| part.parse::<u64>().ok();
        match self.strategy {
            Strategy::Semver => semver::Version::parse(text)
                .map(Some)
                .map_err(|error| Skip::NoVersion(format!("`{text}` is not semver: {error}"))),
            Strategy::Date => {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                let date = match (digits.get(..4), digits.get(4..6), digits.get(6..)) {
                    (Some(year), Some(month), Some(day)) if digits.len() == 8 => {
                        format!("{year}-{month}-{day}")
                            .parse::<jiff::civil::Date>()
                            .ok()
                    }
                    _ => None,
                };
                date.map(|d| {
                    Some(semver::Version::new(
                        u64::try_from(d.year()).unwrap_or(0),
                        u64::try_from(d.month()).unwrap_or(0),
                        u64::try_from(d.day()).unwrap_or(0),
                    ))
                })
                .ok_or_else(|| Skip::NoVersion(format!("`{text}` is not a date")))
            }
            Strategy::Sequential => number(text)
                .map(|n| Some(semver::Version::new(n, 0, 0)))
                .ok_or_else(|| Skip::NoVersion(format!("`{text}` is not a build number"))),
            Strategy::Manual => Ok(None),
        }
    }
}

/// The head of a channel: its highest version, where a prerelease never heads the
/// component's default channel or `stable`.
pub fn channel_head<'a>(
    entries: &'a [VersionEntry],
    channel: &str,
    stable: bool,
) -> Option<&'a VersionEntry> {
    entries
        .iter()
        .filter(|entry| entry.channel == channel && !(stable && entry.prerelease))
        .filter_map(|entry| Some((entry.version()?, entry)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, entry)| entry)
}

/// The largest registry file berth reads.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Reads a component's file: parse, schema, name and regular expressions.
pub fn parse_component(path: &str, bytes: &[u8]) -> (Option<Component>, Vec<Finding>) {
    let (parsed, text) =
        match read_typed::<Component>(path, bytes, component_validator(), component_schema()) {
            Ok(read) => read,
            Err(findings) => return (None, findings),
        };
    let mut findings = Vec::new();
    if let Some(RegistryFile::Component(name)) = RegistryFile::parse(path)
        && name != parsed.name
    {
        findings.push(
            Finding::new(
                Code::Schema,
                path,
                format!(
                    "names component `{}`, but its file is named `{name}`",
                    parsed.name
                ),
            )
            .with_help(format!(
                "rename the file to components/{}.toml, or correct `name`",
                parsed.name
            ))
            .at_pointer(&text, Format::Toml, "/name"),
        );
    }
    if let Err(bad) = parsed.rules() {
        for rule in bad {
            findings.push(
                Finding::new(Code::BadRule, path, rule.message)
                    .with_label("does not compile")
                    .at_pointer(&text, Format::Toml, &rule.pointer),
            );
        }
    }
    (Some(parsed).filter(|_| findings.is_empty()), findings)
}

/// Reads a version map: parse, schema, and the map's own rules: a tag recorded
/// twice with two digests is `tag-moved`; a tag or digest recorded twice otherwise
/// is `bad-rule`.
pub fn parse_versions(path: &str, bytes: &[u8]) -> (Option<VersionMap>, Vec<Finding>) {
    let (map, text) =
        match read_typed::<VersionMap>(path, bytes, versions_validator(), versions_schema()) {
            Ok(read) => read,
            Err(findings) => return (None, findings),
        };
    let mut findings = Vec::new();
    let mut tags: HashMap<&str, (usize, &str)> = HashMap::new();
    let mut digests: HashMap<&str, usize> = HashMap::new();
    for (index, entry) in map.versions.iter().enumerate() {
        let at = |field: &str| format!("/versions/{index}/{field}");
        if let Some((first, digest)) = tags.insert(&entry.tag, (index, &entry.digest)) {
            let finding = if digest == entry.digest {
                Finding::new(
                    Code::BadRule,
                    path,
                    format!(
                        "tag `{}` is recorded twice (entry {first} and {index})",
                        entry.tag
                    ),
                )
                .with_help("a version map records each tag once: remove the second entry")
            } else {
                Finding::new(
                    Code::TagMoved,
                    path,
                    format!(
                        "tag `{}` is recorded with {digest} (entry {first}) and with {} (entry {index})",
                        entry.tag, entry.digest
                    ),
                )
                .with_label("moved")
            };
            findings.push(finding.at_pointer(&text, Format::Toml, &at("digest")));
        } else if let Some(first) = digests.insert(&entry.digest, index) {
            findings.push(
                Finding::new(
                    Code::BadRule,
                    path,
                    format!(
                        "digest {} is recorded for tag `{}` (entry {first}) and again for `{}`",
                        entry.digest,
                        map.versions
                            .get(first)
                            .map_or("", |earlier| earlier.tag.as_str()),
                        entry.tag
                    ),
                )
                .with_help(
                    "a digest appears once in a version map: it is one image, read as one version",
                )
                .at_pointer(&text, Format::Toml, &at("digest")),
            );
        }
        if entry
            .semver
            .as_deref()
            .is_some_and(|s| s.parse::<semver::Version>().is_err())
        {
            findings.push(
                Finding::new(
                    Code::Schema,
                    path,
                    format!(
                        "`{}` is not a semantic version",
                        entry.semver.as_deref().unwrap_or_default()
                    ),
                )
                .with_help("write MAJOR.MINOR.PATCH, as https://semver.org says")
                .at_pointer(&text, Format::Toml, &at("semver")),
            );
        }
        if let Err(error) = crate::time::parse(&entry.resolved_at) {
            findings.push(
                Finding::new(
                    Code::Schema,
                    path,
                    format!("`{}` is not a real instant: {error}", entry.resolved_at),
                )
                .with_label("not an RFC 3339 date-time")
                .with_help(
                    "write an RFC 3339 date-time with an offset, such as 2025-05-01T12:00:00Z",
                )
                .at_pointer(&text, Format::Toml, &at("resolved_at")),
            );
        }
    }
    (Some(map).filter(|_| findings.is_empty()), findings)
}

/// Reads a registry file as TOML checked against its schema, then as its type;
/// its text is kept for locating later findings.
fn read_typed<T: serde::de::DeserializeOwned>(
    path: &str,
    bytes: &[u8],
    validator: &jsonschema::Validator,
    schema: &Value,
) -> Result<(T, Arc<str>), Vec<Finding>> {
    let (data, _) = read_object(path, bytes, Format::Toml).map_err(|finding| vec![*finding])?;
    let text = shown_text(bytes);
    let findings =
        schema::check_described(validator, Some(schema), &data, path, &text, Format::Toml);
    if !findings.is_empty() {
        return Err(findings);
    }
    // The schema is generated from the type, so data that matches it reads.
    let typed = serde_json::from_value(data).map_err(|_| Vec::new())?;
    Ok((typed, text))
}

/// The registry of a repository: every component that reads, and its version map.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Components by name.
    pub components: BTreeMap<String, Component>,
    /// Version maps by component name.
    pub maps: BTreeMap<String, VersionMap>,
}

impl Registry {
    /// Reads `components/` from a source, with the findings of every file that
    /// does not read (those files are left out).
    pub fn load(source: &dyn Source) -> Result<(Registry, Vec<Finding>), SourceError> {
        let mut registry = Registry::default();
        let mut findings = Vec::new();
        for entry in source.list(DIR)? {
            // A linked or special file (or a linked `components/` itself) is left
            // out with its finding, never read: a link may point anywhere, and a
            // FIFO would block.
            if let Some(refusal) = Refusal::of_entry(entry.kind) {
                findings.push(crate::source::refused(&entry.path, &refusal));
                continue;
            }
            let Some(file) = RegistryFile::parse(&entry.path) else {
                continue;
            };
            let bytes = match source.read(&entry.path, MAX_FILE_BYTES) {
                Ok(Some(Content::Bytes(bytes))) => bytes,
                Ok(_) => continue,
                Err(error) => match error.finding() {
                    Some(finding) => {
                        findings.push(finding);
                        continue;
                    }
                    None => return Err(error),
                },
            };
            findings.extend(registry.read(&file, &entry.path, &bytes));
        }
        Ok((registry, findings))
    }

    /// Reads one registry file into the registry if it reads; gives its findings.
    pub fn read(&mut self, file: &RegistryFile, path: &str, bytes: &[u8]) -> Vec<Finding> {
        match file {
            RegistryFile::Component(name) => {
                let (parsed, findings) = parse_component(path, bytes);
                if let Some(parsed) = parsed {
                    self.components.insert(name.clone(), parsed);
                }
                findings
            }
            RegistryFile::Versions(name) => {
                let (parsed, findings) = parse_versions(path, bytes);
                if let Some(parsed) = parsed {
                    self.maps.insert(name.clone(), parsed);
                }
                findings
            }
        }
    }

    /// A component's version map entries (none without a map).
    pub fn entries(&self, component: &str) -> &[VersionEntry] {
        self.maps
            .get(component)
            .map_or(&[], |map| map.versions.as_slice())
    }

    /// The head of a component's channel.
    pub fn head(&self, component: &str, channel: &str) -> Option<&VersionEntry> {
        let stable = self
            .components
            .get(component)
            .is_some_and(|c| c.default_channel == channel || channel == "stable");
        channel_head(self.entries(component), channel, stable)
    }

    /// The entry recording a tag or a digest of a component.
    pub fn resolve(&self, component: &str, tag_or_digest: &str) -> Option<&VersionEntry> {
        self.entries(component)
            .iter()
            .find(|entry| entry.tag == tag_or_digest || entry.digest == tag_or_digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(rules: Vec<VersionRule>, strategy: Strategy) -> Component {
        Component {
            name: "api".to_owned(),
            display_name: "API".to_owned(),
            image_repository: "registry.example.com/shop/api".to_owned(),
            default_channel: "stable".to_owned(),
            deployment_template: None,
            versioning: Versioning {
                strategy,
                tag_pattern: None,
                semver_extract: None,
            },
            rules,
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn tags_read_as_versions() {
        let plain = component(Vec::new(), Strategy::Semver).rules().unwrap();
        let ruled = component(
            vec![
                VersionRule {
                    pattern: r"^v(\d+\.\d+\.\d+)$".to_owned(),
                    channel: "stable".to_owned(),
                    prerelease_pattern: None,
                },
                VersionRule {
                    pattern: r"^v(\d+\.\d+\.\d+-.+)$".to_owned(),
                    channel: "beta".to_owned(),
                    prerelease_pattern: Some(".*-(alpha|beta|rc).*".to_owned()),
                },
            ],
            Strategy::Semver,
        )
        .rules()
        .unwrap();
        let date = component(Vec::new(), Strategy::Date).rules().unwrap();
        let sequential = component(Vec::new(), Strategy::Sequential).rules().unwrap();
        let cases: &[(&Rules, &str, Option<&str>, &str, bool)] = &[
            (&plain, "v2.3.1", Some("2.3.1"), "stable", false),
            (&plain, "2.4.0-beta.1", Some("2.4.0-beta.1"), "beta", true),
            (
                &plain,
                "1.0.0+build.7",
                Some("1.0.0+build.7"),
                "stable",
                false,
            ),
            (&ruled, "v2.3.1", Some("2.3.1"), "stable", false),
            (&ruled, "v2.4.0-rc.1", Some("2.4.0-rc.1"), "beta", true),
            (&date, "2025.05.01", Some("2025.5.1"), "stable", false),
            (&sequential, "1234", Some("1234.0.0"), "stable", false),
        ];
        for (rules, tag, semver, channel, prerelease) in cases {
            let reading = rules.read(tag).unwrap();
            assert_eq!(
                (
                    reading.semver.map(|v| v.to_string()).as_deref(),
                    reading.channel.as_str(),
                    reading.prerelease
                ),
                (*semver, *channel, *prerelease),
                "{tag}"
            );
        }
        assert_eq!(ruled.read("latest"), Err(Skip::NoRule));
        assert!(matches!(plain.read("latest"), Err(Skip::NoVersion(_))));
        assert!(matches!(date.read("2025.02.30"), Err(Skip::NoVersion(_))));
    }

    #[test]
    fn bad_patterns_are_all_reported() {
        let mut bad = component(
            vec![VersionRule {
                pattern: "(".to_owned(),
                channel: "stable".to_owned(),
                prerelease_pattern: Some("[".to_owned()),
            }],
            Strategy::Semver,
        );
        bad.versioning.tag_pattern = Some("(?<=v)1".to_owned());
        let pointers: Vec<String> = bad
            .rules()
            .unwrap_err()
            .into_iter()
            .map(|b| b.pointer)
            .collect();
        assert_eq!(
            pointers,
            [
                "/versioning/tag_pattern",
                "/rules/0/pattern",
                "/rules/0/prerelease_pattern"
            ]
        );
    }

    #[test]
    fn prereleases_never_head_stable() {
        let entry = |tag: &str, semver: &str, channel: &str, prerelease: bool| VersionEntry {
            tag: tag.to_owned(),
            digest: format!("sha256:{}", "0".repeat(64)),
            semver: Some(semver.to_owned()),
            channel: channel.to_owned(),
            prerelease,
            build_metadata: None,
            resolved_at: "2025-05-01T12:00:00Z".to_owned(),
            source: EntrySource::Auto,
        };
        let entries = vec![
            entry("v1.9.0", "1.9.0", "stable", false),
            entry("v1.10.0", "1.10.0", "stable", false),
            entry("v2.0.0-rc.1", "2.0.0-rc.1", "stable", true),
            entry("v2.0.0-beta.1", "2.0.0-beta.1", "beta", true),
        ];
        assert_eq!(
            channel_head(&entries, "stable", true).unwrap().tag,
            "v1.10.0"
        );
        assert_eq!(
            channel_head(&entries, "beta", false).unwrap().tag,
            "v2.0.0-beta.1"
        );
        assert!(channel_head(&entries, "nightly", false).is_none());
    }
}

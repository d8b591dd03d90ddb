//! Releases: what a team ships, as a set of image digests, never tags (the release
//! manager's digest-first principle), with the semver version rollout tooling reads.

use std::collections::{BTreeMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::version_set::DATE_TIME_PATTERN;
use super::{FieldProblem, Kind};
use crate::diagnostic::code::Code;
use crate::names::NAME_PATTERN;
use crate::store::RELEASES;

/// An image digest: `sha256:` and 64 lowercase hex digits.
pub const DIGEST_PATTERN: &str = r"^sha256:[0-9a-f]{64}$";

/// A semantic version, checked in full by the semver rules.
pub const SEMVER_PATTERN: &str = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$";

/// The fields that describe a release rather than what it ships: they may change
/// between versions without a bump.
pub const DESCRIPTIVE_FIELDS: &[&str] = &["/created_at", "/source", "/name", "/display_name"];

/// A release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Release",
    description = "A version of a package as the set of image digests it ships, with the configs it pins. Stored at objects/releases/<package>/<sha256>.<json|toml>."
)]
pub struct Release {
    /// The package released; also the release's partition.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub package: String,
    /// The release's semantic version.
    #[schemars(regex(pattern = SEMVER_PATTERN))]
    pub version: String,
    /// A short name, such as `myapp-v2.3.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A name for people, such as `MyApp 2.3.1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// When the release was made: an RFC 3339 date-time with an offset.
    #[schemars(regex(pattern = DATE_TIME_PATTERN), extend("format" = "date-time"))]
    pub created_at: String,
    /// Where the release was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceRef>,
    /// The images shipped, each by digest.
    #[schemars(length(min = 1))]
    pub components: Vec<ReleaseComponent>,
    /// The integrations the release binds (provider, profile, cardinality...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrations: Option<Vec<Value>>,
    /// The inputs the release asks for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Value>>,
    /// The config versions the release pins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configs: Option<Vec<ConfigPin>>,
    /// Free-form labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
}

/// `source`: the build a release came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    /// The commit built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_sha: Option<String>,
    /// The branch built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The CI build's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_id: Option<String>,
    /// The CI pipeline's page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pipeline_url: Option<String>,
}

/// One image of a release.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseComponent {
    /// The component, as registered in `components/<name>.toml`.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub name: String,
    /// The image's digest: what ships.
    #[schemars(regex(pattern = DIGEST_PATTERN))]
    pub digest: String,
    /// The tag the digest was resolved from, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The component's semantic version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = SEMVER_PATTERN))]
    pub semver: Option<String>,
    /// What the image does in the release.
    pub role: Role,
}

/// A component's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The service itself.
    Primary,
    /// Runs beside the primary.
    Sidecar,
    /// Runs before the primary starts.
    Init,
    /// Migrates data.
    Migration,
}

/// A pinned config version.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigPin {
    /// The config's id.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub id: String,
    /// Its version, from 1.
    #[schemars(range(min = 1))]
    pub version: u64,
}

/// The release kind.
pub struct Releases;

impl Kind for Releases {
    fn store(&self) -> &str {
        RELEASES
    }

    fn partition(&self) -> &str {
        "/package"
    }

    super::builtin_schema!(Release);

    fn rules(&self, data: &Value) -> Vec<FieldProblem> {
        let mut problems: Vec<FieldProblem> = super::instant_rule(data, "/created_at")
            .into_iter()
            .collect();
        problems.extend(semver_rule(data, "/version"));
        let Some(components) = data.pointer("/components").and_then(Value::as_array) else {
            return problems;
        };
        let mut names = HashSet::new();
        for (index, component) in components.iter().enumerate() {
            let at = format!("/components/{index}");
            let name = component.get("name").and_then(Value::as_str);
            let label = name.map_or_else(|| format!("component {index}"), |n| format!("`{n}`"));
            problems.extend(digest_rule(component, &at, &label));
            problems.extend(semver_rule(data, &format!("{at}/semver")));
            if let Some(name) = name
                && !names.insert(name)
            {
                problems.push(FieldProblem {
                    code: Code::Schema,
                    pointer: format!("{at}/name"),
                    message: format!("component `{name}` is listed twice"),
                    label: "listed before".to_owned(),
                    help: "a release ships one image per component: keep one entry".to_owned(),
                });
            }
        }
        problems
    }

    fn tags(&self, partition: &str) -> Vec<String> {
        vec![format!("pkg:{partition}")]
    }

    fn promotable(&self) -> bool {
        true
    }

    fn version_pointer(&self) -> Option<&str> {
        Some("/version")
    }

    fn descriptive_fields(&self) -> &[&str] {
        DESCRIPTIVE_FIELDS
    }

    fn keyed_lists(&self) -> &[(&str, &str)] {
        &[("/components", "name")]
    }
}

/// Whether a text is an image digest berth accepts.
pub fn is_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `tag-not-digest`: a component without a digest, or with something else there.
fn digest_rule(component: &Value, at: &str, label: &str) -> Option<FieldProblem> {
    let tag = component.get("tag").and_then(Value::as_str);
    let by_tag = tag.map_or_else(String::new, |tag| format!(" (tag `{tag}`)"));
    let (pointer, message) = match component.get("digest") {
        None => (
            at.to_owned(),
            format!("component {label}{by_tag} has no digest"),
        ),
        Some(Value::String(digest)) if is_digest(digest) => return None,
        Some(other) => (
            format!("{at}/digest"),
            format!("component {label}{by_tag} has `{other}` where its digest should be"),
        ),
    };
    Some(FieldProblem {
        code: Code::TagNotDigest,
        pointer,
        message,
        label: "not pinned to a digest".to_owned(),
        help: "a release ships digests, never tags: resolve the tag through the component's version map (`berth versions ls <component>`) and write `digest = \"sha256:<64 hex>\"`".to_owned(),
    })
}

/// A version field that matches the schema's pattern but is not semver (a leading
/// zero).
fn semver_rule(data: &Value, pointer: &str) -> Option<FieldProblem> {
    let text = data.pointer(pointer)?.as_str()?;
    let error = semver::Version::parse(text).err()?;
    Some(FieldProblem {
        code: Code::Schema,
        pointer: pointer.to_owned(),
        message: format!("`{text}` is not a semantic version: {error}"),
        label: "not semver".to_owned(),
        help: "write MAJOR.MINOR.PATCH, without leading zeros, as https://semver.org says"
            .to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn release() -> Value {
        json!({
            "package": "shop",
            "version": "1.2.0",
            "created_at": "2025-05-01T12:00:00Z",
            "components": [
                {"name": "api", "digest": format!("sha256:{}", "a".repeat(64)), "tag": "v1.2.0", "semver": "1.2.0", "role": "primary"}
            ],
            "integrations": [{"provider": "telegram"}]
        })
    }

    #[test]
    fn releases_are_checked_and_typed() {
        let data = release();
        assert!(Releases.validator().is_valid(&data));
        assert!(Releases.rules(&data).is_empty());
        let typed: Release = serde_json::from_value(data).unwrap();
        assert_eq!(typed.components[0].role, Role::Primary);
    }

    #[test]
    fn rules() {
        let cases: &[(&str, Value, Code, &str)] = &[
            (
                "/components/0/digest",
                Value::Null,
                Code::TagNotDigest,
                "/components/0",
            ),
            (
                "/components/0/digest",
                json!("v1.2.0"),
                Code::TagNotDigest,
                "/components/0/digest",
            ),
            (
                "/components/0/digest",
                json!(format!("sha256:{}", "A".repeat(64))),
                Code::TagNotDigest,
                "/components/0/digest",
            ),
            ("/version", json!("01.2.0"), Code::Schema, "/version"),
            (
                "/created_at",
                json!("2025-02-30T12:00:00Z"),
                Code::Schema,
                "/created_at",
            ),
        ];
        for (pointer, value, code, at) in cases {
            let mut data = release();
            if value.is_null() {
                data["components"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("digest");
            } else {
                *data.pointer_mut(pointer).unwrap() = value.clone();
            }
            let problems = Releases.rules(&data);
            assert_eq!(problems.len(), 1, "{pointer} {value}");
            assert_eq!(
                (problems[0].code, problems[0].pointer.as_str()),
                (*code, *at)
            );
        }
        let mut twice = release();
        let first = twice["components"][0].clone();
        twice["components"].as_array_mut().unwrap().push(first);
        assert_eq!(Releases.rules(&twice)[0].pointer, "/components/1/name");
    }
}

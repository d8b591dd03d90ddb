//! Reading registry files: a component's file and a version map, each checked
//! against its schema and its own rules, with every finding the file has.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;

use super::{
    Component, RegistryFile, VersionMap, component_schema, component_validator, versions_schema,
    versions_validator,
};
use crate::diagnostic::finding::shown_text;
use crate::diagnostic::{Code, Finding};
use crate::document::Format;
use crate::schema;
use crate::store::read_object;

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

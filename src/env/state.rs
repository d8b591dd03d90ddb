//! `state.toml`: what an environment holds, one entry per package.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::names;
use crate::store::ObjectRef;

/// The file at the root of every environment commit's tree.
pub const STATE_FILE: &str = "state.toml";

/// What an environment holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// One entry per package, by package name.
    #[serde(default)]
    pub packages: BTreeMap<String, Entry>,
}

/// What an environment holds for one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The object: `<store>/<hash>`.
    pub object: String,
    /// Its tags here: `pkg:<package>`, `env:<environment>` and any given with `--tag`.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A state.toml that is not a berth state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProblem {
    /// What is wrong.
    pub message: String,
    /// Where, as a byte range of the text.
    pub span: Option<std::ops::Range<usize>>,
}

impl State {
    /// Reads a state file, checking package names and object references.
    pub fn parse(text: &str) -> Result<State, StateProblem> {
        let state: State = toml::from_str(text).map_err(|error| StateProblem {
            message: error.message().to_owned(),
            span: error.span(),
        })?;
        for (package, entry) in &state.packages {
            let at = || {
                text.find(package.as_str())
                    .map(|start| start..start + package.len())
            };
            if let Err(error) = names::check(package) {
                return Err(StateProblem {
                    message: format!("package {error}"),
                    span: at(),
                });
            }
            if let Err(message) = entry.object.parse::<ObjectRef>() {
                return Err(StateProblem {
                    message: format!("package `{package}`: object {message}"),
                    span: text
                        .find(entry.object.as_str())
                        .map(|start| start..start + entry.object.len()),
                });
            }
        }
        Ok(state)
    }

    /// The file's text: packages in name order, each a table.
    pub fn to_toml(&self) -> String {
        if self.packages.is_empty() {
            return String::new();
        }
        // Written by hand, so the layout is the one DESIGN.md shows whatever the
        // serializer's defaults; keys and strings are escaped by toml.
        let mut text = String::new();
        for (package, entry) in &self.packages {
            if !text.is_empty() {
                text.push('\n');
            }
            let key = toml::Value::String(package.clone()).to_string();
            let key = if package
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                package.clone()
            } else {
                key
            };
            text.push_str(&format!("[packages.{key}]\n"));
            text.push_str(&format!(
                "object = {}\n",
                toml::Value::String(entry.object.clone())
            ));
            let tags: Vec<String> = entry
                .tags
                .iter()
                .map(|tag| toml::Value::String(tag.clone()).to_string())
                .collect();
            text.push_str(&format!("tags = [{}]\n", tags.join(", ")));
        }
        text
    }

    /// The object a package's entry names.
    pub fn object(&self, package: &str) -> Option<ObjectRef> {
        self.packages
            .get(package)
            .and_then(|entry| entry.object.parse().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246";

    #[test]
    fn round_trips_in_the_documented_layout() {
        let mut state = State::default();
        assert_eq!(state.to_toml(), "");
        assert_eq!(State::parse("").unwrap(), state);
        for package in ["search", "search.v2"] {
            state.packages.insert(
                package.to_owned(),
                Entry {
                    object: format!("version-sets/{HASH}"),
                    tags: vec!["env:dev".to_owned(), format!("pkg:{package}")],
                },
            );
        }
        let text = state.to_toml();
        assert_eq!(
            text,
            format!(
                "[packages.search]\nobject = \"version-sets/{HASH}\"\ntags = [\"env:dev\", \"pkg:search\"]\n\n\
                 [packages.\"search.v2\"]\nobject = \"version-sets/{HASH}\"\ntags = [\"env:dev\", \"pkg:search.v2\"]\n"
            )
        );
        assert_eq!(State::parse(&text).unwrap(), state);
    }

    #[test]
    fn refuses_what_is_not_a_state() {
        let cases = [
            "[packages.search]\nobject = 1\n",
            "[packages.search]\nobject = \"version-sets/abc\"\n",
            "[packages.Search]\nobject = \"version-sets/abc\"\n",
            "[packages.search]\nobject = \"x\"\nextra = true\n",
            "[other]\n",
        ];
        for text in cases {
            let problem = State::parse(text).unwrap_err();
            assert!(problem.span.is_some(), "{text}: {problem:?}");
        }
    }
}

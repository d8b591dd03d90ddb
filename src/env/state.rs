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
    /// The in-repo objects the object references, directly or through others, as
    /// `<store>/<hash>`: the tree keeps them for as long as an entry names them, and
    /// a promotion reads this list rather than every other entry's object to know
    /// what it may remove. Omitted when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
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
                    .map(|start| start..start.saturating_add(package.len()))
            };
            if let Err(error) = names::check(package) {
                return Err(StateProblem {
                    message: format!("package {error}"),
                    span: at(),
                });
            }
            for (field, object) in std::iter::once(("object", &entry.object))
                .chain(entry.references.iter().map(|object| ("reference", object)))
            {
                if let Err(message) = object.parse::<ObjectRef>() {
                    return Err(StateProblem {
                        message: format!("package `{package}`: {field} {message}"),
                        span: text
                            .find(object.as_str())
                            .map(|start| start..start.saturating_add(object.len())),
                    });
                }
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
        // serializer's defaults.
        let mut text = String::with_capacity(self.packages.len().saturating_mul(160));
        for (package, entry) in &self.packages {
            if !text.is_empty() {
                text.push('\n');
            }
            let bare = package
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            text.push_str("[packages.");
            if bare {
                text.push_str(package);
            } else {
                push_string(&mut text, package);
            }
            text.push_str("]\nobject = ");
            push_string(&mut text, &entry.object);
            text.push_str("\ntags = ");
            push_list(&mut text, &entry.tags);
            if !entry.references.is_empty() {
                text.push_str("\nreferences = ");
                push_list(&mut text, &entry.references);
            }
            text.push('\n');
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

/// A basic string: quoted as is when nothing in it needs escaping (names, object
/// references and tags always), else escaped by toml.
fn push_string(text: &mut String, value: &str) {
    if value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        text.push('"');
        text.push_str(value);
        text.push('"');
    } else {
        text.push_str(&toml::Value::String(value.to_owned()).to_string());
    }
}

/// A list of strings on one line.
fn push_list(text: &mut String, items: &[String]) {
    text.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            text.push_str(", ");
        }
        push_string(text, item);
    }
    text.push(']');
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
        for (package, references) in [
            ("search", vec![]),
            ("search.v2", vec![format!("version-sets/{HASH}")]),
        ] {
            state.packages.insert(
                package.to_owned(),
                Entry {
                    object: format!("version-sets/{HASH}"),
                    tags: vec!["env:dev".to_owned(), format!("pkg:{package}")],
                    references,
                },
            );
        }
        let text = state.to_toml();
        assert_eq!(
            text,
            format!(
                "[packages.search]\nobject = \"version-sets/{HASH}\"\ntags = [\"env:dev\", \"pkg:search\"]\n\n\
                 [packages.\"search.v2\"]\nobject = \"version-sets/{HASH}\"\ntags = [\"env:dev\", \"pkg:search.v2\"]\n\
                 references = [\"version-sets/{HASH}\"]\n"
            )
        );
        assert_eq!(State::parse(&text).unwrap(), state);
    }

    #[test]
    fn strings_that_need_escaping_round_trip() {
        let mut state = State::default();
        state.packages.insert(
            "search".to_owned(),
            Entry {
                object: format!("version-sets/{HASH}"),
                tags: vec![
                    "say:\"hi\"".to_owned(),
                    "path:a\\b".to_owned(),
                    "é\t".to_owned(),
                ],
                references: Vec::new(),
            },
        );
        assert_eq!(State::parse(&state.to_toml()).unwrap(), state);
    }

    #[test]
    fn refuses_what_is_not_a_state() {
        let bad_reference = format!(
            "[packages.search]\nobject = \"version-sets/{HASH}\"\nreferences = [\"nope\"]\n"
        );
        let cases = [
            "[packages.search]\nobject = 1\n",
            "[packages.search]\nobject = \"version-sets/abc\"\n",
            "[packages.Search]\nobject = \"version-sets/abc\"\n",
            "[packages.search]\nobject = \"x\"\nextra = true\n",
            bad_reference.as_str(),
            "[other]\n",
        ];
        for text in cases {
            let problem = State::parse(text).unwrap_err();
            assert!(problem.span.is_some(), "{text}: {problem:?}");
        }
    }
}

//! Semver honesty: the bump a change between two versions of a package requires,
//! the bump its versions declare, and the lists it empties (the COALESCE trap).
//!
//! Removing anything (a field, a list element, a component) or changing a field's
//! type is major, adding anything is minor, anything else is patch; a component
//! whose own version takes a major bump makes the release major. Rollout tooling
//! trusts the declared bump, so a smaller one than required ships a breaking change
//! as a safe one.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::canonical;
use crate::document::push_segment;

/// A semver bump, smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// Fixes: nothing added or removed.
    Patch,
    /// Additions.
    Minor,
    /// Removals and type changes.
    Major,
}

impl fmt::Display for Bump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bump::Patch => "patch",
            Bump::Minor => "minor",
            Bump::Major => "major",
        })
    }
}

/// One difference and the bump it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Reason {
    /// The bump it needs.
    pub bump: Bump,
    /// Where, as a JSON pointer into the newer version (into the older one for a
    /// removal).
    pub pointer: String,
    /// What changed, in words.
    pub what: String,
}

/// How a kind's objects compare: fields that do not count, and lists whose elements
/// are matched by a key field rather than by value.
#[derive(Debug, Clone, Copy)]
pub struct Shape<'a> {
    /// Pointers to fields that may change freely (the version itself, timestamps).
    pub ignored: &'a [&'a str],
    /// Lists of objects matched by a key: (`/components`, `name`).
    pub keyed: &'a [(&'a str, &'a str)],
}

/// The bump the declared versions make: `None` when their major, minor and patch
/// are equal (a prerelease and its release), which says nothing about the change.
pub fn declared(previous: &semver::Version, next: &semver::Version) -> Option<Bump> {
    if next.major != previous.major {
        Some(Bump::Major)
    } else if next.minor != previous.minor {
        Some(Bump::Minor)
    } else if next.patch != previous.patch {
        Some(Bump::Patch)
    } else {
        None
    }
}

/// The bump a change requires: the largest of its reasons, patch if there are none.
pub fn required_of(reasons: &[Reason]) -> Bump {
    reasons
        .iter()
        .map(|reason| reason.bump)
        .max()
        .unwrap_or(Bump::Patch)
}

/// Every difference between two versions, each with the bump it needs.
pub fn reasons(previous: &Value, next: &Value, shape: Shape<'_>) -> Vec<Reason> {
    let mut reasons = Vec::new();
    compare(previous, next, "", shape, &mut reasons);
    reasons
}

/// The lists that held elements in `previous` and are empty or missing in `next`,
/// as pointers (lists inside lists are elements, not fields, and are not followed).
pub fn emptied_lists(previous: &Value, next: &Value) -> Vec<String> {
    let mut found = Vec::new();
    emptied(previous, Some(next), "", &mut found);
    found
}

fn emptied(previous: &Value, next: Option<&Value>, at: &str, found: &mut Vec<String>) {
    match previous {
        Value::Array(items) if !items.is_empty() => {
            let empty = match next {
                Some(Value::Array(items)) => items.is_empty(),
                None | Some(Value::Null) => true,
                Some(_) => false,
            };
            if empty {
                found.push(at.to_owned());
            }
        }
        Value::Object(fields) => {
            for (key, value) in fields {
                let mut pointer = at.to_owned();
                push_segment(&mut pointer, key);
                let below = next.and_then(|n| n.as_object()).and_then(|n| n.get(key));
                emptied(value, below, &pointer, found);
            }
        }
        _ => {}
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a table",
    }
}

fn shown(pointer: &str) -> String {
    if pointer.is_empty() {
        "the document".to_owned()
    } else {
        format!("`{pointer}`")
    }
}

fn compare(previous: &Value, next: &Value, at: &str, shape: Shape<'_>, out: &mut Vec<Reason>) {
    if shape.ignored.contains(&at) || previous == next {
        return;
    }
    let reason = |bump: Bump, pointer: &str, what: String| Reason {
        bump,
        pointer: pointer.to_owned(),
        what,
    };
    match (previous, next) {
        (Value::Object(before), Value::Object(after)) => {
            for (key, value) in before {
                let mut pointer = at.to_owned();
                push_segment(&mut pointer, key);
                if shape.ignored.contains(&pointer.as_str()) {
                    continue;
                }
                match after.get(key) {
                    Some(now) => compare(value, now, &pointer, shape, out),
                    None => out.push(reason(
                        Bump::Major,
                        &pointer,
                        format!("{} was removed", shown(&pointer)),
                    )),
                }
            }
            for key in after.keys().filter(|key| !before.contains_key(*key)) {
                let mut pointer = at.to_owned();
                push_segment(&mut pointer, key);
                if !shape.ignored.contains(&pointer.as_str()) {
                    out.push(reason(
                        Bump::Minor,
                        &pointer,
                        format!("{} was added", shown(&pointer)),
                    ));
                }
            }
        }
        (Value::Array(before), Value::Array(after)) => {
            match shape.keyed.iter().find(|(pointer, _)| *pointer == at) {
                Some((_, key)) => compare_keyed(before, after, at, key, shape, out),
                None => compare_elements(before, after, at, out),
            }
        }
        (before, after) if type_name(before) != type_name(after) => out.push(reason(
            Bump::Major,
            at,
            format!(
                "{} changed type from {} to {}",
                shown(at),
                type_name(before),
                type_name(after)
            ),
        )),
        (before, after) => out.push(reason(
            Bump::Patch,
            at,
            format!("{} changed from {before} to {after}", shown(at)),
        )),
    }
}

/// Lists matched by value: what left is removed, what came is added.
fn compare_elements(before: &[Value], after: &[Value], at: &str, out: &mut Vec<Reason>) {
    let count = |items: &[Value]| {
        let mut counts: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        for item in items {
            let n = counts
                .entry(canonical::to_canonical_json(item))
                .or_default();
            *n = n.saturating_add(1);
        }
        counts
    };
    let (old, new) = (count(before), count(after));
    let removed: usize = old
        .iter()
        .map(|(item, n)| n.saturating_sub(new.get(item).copied().unwrap_or(0)))
        .sum();
    let added: usize = new
        .iter()
        .map(|(item, n)| n.saturating_sub(old.get(item).copied().unwrap_or(0)))
        .sum();
    let elements = |n: usize| {
        if n == 1 {
            "1 element".to_owned()
        } else {
            format!("{n} elements")
        }
    };
    if removed > 0 {
        out.push(Reason {
            bump: Bump::Major,
            pointer: at.to_owned(),
            what: format!("{} lost {}", shown(at), elements(removed)),
        });
    }
    if added > 0 {
        out.push(Reason {
            bump: Bump::Minor,
            pointer: at.to_owned(),
            what: format!("{} gained {}", shown(at), elements(added)),
        });
    }
    if removed == 0 && added == 0 {
        out.push(Reason {
            bump: Bump::Patch,
            pointer: at.to_owned(),
            what: format!("{} was reordered", shown(at)),
        });
    }
}

/// Lists matched by a key field (components by name): a component's own major
/// version bump is a major change.
fn compare_keyed(
    before: &[Value],
    after: &[Value],
    at: &str,
    key: &str,
    shape: Shape<'_>,
    out: &mut Vec<Reason>,
) {
    let key_of = |item: &Value| item.get(key).and_then(Value::as_str).map(str::to_owned);
    let index = |items: &[Value]| -> BTreeMap<String, (usize, Value)> {
        items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| Some((key_of(item)?, (i, item.clone()))))
            .collect()
    };
    let (old, new) = (index(before), index(after));
    for (name, (i, item)) in &old {
        let Some((j, now)) = new.get(name) else {
            out.push(Reason {
                bump: Bump::Major,
                pointer: format!("{at}/{i}"),
                what: format!("`{name}` was removed from {}", shown(at)),
            });
            continue;
        };
        let pointer = format!("{at}/{j}");
        let version = |v: &Value| {
            v.get("semver")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<semver::Version>().ok())
        };
        if let (Some(from), Some(to)) = (version(item), version(now))
            && to.major > from.major
        {
            out.push(Reason {
                bump: Bump::Major,
                pointer: format!("{pointer}/semver"),
                what: format!("`{name}` took a major bump, {from} -> {to}"),
            });
            continue;
        }
        compare(item, now, &pointer, shape, out);
    }
    for (name, (j, _)) in &new {
        if !old.contains_key(name) {
            out.push(Reason {
                bump: Bump::Minor,
                pointer: format!("{at}/{j}"),
                what: format!("`{name}` was added to {}", shown(at)),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHAPE: Shape<'static> = Shape {
        ignored: &["/version", "/created_at"],
        keyed: &[("/components", "name")],
    };

    fn release(version: &str) -> Value {
        json!({
            "version": version,
            "created_at": "2025-05-01T12:00:00Z",
            "components": [
                {"name": "api", "digest": "sha256:a", "semver": "1.4.2"},
                {"name": "worker", "digest": "sha256:b", "semver": "3.0.0"}
            ],
            "integrations": [{"provider": "telegram"}],
            "metadata": {"team": "shop"}
        })
    }

    #[test]
    fn required_bumps() {
        let cases: &[(&str, Value, Bump)] = &[
            ("nothing", json!(null), Bump::Patch),
            ("/components/0/digest", json!("sha256:c"), Bump::Patch),
            ("/components/0/semver", json!("2.0.0"), Bump::Major),
            ("/components/0/semver", json!("1.5.0"), Bump::Patch),
            ("/integrations", json!([]), Bump::Major),
            (
                "/integrations",
                json!([{"provider": "telegram"}, {"provider": "slack"}]),
                Bump::Minor,
            ),
            ("/metadata/team", json!(7), Bump::Major),
            ("/metadata/owner", json!("me"), Bump::Minor),
            ("/created_at", json!("2026-01-01T00:00:00Z"), Bump::Patch),
        ];
        for (pointer, value, bump) in cases {
            let mut next = release("1.0.1");
            if !value.is_null() {
                if let Some(slot) = next.pointer_mut(pointer) {
                    *slot = value.clone();
                } else {
                    next["metadata"]["owner"] = value.clone();
                }
            }
            let found = reasons(&release("1.0.0"), &next, SHAPE);
            assert_eq!(required_of(&found), *bump, "{pointer}: {found:?}");
        }
        let mut fewer = release("2.0.0");
        fewer["components"].as_array_mut().unwrap().remove(0);
        let found = reasons(&release("1.0.0"), &fewer, SHAPE);
        assert_eq!(found[0].what, "`api` was removed from `/components`");
        assert_eq!(found[0].bump, Bump::Major);
    }

    #[test]
    fn declared_bumps() {
        let v = |s: &str| semver::Version::parse(s).unwrap();
        assert_eq!(declared(&v("1.0.4"), &v("1.0.5")), Some(Bump::Patch));
        assert_eq!(declared(&v("1.0.4"), &v("1.1.0")), Some(Bump::Minor));
        assert_eq!(declared(&v("1.0.4"), &v("2.0.0")), Some(Bump::Major));
        assert_eq!(declared(&v("1.1.0-rc.1"), &v("1.1.0")), None);
    }

    #[test]
    fn emptied() {
        let mut next = release("1.0.1");
        next.as_object_mut().unwrap().remove("integrations");
        assert_eq!(emptied_lists(&release("1.0.0"), &next), ["/integrations"]);
        next["integrations"] = json!([]);
        assert_eq!(emptied_lists(&release("1.0.0"), &next), ["/integrations"]);
        assert!(emptied_lists(&release("1.0.0"), &release("1.0.1")).is_empty());
    }
}

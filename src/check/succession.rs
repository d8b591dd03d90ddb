//! Rules across the versions of a package, for every kind with a version pointer
//! (releases, and user-defined stores that declare `version`):
//! `version-not-increasing`, `semver-understated` and `emptied-list`.
//!
//! A package's versions succeed each other in semver order: the previous version
//! of a release is the highest release below it (a prerelease may follow a
//! prerelease; a release follows releases only). "Made before" is the base for
//! objects a change adds, and `created_at` among objects of the same age.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use crate::bump::{self, Bump, Reason, Shape};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document::Format;
use crate::kinds::Kinds;

/// An object read for the rules across objects: one of a kind with a version
/// pointer, or a config version.
#[derive(Debug, Clone)]
pub struct Versioned {
    /// Its file.
    pub file: String,
    /// Its store.
    pub store: String,
    /// Its partition (package).
    pub partition: String,
    /// The file's format.
    pub format: Format,
    /// The file's text, for locating findings.
    pub text: Arc<str>,
    /// Its data.
    pub data: Value,
    /// Whether a change adds it: only findings about what a change adds or
    /// follows are reported; everything is in scope in a full check.
    pub in_scope: bool,
}

impl Versioned {
    fn version(&self, pointer: &str) -> Option<semver::Version> {
        self.data.pointer(pointer)?.as_str()?.parse().ok()
    }

    fn created_at(&self) -> Option<jiff::Timestamp> {
        crate::time::parse(self.data.pointer("/created_at")?.as_str()?).ok()
    }

    /// A finding about this object, at `pointer` when the object has that field.
    pub(super) fn finding(&self, code: Code, message: String, pointer: &str) -> Finding {
        let finding = Finding::new(code, &self.file, message);
        // A field the newer version lacks has no place to point at.
        if self.data.pointer(pointer).is_some() {
            finding.at_pointer(&self.text, self.format, pointer)
        } else {
            finding
        }
    }
}

/// One object with what the rules read of it.
struct Item<'a> {
    object: &'a Versioned,
    version: semver::Version,
    created_at: Option<jiff::Timestamp>,
}

/// One package's versions in semver order, with how its kind compares them.
struct Package<'a> {
    pointer: &'a str,
    ignored: Vec<&'a str>,
    keyed: &'a [(&'a str, &'a str)],
    items: Vec<Item<'a>>,
}

impl Package<'_> {
    fn shape(&self) -> Shape<'_> {
        Shape {
            ignored: &self.ignored,
            keyed: self.keyed,
        }
    }
}

/// The packages among `objects` that hold something in scope, each sorted by
/// version; objects without a version are left out (the schema reports them).
fn packages<'a>(kinds: &'a Kinds, objects: &'a [Versioned]) -> Vec<Package<'a>> {
    let mut members: BTreeMap<(&str, &str), Vec<&Versioned>> = BTreeMap::new();
    for object in objects {
        members
            .entry((&object.store, &object.partition))
            .or_default()
            .push(object);
    }
    let mut packages = Vec::new();
    for ((store, _), members) in members {
        let Some(kind) = kinds.held(store) else {
            continue;
        };
        let Some(pointer) = kind.version_pointer() else {
            continue;
        };
        if !members.iter().any(|m| m.in_scope) {
            continue;
        }
        let mut ignored: Vec<&str> = kind.descriptive_fields().to_vec();
        ignored.push(pointer);
        let mut items: Vec<Item<'_>> = members
            .into_iter()
            .filter_map(|object| {
                Some(Item {
                    version: object.version(pointer)?,
                    created_at: object.created_at(),
                    object,
                })
            })
            .collect();
        items.sort_by(|a, b| {
            a.version
                .cmp(&b.version)
                .then_with(|| a.object.file.cmp(&b.object.file))
        });
        packages.push(Package {
            pointer,
            ignored,
            keyed: kind.keyed_lists(),
            items,
        });
    }
    packages
}

/// Checks the succession of every package among `objects`, whose kinds have a
/// version pointer.
pub fn check(kinds: &Kinds, objects: &[Versioned]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in packages(kinds, objects) {
        not_increasing(&package.items, package.pointer, &mut findings);
        honest(&package, &mut findings);
    }
    findings
}

/// What one version in scope changes from the version it succeeds.
#[derive(Debug)]
pub struct Step<'a> {
    /// The version.
    pub object: &'a Versioned,
    /// Its version number.
    pub version: semver::Version,
    /// The version it succeeds, if any, and that version's number.
    pub previous: Option<(&'a Versioned, semver::Version)>,
    /// The bump the two version numbers declare (none for a first version, or
    /// between a prerelease and its release).
    pub declared: Option<Bump>,
    /// The bump the change requires.
    pub required: Bump,
    /// Every difference, each with the bump it needs.
    pub reasons: Vec<Reason>,
}

/// For every object in scope whose kind has a version pointer, what it changes
/// from the version it succeeds: the same succession the rules judge.
pub fn steps<'a>(kinds: &'a Kinds, objects: &'a [Versioned]) -> Vec<Step<'a>> {
    let mut steps = Vec::new();
    for package in packages(kinds, objects) {
        for (index, item) in package.items.iter().enumerate() {
            if !item.object.in_scope {
                continue;
            }
            let previous = previous(&package.items, index);
            let reasons = previous.map_or_else(Vec::new, |prev| {
                bump::reasons(&prev.object.data, &item.object.data, package.shape())
            });
            steps.push(Step {
                object: item.object,
                version: item.version.clone(),
                previous: previous.map(|prev| (prev.object, prev.version.clone())),
                declared: previous.and_then(|prev| bump::declared(&prev.version, &item.version)),
                required: bump::required_of(&reasons),
                reasons,
            });
        }
    }
    steps
}

/// Whether `a` was made before `b`: on the base before what a change adds, else
/// by `created_at`.
fn made_before(a: &Item<'_>, b: &Item<'_>) -> bool {
    match (a.object.in_scope, b.object.in_scope) {
        (false, true) => true,
        (true, false) => false,
        _ => matches!((a.created_at, b.created_at), (Some(x), Some(y)) if x < y),
    }
}

/// `version-not-increasing`: an object whose version is not above every version of
/// its package made before it, or that shares its version with another object.
fn not_increasing(items: &[Item<'_>], pointer: &str, findings: &mut Vec<Finding>) {
    for (index, item) in items.iter().enumerate() {
        let earlier = items
            .iter()
            .filter(|other| made_before(other, item) && other.version >= item.version)
            .max_by(|a, b| a.version.cmp(&b.version));
        let twin = items
            .iter()
            .take(index)
            .find(|other| other.version == item.version && !made_before(item, other));
        let (other, how) = match (earlier, twin) {
            (Some(other), _) => (other, "was made before it"),
            (None, Some(other)) => (other, "claims the same version"),
            (None, None) => continue,
        };
        if !item.object.in_scope && !other.object.in_scope {
            continue;
        }
        findings.push(item.object.finding(
            Code::VersionNotIncreasing,
            format!(
                "version {} of `{}` is not above {} ({}), which {how}",
                item.version, item.object.partition, other.version, other.object.file
            ),
            pointer,
        ));
    }
}

/// The version a version succeeds: the highest below it, among releases only
/// when it is a release.
fn previous<'i, 'a>(items: &'i [Item<'a>], index: usize) -> Option<&'i Item<'a>> {
    let item = items.get(index)?;
    let is_release = item.version.pre.is_empty();
    items
        .iter()
        .take(index)
        .rev()
        .find(|other| other.version < item.version && (!is_release || other.version.pre.is_empty()))
}

/// `semver-understated` and `emptied-list` between each version and the one it
/// succeeds.
fn honest(package: &Package<'_>, findings: &mut Vec<Finding>) {
    let (items, pointer) = (&package.items, package.pointer);
    for (index, next) in items.iter().enumerate() {
        let Some(prev) = previous(items, index) else {
            continue;
        };
        if !next.object.in_scope && !prev.object.in_scope {
            continue;
        }
        let (from, to) = (&prev.version, &next.version);
        for field in bump::emptied_lists(&prev.object.data, &next.object.data) {
            let held = prev
                .object
                .data
                .pointer(&field)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let now = if next.object.data.pointer(&field).is_some() {
                "empty"
            } else {
                "missing"
            };
            findings.push(next.object.finding(
                Code::EmptiedList,
                format!(
                    "`{field}` held {} in {from} ({}) and is {now} in {to}",
                    crate::diagnostic::finding::plural(held, "element"),
                    prev.object.file
                ),
                &field,
            ));
        }
        let Some(declared) = bump::declared(from, to) else {
            continue;
        };
        let reasons = bump::reasons(&prev.object.data, &next.object.data, package.shape());
        let required = bump::required_of(&reasons);
        if declared >= required {
            continue;
        }
        let why: Vec<&str> = reasons
            .iter()
            .filter(|reason| reason.bump == required)
            .map(|reason| reason.what.as_str())
            .collect();
        findings.push(
            next.object
                .finding(
                    Code::SemverUnderstated,
                    format!(
                        "{to} declares a {declared} bump over {from} ({}), but the change needs {required}: {}",
                        prev.object.file,
                        why.join("; ")
                    ),
                    pointer,
                )
                .with_help(match at_least(from, required) {
                    Some(version) => format!(
                        "make it {version} or above, so that rollout tooling sees the change for what it is"
                    ),
                    None => format!(
                        "no version can make a {required} bump over {from}: the number it raises is already {}, the largest semver has",
                        u64::MAX
                    ),
                }),
        );
    }
}

/// The lowest version above `from` that makes a bump; none when the number to
/// raise is already the largest semver allows.
fn at_least(from: &semver::Version, bump: Bump) -> Option<semver::Version> {
    Some(match bump {
        Bump::Major => semver::Version::new(from.major.checked_add(1)?, 0, 0),
        Bump::Minor => semver::Version::new(from.major, from.minor.checked_add(1)?, 0),
        Bump::Patch => semver::Version::new(from.major, from.minor, from.patch.checked_add(1)?),
    })
}

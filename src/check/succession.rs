//! Rules across the versions of a package, for every kind with a version pointer
//! (releases, and user-defined stores that declare `version`):
//! `version-not-increasing`, `semver-understated` and `emptied-list`.
//!
//! A package's versions succeed each other in semver order: the previous version
//! of a release is the highest release below it (a prerelease may follow a
//! prerelease; a release follows releases only). "Made before" is the base for
//! objects a change adds, and `created_at` among objects of the same age.
//!
//! The ordering rules are pure functions of each version's `Standing`
//! (`predecessor`, `made_before`, `out_of_order`); the rest of this module reads
//! the standings off the objects and words the findings.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::bump::{self, Bump, Reason, Shape};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document::Format;
use crate::kinds::Kinds;
use crate::store::{NotOfType, Object};

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
    /// The object read as its kind's type.
    pub fn typed<T: DeserializeOwned>(&self) -> Result<Object<T>, NotOfType> {
        Object::from_data(&self.file, &self.data)
    }

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

/// Where one version stands among its package's: all the ordering rules read of
/// an object.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Standing {
    /// Its version.
    version: semver::Version,
    /// When it says it was made, if it says so in a form that reads.
    created_at: Option<jiff::Timestamp>,
    /// Whether a change adds it (everything is, in a full check): what is on the
    /// base was made before it.
    in_scope: bool,
}

/// One package's versions in semver order, with how its kind compares them.
struct Package<'a> {
    pointer: &'a str,
    ignored: Vec<&'a str>,
    keyed: &'a [(&'a str, &'a str)],
    /// The objects, in version order (then by file).
    objects: Vec<&'a Versioned>,
    /// Where each object stands, in the same order.
    standings: Vec<Standing>,
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
        let mut items: Vec<(&Versioned, Standing)> = members
            .into_iter()
            .filter_map(|object| {
                let standing = Standing {
                    version: object.version(pointer)?,
                    created_at: object.created_at(),
                    in_scope: object.in_scope,
                };
                Some((object, standing))
            })
            .collect();
        items.sort_by(|(a, a_standing), (b, b_standing)| {
            a_standing
                .version
                .cmp(&b_standing.version)
                .then_with(|| a.file.cmp(&b.file))
        });
        let (objects, standings) = items.into_iter().unzip();
        packages.push(Package {
            pointer,
            ignored,
            keyed: kind.keyed_lists(),
            objects,
            standings,
        });
    }
    packages
}

/// Checks the succession of every package among `objects`, whose kinds have a
/// version pointer.
pub fn check(kinds: &Kinds, objects: &[Versioned]) -> Vec<Finding> {
    let mut findings = Vec::new();
    for package in packages(kinds, objects) {
        not_increasing(&package, &mut findings);
        honest(&package, &mut findings);
    }
    findings
}

impl<'a> Package<'a> {
    /// The object at `index` and where it stands.
    fn item(&self, index: usize) -> Option<(&'a Versioned, &Standing)> {
        Some((*self.objects.get(index)?, self.standings.get(index)?))
    }

    /// The version the one at `index` succeeds, and where it stands.
    fn previous(&self, index: usize) -> Option<(&'a Versioned, &Standing)> {
        self.item(predecessor(&self.standings, index)?)
    }
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
        for index in 0..package.objects.len() {
            let Some((object, standing)) = package.item(index) else {
                continue;
            };
            if !standing.in_scope {
                continue;
            }
            let previous = package.previous(index);
            let reasons = previous.map_or_else(Vec::new, |(prev, _)| {
                bump::reasons(&prev.data, &object.data, package.shape())
            });
            steps.push(Step {
                object,
                version: standing.version.clone(),
                previous: previous.map(|(prev, at)| (prev, at.version.clone())),
                declared: previous
                    .and_then(|(_, at)| bump::declared(&at.version, &standing.version)),
                required: bump::required_of(&reasons),
                reasons,
            });
        }
    }
    steps
}

/// Whether `a` was made before `b`: on the base before what a change adds, else
/// by `created_at`.
fn made_before(a: &Standing, b: &Standing) -> bool {
    match (a.in_scope, b.in_scope) {
        (false, true) => true,
        (true, false) => false,
        _ => matches!((a.created_at, b.created_at), (Some(x), Some(y)) if x < y),
    }
}

/// How a version is out of order with another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disorder {
    /// The other was made before it, with a version at least as high.
    MadeBefore,
    /// The other claims the same version, and was not made after it.
    SameVersion,
}

/// The versions of a package (in version order) that are not above every version
/// made before them, or that share their version with another, each with the
/// other it is judged against: `(index, other, how)`. Two versions neither of
/// which is in scope are the base's business, and not judged again.
fn out_of_order(standings: &[Standing]) -> Vec<(usize, usize, Disorder)> {
    let mut found = Vec::new();
    for (index, item) in standings.iter().enumerate() {
        let earlier = standings
            .iter()
            .enumerate()
            .filter(|(_, other)| made_before(other, item) && other.version >= item.version)
            .max_by(|(_, a), (_, b)| a.version.cmp(&b.version));
        let twin = standings
            .iter()
            .enumerate()
            .take(index)
            .find(|(_, other)| other.version == item.version && !made_before(item, other));
        let (other, how) = match (earlier, twin) {
            (Some((other, _)), _) => (other, Disorder::MadeBefore),
            (None, Some((other, _))) => (other, Disorder::SameVersion),
            (None, None) => continue,
        };
        let other_in_scope = standings.get(other).is_some_and(|other| other.in_scope);
        if item.in_scope || other_in_scope {
            found.push((index, other, how));
        }
    }
    found
}

/// `version-not-increasing`: an object whose version is not above every version of
/// its package made before it, or that shares its version with another object.
fn not_increasing(package: &Package<'_>, findings: &mut Vec<Finding>) {
    for (index, other, how) in out_of_order(&package.standings) {
        let (Some((item, at)), Some((other, other_at))) =
            (package.item(index), package.item(other))
        else {
            continue;
        };
        let how = match how {
            Disorder::MadeBefore => "was made before it",
            Disorder::SameVersion => "claims the same version",
        };
        findings.push(item.finding(
            Code::VersionNotIncreasing,
            format!(
                "version {} of `{}` is not above {} ({}), which {how}",
                at.version, item.partition, other_at.version, other.file
            ),
            package.pointer,
        ));
    }
}

/// The index of the version the one at `index` succeeds: the highest below it,
/// among releases only when it is a release.
fn predecessor(standings: &[Standing], index: usize) -> Option<usize> {
    let item = standings.get(index)?;
    let is_release = item.version.pre.is_empty();
    standings
        .iter()
        .enumerate()
        .take(index)
        .rev()
        .find(|(_, other)| {
            other.version < item.version && (!is_release || other.version.pre.is_empty())
        })
        .map(|(found, _)| found)
}

/// `semver-understated` and `emptied-list` between each version and the one it
/// succeeds.
fn honest(package: &Package<'_>, findings: &mut Vec<Finding>) {
    let pointer = package.pointer;
    for index in 0..package.objects.len() {
        let (Some((next, next_at)), Some((prev, prev_at))) =
            (package.item(index), package.previous(index))
        else {
            continue;
        };
        if !next_at.in_scope && !prev_at.in_scope {
            continue;
        }
        let (from, to) = (&prev_at.version, &next_at.version);
        for field in bump::emptied_lists(&prev.data, &next.data) {
            let held = prev
                .data
                .pointer(&field)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            let now = if next.data.pointer(&field).is_some() {
                "empty"
            } else {
                "missing"
            };
            findings.push(next.finding(
                Code::EmptiedList,
                format!(
                    "`{field}` held {} in {from} ({}) and is {now} in {to}",
                    crate::diagnostic::finding::plural(held, "element"),
                    prev.file
                ),
                &field,
            ));
        }
        let Some(declared) = bump::declared(from, to) else {
            continue;
        };
        let reasons = bump::reasons(&prev.data, &next.data, package.shape());
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
            next.finding(
                    Code::SemverUnderstated,
                    format!(
                        "{to} declares a {declared} bump over {from} ({}), but the change needs {required}: {}",
                        prev.file,
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A standing from `version`, the hour of the day it was made (if it says),
    /// and whether a change adds it.
    fn standing(version: &str, hour: Option<i8>, in_scope: bool) -> Standing {
        Standing {
            version: version.parse().unwrap(),
            created_at: hour.map(|hour| {
                jiff::civil::date(2025, 5, 1)
                    .at(hour, 0, 0, 0)
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .unwrap()
                    .timestamp()
            }),
            in_scope,
        }
    }

    /// Standings of versions in scope without `created_at`.
    fn versions(versions: &[&str]) -> Vec<Standing> {
        versions.iter().map(|v| standing(v, None, true)).collect()
    }

    #[test]
    fn a_version_succeeds_the_highest_below_it_and_a_release_only_a_release() {
        // What it shows, the versions in order, and what each succeeds.
        type Case<'a> = (&'a str, &'a [&'a str], &'a [Option<&'a str>]);
        let cases: [Case<'_>; 6] = [
            ("the first version succeeds none", &["1.0.0"], &[None]),
            (
                "releases in order",
                &["1.0.0", "1.1.0", "2.0.0"],
                &[None, Some("1.0.0"), Some("1.1.0")],
            ),
            (
                "a prerelease follows the release below it; the release skips the prerelease",
                &["1.0.0", "1.1.0-rc.1", "1.1.0"],
                &[None, Some("1.0.0"), Some("1.0.0")],
            ),
            (
                "a prerelease follows a prerelease",
                &["1.1.0-rc.1", "1.1.0-rc.2"],
                &[None, Some("1.1.0-rc.1")],
            ),
            (
                "a release after prereleases only succeeds none",
                &["1.1.0-rc.1", "1.1.0"],
                &[None, None],
            ),
            (
                "a twin succeeds what is below both",
                &["1.0.0", "2.0.0", "2.0.0"],
                &[None, Some("1.0.0"), Some("1.0.0")],
            ),
        ];
        for (name, list, expected) in cases {
            let standings = versions(list);
            let got: Vec<Option<String>> = (0..standings.len())
                .map(|index| {
                    predecessor(&standings, index)
                        .and_then(|found| list.get(found))
                        .map(|v| (*v).to_owned())
                })
                .collect();
            let expected: Vec<Option<String>> =
                expected.iter().map(|v| v.map(str::to_owned)).collect();
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn what_is_on_the_base_was_made_first_then_created_at_decides() {
        let cases = [
            (
                "base before the change",
                standing("1.0.0", Some(9), false),
                standing("1.0.0", Some(1), true),
                true,
            ),
            (
                "the change after the base",
                standing("1.0.0", Some(1), true),
                standing("1.0.0", Some(9), false),
                false,
            ),
            (
                "earlier created_at",
                standing("1.0.0", Some(1), true),
                standing("1.0.0", Some(2), true),
                true,
            ),
            (
                "later created_at",
                standing("1.0.0", Some(2), true),
                standing("1.0.0", Some(1), true),
                false,
            ),
            (
                "the same instant",
                standing("1.0.0", Some(1), true),
                standing("1.0.0", Some(1), true),
                false,
            ),
            (
                "no created_at",
                standing("1.0.0", None, true),
                standing("1.0.0", Some(1), true),
                false,
            ),
            (
                "both on the base, by created_at",
                standing("1.0.0", Some(1), false),
                standing("1.0.0", Some(2), false),
                true,
            ),
        ];
        for (name, a, b, expected) in cases {
            assert_eq!(made_before(&a, &b), expected, "{name}");
        }
    }

    #[test]
    fn a_version_must_be_above_every_version_made_before_it_and_unique() {
        use Disorder::{MadeBefore, SameVersion};
        type Case<'a> = (&'a str, Vec<Standing>, &'a [(usize, usize, Disorder)]);
        let cases: [Case<'_>; 8] = [
            (
                "versions rising with time",
                vec![
                    standing("1.0.0", Some(1), true),
                    standing("2.0.0", Some(2), true),
                ],
                &[],
            ),
            (
                "a lower version made later",
                vec![
                    standing("1.0.0", Some(2), true),
                    standing("2.0.0", Some(1), true),
                ],
                &[(0, 1, MadeBefore)],
            ),
            (
                "judged against the highest made before",
                vec![
                    standing("1.0.0", Some(3), true),
                    standing("2.0.0", Some(2), true),
                    standing("3.0.0", Some(1), true),
                ],
                &[(0, 2, MadeBefore), (1, 2, MadeBefore)],
            ),
            (
                "a change adding a version below the base's",
                vec![
                    standing("1.0.0", Some(1), true),
                    standing("2.0.0", Some(9), false),
                ],
                &[(0, 1, MadeBefore)],
            ),
            (
                "no created_at: only versions in scope against the base",
                vec![standing("1.0.0", None, true), standing("2.0.0", None, true)],
                &[],
            ),
            (
                "the same version twice, made at one instant: the second is named",
                vec![
                    standing("1.0.0", Some(1), true),
                    standing("1.0.0", Some(1), true),
                ],
                &[(1, 0, SameVersion)],
            ),
            (
                "the same version twice: the one made later is named",
                vec![
                    standing("1.0.0", Some(2), true),
                    standing("1.0.0", Some(1), true),
                ],
                &[(0, 1, MadeBefore)],
            ),
            (
                "disorder on the base alone is not judged again",
                vec![
                    standing("1.0.0", Some(2), false),
                    standing("2.0.0", Some(1), false),
                ],
                &[],
            ),
        ];
        for (name, standings, expected) in cases {
            assert_eq!(out_of_order(&standings), expected, "{name}");
        }
    }

    #[test]
    fn the_lowest_version_that_makes_a_bump() {
        let cases = [
            ("1.2.3", Bump::Patch, Some("1.2.4")),
            ("1.2.3", Bump::Minor, Some("1.3.0")),
            ("1.2.3", Bump::Major, Some("2.0.0")),
            ("1.2.3-rc.1", Bump::Patch, Some("1.2.4")),
            ("18446744073709551615.0.0", Bump::Major, None),
            ("1.18446744073709551615.0", Bump::Minor, None),
            ("1.2.18446744073709551615", Bump::Patch, None),
        ];
        for (from, bump, expected) in cases {
            let got = at_least(&from.parse().unwrap(), bump).map(|v| v.to_string());
            assert_eq!(got.as_deref(), expected, "{from} {bump}");
        }
    }
}

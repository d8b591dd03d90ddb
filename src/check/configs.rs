//! Rules across config versions: an id's versions are contiguous from 1
//! (`config-version-gap`) and unique (`config-version-duplicate`), take effect one
//! after the other (`config-time-order`) and keep their fixed fields
//! (`config-fixed-field-changed`); at any instant at most one config is current for
//! a type and entity (`config-overlap`); and a release pins only versions that
//! exist (`unknown-config`).
//!
//! A version is current from its `effective_at` until the next version's: that is
//! how `superseded_at` is derived, here and in `berth config`.

use std::collections::{BTreeMap, HashSet};

use jiff::Timestamp;
use serde_json::Value;

use super::succession::Versioned;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::kinds::config_version;
use crate::store::{CONFIGS, RELEASES};

/// What the rules read of one config version.
struct Version<'a> {
    object: &'a Versioned,
    id: &'a str,
    version: u64,
    effective: Option<Timestamp>,
    key: Option<&'a str>,
}

impl<'a> Version<'a> {
    fn read(object: &'a Versioned) -> Option<Version<'a>> {
        let data = &object.data;
        Some(Version {
            object,
            id: data.get("id")?.as_str()?,
            version: data.get("version")?.as_u64()?,
            effective: data.get("effective_at")?.as_str()?.parse().ok(),
            key: data.get("idempotency_key").and_then(Value::as_str),
        })
    }

    fn text(&self, pointer: &str) -> Option<&'a str> {
        self.object.data.pointer(pointer)?.as_str()
    }

    fn finding(&self, code: Code, message: String, pointer: &str) -> Finding {
        self.object.finding(code, message, pointer)
    }
}

/// Checks every config id among `objects` that has a version in scope, and the
/// overlaps between ids.
pub fn check(objects: &[Versioned]) -> Vec<Finding> {
    let mut ids: BTreeMap<&str, Vec<Version<'_>>> = BTreeMap::new();
    for object in objects.iter().filter(|o| o.store == CONFIGS) {
        if let Some(version) = Version::read(object) {
            ids.entry(version.id).or_default().push(version);
        }
    }
    let mut findings = Vec::new();
    let mut spans = Vec::new();
    for versions in ids.values_mut() {
        versions.sort_by(|a, b| (a.version, &a.object.file).cmp(&(b.version, &b.object.file)));
        duplicates(versions, &mut findings);
        let unique = first_of_each(versions);
        gaps(&unique, &mut findings);
        succession(&unique, &mut findings);
        spans.extend(current_spans(&unique));
    }
    overlaps(&spans, &mut findings);
    findings
}

/// Whether a finding about these versions belongs to the check: one of them is
/// what the change adds.
fn in_scope(versions: &[&Version<'_>]) -> bool {
    versions.iter().any(|v| v.object.in_scope)
}

/// `config-version-duplicate`: a version number, or an idempotency key, twice.
fn duplicates(versions: &[Version<'_>], findings: &mut Vec<Finding>) {
    for (index, version) in versions.iter().enumerate() {
        let before = || versions.iter().take(index);
        if let Some(first) = before().find(|v| v.version == version.version) {
            if in_scope(&[first, version]) {
                findings.push(version.finding(
                    Code::ConfigVersionDuplicate,
                    format!(
                        "version {} of `{}` is written twice: here and in {}",
                        version.version, version.id, first.object.file
                    ),
                    "/version",
                ));
            }
            continue;
        }
        let Some(key) = version.key else {
            continue;
        };
        if let Some(first) = before().find(|v| v.key == Some(key))
            && in_scope(&[first, version])
        {
            findings.push(version.finding(
                Code::ConfigVersionDuplicate,
                format!(
                    "versions {} and {} of `{}` carry the same idempotency key `{key}`: one write recorded twice",
                    first.version, version.version, version.id
                ),
                "/idempotency_key",
            ));
        }
    }
}

/// The first file of each version number, in version order.
fn first_of_each<'v, 'a>(versions: &'v [Version<'a>]) -> Vec<&'v Version<'a>> {
    let mut unique: Vec<&Version<'a>> = Vec::with_capacity(versions.len());
    for version in versions {
        if unique
            .last()
            .is_none_or(|last| last.version != version.version)
        {
            unique.push(version);
        }
    }
    unique
}

/// `config-version-gap`: a version whose predecessor is missing. A version 0 is
/// no gap: the schema refuses it.
fn gaps(unique: &[&Version<'_>], findings: &mut Vec<Finding>) {
    let mut expected: u64 = 1;
    for version in unique {
        let Some(last_missing) = version.version.checked_sub(1) else {
            continue;
        };
        if version.version > expected && version.object.in_scope {
            let missing = if last_missing == expected {
                format!("version {expected} is missing")
            } else {
                format!("versions {expected} to {last_missing} are missing")
            };
            findings.push(version.finding(
                Code::ConfigVersionGap,
                format!(
                    "version {} of `{}` follows {}: {missing}",
                    version.version,
                    version.id,
                    if expected == 1 {
                        "nothing".to_owned()
                    } else {
                        format!("version {}", expected.saturating_sub(1))
                    }
                ),
                "/version",
            ));
        }
        expected = version.version.saturating_add(1);
    }
}

/// `config-time-order` and `config-fixed-field-changed`, between each version and
/// the one before it.
fn succession(unique: &[&Version<'_>], findings: &mut Vec<Finding>) {
    for pair in unique.windows(2) {
        let &[prev, next] = pair else {
            continue;
        };
        if !in_scope(&[prev, next]) {
            continue;
        }
        if let (Some(before), Some(after)) = (prev.effective, next.effective)
            && after <= before
        {
            findings.push(next.finding(
                Code::ConfigTimeOrder,
                format!(
                    "version {} of `{}` takes effect at {after}, not after version {} ({before}, {})",
                    next.version, next.id, prev.version, prev.object.file
                ),
                "/effective_at",
            ));
        }
        for pointer in config_version::FIXED_FIELDS {
            let (was, now) = (prev.text(pointer), next.text(pointer));
            if was != now {
                let field = pointer.trim_start_matches('/');
                findings.push(next.finding(
                    Code::ConfigFixedFieldChanged,
                    format!(
                        "version {} of `{}` changes {field} from `{}` to `{}` (version {}, {})",
                        next.version,
                        next.id,
                        was.unwrap_or("nothing"),
                        now.unwrap_or("nothing"),
                        prev.version,
                        prev.object.file
                    ),
                    pointer,
                ));
            }
        }
    }
}

/// When one version is current: from its `effective_at` until the next version's.
struct Span<'v, 'a> {
    version: &'v Version<'a>,
    config_type: &'a str,
    applies_to: &'a str,
    from: Timestamp,
    until: Option<Timestamp>,
}

fn current_spans<'v, 'a>(unique: &[&'v Version<'a>]) -> Vec<Span<'v, 'a>> {
    let mut spans = Vec::new();
    for (index, version) in unique.iter().enumerate() {
        let (Some(from), Some(config_type), Some(applies_to)) = (
            version.effective,
            version.text("/type"),
            version.text("/applies_to"),
        ) else {
            continue;
        };
        let until = unique
            .get(index.saturating_add(1))
            .and_then(|next| next.effective);
        // Versions out of time order are current never; that is reported above.
        if until.is_some_and(|until| until <= from) {
            continue;
        }
        spans.push(Span {
            version,
            config_type,
            applies_to,
            from,
            until,
        });
    }
    spans
}

/// `config-overlap`: two ids current for one type and entity at one instant,
/// reported once per pair of ids, at the first such instant, on the version that
/// made them overlap.
fn overlaps(spans: &[Span<'_, '_>], findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(&str, &str), Vec<&Span<'_, '_>>> = BTreeMap::new();
    for span in spans {
        groups
            .entry((span.config_type, span.applies_to))
            .or_default()
            .push(span);
    }
    for ((config_type, applies_to), group) in groups {
        let mut first: BTreeMap<(&str, &str), (Timestamp, &Span<'_, '_>, &Span<'_, '_>)> =
            BTreeMap::new();
        let mut rest = group.as_slice();
        while let Some((a, later)) = rest.split_first() {
            rest = later;
            for b in later {
                if a.version.id == b.version.id || !meet(a, b) {
                    continue;
                }
                // The finding goes on the version that made the two overlap: the
                // later to take effect; at a tie, what the change adds.
                let order = |s: &Span<'_, '_>| {
                    (
                        s.from,
                        s.version.object.in_scope,
                        s.version.object.file.clone(),
                    )
                };
                let (early, late) = if order(b) > order(a) {
                    (*a, *b)
                } else {
                    (*b, *a)
                };
                let key = (
                    early.version.id.min(late.version.id),
                    early.version.id.max(late.version.id),
                );
                let known = first.get(&key).is_some_and(|(at, _, _)| *at <= late.from);
                if !known {
                    first.insert(key, (late.from, early, late));
                }
            }
        }
        for (at, early, late) in first.into_values() {
            if !in_scope(&[early.version, late.version]) {
                continue;
            }
            findings.push(late.version.finding(
                Code::ConfigOverlap,
                format!(
                    "`{}` version {} and `{}` version {} ({}) are both in force for `{config_type}` on `{applies_to}` from {at}",
                    late.version.id,
                    late.version.version,
                    early.version.id,
                    early.version.version,
                    early.version.object.file
                ),
                "/applies_to",
            ));
        }
    }
}

/// Whether two spans share an instant.
fn meet(a: &Span<'_, '_>, b: &Span<'_, '_>) -> bool {
    let before = |from: Timestamp, until: Option<Timestamp>| until.is_none_or(|until| from < until);
    before(a.from, b.until) && before(b.from, a.until)
}

/// Whether a config in scope can be in force alongside a config of another id
/// that `objects` may not hold: when it is the first version of its id, or does
/// not keep the type and entity of the version before it. A later version that
/// keeps them only splits its id's time in force, and meets no config the id did
/// not meet before. `objects` holds every version of the ids in scope.
pub fn may_overlap(objects: &[Versioned]) -> bool {
    let versions: Vec<Version<'_>> = objects
        .iter()
        .filter(|o| o.store == CONFIGS)
        .filter_map(Version::read)
        .collect();
    versions
        .iter()
        .filter(|v| v.object.in_scope)
        .any(|version| {
            let before = versions
                .iter()
                .filter(|v| v.id == version.id && v.version < version.version)
                .max_by_key(|v| v.version);
            before.is_none_or(|before| {
                before.text("/type") != version.text("/type")
                    || before.text("/applies_to") != version.text("/applies_to")
                    || before.object.in_scope
            })
        })
}

/// `unknown-config`: a release in scope that pins a config version `objects` do
/// not hold. `objects` holds every version of each id the releases pin.
pub fn check_pins(objects: &[Versioned]) -> Vec<Finding> {
    let held: HashSet<(&str, u64)> = objects
        .iter()
        .filter(|o| o.store == CONFIGS)
        .filter_map(Version::read)
        .map(|v| (v.id, v.version))
        .collect();
    let mut findings = Vec::new();
    for object in objects.iter().filter(|o| o.in_scope && o.store == RELEASES) {
        for (index, id, version) in pins(&object.data) {
            if held.contains(&(id, version)) {
                continue;
            }
            let highest = held
                .iter()
                .filter(|(held, _)| *held == id)
                .map(|(_, version)| *version)
                .max();
            let what = match highest {
                None => format!("there is no config `{id}`"),
                Some(highest) => format!("the highest version of `{id}` is {highest}"),
            };
            findings.push(
                object
                    .finding(
                        Code::UnknownConfig,
                        format!("pins version {version} of config `{id}`, but {what}"),
                        &format!("/configs/{index}"),
                    )
                    .with_label("no such config version"),
            );
        }
    }
    findings
}

/// The config versions a release pins, as (index in `configs`, id, version).
pub fn pins(release: &Value) -> Vec<(usize, &str, u64)> {
    release
        .get("configs")
        .and_then(Value::as_array)
        .map(|pins| {
            pins.iter()
                .enumerate()
                .filter_map(|(index, pin)| {
                    Some((
                        index,
                        pin.get("id")?.as_str()?,
                        pin.get("version")?.as_u64()?,
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

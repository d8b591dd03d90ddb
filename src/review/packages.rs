//! The packages section: each new object, with the version it succeeds and the
//! bump that step needs.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use crate::bump::{self, Shape};
use crate::check;
use crate::check::succession::{self, Versioned};
use crate::kinds::Kinds;
use crate::kinds::event::Event;
use crate::kinds::release::Release;
use crate::release::Components;
use crate::settings::Settings;
use crate::source::Content;
use crate::store::{CONFIGS, EVENTS, OBJECTS_DIR, ObjectPath, RELEASES};

use super::environments::EnvPair;
use super::model::{EventSummary, NewObject, PackageReview, Previous};
use super::{ReviewError, Reviewer};

impl Reviewer<'_> {
    /// The new objects of every package but configs. Those of a kind with
    /// versions are read with the package's other versions, to follow the
    /// succession the validator judges; the others are read alone, and compared
    /// with what an environment holds for the package.
    pub(super) fn packages(
        &self,
        settings: &Settings,
        kinds: &Kinds,
        pairs: &[EnvPair],
        added: &[ObjectPath],
    ) -> Result<Vec<PackageReview>, ReviewError> {
        let mut by_package: BTreeMap<(&str, &str), Vec<&ObjectPath>> = BTreeMap::new();
        for path in added {
            if path.store != CONFIGS {
                by_package
                    .entry((&path.store, &path.partition))
                    .or_default()
                    .push(path);
            }
        }
        let states = if by_package.is_empty() {
            Vec::new()
        } else {
            self.states_before(pairs)?
        };
        let mut packages = Vec::new();
        for ((store, package), paths) in by_package {
            let has_versions = kinds
                .held(store)
                .is_some_and(|kind| kind.version_pointer().is_some());
            let mut reviewed = if has_versions {
                let new: HashSet<String> = paths.iter().map(|path| path.path()).collect();
                let mut objects = Vec::new();
                let dir = format!("{OBJECTS_DIR}/{store}/{package}");
                check::read_dirs(
                    self.source,
                    settings,
                    &BTreeSet::from([dir]),
                    &mut HashSet::new(),
                    &mut objects,
                )?;
                for object in &mut objects {
                    object.in_scope = new.contains(&object.file);
                }
                succession::steps(kinds, &objects)
                    .into_iter()
                    .map(|step| versioned(store, step))
                    .collect()
            } else {
                let mut objects = Vec::new();
                for path in &paths {
                    let file = path.path();
                    if let Some(Content::Bytes(bytes)) =
                        self.source.read(&file, settings.max_object_bytes())?
                        && let Some(object) = check::read_versioned(&file, path, &bytes, true)
                    {
                        objects.push(object);
                    }
                }
                let held = if store == EVENTS {
                    None
                } else {
                    self.held_before(&states, store, package)?
                };
                unversioned(kinds, store, &objects, held)
            };
            // Files that do not parse are the validator's to report; they are still
            // new objects.
            let listed: HashSet<String> = reviewed.iter().map(|o| o.file.clone()).collect();
            for path in paths {
                if !listed.contains(&path.path()) {
                    reviewed.push(NewObject::bare(path));
                }
            }
            packages.push(PackageReview {
                store: store.to_owned(),
                package: package.to_owned(),
                objects: reviewed,
            });
        }
        Ok(packages)
    }
}

impl NewObject {
    /// A new object nothing more could be read of.
    fn bare(path: &ObjectPath) -> NewObject {
        NewObject {
            object: path.object_ref().to_string(),
            file: path.path(),
            version: None,
            previous: None,
            declared: None,
            required: None,
            understated: false,
            changes: Vec::new(),
            components: None,
            event: None,
        }
    }
}

/// A new object of a kind with versions, from its step in the package's
/// succession.
fn versioned(store: &str, step: succession::Step<'_>) -> NewObject {
    // Releases that do not read as releases have no components to compare: the
    // validator's findings in the review say what is wrong with them.
    let components = (store == RELEASES)
        .then(|| {
            let release = step.object.typed::<Release>().ok()?.data;
            let before = match &step.previous {
                Some((previous, _)) => previous.typed::<Release>().ok()?.data.components,
                None => Vec::new(),
            };
            Some(Components::compare(&before, &release.components))
        })
        .flatten();
    let required = step.previous.as_ref().map(|_| step.required);
    NewObject {
        object: object_ref(&step.object.file),
        file: step.object.file.clone(),
        version: Some(step.version.to_string()),
        previous: step.previous.as_ref().map(|(previous, version)| Previous {
            object: object_ref(&previous.file),
            file: previous.file.clone(),
            version: Some(version.to_string()),
            held_by: None,
        }),
        declared: step.declared,
        required,
        understated: matches!((step.declared, required), (Some(d), Some(r)) if d < r),
        changes: step.reasons,
        components,
        event: None,
    }
}

/// The new objects of a kind without versions, by `created_at`: the first
/// compared with `held` (what an environment held for the package before), each
/// later one with the new one before it; events with what they record.
fn unversioned(
    kinds: &Kinds,
    store: &str,
    objects: &[Versioned],
    held: Option<(Previous, Value)>,
) -> Vec<NewObject> {
    let created = |object: &Versioned| -> Option<jiff::Timestamp> {
        crate::time::parse(object.data.pointer("/created_at")?.as_str()?).ok()
    };
    let (ignored, keyed) = kinds.held(store).map_or((&[][..], &[][..]), |kind| {
        (kind.descriptive_fields(), kind.keyed_lists())
    });
    let mut sorted: Vec<&Versioned> = objects.iter().collect();
    sorted.sort_by(|a, b| {
        created(a)
            .cmp(&created(b))
            .then_with(|| a.file.cmp(&b.file))
    });
    let mut before = held;
    let mut reviewed = Vec::new();
    for object in sorted {
        let Ok(path) = ObjectPath::parse(&object.file) else {
            continue;
        };
        let mut new = NewObject::bare(&path);
        if store == EVENTS {
            // An event that does not read as one has no summary: the validator's
            // findings in the review say what is wrong with it.
            new.event = object
                .typed::<Event>()
                .ok()
                .map(|event| event.data)
                .map(|event| EventSummary {
                    subject: event.subject,
                    status: event.status.as_str().to_owned(),
                    reason: event.reason,
                });
        } else {
            if let Some((previous, data)) = &before {
                new.changes = bump::reasons(data, &object.data, Shape { ignored, keyed });
                new.previous = Some(previous.clone());
            }
            before = Some((
                Previous {
                    object: new.object.clone(),
                    file: new.file.clone(),
                    version: None,
                    held_by: None,
                },
                object.data.clone(),
            ));
        }
        reviewed.push(new);
    }
    reviewed
}

/// `<store>/<hash>` of an object file.
pub(super) fn object_ref(file: &str) -> String {
    ObjectPath::parse(file).map_or_else(|_| file.to_owned(), |p| p.object_ref().to_string())
}

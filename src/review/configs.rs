//! The configs section: each new config version, with what it changes and what
//! it supersedes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::check;
use crate::check::succession::Versioned;
use crate::kinds::config::{self as config_kind, Config};
use crate::settings::Settings;
use crate::store::{OBJECTS_DIR, ObjectPath};

use super::model::{ConfigReview, Superseded};
use super::packages::object_ref;
use super::{ReviewError, Reviewer};

impl Reviewer<'_> {
    /// The new config versions, each against the version it supersedes.
    pub(super) fn configs(
        &self,
        settings: &Settings,
        added: &[ObjectPath],
    ) -> Result<Vec<ConfigReview>, ReviewError> {
        let now = self.request.clock.now_to_the_second()?;
        let ids: BTreeSet<&str> = added
            .iter()
            .filter(|path| path.store == config_kind::STORE)
            .map(|path| path.partition.as_str())
            .collect();
        let new: HashSet<String> = added.iter().map(ObjectPath::path).collect();
        let mut reviews = Vec::new();
        for id in ids {
            let mut seen = HashSet::new();
            let mut objects = Vec::new();
            let dir = format!("{OBJECTS_DIR}/{}/{id}", config_kind::STORE);
            check::read_dirs(
                self.source,
                settings,
                &BTreeSet::from([dir]),
                &mut seen,
                &mut objects,
            )?;
            let mut versions: Vec<(&Versioned, Config)> = objects
                .iter()
                .filter_map(|object| {
                    let config = serde_json::from_value(object.data.clone()).ok()?;
                    Some((object, config))
                })
                .collect();
            versions.sort_by_key(|(_, config)| config.version);
            for (object, config) in &versions {
                if !new.contains(&object.file) {
                    continue;
                }
                let before = versions
                    .iter()
                    .rev()
                    .find(|(_, other)| other.version < config.version);
                let empty = BTreeMap::new();
                let settings_before = before.map_or(&empty, |(_, other)| &other.settings);
                let effective_in_past =
                    crate::time::parse(&config.effective_at).is_ok_and(|at| at < now);
                reviews.push(ConfigReview {
                    id: config.id.clone(),
                    version: config.version,
                    object: object_ref(&object.file),
                    file: object.file.clone(),
                    config_type: config.config_type.clone(),
                    scope: config.scope.to_string(),
                    applies_to: config.applies_to.clone(),
                    effective_at: config.effective_at.clone(),
                    effective_in_past,
                    supersedes: before.map(|(other_object, other)| Superseded {
                        version: other.version,
                        object: object_ref(&other_object.file),
                        effective_at: other.effective_at.clone(),
                    }),
                    settings: crate::config::settings_diff(settings_before, &config.settings),
                });
            }
        }
        Ok(reviews)
    }
}

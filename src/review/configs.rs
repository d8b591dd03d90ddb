//! The configs section: each new config version, with what it changes and what
//! it supersedes.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use crate::check;
use crate::kinds::config_version::Config;
use crate::settings::Settings;
use crate::store::{CONFIGS, OBJECTS_DIR, Object, ObjectPath};

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
            .filter(|path| path.store == CONFIGS)
            .map(|path| path.partition.as_str())
            .collect();
        let new: HashSet<String> = added.iter().map(ObjectPath::path).collect();
        let mut reviews = Vec::new();
        for id in ids {
            let mut seen = HashSet::new();
            let mut objects = Vec::new();
            let dir = format!("{OBJECTS_DIR}/{}/{id}", CONFIGS);
            check::read_dirs(
                self.source,
                settings,
                &BTreeSet::from([dir]),
                &mut seen,
                &mut objects,
            )?;
            // A version that does not read as a config is left out of this
            // section: the validator's findings in the review say what is wrong
            // with it.
            let mut versions: Vec<Object<Config>> = objects
                .iter()
                .filter_map(|object| object.typed().ok())
                .collect();
            versions.sort_by_key(|object| object.data.version);
            for Object { file, data: config } in &versions {
                if !new.contains(file) {
                    continue;
                }
                let before = versions
                    .iter()
                    .rev()
                    .find(|other| other.data.version < config.version);
                let empty = BTreeMap::new();
                let settings_before = before.map_or(&empty, |other| &other.data.settings);
                let effective_in_past =
                    crate::time::parse(&config.effective_at).is_ok_and(|at| at < now);
                reviews.push(ConfigReview {
                    id: config.id.clone(),
                    version: config.version,
                    object: object_ref(file),
                    file: file.clone(),
                    config_type: config.config_type.clone(),
                    scope: config.scope.to_string(),
                    applies_to: config.applies_to.clone(),
                    effective_at: config.effective_at.clone(),
                    effective_in_past,
                    supersedes: before.map(|other| Superseded {
                        version: other.data.version,
                        object: object_ref(&other.file),
                        effective_at: other.data.effective_at.clone(),
                    }),
                    settings: crate::config::settings_diff(settings_before, &config.settings),
                });
            }
        }
        Ok(reviews)
    }
}

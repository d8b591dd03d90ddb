//! Reading berth.toml: the JSON Schema generated from [`SettingsFile`] first, so that
//! every problem is a located finding, and only then the typed read.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use serde_json::Value;

use super::file::SettingsFile;
use crate::names;
use crate::schema;

pub(super) fn settings_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(schema::schema_of::<SettingsFile>)
}

pub(super) fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| schema::compile_builtin(settings_schema()))
}

/// Whether typed settings meet the constraints the schema puts on values beyond
/// their types (patterns, ranges, unique items): the same answer as the schema, as
/// the tests check, without compiling it.
pub(super) fn conforms(file: &SettingsFile) -> bool {
    let repo = &file.repo;
    let prefix_ok = repo
        .env_ref_prefix
        .strip_prefix("refs/")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|middle| !middle.is_empty() && !middle.contains('\n'));
    let domain_ok = repo.preview_domain.as_deref().is_none_or(|domain| {
        let labels: Vec<&str> = domain.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    });
    let from_unique = file.environments.values().all(|environment| {
        let unique: BTreeSet<&String> = environment.from.iter().collect();
        unique.len() == environment.from.len()
    });
    let stores_ok = file.stores.values().all(|store| {
        store.schema.as_deref().is_none_or(schema_path_conforms)
            && store.partition.as_deref().is_none_or(pointer_conforms)
            && store.version.as_deref().is_none_or(pointer_conforms)
    });
    let fail_closed_ok = file
        .configs
        .fail_closed
        .iter()
        .all(|name| names::is_config_type(name));
    prefix_ok
        && domain_ok
        && repo.max_object_bytes >= 1
        && from_unique
        && stores_ok
        && fail_closed_ok
}

/// `^[^/\\].*\.json$`: a first character that is not a slash, then no line break
/// before a final `.json`.
fn schema_path_conforms(path: &str) -> bool {
    let mut chars = path.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first != '/'
        && first != '\\'
        && chars
            .as_str()
            .strip_suffix(".json")
            .is_some_and(|middle| !middle.contains('\n'))
}

/// `^(/([^/~]|~[01])+)+$`: a JSON pointer with no empty segment.
fn pointer_conforms(pointer: &str) -> bool {
    let Some(rest) = pointer.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .split('~')
                .skip(1)
                .all(|after| after.starts_with('0') || after.starts_with('1'))
    })
}

/// Removes an object member named by a JSON pointer.
pub(super) fn remove_pointer(data: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = data.pointer_mut(parent) {
        map.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

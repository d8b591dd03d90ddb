//! Kinds of objects: what each store holds, its schema, its partition key, the
//! rules its fields obey beyond the schema, and the references it makes.
//!
//! Built-in kinds are Rust types whose JSON Schemas are generated; user-defined
//! kinds come from berth.toml with a schema file. Both plug into the validator
//! through the [`Kind`] trait.

/// The `validator` and `schema` of a built-in kind: the schema generated from its
/// Rust type, each made once per process.
macro_rules! builtin_schema {
    ($type:ty) => {
        fn validator(&self) -> &jsonschema::Validator {
            static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> =
                std::sync::OnceLock::new();
            VALIDATOR.get_or_init(|| crate::schema::compile_builtin(self.schema()))
        }

        fn schema(&self) -> &serde_json::Value {
            static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
            SCHEMA.get_or_init(crate::schema::schema_of::<$type>)
        }
    };
}
use builtin_schema;

pub mod component;
pub mod config_version;
pub mod custom;
pub mod event;
pub mod release;
pub mod version_set;

use std::collections::BTreeMap;
use std::sync::Arc;

use jsonschema::Validator;
use serde_json::Value;

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document::{self, Format};
use crate::schema;
use crate::settings::{LoadError, NamedFile, Settings};
use crate::source::{Source, SourceError};
use crate::store::{CONFIGS, EVENTS, RELEASES, VERSION_SETS};

/// A field that refers to another object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRef {
    /// Where the field is, as a JSON pointer.
    pub pointer: String,
    /// What it says: `<store>/<id>`.
    pub target: String,
}

/// A field that breaks a rule of its kind that the schema cannot express.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The finding code: `schema` unless the rule has its own. A rule with its own
    /// code speaks for its field instead of the schema.
    pub code: Code,
    /// Where the field is, as a JSON pointer.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// A short note shown at the field.
    pub label: String,
    /// How to fix it.
    pub help: String,
}

/// A kind of object.
pub trait Kind: Send + Sync {
    /// The store that holds objects of this kind.
    fn store(&self) -> &str;

    /// JSON pointer to the partition key in each object.
    fn partition(&self) -> &str;

    /// The compiled JSON Schema objects must match.
    fn validator(&self) -> &Validator;

    /// The schema itself, for the descriptions that explain a failure.
    fn schema(&self) -> &Value;

    /// Rules beyond the schema, checked once the schema holds.
    fn rules(&self, _data: &Value) -> Vec<FieldProblem> {
        Vec::new()
    }

    /// The fields that refer to other objects.
    fn references(&self, _data: &Value) -> Vec<FieldRef> {
        Vec::new()
    }

    /// Tags every object of this kind carries, given its partition.
    fn tags(&self, _partition: &str) -> Vec<String> {
        Vec::new()
    }

    /// Whether its objects can be promoted to environments.
    fn promotable(&self) -> bool {
        false
    }

    /// JSON pointer to the object's version, if the kind has one.
    fn version_pointer(&self) -> Option<&str> {
        None
    }

    /// Fields that describe an object rather than what it ships, which may change
    /// between versions without a bump.
    fn descriptive_fields(&self) -> &[&str] {
        &[]
    }

    /// Lists whose elements are matched across versions by a key field, as
    /// (pointer, key).
    fn keyed_lists(&self) -> &[(&str, &str)] {
        &[]
    }
}

/// The problem with a date-time field that matches the schema's pattern but names
/// no real instant (February 30th, hour 25, an offset of +25:00), if it has one.
pub fn instant_rule(data: &Value, pointer: &str) -> Option<FieldProblem> {
    let text = data.pointer(pointer)?.as_str()?;
    let error = crate::time::parse(text).err()?;
    Some(FieldProblem {
        code: Code::Schema,
        pointer: pointer.to_owned(),
        message: format!("`{text}` is not a real instant: {error}"),
        label: "not an RFC 3339 date-time".to_owned(),
        help: "write an RFC 3339 date-time with an offset, such as 2025-05-01T12:00:00Z".to_owned(),
    })
}

/// An object's version, if its kind has one: the value at the version pointer.
pub fn version_of(kind: &dyn Kind, data: &Value) -> Option<String> {
    let value = data.pointer(kind.version_pointer()?)?;
    Some(match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    })
}

/// What berth knows about a store.
#[derive(Clone)]
pub enum StoreDef {
    /// Its objects are held in the repository.
    Held(Arc<dyn Kind>),
    /// Its objects live elsewhere; references into it are checked for form only.
    External,
}

/// Every store of a repository: built-in and user-defined.
#[derive(Clone)]
pub struct Kinds {
    stores: BTreeMap<String, StoreDef>,
}

impl Kinds {
    /// The built-in stores and those berth.toml declares, with their schemas read
    /// from `source`.
    pub fn load(settings: &Settings, source: &dyn Source) -> Result<Kinds, LoadError> {
        let mut stores = BTreeMap::new();
        stores.insert(
            VERSION_SETS.to_owned(),
            StoreDef::Held(Arc::new(version_set::VersionSets)),
        );
        stores.insert(
            RELEASES.to_owned(),
            StoreDef::Held(Arc::new(release::Releases)),
        );
        stores.insert(
            CONFIGS.to_owned(),
            StoreDef::Held(Arc::new(config_version::Configs)),
        );
        stores.insert(EVENTS.to_owned(), StoreDef::Held(Arc::new(event::Events)));
        let mut findings = Vec::new();
        for (name, section) in settings.stores() {
            if section.external {
                stores.insert(name.clone(), StoreDef::External);
                continue;
            }
            let (Some(schema_path), Some(partition)) = (&section.schema, &section.partition) else {
                continue;
            };
            if let Some((schema, validator)) =
                load_schema(settings, source, name, schema_path, &mut findings)?
            {
                let kind = custom::Custom {
                    store: name.clone(),
                    partition: partition.clone(),
                    version: section.version.clone(),
                    promotable: section.promotable,
                    schema,
                    validator,
                };
                stores.insert(name.clone(), StoreDef::Held(Arc::new(kind)));
            }
        }
        if findings.is_empty() {
            Ok(Kinds { stores })
        } else {
            Err(LoadError::Invalid(findings))
        }
    }

    /// A store by name.
    pub fn get(&self, store: &str) -> Option<&StoreDef> {
        self.stores.get(store)
    }

    /// The kind of a store whose objects the repository holds.
    pub fn held(&self, store: &str) -> Option<&Arc<dyn Kind>> {
        match self.stores.get(store) {
            Some(StoreDef::Held(kind)) => Some(kind),
            _ => None,
        }
    }

    /// Starts compiling the schemas of the promotable kinds on another thread.
    ///
    /// The first schema a process compiles costs milliseconds (the JSON Schema
    /// library first builds its meta-schema's validator), the largest fixed cost of
    /// a promotion; the environment's log can be read meanwhile. Whoever needs a
    /// validator first waits for it; if no thread can be started, the guard
    /// compiles it as before.
    pub fn prepare_promotable(&self) {
        let kinds: Vec<Arc<dyn Kind>> = self
            .stores
            .values()
            .filter_map(|def| match def {
                StoreDef::Held(kind) if kind.promotable() => Some(Arc::clone(kind)),
                _ => None,
            })
            .collect();
        let _detached = std::thread::Builder::new()
            .name("berth-schemas".to_owned())
            .spawn(move || {
                for kind in kinds {
                    kind.validator();
                }
            });
    }

    /// The names of the stores whose objects the repository holds.
    pub fn held_names(&self) -> Vec<String> {
        self.stores
            .iter()
            .filter(|(_, def)| matches!(def, StoreDef::Held(_)))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

fn load_schema(
    settings: &Settings,
    source: &dyn Source,
    store: &str,
    path: &str,
    findings: &mut Vec<Finding>,
) -> Result<Option<(Value, Validator)>, SourceError> {
    let mut pointer = "/stores".to_owned();
    document::push_segment(&mut pointer, store);
    pointer.push_str("/schema");
    let named = NamedFile {
        path,
        pointer: &pointer,
        noun: "schema",
        file: "schema",
        missing: (
            format!(
                "store `{store}`'s schema `{path}` does not exist in the {}",
                source.name()
            ),
            "create the schema file, or correct the path",
        ),
        example: "schemas/tool-manifest.schema.json",
    };
    let Some(bytes) = named.read(settings, source, findings)? else {
        return Ok(None);
    };
    let text = shown_text(&bytes);
    let data = match document::parse(&bytes, Format::Json) {
        Ok(data) => data,
        Err(problem) => {
            findings.push(Finding::parse_problem(path, &text, &problem));
            return Ok(None);
        }
    };
    match schema::compile(&data) {
        Ok(validator) => Ok(Some((data, validator))),
        Err(error) => {
            let at = error.instance_path().as_str().to_owned();
            findings.push(
                Finding::new(Code::Schema, path, format!("not a valid JSON Schema: {}", error.masked()))
                    .with_help("fix the schema so that it matches its meta-schema (draft 2020-12 unless `$schema` says otherwise)")
                    .at_pointer(&text, Format::Json, &at),
            );
            Ok(None)
        }
    }
}

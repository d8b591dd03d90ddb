//! Finding objects: by `<store>/<hash>` or a unique hash prefix (`berth show`), and
//! listing them (`berth ls`).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::canonical::{ObjectHash, is_lower_hex};
use crate::check::object::Resolve;
use crate::check::{apply_severities, check_file};
use crate::diagnostic::finding::Finding;
use crate::document::Format;
use crate::kinds::StoreDef;
use crate::names;
use crate::source::{Content, Entry, EntryKind, Source, SourceError};
use crate::store::{OBJECTS_DIR, ObjectIndex, ObjectPath};
use crate::workspace::Workspace;

/// The shortest hash prefix berth accepts.
pub const MIN_PREFIX: usize = 8;

/// An object named on the command line: `<store>/<hash>`, `<hash>`, or either with a
/// unique prefix of at least [`MIN_PREFIX`] hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectSpec {
    /// The store, if given.
    pub store: Option<String>,
    /// The hash or its prefix, in lowercase.
    pub prefix: String,
}

impl fmt::Display for ObjectSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.store {
            Some(store) => write!(f, "{store}/{}", self.prefix),
            None => f.write_str(&self.prefix),
        }
    }
}

/// A string that does not name an object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{text}` does not name an object: {reason}")]
#[diagnostic(
    code("berth::bad-ref"),
    help(
        "name an object as <store>/<hash>, or by a unique prefix of at least 8 hex digits (`berth ls` lists them)"
    )
)]
pub struct BadSpec {
    /// What was given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FromStr for ObjectSpec {
    type Err = BadSpec;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: &str| BadSpec {
            text: text.to_owned(),
            reason: reason.to_owned(),
        };
        let (store, hash) = match text.split_once('/') {
            Some((store, hash)) => {
                names::check(store).map_err(|error| bad(&format!("the store {error}")))?;
                (Some(store.to_owned()), hash)
            }
            None => (None, text),
        };
        let prefix = hash.to_ascii_lowercase();
        if !is_lower_hex(&prefix) || prefix.is_empty() {
            return Err(bad("a hash is made of hex digits"));
        }
        if prefix.len() < MIN_PREFIX {
            return Err(bad(&format!(
                "a hash prefix needs at least {MIN_PREFIX} hex digits"
            )));
        }
        if prefix.len() > 64 {
            return Err(bad("a SHA-256 hash has 64 hex digits"));
        }
        Ok(ObjectSpec { store, prefix })
    }
}

/// Why an object could not be found or listed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LookupError {
    /// No object matches.
    #[error("no object matches `{0}`")]
    #[diagnostic(
        code("berth::object-not-found"),
        help("`berth ls` lists the objects in the repository")
    )]
    NotFound(String),
    /// More than one object matches a prefix.
    #[error("`{spec}` is ambiguous: it matches {}", candidates.join(", "))]
    #[diagnostic(
        code("berth::ambiguous-ref"),
        help("give more hex digits, or the store: <store>/<hash>")
    )]
    Ambiguous {
        /// What was given.
        spec: String,
        /// The objects it matches.
        candidates: Vec<String>,
    },
    /// No such store.
    #[error("`{store}` is not a store the repository holds")]
    #[diagnostic(code("berth::unknown-store"), help("stores here: {}", known.join(", ")))]
    UnknownStore {
        /// The name given.
        store: String,
        /// The stores the repository holds.
        known: Vec<String>,
    },
    /// A package name that breaks the name rule.
    #[error("package {0}")]
    #[diagnostic(
        code("berth::bad-name"),
        help("package names use a-z, 0-9, `.`, `_` and `-`, without `..`")
    )]
    BadPackage(names::BadName),
    /// A file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
}

/// An object and everything berth knows about it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ShownObject {
    /// The object: `<store>/<hash>`.
    pub object: String,
    /// The store.
    pub store: String,
    /// The partition (the package, for version sets).
    pub partition: String,
    /// The SHA-256 of the canonical data.
    pub hash: String,
    /// Where the object is, relative to the repository root.
    pub path: String,
    /// The file's format.
    pub format: Format,
    /// Tags every object of its kind carries (`pkg:<package>` for version sets).
    pub tags: Vec<String>,
    /// The object's data (null if the file cannot be read as data).
    pub data: Value,
    /// The file as its author wrote it.
    pub text: String,
    /// What the validator finds wrong with the object.
    pub findings: Vec<Finding>,
    /// For `<package>@<env>`: the environment it was read from.
    pub environment: Option<String>,
    /// For `<package>@<env>`: the environment commit read.
    pub commit: Option<String>,
    /// For `<package>@<env>`: the environment, when it was read from the
    /// remote's copy since this clone has no ref of its own for it.
    pub read_from_remote: Vec<crate::settings::RemoteRead>,
    /// For objects that can be promoted: the derived status, the environments
    /// holding it and the preview URL.
    pub lifecycle: Option<crate::kinds::event::Lifecycle>,
}

/// Finds one object.
pub fn find(workspace: &Workspace, spec: &ObjectSpec) -> Result<ObjectPath, LookupError> {
    find_indexed(workspace, spec).map(|(path, _)| path)
}

/// Finds one object, with every entry under `objects/`.
fn find_indexed(
    workspace: &Workspace,
    spec: &ObjectSpec,
) -> Result<(ObjectPath, Vec<Entry>), LookupError> {
    let (matches, entries) = matching(workspace, spec)?;
    let mut distinct: Vec<ObjectPath> = Vec::new();
    for path in matches {
        if !distinct
            .iter()
            .any(|p| p.store == path.store && p.hash == path.hash)
        {
            distinct.push(path);
        }
    }
    match distinct.len() {
        0 => Err(LookupError::NotFound(spec.to_string())),
        1 => Ok((distinct.remove(0), entries)),
        _ => Err(LookupError::Ambiguous {
            spec: spec.to_string(),
            candidates: distinct
                .iter()
                .map(|p| p.object_ref().to_string())
                .collect(),
        }),
    }
}

/// The well-placed object files matching a spec, and every entry under `objects/`.
fn matching(
    workspace: &Workspace,
    spec: &ObjectSpec,
) -> Result<(Vec<ObjectPath>, Vec<Entry>), LookupError> {
    if let Some(store) = &spec.store {
        held_store(workspace, store)?;
    }
    let entries = workspace.tree.list(OBJECTS_DIR)?;
    // A well-placed object's file name is its hash, so the prefix is matched on
    // the name before anything is parsed.
    let named = |entry: &&Entry| {
        let name = entry.path.rsplit('/').next().unwrap_or_default();
        name.starts_with(&spec.prefix)
    };
    let matches = entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::File)
        .filter(named)
        .filter_map(|entry| ObjectPath::parse(&entry.path).ok())
        .filter(|path| spec.store.as_ref().is_none_or(|store| *store == path.store))
        .collect();
    Ok((matches, entries))
}

fn held_store(workspace: &Workspace, store: &str) -> Result<(), LookupError> {
    match workspace.kinds.get(store) {
        Some(StoreDef::Held(_)) => Ok(()),
        _ => Err(LookupError::UnknownStore {
            store: store.to_owned(),
            known: workspace.kinds.held_names(),
        }),
    }
}

/// Finds an object and reads it, with the validator's findings about it.
pub fn show(workspace: &Workspace, spec: &ObjectSpec) -> Result<ShownObject, LookupError> {
    let (path, entries) = find_indexed(workspace, spec)?;
    let index = LazyIndex {
        entries: &entries,
        index: OnceLock::new(),
    };
    let file = path.path();
    let limit = workspace.settings.max_object_bytes();
    let bytes = match workspace.tree.read(&file, limit)? {
        Some(Content::Bytes(bytes)) => bytes,
        Some(Content::TooLarge { .. }) | None => Vec::new(),
    };
    let data =
        crate::store::read_object(&file, &bytes, path.format).map_or(Value::Null, |(data, _)| data);
    let findings = check_file(
        &workspace.tree,
        &workspace.settings,
        &workspace.kinds,
        &index,
        &file,
        &path,
    )?;
    let tags = workspace
        .kinds
        .held(&path.store)
        .map(|kind| kind.tags(&path.partition))
        .unwrap_or_default();
    Ok(ShownObject {
        object: path.object_ref().to_string(),
        store: path.store.clone(),
        partition: path.partition.clone(),
        hash: path.hash.to_hex(),
        path: file,
        format: path.format,
        tags,
        data,
        text: String::from_utf8_lossy(&bytes).into_owned(),
        findings: apply_severities(&workspace.settings, findings),
        environment: None,
        commit: None,
        read_from_remote: Vec::new(),
        lifecycle: None,
    })
}

/// The object index, built only if a reference into a held store asks for it.
struct LazyIndex<'a> {
    entries: &'a [Entry],
    index: OnceLock<ObjectIndex>,
}

impl Resolve for LazyIndex<'_> {
    fn contains(&self, store: &str, hash: &ObjectHash) -> bool {
        let index = self
            .index
            .get_or_init(|| ObjectIndex::of_entries(self.entries));
        index.contains(store, hash)
    }
}

/// An object in a listing.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ListedObject {
    /// The object: `<store>/<hash>`.
    pub object: String,
    /// The store.
    pub store: String,
    /// The partition (the package, for version sets).
    pub partition: String,
    /// The SHA-256 of the canonical data.
    pub hash: String,
    /// Where the object is, relative to the repository root.
    pub path: String,
    /// The object's `created_at`, when it has one.
    pub created_at: Option<String>,
}

/// Lists objects, by store and partition, newest first within a partition.
pub fn list(
    workspace: &Workspace,
    store: Option<&str>,
    package: Option<&str>,
) -> Result<Vec<ListedObject>, LookupError> {
    if let Some(store) = store {
        held_store(workspace, store)?;
    }
    if let Some(package) = package {
        names::check(package).map_err(LookupError::BadPackage)?;
    }
    // Only the directories that can hold what was asked for are read.
    let dirs: Vec<String> = match (store, package) {
        (Some(store), Some(package)) => vec![format!("{OBJECTS_DIR}/{store}/{package}")],
        (Some(store), None) => vec![format!("{OBJECTS_DIR}/{store}")],
        (None, Some(package)) => workspace
            .kinds
            .held_names()
            .into_iter()
            .map(|store| format!("{OBJECTS_DIR}/{store}/{package}"))
            .collect(),
        (None, None) => vec![OBJECTS_DIR.to_owned()],
    };
    let mut entries = Vec::new();
    for dir in dirs {
        entries.extend(workspace.tree.list(&dir)?);
    }
    let paths: Vec<ObjectPath> = entries
        .iter()
        .filter(|entry| entry.kind == EntryKind::File)
        .filter_map(|entry| ObjectPath::parse(&entry.path).ok())
        .filter(|path| matches!(workspace.kinds.get(&path.store), Some(StoreDef::Held(_))))
        .filter(|path| package.is_none_or(|package| path.partition == package))
        .collect();
    let limit = workspace.settings.max_object_bytes();
    let tree = &workspace.tree;
    let mut listed: Vec<ListedObject> = paths
        .par_iter()
        .map(|path| {
            let file = path.path();
            let created_at = match tree.read(&file, limit) {
                Ok(Some(Content::Bytes(bytes))) => {
                    crate::store::read_object(&file, &bytes, path.format)
                        .ok()
                        .and_then(|(data, _)| {
                            data.get("created_at")
                                .and_then(Value::as_str)
                                .map(str::to_owned)
                        })
                }
                _ => None,
            };
            ListedObject {
                object: path.object_ref().to_string(),
                store: path.store.clone(),
                partition: path.partition.clone(),
                hash: path.hash.to_hex(),
                path: file,
                created_at,
            }
        })
        .collect();
    listed.sort_by(|a, b| {
        (&a.store, &a.partition)
            .cmp(&(&b.store, &b.partition))
            .then_with(|| b.created_at.cmp(&a.created_at))
            .then_with(|| a.hash.cmp(&b.hash))
    });
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let hash = "cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246";
        assert_eq!(
            format!("version-sets/{hash}")
                .parse::<ObjectSpec>()
                .unwrap(),
            ObjectSpec {
                store: Some("version-sets".to_owned()),
                prefix: hash.to_owned()
            }
        );
        assert_eq!("CDAB067E".parse::<ObjectSpec>().unwrap().prefix, "cdab067e");
        for bad in [
            "cdab067",
            "xyz12345",
            "../etc/cdab067e",
            "version-sets/",
            "",
            &format!("{hash}0"),
        ] {
            assert!(bad.parse::<ObjectSpec>().is_err(), "{bad}");
        }
    }
}

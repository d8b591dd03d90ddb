//! The object store's layout: identity, references and paths, and [`Object`],
//! an object read once as its kind's type. What reads and writes objects is
//! [`crate::objects`].
//!
//! An object lives at `objects/<store>/<partition>/<sha256>.<json|toml>`, where the
//! hash is the SHA-256 of its canonical data and the partition is the value at its
//! kind's partition pointer. Names are checked before any path is built from them.

mod object;

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use crate::canonical::ObjectHash;
use crate::diagnostic::Finding;
use crate::diagnostic::finding::shown_text;
use crate::document::{self, Format};
use crate::names;
use crate::source::{Entry, EntryKind};

pub use object::{NotOfType, Object};

/// The store of version sets (kind `kinds::version_set`).
pub const VERSION_SETS: &str = "version-sets";
/// The store of releases (kind `kinds::release`).
pub const RELEASES: &str = "releases";
/// The store of config versions (kind `kinds::config_version`).
pub const CONFIGS: &str = "configs";
/// The store of lifecycle events (kind `kinds::event`).
pub const EVENTS: &str = "events";

/// The stores berth defines itself: berth.toml may not declare them again.
pub const BUILTIN_STORES: &[&str] = &[VERSION_SETS, RELEASES, CONFIGS, EVENTS];

/// The directory that holds every object.
pub const OBJECTS_DIR: &str = "objects";

/// An object's identity: its store and hash, written `<store>/<hash>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    /// The store.
    pub store: String,
    /// The hash of its canonical data.
    pub hash: ObjectHash,
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.store, self.hash)
    }
}

impl std::str::FromStr for ObjectRef {
    type Err = String;

    /// Parses `<store>/<hash>`: a store name and 64 lowercase hex digits.
    fn from_str(text: &str) -> Result<ObjectRef, String> {
        let (store, hash) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not <store>/<hash>"))?;
        names::check(store).map_err(|error| format!("`{text}`: the store {error}"))?;
        let hash = hash
            .parse::<ObjectHash>()
            .map_err(|_| format!("`{text}`: the hash is not 64 lowercase hex digits"))?;
        Ok(ObjectRef {
            store: store.to_owned(),
            hash,
        })
    }
}

/// Where an object file sits, parsed from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    /// The store directory.
    pub store: String,
    /// The partition directory.
    pub partition: String,
    /// The hash its file name claims.
    pub hash: ObjectHash,
    /// JSON or TOML, by extension.
    pub format: Format,
}

impl ObjectPath {
    /// The repository path of an object.
    pub fn path(&self) -> String {
        format!(
            "{OBJECTS_DIR}/{}/{}/{}.{}",
            self.store,
            self.partition,
            self.hash,
            self.format.extension()
        )
    }

    /// The object's identity.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            store: self.store.clone(),
            hash: self.hash,
        }
    }

    /// Parses a repository path under `objects/`, saying what is wrong with it.
    pub fn parse(path: &str) -> Result<ObjectPath, LayoutProblem> {
        let layout = || {
            LayoutProblem::BadPath(format!(
                "`{path}` is not at {OBJECTS_DIR}/<store>/<partition>/<sha256>.<json|toml>"
            ))
        };
        let rest = path
            .strip_prefix(OBJECTS_DIR)
            .and_then(|r| r.strip_prefix('/'))
            .ok_or_else(layout)?;
        let segments: Vec<&str> = rest.split('/').collect();
        let [store, partition, file] = segments[..] else {
            return Err(layout());
        };
        names::check(store)
            .map_err(|error| LayoutProblem::BadName(format!("store directory {error}")))?;
        names::check(partition)
            .map_err(|error| LayoutProblem::BadName(format!("partition directory {error}")))?;
        let (stem, extension) = file.rsplit_once('.').ok_or_else(layout)?;
        let format = Format::from_extension(extension).ok_or_else(|| {
            LayoutProblem::BadPath(format!("`{path}` is not a .json or .toml file"))
        })?;
        let hash = stem.parse::<ObjectHash>().map_err(|_| {
            LayoutProblem::BadPath(format!(
                "`{file}` is not named <sha256>.{extension} (64 lowercase hex digits)"
            ))
        })?;
        Ok(ObjectPath {
            store: store.to_owned(),
            partition: partition.to_owned(),
            hash,
            format,
        })
    }
}

/// What is wrong with a path under `objects/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutProblem {
    /// The path does not fit the layout.
    BadPath(String),
    /// A directory name breaks the name rule.
    BadName(String),
}

/// A `<store>/<id>` reference, checked for form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    /// The store it points into.
    pub store: &'a str,
    /// The object's id: a 64-hex hash for stores held in the repository.
    pub id: &'a str,
}

impl<'a> Reference<'a> {
    /// Parses `<store>/<id>`: the store a name, the id of `[A-Za-z0-9._-]+`.
    pub fn parse(text: &'a str) -> Option<Reference<'a>> {
        let (store, id) = text.split_once('/')?;
        let id_ok = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        (names::check(store).is_ok() && id_ok).then_some(Reference { store, id })
    }
}

/// The hashes of the objects each store holds, for resolving references.
#[derive(Debug, Default, Clone)]
pub struct ObjectIndex {
    by_store: HashMap<String, HashSet<ObjectHash>>,
}

impl ObjectIndex {
    /// Records an object.
    pub fn insert(&mut self, store: &str, hash: ObjectHash) -> bool {
        self.by_store
            .entry(store.to_owned())
            .or_default()
            .insert(hash)
    }

    /// Whether a store holds an object with this hash.
    pub fn contains(&self, store: &str, hash: &ObjectHash) -> bool {
        self.by_store
            .get(store)
            .is_some_and(|hashes| hashes.contains(hash))
    }

    /// The index of the well-placed object files among `entries`.
    pub fn of_entries(entries: &[Entry]) -> ObjectIndex {
        let mut index = ObjectIndex::default();
        for entry in entries.iter().filter(|e| e.kind == EntryKind::File) {
            if let Ok(path) = ObjectPath::parse(&entry.path) {
                index.insert(&path.store, path.hash);
            }
        }
        index
    }
}

/// Reads an object file's data and computes its hash.
pub fn read_object(
    file: &str,
    bytes: &[u8],
    format: Format,
) -> Result<(Value, ObjectHash), Box<Finding>> {
    match document::parse(bytes, format) {
        Ok(data) => {
            let hash = ObjectHash::of(&data);
            Ok((data, hash))
        }
        Err(problem) => {
            let text = shown_text(bytes);
            Err(Box::new(Finding::parse_problem(file, &text, &problem)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246";

    #[test]
    fn object_paths() {
        let path = format!("objects/version-sets/search/{HASH}.toml");
        let parsed = ObjectPath::parse(&path).unwrap();
        assert_eq!(parsed.store, "version-sets");
        assert_eq!(parsed.partition, "search");
        assert_eq!(parsed.format, Format::Toml);
        assert_eq!(parsed.path(), path);

        let bad_paths = [
            "objects/README.md".to_owned(),
            format!("objects/version-sets/{HASH}.json"),
            format!("objects/version-sets/a/b/{HASH}.json"),
            format!("objects/version-sets/search/{HASH}.yaml"),
            format!("objects/version-sets/search/{}.json", HASH.to_uppercase()),
            "objects/version-sets/search/abc.json".to_owned(),
            "objects/version-sets/search/noext".to_owned(),
        ];
        for path in bad_paths {
            assert!(
                matches!(ObjectPath::parse(&path), Err(LayoutProblem::BadPath(_))),
                "{path}"
            );
        }
        for path in [
            format!("objects/Version-Sets/search/{HASH}.json"),
            format!("objects/version-sets/.search/{HASH}.json"),
        ] {
            assert!(
                matches!(ObjectPath::parse(&path), Err(LayoutProblem::BadName(_))),
                "{path}"
            );
        }
    }

    #[test]
    fn references() {
        assert_eq!(
            Reference::parse("worker-bundles/abc_1.2-x"),
            Some(Reference {
                store: "worker-bundles",
                id: "abc_1.2-x"
            })
        );
        for bad in [
            "nostore",
            "/abc",
            "store/",
            "Store/abc",
            "store/a b",
            "../x/abc",
            "store/a/b",
        ] {
            assert_eq!(Reference::parse(bad), None, "{bad}");
        }
    }
}

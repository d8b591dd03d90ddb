//! The sample repository `berth demo` walks through: version sets embedded in the
//! binary, written into an `inbox/` that git ignores, and the objects the walk
//! makes that its later steps name.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use crate::canonical::ObjectHash;
use crate::document::{self, Format};
use crate::objects::lookup::{self, LookupError, ObjectSpec};
use crate::release::{self, Filter, ReleaseError};
use crate::store::{ObjectPath, ObjectRef, VERSION_SETS};
use crate::workspace::Workspace;

/// The directory, inside the demo repository, that holds the files to put.
pub const INBOX: &str = "inbox";

/// The registry the demo's components are images of, unless `berth demo
/// --registry` names a real one to sync them from.
pub const IMAGE_REGISTRY: &str = "registry.example.com";

/// The demo's input files: name and contents.
pub const FILES: &[(&str, &str)] = &[
    (
        "search-1.json",
        include_str!("../examples/tour/search-1.json"),
    ),
    (
        "search-1.toml",
        include_str!("../examples/tour/search-1.toml"),
    ),
    (
        "search-2.json",
        include_str!("../examples/tour/search-2.json"),
    ),
    (
        "devpad-1.toml",
        include_str!("../examples/tour/devpad-1.toml"),
    ),
    ("escape.json", include_str!("../examples/tour/escape.json")),
    (
        "search-1-ready.json",
        include_str!("../examples/tour/search-1-ready.json"),
    ),
    (
        "api-tags.txt",
        include_str!("../examples/tour/api-tags.txt"),
    ),
    (
        "api-tags-2.txt",
        include_str!("../examples/tour/api-tags-2.txt"),
    ),
    (
        "worker-tags.json",
        include_str!("../examples/tour/worker-tags.json"),
    ),
    (
        "worker-tags-2.json",
        include_str!("../examples/tour/worker-tags-2.json"),
    ),
];

/// An object a step of the demo makes, which later steps name by its hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    /// The version set an input file becomes when it is put.
    VersionSet(&'static str),
    /// A package's release at a version. Its hash holds the time it was made, so
    /// it is known only once the release exists.
    Release {
        /// The package.
        package: &'static str,
        /// The version.
        version: &'static str,
    },
}

impl Made {
    /// Where the object is in the repository, once the step that makes it has run.
    ///
    /// Releases are listed to find one by its version, so every failure, a
    /// version set not found included, comes as a [`ReleaseError`].
    pub fn find(self, workspace: &Workspace) -> Result<ObjectPath, ReleaseError> {
        let object = match self {
            Made::VersionSet(file) => object_path(file).map(|path| path.object_ref()),
            Made::Release { package, version } => {
                let filter = Filter {
                    package: Some(package.to_owned()),
                    ..Filter::default()
                };
                release::list(workspace, &filter)?
                    .into_iter()
                    .find(|listed| listed.version == version)
                    .and_then(|listed| listed.object.parse::<ObjectRef>().ok())
            }
        };
        let object = object.ok_or_else(|| LookupError::NotFound(self.to_string()))?;
        let spec = ObjectSpec {
            store: Some(object.store),
            prefix: object.hash.to_hex(),
        };
        Ok(lookup::find(workspace, &spec)?)
    }
}

impl fmt::Display for Made {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Made::VersionSet(file) => write!(f, "{INBOX}/{file}"),
            Made::Release { package, version } => write!(f, "release {package}@{version}"),
        }
    }
}

/// Writes the input files into `<root>/inbox/`.
pub fn write_inbox(root: &Path) -> io::Result<()> {
    let inbox = root.join(INBOX);
    fs::create_dir_all(&inbox)?;
    for (name, text) in FILES {
        fs::write(inbox.join(name), text)?;
    }
    Ok(())
}

/// Where `berth put` places an input file in the version-set store.
pub fn object_path(name: &str) -> Option<ObjectPath> {
    let (_, text) = FILES.iter().find(|(file, _)| *file == name)?;
    let format = Format::of_path(name)?;
    let data = document::parse_text(text, format).ok()?;
    let partition = data.get("package")?.as_str()?.to_owned();
    Some(ObjectPath {
        store: VERSION_SETS.to_owned(),
        partition,
        hash: ObjectHash::of(&data),
        format,
    })
}

/// Edits one value inside a stored object, as a careless hand would.
pub fn tamper(root: &Path, path: &ObjectPath) -> io::Result<()> {
    let file = root.join(path.path());
    let text = fs::read_to_string(&file)?;
    fs::write(
        &file,
        text.replacen("\"size_bytes\": 12345", "\"size_bytes\": 12346", 1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_json_and_toml_inputs_are_one_object() {
        let json = object_path("search-1.json").unwrap();
        let toml = object_path("search-1.toml").unwrap();
        assert_eq!(json.hash, toml.hash);
        assert_eq!(json.partition, "anthropic-search");
    }

    #[test]
    fn the_ready_event_names_search_1() {
        let (_, text) = FILES
            .iter()
            .find(|(file, _)| *file == "search-1-ready.json")
            .unwrap();
        let event = document::parse_text(text, Format::Json).unwrap();
        let search = object_path("search-1.json").unwrap();
        assert_eq!(event["subject"], search.object_ref().to_string());
    }
}

//! Where the validator and the commands read a repository's files from.
//!
//! One interface over every place berth reads: the working tree, and (in
//! [`crate::repo`]) a revision or the index read straight from git objects, whole or
//! as changes over a base. Paths are relative to the repository root and always
//! use `/`.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What kind of directory entry a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A symbolic link (never followed).
    Symlink,
    /// Anything else: a socket, a device, a git submodule.
    Other,
}

/// A file-like entry found under a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// File, symlink or other.
    pub kind: EntryKind,
}

/// A file's bytes, or the news that it is over the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// The whole file.
    Bytes(Vec<u8>),
    /// The file is larger than the limit; it was not read.
    TooLarge {
        /// Its size in bytes, at least the limit plus one.
        size: u64,
    },
}

/// A read that failed for a reason other than the file being absent.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("could not read `{path}` from the {source_name}")]
#[diagnostic(
    code("berth::io"),
    help("check the file's permissions and that the disk is readable")
)]
pub struct SourceError {
    /// The path that could not be read.
    pub path: String,
    /// "working tree", "index" or a revision.
    pub source_name: String,
    /// Why.
    #[source]
    pub error: io::Error,
}

/// A place to read repository files from.
pub trait Source: Sync {
    /// A short description for messages: "working tree", a revision.
    fn name(&self) -> String;

    /// Reads a file, refusing to read past `limit` bytes. `None` if it is absent.
    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError>;

    /// Every file, symlink or other non-directory entry below `dir`, sorted by path;
    /// empty if `dir` does not exist.
    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError>;

    /// Whether a file, symlink or other non-directory entry is at `path`.
    fn exists(&self, path: &str) -> Result<bool, SourceError>;

    /// The names of the directories directly inside `dir`, sorted.
    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError>;

    /// The paths in conflict, which a merge stopped on: only the index has any.
    fn unmerged(&self) -> &[String] {
        &[]
    }
}

/// How a path differs from a base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Not in the base.
    Added,
    /// In the base with other content or another file mode.
    Modified,
    /// In the base, gone now.
    Deleted,
}

/// A path that differs from a base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The path from the repository root.
    pub path: String,
    /// Added, modified or deleted.
    pub kind: ChangeKind,
    /// What the entry is now (what it was, for a deletion).
    pub entry: EntryKind,
}

/// The files checked out in a working tree.
#[derive(Debug, Clone)]
pub struct WorkTree {
    root: PathBuf,
}

impl WorkTree {
    /// The working tree rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> WorkTree {
        WorkTree { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The filesystem path of a repository path.
    pub fn path_of(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    fn error(&self, path: &str, error: io::Error) -> SourceError {
        SourceError {
            path: path.to_owned(),
            source_name: self.name(),
            error,
        }
    }
}

/// Reads a file from disk, refusing to read past `limit` bytes.
pub fn read_capped(path: &Path, limit: u64) -> io::Result<Content> {
    let file = fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        let size = fs::metadata(path).map_or(limit + 1, |m| m.len());
        return Ok(Content::TooLarge { size });
    }
    Ok(Content::Bytes(bytes))
}

impl Source for WorkTree {
    fn name(&self) -> String {
        "working tree".to_owned()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        match read_capped(&self.path_of(path), limit) {
            Ok(content) => Ok(Some(content)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(self.error(path, error)),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let base = self.path_of(dir);
        if !base.is_dir() {
            return Ok(Vec::new());
        }
        let mut entries = Vec::new();
        for item in walkdir::WalkDir::new(&base).follow_links(false) {
            let item = item.map_err(|error| {
                let path = error
                    .path()
                    .map_or_else(|| dir.to_owned(), |p| self.relative(p));
                self.error(&path, io::Error::other(error))
            })?;
            let file_type = item.file_type();
            if file_type.is_dir() {
                continue;
            }
            let kind = if file_type.is_file() {
                EntryKind::File
            } else if file_type.is_symlink() {
                EntryKind::Symlink
            } else {
                EntryKind::Other
            };
            entries.push(Entry {
                path: self.relative(item.path()),
                kind,
            });
        }
        // Sorting the collected strings once is far cheaper than letting the walk
        // compare file names directory by directory.
        entries.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        Ok(entries)
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        match fs::symlink_metadata(self.path_of(path)) {
            Ok(metadata) => Ok(!metadata.is_dir()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(self.error(path, error)),
        }
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let items = match fs::read_dir(self.path_of(dir)) {
            Ok(items) => items,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(self.error(dir, error)),
        };
        let mut names = Vec::new();
        for item in items {
            let item = item.map_err(|error| self.error(dir, error))?;
            let is_dir = item
                .file_type()
                .map_err(|error| self.error(dir, error))?
                .is_dir();
            if is_dir {
                names.push(item.file_name().to_string_lossy().into_owned());
            }
        }
        names.sort_unstable();
        Ok(names)
    }
}

impl WorkTree {
    fn relative(&self, path: &Path) -> String {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_and_symlinks_sorted_and_caps_reads() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("objects/a/b")).unwrap();
        fs::write(root.join("objects/a/b/2.json"), "{}").unwrap();
        fs::write(root.join("objects/a/1.json"), "12345").unwrap();
        std::os::unix::fs::symlink("1.json", root.join("objects/a/link")).unwrap();
        let tree = WorkTree::new(root);
        let listed = tree.list("objects").unwrap();
        let paths: Vec<(&str, EntryKind)> =
            listed.iter().map(|e| (e.path.as_str(), e.kind)).collect();
        assert_eq!(
            paths,
            [
                ("objects/a/1.json", EntryKind::File),
                ("objects/a/b/2.json", EntryKind::File),
                ("objects/a/link", EntryKind::Symlink),
            ]
        );
        assert_eq!(
            tree.read("objects/a/1.json", 5).unwrap(),
            Some(Content::Bytes(b"12345".to_vec()))
        );
        assert_eq!(
            tree.read("objects/a/1.json", 4).unwrap(),
            Some(Content::TooLarge { size: 5 })
        );
        assert_eq!(tree.read("missing", 4).unwrap(), None);
        assert!(tree.list("nowhere").unwrap().is_empty());
    }
}

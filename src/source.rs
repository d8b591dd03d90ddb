//! Where the validator and the commands read a repository's files from.
//!
//! One interface over every place berth reads: the working tree, and (in
//! [`crate::repo`]) a revision or the index read straight from git objects, whole or
//! as changes over a base. Paths are relative to the repository root and always
//! use `/`.
//!
//! Every source reads regular files only, and the same ones: a symlink, a file
//! below a symlinked directory, a FIFO, a socket, a device or a submodule is
//! refused ([`Refusal`]) wherever it is met, in the working tree as in a revision
//! or the index, so that the three sources never disagree and nothing outside the
//! repository is ever read.

mod open;

use std::fmt;
use std::fs;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use crate::diagnostic::code::Code;
use crate::diagnostic::error_code::ErrorCode;
use crate::diagnostic::finding::Finding;

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

/// Why a path was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The path is a symbolic link.
    Symlink,
    /// A directory on the way to the path is a symbolic link.
    UnderSymlink {
        /// The link, from the repository root.
        link: String,
    },
    /// The path is a directory, a FIFO, a socket, a device or a git submodule.
    NotRegular,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Symlink => f.write_str("is a symlink"),
            Refusal::UnderSymlink { link } => write!(f, "lies below `{link}`, a symlink"),
            Refusal::NotRegular => f.write_str(
                "is not a regular file (a directory, FIFO, socket, device or submodule)",
            ),
        }
    }
}

impl Refusal {
    /// Why an entry listed as `kind` is not read, if it is not.
    pub fn of_entry(kind: EntryKind) -> Option<Refusal> {
        match kind {
            EntryKind::File => None,
            EntryKind::Symlink => Some(Refusal::Symlink),
            EntryKind::Other => Some(Refusal::NotRegular),
        }
    }

    /// How to fix it, for a finding's help line.
    fn help(&self) -> String {
        match self {
            Refusal::Symlink => "berth reads only regular files inside the repository and never follows a link: replace the link with the file itself, or remove it".to_owned(),
            Refusal::UnderSymlink { link } => format!(
                "berth never follows a link out of the repository: replace `{link}` with the directory itself, or remove it"
            ),
            Refusal::NotRegular => {
                "berth reads only regular files: replace it with a regular file, or remove it"
                    .to_owned()
            }
        }
    }
}

/// A read that failed, or a file that berth refuses to read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// Reading failed for a reason other than the file being absent.
    #[error("could not read `{path}` from the {source_name}")]
    Io {
        /// The path that could not be read.
        path: String,
        /// "working tree", "index" or a revision.
        source_name: String,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// The path is not a regular file inside the repository, so it was not read.
    #[error("`{path}` in the {source_name} {refusal}; berth does not read it")]
    Refused {
        /// The path asked for.
        path: String,
        /// "working tree", "index" or a revision.
        source_name: String,
        /// What it is.
        refusal: Refusal,
    },
}

impl miette::Diagnostic for SourceError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            SourceError::Io { .. } => ErrorCode::Io.qualified(),
            SourceError::Refused { .. } => Code::BadPath.qualified(),
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            SourceError::Io { .. } => {
                "check the file's permissions and that the disk is readable".to_owned()
            }
            SourceError::Refused { refusal, .. } => refusal.help(),
        }))
    }
}

impl SourceError {
    /// Whether the file was refused (a symlink or a special file) rather than
    /// unreadable: the repository breaks an invariant, berth did not fail.
    pub fn is_refusal(&self) -> bool {
        matches!(self, SourceError::Refused { .. })
    }

    /// A refusal as the `bad-path` finding the validator reports; `None` for an
    /// I/O error, which stops validation instead.
    pub fn finding(&self) -> Option<Finding> {
        let SourceError::Refused { path, refusal, .. } = self else {
            return None;
        };
        Some(refused(path, refusal))
    }
}

/// The `bad-path` finding for a path berth does not read.
pub fn refused(path: &str, refusal: &Refusal) -> Finding {
    Finding::new(
        Code::BadPath,
        path,
        format!("{refusal}; berth does not read it"),
    )
    .with_help(refusal.help())
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
    /// The root, opened once: every read resolves its path below it.
    root_fd: Arc<OnceLock<OwnedFd>>,
}

/// A working-tree file read, or why it was not.
#[derive(Debug)]
pub enum DiskRead {
    /// Its content, or `None` if it is absent.
    Read(Option<Content>),
    /// It is not a regular file inside the repository.
    Refused(Refusal),
}

impl WorkTree {
    /// The working tree rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> WorkTree {
        WorkTree {
            root: root.into(),
            root_fd: Arc::new(OnceLock::new()),
        }
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
        SourceError::Io {
            path: path.to_owned(),
            source_name: self.name(),
            error,
        }
    }

    fn refused(&self, path: &str, refusal: Refusal) -> SourceError {
        SourceError::Refused {
            path: path.to_owned(),
            source_name: self.name(),
            refusal,
        }
    }

    fn root_fd(&self) -> io::Result<&OwnedFd> {
        if let Some(fd) = self.root_fd.get() {
            return Ok(fd);
        }
        let fd = open::open_root(&self.root)?;
        Ok(self.root_fd.get_or_init(|| fd))
    }

    /// Reads a repository file from disk, refusing to read past `limit` bytes, to
    /// follow a symlink or to open anything but a regular file.
    pub fn read_file(&self, path: &str, limit: u64) -> io::Result<DiskRead> {
        match open::open_below(self.root_fd()?, path) {
            Ok(open::Opened::File(file, size)) => {
                open::read_to_limit(file, size, limit).map(|content| DiskRead::Read(Some(content)))
            }
            Ok(open::Opened::Refused(refusal)) => Ok(DiskRead::Refused(refusal)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(DiskRead::Read(None)),
            Err(error) => Err(error),
        }
    }

    /// The first symlink at `path` or on the way to it, if any (checked without
    /// following links; a path that ends early has none).
    fn link_at_or_above(&self, path: &str) -> io::Result<Option<String>> {
        let parts = open::parts(path)?;
        let mut at = self.root.clone();
        for (index, part) in parts.iter().enumerate() {
            at.push(part);
            match fs::symlink_metadata(&at) {
                Ok(metadata) if metadata.file_type().is_symlink() => {
                    return Ok(Some(parts.get(..=index).unwrap_or(&parts).join("/")));
                }
                Ok(metadata) if metadata.is_dir() => {}
                Ok(_) => return Ok(None),
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) =>
                {
                    return Ok(None);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(None)
    }

    /// The first symlink on the way to `path`, `path` itself excluded.
    fn link_above(&self, path: &str) -> io::Result<Option<String>> {
        match path.rsplit_once('/') {
            Some((parent, _)) => self.link_at_or_above(parent),
            None => Ok(None),
        }
    }
}

/// Reads a file the user named on the command line, refusing to read past `limit`
/// bytes. It may be a symlink (the user named it), but it must end at a regular
/// file: a directory is an `IsADirectory` error and a FIFO, socket or device an
/// `InvalidInput` one, and neither is ever read (a FIFO would block).
pub fn read_capped(path: &Path, limit: u64) -> io::Result<Content> {
    let (file, size) = open::open_input(path)?;
    open::read_to_limit(file, size, limit)
}

/// The largest input file berth reads whole (a tag list, a config's settings):
/// far more than any real one, far less than a machine's memory.
pub const MAX_INPUT_BYTES: u64 = 64 << 20;

/// Reads the whole of a file the user named, as [`read_capped`] does, up to
/// [`MAX_INPUT_BYTES`]; a larger one is a `FileTooLarge` error.
pub fn read_input(path: &Path) -> io::Result<Vec<u8>> {
    match read_capped(path, MAX_INPUT_BYTES)? {
        Content::Bytes(bytes) => Ok(bytes),
        Content::TooLarge { size } => Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("it is {size} bytes, over the {MAX_INPUT_BYTES}-byte limit of an input file"),
        )),
    }
}

impl Source for WorkTree {
    fn name(&self) -> String {
        "working tree".to_owned()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        match self.read_file(path, limit) {
            Ok(DiskRead::Read(content)) => Ok(content),
            Ok(DiskRead::Refused(refusal)) => Err(self.refused(path, refusal)),
            Err(error) => Err(self.error(path, error)),
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        // A linked directory is listed as the link it is, never walked into.
        if let Some(link) = self
            .link_at_or_above(dir)
            .map_err(|error| self.error(dir, error))?
        {
            return Ok(vec![Entry {
                path: link,
                kind: EntryKind::Symlink,
            }]);
        }
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
        // What lies below a linked directory is not in the repository.
        if self
            .link_above(path)
            .map_err(|error| self.error(path, error))?
            .is_some()
        {
            return Ok(false);
        }
        match fs::symlink_metadata(self.path_of(path)) {
            Ok(metadata) => Ok(!metadata.is_dir()),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(self.error(path, error)),
        }
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        if self
            .link_at_or_above(dir)
            .map_err(|error| self.error(dir, error))?
            .is_some()
        {
            return Ok(Vec::new());
        }
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

    /// No link is followed and no special file opened, wherever it sits on the
    /// way: each is refused, and says which link it is.
    #[test]
    fn links_and_special_files_are_refused_not_read() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.json"), "{\"password\": 1}").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("objects/a")).unwrap();
        fs::write(root.join("objects/a/1.json"), "{}").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("schemas")).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("objects/b")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.json"), root.join("berth.toml"))
            .unwrap();
        std::os::unix::fs::symlink("nowhere", root.join("dangling.json")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("fifo.json"),
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let tree = WorkTree::new(root);
        let refusal = |path: &str| match tree.read(path, 1 << 20) {
            Err(SourceError::Refused { refusal, .. }) => refusal,
            other => panic!("{path}: {other:?}"),
        };
        assert_eq!(refusal("berth.toml"), Refusal::Symlink);
        assert_eq!(refusal("dangling.json"), Refusal::Symlink);
        assert_eq!(refusal("fifo.json"), Refusal::NotRegular);
        assert_eq!(refusal("objects"), Refusal::NotRegular);
        let below = |link: &str| Refusal::UnderSymlink {
            link: link.to_owned(),
        };
        assert_eq!(refusal("schemas/secret.json"), below("schemas"));
        assert_eq!(refusal("objects/b/secret.json"), below("objects/b"));
        assert_eq!(tree.read("schemas/missing.json", 9).map_err(|e| e.to_string()).err(), Some("`schemas/missing.json` in the working tree lies below `schemas`, a symlink; berth does not read it".to_owned()));
        assert_eq!(tree.read("objects/a/1.json/x", 9).unwrap(), None);
        assert!(tree.read("../x", 9).is_err());
        // What lies below a link is not in the repository; the link itself is
        // listed as what it is.
        assert!(!tree.exists("schemas/secret.json").unwrap());
        assert!(tree.exists("berth.toml").unwrap());
        assert!(tree.dirs("objects/b").unwrap().is_empty());
        let listed = |dir: &str| -> Vec<(String, EntryKind)> {
            tree.list(dir)
                .unwrap()
                .into_iter()
                .map(|e| (e.path, e.kind))
                .collect()
        };
        assert_eq!(
            listed("schemas"),
            [("schemas".to_owned(), EntryKind::Symlink)]
        );
        assert_eq!(
            listed("objects/b/x"),
            [("objects/b".to_owned(), EntryKind::Symlink)]
        );
        assert_eq!(
            listed("objects"),
            [
                ("objects/a/1.json".to_owned(), EntryKind::File),
                ("objects/b".to_owned(), EntryKind::Symlink),
            ]
        );
    }

    #[test]
    fn inputs_must_be_regular_files() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo.json");
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        fs::write(dir.path().join("real.json"), "12345").unwrap();
        std::os::unix::fs::symlink("real.json", dir.path().join("link.json")).unwrap();
        let kind = |path: &Path| read_capped(path, 10).unwrap_err().kind();
        assert_eq!(kind(&fifo), io::ErrorKind::InvalidInput);
        assert_eq!(kind(dir.path()), io::ErrorKind::IsADirectory);
        assert_eq!(kind(&dir.path().join("missing")), io::ErrorKind::NotFound);
        // The user named the link: it is followed.
        assert_eq!(
            read_capped(&dir.path().join("link.json"), 10).unwrap(),
            Content::Bytes(b"12345".to_vec())
        );
        assert_eq!(
            read_capped(&dir.path().join("real.json"), 4).unwrap(),
            Content::TooLarge { size: 5 }
        );
        assert_eq!(read_input(&dir.path().join("real.json")).unwrap(), b"12345");
        // A huge input is refused by its size, unread (the file is sparse).
        let huge = dir.path().join("huge.json");
        fs::File::create(&huge)
            .unwrap()
            .set_len(MAX_INPUT_BYTES + 1)
            .unwrap();
        assert_eq!(
            read_input(&huge).unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
    }
}

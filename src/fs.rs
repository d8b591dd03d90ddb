//! Writing files safely: each file is written under a temporary name and then
//! linked or renamed into place, so a reader never sees half a file; and a file of
//! the repository is reached one directory at a time without following a symbolic
//! link, so that nothing berth writes can land outside the repository.
//!
//! Checking a path for links and then opening it would leave a gap in which a
//! directory could be swapped for a link. Each directory is instead opened relative
//! to the one above it with `O_NOFOLLOW`, and the file is created relative to the
//! last, so what was checked is what is written into.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

/// Whether a new file was written, or one was already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file was created.
    Created,
    /// A file already existed at the path; it was left as it was.
    Existed,
}

/// A repository path that berth refuses to write through.
#[derive(Debug, Clone, thiserror::Error, miette::Diagnostic)]
#[error("`{path}` is {what}; berth writes only into real directories of the repository")]
#[diagnostic(
    code("berth::bad-path"),
    help(
        "a link could lead outside the repository: replace `{path}` with a real directory (or remove it) and run the command again"
    )
)]
pub struct UnsafePath {
    /// The part of the path at fault, relative to the repository root.
    pub path: String,
    /// What it is: "a symbolic link" or "not a directory".
    pub what: &'static str,
}

/// Why a repository file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The path goes through a link or a non-directory.
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    /// The file system refused.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<WriteError> for io::Error {
    fn from(error: WriteError) -> io::Error {
        match error {
            WriteError::Io(error) => error,
            WriteError::Unsafe(refused) => io::Error::other(refused),
        }
    }
}

/// Writes `bytes` to the repository file `path` (relative to `root`, with `/`)
/// unless a file is already there, creating directories as needed.
pub fn write_new(root: &Path, path: &str, bytes: &[u8]) -> Result<Written, WriteError> {
    let (dir, name) = open_parent(root, path)?;
    #[cfg(target_os = "linux")]
    if let Some(written) = write_new_unnamed(&dir, name, bytes)? {
        return Ok(written);
    }
    let temporary = write_temporary(&dir, name, bytes)?;
    let linked = rustix::fs::linkat(&dir, &temporary, &dir, name, AtFlags::empty());
    // The temporary name is only ever ours; remove it whatever happened.
    let _ = rustix::fs::unlinkat(&dir, &temporary, AtFlags::empty());
    match linked {
        Ok(()) => Ok(Written::Created),
        Err(Errno::EXIST) => Ok(Written::Existed),
        Err(errno) => Err(io::Error::from(errno).into()),
    }
}

/// [`write_new`] with a file that has no name until it is whole (`O_TMPFILE`): a
/// process killed while writing leaves nothing behind, not even a temporary
/// file. `None` where the file system or kernel has no unnamed files.
#[cfg(target_os = "linux")]
fn write_new_unnamed(
    dir: &OwnedFd,
    name: &str,
    bytes: &[u8],
) -> Result<Option<Written>, WriteError> {
    use std::os::fd::AsRawFd;
    let flags = OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(dir, ".", flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => fd,
        // Kernels without O_TMPFILE see a directory opened for writing.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL) => return Ok(None),
        Err(errno) => return Err(io::Error::from(errno).into()),
    };
    let mut file = File::from(fd);
    file.write_all(bytes)?;
    file.sync_all()?;
    // Linking through /proc needs no privilege, unlike AT_EMPTY_PATH.
    let unnamed = format!("/proc/self/fd/{}", file.as_raw_fd());
    match rustix::fs::linkat(CWD, unnamed.as_str(), dir, name, AtFlags::SYMLINK_FOLLOW) {
        Ok(()) => Ok(Some(Written::Created)),
        Err(Errno::EXIST) => Ok(Some(Written::Existed)),
        // No /proc: write it again under a temporary name.
        Err(Errno::NOENT) => Ok(None),
        Err(errno) => Err(io::Error::from(errno).into()),
    }
}

/// Writes `bytes` to the repository file `path` (relative to `root`, with `/`),
/// replacing what is there in one step. A link at `path` is refused, not replaced.
pub fn replace_in(root: &Path, path: &str, bytes: &[u8]) -> Result<(), WriteError> {
    let (dir, name) = open_parent(root, path)?;
    match rustix::fs::statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) if is_symlink(&stat) => {
            return Err(UnsafePath {
                path: path.to_owned(),
                what: "a symbolic link",
            }
            .into());
        }
        Ok(_) | Err(Errno::NOENT) => {}
        Err(errno) => return Err(io::Error::from(errno).into()),
    }
    let temporary = write_temporary(&dir, name, bytes)?;
    let renamed = rustix::fs::renameat(&dir, &temporary, &dir, name);
    if renamed.is_err() {
        let _ = rustix::fs::unlinkat(&dir, &temporary, AtFlags::empty());
    }
    renamed.map_err(|errno| io::Error::from(errno).into())
}

/// Writes `bytes` to `path` anywhere the user named it (a report's `--output`, a
/// git hook), replacing what is there in one step: the file is written under a
/// temporary name beside it and renamed into place.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let temporary = temporary_path(path);
    let written = File::create_new(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let result = written.and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

/// Opens the directory that holds the repository file `path`, one component at a
/// time from `root`, creating missing directories and refusing links; and gives
/// the file's own name.
fn open_parent<'p>(root: &Path, path: &'p str) -> Result<(OwnedFd, &'p str), WriteError> {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    let bad_component = |part: &str| part.is_empty() || part == "." || part == "..";
    if bad_component(name) || parts.iter().any(|part| bad_component(part)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{path}` is not a path inside the repository"),
        )
        .into());
    }
    let directory = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC;
    // The root itself is where the user pointed berth; only what is below it must
    // be real directories.
    let mut dir =
        rustix::fs::openat(CWD, root, directory, Mode::empty()).map_err(io::Error::from)?;
    let mut walked = String::new();
    for part in parts {
        if !walked.is_empty() {
            walked.push('/');
        }
        walked.push_str(part);
        let open = |dir: &OwnedFd| {
            rustix::fs::openat(dir, part, directory | OFlags::NOFOLLOW, Mode::empty())
        };
        let next = match open(&dir) {
            Err(Errno::NOENT) => {
                match rustix::fs::mkdirat(&dir, part, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(errno) => return Err(io::Error::from(errno).into()),
                }
                open(&dir)
            }
            other => other,
        };
        dir = match next {
            Ok(next) => next,
            Err(Errno::LOOP | Errno::NOTDIR) => {
                let link = rustix::fs::statat(&dir, part, AtFlags::SYMLINK_NOFOLLOW)
                    .is_ok_and(|stat| is_symlink(&stat));
                return Err(UnsafePath {
                    path: walked,
                    what: if link {
                        "a symbolic link"
                    } else {
                        "not a directory"
                    },
                }
                .into());
            }
            Err(errno) => return Err(io::Error::from(errno).into()),
        };
    }
    Ok((dir, name))
}

fn is_symlink(stat: &rustix::fs::Stat) -> bool {
    rustix::fs::FileType::from_raw_mode(stat.st_mode).is_symlink()
}

/// Writes `bytes` to a new temporary file beside `name` in `dir`, flushed to disk,
/// and gives its name.
fn write_temporary(dir: &OwnedFd, name: &str, bytes: &[u8]) -> io::Result<String> {
    let temporary = temporary_name(name);
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, &temporary, flags, Mode::from_raw_mode(0o666))?;
    let mut file = File::from(fd);
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(error) = written {
        let _ = rustix::fs::unlinkat(dir, &temporary, AtFlags::empty());
        return Err(error);
    }
    Ok(temporary)
}

fn temporary_name(name: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.berth-{}-{unique}.tmp", std::process::id())
}

fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(temporary_name(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            write_new(dir.path(), "a/b/c.json", b"first").unwrap(),
            Written::Created
        );
        assert_eq!(
            write_new(dir.path(), "a/b/c.json", b"second").unwrap(),
            Written::Existed
        );
        assert_eq!(fs::read(dir.path().join("a/b/c.json")).unwrap(), b"first");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }

    #[test]
    fn replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/report.sarif");
        replace(&path, b"first").unwrap();
        replace(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        replace_in(dir.path(), "out/report.sarif", b"third").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third");
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }

    #[test]
    fn never_writes_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("objects")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("objects/linked")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("target"),
            dir.path().join("objects/file"),
        )
        .unwrap();
        fs::write(dir.path().join("plain"), b"").unwrap();
        let cases = [
            ("objects/linked/x.json", "objects/linked", "a symbolic link"),
            (
                "objects/linked/deeper/x.json",
                "objects/linked",
                "a symbolic link",
            ),
            ("plain/x.json", "plain", "not a directory"),
        ];
        for (path, at, what) in cases {
            match write_new(dir.path(), path, b"x") {
                Err(WriteError::Unsafe(refused)) => {
                    assert_eq!((refused.path.as_str(), refused.what), (at, what), "{path}");
                }
                other => panic!("{path}: {other:?}"),
            }
        }
        assert!(matches!(
            replace_in(dir.path(), "objects/file", b"x"),
            Err(WriteError::Unsafe(_))
        ));
        assert!(matches!(
            write_new(dir.path(), "../escape.json", b"x"),
            Err(WriteError::Io(_))
        ));
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}

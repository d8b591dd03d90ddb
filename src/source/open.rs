//! Opening files for reading without following a symlink or blocking on a special
//! file.
//!
//! A symlink in a repository can point anywhere on the machine: followed, its
//! target's bytes would be read, checked and echoed in diagnostics as if they were
//! the repository's (a file of credentials, line by line). A FIFO blocks its reader
//! until someone writes to it, and a device may never end. So a repository path is
//! resolved below the repository root without following any link on the way, and
//! every file is opened non-blocking and checked with `fstat` on the open
//! descriptor: what is checked is what is read, and a file swapped for a FIFO
//! between a check and the open cannot slip through.
//!
//! On Linux one `openat2` call with `RESOLVE_NO_SYMLINKS` resolves the whole path;
//! where it is missing (older kernels, other systems, a seccomp filter that refuses
//! it) each directory is opened in turn with `O_NOFOLLOW`, which is as safe and a
//! few system calls slower.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

use super::{Content, Refusal};

/// A file opened for reading, or why it was not.
pub(super) enum Opened {
    /// A regular file, and its size when it was opened.
    File(File, u64),
    /// Not read: a symlink, a file below one, or not a regular file.
    Refused(Refusal),
}

/// The flags every file is opened with: read-only, never blocking on a FIFO, never
/// becoming the controlling terminal, never leaking into a child process.
fn read_flags() -> OFlags {
    OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY | OFlags::CLOEXEC
}

/// The directory a repository's paths are resolved below.
pub(super) fn open_root(root: &Path) -> io::Result<OwnedFd> {
    // The root itself is the user's choice (`-C`, the current directory): a link
    // on the way to it is theirs to make, so it is followed.
    Ok(rustix::fs::open(
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// The parts of a repository path: `a/b/c` is `[a, b, c]`. A path that climbs out
/// (`..`) is refused as an input error: berth builds paths from checked names.
pub(super) fn parts(path: &str) -> io::Result<Vec<&str>> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path leaves the repository",
        ));
    }
    Ok(parts)
}

/// Opens the repository file `path` below the directory `root`, following no
/// symlink. Absent (or below something that is not a directory): `NotFound`.
pub(super) fn open_below(root: &OwnedFd, path: &str) -> io::Result<Opened> {
    let parts = parts(path)?;
    if parts.is_empty() {
        return Ok(Opened::Refused(Refusal::NotRegular));
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::fs::ResolveFlags;
        let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
        match rustix::fs::openat2(root, parts.join("/"), read_flags(), Mode::empty(), resolve) {
            Ok(fd) => return checked(fd),
            // A link somewhere on the way: the walk below names it.
            Err(Errno::LOOP | Errno::XDEV) => {}
            // No openat2 here: walk.
            Err(Errno::NOSYS | Errno::PERM | Errno::INVAL | Errno::AGAIN) => {}
            Err(error) => return open_error(error),
        }
    }
    walk(root, &parts)
}

/// Opens `parts` below `root` one directory at a time, each with `O_NOFOLLOW`.
fn walk(root: &OwnedFd, parts: &[&str]) -> io::Result<Opened> {
    let Some((last, dirs)) = parts.split_last() else {
        return Ok(Opened::Refused(Refusal::NotRegular));
    };
    let mut current: Option<OwnedFd> = None;
    for (index, part) in dirs.iter().enumerate() {
        let at = current.as_ref().map_or(root.as_fd(), AsFd::as_fd);
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        match rustix::fs::openat(at, *part, flags, Mode::empty()) {
            Ok(fd) => current = Some(fd),
            Err(Errno::LOOP | Errno::NOTDIR | Errno::MLINK) => {
                let stat = rustix::fs::statat(at, *part, AtFlags::SYMLINK_NOFOLLOW)?;
                return if FileType::from_raw_mode(stat.st_mode) == FileType::Symlink {
                    Ok(Opened::Refused(Refusal::UnderSymlink {
                        link: parts.get(..=index).unwrap_or(parts).join("/"),
                    }))
                } else {
                    Err(io::ErrorKind::NotFound.into())
                };
            }
            Err(error) => return open_error(error),
        }
    }
    let at = current.as_ref().map_or(root.as_fd(), AsFd::as_fd);
    match rustix::fs::openat(at, *last, read_flags() | OFlags::NOFOLLOW, Mode::empty()) {
        Ok(fd) => checked(fd),
        // Linux says ELOOP for a final symlink under O_NOFOLLOW, FreeBSD EMLINK.
        Err(Errno::LOOP | Errno::MLINK) => Ok(Opened::Refused(Refusal::Symlink)),
        Err(error) => open_error(error),
    }
}

/// What a failed open means: a socket (`ENXIO`) or a device without a driver is
/// no regular file; a path through a file is absent.
fn open_error(error: Errno) -> io::Result<Opened> {
    match error {
        Errno::NXIO | Errno::NODEV => Ok(Opened::Refused(Refusal::NotRegular)),
        Errno::NOTDIR => Err(io::ErrorKind::NotFound.into()),
        error => Err(error.into()),
    }
}

/// The open descriptor if it is a regular file.
fn checked(fd: OwnedFd) -> io::Result<Opened> {
    let stat = rustix::fs::fstat(&fd)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Ok(Opened::Refused(Refusal::NotRegular));
    }
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    Ok(Opened::File(File::from(fd), size))
}

/// Opens a file the user named, following links (they named it), refusing what is
/// not a regular file: a directory is `IsADirectory`, a FIFO, socket or device
/// `InvalidInput`.
pub(super) fn open_input(path: &Path) -> io::Result<(File, u64)> {
    let fd = match rustix::fs::open(path, read_flags(), Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NXIO | Errno::NODEV) => return Err(not_regular()),
        Err(error) => return Err(error.into()),
    };
    let stat = rustix::fs::fstat(&fd)?;
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Ok((File::from(fd), u64::try_from(stat.st_size).unwrap_or(0))),
        FileType::Directory => Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory, not a file",
        )),
        _ => Err(not_regular()),
    }
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "it is not a regular file (a FIFO, socket or device), so berth does not read it",
    )
}

/// Reads an open file, refusing to read past `limit` bytes. `size` is its size
/// when it was opened; it is re-checked by reading, since a file can grow.
pub(super) fn read_to_limit(file: File, size: u64, limit: u64) -> io::Result<Content> {
    if size > limit {
        return Ok(Content::TooLarge { size });
    }
    let capacity = usize::try_from(size).unwrap_or(0).saturating_add(1);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > limit {
        return Ok(Content::TooLarge { size: read });
    }
    Ok(Content::Bytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk that stands in for `openat2` where it is missing refuses what
    /// `openat2` refuses.
    #[test]
    fn the_walk_refuses_what_openat2_refuses() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.json"), "{}").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/file.json"), "12").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("a/link")).unwrap();
        std::os::unix::fs::symlink("b/file.json", root.join("a/file-link.json")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("a/fifo"),
            FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )
        .unwrap();
        let root_fd = open_root(root).unwrap();
        let walked = |path: &str| -> Result<Option<Refusal>, io::ErrorKind> {
            let parts = parts(path).map_err(|e| e.kind())?;
            let via_walk = walk(&root_fd, &parts);
            let via_open = open_below(&root_fd, path);
            let outcome = |opened: io::Result<Opened>| match opened {
                Ok(Opened::File(..)) => Ok(None),
                Ok(Opened::Refused(refusal)) => Ok(Some(refusal)),
                Err(error) => Err(error.kind()),
            };
            let (walked, opened) = (outcome(via_walk), outcome(via_open));
            assert_eq!(walked, opened, "{path}");
            walked
        };
        assert_eq!(walked("a/b/file.json"), Ok(None));
        assert_eq!(walked("a/file-link.json"), Ok(Some(Refusal::Symlink)));
        assert_eq!(
            walked("a/link/secret.json"),
            Ok(Some(Refusal::UnderSymlink {
                link: "a/link".to_owned()
            }))
        );
        assert_eq!(walked("a/fifo"), Ok(Some(Refusal::NotRegular)));
        assert_eq!(walked("a/b"), Ok(Some(Refusal::NotRegular)));
        assert_eq!(walked("a/missing"), Err(io::ErrorKind::NotFound));
        assert_eq!(walked("a/b/file.json/x"), Err(io::ErrorKind::NotFound));
        assert_eq!(walked("a/../x"), Err(io::ErrorKind::InvalidInput));
    }
}

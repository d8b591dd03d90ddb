//! Writing files safely: each file is written under a temporary name and then
//! linked into place, so a reader never sees half a file and an existing file is
//! never replaced.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a new file was written, or one was already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file was created.
    Created,
    /// A file already existed at the path; it was left as it was.
    Existed,
}

/// Writes `bytes` to `path` unless a file is already there, creating parent
/// directories as needed.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<Written> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let temporary = temporary_name(path);
    let result = write_then_link(&temporary, path, bytes);
    // The temporary name is only ever ours; remove it whatever happened.
    let _ = fs::remove_file(&temporary);
    result
}

/// Writes `bytes` to `path`, replacing what is there in one step: the file is
/// written under a temporary name beside it and renamed into place.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)?;
    let temporary = temporary_name(path);
    let written = fs::File::create_new(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let result = written.and_then(|()| fs::rename(&temporary, path));
    if result.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    result
}

fn write_then_link(temporary: &Path, path: &Path, bytes: &[u8]) -> io::Result<Written> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    match fs::hard_link(temporary, path) {
        Ok(()) => Ok(Written::Created),
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(Written::Existed),
        Err(error) => Err(error),
    }
}

fn temporary_name(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.berth-{}-{unique}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/c.json");
        assert_eq!(write_new(&path, b"first").unwrap(), Written::Created);
        assert_eq!(write_new(&path, b"second").unwrap(), Written::Existed);
        assert_eq!(fs::read(&path).unwrap(), b"first");
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
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("out")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files are left behind");
    }
}

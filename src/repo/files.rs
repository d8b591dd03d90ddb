//! Repository files read straight from git objects: a revision's tree or the index,
//! behind the same [`Source`] interface as the working tree, so the validator reads
//! what was committed or what would be committed, never the checkout. And the same
//! files as changes over a base revision, so that validating a change costs what
//! the change costs.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use git2::{ErrorCode, FileMode, ObjectType, Repository, TreeWalkMode, TreeWalkResult};

use super::error::{Context, GitError};
use super::plumbing::{self, Plumbing, RawChange};
use super::{Git, Oid, short_id};
use crate::source::{
    Change, ChangeKind, Content, DiskRead, Entry, EntryKind, Refusal, Source, SourceError, WorkTree,
};

/// A revision that does not name a commit.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{revision}` does not name a commit here")]
#[diagnostic(
    code("berth::bad-revision"),
    help("name a commit as git does: a branch, a tag, a hash or an expression such as HEAD~1")
)]
pub struct BadRevision {
    /// The revision as given.
    pub revision: String,
    /// What libgit2 said.
    #[source]
    pub error: git2::Error,
}

/// Why git files could not be listed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FilesError {
    /// The revision does not resolve to a commit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadRevision(#[from] BadRevision),
    /// Reading the tree or the index failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// The git command failed or is missing.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plumbing(#[from] plumbing::PlumbingError),
    /// A shallow clone lacks the history the comparison needs.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Shallow(#[from] super::ShallowHistory),
}

/// Repository handles for reading threads: libgit2 handles cannot be shared
/// between threads, so each reading thread takes one from the pool.
struct Handles {
    git_dir: PathBuf,
    pool: Mutex<Vec<Repository>>,
}

impl Handles {
    fn new(git: &Git) -> Handles {
        Handles {
            git_dir: git.repo.path().to_owned(),
            pool: Mutex::new(Vec::new()),
        }
    }

    /// Runs `read` with a repository handle of this thread's own.
    fn with<T>(
        &self,
        read: impl FnOnce(&Repository) -> Result<T, git2::Error>,
    ) -> Result<T, git2::Error> {
        let taken = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        let repo = match taken {
            Some(repo) => repo,
            None => Repository::open(&self.git_dir)?,
        };
        let result = read(&repo);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(repo);
        }
        result
    }

    /// A blob's bytes, or its size if it is over `limit`.
    fn blob(&self, id: Oid, limit: u64) -> Result<Content, git2::Error> {
        self.with(|repo| {
            let odb = repo.odb()?;
            let (size, _) = odb.read_header(id)?;
            let size = u64::try_from(size).unwrap_or(u64::MAX);
            if size > limit {
                return Ok(Content::TooLarge { size });
            }
            Ok(Content::Bytes(odb.read(id)?.data().to_vec()))
        })
    }
}

fn source_error(source_name: &str, path: &str, error: impl Into<io::Error>) -> SourceError {
    SourceError::Io {
        path: path.to_owned(),
        source_name: source_name.to_owned(),
        error: error.into(),
    }
}

fn refused(source_name: &str, path: &str, refusal: Refusal) -> SourceError {
    SourceError::Refused {
        path: path.to_owned(),
        source_name: source_name.to_owned(),
        refusal,
    }
}

/// Why an entry of a tree or the index is not read: git records a symlink's
/// target as its blob, and reading that as the file would disagree with the
/// working tree, where the link points somewhere else entirely.
fn refusal_of(kind: EntryKind) -> Option<Refusal> {
    Refusal::of_entry(kind)
}

/// The first directory on the way to `path` (`path` itself excluded) that
/// `kind_of` says is a symlink.
fn link_above<E>(
    path: &str,
    kind_of: impl Fn(&str) -> Result<Option<EntryKind>, E>,
) -> Result<Option<String>, E> {
    for (end, _) in path.match_indices('/') {
        let Some(dir) = path.get(..end) else {
            continue;
        };
        if kind_of(dir)? == Some(EntryKind::Symlink) {
            return Ok(Some(dir.to_owned()));
        }
    }
    Ok(None)
}

/// The symlink at `dir` or on the way to it, listed as the one entry there is:
/// nothing below a link is in the repository.
fn link_at_or_above<E>(
    dir: &str,
    kind_of: impl Fn(&str) -> Result<Option<EntryKind>, E>,
) -> Result<Option<Vec<Entry>>, E> {
    let dir = dir.trim_end_matches('/');
    if dir.is_empty() {
        return Ok(None);
    }
    let link = match kind_of(dir)? {
        Some(EntryKind::Symlink) => Some(dir.to_owned()),
        _ => link_above(dir, &kind_of)?,
    };
    Ok(link.map(|path| {
        vec![Entry {
            path,
            kind: EntryKind::Symlink,
        }]
    }))
}

fn git_io(error: git2::Error) -> io::Error {
    io::Error::other(error)
}

/// The files of a revision's tree or of the index, by path.
pub struct GitFiles {
    /// "revision <rev> (<short id>)" or "index".
    name: String,
    handles: Handles,
    files: BTreeMap<String, (Oid, EntryKind)>,
    /// The paths in conflict, for the index.
    unmerged: Vec<String>,
}

impl Git {
    /// The commit a revision names.
    pub fn resolve_commit(&self, revision: &str) -> Result<Oid, BadRevision> {
        self.repo
            .revparse_single(revision)
            .and_then(|object| object.peel_to_commit())
            .map(|commit| commit.id())
            .map_err(|error| BadRevision {
                revision: revision.to_owned(),
                error,
            })
    }

    /// The files of the tree of the commit `revision` names.
    pub fn files_at(&self, revision: &str) -> Result<GitFiles, FilesError> {
        let commit = self.resolve_commit(revision)?;
        let tree = self.commit(commit)?.tree;
        let files = tree_files(&self.repo, tree, "")
            .context(|| format!("listing the tree of {revision}"))?;
        Ok(GitFiles {
            name: revision_name(revision, commit),
            handles: Handles::new(self),
            files,
            unmerged: Vec::new(),
        })
    }

    /// The files of the index: exactly what `git commit` would commit.
    ///
    /// The index is git's own, read by git (`git ls-files --stage`): a hook run by
    /// `git commit -a` or `git commit <paths>` is handed a temporary index through
    /// `GIT_INDEX_FILE`, and split or sparse indexes are git's to read.
    pub fn staged_files(&self) -> Result<GitFiles, FilesError> {
        let staged = Plumbing::new(self.workdir()).staged()?;
        Ok(GitFiles {
            name: "index".to_owned(),
            handles: Handles::new(self),
            files: staged.files,
            unmerged: staged.unmerged,
        })
    }
}

/// Every file, symlink or other non-directory entry below `dir` of `tree`, by path
/// from the root.
fn tree_files(
    repo: &Repository,
    tree: Oid,
    dir: &str,
) -> Result<BTreeMap<String, (Oid, EntryKind)>, git2::Error> {
    let mut files = BTreeMap::new();
    let dir = dir.trim_end_matches('/');
    let Some(subtree) = subtree(repo, tree, dir)? else {
        return Ok(files);
    };
    let prefix = dir_prefix(dir);
    subtree.walk(TreeWalkMode::PreOrder, |parent, entry| {
        if entry.kind() == Some(ObjectType::Tree) {
            return TreeWalkResult::Ok;
        }
        let kind = mode_kind(entry.filemode());
        let name = String::from_utf8_lossy(entry.name_bytes());
        files.insert(format!("{prefix}{parent}{name}"), (entry.id(), kind));
        TreeWalkResult::Ok
    })?;
    Ok(files)
}

/// The directory `dir` (`""` for the root) of `tree`, if it is one.
fn subtree<'r>(
    repo: &'r Repository,
    tree: Oid,
    dir: &str,
) -> Result<Option<git2::Tree<'r>>, git2::Error> {
    let root = repo.find_tree(tree)?;
    if dir.is_empty() {
        return Ok(Some(root));
    }
    match root.get_path(Path::new(dir)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => repo.find_tree(entry.id()).map(Some),
        Ok(_) => Ok(None),
        Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

fn revision_name(revision: &str, commit: Oid) -> String {
    format!("revision {revision} ({})", super::short_id(commit))
}

/// What a non-directory entry of a tree or the index is, by its git file mode: a
/// regular or executable file, a symlink, or (a submodule) something else.
pub(super) fn mode_kind(mode: i32) -> EntryKind {
    if mode == i32::from(FileMode::Blob) || mode == i32::from(FileMode::BlobExecutable) {
        EntryKind::File
    } else if mode == i32::from(FileMode::Link) {
        EntryKind::Symlink
    } else {
        EntryKind::Other
    }
}

/// Lists the entries of `files` below `dir`.
fn list_below(files: &BTreeMap<String, (Oid, EntryKind)>, dir: &str) -> Vec<Entry> {
    let prefix = dir_prefix(dir);
    files
        .range(prefix.clone()..)
        .take_while(|(path, _)| path.starts_with(&prefix))
        .map(|(path, (_, kind))| Entry {
            path: path.clone(),
            kind: *kind,
        })
        .collect()
}

fn dir_prefix(dir: &str) -> String {
    if dir.is_empty() {
        String::new()
    } else {
        format!("{}/", dir.trim_end_matches('/'))
    }
}

impl Source for GitFiles {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let Some((id, kind)) = self.files.get(path) else {
            return match link_above(path, |dir| self.kind_of(dir))? {
                Some(link) => Err(refused(&self.name, path, Refusal::UnderSymlink { link })),
                None => Ok(None),
            };
        };
        if let Some(refusal) = refusal_of(*kind) {
            return Err(refused(&self.name, path, refusal));
        }
        self.handles
            .blob(*id, limit)
            .map(Some)
            .map_err(|error| source_error(&self.name, path, git_io(error)))
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        if let Some(link) = link_at_or_above(dir, |dir| self.kind_of(dir))? {
            return Ok(link);
        }
        Ok(list_below(&self.files, dir))
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        Ok(self.files.contains_key(path))
    }

    fn unmerged(&self) -> &[String] {
        &self.unmerged
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let mut names: Vec<String> = list_below(&self.files, dir)
            .into_iter()
            .filter_map(|entry| subdir_of(&entry.path, dir))
            .collect();
        names.dedup();
        Ok(names)
    }
}

impl GitFiles {
    fn kind_of(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        Ok(self.files.get(path).map(|(_, kind)| *kind))
    }
}

/// The directory directly inside `dir` that `path` lies in, if it lies deeper.
fn subdir_of(path: &str, dir: &str) -> Option<String> {
    let rest = path.strip_prefix(&dir_prefix(dir))?;
    let (name, _) = rest.split_once('/')?;
    Some(name.to_owned())
}

/// Which files a change compares against its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head<'a> {
    /// The working tree, untracked files included.
    WorkTree,
    /// The index.
    Index,
    /// The tree of a commit.
    Revision(&'a str),
}

/// Where the new content of a changed path is.
#[derive(Debug, Clone, Copy)]
enum NewContent {
    /// A blob in the object database.
    Blob(Oid),
    /// A file in the working tree.
    Disk,
}

/// A head read as its base's tree with the changes laid over it: reading an
/// unchanged file reads the base's blob, which is the head's too.
pub struct Changeset {
    name: String,
    /// The commit compared against: the merge base of the base and the head.
    pub base: Oid,
    base_tree: Oid,
    worktree: WorkTree,
    handles: Handles,
    /// The new state of each changed path: `None` when it was deleted.
    changed: BTreeMap<String, Option<(NewContent, EntryKind)>>,
    /// Every change, sorted by path.
    pub changes: Vec<Change>,
    /// The paths in conflict in the index, when the head is the index.
    unmerged: Vec<String>,
    /// The base's directories read so far, by path: a lookup reads each tree once,
    /// not once per file in it (libgit2 caches no tree over 4 KiB).
    base_dirs: Mutex<HashMap<String, Arc<BaseDir>>>,
}

/// The entries of one directory of the base: name -> (id, mode).
type BaseDir = HashMap<String, (Oid, i32)>;

impl Git {
    /// The files of `head` as changes over `base`, compared as `git diff base...head`
    /// does: against the merge base of the two (of `base` and HEAD when the head is
    /// the index or the working tree), so that what the base branch gained since
    /// does not count as removed here.
    pub fn changes_since(&self, base: &str, head: Head<'_>) -> Result<Changeset, FilesError> {
        let base_commit = self.resolve_commit(base)?;
        let head_revision = match head {
            Head::Revision(revision) => Some((revision, self.resolve_commit(revision)?)),
            Head::Index | Head::WorkTree => None,
        };
        let head_commit = match head_revision {
            Some((_, commit)) => Some(commit),
            None => self.resolve_commit("HEAD").ok(),
        };
        let base = match head_commit {
            Some(head_commit) => self.merge_base(base_commit, head_commit)?,
            None => base_commit,
        };
        let base_tree = self.commit(base)?.tree;
        let plumbing = Plumbing::new(self.workdir());
        let (name, raw) = if let Some((revision, commit)) = head_revision {
            let head_tree = self.commit(commit)?.tree;
            (
                revision_name(revision, commit),
                self.tree_changes(base_tree, head_tree)?,
            )
        } else if head == Head::Index {
            ("index".to_owned(), plumbing.staged_changes(base)?)
        } else {
            ("working tree".to_owned(), plumbing.worktree_changes(base)?)
        };
        let mut changed = BTreeMap::new();
        let mut changes = Vec::with_capacity(raw.len());
        let unmerged = raw
            .iter()
            .filter(|change| change.unmerged)
            .map(|change| change.path.clone())
            .collect();
        for change in raw {
            if self.unchanged_on_disk(&change) {
                continue;
            }
            let new = match change.kind {
                ChangeKind::Deleted => None,
                ChangeKind::Added | ChangeKind::Modified => {
                    let content = match change.blob {
                        Some(blob) => NewContent::Blob(blob),
                        None => NewContent::Disk,
                    };
                    Some((content, mode_kind(change.mode)))
                }
            };
            changed.insert(change.path.clone(), new);
            changes.push(Change {
                path: change.path,
                kind: change.kind,
                entry: mode_kind(change.mode),
            });
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(Changeset {
            name,
            base,
            base_tree,
            worktree: WorkTree::new(self.workdir()),
            handles: Handles::new(self),
            changed,
            changes,
            unmerged,
            base_dirs: Mutex::new(HashMap::new()),
        })
    }

    /// Whether a working-tree file git reports as changed (it compares file stats
    /// with the index, not content with the base) has exactly the base's content.
    ///
    /// Only a regular file is hashed: hashing follows links, so a link would be
    /// read wherever it points, and a link to a FIFO would block.
    fn unchanged_on_disk(&self, change: &RawChange) -> bool {
        let (ChangeKind::Modified, None, Some(old)) = (change.kind, change.blob, change.old_blob)
        else {
            return false;
        };
        let path = self.workdir.join(&change.path);
        let regular = mode_kind(change.mode) == EntryKind::File
            && std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
        regular && git2::Oid::hash_file(ObjectType::Blob, path).is_ok_and(|id| id == old)
    }

    /// The merge base of two commits, or `one` if they have none.
    ///
    /// In a shallow clone, finding none may only mean that the shared history was
    /// cut off, and comparing with `one` would count everything it gained since as
    /// removed: that is refused.
    fn merge_base(&self, one: Oid, two: Oid) -> Result<Oid, FilesError> {
        match self.repo.merge_base(one, two) {
            Ok(merge_base) => Ok(merge_base),
            Err(error) if error.code() == ErrorCode::NotFound => {
                if self.shallow_boundary()?.is_empty() {
                    Ok(one)
                } else {
                    Err(super::ShallowHistory {
                        needs: format!("the merge base of {} and {}", short_id(one), short_id(two)),
                    }
                    .into())
                }
            }
            Err(error) => Err(GitError {
                action: format!("finding the merge base of {one} and {two}"),
                error,
            }
            .into()),
        }
    }

    /// The files that differ between two trees. Subtrees with equal ids are equal,
    /// so only the directories on the way to a change are read: the cost follows
    /// the change. (libgit2's tree diff inflates every tree of both sides.)
    fn tree_changes(&self, base: Oid, head: Oid) -> Result<Vec<RawChange>, GitError> {
        let mut changes = Vec::new();
        self.diff_trees(Some(base), Some(head), "", &mut changes)
            .context(|| format!("comparing trees {base} and {head}"))?;
        Ok(changes)
    }

    fn diff_trees(
        &self,
        old: Option<Oid>,
        new: Option<Oid>,
        dir: &str,
        changes: &mut Vec<RawChange>,
    ) -> Result<(), git2::Error> {
        let entries = |id: Option<Oid>| -> Result<BTreeMap<String, (Oid, i32)>, git2::Error> {
            let Some(id) = id else {
                return Ok(BTreeMap::new());
            };
            let tree = self.repo.find_tree(id)?;
            Ok(tree
                .iter()
                .map(|entry| {
                    let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                    (name, (entry.id(), entry.filemode()))
                })
                .collect())
        };
        let old = entries(old)?;
        let new = entries(new)?;
        let names: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for name in names {
            let path = format!("{dir}{name}");
            let before = old.get(name).copied();
            let after = new.get(name).copied();
            if before == after {
                continue;
            }
            let is_tree = |entry: Option<(Oid, i32)>| {
                entry.is_some_and(|(_, mode)| mode == i32::from(FileMode::Tree))
            };
            let subtree =
                |entry: Option<(Oid, i32)>| entry.filter(|_| is_tree(entry)).map(|(id, _)| id);
            if is_tree(before) || is_tree(after) {
                self.diff_trees(
                    subtree(before),
                    subtree(after),
                    &format!("{path}/"),
                    changes,
                )?;
            }
            let blob = |entry: Option<(Oid, i32)>| entry.filter(|_| !is_tree(entry));
            match (blob(before), blob(after)) {
                (None, None) => {}
                (None, Some((id, mode))) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Added,
                    mode,
                    blob: Some(id),
                    old_blob: None,
                    unmerged: false,
                }),
                (Some((id, mode)), None) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Deleted,
                    mode,
                    blob: None,
                    old_blob: Some(id),
                    unmerged: false,
                }),
                (Some((old_id, _)), Some((id, mode))) => changes.push(RawChange {
                    path,
                    kind: ChangeKind::Modified,
                    mode,
                    blob: Some(id),
                    old_blob: Some(old_id),
                    unmerged: false,
                }),
            }
        }
        Ok(())
    }
}

impl Changeset {
    /// What the head has at `path`: the change's entry, or the base's.
    fn kind_of(&self, path: &str) -> Result<Option<EntryKind>, SourceError> {
        match self.changed.get(path) {
            Some(new) => Ok(new.as_ref().map(|(_, kind)| *kind)),
            None => self
                .base_kind(path)
                .map_err(|error| source_error(&self.name, path, git_io(error))),
        }
    }

    /// What the base has at `path`, if it is not a directory.
    fn base_kind(&self, path: &str) -> Result<Option<EntryKind>, git2::Error> {
        Ok(self.base_entry(path)?.map(|(_, kind)| kind))
    }

    /// The base tree's entry at `path`, if it is not a directory.
    fn base_entry(&self, path: &str) -> Result<Option<(Oid, EntryKind)>, git2::Error> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let entries = self.base_dir(dir)?;
        Ok(entries
            .get(name)
            .filter(|(_, mode)| *mode != i32::from(FileMode::Tree))
            .map(|(id, mode)| (*id, mode_kind(*mode))))
    }

    /// The names of the directories directly inside a directory of the base,
    /// sorted.
    fn base_subdirs(&self, dir: &str) -> Result<Vec<String>, git2::Error> {
        let mut names: Vec<String> = self
            .base_dir(dir)?
            .iter()
            .filter(|(_, (_, mode))| *mode == i32::from(FileMode::Tree))
            .map(|(name, _)| name.clone())
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// The entries of a directory of the base (none if it is not one).
    ///
    /// A directory's tree is found in its parent's cached entries, so each tree on
    /// the way is inflated once, however many directories below it are read.
    fn base_dir(&self, dir: &str) -> Result<Arc<BaseDir>, git2::Error> {
        if let Some(entries) = self
            .base_dirs
            .lock()
            .ok()
            .and_then(|dirs| dirs.get(dir).cloned())
        {
            return Ok(entries);
        }
        let tree = if dir.is_empty() {
            Some(self.base_tree)
        } else {
            let (parent, name) = dir.rsplit_once('/').unwrap_or(("", dir));
            self.base_dir(parent)?
                .get(name)
                .filter(|(_, mode)| *mode == i32::from(FileMode::Tree))
                .map(|(id, _)| *id)
        };
        let entries: BaseDir = match tree {
            Some(tree) => self.handles.with(|repo| {
                Ok(repo
                    .find_tree(tree)?
                    .iter()
                    .map(|entry| {
                        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
                        (name, (entry.id(), entry.filemode()))
                    })
                    .collect())
            })?,
            None => HashMap::new(),
        };
        let entries = Arc::new(entries);
        if let Ok(mut dirs) = self.base_dirs.lock() {
            dirs.insert(dir.to_owned(), Arc::clone(&entries));
        }
        Ok(entries)
    }
}

/// The base of a changeset, read as a source: what the change is compared with.
pub struct BaseFiles<'a>(&'a Changeset);

impl Changeset {
    /// The files of the base (the merge base), for rules that compare a file with
    /// what it was.
    pub fn base_files(&self) -> BaseFiles<'_> {
        BaseFiles(self)
    }
}

impl Source for BaseFiles<'_> {
    fn name(&self) -> String {
        format!("base {}", short_id(self.0.base))
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let name = self.name();
        let error = |error: git2::Error| source_error(&name, path, git_io(error));
        let kind_of = |path: &str| self.0.base_kind(path).map_err(error);
        match self.0.base_entry(path).map_err(error)? {
            Some((id, kind)) => match refusal_of(kind) {
                Some(refusal) => Err(refused(&name, path, refusal)),
                None => self.0.handles.blob(id, limit).map(Some).map_err(error),
            },
            None => match link_above(path, kind_of)? {
                Some(link) => Err(refused(&name, path, Refusal::UnderSymlink { link })),
                None => Ok(None),
            },
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let kind_of = |path: &str| {
            self.0
                .base_kind(path)
                .map_err(|error| source_error(&self.name(), path, git_io(error)))
        };
        if let Some(link) = link_at_or_above(dir, kind_of)? {
            return Ok(link);
        }
        let files = self
            .0
            .handles
            .with(|repo| tree_files(repo, self.0.base_tree, dir))
            .map_err(|error| source_error(&self.name(), dir, git_io(error)))?;
        Ok(list_below(&files, dir))
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        self.0
            .base_entry(path)
            .map(|entry| entry.is_some())
            .map_err(|error| source_error(&self.name(), path, git_io(error)))
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        self.0
            .base_subdirs(dir.trim_end_matches('/'))
            .map_err(|error| source_error(&self.name(), dir, git_io(error)))
    }
}

impl Source for Changeset {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let error = |error: git2::Error| source_error(&self.name, path, git_io(error));
        let (content, kind) = match self.changed.get(path) {
            Some(None) => return Ok(None),
            Some(Some((content, kind))) => (*content, *kind),
            None => match self.base_entry(path).map_err(error)? {
                Some((id, kind)) => (NewContent::Blob(id), kind),
                None => {
                    return match link_above(path, |dir| self.kind_of(dir))? {
                        Some(link) => {
                            Err(refused(&self.name, path, Refusal::UnderSymlink { link }))
                        }
                        None => Ok(None),
                    };
                }
            },
        };
        if let Some(refusal) = refusal_of(kind) {
            return Err(refused(&self.name, path, refusal));
        }
        match content {
            NewContent::Blob(id) => self.handles.blob(id, limit).map(Some).map_err(error),
            NewContent::Disk => match self.worktree.read_file(path, limit) {
                Ok(DiskRead::Read(content)) => Ok(content),
                Ok(DiskRead::Refused(refusal)) => Err(refused(&self.name, path, refusal)),
                Err(e) => Err(source_error(&self.name, path, e)),
            },
        }
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        if let Some(link) = link_at_or_above(dir, |dir| self.kind_of(dir))? {
            return Ok(link);
        }
        let prefix = dir_prefix(dir);
        let mut files = self
            .handles
            .with(|repo| tree_files(repo, self.base_tree, dir))
            .map_err(|error| source_error(&self.name, dir, git_io(error)))?;
        for (path, new) in self
            .changed
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
        {
            match new {
                None => {
                    files.remove(path);
                }
                Some((_, kind)) => {
                    files.insert(path.clone(), (Oid::ZERO_SHA1, *kind));
                }
            }
        }
        Ok(list_below(&files, dir))
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        match self.changed.get(path) {
            Some(new) => Ok(new.is_some()),
            None => self
                .base_entry(path)
                .map(|entry| entry.is_some())
                .map_err(|error| source_error(&self.name, path, git_io(error))),
        }
    }

    fn unmerged(&self) -> &[String] {
        &self.unmerged
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let dir = dir.trim_end_matches('/');
        let mut names = self
            .base_subdirs(dir)
            .map_err(|error| source_error(&self.name, dir, git_io(error)))?;
        // A directory the change empties may linger here; probing it finds nothing.
        let prefix = dir_prefix(dir);
        names.extend(
            self.changed
                .range(prefix.clone()..)
                .take_while(|(path, _)| path.starts_with(&prefix))
                .filter(|(_, new)| new.is_some())
                .filter_map(|(path, _)| subdir_of(path, dir)),
        );
        names.sort_unstable();
        names.dedup();
        Ok(names)
    }
}

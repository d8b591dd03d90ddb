//! A revision's tree or the index, read as a [`Source`]: every path listed up
//! front, each blob read when asked for.

use std::collections::BTreeMap;

use super::{
    BadRevision, FilesError, Handles, git_io, link_above, link_at_or_above, list_below, refusal_of,
    refused, revision_name, source_error, subdir_of, tree_files,
};
use crate::repo::error::Context;
use crate::repo::plumbing::Plumbing;
use crate::repo::{Git, Oid};
use crate::source::{Content, Entry, EntryKind, Refusal, Source, SourceError};

/// The files of a revision's tree or of the index, by path.
pub struct GitFiles {
    /// `revision <rev> (<short id>)` or `index`.
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

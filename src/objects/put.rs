//! `berth put`: validate files, name them by their hash, and write them into the
//! store, all or nothing.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::canonical::ObjectHash;
use crate::check::apply_severities;
use crate::check::object::{self, Resolve};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, plural};
use crate::document::Format;
use crate::fs::{self, UnsafePath, WriteError, Written};
use crate::kinds::StoreDef;
use crate::repo::{CommitError, FileToCommit, Onto, Push, Pushed};
use crate::source::{Content, Source, SourceError, read_capped};
use crate::store::{EVENTS, OBJECTS_DIR, ObjectPath};
use crate::workspace::Workspace;

/// A file to put.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Where to read it; its extension gives the format.
    pub path: PathBuf,
    /// How to name it in messages: as the user gave it.
    pub name: String,
    /// The content, when berth made the document itself (`release create`, `mark`)
    /// rather than reading it from `path`.
    pub bytes: Option<Vec<u8>>,
}

/// What to put.
#[derive(Debug, Clone)]
pub struct PutRequest<'a> {
    /// The store to put into.
    pub store: &'a str,
    /// The files to read.
    pub files: &'a [InputFile],
    /// Commit what was written, onto what.
    pub commit: Option<Onto>,
    /// The commit message, instead of the default.
    pub message: Option<&'a str>,
    /// With a commit: build it on the remote's tip of the branch and push it
    /// there, the local branch following only once the remote took it.
    pub push: Option<Push>,
}

/// One object put.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PutObject {
    /// The file read, as given.
    pub file: String,
    /// The object: `<store>/<hash>`.
    pub object: String,
    /// The store.
    pub store: String,
    /// The partition.
    pub partition: String,
    /// The SHA-256 of the canonical data.
    pub hash: String,
    /// Where the object is, relative to the repository root.
    pub path: String,
    /// False when the store already held the same data.
    pub created: bool,
}

/// What `berth put` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PutOutcome {
    /// Each file put, in the order given.
    pub objects: Vec<PutObject>,
    /// The commit made with `--commit`, if anything needed committing.
    pub commit: Option<String>,
    /// Where the commit was pushed, with `--push`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed: Option<Pushed>,
    /// Warnings (findings whose severity berth.toml lowered).
    pub warnings: Vec<Finding>,
}

/// Why `berth put` wrote nothing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PutError {
    /// No store by that name.
    #[error("`{store}` is not a store")]
    #[diagnostic(code("berth::unknown-store"), help("stores here: {}", known.join(", ")))]
    UnknownStore {
        /// The name given.
        store: String,
        /// The stores objects can be put into.
        known: Vec<String>,
    },
    /// An external store holds nothing in the repository.
    #[error("`{store}` is an external store: its objects live outside the repository")]
    #[diagnostic(
        code("berth::external-store"),
        help("put objects into a store the repository holds")
    )]
    ExternalStore {
        /// The name given.
        store: String,
    },
    /// An input file could not be read.
    #[error("could not read `{file}`")]
    #[diagnostic(
        code("berth::unreadable-input"),
        help("check the path and the file's permissions")
    )]
    Read {
        /// The file as given.
        file: String,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// Some file failed validation.
    #[error("nothing was written: {} in the files given", plural(.0.len(), "problem"))]
    #[diagnostic(
        code("berth::invalid-object"),
        help("fix the problems reported below and put the files again")
    )]
    Invalid(#[related] Vec<Finding>),
    /// A file could not be written; what was written is removed again.
    #[error("could not write `{path}`; nothing was written")]
    #[diagnostic(code("berth::io"), help("check that the repository is writable"))]
    Write {
        /// The repository path.
        path: String,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// The way to the object's file goes through a link or a non-directory.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsafe(#[from] UnsafePath),
    /// The object's file could not be read back.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// The commit failed; the files written are removed again.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
}

struct Input {
    file: String,
    bytes: Vec<u8>,
    format: Format,
    data: Value,
    hash: ObjectHash,
    partition: Option<String>,
}

/// Validates, hashes and writes files into a store: either every file is put or
/// nothing is written. A commit is refused before anything is written while
/// berth.toml is not committed on the branch.
pub fn put(workspace: &Workspace, request: &PutRequest<'_>) -> Result<PutOutcome, PutError> {
    if request.commit.is_some() {
        workspace.require_committed_settings()?;
    }
    let store = request.store;
    let kind = match workspace.kinds.get(store) {
        Some(StoreDef::Held(kind)) => kind.clone(),
        Some(StoreDef::External) => {
            return Err(PutError::ExternalStore {
                store: store.to_owned(),
            });
        }
        None => {
            return Err(PutError::UnknownStore {
                store: store.to_owned(),
                known: workspace.kinds.held_names(),
            });
        }
    };
    let (mut inputs, mut findings) = read_inputs(workspace, request.files)?;
    let batch: HashSet<ObjectHash> = inputs.iter().map(|input| input.hash).collect();
    let resolver = PutResolver {
        root: workspace.root(),
        store,
        batch: &batch,
    };
    for input in &mut inputs {
        let checked = object::check_object(
            kind.as_ref(),
            &workspace.kinds,
            &resolver,
            &input.file,
            &input.bytes,
            input.format,
            &input.data,
        );
        input.partition = checked.partition;
        findings.extend(checked.findings);
        if store == EVENTS {
            findings.extend(
                crate::check::event_package(
                    &workspace.tree,
                    &resolver,
                    &input.file,
                    input.format,
                    &input.bytes,
                )
                .map_err(|error| PutError::Read {
                    file: input.file.clone(),
                    error: std::io::Error::other(error.to_string()),
                })?,
            );
        }
    }
    let mut findings = apply_severities(&workspace.settings, findings);
    let order = |finding: &Finding| request.files.iter().position(|f| f.name == finding.file);
    findings.sort_by_key(|finding| {
        (
            order(finding),
            finding.location.as_ref().map(|l| l.span.start),
        )
    });
    if findings.iter().any(Finding::is_error) {
        return Err(PutError::Invalid(findings));
    }
    let mut written = Vec::new();
    let result = write_and_commit(workspace, request, &inputs, &mut written);
    if result.is_err() {
        for path in written.iter().rev() {
            remove_created(workspace, path);
        }
    }
    let (objects, commit, pushed) = result?;
    Ok(PutOutcome {
        objects,
        commit,
        pushed,
        warnings: findings,
    })
}

/// Removes a file this put created a moment ago, and the partition and store
/// directories above it if that leaves them empty. Best effort: the put has
/// already failed, and says so.
fn remove_created(workspace: &Workspace, path: &Path) {
    let _ = std::fs::remove_file(path);
    let objects = workspace.tree.path_of(OBJECTS_DIR);
    for dir in path.ancestors().skip(1).take_while(|dir| *dir != objects) {
        // Fails, harmlessly, on a directory that holds anything else.
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
    }
}

fn read_inputs(
    workspace: &Workspace,
    files: &[InputFile],
) -> Result<(Vec<Input>, Vec<Finding>), PutError> {
    let limit = workspace.settings.max_object_bytes();
    let mut inputs = Vec::new();
    let mut findings = Vec::new();
    for input in files {
        let (path, file) = (&input.path, input.name.clone());
        let format = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(Format::from_extension);
        let Some(format) = format else {
            findings.push(
                Finding::new(Code::BadPath, &file, "is neither a .json nor a .toml file")
                    .with_help("berth reads objects from .json and .toml files"),
            );
            continue;
        };
        let read = match &input.bytes {
            Some(bytes) => Ok(Content::Bytes(bytes.clone())),
            None => read_capped(path, limit),
        };
        let bytes = match read {
            Ok(Content::Bytes(bytes)) if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit => {
                findings.push(object::too_large(
                    &file,
                    u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                    limit,
                ));
                continue;
            }
            Ok(Content::Bytes(bytes)) => bytes,
            Ok(Content::TooLarge { size }) => {
                findings.push(object::too_large(&file, size, limit));
                continue;
            }
            Err(error) => return Err(PutError::Read { file, error }),
        };
        match crate::store::read_object(&file, &bytes, format) {
            Ok((data, hash)) => inputs.push(Input {
                file,
                bytes,
                format,
                data,
                hash,
                partition: None,
            }),
            Err(finding) => findings.push(*finding),
        }
    }
    Ok((inputs, findings))
}

/// The objects put, the commit made and where it was pushed.
type PutDone = (Vec<PutObject>, Option<String>, Option<Pushed>);

fn write_and_commit(
    workspace: &Workspace,
    request: &PutRequest<'_>,
    inputs: &[Input],
    written: &mut Vec<PathBuf>,
) -> Result<PutDone, PutError> {
    let mut objects = Vec::with_capacity(inputs.len());
    let mut to_commit: Vec<FileToCommit> = Vec::new();
    for input in inputs {
        // Checked above: an object without a valid partition has an error finding.
        let partition = input.partition.clone().unwrap_or_default();
        let target = ObjectPath {
            store: request.store.to_owned(),
            partition,
            hash: input.hash,
            format: input.format,
        };
        let (path, bytes, created) = match existing(workspace, &target)? {
            Some((path, bytes)) => (path, bytes, false),
            None => {
                let path = target.path();
                match fs::write_new(workspace.root(), &path, &input.bytes) {
                    Ok(Written::Created) => {
                        written.push(workspace.tree.path_of(&path));
                        (path, input.bytes.clone(), true)
                    }
                    // Another writer put the same object a moment ago.
                    Ok(Written::Existed) => match existing(workspace, &target)? {
                        Some((path, bytes)) => (path, bytes, false),
                        None => (path, input.bytes.clone(), false),
                    },
                    Err(WriteError::Unsafe(refused)) => return Err(refused.into()),
                    Err(WriteError::Io(error)) => return Err(PutError::Write { path, error }),
                }
            }
        };
        if request.commit.is_some() && !to_commit.iter().any(|f| f.path == path) {
            to_commit.push(FileToCommit {
                path: path.clone(),
                bytes,
            });
        }
        objects.push(PutObject {
            file: input.file.clone(),
            object: target.object_ref().to_string(),
            store: target.store.clone(),
            partition: target.partition.clone(),
            hash: input.hash.to_hex(),
            path,
            created,
        });
    }
    let Some(onto) = request.commit else {
        return Ok((objects, None, None));
    };
    let message = match request.message {
        Some(message) => message.to_owned(),
        None => default_message(request.store, &objects),
    };
    let (commit, pushed) = match &request.push {
        Some(push) => {
            let (commit, pushed) = workspace
                .git
                .commit_files_pushed(&to_commit, &message, onto, push)?;
            (commit, Some(pushed))
        }
        None => (
            workspace
                .git
                .commit_files_onto(&to_commit, &message, onto)?,
            None,
        ),
    };
    Ok((objects, commit.map(|oid| oid.to_string()), pushed))
}

/// The file already holding this object in its partition, in either format, and
/// its bytes. A file there whose data does not match its name is refused rather
/// than trusted.
fn existing(
    workspace: &Workspace,
    target: &ObjectPath,
) -> Result<Option<(String, Vec<u8>)>, PutError> {
    let limit = workspace.settings.max_object_bytes();
    for format in [Format::Json, Format::Toml] {
        let candidate = ObjectPath {
            format,
            ..target.clone()
        }
        .path();
        // Read as every repository file is: a link there is refused, not followed,
        // and a FIFO is not opened.
        let bytes = match workspace.tree.read(&candidate, limit) {
            Ok(Some(Content::Bytes(bytes))) => bytes,
            // Larger than any object: not this one.
            Ok(Some(Content::TooLarge { .. })) => Vec::new(),
            Ok(None) => continue,
            Err(SourceError::Io { error, .. }) => {
                return Err(PutError::Read {
                    file: candidate,
                    error,
                });
            }
            Err(refused) => return Err(PutError::Invalid(refused.finding().into_iter().collect())),
        };
        let intact = crate::store::read_object(&candidate, &bytes, format)
            .is_ok_and(|(_, hash)| hash == target.hash);
        if !intact {
            return Err(PutError::Invalid(vec![Finding::new(
                Code::HashMismatch,
                &candidate,
                "already holds this object's name, but its data does not hash to it",
            )]));
        }
        return Ok(Some((candidate, bytes)));
    }
    Ok(None)
}

fn default_message(store: &str, objects: &[PutObject]) -> String {
    let mut message = match objects {
        [one] => format!(
            "berth put: {store}/{} ({})",
            one.hash.get(..12).unwrap_or(&one.hash),
            one.partition
        ),
        _ => format!("berth put: {} objects into {store}", objects.len()),
    };
    message.push_str("\n\n");
    for object in objects {
        message.push_str(&format!("{} {}\n", object.object, object.partition));
    }
    message
}

/// Resolves references against the working tree and the files being put together.
struct PutResolver<'a> {
    root: &'a Path,
    store: &'a str,
    batch: &'a HashSet<ObjectHash>,
}

impl Resolve for PutResolver<'_> {
    fn contains(&self, store: &str, hash: &ObjectHash) -> bool {
        if store == self.store && self.batch.contains(hash) {
            return true;
        }
        let Ok(partitions) = std::fs::read_dir(self.root.join(OBJECTS_DIR).join(store)) else {
            return false;
        };
        partitions.flatten().any(|partition| {
            let dir = partition.path();
            ["json", "toml"]
                .iter()
                .any(|extension| dir.join(format!("{hash}.{extension}")).is_file())
        })
    }
}

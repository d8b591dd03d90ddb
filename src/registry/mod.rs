//! What changes the component registry: `component add`, `versions import` and
//! `versions sync` (the release manager's component registry and version
//! manager, kept as files). Reading the registry is [`crate::kinds::component`]'s,
//! shared with the validator, so a command refuses what `berth validate` would
//! report.
//!
//! This file holds the errors, `component add`, `versions import` and what
//! both version-map writers share: which entries a list of tags and digests adds
//! ([`plan`]) and appending them. `sync` reads the tags and digests from an
//! image registry ([`crate::oci`]).

mod sync;

pub use sync::{SyncOptions, SyncOutcome, SyncProgress, SyncedComponent, Unwatched, sync};

use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document::{self, Format};
use crate::fs::{UnsafePath, WriteError};
use crate::kinds::component::{
    self, Component, EntrySource, MAX_FILE_BYTES, PlatformDigest, Registry, RegistryFile, Rules,
    VersionEntry, VersionMap, parse_component,
};
use crate::kinds::release::is_digest;
use crate::repo::{CommitError, FileToCommit, Onto, Push, Pushed};
use crate::source::{Content, Source, SourceError};
use crate::workspace::Workspace;

/// Why a registry command wrote nothing.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RegistryError {
    /// The registry, or the file given, has problems.
    #[error("nothing was written: {}", crate::diagnostic::finding::plural(.0.len(), "problem"))]
    #[diagnostic(
        code("berth::invalid-registry"),
        help(
            "fix the problems reported below (`berth validate` lists them too) and run the command again"
        )
    )]
    Invalid(#[related] Vec<Finding>),
    /// No component by that name.
    #[error("`{name}` is not a registered component")]
    #[diagnostic(
        code("berth::unknown-component"),
        help(
            "register it (`berth component add`) with its image repository; `berth component ls` lists the components"
        )
    )]
    UnknownComponent {
        /// The name given.
        name: String,
    },
    /// The component is already registered.
    #[error("component `{name}` is already registered in {path}")]
    #[diagnostic(
        code("berth::component-exists"),
        help("edit {path} and commit it like code; a component's file is reviewed, not replaced")
    )]
    Exists {
        /// The component.
        name: String,
        /// Its file.
        path: String,
    },
    /// Tags that the map records with other digests.
    #[error("{} moved: nothing was written", crate::diagnostic::finding::plural(.0.len(), "recorded tag"))]
    #[diagnostic(
        code("berth::tag-moved"),
        help(
            "a moved tag means the image behind it was replaced: find out who pushed it before trusting the registry again; the version map keeps what it recorded"
        )
    )]
    TagMoved(#[related] Vec<Finding>),
    /// The tag list given could not be read.
    #[error("could not read `{file}`")]
    #[diagnostic(
        code("berth::unreadable-input"),
        help("give a regular file of tags and digests, and check its permissions")
    )]
    Read {
        /// The file as given.
        file: String,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// A file could not be read or written.
    #[error("could not use `{path}`")]
    #[diagnostic(code("berth::io"), help("check the path and its permissions"))]
    Io {
        /// The path.
        path: String,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// The way to a registry file goes through a link or a non-directory.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unsafe(#[from] UnsafePath),
    /// Reading the repository failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// The commit failed; the files are as they were.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
    /// An image registry could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Oci(#[from] crate::oci::OciError),
}

/// What a registry command wrote.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Written {
    /// The files written, relative to the repository root.
    pub files: Vec<String>,
    /// The commit made with `--commit`.
    pub commit: Option<String>,
    /// Where the commit was pushed, with `--push`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pushed: Option<Pushed>,
}

/// Registers a component: writes `components/<name>.toml`.
pub fn add_component(
    workspace: &Workspace,
    component: &Component,
    commit: bool,
    push: Option<&str>,
) -> Result<Written, RegistryError> {
    let path = component::component_path(&component.name);
    if workspace.tree.exists(&path)? {
        return Err(RegistryError::Exists {
            name: component.name.clone(),
            path,
        });
    }
    let text = toml::to_string(component).map_err(|error| RegistryError::Io {
        path: path.clone(),
        error: std::io::Error::other(error),
    })?;
    let (_, findings) = parse_component(&path, text.as_bytes());
    if !findings.is_empty() {
        return Err(RegistryError::Invalid(findings));
    }
    write_files(
        workspace,
        vec![(path, None, text.into_bytes())],
        commit.then(|| format!("Register component {}", component.name)),
        push.map(|remote| Push {
            remote: remote.to_owned(),
            guard: Vec::new(),
        }),
    )
}

/// A tag and the digest it names, as a registry lists them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagDigest {
    /// The tag.
    pub tag: String,
    /// The digest.
    pub digest: String,
    /// For a multi-arch tag read from a registry, each platform's digest (a tag
    /// list file gives none).
    #[serde(skip)]
    pub platforms: Vec<PlatformDigest>,
}

/// Reads a tag list: a JSON array of `{tag, digest}`, or text with one `tag digest`
/// pair per line (blank lines and `#` comments skipped).
pub fn read_tag_list(file: &str, bytes: &[u8]) -> Result<Vec<TagDigest>, Vec<Finding>> {
    const HELP: &str =
        "give a JSON array of {\"tag\", \"digest\"} objects, or one `tag digest` pair per line";
    let text = shown_text(bytes);
    let unreadable = |message: String, span: std::ops::Range<usize>| {
        Finding::new(Code::Parse, file, message)
            .with_help(HELP)
            .at_span(&text, span)
    };
    if let Err(problem) = document::text(bytes) {
        return Err(vec![
            Finding::parse_problem(file, &text, &problem).with_help(
                "a tag list is UTF-8 text: a JSON array, or one `tag digest` pair per line",
            ),
        ]);
    }
    let mut pairs = Vec::new();
    let mut findings = Vec::new();
    if text.trim_start().starts_with('[') {
        let data = document::parse(bytes, Format::Json).map_err(|problem| {
            vec![Finding::parse_problem(file, &text, &problem).with_help(HELP)]
        })?;
        let items = data.as_array().cloned().unwrap_or_default();
        for (index, item) in items.into_iter().enumerate() {
            match serde_json::from_value::<TagDigest>(item) {
                Ok(pair) => pairs.push((pair, format!("/{index}/digest"))),
                Err(error) => findings.push(
                    Finding::new(Code::Parse, file, format!("element {index}: {error}"))
                        .with_help(
                            "each element is {\"tag\": \"v1.2.3\", \"digest\": \"sha256:...\"}",
                        )
                        .at_pointer(&text, Format::Json, &format!("/{index}")),
                ),
            }
        }
        for (pair, pointer) in &pairs {
            if !is_digest(&pair.digest) {
                findings.push(bad_digest(file, &pair.tag, &pair.digest).at_pointer(
                    &text,
                    Format::Json,
                    pointer,
                ));
            }
        }
    } else {
        let mut offset: usize = 0;
        for line in text.split_inclusive('\n') {
            let start = offset;
            offset = offset.saturating_add(line.len());
            let content = line.split('#').next().unwrap_or_default();
            let words: Vec<&str> = content.split_whitespace().collect();
            match words.as_slice() {
                [] => {}
                [tag, digest] => {
                    // The digest's own place: after the tag, which may contain it.
                    let after_tag = content.find(tag).map_or(0, |i| i.saturating_add(tag.len()));
                    let at = content
                        .get(after_tag..)
                        .and_then(|rest| rest.find(digest))
                        .map_or(start, |i| start.saturating_add(after_tag).saturating_add(i));
                    if !is_digest(digest) {
                        findings.push(
                            bad_digest(file, tag, digest)
                                .at_span(&text, at..at.saturating_add(digest.len())),
                        );
                    }
                    pairs.push((
                        TagDigest {
                            tag: (*tag).to_owned(),
                            digest: (*digest).to_owned(),
                            platforms: Vec::new(),
                        },
                        String::new(),
                    ));
                }
                _ => findings.push(unreadable(
                    format!("expected `tag digest`, found {} words", words.len()),
                    start..start.saturating_add(line.trim_end().len()),
                )),
            }
        }
    }
    if findings.is_empty() {
        Ok(pairs.into_iter().map(|(pair, _)| pair).collect())
    } else {
        Err(findings)
    }
}

fn bad_digest(file: &str, tag: &str, digest: &str) -> Finding {
    Finding::new(
        Code::TagNotDigest,
        file,
        format!("tag `{tag}` is listed with `{digest}`, which is not a sha256 digest"),
    )
    .with_label("not a digest")
    .with_help("list each tag with its image digest, `sha256:` and 64 lowercase hex digits (`berth versions sync` reads them from the registry)")
}

/// What `berth versions import` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ImportOutcome {
    /// The component.
    pub component: String,
    /// The entries recorded.
    pub added: Vec<VersionEntry>,
    /// Tags already recorded with the same digest.
    pub known: usize,
    /// Tags that are not versions of the component, and why.
    pub skipped: Vec<SkippedTag>,
    /// What was written.
    pub written: Written,
}

/// A tag import left out.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SkippedTag {
    /// The tag.
    pub tag: String,
    /// Why.
    pub reason: String,
}

/// Imports a tag list into a component's version map: new tags are read by the
/// component's rules and appended; a known tag with another digest refuses the
/// whole import (`tag-moved`).
pub fn import(
    workspace: &Workspace,
    name: &str,
    list: &[TagDigest],
    resolved_at: &str,
    commit: bool,
    push: Option<&str>,
) -> Result<ImportOutcome, RegistryError> {
    let (registry, rules) = component_rules(workspace, name)?;
    let plan = plan(
        &component::versions_path(name),
        registry.entries(name),
        &rules,
        list,
        resolved_at,
        "the list",
    );
    if !plan.moved.is_empty() {
        return Err(RegistryError::TagMoved(plan.moved));
    }
    let written = match appended(workspace, name, &plan.added)? {
        None => Written {
            files: Vec::new(),
            commit: None,
            pushed: None,
        },
        Some(file) => write_files(
            workspace,
            vec![file],
            commit.then(|| {
                format!(
                    "Record {} of {name}",
                    crate::diagnostic::finding::plural(plan.added.len(), "tag")
                )
            }),
            // The new tags were read against the component's rules.
            push.map(|remote| Push {
                remote: remote.to_owned(),
                guard: vec![component::component_path(name)],
            }),
        )?,
    };
    Ok(ImportOutcome {
        component: name.to_owned(),
        added: plan.added,
        known: plan.known,
        skipped: plan.skipped,
        written,
    })
}

/// The registry, with a component's rules: refused if the component's files
/// have problems, it is not registered or its rules do not compile.
fn component_rules(workspace: &Workspace, name: &str) -> Result<(Registry, Rules), RegistryError> {
    let (registry, findings) = Registry::load(&workspace.tree)?;
    let mine: Vec<Finding> = findings
        .into_iter()
        .filter(|f| RegistryFile::parse(&f.file).is_some_and(|file| file.component() == name))
        .collect();
    if !mine.is_empty() {
        return Err(RegistryError::Invalid(mine));
    }
    let component =
        registry
            .components
            .get(name)
            .ok_or_else(|| RegistryError::UnknownComponent {
                name: name.to_owned(),
            })?;
    // The registry holds only components whose rules compiled; should one not,
    // it is refused with what is wrong rather than trusted.
    let rules = component.rules().map_err(|bad| {
        let file = component::component_path(name);
        RegistryError::Invalid(
            bad.into_iter()
                .map(|rule| Finding::new(Code::BadRule, &file, rule.message))
                .collect(),
        )
    })?;
    Ok((registry, rules))
}

/// What a list of tags and digests does to a version map.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The entries to append, in the list's order.
    pub added: Vec<VersionEntry>,
    /// Tags recorded with the same digest.
    pub known: usize,
    /// Tags that are no versions of the component, or whose digest is recorded
    /// under another tag.
    pub skipped: Vec<SkippedTag>,
    /// Recorded tags the list gives another digest (`tag-moved`).
    pub moved: Vec<Finding>,
}

/// The entries a list adds to a version map (`recorded`, at `path`): a new tag
/// is read by the component's rules; a recorded tag with the same digest is
/// known, with another it moved (`from` says where the new digest came from).
/// Both `versions import` and `versions sync` decide with this, so both write
/// the same entries.
pub fn plan(
    path: &str,
    recorded: &[VersionEntry],
    rules: &Rules,
    list: &[TagDigest],
    resolved_at: &str,
    from: &str,
) -> Plan {
    let mut plan = Plan::default();
    for pair in list {
        let same_tag = recorded
            .iter()
            .chain(plan.added.iter())
            .find(|entry| entry.tag == pair.tag);
        match same_tag {
            Some(entry) if entry.digest == pair.digest => {
                plan.known = plan.known.saturating_add(1);
                continue;
            }
            Some(entry) => {
                plan.moved.push(Finding::new(
                    Code::TagMoved,
                    path,
                    format!(
                        "tag `{}` is recorded with {} and {from} has {}",
                        pair.tag, entry.digest, pair.digest
                    ),
                ));
                continue;
            }
            None => {}
        }
        if let Some(entry) = recorded
            .iter()
            .chain(plan.added.iter())
            .find(|e| e.digest == pair.digest)
        {
            plan.skipped.push(SkippedTag {
                tag: pair.tag.clone(),
                reason: format!("its digest is recorded as `{}`", entry.tag),
            });
            continue;
        }
        match rules.read(&pair.tag) {
            Ok(reading) => plan.added.push(VersionEntry {
                tag: pair.tag.clone(),
                digest: pair.digest.clone(),
                build_metadata: reading
                    .semver
                    .as_ref()
                    .filter(|v| !v.build.is_empty())
                    .map(|v| v.build.to_string()),
                semver: reading.semver.map(|v| v.to_string()),
                channel: reading.channel,
                prerelease: reading.prerelease,
                resolved_at: resolved_at.to_owned(),
                source: EntrySource::Auto,
                platforms: pair.platforms.clone(),
            }),
            Err(skip) => plan.skipped.push(SkippedTag {
                tag: pair.tag.clone(),
                reason: skip.to_string(),
            }),
        }
    }
    plan
}

/// A component's version map with entries appended (none to append: nothing
/// to write).
fn appended(
    workspace: &Workspace,
    name: &str,
    added: &[VersionEntry],
) -> Result<Option<FileWrite>, RegistryError> {
    if added.is_empty() {
        return Ok(None);
    }
    let path = component::versions_path(name);
    let previous = match workspace.tree.read(&path, MAX_FILE_BYTES)? {
        Some(Content::Bytes(bytes)) => Some(bytes),
        _ => None,
    };
    let mut bytes = previous.clone().unwrap_or_default();
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    if !bytes.is_empty() {
        bytes.push(b'\n');
    }
    let appended = toml::to_string(&VersionMap {
        versions: added.to_vec(),
    })
    .map_err(|error| RegistryError::Io {
        path: path.clone(),
        error: std::io::Error::other(error),
    })?;
    bytes.extend_from_slice(appended.as_bytes());
    Ok(Some((path, previous, bytes)))
}

/// A registry file to write: its path, what it held before (if it existed) and
/// what it will hold.
type FileWrite = (String, Option<Vec<u8>>, Vec<u8>);

/// Writes registry files (each under a temporary name, then renamed) and commits
/// them if asked; if the commit fails, the files are put back as they were. A
/// commit onto a branch without berth.toml is refused before anything is written.
fn write_files(
    workspace: &Workspace,
    files: Vec<FileWrite>,
    message: Option<String>,
    push: Option<Push>,
) -> Result<Written, RegistryError> {
    if message.is_some() {
        workspace.require_committed_settings()?;
    }
    let restore = |files: &[FileWrite]| {
        for (path, previous, _) in files {
            // Best effort: the command has failed already and says so.
            let _ = match previous {
                Some(bytes) => crate::fs::replace_in(workspace.root(), path, bytes),
                None => std::fs::remove_file(workspace.tree.path_of(path)).map_err(Into::into),
            };
        }
    };
    for (index, (path, _, bytes)) in files.iter().enumerate() {
        if let Err(error) = crate::fs::replace_in(workspace.root(), path, bytes) {
            restore(files.get(..index).unwrap_or_default());
            return Err(match error {
                WriteError::Unsafe(refused) => RegistryError::Unsafe(refused),
                WriteError::Io(error) => RegistryError::Io {
                    path: path.clone(),
                    error,
                },
            });
        }
    }
    let mut pushed = None;
    let commit = match message {
        Some(message) => {
            let to_commit: Vec<FileToCommit> = files
                .iter()
                .map(|(path, _, bytes)| FileToCommit {
                    path: path.clone(),
                    bytes: bytes.clone(),
                })
                .collect();
            let committed = match &push {
                Some(push) => workspace
                    .git
                    .commit_files_pushed(&to_commit, &message, Onto::Tip, push)
                    .map(|(commit, to)| {
                        pushed = Some(to);
                        commit
                    }),
                None => workspace.git.commit_files(&to_commit, &message),
            };
            match committed {
                Ok(commit) => commit.map(|id| id.to_string()),
                Err(error) => {
                    restore(&files);
                    return Err(error.into());
                }
            }
        }
        None => None,
    };
    Ok(Written {
        files: files.into_iter().map(|(path, _, _)| path).collect(),
        commit,
        pushed,
    })
}

/// Reads a tag list file from disk.
pub fn read_tag_file(path: &Path, name: &str) -> Result<Vec<TagDigest>, RegistryError> {
    let bytes = crate::source::read_input(path).map_err(|error| RegistryError::Read {
        file: name.to_owned(),
        error,
    })?;
    read_tag_list(name, &bytes).map_err(RegistryError::Invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bad digest is marked where it stands, also when the tag before it
    /// contains the same text.
    #[test]
    fn a_bad_digest_is_marked_after_its_tag() {
        let text = "v1 sha256:abc\nlatest-2 2\n";
        let findings = read_tag_list("tags.txt", text.as_bytes()).unwrap_err();
        let columns: Vec<(usize, usize)> = findings
            .iter()
            .map(|f| {
                let start = f.location.as_ref().unwrap().start;
                (start.line, start.column)
            })
            .collect();
        assert_eq!(columns, [(1, 4), (2, 10)]);
    }

    /// A JSON list that does not parse is the parse finding every file gets,
    /// with the tag list's help.
    #[test]
    fn a_json_list_that_does_not_parse_is_a_parse_finding() {
        let cases = [
            ("[{\"tag\": \"v1\",", Code::Parse),
            (
                "[{\"tag\": \"v1\", \"tag\": \"v2\", \"digest\": \"sha256:0\"}]",
                Code::DuplicateKey,
            ),
        ];
        for (text, code) in cases {
            let findings = read_tag_list("tags.json", text.as_bytes()).unwrap_err();
            let [finding] = findings.as_slice() else {
                panic!("{text}: {findings:?}");
            };
            assert_eq!(finding.code, code, "{text}");
            assert!(finding.location.is_some(), "{text}");
            assert!(finding.help.contains("JSON array"), "{text}");
        }
    }
}

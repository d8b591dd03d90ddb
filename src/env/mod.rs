//! Environments: an environment is a git ref whose first-parent commits are its
//! promotion log. Promotion, rollback, lineage, history, status and time travel
//! read and write git objects directly, never the working tree, so an environment
//! is usable from its ref alone.

pub mod audit;
pub mod fetch;
pub mod log;
mod objects;
pub mod promote;
pub mod provenance;
pub mod pull_request;
pub mod query;
pub mod signature;
pub mod state;
pub mod tip;

use std::fmt;
use std::str::FromStr;

use miette::{NamedSource, SourceSpan};

use crate::names;
use crate::repo::{CommitInfo, Git, GitError, ShallowHistory, Stamp};
use crate::settings::{EnvironmentSection, Settings};
use log::first_parents;
use state::{STATE_FILE, State};
use tip::{RemoteRead, Tip};

/// Why an environment could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum EnvError {
    /// No environment by that name in berth.toml.
    #[error("`{name}` is not an environment in berth.toml")]
    #[diagnostic(
        code("berth::unknown-environment"),
        help("environments here: {}; add [environments.{name}] to berth.toml to make one", known.join(", "))
    )]
    UnknownEnvironment {
        /// The name given.
        name: String,
        /// The environments berth.toml defines.
        known: Vec<String>,
    },
    /// The environment holds nothing for the package.
    #[error("{environment} holds nothing for `{package}`{}", at.as_ref().map(|t| format!(" at {t}")).unwrap_or_default())]
    #[diagnostic(
        code("berth::not-held"),
        help("`berth status` shows what each environment holds")
    )]
    NotHeld {
        /// The package.
        package: String,
        /// The environment.
        environment: String,
        /// The time asked about, if any.
        at: Option<String>,
    },
    /// An environment commit berth cannot read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    BadState(Box<BadState>),
    /// A git operation failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// The working tree's lifecycle events could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Events(Box<crate::source::SourceError>),
    /// The answer needs history a shallow clone does not have.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Shallow(#[from] ShallowHistory),
    /// The catalog branch is not in the repository, so no step from it can be
    /// verified.
    #[error(
        "the catalog branch `{catalog}` is not in this repository, so nothing shows that an object came from it"
    )]
    #[diagnostic(
        code("berth::no-catalog"),
        help(
            "fetch the catalog branch (`git fetch origin {catalog}:{catalog}`) and run the command again"
        )
    )]
    NoCatalog {
        /// The catalog branch berth.toml names.
        catalog: String,
    },
    /// An entry whose path back to the catalog cannot be verified.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Unverified(Box<Unverified>),
}

/// An entry whose promotion path cannot be verified: a commit on it claims what
/// its parents and trees do not show (DESIGN.md section 3, "Lineage").
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{package}@{environment} cannot be traced back to the catalog: {reason}")]
#[diagnostic(
    code("berth::promotion-path"),
    help(
        "berth shows only a path it can verify; `git show {commit}` shows the commit at fault, and `berth check` every entry that cannot be verified"
    )
)]
pub struct Unverified {
    /// The package.
    pub package: String,
    /// The environment asked about.
    pub environment: String,
    /// The commit whose claim does not hold.
    pub commit: String,
    /// What does not hold.
    pub reason: String,
}

/// An environment commit whose state.toml or trailers berth cannot read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{refname}` at {commit}: {message}")]
#[diagnostic(
    code("berth::bad-state"),
    help(
        "environment commits are written by `berth promote` and `berth rollback`; find the last good one with `git reflog {refname}`"
    )
)]
pub struct BadState {
    /// The environment's ref.
    pub refname: String,
    /// The commit, by its first 12 digits as berth prints every commit.
    pub commit: String,
    /// What is wrong.
    pub message: String,
    /// The file or message at fault.
    #[source_code]
    pub text: NamedSource<String>,
    /// Where.
    #[label("here")]
    pub span: Option<SourceSpan>,
}

impl EnvError {
    /// A commit of `refname` that berth cannot read, with the text at fault.
    pub fn bad_state(
        refname: &str,
        commit: impl ToString,
        message: String,
        (name, text): (&str, String),
        span: Option<std::ops::Range<usize>>,
    ) -> EnvError {
        use crate::diagnostic::finding::{MAX_ECHO, clip, printable, printable_text};
        // What is quoted came from a commit anyone could have made: shown only when
        // it is short, printable as it is and marked on character boundaries, so a
        // forged state.toml can neither flood nor drive the terminal.
        let shown = text.len() <= SHOWN_STATE_BYTES
            && printable_text(&text) == text.as_str()
            && span.as_ref().is_none_or(|span| {
                text.is_char_boundary(span.start) && text.is_char_boundary(span.end)
            });
        let (text, span) = if shown {
            (text, span)
        } else {
            (String::new(), None)
        };
        EnvError::BadState(Box::new(BadState {
            refname: refname.to_owned(),
            commit: commit.to_string().chars().take(12).collect(),
            message: clip(&printable(&message), MAX_ECHO).into_owned(),
            text: NamedSource::new(name, text),
            span: span.map(SourceSpan::from),
        }))
    }
}

/// The largest state.toml or commit message a [`BadState`] quotes.
const SHOWN_STATE_BYTES: usize = 16 * 1024;

/// A time given with `--at` that is not an RFC 3339 instant.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("`{text}` is not a time: {reason}")]
#[diagnostic(
    code("berth::bad-time"),
    help("give an RFC 3339 date-time with an offset, such as 2025-05-01T12:00:00Z")
)]
pub struct BadTime {
    /// What was given.
    pub text: String,
    /// Why it is not a time.
    pub reason: String,
}

/// Parses `--at`: an RFC 3339 date-time with an offset.
pub fn parse_at(text: &str) -> Result<jiff::Timestamp, BadTime> {
    crate::time::parse(text).map_err(|error| BadTime {
        text: text.to_owned(),
        reason: error.reason,
    })
}

/// A package in an environment: `<package>@<env>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAt {
    /// The package.
    pub package: String,
    /// The environment.
    pub environment: String,
}

/// A string that is not `<package>@<env>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("`{text}` is not <package>@<environment>: {reason}")]
#[diagnostic(
    code("berth::bad-ref"),
    help("name a package in an environment as <package>@<environment>, such as search@production")
)]
pub struct BadPackageAt {
    /// What was given.
    pub text: String,
    /// What is wrong.
    pub reason: String,
}

impl FromStr for PackageAt {
    type Err = BadPackageAt;

    fn from_str(text: &str) -> Result<PackageAt, BadPackageAt> {
        let bad = |reason: String| BadPackageAt {
            text: text.to_owned(),
            reason,
        };
        let (package, environment) = text
            .split_once('@')
            .ok_or_else(|| bad("there is no `@`".to_owned()))?;
        names::check(package).map_err(|error| bad(format!("the package {error}")))?;
        names::check(environment).map_err(|error| bad(format!("the environment {error}")))?;
        Ok(PackageAt {
            package: package.to_owned(),
            environment: environment.to_owned(),
        })
    }
}

impl fmt::Display for PackageAt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.package, self.environment)
    }
}

/// An environment's settings, or the error naming the environments there are.
pub fn section<'a>(settings: &'a Settings, name: &str) -> Result<&'a EnvironmentSection, EnvError> {
    settings
        .environment(name)
        .ok_or_else(|| EnvError::UnknownEnvironment {
            name: name.to_owned(),
            known: settings
                .environment_order()
                .iter()
                .map(|n| (*n).to_owned())
                .collect(),
        })
}

/// An environment as of one commit.
#[derive(Debug, Clone)]
pub struct EnvView {
    /// The environment.
    pub name: String,
    /// The ref read: its own, or for a reader in a clone without it, the
    /// remote-tracking ref.
    pub refname: String,
    /// The commit read: the tip, or the newest at or before `--at`; `None` if the
    /// environment had not been opened.
    pub commit: Option<CommitInfo>,
    /// What it holds.
    pub state: State,
    /// The remote-tracking ref read in place of the environment's own, if it was.
    pub remote_read: Option<RemoteRead>,
}

/// Reads an environment at its own ref, as writers see it: at its tip, or as of
/// a time.
pub fn read(
    git: &Git,
    settings: &Settings,
    name: &str,
    at: Option<jiff::Timestamp>,
) -> Result<EnvView, EnvError> {
    section(settings, name)?;
    let refname = settings.env_ref(name);
    let tip = git.ref_target(&refname)?;
    read_at(git, name, refname, tip, None, at)
}

/// Reads an environment as readers see it (see [`tip`]): at its own ref, or in
/// a clone without one, at the remote's copy; at its tip, or as of a time.
pub fn view(
    git: &Git,
    settings: &Settings,
    name: &str,
    at: Option<jiff::Timestamp>,
) -> Result<EnvView, EnvError> {
    section(settings, name)?;
    let tip = Tip::locate(git, settings, name)?;
    view_of(git, &tip, at)
}

/// Reads an environment where [`Tip::read`] says, at its tip or as of a time.
pub fn view_of(git: &Git, tip: &Tip, at: Option<jiff::Timestamp>) -> Result<EnvView, EnvError> {
    let (refname, commit) = tip.read();
    read_at(
        git,
        &tip.name,
        refname.to_owned(),
        commit,
        tip.remote_read(),
        at,
    )
}

fn read_at(
    git: &Git,
    name: &str,
    refname: String,
    tip: Option<crate::repo::Oid>,
    remote_read: Option<RemoteRead>,
    at: Option<jiff::Timestamp>,
) -> Result<EnvView, EnvError> {
    let commit = match at {
        None => tip.map(|id| git.commit(id)).transpose()?,
        Some(at) => {
            let mut found = None;
            for commit in first_parents(git, tip) {
                let commit = commit?;
                if commit.info.committed.seconds <= at.as_second() {
                    found = Some(commit.info);
                    break;
                }
            }
            found
        }
    };
    let state = match &commit {
        Some(commit) => read_state(git, &refname, commit)?,
        None => State::default(),
    };
    Ok(EnvView {
        name: name.to_owned(),
        refname,
        commit,
        state,
        remote_read,
    })
}

/// The state recorded in an environment commit.
pub fn read_state(git: &Git, refname: &str, commit: &CommitInfo) -> Result<State, EnvError> {
    let name = format!("{refname}:{STATE_FILE}");
    let bad = |message: String, text: String, span: Option<std::ops::Range<usize>>| {
        EnvError::bad_state(refname, commit.id, message, (&name, text), span)
    };
    let Some((_, bytes)) = git.read_file(commit.tree, STATE_FILE)? else {
        return Err(bad(
            format!("the commit has no {STATE_FILE}, so it is not an environment commit"),
            String::new(),
            None,
        ));
    };
    let text = String::from_utf8(bytes)
        .map_err(|_| bad(format!("{STATE_FILE} is not UTF-8"), String::new(), None))?;
    State::parse(&text).map_err(|problem| {
        bad(
            format!("{STATE_FILE}: {}", problem.message),
            text.clone(),
            problem.span,
        )
    })
}

/// A commit's time as RFC 3339, in the offset it was recorded with.
pub fn time_of(stamp: &Stamp) -> String {
    let Ok(timestamp) = jiff::Timestamp::from_second(stamp.seconds) else {
        return stamp.seconds.to_string();
    };
    // A hand-made commit may carry any offset: one out of range shows as UTC.
    match stamp
        .offset_minutes
        .checked_mul(60)
        .map(jiff::tz::Offset::from_seconds)
    {
        Some(Ok(offset)) => timestamp.display_with_offset(offset).to_string(),
        _ => timestamp.to_string(),
    }
}

/// `Name <email>`.
pub fn person(stamp: &Stamp) -> String {
    format!("{} <{}>", stamp.name, stamp.email)
}

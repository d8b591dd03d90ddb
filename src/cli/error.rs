//! Errors the commands report, and the exit code each one means.
//!
//! Exit codes: 0 success; 1 the repository or an input breaks an invariant, or a
//! guard refused; 2 usage error; 3 conflict (something moved underneath; retrying
//! may succeed); 4 could not run (not a berth repository, git or I/O failure).

use std::io;
use std::path::PathBuf;

use berth::check::ValidateError;
use berth::config::ConfigError;
use berth::diagnostic::finding::Finding;
use berth::env::fetch::FetchError;
use berth::env::promote::PromoteError;
use berth::env::pull_request::PullRequestError;
use berth::env::{BadPackageAt, BadTime, EnvError};
use berth::lifecycle::MarkError;
use berth::objects::lookup::{BadSpec, LookupError};
use berth::objects::put::PutError;
use berth::registry::RegistryError;
use berth::release::ReleaseError;
use berth::repo::{self, CommitError};
use berth::review::ReviewError;
use berth::settings::LoadError;
use berth::workspace::{InitError, OpenError};

/// The exit code for a refusal or broken invariant.
pub const INVALID: u8 = 1;
/// The exit code for a usage error.
pub const USAGE: u8 = 2;
/// The exit code for a conflict.
pub const CONFLICT: u8 = 3;
/// The exit code for "could not run".
pub const CANNOT_RUN: u8 = 4;

/// Anything a command can fail with.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum CliError {
    /// Opening the repository failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Open(#[from] OpenError),
    /// `berth init` failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Init(#[from] InitError),
    /// `berth put` failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Put(#[from] PutError),
    /// An object could not be named, found or listed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lookup(#[from] LookupError),
    /// An object reference on the command line is malformed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] BadSpec),
    /// A promotion or rollback was refused or failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Promote(#[from] PromoteError),
    /// An environment could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// `berth fetch` failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(#[from] FetchError),
    /// A malformed `<package>@<env>`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    PackageAt(#[from] BadPackageAt),
    /// A malformed `--at`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Time(#[from] BadTime),
    /// `--at` on something that does not change over time.
    #[error("`--at` applies to <package>@<env>; an object named by its hash never changes")]
    #[diagnostic(
        code("berth::at-needs-environment"),
        help("ask what an environment held then: berth show <package>@<env> --at <time>")
    )]
    AtNeedsEnvironment,
    /// `berth diff --format markdown` of two things that are not both releases.
    #[error("`--format markdown` compares two releases; `{from}` and `{to}` are not both releases")]
    #[diagnostic(
        code("berth::format-not-here"),
        help(
            "a diff of two environments or of other objects prints as human or json; name two releases (<store>/<hash>, a hash prefix or <package>@<env>) for markdown"
        )
    )]
    MarkdownNotHere {
        /// The first thing compared.
        from: String,
        /// The second.
        to: String,
    },
    /// `--format` and `--output` that do not pair up.
    #[error("{message}")]
    #[diagnostic(
        code("berth::bad-outputs"),
        help("give each report as `--format F --output FILE`; at most one format goes to stdout")
    )]
    BadOutputs {
        /// What does not pair.
        message: String,
    },
    /// A pre-commit hook berth did not write, or one edited since, is in the way.
    #[error("`{}` is a pre-commit hook {}", path.display(), if *edited { "that was edited after berth wrote it" } else { "berth did not write" })]
    #[diagnostic(
        code("berth::hook-exists"),
        help(
            "add `berth validate --staged --base HEAD` to that hook yourself, or replace it with `berth hook install --force`"
        )
    )]
    HookExists {
        /// The hook.
        path: PathBuf,
        /// Whether berth wrote it and someone changed it since.
        edited: bool,
    },
    /// A registry command failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Registry(#[from] RegistryError),
    /// A release command failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Release(#[from] ReleaseError),
    /// A config command failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] ConfigError),
    /// `berth mark` failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Mark(#[from] MarkError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] berth::time::BadEpoch),
    /// A `KEY=VALUE` flag without `=`.
    #[error("`{flag} {text}` is not KEY=VALUE")]
    #[diagnostic(
        code("berth::bad-pair"),
        help("write {flag} as KEY=VALUE; the command's --help shows an example")
    )]
    BadPair {
        /// The flag.
        flag: String,
        /// What was given.
        text: String,
    },
    /// A file of the repository could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] berth::source::SourceError),
    /// Validation could not run.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Validate(#[from] ValidateError),
    /// The demo needs an empty directory.
    #[error("`{}` is not empty; the demo builds a new repository", path.display())]
    #[diagnostic(
        code("berth::demo-dir-not-empty"),
        help("give a new or empty directory, or none for a temporary one")
    )]
    DemoDirNotEmpty {
        /// The directory given.
        path: PathBuf,
    },
    /// A step of the demo did not behave as the demo expects.
    #[error("demo step `{command}` exited with {actual}, expected {expected}")]
    #[diagnostic(
        code("berth::demo-failed"),
        help("this is a bug in berth; please report it with the output above")
    )]
    DemoStep {
        /// The command.
        command: String,
        /// Its exit code.
        actual: u8,
        /// The exit code the demo expects.
        expected: u8,
    },
    /// Reading or writing a file failed.
    #[error("could not use `{}`", path.display())]
    #[diagnostic(code("berth::io"), help("check the path and its permissions"))]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// Standard output could not take the results (a full disk); a closed pipe
    /// is not this error.
    #[error("could not write the output")]
    #[diagnostic(
        code("berth::output"),
        help("check that the disk or file standard output goes to has room and is writable")
    )]
    Output {
        /// Why.
        #[source]
        error: io::Error,
    },
    /// A git operation failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] repo::GitError),
    /// Opening or creating a git repository failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Repo(#[from] repo::OpenError),
    /// A revision or the index could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Files(#[from] repo::FilesError),
    /// `berth review` could not review.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Review(#[from] ReviewError),
    /// What `berth check`'s pull request is into could not be told, or an
    /// environment's commit named is not one.
    #[error(transparent)]
    #[diagnostic(transparent)]
    PullRequest(#[from] PullRequestError),
}

impl CliError {
    /// The exit code this error means.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Open(error) => open_code(error),
            CliError::Init(
                InitError::AlreadyInitialized { .. } | InitError::NotCommitted { .. },
            ) => INVALID,
            CliError::Init(InitError::Io { .. } | InitError::Repo(_)) => CANNOT_RUN,
            CliError::Init(InitError::Commit(error)) => commit_code(error),
            CliError::Put(error) => put_code(error),
            CliError::Registry(error) => registry_code(error),
            CliError::Release(error) => release_code(error),
            CliError::Config(error) => config_code(error),
            CliError::Mark(MarkError::Put(error)) => put_code(error),
            CliError::Mark(MarkError::Env(error)) => env_code(error),
            CliError::Mark(MarkError::Source(error)) => source_code(error),
            CliError::Mark(MarkError::Serialize(_)) => CANNOT_RUN,
            CliError::BadPair { .. } | CliError::Epoch(_) => USAGE,
            CliError::Mark(MarkError::Epoch(_)) => USAGE,
            CliError::Mark(MarkError::NotPromotable { .. }) => INVALID,
            CliError::Lookup(error) => lookup_code(error),
            CliError::Spec(_) => USAGE,
            CliError::Promote(error) => promote_code(error),
            CliError::Env(error) => env_code(error),
            CliError::Fetch(error) => fetch_code(error),
            CliError::PackageAt(_)
            | CliError::Time(_)
            | CliError::AtNeedsEnvironment
            | CliError::MarkdownNotHere { .. }
            | CliError::BadOutputs { .. } => USAGE,
            CliError::Validate(error) => validate_code(error),
            CliError::Source(error) => source_code(error),
            CliError::DemoDirNotEmpty { .. } => USAGE,
            CliError::HookExists { .. } => CONFLICT,
            CliError::DemoStep { .. } => INVALID,
            CliError::Files(error) => files_code(error),
            CliError::Review(error) => review_code(error),
            CliError::PullRequest(error) => pull_request_code(error),
            CliError::Io { .. }
            | CliError::Output { .. }
            | CliError::Git(_)
            | CliError::Repo(_) => CANNOT_RUN,
        }
    }

    /// The findings behind the error, for `--format json`.
    pub fn findings(&self) -> &[Finding] {
        match self {
            CliError::Open(OpenError::Settings(LoadError::Invalid(findings)))
            | CliError::Put(PutError::Invalid(findings))
            | CliError::Release(ReleaseError::Put(PutError::Invalid(findings)))
            | CliError::Release(ReleaseError::Registry(findings))
            | CliError::Registry(
                RegistryError::Invalid(findings) | RegistryError::TagMoved(findings),
            )
            | CliError::Promote(PromoteError::InvalidObject { findings, .. })
            | CliError::Config(
                ConfigError::Invalid { findings, .. }
                | ConfigError::Broken { findings, .. }
                | ConfigError::Put(PutError::Invalid(findings)),
            ) => findings,
            _ => &[],
        }
    }
}

fn files_code(error: &repo::FilesError) -> u8 {
    match error {
        repo::FilesError::BadRevision(_) => USAGE,
        repo::FilesError::Git(_) | repo::FilesError::Plumbing(_) | repo::FilesError::Shallow(_) => {
            CANNOT_RUN
        }
    }
}

fn review_code(error: &ReviewError) -> u8 {
    match error {
        ReviewError::Revision(_) | ReviewError::Epoch(_) => USAGE,
        ReviewError::PullRequest(error) => pull_request_code(error),
        ReviewError::Files(error) => files_code(error),
        ReviewError::Env(error) => env_code(error),
        ReviewError::Validate(error) => validate_code(error),
        ReviewError::Source(error) => source_code(error),
        ReviewError::Git(_) => CANNOT_RUN,
    }
}

fn pull_request_code(error: &PullRequestError) -> u8 {
    match error {
        PullRequestError::Revision(_)
        | PullRequestError::UnknownEnvironment { .. }
        | PullRequestError::NotEnvironment { .. }
        | PullRequestError::WhichEnvironment { .. }
        | PullRequestError::NamedBesides { .. } => USAGE,
        PullRequestError::Files(error) => files_code(error),
        PullRequestError::Env(error) => env_code(error),
        PullRequestError::Settings(error) => settings_code(error),
        PullRequestError::Git(_) | PullRequestError::NoCatalog { .. } => CANNOT_RUN,
    }
}

fn put_code(error: &PutError) -> u8 {
    match error {
        PutError::UnknownStore { .. } | PutError::ExternalStore { .. } => USAGE,
        PutError::Read { error, .. } => input_code(error),
        PutError::Write { .. } => CANNOT_RUN,
        PutError::Invalid(_) | PutError::Unsafe(_) => INVALID,
        PutError::Source(error) => source_code(error),
        PutError::Commit(error) => commit_code(error),
    }
}

fn registry_code(error: &RegistryError) -> u8 {
    match error {
        RegistryError::Invalid(_)
        | RegistryError::Unsafe(_)
        | RegistryError::UnknownComponent { .. }
        | RegistryError::Exists { .. }
        // A tag that names other bytes is tampering, not a race: trying again
        // cannot succeed.
        | RegistryError::TagMoved(_) => INVALID,
        RegistryError::Read { error, .. } => input_code(error),
        RegistryError::Io { .. } => CANNOT_RUN,
        RegistryError::Source(error) => source_code(error),
        RegistryError::Commit(error) => commit_code(error),
        RegistryError::Oci(berth::oci::OciError::Reference { .. }) => INVALID,
        // The registry, the network or its credentials: like a remote that fails.
        RegistryError::Oci(_) => CANNOT_RUN,
    }
}

fn release_code(error: &ReleaseError) -> u8 {
    match error {
        ReleaseError::BadName { .. }
        | ReleaseError::BadVersion { .. }
        | ReleaseError::BadPin { .. }
        | ReleaseError::Twice { .. }
        | ReleaseError::PackageAt(_)
        | ReleaseError::Spec(_)
        | ReleaseError::Epoch(_) => USAGE,
        ReleaseError::NoComponents { .. }
        | ReleaseError::UnknownComponent { .. }
        | ReleaseError::NoVersion { .. }
        | ReleaseError::UnknownPin { .. }
        | ReleaseError::NotARelease { .. }
        | ReleaseError::VersionTaken { .. }
        | ReleaseError::Registry(_) => INVALID,
        ReleaseError::Env(error) => env_code(error),
        ReleaseError::Lookup(error) => lookup_code(error),
        ReleaseError::Put(error) => put_code(error),
        ReleaseError::Config(error) => config_code(error),
        ReleaseError::Source(error) => source_code(error),
        ReleaseError::Serialize(_) => CANNOT_RUN,
    }
}

fn config_code(error: &ConfigError) -> u8 {
    match error {
        ConfigError::BadName(_)
        | ConfigError::BadSetting { .. }
        | ConfigError::SettingsFile { .. }
        | ConfigError::MissingFixed { .. }
        | ConfigError::VersionRange { .. }
        | ConfigError::Epoch(_) => USAGE,
        ConfigError::Read { error, .. } => input_code(error),
        ConfigError::Source(error) => source_code(error),
        ConfigError::Conflict { .. }
        | ConfigError::KeyReused { .. }
        | ConfigError::Uncommitted { .. }
        | ConfigError::Moved { .. } => CONFLICT,
        ConfigError::Invalid { .. }
        | ConfigError::Broken { .. }
        | ConfigError::Unknown { .. }
        | ConfigError::NoSuchVersion { .. }
        | ConfigError::Unresolved { .. }
        | ConfigError::Ambiguous { .. }
        | ConfigError::Unreadable { .. } => INVALID,
        ConfigError::Put(error) => put_code(error),
        ConfigError::Commit(error) => commit_code(error),
        ConfigError::Git(_) | ConfigError::Serialize(_) => CANNOT_RUN,
    }
}

fn open_code(error: &OpenError) -> u8 {
    match error {
        OpenError::Settings(error) => settings_code(error),
        OpenError::Repo(_) => CANNOT_RUN,
    }
}

fn settings_code(error: &LoadError) -> u8 {
    match error {
        LoadError::Invalid(_) => INVALID,
        LoadError::Source(error) => source_code(error),
        LoadError::Missing | LoadError::NotCommitted { .. } | LoadError::NotStaged => CANNOT_RUN,
    }
}

fn commit_code(error: &CommitError) -> u8 {
    match error {
        CommitError::Conflict { .. } | CommitError::Locked { .. } => CONFLICT,
        CommitError::DetachedHead
        | CommitError::CheckedOut { .. }
        | CommitError::RefClash { .. } => INVALID,
        CommitError::SettingsNotCommitted { .. }
        | CommitError::NoIdentity(_)
        | CommitError::Sign(_)
        | CommitError::Git(_) => CANNOT_RUN,
        // berth never publishes commits it was not asked to: the user pushes or
        // drops them first, so trying again alone cannot succeed.
        CommitError::Unpushed { .. }
        | CommitError::WouldOverwrite { .. }
        | CommitError::NotPlain { .. } => INVALID,
        CommitError::RemoteChanged { .. } => CONFLICT,
        CommitError::NotFollowed { .. } => CANNOT_RUN,
        CommitError::Remote(error) => remote_code(error),
    }
}

fn env_code(error: &EnvError) -> u8 {
    match error {
        EnvError::UnknownEnvironment { .. }
        | EnvError::NotHeld { .. }
        | EnvError::BadState(_)
        | EnvError::Unverified(_) => INVALID,
        EnvError::Events(error) => source_code(error),
        EnvError::Git(_) | EnvError::Shallow(_) | EnvError::NoCatalog { .. } => CANNOT_RUN,
    }
}

fn promote_code(error: &PromoteError) -> u8 {
    match error {
        PromoteError::Env(error) => env_code(error),
        PromoteError::Lookup(error) => lookup_code(error),
        PromoteError::BadSpec(_)
        | PromoteError::BadPackageAt(_)
        | PromoteError::BadPackage(_)
        | PromoteError::BadTag { .. }
        | PromoteError::BadReason { .. }
        | PromoteError::DuplicatePackage { .. }
        | PromoteError::NoSource { .. }
        | PromoteError::NothingNamed => USAGE,
        PromoteError::NotFound { .. }
        | PromoteError::NotPromotable { .. }
        | PromoteError::InvalidObject { .. }
        | PromoteError::PromotionPath { .. }
        | PromoteError::NotReady { .. }
        | PromoteError::ReadyNotCommitted { .. }
        | PromoteError::KeyNotAllowed { .. }
        | PromoteError::ArtifactDeleted { .. }
        | PromoteError::Failed { .. }
        | PromoteError::Deprecated { .. }
        | PromoteError::NoPrevious { .. }
        | PromoteError::OverrideNotAllowed { .. } => INVALID,
        PromoteError::Conflict { .. }
        | PromoteError::Contended { .. }
        | PromoteError::SourceMoved { .. } => CONFLICT,
        PromoteError::Commit(error) => commit_code(error),
        PromoteError::Git(_) => CANNOT_RUN,
        PromoteError::Unpublished(_) => INVALID,
        PromoteError::Diverged(_) => CONFLICT,
        PromoteError::Remote(error) => remote_code(error),
        PromoteError::Fetch(error) => fetch_code(error),
    }
}

/// A remote that moved is a conflict; one that cannot be reached or refuses
/// means berth could not run.
fn remote_code(error: &repo::RemoteError) -> u8 {
    match error {
        repo::RemoteError::RemoteMoved { .. } => CONFLICT,
        repo::RemoteError::UnknownRemote { .. }
        | repo::RemoteError::Unreachable { .. }
        | repo::RemoteError::MissingRef { .. }
        | repo::RemoteError::PushRefused { .. }
        | repo::RemoteError::Command { .. } => CANNOT_RUN,
    }
}

fn fetch_code(error: &FetchError) -> u8 {
    match error {
        FetchError::Remote(error) => remote_code(error),
        FetchError::Untracked { .. } => INVALID,
        FetchError::Commit(error) => commit_code(error),
        FetchError::Git(_) => CANNOT_RUN,
    }
}

fn lookup_code(error: &LookupError) -> u8 {
    match error {
        LookupError::NotFound(_) | LookupError::Ambiguous { .. } => INVALID,
        LookupError::UnknownStore { .. } | LookupError::BadPackage(_) => USAGE,
        LookupError::Source(error) => source_code(error),
    }
}

/// A repository file berth refuses to read (a symlink, a FIFO) breaks the
/// repository's layout; any other read error means berth could not run.
fn source_code(error: &berth::source::SourceError) -> u8 {
    if error.is_refusal() {
        INVALID
    } else {
        CANNOT_RUN
    }
}

fn validate_code(error: &ValidateError) -> u8 {
    match error {
        ValidateError::Source(error) | ValidateError::Settings(LoadError::Source(error)) => {
            source_code(error)
        }
        ValidateError::Settings(LoadError::Invalid(_)) => INVALID,
        ValidateError::Settings(
            LoadError::Missing | LoadError::NotCommitted { .. } | LoadError::NotStaged,
        ) => CANNOT_RUN,
    }
}

/// An input file given on the command line that is missing, unreadable, a
/// directory or not a regular file is a usage error (the README says so); a
/// failure while reading a readable file is not.
fn input_code(error: &io::Error) -> u8 {
    match error.kind() {
        io::ErrorKind::NotFound
        | io::ErrorKind::PermissionDenied
        | io::ErrorKind::IsADirectory
        | io::ErrorKind::NotADirectory
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::FileTooLarge => USAGE,
        _ => CANNOT_RUN,
    }
}

//! Configs as people use them: write the next version under optimistic locking
//! with idempotency keys, read the version in force at a time, follow an id's
//! history, and resolve a type for an asset through its scopes (the config
//! versioning pattern, kept as files).
//!
//! Every answer is read off the version objects: a version is in force from its
//! `effective_at` until the next version's, so `superseded_at` is derived and no
//! file ever changes. An id whose versions break the invariants answers nothing:
//! the query reports the same findings `berth validate` does.

mod edit;
mod history;
mod query;
mod resolve;
mod set;

use std::path::PathBuf;

use crate::diagnostic::finding::{Finding, plural};
use crate::document::MAX_SAFE_INTEGER;
use crate::kinds::config_version::Scope;
use crate::names::BadName;
use crate::objects::put::PutError;
use crate::repo::{CommitError, GitError};
use crate::source::SourceError;
use crate::time::BadEpoch;

pub use edit::{parse_assignment, parse_unset, read_settings_file, settings_diff};
pub use history::{Difference, History, SettingChange, State, Version, VersionView, read};
pub use query::{
    ConfigDiff, FieldChange, HistoryEntry, HistoryReport, Listed, Select, Shown, diff, history_of,
    list, show,
};
pub use resolve::{Found, Look, Resolution, ResolveRequest, resolve};
pub use set::{Fields, NewSettings, SetOutcome, SetRequest, set};

/// Why a config could not be written, read or resolved.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    /// The id is not a name.
    #[error("config id {0}")]
    #[diagnostic(
        code("berth::bad-name"),
        help("use lowercase letters, digits, `.`, `_` and `-`, such as pricing-acct-1")
    )]
    BadName(#[from] BadName),
    /// A `--set` or `--unset` that is not a setting.
    #[error("`{text}` is not a setting: {reason}")]
    #[diagnostic(
        code("berth::bad-setting"),
        help(
            "a setting is KEY=VALUE with a TOML value (rate=0.02, tier=gold, limits.daily=100; a quoted \"text\" stays text); a setting to remove is its KEY"
        )
    )]
    BadSetting {
        /// What was given.
        text: String,
        /// Why it is not one.
        reason: String,
    },
    /// The settings file could not be read as a table.
    #[error("`{file}` is not a settings table: {reason}")]
    #[diagnostic(
        code("berth::bad-setting"),
        help("give a .toml or .json file whose top level is a table of settings")
    )]
    SettingsFile {
        /// The file as given.
        file: String,
        /// Why.
        reason: String,
    },
    /// The settings file could not be opened.
    #[error("could not read `{}`", path.display())]
    #[diagnostic(code("berth::io"), help("check the path and the file's permissions"))]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        error: std::io::Error,
    },
    /// The version expected leaves no version to write.
    #[error(
        "--expect-version {expected} leaves no version to write: config versions stop at {MAX_SAFE_INTEGER} (2^53 − 1)"
    )]
    #[diagnostic(
        code("berth::bad-version"),
        help("give the version you read: `berth config show {id}` shows the current one")
    )]
    VersionRange {
        /// The id.
        id: String,
        /// The version given.
        expected: u64,
    },
    /// Version 1 needs the fields that stay fixed.
    #[error("version 1 of `{id}` needs {}", missing.join(", "))]
    #[diagnostic(
        code("berth::config-fixed-fields"),
        help(
            "version 1 of a config names its type, its category (policy or logic), the entity it applies to and its scope (account, campaign or asset); they stay fixed for its life"
        )
    )]
    MissingFixed {
        /// The id.
        id: String,
        /// The flags missing.
        missing: Vec<&'static str>,
    },
    /// The current version is not the one the writer read.
    #[error("config `{id}` is at version {actual}, not the expected {expected}")]
    #[diagnostic(code("berth::config-conflict"), help("{help}"))]
    Conflict {
        /// The id.
        id: String,
        /// The version the writer expected.
        expected: u64,
        /// The version there is.
        actual: u64,
        /// What to do.
        help: String,
    },
    /// An idempotency key already wrote a version from other data: the request is
    /// not a retry of that write, and writing nothing would lose it.
    #[error(
        "idempotency key `{key}` already wrote version {version} of `{id}`, from other data: {}",
        differences.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    #[diagnostic(
        code("berth::idempotency-key-reused"),
        help(
            "a retry must repeat the request that first used the key, and gets that version back; give a new change a new key (version {version} of `{id}` is what the key wrote)"
        )
    )]
    KeyReused {
        /// The id.
        id: String,
        /// The key.
        key: String,
        /// The version the key wrote.
        version: u64,
        /// What differs between that version and this request.
        differences: Vec<Difference>,
    },
    /// The working tree holds versions the branch does not: committing would
    /// decide on other state than the one on disk.
    #[error("`{id}` has versions in the working tree that the branch does not: {}", files.join(", "))]
    #[diagnostic(
        code("berth::config-uncommitted"),
        help(
            "commit them (or remove them) first; another `berth config set` may be committing right now, so retrying may succeed"
        )
    )]
    Uncommitted {
        /// The id.
        id: String,
        /// The files.
        files: Vec<String>,
    },
    /// The branch moved while the version was being committed, by a commit that
    /// did not touch this config.
    #[error("the branch moved while a version of `{id}` was being committed; nothing was written")]
    #[diagnostic(
        code("berth::conflict"),
        help("someone committed to the branch at the same time; run the command again")
    )]
    Moved {
        /// The id.
        id: String,
    },
    /// The new version would break an invariant.
    #[error("nothing was written: version {version} of `{id}` would break {}", plural(findings.len(), "rule"))]
    #[diagnostic(
        code("berth::invalid-config"),
        help(
            "the findings below say what; `berth config history {id}` shows the versions there are"
        )
    )]
    Invalid {
        /// The id.
        id: String,
        /// The version that was to be written.
        version: u64,
        /// What it would break.
        #[related]
        findings: Vec<Finding>,
    },
    /// The versions there are break an invariant, so no answer can be trusted.
    #[error("the versions of `{id}` break {}; berth answers nothing from them", plural(findings.len(), "rule"))]
    #[diagnostic(
        code("berth::config-history"),
        help(
            "`berth validate` reports the same findings; repair the versions (git keeps every file) and ask again"
        )
    )]
    Broken {
        /// The id.
        id: String,
        /// What the versions break.
        #[related]
        findings: Vec<Finding>,
    },
    /// No config by that id.
    #[error("there is no config `{id}`")]
    #[diagnostic(
        code("berth::no-such-config"),
        help(
            "`berth config ls` lists the configs; a new config is written as version 1, expecting version 0"
        )
    )]
    Unknown {
        /// The id.
        id: String,
    },
    /// No such version of a config.
    #[error("config `{id}` has no version {version}; its highest is {highest}")]
    #[diagnostic(
        code("berth::no-such-config"),
        help("`berth config history {id}` lists its versions")
    )]
    NoSuchVersion {
        /// The id.
        id: String,
        /// The version asked for.
        version: u64,
        /// The highest there is.
        highest: u64,
    },
    /// A fail-closed type has no answer.
    #[error(
        "no `{config_type}` config is in force for {looked} at {at}, and `{config_type}` is fail-closed"
    )]
    #[diagnostic(
        code("berth::config-unresolved"),
        help(
            "create a `{config_type}` config for the entity; berth.toml's [configs] fail_closed lists the types that must resolve (pricing, budget, autonomy and billing unless it says otherwise)"
        )
    )]
    Unresolved {
        /// The type.
        config_type: String,
        /// The entities looked at, in order.
        looked: String,
        /// The time asked about.
        at: String,
    },
    /// Two configs answer for one scope.
    #[error("`{}` are all in force for `{config_type}` on {scope} `{applies_to}` at {at}", ids.join("`, `"))]
    #[diagnostic(
        code("berth::config-ambiguous"),
        help(
            "`berth validate` reports the overlap; supersede one config with a new version of the other"
        )
    )]
    Ambiguous {
        /// The type.
        config_type: String,
        /// The scope.
        scope: Scope,
        /// The entity.
        applies_to: String,
        /// The ids in force.
        ids: Vec<String>,
        /// The time asked about.
        at: String,
    },
    /// A config file could not be read as a config.
    #[error("`{file}` is not a config version: {reason}")]
    #[diagnostic(
        code("berth::invalid-config"),
        help("`berth validate` says what is wrong with it")
    )]
    Unreadable {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// Writing the version failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Put(#[from] PutError),
    /// Reading the branch failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
    /// Reading git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// Reading a file failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] BadEpoch),
    /// The new version could not be serialized.
    #[error("could not write the config as JSON")]
    #[diagnostic(code("berth::io"), help("this is a bug in berth; please report it"))]
    Serialize(#[from] serde_json::Error),
}

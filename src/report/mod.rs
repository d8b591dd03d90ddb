//! What commands print: the JSON documents of `--format json` (here, beside the
//! results the library returns directly, [`crate::objects::put::PutOutcome`] and
//! the like), the validator's reports for CI systems ([`validation`]: GitHub,
//! SARIF, JUnit) and Markdown for pull-request comments ([`markdown`]). The human
//! format, miette's graphical reports, is the command's own (`src/cli/render.rs`).

pub mod markdown;
pub mod short;
pub mod validation;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnostic::finding::Finding;
use crate::objects::lookup::ListedObject;

/// `berth ls --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Listing<'a> {
    /// The objects, by store and partition, newest first within a partition.
    pub objects: &'a [ListedObject],
}

/// What any command prints with `--format json` when it fails.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorReport<'a> {
    /// The error.
    pub error: ErrorBody,
    /// The findings behind it, when it has them (an invalid object or berth.toml).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub findings: &'a [Finding],
}

/// An error: its stable code, what happened and how to fix it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ErrorBody {
    /// The stable code, such as `berth::unknown-store`.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The process's exit code: 1 invalid or refused, 2 usage, 3 conflict, 4 could not run.
    pub exit_code: u8,
}

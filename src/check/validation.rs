//! What a validation found: the findings, what was checked, and the report and
//! summary line made of them.

use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::diagnostic::finding::{self, Finding, plural};

/// What a validation found.
#[derive(Debug, Default)]
pub struct Validation {
    /// Every finding, sorted by file and position.
    pub findings: Vec<Finding>,
    /// How many files were checked.
    pub files_checked: usize,
    /// How long it took.
    pub elapsed: Duration,
}

/// `berth validate --format json`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ValidationReport<'a> {
    /// True when no error was found.
    pub ok: bool,
    /// Every finding, sorted by file and position.
    pub findings: &'a [Finding],
    /// Counts and time.
    pub summary: Summary,
}

/// The counts of a validation.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Summary {
    /// Files checked, berth.toml included.
    pub files_checked: usize,
    /// Findings with severity `error`.
    pub errors: usize,
    /// Findings with severity `warning`.
    pub warnings: usize,
    /// Wall time in milliseconds.
    pub elapsed_ms: u64,
}

impl Validation {
    /// The result as `--format json` reports it.
    pub fn report(&self) -> ValidationReport<'_> {
        ValidationReport {
            ok: self.errors() == 0,
            findings: &self.findings,
            summary: Summary {
                files_checked: self.files_checked,
                errors: self.errors(),
                warnings: self.warnings(),
                elapsed_ms: u64::try_from(self.elapsed.as_millis()).unwrap_or(u64::MAX),
            },
        }
    }

    /// Adds findings made elsewhere (the environment checks), keeping the order.
    pub fn add(&mut self, findings: Vec<Finding>) {
        self.findings.extend(findings);
        self.sort();
    }

    /// Puts the findings in report order: by file, position and code.
    pub(super) fn sort(&mut self) {
        self.findings
            .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    }

    /// Makes every warning an error (`--deny-warnings`).
    pub fn deny_warnings(&mut self) {
        for finding in &mut self.findings {
            finding.severity = finding::Severity::Error;
        }
    }

    /// The number of error findings.
    pub fn errors(&self) -> usize {
        self.findings.iter().filter(|f| f.is_error()).count()
    }

    /// The number of warning findings.
    pub fn warnings(&self) -> usize {
        self.findings.len().saturating_sub(self.errors())
    }
}

/// A summary line: "2 errors, 1 warning in 1204 files (0.31s)".
pub fn summary_line(validation: &Validation) -> String {
    format!(
        "{}, {} in {} ({:.2}s)",
        plural(validation.errors(), "error"),
        plural(validation.warnings(), "warning"),
        plural(validation.files_checked, "file"),
        validation.elapsed.as_secs_f64()
    )
}

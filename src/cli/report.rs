//! The validator's reports: which formats go where (`--format F --output FILE`,
//! several per run), and writing each.

use std::path::PathBuf;

use berth::check::{Validation, summary_line};
use berth::report::validation::{github, junit, sarif};
use clap::ArgMatches;

use super::Format;
use super::error::{CliError, INVALID};
use super::render::{Output, render};

/// One report: a format, and the file it goes to (stdout if none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The format.
    pub format: Format,
    /// The file, or `None` for stdout.
    pub output: Option<PathBuf>,
}

/// Pairs each `--output FILE` with the `--format` just before it on the command
/// line; formats without one go to stdout, and only one may. A single format and a
/// single output pair in either order.
pub fn plan(formats: &[Format], sub: &ArgMatches) -> Result<Vec<Report>, CliError> {
    let format_at: Vec<usize> = sub
        .indices_of("format")
        .map(Iterator::collect)
        .unwrap_or_default();
    let outputs: Vec<PathBuf> = sub
        .get_many::<PathBuf>("output")
        .map(|paths| paths.cloned().collect())
        .unwrap_or_default();
    let output_at: Vec<usize> = sub
        .indices_of("output")
        .map(Iterator::collect)
        .unwrap_or_default();
    let mut reports: Vec<Report> = formats
        .iter()
        .map(|&format| Report {
            format,
            output: None,
        })
        .collect();
    if reports.is_empty() {
        reports.push(Report {
            format: Format::Human,
            output: None,
        });
    }
    if let ([report], [_]) = (reports.as_mut_slice(), outputs.as_slice()) {
        report.output = outputs.into_iter().next();
        return Ok(reports);
    }
    for (path, at) in outputs.into_iter().zip(output_at) {
        let Some(owner) = format_at.iter().rposition(|&format| format < at) else {
            return Err(CliError::BadOutputs {
                message: format!(
                    "`--output {}` follows no `--format`: say which format it is for",
                    path.display()
                ),
            });
        };
        let Some(report) = reports.get_mut(owner) else {
            continue;
        };
        if let Some(first) = &report.output {
            return Err(CliError::BadOutputs {
                message: format!(
                    "`--format {}` has two outputs, `{}` and `{}`",
                    report.format.name(),
                    first.display(),
                    path.display()
                ),
            });
        }
        report.output = Some(path);
    }
    let to_stdout: Vec<String> = reports
        .iter()
        .filter(|report| report.output.is_none())
        .map(|report| report.format.name())
        .collect();
    if to_stdout.len() > 1 {
        return Err(CliError::BadOutputs {
            message: format!(
                "{} would all go to stdout; give all but one an `--output FILE`",
                to_stdout.join(", ")
            ),
        });
    }
    Ok(reports)
}

/// The format of the report on stdout: the one without a file, else human (for
/// errors and the summary).
pub fn stdout_format(reports: &[Report]) -> Format {
    reports
        .iter()
        .find(|report| report.output.is_none())
        .map_or(Format::Human, |report| report.format)
}

/// Writes every report and gives the exit code: 1 when an error was found.
/// `--deny-warnings` makes every warning an error first, so that every report
/// agrees with the exit code.
pub fn emit(
    reports: &[Report],
    mut validation: Validation,
    deny_warnings: bool,
    out: &mut Output,
) -> Result<u8, CliError> {
    if deny_warnings {
        validation.deny_warnings();
    }
    let validation = &validation;
    let failed = validation.errors() > 0;
    let mut stdout_used = false;
    for report in reports {
        match &report.output {
            Some(path) => {
                let text = rendering(report.format, validation, failed, false);
                super::render::write_output(path, &text).map_err(|error| CliError::Io {
                    path: path.clone(),
                    error,
                })?;
            }
            None => {
                stdout_used = true;
                if report.format == Format::Human && out.quiet && validation.findings.is_empty() {
                    continue;
                }
                out.rendered(&rendering(report.format, validation, failed, out.color));
            }
        }
    }
    if !stdout_used {
        let mark = if failed { "failed" } else { "ok" };
        out.note(format!("{mark}: {}", summary_line(validation)));
    }
    Ok(if failed { INVALID } else { 0 })
}

/// A report as text.
fn rendering(format: Format, validation: &Validation, failed: bool, color: bool) -> String {
    match format {
        Format::Human => {
            let mut text: String = validation
                .findings
                .iter()
                .map(|finding| render(finding, color))
                .collect();
            let mark = if failed { "failed" } else { "ok" };
            text.push_str(&format!("{mark}: {}\n", summary_line(validation)));
            text
        }
        Format::Json => pretty(&validation.report()),
        Format::Github => github(validation),
        Format::Sarif => pretty(&sarif(validation)),
        Format::Junit => junit(validation),
        // Not among the formats validate and check take (`formats_of`).
        Format::Markdown => String::new(),
    }
}

fn pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Plain structures and JSON values always serialize.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

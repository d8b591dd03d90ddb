//! Printing: results to stdout, diagnostics to stderr, JSON when asked, and the exit
//! code at the end. A closed pipe ends output quietly; it is not an error. Any
//! other failure to write the output (a full disk) is: the results are lost, so
//! the command exits 4 and says why on stderr.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use berth::diagnostic::ErrorCode;
use berth::diagnostic::finding::printable_text;
use berth::report::{ErrorBody, ErrorReport};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use serde::Serialize;

use super::error::CliError;
use super::hint::Hinted;
use super::{Format, GlobalArgs};

/// Where a command's output goes, and how.
pub struct Output {
    /// Human or JSON.
    pub format: Format,
    /// Whether to use color on stderr.
    pub color: bool,
    /// Print only errors and the results asked for.
    pub quiet: bool,
    /// Print more detail.
    pub verbose: bool,
    /// Stdout can take no more: the reader went away, or writing failed.
    closed: bool,
    /// Why writing to stdout failed, if it failed for another reason than a
    /// closed pipe.
    write_error: Option<io::Error>,
}

impl Output {
    /// Output as the global flags ask, results on stdout in `format`.
    pub fn new(global: &GlobalArgs, format: Format) -> Output {
        let color = !global.no_color
            && std::env::var_os("NO_COLOR").is_none()
            && io::stderr().is_terminal();
        Output {
            format,
            color,
            quiet: global.quiet,
            verbose: global.verbose,
            closed: false,
            write_error: None,
        }
    }

    /// Whether results are printed as JSON.
    pub fn is_json(&self) -> bool {
        self.format == Format::Json
    }

    fn stdout(&mut self, text: &str) {
        if self.closed {
            return;
        }
        let mut stdout = io::stdout().lock();
        if let Err(error) = stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            self.closed = true;
            // The reader went away (`berth ls | head`): stop writing, quietly. Any
            // other failure lost output the caller asked for.
            if error.kind() != io::ErrorKind::BrokenPipe {
                self.write_error = Some(error);
            }
        }
    }

    fn stderr(&mut self, text: &str) {
        let mut stderr = io::stderr().lock();
        // Nothing useful can be done if stderr itself is gone.
        let _ = stderr.write_all(text.as_bytes());
    }

    /// A line of a human result, on stdout.
    pub fn line(&mut self, text: impl Display) {
        self.text(&format!("{text}\n"));
    }

    /// Text of a human result, on stdout. What it shows comes from files and
    /// commits anyone could have written, so a control character in it is shown
    /// as its escape and never reaches the terminal as one.
    pub fn text(&mut self, text: &str) {
        self.stdout(&printable_text(text));
    }

    /// A report rendered by berth itself, whose escapes (colour) are its own and
    /// whose data was made printable as it was rendered.
    pub fn rendered(&mut self, text: &str) {
        self.stdout(text);
    }

    /// A JSON result on stdout.
    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => self.stdout(&format!("{text}\n")),
            Err(error) => self.stderr(&format!("error: could not write JSON: {error}\n")),
        }
    }

    /// A progress or status note on stderr, unless quiet.
    pub fn note(&mut self, text: impl Display) {
        if !self.quiet {
            let text = format!("{text}\n");
            self.stderr(&printable_text(&text));
        }
    }

    /// A diagnostic on stderr.
    pub fn diagnostic(&mut self, diagnostic: &dyn Diagnostic) {
        let text = self.render(diagnostic);
        self.stderr(&text);
    }

    /// A diagnostic as text, with source spans.
    pub fn render(&self, diagnostic: &dyn Diagnostic) -> String {
        render(diagnostic, self.color)
    }

    /// Ends the command: reports an error if there was one, and gives the exit code.
    /// Output that could not be written is an error of its own, whatever the
    /// command's outcome: what it printed is lost.
    pub fn finish(mut self, outcome: Result<u8, CliError>) -> ExitCode {
        let code = match outcome {
            Ok(code) => code,
            Err(error) => {
                let code = error.exit_code();
                let shown = Hinted::new(&error);
                self.diagnostic(&shown);
                if self.is_json() {
                    self.json(&error_report(&shown, &error, code));
                }
                code
            }
        };
        match self.write_error.take() {
            Some(error) => {
                let error = CliError::Output { error };
                self.diagnostic(&error);
                ExitCode::from(error.exit_code())
            }
            None => ExitCode::from(code),
        }
    }
}

/// Writes a report to the file `--output` names. A regular file (or a new one) is
/// written whole under a temporary name and renamed into place, so a reader never
/// sees half a report; anything else the path names (`/dev/stdout`, a FIFO, a
/// terminal) is written into as it is, never replaced by a file.
pub fn write_output(path: &Path, text: &str) -> io::Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir());
    if special {
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        // Checked again on what was opened: a path swapped for a regular file in
        // between is replaced whole, as any regular file is.
        if !file.metadata()?.is_file() {
            file.write_all(text.as_bytes())?;
            return file.flush();
        }
    }
    berth::fs::replace(path, text.as_bytes())
}

/// A diagnostic as text, with source spans, in color or not.
pub fn render(diagnostic: &dyn Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // Paths and hashes must stay whole to be copied: the terminal wraps, not berth.
    let handler = GraphicalReportHandler::new_themed(theme).with_wrap_lines(false);
    let mut text = String::new();
    if handler.render_report(&mut text, diagnostic).is_err() {
        text = format!("{diagnostic}\n");
    }
    text
}

fn error_report<'a>(shown: &Hinted<'_>, error: &'a CliError, exit_code: u8) -> ErrorReport<'a> {
    ErrorReport {
        error: ErrorBody {
            code: error.code().map(|code| code.to_string()),
            message: error.to_string(),
            help: shown.help_text().map(str::to_owned),
            exit_code,
        },
        findings: error.findings(),
    }
}

/// Rows as left-aligned columns separated by two spaces.
pub fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        if let Some((last, padded)) = row.split_last() {
            for (cell, width) in padded.iter().zip(&widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            line.push_str(last);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The JSON error document of a usage error found before any command ran.
pub fn usage_error_json(kind: &str, rendered: &str) {
    let message = rendered
        .lines()
        .next()
        .unwrap_or(kind)
        .trim_start_matches("error: ")
        .to_owned();
    let report = ErrorReport {
        error: ErrorBody {
            code: Some(ErrorCode::Usage.qualified()),
            message,
            help: Some("see `berth help` and the command's --help".to_owned()),
            exit_code: 2,
        },
        findings: &[],
    };
    if let Ok(text) = serde_json::to_string_pretty(&report) {
        // Nothing useful can be done if stdout is gone.
        let _ = writeln!(io::stdout(), "{text}");
    }
}

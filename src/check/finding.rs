//! A finding: one broken invariant, where it is, and how to fix it.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};
use serde::Serialize;

use super::code::Code;
use crate::document::{self, Format};

/// How much a finding matters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Breaks an invariant: validation fails.
    Error,
    /// Worth attention; fails validation only with `--deny-warnings`.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column (the column counts characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl Position {
    /// The position of a byte offset in a text.
    pub fn of(text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line_start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count();
        Position { line, column }
    }
}

/// Where in a file a finding is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The bytes at fault.
    pub span: Range<usize>,
    /// Where they start.
    pub start: Position,
    /// Where they end.
    pub end: Position,
}

impl Location {
    /// The location of a byte range in a text.
    pub fn of(text: &str, span: Range<usize>) -> Location {
        Location {
            start: Position::of(text, span.start),
            end: Position::of(text, span.end),
            span,
        }
    }
}

/// One broken invariant.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong, in one sentence.
    pub message: String,
    /// The file, relative to the repository root (or as given on the command line).
    pub file: String,
    /// The JSON pointer of the value at fault, when the finding is about data.
    pub pointer: Option<String>,
    /// Where in the file.
    pub location: Option<Location>,
    /// A short note shown at the marked position.
    pub label: Option<String>,
    /// How to fix it.
    pub help: String,
    text: Option<Arc<str>>,
}

impl Finding {
    /// A finding about a whole file, with the code's own help line.
    pub fn new(code: Code, file: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            file: file.into(),
            pointer: None,
            location: None,
            label: None,
            help: code.help().to_owned(),
            text: None,
        }
    }

    /// Replaces the help line with advice specific to this finding.
    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }

    /// Sets the note shown at the marked position.
    pub fn with_label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(label.into());
        self
    }

    /// Marks a byte range of the file's text.
    pub fn at_span(mut self, text: &Arc<str>, span: Range<usize>) -> Finding {
        self.location = Some(Location::of(text, span));
        self.text = Some(Arc::clone(text));
        self
    }

    /// Marks the value at a JSON pointer in the file's text.
    pub fn at_pointer(mut self, text: &Arc<str>, format: Format, pointer: &str) -> Finding {
        self.pointer = Some(pointer.to_owned());
        match document::locate(text, format, pointer) {
            Some(span) => self.at_span(text, span),
            None => self,
        }
    }

    /// Where it is, as editors and compilers print it: `file:line:column`, or the
    /// file alone.
    pub fn place(&self) -> String {
        match &self.location {
            Some(location) => format!(
                "{}:{}:{}",
                self.file, location.start.line, location.start.column
            ),
            None => self.file.clone(),
        }
    }

    /// Whether the finding fails validation.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The order findings are reported in: by file, then position, then code.
    pub fn sort_key(&self) -> (&str, usize, Code) {
        (
            &self.file,
            self.location
                .as_ref()
                .map_or(0, |location| location.span.start),
            self.code,
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // With a source span the report names the file itself; without one the
        // message must.
        if self.text.is_none() {
            write!(f, "{}: ", self.file)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

impl Diagnostic for Finding {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code.qualified()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.text.as_ref().map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let location = self.location.as_ref()?;
        let text = self.text.as_ref()?;
        // Mark the first line of a multi-line span: a whole table underlined is noise.
        let first_line_end = text[location.span.clone()]
            .find('\n')
            .map_or(location.span.end, |i| location.span.start + i);
        let span = location.span.start..first_line_end;
        let label = LabeledSpan::new_with_span(self.label.clone(), span);
        Some(Box::new(std::iter::once(label)))
    }
}

impl SourceCode for Finding {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text: &'a str = self.text.as_deref().unwrap_or("");
        let contents = text.read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.file.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// "1 problem", "2 problems": a count and its noun.
pub fn plural(count: usize, noun: &str) -> String {
    format!("{count} {noun}{}", if count == 1 { "" } else { "s" })
}

/// A finding as `--format json` writes it.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Finding")]
struct FindingRecord<'a> {
    /// The stable code; diagnostics print it as `berth::<code>`.
    code: Code,
    /// `error` fails validation; `warning` does not, unless `--deny-warnings`.
    severity: Severity,
    /// What is wrong.
    message: &'a str,
    /// The file, relative to the repository root.
    file: &'a str,
    /// Line of the start of the marked value, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// Column (in characters) of the start of the marked value, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    /// Line of its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    /// Column of its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    /// RFC 6901 JSON pointer of the value at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<&'a str>,
    /// How to fix it.
    help: &'a str,
}

impl Serialize for Finding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let location = self.location.as_ref();
        FindingRecord {
            code: self.code,
            severity: self.severity,
            message: &self.message,
            file: &self.file,
            line: location.map(|l| l.start.line),
            column: location.map(|l| l.start.column),
            end_line: location.map(|l| l.end.line),
            end_column: location.map(|l| l.end.column),
            pointer: self.pointer.as_deref(),
            help: &self.help,
        }
        .serialize(serializer)
    }
}

impl schemars::JsonSchema for Finding {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        FindingRecord::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        FindingRecord::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "ab\né€x\n";
        assert_eq!(Position::of(text, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of(text, 3), Position { line: 2, column: 1 });
        // `x` follows two multi-byte characters.
        assert_eq!(
            Position::of(text, 3 + 2 + 3),
            Position { line: 2, column: 3 }
        );
        assert_eq!(Position::of(text, 100), Position { line: 3, column: 1 });
    }
}

//! A finding: one broken invariant, where it is, and how to fix it.
//!
//! Findings are what berth hands miette, so two guarantees live here rather than
//! at each of the hundred places a finding is made. Every span lies on character
//! boundaries of the text it marks (a span cut inside a character would crash the
//! renderer). And what a finding echoes stays readable whatever the input: its
//! message, label and help are clipped to [`MAX_ECHO`] characters, and the source
//! it shows is an excerpt of the marked line cut to [`MAX_LINE`] characters
//! around the mark, each cut saying how much it left out, while the line and
//! column it reports stay exact. What the renderer prints (message, label, help,
//! file name, source) shows control characters as escapes, so a hostile file
//! cannot drive the terminal; the other formats escape them in their own way.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};
use serde::Serialize;

use crate::diagnostic::code::Code;
use crate::document::{self, Format, ParseProblem, ProblemKind};

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

/// The most characters of a message, label or help line a finding keeps: a value
/// echoed from a one-megabyte input is cut in the middle to this.
pub const MAX_ECHO: usize = 400;

/// The most characters of a source line a diagnostic shows.
pub const MAX_LINE: usize = 120;

/// How many characters before the mark an excerpt of a long line keeps.
const BEFORE_MARK: usize = 40;

/// A file's bytes as the text its findings mark and show: UTF-8, with every byte
/// that is not replaced by U+FFFD.
pub fn shown_text(bytes: &[u8]) -> Arc<str> {
    Arc::from(String::from_utf8_lossy(bytes).as_ref())
}

/// `text` cut in the middle to at most about `max` characters, saying how many
/// were cut; the start and the end (where a message says what is wrong) stay.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    let count = text.chars().count();
    if count <= max {
        return Cow::Borrowed(text);
    }
    let keep = max / 2;
    let head: String = text.chars().take(keep).collect();
    let tail_start = text
        .char_indices()
        .nth(count.saturating_sub(keep))
        .map_or(text.len(), |(i, _)| i);
    let cut = count.saturating_sub(keep.saturating_mul(2));
    Cow::Owned(format!(
        "{head}…({cut} characters cut)…{}",
        text.get(tail_start..).unwrap_or_default()
    ))
}

/// `span` moved onto character boundaries of `text`, and into it: the start back
/// to the beginning of the character it falls in, the end on to the end of its
/// character. A reversed span becomes empty at its start.
pub fn on_char_boundaries(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    // Offset 0 and `text.len()` are boundaries, so neither walk leaves the text.
    while !text.is_char_boundary(start) {
        start = start.saturating_sub(1);
    }
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end = end.saturating_add(1);
    }
    start..end
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
        let before = text.as_bytes().iter().take(offset);
        let line = before
            .clone()
            .filter(|&&b| b == b'\n')
            .count()
            .saturating_add(1);
        // Characters since the line began: every byte that starts one (a UTF-8
        // continuation byte is 0b10xxxxxx).
        let column = before
            .rev()
            .take_while(|&&b| b != b'\n')
            .filter(|&&b| b & 0xC0 != 0x80)
            .count()
            .saturating_add(1);
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
    /// The location of a byte range in a text, the range moved onto character
    /// boundaries.
    pub fn of(text: &str, span: Range<usize>) -> Location {
        let span = on_char_boundaries(text, span);
        Location {
            start: Position::of(text, span.start),
            end: Position::of(text, span.end),
            span,
        }
    }
}

/// What a diagnostic shows of a finding's file: the marked line with a line of
/// context on each side (what miette shows), each cut to [`MAX_LINE`] characters.
#[derive(Debug)]
struct Excerpt {
    /// The lines, as shown.
    text: String,
    /// The mark, in `text`: within the marked line, never wider than it is shown.
    mark: Range<usize>,
    /// The file's line number (from 0) of the first line shown.
    first_line: usize,
    /// The file's column (in characters, from 0) where the mark starts.
    column: usize,
}

impl Excerpt {
    /// The excerpt of `text` around `span` (on character boundaries, starting at
    /// `start`).
    fn of(text: &str, span: &Range<usize>, start: Position) -> Excerpt {
        let (line_start, line_end) = line_around(text, span.start);
        let column = start.column.saturating_sub(1);
        let mut shown = String::new();
        let first_line = if line_start == 0 {
            start.line.saturating_sub(1)
        } else {
            let (previous_start, previous_end) = line_around(text, line_start.saturating_sub(1));
            shown.push_str(&Cut::of(text, previous_start..previous_end, 0).text);
            shown.push('\n');
            start.line.saturating_sub(2)
        };
        let long = text
            .get(line_start..line_end)
            .is_some_and(|line| line.chars().count() > MAX_LINE);
        let from = if long {
            column.saturating_sub(BEFORE_MARK)
        } else {
            0
        };
        let cut = Cut::of(text, line_start..line_end, from);
        let base = shown.len();
        shown.push_str(&cut.text);
        let mark = base.saturating_add(cut.at(text, span.start))
            ..base.saturating_add(cut.at(text, span.end));
        if line_end < text.len() {
            let (next_start, next_end) = line_around(text, line_end.saturating_add(1));
            shown.push('\n');
            shown.push_str(&Cut::of(text, next_start..next_end, 0).text);
            if next_end < text.len() {
                shown.push('\n');
            }
        }
        Excerpt {
            mark: on_char_boundaries(&shown, mark),
            text: shown,
            first_line,
            column,
        }
    }
}

/// The byte range of the line `offset` is in, without its line break.
fn line_around(text: &str, offset: usize) -> (usize, usize) {
    let start = text
        .get(..offset)
        .and_then(|before| before.rfind('\n'))
        .map_or(0, |i| i.saturating_add(1));
    let end = text
        .get(offset..)
        .and_then(|after| after.find('\n'))
        .map_or(text.len(), |i| offset.saturating_add(i));
    (start, end)
}

/// A line as shown: at most [`MAX_LINE`] characters of it, from a chosen
/// character on, with a note on each side of what was cut, and control
/// characters written as escapes.
struct Cut {
    /// The line as shown.
    text: String,
    /// The byte length of the note before the window.
    note: usize,
    /// The bytes of the text the window shows.
    window: Range<usize>,
}

impl Cut {
    /// The line at `line` (a byte range of `text`, without its `\n`; a `\r`
    /// before it ends the line too) from its character `from` on.
    fn of(text: &str, line: Range<usize>, from: usize) -> Cut {
        let raw = text.get(line.clone()).unwrap_or_default();
        let content = raw.strip_suffix('\r').unwrap_or(raw);
        let line = line.start..line.start.saturating_add(content.len());
        let count = content.chars().count();
        if count <= MAX_LINE {
            return Cut {
                text: source_text(content).into_owned(),
                note: 0,
                window: line,
            };
        }
        let from = from.min(count.saturating_sub(MAX_LINE));
        let byte = |chars: usize| {
            content
                .char_indices()
                .nth(chars)
                .map_or(content.len(), |(i, _)| i)
        };
        let window = byte(from)..byte(from.saturating_add(MAX_LINE));
        let before = if from > 0 {
            format!("({from} characters cut)…")
        } else {
            String::new()
        };
        let after = count.saturating_sub(from).saturating_sub(MAX_LINE);
        let after = if after > 0 {
            format!("…({after} characters cut)")
        } else {
            String::new()
        };
        Cut {
            text: format!(
                "{before}{}{after}",
                source_text(content.get(window.clone()).unwrap_or_default())
            ),
            note: before.len(),
            window: line.start.saturating_add(window.start)..line.start.saturating_add(window.end),
        }
    }

    /// Where the byte `offset` of `text` is in the line as shown (an offset
    /// outside the window is at the window's nearer end).
    fn at(&self, text: &str, offset: usize) -> usize {
        let offset = offset.clamp(self.window.start, self.window.end);
        let before = text.get(self.window.start..offset).unwrap_or_default();
        self.note.saturating_add(source_text(before).len())
    }
}

/// Whether a character must not reach a terminal as it is: a control character
/// (an escape sequence can move the cursor, clear the screen or recolour what
/// follows, and a line break can forge a line of output) or a bidirectional
/// override, which reorders what is shown.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text echoed in a message, a label or a help line, with every unprintable
/// character written as its escape (`\u{1b}`, `\n`).
pub fn printable(text: &str) -> Cow<'_, str> {
    escaped_but(text, &[])
}

/// A source line as shown: [`printable`], but tabs kept (the renderer lays them
/// out).
fn source_text(line: &str) -> Cow<'_, str> {
    escaped_but(line, &['\t'])
}

/// A file's text as shown whole (`berth show`): [`printable`], but line breaks
/// (`\n` and `\r\n`) and tabs kept.
pub fn printable_text(text: &str) -> Cow<'_, str> {
    if !text.contains('\r') {
        return escaped_but(text, &['\t', '\n']);
    }
    let lines: Vec<Cow<'_, str>> = text
        .split("\r\n")
        .map(|line| escaped_but(line, &['\t', '\n']))
        .collect();
    Cow::Owned(lines.join("\r\n"))
}

/// `text` with every unprintable character but those in `kept` escaped.
fn escaped_but<'a>(text: &'a str, kept: &[char]) -> Cow<'a, str> {
    let escape = |c: char| unprintable(c) && !kept.contains(&c);
    if !text.chars().any(escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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
    excerpt: Option<Arc<Excerpt>>,
}

impl Finding {
    /// A document that does not read, as a finding in `file` marked in `text` (the
    /// file's bytes read as UTF-8, invalid bytes replaced): `duplicate-key` or
    /// `parse`.
    pub fn parse_problem(file: &str, text: &Arc<str>, problem: &ParseProblem) -> Finding {
        let code = match problem.kind {
            ProblemKind::DuplicateKey => Code::DuplicateKey,
            ProblemKind::Syntax | ProblemKind::NonFinite | ProblemKind::IntegerRange => Code::Parse,
        };
        let finding = Finding::new(code, file, &problem.message);
        match &problem.span {
            Some(span) => finding.at_span(text, span.clone()),
            None => finding,
        }
    }

    /// A finding about a whole file, with the code's own help line.
    pub fn new(code: Code, file: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity: code.default_severity(),
            message: clipped(message.into()),
            file: file.into(),
            pointer: None,
            location: None,
            label: None,
            help: code.help().to_owned(),
            excerpt: None,
        }
    }

    /// Replaces the help line with advice specific to this finding.
    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = clipped(help.into());
        self
    }

    /// Sets the note shown at the marked position.
    pub fn with_label(mut self, label: impl Into<String>) -> Finding {
        self.label = Some(clipped(label.into()));
        self
    }

    /// Marks a byte range of the file's text (moved onto character boundaries).
    pub fn at_span(mut self, text: &Arc<str>, span: Range<usize>) -> Finding {
        let location = Location::of(text, span);
        self.excerpt = Some(Arc::new(Excerpt::of(text, &location.span, location.start)));
        self.location = Some(location);
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

    /// The JSON pointer as reports show it: clipped to [`MAX_ECHO`] characters, as
    /// messages are (a key a megabyte long is no pointer anyone reads).
    pub fn shown_pointer(&self) -> Option<Cow<'_, str>> {
        self.pointer
            .as_deref()
            .map(|pointer| clip(pointer, MAX_ECHO))
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
        if self.excerpt.is_none() {
            write!(f, "{}: ", printable(&self.file))?;
        }
        f.write_str(&printable_text(&self.message))
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
        Some(Box::new(printable_text(&self.help)))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.excerpt.as_ref().map(|_| self as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        // The excerpt marks the first line of a multi-line span (a whole table
        // underlined is noise), as much of it as is shown.
        let excerpt = self.excerpt.as_ref()?;
        let label = self
            .label
            .as_deref()
            .map(|label| printable(label).into_owned());
        let label = LabeledSpan::new_with_span(label, excerpt.mark.clone());
        Some(Box::new(std::iter::once(label)))
    }
}

/// The excerpt, read as miette reads a file, with the file's own line numbers and
/// the mark's own column.
impl SourceCode for Finding {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let Some(excerpt) = self.excerpt.as_deref() else {
            return Err(miette::MietteError::OutOfBounds);
        };
        let contents =
            excerpt
                .text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // Without context the contents start at the mark, whose column the
        // excerpt knows in characters of the whole line.
        let column = if contents.column() == 0 {
            0
        } else {
            excerpt.column
        };
        Ok(Box::new(miette::MietteSpanContents::new_named(
            printable(&self.file).into_owned(),
            contents.data(),
            *contents.span(),
            contents.line().saturating_add(excerpt.first_line),
            column,
            contents.line_count(),
        )))
    }
}

/// A message, label or help line clipped to [`MAX_ECHO`] characters.
fn clipped(text: String) -> String {
    match clip(&text, MAX_ECHO) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clipped) => clipped,
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
    /// RFC 6901 JSON pointer of the value at fault; one longer than 400
    /// characters is cut in the middle, saying how much was cut.
    #[serde(skip_serializing_if = "Option::is_none")]
    pointer: Option<Cow<'a, str>>,
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
            pointer: self.shown_pointer(),
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
#[allow(clippy::string_slice, clippy::arithmetic_side_effects)]
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

    fn rendered(finding: &Finding) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_wrap_lines(false);
        let mut out = String::new();
        handler.render_report(&mut out, finding).unwrap();
        out
    }

    #[test]
    fn spans_move_onto_character_boundaries() {
        // (text, span given, span kept)
        let cases: &[(&str, Range<usize>, Range<usize>)] = &[
            ("ab", 0..1, 0..1),
            ("é", 1..2, 0..2),
            ("é", 0..1, 0..2),
            ("aé", 2..2, 1..3),
            ("x\u{FFFD}y", 1..2, 1..4),
            ("x\u{FFFD}y", 2..3, 1..4),
            ("😀", 3..4, 0..4),
            ("ab", Range { start: 2, end: 1 }, 2..2),
            ("ab", 5..9, 2..2),
            ("ab", 1..9, 1..2),
            ("", 0..1, 0..0),
        ];
        for (text, given, kept) in cases {
            assert_eq!(
                on_char_boundaries(text, given.clone()),
                *kept,
                "{text:?} {given:?}"
            );
        }
    }

    /// Every span over every text berth may hand miette renders without a panic,
    /// its mark inside what is shown: the crash of issue 16 was a span cut inside
    /// the replacement character of a non-UTF-8 byte.
    #[test]
    fn any_span_renders() {
        let texts = [
            "{\"a\": \"x\u{FFFD}\"}",
            "é\n€€\n😀x\n",
            "\n\n",
            "",
            "a\r\nb\r\n",
            &format!("{{\"k\": \"{}é{}\"}}", "a".repeat(90), "b".repeat(90)),
        ];
        for text in texts {
            let text: Arc<str> = Arc::from(text);
            let len = text.len();
            for start in 0..=len + 1 {
                let ends =
                    (0..=len + 1).filter(|end| len < 40 || end.abs_diff(start) < 4 || *end >= len);
                for end in ends {
                    let finding = Finding::new(Code::Parse, "f.json", "bad")
                        .with_label("here")
                        .at_span(&text, start..end);
                    let location = finding.location.clone().unwrap();
                    assert!(text.is_char_boundary(location.span.start));
                    assert!(text.is_char_boundary(location.span.end));
                    let excerpt = finding.excerpt.as_deref().unwrap();
                    assert!(excerpt.text.is_char_boundary(excerpt.mark.start));
                    assert!(excerpt.text.is_char_boundary(excerpt.mark.end));
                    let out = rendered(&finding);
                    let header =
                        format!("[f.json:{}:{}]", location.start.line, location.start.column);
                    assert!(out.contains(&header), "{start}..{end}: {out}");
                }
            }
        }
    }

    #[test]
    fn long_lines_are_cut_around_the_mark_with_exact_positions() {
        let value = "v".repeat(1 << 20);
        let text: Arc<str> = Arc::from(format!("{{\n  \"a\": \"{value}\",\n  \"b\": 1\n}}\n"));
        let start = text.find('v').unwrap() - 1;
        let finding = Finding::new(Code::Schema, "f.json", format!("`{value}` is wrong"))
            .with_label("here")
            .at_span(&text, start..start + value.len() + 2);
        let location = finding.location.clone().unwrap();
        assert_eq!(location.start, Position { line: 2, column: 8 });
        assert_eq!(
            location.end,
            Position {
                line: 2,
                column: 8 + value.len() + 2
            }
        );
        assert!(finding.message.chars().count() < MAX_ECHO + 40);
        assert!(finding.message.contains("characters cut)"));
        assert!(finding.message.ends_with("` is wrong"));
        let out = rendered(&finding);
        assert!(out.len() < 3000, "{} bytes", out.len());
        assert!(out.contains("[f.json:2:8]"), "{out}");
        assert!(
            out.contains(&format!("…({} characters cut)", (1 << 20) + 10 - MAX_LINE)),
            "{out}"
        );
        assert!(out.contains(" 1 │ {"), "{out}");
        assert!(out.contains(" 3 │   \"b\": 1"), "{out}");

        // Far into a long line, the excerpt starts a little before the mark.
        let text: Arc<str> = Arc::from(format!("{value}é!{value}"));
        let at = value.len() + 2;
        let finding = Finding::new(Code::Parse, "g.json", "bad").at_span(&text, at..at + 1);
        let out = rendered(&finding);
        assert!(
            out.contains(&format!("[g.json:1:{}]", (1 << 20) + 2)),
            "{out}"
        );
        let cut = (1 << 20) + 1 - BEFORE_MARK;
        assert!(out.contains(&format!("({cut} characters cut)…")), "{out}");
        let excerpt = finding.excerpt.as_deref().unwrap();
        assert_eq!(&excerpt.text[excerpt.mark.clone()], "!");
    }

    #[test]
    fn clipping_keeps_both_ends() {
        assert_eq!(clip("short", 10), "short");
        assert_eq!(clip("0123456789", 10), "0123456789");
        assert_eq!(clip("0123456789ab", 10), "01234…(2 characters cut)…789ab");
        assert_eq!(clip("ééééééééééé", 4), "éé…(7 characters cut)…éé");
        let long = Finding::new(Code::Parse, "f", "x".repeat(10_000))
            .with_help("h".repeat(10_000))
            .with_label("l".repeat(10_000));
        for text in [&long.message, &long.help, long.label.as_ref().unwrap()] {
            assert!(text.chars().count() < MAX_ECHO + 40, "{}", text.len());
        }
    }

    /// What a hostile file echoes cannot drive the terminal: escape sequences,
    /// line breaks and bidirectional overrides are shown as escapes, in the
    /// message and in the source line, and the mark still falls on its value.
    #[test]
    fn control_characters_are_shown_as_escapes() {
        let text: Arc<str> = Arc::from("{\"a\": \"\u{1b}[2J\u{202e}x\", \"b\": 1}\r\n{}\r\n");
        let start = text.find('x').unwrap();
        let finding = Finding::new(
            Code::Schema,
            "f\u{1b}.json",
            "`\u{1b}[2J\nok: 0 errors` is bad",
        )
        .with_label("\u{7}here")
        .at_span(&text, start..start + 1);
        // Kept exact for the formats that escape it themselves.
        assert_eq!(finding.message, "`\u{1b}[2J\nok: 0 errors` is bad");
        let excerpt = finding.excerpt.as_deref().unwrap();
        assert_eq!(&excerpt.text[excerpt.mark.clone()], "x");
        let out = rendered(&finding);
        assert!(
            !out.chars()
                .any(|c| c == '\u{1b}' || c == '\u{202e}' || c == '\r'),
            "{out:?}"
        );
        assert!(out.contains("\\u{1b}[2J\\u{202e}x"), "{out}");
        assert!(out.contains("`\\u{1b}[2J"), "{out}");
        assert!(out.contains("\\u{7}here"), "{out}");
        assert!(out.contains("[f\\u{1b}.json:1:13]"), "{out}");
        assert_eq!(printable("tab\there"), "tab\\there");
        assert_eq!(source_text("tab\there"), "tab\there");
        assert_eq!(
            printable_text("a\tb\n\u{1b}c\r\nd\re"),
            "a\tb\n\\u{1b}c\r\nd\\re"
        );
    }
}

//! Reading object files: strict JSON and TOML into one data model, with positions.
//!
//! Both formats are read into `serde_json::Value`, so that a document hashes the same
//! whichever format its author chose. Reading is strict where JSON parsers are usually
//! lenient, because every leniency is a second spelling of the same data or a value
//! that does not survive a round trip: duplicate keys, non-UTF-8 bytes, NaN and
//! Infinity, and integers outside the I-JSON range (±(2^53 − 1)) are refused.
//!
//! Parsing is the hot path of the validator, so it keeps no positions. When something
//! needs a position (a problem to report), [`locate`] parses the text again with a
//! span-keeping parser and maps a JSON pointer to a byte range.
//!
//! Each format has its own parser (`json_parser`, `toml_parser`); JSON pointers
//! and [`locate`] are in `pointer`.

mod json_parser;
mod pointer;
mod toml_parser;

pub use pointer::{locate, push_segment, segments};

use std::fmt;
use std::ops::Range;

use serde_json::Value;

use json_parser::parse_json;
use toml_parser::parse_toml;

/// The largest integer that every JSON reader represents exactly (I-JSON, RFC 7493).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A file format berth reads objects from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JSON (RFC 8259), read strictly.
    Json,
    /// TOML 1.1.
    Toml,
}

impl Format {
    /// The format a file extension names, if berth reads it.
    pub fn from_extension(extension: &str) -> Option<Format> {
        match extension {
            "json" => Some(Format::Json),
            "toml" => Some(Format::Toml),
            _ => None,
        }
    }

    /// The format of a file path, by its extension.
    pub fn of_path(path: &str) -> Option<Format> {
        let (_, extension) = path.rsplit_once('.')?;
        Format::from_extension(extension)
    }

    /// The file extension, without a dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Toml => "toml",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

/// Why a file could not be read as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Not well-formed JSON or TOML, or not UTF-8.
    Syntax,
    /// The same key twice in one object or table.
    DuplicateKey,
    /// NaN or an infinity, which JSON cannot carry.
    NonFinite,
    /// An integer beyond ±(2^53 − 1).
    IntegerRange,
}

/// A file that could not be read as data, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    /// What went wrong.
    pub kind: ProblemKind,
    /// A sentence saying what went wrong.
    pub message: String,
    /// The bytes at fault, when known.
    pub span: Option<Range<usize>>,
}

impl ParseProblem {
    fn new(kind: ProblemKind, message: impl Into<String>, span: Option<Range<usize>>) -> Self {
        ParseProblem {
            kind,
            message: message.into(),
            span,
        }
    }
}

/// A file's bytes as UTF-8 text, or where they stop being UTF-8.
///
/// The span marks the first invalid byte. In the file's text as diagnostics show
/// it (invalid bytes replaced by U+FFFD), everything before that byte is
/// unchanged, so the span starts on the replacement character; findings widen it
/// to the whole character.
pub fn text(bytes: &[u8]) -> Result<&str, ParseProblem> {
    std::str::from_utf8(bytes).map_err(|error| {
        let at = error.valid_up_to();
        let width = error.error_len().unwrap_or(1);
        let shown = bytes
            .get(at..at.saturating_add(width))
            .unwrap_or_default()
            .iter()
            .map(|byte| format!("{byte:#04x}"))
            .collect::<Vec<_>>()
            .join(" ");
        ParseProblem::new(
            ProblemKind::Syntax,
            format!("the file is not UTF-8 at byte {at} ({shown})"),
            Some(at..at.saturating_add(width)),
        )
    })
}

/// Reads a file's bytes as data.
pub fn parse(bytes: &[u8], format: Format) -> Result<Value, ParseProblem> {
    let text = text(bytes)?;
    match format {
        Format::Json => parse_json(text),
        Format::Toml => parse_toml(text),
    }
}

/// Reads UTF-8 text as data.
pub fn parse_text(text: &str, format: Format) -> Result<Value, ParseProblem> {
    match format {
        Format::Json => parse_json(text),
        Format::Toml => parse_toml(text),
    }
}

/// The message refusing an integer beyond ±(2^53 − 1), in either format.
fn out_of_range(value: impl fmt::Display) -> String {
    format!("integer {value} is beyond ±(2^53 − 1), the range every JSON reader holds exactly")
}

#[cfg(test)]
#[allow(clippy::string_slice, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::diagnostic::finding::shown_text;
    use serde_json::json;

    fn json(text: &str) -> Result<Value, ParseProblem> {
        parse(text.as_bytes(), Format::Json)
    }

    fn toml(text: &str) -> Result<Value, ParseProblem> {
        parse(text.as_bytes(), Format::Toml)
    }

    #[test]
    fn json_and_toml_read_to_the_same_data() {
        let from_json = json(
            r#"{"a": 1, "b": [true, "x"], "c": {"d": 2.5, "e": "1979-05-27T07:32:00Z", "f": "2025-05-01"}}"#,
        )
        .unwrap();
        let from_toml = toml(
            "a = 1\nb = [true, \"x\"]\n[c]\nd = 2.5\ne = 1979-05-27T07:32:00Z\nf = 2025-05-01\n",
        )
        .unwrap();
        assert_eq!(from_json, from_toml);
    }

    #[test]
    fn refusals() {
        let cases: &[(&[u8], Format, ProblemKind)] = &[
            (
                br#"{"a": 1, "a": 2}"#,
                Format::Json,
                ProblemKind::DuplicateKey,
            ),
            (
                b"{\"a\": {\"b\": 1, \"b\": 1}}",
                Format::Json,
                ProblemKind::DuplicateKey,
            ),
            (b"a = 1\na = 2\n", Format::Toml, ProblemKind::DuplicateKey),
            (br#"{"a": NaN}"#, Format::Json, ProblemKind::NonFinite),
            (br#"{"a": -Infinity}"#, Format::Json, ProblemKind::NonFinite),
            (b"a = nan\n", Format::Toml, ProblemKind::NonFinite),
            (b"a = -inf\n", Format::Toml, ProblemKind::NonFinite),
            (
                br#"{"a": 9007199254740992}"#,
                Format::Json,
                ProblemKind::IntegerRange,
            ),
            (
                br#"{"a": -9007199254740992}"#,
                Format::Json,
                ProblemKind::IntegerRange,
            ),
            (
                br#"{"a": 18446744073709551616}"#,
                Format::Json,
                ProblemKind::IntegerRange,
            ),
            (
                br#"{"a": 123456789012345678901234567890}"#,
                Format::Json,
                ProblemKind::IntegerRange,
            ),
            (
                b"a = 9007199254740992\n",
                Format::Toml,
                ProblemKind::IntegerRange,
            ),
            (b"{\"a\": \"\xff\"}", Format::Json, ProblemKind::Syntax),
            (br#"{"a": 1,}"#, Format::Json, ProblemKind::Syntax),
            (br#"{"a": "\ud800"}"#, Format::Json, ProblemKind::Syntax),
            (b"a = \n", Format::Toml, ProblemKind::Syntax),
        ];
        for (bytes, format, kind) in cases {
            let problem = parse(bytes, *format).expect_err(&String::from_utf8_lossy(bytes));
            assert_eq!(
                problem.kind,
                *kind,
                "{}: {}",
                String::from_utf8_lossy(bytes),
                problem.message
            );
            assert!(problem.span.is_some(), "{}", String::from_utf8_lossy(bytes));
        }
    }

    #[test]
    fn accepted_edges() {
        assert_eq!(
            json(r#"{"a": 9007199254740991}"#).unwrap(),
            json!({"a": 9007199254740991_u64})
        );
        assert_eq!(
            json(r#"{"a": -9007199254740991}"#).unwrap(),
            json!({"a": -9007199254740991_i64})
        );
        // Large numbers written as floats are floats, not integers (RFC 8785's sample).
        assert!(json(r#"{"a": 1E30, "b": 1e300}"#).is_ok());
        assert!(toml("a = 0x1F\nb = 1_000\nc = 1e30\n").is_ok());
    }

    /// Every span a parse problem or a pointer lookup gives lies on character
    /// boundaries of the text (for bytes that are not UTF-8, on boundaries of the
    /// text diagnostics show once findings widen it), whatever the text holds
    /// next to the fault.
    #[test]
    fn spans_lie_on_character_boundaries() {
        let inputs: &[&[u8]] = &[
            "{\"é\": é}".as_bytes(),
            "{\"a\": \"é\u{1}\"}".as_bytes(),
            "{\"é\": 1, \"é\": \"€\"}".as_bytes(),
            "{\"😀\": NaN}".as_bytes(),
            "{\"a\": -Infinity€}".as_bytes(),
            "{\"a\": [\"é\", 99999999999999999]}".as_bytes(),
            "[\"é\", ]".as_bytes(),
            "{\"é\"".as_bytes(),
            "é".as_bytes(),
            "\u{FEFF}{}".as_bytes(),
            "a = é\n".as_bytes(),
            "é = 1\né = 2\n".as_bytes(),
            "a = \"é\nb = 1".as_bytes(),
            "[é]\n".as_bytes(),
            "a = 9007199254740993 # €\n".as_bytes(),
            "a = nan\n€ = 1".as_bytes(),
            b"{\"a\": \"\xff\"}",
            b"{\"a\": \"\xe2\x82\"}",
            b"a = \"\xc3\"\n",
            b"\xf0\x9f\x98",
        ];
        for bytes in inputs {
            let shown = shown_text(bytes);
            for format in [Format::Json, Format::Toml] {
                let label = format!("{format}: {shown:?}");
                if let Err(problem) = parse(bytes, format) {
                    let span = problem.span.clone().unwrap_or(0..0);
                    if let Ok(text) = std::str::from_utf8(bytes) {
                        assert!(text.is_char_boundary(span.start), "{label} {span:?}");
                        assert!(text.is_char_boundary(span.end), "{label} {span:?}");
                    }
                    let finding = crate::diagnostic::Finding::parse_problem("f", &shown, &problem);
                    let kept = finding.location.map(|l| l.span).unwrap_or(0..0);
                    assert!(shown.is_char_boundary(kept.start), "{label} {kept:?}");
                    assert!(shown.is_char_boundary(kept.end), "{label} {kept:?}");
                }
                let Ok(text) = std::str::from_utf8(bytes) else {
                    continue;
                };
                for pointer in ["", "/a", "/é", "/😀", "/0", "/a/0", "/a/1"] {
                    if let Some(span) = locate(text, format, pointer) {
                        assert!(text.is_char_boundary(span.start), "{label} {pointer}");
                        assert!(text.is_char_boundary(span.end), "{label} {pointer}");
                    }
                }
            }
        }
    }

    #[test]
    fn non_utf8_names_the_byte() {
        let problem = parse(b"{\"a\": \"x\xff\"}", Format::Json).unwrap_err();
        assert_eq!(problem.kind, ProblemKind::Syntax);
        assert_eq!(problem.message, "the file is not UTF-8 at byte 8 (0xff)");
        assert_eq!(problem.span, Some(8..9));
        let problem = parse(b"a = \"\xe2\x82\"", Format::Toml).unwrap_err();
        assert_eq!(
            problem.message,
            "the file is not UTF-8 at byte 5 (0xe2 0x82)"
        );
    }
}

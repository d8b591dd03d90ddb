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

use std::cell::Cell;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

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

// ---------------------------------------------------------------------------
// JSON

fn parse_json(text: &str) -> Result<Value, ParseProblem> {
    let state = JsonState::default();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = StrictJson { state: &state }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(value) => {
            if state.maybe_big_integer.get()
                && let Some(problem) = find_big_integer_literal(text)
            {
                return Err(problem);
            }
            Ok(value)
        }
        Err(error) => Err(json_problem(text, &error, state.problem.get())),
    }
}

/// What the strict visitor noticed; serde_json's errors cannot carry it.
#[derive(Default)]
struct JsonState {
    problem: Cell<Option<ProblemKind>>,
    /// A float with an integral value beyond the 64-bit range was read: it may have
    /// been written as an integer literal too large for serde_json's integer types.
    maybe_big_integer: Cell<bool>,
}

#[derive(Clone, Copy)]
struct StrictJson<'a> {
    state: &'a JsonState,
}

impl StrictJson<'_> {
    fn fail<E: de::Error>(&self, kind: ProblemKind, message: String) -> E {
        self.state.problem.set(Some(kind));
        E::custom(message)
    }
}

impl<'de> DeserializeSeed<'de> for StrictJson<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictJson<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        if value.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(self.fail(ProblemKind::IntegerRange, out_of_range(value)));
        }
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        if value > MAX_SAFE_INTEGER {
            return Err(self.fail(ProblemKind::IntegerRange, out_of_range(value)));
        }
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        if value.fract() == 0.0 && value.abs() >= 9.223_372_036_854_775e18 {
            self.state.maybe_big_integer.set(true);
        }
        Number::from_f64(value).map(Value::Number).ok_or_else(|| {
            self.fail(
                ProblemKind::NonFinite,
                format!("{value} is not a finite number"),
            )
        })
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(self.fail(ProblemKind::DuplicateKey, format!("duplicate key `{key}`")));
            }
            let value = access.next_value_seed(self)?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

fn out_of_range(value: impl fmt::Display) -> String {
    format!("integer {value} is beyond ±(2^53 − 1), the range every JSON reader holds exactly")
}

fn json_problem(text: &str, error: &serde_json::Error, kind: Option<ProblemKind>) -> ParseProblem {
    let at = offset_of(text, error.line(), error.column());
    let message = error.to_string();
    // serde_json appends " at line L column C"; the diagnostic shows the position.
    let message = match message.rsplit_once(" at line ") {
        Some((head, _)) => head.to_owned(),
        None => message,
    };
    match kind {
        Some(ProblemKind::DuplicateKey) => {
            let span = locate_json_duplicate(text).or(Some(point(text, at)));
            ParseProblem::new(ProblemKind::DuplicateKey, message, span)
        }
        Some(ProblemKind::IntegerRange) => match find_big_integer_literal(text) {
            Some(problem) => problem,
            None => ParseProblem::new(ProblemKind::IntegerRange, message, Some(point(text, at))),
        },
        Some(kind) => ParseProblem::new(kind, message, Some(point(text, at))),
        None => {
            // serde_json stops at the `N` of `NaN` and the `I` of `Infinity`.
            let rest = text.get(at..).unwrap_or("");
            match ["NaN", "Infinity"]
                .into_iter()
                .find(|word| rest.starts_with(word))
            {
                Some(word) => {
                    let signed = text.get(..at).is_some_and(|before| before.ends_with('-'));
                    let start = if signed { at.saturating_sub(1) } else { at };
                    let end = at.saturating_add(word.len());
                    let shown = text.get(start..end).unwrap_or(word);
                    ParseProblem::new(
                        ProblemKind::NonFinite,
                        format!("`{shown}` is not a JSON number: JSON has no NaN or infinities"),
                        Some(start..end),
                    )
                }
                None => ParseProblem::new(ProblemKind::Syntax, message, Some(point(text, at))),
            }
        }
    }
}

/// The byte offset of a 1-based line and column (serde_json counts bytes).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        text.match_indices('\n')
            .nth(line.saturating_sub(2))
            .map_or(text.len(), |(i, _)| i.saturating_add(1))
    };
    line_start
        .saturating_add(column.saturating_sub(1))
        .min(text.len())
}

/// A one-character span at `at` (the character `at` falls in), or an empty one at
/// the end of the text.
fn point(text: &str, at: usize) -> Range<usize> {
    let mut at = at.min(text.len());
    // Offset 0 is a boundary, so the walk stops inside the text.
    while !text.is_char_boundary(at) {
        at = at.saturating_sub(1);
    }
    let width = text
        .get(at..)
        .and_then(|rest| rest.chars().next())
        .map_or(0, char::len_utf8);
    at..at.saturating_add(width)
}

const LOCATE_OPTIONS: jsonc_parser::ParseOptions = jsonc_parser::ParseOptions {
    allow_comments: false,
    allow_loose_object_property_names: false,
    allow_trailing_commas: false,
    allow_missing_commas: false,
    allow_single_quoted_strings: false,
    allow_hexadecimal_numbers: false,
    allow_unary_plus_numbers: false,
    allow_bare_decimal_point_numbers: false,
    allow_non_finite_numbers: false,
    allow_extended_string_escapes: false,
};

fn json_ast(text: &str) -> Option<jsonc_parser::ast::Value<'_>> {
    jsonc_parser::parse_to_ast(text, &Default::default(), &LOCATE_OPTIONS)
        .ok()?
        .value
}

fn range(range: jsonc_parser::common::Range) -> Range<usize> {
    range.start..range.end
}

fn prop_name_range(name: &jsonc_parser::ast::ObjectPropName<'_>) -> Range<usize> {
    match name {
        jsonc_parser::ast::ObjectPropName::String(lit) => range(lit.range),
        jsonc_parser::ast::ObjectPropName::Word(lit) => range(lit.range),
    }
}

/// The first key that repeats an earlier key of its object, in document order: the
/// same key serde_json stopped at.
fn locate_json_duplicate(text: &str) -> Option<Range<usize>> {
    fn walk(value: &jsonc_parser::ast::Value<'_>) -> Option<Range<usize>> {
        use jsonc_parser::ast::Value as Ast;
        match value {
            Ast::Object(object) => {
                for (i, prop) in object.properties.iter().enumerate() {
                    let name = prop.name.as_str();
                    if object
                        .properties
                        .iter()
                        .take(i)
                        .any(|p| p.name.as_str() == name)
                    {
                        return Some(prop_name_range(&prop.name));
                    }
                    if let Some(found) = walk(&prop.value) {
                        return Some(found);
                    }
                }
                None
            }
            Ast::Array(array) => array.elements.iter().find_map(walk),
            _ => None,
        }
    }
    walk(&json_ast(text)?)
}

/// The first integer literal (no fraction, no exponent) beyond the I-JSON range.
fn find_big_integer_literal(text: &str) -> Option<ParseProblem> {
    fn walk(value: &jsonc_parser::ast::Value<'_>) -> Option<ParseProblem> {
        use jsonc_parser::ast::Value as Ast;
        match value {
            Ast::NumberLit(number) => {
                let literal = number.value;
                let is_integer = !literal.contains(['.', 'e', 'E']);
                let digits = literal.trim_start_matches('-');
                let too_big =
                    digits.len() > 16 || digits.parse::<u64>().is_ok_and(|n| n > MAX_SAFE_INTEGER);
                (is_integer && too_big).then(|| {
                    ParseProblem::new(
                        ProblemKind::IntegerRange,
                        out_of_range(literal),
                        Some(range(number.range)),
                    )
                })
            }
            Ast::Object(object) => object.properties.iter().find_map(|prop| walk(&prop.value)),
            Ast::Array(array) => array.elements.iter().find_map(walk),
            _ => None,
        }
    }
    walk(&json_ast(text)?)
}

// ---------------------------------------------------------------------------
// TOML

fn parse_toml(text: &str) -> Result<Value, ParseProblem> {
    let table = DeTable::parse(text).map_err(|error| toml_problem(&error))?;
    toml_table(table.get_ref())
}

fn toml_problem(error: &toml::de::Error) -> ParseProblem {
    let message = error.message().trim().to_owned();
    let kind = if message.starts_with("duplicate key") {
        ProblemKind::DuplicateKey
    } else {
        ProblemKind::Syntax
    };
    ParseProblem::new(kind, message, error.span())
}

fn toml_table(table: &DeTable<'_>) -> Result<Value, ParseProblem> {
    let mut map = Map::new();
    for (key, value) in table.iter() {
        map.insert(key.get_ref().to_string(), toml_value(value)?);
    }
    Ok(Value::Object(map))
}

fn toml_value(value: &Spanned<DeValue<'_>>) -> Result<Value, ParseProblem> {
    let span = Some(value.span());
    Ok(match value.get_ref() {
        DeValue::String(text) => Value::String(text.to_string()),
        DeValue::Boolean(flag) => Value::Bool(*flag),
        DeValue::Integer(integer) => {
            let parsed = i64::from_str_radix(integer.as_str(), integer.radix())
                .ok()
                .filter(|n| n.unsigned_abs() <= MAX_SAFE_INTEGER);
            match parsed {
                Some(n) => Value::Number(n.into()),
                None => {
                    return Err(ParseProblem::new(
                        ProblemKind::IntegerRange,
                        out_of_range(integer.as_str()),
                        span,
                    ));
                }
            }
        }
        DeValue::Float(float) => {
            let parsed = float.as_str().replace('_', "").parse::<f64>().ok();
            match parsed.and_then(Number::from_f64) {
                Some(number) => Value::Number(number),
                None => {
                    return Err(ParseProblem::new(
                        ProblemKind::NonFinite,
                        format!(
                            "`{}` is not a finite number: JSON has no NaN or infinities",
                            float.as_str()
                        ),
                        span,
                    ));
                }
            }
        }
        DeValue::Datetime(datetime) => Value::String(rfc3339(datetime)),
        DeValue::Array(items) => {
            Value::Array(items.iter().map(toml_value).collect::<Result<_, _>>()?)
        }
        DeValue::Table(table) => toml_table(table)?,
    })
}

/// A TOML datetime as its RFC 3339 string (seconds always written, as RFC 3339
/// requires; TOML 1.1 lets authors omit them).
fn rfc3339(datetime: &toml::value::Datetime) -> String {
    let mut out = String::new();
    if let Some(date) = &datetime.date {
        out.push_str(&format!(
            "{:04}-{:02}-{:02}",
            date.year, date.month, date.day
        ));
    }
    if let Some(time) = &datetime.time {
        if datetime.date.is_some() {
            out.push('T');
        }
        out.push_str(&format!(
            "{:02}:{:02}:{:02}",
            time.hour,
            time.minute,
            time.second.unwrap_or(0)
        ));
        if let Some(nanosecond) = time.nanosecond.filter(|n| *n != 0) {
            let fraction = format!("{nanosecond:09}");
            out.push('.');
            out.push_str(fraction.trim_end_matches('0'));
        }
    }
    if let Some(offset) = &datetime.offset {
        out.push_str(&offset.to_string());
    }
    out
}

// ---------------------------------------------------------------------------
// Positions

/// Appends one segment to a JSON pointer, escaping it as RFC 6901 requires.
pub fn push_segment(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// The unescaped segments of a JSON pointer (`""` is the whole document).
pub fn segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Where the value at a JSON pointer sits in a document's text.
///
/// For a pointer into something that is not there (a missing property), the result is
/// the span of the deepest value that is.
pub fn locate(text: &str, format: Format, pointer: &str) -> Option<Range<usize>> {
    let segments = segments(pointer);
    match format {
        Format::Json => {
            let root = json_ast(text)?;
            let mut current = &root;
            let mut found = range(root_range(&root));
            for segment in &segments {
                use jsonc_parser::ast::Value as Ast;
                let next = match current {
                    Ast::Object(object) => object
                        .properties
                        .iter()
                        .find(|p| p.name.as_str() == segment)
                        .map(|p| &p.value),
                    Ast::Array(array) => segment
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| array.elements.get(i)),
                    _ => None,
                };
                match next {
                    Some(value) => {
                        current = value;
                        found = range(root_range(value));
                    }
                    None => break,
                }
            }
            Some(found)
        }
        Format::Toml => {
            let root = DeTable::parse(text).ok()?;
            let mut found = root.span();
            let mut current: Option<&DeValue<'_>> = None;
            let mut table = Some(root.get_ref());
            for segment in &segments {
                let next = match (table, current) {
                    (Some(table), _) => table.get(segment.as_str()),
                    (None, Some(DeValue::Array(items))) => {
                        segment.parse::<usize>().ok().and_then(|i| items.get(i))
                    }
                    _ => None,
                };
                match next {
                    Some(value) => {
                        found = value.span();
                        current = Some(value.get_ref());
                        table = value.get_ref().as_table();
                    }
                    None => break,
                }
            }
            Some(found)
        }
    }
}

fn root_range(value: &jsonc_parser::ast::Value<'_>) -> jsonc_parser::common::Range {
    use jsonc_parser::ast::Value as Ast;
    match value {
        Ast::StringLit(v) => v.range,
        Ast::NumberLit(v) => v.range,
        Ast::BooleanLit(v) => v.range,
        Ast::Object(v) => v.range,
        Ast::Array(v) => v.range,
        Ast::NullKeyword(v) => v.range,
    }
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
    fn toml_datetimes_become_rfc3339_strings() {
        let cases = [
            ("1979-05-27T07:32:00Z", "1979-05-27T07:32:00Z"),
            ("1979-05-27 07:32:00z", "1979-05-27T07:32:00Z"),
            (
                "1979-05-27T00:32:00.999000-07:00",
                "1979-05-27T00:32:00.999-07:00",
            ),
            ("1979-05-27T07:32Z", "1979-05-27T07:32:00Z"),
            ("1979-05-27", "1979-05-27"),
            ("07:32:00", "07:32:00"),
        ];
        for (literal, expected) in cases {
            assert_eq!(
                toml(&format!("t = {literal}")).unwrap(),
                json!({"t": expected}),
                "{literal}"
            );
        }
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

    #[test]
    fn spans_point_at_the_fault() {
        let text = "{\n  \"a\": 1,\n  \"a\": 2\n}";
        let problem = json(text).unwrap_err();
        assert_eq!(&text[problem.span.clone().unwrap()], "\"a\"");
        assert_eq!(problem.span.unwrap().start, 14);

        let text = "{\"a\": [1, 2, 99999999999999999]}";
        let problem = json(text).unwrap_err();
        assert_eq!(&text[problem.span.clone().unwrap()], "99999999999999999");

        let text = "{\"a\": tru}";
        let problem = json(text).unwrap_err();
        assert_eq!(problem.kind, ProblemKind::Syntax);
        assert!(problem.span.unwrap().start >= 6);
    }

    #[test]
    fn locate_follows_pointers() {
        let text = "{\n  \"a\": {\"b\": [10, 20]},\n  \"c~/\": 3\n}";
        let at = |p: &str| &text[locate(text, Format::Json, p).unwrap()];
        assert_eq!(at("/a/b/1"), "20");
        assert_eq!(at("/c~0~1"), "3");
        assert_eq!(at("/a/missing"), "{\"b\": [10, 20]}");

        let text = "x = 1\n[a]\nb = [10, 20]\n";
        let at = |p: &str| &text[locate(text, Format::Toml, p).unwrap()];
        assert_eq!(at("/a/b/1"), "20");
        assert_eq!(at("/x"), "1");
    }

    #[test]
    fn pointer_segments_round_trip() {
        let mut pointer = String::new();
        push_segment(&mut pointer, "a/b");
        push_segment(&mut pointer, "~c");
        assert_eq!(pointer, "/a~1b/~0c");
        assert_eq!(segments(&pointer), ["a/b", "~c"]);
        assert!(segments("").is_empty());
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

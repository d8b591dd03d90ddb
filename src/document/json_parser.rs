//! JSON, read strictly: a visitor that refuses what JSON parsers usually let
//! through, and the span-keeping parse that finds where a refusal is.

use std::cell::Cell;
use std::fmt;
use std::ops::Range;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::{MAX_SAFE_INTEGER, ParseProblem, ProblemKind, out_of_range};

pub(super) fn parse_json(text: &str) -> Result<Value, ParseProblem> {
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

pub(super) fn json_ast(text: &str) -> Option<jsonc_parser::ast::Value<'_>> {
    jsonc_parser::parse_to_ast(text, &Default::default(), &LOCATE_OPTIONS)
        .ok()?
        .value
}

pub(super) fn range(range: jsonc_parser::common::Range) -> Range<usize> {
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

#[cfg(test)]
#[allow(clippy::string_slice, clippy::arithmetic_side_effects)]
mod tests {
    use serde_json::Value;

    use super::super::{Format, ParseProblem, ProblemKind, parse};

    fn json(text: &str) -> Result<Value, ParseProblem> {
        parse(text.as_bytes(), Format::Json)
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
}

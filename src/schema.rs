//! JSON Schemas: generated from berth's Rust types, and checked with located findings.
//!
//! The schemas for berth.toml and every built-in kind are generated from the types
//! that read them (schemars, draft 2020-12). berth validates with the generated
//! schema, so the published files in `schemas/` are exactly what berth enforces; a
//! test fails when they drift.
//!
//! Editors and other validators load the published files, so every schema keeps
//! to the standard's keywords: the integer formats only schemars knows (`uint64`,
//! `int32`, ...) become `minimum` and `maximum`, and any other format the standard
//! does not define is dropped.

use std::sync::Arc;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use schemars::transform::{RecursiveTransform, RestrictFormats};
use schemars::{JsonSchema, Schema, generate::SchemaSettings};
use serde_json::{Number, Value};

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document::{self, Format};

/// The JSON Schema (draft 2020-12) of a type, as berth publishes it.
pub fn schema_of<T: JsonSchema>() -> Value {
    let generator = portable(SchemaSettings::draft2020_12().for_deserialize()).into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// The JSON Schema of a document berth writes (command output).
pub fn output_schema_of<T: JsonSchema>() -> Value {
    let generator = portable(SchemaSettings::draft2020_12().for_serialize()).into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// Settings that keep a generated schema to standard keywords: integer formats
/// become bounds first, then every format the schema's draft does not define is
/// removed.
fn portable(settings: SchemaSettings) -> SchemaSettings {
    settings
        .with_transform(RecursiveTransform(bound_integer_formats))
        .with_transform(RestrictFormats::default())
}

/// Replaces one of schemars' integer formats with the range it stands for.
///
/// A bound the schema already states (a `range` attribute, or schemars' own
/// `minimum` of 0 for an unsigned type) is kept: it is at least as narrow.
fn bound_integer_formats(schema: &mut Schema) {
    let Some((minimum, maximum)) = schema
        .get("format")
        .and_then(Value::as_str)
        .and_then(integer_range)
    else {
        return;
    };
    schema.remove("format");
    if let Some(object) = schema.as_object_mut() {
        object.entry("minimum").or_insert(minimum.into());
        object.entry("maximum").or_insert(maximum.into());
    }
}

/// The range of the Rust integer type behind one of schemars' formats.
///
/// `usize` (`uint`) and `isize` (`int`) take their 64-bit range on every target,
/// so the published schemas do not depend on the machine that wrote them. The
/// 128-bit formats have no range: JSON numbers as serde_json holds them stop at
/// 64 bits, and their format is removed with the other non-standard ones.
fn integer_range(format: &str) -> Option<(Number, Number)> {
    Some(match format {
        "int8" => (i8::MIN.into(), i8::MAX.into()),
        "int16" => (i16::MIN.into(), i16::MAX.into()),
        "int32" => (i32::MIN.into(), i32::MAX.into()),
        "int64" | "int" => (i64::MIN.into(), i64::MAX.into()),
        "uint8" => (u8::MIN.into(), u8::MAX.into()),
        "uint16" => (u16::MIN.into(), u16::MAX.into()),
        "uint32" => (u32::MIN.into(), u32::MAX.into()),
        "uint64" | "uint" => (u64::MIN.into(), u64::MAX.into()),
        _ => return None,
    })
}

/// Compiles a schema, checking it against its meta-schema first.
pub fn compile(schema: &Value) -> Result<Validator, ValidationError<'static>> {
    jsonschema::options()
        .should_validate_formats(false)
        .build(schema)
}

/// Compiles one of berth's own generated schemas.
///
/// These are built from Rust types at compile time, so a failure is a bug in berth,
/// caught by the tests that compile every published schema.
pub fn compile_builtin(schema: &Value) -> Validator {
    match compile(schema) {
        Ok(validator) => validator,
        Err(error) => panic!("berth's generated schema does not compile: {error}"),
    }
}

/// Validates data against a schema, one finding per violation.
pub fn check(
    validator: &Validator,
    data: &Value,
    file: &str,
    text: &Arc<str>,
    format: Format,
) -> Vec<Finding> {
    check_described(validator, None, data, file, text, format)
}

/// Validates data against a schema, taking help lines from the `description` of
/// the schema that failed when `schema` is given.
pub fn check_described(
    validator: &Validator,
    schema: Option<&Value>,
    data: &Value,
    file: &str,
    text: &Arc<str>,
    format: Format,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for error in validator.iter_errors(data) {
        let pointer = error.instance_path().as_str().to_owned();
        match error.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let mut at = pointer.clone();
                    document::push_segment(&mut at, key);
                    findings.push(
                        Finding::new(Code::Schema, file, format!("unknown key `{key}`{}", within(&pointer)))
                            .with_label("not allowed here")
                            .with_help(format!(
                                "remove `{key}` or correct its spelling; the schema lists the keys allowed{}",
                                within(&pointer)
                            ))
                            .at_pointer(text, format, &at),
                    );
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                findings.push(
                    Finding::new(
                        Code::Schema,
                        file,
                        format!("missing required key `{name}`{}", within(&pointer)),
                    )
                    .with_label(format!("`{name}` is missing"))
                    .with_help(format!("add `{name}`{}", within(&pointer)))
                    .at_pointer(text, format, &pointer),
                );
            }
            kind => {
                let keyword = kind.keyword();
                let description =
                    schema.and_then(|root| description_of(root, error.schema_path().as_str()));
                let message = match (keyword, error.instance().as_ref()) {
                    ("pattern", Value::String(value)) => {
                        format!("`{value}` is not in the form{} needs", field_name(&pointer))
                    }
                    _ => format!("{}{}", describe(&error), at_field(&pointer)),
                };
                let help = match description {
                    Some(description) => format!("expected{}: {description}", field_name(&pointer)),
                    None => "change the value to match the schema".to_owned(),
                };
                findings.push(
                    Finding::new(Code::Schema, file, message)
                        .with_label(label(keyword))
                        .with_help(help)
                        .at_pointer(text, format, &pointer),
                );
            }
        }
    }
    findings
}

/// The JSON pointers of the keys a schema does not allow.
pub fn unknown_keys(validator: &Validator, data: &Value) -> Vec<String> {
    let mut keys = Vec::new();
    for error in validator.iter_errors(data) {
        if let ValidationErrorKind::AdditionalProperties { unexpected } = error.kind() {
            for key in unexpected {
                let mut pointer = error.instance_path().as_str().to_owned();
                document::push_segment(&mut pointer, key);
                keys.push(pointer);
            }
        }
    }
    keys
}

/// The `description` of the schema a failed keyword belongs to, following `$ref`s
/// from the root as the keyword's location does.
fn description_of(root: &Value, keyword_location: &str) -> Option<String> {
    let segments = document::segments(keyword_location);
    let (_, parents) = segments.split_last()?;
    let mut current = root;
    for segment in parents {
        current = if segment == "$ref" {
            let target = current.get("$ref")?.as_str()?.strip_prefix('#')?;
            root.pointer(target)?
        } else {
            current.get(segment.as_str()).or_else(|| {
                let index: usize = segment.parse().ok()?;
                current.get(index)
            })?
        };
    }
    current.get("description")?.as_str().map(str::to_owned)
}

fn field_name(pointer: &str) -> String {
    match document::segments(pointer).last() {
        Some(name) => format!(" `{name}`"),
        None => String::new(),
    }
}

/// A short note for the marked value, by the schema keyword that failed.
fn label(keyword: &str) -> String {
    match keyword {
        "type" => "wrong type",
        "pattern" => "does not match the pattern",
        "enum" | "const" | "oneOf" | "anyOf" => "not an allowed value",
        "minimum" | "exclusiveMinimum" => "too small",
        "maximum" | "exclusiveMaximum" => "too large",
        "minLength" | "minItems" | "minProperties" => "too short",
        "maxLength" | "maxItems" | "maxProperties" => "too long",
        "uniqueItems" => "repeats an item",
        other => other,
    }
    .to_owned()
}

/// The error in words, quoting the offending value when it is short.
fn describe(error: &ValidationError<'_>) -> String {
    match error.instance().as_ref() {
        Value::Object(_) | Value::Array(_) => error.masked().to_string(),
        Value::String(text) if text.len() > 80 => error.masked().to_string(),
        _ => error.to_string(),
    }
}

fn within(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" in `{pointer}`")
    }
}

fn at_field(pointer: &str) -> String {
    if pointer.is_empty() {
        String::new()
    } else {
        format!(" at `{pointer}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn help_comes_from_the_failing_schemas_description() {
        let schema = json!({
            "type": "object",
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"type": "object", "properties": {
                "b": {"type": "string", "pattern": "^x+$", "description": "Only x."}
            }}}
        });
        let validator = compile(&schema).unwrap();
        let text: Arc<str> = Arc::from("{\"a\": {\"b\": \"y\"}}");
        let data: Value = serde_json::from_str(&text).unwrap();
        let findings = check_described(
            &validator,
            Some(&schema),
            &data,
            "f.json",
            &text,
            Format::Json,
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].message, "`y` is not in the form `b` needs");
        assert_eq!(findings[0].help, "expected `b`: Only x.");
    }

    #[test]
    fn integer_formats_become_bounds_and_only_standard_formats_stay() {
        #[derive(JsonSchema)]
        #[allow(dead_code, reason = "only the type's schema is read")]
        struct Sample {
            byte: u8,
            count: u32,
            size: u64,
            index: usize,
            offset: i32,
            delta: i64,
            #[schemars(range(min = 1))]
            limit: u64,
            ratio: f64,
            #[schemars(extend("format" = "date-time"))]
            at: String,
            #[schemars(extend("format" = "semver"))]
            version: String,
        }
        let schema = schema_of::<Sample>();
        let cases = [
            (
                "byte",
                json!({"type": "integer", "minimum": 0, "maximum": 255}),
            ),
            (
                "count",
                json!({"type": "integer", "minimum": 0, "maximum": u32::MAX}),
            ),
            (
                "size",
                json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
            ),
            (
                "index",
                json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
            ),
            (
                "offset",
                json!({"type": "integer", "minimum": i32::MIN, "maximum": i32::MAX}),
            ),
            (
                "delta",
                json!({"type": "integer", "minimum": i64::MIN, "maximum": i64::MAX}),
            ),
            (
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": u64::MAX}),
            ),
            ("ratio", json!({"type": "number"})),
            ("at", json!({"type": "string", "format": "date-time"})),
            ("version", json!({"type": "string"})),
        ];
        for (field, expected) in cases {
            assert_eq!(schema["properties"][field], expected, "{field}");
        }
        assert_eq!(
            output_schema_of::<Sample>()["properties"],
            schema["properties"]
        );
    }

    #[test]
    fn unknown_meta_schema_is_an_error_not_a_panic() {
        assert!(compile(&json!({"$schema": "http://example.com/not-a-meta-schema"})).is_err());
        assert!(compile(&json!({"type": "no-such-type"})).is_err());
        assert!(compile(&json!({"type": "object"})).is_ok());
    }

    #[test]
    fn findings_point_at_the_offending_value() {
        let validator = compile(&json!({
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "string"}},
            "required": ["b"],
            "additionalProperties": false
        }))
        .unwrap();
        let text: Arc<str> = Arc::from("{\n  \"a\": \"x\",\n  \"zz\": 1\n}");
        let data: Value = serde_json::from_str(&text).unwrap();
        let findings = check(&validator, &data, "f.json", &text, Format::Json);
        let summary: Vec<(Option<&str>, usize)> = findings
            .iter()
            .map(|f| {
                (
                    f.pointer.as_deref(),
                    f.location.as_ref().unwrap().start.line,
                )
            })
            .collect();
        assert_eq!(summary.len(), 3, "{findings:?}");
        assert!(summary.contains(&(Some("/a"), 2)));
        assert!(summary.contains(&(Some("/zz"), 3)));
        assert!(summary.contains(&(Some(""), 1)));
    }
}

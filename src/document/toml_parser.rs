//! TOML, read into the same data model as JSON: integers held to the I-JSON
//! range, no NaN or infinities, datetimes as RFC 3339 strings.

use serde_json::{Map, Number, Value};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::{MAX_SAFE_INTEGER, ParseProblem, ProblemKind, out_of_range};

pub(super) fn parse_toml(text: &str) -> Result<Value, ParseProblem> {
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

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::{Format, ParseProblem, parse};

    fn toml(text: &str) -> Result<Value, ParseProblem> {
        parse(text.as_bytes(), Format::Toml)
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
}

//! `--set`, `--unset` and `--file`: the settings a request gives, and how two
//! settings tables differ.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::ConfigError;
use super::history::{SettingChange, cut};
use super::set::NewSettings;
use crate::document::{self, Format, ProblemKind};
use crate::source::Content;

/// Applies `--set` and `--unset` to a settings table.
pub(super) fn edit(
    settings: &mut BTreeMap<String, Value>,
    set: &[(Vec<String>, Value)],
    unset: &[Vec<String>],
) -> Result<(), ConfigError> {
    let mut table: Map<String, Value> = settings.clone().into_iter().collect();
    for (path, value) in set {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut at = &mut table;
        for (depth, key) in parents.iter().enumerate() {
            let through = parents.get(..=depth).unwrap_or(parents);
            let entry = at
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            at = entry
                .as_object_mut()
                .ok_or_else(|| ConfigError::BadSetting {
                    text: join_key(path),
                    reason: format!("`{}` is not a table", join_key(through)),
                })?;
        }
        at.insert(last.clone(), value.clone());
    }
    for path in unset {
        let Some((last, parents)) = path.split_last() else {
            continue;
        };
        let mut at = Some(&mut table);
        for key in parents {
            at = at
                .and_then(|table| table.get_mut(key))
                .and_then(Value::as_object_mut);
        }
        if at.and_then(|table| table.remove(last)).is_none() {
            return Err(ConfigError::BadSetting {
                text: join_key(path),
                reason: "there is no such setting to unset".to_owned(),
            });
        }
    }
    *settings = table.into_iter().collect();
    Ok(())
}

/// Parses `--set KEY=VALUE`: the value as TOML (`0.02`, `true`, `[1, 2]`,
/// `"text"`), or as a string when it is not one TOML value (`gold`); the key as
/// a TOML key (`limits.daily`).
pub fn parse_assignment(text: &str) -> Result<(Vec<String>, Value), ConfigError> {
    let bad = |reason: &str| ConfigError::BadSetting {
        text: cut(text),
        reason: reason.to_owned(),
    };
    let (key, value) = text.split_once('=').ok_or_else(|| bad("it has no `=`"))?;
    let path = parse_key(key).ok_or_else(|| bad("the key is not a TOML key"))?;
    let value = parse_value(value).map_err(|reason| bad(&reason))?;
    Ok((path, value))
}

/// A `--set` value: one TOML value, or else text. A TOML number berth cannot
/// keep exactly (beyond ±(2^53 − 1), NaN, an infinity) is refused for the reason
/// a file holding it is; so is text that reads as a number but is not a TOML one
/// (`.5`, `01`, `NaN`), and text that opens like a TOML string, array or table
/// but is not one (`"unclosed`, `[a`, arrays nested past the parser's depth):
/// none of them may silently become a string. Quoted, any of them is text.
fn parse_value(value: &str) -> Result<Value, String> {
    let problem = match document::parse_text(&format!("v = {value}"), Format::Toml) {
        Ok(Value::Object(mut table)) if table.len() == 1 => match table.remove("v") {
            Some(value) => return Ok(value),
            None => None,
        },
        // More than one TOML value (`1\nb = 2`): not a value, so text.
        Ok(_) => None,
        Err(problem)
            if matches!(
                problem.kind,
                ProblemKind::NonFinite | ProblemKind::IntegerRange
            ) =>
        {
            return Err(problem.message);
        }
        Err(problem) => Some(problem),
    };
    if reads_as_number(value) {
        return Err(format!(
            "`{}` reads as a number but is not a TOML number: write it as one (0.5, 1e3, 1_000), or quote it to keep it as text",
            cut(value)
        ));
    }
    let opens = match value.trim_start().chars().next() {
        Some('"' | '\'') => Some("a string"),
        Some('[') => Some("an array"),
        Some('{') => Some("an inline table"),
        _ => None,
    };
    if let (Some(opens), Some(problem)) = (opens, problem) {
        return Err(format!(
            "`{}` opens like {opens} but is not one in TOML ({}): write it as TOML, or quote it whole to keep it as text",
            cut(value),
            problem.message
        ));
    }
    Ok(Value::String(value.to_owned()))
}

/// Whether text reads as a number: a sign, digits with at most one point and an
/// exponent, or NaN or an infinity in any case.
fn reads_as_number(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|word| unsigned.eq_ignore_ascii_case(word))
    {
        return true;
    }
    let digits = |part: &str| part.chars().all(|c| c.is_ascii_digit() || c == '_');
    let (mantissa, exponent) = unsigned
        .split_once(['e', 'E'])
        .map_or((unsigned, None), |(mantissa, exponent)| {
            (mantissa, Some(exponent))
        });
    let (whole, fraction) = mantissa
        .split_once('.')
        .map_or((mantissa, None), |(whole, fraction)| {
            (whole, Some(fraction))
        });
    digits(whole)
        && fraction.is_none_or(digits)
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && exponent.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
}

/// Parses `--unset KEY`.
pub fn parse_unset(text: &str) -> Result<Vec<String>, ConfigError> {
    parse_key(text).ok_or_else(|| ConfigError::BadSetting {
        text: cut(text),
        reason: "the key is not a TOML key".to_owned(),
    })
}

/// A TOML key (`rate`, `limits.daily`, `"a.b"`) as its path of table keys; `None`
/// when the text is anything more than one key. The key is read as the left side
/// of two one-line documents with different values: text that ends the line early
/// (`a = 0 #`) or adds a second key gives itself away by a value that is not the
/// one written after it.
fn parse_key(key: &str) -> Option<Vec<String>> {
    let key = key.trim();
    if key.is_empty() || key.contains(['\n', '\r']) {
        return None;
    }
    let read = |leaf: i64| -> Option<Vec<String>> {
        let mut data = document::parse_text(&format!("{key} = {leaf}"), Format::Toml).ok()?;
        let mut path = Vec::new();
        loop {
            match data {
                Value::Object(table) if table.len() == 1 => {
                    let (name, value) = table.into_iter().next()?;
                    path.push(name);
                    data = value;
                }
                Value::Number(n) if n.as_i64() == Some(leaf) && !path.is_empty() => {
                    return Some(path);
                }
                _ => return None,
            }
        }
    };
    let path = read(0)?;
    (read(1)? == path).then_some(path)
}

/// Reads the settings table of `--file`: a regular file of at most `limit`
/// bytes (a directory, a FIFO or a device is refused before it is opened, so
/// nothing blocks on it).
pub fn read_settings_file(path: &Path, name: &str, limit: u64) -> Result<NewSettings, ConfigError> {
    let bad = |reason: String| ConfigError::SettingsFile {
        file: name.to_owned(),
        reason,
    };
    let format = path
        .extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
        .ok_or_else(|| bad("it is neither a .json nor a .toml file".to_owned()))?;
    // Opened as every input file is: a directory, FIFO or device is refused
    // before anything blocks on it.
    let bytes = match crate::source::read_capped(path, limit) {
        Ok(Content::Bytes(bytes)) => bytes,
        Ok(Content::TooLarge { size }) => {
            return Err(bad(format!(
                "it is {size} bytes, over the object size limit of {limit}"
            )));
        }
        Err(error)
            if matches!(
                error.kind(),
                std::io::ErrorKind::IsADirectory | std::io::ErrorKind::InvalidInput
            ) =>
        {
            return Err(bad("it is not a regular file".to_owned()));
        }
        Err(error) => {
            return Err(ConfigError::Read {
                path: path.to_owned(),
                error,
            });
        }
    };
    match document::parse(&bytes, format) {
        Ok(Value::Object(table)) => Ok(NewSettings::Replace(table.into_iter().collect())),
        Ok(_) => Err(bad("its top level is not a table".to_owned())),
        Err(problem) => Err(bad(problem.message)),
    }
}

fn join_key(path: &[String]) -> String {
    path.iter()
        .map(|key| {
            if !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                key.clone()
            } else {
                Value::String(key.clone()).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The settings that differ between two tables, nested tables key by key.
pub fn settings_diff(
    from: &BTreeMap<String, Value>,
    to: &BTreeMap<String, Value>,
) -> Vec<SettingChange> {
    let mut changes = Vec::new();
    let from: Map<String, Value> = from.clone().into_iter().collect();
    let to: Map<String, Value> = to.clone().into_iter().collect();
    diff_tables(&mut Vec::new(), &from, &to, &mut changes);
    changes
}

fn diff_tables(
    path: &mut Vec<String>,
    from: &Map<String, Value>,
    to: &Map<String, Value>,
    changes: &mut Vec<SettingChange>,
) {
    let mut keys: Vec<&String> = from.keys().chain(to.keys()).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        path.push(key.clone());
        match (from.get(key), to.get(key)) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => diff_tables(path, a, b, changes),
            (a, b) if a != b => changes.push(SettingChange {
                key: join_key(path),
                from: a.cloned(),
                to: b.cloned(),
            }),
            _ => {}
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn assignments_read_toml_values_and_fall_back_to_text() {
        let cases: &[(&str, &[&str], Value)] = &[
            ("rate=0.02", &["rate"], json!(0.02)),
            ("enabled=true", &["enabled"], json!(true)),
            ("tier=gold", &["tier"], json!("gold")),
            ("limits.daily=100", &["limits", "daily"], json!(100)),
            ("days=[1, 2]", &["days"], json!([1, 2])),
            ("note=\"a=b\"", &["note"], json!("a=b")),
            (
                "url=https://x.example/a=b",
                &["url"],
                json!("https://x.example/a=b"),
            ),
            ("\"a.b\"=1", &["a.b"], json!(1)),
            ("empty=", &["empty"], json!("")),
            // Quoted, anything is text.
            (
                "big=\"9007199254740993\"",
                &["big"],
                json!("9007199254740993"),
            ),
            ("n='nan'", &["n"], json!("nan")),
            // Text with dots or dashes that is no number stays text.
            ("version=1.2.3", &["version"], json!("1.2.3")),
            ("ip=10.0.0.1", &["ip"], json!("10.0.0.1")),
            ("dash=-", &["dash"], json!("-")),
            ("e=e5", &["e"], json!("e5")),
            // More than one TOML value is not a value: text, whole.
            ("note=1\nb = 2", &["note"], json!("1\nb = 2")),
            (
                "max=9007199254740991",
                &["max"],
                json!(9_007_199_254_740_991_u64),
            ),
            ("sep=1_000", &["sep"], json!(1000)),
        ];
        for (text, path, value) in cases {
            let (got_path, got_value) = parse_assignment(text).unwrap();
            assert_eq!(got_path, *path, "{text}");
            assert_eq!(&got_value, value, "{text}");
        }
        for bad in [
            "rate",
            "=1",
            "a..b=1",
            " =1",
            // A key that is more than a key.
            "[t]\nc=1",
            // Numbers berth cannot keep, and text that reads as a number.
            "n=9007199254740992",
            "n=-9007199254740992",
            "n=1e400",
            "n=nan",
            "n=-inf",
            "n=[1, inf]",
            "n={a = nan}",
            "n=.5",
            "n=5.",
            "n=01",
            "n=1e",
            "n=NaN",
            "n=-Infinity",
            // Text that opens like a TOML string, array or table but is not one.
            "n=\"abc",
            "n='abc",
            "n=[beta]",
            "n=[1, 2",
            "n={a=",
        ] {
            assert!(parse_assignment(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_unset("limits.daily").unwrap(), ["limits", "daily"]);
        assert_eq!(parse_unset(" \"a = b\" ").unwrap(), ["a = b"]);
        for bad in [
            "a = 0 #",
            "a.b = 0 #",
            "a = 1\nb",
            "[t]\nc",
            "a = {b",
            "",
            "a.",
        ] {
            assert!(parse_unset(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn edits_set_nested_keys_and_unset_only_what_exists() {
        let mut settings: BTreeMap<String, Value> =
            [("rate".to_owned(), json!(0.02)), ("x".to_owned(), json!(1))]
                .into_iter()
                .collect();
        let set = vec![
            (vec!["limits".to_owned(), "daily".to_owned()], json!(5)),
            (vec!["rate".to_owned()], json!(0.03)),
        ];
        edit(&mut settings, &set, &[vec!["x".to_owned()]]).unwrap();
        assert_eq!(
            serde_json::to_value(&settings).unwrap(),
            json!({"limits": {"daily": 5}, "rate": 0.03})
        );
        assert!(edit(&mut settings, &[], &[vec!["nope".to_owned()]]).is_err());
        let into_number = vec![(vec!["rate".to_owned(), "sub".to_owned()], json!(1))];
        assert!(edit(&mut settings, &into_number, &[]).is_err());
    }

    #[test]
    fn settings_diffs_go_key_by_key() {
        let from = serde_json::from_value(
            json!({"rate": 0.02, "old": true, "limits": {"daily": 5, "weekly": 20}}),
        )
        .unwrap();
        let to = serde_json::from_value(
            json!({"rate": 0.03, "min": 0.01, "limits": {"daily": 5, "weekly": 30}}),
        )
        .unwrap();
        let keys: Vec<(String, bool, bool)> = settings_diff(&from, &to)
            .into_iter()
            .map(|c| (c.key, c.from.is_some(), c.to.is_some()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("limits.weekly".to_owned(), true, true),
                ("min".to_owned(), false, true),
                ("old".to_owned(), true, false),
                ("rate".to_owned(), true, true),
            ]
        );
    }
}

//! Names of stores, partitions, packages, environments and components, and config
//! types.
//!
//! Names become path segments and ref names, so they are checked before any path is
//! built from them: `^[a-z0-9][a-z0-9._-]{0,127}$`, and never `..`. A config type
//! (a key of berth.toml's `[configs]`, a config's `type`) may also hold capitals.

/// The rule, as a regular expression for JSON Schemas (editors show it; the code
/// below enforces it).
pub const NAME_PATTERN: &str = r"^(?!.*\.\.)[a-z0-9][a-z0-9._-]{0,127}$";

/// The longest name, in bytes.
pub const MAX_NAME_LEN: usize = 128;

/// Why a string is not a name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    /// The empty string.
    #[error("a name cannot be empty")]
    Empty,
    /// Longer than [`MAX_NAME_LEN`].
    #[error("`{0}` is longer than {MAX_NAME_LEN} characters")]
    TooLong(String),
    /// Starts with something other than a lowercase letter or digit.
    #[error("`{0}` must start with a lowercase letter or a digit")]
    BadStart(String),
    /// Holds a character outside `a-z 0-9 . _ -`.
    #[error("`{name}` contains {found:?}; names use only a-z, 0-9, `.`, `_` and `-`")]
    BadCharacter {
        /// The name.
        name: String,
        /// The first character that is not allowed.
        found: char,
    },
    /// Contains `..`.
    #[error("`{0}` contains `..`")]
    DotDot(String),
}

/// Checks a name against the rule.
pub fn check(name: &str) -> Result<(), BadName> {
    let Some(first) = name.chars().next() else {
        return Err(BadName::Empty);
    };
    if let Some(found) = name
        .chars()
        .find(|c| !matches!(c, 'a'..='z' | '0'..='9' | '.' | '_' | '-'))
    {
        return Err(BadName::BadCharacter {
            name: name.to_owned(),
            found,
        });
    }
    if !first.is_ascii_lowercase() && !first.is_ascii_digit() {
        return Err(BadName::BadStart(name.to_owned()));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(BadName::TooLong(name.to_owned()));
    }
    if name.contains("..") {
        return Err(BadName::DotDot(name.to_owned()));
    }
    Ok(())
}

/// A config type: `pricing`, `pricing_v2`.
pub const CONFIG_TYPE_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$";

/// Whether text is a config type: what [`CONFIG_TYPE_PATTERN`] matches.
pub fn is_config_type(text: &str) -> bool {
    let mut chars = text.chars();
    text.len() <= 128
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CASES: &[(&str, bool)] = &[
        ("anthropic-search", true),
        ("a", true),
        ("0day", true),
        ("v1.2_beta-3", true),
        ("a.b", true),
        ("", false),
        ("../etc", false),
        ("a..b", false),
        ("..", false),
        (".hidden", false),
        ("-dash", false),
        ("_under", false),
        ("Upper", false),
        ("with space", false),
        ("a/b", false),
        ("a\\b", false),
        ("é", false),
        ("a\0", false),
    ];

    #[test]
    fn the_rule() {
        for (name, ok) in CASES {
            assert_eq!(check(name).is_ok(), *ok, "{name:?}");
        }
        assert!(check(&"a".repeat(128)).is_ok());
        assert_eq!(
            check(&"a".repeat(129)),
            Err(BadName::TooLong("a".repeat(129)))
        );
    }

    /// The pattern that editors see agrees with the code that enforces it.
    #[test]
    fn pattern_agrees_with_check() {
        let schema = serde_json::json!({"type": "string", "pattern": NAME_PATTERN});
        let validator = jsonschema::validator_for(&schema).unwrap();
        let long = "a".repeat(129);
        for (name, ok) in CASES.iter().copied().chain([(long.as_str(), false)]) {
            assert_eq!(validator.is_valid(&serde_json::json!(name)), ok, "{name:?}");
        }
    }

    #[test]
    fn is_config_type_is_the_config_type_pattern() {
        let pattern = regex::Regex::new(CONFIG_TYPE_PATTERN).unwrap();
        let long = "a".repeat(128);
        let longer = "a".repeat(129);
        for text in [
            "pricing",
            "Pricing_V2",
            "a..b",
            "a.b-c_d",
            "0",
            long.as_str(),
            longer.as_str(),
            "",
            "-a",
            ".a",
            "a b",
            "a/b",
            "é",
            "a:b",
            "a\n",
        ] {
            assert_eq!(is_config_type(text), pattern.is_match(text), "{text:?}");
        }
    }
}

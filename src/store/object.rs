//! An object read once as its kind's type.
//!
//! The rules read objects as JSON, because they must judge objects that break
//! their kind's schema too. Everything that acts on an object (a release's
//! components, an event's status, a config's settings) wants its Rust type, and
//! reads it here, once: [`Object::read`] from a file's bytes, [`Object::from_data`]
//! from JSON already parsed. What does not read is a [`NotOfType`] the caller must
//! handle; whoever leaves such an object out says so where it decides.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::document::{self, Format};

/// An object and the file it was read from, its data read as `T`, the type of
/// its kind (`kinds::release::Release`, `kinds::event::Event`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T> {
    /// Its file, relative to the repository root.
    pub file: String,
    /// Its data.
    pub data: T,
}

/// An object file whose data is not of the type its kind has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}` does not read as its kind: {reason}")]
pub struct NotOfType {
    /// The file.
    pub file: String,
    /// Why: the parse problem, or the first field that does not fit.
    pub reason: String,
}

impl<T: DeserializeOwned> Object<T> {
    /// Reads an object file's bytes, JSON or TOML by its name's extension.
    pub fn read(file: &str, bytes: &[u8]) -> Result<Object<T>, NotOfType> {
        let not_of_type = |reason: String| NotOfType {
            file: file.to_owned(),
            reason,
        };
        let format = Format::of_path(file)
            .ok_or_else(|| not_of_type("its name ends in neither .json nor .toml".to_owned()))?;
        let data =
            document::parse(bytes, format).map_err(|problem| not_of_type(problem.message))?;
        Object::from_data(file, &data)
    }

    /// Reads an object's data, already parsed, as `T`.
    pub fn from_data(file: &str, data: &Value) -> Result<Object<T>, NotOfType> {
        let data = T::deserialize(data).map_err(|error| NotOfType {
            file: file.to_owned(),
            reason: error.to_string(),
        })?;
        Ok(Object {
            file: file.to_owned(),
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        a: u8,
        b: Option<String>,
    }

    #[test]
    fn an_object_reads_as_its_type_or_says_why_not() {
        let cases: [(&str, &str, Result<Pair, &str>); 7] = [
            ("o/x.json", r#"{"a": 1}"#, Ok(Pair { a: 1, b: None })),
            (
                "o/x.toml",
                "a = 2\nb = \"x\"\n",
                Ok(Pair {
                    a: 2,
                    b: Some("x".to_owned()),
                }),
            ),
            ("o/x.json", r#"{"a": 1"#, Err("eof")),
            ("o/x.json", r#"{"a": 1, "a": 2}"#, Err("duplicate")),
            ("o/x.json", r#"{"a": 300}"#, Err("invalid value")),
            ("o/x.json", r#"{"a": 1, "c": 0}"#, Err("unknown field")),
            ("o/x.yaml", "a: 1", Err("neither .json nor .toml")),
        ];
        for (file, text, expected) in cases {
            match (Object::<Pair>::read(file, text.as_bytes()), expected) {
                (Ok(object), Ok(pair)) => {
                    assert_eq!(object.file, file);
                    assert_eq!(object.data, pair, "{text}");
                }
                (Err(error), Err(why)) => {
                    assert_eq!(error.file, file);
                    assert!(
                        error.reason.to_lowercase().contains(why),
                        "{text}: {}",
                        error.reason
                    );
                }
                (got, expected) => panic!("{text}: got {got:?}, expected {expected:?}"),
            }
        }
    }
}

//! User-defined kinds: stores that berth.toml declares with a JSON Schema.

use jsonschema::Validator;
use serde_json::Value;

use super::Kind;

/// A store whose objects match a user's JSON Schema.
pub struct Custom {
    /// The store's name.
    pub store: String,
    /// JSON pointer to the partition key.
    pub partition: String,
    /// JSON pointer to the version, if objects have one.
    pub version: Option<String>,
    /// Whether objects can be promoted to environments.
    pub promotable: bool,
    /// The schema, as written.
    pub schema: Value,
    /// The compiled schema.
    pub validator: Validator,
}

impl Kind for Custom {
    fn store(&self) -> &str {
        &self.store
    }

    fn partition(&self) -> &str {
        &self.partition
    }

    fn validator(&self) -> &Validator {
        &self.validator
    }

    fn schema(&self) -> &Value {
        &self.schema
    }

    fn promotable(&self) -> bool {
        self.promotable
    }

    fn version_pointer(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

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
}

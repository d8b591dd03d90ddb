//! Config versions: settings that govern behaviour, each version an immutable
//! object, so that what was in force when can be proven (the config versioning
//! pattern, kept as files). When a version stopped being in force is derived from
//! the next version, never written.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::version_set::DATE_TIME_PATTERN;
use super::{FieldProblem, Kind};
use crate::names::{CONFIG_TYPE_PATTERN, NAME_PATTERN};
use crate::store::CONFIGS;

/// An entity a config applies to, or a tenant: `acct_1`, `asset:42`.
pub const ENTITY_PATTERN: &str = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,255}$";

/// The fields fixed across an id's versions, as JSON pointers: changing one is a
/// breaking change, which is a new type.
pub const FIXED_FIELDS: &[&str] = &["/type", "/category", "/applies_to", "/scope"];

/// One version of a config.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Config version",
    description = "One version of a config: settings in force for an entity from `effective_at` until the next version's `effective_at`. Stored at objects/configs/<id>/<sha256>.<json|toml>; a change is a new version, never an edit."
)]
pub struct Config {
    /// The config's id; also its partition.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub id: String,
    /// The version: 1 for the first, one more for each after it.
    #[schemars(range(min = 1, max = 9_007_199_254_740_991_u64))]
    pub version: u64,
    /// What the config governs, such as `pricing`; fixed across versions.
    #[serde(rename = "type")]
    #[schemars(regex(pattern = CONFIG_TYPE_PATTERN))]
    pub config_type: String,
    /// Whether it is a policy or logic; fixed across versions.
    pub category: Category,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The entity it governs: an account, campaign or asset id; fixed across
    /// versions.
    #[schemars(regex(pattern = ENTITY_PATTERN))]
    pub applies_to: String,
    /// What kind of entity `applies_to` is; fixed across versions.
    pub scope: Scope,
    /// The tenant the entity belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = ENTITY_PATTERN))]
    pub tenant_id: Option<String>,
    /// The settings: a table.
    pub settings: BTreeMap<String, Value>,
    /// When the version takes effect: an RFC 3339 date-time with an offset.
    #[schemars(regex(pattern = DATE_TIME_PATTERN), extend("format" = "date-time"))]
    pub effective_at: String,
    /// The key of the write that made this version: a retry with the same key
    /// finds it instead of writing another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 256))]
    pub idempotency_key: Option<String>,
}

/// A config's category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    /// Rules that constrain: budgets, hours, autonomy.
    Policy,
    /// Values a calculation uses: pricing, routing.
    Logic,
}

/// The kind of entity a config applies to, from the most specific.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// One asset.
    Asset,
    /// A campaign, for its assets.
    Campaign,
    /// An account, for everything in it.
    Account,
}

impl Category {
    /// The name written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Policy => "policy",
            Category::Logic => "logic",
        }
    }
}

impl Scope {
    /// The name written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Asset => "asset",
            Scope::Campaign => "campaign",
            Scope::Account => "account",
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The config kind.
pub struct Configs;

impl Kind for Configs {
    fn store(&self) -> &str {
        CONFIGS
    }

    fn partition(&self) -> &str {
        "/id"
    }

    super::builtin_schema!(Config);

    fn rules(&self, data: &Value) -> Vec<FieldProblem> {
        super::instant_rule(data, "/effective_at")
            .into_iter()
            .collect()
    }

    fn tags(&self, partition: &str) -> Vec<String> {
        vec![format!("config:{partition}")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Value {
        json!({
            "id": "pricing-acct-1",
            "version": 1,
            "type": "pricing_v2",
            "category": "logic",
            "applies_to": "acct_1",
            "scope": "account",
            "settings": {"rate_per_minute": 0.02, "tiers": {"gold": 0.01}},
            "effective_at": "2025-05-01T00:00:00Z",
            "idempotency_key": "7c1f"
        })
    }

    #[test]
    fn configs_are_checked_and_typed() {
        let data = config();
        assert!(Configs.validator().is_valid(&data));
        assert!(Configs.rules(&data).is_empty());
        let typed: Config = serde_json::from_value(data).unwrap();
        assert_eq!(
            (typed.config_type.as_str(), typed.scope, typed.category),
            ("pricing_v2", Scope::Account, Category::Logic)
        );
    }

    #[test]
    fn the_schema_refuses_what_a_config_cannot_be() {
        for (pointer, value) in [
            ("/version", json!(0)),
            ("/version", json!("2")),
            ("/scope", json!("tenant")),
            ("/category", json!("rule")),
            ("/settings", json!([1, 2])),
            ("/effective_at", json!("tomorrow")),
            ("/id", json!("Pricing")),
            ("/applies_to", json!("")),
            ("/idempotency_key", json!("")),
        ] {
            let mut bad = config();
            *bad.pointer_mut(pointer).unwrap() = value.clone();
            assert!(!Configs.validator().is_valid(&bad), "{pointer} {value}");
        }
        let mut unreal = config();
        unreal["effective_at"] = json!("2025-02-30T00:00:00Z");
        assert_eq!(Configs.rules(&unreal)[0].pointer, "/effective_at");
    }
}

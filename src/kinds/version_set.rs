//! Version sets: immutable manifests tying together every artifact of a deployable
//! version of a package (the corpus `version_set_store` shape, field for field).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{FieldProblem, FieldRef, Kind};
use crate::diagnostic::code::Code;
use crate::names::NAME_PATTERN;
use crate::store::VERSION_SETS;

/// A reference to another object: `<store>/<id>`.
pub const REF_PATTERN: &str = r"^[a-z0-9][a-z0-9._-]{0,127}/[A-Za-z0-9._-]+$";

/// An RFC 3339 date-time with an offset.
pub const DATE_TIME_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$";

/// A calendar date, `YYYY-MM-DD`.
pub const DATE_PATTERN: &str = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$";

/// A version set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "Version set",
    description = "An immutable manifest tying together every artifact of a deployable version of a package: the worker bundle, optional static assets, migrations, the environment manifest, the infra plan and optional grants. Stored at objects/version-sets/<package>/<sha256>.<json|toml>."
)]
pub struct VersionSet {
    /// The package this version set deploys; also its partition in the store.
    #[schemars(regex(pattern = NAME_PATTERN))]
    pub package: String,
    /// The commit the artifacts were built from: 40 lowercase hex digits.
    #[schemars(regex(pattern = r"^[0-9a-f]{40}$"))]
    pub git_sha: String,
    /// When the version set was made: an RFC 3339 date-time with an offset.
    #[schemars(regex(pattern = DATE_TIME_PATTERN), extend("format" = "date-time"))]
    pub created_at: String,
    /// The build artifacts.
    pub builds: Builds,
    /// Database and Durable Object migrations shipped with this version.
    pub migrations: Migrations,
    /// The environment manifest: a `<store>/<id>` reference.
    #[schemars(regex(pattern = REF_PATTERN))]
    pub env_manifest_ref: String,
    /// The infrastructure plan: a `<store>/<id>` reference.
    #[schemars(regex(pattern = REF_PATTERN))]
    pub infra_plan_ref: String,
    /// Grants the version needs: a `<store>/<id>` reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = REF_PATTERN))]
    pub grants_ref: Option<String>,
}

/// `builds`: the artifacts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Builds {
    /// The worker bundle.
    pub worker: WorkerBuild,
    /// Static assets served beside the worker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AssetsBuild")]
    pub assets: Option<AssetsBuild>,
}

/// `builds.worker`: the worker bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerBuild {
    /// The bundle: a `<store>/<id>` reference.
    #[schemars(regex(pattern = REF_PATTERN))]
    pub artifact_ref: String,
    /// The bundle's size in bytes.
    pub size_bytes: u64,
    /// The runtime compatibility date, `YYYY-MM-DD`.
    #[schemars(regex(pattern = DATE_PATTERN), extend("format" = "date"))]
    pub compatibility_date: String,
}

/// `builds.assets`: static assets.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssetsBuild {
    /// The asset bundle: a `<store>/<id>` reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = REF_PATTERN))]
    pub artifact_ref: Option<String>,
    /// Whether assets are pinned to this worker version.
    pub version_affinity: VersionAffinity,
}

/// How assets follow worker versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum VersionAffinity {
    /// Assets are served only with this worker version.
    Pinned,
    /// Assets are shared across worker versions.
    None,
}

/// `migrations`: what the version migrates.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Migrations {
    /// The D1 migration plan: a `<store>/<id>` reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = REF_PATTERN))]
    pub d1_plan_ref: Option<String>,
    /// Durable Object migrations, in order.
    pub do_migrations: Vec<DoMigration>,
}

/// One Durable Object migration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DoMigration {
    /// The Durable Object class.
    #[schemars(length(min = 1))]
    pub class_name: String,
    /// The migration tag.
    #[schemars(length(min = 1))]
    pub tag: String,
    /// What the migration does to the class.
    pub kind: DoMigrationKind,
}

/// What a Durable Object migration does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DoMigrationKind {
    /// New classes backed by SQLite storage.
    NewSqliteClasses,
    /// New classes.
    NewClasses,
    /// Renamed classes.
    RenamedClasses,
    /// Deleted classes.
    DeletedClasses,
    /// Classes transferred from another script.
    TransferredClasses,
}

/// The fields that hold references, as JSON pointers.
const REFERENCE_FIELDS: &[&str] = &[
    "/builds/worker/artifact_ref",
    "/builds/assets/artifact_ref",
    "/migrations/d1_plan_ref",
    "/env_manifest_ref",
    "/infra_plan_ref",
    "/grants_ref",
];

/// The version-set kind.
pub struct VersionSets;

impl Kind for VersionSets {
    fn store(&self) -> &str {
        VERSION_SETS
    }

    fn partition(&self) -> &str {
        "/package"
    }

    super::builtin_schema!(VersionSet);

    fn rules(&self, data: &Value) -> Vec<FieldProblem> {
        let mut problems: Vec<FieldProblem> = super::instant_rule(data, "/created_at")
            .into_iter()
            .collect();
        let date_pointer = "/builds/worker/compatibility_date";
        if let Some(text) = data.pointer(date_pointer).and_then(Value::as_str)
            && let Err(error) = text.parse::<jiff::civil::Date>()
        {
            problems.push(FieldProblem {
                code: Code::Schema,
                pointer: date_pointer.to_owned(),
                message: format!("`{text}` is not a real date: {error}"),
                label: "not a calendar date".to_owned(),
                help: "write a date that exists, as YYYY-MM-DD".to_owned(),
            });
        }
        problems
    }

    fn references(&self, data: &Value) -> Vec<FieldRef> {
        REFERENCE_FIELDS
            .iter()
            .filter_map(|pointer| {
                let target = data.pointer(pointer)?.as_str()?;
                Some(FieldRef {
                    pointer: (*pointer).to_owned(),
                    target: target.to_owned(),
                })
            })
            .collect()
    }

    fn tags(&self, partition: &str) -> Vec<String> {
        vec![format!("pkg:{partition}")]
    }

    fn promotable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Value {
        json!({
            "package": "anthropic-search",
            "git_sha": "0123456789abcdef0123456789abcdef01234567",
            "created_at": "2025-05-01T12:00:00Z",
            "builds": {
                "worker": {"artifact_ref": "worker-bundles/abc", "size_bytes": 12345, "compatibility_date": "2025-05-01"},
                "assets": {"version_affinity": "pinned"}
            },
            "migrations": {"do_migrations": [{"class_name": "Counter", "tag": "v1", "kind": "new_sqlite_classes"}]},
            "env_manifest_ref": "env-manifests/abc",
            "infra_plan_ref": "infra-plans/abc"
        })
    }

    fn schema_errors(data: &Value) -> Vec<String> {
        VersionSets
            .validator()
            .iter_errors(data)
            .map(|e| e.instance_path().as_str().to_owned())
            .collect()
    }

    #[test]
    fn the_sample_is_valid_and_typed() {
        let data = sample();
        assert!(
            schema_errors(&data).is_empty(),
            "{:?}",
            schema_errors(&data)
        );
        assert!(VersionSets.rules(&data).is_empty());
        let typed: VersionSet = serde_json::from_value(data).unwrap();
        assert_eq!(
            typed.migrations.do_migrations[0].kind,
            DoMigrationKind::NewSqliteClasses
        );
    }

    #[test]
    fn field_rules() {
        let cases: &[(&str, Value, &str)] = &[
            (
                "/git_sha",
                json!("0123456789ABCDEF0123456789abcdef01234567"),
                "/git_sha",
            ),
            ("/git_sha", json!("0123"), "/git_sha"),
            ("/created_at", json!("2025-05-01"), "/created_at"),
            ("/created_at", json!("2025-05-01T12:00:00"), "/created_at"),
            (
                "/builds/worker/compatibility_date",
                json!("2025-5-1"),
                "/builds/worker/compatibility_date",
            ),
            (
                "/builds/worker/size_bytes",
                json!(-1),
                "/builds/worker/size_bytes",
            ),
            (
                "/builds/assets/version_affinity",
                json!("sometimes"),
                "/builds/assets/version_affinity",
            ),
            (
                "/migrations/do_migrations/0/kind",
                json!("new_tables"),
                "/migrations/do_migrations/0/kind",
            ),
            ("/env_manifest_ref", json!("no-slash"), "/env_manifest_ref"),
            ("/grants_ref", json!(null), "/grants_ref"),
            ("/package", json!("../etc"), "/package"),
        ];
        for (pointer, value, expected) in cases {
            let mut data = sample();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            data.pointer_mut(parent).unwrap()[key] = value.clone();
            assert_eq!(schema_errors(&data), [*expected], "{pointer} = {value}");
        }
    }

    #[test]
    fn calendar_rules() {
        for (pointer, value) in [
            ("/created_at", "2025-02-30T12:00:00Z"),
            ("/created_at", "2025-05-01T25:00:00Z"),
            ("/builds/worker/compatibility_date", "2025-02-29"),
        ] {
            let mut data = sample();
            *data.pointer_mut(pointer).unwrap() = json!(value);
            assert!(schema_errors(&data).is_empty(), "{value}");
            let problems = VersionSets.rules(&data);
            assert_eq!(problems.len(), 1, "{value}");
            assert_eq!(problems[0].pointer, pointer);
        }
    }

    #[test]
    fn references_are_the_ref_fields_present() {
        let refs: Vec<String> = VersionSets
            .references(&sample())
            .into_iter()
            .map(|r| r.pointer)
            .collect();
        assert_eq!(
            refs,
            [
                "/builds/worker/artifact_ref",
                "/env_manifest_ref",
                "/infra_plan_ref"
            ]
        );
    }
}

//! `schemas/` holds exactly the schemas generated from berth's types, and they
//! describe what berth accepts and prints.

use std::path::Path;

use crate::support::{Repo, fixtures_dir, version_set};

/// Every schema berth publishes in `schemas/`, by file name: berth.toml, each
/// built-in kind, and the JSON each command prints.
fn published() -> Vec<(&'static str, serde_json::Value)> {
    use berth::schema::{output_schema_of, schema_of};
    use berth::{check, env, kinds, objects, report, settings, workspace};
    vec![
        ("berth.schema.json", schema_of::<settings::SettingsFile>()),
        (
            "version-set.schema.json",
            schema_of::<kinds::version_set::VersionSet>(),
        ),
        ("event.schema.json", schema_of::<kinds::event::Event>()),
        (
            "release.schema.json",
            schema_of::<kinds::release::Release>(),
        ),
        (
            "config.schema.json",
            schema_of::<kinds::config_version::Config>(),
        ),
        (
            "component.schema.json",
            schema_of::<kinds::component::Component>(),
        ),
        (
            "versions.schema.json",
            schema_of::<kinds::component::VersionMap>(),
        ),
        (
            "output/mark.schema.json",
            output_schema_of::<berth::lifecycle::MarkOutcome>(),
        ),
        (
            "output/release-create.schema.json",
            output_schema_of::<berth::release::CreateOutcome>(),
        ),
        (
            "output/release-diff.schema.json",
            output_schema_of::<berth::release::ReleaseDiff>(),
        ),
        (
            "output/config-set.schema.json",
            output_schema_of::<berth::config::SetOutcome>(),
        ),
        (
            "output/config-show.schema.json",
            output_schema_of::<berth::config::Shown>(),
        ),
        (
            "output/config-history.schema.json",
            output_schema_of::<berth::config::HistoryReport>(),
        ),
        (
            "output/config-diff.schema.json",
            output_schema_of::<berth::config::ConfigDiff>(),
        ),
        (
            "output/config-resolve.schema.json",
            output_schema_of::<berth::config::Resolution>(),
        ),
        (
            "output/versions-import.schema.json",
            output_schema_of::<berth::registry::ImportOutcome>(),
        ),
        (
            "output/diff.schema.json",
            output_schema_of::<env::query::EnvDiff>(),
        ),
        (
            "output/error.schema.json",
            output_schema_of::<report::ErrorReport<'static>>(),
        ),
        (
            "output/history.schema.json",
            output_schema_of::<env::query::History>(),
        ),
        (
            "output/init.schema.json",
            output_schema_of::<workspace::InitOutcome>(),
        ),
        (
            "output/lineage.schema.json",
            output_schema_of::<env::query::Lineage>(),
        ),
        (
            "output/ls.schema.json",
            output_schema_of::<report::Listing<'static>>(),
        ),
        (
            "output/promote.schema.json",
            output_schema_of::<env::promote::PromoteOutcome>(),
        ),
        (
            "output/put.schema.json",
            output_schema_of::<objects::put::PutOutcome>(),
        ),
        (
            "output/review.schema.json",
            output_schema_of::<berth::review::Review>(),
        ),
        (
            "output/show.schema.json",
            output_schema_of::<objects::lookup::ShownObject>(),
        ),
        (
            "output/status.schema.json",
            output_schema_of::<env::query::Status>(),
        ),
        (
            "output/validate.schema.json",
            output_schema_of::<check::ValidationReport<'static>>(),
        ),
    ]
}

fn schemas_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
}

/// Fails when `schemas/` drifts from the types. Run with `BERTH_UPDATE_SCHEMAS=1`
/// to regenerate.
#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var_os("BERTH_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in published() {
        let path = schemas_dir().join(name);
        let text = serde_json::to_string_pretty(&schema).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "schemas out of date: {stale:?}; run `BERTH_UPDATE_SCHEMAS=1 cargo test schemas`"
    );
}

#[test]
fn every_schema_is_draft_2020_12_and_has_descriptions() {
    for (name, schema) in published() {
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        assert!(jsonschema::meta::is_valid(&schema), "{name}");
        let text = schema.to_string();
        let properties = text.matches("\"properties\"").count();
        assert!(
            properties == 0 || text.contains("\"description\""),
            "{name} has no descriptions"
        );
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(schemas_dir().join(name)).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
}

/// An editor using the published schemas agrees with berth on the fixtures.
#[test]
fn published_kind_schemas_accept_the_valid_fixtures() {
    let version_sets = validator("version-set.schema.json");
    let settings = validator("berth.schema.json");
    let root = fixtures_dir().join("valid/catalog");
    let toml_text = std::fs::read_to_string(root.join("berth.toml")).unwrap();
    let data = berth::document::parse_text(&toml_text, berth::document::Format::Toml).unwrap();
    assert!(settings.is_valid(&data));
    for entry in walkdir::WalkDir::new(root.join("objects/version-sets")) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let format = berth::document::Format::of_path(&entry.path().to_string_lossy()).unwrap();
            let data =
                berth::document::parse(&std::fs::read(entry.path()).unwrap(), format).unwrap();
            assert!(version_sets.is_valid(&data), "{}", entry.path().display());
        }
    }
}

/// What the commands print matches the published output schemas.
#[test]
fn command_output_matches_the_output_schemas() {
    let repo = Repo::empty();
    let (_, init) = repo.json(&["init", "--commit"]);
    repo.write_json("vs.json", &version_set("billing", 1));
    let (_, put) = repo.json(&["put", "version-sets", "vs.json"]);
    let hash = put["objects"][0]["hash"].as_str().unwrap().to_owned();
    let (_, show) = repo.json(&["show", &hash]);
    let (_, ls) = repo.json(&["ls"]);
    repo.write("objects/version-sets/billing/README", "stray\n");
    let (_, validate) = repo.json(&["validate"]);
    let (_, error) = repo.json(&["put", "widgets", "vs.json"]);
    for (schema, value) in [
        ("output/init.schema.json", init),
        ("output/put.schema.json", put),
        ("output/show.schema.json", show),
        ("output/ls.schema.json", ls),
        ("output/validate.schema.json", validate),
        ("output/error.schema.json", error),
    ] {
        let errors: Vec<String> = validator(schema)
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{schema}: {errors:?}\n{value:#}");
    }
}

/// A schema that also refuses properties it does not describe: every object
/// schema with `properties` gets `additionalProperties: false`.
fn closed(schema: &mut serde_json::Value) {
    match schema {
        serde_json::Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".to_owned(), false.into());
            }
            map.values_mut().for_each(closed);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(closed),
        _ => {}
    }
}

/// What the environment commands print matches the published output schemas,
/// with no property the schemas leave out.
#[test]
fn environment_command_output_matches_the_output_schemas() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    repo.ready(&one);
    let promote = repo.ok(&[
        "promote",
        &one.object,
        "--to",
        "dev",
        "--tag",
        "shape:onebox",
    ]);
    let staging = repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    let production = repo.ok(&["promote", "billing@staging", "--to", "production"]);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let unchanged = repo.ok(&["promote", &two.object, "--to", "dev"]);
    let rollback = repo.ok(&["rollback", "billing", "--env", "dev"]);
    let lineage = repo.ok(&["lineage", "billing@production"]);
    let history = repo.ok(&["history", "billing@dev"]);
    let status = repo.ok(&["status"]);
    let status_at = repo.ok(&["status", "--at", "2030-01-01T00:00:00Z"]);
    let diff = repo.ok(&["diff", "dev", "staging"]);
    let show = repo.ok(&["show", "billing@production"]);
    let (code, refused) = repo.json(&["promote", &two.object, "--to", "production"]);
    assert_eq!(code, 1);
    let (code, no_previous) = repo.json(&["rollback", "billing", "--env", "staging"]);
    assert_eq!(code, 1);
    let (code, bad_time) = repo.json(&["status", "--at", "soon"]);
    assert_eq!(code, 2);
    // The closed schemas do refuse what they do not describe, however deep.
    let mut extra = status.clone();
    extra["environments"][0]["packages"][0]["surprise"] = true.into();
    let text = std::fs::read_to_string(schemas_dir().join("output/status.schema.json")).unwrap();
    let mut strict: serde_json::Value = serde_json::from_str(&text).unwrap();
    closed(&mut strict);
    assert!(!jsonschema::is_valid(&strict, &extra));
    assert!(jsonschema::is_valid(&strict, &status));
    for (schema, value) in [
        ("output/promote.schema.json", promote),
        ("output/promote.schema.json", staging),
        ("output/promote.schema.json", production),
        ("output/promote.schema.json", unchanged),
        ("output/promote.schema.json", rollback),
        ("output/lineage.schema.json", lineage),
        ("output/history.schema.json", history),
        ("output/status.schema.json", status),
        ("output/status.schema.json", status_at),
        ("output/diff.schema.json", diff),
        ("output/show.schema.json", show),
        ("output/error.schema.json", refused),
        ("output/error.schema.json", no_previous),
        ("output/error.schema.json", bad_time),
    ] {
        let text = std::fs::read_to_string(schemas_dir().join(schema)).unwrap();
        let mut strict: serde_json::Value = serde_json::from_str(&text).unwrap();
        closed(&mut strict);
        let errors: Vec<String> = jsonschema::validator_for(&strict)
            .unwrap()
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{schema}: {errors:?}\n{value:#}");
    }
}

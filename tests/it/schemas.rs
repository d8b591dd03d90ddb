//! `schemas/` holds exactly the schemas generated from berth's types, and they
//! describe what berth accepts and prints.

use std::path::Path;

use crate::support::{Repo, fixtures_dir, version_set};

fn schemas_dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/schemas"))
}

/// Fails when `schemas/` drifts from the types. Run with `BERTH_UPDATE_SCHEMAS=1`
/// to regenerate.
#[test]
fn committed_schemas_match_the_types() {
    let update = std::env::var_os("BERTH_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, schema) in berth::schema::published() {
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
    for (name, schema) in berth::schema::published() {
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

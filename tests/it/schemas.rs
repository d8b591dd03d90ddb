//! `schemas/` holds exactly the schemas generated from berth's types, and they
//! describe what berth accepts and prints, in standard keywords that editors and
//! other validators load: ajv in strict mode and Taplo (the ignored tests at the
//! end, which `.ci/run` runs once it has installed them from `tests/ajv/`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Repo, describe, fixtures_dir, version_set};

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
            "output/versions-sync.schema.json",
            output_schema_of::<berth::registry::SyncOutcome>(),
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
            "output/fetch.schema.json",
            output_schema_of::<env::fetch::FetchOutcome>(),
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
            "output/repair.schema.json",
            output_schema_of::<env::promote::RepairOutcome>(),
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
            "output/verify.schema.json",
            output_schema_of::<env::signature::Verification>(),
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

/// The formats draft 2020-12 defines (its format vocabulary, section 7.3).
const STANDARD_FORMATS: &[&str] = &[
    "date-time",
    "date",
    "time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uuid",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
    "regex",
];

/// A meta-schema for draft 2020-12 with nothing outside the standard: it extends
/// the draft's own and, through its `$dynamicAnchor`, applies to every subschema
/// too, refusing any keyword that none of the draft's vocabularies defines and any
/// `format` the draft does not define.
fn standard_keywords_only() -> jsonschema::Validator {
    jsonschema::validator_for(&json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://berth.invalid/meta/standard-keywords-only",
        "$dynamicAnchor": "meta",
        "$ref": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"format": {"enum": STANDARD_FORMATS}},
        "unevaluatedProperties": false
    }))
    .unwrap()
}

/// Every file under `schemas/`, by its path there.
fn schema_files() -> Vec<(String, Value)> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(schemas_dir()).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let name = entry.path().strip_prefix(schemas_dir()).unwrap();
            let text = std::fs::read_to_string(entry.path()).unwrap();
            let schema = serde_json::from_str(&text).unwrap();
            files.push((name.to_string_lossy().replace('\\', "/"), schema));
        }
    }
    files
}

/// The published schemas load in any validator: each is valid against the
/// meta-schema its `$schema` names and uses no keyword and no format outside the
/// standard (schemars' own `uint64` and the like would be refused).
#[test]
fn every_published_schema_keeps_to_standard_keywords() {
    let files = schema_files();
    let mut names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    let mut expected: Vec<&str> = published().iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    expected.sort_unstable();
    assert_eq!(
        names, expected,
        "schemas/ differs from the schemas berth publishes"
    );

    let standard = standard_keywords_only();
    for (name, schema) in &files {
        if let Err(error) = jsonschema::meta::validate(schema) {
            panic!("{name} breaks its meta-schema: {error}");
        }
        let errors: Vec<String> = standard
            .iter_errors(schema)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
    }

    // The check refuses what it is for, however deep it sits.
    let (_, version_set) = files
        .iter()
        .find(|(name, _)| name == "version-set.schema.json")
        .unwrap();
    let size = "/$defs/WorkerBuild/properties/size_bytes";
    let bounds = &version_set.pointer(size).unwrap();
    assert_eq!(
        (&bounds["type"], &bounds["minimum"], &bounds["maximum"]),
        (&json!("integer"), &json!(0), &json!(u64::MAX))
    );
    assert_eq!(bounds.get("format"), None);
    for (keyword, value) in [
        ("format", json!("uint64")),
        ("format", json!("semver")),
        ("nullable", json!(true)),
        ("x-berth", json!("anything")),
    ] {
        let mut bent = version_set.clone();
        bent.pointer_mut(size)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(keyword.to_owned(), value.clone());
        assert!(jsonschema::meta::is_valid(&bent), "{keyword}: {value}");
        assert!(!standard.is_valid(&bent), "{keyword}: {value}");
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
    let verify = repo.ok(&["verify", "dev"]);
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
        ("output/verify.schema.json", verify),
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

/// `tests/ajv/`, where `npm ci` installs ajv and Taplo at the versions its
/// `package-lock.json` pins.
fn npm_dir() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ajv")).to_owned()
}

/// Every published schema compiles in ajv's strict mode, every strict option on,
/// with the standard formats known (ajv-formats) and no other.
#[test]
#[ignore = "needs node and tests/ajv's npm packages: .ci/run installs them"]
#[allow(
    clippy::disallowed_macros,
    reason = "lists what it checked in CI's log"
)]
fn ajv_strict() {
    let output = Command::new("node")
        .arg(npm_dir().join("compile.mjs"))
        .arg(schemas_dir())
        .output()
        .unwrap_or_else(|error| panic!("cannot run node: {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let compiled: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("compiled "))
        .collect();
    let mut expected: Vec<&str> = published().iter().map(|(name, _)| *name).collect();
    expected.sort_unstable();
    assert_eq!(compiled, expected, "{}", describe(&output));
}

/// Where the README tells editors to find the published schemas: the files of
/// `schemas/` at the tag of this version.
fn readme_schema_address() -> String {
    format!(
        "https://raw.githubusercontent.com/berth-rs/berth/v{}/schemas/",
        env!("CARGO_PKG_VERSION")
    )
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

/// The README's fenced code blocks in a language, in order.
fn readme_blocks(language: &str) -> Vec<String> {
    use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
    let readme = readme();
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for event in Parser::new(&readme) {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(fence)))
                if fence.as_ref() == language =>
            {
                current = Some(String::new());
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// The README's editor settings name published schemas at this version's tag,
/// and its VS Code settings are JSON.
#[test]
fn readme_points_editors_at_the_published_schemas() {
    let readme = readme();
    let names: Vec<&str> = published().iter().map(|(name, _)| *name).collect();
    let prefix = "https://raw.githubusercontent.com/berth-rs/berth/";
    let addresses: Vec<&str> = readme
        .match_indices(prefix)
        .map(|(at, _)| {
            let rest = &readme[at..];
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '"' || c == '`' || c == ')')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .filter(|address| address.contains("/schemas/"))
        .collect();
    assert!(addresses.len() >= 3, "{addresses:?}");
    for address in addresses {
        let name = address.strip_prefix(&readme_schema_address());
        assert!(
            name.is_some_and(|name| names.contains(&name)),
            "{address} is not a published schema at {}",
            readme_schema_address()
        );
    }
    let settings: Vec<Value> = readme_blocks("json")
        .iter()
        .filter(|block| block.contains("\"json.schemas\""))
        .map(|block| serde_json::from_str(block).unwrap())
        .collect();
    assert_eq!(settings.len(), 1);
    for entry in settings[0]["json.schemas"].as_array().unwrap() {
        assert!(
            entry["fileMatch"].is_array() && entry["url"].is_string(),
            "{entry}"
        );
    }
}

/// The README's editor settings for Taplo, with `schemas/` of this checkout in
/// place of the published addresses.
fn readme_taplo_settings(block: &str) -> String {
    let local = format!("file://{}/", schemas_dir().display());
    block.replace(&readme_schema_address(), &local)
}

/// Runs `taplo check` in `dir`, against `berth.schema.json` when `schema` says so
/// (else as `.taplo.toml` or a `#:schema` line says), on the given files.
fn taplo_check(dir: &Path, schema: bool, files: &[PathBuf]) -> std::process::Output {
    let mut command = Command::new(npm_dir().join("node_modules/.bin/taplo"));
    command
        .current_dir(dir)
        .args(["check", "--colors", "never"]);
    if schema {
        let schema = format!(
            "file://{}",
            schemas_dir().join("berth.schema.json").display()
        );
        command.args(["--no-auto-config", "--schema", &schema]);
    }
    command
        .args(files)
        .output()
        .unwrap_or_else(|error| panic!("cannot run taplo: {error}"))
}

/// Writes `text` to `path` under `dir`, making its folders.
fn write_under(dir: &Path, path: &str, text: &str) -> PathBuf {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

/// A berth.toml that breaks berth.schema.json twice, and what Taplo says of it.
const WRONG_BERTH_TOML: &str = "[repo]\nmax_object_bytes = 0\ncatalgo = \"main\"\n";
const WRONG_BERTH_TOML_ERRORS: &[&str] = &[
    "0 is less than the minimum of 1",
    "'catalgo' was unexpected",
];

fn assert_refused(output: &std::process::Output, errors: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{}", describe(output));
    for error in errors {
        assert!(stderr.contains(error), "no `{error}` in {stderr}");
    }
}

/// Taplo, the TOML editors' language server and checker, reads berth.schema.json
/// and agrees with berth: every valid fixture's berth.toml and the README's pass,
/// a key berth refuses is refused there too, and the README's `#:schema` line and
/// `.taplo.toml` do point Taplo at the schemas.
#[test]
#[ignore = "needs node and tests/ajv's npm packages: .ci/run installs them"]
#[allow(
    clippy::disallowed_macros,
    reason = "lists what it checked in CI's log"
)]
fn taplo_checks_berth_toml() {
    let temp = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(fixtures_dir().join("valid"))
        .sort_by_file_name()
        .into_iter()
        .map(|entry| entry.unwrap().into_path())
        .filter(|path| path.file_name().is_some_and(|name| name == "berth.toml"))
        .collect();
    assert!(!files.is_empty());
    let tomls = readme_blocks("toml");
    let berth_tomls: Vec<&String> = tomls
        .iter()
        .filter(|block| {
            block
                .lines()
                .any(|line| line.starts_with("[repo]") || line.starts_with("[environments."))
        })
        .collect();
    assert!(!berth_tomls.is_empty(), "the README shows no berth.toml");
    for (n, block) in berth_tomls.iter().enumerate() {
        files.push(write_under(
            temp.path(),
            &format!("readme-{n}/berth.toml"),
            block,
        ));
    }
    let output = taplo_check(temp.path(), true, &files);
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    for file in &files {
        println!("checked {}", file.display());
    }

    let wrong = write_under(temp.path(), "wrong/berth.toml", WRONG_BERTH_TOML);
    assert_refused(
        &taplo_check(temp.path(), true, &[wrong]),
        WRONG_BERTH_TOML_ERRORS,
    );

    let directive = tomls
        .iter()
        .find(|block| block.starts_with("#:schema "))
        .expect("the README shows a `#:schema` line");
    let marked = write_under(
        temp.path(),
        "directive/berth.toml",
        &(readme_taplo_settings(directive) + WRONG_BERTH_TOML),
    );
    assert_refused(
        &taplo_check(temp.path(), false, &[marked]),
        WRONG_BERTH_TOML_ERRORS,
    );

    let config = tomls
        .iter()
        .find(|block| block.contains("[[rule]]"))
        .expect("the README shows a `.taplo.toml`");
    let estate = temp.path().join("estate");
    write_under(&estate, ".taplo.toml", &readme_taplo_settings(config));
    write_under(&estate, "berth.toml", WRONG_BERTH_TOML);
    write_under(
        &estate,
        "objects/version-sets/billing/one.toml",
        "package = 3\n",
    );
    let mut errors = WRONG_BERTH_TOML_ERRORS.to_vec();
    errors.extend([
        "3 is not of type \"string\"",
        "\"git_sha\" is a required property",
    ]);
    assert_refused(&taplo_check(&estate, false, &[]), &errors);
}

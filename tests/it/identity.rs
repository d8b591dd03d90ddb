//! Canonical identity through the binary: JSON and TOML of the same data are one
//! object, named by the SHA-256 of its JCS bytes.

use crate::support::{Repo, independent_hash, version_set};

const TOML: &str = r#"# Same data, other format; comments are kept in the file.
package = "anthropic-search"
git_sha = "0000000000000000000000000000000000000007"
created_at = 2025-05-08T12:00:00Z
env_manifest_ref = "env-manifests/anthropic-search"
infra_plan_ref = "infra-plans/anthropic-search-7"

[builds.worker]
artifact_ref = "worker-bundles/anthropic-search-7"
size_bytes = 1_007
compatibility_date = "2025-05-01"

[migrations]
do_migrations = []
"#;

#[test]
fn json_and_toml_of_the_same_data_are_one_object() {
    let repo = Repo::init();
    let data = version_set("anthropic-search", 7);
    repo.write_json("in/vs.json", &data);
    repo.write("in/vs.toml", TOML);

    let (code, first) = repo.json(&["put", "version-sets", "in/vs.json"]);
    assert_eq!(code, 0);
    let (code, second) = repo.json(&["put", "version-sets", "in/vs.toml"]);
    assert_eq!(code, 0);

    let hash = independent_hash(&data);
    assert_eq!(first["objects"][0]["hash"], hash.as_str());
    assert_eq!(first["objects"][0]["created"], true);
    assert_eq!(second["objects"][0]["hash"], hash.as_str());
    assert_eq!(second["objects"][0]["created"], false);
    assert_eq!(second["objects"][0]["path"], first["objects"][0]["path"]);
    assert_eq!(
        repo.files("objects"),
        [format!("objects/version-sets/anthropic-search/{hash}.json")]
    );
}

#[test]
fn the_authors_bytes_are_kept() {
    let repo = Repo::init();
    repo.write("in/vs.toml", TOML);
    let (code, outcome) = repo.json(&["put", "version-sets", "in/vs.toml"]);
    assert_eq!(code, 0);
    let path = outcome["objects"][0]["path"].as_str().unwrap().to_owned();
    assert!(path.ends_with(".toml"));
    assert_eq!(repo.read(&path), TOML);
    assert_eq!(
        path,
        format!(
            "objects/version-sets/anthropic-search/{}.toml",
            independent_hash(&version_set("anthropic-search", 7))
        )
    );
}

#[test]
fn key_order_and_whitespace_do_not_change_identity() {
    let repo = Repo::init();
    let data = version_set("search", 3);
    repo.write_json("a.json", &data);
    // The same object written compactly with keys in reverse order.
    let mut keys: Vec<(&String, &serde_json::Value)> = data.as_object().unwrap().iter().collect();
    keys.reverse();
    let reversed = format!(
        "{{{}}}",
        keys.iter()
            .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
            .collect::<Vec<_>>()
            .join(",")
    );
    repo.write("b.json", &reversed);
    let (code, outcome) = repo.json(&["put", "version-sets", "a.json", "b.json"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["objects"][0]["hash"], outcome["objects"][1]["hash"]);
    assert_eq!(outcome["objects"][0]["created"], true);
    assert_eq!(outcome["objects"][1]["created"], false);
    assert_eq!(repo.files("objects").len(), 1);
}

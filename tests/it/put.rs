//! `berth put`: validation, layout, dedupe, all-or-nothing, commits.

use serde_json::{Value, json};

use crate::support::{Repo, codes, independent_hash, stdout_json, version_set};

/// The 1-based line of the first line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    1 + text.lines().position(|line| line.contains(needle)).unwrap()
}

#[test]
fn writes_into_the_store_partition_named_by_hash() {
    let repo = Repo::init();
    let data = version_set("billing", 1);
    repo.write_json("vs.json", &data);
    let (code, outcome) = repo.json(&["put", "version-sets", "vs.json"]);
    assert_eq!(code, 0);
    let hash = independent_hash(&data);
    assert_eq!(
        outcome,
        json!({
            "objects": [{
                "file": "vs.json",
                "object": format!("version-sets/{hash}"),
                "store": "version-sets",
                "partition": "billing",
                "hash": hash,
                "path": format!("objects/version-sets/billing/{hash}.json"),
                "created": true
            }],
            "commit": null,
            "warnings": []
        })
    );
    assert_eq!(
        repo.read(&format!("objects/version-sets/billing/{hash}.json")),
        repo.read("vs.json")
    );
}

#[test]
fn commit_records_the_objects_on_the_current_branch() {
    let repo = Repo::init();
    let before = repo.head().unwrap();
    repo.write_json("a.json", &version_set("billing", 1));
    repo.write_json("b.json", &version_set("search", 2));
    let output = repo
        .berth()
        .args([
            "put",
            "version-sets",
            "a.json",
            "b.json",
            "--commit",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let outcome = stdout_json(&output);
    let head = repo.head().unwrap();
    assert_eq!(outcome["commit"], head.id.as_str());
    assert_eq!(head.parents, [before.id]);
    let a = format!(
        "objects/version-sets/billing/{}.json",
        independent_hash(&version_set("billing", 1))
    );
    let b = format!(
        "objects/version-sets/search/{}.json",
        independent_hash(&version_set("search", 2))
    );
    assert!(
        head.paths.contains(&a) && head.paths.contains(&b),
        "{:?}",
        head.paths
    );
    assert!(
        head.message
            .starts_with("berth put: 2 objects into version-sets\n"),
        "{}",
        head.message
    );
    assert!(
        repo.changed().is_empty(),
        "the index matches the commit: {:?}",
        repo.changed()
    );
}

#[test]
fn message_implies_commit() {
    let repo = Repo::init();
    repo.write_json("a.json", &version_set("billing", 1));
    repo.berth()
        .args(["put", "version-sets", "a.json", "-m", "Ship billing 1"])
        .assert()
        .success();
    assert_eq!(repo.head().unwrap().message, "Ship billing 1");
}

#[test]
fn committing_what_is_already_committed_makes_no_commit() {
    let repo = Repo::init();
    repo.write_json("a.json", &version_set("billing", 1));
    repo.berth()
        .args(["put", "version-sets", "a.json", "--commit"])
        .assert()
        .success();
    let head = repo.head().unwrap();
    let (code, outcome) = repo.json(&["put", "version-sets", "a.json", "--commit"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["commit"], serde_json::Value::Null);
    assert_eq!(repo.head().unwrap(), head);
}

#[test]
fn one_bad_file_means_nothing_is_written() {
    let repo = Repo::init();
    repo.write_json("good.json", &version_set("billing", 1));
    let mut bad = version_set("search", 2);
    bad["git_sha"] = json!("not-a-sha");
    repo.write_json("bad.json", &bad);
    repo.write("broken.toml", "package = \"x\"\n[builds\n");
    let head = repo.head().unwrap();
    let (code, report) = repo.json(&[
        "put",
        "version-sets",
        "good.json",
        "bad.json",
        "broken.toml",
        "--commit",
    ]);
    assert_eq!(code, 1);
    assert_eq!(report["error"]["code"], "berth::invalid-object");
    assert_eq!(codes(&report), ["schema", "parse"]);
    assert_eq!(report["findings"][0]["file"], "bad.json");
    assert_eq!(report["findings"][0]["pointer"], "/git_sha");
    assert_eq!(
        report["findings"][0]["line"],
        line_of(&repo.read("bad.json"), "\"git_sha\"")
    );
    assert_eq!(report["findings"][1]["file"], "broken.toml");
    assert_eq!(report["findings"][1]["line"], 2);
    assert!(
        repo.files("objects").is_empty(),
        "{:?}",
        repo.files("objects")
    );
    assert_eq!(repo.head().unwrap(), head);
}

#[test]
fn a_package_that_escapes_is_refused_before_any_path_is_built() {
    let repo = Repo::init();
    let mut data = version_set("billing", 1);
    data["package"] = json!("../etc");
    repo.write_json("escape.json", &data);
    let (code, report) = repo.json(&["put", "version-sets", "escape.json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["bad-name"]);
    assert_eq!(report["findings"][0]["pointer"], "/package");
    assert_eq!(
        report["findings"][0]["line"],
        line_of(&repo.read("escape.json"), "\"package\"")
    );
    assert!(repo.files("objects").is_empty());
    assert!(!repo.path().join("etc").exists());
    assert!(!repo.path().join("objects/etc").exists());
}

#[test]
fn references_resolve_into_held_stores_and_within_the_batch() {
    let repo = Repo::init();
    repo.write(
        "berth.toml",
        &berth::settings::default_file("main").replace(
            "[stores.env-manifests]\nexternal = true\n",
            "[stores.env-manifests]\nschema = \"schemas/env.json\"\npartition = \"/service\"\n",
        ),
    );
    repo.write(
        "schemas/env.json",
        r#"{"type": "object", "required": ["service"]}"#,
    );
    let manifest = json!({"service": "billing", "region": "eu"});
    repo.write_json("env.json", &manifest);
    let mut data = version_set("billing", 1);
    data["env_manifest_ref"] = json!(format!("env-manifests/{}", independent_hash(&manifest)));
    repo.write_json("vs.json", &data);

    let (code, report) = repo.json(&["put", "version-sets", "vs.json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["dangling-ref"]);
    assert_eq!(report["findings"][0]["pointer"], "/env_manifest_ref");

    repo.berth()
        .args(["put", "env-manifests", "env.json"])
        .assert()
        .success();
    repo.berth()
        .args(["put", "version-sets", "vs.json"])
        .assert()
        .success();
    repo.berth().arg("validate").assert().success();
}

#[test]
fn a_dangling_reference_lowered_to_a_warning_is_put_with_the_warning() {
    let repo = Repo::init();
    repo.write("berth.toml", "[checks]\ndangling-ref = \"warning\"\n");
    repo.write_json("vs.json", &version_set("billing", 1));
    let output = repo
        .berth()
        .args(["put", "version-sets", "vs.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let outcome = stdout_json(&output);
    assert_eq!(outcome["objects"][0]["created"], true);
    let warnings: Vec<&str> = outcome["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["code"].as_str().unwrap())
        .collect();
    assert_eq!(warnings, ["dangling-ref", "dangling-ref", "dangling-ref"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("berth::dangling-ref"));
}

#[test]
fn usage_errors() {
    let repo = Repo::init();
    repo.write_json("vs.json", &version_set("billing", 1));
    let cases: &[(&[&str], &str)] = &[
        (&["put", "widgets", "vs.json"], "berth::unknown-store"),
        (
            &["put", "worker-bundles", "vs.json"],
            "berth::external-store",
        ),
        (
            &["put", "version-sets", "missing.json"],
            "berth::unreadable-input",
        ),
    ];
    for (args, code) in cases {
        let (exit, report) = repo.json(args);
        assert_eq!(exit, 2, "{args:?}");
        assert_eq!(report["error"]["code"], *code, "{args:?}");
    }
    repo.berth().args(["put", "version-sets"]).assert().code(2);
}

#[test]
fn files_must_be_json_or_toml_and_within_the_size_limit() {
    let repo = Repo::init();
    repo.write("vs.yaml", "package: billing\n");
    let (code, report) = repo.json(&["put", "version-sets", "vs.yaml"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["bad-path"]);

    repo.write("berth.toml", "[repo]\nmax_object_bytes = 100\n");
    repo.write_json("vs.json", &version_set("billing", 1));
    let (code, report) = repo.json(&["put", "version-sets", "vs.json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["too-large"]);
    assert!(repo.files("objects").is_empty());
}

#[test]
fn a_corrupt_file_at_the_target_is_refused_not_trusted() {
    let repo = Repo::init();
    let data = version_set("billing", 1);
    let hash = independent_hash(&data);
    repo.write(
        &format!("objects/version-sets/billing/{hash}.json"),
        "{\"tampered\": true}\n",
    );
    repo.write_json("vs.json", &data);
    let (code, report) = repo.json(&["put", "version-sets", "vs.json"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["hash-mismatch"]);
    assert_eq!(
        repo.read(&format!("objects/version-sets/billing/{hash}.json")),
        "{\"tampered\": true}\n"
    );
}

#[test]
fn a_failed_commit_removes_what_the_put_wrote() {
    let repo = Repo::init();
    let head = repo.head().unwrap().id;
    let git = repo.git();
    git.set_head_detached(git2::Oid::from_str(&head).unwrap())
        .unwrap();
    repo.write_json("vs.json", &version_set("billing", 1));
    let (code, report) = repo.json(&["put", "version-sets", "vs.json", "--commit"]);
    assert_eq!(code, 1);
    assert_eq!(report["error"]["code"], "berth::detached-head");
    assert!(
        repo.files("objects").is_empty(),
        "{:?}",
        repo.files("objects")
    );
    // The partition and store directories the put made are gone too.
    assert!(repo.path().join("objects").is_dir());
    assert!(!repo.path().join("objects/version-sets").exists());
}

#[test]
fn a_commit_without_an_identity_could_not_run_and_writes_nothing() {
    let repo = Repo::init();
    repo.write_json("vs.json", &version_set("billing", 1));
    let (code, report) =
        repo.json_without_identity(&["put", "version-sets", "vs.json", "--commit"]);
    assert_eq!(code, 4);
    assert_eq!(report["error"]["code"], "berth::no-identity");
    assert!(repo.files("objects").is_empty());
}

#[test]
fn human_output_names_each_object() {
    let repo = Repo::init();
    let data = version_set("billing", 1);
    repo.write_json("vs.json", &data);
    let hash = independent_hash(&data);
    let output = repo
        .berth()
        .args(["put", "version-sets", "vs.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "created  version-sets/{}  billing  <- vs.json\n",
            &hash[..12]
        )
    );
    let again = repo
        .berth()
        .args(["put", "version-sets", "vs.json"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(again.stdout).unwrap(),
        format!(
            "exists  version-sets/{}  billing  <- vs.json\n",
            &hash[..12]
        )
    );
}

/// Runs a writing command that must refuse a link on its way into the repository:
/// exit 1, `berth::bad-path` naming the link (as the error, or as the finding of
/// the file that reading it was refused for), and nothing written anywhere.
fn refuses_to_write_through(repo: &Repo, args: &[&str], link: &str) {
    let outside = tempfile::tempdir().unwrap();
    let at = repo.path().join(link);
    std::fs::create_dir_all(at.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(outside.path(), &at).unwrap();
    let tip = repo.tip("HEAD");
    let (status, report) = repo.json(args);
    assert_eq!(status, 1, "{args:?}: {report:#}");
    let named = |text: &Value| {
        text.as_str()
            .is_some_and(|text| text.contains(&format!("`{link}`")))
    };
    let refused = if report["error"]["code"] == "berth::bad-path" {
        named(&report["error"]["message"])
    } else {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|finding| finding["code"] == "bad-path" && named(&finding["help"]))
    };
    assert!(refused, "{args:?}: {report:#}");
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing was written outside the repository"
    );
    assert_eq!(repo.tip("HEAD"), tip);
}

#[test]
fn put_never_writes_through_a_partition_directory_that_is_a_symlink() {
    let repo = Repo::init();
    repo.write_json("vs.json", &version_set("billing", 1));
    refuses_to_write_through(
        &repo,
        &["put", "version-sets", "vs.json", "--commit"],
        "objects/version-sets/billing",
    );
}

#[test]
fn put_never_writes_through_a_store_directory_that_is_a_symlink() {
    let repo = Repo::init();
    repo.write_json("vs.json", &version_set("billing", 1));
    refuses_to_write_through(
        &repo,
        &["put", "version-sets", "vs.json"],
        "objects/version-sets",
    );
}

#[test]
fn component_add_never_writes_through_a_components_directory_that_is_a_symlink() {
    let repo = Repo::init();
    refuses_to_write_through(
        &repo,
        &[
            "component",
            "add",
            "api",
            "--image",
            "registry.example.com/shop/api",
            "--commit",
        ],
        "components",
    );
}

//! `berth demo`.

use serde_json::json;

use crate::support::Repo;

#[test]
fn builds_a_valid_repository_and_walks_it() {
    let home = Repo::empty();
    let output = home
        .berth()
        .args(["demo", "walk", "--no-color"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    for step in [
        "$ berth init --commit",
        "$ berth put version-sets inbox/search-1.toml",
        "$ berth validate",
        "berth::hash-mismatch",
        "$ berth lineage anthropic-search@production",
        "$ berth rollback anthropic-search --env staging",
        "$ berth config resolve pricing --asset line-7 --account acme --at 2025-07-01T00:00:00Z",
        "$ berth review --base 'main~3' --env-base 'dev=env/dev~1' --format markdown",
        "## berth review: ✅ ready",
        "| `dev` | `shop` |",
        "The demo repository is at",
    ] {
        assert!(text.contains(step), "{step} in:\n{text}");
    }
    let stderr = String::from_utf8(output.stderr).unwrap();
    for code in [
        "berth::bad-name",
        "berth::promotion-path",
        "berth::not-ready",
        "berth::deprecated",
        "berth::config-conflict",
        "berth::config-unresolved",
    ] {
        assert!(stderr.contains(code), "{code} in:\n{stderr}");
    }
    let dir = home.path().join("walk");
    let git = crate::support::open_git(&dir);
    let mut walk = git.revwalk().unwrap();
    walk.push_head().unwrap();
    assert_eq!(
        walk.count(),
        19,
        "init, one put, one put of two, the ready event, two components, four imports, three releases, two marks, four config versions"
    );
    let (_, listed) = home.json(&["-C", "walk", "ls"]);
    assert_eq!(
        listed["objects"].as_array().unwrap().len(),
        13,
        "three version sets, three releases, three events, four config versions"
    );
    for env in ["dev", "staging", "production"] {
        git.refname_to_id(&format!("refs/heads/env/{env}")).unwrap();
    }
    home.berth()
        .args(["-C", "walk", "validate"])
        .assert()
        .success();
}

#[test]
fn json_reports_each_step() {
    let home = Repo::empty();
    let (code, report) = home.json(&["demo", "walk"]);
    assert_eq!(code, 0);
    let exits: Vec<i64> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["exit_code"].as_i64().unwrap())
        .collect();
    assert_eq!(
        exits,
        [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
        ]
    );
    let steps = report["steps"].as_array().unwrap();
    assert_eq!(steps[2]["output"]["objects"][0]["created"], false);
    let step = |command: &str| {
        steps
            .iter()
            .find(|s| s["command"] == command)
            .unwrap_or_else(|| panic!("no step `{command}`"))["output"]
            .clone()
    };
    assert_eq!(
        step("berth promote anthropic-search@staging --to production")["error"]["code"],
        "berth::not-ready"
    );
    assert_eq!(
        step("berth promote shop@staging --to production")["error"]["code"],
        "berth::deprecated"
    );
    let review = step("berth review --base 'main~3' --env-base 'dev=env/dev~1' --format markdown");
    assert_eq!(review["verdict"], "ready");
    assert_eq!(
        review["counts"],
        json!({"new_objects": 2, "packages": 1, "environment_moves": 1, "config_versions": 1,
               "registry_changes": 1, "errors": 0, "warnings": 0})
    );
    let release = &review["packages"][0]["objects"][0];
    assert_eq!(
        (
            &release["version"],
            &release["previous"]["version"],
            &release["declared"],
            &release["required"]
        ),
        (
            &json!("1.2.0"),
            &json!("1.1.0"),
            &json!("minor"),
            &json!("patch")
        )
    );
    assert_eq!(
        review["environments"][0]["moves"][0]["to"]["version"],
        "1.2.0"
    );
    assert_eq!(review["configs"][0]["supersedes"]["version"], 2);
    let resolved = |at: &str| {
        step(&format!(
            "berth config resolve pricing --asset line-7 --account acme --at {at}"
        ))
    };
    let february = resolved("2025-02-01T00:00:00Z");
    assert_eq!(
        (
            february["scope"].clone(),
            february["answer"]["config"]["id"].clone()
        ),
        (json!("account"), json!("pricing-acme"))
    );
    let july = resolved("2025-07-01T00:00:00Z");
    assert_eq!(
        (
            july["scope"].clone(),
            july["answer"]["config"]["id"].clone()
        ),
        (json!("asset"), json!("pricing-line-7"))
    );
    let retries: Vec<&serde_json::Value> = steps
        .iter()
        .filter(|s| {
            s["command"]
                .as_str()
                .unwrap()
                .contains("--idempotency-key acme-june-price")
        })
        .map(|s| &s["output"])
        .collect();
    assert_eq!(
        retries
            .iter()
            .map(|o| (
                o["version"].as_u64().unwrap(),
                o["written"].as_bool().unwrap()
            ))
            .collect::<Vec<_>>(),
        [(2, true), (2, false)]
    );
    // The partial release kept the worker dev holds and moved the api to v1.1.0.
    let partial = steps
        .iter()
        .find(|s| {
            s["command"]
                .as_str()
                .unwrap()
                .starts_with("berth release create shop --version 1.1.0")
        })
        .unwrap();
    let hows: Vec<(&str, &str)> = partial["output"]["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["tag"].as_str().unwrap(), c["how"].as_str().unwrap()))
        .collect();
    assert_eq!(
        hows,
        [
            ("v1.1.0", "updated to head of stable"),
            ("v3.2.1", "held by dev")
        ]
    );
    let released = step("berth release ls");
    let statuses: Vec<(&str, &str)> = released["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap(),
                r["lifecycle"]["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(statuses, [("1.1.0", "draft"), ("1.0.0", "deprecated")]);
    let lineage = step("berth lineage anthropic-search@production");
    let path: Vec<&str> = lineage["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["environment"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["production", "staging", "dev", "main"]);
    let history = step("berth history anthropic-search@staging");
    let actions: Vec<&str> = history["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["rollback", "promote", "promote"]);
}

#[test]
fn refuses_a_directory_that_is_not_empty() {
    let home = Repo::empty();
    home.write("walk/keep.txt", "mine\n");
    let (code, report) = home.json(&["demo", "walk"]);
    assert_eq!(code, 2);
    assert_eq!(report["error"]["code"], "berth::demo-dir-not-empty");
    assert_eq!(home.read("walk/keep.txt"), "mine\n");
}

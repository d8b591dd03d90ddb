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
    // One log, on stdout: every step's output, its errors included, in order.
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
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
    ] {
        assert!(text.contains(step), "{step} in:\n{text}");
    }
    let logged = steps(&text);
    let said = |command: &str| {
        logged
            .iter()
            .find(|(logged, _)| logged == command)
            .map(|(_, output)| output.as_str())
            .unwrap_or_else(|| panic!("no step `{command}` in:\n{text}"))
    };
    // The refusal, its help saying where its problems are, and then they are.
    let escape = said("berth put version-sets inbox/escape.json");
    assert!(
        escape.starts_with(
            "berth::invalid-object\n\n  × nothing was written: 1 problem in the files given\n  help: fix the problems reported below and put the files again\n\nError: berth::bad-name\n"
        ),
        "{escape}"
    );
    // A note on stderr, then the result on stdout, as they were written.
    assert!(
        said("berth promote anthropic-search@dev --to staging").starts_with(
            "opened staging at refs/heads/env/staging\npromoted anthropic-search in staging: "
        )
    );
    let refusals: Vec<&str> = logged
        .iter()
        .filter(|(_, output)| output.starts_with("berth::"))
        .map(|(_, output)| output.lines().next().unwrap())
        .collect();
    assert_eq!(
        refusals,
        [
            "berth::hash-mismatch",
            "berth::invalid-object",
            "berth::promotion-path",
            "berth::not-ready",
            "berth::deprecated",
            "berth::config-conflict",
            "berth::config-unresolved",
        ]
    );
    let not_ready = said("berth promote anthropic-search@staging --to production");
    assert!(
        not_ready.contains("\n  help: mark it ready once its artifact is built: promotion reads the events committed on the catalog branch\n        berth mark version-sets/80990a51c872"),
        "{not_ready}"
    );

    // It ends with commands that work where berth is not on PATH: this berth's own.
    let root = std::fs::canonicalize(home.path()).unwrap().join("walk");
    let exe = std::fs::canonicalize(assert_cmd::cargo::cargo_bin("berth")).unwrap();
    let (root, exe) = (root.display(), exe.display());
    let ending = format!(
        "\nThe demo repository is at {root}\nExplore it: git -C {root} log --stat --all\n            {exe} -C {root} ls\n            {exe} -C {root} status\n"
    );
    assert!(text.ends_with(&ending), "{text}");
    let suggested: Vec<&str> = ending.lines().nth(3).unwrap().split_whitespace().collect();
    let listed = home
        .hermetic(suggested[0])
        .args(&suggested[1..])
        .output()
        .unwrap();
    assert_eq!(listed.status.code(), Some(0));
    assert!(
        String::from_utf8(listed.stdout)
            .unwrap()
            .starts_with("OBJECT "),
    );
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

/// The walk's log as (command, what it printed): a step's output runs from its
/// `$` line to the next narration, command or the closing words, blank lines at
/// its end left out.
fn steps(log: &str) -> Vec<(String, String)> {
    let mut steps: Vec<(String, String)> = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in log.lines() {
        let command = line.strip_prefix("$ ");
        if command.is_some() || line.starts_with("# ") || line.starts_with("The demo repository") {
            steps.extend(current.take());
        }
        match (command, &mut current) {
            (Some(command), _) => current = Some((command.to_owned(), String::new())),
            (None, Some((_, output))) => {
                output.push_str(line);
                output.push('\n');
            }
            (None, None) => {}
        }
    }
    steps.extend(current);
    for (_, output) in &mut steps {
        output.truncate(output.trim_end().len());
        output.push('\n');
    }
    steps
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

#[test]
fn a_user_who_signs_every_commit_gets_an_unsigned_throwaway_demo() {
    let home = Repo::empty();
    // Git set, for the user, to sign every commit with a key that does not
    // exist: a commit signed with it would fail.
    for (key, value) in [
        ("commit.gpgSign", "true"),
        ("gpg.format", "ssh"),
        ("user.signingKey", "/nonexistent/key"),
    ] {
        home.git_command(&["config", "--global", key, value]);
    }
    let output = home.berth().args(["demo", "walk"]).output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let log = home.git_command(&["-C", "walk", "log", "--all", "--format=%G?"]);
    assert!(log.lines().all(|line| line == "N"), "{log}");
}

//! The rules across a package's versions: semver honesty, the COALESCE trap and
//! increasing versions, in a full check and in the incremental one with `--base`,
//! for releases and for a user-defined kind with a version pointer.

use serde_json::{Value, json};

use crate::support::Repo;

/// The releases fixture committed on `main`: shop 1.0.0 and 1.1.0, both with a
/// telegram integration, and the registry they are made of.
fn releases() -> Repo {
    let repo = Repo::fixture("valid/releases");
    repo.git_command(&["symbolic-ref", "HEAD", "refs/heads/main"]);
    repo.git_commit_all("releases");
    repo
}

fn digest(n: u32) -> String {
    format!("sha256:{n:064x}")
}

/// Shop 1.1.0 of the fixture, as data.
fn shop_1_1_0() -> Value {
    json!({
        "package": "shop",
        "version": "1.1.0",
        "created_at": "2025-05-02T12:00:00Z",
        "components": [
            {"name": "api", "digest": digest(2), "tag": "v1.1.0", "semver": "1.1.0", "role": "primary"},
            {"name": "worker", "digest": digest(11), "tag": "v3.0.0", "semver": "3.0.0", "role": "sidecar"}
        ],
        "integrations": [
            {"provider": "telegram", "profile": "webhook_inbound", "cardinality": "per_deployment"},
            {"provider": "slack", "profile": "bot", "cardinality": "per_deployment"}
        ]
    })
}

/// Puts a release into the working tree (not committed) and gives its file.
fn put_release(repo: &Repo, data: &Value) -> String {
    repo.write_json("input/release.json", data);
    let outcome = repo.ok(&["put", "releases", "input/release.json"]);
    outcome["objects"][0]["path"].as_str().unwrap().to_owned()
}

/// (code, file, pointer) of each finding.
fn findings(report: &Value) -> Vec<(String, String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["pointer"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn dropping_integrations_in_a_patch_is_understated_and_emptied() {
    let repo = releases();
    let mut next = shop_1_1_0();
    next["version"] = json!("1.1.1");
    next["created_at"] = json!("2025-05-03T12:00:00Z");
    next.as_object_mut().unwrap().remove("integrations");
    let file = put_release(&repo, &next);
    for args in [
        &["validate"][..],
        &["validate", "--base", "HEAD"][..],
        &["validate", "--staged", "--base", "HEAD"][..],
    ] {
        repo.git_command(&["add", "-A"]);
        let (code, report) = repo.json(args);
        assert_eq!(code, 1, "{args:?}: {report:#}");
        assert_eq!(
            findings(&report),
            [
                ("emptied-list".to_owned(), file.clone(), String::new()),
                (
                    "semver-understated".to_owned(),
                    file.clone(),
                    "/version".to_owned()
                ),
            ],
            "{args:?}"
        );
        let messages: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert!(
            messages[0].contains("`/integrations` held 2 elements in 1.1.0"),
            "{}",
            messages[0]
        );
        assert!(
            messages[0].ends_with("is missing in 1.1.1"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].starts_with("1.1.1 declares a patch bump over 1.1.0")
                && messages[1].ends_with("but the change needs major: `/integrations` was removed"),
            "{}",
            messages[1]
        );
    }
}

#[test]
fn an_honest_bump_passes_and_the_required_bump_follows_the_change() {
    // (what changes from 1.1.0, the version declared, the finding if any)
    type Case = (
        &'static str,
        fn(&mut Value),
        &'static str,
        Option<&'static str>,
    );
    let cases: &[Case] = &[
        (
            "a new digest",
            |r| r["components"][0]["digest"] = json!(digest(5)),
            "1.1.1",
            None,
        ),
        (
            "a new integration",
            |r| {
                r["integrations"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"provider": "email"}));
            },
            "1.1.1",
            Some("semver-understated"),
        ),
        (
            "a new integration, minor",
            |r| {
                r["integrations"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"provider": "email"}));
            },
            "1.2.0",
            None,
        ),
        (
            "a component's major bump",
            |r| {
                r["components"][1]["semver"] = json!("4.0.0");
                r["components"][1]["digest"] = json!(digest(12));
            },
            "1.2.0",
            Some("semver-understated"),
        ),
        (
            "a component's major bump, major",
            |r| {
                r["components"][1]["semver"] = json!("4.0.0");
                r["components"][1]["digest"] = json!(digest(12));
            },
            "2.0.0",
            None,
        ),
        (
            "a field's type changed",
            |r| r["integrations"][0]["cardinality"] = json!(1),
            "1.2.0",
            Some("semver-understated"),
        ),
        (
            "an emptied list with a major bump",
            |r| r["integrations"] = json!([]),
            "2.0.0",
            Some("emptied-list"),
        ),
        (
            "the same version again",
            |_| {},
            "1.1.0",
            Some("version-not-increasing"),
        ),
        (
            "a lower version",
            |_| {},
            "1.0.0-rc.1",
            Some("version-not-increasing"),
        ),
    ];
    for (what, change, version, expected) in cases {
        let repo = releases();
        let mut next = shop_1_1_0();
        change(&mut next);
        next["version"] = json!(version);
        next["created_at"] = json!("2025-05-03T12:00:00Z");
        // The registry does not record every digest these cases use.
        repo.write(
            "berth.toml",
            "[repo]\ncatalog = \"main\"\n[checks]\nunknown-digest = \"off\"\n",
        );
        let file = put_release(&repo, &next);
        let (code, report) = repo.json(&["validate", "--base", "HEAD"]);
        let found: Vec<(String, String)> = findings(&report)
            .into_iter()
            .map(|(code, file, _)| (code, file))
            .collect();
        match expected {
            None => assert_eq!((code, found), (0, vec![]), "{what}: {report:#}"),
            Some(expected) => {
                assert_eq!(code, 1, "{what}");
                assert_eq!(
                    found,
                    [((*expected).to_owned(), file)],
                    "{what}: {report:#}"
                );
            }
        }
    }
}

#[test]
fn a_base_scopes_the_rules_to_what_the_change_adds() {
    let repo = releases();
    // A dishonest pair committed on the base is the full check's to report...
    let mut bad = shop_1_1_0();
    bad["version"] = json!("1.1.1");
    bad["created_at"] = json!("2025-05-03T12:00:00Z");
    bad["integrations"] = json!([]);
    let file = put_release(&repo, &bad);
    repo.git_commit_all("a release that empties its integrations");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert!(findings(&report).iter().all(|(_, f, _)| *f == file));
    // ...not of a change that does not touch the package.
    repo.ok(&[
        "component",
        "add",
        "cron",
        "--image",
        "registry.example.com/shop/cron",
    ]);
    repo.git_command(&["add", "-A"]);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!((code, findings(&report)), (0, vec![]), "{report:#}");
    // A release made on top of it is compared with it: 1.1.2 restores the list.
    let mut next = shop_1_1_0();
    next["version"] = json!("1.1.2");
    next["created_at"] = json!("2025-05-04T12:00:00Z");
    next["integrations"] = json!([{"provider": "telegram"}]);
    let added = put_release(&repo, &next);
    repo.git_command(&["add", "-A"]);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        [(
            "semver-understated".to_owned(),
            added,
            "/version".to_owned()
        )]
    );
}

/// A version whose number to raise is already semver's largest has no version
/// above it that makes the bump: the understated bump is still reported, and its
/// help says so, where computing "the next major" used to overflow.
#[test]
fn understated_bump_over_the_largest_major_is_reported_without_overflow() {
    let repo = releases();
    let top = u64::MAX;
    let mut last = shop_1_1_0();
    last["version"] = json!(format!("{top}.0.0"));
    last["created_at"] = json!("2025-05-03T12:00:00Z");
    put_release(&repo, &last);
    // A removed component needs a major bump; the patch that declares it cannot
    // be raised to one.
    let mut next = last.clone();
    next["version"] = json!(format!("{top}.0.1"));
    next["created_at"] = json!("2025-05-04T12:00:00Z");
    next["components"].as_array_mut().unwrap().pop();
    let file = put_release(&repo, &next);
    repo.git_command(&["add", "-A"]);
    for args in [
        &["validate"][..],
        &["validate", "--staged", "--base", "HEAD"][..],
    ] {
        let (code, report) = repo.json(args);
        assert_eq!(code, 1, "{args:?}: {report:#}");
        assert_eq!(
            findings(&report),
            [(
                "semver-understated".to_owned(),
                file.clone(),
                "/version".to_owned()
            )],
            "{args:?}"
        );
        assert_eq!(
            report["findings"][0]["help"],
            format!(
                "no version can make a major bump over {top}.0.0: the number it raises is already {top}, the largest semver has"
            )
        );
    }
    // The human renderer shows the same help.
    let out = repo.berth().arg("validate").assert().code(1);
    let human = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(human.contains("berth::semver-understated"), "{human}");
    assert!(
        human.contains("no version can make a major bump"),
        "{human}"
    );
}

#[test]
fn a_user_kind_with_a_version_pointer_gets_the_same_rules() {
    let repo = Repo::init();
    repo.write(
        "schemas/tool.schema.json",
        &json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "required": ["slug", "version"],
            "properties": {
                "slug": {"type": "string"},
                "version": {"type": "string"},
                "userInputs": {"type": "array"},
                "integrations": {"type": "array"}
            }
        })
        .to_string(),
    );
    let settings = repo.read("berth.toml")
        + "\n[stores.tool-manifests]\nschema = \"schemas/tool.schema.json\"\npartition = \"/slug\"\nversion = \"/version\"\npromotable = true\n";
    repo.write("berth.toml", &settings);
    repo.git_commit_all("tool manifests");
    let tool = |version: &str, integrations: Value| json!({"slug": "telegram-bot", "version": version, "userInputs": [{"key": "token"}], "integrations": integrations});
    repo.put_object(
        "tool-manifests",
        &tool("1.0.4", json!([{"provider": "telegram"}])),
    );
    repo.write_json("input/next.json", &tool("1.0.5", json!([])));
    repo.ok(&["put", "tool-manifests", "input/next.json"]);
    let (code, report) = repo.json(&["validate", "--base", "HEAD"]);
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&report)
        .into_iter()
        .map(|(code, _, _)| code)
        .collect();
    assert_eq!(codes, ["emptied-list", "semver-understated"], "{report:#}");
}

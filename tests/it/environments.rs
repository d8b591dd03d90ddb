//! Reading environments: lineage, history, status, diff, `show <package>@<env>`,
//! time travel with `--at`, and environments that stand on their own.

use serde_json::{Value, json};

use crate::support::{Put, Repo};

/// The clock of the estate: t(0) is when it was put, t(n) the n-th step.
fn t(step: i64) -> i64 {
    1_700_000_000 + 100 * step
}

/// A commit time as berth prints it.
fn shown_time(seconds: i64) -> String {
    let timestamp = jiff::Timestamp::from_second(seconds).unwrap();
    timestamp
        .display_with_offset(jiff::tz::Offset::UTC)
        .to_string()
}

/// A time to give `--at`.
fn at(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).unwrap().to_string()
}

const AUTHOR: &str = "Berth Test <test@berth.invalid>";

/// A small estate with a past, every step at its own time:
///
/// - t0: billing 1 and 2 and search 1 put on the catalog in one commit, then
///   billing 1 marked ready
/// - t1: billing 1 -> dev; t2: search 1 -> dev
/// - t3: billing 1 -> staging; t4: -> production
/// - t5: billing 2 -> dev; t6: -> staging
/// - t7: billing rolled back in staging (to billing 1)
struct Estate {
    repo: Repo,
    billing1: Put,
    billing2: Put,
    search1: Put,
    /// The commit each step made, by step.
    steps: Vec<String>,
    /// Full ids and hashes, with the names the snapshots show for them.
    names: Vec<(String, String)>,
}

impl Estate {
    fn step(&self, n: usize) -> &str {
        &self.steps[n]
    }

    /// Text with every commit id and object hash berth shows replaced by a
    /// 12-character name, so tables keep their alignment.
    fn named(&self, text: &[u8]) -> String {
        let mut text = String::from_utf8(text.to_vec()).unwrap();
        for (id, name) in &self.names {
            text = text.replace(&id[..12], &format!("[{name:<10}]"));
        }
        text
    }
}

/// Snapshots text in which any id [`Estate::named`] did not name stands out.
macro_rules! assert_named_snapshot {
    ($name:expr, $text:expr) => {
        insta::with_settings!({filters => vec![(r"\b[0-9a-f]{12,64}\b", "[UNNAMED   ]")]}, {
            insta::assert_snapshot!($name, $text);
        })
    };
}

/// The estate, built once for the tests that only read it.
fn shared() -> &'static Estate {
    static ESTATE: std::sync::OnceLock<Estate> = std::sync::OnceLock::new();
    ESTATE.get_or_init(|| build_estate(Repo::init_in_target()))
}

/// An estate of its own, for a test that writes to it.
fn estate() -> Estate {
    build_estate(Repo::init())
}

fn build_estate(repo: Repo) -> Estate {
    let [billing1, billing2, search1]: [Put; 3] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2), ("search", 1)])
        .try_into()
        .unwrap();
    repo.ready(&billing1);
    let mut steps = vec![String::new()];
    let moves: [(&[&str], &str); 7] = [
        (&["promote", &billing1.object, "--to", "dev"], "dev"),
        (&["promote", &search1.object, "--to", "dev"], "dev"),
        (&["promote", "billing@dev", "--to", "staging"], "staging"),
        (
            &["promote", "billing@staging", "--to", "production"],
            "production",
        ),
        (&["promote", &billing2.object, "--to", "dev"], "dev"),
        (&["promote", "billing@dev", "--to", "staging"], "staging"),
        (&["rollback", "billing", "--env", "staging"], "staging"),
    ];
    for (i, (args, env)) in moves.iter().enumerate() {
        repo.ok_at(t(i as i64 + 1), args);
        steps.push(repo.env_tip(env).unwrap());
    }
    let mut names = vec![
        (billing1.hash.clone(), "billing-1".to_owned()),
        (billing2.hash.clone(), "billing-2".to_owned()),
        (search1.hash.clone(), "search-1".to_owned()),
        (billing1.commit.clone(), "put".to_owned()),
    ];
    for (i, step) in steps.iter().enumerate().skip(1) {
        names.push((step.clone(), format!("step {i}")));
    }
    for env in ["dev", "staging", "production"] {
        let log = repo.env_log(env);
        names.push((log.last().unwrap().id.clone(), format!("open {env:.4}")));
    }
    Estate {
        repo,
        billing1,
        billing2,
        search1,
        steps,
        names,
    }
}

fn lineage_step(env: &str, commit: &str, action: Value, object: &str, time: i64) -> Value {
    json!({
        "environment": env,
        "commit": commit,
        "action": action,
        "object": object,
        "time": shown_time(time),
        "author": AUTHOR,
    })
}

#[test]
fn lineage_runs_from_the_environment_back_to_the_catalog_commit_that_added_the_file() {
    let e = shared();
    let lineage = e.repo.ok(&["lineage", "billing@production"]);
    let b1 = &e.billing1.object;
    assert_eq!(
        lineage,
        json!({
            "package": "billing",
            "environment": "production",
            "steps": [
                lineage_step("production", e.step(4), json!("promote"), b1, t(4)),
                lineage_step("staging", e.step(3), json!("promote"), b1, t(3)),
                lineage_step("dev", e.step(1), json!("promote"), b1, t(1)),
                lineage_step("main", &e.billing1.commit, Value::Null, b1, t(0)),
            ],
            "read_from_remote": [],
        })
    );
    // The last step is the commit git itself says added the file, not the
    // catalog's tip, which moved on.
    let added = e.repo.git_command(&[
        "log",
        "--format=%H",
        "--diff-filter=A",
        "main",
        "--",
        &e.billing1.path,
    ]);
    assert_eq!(added.trim(), e.billing1.commit);
    assert_ne!(e.repo.tip("refs/heads/main").unwrap(), e.billing1.commit);
    // Each step is the second parent of the one before: nothing else is stored.
    let steps = lineage["steps"].as_array().unwrap();
    for pair in steps.windows(2) {
        let commit = e.repo.commit(pair[0]["commit"].as_str().unwrap());
        assert_eq!(commit.parents[1], pair[1]["commit"].as_str().unwrap());
    }
}

#[test]
fn lineage_through_a_rollback_goes_back_to_the_commit_that_first_brought_the_object() {
    let e = shared();
    let lineage = e.repo.ok(&["lineage", "billing@staging"]);
    let b1 = &e.billing1.object;
    assert_eq!(
        lineage["steps"],
        json!([
            lineage_step("staging", e.step(7), json!("rollback"), b1, t(7)),
            lineage_step("staging", e.step(3), json!("promote"), b1, t(3)),
            lineage_step("dev", e.step(1), json!("promote"), b1, t(1)),
            lineage_step("main", &e.billing1.commit, Value::Null, b1, t(0)),
        ])
    );
    let dev = e.repo.ok(&["lineage", "billing@dev"]);
    let b2 = &e.billing2.object;
    assert_eq!(
        dev["steps"],
        json!([
            lineage_step("dev", e.step(5), json!("promote"), b2, t(5)),
            lineage_step("main", &e.billing2.commit, Value::Null, b2, t(0)),
        ])
    );
    let search = e.repo.ok(&["lineage", "search@dev"]);
    assert_eq!(search["steps"][0]["commit"], e.step(2));
    assert_eq!(search["steps"][1]["commit"], e.search1.commit);
}

#[test]
fn history_lists_promotions_and_rollbacks_newest_first() {
    let e = shared();
    let (b1, b2) = (&e.billing1.object, &e.billing2.object);
    let entry = |step: usize, action: &str, object: &str, previous: Value, from: &str| {
        json!({
            "commit": e.step(step),
            "action": action,
            "object": object,
            "previous": previous,
            "from": from,
            "time": shown_time(t(step as i64)),
            "author": AUTHOR,
        })
    };
    assert_eq!(
        e.repo.ok(&["history", "billing@staging"]),
        json!({
            "package": "billing",
            "environment": "staging",
            "entries": [
                entry(7, "rollback", b1, json!(b2), "staging"),
                entry(6, "promote", b2, json!(b1), "dev"),
                entry(3, "promote", b1, Value::Null, "dev"),
            ],
            "read_from_remote": [],
        })
    );
    // Other packages' commits in between are not billing's history.
    assert_eq!(
        e.repo.ok(&["history", "billing@dev"])["entries"],
        json!([
            entry(5, "promote", b2, json!(b1), "main"),
            entry(1, "promote", b1, Value::Null, "main"),
        ])
    );
    assert_eq!(
        e.repo.ok(&["history", "search@dev"])["entries"],
        json!([entry(2, "promote", &e.search1.object, Value::Null, "main")])
    );
}

#[test]
fn lineage_history_and_show_refuse_what_is_not_held() {
    let e = shared();
    let cases: &[(&[&str], i32, &str)] = &[
        (&["lineage", "search@staging"], 1, "berth::not-held"),
        (&["history", "search@production"], 1, "berth::not-held"),
        (&["show", "search@staging"], 1, "berth::not-held"),
        (&["lineage", "billing@qa"], 1, "berth::unknown-environment"),
        (&["history", "billing@qa"], 1, "berth::unknown-environment"),
        (&["show", "billing@qa"], 1, "berth::unknown-environment"),
        (&["diff", "dev", "qa"], 1, "berth::unknown-environment"),
        (&["diff", "qa", "dev"], 1, "berth::unknown-environment"),
        (&["lineage", "billing"], 2, "berth::bad-ref"),
        (&["history", "billing@"], 2, "berth::bad-ref"),
        (&["lineage", "Billing@dev"], 2, "berth::bad-ref"),
        (&["history", "billing@../dev"], 2, "berth::bad-ref"),
        (&["show", "billing@Dev"], 2, "berth::bad-ref"),
    ];
    for (args, exit, code) in cases {
        let (status, report) = e.repo.json(args);
        assert_eq!(status, *exit, "{args:?}: {report:#}");
        assert_eq!(report["error"]["code"], *code, "{args:?}");
    }
}

#[test]
fn status_shows_every_environment_with_objects_since_and_drift() {
    let e = shared();
    let (b1, b2, s1) = (&e.billing1.object, &e.billing2.object, &e.search1.object);
    let row = |package: &str, object: Value, env: &str, step: Option<usize>, drift: Value| {
        let tags = if object.is_null() {
            json!([])
        } else {
            json!([format!("env:{env}"), format!("pkg:{package}")])
        };
        json!({
            "package": package,
            "object": object,
            "tags": tags,
            "version": null,
            "since": step.map(|s| shown_time(t(s as i64))),
            "set_by": step.map(|s| e.step(s)),
            "drift": drift,
            "status": (!object.is_null()).then_some("deployed"),
        })
    };
    let status = e.repo.ok(&["status"]);
    let remote = |env: &str| untracked(env);
    assert_eq!(
        status,
        json!({
            "at": null,
            "environments": [
                {
                    "environment": "dev",
                    "ref": "refs/heads/env/dev",
                    "commit": e.step(5),
                    "remote": remote("dev"),
                    "upstream": [],
                    "packages": [
                        row("billing", json!(b2), "dev", Some(5), json!([])),
                        row("search", json!(s1), "dev", Some(2), json!([])),
                    ],
                },
                {
                    "environment": "staging",
                    "ref": "refs/heads/env/staging",
                    "commit": e.step(7),
                    "remote": remote("staging"),
                    "upstream": ["dev"],
                    "packages": [
                        row("billing", json!(b1), "staging", Some(7),
                            json!([{"environment": "dev", "object": b2}])),
                        row("search", Value::Null, "staging", None,
                            json!([{"environment": "dev", "object": s1}])),
                    ],
                },
                {
                    "environment": "production",
                    "ref": "refs/heads/env/production",
                    "commit": e.step(4),
                    "remote": remote("production"),
                    "upstream": ["staging"],
                    "packages": [
                        row("billing", json!(b1), "production", Some(4), json!([])),
                    ],
                },
            ],
            "read_from_remote": [],
        })
    );
}

/// What status says of an environment's remote in a repository with no remote
/// (tests/it/fresh_clone.rs has the others).
fn untracked(env: &str) -> Value {
    json!({
        "remote": "origin",
        "ref": format!("refs/remotes/origin/env/{env}"),
        "commit": null,
        "standing": "untracked",
        "ahead": 0,
        "behind": 0,
    })
}

#[test]
fn status_of_a_repository_with_no_environments_opened() {
    let repo = Repo::init();
    let status = repo.ok(&["status"]);
    let envs: Vec<Value> = [
        ("dev", json!([])),
        ("staging", json!(["dev"])),
        ("production", json!(["staging"])),
    ]
    .into_iter()
    .map(|(env, upstream)| {
        json!({
            "environment": env,
            "ref": format!("refs/heads/env/{env}"),
            "commit": null,
            "remote": untracked(env),
            "upstream": upstream,
            "packages": [],
        })
    })
    .collect();
    assert_eq!(
        status,
        json!({"at": null, "environments": envs, "read_from_remote": []})
    );
    let output = repo.berth().arg("status").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    insta::assert_snapshot!(String::from_utf8(output.stdout).unwrap(), @r"
    ENVIRONMENT  PACKAGE  OBJECT      VERSION  STATUS  SINCE  DRIFT
    dev          -        not opened  -        -       -      -
    staging      -        not opened  -        -       -      -
    production   -        not opened  -        -       -      -
    ");
}

#[test]
fn diff_says_what_promoting_would_change() {
    let e = estate();
    let (b1, b2, s1) = (&e.billing1.object, &e.billing2.object, &e.search1.object);
    let change = |package: &str, change: &str, from: Value, to: Value| json!({"package": package, "change": change, "from_object": from, "to_object": to});
    assert_eq!(
        e.repo.ok(&["diff", "dev", "staging"]),
        json!({
            "from": "dev",
            "to": "staging",
            "changes": [
                change("billing", "changed", json!(b2), json!(b1)),
                change("search", "added", json!(s1), Value::Null),
            ],
            "read_from_remote": [],
        })
    );
    assert_eq!(
        e.repo.ok(&["diff", "staging", "dev"])["changes"],
        json!([
            change("billing", "changed", json!(b1), json!(b2)),
            change("search", "kept", Value::Null, json!(s1)),
        ])
    );
    assert_eq!(
        e.repo.ok(&["diff", "staging", "production"])["changes"],
        json!([change("billing", "unchanged", json!(b1), json!(b1))])
    );
    // Nothing on either side: no changes, exit 0.
    let empty = Repo::init();
    assert_eq!(
        empty.ok(&["diff", "dev", "staging"]),
        json!({"from": "dev", "to": "staging", "changes": [], "read_from_remote": []})
    );
    // What diff says is what `promote --all` does.
    let promoted = e.repo.ok(&["promote", "--all", "--to", "staging"]);
    let packages: Vec<&str> = promoted["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["package"].as_str().unwrap())
        .collect();
    assert_eq!(packages, ["billing", "search"]);
    let after = e.repo.ok(&["diff", "dev", "staging"]);
    assert!(
        after["changes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["change"] == "unchanged"),
        "{after:#}"
    );
}

#[test]
fn show_package_at_environment_reads_the_environment_commit() {
    let e = estate();
    let shown = e.repo.ok(&["show", "billing@production"]);
    let b1 = &e.billing1;
    assert_eq!(shown["object"], b1.object);
    assert_eq!(shown["store"], "version-sets");
    assert_eq!(shown["partition"], "billing");
    assert_eq!(shown["hash"], b1.hash);
    assert_eq!(shown["path"], b1.path);
    assert_eq!(shown["tags"], json!(["env:production", "pkg:billing"]));
    assert_eq!(shown["data"], crate::support::version_set("billing", 1));
    assert_eq!(shown["findings"], json!([]));
    assert_eq!(shown["environment"], "production");
    assert_eq!(shown["commit"], e.step(4));
    let text = e.repo.read(&b1.path);
    assert_eq!(shown["text"], text);

    // The environment is a snapshot: the catalog losing or changing the file
    // does not touch it.
    let path = e.repo.path().join(&b1.path);
    std::fs::remove_file(&path).unwrap();
    e.repo.git_commit_all("remove an object from the catalog");
    assert_eq!(e.repo.blob_at("HEAD", &b1.path), None);
    assert_eq!(e.repo.ok(&["show", "billing@production"]), shown);
    let output = e
        .repo
        .berth()
        .args(["show", "billing@production"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let expected = format!(
        "object       {object}\nstore        version-sets\npartition    billing\npath         {path}\ntags         env:production pkg:billing\nenvironment  production\ncommit       {commit}\nstatus       deployed (latest event: ready at 2025-05-02T00:00:00Z)\nheld by      staging, production\n\n{text}",
        object = b1.object,
        path = b1.path,
        commit = &e.step(4)[..12],
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    // staging, after its rollback, holds billing 1 again, with its own tags.
    let staging = e.repo.ok(&["show", "billing@staging"]);
    assert_eq!(staging["object"], b1.object);
    assert_eq!(staging["tags"], json!(["env:staging", "pkg:billing"]));
    assert_eq!(staging["commit"], e.step(7));
}

#[test]
fn show_at_answers_as_of_the_newest_commit_at_or_before_the_time() {
    let e = shared();
    let held = |target: &str, seconds: i64| -> Value {
        let (code, shown) = e.repo.json(&["show", target, "--at", &at(seconds)]);
        if code == 0 {
            assert!(shown["commit"].is_string(), "{shown:#}");
            shown["object"].clone()
        } else {
            assert_eq!(code, 1, "{shown:#}");
            assert_eq!(shown["error"]["code"], "berth::not-held", "{shown:#}");
            Value::Null
        }
    };
    let (b1, b2, s1) = (
        json!(e.billing1.object),
        json!(e.billing2.object),
        json!(e.search1.object),
    );
    let cases = [
        // Before dev was opened, and at the very second it was.
        ("billing@dev", t(1) - 1, Value::Null),
        ("billing@dev", t(1), b1.clone()),
        ("search@dev", t(1), Value::Null),
        ("search@dev", t(2), s1.clone()),
        ("billing@dev", t(5) - 1, b1.clone()),
        ("billing@dev", t(5), b2.clone()),
        ("billing@dev", t(100), b2.clone()),
        ("billing@staging", t(3) - 1, Value::Null),
        ("billing@staging", t(3), b1.clone()),
        ("billing@staging", t(6), b2.clone()),
        ("billing@staging", t(7) - 1, b2.clone()),
        ("billing@staging", t(7), b1.clone()),
        ("billing@production", t(4) - 1, Value::Null),
        ("billing@production", t(4), b1.clone()),
    ];
    for (target, seconds, expected) in cases {
        assert_eq!(
            held(target, seconds),
            expected,
            "{target} at {}",
            at(seconds)
        );
    }
    // The commit shown is the one that was the tip then.
    let (_, shown) = e
        .repo
        .json(&["show", "billing@staging", "--at", &at(t(6) + 50)]);
    assert_eq!(shown["commit"], e.step(6));
    // Other offsets name the same instant.
    let (_, shifted) = e
        .repo
        .json(&["show", "billing@dev", "--at", "2023-11-14T23:21:40+01:00"]);
    assert_eq!(at(t(5)), "2023-11-14T22:21:40Z");
    assert_eq!(shifted["object"], b2);
    // Before the environment existed, the error says when.
    let (_, report) = e.repo.json(&["show", "billing@dev", "--at", &at(t(1) - 1)]);
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains(&at(t(1) - 1)), "{message}");
}

#[test]
fn status_at_a_time_shows_each_environment_as_it_was() {
    let e = shared();
    let status = e.repo.ok(&["status", "--at", &at(t(3))]);
    assert_eq!(status["at"], at(t(3)));
    let envs = status["environments"].as_array().unwrap();
    assert_eq!(envs[0]["commit"], e.step(2));
    assert_eq!(envs[1]["commit"], e.step(3));
    assert_eq!(envs[2]["commit"], Value::Null);
    let objects = |env: &Value| -> Vec<(String, Value)> {
        env["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["package"].as_str().unwrap().to_owned(),
                    p["object"].clone(),
                )
            })
            .collect()
    };
    let b1 = json!(e.billing1.object);
    let s1 = json!(e.search1.object);
    assert_eq!(
        objects(&envs[0]),
        [
            ("billing".to_owned(), b1.clone()),
            ("search".to_owned(), s1.clone())
        ]
    );
    assert_eq!(
        objects(&envs[1]),
        [
            ("billing".to_owned(), b1.clone()),
            ("search".to_owned(), Value::Null)
        ]
    );
    // production was not opened yet: it only has what staging could give it.
    assert_eq!(objects(&envs[2]), [("billing".to_owned(), Value::Null)]);
    assert_eq!(
        envs[2]["packages"][0]["drift"],
        json!([{"environment": "staging", "object": b1}])
    );
    assert_eq!(envs[0]["packages"][0]["since"], shown_time(t(1)));
    assert_eq!(envs[0]["packages"][0]["set_by"], e.step(1));

    // Before anything: nothing opened.
    let before = e.repo.ok(&["status", "--at", &at(t(1) - 1)]);
    for env in before["environments"].as_array().unwrap() {
        assert_eq!(env["commit"], Value::Null);
        assert_eq!(env["packages"], json!([]));
    }
    // After everything: the same as now.
    let mut later = e.repo.ok(&["status", "--at", &at(t(8))]);
    later["at"] = Value::Null;
    assert_eq!(later, e.repo.ok(&["status"]));
}

#[test]
fn at_compares_committer_time_not_author_time() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    repo.ok_at(t(1), &["promote", &one.object, "--to", "dev"]);
    // Authored long before it was committed (a rebased or replayed promotion).
    repo.berth()
        .env("GIT_AUTHOR_DATE", format!("{} +0000", t(-100)))
        .env("GIT_COMMITTER_DATE", format!("{} +0000", t(5)))
        .args(["promote", &two.object, "--to", "dev"])
        .assert()
        .success();
    let tip = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!((tip.authored, tip.committed), (t(-100), t(5)));
    for (seconds, expected) in [(t(2), &one), (t(5) - 1, &one), (t(5), &two)] {
        let shown = repo.ok(&["show", "billing@dev", "--at", &at(seconds)]);
        assert_eq!(shown["object"], expected.object, "{}", at(seconds));
    }
    // History and lineage report commit times.
    let history = repo.ok(&["history", "billing@dev"]);
    assert_eq!(history["entries"][0]["time"], shown_time(t(5)));
}

#[test]
fn times_must_be_rfc3339_and_only_environments_travel_in_time() {
    let e = shared();
    let hash = &e.billing1.hash;
    for (args, code) in [
        (
            vec!["show", "billing@dev", "--at", "yesterday"],
            "berth::bad-time",
        ),
        (
            vec!["show", "billing@dev", "--at", "2025-05-01"],
            "berth::bad-time",
        ),
        (
            vec!["show", "billing@dev", "--at", "2025-05-01T12:00:00"],
            "berth::bad-time",
        ),
        (vec!["status", "--at", "1700000000"], "berth::bad-time"),
        (
            vec!["show", hash, "--at", "2025-05-01T12:00:00Z"],
            "berth::at-needs-environment",
        ),
    ] {
        let (status, report) = e.repo.json(&args);
        assert_eq!(status, 2, "{args:?}: {report:#}");
        assert_eq!(report["error"]["code"], code, "{args:?}");
    }
}

/// An environment commit carries everything needed to answer for it: a clone with
/// nothing but berth.toml and the environment refs can show and list what
/// production runs. Tracing it back needs the catalog branch too, since only the
/// branch shows that the last step's commit is the catalog's.
#[test]
fn a_fetched_environment_stands_on_its_own() {
    let e = shared();
    let fresh = Repo::empty();
    fresh.git_command(&["init", "-q", "-b", "main"]);
    fresh.write("berth.toml", &e.repo.read("berth.toml"));
    let origin = e.repo.path().to_str().unwrap();
    fresh.git_command(&["fetch", "-q", origin, "refs/heads/env/*:refs/heads/env/*"]);
    // No catalog: no main branch, no objects on disk.
    assert_eq!(fresh.tip("refs/heads/main"), None);
    assert!(fresh.files("objects").is_empty());
    for env in ["dev", "staging", "production"] {
        assert_eq!(fresh.env_tip(env), e.repo.env_tip(env), "{env}");
    }
    for args in [
        &["show", "billing@production"][..],
        &["show", "billing@staging", "--at", &at(t(6))][..],
        &["history", "billing@production"][..],
        &["history", "billing@staging"][..],
        &["status"][..],
        &["diff", "dev", "staging"][..],
    ] {
        // Lifecycle events live on the catalog, which the fetch left behind.
        let without_events = |mut shown: serde_json::Value| {
            if let Some(lifecycle) = shown.get_mut("lifecycle") {
                lifecycle["latest"] = serde_json::Value::Null;
            }
            shown
        };
        assert_eq!(
            without_events(fresh.ok(args)),
            without_events(e.repo.ok(args)),
            "{args:?}"
        );
    }
    // And nothing was written into it.
    assert!(fresh.files("objects").is_empty());
    assert_eq!(fresh.tip("refs/heads/main"), None);

    // Without the catalog branch, a commit that merely has the object's file could
    // be any branch's: lineage says what it lacks instead of vouching for it.
    for target in ["billing@production", "billing@staging"] {
        let (code, report) = fresh.json(&["lineage", target]);
        assert_eq!(code, 4, "{report:#}");
        assert_eq!(report["error"]["code"], "berth::no-catalog", "{report:#}");
    }
    fresh.git_command(&["fetch", "-q", "--update-head-ok", origin, "main:main"]);
    for target in ["billing@production", "billing@staging"] {
        let args = ["lineage", target];
        assert_eq!(fresh.ok(&args), e.repo.ok(&args), "{args:?}");
    }
}

/// What people read, snapshotted: commit ids and hashes by name.
#[test]
fn human_output_of_lineage_history_status_and_diff() {
    let e = shared();
    let run = |args: &[&str]| -> String {
        let output = e.repo.berth().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        let mut text = format!("$ berth {}\n", args.join(" "));
        text.push_str(&e.named(&output.stdout));
        for line in String::from_utf8(output.stderr).unwrap().lines() {
            text.push_str(&format!("(stderr) {line}\n"));
        }
        text
    };
    let lineage = run(&["lineage", "billing@production"]) + &run(&["lineage", "billing@staging"]);
    assert_named_snapshot!("lineage", lineage);
    let history = run(&["history", "billing@staging"]) + &run(&["history", "billing@dev"]);
    assert_named_snapshot!("history", history);
    let status = run(&["status"]) + &run(&["status", "--at", &at(t(3))]);
    assert_named_snapshot!("status", status);
    let diff = run(&["diff", "dev", "staging"])
        + &run(&["diff", "staging", "dev"])
        + &run(&["diff", "staging", "production"]);
    assert_named_snapshot!("diff", diff);
}

/// berth.toml names the catalog branch, where environment refs live, and which
/// environment receives from which; a user-defined kind can be promoted and has
/// its version shown.
#[test]
fn settings_name_the_catalog_the_ref_prefix_and_the_promotion_paths() {
    let repo = Repo::empty();
    repo.git_command(&["init", "-q", "-b", "trunk"]);
    repo.write(
        "berth.toml",
        r#"[repo]
catalog = "trunk"
env_ref_prefix = "refs/deploy/"

[environments.production]
from = ["staging", "hotfix"]

[environments.staging]
from = ["dev"]

[environments.dev]

[environments.hotfix]

[stores.worker-bundles]
external = true

[stores.env-manifests]
external = true

[stores.infra-plans]
external = true

[stores.tool-manifests]
schema = "schemas/tool-manifest.schema.json"
partition = "/slug"
version = "/version"
promotable = true
"#,
    );
    repo.write_json(
        "schemas/tool-manifest.schema.json",
        &json!({
            "type": "object",
            "required": ["slug", "version"],
            "properties": {"slug": {"type": "string"}, "version": {"type": "string"}}
        }),
    );
    repo.git_commit_all("berth settings");
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    let tool = repo.put_object(
        "tool-manifests",
        &json!({"slug": "linter", "version": "1.2.3"}),
    );

    let dev = repo.ok(&["promote", &one.object, &tool.object, "--to", "dev"]);
    assert_eq!(dev["ref"], "refs/deploy/dev");
    assert_eq!(dev["promotions"][0]["from"], "trunk");
    assert_eq!(repo.tip("refs/heads/env/dev"), None);
    let tip = repo.commit(&repo.tip("refs/deploy/dev").unwrap());
    assert_eq!(tip.trailers["Berth-From"], "trunk");
    assert_eq!(tip.files[&tool.path], tool.blob);
    let lineage = repo.ok(&["lineage", "billing@dev"]);
    assert_eq!(lineage["steps"][1]["environment"], "trunk");
    assert_eq!(lineage["steps"][1]["commit"], one.commit);

    // production receives from staging or hotfix: a fix can skip staging through
    // hotfix, which takes from the catalog.
    repo.ok(&["promote", &two.object, "--to", "hotfix"]);
    let production = repo.ok(&["promote", &two.object, "--to", "production"]);
    assert_eq!(production["promotions"][0]["from"], "hotfix");
    assert_eq!(
        production["promotions"][0]["source_commit"],
        repo.tip("refs/deploy/hotfix").unwrap()
    );
    let (code, report) = repo.json(&["promote", "--all", "--to", "production"]);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(report["error"]["code"], "berth::no-source");
    let (code, report) = repo.json(&["promote", &one.object, "--to", "production"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["error"]["code"], "berth::promotion-path");
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    let all = repo.ok(&[
        "promote",
        "--all",
        "--from",
        "staging",
        "--to",
        "production",
    ]);
    assert_eq!(all["promotions"][0]["object"], one.object);
    assert_eq!(all["promotions"][0]["from"], "staging");

    // status: every environment after those it receives from; the tool's version.
    let status = repo.ok(&["status"]);
    let order: Vec<&str> = status["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["environment"].as_str().unwrap())
        .collect();
    let position = |name: &str| order.iter().position(|e| *e == name).unwrap();
    assert_eq!(order.len(), 4, "{order:?}");
    assert!(position("dev") < position("staging"), "{order:?}");
    assert!(position("staging") < position("production"), "{order:?}");
    assert!(position("hotfix") < position("production"), "{order:?}");
    let production = &status["environments"][position("production")];
    assert_eq!(production["ref"], "refs/deploy/production");
    assert_eq!(production["upstream"], json!(["staging", "hotfix"]));
    let dev = &status["environments"][position("dev")];
    let linter = dev["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["package"] == "linter")
        .unwrap();
    assert_eq!(linter["version"], "1.2.3");
    assert_eq!(linter["object"], tool.object);
    assert_eq!(linter["tags"], json!(["env:dev"]));
}

/// An object dev got back by a rollback goes on with the rollback as its source,
/// and its lineage runs through the rollback to the commit that first brought it.
#[test]
fn lineage_of_an_object_promoted_after_a_rollback() {
    let repo = Repo::init();
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    let brought = repo.env_tip("dev").unwrap();
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    repo.ok(&["rollback", "billing", "--env", "dev"]);
    let rollback = repo.env_tip("dev").unwrap();
    let staging = repo.ok(&["promote", &one.hash, "--to", "staging"]);
    assert_eq!(staging["promotions"][0]["source_commit"], rollback);
    let lineage = repo.ok(&["lineage", "billing@staging"]);
    let steps: Vec<(&str, &str, &Value)> = lineage["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["environment"].as_str().unwrap(),
                s["commit"].as_str().unwrap(),
                &s["action"],
            )
        })
        .collect();
    let staging_tip = repo.env_tip("staging").unwrap();
    assert_eq!(
        steps,
        [
            ("staging", staging_tip.as_str(), &json!("promote")),
            ("dev", rollback.as_str(), &json!("rollback")),
            ("dev", brought.as_str(), &json!("promote")),
            ("main", one.commit.as_str(), &Value::Null),
        ]
    );
}

/// A shallow clone of the estate (`git clone --depth 1`) with the environment
/// refs fetched just as shallowly: what a CI job with the default fetch depth has.
fn shallow_clone(e: &Estate, environments: bool) -> Repo {
    let clone = Repo::empty();
    let origin = format!("file://{}", e.repo.path().display());
    clone.git_command(&["clone", "-q", "--depth", "1", &origin, "."]);
    if environments {
        clone.git_command(&[
            "fetch",
            "-q",
            "--depth",
            "1",
            "origin",
            "refs/heads/env/*:refs/heads/env/*",
        ]);
    }
    clone
}

/// Regression: a shallow clone answered from the part of the history it had as if
/// it were all of it: `check` reported promotion-path errors, `rollback` found
/// nothing to go back to, `lineage` found nothing held.
#[test]
fn a_shallow_clone_refuses_every_answer_that_needs_history() {
    let e = shared();
    let clone = shallow_clone(e, true);
    let tips = |repo: &Repo| -> Vec<Option<String>> {
        ["dev", "staging", "production"]
            .iter()
            .map(|env| repo.env_tip(env))
            .collect()
    };
    let before = tips(&clone);
    assert_eq!(before, tips(&e.repo));
    let (t3, t6) = (at(t(3)), at(t(6)));
    for args in [
        &["check"][..],
        &["lineage", "billing@production"][..],
        &["lineage", "search@dev"][..],
        &["history", "billing@dev"][..],
        &["status"][..],
        &["status", "--at", &t3][..],
        &["show", "billing@staging", "--at", &t6][..],
        &["rollback", "billing", "--env", "staging"][..],
        &["promote", "billing@dev", "--to", "staging"][..],
        &["promote", &e.billing1.object, "--to", "dev"][..],
        &["review", "--base", "main"][..],
    ] {
        let (code, report) = clone.json(args);
        assert_eq!(code, 4, "{args:?}: {report:#}");
        assert_eq!(
            report["error"]["code"], "berth::shallow-repository",
            "{args:?}: {report:#}"
        );
        let output = clone.berth().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("shallow clone"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("git fetch --unshallow"),
            "{args:?}: {stderr}"
        );
        assert!(stderr.contains("fetch-depth: 0"), "{args:?}: {stderr}");
    }
    assert_eq!(tips(&clone), before, "nothing was written");

    // What needs no history still answers: the objects, and each environment's
    // tip alone.
    assert_eq!(clone.json(&["validate"]).0, 0);
    assert_eq!(
        clone.ok(&["show", "billing@staging"]),
        e.repo.ok(&["show", "billing@staging"])
    );
    assert_eq!(
        clone.ok(&["diff", "dev", "staging"]),
        e.repo.ok(&["diff", "dev", "staging"])
    );

    // With the whole history, the same answers as the repository cloned.
    clone.git_command(&["fetch", "-q", "--unshallow"]);
    assert_eq!(clone.json(&["check"]).0, 0);
    for args in [
        &["lineage", "billing@production"][..],
        &["history", "billing@dev"][..],
    ] {
        assert_eq!(clone.ok(args), e.repo.ok(args), "{args:?}");
    }
}

/// CI on a shallow clone of the catalog alone is not blocked for nothing: without
/// environment refs, nothing needs history.
#[test]
fn a_shallow_clone_of_the_catalog_alone_validates_and_checks() {
    let e = shared();
    let clone = shallow_clone(e, false);
    assert!(clone.path().join(".git/shallow").exists());
    for args in [
        &["validate"][..],
        &["validate", "--staged", "--base", "HEAD"][..],
        &["check"][..],
        &["check", "--base", "main"][..],
    ] {
        let (code, report) = clone.json(args);
        assert_eq!(code, 0, "{args:?}: {report:#}");
    }
}

/// Regression: a shallow clone in which the merge base of a branch and its base
/// was cut off compared the branch with the base's tip, and counted everything
/// the base gained since as deleted.
#[test]
fn a_base_whose_merge_base_a_shallow_clone_lacks_is_refused() {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    repo.git_command(&["checkout", "-q", "-b", "feature"]);
    repo.put_version_set("search", 1);
    repo.git_command(&["checkout", "-q", "main"]);
    repo.put_version_set("billing", 2);
    let args = ["validate", "--rev", "feature", "--base", "main"];
    assert_eq!(repo.json(&args).0, 0);

    let clone = Repo::empty();
    let origin = format!("file://{}", repo.path().display());
    clone.git_command(&["clone", "-q", "--depth", "1", &origin, "."]);
    clone.git_command(&["fetch", "-q", "--depth", "1", "origin", "feature:feature"]);
    for args in [
        &args[..],
        &["check", "--head", "feature", "--base", "main"][..],
    ] {
        let (code, report) = clone.json(args);
        assert_eq!(code, 4, "{args:?}: {report:#}");
        assert_eq!(
            report["error"]["code"], "berth::shallow-repository",
            "{args:?}: {report:#}"
        );
    }
    clone.git_command(&["fetch", "-q", "--unshallow"]);
    assert_eq!(clone.json(&args).0, 0);
}

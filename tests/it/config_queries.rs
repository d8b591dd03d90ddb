//! `berth config show`, `history`, `diff`, `resolve` and `ls`: the version in
//! force on both sides of a version boundary, scheduled versions, every row of the
//! seed's resolution decision table, and the human views, snapshotted.
//!
//! Every config is written through `berth config set`; each expected version is
//! written out in full here, and its object name is computed from it with an
//! independent canonicalizer, so no JSON answer is checked against berth's own
//! output.
//! Commands are written as one line and split on whitespace (no argument here
//! holds a space).

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::support::{Repo, independent_hash, refused_at, run_at};

/// 2025-07-01T00:00:00Z: now, for berth (SOURCE_DATE_EPOCH), unless a test says
/// otherwise.
const EPOCH: i64 = 1_751_328_000;
const NOW: &str = "2025-07-01T00:00:00Z";

/// 2026-01-01T00:00:00Z.
const EPOCH_2026: i64 = 1_767_225_600;
const NEW_YEAR_2026: &str = "2026-01-01T00:00:00Z";

/// Runs berth at `epoch`, asserting it exits 0.
fn ok_at(repo: &Repo, epoch: i64, line: &str) -> Value {
    let (code, value) = run_at(repo, epoch, line);
    assert_eq!(code, 0, "berth {line}: {value:#}");
    value
}

/// Runs berth at [`EPOCH`], asserting it exits 0.
fn ok(repo: &Repo, line: &str) -> Value {
    ok_at(repo, EPOCH, line)
}

/// Runs berth at [`EPOCH`] with the words of `line`, expecting a refusal (see
/// [`refused_at`]); its JSON error document.
fn refused(repo: &Repo, line: &str, exit: i32, code: &str) -> Value {
    let args: Vec<&str> = line.split_whitespace().collect();
    refused_at(repo, Some(EPOCH), &args, exit, code)
}

/// Runs berth at [`EPOCH`] with its human output, asserting it exits 0 and
/// writes nothing on stderr; its stdout.
fn human(repo: &Repo, line: &str) -> String {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(line.split_whitespace())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "berth {line}: {stderr}");
    assert_eq!(stderr, "", "berth {line}");
    String::from_utf8(output.stdout).unwrap()
}

/// Makes `types` the whole of berth.toml's `[configs] fail_closed` (`berth init`
/// writes pricing, budget, autonomy and billing).
fn fail_closed(repo: &Repo, types: &[&str]) {
    let list: Vec<String> = types.iter().map(|t| format!("\"{t}\"")).collect();
    let text = repo.read("berth.toml");
    let default = "fail_closed = [\"pricing\", \"budget\", \"autonomy\", \"billing\"]";
    assert!(text.contains(default), "{text}");
    repo.write(
        "berth.toml",
        &text.replace(default, &format!("fail_closed = [{}]", list.join(", "))),
    );
}

#[test]
fn fail_closed_is_the_default_without_a_configs_table() {
    let repo = Repo::init();
    let init = repo.read("berth.toml");
    let table = "[configs]\nfail_closed = [\"pricing\", \"budget\", \"autonomy\", \"billing\"]\n";
    assert!(init.contains(table), "{init}");
    let without = init.replace(table, "");
    let source = ["pricing", "budget", "autonomy", "billing"];
    for (configs, closed) in [
        // No table, and a table that does not set the list: the source's types.
        ("", &source[..]),
        ("[configs]\n", &source[..]),
        // An empty list opts out; a list replaces the default, not adds to it.
        ("[configs]\nfail_closed = []\n", &[][..]),
        ("[configs]\nfail_closed = [\"hours\"]\n", &["hours"][..]),
    ] {
        repo.write("berth.toml", &format!("{without}{configs}"));
        let (code, report) = run_at(&repo, EPOCH, "validate");
        assert_eq!(code, 0, "{configs:?}: {report:#}");
        for config_type in [
            "pricing", "budget", "autonomy", "billing", "routing", "hours",
        ] {
            let line = format!("config resolve {config_type} --asset a1 --account x1");
            if closed.contains(&config_type) {
                let report = refused(&repo, &line, 1, "berth::config-unresolved");
                assert_eq!(
                    report["error"]["message"],
                    format!(
                        "no `{config_type}` config is in force for asset `a1`, account `x1` at {NOW}, and `{config_type}` is fail-closed"
                    ),
                    "{configs:?}"
                );
            } else {
                let answer = ok(&repo, &line);
                assert_eq!(answer["fail_closed"], false, "{configs:?} {config_type}");
                assert_eq!(answer["answer"], Value::Null, "{configs:?} {config_type}");
            }
        }
    }
}

#[test]
fn fail_closed_lists_any_config_type_not_only_lowercase_names() {
    let repo = Repo::init();
    // A config type may have capitals (`Hours_V2`); berth.toml refused it in
    // fail_closed, so such a type could never fail closed.
    fail_closed(&repo, &["Hours_V2"]);
    let (code, report) = run_at(&repo, EPOCH, "validate");
    assert_eq!(code, 0, "{report:#}");
    let report = refused(
        &repo,
        "config resolve Hours_V2 --asset a1",
        1,
        "berth::config-unresolved",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "no `Hours_V2` config is in force for asset `a1` at {NOW}, and `Hours_V2` is fail-closed"
        )
    );
    let answer = ok(&repo, "config resolve pricing --asset a1");
    assert_eq!(answer["fail_closed"], false);
    // What is no config type is still refused.
    let text = repo.read("berth.toml").replace("\"Hours_V2\"", "\"a b\"");
    repo.write("berth.toml", &text);
    let (code, report) = run_at(&repo, EPOCH, "validate");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["findings"][0]["code"], "schema");
    assert_eq!(report["findings"][0]["pointer"], "/configs/fail_closed/0");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

/// The fields that stay fixed across a config's versions.
fn fixed(id: &str, config_type: &str, category: &str, scope: &str, applies_to: &str) -> Value {
    json!({
        "id": id,
        "type": config_type,
        "category": category,
        "scope": scope,
        "applies_to": applies_to,
    })
}

/// `configs/` and the SHA-256 of a version's JCS bytes.
fn object_of(config: &Value) -> String {
    format!("configs/{}", independent_hash(config))
}

/// Where a version's file is: `objects/configs/<id>/<hash>.json`.
fn file_of(config: &Value) -> String {
    format!(
        "objects/configs/{}/{}.json",
        config["id"].as_str().unwrap(),
        independent_hash(config)
    )
}

/// Runs `berth config set <line>` at [`EPOCH`], asserting it wrote `expected`
/// (as JSON, field for field) at the path its hash names; what it reported.
fn set(repo: &Repo, line: &str, expected: &Value) -> Value {
    let outcome = ok(repo, &format!("config set {line}"));
    assert_eq!(outcome["written"], true, "{line}: {outcome:#}");
    assert_eq!(outcome["version"], expected["version"], "{line}");
    assert_eq!(outcome["object"], object_of(expected), "{line}");
    assert_eq!(outcome["file"], file_of(expected), "{line}");
    let written: Value = serde_json::from_str(&repo.read(&file_of(expected))).unwrap();
    assert_eq!(written, *expected, "{line}");
    outcome
}

/// Creates version 1 of the config with the `fixed` fields, effective at `at`,
/// with `flags` (`--set ...`) making `settings`; the version as written.
fn create(repo: &Repo, fixed: &Value, at: &str, flags: &str, settings: Value) -> Value {
    let mut expected = fixed.clone();
    expected["version"] = json!(1);
    expected["effective_at"] = json!(at);
    expected["settings"] = settings;
    let text = |key: &str| fixed[key].as_str().unwrap();
    set(
        repo,
        &format!(
            "{} --expect-version 0 --type {} --category {} --scope {} --applies-to {} --effective-at {at} {flags}",
            text("id"),
            text("type"),
            text("category"),
            text("scope"),
            text("applies_to"),
        ),
        &expected,
    );
    expected
}

/// Writes the version after `previous`, effective at `at`, with `flags` making
/// `settings`; the version as written.
fn supersede(repo: &Repo, previous: &Value, at: &str, flags: &str, settings: Value) -> Value {
    let version = previous["version"].as_u64().unwrap();
    let mut expected = previous.clone();
    expected["version"] = json!(version + 1);
    expected["effective_at"] = json!(at);
    expected["settings"] = settings;
    expected.as_object_mut().unwrap().remove("idempotency_key");
    set(
        repo,
        &format!(
            "{} --expect-version {version} --effective-at {at} {flags}",
            previous["id"].as_str().unwrap()
        ),
        &expected,
    );
    expected
}

/// A version as `show`, `history` and `resolve` report it: `superseded` is the
/// next version's effective_at and number.
fn view(config: &Value, superseded: Option<(&str, u64)>, state: &str) -> Value {
    json!({
        "object": object_of(config),
        "file": file_of(config),
        "config": config,
        "superseded_at": superseded.map(|(at, _)| at),
        "superseded_by": superseded.map(|(_, by)| by),
        "state": state,
    })
}

/// One scope `resolve` looked at: the entity given for it, whether it was asked,
/// and the `(id, version)` found there.
fn look(scope: &str, entity: Option<&str>, asked: bool, found: Option<(&str, u64)>) -> Value {
    json!({
        "scope": scope,
        "applies_to": entity,
        "asked": asked,
        "found": found.map(|(id, version)| json!({"id": id, "version": version})),
    })
}

/// The `berth config show` document.
fn shown(id: &str, at: Option<&str>, version: Value, first: Option<&str>, latest: u64) -> Value {
    json!({
        "id": id,
        "at": at,
        "version": version,
        "first_effective_at": first,
        "latest": latest,
    })
}

/// What `resolve` is expected to do in one row of the decision table.
enum Expect {
    /// The scope that answers, and the config id whose current version it is.
    Answer(&'static str, &'static str),
    /// No answer, exit 0 (a fail-open type).
    None,
    /// Exit 1 `berth::config-unresolved`, naming each entity looked at.
    Unresolved,
}

/// One scope as a row expects `resolve` to report it: `(scope, entity given,
/// asked, (id, version) found)`.
type Looked = (
    &'static str,
    Option<&'static str>,
    bool,
    Option<(&'static str, u64)>,
);

/// One row: the command, what it must answer, and what it must say it looked at,
/// most specific scope first. When it must fail, the error names each entity
/// given, and only those are checked.
struct Row {
    line: &'static str,
    expect: Expect,
    looked: [Looked; 3],
}

#[test]
fn resolve_follows_every_row_of_the_decision_table() {
    let repo = Repo::init();
    fail_closed(&repo, &["pricing"]);
    let jan = "2025-01-01T00:00:00Z";
    let june = "2025-06-01T00:00:00Z";
    // (id, type, scope, applies_to, --set, settings), all effective 2025-01-01.
    let configs = [
        (
            "pa-a1",
            "pricing",
            "asset",
            "a1",
            "rate=1",
            json!({"rate": 1}),
        ),
        (
            "pc-c1",
            "pricing",
            "campaign",
            "c1",
            "rate=2",
            json!({"rate": 2}),
        ),
        (
            "px-x1",
            "pricing",
            "account",
            "x1",
            "rate=3",
            json!({"rate": 3}),
        ),
        (
            "pc-c2",
            "pricing",
            "campaign",
            "c2",
            "rate=4",
            json!({"rate": 4}),
        ),
        (
            "px-x3",
            "pricing",
            "account",
            "x3",
            "rate=5",
            json!({"rate": 5}),
        ),
        // Configs that name asset a2 but are not its pricing answer: the right
        // entity at the wrong scope, and the right scope for another type.
        (
            "trap-scope",
            "pricing",
            "campaign",
            "a2",
            "rate=99",
            json!({"rate": 99}),
        ),
        (
            "trap-type",
            "routing",
            "asset",
            "a2",
            "target=wrong",
            json!({"target": "wrong"}),
        ),
        (
            "rx-x1",
            "routing",
            "account",
            "x1",
            "target=pool-1",
            json!({"target": "pool-1"}),
        ),
    ];
    let mut current: BTreeMap<&str, Value> = BTreeMap::new();
    for (id, config_type, scope, entity, assignment, settings) in configs {
        let made = create(
            &repo,
            &fixed(id, config_type, "logic", scope, entity),
            jan,
            &format!("--set {assignment}"),
            settings,
        );
        current.insert(id, made);
    }
    // pc-c1 is at version 2 now: the answer is the version in force, not the first.
    let pc_c1 = supersede(
        &repo,
        &current["pc-c1"],
        june,
        "--set rate=2.5",
        json!({"rate": 2.5}),
    );
    current.insert("pc-c1", pc_c1);

    let rows = [
        // Asset exists (campaign and account too): the asset answers, the others
        // are not asked.
        Row {
            line: "pricing --asset a1 --campaign c1 --account x1",
            expect: Expect::Answer("asset", "pa-a1"),
            looked: [
                ("asset", Some("a1"), true, Some(("pa-a1", 1))),
                ("campaign", Some("c1"), false, None),
                ("account", Some("x1"), false, None),
            ],
        },
        // The same with nothing but the asset given.
        Row {
            line: "pricing --asset a1",
            expect: Expect::Answer("asset", "pa-a1"),
            looked: [
                ("asset", Some("a1"), true, Some(("pa-a1", 1))),
                ("campaign", None, false, None),
                ("account", None, false, None),
            ],
        },
        // Asset null, campaign exists: the campaign answers, with its version 2.
        Row {
            line: "pricing --asset a9 --campaign c1 --account x1",
            expect: Expect::Answer("campaign", "pc-c1"),
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", Some("c1"), true, Some(("pc-c1", 2))),
                ("account", Some("x1"), false, None),
            ],
        },
        // Asset null, campaign exists, account null.
        Row {
            line: "pricing --asset a9 --campaign c2 --account x9",
            expect: Expect::Answer("campaign", "pc-c2"),
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", Some("c2"), true, Some(("pc-c2", 1))),
                ("account", Some("x9"), false, None),
            ],
        },
        // Asset null, campaign null, account exists.
        Row {
            line: "pricing --asset a9 --campaign c9 --account x1",
            expect: Expect::Answer("account", "px-x1"),
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", Some("c9"), true, None),
                ("account", Some("x1"), true, Some(("px-x1", 1))),
            ],
        },
        // No campaign given: the account answers.
        Row {
            line: "pricing --asset a9 --account x1",
            expect: Expect::Answer("account", "px-x1"),
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", None, false, None),
                ("account", Some("x1"), true, Some(("px-x1", 1))),
            ],
        },
        // trap-scope applies to a2 but at the campaign scope, trap-type is a2's
        // routing config: neither answers pricing for asset a2.
        Row {
            line: "pricing --asset a2 --campaign c9 --account x3",
            expect: Expect::Answer("account", "px-x3"),
            looked: [
                ("asset", Some("a2"), true, None),
                ("campaign", Some("c9"), true, None),
                ("account", Some("x3"), true, Some(("px-x3", 1))),
            ],
        },
        Row {
            line: "pricing --asset a2 --campaign c9",
            expect: Expect::Unresolved,
            looked: [
                ("asset", Some("a2"), true, None),
                ("campaign", Some("c9"), true, None),
                ("account", None, false, None),
            ],
        },
        // An id that names entities at two scopes: each scope finds only its
        // own configs (trap-scope is campaign a2's, px-x1 account x1's).
        Row {
            line: "pricing --asset a2 --campaign a2 --account x3",
            expect: Expect::Answer("campaign", "trap-scope"),
            looked: [
                ("asset", Some("a2"), true, None),
                ("campaign", Some("a2"), true, Some(("trap-scope", 1))),
                ("account", Some("x3"), false, None),
            ],
        },
        Row {
            line: "pricing --asset x1 --campaign x1 --account x1",
            expect: Expect::Answer("account", "px-x1"),
            looked: [
                ("asset", Some("x1"), true, None),
                ("campaign", Some("x1"), true, None),
                ("account", Some("x1"), true, Some(("px-x1", 1))),
            ],
        },
        // Ids swapped between scopes: pc-c1 is no asset's config, pa-a1 no
        // campaign's.
        Row {
            line: "pricing --asset c1 --campaign a1",
            expect: Expect::Unresolved,
            looked: [
                ("asset", Some("c1"), true, None),
                ("campaign", Some("a1"), true, None),
                ("account", None, false, None),
            ],
        },
        // All null: an error for a fail-closed type...
        Row {
            line: "pricing --asset a9 --campaign c9 --account x9",
            expect: Expect::Unresolved,
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", Some("c9"), true, None),
                ("account", Some("x9"), true, None),
            ],
        },
        // ...and none for any other.
        Row {
            line: "routing --asset a9 --campaign c9 --account x9",
            expect: Expect::None,
            looked: [
                ("asset", Some("a9"), true, None),
                ("campaign", Some("c9"), true, None),
                ("account", Some("x9"), true, None),
            ],
        },
        // Types do not mix: a1 and c1 have pricing configs, not routing ones.
        Row {
            line: "routing --asset a1 --campaign c1 --account x1",
            expect: Expect::Answer("account", "rx-x1"),
            looked: [
                ("asset", Some("a1"), true, None),
                ("campaign", Some("c1"), true, None),
                ("account", Some("x1"), true, Some(("rx-x1", 1))),
            ],
        },
        Row {
            line: "routing --asset a2 --account x1",
            expect: Expect::Answer("asset", "trap-type"),
            looked: [
                ("asset", Some("a2"), true, Some(("trap-type", 1))),
                ("campaign", None, false, None),
                ("account", Some("x1"), false, None),
            ],
        },
    ];

    for row in &rows {
        let line = format!("config resolve {}", row.line);
        let config_type = row.line.split_whitespace().next().unwrap();
        let looked: Vec<Value> = row
            .looked
            .iter()
            .map(|(scope, entity, asked, found)| look(scope, *entity, *asked, *found))
            .collect();
        let (scope, answer) = match row.expect {
            Expect::Unresolved => {
                let names = row
                    .looked
                    .iter()
                    .filter_map(|(scope, entity, _, _)| Some(format!("{scope} `{}`", (*entity)?)))
                    .collect::<Vec<_>>()
                    .join(", ");
                let report = refused(&repo, &line, 1, "berth::config-unresolved");
                assert_eq!(
                    report,
                    json!({"error": {
                        "code": "berth::config-unresolved",
                        "message": format!("no `pricing` config is in force for {names} at {NOW}, and `pricing` is fail-closed"),
                        "help": "create a `pricing` config for the entity; berth.toml's [configs] fail_closed lists the types that must resolve (pricing, budget, autonomy and billing unless it says otherwise)\n`berth config set <id> --expect-version 0 --type pricing ...` creates one",
                        "exit_code": 1,
                    }}),
                    "{line}"
                );
                continue;
            }
            Expect::None => (Value::Null, Value::Null),
            Expect::Answer(scope, id) => (json!(scope), view(&current[id], None, "current")),
        };
        let resolution = ok(&repo, &line);
        assert_eq!(resolution["scope"], scope, "{line}: {resolution:#}");
        assert_eq!(
            resolution["answer"]["config"]["id"], answer["config"]["id"],
            "{line}"
        );
        assert_eq!(
            resolution["answer"]["config"]["version"], answer["config"]["version"],
            "{line}"
        );
        assert_eq!(
            resolution,
            json!({
                "type": config_type,
                "at": NOW,
                "fail_closed": config_type == "pricing",
                "scope": scope,
                "answer": answer,
                "looked": looked,
            }),
            "{line}"
        );
    }

    // Fail-closed holds at any time: before 2025 nothing was in force, even for a1.
    let before = "2024-12-31T23:59:59Z";
    let report = refused(
        &repo,
        &format!("config resolve pricing --asset a1 --campaign c1 --account x1 --at {before}"),
        1,
        "berth::config-unresolved",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "no `pricing` config is in force for asset `a1`, campaign `c1`, account `x1` at {before}, and `pricing` is fail-closed"
        )
    );
    // A fail-open type at that time answers none, having asked every scope.
    assert_eq!(
        ok(
            &repo,
            &format!("config resolve routing --asset a2 --account x1 --at {before}")
        ),
        json!({
            "type": "routing",
            "at": before,
            "fail_closed": false,
            "scope": null,
            "answer": null,
            "looked": [
                look("asset", Some("a2"), true, None),
                look("campaign", None, false, None),
                look("account", Some("x1"), true, None),
            ],
        })
    );
}

/// `p-x1`: pricing for account x1, 0.02 from 2025-01-01 and 0.03 from 2025-06-01;
/// `p-a1`: an override for asset a1 from 2025-03-01. Both versions of p-x1.
fn boundaries(repo: &Repo) -> (Value, Value, Value) {
    let account = fixed("p-x1", "pricing", "logic", "account", "x1");
    let v1 = create(
        repo,
        &account,
        "2025-01-01T00:00:00Z",
        "--set rate=0.02",
        json!({"rate": 0.02}),
    );
    let v2 = supersede(
        repo,
        &v1,
        "2025-06-01T00:00:00Z",
        "--set rate=0.03",
        json!({"rate": 0.03}),
    );
    let asset = create(
        repo,
        &fixed("p-a1", "pricing", "logic", "asset", "a1"),
        "2025-03-01T00:00:00Z",
        "--set rate=0.01",
        json!({"rate": 0.01}),
    );
    (v1, v2, asset)
}

#[test]
fn show_at_a_time_answers_on_each_side_of_a_version_boundary() {
    let repo = Repo::init();
    let (v1, v2, _) = boundaries(&repo);
    let first = view(&v1, Some(("2025-06-01T00:00:00Z", 2)), "superseded");
    let second = view(&v2, None, "current");
    let cases = [
        ("2024-12-31T23:59:59Z", "2024-12-31T23:59:59Z", None),
        ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z", Some(&first)),
        ("2025-05-31T23:59:59Z", "2025-05-31T23:59:59Z", Some(&first)),
        // The same instant written with an offset.
        (
            "2025-06-01T01:59:59+02:00",
            "2025-05-31T23:59:59Z",
            Some(&first),
        ),
        (
            "2025-06-01T00:00:00Z",
            "2025-06-01T00:00:00Z",
            Some(&second),
        ),
        (
            "2025-06-01T02:00:00+02:00",
            "2025-06-01T00:00:00Z",
            Some(&second),
        ),
        (
            "2030-01-01T00:00:00Z",
            "2030-01-01T00:00:00Z",
            Some(&second),
        ),
    ];
    for (at, echoed, version) in cases {
        let expected = match version {
            Some(version) => shown("p-x1", Some(echoed), version.clone(), None, 2),
            None => shown(
                "p-x1",
                Some(echoed),
                Value::Null,
                Some("2025-01-01T00:00:00Z"),
                2,
            ),
        };
        assert_eq!(
            ok(&repo, &format!("config show p-x1 --at {at}")),
            expected,
            "--at {at}"
        );
    }
    // Without flags: the version in force now; by number: that version.
    assert_eq!(
        ok(&repo, "config show p-x1"),
        shown("p-x1", Some(NOW), second.clone(), None, 2)
    );
    assert_eq!(
        ok(&repo, "config show p-x1 --version 1"),
        shown("p-x1", None, first, None, 2)
    );
    assert_eq!(
        ok(&repo, "config show p-x1 --version 2"),
        shown("p-x1", None, second, None, 2)
    );
}

#[test]
fn resolve_at_a_time_answers_on_each_side_of_a_boundary() {
    let repo = Repo::init();
    // Pricing answers "none" here: the point is time, not the fail-closed policy.
    fail_closed(&repo, &[]);
    let (v1, v2, asset) = boundaries(&repo);
    let first = view(&v1, Some(("2025-06-01T00:00:00Z", 2)), "superseded");
    let second = view(&v2, None, "current");
    let override_ = view(&asset, None, "current");
    let account_answers = |found: u64| {
        vec![
            look("asset", Some("a1"), true, None),
            look("campaign", None, false, None),
            look("account", Some("x1"), true, Some(("p-x1", found))),
        ]
    };
    let asset_answers = vec![
        look("asset", Some("a1"), true, Some(("p-a1", 1))),
        look("campaign", None, false, None),
        look("account", Some("x1"), false, None),
    ];
    let cases = [
        // Before anything: none (pricing is fail-open here).
        (
            "2024-12-31T23:59:59Z",
            Value::Null,
            Value::Null,
            vec![
                look("asset", Some("a1"), true, None),
                look("campaign", None, false, None),
                look("account", Some("x1"), true, None),
            ],
        ),
        (
            "2025-01-01T00:00:00Z",
            json!("account"),
            first.clone(),
            account_answers(1),
        ),
        // The asset override starts at 2025-03-01 and takes over from the account.
        (
            "2025-02-28T23:59:59Z",
            json!("account"),
            first.clone(),
            account_answers(1),
        ),
        (
            "2025-03-01T00:00:00Z",
            json!("asset"),
            override_.clone(),
            asset_answers.clone(),
        ),
        // Across the account's own boundary, the asset still answers.
        (
            "2025-05-31T23:59:59Z",
            json!("asset"),
            override_.clone(),
            asset_answers.clone(),
        ),
        (
            "2025-06-01T00:00:00Z",
            json!("asset"),
            override_.clone(),
            asset_answers.clone(),
        ),
    ];
    for (at, scope, answer, looked) in cases {
        let line = format!("config resolve pricing --asset a1 --account x1 --at {at}");
        assert_eq!(
            ok(&repo, &line),
            json!({
                "type": "pricing",
                "at": at,
                "fail_closed": false,
                "scope": scope,
                "answer": answer,
                "looked": looked,
            }),
            "{line}"
        );
    }
    // For an asset with no override, the account's own boundary shows.
    let without_override = |found: u64| {
        vec![
            look("asset", Some("a9"), true, None),
            look("campaign", None, false, None),
            look("account", Some("x1"), true, Some(("p-x1", found))),
        ]
    };
    for (at, answer, found) in [
        ("2025-05-31T23:59:59Z", &first, 1),
        ("2025-06-01T00:00:00Z", &second, 2),
    ] {
        let line = format!("config resolve pricing --asset a9 --account x1 --at {at}");
        assert_eq!(
            ok(&repo, &line),
            json!({
                "type": "pricing",
                "at": at,
                "fail_closed": false,
                "scope": "account",
                "answer": answer,
                "looked": without_override(found),
            }),
            "{line}"
        );
    }
}

#[test]
fn a_scheduled_version_leaves_the_previous_one_in_force_until_it_starts() {
    let repo = Repo::init();
    // Pricing answers "none" here: the point is time, not the fail-closed policy.
    fail_closed(&repo, &[]);
    let v1 = create(
        &repo,
        &fixed("s-x1", "pricing", "logic", "account", "x1"),
        "2025-01-01T00:00:00Z",
        "--set rate=0.02",
        json!({"rate": 0.02}),
    );
    // Written at 2025-07-01 for 2026: berth says it is scheduled.
    let mut v2 = v1.clone();
    v2["version"] = json!(2);
    v2["effective_at"] = json!(NEW_YEAR_2026);
    v2["settings"] = json!({"rate": 0.05});
    let outcome = set(
        &repo,
        &format!("s-x1 --expect-version 1 --effective-at {NEW_YEAR_2026} --set rate=0.05"),
        &v2,
    );
    assert_eq!(outcome["scheduled"], true, "{outcome:#}");
    assert_eq!(outcome["supersedes"], 1, "{outcome:#}");
    // A config whose only version is scheduled.
    let later = create(
        &repo,
        &fixed("later-x2", "pricing", "logic", "account", "x2"),
        NEW_YEAR_2026,
        "--set rate=0.07",
        json!({"rate": 0.07}),
    );

    let in_force = view(&v1, Some((NEW_YEAR_2026, 2)), "current");
    let scheduled = view(&v2, None, "scheduled");
    assert_eq!(
        ok(&repo, "config show s-x1"),
        shown("s-x1", Some(NOW), in_force.clone(), None, 2)
    );
    assert_eq!(
        ok(&repo, "config show s-x1 --version 2"),
        shown("s-x1", None, scheduled.clone(), None, 2)
    );
    assert_eq!(
        ok(&repo, &format!("config show s-x1 --at {NEW_YEAR_2026}")),
        shown("s-x1", Some(NEW_YEAR_2026), scheduled.clone(), None, 2)
    );
    assert_eq!(
        ok(&repo, "config show later-x2"),
        shown("later-x2", Some(NOW), Value::Null, Some(NEW_YEAR_2026), 1)
    );
    assert_eq!(
        ok(&repo, "config show later-x2 --version 1"),
        shown("later-x2", None, view(&later, None, "scheduled"), None, 1)
    );
    assert_eq!(
        ok(&repo, "config history s-x1"),
        json!({"id": "s-x1", "versions": [
            history_entry(&in_force, json!([{"key": "rate", "to": 0.02}])),
            history_entry(&scheduled, json!([{"key": "rate", "from": 0.02, "to": 0.05}])),
        ]})
    );

    // Resolve now answers version 1; at the new year, version 2 (still scheduled).
    let looked = |found: u64| {
        json!([
            look("asset", Some("a1"), true, None),
            look("campaign", None, false, None),
            look("account", Some("x1"), true, Some(("s-x1", found))),
        ])
    };
    assert_eq!(
        ok(&repo, "config resolve pricing --asset a1 --account x1"),
        json!({
            "type": "pricing",
            "at": NOW,
            "fail_closed": false,
            "scope": "account",
            "answer": in_force,
            "looked": looked(1),
        })
    );
    assert_eq!(
        ok(
            &repo,
            &format!("config resolve pricing --asset a1 --account x1 --at {NEW_YEAR_2026}")
        ),
        json!({
            "type": "pricing",
            "at": NEW_YEAR_2026,
            "fail_closed": false,
            "scope": "account",
            "answer": scheduled,
            "looked": looked(2),
        })
    );
    // Nothing for x2 now: its only version has not started.
    assert_eq!(
        ok(&repo, "config resolve pricing --asset a1 --account x2")["answer"],
        Value::Null
    );

    // When the clock reaches 2026, the states follow.
    let superseded = view(&v1, Some((NEW_YEAR_2026, 2)), "superseded");
    let current = view(&v2, None, "current");
    assert_eq!(
        ok_at(&repo, EPOCH_2026, "config show s-x1"),
        shown("s-x1", Some(NEW_YEAR_2026), current.clone(), None, 2)
    );
    assert_eq!(
        ok_at(&repo, EPOCH_2026, "config show s-x1 --version 1"),
        shown("s-x1", None, superseded, None, 2)
    );
    assert_eq!(
        ok_at(&repo, EPOCH_2026, "config show later-x2"),
        shown(
            "later-x2",
            Some(NEW_YEAR_2026),
            view(&later, None, "current"),
            None,
            1
        )
    );
    assert_eq!(
        ok_at(
            &repo,
            EPOCH_2026,
            "config resolve pricing --asset a1 --account x1"
        )["answer"],
        current
    );
}

/// A `history` entry: the view and the settings changes from the version before.
fn history_entry(view: &Value, changes: Value) -> Value {
    let mut entry = view.clone();
    entry["changes"] = changes;
    entry
}

/// `budget-c1`, a campaign budget with a name, a tenant and nested limits, in three
/// versions (2025-01-01, 2025-03-01 with an idempotency key, 2025-06-01 renamed and
/// moved to another tenant).
fn budget(repo: &Repo) -> [Value; 3] {
    let mut v1 = fixed("budget-c1", "budget", "policy", "campaign", "c1");
    v1["version"] = json!(1);
    v1["name"] = json!("Budget");
    v1["tenant_id"] = json!("t1");
    v1["effective_at"] = json!("2025-01-01T00:00:00Z");
    v1["settings"] = json!({"limits": {"daily": 100, "weekly": 500}, "old": true, "rate": 0.02});
    set(
        repo,
        "budget-c1 --expect-version 0 --type budget --category policy --scope campaign \
         --applies-to c1 --name Budget --tenant t1 --effective-at 2025-01-01T00:00:00Z \
         --set limits.daily=100 --set limits.weekly=500 --set rate=0.02 --set old=true",
        &v1,
    );
    let mut v2 = v1.clone();
    v2["version"] = json!(2);
    v2["effective_at"] = json!("2025-03-01T00:00:00Z");
    v2["idempotency_key"] = json!("k2");
    v2["settings"] = json!({
        "limits": {"daily": 150, "weekly": 500},
        "min": 0.01,
        "rate": 0.02,
        "tiers": {"basic": 1},
    });
    set(
        repo,
        "budget-c1 --expect-version 1 --effective-at 2025-03-01T00:00:00Z --idempotency-key k2 \
         --set limits.daily=150 --unset old --set min=0.01 --set tiers.basic=1",
        &v2,
    );
    let mut v3 = v2.clone();
    v3.as_object_mut().unwrap().remove("idempotency_key");
    v3["version"] = json!(3);
    v3["effective_at"] = json!("2025-06-01T00:00:00Z");
    v3["name"] = json!("Budget2");
    v3["tenant_id"] = json!("t2");
    v3["settings"] = json!({
        "caps": {"hourly": {"max": 10}},
        "limits": {"daily": 150, "weekly": 600},
        "min": 0.01,
        "rate": 0.02,
        "tiers": {"basic": 1, "gold.plus": 3},
    });
    set(
        repo,
        "budget-c1 --expect-version 2 --effective-at 2025-06-01T00:00:00Z --name Budget2 \
         --tenant t2 --set limits.weekly=600 --set tiers.\"gold.plus\"=3 --set caps.hourly.max=10",
        &v3,
    );
    [v1, v2, v3]
}

#[test]
fn history_lists_every_version_with_derived_supersession_and_changes() {
    let repo = Repo::init();
    let [v1, v2, v3] = budget(&repo);
    assert_eq!(
        ok(&repo, "config history budget-c1"),
        json!({"id": "budget-c1", "versions": [
            history_entry(
                &view(&v1, Some(("2025-03-01T00:00:00Z", 2)), "superseded"),
                json!([
                    {"key": "limits", "to": {"daily": 100, "weekly": 500}},
                    {"key": "old", "to": true},
                    {"key": "rate", "to": 0.02},
                ]),
            ),
            history_entry(
                &view(&v2, Some(("2025-06-01T00:00:00Z", 3)), "superseded"),
                json!([
                    {"key": "limits.daily", "from": 100, "to": 150},
                    {"key": "min", "to": 0.01},
                    {"key": "old", "from": true},
                    {"key": "tiers", "to": {"basic": 1}},
                ]),
            ),
            history_entry(
                &view(&v3, None, "current"),
                json!([
                    {"key": "caps", "to": {"hourly": {"max": 10}}},
                    {"key": "limits.weekly", "from": 500, "to": 600},
                    {"key": "tiers.\"gold.plus\"", "to": 3},
                ]),
            ),
        ]})
    );
    let unknown = refused(&repo, "config history nope", 1, "berth::no-such-config");
    assert_eq!(
        unknown["error"]["message"], "there is no config `nope`",
        "{unknown:#}"
    );
}

#[test]
fn diff_shows_nested_settings_and_changed_fields() {
    let repo = Repo::init();
    budget(&repo);
    let diff = |from: u64, to: u64, settings: Value, fields: Value| {
        json!({
            "id": "budget-c1",
            "from": from,
            "to": to,
            "settings": settings,
            "fields": fields,
        })
    };
    assert_eq!(
        ok(&repo, "config diff budget-c1 1 2"),
        diff(
            1,
            2,
            json!([
                {"key": "limits.daily", "from": 100, "to": 150},
                {"key": "min", "to": 0.01},
                {"key": "old", "from": true},
                {"key": "tiers", "to": {"basic": 1}},
            ]),
            json!([
                {"field": "effective_at", "from": "2025-01-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"},
                {"field": "idempotency_key", "from": null, "to": "k2"},
            ]),
        )
    );
    assert_eq!(
        ok(&repo, "config diff budget-c1 1 3"),
        diff(
            1,
            3,
            json!([
                {"key": "caps", "to": {"hourly": {"max": 10}}},
                {"key": "limits.daily", "from": 100, "to": 150},
                {"key": "limits.weekly", "from": 500, "to": 600},
                {"key": "min", "to": 0.01},
                {"key": "old", "from": true},
                {"key": "tiers", "to": {"basic": 1, "gold.plus": 3}},
            ]),
            json!([
                {"field": "name", "from": "Budget", "to": "Budget2"},
                {"field": "tenant_id", "from": "t1", "to": "t2"},
                {"field": "effective_at", "from": "2025-01-01T00:00:00Z", "to": "2025-06-01T00:00:00Z"},
            ]),
        )
    );
    // Backwards, every change turns around.
    assert_eq!(
        ok(&repo, "config diff budget-c1 3 2"),
        diff(
            3,
            2,
            json!([
                {"key": "caps", "from": {"hourly": {"max": 10}}},
                {"key": "limits.weekly", "from": 600, "to": 500},
                {"key": "tiers.\"gold.plus\"", "from": 3},
            ]),
            json!([
                {"field": "name", "from": "Budget2", "to": "Budget"},
                {"field": "tenant_id", "from": "t2", "to": "t1"},
                {"field": "effective_at", "from": "2025-06-01T00:00:00Z", "to": "2025-03-01T00:00:00Z"},
                {"field": "idempotency_key", "from": null, "to": "k2"},
            ]),
        )
    );
    assert_eq!(
        ok(&repo, "config diff budget-c1 2 2"),
        diff(2, 2, json!([]), json!([]))
    );
    let missing = refused(
        &repo,
        "config diff budget-c1 1 4",
        1,
        "berth::no-such-config",
    );
    assert_eq!(
        missing["error"]["message"],
        "config `budget-c1` has no version 4; its highest is 3"
    );
}

#[test]
fn show_refuses_unknown_configs_versions_and_times() {
    let repo = Repo::init();
    boundaries(&repo);
    assert_eq!(
        refused(
            &repo,
            "config show p-x1 --version 9",
            1,
            "berth::no-such-config"
        ),
        json!({"error": {
            "code": "berth::no-such-config",
            "message": "config `p-x1` has no version 9; its highest is 2",
            "help": "`berth config history p-x1` lists its versions",
            "exit_code": 1,
        }})
    );
    assert_eq!(
        refused(
            &repo,
            "config show p-x1 --version 0",
            1,
            "berth::no-such-config"
        )["error"]["message"],
        "config `p-x1` has no version 0; its highest is 2"
    );
    assert_eq!(
        refused(&repo, "config show nope", 1, "berth::no-such-config")["error"]["message"],
        "there is no config `nope`"
    );
    assert_eq!(
        refused(
            &repo,
            "config show nope --at 2025-01-01T00:00:00Z",
            1,
            "berth::no-such-config"
        )["error"]["message"],
        "there is no config `nope`"
    );
    for bad in ["yesterday", "2025-06-01", "2025-06-01T00:00:00"] {
        let report = refused(
            &repo,
            &format!("config show p-x1 --at {bad}"),
            2,
            "berth::bad-time",
        );
        let message = report["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{bad}` is not a time")),
            "{report:#}"
        );
    }
    refused(
        &repo,
        "config resolve pricing --asset a1 --at soon",
        2,
        "berth::bad-time",
    );
    refused(
        &repo,
        "config show p-x1 --version 1 --at 2025-01-01T00:00:00Z",
        2,
        "berth::usage",
    );
}

#[test]
fn ls_lists_each_config_with_the_version_in_force_now() {
    let repo = Repo::init();
    assert_eq!(ok(&repo, "config ls"), json!({"configs": []}));
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["config", "ls"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&output.stderr).trim(),
        "No configs found."
    );

    boundaries(&repo);
    budget(&repo);
    let v1 = create(
        &repo,
        &fixed("s-x1", "pricing", "logic", "account", "x9"),
        "2025-01-01T00:00:00Z",
        "--set rate=0.02",
        json!({"rate": 0.02}),
    );
    supersede(
        &repo,
        &v1,
        NEW_YEAR_2026,
        "--set rate=0.05",
        json!({"rate": 0.05}),
    );
    create(
        &repo,
        &fixed("later-x2", "hours", "policy", "account", "x2"),
        NEW_YEAR_2026,
        "--set open=9",
        json!({"open": 9}),
    );
    let listed = |id: &str, t: &str, scope: &str, entity: &str, current: Value, latest: u64| {
        json!({
            "id": id,
            "type": t,
            "scope": scope,
            "applies_to": entity,
            "current": current,
            "latest": latest,
        })
    };
    assert_eq!(
        ok(&repo, "config ls"),
        json!({"configs": [
            listed("budget-c1", "budget", "campaign", "c1", json!(3), 3),
            listed("later-x2", "hours", "account", "x2", Value::Null, 1),
            listed("p-a1", "pricing", "asset", "a1", json!(1), 1),
            listed("p-x1", "pricing", "account", "x1", json!(2), 2),
            listed("s-x1", "pricing", "account", "x9", json!(1), 2),
        ]})
    );
    // At the new year the scheduled versions are in force.
    assert_eq!(
        ok_at(&repo, EPOCH_2026, "config ls"),
        json!({"configs": [
            listed("budget-c1", "budget", "campaign", "c1", json!(3), 3),
            listed("later-x2", "hours", "account", "x2", json!(1), 1),
            listed("p-a1", "pricing", "asset", "a1", json!(1), 1),
            listed("p-x1", "pricing", "account", "x1", json!(2), 2),
            listed("s-x1", "pricing", "account", "x9", json!(2), 2),
        ]})
    );
}

#[test]
fn human_views_read_as_snapshotted() {
    let repo = Repo::init();
    budget(&repo);
    boundaries(&repo);
    create(
        &repo,
        &fixed("later-x2", "hours", "policy", "account", "x2"),
        NEW_YEAR_2026,
        "--set open=9",
        json!({"open": 9}),
    );
    insta::assert_snapshot!("show", human(&repo, "config show budget-c1 --version 2"));
    insta::assert_snapshot!("show_current", human(&repo, "config show budget-c1"));
    insta::assert_snapshot!(
        "show_none",
        human(&repo, "config show p-x1 --at 2024-12-31T23:59:59Z")
    );
    insta::assert_snapshot!("history", human(&repo, "config history budget-c1"));
    insta::assert_snapshot!("diff", human(&repo, "config diff budget-c1 1 3"));
    insta::assert_snapshot!(
        "resolve_answered",
        human(
            &repo,
            "config resolve budget --asset a1 --campaign c1 --account x1"
        )
    );
    insta::assert_snapshot!(
        "resolve_asset",
        human(
            &repo,
            "config resolve pricing --asset a1 --campaign c1 --account x1 --at 2025-03-01T00:00:00Z"
        )
    );
    insta::assert_snapshot!(
        "resolve_none",
        human(&repo, "config resolve routing --asset a1 --campaign c1")
    );
    insta::assert_snapshot!("ls", human(&repo, "config ls"));
}

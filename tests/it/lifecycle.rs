//! Lifecycle events: `berth mark` writes them, `show` and `status` derive an
//! object's status from them, and `require_ready` environments refuse objects whose
//! latest committed event is not `ready`.

use serde_json::{Value, json};

use crate::support::{Put, Repo, independent_hash, stdout_json};

/// 2026-01-01T00:00:00Z: marks are made at whole hours after it.
const EPOCH: i64 = 1_767_225_600;

/// When a mark made at `hour` happened.
fn at(hour: i64) -> String {
    format!("2026-01-01T{hour:02}:00:00Z")
}

/// `berth mark ARGS --format json` with SOURCE_DATE_EPOCH at `hour`, asserting it
/// exits 0; its output.
fn mark_at(repo: &Repo, hour: i64, args: &[&str]) -> Value {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", (EPOCH + hour * 3600).to_string())
        .arg("mark")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "mark {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_json(&output)
}

/// The event file at `path`, parsed.
fn read_json(repo: &Repo, path: &str) -> Value {
    serde_json::from_str(&repo.read(path)).unwrap()
}

/// `lifecycle` of `berth show REF --format json`.
fn lifecycle(repo: &Repo, reference: &str) -> Value {
    repo.ok(&["show", reference])["lifecycle"].clone()
}

/// A lifecycle as show and mark report it.
fn life(status: &str, latest: Value, environments: &[&str]) -> Value {
    json!({
        "status": status,
        "latest": latest,
        "environments": environments,
        "preview_url": null,
    })
}

/// The rows before the first blank line of the human `berth show REF`, as
/// (label, value).
fn show_rows(repo: &Repo, reference: &str) -> Vec<(String, String)> {
    let output = repo.berth().args(["show", reference]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .take_while(|line| !line.is_empty())
        .map(|line| {
            let (label, value) = line.split_once("  ").unwrap();
            (label.to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// The value of a row of the human `berth show REF`, if it has that row.
fn show_row(repo: &Repo, reference: &str, label: &str) -> Option<String> {
    show_rows(repo, reference)
        .into_iter()
        .find(|(l, _)| l == label)
        .map(|(_, value)| value)
}

#[test]
fn each_status_is_an_event_file_and_becomes_the_objects_status() {
    let repo = Repo::init();
    let cases: [(&str, &[&str], Value); 5] = [
        (
            "ready",
            &[
                "--artifact-location",
                "r2://worker-bundles/billing-1",
                "--size",
                "1001",
            ],
            json!({"artifact_location": "r2://worker-bundles/billing-1", "size_bytes": 1001}),
        ),
        (
            "failed",
            &["--reason", "worker bundle did not compile"],
            json!({"reason": "worker bundle did not compile"}),
        ),
        (
            "deprecated",
            &["--reason", "superseded by billing 4"],
            json!({"reason": "superseded by billing 4"}),
        ),
        (
            "archived",
            &["--reason", "kept for the audit"],
            json!({"reason": "kept for the audit"}),
        ),
        (
            "artifact-deleted",
            &[
                "--reason",
                "bucket lifecycle rule",
                "--artifact-location",
                "r2://worker-bundles/billing-5",
                "--size",
                "12345",
            ],
            json!({
                "reason": "bucket lifecycle rule",
                "artifact_location": "r2://worker-bundles/billing-5",
                "size_bytes": 12345,
            }),
        ),
    ];
    let mut written = Vec::new();
    for (hour, (status, extra, fields)) in (1..).zip(cases) {
        let put = repo.put_version_set("billing", hour as u32);
        assert_eq!(
            lifecycle(&repo, &put.object),
            life("draft", Value::Null, &[]),
            "{status}"
        );
        let main = repo.tip("refs/heads/main");
        let mut args = vec![&put.hash[..8], status];
        args.extend_from_slice(extra);
        let outcome = mark_at(&repo, hour, &args);

        let mut event = json!({
            "subject": put.object,
            "package": "billing",
            "status": status,
            "at": at(hour),
        });
        event
            .as_object_mut()
            .unwrap()
            .extend(fields.as_object().unwrap().clone());
        let hash = independent_hash(&event);
        let path = format!("objects/events/billing/{hash}.json");
        assert_eq!(read_json(&repo, &path), event, "{status}");
        let latest = json!({
            "status": status,
            "at": at(hour),
            "reason": fields.get("reason").cloned().unwrap_or(Value::Null),
            "file": path,
        });
        let expected = life(status, latest, &[]);
        assert_eq!(
            outcome,
            json!({
                "subject": put.object,
                "event": event,
                "put": {
                    "objects": [{
                        "file": "event",
                        "object": format!("events/{hash}"),
                        "store": "events",
                        "partition": "billing",
                        "hash": hash,
                        "path": path,
                        "created": true,
                    }],
                    "commit": null,
                    "warnings": [],
                },
                "lifecycle": expected,
            }),
            "{status}"
        );
        assert_eq!(lifecycle(&repo, &put.object), expected, "{status}");
        // Without --commit the event is only in the working tree.
        assert_eq!(repo.tip("refs/heads/main"), main, "{status}");
        assert_eq!(repo.blob_at("HEAD", &path), None, "{status}");
        written.push(path);
    }
    written.sort();
    assert_eq!(repo.files("objects/events"), written);
    repo.ok(&["validate"]);
}

#[test]
fn a_held_object_is_deployed_until_an_event_says_otherwise() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    assert_eq!(
        lifecycle(&repo, &billing.object),
        life("deployed", Value::Null, &["dev"])
    );

    // Marked by what an environment holds; still deployed, now with an event.
    let ready = mark_at(&repo, 1, &["billing@dev", "ready"]);
    assert_eq!(ready["subject"], billing.object);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    let ready_file = ready["put"]["objects"][0]["path"].clone();
    let deployed = life(
        "deployed",
        json!({"status": "ready", "at": at(1), "reason": null, "file": ready_file}),
        &["dev", "staging"],
    );
    assert_eq!(lifecycle(&repo, &billing.object), deployed);
    assert_eq!(lifecycle(&repo, "billing@staging"), deployed);

    // Deprecated while deployed: the status says so, the environments stay listed.
    let deprecated = mark_at(
        &repo,
        2,
        &[
            &billing.hash[..12],
            "deprecated",
            "--reason",
            "billing 2 replaces it",
        ],
    );
    let expected = life(
        "deprecated",
        json!({
            "status": "deprecated",
            "at": at(2),
            "reason": "billing 2 replaces it",
            "file": deprecated["put"]["objects"][0]["path"],
        }),
        &["dev", "staging"],
    );
    assert_eq!(deprecated["lifecycle"], expected);
    assert_eq!(lifecycle(&repo, &billing.object), expected);
    assert_eq!(lifecycle(&repo, "billing@dev"), expected);
    assert_eq!(
        show_row(&repo, &billing.object, "status").as_deref(),
        Some(
            "deprecated (latest event: deprecated at 2026-01-01T02:00:00Z: billing 2 replaces it)"
        )
    );
    assert_eq!(
        show_row(&repo, &billing.object, "held by").as_deref(),
        Some("dev, staging")
    );

    // Failed while held is failed; a new ready event makes it deployed again.
    mark_at(&repo, 3, &[&billing.object, "failed"]);
    assert_eq!(lifecycle(&repo, &billing.object)["status"], "failed");
    mark_at(&repo, 4, &[&billing.object, "ready"]);
    assert_eq!(lifecycle(&repo, &billing.object)["status"], "deployed");

    // Replaced in dev: held by staging only; the new object is deployed in dev.
    let billing2 = repo.put_version_set("billing", 2);
    repo.ok(&["promote", &billing2.object, "--to", "dev"]);
    assert_eq!(
        lifecycle(&repo, &billing.object)["environments"],
        json!(["staging"])
    );
    assert_eq!(
        lifecycle(&repo, &billing2.object),
        life("deployed", Value::Null, &["dev"])
    );
}

#[test]
fn at_one_instant_the_later_status_in_the_list_wins() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    // Written in an order the list does not follow, all at 01:00.
    for (status, expected) in [
        ("failed", "failed"),
        ("ready", "failed"),
        ("archived", "archived"),
        ("deprecated", "archived"),
        ("artifact-deleted", "artifact-deleted"),
        ("ready", "artifact-deleted"),
    ] {
        let outcome = mark_at(&repo, 1, &[&billing.object, status]);
        assert_eq!(outcome["lifecycle"]["status"], expected, "{status}");
        assert_eq!(
            lifecycle(&repo, &billing.object)["status"],
            expected,
            "{status}"
        );
    }
    // A later instant wins whatever its status.
    mark_at(&repo, 2, &[&billing.object, "ready"]);
    assert_eq!(lifecycle(&repo, &billing.object)["status"], "ready");
    assert_eq!(repo.files("objects/events").len(), 6, "one file per event");
}

#[test]
fn without_source_date_epoch_an_event_happens_now() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let second = jiff::SignedDuration::from_secs(1);
    let before = jiff::Timestamp::now().checked_sub(second).unwrap();
    let outcome = repo.ok(&["mark", &billing.object, "ready"]);
    let after = jiff::Timestamp::now().checked_add(second).unwrap();
    let at: jiff::Timestamp = outcome["event"]["at"].as_str().unwrap().parse().unwrap();
    assert!(
        before <= at && at <= after,
        "{at} not between {before} and {after}"
    );
    let path = outcome["put"]["objects"][0]["path"].as_str().unwrap();
    assert_eq!(read_json(&repo, path), outcome["event"]);
}

#[test]
fn status_shows_each_held_packages_status() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let search = repo.put_version_set("search", 1);
    repo.ok(&["promote", &billing.object, &search.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    mark_at(&repo, 1, &["billing@staging", "ready"]);
    mark_at(&repo, 2, &["search@dev", "deprecated"]);

    let status = repo.ok(&["status"]);
    let rows: Vec<Value> = status["environments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|env| {
            env["packages"].as_array().unwrap().iter().map(|entry| {
                json!([
                    env["environment"],
                    entry["package"],
                    entry["object"],
                    entry.get("status").cloned().unwrap_or(Value::Null),
                ])
            })
        })
        .collect();
    assert_eq!(
        rows,
        [
            json!(["dev", "billing", billing.object, "deployed"]),
            json!(["dev", "search", search.object, "deprecated"]),
            json!(["staging", "billing", billing.object, "deployed"]),
            // Rows for what an upstream environment holds: no object, no status.
            json!(["staging", "search", null, null]),
            json!(["production", "billing", null, null]),
        ]
    );

    let output = repo.berth().arg("status").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let columns: Vec<Vec<&str>> = text
        .lines()
        .map(|line| line.split_whitespace().take(5).collect())
        .collect();
    assert_eq!(
        columns[..4],
        [
            vec!["ENVIRONMENT", "PACKAGE", "OBJECT", "VERSION", "STATUS"],
            vec!["dev", "billing", &billing.object[..25], "-", "deployed"],
            vec!["dev", "search", &search.object[..25], "-", "deprecated"],
            vec!["staging", "billing", &billing.object[..25], "-", "deployed"],
        ]
    );
}

/// Promotes billing@staging to production expecting `code`; nothing moves.
fn refused_to_production(repo: &Repo, put: &Put, code: &str) {
    let before = (repo.env_tip("production"), repo.tip("refs/heads/main"));
    let (exit, report) = repo.json(&["promote", "billing@staging", "--to", "production"]);
    assert_eq!(exit, 1, "{code}: {report:#}");
    assert_eq!(report["error"]["code"], code, "{report:#}");
    assert_eq!(report["error"]["exit_code"], 1, "{code}");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains(&put.object), "{code}: {message}");
    assert!(
        report["error"]["help"]
            .as_str()
            .is_some_and(|h| !h.is_empty()),
        "{code}"
    );
    let after = (repo.env_tip("production"), repo.tip("refs/heads/main"));
    assert_eq!(before, after, "{code}: a refused promotion wrote something");
}

#[test]
fn production_takes_only_objects_whose_latest_committed_event_is_ready() {
    let repo = Repo::init();
    let mut hour = 0;
    for n in [1, 2] {
        let put = repo.put_version_set("billing", n);
        repo.ok(&["promote", &put.object, "--to", "dev"]);
        repo.ok(&["promote", "billing@dev", "--to", "staging"]);
        // First while production is not opened, then while it holds billing 1.
        assert_eq!(repo.env_tip("production").is_some(), n == 2);

        refused_to_production(&repo, &put, "berth::not-ready");
        // Guards read the committed catalog: a ready event only in the working
        // tree does not count, though show sees it.
        hour += 1;
        mark_at(&repo, hour, &["billing@staging", "ready"]);
        assert_eq!(lifecycle(&repo, &put.object)["latest"]["status"], "ready");
        refused_to_production(&repo, &put, "berth::not-ready");

        for (status, code) in [
            ("failed", "berth::failed"),
            ("deprecated", "berth::deprecated"),
            ("archived", "berth::deprecated"),
            ("artifact-deleted", "berth::artifact-deleted"),
        ] {
            hour += 1;
            mark_at(&repo, hour, &["billing@staging", status, "--commit"]);
            refused_to_production(&repo, &put, code);
        }

        hour += 1;
        mark_at(&repo, hour, &["billing@staging", "ready", "--commit"]);
        let before = repo.env_tip("production");
        let outcome = repo.ok(&["promote", "billing@staging", "--to", "production"]);
        let tip = repo.env_tip("production");
        assert_ne!(tip, before, "billing {n}");
        assert_eq!(outcome["tip"], json!(tip), "billing {n}");
        assert_eq!(
            outcome["promotions"][0]["object"], put.object,
            "billing {n}"
        );
        let commit = repo.commit(tip.as_deref().unwrap());
        assert_eq!(commit.trailers["Berth-Object"], put.object, "billing {n}");
        assert_eq!(
            lifecycle(&repo, &put.object)["environments"],
            json!(["dev", "staging", "production"])
        );
    }
}

#[test]
fn mark_with_commit_adds_one_catalog_commit_holding_the_event() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let before = repo.head().unwrap();

    let outcome = mark_at(&repo, 1, &[&billing.object, "ready", "--commit"]);
    let after = repo.head().unwrap();
    let path = outcome["put"]["objects"][0]["path"].as_str().unwrap();
    assert_eq!(outcome["put"]["commit"], after.id);
    assert_eq!(repo.tip("refs/heads/main").unwrap(), after.id);
    assert_eq!(after.parents, [before.id]);
    assert_eq!(
        after.message.lines().next(),
        Some(format!("Mark version-sets/{} ready", &billing.hash[..12]).as_str())
    );
    let mut paths = before.paths.clone();
    paths.push(path.to_owned());
    paths.sort();
    let mut committed = after.paths.clone();
    committed.sort();
    assert_eq!(committed, paths);
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
    assert_eq!(repo.files("objects/events"), [path]);

    // The same event again is the same object: nothing new, no commit.
    let again = mark_at(&repo, 1, &[&billing.object, "ready", "--commit"]);
    assert_eq!(again["put"]["objects"][0]["created"], false);
    assert_eq!(again["put"]["objects"][0]["path"], path);
    assert_eq!(again["put"]["commit"], Value::Null);
    assert_eq!(repo.tip("refs/heads/main").unwrap(), after.id);

    // In words: the subject, its status, the event and the commit.
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", (EPOCH + 2 * 3600).to_string())
        .args(["mark", &billing.object, "deprecated", "--commit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let event = repo
        .files("objects/events")
        .into_iter()
        .find(|file| file != path)
        .unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "{} is deprecated (event {event})\ncommitted {}\n",
            billing.object,
            &repo.tip("refs/heads/main").unwrap()[..12]
        )
    );
}

#[test]
fn an_unknown_object_or_status_is_refused_and_nothing_is_written() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let main = repo.tip("refs/heads/main");
    let missing = format!("version-sets/{}", "0".repeat(64));
    for name in [missing.as_str(), "deadbeef"] {
        for commit in [&[][..], &["--commit"][..]] {
            let mut args = vec!["mark", name, "ready"];
            args.extend_from_slice(commit);
            let (exit, report) = repo.json(&args);
            assert_eq!(exit, 1, "{args:?}: {report:#}");
            assert_eq!(report["error"]["code"], "berth::object-not-found");
            assert_eq!(report["error"]["exit_code"], 1);
            assert!(
                report["error"]["message"].as_str().unwrap().contains(name),
                "{report:#}"
            );
        }
    }
    let output = repo
        .berth()
        .args(["mark", &billing.hash[..8], "bogus", "--commit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("bogus")
            && stderr.contains("ready, failed, deprecated, archived, artifact-deleted"),
        "{stderr}"
    );
    assert_eq!(repo.files("objects/events"), Vec::<String>::new());
    assert_eq!(repo.tip("refs/heads/main"), main);
}

#[test]
fn an_object_without_a_lifecycle_cannot_be_marked() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let event = repo.ready(&billing);
    assert_eq!(repo.ok(&["show", &event.object])["lifecycle"], Value::Null);
    let main = repo.tip("refs/heads/main");
    let (exit, report) = repo.json(&["mark", &event.object, "deprecated"]);
    assert_eq!(exit, 1, "{report:#}");
    assert!(
        report["error"]["code"]
            .as_str()
            .is_some_and(|code| code.starts_with("berth::")),
        "{report:#}"
    );
    assert_eq!(repo.files("objects/events"), [event.path]);
    assert_eq!(repo.tip("refs/heads/main"), main);
}

#[test]
fn a_preview_domain_gives_each_object_a_preview_url() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    assert_eq!(
        lifecycle(&repo, &billing.object)["preview_url"],
        Value::Null
    );
    assert_eq!(show_row(&repo, &billing.object, "preview"), None);

    let settings = repo.read("berth.toml").replacen(
        "[repo]\n",
        "[repo]\npreview_domain = \"preview.example.com\"\n",
        1,
    );
    assert_ne!(settings, repo.read("berth.toml"));
    repo.write("berth.toml", &settings);
    repo.git_command(&["commit", "-q", "-m", "preview deployments", "berth.toml"]);

    let url = format!("https://{}.preview.example.com/", &billing.hash[..12]);
    assert_eq!(lifecycle(&repo, &billing.object)["preview_url"], url);
    assert_eq!(
        show_row(&repo, &billing.object, "preview"),
        Some(url.clone())
    );
    let marked = mark_at(&repo, 1, &[&billing.object, "ready"]);
    assert_eq!(marked["lifecycle"]["preview_url"], url);
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    assert_eq!(
        lifecycle(&repo, "billing@dev"),
        json!({
            "status": "deployed",
            "latest": {
                "status": "ready",
                "at": at(1),
                "reason": null,
                "file": marked["put"]["objects"][0]["path"],
            },
            "environments": ["dev"],
            "preview_url": url,
        })
    );
}

#[test]
fn an_event_filed_under_another_package_is_refused() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let ready = repo.ready(&billing);
    let main = repo.tip("refs/heads/main");
    // A later `failed` event about billing 1, filed under search.
    repo.write_json(
        "input/failed.json",
        &json!({
            "subject": billing.object,
            "package": "search",
            "status": "failed",
            "at": "2025-06-01T00:00:00Z",
        }),
    );
    let (exit, report) = repo.json(&["put", "events", "input/failed.json", "--commit"]);
    assert_eq!(exit, 1, "{report:#}");
    assert_eq!(
        report["error"]["code"], "berth::invalid-object",
        "{report:#}"
    );
    assert_eq!(repo.files("objects/events"), [ready.path]);
    assert_eq!(repo.tip("refs/heads/main"), main);
}

#[test]
fn an_unusable_source_date_epoch_is_refused() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    mark_at(&repo, 1, &[&billing.object, "ready"]);
    let millis = ((EPOCH + 2 * 3600) * 1000).to_string();
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", &millis)
        .args(["mark", &billing.object, "failed", "--format", "json"])
        .output()
        .unwrap();
    assert_ne!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    assert_eq!(repo.files("objects/events").len(), 1, "nothing written");
    assert_eq!(lifecycle(&repo, &billing.object)["status"], "ready");
}

#[test]
fn a_source_date_epoch_that_is_not_a_time_is_a_usage_error() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    for epoch in ["soon", "1.5", "99999999999999999999"] {
        let before = repo.written();
        let output = repo
            .berth()
            .env("SOURCE_DATE_EPOCH", epoch)
            .args(["mark", &billing.object, "ready", "--format", "json"])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{epoch}");
        let report = stdout_json(&output);
        assert_eq!(
            report["error"]["code"], "berth::bad-source-date-epoch",
            "{epoch}"
        );
        assert_eq!(
            report["error"]["message"],
            format!(
                "SOURCE_DATE_EPOCH is `{epoch}`, not a number of seconds since 1970 that is a date"
            )
        );
        assert_eq!(repo.written(), before, "{epoch}");
    }
}

//! `berth config set`, and the validator's config rules.
//!
//! Each test checks the exact version written (the whole file, its hash and its
//! path), the commit it made, and that a refusal leaves the repository exactly as
//! it was. Commands are written as one line and split on whitespace (no argument
//! here holds a space).

use serde_json::{Value, json};

use crate::support::{
    Repo, codes, independent_hash, message_trailers, refused_at, run_at, snapshot, stdout_json,
};

/// 2025-04-30T08:00:00Z: berth's "now" (SOURCE_DATE_EPOCH), the default
/// `effective_at` of a new version.
const EPOCH: i64 = 1_746_000_000;
const EPOCH_TEXT: &str = "2025-04-30T08:00:00Z";

/// The config most tests write.
const ID: &str = "pricing-acct-1";

/// The fixed fields of [`ID`]'s version 1.
const FIXED: &str = "--type pricing --category logic --applies-to acct_1 --scope account";

/// The branch `berth init` makes.
const MAIN: &str = "refs/heads/main";

/// Runs berth at [`EPOCH`]: its exit code and its JSON.
fn run(repo: &Repo, line: &str) -> (i32, Value) {
    run_at(repo, EPOCH, line)
}

/// Runs berth at [`EPOCH`], asserting it exits 0.
fn ok(repo: &Repo, line: &str) -> Value {
    let (code, value) = run(repo, line);
    assert_eq!(code, 0, "berth {line}: {value:#}");
    value
}

/// Runs berth at [`EPOCH`] with the words of `line`, expecting a refusal (see
/// [`refused_at`]); its JSON error document.
fn refused(repo: &Repo, line: &str, exit: i32, code: &str) -> Value {
    let args: Vec<&str> = line.split_whitespace().collect();
    refused_at(repo, Some(EPOCH), &args, exit, code)
}

/// `git status --porcelain` with every untracked file: what the user sees of the
/// working tree and the index.
fn porcelain(repo: &Repo) -> String {
    repo.git_command(&["status", "--porcelain", "--untracked-files=all"])
}

/// How many commits HEAD has.
fn commit_count(repo: &Repo) -> usize {
    repo.git_command(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

/// The files of a config id in the working tree.
fn versions_on_disk(repo: &Repo, id: &str) -> Vec<String> {
    repo.files(&format!("objects/configs/{id}"))
}

/// The files of a config id in a commit's tree.
fn versions_at(repo: &Repo, rev: &str, id: &str) -> Vec<String> {
    repo.git_command(&[
        "ls-tree",
        "-r",
        "--name-only",
        rev,
        &format!("objects/configs/{id}"),
    ])
    .lines()
    .map(str::to_owned)
    .collect()
}

/// Where a config version with `data` is filed: its id's partition, named by the
/// hash of its canonical JSON.
fn path_of(data: &Value) -> String {
    format!(
        "objects/configs/{}/{}.json",
        data["id"].as_str().unwrap(),
        independent_hash(data)
    )
}

/// The version file a `config set` outcome names, parsed: at the path its hash
/// names, with the object and put record agreeing.
fn written(repo: &Repo, outcome: &Value) -> Value {
    let file = outcome["file"].as_str().unwrap();
    let data: Value = serde_json::from_str(&repo.read(file)).unwrap();
    let hash = independent_hash(&data);
    assert_eq!(file, path_of(&data), "{outcome:#}");
    assert_eq!(outcome["object"], format!("configs/{hash}"));
    let put = &outcome["put"]["objects"][0];
    assert_eq!(put["hash"], hash.as_str());
    assert_eq!(put["path"], file);
    assert_eq!(put["created"], true);
    assert_eq!(outcome["put"]["objects"].as_array().unwrap().len(), 1);
    data
}

/// Writes a config version by hand at the path its hash names; the path.
fn place(repo: &Repo, data: &Value) -> String {
    let path = path_of(data);
    repo.write_json(&path, data);
    path
}

/// Creates version 1 of [`ID`] (pricing for account acct_1) effective
/// 2025-01-01, with `rest` after the fixed fields.
fn create(repo: &Repo, rest: &str) -> Value {
    ok(
        repo,
        &format!(
            "config set {ID} --expect-version 0 {FIXED} --effective-at 2025-01-01T00:00:00Z {rest}"
        ),
    )
}

/// Version 1 and 2 of [`ID`], each committed: (v1 outcome, v2 outcome).
fn two_versions(repo: &Repo) -> (Value, Value) {
    let first = create(repo, "--set rate=0.02 --idempotency-key first --commit");
    let second = ok(
        repo,
        &format!(
            "config set {ID} --expect-version 1 --set rate=0.03 --idempotency-key second --commit"
        ),
    );
    (first, second)
}

#[test]
fn set_creates_then_supersedes_and_commits_each_version() {
    let repo = Repo::init();
    let init = repo.tip(MAIN).unwrap();
    assert_eq!(repo.git_command(&["symbolic-ref", "HEAD"]).trim(), MAIN);

    let first = create(
        &repo,
        "--name Acct_1_pricing --tenant tenant_1 --set rate=0.02 --set tier=gold
         --set limits.daily=5 --idempotency-key create-1 --commit",
    );
    let v1 = written(&repo, &first);
    assert_eq!(
        v1,
        json!({
            "id": ID,
            "version": 1,
            "type": "pricing",
            "category": "logic",
            "name": "Acct_1_pricing",
            "applies_to": "acct_1",
            "scope": "account",
            "tenant_id": "tenant_1",
            "settings": {"limits": {"daily": 5}, "rate": 0.02, "tier": "gold"},
            "effective_at": "2025-01-01T00:00:00Z",
            "idempotency_key": "create-1",
        })
    );
    assert_eq!(first["id"], ID);
    assert_eq!(first["version"], 1);
    assert_eq!(first["written"], true);
    assert_eq!(first["effective_at"], "2025-01-01T00:00:00Z");
    assert_eq!(first["scheduled"], false);
    assert_eq!(first["supersedes"], Value::Null);
    assert_eq!(
        first["changes"],
        json!([
            {"key": "limits", "to": {"daily": 5}},
            {"key": "rate", "to": 0.02},
            {"key": "tier", "to": "gold"},
        ])
    );
    let v1_file = first["file"].as_str().unwrap().to_owned();

    // The commit: on main, right after berth init, holding the file.
    let c1 = repo.tip(MAIN).unwrap();
    assert_eq!(first["put"]["commit"], c1.as_str());
    let commit = repo.commit(&c1);
    assert_eq!(commit.parents, [init.as_str()]);
    assert_eq!(commit.subject, format!("Config {ID} version 1"));
    assert_eq!(
        message_trailers(&repo.head().unwrap().message),
        crate::support::trailers(&[("Effective-At", "2025-01-01T00:00:00Z")])
    );
    assert!(commit.files.contains_key(&v1_file));
    assert_eq!(repo.changed(), Vec::<String>::new());

    // Version 2: settings edited over version 1's, the fixed fields, name and
    // tenant carried over, effective now.
    let second = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 1 --set rate=0.03 --unset tier
             --set limits.weekly=20 --commit"
        ),
    );
    let v2 = written(&repo, &second);
    assert_eq!(
        v2,
        json!({
            "id": ID,
            "version": 2,
            "type": "pricing",
            "category": "logic",
            "name": "Acct_1_pricing",
            "applies_to": "acct_1",
            "scope": "account",
            "tenant_id": "tenant_1",
            "settings": {"limits": {"daily": 5, "weekly": 20}, "rate": 0.03},
            "effective_at": EPOCH_TEXT,
        })
    );
    assert_eq!(second["version"], 2);
    assert_eq!(second["written"], true);
    assert_eq!(second["effective_at"], EPOCH_TEXT);
    assert_eq!(second["scheduled"], false);
    assert_eq!(second["supersedes"], 1);
    assert_eq!(
        second["changes"],
        json!([
            {"key": "limits.weekly", "to": 20},
            {"key": "rate", "from": 0.02, "to": 0.03},
            {"key": "tier", "from": "gold"},
        ])
    );
    let v2_file = second["file"].as_str().unwrap().to_owned();
    assert_ne!(v1_file, v2_file);

    let c2 = repo.tip(MAIN).unwrap();
    assert_ne!(c2, c1);
    assert_eq!(second["put"]["commit"], c2.as_str());
    let commit = repo.commit(&c2);
    assert_eq!(commit.parents, [c1.as_str()]);
    assert_eq!(commit.subject, format!("Config {ID} version 2"));
    assert_eq!(
        commit.trailers,
        crate::support::trailers(&[("Effective-At", EPOCH_TEXT)])
    );
    // Version 1's file is untouched: the same blob in both commits.
    assert_eq!(
        repo.blob_at(&c2, &v1_file),
        repo.blob_at(&c1, &v1_file),
        "version 1 changed"
    );
    let mut both = vec![v1_file.clone(), v2_file.clone()];
    both.sort();
    assert_eq!(versions_at(&repo, "HEAD", ID), both);
    assert_eq!(versions_on_disk(&repo, ID), both);
    assert_eq!(repo.changed(), Vec::<String>::new());
    assert_eq!(commit_count(&repo), 3);

    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], json!([]));
    let (code, report) = run(&repo, "validate --rev HEAD --base HEAD~2");
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], json!([]));

    // A version effective later is scheduled.
    let third = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.04 --effective-at 2026-01-01T00:00:00Z"
        ),
    );
    assert_eq!(third["version"], 3);
    assert_eq!(third["scheduled"], true);
    assert_eq!(third["effective_at"], "2026-01-01T00:00:00Z");
    assert_eq!(third["put"]["commit"], Value::Null);
    assert_eq!(written(&repo, &third)["version"], 3);
    assert_eq!(repo.tip(MAIN).unwrap(), c2, "committed without --commit");
}

#[test]
fn a_stale_expected_version_is_a_conflict_that_writes_nothing() {
    let repo = Repo::init();
    let (_, second) = two_versions(&repo);
    assert_eq!(second["version"], 2);

    for (expect, commit) in [(1, ""), (1, "--commit"), (3, ""), (0, "--commit")] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version {expect} --set rate=0.09 {commit}"),
            3,
            "berth::config-conflict",
        );
        assert_eq!(
            report["error"]["message"],
            format!("config `{ID}` is at version 2, not the expected {expect}")
        );
        let help = report["error"]["help"].as_str().unwrap();
        assert!(help.contains("--expect-version 2"), "{help}");
    }

    // A config that does not exist is at version 0.
    for commit in ["", "--commit"] {
        let report = refused(
            &repo,
            &format!("config set nope --expect-version 1 --set rate=0.09 {FIXED} {commit}"),
            3,
            "berth::config-conflict",
        );
        assert_eq!(
            report["error"]["message"],
            "config `nope` is at version 0, not the expected 1"
        );
        let help = report["error"]["help"].as_str().unwrap();
        assert!(help.contains("--expect-version 0"), "{help}");
    }
    assert_eq!(versions_on_disk(&repo, "nope"), Vec::<String>::new());
    assert_eq!(commit_count(&repo), 3);
}

#[test]
fn a_retry_with_a_used_idempotency_key_reports_the_version_and_writes_nothing() {
    let repo = Repo::init();
    let (first, second) = two_versions(&repo);
    let tip = repo.tip(MAIN).unwrap();
    let files = versions_on_disk(&repo, ID);
    assert_eq!(files.len(), 2);

    // The retry of version 2's write: with the version it expected then (now
    // stale), with the current one, committing or not; the same settings as a
    // whole table; the same time at another offset; the fixed fields as they
    // are; and later, when "now" has moved on.
    repo.write_json("input/same.json", &json!({"rate": 0.03}));
    for (epoch, line) in [
        (
            EPOCH,
            "--expect-version 1 --set rate=0.03 --idempotency-key second",
        ),
        (
            EPOCH,
            "--expect-version 1 --set rate=0.03 --idempotency-key second --commit",
        ),
        (
            EPOCH,
            "--expect-version 2 --set rate=0.03 --idempotency-key second --commit",
        ),
        (
            EPOCH,
            "--expect-version 1 --file input/same.json --idempotency-key second",
        ),
        (
            EPOCH,
            "--expect-version 1 --set rate=0.03 --effective-at 2025-04-30T10:00:00+02:00 --idempotency-key second",
        ),
        (
            EPOCH,
            &format!("--expect-version 1 {FIXED} --set rate=0.03 --idempotency-key second"),
        ),
        (
            EPOCH + 3600,
            "--expect-version 1 --set rate=0.03 --idempotency-key second",
        ),
    ] {
        let before = (snapshot(&repo), porcelain(&repo));
        let (code, retry) = run_at(&repo, epoch, &format!("config set {ID} {line}"));
        assert_eq!(code, 0, "{line}: {retry:#}");
        assert_eq!(
            (snapshot(&repo), porcelain(&repo)),
            before,
            "{line} wrote something"
        );
        assert_eq!(retry["written"], false, "{line}");
        assert_eq!(retry["version"], 2, "{line}");
        for key in [
            "id",
            "object",
            "file",
            "effective_at",
            "scheduled",
            "changes",
        ] {
            assert_eq!(retry[key], second[key], "{line}: {key}");
        }
        assert_eq!(retry["supersedes"], 1);
        assert_eq!(retry["put"], Value::Null);
    }

    // Version 1's key, retried with the fixed fields and --expect-version 0.
    let retry = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 0 {FIXED} --set rate=0.02 --idempotency-key first --commit"
        ),
    );
    assert_eq!(retry["written"], false);
    assert_eq!(retry["version"], 1);
    assert_eq!(retry["object"], first["object"]);
    assert_eq!(retry["file"], first["file"]);
    assert_eq!(retry["supersedes"], Value::Null);

    assert_eq!(repo.tip(MAIN).unwrap(), tip);
    assert_eq!(versions_on_disk(&repo, ID), files);
    assert_eq!(commit_count(&repo), 3);

    // A new key is a new write, and still needs the current version.
    refused(
        &repo,
        &format!("config set {ID} --expect-version 1 --set rate=0.03 --idempotency-key third"),
        3,
        "berth::config-conflict",
    );
    let third = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.05 --idempotency-key third --effective-at 2025-06-01T00:00:00Z --commit"
        ),
    );
    assert_eq!(third["written"], true);
    assert_eq!(third["version"], 3);
    assert_eq!(written(&repo, &third)["idempotency_key"], "third");
    assert_eq!(commit_count(&repo), 4);
    // Its retry without --effective-at is the same request: "now" is what the
    // first try may have meant, and it has moved on.
    let retry = ok(
        &repo,
        &format!("config set {ID} --expect-version 2 --set rate=0.05 --idempotency-key third"),
    );
    assert_eq!(
        (retry["written"].clone(), retry["version"].clone()),
        (json!(false), json!(3))
    );
    assert_eq!(retry["object"], third["object"]);

    // A key is per id: another config may use the same one.
    let other = ok(
        &repo,
        "config set pricing-acct-2 --expect-version 0 --type pricing --category logic
         --applies-to acct_2 --scope account --set rate=1 --idempotency-key second --commit",
    );
    assert_eq!(other["written"], true);
    assert_eq!(other["version"], 1);
    assert_eq!(commit_count(&repo), 5);
}

#[test]
fn version_one_needs_every_fixed_field() {
    let repo = Repo::init();
    let report = refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 0 --type pricing --applies-to acct_1 --set rate=0.02 --commit"
        ),
        2,
        "berth::config-fixed-fields",
    );
    assert_eq!(
        report["error"]["message"],
        format!("version 1 of `{ID}` needs --category, --scope")
    );
    let report = refused(
        &repo,
        &format!("config set {ID} --expect-version 0 --set rate=0.02"),
        2,
        "berth::config-fixed-fields",
    );
    assert_eq!(
        report["error"]["message"],
        format!("version 1 of `{ID}` needs --type, --category, --applies-to, --scope")
    );
    // A value outside the enumeration is a usage error.
    refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 0 --type pricing --category rule --applies-to acct_1 --scope account --set rate=0.02"
        ),
        2,
        "berth::usage",
    );
    assert_eq!(versions_on_disk(&repo, ID), Vec::<String>::new());
    assert_eq!(commit_count(&repo), 1);
}

#[test]
fn a_later_version_keeps_the_fixed_fields() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    for (flag, field, was, now) in [
        ("--type pricing_v2", "type", "pricing", "pricing_v2"),
        ("--category policy", "category", "logic", "policy"),
        ("--applies-to acct_2", "applies_to", "acct_1", "acct_2"),
        ("--scope asset", "scope", "account", "asset"),
    ] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 1 --set rate=0.03 {flag} --commit"),
            1,
            "berth::invalid-config",
        );
        assert_eq!(
            report["error"]["message"],
            format!("nothing was written: version 2 of `{ID}` would break 1 rule")
        );
        assert_eq!(codes(&report), ["config-fixed-field-changed"], "{flag}");
        let finding = &report["findings"][0];
        assert_eq!(finding["pointer"], format!("/{field}"));
        let message = finding["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "version 2 of `{ID}` changes {field} from `{was}` to `{now}`"
            )),
            "{message}"
        );
        let help = finding["help"].as_str().unwrap();
        assert!(help.contains("new config type"), "{help}");
    }
    assert_eq!(versions_on_disk(&repo, ID).len(), 1);
    assert_eq!(commit_count(&repo), 2);

    // Giving the fixed fields as they are is no change.
    let same = ok(
        &repo,
        &format!("config set {ID} --expect-version 1 {FIXED} --set rate=0.03 --commit"),
    );
    assert_eq!(same["version"], 2);
    assert_eq!(written(&repo, &same)["type"], "pricing");
    assert_eq!(commit_count(&repo), 3);
}

#[test]
fn a_later_version_takes_effect_strictly_later() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    for at in ["2025-01-01T00:00:00Z", "2024-12-31T23:59:59Z"] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 1 --set rate=0.03 --effective-at {at}"),
            1,
            "berth::invalid-config",
        );
        assert_eq!(codes(&report), ["config-time-order"], "{at}");
        assert_eq!(report["findings"][0]["pointer"], "/effective_at");
        let message = report["findings"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!(
                "version 2 of `{ID}` takes effect at {at}, not after version 1 (2025-01-01T00:00:00Z"
            )),
            "{message}"
        );
    }
    // The same instant at another offset is no later; it is compared, and
    // written, as UTC.
    let report = refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 1 --set rate=0.03 --effective-at 2025-01-01T01:00:00+01:00"
        ),
        1,
        "berth::invalid-config",
    );
    assert_eq!(codes(&report), ["config-time-order"]);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "version 2 of `{ID}` takes effect at 2025-01-01T00:00:00Z, not after"
        )),
        "{message}"
    );
    // A time that is not RFC 3339 is a usage error.
    refused(
        &repo,
        &format!("config set {ID} --expect-version 1 --set rate=0.03 --effective-at tomorrow"),
        2,
        "berth::bad-time",
    );
    // One second later is fine.
    let later = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 1 --set rate=0.03 --effective-at 2025-01-01T00:00:01Z --commit"
        ),
    );
    assert_eq!(later["version"], 2);

    // A version scheduled in the future makes "now" too early for the next one.
    ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.04 --effective-at 2026-01-01T00:00:00Z --commit"
        ),
    );
    let report = refused(
        &repo,
        &format!("config set {ID} --expect-version 3 --set rate=0.05 --commit"),
        1,
        "berth::invalid-config",
    );
    assert_eq!(codes(&report), ["config-time-order"]);
    assert_eq!(versions_on_disk(&repo, ID).len(), 3);
    assert_eq!(commit_count(&repo), 4);
}

#[test]
fn a_second_config_for_the_same_type_and_entity_is_refused_but_a_new_type_is_not() {
    let repo = Repo::init();
    let first = create(&repo, "--set rate=0.02 --commit");
    let first_file = first["file"].as_str().unwrap();

    for commit in ["", "--commit"] {
        let report = refused(
            &repo,
            &format!(
                "config set pricing-acct-1b --expect-version 0 {FIXED} --set rate=0.01 {commit}"
            ),
            1,
            "berth::invalid-config",
        );
        assert_eq!(codes(&report), ["config-overlap"]);
        let finding = &report["findings"][0];
        assert_eq!(
            finding["message"],
            format!(
                "`pricing-acct-1b` version 1 and `{ID}` version 1 ({first_file}) are both in force for `pricing` on `acct_1` from {EPOCH_TEXT}"
            )
        );
        // The finding is on the new version, which has no file: it says so
        // rather than name one that was never written.
        assert_eq!(
            finding["file"], "<pricing-acct-1b version 1, not written>",
            "{finding:#}"
        );
        assert_eq!(finding["pointer"], "/applies_to");
    }
    // Taking effect earlier still overlaps from the moment the first one does.
    let report = refused(
        &repo,
        &format!(
            "config set pricing-acct-1b --expect-version 0 {FIXED} --set rate=0.01 --effective-at 2024-01-01T00:00:00Z"
        ),
        1,
        "berth::invalid-config",
    );
    assert_eq!(codes(&report), ["config-overlap"]);
    assert_eq!(
        versions_on_disk(&repo, "pricing-acct-1b"),
        Vec::<String>::new()
    );

    // A breaking change is a new type for the same entity: allowed.
    let v2 = ok(
        &repo,
        "config set pricing-v2-acct-1 --expect-version 0 --type pricing_v2 --category logic
         --applies-to acct_1 --scope account --set rate_per_second=0.001 --commit",
    );
    assert_eq!(v2["version"], 1);
    assert_eq!(written(&repo, &v2)["type"], "pricing_v2");
    // So is the same type for another entity.
    let other = ok(
        &repo,
        "config set pricing-acct-2 --expect-version 0 --type pricing --category logic
         --applies-to acct_2 --scope account --set rate=0.02 --commit",
    );
    assert_eq!(other["version"], 1);
    assert_eq!(commit_count(&repo), 4);
    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn set_unset_and_file_make_the_settings() {
    let repo = Repo::init();
    let first = create(
        &repo,
        r#"--set rate=0.02 --set tier=gold --set limits.daily=5 --set enabled=true
           --set days=[1,2] --set note="a=b" --commit"#,
    );
    let settings = &written(&repo, &first)["settings"];
    assert_eq!(
        settings,
        &json!({
            "days": [1, 2],
            "enabled": true,
            "limits": {"daily": 5},
            "note": "a=b",
            "rate": 0.02,
            "tier": "gold",
        })
    );
    assert!(settings["rate"].is_f64());
    assert!(settings["limits"]["daily"].is_u64());

    // --set merges over the previous version, nested tables key by key; --unset
    // removes, nested too.
    let second = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 1 --set limits.weekly=20 --set rate=3
             --unset tier --unset limits.daily --unset note --effective-at 2025-02-01T00:00:00Z --commit"
        ),
    );
    assert_eq!(
        written(&repo, &second)["settings"],
        json!({"days": [1, 2], "enabled": true, "limits": {"weekly": 20}, "rate": 3})
    );
    assert_eq!(
        second["changes"],
        json!([
            {"key": "limits.daily", "from": 5},
            {"key": "limits.weekly", "to": 20},
            {"key": "note", "from": "a=b"},
            {"key": "rate", "from": 0.02, "to": 3},
            {"key": "tier", "from": "gold"},
        ])
    );

    // Refusals, each writing nothing.
    for (line, message) in [
        (
            "--unset nope",
            "`nope` is not a setting: there is no such setting to unset",
        ),
        (
            "--unset limits.monthly",
            "`limits.monthly` is not a setting: there is no such setting to unset",
        ),
        ("--set rate", "`rate` is not a setting: it has no `=`"),
        (
            "--set rate.sub=1",
            "`rate.sub` is not a setting: `rate` is not a table",
        ),
    ] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 2 {line} --commit"),
            2,
            "berth::bad-setting",
        );
        assert_eq!(report["error"]["message"], message, "{line}");
    }

    // --file replaces the whole table, from TOML or JSON.
    repo.write(
        "input/settings.toml",
        "# per-second billing\nmode = \"flat\"\n\n[limits]\nhourly = 1\n",
    );
    let third = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --file input/settings.toml --effective-at 2025-03-01T00:00:00Z --commit"
        ),
    );
    assert_eq!(
        written(&repo, &third)["settings"],
        json!({"limits": {"hourly": 1}, "mode": "flat"})
    );
    assert_eq!(
        third["changes"],
        json!([
            {"key": "days", "from": [1, 2]},
            {"key": "enabled", "from": true},
            {"key": "limits.hourly", "to": 1},
            {"key": "limits.weekly", "from": 20},
            {"key": "mode", "to": "flat"},
            {"key": "rate", "from": 3},
        ])
    );
    repo.write_json("input/settings.json", &json!({"rate": 0.5}));
    let fourth = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 3 --file input/settings.json --effective-at 2025-03-02T00:00:00Z --commit"
        ),
    );
    assert_eq!(written(&repo, &fourth)["settings"], json!({"rate": 0.5}));

    // A file whose top level is not a table, or that is neither TOML nor JSON.
    repo.write_json("input/list.json", &json!([1, 2]));
    repo.write("input/scalar.toml", "not toml at all");
    repo.write("input/settings.txt", "rate = 1\n");
    for file in ["input/list.json", "input/scalar.toml", "input/settings.txt"] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 4 --file {file} --commit"),
            2,
            "berth::bad-setting",
        );
        let message = report["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("`{file}` is not a settings table")),
            "{message}"
        );
    }
    // A missing file, and --file with --set, are usage errors.
    let (code, report) = run(
        &repo,
        &format!("config set {ID} --expect-version 4 --file input/missing.toml"),
    );
    assert_eq!((code, &report["error"]["exit_code"]), (2, &json!(2)));
    refused(
        &repo,
        &format!("config set {ID} --expect-version 4 --file input/settings.json --set rate=1"),
        2,
        "berth::usage",
    );
    refused(
        &repo,
        &format!("config set {ID} --expect-version 4"),
        2,
        "berth::usage",
    );
    assert_eq!(versions_on_disk(&repo, ID).len(), 4);
    assert_eq!(commit_count(&repo), 5);
    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn committing_refuses_versions_only_the_working_tree_has() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    let tip = repo.tip(MAIN).unwrap();
    // Version 2 written but not committed.
    let second = ok(
        &repo,
        &format!("config set {ID} --expect-version 1 --set rate=0.03"),
    );
    let file = second["file"].as_str().unwrap().to_owned();
    assert_eq!(second["put"]["commit"], Value::Null);
    assert_eq!(repo.tip(MAIN).unwrap(), tip);

    for expect in [1, 2] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version {expect} --set rate=0.04 --commit"),
            3,
            "berth::config-uncommitted",
        );
        let message = report["error"]["message"].as_str().unwrap();
        assert!(message.contains(&file), "{message}");
    }
    // Without --commit, the working tree is what is read: it is at version 2.
    let third = ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.04 --effective-at 2025-06-01T00:00:00Z"
        ),
    );
    assert_eq!(third["version"], 3);
    assert_eq!(versions_on_disk(&repo, ID).len(), 3);
    assert_eq!(versions_at(&repo, "HEAD", ID).len(), 1);
}

#[test]
fn two_branches_writing_the_same_version_merge_into_a_duplicate_the_validator_reports() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    let main = repo.tip(MAIN).unwrap();

    repo.git_command(&["checkout", "-q", "-b", "a"]);
    let on_a = ok(
        &repo,
        &format!("config set {ID} --expect-version 1 --set rate=0.03 --commit"),
    );
    assert_eq!(on_a["version"], 2);
    let a_tip = repo.tip("refs/heads/a").unwrap();
    assert_eq!(repo.commit(&a_tip).parents, [main.as_str()]);

    repo.git_command(&["checkout", "-q", "-b", "b", "main"]);
    let (code, on_b) = run_at(
        &repo,
        EPOCH + 60,
        &format!("config set {ID} --expect-version 1 --set rate=0.04 --set minimum=1 --commit"),
    );
    assert_eq!(code, 0, "{on_b:#}");
    assert_eq!(on_b["version"], 2);
    let b_tip = repo.tip("refs/heads/b").unwrap();
    assert_eq!(repo.commit(&b_tip).parents, [main.as_str()]);
    assert_eq!(repo.tip(MAIN).unwrap(), main);

    // Each branch on its own is fine.
    for branch in ["a", "b"] {
        let (code, report) = run(&repo, &format!("validate --rev {branch} --base main"));
        assert_eq!(code, 0, "{branch}: {report:#}");
    }

    // The files have different names, so git merges them without a conflict.
    repo.git_command(&["checkout", "-q", "a"]);
    let base = repo.git_command(&["merge-base", "a", "b"]);
    assert_eq!(base.trim(), main);
    repo.git_command(&["merge", "-q", "--no-edit", "b"]);
    let merge = repo.tip("refs/heads/a").unwrap();
    assert_eq!(
        repo.commit(&merge).parents,
        [a_tip.as_str(), b_tip.as_str()]
    );
    let a_file = on_a["file"].as_str().unwrap().to_owned();
    let b_file = on_b["file"].as_str().unwrap().to_owned();
    assert_ne!(a_file, b_file);
    assert_eq!(versions_at(&repo, "HEAD", ID).len(), 3);
    assert_eq!(versions_on_disk(&repo, ID).len(), 3);
    let (first, second) = if a_file < b_file {
        (&a_file, &b_file)
    } else {
        (&b_file, &a_file)
    };

    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-version-duplicate"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["file"], second.as_str());
    assert_eq!(finding["pointer"], "/version");
    assert_eq!(
        finding["message"],
        format!("version 2 of `{ID}` is written twice: here and in {first}")
    );

    // The same, from git objects and only over what the merge changes: against
    // main (the merge base), and against a's tip (what merging b brings in).
    for line in [
        "validate --rev HEAD --base main",
        &format!("validate --rev HEAD --base {}", base.trim()),
        &format!("validate --rev HEAD --base {a_tip}"),
        "validate --rev HEAD",
    ] {
        let (code, report) = run(&repo, line);
        assert_eq!(code, 1, "{line}: {report:#}");
        assert_eq!(codes(&report), ["config-version-duplicate"], "{line}");
    }

    // No answer is read from a broken history, and nothing is written on it.
    let report = refused(
        &repo,
        &format!("config show {ID}"),
        1,
        "berth::config-history",
    );
    assert_eq!(codes(&report), ["config-version-duplicate"]);
    let report = refused(
        &repo,
        &format!("config set {ID} --expect-version 2 --set rate=0.05 --commit"),
        1,
        "berth::config-history",
    );
    assert_eq!(codes(&report), ["config-version-duplicate"]);
}

#[test]
fn concurrent_writers_of_one_version_leave_exactly_one() {
    const WRITERS: usize = 6;
    for round in 0..3 {
        let repo = Repo::init();
        create(&repo, "--set n=0 --commit");
        let v1_commit = repo.tip(MAIN).unwrap();
        let v1_files = versions_at(&repo, "HEAD", ID);
        assert_eq!(v1_files.len(), 1);

        let children: Vec<std::process::Child> = (0..WRITERS)
            .map(|i| {
                repo.berth_process()
                    .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
                    .args(["config", "set", ID, "--expect-version", "1"])
                    .args(["--set", &format!("n={}", i + 1), "--commit"])
                    .args(["--format", "json"])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outcomes: Vec<(i32, Value)> = children
            .into_iter()
            .map(|child| {
                let output = child.wait_with_output().unwrap();
                (output.status.code().unwrap(), stdout_json(&output))
            })
            .collect();

        let winners: Vec<usize> = (0..WRITERS).filter(|i| outcomes[*i].0 == 0).collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:#?}");
        let winner = winners[0];
        for (i, (code, report)) in outcomes.iter().enumerate() {
            if i == winner {
                continue;
            }
            assert_eq!(*code, 3, "round {round}, writer {i}: {report:#}");
            assert_eq!(report["error"]["exit_code"], 3);
            let error = report["error"]["code"].as_str().unwrap();
            assert!(
                [
                    "berth::config-conflict",
                    "berth::config-uncommitted",
                    "berth::conflict"
                ]
                .contains(&error),
                "round {round}, writer {i}: {report:#}"
            );
        }

        // One commit on top of version 1's, holding the winner's version 2.
        let won = &outcomes[winner].1;
        assert_eq!(won["version"], 2);
        let tip = repo.tip(MAIN).unwrap();
        assert_eq!(won["put"]["commit"], tip.as_str());
        assert_eq!(repo.commit(&tip).parents, [v1_commit.as_str()]);
        assert_eq!(commit_count(&repo), 3, "round {round}");
        let committed = versions_at(&repo, "HEAD", ID);
        let mut expected = v1_files.clone();
        expected.push(won["file"].as_str().unwrap().to_owned());
        expected.sort();
        assert_eq!(committed, expected, "round {round}");
        let data = written(&repo, won);
        assert_eq!(data["version"], 2);
        assert_eq!(data["settings"], json!({"n": winner + 1}));
        // The losers left nothing behind.
        assert_eq!(versions_on_disk(&repo, ID), expected, "round {round}");
        assert_eq!(repo.changed(), Vec::<String>::new(), "round {round}");

        let (code, report) = run(&repo, "validate --rev HEAD");
        assert_eq!(code, 0, "round {round}: {report:#}");
        let (code, report) = run(&repo, "validate");
        assert_eq!(code, 0, "round {round}: {report:#}");
    }
}

#[test]
fn the_incremental_validator_checks_a_staged_version_against_the_others() {
    let repo = Repo::init();
    let (_, second) = two_versions(&repo);
    let v2 = written(&repo, &second);
    let staged = |path: &str| {
        repo.git_command(&["add", path]);
        let result = run(&repo, "validate --staged --base HEAD");
        repo.git_command(&["rm", "-q", "--cached", path]);
        std::fs::remove_file(repo.path().join(path)).unwrap();
        result
    };

    // A valid version 3: nothing to report.
    let mut v3 = v2.clone();
    v3["version"] = json!(3);
    v3["effective_at"] = json!("2025-06-01T00:00:00Z");
    v3["idempotency_key"] = json!("third");
    let (code, report) = staged(&place(&repo, &v3));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], json!([]));

    // Version 4 after 2: a gap.
    let mut v4 = v3.clone();
    v4["version"] = json!(4);
    let path = place(&repo, &v4);
    let (code, report) = staged(&path);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-version-gap"]);
    assert_eq!(report["findings"][0]["file"], path.as_str());
    assert_eq!(
        report["findings"][0]["message"],
        format!("version 4 of `{ID}` follows version 2: version 3 is missing")
    );

    // A second version 2.
    let mut again = v2.clone();
    again["settings"] = json!({"rate": 0.035});
    again["idempotency_key"] = json!("other");
    let path = place(&repo, &again);
    let (code, report) = staged(&path);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-version-duplicate"]);
    let committed = second["file"].as_str().unwrap().to_owned();
    let (first, later) = if committed < path {
        (&committed, &path)
    } else {
        (&path, &committed)
    };
    assert_eq!(report["findings"][0]["file"], later.as_str());
    assert_eq!(
        report["findings"][0]["message"],
        format!("version 2 of `{ID}` is written twice: here and in {first}")
    );

    // A version 3 carrying version 2's idempotency key: one write recorded twice.
    let mut replayed = v3.clone();
    replayed["idempotency_key"] = json!("second");
    let path = place(&repo, &replayed);
    let (code, report) = staged(&path);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-version-duplicate"]);
    assert_eq!(report["findings"][0]["pointer"], "/idempotency_key");
    assert_eq!(
        report["findings"][0]["message"],
        format!(
            "versions 2 and 3 of `{ID}` carry the same idempotency key `second`: one write recorded twice"
        )
    );

    // Another id for the same type and entity: only the new file is in the
    // change, yet the overlap with the committed config is found.
    let overlapping = json!({
        "id": "pricing-acct-1b",
        "version": 1,
        "type": "pricing",
        "category": "logic",
        "applies_to": "acct_1",
        "scope": "account",
        "settings": {"rate": 0.01},
        "effective_at": "2025-06-01T00:00:00Z",
    });
    let path = place(&repo, &overlapping);
    let (code, report) = staged(&path);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-overlap"]);
    assert_eq!(report["findings"][0]["file"], path.as_str());

    // The same id for a new type does not overlap.
    let mut new_type = overlapping.clone();
    new_type["type"] = json!("pricing_v2");
    let (code, report) = staged(&place(&repo, &new_type));
    assert_eq!(code, 0, "{report:#}");

    // Nothing was left staged or on disk.
    assert_eq!(repo.changed(), Vec::<String>::new());
    assert_eq!(versions_on_disk(&repo, ID).len(), 2);
}

#[test]
fn a_release_pins_existing_config_versions_only() {
    let repo = Repo::init();
    ok(
        &repo,
        "component add api --image registry.example.com/shop/api --commit",
    );
    repo.write_json(
        "input/api-tags.json",
        &json!([{"tag": "v1.0.0", "digest": format!("sha256:{}", "ab".repeat(32))}]),
    );
    ok(&repo, "versions import api input/api-tags.json --commit");
    two_versions(&repo);

    let created = ok(
        &repo,
        &format!("release create shop --version 1.0.0 --config {ID}=1"),
    );
    let put = &created["put"]["objects"][0];
    let path = put["path"].as_str().unwrap();
    let release: Value = serde_json::from_str(&repo.read(path)).unwrap();
    assert_eq!(independent_hash(&release), put["hash"].as_str().unwrap());
    assert_eq!(release["configs"], json!([{"id": ID, "version": 1}]));
    assert_eq!(release["package"], "shop");
    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 0, "{report:#}");

    let report = refused(
        &repo,
        &format!("release create shop --version 1.0.1 --config {ID}=9"),
        1,
        "berth::no-such-config",
    );
    assert_eq!(
        report["error"]["message"],
        format!("config `{ID}` has no version 9; its highest is 2")
    );
    let report = refused(
        &repo,
        "release create shop --version 1.0.1 --config nope=1 --commit",
        1,
        "berth::no-such-config",
    );
    assert_eq!(report["error"]["message"], "there is no config `nope`");
    assert_eq!(repo.files("objects/releases/shop"), [path]);

    // Several pins, in the order given.
    let both = ok(
        &repo,
        &format!("release create shop --version 1.1.0 --config {ID}=2 --config {ID}=1 --commit"),
    );
    let release: Value =
        serde_json::from_str(&repo.read(both["put"]["objects"][0]["path"].as_str().unwrap()))
            .unwrap();
    assert_eq!(
        release["configs"],
        json!([{"id": ID, "version": 2}, {"id": ID, "version": 1}])
    );
}

// ---------------------------------------------------------------------------
// Bad input (issue 16): each refusal exits with its code and writes nothing.

/// Runs `berth config set ID <args>` at [`EPOCH`] with each argument as given
/// (spaces, newlines and all): its exit code and its JSON.
fn set_args(repo: &Repo, args: &[&str]) -> (i32, Value) {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["config", "set", ID])
        .args(args)
        .args(["--format", "json"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let code = output.status.code().expect("ended by a signal");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    (code, stdout_json(&output))
}

#[test]
fn idempotency_key_reused_with_other_settings_is_refused() {
    let repo = Repo::init();
    let (_, second) = two_versions(&repo);
    let tip = repo.tip(MAIN).unwrap();
    let files = versions_on_disk(&repo, ID);
    let head =
        format!("idempotency key `second` already wrote version 2 of `{ID}`, from other data: ");
    repo.write_json("input/other.json", &json!({"rate": 0.07}));
    repo.write_json("input/more.json", &json!({"rate": 0.03, "minimum": 1}));
    for (line, differences) in [
        // The lost price of the issue: other settings, the current version expected.
        (
            "--expect-version 2 --set rate=0.07",
            vec!["`settings.rate` is 0.03 there, 0.07 here"],
        ),
        (
            "--expect-version 1 --set rate=0.07",
            vec!["`settings.rate` is 0.03 there, 0.07 here"],
        ),
        (
            "--expect-version 1 --set rate=0.03 --set minimum=1",
            vec!["`settings.minimum` is absent there, 1 here"],
        ),
        (
            "--expect-version 1 --unset rate",
            vec!["`settings.rate` is 0.03 there, absent here"],
        ),
        // A retry is the write that made version 2, so its edits apply over
        // version 1 (rate 0.02), whatever version it expects.
        (
            "--expect-version 2 --set minimum=1",
            vec![
                "`settings.minimum` is absent there, 1 here",
                "`settings.rate` is 0.03 there, 0.02 here",
            ],
        ),
        (
            "--expect-version 1 --file input/other.json",
            vec!["`settings.rate` is 0.03 there, 0.07 here"],
        ),
        (
            "--expect-version 1 --file input/more.json",
            vec!["`settings.minimum` is absent there, 1 here"],
        ),
        // Another effective time.
        (
            "--expect-version 1 --set rate=0.03 --effective-at 2025-06-01T00:00:00Z",
            vec![r#"`effective_at` is "2025-04-30T08:00:00Z" there, "2025-06-01T00:00:00Z" here"#],
        ),
        // Other fields, each named.
        (
            "--expect-version 1 --set rate=0.03 --type budget --scope asset",
            vec![
                r#"`type` is "pricing" there, "budget" here"#,
                r#"`scope` is "account" there, "asset" here"#,
            ],
        ),
        (
            "--expect-version 1 --set rate=0.03 --category policy --applies-to acct_2",
            vec![
                r#"`category` is "logic" there, "policy" here"#,
                r#"`applies_to` is "acct_1" there, "acct_2" here"#,
            ],
        ),
        (
            "--expect-version 1 --set rate=0.03 --name Other --tenant t2",
            vec![
                r#"`name` is absent there, "Other" here"#,
                r#"`tenant_id` is absent there, "t2" here"#,
            ],
        ),
        // Everything at once, settings first.
        (
            "--expect-version 1 --set rate=0.07 --effective-at 2025-06-01T00:00:00Z --type budget",
            vec![
                "`settings.rate` is 0.03 there, 0.07 here",
                r#"`type` is "pricing" there, "budget" here"#,
                r#"`effective_at` is "2025-04-30T08:00:00Z" there, "2025-06-01T00:00:00Z" here"#,
            ],
        ),
    ] {
        for commit in ["", " --commit"] {
            let line = format!("config set {ID} {line} --idempotency-key second{commit}");
            let report = refused(&repo, &line, 3, "berth::idempotency-key-reused");
            assert_eq!(
                report["error"]["message"],
                format!("{head}{}", differences.join("; ")),
                "{line}"
            );
            let help = report["error"]["help"].as_str().unwrap();
            assert!(
                help.contains(&format!("berth config show {ID} --version 2")),
                "{help}"
            );
        }
    }
    // Version 1's key, with other settings than it wrote.
    let report = refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 0 {FIXED} --set rate=0.09 --idempotency-key first"
        ),
        3,
        "berth::idempotency-key-reused",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "idempotency key `first` already wrote version 1 of `{ID}`, from other data: `settings.rate` is 0.02 there, 0.09 here"
        )
    );
    // A long value is cut in the message.
    let long = "x".repeat(500);
    let report = refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 1 --set rate=0.03 --set note={long} --idempotency-key second"
        ),
        3,
        "berth::idempotency-key-reused",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "{head}`settings.note` is absent there, \"{x}…(442 characters cut)…{x}\" here",
            x = "x".repeat(29)
        )
    );

    assert_eq!(repo.tip(MAIN).unwrap(), tip);
    assert_eq!(versions_on_disk(&repo, ID), files);
    assert_eq!(commit_count(&repo), 3);
    // The identical retry still finds version 2.
    let retry = ok(
        &repo,
        &format!("config set {ID} --expect-version 1 --set rate=0.03 --idempotency-key second"),
    );
    assert_eq!(retry["written"], false);
    assert_eq!(retry["object"], second["object"]);
}

#[test]
fn set_numbers_berth_cannot_keep_exactly_are_refused_not_turned_into_text() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    let files = versions_on_disk(&repo, ID);
    let beyond = |n: &str| {
        format!("integer {n} is beyond ±(2^53 − 1), the range every JSON reader holds exactly")
    };
    let infinite = |n: &str| format!("`{n}` is not a finite number: JSON has no NaN or infinities");
    // The reason is the one a settings file holding the value gets.
    for (value, reason) in [
        ("9007199254740993", beyond("9007199254740993")),
        ("9007199254740992", beyond("9007199254740992")),
        ("-9007199254740993", beyond("-9007199254740993")),
        ("18446744073709551616", beyond("18446744073709551616")),
        ("1e400", infinite("1e400")),
        ("-1e400", infinite("-1e400")),
        ("nan", infinite("nan")),
        ("-inf", infinite("-inf")),
        ("+inf", infinite("+inf")),
        ("inf", infinite("inf")),
        ("[1,1e400]", infinite("1e400")),
        ("{a=nan}", infinite("nan")),
    ] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 1 --set rate={value} --commit"),
            2,
            "berth::bad-setting",
        );
        assert_eq!(
            report["error"]["message"],
            format!("`rate={value}` is not a setting: {reason}")
        );
        repo.write("input/settings.toml", &format!("rate = {value}\n"));
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 1 --file input/settings.toml --commit"),
            2,
            "berth::bad-setting",
        );
        assert_eq!(
            report["error"]["message"],
            format!("`input/settings.toml` is not a settings table: {reason}")
        );
    }
    // Text that reads as a number but is no TOML number is not taken as text.
    for value in [
        ".5",
        "5.",
        "01",
        "007",
        "1e",
        "1__0",
        "NaN",
        "Infinity",
        "-Infinity",
    ] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version 1 --set rate={value}"),
            2,
            "berth::bad-setting",
        );
        assert_eq!(
            report["error"]["message"],
            format!(
                "`rate={value}` is not a setting: `{value}` reads as a number but is not a TOML number: write it as one (0.5, 1e3, 1_000), or quote it to keep it as text"
            )
        );
    }
    assert_eq!(versions_on_disk(&repo, ID), files);

    // Quoted, each is text; the largest exact integer is a number.
    let second = ok(
        &repo,
        &format!(
            r#"config set {ID} --expect-version 1 --set big="9007199254740993" --set n='nan'
               --set half=".5" --set max=9007199254740991 --set min=-9007199254740991 --commit"#
        ),
    );
    assert_eq!(
        written(&repo, &second)["settings"],
        json!({
            "big": "9007199254740993",
            "half": ".5",
            "max": 9_007_199_254_740_991_i64,
            "min": -9_007_199_254_740_991_i64,
            "n": "nan",
            "rate": 0.02,
        })
    );
}

#[test]
fn set_keys_and_values_that_are_more_than_one_toml_item() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --set tier=gold --commit");
    // A key that is more than a key is refused; before, `a = 0 #` unset `a`.
    for args in [
        ["--unset", "tier = 0 #"],
        ["--unset", "tier\nrate"],
        ["--set", "[t]\nc=1"],
        ["--unset", "rate.sub"],
    ] {
        let before = (snapshot(&repo), porcelain(&repo));
        let (code, report) = set_args(&repo, &["--expect-version", "1", args[0], args[1]]);
        assert_eq!(code, 2, "{args:?}: {report:#}");
        assert_eq!(report["error"]["code"], "berth::bad-setting", "{args:?}");
        assert_eq!((snapshot(&repo), porcelain(&repo)), before, "{args:?}");
    }
    // A value that opens like a TOML string, array or table but is not one is
    // refused, not kept as text with a stray bracket or quote; so is an array
    // nested past the parser's depth.
    let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    for (value, opens, problem) in [
        ("\"0.03", "a string", "invalid basic string, expected `\"`"),
        (
            "[beta]",
            "an array",
            "string values must be quoted, expected literal string",
        ),
        (
            "{daily=5",
            "an inline table",
            "unclosed inline table, expected `}`",
        ),
        (
            deep.as_str(),
            "an array",
            "cannot recurse further; max recursion depth met",
        ),
    ] {
        let before = (snapshot(&repo), porcelain(&repo));
        let set = format!("note={value}");
        let (code, report) = set_args(&repo, &["--expect-version", "1", "--set", &set]);
        assert_eq!(code, 2, "{value}: {report:#}");
        assert_eq!(report["error"]["code"], "berth::bad-setting");
        let shown = if value.len() > 60 {
            format!("{}…(1940 characters cut)…{}", &value[..30], &value[1970..])
        } else {
            value.to_owned()
        };
        let message = report["error"]["message"].as_str().unwrap();
        assert!(
            message.ends_with(&format!(
                "is not a setting: `{shown}` opens like {opens} but is not one in TOML ({problem}): write it as TOML, or quote it whole to keep it as text"
            )),
            "{message}"
        );
        assert!(message.len() < 400, "{message}");
        assert_eq!((snapshot(&repo), porcelain(&repo)), before, "{value}");
    }
    // An argument that is not UTF-8 is a usage error.
    let before = (snapshot(&repo), porcelain(&repo));
    let output = repo
        .berth()
        .args(["config", "set", ID, "--expect-version", "1", "--set"])
        .arg(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(b"note=caf\xe9"))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout_json(&output)["error"]["code"], "berth::usage");
    assert_eq!((snapshot(&repo), porcelain(&repo)), before);
    // A value that is more than one TOML value is text, whole: nothing after a
    // line break becomes a setting of its own.
    let (code, second) = set_args(
        &repo,
        &[
            "--expect-version",
            "1",
            "--set",
            "note=1\nrate = 5",
            "--set",
            "motd=Hello\nWorld",
        ],
    );
    assert_eq!(code, 0, "{second:#}");
    assert_eq!(
        written(&repo, &second)["settings"],
        json!({"motd": "Hello\nWorld", "note": "1\nrate = 5", "rate": 0.02, "tier": "gold"})
    );
}

#[test]
fn set_from_a_file_that_is_not_a_regular_file_or_too_large_is_a_usage_error() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    std::fs::create_dir_all(repo.path().join("input/dir.toml")).unwrap();
    let fifo = repo.path().join("input/fifo.toml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    repo.write("berth.toml", &(repo.read("berth.toml") + "\n"));
    repo.git_commit_all("berth.toml");
    let limit = "[repo]\nmax_object_bytes = 2000\n";
    let text = repo.read("berth.toml").replacen("[repo]\n", limit, 1);
    repo.write("berth.toml", &text);
    repo.git_commit_all("a small object limit");
    repo.write(
        "input/big.toml",
        &format!("note = \"{}\"\n", "x".repeat(3000)),
    );
    repo.write("input/bytes.toml", "note = \"\u{1}\"\n");
    std::fs::write(
        repo.path().join("input/latin1.toml"),
        b"note = \"caf\xe9\"\n",
    )
    .unwrap();
    for (file, reason) in [
        ("input/dir.toml", "it is not a regular file".to_owned()),
        ("input/fifo.toml", "it is not a regular file".to_owned()),
        (
            "input/big.toml",
            "it is 3010 bytes, over the object size limit of 2000".to_owned(),
        ),
        (
            "input/latin1.toml",
            "the file is not UTF-8 at byte 11 (0xe9)".to_owned(),
        ),
    ] {
        let before = (snapshot(&repo), porcelain(&repo));
        let (code, report) = set_args(
            &repo,
            &["--expect-version", "1", "--file", file, "--commit"],
        );
        assert_eq!(code, 2, "{file}: {report:#}");
        assert_eq!(report["error"]["code"], "berth::bad-setting", "{file}");
        assert_eq!(
            report["error"]["message"],
            format!("`{file}` is not a settings table: {reason}")
        );
        assert_eq!((snapshot(&repo), porcelain(&repo)), before, "{file}");
    }
    // A value over the limit through --set is refused as too large, as by put.
    let (code, report) = set_args(
        &repo,
        &[
            "--expect-version",
            "1",
            "--set",
            &format!("note={}", "x".repeat(3000)),
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["too-large"]);
    assert_eq!(versions_on_disk(&repo, ID).len(), 1);
}

#[test]
fn expect_version_beyond_the_version_range_is_a_usage_error() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --idempotency-key first --commit");
    for expect in [
        "9007199254740991",
        "9007199254740992",
        "18446744073709551615",
    ] {
        let report = refused(
            &repo,
            &format!("config set {ID} --expect-version {expect} --set rate=0.03 --commit"),
            2,
            "berth::bad-version",
        );
        assert_eq!(
            report["error"]["message"],
            format!(
                "--expect-version {expect} leaves no version to write: config versions stop at 9007199254740991 (2^53 − 1)"
            )
        );
    }
    refused(
        &repo,
        &format!("config set {ID} --expect-version 18446744073709551616 --set rate=0.03"),
        2,
        "berth::usage",
    );
    refused(
        &repo,
        &format!("config set {ID} --expect-version -1 --set rate=0.03"),
        2,
        "berth::usage",
    );
}

#[test]
fn config_version_zero_is_refused_not_a_crash() {
    let repo = Repo::init();
    let zero = json!({
        "id": ID,
        "version": 0,
        "type": "pricing",
        "category": "logic",
        "applies_to": "acct_1",
        "scope": "account",
        "settings": {"rate": 0.02},
        "effective_at": "2025-01-01T00:00:00Z",
    });
    let file = place(&repo, &zero);
    let output = repo
        .berth()
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let report = stdout_json(&output);
    assert_eq!(codes(&report), ["schema"]);
    assert_eq!(report["findings"][0]["file"], file.as_str());
    assert_eq!(report["findings"][0]["pointer"], "/version");

    let reason = format!("`{file}` is not a config version: it does not match the config schema");
    for line in [
        format!("config show {ID}"),
        format!("config history {ID}"),
        "config resolve pricing --asset a --account acct_1".to_owned(),
        format!("config set {ID} --expect-version 0 {FIXED} --set rate=0.03"),
    ] {
        let report = refused(&repo, &line, 1, "berth::invalid-config");
        assert_eq!(report["error"]["message"], reason, "{line}");
    }
}

#[test]
fn two_sets_in_one_second_take_effect_a_millisecond_apart() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.01 --commit");
    // SOURCE_DATE_EPOCH holds "now" on one second: each version written
    // without --effective-at takes effect a millisecond after the one before.
    let mut files = Vec::new();
    for (n, at, scheduled) in [
        (1, EPOCH_TEXT, false),
        (2, "2025-04-30T08:00:00.001Z", true),
        (3, "2025-04-30T08:00:00.002Z", true),
    ] {
        let outcome = ok(
            &repo,
            &format!(
                "config set {ID} --expect-version {n} --set rate=0.0{} --commit",
                n + 1
            ),
        );
        assert_eq!(outcome["version"], n + 1);
        assert_eq!(outcome["effective_at"], at);
        assert_eq!(outcome["scheduled"], scheduled);
        assert_eq!(written(&repo, &outcome)["effective_at"], at);
        assert_eq!(
            repo.commit(&repo.tip(MAIN).unwrap()).trailers,
            crate::support::trailers(&[("Effective-At", at)])
        );
        files.push(outcome["file"].as_str().unwrap().to_owned());
    }
    assert_eq!(commit_count(&repo), 5);
    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 0, "{report:#}");

    // An explicit time that is not after the previous version's is refused as
    // before, and the refusal names only files that exist.
    let report = refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 4 --set rate=0.05 --effective-at 2025-04-30T08:00:00.002Z --commit"
        ),
        1,
        "berth::invalid-config",
    );
    assert_eq!(codes(&report), ["config-time-order"]);
    let finding = &report["findings"][0];
    assert_eq!(finding["file"], format!("<{ID} version 5, not written>"));
    assert_eq!(
        finding["message"],
        format!(
            "version 5 of `{ID}` takes effect at 2025-04-30T08:00:00.002Z, not after version 4 (2025-04-30T08:00:00.002Z, {})",
            files[2]
        )
    );
    assert!(repo.path().join(&files[2]).is_file());

    // The next second is "now" again.
    let (code, next) = run_at(
        &repo,
        EPOCH + 1,
        &format!("config set {ID} --expect-version 4 --set rate=0.05 --commit"),
    );
    assert_eq!(code, 0, "{next:#}");
    assert_eq!(next["effective_at"], "2025-04-30T08:00:01Z");
}

#[test]
fn set_without_a_fixed_clock_takes_now_to_the_millisecond() {
    let repo = Repo::init();
    create(&repo, "--set n=0 --commit");
    let start = jiff::Timestamp::now();
    let mut previous: jiff::Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    // Three scripted updates in a row: each succeeds and takes effect later
    // than the one before, at a millisecond between the start and the end.
    for n in 1..=3 {
        let output = repo
            .berth()
            .args(["config", "set", ID, "--expect-version", &n.to_string()])
            .args(["--set", &format!("n={n}"), "--commit", "--format", "json"])
            .output()
            .unwrap();
        let outcome = stdout_json(&output);
        assert_eq!(output.status.code(), Some(0), "{outcome:#}");
        let at: jiff::Timestamp = outcome["effective_at"].as_str().unwrap().parse().unwrap();
        assert!(at > previous, "{at} after {previous}");
        assert_eq!(at.subsec_nanosecond() % 1_000_000, 0, "{at}");
        assert!(
            at.as_millisecond() >= start.as_millisecond(),
            "{at} before {start}"
        );
        assert!(at <= jiff::Timestamp::now(), "{at}");
        previous = at;
    }
    assert_eq!(commit_count(&repo), 5);
}

#[test]
fn config_set_commit_completes_the_same_request_that_was_interrupted_before_committing() {
    let repo = Repo::init();
    create(&repo, "--set rate=0.02 --commit");
    let line = format!(
        "config set {ID} --expect-version 1 --set rate=0.03 --effective-at 2025-06-01T00:00:00Z"
    );
    // What a run killed between writing the file and committing it leaves.
    let written = ok(&repo, &line);
    let file = written["file"].as_str().unwrap().to_owned();
    assert_eq!(versions_at(&repo, "HEAD", ID).len(), 1);

    // The same request, run again, commits that very file...
    let done = ok(&repo, &format!("{line} --commit"));
    assert_eq!(done["version"], 2);
    assert_eq!(done["file"], file.as_str());
    assert_eq!(versions_at(&repo, "HEAD", ID).len(), 2);
    assert_eq!(repo.changed(), Vec::<String>::new());
    // ...while any other request still refuses to build on it.
    ok(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.04 --effective-at 2025-07-01T00:00:00Z"
        ),
    );
    refused(
        &repo,
        &format!(
            "config set {ID} --expect-version 2 --set rate=0.05 --effective-at 2025-07-01T00:00:00Z --commit"
        ),
        3,
        "berth::config-uncommitted",
    );
}

#[test]
fn two_ids_in_force_for_one_entity_after_a_merge_make_resolve_refuse() {
    let repo = Repo::init();
    repo.git_command(&["checkout", "-q", "-b", "a"]);
    ok(
        &repo,
        &format!("config set {ID} --expect-version 0 {FIXED} --set rate=0.02 --commit"),
    );
    repo.git_command(&["checkout", "-q", "-b", "b", "main"]);
    ok(
        &repo,
        &format!("config set pricing-acct-1b --expect-version 0 {FIXED} --set rate=0.01 --commit"),
    );
    repo.git_command(&["checkout", "-q", "a"]);
    repo.git_command(&["merge", "-q", "--no-edit", "b"]);

    let (code, report) = run(&repo, "validate");
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["config-overlap"]);
    let report = refused(
        &repo,
        "config resolve pricing --asset ad_9 --account acct_1",
        1,
        "berth::config-ambiguous",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "`{ID}`, `pricing-acct-1b` are all in force for `pricing` on account `acct_1` at {EPOCH_TEXT}"
        )
    );
}

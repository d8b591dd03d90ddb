//! `berth promote` and `berth rollback`: the commits they write (parents, trailers,
//! trees, state.toml), the guards that refuse, and the compare-and-swap that makes
//! a refused or raced command write nothing.

use serde_json::{Value, json};

use crate::support::{EMPTY_BLOB, Put, Repo, refused, state_toml, trailers};

const DEV: &str = "refs/heads/env/dev";
const STAGING: &str = "refs/heads/env/staging";
/// The tags berth gives a version set of `package` in `env`.
fn tags(package: &str, env: &str) -> [String; 2] {
    [format!("env:{env}"), format!("pkg:{package}")]
}

#[test]
fn the_first_promotion_opens_the_environment_with_a_root_commit() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let main = repo.tip("refs/heads/main").unwrap();
    assert_eq!(repo.env_tip("dev"), None);

    let outcome = repo.ok(&["promote", &billing.object, "--to", "dev"]);

    let tip = repo.env_tip("dev").unwrap();
    let promotion = repo.commit(&tip);
    let root = repo.commit(&promotion.parents[0]);
    assert!(root.parents.is_empty(), "{root:?}");
    assert_eq!(root.subject, "open environment dev");
    assert_eq!(root.trailers, trailers(&[("Berth-Action", "open")]));
    assert_eq!(root.paths(), ["state.toml"]);
    assert_eq!(root.files["state.toml"], EMPTY_BLOB);

    assert_eq!(promotion.parents, [root.id.clone(), billing.commit.clone()]);
    assert_eq!(
        promotion.trailers,
        trailers(&[
            ("Berth-Action", "promote"),
            ("Berth-Package", "billing"),
            ("Berth-Object", &billing.object),
            ("Berth-From", "main"),
        ])
    );
    assert_eq!(promotion.paths(), [billing.path.as_str(), "state.toml"]);
    assert_eq!(promotion.files[&billing.path], billing.blob);
    assert_eq!(
        promotion.state.as_deref(),
        Some(state_toml(&[("billing", &billing.object, &["env:dev", "pkg:billing"])]).as_str())
    );

    assert_eq!(
        outcome,
        json!({
            "environment": "dev",
            "ref": DEV,
            "previous_tip": null,
            "tip": tip,
            "opened": true,
            "promotions": [{
                "commit": tip,
                "action": "promote",
                "package": "billing",
                "object": billing.object,
                "previous": null,
                "from": "main",
                "source_commit": billing.commit,
                "parents": [root.id, billing.commit],
                "tags": tags("billing", "dev"),
            }],
            "unchanged": [],
            "retries": 0,
        })
    );
    // The ref moved once, and nothing else did: no checkout, no catalog commit.
    assert_eq!(repo.moves(DEV), 1);
    assert_eq!(repo.tip("refs/heads/main").unwrap(), main);
    assert_eq!(repo.tip("HEAD").unwrap(), main);
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
}

#[test]
fn each_environment_takes_its_source_commit_from_the_one_before() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    repo.ready(&billing);
    let dev = repo.ok(&["promote", &billing.object, "--to", "dev"]);
    let staging = repo.ok(&["promote", &billing.hash, "--to", "staging"]);
    let production = repo.ok(&["promote", "billing@staging", "--to", "production"]);

    let mut source = billing.commit.clone();
    for (env, from, outcome) in [
        ("dev", "main", &dev),
        ("staging", "dev", &staging),
        ("production", "staging", &production),
    ] {
        let tip = repo.env_tip(env).unwrap();
        let commit = repo.commit(&tip);
        let root = repo.commit(&commit.parents[0]);
        assert!(root.parents.is_empty(), "{env}");
        assert_eq!(
            root.trailers,
            trailers(&[("Berth-Action", "open")]),
            "{env}"
        );
        assert_eq!(commit.parents, [root.id.clone(), source.clone()], "{env}");
        assert_eq!(
            commit.trailers,
            trailers(&[
                ("Berth-Action", "promote"),
                ("Berth-Package", "billing"),
                ("Berth-Object", &billing.object),
                ("Berth-From", from),
            ]),
            "{env}"
        );
        // Pinned: the same blob as the catalog's, beside the state.
        assert_eq!(
            commit.paths(),
            [billing.path.as_str(), "state.toml"],
            "{env}"
        );
        assert_eq!(commit.files[&billing.path], billing.blob, "{env}");
        let [env_tag, pkg_tag] = tags("billing", env);
        assert_eq!(
            commit.state.as_deref(),
            Some(state_toml(&[("billing", &billing.object, &[&env_tag, &pkg_tag])]).as_str()),
            "{env}"
        );
        assert_eq!(outcome["opened"], true, "{env}");
        assert_eq!(outcome["promotions"][0]["from"], from, "{env}");
        assert_eq!(outcome["promotions"][0]["source_commit"], source, "{env}");
        assert_eq!(outcome["promotions"][0]["commit"], tip, "{env}");
        source = tip;
    }
}

#[test]
fn objects_are_named_by_hash_prefix_or_package_at_environment() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    let three = repo.put_version_set("billing", 3);
    let cases: [(String, &str, &Put); 5] = [
        (one.hash[..8].to_owned(), "dev", &one),
        (format!("version-sets/{}", &two.hash[..10]), "dev", &two),
        (three.hash[..12].to_uppercase(), "dev", &three),
        // What dev holds now, and what it held earlier: both came along the path.
        ("billing@dev".to_owned(), "staging", &three),
        (one.hash[..9].to_owned(), "staging", &one),
    ];
    for (name, env, expected) in cases {
        let outcome = repo.ok(&["promote", &name, "--to", env]);
        assert_eq!(
            outcome["promotions"][0]["object"], expected.object,
            "{name}"
        );
        let tip = repo.commit(&repo.env_tip(env).unwrap());
        assert_eq!(tip.trailers["Berth-Object"], expected.object, "{name}");
    }
    // Staging took `one` from the dev commit that brought it, not from dev's tip.
    let dev_log = repo.env_log("dev");
    let brought_one = dev_log
        .iter()
        .find(|c| c.trailers.get("Berth-Object") == Some(&one.object))
        .unwrap();
    let staging_tip = repo.commit(&repo.env_tip("staging").unwrap());
    assert_eq!(staging_tip.parents[1], brought_one.id);
    assert_ne!(brought_one.id, dev_log[0].id);
}

#[test]
fn a_new_object_replaces_the_old_one_and_other_packages_stay() {
    let repo = Repo::init();
    let search = repo.put_version_set("search", 1);
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    repo.ok(&["promote", &search.object, "--to", "dev"]);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    let before = repo.env_tip("dev").unwrap();
    let outcome = repo.ok(&["promote", &two.object, "--to", "dev"]);

    let tip = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!(tip.parents, [before.clone(), two.commit.clone()]);
    assert_eq!(
        tip.paths(),
        [two.path.as_str(), search.path.as_str(), "state.toml"]
    );
    assert_eq!(tip.files[&two.path], two.blob);
    assert_eq!(tip.files[&search.path], search.blob);
    // Packages in name order, a blank line between.
    assert_eq!(
        tip.state.as_deref(),
        Some(
            state_toml(&[
                ("billing", &two.object, &["env:dev", "pkg:billing"]),
                ("search", &search.object, &["env:dev", "pkg:search"]),
            ])
            .as_str()
        )
    );
    assert_eq!(outcome["previous_tip"], before);
    assert_eq!(outcome["opened"], false);
    assert_eq!(outcome["promotions"][0]["previous"], one.object);
    assert_eq!(
        outcome["promotions"][0]["parents"],
        json!([before, two.commit])
    );
    // dev's log: the open commit, then one commit per promotion, nothing else.
    let log = repo.env_log("dev");
    assert_eq!(log.len(), 4);
    assert_eq!(log[3].trailers["Berth-Action"], "open");
    assert!(log[..3].iter().all(|c| c.parents.len() == 2));
}

#[test]
fn promoting_what_the_environment_holds_is_a_no_op() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    let tip = repo.env_tip("dev").unwrap();
    let outcome = repo.ok(&["promote", &billing.hash[..8], "--to", "dev"]);
    assert_eq!(
        outcome,
        json!({
            "environment": "dev",
            "ref": DEV,
            "previous_tip": tip,
            "tip": tip,
            "opened": false,
            "promotions": [],
            "unchanged": [{"package": "billing", "object": billing.object}],
            "retries": 0,
        })
    );
    assert_eq!(repo.env_tip("dev").unwrap(), tip);
    assert_eq!(repo.moves(DEV), 1);

    let output = repo
        .berth()
        .args(["promote", &billing.object, "--to", "dev"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "unchanged billing: dev already holds version-sets/{}\n",
            &billing.hash[..12]
        )
    );
    assert_eq!(repo.moves(DEV), 1);
}

#[test]
fn several_packages_land_as_a_chain_of_commits_with_one_ref_move() {
    let repo = Repo::init();
    let search = repo.put_version_set("search", 1);
    let billing = repo.put_version_set("billing", 1);
    let ledger = repo.put_version_set("ledger", 1);
    let outcome = repo.ok(&[
        "promote",
        &search.object,
        &billing.object,
        &ledger.object,
        "--to",
        "dev",
    ]);
    let log = repo.env_log("dev");
    assert_eq!(log.len(), 4);
    assert!(log[3].parents.is_empty());
    // Oldest first in the output, in the order named, each on the one before.
    let promotions = outcome["promotions"].as_array().unwrap();
    let expected = [&search, &billing, &ledger];
    assert_eq!(promotions.len(), 3);
    for (i, (promotion, put)) in promotions.iter().zip(expected).enumerate() {
        let commit = &log[2 - i];
        assert_eq!(promotion["commit"], commit.id);
        assert_eq!(promotion["package"], put.partition);
        assert_eq!(promotion["object"], put.object);
        assert_eq!(commit.parents, [log[3 - i].id.clone(), put.commit.clone()]);
        assert_eq!(commit.trailers["Berth-Package"], put.partition);
    }
    assert_eq!(outcome["tip"], log[0].id);
    assert_eq!(
        repo.moves(DEV),
        1,
        "the ref moves once for the whole command"
    );
    assert_eq!(
        log[0].state.as_deref(),
        Some(
            state_toml(&[
                ("billing", &billing.object, &["env:dev", "pkg:billing"]),
                ("ledger", &ledger.object, &["env:dev", "pkg:ledger"]),
                ("search", &search.object, &["env:dev", "pkg:search"]),
            ])
            .as_str()
        )
    );

    // A package already held is reported unchanged; the others still land.
    let search2 = repo.put_version_set("search", 2);
    let outcome = repo.ok(&["promote", &billing.object, &search2.object, "--to", "dev"]);
    assert_eq!(outcome["promotions"].as_array().unwrap().len(), 1);
    assert_eq!(outcome["promotions"][0]["object"], search2.object);
    assert_eq!(
        outcome["unchanged"],
        json!([{"package": "billing", "object": billing.object}])
    );
    assert_eq!(repo.env_log("dev").len(), 5);
    assert_eq!(repo.moves(DEV), 2);
}

#[test]
fn one_refused_object_stops_the_whole_promotion() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let search = repo.put_version_set("search", 1);
    let missing = format!("version-sets/{}", "0".repeat(64));
    // Before dev exists: it is not created.
    refused(
        &repo,
        &["promote", &billing.object, &missing, "--to", "dev"],
        1,
        "berth::object-not-found",
    );
    assert_eq!(repo.env_tip("dev"), None);
    // Once it exists: it does not move.
    repo.ok(&["promote", &search.object, "--to", "dev"]);
    refused(
        &repo,
        &["promote", &billing.object, &missing, "--to", "dev"],
        1,
        "berth::object-not-found",
    );
    // Two objects of one package: one promotion sets each package once.
    let billing2 = repo.put_version_set("billing", 2);
    refused(
        &repo,
        &["promote", &billing.object, &billing2.object, "--to", "dev"],
        2,
        "berth::duplicate-package",
    );
    // Production: one ready, one not.
    repo.ready(&billing);
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "search@dev", "--to", "staging"]);
    refused(
        &repo,
        &[
            "promote",
            "billing@staging",
            "search@staging",
            "--to",
            "production",
        ],
        1,
        "berth::not-ready",
    );
    assert_eq!(repo.env_tip("production"), None);
}

#[test]
fn tags_are_added_sorted_and_checked() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let outcome = repo.ok(&[
        "promote",
        &billing.object,
        "--to",
        "dev",
        "--tag",
        "shape:onebox",
        "--tag",
        "Region/EU-1.a_b",
    ]);
    let expected = ["Region/EU-1.a_b", "env:dev", "pkg:billing", "shape:onebox"];
    assert_eq!(outcome["promotions"][0]["tags"], json!(expected));
    let tip = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!(
        tip.state.as_deref(),
        Some(state_toml(&[("billing", &billing.object, &expected)]).as_str())
    );
    let shown = repo.ok(&["show", "billing@dev"]);
    assert_eq!(shown["tags"], json!(expected));

    let search = repo.put_version_set("search", 1);
    let long = "t".repeat(129);
    for tag in [
        "pkg:search",
        "env:production",
        "has space",
        "",
        long.as_str(),
        "caf\u{e9}",
        "semi;colon",
        "quote\"",
    ] {
        let report = refused(
            &repo,
            &["promote", &search.object, "--to", "dev", "--tag", tag],
            2,
            "berth::bad-tag",
        );
        assert!(
            report["error"]["message"].as_str().unwrap().contains(tag),
            "{report:#}"
        );
    }
    // The longest tag allowed.
    let longest = "t".repeat(128);
    repo.ok(&["promote", &search.object, "--to", "dev", "--tag", &longest]);
}

/// A repository where billing's `one` went dev -> staging, `two` only to dev and
/// `three` nowhere; `four` is in the working tree only.
struct Guarded {
    repo: Repo,
    one: Put,
    two: Put,
    three: Put,
    four: String,
    event: Put,
}

fn guarded() -> Guarded {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    let three = repo.put_version_set("billing", 3);
    let event = repo.ready(&one);
    repo.ready(&two);
    repo.ready(&three);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    repo.write_json(
        "input/four.json",
        &crate::support::version_set("billing", 4),
    );
    let put = repo.ok(&["put", "version-sets", "input/four.json"]);
    let four = put["objects"][0]["object"].as_str().unwrap().to_owned();
    Guarded {
        repo,
        one,
        two,
        three,
        four,
        event,
    }
}

#[test]
fn guards_refuse_with_distinct_codes_and_write_nothing() {
    let Guarded {
        repo,
        one,
        two,
        three,
        four,
        event,
    } = guarded();
    let zeros = "0".repeat(64);
    let missing = format!("version-sets/{zeros}");
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        // Environments that do not exist.
        (
            vec![&one.object, "--to", "qa"],
            1,
            "berth::unknown-environment",
        ),
        (
            vec![&one.object, "--to", "staging", "--from", "qa"],
            1,
            "berth::unknown-environment",
        ),
        (
            vec!["billing@qa", "--to", "staging"],
            1,
            "berth::unknown-environment",
        ),
        // Objects that do not exist, or not on the catalog branch.
        (vec![&zeros, "--to", "dev"], 1, "berth::object-not-found"),
        (vec![&missing, "--to", "dev"], 1, "berth::object-not-found"),
        (vec![&four, "--to", "dev"], 1, "berth::object-not-found"),
        (
            vec![&missing, "--to", "staging"],
            1,
            "berth::object-not-found",
        ),
        // Names that are not names.
        (vec![&zeros[..7], "--to", "dev"], 2, "berth::bad-ref"),
        (vec!["not-hex", "--to", "dev"], 2, "berth::bad-ref"),
        (vec!["Billing@dev", "--to", "staging"], 2, "berth::bad-ref"),
        (vec!["billing@", "--to", "staging"], 2, "berth::bad-ref"),
        // Not a promotable store.
        (
            vec![&event.object, "--to", "dev"],
            1,
            "berth::not-promotable",
        ),
        // Skipping a step.
        (
            vec![&three.object, "--to", "staging"],
            1,
            "berth::promotion-path",
        ),
        (
            vec![&two.object, "--to", "production"],
            1,
            "berth::promotion-path",
        ),
        (
            vec![&three.object, "--to", "production"],
            1,
            "berth::promotion-path",
        ),
        (
            vec!["billing@dev", "--to", "production"],
            1,
            "berth::promotion-path",
        ),
        (
            vec![&one.object, "--to", "production", "--from", "dev"],
            1,
            "berth::promotion-path",
        ),
        (
            vec![&three.object, "--to", "dev", "--from", "staging"],
            1,
            "berth::promotion-path",
        ),
        (
            vec!["billing@staging", "--to", "dev"],
            1,
            "berth::promotion-path",
        ),
        (
            vec!["billing@staging", "--to", "staging"],
            1,
            "berth::promotion-path",
        ),
        // What the source does not hold.
        (vec!["search@dev", "--to", "staging"], 1, "berth::not-held"),
        // --all needs one environment to compare with.
        (vec!["--all", "--to", "dev"], 2, "berth::no-source"),
    ];
    for (args, exit, code) in cases {
        let mut full = vec!["promote"];
        full.extend(args);
        refused(&repo, &full, exit, code);
    }
    // Every rollback refusal too.
    for (args, exit, code) in [
        (["rollback", "search", "--env", "dev"], 1, "berth::not-held"),
        (
            ["rollback", "billing", "--env", "production"],
            1,
            "berth::not-held",
        ),
        (
            ["rollback", "billing", "--env", "staging"],
            1,
            "berth::no-previous",
        ),
        (
            ["rollback", "billing", "--env", "qa"],
            1,
            "berth::unknown-environment",
        ),
        (
            ["rollback", "Billing", "--env", "dev"],
            2,
            "berth::bad-name",
        ),
    ] {
        refused(&repo, &args, exit, code);
    }
    // Missing arguments are clap's usage errors.
    for args in [
        &["promote", "--to", "dev"][..],
        &["promote", &one.object][..],
        &["rollback", "billing"][..],
    ] {
        let output = repo.berth().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn the_promotion_path_error_says_where_to_promote_first() {
    let Guarded { repo, three, .. } = guarded();
    let report = refused(
        &repo,
        &["promote", &three.object, "--to", "staging"],
        1,
        "berth::promotion-path",
    );
    let help = report["error"]["help"].as_str().unwrap();
    assert!(
        help.contains(&format!("berth promote {} --to dev", three.object)),
        "{help}"
    );
    // After going through dev it may go on.
    repo.ok(&["promote", &three.object, "--to", "dev"]);
    repo.ok(&["promote", &three.object, "--to", "staging"]);
    repo.ok(&["promote", &three.object, "--to", "production"]);
}

#[test]
fn an_object_changed_after_it_was_put_does_not_validate() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let text = repo.read(&billing.path).replace("billing-1", "billing-9");
    repo.write(&billing.path, &text);
    repo.git_commit_all("edit an object by hand");
    let report = refused(
        &repo,
        &["promote", &billing.object, "--to", "dev"],
        1,
        "berth::invalid-object",
    );
    assert_eq!(crate::support::codes(&report), ["hash-mismatch"]);
    assert_eq!(repo.env_tip("dev"), None);
}

#[test]
fn an_ambiguous_prefix_is_refused() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    // Two files whose names share a prefix (lookup goes by file name).
    repo.write(
        &format!(
            "objects/version-sets/billing/deadbeef{}.json",
            &billing.hash[8..]
        ),
        "{}",
    );
    let reversed: String = billing.hash[..56].chars().rev().collect();
    repo.write(
        &format!("objects/version-sets/search/deadbeef{reversed}.json"),
        "{}",
    );
    repo.git_commit_all("two look-alikes");
    let report = refused(
        &repo,
        &["promote", "deadbeef", "--to", "dev"],
        1,
        "berth::ambiguous-ref",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&format!("version-sets/deadbeef{}", &billing.hash[8..])),
        "{report:#}"
    );
}

#[test]
fn objects_are_promoted_from_the_catalog_branch_not_the_checkout() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    // The working tree's copy can go: promote reads git objects.
    std::fs::remove_file(repo.path().join(&billing.path)).unwrap();
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    repo.git_command(&["checkout", "-q", "--", "."]);

    // An object committed on another branch is not on the catalog.
    repo.git_command(&["checkout", "-q", "-b", "feature"]);
    let feature = repo.put_version_set("billing", 2);
    let report = refused(
        &repo,
        &["promote", &feature.object, "--to", "dev"],
        1,
        "berth::object-not-found",
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("not committed on `main`"),
        "{report:#}"
    );
    // Nor does a ready event there count for production.
    repo.git_command(&["checkout", "-q", "main"]);
    repo.ok(&["promote", &billing.object, "--to", "staging"]);
    repo.git_command(&["checkout", "-q", "feature"]);
    repo.ready(&billing);
    refused(
        &repo,
        &["promote", "billing@staging", "--to", "production"],
        1,
        "berth::not-ready",
    );
    // Merged into main, it does.
    repo.git_command(&["checkout", "-q", "main"]);
    repo.git_command(&["merge", "-q", "--ff-only", "feature"]);
    repo.ok(&["promote", "billing@staging", "--to", "production"]);
}

#[test]
fn production_requires_the_latest_event_to_be_ready() {
    let repo = Repo::init();
    // Each case a package of its own: its events (status, at), and the outcome.
    let t1 = "2025-05-02T00:00:00Z";
    let t2 = "2025-05-03T00:00:00Z";
    // (events as (status, at), refusal as (code, words of its message))
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<(&'a str, &'a str)>);
    let cases: &[Case] = &[
        (&[], Some(("berth::not-ready", "is draft"))),
        (&[("ready", t1)], None),
        (&[("failed", t1)], Some(("berth::failed", "failed at"))),
        (
            &[("ready", t1), ("failed", t2)],
            Some(("berth::failed", "failed at")),
        ),
        (&[("failed", t1), ("ready", t2)], None),
        // By `at`, not by the order they were committed in.
        (&[("ready", t2), ("failed", t1)], None),
        (
            &[("ready", t1), ("deprecated", t2)],
            Some(("berth::deprecated", "was deprecated")),
        ),
        (
            &[("ready", t1), ("archived", t2)],
            Some(("berth::deprecated", "was archived")),
        ),
        (
            &[("ready", t1), ("artifact-deleted", t2)],
            Some(("berth::artifact-deleted", "was deleted")),
        ),
        // A tie never lets a failed object through.
        (
            &[("ready", t1), ("failed", t1)],
            Some(("berth::failed", "failed at")),
        ),
    ];
    let packages: Vec<String> = (0..cases.len()).map(|i| format!("p{i}")).collect();
    let mut sets: Vec<(&str, u32)> = packages.iter().map(|p| (p.as_str(), 1)).collect();
    sets.extend([("other", 1), ("other", 2)]);
    let puts = repo.put_version_sets(&sets);
    let (other, unready) = (&puts[cases.len()], &puts[cases.len() + 1]);
    // The cases' first events in one catalog commit, their second in the next.
    for round in 0..2 {
        let mut args = vec!["put".to_owned(), "events".to_owned()];
        for (i, (events, _)) in cases.iter().enumerate() {
            if let Some((status, at)) = events.get(round) {
                let file = format!("input/event-{i}-{round}.json");
                let event = json!({"subject": puts[i].object, "package": packages[i], "status": status, "at": at});
                repo.write_json(&file, &event);
                args.push(file);
            }
        }
        if round == 0 {
            // A ready event about another object of the same package.
            repo.write_json(
                "input/other.json",
                &json!({"subject": other.object, "package": "other", "status": "ready", "at": t1}),
            );
            args.push("input/other.json".to_owned());
        }
        args.push("--commit".to_owned());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        repo.ok(&args);
    }
    // A ready event in the working tree only is not one either.
    repo.write_json(
        "input/uncommitted.json",
        &json!({"subject": unready.object, "package": "other", "status": "ready", "at": t2}),
    );
    repo.ok(&["put", "events", "input/uncommitted.json"]);
    // dev and staging need no event.
    let mut args = vec!["promote"];
    args.extend(puts[..cases.len()].iter().map(|p| p.object.as_str()));
    args.extend([unready.object.as_str(), "--to", "dev"]);
    repo.ok(&args);
    repo.ok(&["promote", "--all", "--to", "staging"]);
    refused(
        &repo,
        &["promote", "other@staging", "--to", "production"],
        1,
        "berth::not-ready",
    );

    for (i, ((_, outcome), put)) in cases.iter().zip(&puts).enumerate() {
        let target = format!("p{i}@staging");
        match outcome {
            None => {
                let done = repo.ok(&["promote", &target, "--to", "production"]);
                assert_eq!(done["promotions"][0]["object"], put.object, "case {i}");
            }
            Some((code, words)) => {
                let report = refused(&repo, &["promote", &target, "--to", "production"], 1, code);
                let message = report["error"]["message"].as_str().unwrap();
                assert!(message.contains(words), "case {i}: {message}");
                assert!(message.contains(&put.object), "case {i}: {message}");
            }
        }
    }
    // The three ready ones landed, and nothing else.
    assert_eq!(repo.env_log("production").len(), 1 + 3);
}

#[test]
fn promote_all_takes_every_package_that_differs_from_the_source() {
    let repo = Repo::init();
    let billing1 = repo.put_version_set("billing", 1);
    let billing2 = repo.put_version_set("billing", 2);
    let ledger = repo.put_version_set("ledger", 1);
    let search = repo.put_version_set("search", 1);
    repo.ok(&["promote", &billing1.object, &ledger.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "ledger@dev", "--to", "staging"]);
    repo.ok(&["promote", &billing2.object, &search.object, "--to", "dev"]);
    let before = repo.env_tip("staging").unwrap();

    let outcome = repo.ok(&["promote", "--all", "--to", "staging"]);
    let promoted: Vec<(&str, &str)> = outcome["promotions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["package"].as_str().unwrap(),
                p["object"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        promoted,
        [
            ("billing", billing2.object.as_str()),
            ("search", search.object.as_str())
        ]
    );
    assert_eq!(outcome["previous_tip"], before);
    assert_eq!(repo.moves(STAGING), 2);
    let dev_tip = repo.env_tip("dev").unwrap();
    let log = repo.env_log("staging");
    // Each from the dev commit that set it: search from dev's tip, billing from
    // the commit before.
    assert_eq!(log[0].parents[1], dev_tip);
    assert_eq!(log[1].parents[1], repo.commit(&dev_tip).parents[0]);
    assert_eq!(log[0].trailers["Berth-From"], "dev");
    assert_eq!(
        log[0].state.as_deref(),
        Some(
            state_toml(&[
                ("billing", &billing2.object, &["env:staging", "pkg:billing"]),
                ("ledger", &ledger.object, &["env:staging", "pkg:ledger"]),
                ("search", &search.object, &["env:staging", "pkg:search"]),
            ])
            .as_str()
        )
    );

    // Nothing left to do: exit 0, no commit.
    let tip = repo.env_tip("staging").unwrap();
    let again = repo.ok(&["promote", "--all", "--to", "staging"]);
    assert_eq!(again["promotions"], json!([]));
    assert_eq!(again["tip"], tip);
    assert_eq!(repo.env_tip("staging").unwrap(), tip);
    // --from names the source explicitly.
    let explicit = repo.ok(&["promote", "--all", "--from", "dev", "--to", "staging"]);
    assert_eq!(explicit["promotions"], json!([]));
}

/// Nothing to promote into an environment that was never opened must not claim to
/// have opened it: the ref is not created, so `opened` is false.
#[test]
fn promote_all_with_nothing_to_do_opens_nothing() {
    let repo = Repo::init();
    let output = repo
        .berth()
        .args(["promote", "--all", "--to", "staging", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(repo.env_tip("staging"), None);
    let outcome = crate::support::stdout_json(&output);
    assert_eq!(outcome["promotions"], json!([]));
    assert_eq!(outcome["tip"], Value::Null);
    assert_eq!(
        outcome["opened"], false,
        "staging was not opened (its ref does not exist), yet the output says it was"
    );
    let human = repo
        .berth()
        .args(["promote", "--all", "--to", "staging"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(!stderr.contains("opened"), "{stderr}");
}

#[test]
fn rollback_restores_the_previous_object_and_two_return_to_the_start() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    let search = repo.put_version_set("search", 1);
    repo.ok(&[
        "promote",
        &one.object,
        "--to",
        "dev",
        "--tag",
        "shape:onebox",
    ]);
    let brought_one = repo.env_tip("dev").unwrap();
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let brought_two = repo.env_tip("dev").unwrap();
    // Another package in between: rollback looks at billing's entries only.
    repo.ok(&["promote", &search.object, "--to", "dev"]);
    let start = repo.commit(&repo.env_tip("dev").unwrap());

    let back = repo.ok(&["rollback", "billing", "--env", "dev"]);
    let first = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!(first.parents, [start.id.clone(), brought_one.clone()]);
    assert_eq!(
        first.trailers,
        trailers(&[
            ("Berth-Action", "rollback"),
            ("Berth-Package", "billing"),
            ("Berth-Object", &one.object),
            ("Berth-From", "dev"),
        ])
    );
    let one_tags = ["env:dev", "pkg:billing", "shape:onebox"];
    assert_eq!(
        back,
        json!({
            "environment": "dev",
            "ref": DEV,
            "previous_tip": start.id,
            "tip": first.id,
            "opened": false,
            "promotions": [{
                "commit": first.id,
                "action": "rollback",
                "package": "billing",
                "object": one.object,
                "previous": two.object,
                "from": "dev",
                "source_commit": brought_one,
                "parents": [start.id, brought_one],
                "tags": one_tags,
            }],
            "unchanged": [],
            "retries": 0,
        })
    );
    // The restored object is pinned again, the other one gone; its tags are back.
    assert_eq!(
        first.paths(),
        [one.path.as_str(), search.path.as_str(), "state.toml"]
    );
    assert_eq!(first.files[&one.path], one.blob);
    assert_eq!(
        first.state.as_deref(),
        Some(
            state_toml(&[
                ("billing", &one.object, &one_tags),
                ("search", &search.object, &["env:dev", "pkg:search"]),
            ])
            .as_str()
        )
    );

    // A rollback of the rollback: back to where we started, its source the commit
    // that first brought `two`.
    let again = repo.ok(&["rollback", "billing", "--env", "dev"]);
    let second = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!(second.parents, [first.id.clone(), brought_two.clone()]);
    assert_eq!(second.trailers["Berth-Action"], "rollback");
    assert_eq!(second.trailers["Berth-Object"], two.object);
    assert_eq!(again["promotions"][0]["previous"], one.object);
    assert_eq!(
        second.tree, start.tree,
        "same state and files as at the start"
    );
    assert_eq!(second.state, start.state);

    // And a third: `one` again, sourced from the promote commit that brought it.
    repo.ok(&["rollback", "billing", "--env", "dev"]);
    let third = repo.commit(&repo.env_tip("dev").unwrap());
    assert_eq!(third.parents, [second.id.clone(), brought_one]);
    assert_eq!(third.tree, first.tree);
    assert_eq!(repo.env_log("dev").len(), 7);
}

#[test]
fn rollback_checks_the_restored_object_like_a_promotion() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    repo.ready(&one);
    repo.ready(&two);
    for put in [&one, &two] {
        repo.ok(&["promote", &put.object, "--to", "dev"]);
        repo.ok(&["promote", "billing@dev", "--to", "staging"]);
        repo.ok(&["promote", "billing@staging", "--to", "production"]);
    }
    // `one` failed after it shipped: production may not go back to it.
    repo.put_event(&one, "failed", "2025-06-01T00:00:00Z");
    let report = refused(
        &repo,
        &["rollback", "billing", "--env", "production"],
        1,
        "berth::failed",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&one.object)
    );
    // staging does not require ready.
    repo.ok(&["rollback", "billing", "--env", "staging"]);
    // Its artifact rebuilt and marked ready again, it may.
    repo.put_event(&one, "ready", "2025-06-02T00:00:00Z");
    let back = repo.ok(&["rollback", "billing", "--env", "production"]);
    assert_eq!(back["promotions"][0]["object"], one.object);
    assert_eq!(back["promotions"][0]["from"], "production");
}

#[test]
fn a_locked_ref_is_named_and_nothing_moves() {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    let two = repo.put_version_set("billing", 2);
    let three = repo.put_version_set("billing", 3);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    // Another writer holds the ref's lock and never lets go: berth waits, then
    // gives up naming the lock, having moved nothing.
    let lock = repo.path().join(".git/refs/heads/env/dev.lock");
    std::fs::write(&lock, "").unwrap();
    for args in [
        &["promote", &three.object, "--to", "dev"][..],
        &["rollback", "billing", "--env", "dev"][..],
    ] {
        let report = refused(&repo, args, 3, "berth::locked");
        assert_eq!(
            report["error"]["message"],
            format!(
                "`refs/heads/env/dev` is locked: `{}` exists",
                lock.display()
            ),
            "{report:#}"
        );
    }
    std::fs::remove_file(&lock).unwrap();
    repo.ok(&["promote", &three.object, "--to", "dev"]);
    repo.ok(&["rollback", "billing", "--env", "dev"]);
    assert_eq!(repo.env_log("dev").len(), 5);
}

#[test]
fn an_environment_ref_berth_did_not_write_is_refused() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let main = repo.tip("refs/heads/main").unwrap();
    repo.git_command(&["update-ref", DEV, &main]);
    refused(
        &repo,
        &["promote", &billing.object, "--to", "dev"],
        1,
        "berth::bad-state",
    );
    refused(&repo, &["status"], 1, "berth::bad-state");
    refused(&repo, &["show", "billing@dev"], 1, "berth::bad-state");
    assert_eq!(repo.env_tip("dev").unwrap(), main);
}

#[test]
fn without_a_git_identity_promote_cannot_run() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    let (code, report) = repo.json_without_identity(&["promote", &billing.object, "--to", "dev"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(report["error"]["exit_code"], 4);
    assert_eq!(repo.env_tip("dev"), None);
}

/// A repository whose `env-manifests` store is held in it (a user-defined kind),
/// so version sets reference objects that promotion must pin beside them.
fn with_manifests() -> Repo {
    let repo = Repo::init();
    let settings = repo.read("berth.toml").replace(
        "[stores.env-manifests]\nexternal = true\n",
        "[stores.env-manifests]\nschema = \"schemas/env-manifest.schema.json\"\npartition = \"/name\"\n",
    );
    assert_ne!(settings, repo.read("berth.toml"));
    repo.write("berth.toml", &settings);
    repo.write_json(
        "schemas/env-manifest.schema.json",
        &json!({
            "type": "object",
            "required": ["name", "vars"],
            "properties": {"name": {"type": "string"}, "vars": {"type": "object"}}
        }),
    );
    repo.git_commit_all("hold env manifests in the repository");
    repo
}

fn manifest(repo: &Repo, name: &str, n: u32) -> Put {
    repo.put_object("env-manifests", &json!({"name": name, "vars": {"N": n}}))
}

fn referencing(repo: &Repo, package: &str, n: u32, manifest: &Put) -> Put {
    let mut data = crate::support::version_set(package, n);
    data["env_manifest_ref"] = json!(manifest.object);
    repo.put_object("version-sets", &data)
}

#[test]
fn a_promotion_pins_the_objects_it_references_and_drops_what_nothing_holds() {
    let repo = with_manifests();
    let shared = manifest(&repo, "shared", 1);
    let own = manifest(&repo, "billing-own", 1);
    let billing1 = referencing(&repo, "billing", 1, &shared);
    let search1 = referencing(&repo, "search", 1, &shared);
    let billing2 = referencing(&repo, "billing", 2, &own);
    let search2 = referencing(&repo, "search", 2, &own);

    let files = |repo: &Repo| {
        let tip = repo.commit(&repo.env_tip("dev").unwrap());
        let mut paths: Vec<String> = tip.files.keys().cloned().collect();
        paths.retain(|p| p != "state.toml");
        for path in &paths {
            assert_eq!(
                repo.blob_at("refs/heads/main", path).as_ref(),
                Some(&tip.files[path]),
                "{path} is the catalog's blob"
            );
        }
        paths
    };
    let sorted = |puts: &[&Put]| {
        let mut paths: Vec<String> = puts.iter().map(|p| p.path.clone()).collect();
        paths.sort();
        paths
    };

    repo.ok(&["promote", &billing1.object, &search1.object, "--to", "dev"]);
    assert_eq!(files(&repo), sorted(&[&billing1, &search1, &shared]));
    // Each entry lists what it references, so that a later promotion knows what
    // the others keep without reading their objects.
    let state = repo.commit(&repo.env_tip("dev").unwrap()).state.unwrap();
    assert_eq!(
        state,
        format!(
            "[packages.billing]\nobject = \"{}\"\ntags = [\"env:dev\", \"pkg:billing\"]\n\
             references = [\"{}\"]\n\n\
             [packages.search]\nobject = \"{}\"\ntags = [\"env:dev\", \"pkg:search\"]\n\
             references = [\"{}\"]\n",
            billing1.object, shared.object, search1.object, shared.object
        )
    );
    // billing moves to its own manifest; search still needs the shared one.
    repo.ok(&["promote", &billing2.object, "--to", "dev"]);
    assert_eq!(files(&repo), sorted(&[&billing2, &search1, &shared, &own]));
    // Now nothing holds the shared manifest.
    repo.ok(&["promote", &search2.object, "--to", "dev"]);
    assert_eq!(files(&repo), sorted(&[&billing2, &search2, &own]));
    // Going on to staging brings the references along from dev's commits.
    repo.ok(&["promote", "--all", "--to", "staging"]);
    let staging = repo.commit(&repo.env_tip("staging").unwrap());
    let mut paths: Vec<&str> = staging.paths();
    paths.retain(|p| *p != "state.toml");
    assert_eq!(paths, sorted(&[&billing2, &search2, &own]));
    // Rolling billing back brings its old manifest back.
    repo.ok(&["rollback", "billing", "--env", "dev"]);
    assert_eq!(files(&repo), sorted(&[&billing1, &search2, &shared, &own]));
    let shown = repo.ok(&["show", "billing@dev"]);
    assert_eq!(
        shown["findings"],
        json!([]),
        "its reference resolves in dev"
    );
}

#[test]
fn an_environment_that_requires_signatures_gets_no_unsigned_commit() {
    let repo = Repo::init();
    let [one, two] = [1, 2].map(|n| repo.put_version_set("billing", n));
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let settings = repo.read("berth.toml").replace(
        "[environments.dev]\n",
        "[environments.dev]\nrequire_signed = true\nallowed_signers = \"signers/dev\"\n",
    );
    assert_ne!(settings, repo.read("berth.toml"));
    repo.write("berth.toml", &settings);
    repo.write(
        "signers/dev",
        "alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti\n",
    );
    repo.git_commit_all("dev accepts only signed commits");
    let three = repo.put_version_set("billing", 3);
    // No signing key is configured: berth cannot sign, so it writes nothing.
    let report = refused(
        &repo,
        &["promote", &three.object, "--to", "dev"],
        4,
        "berth::cannot-sign",
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("git config user.signingKey"),
        "{report:#}"
    );
    refused(
        &repo,
        &["rollback", "billing", "--env", "dev"],
        4,
        "berth::cannot-sign",
    );
}

#[test]
fn an_environment_ref_a_branch_stands_in_the_way_of_is_named_and_nothing_moves() {
    for (branch, prefix) in [
        ("team", "refs/heads/team/"),
        ("env/dev/hotfix", "refs/heads/env/"),
    ] {
        let repo = Repo::init();
        let billing = repo.put_version_set("billing", 1);
        let settings = repo.read("berth.toml").replace(
            "env_ref_prefix = \"refs/heads/env/\"",
            &format!("env_ref_prefix = \"{prefix}\""),
        );
        repo.write("berth.toml", &settings);
        repo.git_commit_all("prefix");
        repo.git_command(&["branch", branch]);
        let report = refused(
            &repo,
            &["promote", &billing.object, "--to", "dev"],
            1,
            "berth::ref-clash",
        );
        assert_eq!(
            report["error"]["message"],
            format!(
                "`{prefix}dev` cannot be created: git already has `refs/heads/{branch}`, and a ref cannot be both a branch and a folder of branches"
            )
        );
    }
}

/// The command line cannot name nothing (clap wants a reference or `--all`), but
/// the library is called with a list: an empty one without `all` is refused.
#[test]
fn a_library_promotion_that_names_nothing_is_refused() {
    use miette::Diagnostic;

    let repo = Repo::init();
    let workspace = berth::workspace::Workspace::open(repo.path()).unwrap();
    let request = berth::env::promote::PromoteRequest {
        targets: &[],
        to: "dev",
        from: None,
        tags: &[],
        all: false,
        skip_path: None,
    };
    let error = berth::env::promote::promote(&workspace, &request).unwrap_err();
    assert_eq!(
        error.code().map(|code| code.to_string()).as_deref(),
        Some("berth::nothing-named")
    );
    assert_eq!(repo.env_tip("dev"), None);
}

#[test]
fn a_draft_is_refused_with_how_to_mark_it_ready() {
    let repo = Repo::init();
    let billing = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    let args = ["promote", "billing@staging", "--to", "production"];
    let report = refused(&repo, &args, 1, "berth::not-ready");
    assert_eq!(
        report["error"]["message"],
        format!(
            "`{}` is draft, not ready: production requires a `ready` event",
            billing.object
        )
    );
    let help = format!(
        "mark it ready once its artifact is built: promotion reads the events committed on the catalog branch\nberth mark {} ready --commit",
        billing.object
    );
    assert_eq!(report["error"]["help"], help);

    // The terminal shows the library's help, then the command that does it.
    let output = repo.berth().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.contains("help:"))
        .collect();
    assert_eq!(
        lines,
        [
            "  help: mark it ready once its artifact is built: promotion reads the events committed on the catalog branch".to_owned(),
            format!("        berth mark {} ready --commit", billing.object),
        ]
    );

    // What the hint says is what makes the promotion go through.
    repo.ok(&["mark", &billing.object, "ready", "--commit"]);
    repo.ok(&args);
}

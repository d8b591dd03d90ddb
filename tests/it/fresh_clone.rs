//! Reading a fresh clone: right after `git clone` a repository has the remote's
//! environments only as remote-tracking refs (`refs/remotes/origin/env/*`). The
//! readers (status, show, history, lineage, diff, review) read those and say so,
//! and `status` says how each environment's own ref stands against the remote's
//! copy: up to date, ahead, behind, diverged, local only, remote only.

use serde_json::{Value, json};

use crate::support::{Put, Repo};

/// The clock: t(n) is the n-th step.
fn t(step: i64) -> i64 {
    1_700_000_000 + 100 * step
}

/// A commit time as berth prints it.
fn shown_time(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .display_with_offset(jiff::tz::Offset::UTC)
        .to_string()
}

const AUTHOR: &str = "Berth Test <test@berth.invalid>";

/// An upstream repository with environments and a `git clone` of it:
///
/// - upstream: billing 1 and search 1 put on main, billing 1 marked ready;
///   t1 billing 1 -> dev, t2 search 1 -> dev, t3 billing@dev -> staging;
///   production never opened
/// - clone: `git clone <upstream>`, nothing else
struct Estate {
    upstream: Repo,
    clone: Repo,
    billing1: Put,
    search1: Put,
    /// The upstream's env/dev and env/staging when the clone was made.
    dev: String,
    staging: String,
}

fn estate() -> Estate {
    let upstream = Repo::init();
    let [billing1, search1]: [Put; 2] = upstream
        .put_version_sets(&[("billing", 1), ("search", 1)])
        .try_into()
        .unwrap();
    upstream.ready(&billing1);
    upstream.ok_at(t(1), &["promote", &billing1.object, "--to", "dev"]);
    upstream.ok_at(t(2), &["promote", &search1.object, "--to", "dev"]);
    upstream.ok_at(t(3), &["promote", "billing@dev", "--to", "staging"]);
    let clone = Repo::empty();
    let path = upstream.path().to_str().unwrap();
    clone.git_command(&["clone", "-q", path, "."]);
    let dev = upstream.env_tip("dev").unwrap();
    let staging = upstream.env_tip("staging").unwrap();
    Estate {
        upstream,
        clone,
        billing1,
        search1,
        dev,
        staging,
    }
}

/// Every ref of a repository with what it points at, as `git for-each-ref`.
fn refs(repo: &Repo) -> String {
    repo.git_command(&["for-each-ref", "--format=%(refname) %(objectname)"])
}

/// Runs berth: its exit code, stdout and stderr.
fn run(repo: &Repo, args: &[&str]) -> (i32, String, String) {
    let output = repo.berth().args(args).output().unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// `--format json`: exit code, stdout parsed, stderr.
fn run_json(repo: &Repo, args: &[&str]) -> (i32, Value, String) {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    let (code, stdout, stderr) = run(repo, &args);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    (code, value, stderr)
}

fn remote_read(env: &str) -> Value {
    json!({
        "environment": env,
        "ref": format!("refs/remotes/origin/env/{env}"),
        "missing": format!("refs/heads/env/{env}"),
    })
}

fn note(env: &str) -> String {
    format!("{env}: read from refs/remotes/origin/env/{env} (no local refs/heads/env/{env})\n")
}

/// What `status`'s JSON says of an environment's refs.
fn standing(status: &Value, env: &str) -> (Value, Value, Value) {
    let environment = status["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["environment"] == env)
        .unwrap();
    (
        environment["ref"].clone(),
        environment["commit"].clone(),
        environment["remote"].clone(),
    )
}

fn remote(standing: &str, commit: Option<&str>, ahead: u64, behind: u64, env: &str) -> Value {
    json!({
        "remote": "origin",
        "ref": format!("refs/remotes/origin/env/{env}"),
        "commit": commit,
        "standing": standing,
        "ahead": ahead,
        "behind": behind,
    })
}

#[test]
fn status_in_a_fresh_clone_reads_the_remote_tracking_refs_and_says_so() {
    let e = estate();
    let before = refs(&e.clone);
    assert!(!before.contains("refs/heads/env/"), "{before}");
    assert!(before.contains(&format!("refs/remotes/origin/env/dev {}", e.dev)));

    let (code, status, stderr) = run_json(&e.clone, &["status"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    assert_eq!(
        status["read_from_remote"],
        json!([remote_read("dev"), remote_read("staging")])
    );
    assert_eq!(
        standing(&status, "dev"),
        (
            json!("refs/remotes/origin/env/dev"),
            json!(e.dev),
            remote("remote-only", Some(&e.dev), 0, 0, "dev"),
        )
    );
    assert_eq!(
        standing(&status, "staging"),
        (
            json!("refs/remotes/origin/env/staging"),
            json!(e.staging),
            remote("remote-only", Some(&e.staging), 0, 0, "staging"),
        )
    );
    assert_eq!(
        standing(&status, "production"),
        (
            json!("refs/heads/env/production"),
            Value::Null,
            remote("not-opened", None, 0, 0, "production"),
        )
    );
    // What the environments hold is what the upstream's status says they hold.
    let upstream = e.upstream.ok(&["status"]);
    for (i, env) in ["dev", "staging", "production"].iter().enumerate() {
        assert_eq!(
            status["environments"][i]["packages"], upstream["environments"][i]["packages"],
            "{env}"
        );
    }
    assert_eq!(
        status["environments"][0]["packages"][0]["set_by"],
        json!(e.dev_commit_of_billing())
    );

    let (code, stdout, stderr) = run(&e.clone, &["status"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    let b1 = &e.billing1.hash[..12];
    let s1 = &e.search1.hash[..12];
    let since = |n| shown_time(t(n));
    assert_eq!(
        stdout,
        format!(
            "\
ENVIRONMENT  PACKAGE  OBJECT                     VERSION  STATUS    SINCE                      DRIFT
dev          billing  version-sets/{b1}  -        deployed  {t1}  -
dev          search   version-sets/{s1}  -        deployed  {t2}  -
staging      billing  version-sets/{b1}  -        deployed  {t3}  -
staging      search   -                          -        -         -                          dev has version-sets/{s1}
production   billing  -                          -        -         -                          staging has version-sets/{b1}

ENVIRONMENT  READ FROM                        REMOTE-TRACKING                     LOCAL AGAINST REMOTE
dev          refs/remotes/origin/env/dev      refs/remotes/origin/env/dev         remote only
staging      refs/remotes/origin/env/staging  refs/remotes/origin/env/staging     remote only
production   refs/heads/env/production        refs/remotes/origin/env/production  not opened
",
            t1 = since(1),
            t2 = since(2),
            t3 = since(3),
        )
    );
    // As of a time, along the remote's copy: at t2 staging was not yet opened,
    // and dev held what its second commit set.
    let at = jiff::Timestamp::from_second(t(2)).unwrap().to_string();
    let (code, then, stderr) = run_json(&e.clone, &["status", "--at", &at]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    assert_eq!(
        standing(&then, "staging"),
        (
            json!("refs/remotes/origin/env/staging"),
            Value::Null,
            remote("remote-only", Some(&e.staging), 0, 0, "staging"),
        )
    );
    assert_eq!(standing(&then, "dev").1, json!(e.dev));
    assert_eq!(
        then["environments"][1]["packages"][0]["object"],
        Value::Null
    );
    // Reading wrote nothing.
    assert_eq!(refs(&e.clone), before);
}

impl Estate {
    /// The upstream commit that promoted billing into dev.
    fn dev_commit_of_billing(&self) -> String {
        self.upstream.env_log("dev")[1].id.clone()
    }
}

#[test]
fn show_history_lineage_and_diff_read_the_remote_tracking_refs_and_say_so() {
    let e = estate();
    let before = refs(&e.clone);

    // show billing@staging: the object staging's remote copy holds.
    let (code, shown, stderr) = run_json(&e.clone, &["show", "billing@staging"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, note("staging"));
    assert_eq!(shown["object"], json!(e.billing1.object));
    assert_eq!(shown["environment"], json!("staging"));
    assert_eq!(shown["commit"], json!(e.staging));
    assert_eq!(shown["read_from_remote"], json!([remote_read("staging")]));
    // Held as the remote's copies hold it: deployed, by dev and staging.
    assert_eq!(shown["lifecycle"]["status"], json!("deployed"));
    assert_eq!(
        shown["lifecycle"]["environments"],
        json!(["dev", "staging"])
    );
    let (code, stdout, stderr) = run(&e.clone, &["show", "billing@staging"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, note("staging"));
    assert!(
        stdout.contains(&format!(
            "environment  staging\ncommit       {}\nstatus       deployed (latest event: ready at 2025-05-02T00:00:00Z)\nheld by      dev, staging\n",
            &e.staging[..12]
        )),
        "{stdout}"
    );
    // A catalog object is read from no environment.
    let (code, shown, stderr) = run_json(&e.clone, &["show", &e.billing1.object]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(shown["read_from_remote"], json!([]));

    // history billing@staging
    let (code, history, stderr) = run_json(&e.clone, &["history", "billing@staging"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, note("staging"));
    assert_eq!(
        history,
        json!({
            "package": "billing",
            "environment": "staging",
            "entries": [{
                "commit": e.staging,
                "action": "promote",
                "object": e.billing1.object,
                "previous": null,
                "from": "dev",
                "time": shown_time(t(3)),
                "author": AUTHOR,
            }],
            "read_from_remote": [remote_read("staging")],
        })
    );
    let (code, stdout, stderr) = run(&e.clone, &["history", "billing@staging"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, note("staging"));
    assert_eq!(
        stdout,
        format!(
            "\
TIME                       ACTION   OBJECT                     FROM  COMMIT        AUTHOR
{}  promote  version-sets/{}  dev   {}  {AUTHOR}
",
            shown_time(t(3)),
            &e.billing1.hash[..12],
            &e.staging[..12]
        )
    );

    // lineage billing@staging: verified through dev's remote copy, back to main.
    let (code, lineage, stderr) = run_json(&e.clone, &["lineage", "billing@staging"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    let step = |env: &str, commit: &str, action: Value, time: i64| {
        json!({
            "environment": env,
            "commit": commit,
            "action": action,
            "object": e.billing1.object,
            "time": shown_time(time),
            "author": AUTHOR,
        })
    };
    assert_eq!(
        lineage,
        json!({
            "package": "billing",
            "environment": "staging",
            "steps": [
                step("staging", &e.staging, json!("promote"), t(3)),
                step("dev", &e.dev_commit_of_billing(), json!("promote"), t(1)),
                step("main", &e.billing1.commit, Value::Null, 1_700_000_000),
            ],
            "read_from_remote": [remote_read("dev"), remote_read("staging")],
        })
    );
    // The upstream, with its own refs, finds the same path and reads nothing
    // from a remote.
    let mut upstream = e.upstream.ok(&["lineage", "billing@staging"]);
    assert_eq!(upstream["read_from_remote"], json!([]));
    upstream["read_from_remote"] = lineage["read_from_remote"].clone();
    assert_eq!(upstream, lineage);

    // diff dev staging
    let (code, diff, stderr) = run_json(&e.clone, &["diff", "dev", "staging"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    assert_eq!(
        diff,
        json!({
            "from": "dev",
            "to": "staging",
            "changes": [
                {
                    "package": "billing",
                    "change": "unchanged",
                    "from_object": e.billing1.object,
                    "to_object": e.billing1.object,
                },
                {
                    "package": "search",
                    "change": "added",
                    "from_object": e.search1.object,
                    "to_object": null,
                },
            ],
            "read_from_remote": [remote_read("dev"), remote_read("staging")],
        })
    );
    let (code, stdout, stderr) = run(&e.clone, &["diff", "dev", "staging"]);
    assert_eq!(code, 0);
    assert_eq!(stderr, format!("{}{}", note("dev"), note("staging")));
    let (b1, s1) = (&e.billing1.hash[..12], &e.search1.hash[..12]);
    assert_eq!(
        stdout,
        format!(
            "\
PACKAGE  CHANGE     STAGING                    DEV
billing  unchanged  version-sets/{b1}  version-sets/{b1}
search   added      -                          version-sets/{s1}
"
        )
    );
    // Two objects named by <package>@<env>: each environment said once.
    let (code, _, stderr) = run(&e.clone, &["diff", "billing@dev", "billing@staging"]);
    assert_eq!(code, 0, "{stderr}");
    let o = &e.billing1.object;
    assert_eq!(
        stderr,
        format!(
            "{}{}{o} and {o} hold the same data\n",
            note("dev"),
            note("staging")
        )
    );

    // Reading wrote nothing.
    assert_eq!(refs(&e.clone), before);
}

#[test]
fn a_local_ref_is_read_rather_than_the_remote_copy() {
    let e = estate();
    // Local staging one commit behind the remote's: its open commit, which holds
    // nothing. Readers read it, and say nothing of staging.
    let open = e.upstream.env_log("staging").last().unwrap().id.clone();
    e.clone
        .git_command(&["update-ref", "refs/heads/env/staging", &open]);
    let (code, _, stderr) = run(&e.clone, &["show", "billing@staging"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("staging holds nothing for `billing`"),
        "{stderr}"
    );
    assert!(!stderr.contains("read from"), "{stderr}");
    let (code, diff, stderr) = run_json(&e.clone, &["diff", "dev", "staging"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, note("dev"));
    assert_eq!(diff["read_from_remote"], json!([remote_read("dev")]));
    assert_eq!(diff["changes"][0]["change"], json!("added"));
    let (_, status, _) = run_json(&e.clone, &["status"]);
    assert_eq!(
        standing(&status, "staging"),
        (
            json!("refs/heads/env/staging"),
            json!(open),
            remote("behind", Some(&e.staging), 0, 1, "staging"),
        )
    );
}

#[test]
fn review_in_a_fresh_clone_reads_each_environment_after_from_the_remote_copy() {
    let e = estate();
    let before = refs(&e.clone);
    let (code, review, stderr) = run_json(&e.clone, &["review", "--base", "origin/main"]);
    assert_eq!(code, 0, "{stderr}");
    // Before and after are the same remote copy: nothing moves, and the review
    // says where it read each environment.
    assert_eq!(review["environments"], json!([]));
    assert_eq!(review["counts"]["environment_moves"], json!(0));
    // production was never opened: the clone has no ref of it, which the
    // review cannot tell from one not fetched, and says so.
    let production = "not compared: production (no local or `origin` remote-tracking ref here: not fetched, or never opened; fetch them with `git fetch origin '+refs/heads/env/*:refs/remotes/origin/env/*'`)";
    assert_eq!(
        review["notes"],
        json!([
            note("dev").trim_end(),
            note("staging").trim_end(),
            production
        ])
    );
    assert_eq!(
        review["not_compared"],
        json!([{
            "environment": "production",
            "reason": "no-ref",
            "tracking_ref": "refs/remotes/origin/env/production",
        }])
    );
    // Once dev has a local ref ahead of the remote's, the review compares the two
    // and still reads staging from the remote.
    e.clone
        .git_command(&["update-ref", "refs/heads/env/dev", &e.dev]);
    let billing2 = e.clone.put_version_set("billing", 2);
    e.clone
        .ok_at(t(4), &["promote", &billing2.object, "--to", "dev"]);
    let dev = e.clone.env_tip("dev").unwrap();
    let (code, review, stderr) = run_json(&e.clone, &["review", "--base", "origin/main"]);
    assert!(code == 0 || code == 1, "{stderr}");
    assert_eq!(
        review["notes"],
        json!([note("staging").trim_end(), production])
    );
    let environments = review["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 1, "{review:#}");
    assert_eq!(environments[0]["environment"], json!("dev"));
    assert_eq!(
        environments[0]["base"],
        json!({"revision": "refs/remotes/origin/env/dev", "commit": e.dev})
    );
    assert_eq!(
        environments[0]["head"],
        json!({"revision": "refs/heads/env/dev", "commit": dev})
    );
    assert_eq!(environments[0]["moves"][0]["package"], json!("billing"));
    assert_eq!(
        environments[0]["moves"][0]["to"]["object"],
        json!(billing2.object)
    );
    // The human review says it too.
    let (_, stdout, _) = run(&e.clone, &["review", "--base", "origin/main"]);
    assert!(
        stdout.contains(&format!("note: {}", note("staging"))),
        "{stdout}"
    );
    // Nothing was pushed or fetched: the remote-tracking refs are as cloned.
    let after = refs(&e.clone);
    for line in before.lines().filter(|l| l.starts_with("refs/remotes/")) {
        assert!(after.contains(line), "{line}");
    }
}

#[test]
fn status_says_how_each_local_ref_stands_against_the_remote_copy() {
    let e = estate();
    let clone = &e.clone;
    let status = || run_json(clone, &["status"]).1;

    // Up to date: the local refs where the remote's are. Nothing is read from
    // the remote any more.
    clone.git_command(&["update-ref", "refs/heads/env/dev", &e.dev]);
    clone.git_command(&["update-ref", "refs/heads/env/staging", &e.staging]);
    let (code, now, stderr) = run_json(clone, &["status"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert_eq!(now["read_from_remote"], json!([]));
    assert_eq!(
        standing(&now, "dev"),
        (
            json!("refs/heads/env/dev"),
            json!(e.dev),
            remote("up-to-date", Some(&e.dev), 0, 0, "dev"),
        )
    );

    // Local only: production opened in this clone by a promotion.
    clone.ok_at(t(4), &["promote", "billing@staging", "--to", "production"]);
    let production = clone.env_tip("production").unwrap();
    assert_eq!(
        standing(&status(), "production"),
        (
            json!("refs/heads/env/production"),
            json!(production),
            remote("local-only", None, 0, 0, "production"),
        )
    );

    // Ahead: a promotion into dev in this clone, not pushed.
    let billing2 = clone.put_version_set("billing", 2);
    clone.ok_at(t(5), &["promote", &billing2.object, "--to", "dev"]);
    let local_dev = clone.env_tip("dev").unwrap();
    assert_eq!(
        standing(&status(), "dev").2,
        remote("ahead", Some(&e.dev), 1, 0, "dev")
    );

    // Behind: local staging set back to its open commit.
    let open = e.upstream.env_log("staging").last().unwrap().id.clone();
    clone.git_command(&["update-ref", "refs/heads/env/staging", &open]);
    assert_eq!(
        standing(&status(), "staging"),
        (
            json!("refs/heads/env/staging"),
            json!(open),
            remote("behind", Some(&e.staging), 0, 1, "staging"),
        )
    );

    // Diverged: the upstream promotes into dev too, and the clone fetches.
    let search2 = e.upstream.put_version_set("search", 2);
    e.upstream
        .ok_at(t(6), &["promote", &search2.object, "--to", "dev"]);
    let upstream_dev = e.upstream.env_tip("dev").unwrap();
    clone.git_command(&["fetch", "-q", "origin"]);
    assert_eq!(
        clone.tip("refs/remotes/origin/env/dev"),
        Some(upstream_dev.clone())
    );
    assert_eq!(clone.env_tip("dev"), Some(local_dev.clone()));
    let now = status();
    assert_eq!(
        standing(&now, "dev"),
        (
            json!("refs/heads/env/dev"),
            json!(local_dev),
            remote("diverged", Some(&upstream_dev), 1, 1, "dev"),
        )
    );
    // The counts are of the two logs, git's first parents: one promotion each
    // since they parted, whatever catalog commits came with them.
    let counts = clone.git_command(&[
        "rev-list",
        "--first-parent",
        "--left-right",
        "--count",
        "refs/heads/env/dev...refs/remotes/origin/env/dev",
    ]);
    assert_eq!(counts.trim(), "1\t1");

    let (code, stdout, stderr) = run(clone, &["status"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let table = stdout.split("\n\n").nth(1).unwrap();
    assert_eq!(
        table,
        "\
ENVIRONMENT  READ FROM                  REMOTE-TRACKING                     LOCAL AGAINST REMOTE
dev          refs/heads/env/dev         refs/remotes/origin/env/dev         diverged: ahead 1, behind 1
staging      refs/heads/env/staging     refs/remotes/origin/env/staging     behind 1
production   refs/heads/env/production  refs/remotes/origin/env/production  local only
"
    );
    // Status moved no ref.
    assert_eq!(clone.env_tip("dev"), Some(local_dev));
    assert_eq!(clone.env_tip("staging"), Some(open));
}

#[test]
fn without_the_remote_status_shows_no_remote_standing() {
    let e = estate();
    let clone = &e.clone;
    clone.git_command(&["update-ref", "refs/heads/env/dev", &e.dev]);
    // Removing the remote removes its remote-tracking refs: staging is then in
    // no ref at all, and dev only in its own.
    clone.git_command(&["remote", "remove", "origin"]);
    let (code, status, stderr) = run_json(clone, &["status"]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    for env in ["dev", "staging", "production"] {
        assert_eq!(
            standing(&status, env).2["standing"],
            json!("untracked"),
            "{env}"
        );
    }
    assert_eq!(standing(&status, "staging").1, Value::Null);
    let (code, stdout, _) = run(clone, &["status"]);
    assert_eq!(code, 0);
    assert!(!stdout.contains("REMOTE-TRACKING"), "{stdout}");
    assert!(!stdout.contains("\n\n"), "{stdout}");
}

#[test]
fn the_remote_berth_toml_names_is_the_one_read() {
    let e = estate();
    let clone = &e.clone;
    // The same upstream as `upstream`; origin gone.
    clone.git_command(&["remote", "rename", "origin", "upstream"]);
    let (code, status, stderr) = run_json(clone, &["status"]);
    assert_eq!(code, 0);
    // berth.toml still shares through origin, which this clone no longer has.
    assert_eq!(stderr, "");
    assert_eq!(standing(&status, "dev").2["standing"], json!("untracked"));
    let settings = clone.read("berth.toml").replace(
        "env_ref_prefix = \"refs/heads/env/\"",
        "env_ref_prefix = \"refs/heads/env/\"\nremote = \"upstream\"",
    );
    clone.write("berth.toml", &settings);
    let (code, status, stderr) = run_json(clone, &["status"]);
    assert_eq!(code, 0, "{stderr}");
    let read = |env: &str| {
        format!(
            "{env}: read from refs/remotes/upstream/env/{env} (no local refs/heads/env/{env})\n"
        )
    };
    assert_eq!(stderr, format!("{}{}", read("dev"), read("staging")));
    assert_eq!(
        standing(&status, "dev"),
        (
            json!("refs/remotes/upstream/env/dev"),
            json!(e.dev),
            json!({
                "remote": "upstream",
                "ref": "refs/remotes/upstream/env/dev",
                "commit": e.dev,
                "standing": "remote-only",
                "ahead": 0,
                "behind": 0,
            }),
        )
    );
}

/// `berth check` in a fresh clone audits the environments where the readers read
/// them, the remote's copies, rather than finding no environment to audit: a
/// clean estate passes, and a commit made by hand on the remote's staging is
/// reported at the remote-tracking ref.
#[test]
fn check_in_a_fresh_clone_audits_the_remote_copies() {
    let estate = estate();
    let (code, stdout, stderr) = run(&estate.clone, &["check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // Staging given dev's tree (search included) by hand, upstream.
    let upstream = &estate.upstream;
    let dev_tree = upstream
        .git()
        .find_commit(git2::Oid::from_str(&estate.dev).unwrap())
        .unwrap()
        .tree_id();
    let main = upstream.tip("refs/heads/main").unwrap();
    crate::support::commit_on_env_by_hand(upstream, "staging", &main, dev_tree, "by hand");
    let clone = Repo::empty();
    clone.git_command(&["clone", "-q", upstream.path().to_str().unwrap(), "."]);
    let (code, report) = clone.json(&["check"]);
    assert_eq!(code, 1, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|finding| finding["code"] == "promotion-path"
                && finding["file"]
                    .as_str()
                    .is_some_and(|file| file.starts_with("refs/remotes/origin/env/staging:"))),
        "{report:#}"
    );
    assert!(
        findings.iter().all(|finding| !finding["file"]
            .as_str()
            .unwrap_or_default()
            .starts_with("refs/heads/env/")),
        "{report:#}"
    );
}

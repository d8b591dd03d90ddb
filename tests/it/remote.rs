//! Sharing environments through a remote: `berth fetch`, and promote and
//! rollback with `--push`, against a real `git daemon` on 127.0.0.1 that each
//! test starts and stops. What the remote holds is read with `git ls-remote`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Daemon, Put, Repo, assert_matches_schema, describe, make_executable};

/// A remote whose catalog holds version sets of `packages` (version 1 of
/// each), pushed from the first clone; the first clone and its puts.
fn shared(daemon: &Daemon, packages: &[&str]) -> (Repo, Vec<Put>) {
    let a = daemon.seeded();
    let puts = packages
        .iter()
        .map(|package| a.put_version_set(package, 1))
        .collect();
    a.git_command(&["push", "-q", "origin", "main"]);
    (a, puts)
}

/// The error code of a JSON error document.
fn error_code(report: &Value) -> &str {
    report["error"]["code"].as_str().unwrap_or("")
}

/// Every ref of a clone under `prefix`, name to commit.
fn refs_under(repo: &Repo, prefix: &str) -> BTreeMap<String, String> {
    repo.git_command(&["for-each-ref", "--format=%(refname) %(objectname)", prefix])
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(name, id)| (name.to_owned(), id.to_owned()))
        .collect()
}

/// A pre-push hook in `repo` that, the first time it runs, runs `berth` with
/// `args` in `other` (a second machine pushing just before this one), then lets
/// the push go on.
fn race_once(repo: &Repo, other: &Repo, args: &str) {
    race(repo, other, &[args]);
}

/// A pre-push hook in `repo` whose n-th run runs `berth` with the n-th of
/// `each_push` in `other`, then lets the push go on; later pushes go on alone.
fn race(repo: &Repo, other: &Repo, each_push: &[&str]) {
    let berth = assert_cmd::cargo::cargo_bin("berth");
    let count = repo.path().join(".git/raced");
    let mut script = format!(
        "#!/bin/sh
         n=$(cat '{count}' 2>/dev/null || echo 0)
         echo $((n + 1)) >'{count}'
         unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX
         cd '{other}' || exit 1
         case $n in
",
        count = count.display(),
        other = other.path().display(),
    );
    for (n, args) in each_push.iter().enumerate() {
        script.push_str(&format!(
            "{n}) '{berth}' {args} >/dev/null 2>&1 ;;
",
            berth = berth.display()
        ));
    }
    script.push_str(
        "esac
exit 0
",
    );
    let hook = repo.path().join(".git/hooks/pre-push");
    std::fs::write(&hook, script).unwrap();
    make_executable(&hook);
}

/// How many times berth ran `git fetch` and `git push` for `args` in `repo`,
/// read from git's own trace.
fn transfers(repo: &Repo, args: &[&str]) -> (usize, usize) {
    let trace = repo.path().join(".git/trace");
    let output = repo
        .berth()
        .args(args)
        .env("GIT_TRACE", &trace)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let trace = std::fs::read_to_string(&trace).unwrap_or_default();
    std::fs::remove_file(repo.path().join(".git/trace")).ok();
    let count = |command: &str| {
        trace
            .lines()
            .filter(|line| line.contains(&format!("built-in: git {command} ")))
            .count()
    };
    (count("fetch"), count("push"))
}

#[test]
fn fetch_creates_fast_forwards_and_leaves_a_diverged_environment_alone() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api", "web"]);
    a.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    let first = daemon.env_tip("dev").unwrap();

    let b = daemon.clone_repo();
    assert_eq!(b.env_tip("dev"), None);
    let fetched = b.ok(&["fetch"]);
    assert_matches_schema("fetch.schema.json", &fetched);
    assert_eq!(fetched["remote"], "origin");
    assert_eq!(
        fetched["catalog"]["tracking_ref"],
        "refs/remotes/origin/main"
    );
    assert_eq!(
        fetched["catalog"]["tip"].as_str(),
        daemon.tip("refs/heads/main").as_deref()
    );
    let dev = &fetched["environments"][0];
    assert_eq!(dev["environment"], "dev");
    assert_eq!(dev["status"], "created");
    assert_eq!(dev["local"].as_str(), Some(first.as_str()));
    assert_eq!(b.env_tip("dev").as_deref(), Some(first.as_str()));
    assert_eq!(fetched["environments"][1]["status"], "not-on-remote");

    // Up to date, then behind: fast-forwarded, said in a human line.
    assert_eq!(b.ok(&["fetch"])["environments"][0]["status"], "up-to-date");
    a.ok(&["promote", &puts[1].object, "--to", "dev", "--push"]);
    let second = daemon.env_tip("dev").unwrap();
    let output = b.berth().args(["fetch", "origin"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!(
            "dev: fast-forwarded {}..{}",
            &first[..12],
            &second[..12]
        )),
        "{stdout}"
    );
    assert_eq!(b.env_tip("dev").as_deref(), Some(second.as_str()));

    // B promotes locally without pushing while A pushes: diverged, left alone.
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    b.git_command(&["pull", "-q", "--ff-only", "origin", "main"]);
    let web2 = b.put_version_set("web", 2);
    b.ok(&["promote", &web2.object, "--to", "dev"]);
    let local = b.env_tip("dev").unwrap();
    a.ok(&["promote", &api2.object, "--to", "dev", "--push"]);
    let remote = daemon.env_tip("dev").unwrap();
    let (code, report) = b.json(&["fetch"]);
    assert_eq!(code, 3, "{report:#}");
    assert_matches_schema("fetch.schema.json", &report);
    assert_eq!(report["environments"][0]["status"], "diverged");
    assert_eq!(
        report["environments"][0]["local"].as_str(),
        Some(local.as_str())
    );
    assert_eq!(
        report["environments"][0]["remote"].as_str(),
        Some(remote.as_str())
    );
    assert_eq!(b.env_tip("dev").as_deref(), Some(local.as_str()));
    assert_eq!(
        b.tip("refs/remotes/origin/env/dev").as_deref(),
        Some(remote.as_str())
    );
    let output = b.berth().arg("fetch").output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("berth::env-diverged"), "{stderr}");
    assert!(
        stderr.contains(&local[..12]) && stderr.contains(&remote[..12]),
        "{stderr}"
    );
    assert!(
        stderr.contains("git update-ref refs/heads/env/dev"),
        "{stderr}"
    );
}

#[test]
fn promote_and_rollback_push_land_on_the_remote_and_the_local_ref_follows() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let outcome = a.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    assert_matches_schema("promote.schema.json", &outcome);
    assert_eq!(outcome["pushed_to"], "origin");
    assert_eq!(outcome["retries"], 0);
    assert_eq!(outcome["opened"], true);
    let tip = outcome["tip"].as_str().unwrap();
    assert_eq!(daemon.env_tip("dev").as_deref(), Some(tip));
    assert_eq!(a.env_tip("dev").as_deref(), Some(tip));
    assert_eq!(a.tip("refs/remotes/origin/env/dev").as_deref(), Some(tip));
    let commit = a.commit(tip);
    assert_eq!(commit.parents.len(), 2);
    assert_eq!(commit.parents[1], puts[0].commit);
    let root = a.commit(&commit.parents[0]);
    assert!(root.parents.is_empty());
    assert_eq!(
        commit.trailers.clone(),
        crate::support::trailers(&[
            ("Berth-Action", "promote"),
            ("Berth-Package", "api"),
            ("Berth-Object", &puts[0].object),
            ("Berth-From", "main"),
        ])
    );

    // A second version, then a rollback, both pushed.
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    let second = a.ok(&["promote", &api2.object, "--to", "dev", "--push"]);
    let second_tip = second["tip"].as_str().unwrap().to_owned();
    let output = a
        .berth()
        .args(["rollback", "api", "--env", "dev", "--push"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("pushed refs/heads/env/dev to origin at"),
        "{stdout}"
    );
    assert!(stdout.contains("(1 try)"), "{stdout}");
    let rolled = daemon.env_tip("dev").unwrap();
    assert_eq!(a.env_tip("dev").as_deref(), Some(rolled.as_str()));
    let rollback = a.commit(&rolled);
    assert_eq!(rollback.parents, vec![second_tip, tip.to_owned()]);
    let trailers = rollback.trailers.clone();
    assert_eq!(trailers["Berth-Action"], "rollback");
    assert_eq!(trailers["Berth-Object"], puts[0].object);

    // What the remote holds passes the audit in a fresh clone.
    let c = daemon.clone_repo();
    c.ok(&["fetch"]);
    c.berth()
        .args(["check", "--base", "HEAD"])
        .assert()
        .success();
}

#[test]
fn promote_all_push_is_one_commit_per_package_and_one_push() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api", "web"]);
    a.ok(&[
        "promote",
        &puts[0].object,
        &puts[1].object,
        "--to",
        "dev",
        "--push",
    ]);
    daemon.hook(
        "pre-receive",
        &format!("echo push >> '{}'", daemon.bare().join("pushes").display()),
    );
    let outcome = a.ok(&["promote", "--all", "--to", "staging", "--push"]);
    assert_eq!(outcome["promotions"].as_array().unwrap().len(), 2);
    assert_eq!(
        daemon.env_tip("staging").as_deref(),
        outcome["tip"].as_str()
    );
    let pushes = std::fs::read_to_string(daemon.bare().join("pushes")).unwrap();
    assert_eq!(pushes, "push\n");
}

#[test]
fn a_push_that_loses_the_race_is_rebuilt_on_the_new_tip() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api", "web"]);
    a.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    let b = daemon.clone_repo();
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    b.git_command(&["pull", "-q", "--ff-only", "origin", "main"]);
    let web2 = a.put_version_set("web", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    // Between B's fetch and its push, A promotes another package.
    race_once(&b, &a, &format!("promote {} --to dev --push", web2.object));
    let output = b
        .berth()
        .args(["promote", &api2.object, "--to", "dev", "--push"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rebuilt on its new tip (1 retries)"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("(2 tries)"), "{stdout}");

    // B's commit is on A's: both promotions are on the remote's first parents.
    let tip = daemon.env_tip("dev").unwrap();
    assert_eq!(b.env_tip("dev").as_deref(), Some(tip.as_str()));
    let ours = b.commit(&tip);
    assert_eq!(ours.trailers["Berth-Object"], api2.object);
    assert_eq!(ours.parents[1], api2.commit);
    b.git_command(&["fetch", "-q", "origin"]);
    let theirs = b.commit(&ours.parents[0]);
    assert_eq!(theirs.trailers["Berth-Object"], web2.object);
}

#[test]
fn a_changed_entry_on_the_remote_is_a_conflict_and_nothing_is_pushed() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let api2 = a.put_version_set("api", 2);
    let api3 = a.put_version_set("api", 3);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    let local = b.env_tip("dev");
    // B builds on dev as its fetch left it; A moves `api` before B's push, and
    // again after B fetched anew and built on that, before its second push.
    race(
        &b,
        &a,
        &[
            &format!("promote {} --to dev --push", api2.object),
            &format!("promote {} --to dev --push", puts[0].object),
        ],
    );
    let (code, report) = b.json(&["promote", &api3.object, "--to", "dev", "--push"]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(error_code(&report), "berth::conflict");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("expected to hold {}", api2.object))
            && message.contains(&format!("now holds {}", puts[0].object)),
        "{message}"
    );
    let remote = daemon.env_tip("dev").unwrap();
    let ours = a.commit(&remote);
    assert_eq!(
        (
            ours.trailers["Berth-Action"].as_str(),
            &ours.trailers["Berth-Object"]
        ),
        ("promote", &puts[0].object),
        "the remote holds A's promotions only"
    );
    assert_eq!(
        a.commit(&ours.parents[0]).trailers["Berth-Object"],
        api2.object
    );
    assert_eq!(b.env_tip("dev"), local, "B's local ref is where it was");
}

#[test]
fn a_push_on_refs_as_last_fetched_runs_no_fetch() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    // The first promotion has no remote-tracking ref of dev to build on: it
    // fetches. The second builds on what the first pushed, and only pushes.
    let first = ["promote", &puts[0].object, "--to", "dev", "--push"];
    assert_eq!(transfers(&a, &first), (1, 1));
    let second = ["promote", &api2.object, "--to", "dev", "--push"];
    assert_eq!(transfers(&a, &second), (0, 1));
    let tip = daemon.env_tip("dev").unwrap();
    assert_eq!(a.commit(&tip).trailers["Berth-Object"], api2.object);
    assert_eq!(a.env_tip("dev").as_deref(), Some(tip.as_str()));
}

#[test]
fn what_a_stale_clone_already_holds_is_promoted_again_on_the_remote_tip() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    // A moves dev on; B, not having fetched since, still sees version 1 there.
    a.ok(&["promote", &api2.object, "--to", "dev", "--push"]);
    let outcome = b.ok(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    assert_eq!(outcome["promotions"].as_array().map(Vec::len), Some(1));
    let tip = daemon.env_tip("dev").unwrap();
    assert_eq!(outcome["tip"].as_str(), Some(tip.as_str()));
    let ours = b.commit(&tip);
    assert_eq!(ours.trailers["Berth-Object"], puts[0].object);
    assert_eq!(
        b.commit(&ours.parents[0]).trailers["Berth-Object"],
        api2.object
    );
}

#[test]
fn a_promotion_from_an_upstream_that_moved_on_the_remote_takes_its_new_state() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api", "web"]);
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&[
        "promote",
        &puts[0].object,
        &puts[1].object,
        "--to",
        "dev",
        "--push",
    ]);
    a.ok(&["promote", "web@dev", "--to", "staging", "--push"]);
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    a.ok(&["promote", &api2.object, "--to", "dev", "--push"]);
    let dev = daemon.env_tip("dev").unwrap();
    // B's dev is as its fetch left it, version 1. Its push holds dev to that
    // tip, which the remote no longer has: berth fetches and plans again.
    let (fetches, pushes) = transfers(&b, &["promote", "api@dev", "--to", "staging", "--push"]);
    assert_eq!((fetches, pushes), (1, 2));
    let tip = daemon.env_tip("staging").unwrap();
    let ours = b.commit(&tip);
    assert_eq!(ours.trailers["Berth-Object"], api2.object);
    assert_eq!(ours.trailers["Berth-From"], "dev");
    assert_eq!(ours.parents[1], dev);
    assert_eq!(b.env_tip("dev").as_deref(), Some(dev.as_str()));
}

#[test]
fn an_object_committed_but_never_pushed_is_refused_and_nothing_is_pushed() {
    let daemon = Daemon::start();
    let (a, _) = shared(&daemon, &["api"]);
    let unpushed = a.put_version_set("api", 2);
    let before = daemon.refs();
    let (code, report) = a.json(&["promote", &unpushed.object, "--to", "dev", "--push"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(error_code(&report), "berth::unpublished-source");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&unpushed.commit[..12]),
        "{report:#}"
    );
    assert_eq!(daemon.refs(), before);
    assert_eq!(a.env_tip("dev"), None);

    // Promoted from an environment whose commit is only local: refused too.
    let web = a.put_version_set("web", 1);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&["promote", &web.object, "--to", "dev"]);
    let (code, report) = a.json(&["promote", "web@dev", "--to", "staging", "--push"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(error_code(&report), "berth::unpublished-source");
    assert_eq!(daemon.env_tip("staging"), None);
}

#[test]
fn a_local_environment_with_unpushed_promotions_is_not_pushed_over() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api", "web"]);
    a.ok(&["promote", &puts[0].object, "--to", "dev"]);
    let local = a.env_tip("dev");
    let (code, report) = a.json(&["promote", &puts[1].object, "--to", "dev", "--push"]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(error_code(&report), "berth::env-diverged");
    assert_eq!(daemon.env_tip("dev"), None);
    assert_eq!(a.env_tip("dev"), local);
}

#[test]
fn an_unreachable_remote_exits_4_and_writes_nothing() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let before = refs_under(&a, "refs/");
    drop(daemon);
    let (code, report) = a.json(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::remote-unreachable");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("fetch from")
    );
    let (code, report) = a.json(&["fetch"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::remote-unreachable");
    assert_eq!(refs_under(&a, "refs/"), before);
}

#[test]
fn a_server_that_refuses_exits_4_with_its_words() {
    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    daemon.hook(
        "pre-receive",
        "echo 'env/dev is protected: promotions go through a pull request'\nexit 1",
    );
    let (code, report) = a.json(&["promote", &puts[0].object, "--to", "dev", "--push"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::push-refused");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("pre-receive hook declined"), "{message}");
    assert!(
        message.contains("env/dev is protected: promotions go through a pull request"),
        "{message}"
    );
    assert_eq!(daemon.env_tip("dev"), None);
    assert_eq!(a.env_tip("dev"), None);
}

#[test]
fn remotes_that_are_not_there_or_lack_the_catalog_are_named() {
    let daemon = Daemon::start();
    let a = Repo::init();
    let (code, report) = a.json(&["fetch"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::unknown-remote");
    let (code, report) = a.json(&["fetch", "https://example.invalid/x.git"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::unknown-remote");

    // The daemon's repository is empty: it has no catalog branch.
    a.git_command(&["remote", "add", "shared", &daemon.url()]);
    let (code, report) = a.json(&["fetch", "shared"]);
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(error_code(&report), "berth::remote-ref-missing");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("refs/heads/main"),
        "{report:#}"
    );
}

#[test]
fn environments_outside_refs_heads_cannot_be_fetched() {
    let daemon = Daemon::start();
    let a = daemon.seeded();
    let settings = a.read("berth.toml");
    a.write(
        "berth.toml",
        &settings.replace(
            "env_ref_prefix = \"refs/heads/env/\"",
            "env_ref_prefix = \"refs/deploy/\"",
        ),
    );
    a.git_commit_all("environments outside refs/heads");
    let (code, report) = a.json(&["fetch"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(error_code(&report), "berth::untracked-environments");
}

/// The library's push reports a ref the remote moved as `remote-moved`: the
/// promotion retries on it, so the command line never shows it.
#[test]
fn a_push_that_is_no_fast_forward_is_remote_moved() {
    use miette::Diagnostic;

    let daemon = Daemon::start();
    let (a, puts) = shared(&daemon, &["api"]);
    let git = berth::repo::Git::open_root(a.path()).unwrap().unwrap();
    let main = berth::repo::Oid::from_str(&puts[0].commit).unwrap();
    let parent = git.commit(main).unwrap().parents[0];
    let update = berth::repo::RefUpdate {
        refname: "refs/heads/main".to_owned(),
        new: parent,
    };
    let report = git.push("origin", &[update], &[]).unwrap();
    assert_eq!(
        report.refs[0].status,
        berth::repo::PushStatus::Rejected(berth::repo::Rejection::NonFastForward)
    );
    let error = report.into_result("origin").unwrap_err();
    assert_eq!(
        error.code().map(|code| code.to_string()).as_deref(),
        Some("berth::remote-moved")
    );
    assert_eq!(
        daemon.tip("refs/heads/main").as_deref(),
        Some(puts[0].commit.as_str())
    );
}

/// The remote's first-parent history of environment `env`, newest first: each
/// commit's id and its `Berth-Object`.
fn remote_log(repo: &Repo, env: &str) -> Vec<(String, Option<String>)> {
    repo.git_command(&["fetch", "-q", "origin"]);
    repo.git_command(&[
        "log",
        "--first-parent",
        "--format=%H %(trailers:key=Berth-Object,valueonly,separator=)",
        &format!("refs/remotes/origin/env/{env}"),
    ])
    .lines()
    .map(|line| match line.split_once(' ') {
        Some((id, object)) if !object.trim().is_empty() => {
            (id.to_owned(), Some(object.trim().to_owned()))
        }
        _ => (line.trim().to_owned(), None),
    })
    .collect()
}

/// 16 promoters in 4 clones at once, round after round: every promotion of a
/// package of its own lands; of the package they all want, each promoter that
/// exited 0 is on the remote's first-parent history and each that exited 3
/// pushed nothing; the remote's environment passes the audit. Two rounds by
/// default, to keep the suite quick on two cores; `BERTH_REMOTE_ROUNDS=20` runs
/// the twenty, as `.ci/run` does in a step of its own.
#[test]
fn sixteen_promoters_in_four_clones_lose_nothing() {
    let rounds: u32 = std::env::var("BERTH_REMOTE_ROUNDS")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2);
    const OWN: u32 = 3;
    let daemon = Daemon::start();
    let a = daemon.seeded();
    let mut data = Vec::new();
    for round in 0..rounds {
        for clone in 0..4 {
            for own in 0..OWN {
                data.push(crate::support::version_set(
                    &format!("p{clone}-{own}"),
                    round + 1,
                ));
            }
            data.push(crate::support::version_set("hot", round * 4 + clone + 1));
        }
    }
    let puts = a.put_objects("version-sets", &data);
    a.git_command(&["push", "-q", "origin", "main"]);
    let clones: Vec<Repo> = std::iter::once(a)
        .chain((1..4).map(|_| daemon.clone_repo()))
        .collect();

    let mut put = puts.iter();
    for round in 0..rounds {
        let mut running = Vec::new();
        for clone in &clones {
            for _ in 0..=OWN {
                let object = put.next().unwrap().object.clone();
                let child = clone
                    .berth_process()
                    .args([
                        "promote", &object, "--to", "dev", "--push", "--format", "json",
                    ])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                running.push((object, child));
            }
        }
        let finished: Vec<(String, std::process::Output)> = running
            .into_iter()
            .map(|(object, child)| (object, child.wait_with_output().unwrap()))
            .collect();
        let log = remote_log(&clones[0], "dev");
        let landed: Vec<&str> = log.iter().filter_map(|(_, o)| o.as_deref()).collect();
        for (object, output) in &finished {
            let hot = data
                .iter()
                .zip(&puts)
                .any(|(value, put)| put.object == *object && value["package"] == "hot");
            match output.status.code() {
                Some(0) => {
                    let outcome = crate::support::stdout_json(output);
                    let commit = outcome["promotions"][0]["commit"].as_str().unwrap();
                    assert!(
                        log.iter().any(|(id, _)| id == commit),
                        "round {round}: {object} exited 0 but {commit} is not on the remote"
                    );
                }
                Some(3) if hot => assert!(
                    !landed.contains(&object.as_str()),
                    "round {round}: {object} exited 3 but is on the remote"
                ),
                _ => panic!("round {round}: {object}: {}", describe(output)),
            }
        }
        for clone in 0..4 {
            for own in 0..OWN {
                let package = format!("p{clone}-{own}");
                let expected = data
                    .iter()
                    .zip(&puts)
                    .find(|(value, _)| {
                        value["package"] == package.as_str()
                            && value == &&crate::support::version_set(&package, round + 1)
                    })
                    .map(|(_, put)| put.object.as_str())
                    .unwrap();
                assert!(
                    landed.contains(&expected),
                    "round {round}: {expected} is not on the remote"
                );
            }
        }
    }
    let c = daemon.clone_repo();
    c.ok(&["fetch"]);
    c.berth()
        .args(["check", "--base", "HEAD"])
        .assert()
        .success();
}

//! A server that dies in the middle of a push: `git daemon` and everything it
//! started (the `receive-pack` serving the push, its hooks) killed at once
//! while a server hook holds the push at a known point. The remote then holds
//! either its old tip or exactly what berth pushed, and passes `git fsck`; the
//! local ref is unchanged (exit 4) or equal to the remote's; and the same
//! command run again, against a daemon restarted on the same repository,
//! finishes it, once.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Daemon, Repo, describe, stdout_json, version_set};

/// A server hook that, the first time it runs at the point `when` (a shell
/// condition), writes a mark file in the directory returned and sleeps: the
/// push is held there until the test kills the server. Later runs pass.
fn hold_once(daemon: &Daemon, name: &str, when: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("held");
    daemon.hook(
        name,
        &format!(
            "cat >/dev/null\n\
             if {when} && [ ! -e '{mark}' ]; then\n  \
               touch '{mark}'\n  \
               sleep 60\n\
             fi\n\
             exit 0",
            mark = mark.display(),
        ),
    );
    dir
}

/// Starts `berth args --format json` in `repo`, its output captured.
fn spawn(repo: &Repo, args: &[&str]) -> Child {
    repo.berth_process()
        .args(args)
        .args(["--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the server hook held the push, then kills the server.
fn kill_at(daemon: &mut Daemon, held: &TempDir, berth: &mut Child) {
    let mark = held.path().join("held");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !mark.exists() {
        if let Some(status) = berth.try_wait().unwrap() {
            panic!("berth ended ({status}) before the server hook ran");
        }
        assert!(Instant::now() < deadline, "the server hook never ran");
        std::thread::sleep(Duration::from_millis(10));
    }
    daemon.kill_all();
}

/// Waits for berth; its exit code and JSON document (the error document on
/// stdout when it failed).
fn finish(berth: Child) -> (i32, Value, String) {
    let output = berth.wait_with_output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    let report = stdout_json(&output);
    (code, report, describe(&output))
}

/// `git` on the bare repository itself, not through the daemon.
fn bare_git(repo: &Repo, bare: &Path, args: &[&str]) -> String {
    let output = repo
        .hermetic("git")
        .arg("--git-dir")
        .arg(bare)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        describe(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// What the bare repository on disk holds for `refname`.
fn bare_tip(repo: &Repo, bare: &Path, refname: &str) -> Option<String> {
    let output = repo
        .hermetic("git")
        .arg("--git-dir")
        .arg(bare)
        .args([
            "rev-parse",
            "-q",
            "--verify",
            &format!("{refname}^{{commit}}"),
        ])
        .output()
        .unwrap();
    output
        .status
        .success()
        .then(|| String::from_utf8(output.stdout).unwrap().trim().to_owned())
}

/// The bare repository is whole: `git fsck` finds nothing wrong.
fn assert_fsck(repo: &Repo, bare: &Path) {
    let output = repo
        .hermetic("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["fsck", "--no-progress", "--no-dangling"])
        .output()
        .unwrap();
    assert!(output.status.success(), "git fsck: {}", describe(&output));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "");
}

/// The `Berth-Object` trailers down the first-parent log of `refname` in the
/// bare repository, newest first.
fn promoted_objects(repo: &Repo, bare: &Path, refname: &str) -> Vec<String> {
    bare_git(
        repo,
        bare,
        &[
            "log",
            "--first-parent",
            "--format=%(trailers:key=Berth-Object,valueonly,separator=%x2C)",
            refname,
        ],
    )
    .lines()
    .filter(|line| !line.is_empty())
    .map(str::to_owned)
    .collect()
}

/// A remote whose catalog holds version 1 of `api` and `web`, `web` promoted to
/// dev through it; the clone that did it, the put of `api`, dev's tip.
fn promoted_web(daemon: &Daemon) -> (Repo, String, String) {
    let a = daemon.seeded();
    let api = a.put_version_set("api", 1);
    let web = a.put_version_set("web", 1);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&["promote", &web.object, "--to", "dev", "--push"]);
    let old = daemon.env_tip("dev").unwrap();
    assert_eq!(a.env_tip("dev").as_deref(), Some(old.as_str()));
    (a, api.object, old)
}

/// After the kill: the push failed with exit 4 naming the remote's failure,
/// and the local environment ref did not move.
fn assert_failed_unmoved(code: i32, report: &Value, output: &str, a: &Repo, old: &str) {
    assert_eq!(code, 4, "{output}");
    assert_eq!(report["error"]["exit_code"], 4, "{output}");
    assert_eq!(
        report["error"]["code"], "berth::remote-unreachable",
        "{output}"
    );
    // The help does not claim the remote is untouched: it may have taken it.
    let help = report["error"]["help"].as_str().unwrap_or("");
    assert!(
        help.contains("the same command run again finishes it"),
        "{help}"
    );
    assert_eq!(a.env_tip("dev").as_deref(), Some(old));
}

#[test]
fn a_server_killed_before_it_takes_a_promotion_has_none_of_it_and_a_retry_lands_it_once() {
    let mut daemon = Daemon::start();
    let (a, api, old) = promoted_web(&daemon);
    let bare = daemon.bare();
    let held = hold_once(&daemon, "pre-receive", "true");

    let args = ["promote", api.as_str(), "--to", "dev", "--push"];
    let before = a.written().without_remote_tracking();
    let mut berth = spawn(&a, &args);
    kill_at(&mut daemon, &held, &mut berth);
    let (code, report, output) = finish(berth);
    assert_failed_unmoved(code, &report, &output, &a, &old);
    assert_eq!(a.written().without_remote_tracking(), before);

    // Not at all: the bare repository still has the old tip and is whole.
    assert_eq!(
        bare_tip(&a, &bare, "refs/heads/env/dev").as_deref(),
        Some(old.as_str())
    );
    assert_fsck(&a, &bare);
    daemon.restart();
    assert_eq!(daemon.env_tip("dev").as_deref(), Some(old.as_str()));

    // The same command again finishes it.
    let outcome = a.ok(&args);
    assert_eq!(outcome["pushed_to"], "origin");
    let tip = outcome["tip"].as_str().unwrap().to_owned();
    assert_eq!(daemon.env_tip("dev").as_deref(), Some(tip.as_str()));
    assert_eq!(a.env_tip("dev").as_deref(), Some(tip.as_str()));
    let commit = a.commit(&tip);
    assert_eq!(commit.parents[0], old);
    assert_eq!(
        promoted_objects(&a, &bare, "refs/heads/env/dev")
            .iter()
            .filter(|object| **object == api)
            .count(),
        1
    );
    assert_eq!(promoted_objects(&a, &bare, "refs/heads/env/dev").len(), 2);
    assert_fsck(&a, &bare);
}

#[test]
fn a_server_killed_after_it_took_a_promotion_keeps_exactly_it_and_a_retry_adds_nothing() {
    let mut daemon = Daemon::start();
    let (a, api, old) = promoted_web(&daemon);
    let bare = daemon.bare();
    // The ref is updated on disk; the server dies before it can say so.
    let held = hold_once(&daemon, "reference-transaction", "[ \"$1\" = committed ]");

    let args = ["promote", api.as_str(), "--to", "dev", "--push"];
    let before = a.written().without_remote_tracking();
    let mut berth = spawn(&a, &args);
    kill_at(&mut daemon, &held, &mut berth);
    let (code, report, output) = finish(berth);
    assert_failed_unmoved(code, &report, &output, &a, &old);
    assert_eq!(a.written().without_remote_tracking(), before);

    // Fully: the bare repository's dev is exactly the promotion.
    let landed = bare_tip(&a, &bare, "refs/heads/env/dev").unwrap();
    assert_ne!(landed, old);
    assert_eq!(
        bare_git(&a, &bare, &["rev-parse", &format!("{landed}^1")]).trim(),
        old
    );
    assert_eq!(
        promoted_objects(&a, &bare, "refs/heads/env/dev")
            .first()
            .map(String::as_str),
        Some(api.as_str())
    );
    assert_fsck(&a, &bare);
    daemon.restart();
    assert_eq!(daemon.env_tip("dev").as_deref(), Some(landed.as_str()));

    // The same command again: the remote already has it; the local ref follows
    // and the remote gains nothing.
    let (code, report) = a.json(&args);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(daemon.env_tip("dev").as_deref(), Some(landed.as_str()));
    assert_eq!(a.env_tip("dev").as_deref(), Some(landed.as_str()));
    assert_eq!(
        promoted_objects(&a, &bare, "refs/heads/env/dev")
            .iter()
            .filter(|object| **object == api)
            .count(),
        1
    );
    assert_fsck(&a, &bare);
}

#[test]
fn a_server_killed_during_put_commit_push_has_the_old_main_or_exactly_the_put() {
    for (hook, when) in [
        ("pre-receive", "true"),
        ("reference-transaction", "[ \"$1\" = committed ]"),
    ] {
        let mut daemon = Daemon::start();
        let a = daemon.seeded();
        a.git_command(&["fetch", "-q", "origin"]);
        let old = daemon.tip("refs/heads/main").unwrap();
        let bare = daemon.bare();
        let held = hold_once(&daemon, hook, when);
        let inputs = tempfile::tempdir().unwrap();
        let file = inputs.path().join("vs.json");
        std::fs::write(&file, version_set("billing", 1).to_string()).unwrap();
        let file = file.display().to_string();
        let args = ["put", "version-sets", file.as_str(), "--commit", "--push"];

        let before = a.written().without_remote_tracking();
        let mut berth = spawn(&a, &args);
        kill_at(&mut daemon, &held, &mut berth);
        let (code, report, output) = finish(berth);
        assert_eq!(code, 4, "{hook}: {output}");
        assert_eq!(report["error"]["exit_code"], 4, "{hook}: {output}");
        assert_eq!(
            report["error"]["code"], "berth::remote-unreachable",
            "{hook}: {output}"
        );
        assert_eq!(
            a.written().without_remote_tracking(),
            before,
            "{hook}: written locally"
        );
        assert_eq!(
            a.tip("refs/heads/main").as_deref(),
            Some(old.as_str()),
            "{hook}: the local branch moved"
        );
        let remote = bare_tip(&a, &bare, "refs/heads/main").unwrap();
        if hook == "pre-receive" {
            assert_eq!(remote, old, "{hook}");
        } else {
            // Exactly one commit on the old tip, adding the version set.
            assert_ne!(remote, old, "{hook}");
            assert_eq!(
                bare_git(&a, &bare, &["rev-list", "--parents", "-n", "1", &remote]).trim(),
                format!("{remote} {old}"),
                "{hook}"
            );
        }
        assert_fsck(&a, &bare);
        daemon.restart();
        assert_eq!(
            daemon.tip("refs/heads/main").as_deref(),
            Some(remote.as_str())
        );

        // Again: the remote holds the version set once, the branch is there.
        let (code, report) = a.json(&args);
        assert_eq!(code, 0, "{hook}: {report:#}");
        let tip = daemon.tip("refs/heads/main").unwrap();
        assert_eq!(a.tip("refs/heads/main").as_deref(), Some(tip.as_str()));
        let added = bare_git(
            &a,
            &bare,
            &[
                "log",
                "--format=%H",
                "--diff-filter=A",
                "refs/heads/main",
                "--",
                "objects/version-sets",
            ],
        );
        assert_eq!(added.lines().count(), 1, "{hook}: {added}");
        assert_eq!(
            bare_git(
                &a,
                &bare,
                &["rev-list", "--count", &format!("{old}..{tip}")]
            )
            .trim(),
            "1",
            "{hook}"
        );
        assert_eq!(
            a.git_command(&["status", "--porcelain", "--untracked-files=all"]),
            "",
            "{hook}"
        );
        assert_fsck(&a, &bare);
    }
}

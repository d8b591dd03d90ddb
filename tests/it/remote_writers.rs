//! The catalog writers' `--push`: the commit built on the remote's tip of the
//! branch, pushed without force to a real `git daemon` on 127.0.0.1, rebuilt
//! when the remote moved, refused where it would publish unasked commits or
//! where the server says no, and nothing written locally unless the remote took
//! it.

use std::process::Stdio;

use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Daemon, Repo, make_executable, run_at, snapshot, version_set};

const EPOCH: i64 = 1_746_000_000;

/// The fixed fields of a config's version 1.
const FIXED: &str = "--type pricing --category logic --applies-to acct_1 --scope account";

/// What the remote's `main` points at, as `git ls-remote` says.
fn remote_main(daemon: &Daemon) -> String {
    daemon.tip("refs/heads/main").unwrap_or_default()
}

/// A berth repository whose `main` is on the daemon as `origin`.
fn seeded() -> (Repo, Daemon) {
    let repo = Repo::init();
    let daemon = Daemon::start();
    repo.git_command(&["remote", "add", "origin", &daemon.url()]);
    repo.git_command(&["push", "-q", "origin", "main"]);
    repo.git_command(&["fetch", "-q", "origin"]);
    (repo, daemon)
}

/// A file outside the repository, for `put` to read.
fn input(dir: &TempDir, name: &str, value: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
    path.display().to_string()
}

fn run(repo: &Repo, line: &str) -> (i32, Value) {
    run_at(repo, EPOCH, line)
}

fn ok(repo: &Repo, line: &str) -> Value {
    let (code, value) = run(repo, line);
    assert_eq!(code, 0, "berth {line}: {value:#}");
    value
}

/// Runs berth expecting a refusal with `exit` and `code` that wrote nothing
/// but the remote-tracking refs its fetch moved; its JSON error document.
fn refused(repo: &Repo, line: &str, exit: i32, code: &str) -> Value {
    let before = repo.written().without_remote_tracking();
    let (got, report) = run(repo, line);
    assert_eq!(got, exit, "berth {line}: {report:#}");
    assert_eq!(report["error"]["code"], code, "berth {line}: {report:#}");
    assert_eq!(report["error"]["exit_code"], exit, "berth {line}");
    for key in ["message", "help"] {
        assert!(
            report["error"][key]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "berth {line}: no {key} in {report:#}"
        );
    }
    assert_eq!(
        repo.written().without_remote_tracking(),
        before,
        "berth {line} wrote something"
    );
    report
}

/// The working tree and index against HEAD, untracked files included.
fn porcelain(repo: &Repo) -> String {
    repo.git_command(&["status", "--porcelain", "--untracked-files=all"])
}

fn parents(repo: &Repo, rev: &str) -> Vec<String> {
    repo.git_command(&["rev-list", "--parents", "-n", "1", rev])
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect()
}

/// The config files of an id in a revision.
fn config_files(repo: &Repo, rev: &str, id: &str) -> Vec<String> {
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

/// A pre-push hook in `repo` that, the first time only, pushes `other`'s main
/// to the remote: the remote moves between berth's fetch and its push.
fn race_with(repo: &Repo, other: &Repo) {
    let marker = repo.path().join(".git/raced");
    let hook = repo.path().join(".git/hooks/pre-push");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{marker}' ]; then\n  touch '{marker}'\n  env -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE git -C '{other}' push -q origin main >&2 || exit 1\nfi\nexit 0\n",
            marker = marker.display(),
            other = other.path().display()
        ),
    )
    .unwrap();
    make_executable(&hook);
}

#[test]
fn put_commit_push_lands_on_the_remote_and_the_local_branch_follows() {
    let (repo, daemon) = seeded();
    let before = repo.tip("refs/heads/main").unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    let output = repo
        .berth()
        .args(["put", "version-sets", &file, "--commit", "--push"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let tip = repo.tip("refs/heads/main").unwrap();
    assert_ne!(tip, before);
    assert_eq!(remote_main(&daemon), tip);
    assert_eq!(parents(&repo, &tip), vec![before]);
    assert_eq!(repo.tip("refs/remotes/origin/main").unwrap(), tip);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("pushed {} to origin/main\n", &tip[..12])),
        "{stdout}"
    );
    // Branch, index and working tree agree, as after --commit alone.
    assert_eq!(porcelain(&repo), "");

    // --push names a remote; the JSON says where the commit went.
    let file = input(&inputs, "vs2.json", &version_set("billing", 2));
    let (code, outcome) = run(&repo, &format!("put version-sets {file} --push=origin"));
    assert_eq!(code, 0, "{outcome:#}");
    let tip = repo.tip("refs/heads/main").unwrap();
    assert_eq!(outcome["commit"], tip.as_str());
    assert_eq!(outcome["pushed"]["remote"], "origin");
    assert_eq!(outcome["pushed"]["branch"], "main");
    assert_eq!(outcome["pushed"]["tip"], tip.as_str());
    assert_eq!(outcome["pushed"]["tries"], 1);
    assert_eq!(remote_main(&daemon), tip);
    assert_eq!(porcelain(&repo), "");
}

#[test]
fn a_branch_behind_the_remote_is_built_on_its_tip_and_brought_there() {
    let (repo, daemon) = seeded();
    let other = daemon.clone_repo();
    let inputs = tempfile::tempdir().unwrap();
    let first = input(&inputs, "a.json", &version_set("billing", 1));
    ok(&other, &format!("put version-sets {first} --push"));
    let theirs = remote_main(&daemon);

    let second = input(&inputs, "b.json", &version_set("search", 1));
    let outcome = ok(&repo, &format!("put version-sets {second} --push"));
    let tip = repo.tip("refs/heads/main").unwrap();
    assert_eq!(remote_main(&daemon), tip);
    assert_eq!(outcome["commit"], tip.as_str());
    assert_eq!(parents(&repo, &tip), vec![theirs]);
    // The other machine's object came along, committed and staged.
    assert_eq!(repo.files("objects/version-sets/billing").len(), 1);
    assert_eq!(porcelain(&repo), "");
}

#[test]
fn two_machines_expecting_version_1_one_writes_2_the_other_exits_3_naming_it() {
    let (a, daemon) = seeded();
    ok(
        &a,
        &format!("config set p --expect-version 0 {FIXED} --set rate=0.02 --push"),
    );
    let b = daemon.clone_repo();
    let b_before = snapshot(&b);
    let b_tip = b.tip("refs/heads/main").unwrap();

    let written = ok(&a, "config set p --expect-version 1 --set rate=0.03 --push");
    assert_eq!(written["version"], 2);
    let report = refused(
        &b,
        "config set p --expect-version 1 --set rate=0.04 --push",
        3,
        "berth::config-conflict",
    );
    let message = report["error"]["message"].as_str().unwrap();
    let help = report["error"]["help"].as_str().unwrap();
    assert!(
        format!("{message} {help}").contains("version 2"),
        "{report:#}"
    );
    // The remote has exactly one version 2: A's.
    let remote = remote_main(&daemon);
    assert_eq!(remote, a.tip("refs/heads/main").unwrap());
    assert_eq!(config_files(&a, &remote, "p").len(), 2);
    // B wrote nothing, and its branch did not move.
    assert_eq!(b.tip("refs/heads/main").unwrap(), b_tip);
    assert_eq!(snapshot(&b), b_before);
    assert_eq!(porcelain(&b), "");
}

#[test]
fn a_version_pushed_while_berth_pushes_is_found_on_the_rebuild_and_refused() {
    let (a, daemon) = seeded();
    ok(
        &a,
        &format!("config set p --expect-version 0 {FIXED} --set rate=0.02 --push"),
    );
    let b = daemon.clone_repo();
    // B writes version 2 and commits it, but pushes it only while A pushes.
    ok(
        &b,
        "config set p --expect-version 1 --set rate=0.05 --commit",
    );
    race_with(&a, &b);
    let a_before = snapshot(&a);
    let report = refused(
        &a,
        "config set p --expect-version 1 --set rate=0.03 --push",
        3,
        "berth::config-conflict",
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("version 2"),
        "{report:#}"
    );
    let remote = remote_main(&daemon);
    assert_eq!(remote, b.tip("refs/heads/main").unwrap());
    assert_eq!(config_files(&a, &remote, "p").len(), 2);
    assert_eq!(snapshot(&a), a_before);
}

#[test]
fn a_remote_moved_by_an_unrelated_commit_is_rebuilt_on_and_followed() {
    let (a, daemon) = seeded();
    let b = daemon.clone_repo();
    b.write("docs/notes.txt", "unrelated\n");
    let theirs = b.git_commit_all("Notes");
    race_with(&a, &b);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    let output = a
        .berth()
        .args(["put", "version-sets", &file, "--push"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let tip = a.tip("refs/heads/main").unwrap();
    assert_eq!(remote_main(&daemon), tip);
    assert_eq!(parents(&a, &tip), vec![theirs]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("pushed {} to origin/main (2 tries", &tip[..12])),
        "{stdout}"
    );
    // The other commit's file is checked out and staged with berth's.
    assert_eq!(a.read("docs/notes.txt"), "unrelated\n");
    assert_eq!(porcelain(&a), "");
}

#[test]
fn local_commits_the_remote_lacks_are_refused_before_anything_is_written() {
    let (repo, daemon) = seeded();
    repo.write("docs/local.txt", "mine\n");
    let local = repo.git_commit_all("Local only");
    let remote = remote_main(&daemon);
    let before = snapshot(&repo);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    let report = refused(
        &repo,
        &format!("put version-sets {file} --push"),
        1,
        "berth::unpushed-commits",
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("git push origin main"),
        "{report:#}"
    );
    assert_eq!(repo.tip("refs/heads/main").unwrap(), local);
    assert_eq!(remote_main(&daemon), remote);
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_server_that_refuses_exits_4_with_its_words_and_nothing_is_written() {
    let (repo, daemon) = seeded();
    daemon.hook(
        "pre-receive",
        "echo 'main is protected: changes go through a pull request' >&2\nexit 1",
    );
    let remote = remote_main(&daemon);
    let before = snapshot(&repo);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    let report = refused(
        &repo,
        &format!("put version-sets {file} --push"),
        4,
        "berth::push-refused",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("main is protected: changes go through a pull request"),
        "{report:#}"
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("pull request"),
        "{report:#}"
    );
    assert_eq!(remote_main(&daemon), remote);
    assert_eq!(repo.tip("refs/heads/main").unwrap(), remote);
    assert_eq!(snapshot(&repo), before);
    assert_eq!(porcelain(&repo), "");
}

#[test]
fn an_unreachable_remote_exits_4_and_nothing_is_written() {
    let (repo, daemon) = seeded();
    let tip = repo.tip("refs/heads/main").unwrap();
    drop(daemon);
    let before = snapshot(&repo);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    refused(
        &repo,
        &format!("put version-sets {file} --push"),
        4,
        "berth::remote-unreachable",
    );
    refused(
        &repo,
        &format!("config set p --expect-version 0 {FIXED} --set rate=0.02 --push"),
        4,
        "berth::remote-unreachable",
    );
    assert_eq!(repo.tip("refs/heads/main").unwrap(), tip);
    assert_eq!(snapshot(&repo), before);
    assert_eq!(porcelain(&repo), "");
}

/// A tag list file outside the repository.
fn tags(dir: &TempDir, name: &str, lines: &[(&str, u8)]) -> String {
    let text: String = lines
        .iter()
        .map(|(tag, n)| format!("{tag} sha256:{}\n", format!("{n:02x}").repeat(32)))
        .collect();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn the_registry_release_and_mark_writers_push_too() {
    let (repo, daemon) = seeded();
    let inputs = tempfile::tempdir().unwrap();
    let run_ok = |args: &[&str]| {
        let output = repo.berth().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "berth {args:?}: {output:?}");
        let tip = repo.tip("refs/heads/main").unwrap();
        assert_eq!(remote_main(&daemon), tip, "berth {args:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            stdout.contains(&format!("pushed {} to origin/main\n", &tip[..12])),
            "berth {args:?}: {stdout}"
        );
        assert_eq!(porcelain(&repo), "", "berth {args:?}");
        tip
    };
    run_ok(&[
        "component",
        "add",
        "api",
        "--image",
        "registry.example.com/shop/api",
        "--push",
    ]);
    let list = tags(&inputs, "tags.txt", &[("v1.0.0", 0xab)]);
    run_ok(&["versions", "import", "api", &list, "--push"]);
    run_ok(&["release", "create", "shop", "--version", "1.0.0", "--push"]);
    let (_, listed) = repo.json(&["ls", "releases"]);
    let release = format!(
        "releases/{}",
        listed["objects"][0]["hash"].as_str().unwrap()
    );
    run_ok(&["mark", &release, "ready", "--push"]);
    // Each write is one commit on the last.
    assert_eq!(
        repo.git_command(&["rev-list", "--count", "origin/main"])
            .trim(),
        "5"
    );
}

#[test]
fn a_file_the_remote_changed_since_it_was_read_is_refused_with_exit_3() {
    let (a, daemon) = seeded();
    let inputs = tempfile::tempdir().unwrap();
    ok(
        &a,
        "component add api --image registry.example.com/shop/api --push",
    );
    let b = daemon.clone_repo();
    let theirs = tags(&inputs, "theirs.txt", &[("v1.0.0", 1)]);
    ok(&b, &format!("versions import api {theirs} --push"));
    let remote = remote_main(&daemon);
    // A read the version map before B's tags: appending to it on the remote's
    // tip would drop them.
    let ours = tags(&inputs, "ours.txt", &[("v1.1.0", 2)]);
    let report = refused(
        &a,
        &format!("versions import api {ours} --push"),
        3,
        "berth::remote-changed",
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("git pull --ff-only origin main"),
        "{report:#}"
    );
    assert_eq!(remote_main(&daemon), remote);
}

#[test]
fn an_uncommitted_change_the_remote_would_overwrite_is_refused() {
    let (a, daemon) = seeded();
    a.write("docs/notes.txt", "first\n");
    a.git_commit_all("Notes");
    a.git_command(&["push", "-q", "origin", "main"]);
    let b = daemon.clone_repo();
    b.write("docs/notes.txt", "theirs\n");
    b.git_commit_all("Their notes");
    b.git_command(&["push", "-q", "origin", "main"]);
    let remote = remote_main(&daemon);
    a.write("docs/notes.txt", "mine, not committed\n");
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    refused(
        &a,
        &format!("put version-sets {file} --push"),
        1,
        "berth::would-overwrite",
    );
    assert_eq!(remote_main(&daemon), remote);
    assert_eq!(a.read("docs/notes.txt"), "mine, not committed\n");
}

#[test]
fn a_push_the_local_branch_cannot_follow_says_it_landed() {
    let (a, daemon) = seeded();
    a.write("docs/notes.txt", "first\n");
    a.git_commit_all("Notes");
    a.git_command(&["push", "-q", "origin", "main"]);
    let local = a.tip("refs/heads/main").unwrap();
    let b = daemon.clone_repo();
    b.write("docs/notes.txt", "theirs\n");
    let theirs = b.git_commit_all("Their notes");
    b.git_command(&["push", "-q", "origin", "main"]);
    // Someone edits the file while berth pushes.
    let hook = a.path().join(".git/hooks/pre-push");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho 'edited meanwhile' > '{}'\n",
            a.path().join("docs/notes.txt").display()
        ),
    )
    .unwrap();
    make_executable(&hook);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    let (code, report) = run(&a, &format!("put version-sets {file} --push"));
    assert_eq!(code, 4, "{report:#}");
    assert_eq!(report["error"]["code"], "berth::pushed-not-followed");
    let pushed = remote_main(&daemon);
    assert_eq!(parents(&a, &pushed), vec![theirs]);
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("pushed {}", &pushed[..12])),
        "{report:#}"
    );
    // The local branch stayed where it was; the edit was not overwritten.
    assert_eq!(a.tip("refs/heads/main").unwrap(), local);
    assert_eq!(a.read("docs/notes.txt"), "edited meanwhile\n");
}

#[test]
fn a_remote_that_is_not_configured_is_refused() {
    let (repo, _daemon) = seeded();
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    refused(
        &repo,
        &format!("put version-sets {file} --push=upstream"),
        4,
        "berth::unknown-remote",
    );
}

#[test]
fn a_link_the_remote_added_is_left_to_git_and_nothing_is_pushed() {
    let (a, daemon) = seeded();
    let b = daemon.clone_repo();
    std::os::unix::fs::symlink("/etc/passwd", b.path().join("link")).unwrap();
    b.git_commit_all("A link");
    b.git_command(&["push", "-q", "origin", "main"]);
    let remote = remote_main(&daemon);
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    refused(
        &a,
        &format!("put version-sets {file} --push"),
        1,
        "berth::remote-not-plain",
    );
    assert_eq!(remote_main(&daemon), remote);
    assert!(std::fs::symlink_metadata(a.path().join("link")).is_err());
}

#[test]
fn a_remote_that_keeps_moving_is_given_up_on_after_five_tries_with_exit_3() {
    let (a, daemon) = seeded();
    let b = daemon.clone_repo();
    // Every push of A's loses to one of B's.
    let hook = a.path().join(".git/hooks/pre-push");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nenv -u GIT_DIR -u GIT_WORK_TREE -u GIT_INDEX_FILE sh -c \"git -C '{b}' commit -q --allow-empty -m again && git -C '{b}' push -q origin main\" >&2 || exit 1\n",
            b = b.path().display()
        ),
    )
    .unwrap();
    make_executable(&hook);
    let local = a.tip("refs/heads/main").unwrap();
    let inputs = tempfile::tempdir().unwrap();
    let file = input(&inputs, "vs.json", &version_set("billing", 1));
    refused(
        &a,
        &format!("put version-sets {file} --push"),
        3,
        "berth::remote-moved",
    );
    assert_eq!(a.tip("refs/heads/main").unwrap(), local);
    let remote = remote_main(&daemon);
    assert_eq!(remote, b.tip("refs/heads/main").unwrap());
    // Five tries, five of B's commits; none of A's on the remote.
    assert_eq!(
        b.git_command(&["rev-list", "--count", &format!("{local}..{remote}")])
            .trim(),
        "5"
    );
    assert_eq!(
        b.git_command(&["ls-tree", "-r", "--name-only", &remote, "objects"]),
        ""
    );
}

/// Runs berth in each repository at once; each one's exit code and JSON.
fn at_once(runs: Vec<(&Repo, String)>) -> Vec<(i32, Value)> {
    let children: Vec<_> = runs
        .iter()
        .map(|(repo, line)| {
            repo.berth_process()
                .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
                .args(line.split_whitespace())
                .args(["--format", "json"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| {
            let output = child.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(!stderr.contains("panicked"), "{stderr}");
            (
                output.status.code().unwrap(),
                crate::support::stdout_json(&output),
            )
        })
        .collect()
}

#[test]
fn four_machines_expecting_the_same_version_at_once_write_it_once() {
    let (seed, daemon) = seeded();
    ok(
        &seed,
        &format!("config set p --expect-version 0 {FIXED} --set rate=0.02 --push"),
    );
    let clones: Vec<Repo> = (0..4).map(|_| daemon.clone_repo()).collect();
    let runs = clones
        .iter()
        .enumerate()
        .map(|(n, repo)| {
            (
                repo,
                format!(
                    "config set p --expect-version 1 --set rate=0.0{} --push",
                    n + 3
                ),
            )
        })
        .collect();
    let results = at_once(runs);
    seed.git_command(&["fetch", "-q", "origin"]);
    let winners: Vec<usize> = (0..4).filter(|n| results[*n].0 == 0).collect();
    assert_eq!(winners.len(), 1, "{results:#?}");
    let winner = &clones[winners[0]];
    let remote = remote_main(&daemon);
    assert_eq!(winner.tip("refs/heads/main").unwrap(), remote);
    assert_eq!(config_files(&seed, &remote, "p").len(), 2);
    for (n, (code, report)) in results.iter().enumerate() {
        if winners.contains(&n) {
            assert_eq!(report["version"], 2);
            continue;
        }
        assert_eq!(*code, 3, "{report:#}");
        assert_eq!(
            report["error"]["code"], "berth::config-conflict",
            "{report:#}"
        );
        assert!(
            report["error"]["help"]
                .as_str()
                .unwrap()
                .contains("version 2"),
            "{report:#}"
        );
        // The losers wrote nothing: their branch is where they cloned it.
        assert_eq!(config_files(&clones[n], "HEAD", "p").len(), 1);
        assert_eq!(clones[n].files("objects/configs/p").len(), 1);
        assert_eq!(porcelain(&clones[n]), "");
    }
}

#[test]
fn four_machines_putting_different_objects_at_once_all_land_or_exit_3() {
    let (seed, daemon) = seeded();
    let clones: Vec<Repo> = (0..4).map(|_| daemon.clone_repo()).collect();
    let inputs = tempfile::tempdir().unwrap();
    let files: Vec<String> = (0..4)
        .map(|n| {
            input(
                &inputs,
                &format!("vs{n}.json"),
                &version_set("billing", n + 1),
            )
        })
        .collect();
    let runs = clones
        .iter()
        .zip(&files)
        .map(|(repo, file)| (repo, format!("put version-sets {file} --push")))
        .collect();
    let results = at_once(runs);
    seed.git_command(&["fetch", "-q", "origin"]);
    let remote = remote_main(&daemon);
    let on_remote = seed.git_command(&["ls-tree", "-r", "--name-only", &remote, "objects"]);
    for (n, (code, report)) in results.iter().enumerate() {
        let path = report["objects"][0]["path"].as_str().map(str::to_owned);
        match code {
            0 => {
                let path = path.unwrap();
                assert!(on_remote.lines().any(|line| line == path), "{report:#}");
                // Its commit is on the remote's first-parent history.
                let commit = report["commit"].as_str().unwrap();
                let first_parents = seed.git_command(&["rev-list", "--first-parent", &remote]);
                assert!(first_parents.lines().any(|line| line == commit));
                assert_eq!(porcelain(&clones[n]), "");
            }
            3 => {
                assert_eq!(report["error"]["code"], "berth::remote-moved", "{report:#}");
                assert_eq!(clones[n].files("objects"), Vec::<String>::new());
            }
            other => panic!("exit {other}: {report:#}"),
        }
    }
    // The remote's history is a line: nothing was forced or merged.
    let merges = seed.git_command(&["rev-list", "--merges", &remote]);
    assert_eq!(merges, "");
    let landed = results.iter().filter(|(code, _)| *code == 0).count();
    assert_eq!(on_remote.lines().count(), landed);
    assert!(landed >= 1, "{results:#?}");
}

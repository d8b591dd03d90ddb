//! `kill -9` at every moment of the writers, in a loop: afterwards `git fsck` is
//! clean, the index agrees with the branch, the working tree with the index, and
//! `berth check` and `berth validate` pass; running the command again completes it.
//!
//! Each command is first timed uninterrupted; then it is killed after 0, 1/K, 2/K,
//! ... of that time, so the kills sweep the whole run, the moments inside git's
//! locks included. A kill inside the locks leaves the lock files, as a killed git
//! does, and git refuses to write until they are removed; the index then holds
//! either what it held before or the new files staged, never less than the branch.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Repo, independent_hash, version_set};

/// Kills per command.
const KILLS: u32 = 10;

/// The lock files under the git directory: what a process killed inside git's
/// locks leaves behind.
fn locks(git_dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(git_dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|entry| entry.path().extension().is_some_and(|e| e == "lock"))
        .map(|entry| entry.path().to_owned())
        .collect()
}

/// Asserts what must hold after any kill, and removes the locks a kill inside
/// the critical section left (as git's message tells the user to, once no process
/// is running).
fn assert_consistent(repo: &Repo, what: &str) {
    let git_dir = repo.path().join(".git");
    let left = locks(&git_dir);
    repo.git_command(&["fsck", "--strict", "--no-progress", "--no-dangling"]);
    let staged = repo.git_command(&["diff", "--cached", "--name-status", "HEAD"]);
    for line in staged.lines() {
        // The only difference a kill may leave: new files staged, inside the locks.
        assert!(
            !left.is_empty() && line.starts_with("A\tobjects/"),
            "{what}: the index differs from the branch: {line} (locks left: {left:?})"
        );
    }
    let unstaged = repo.git_command(&["diff", "--name-status"]);
    assert_eq!(
        unstaged, "",
        "{what}: the working tree differs from the index"
    );
    for lock in &left {
        std::fs::remove_file(lock).unwrap();
    }
    for args in [&["check"][..], &["validate"]] {
        let output = repo.berth().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{what}: berth {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Runs `args` to completion, asserting success; how long it took.
fn run(repo: &Repo, args: &[String]) -> Duration {
    let started = Instant::now();
    let output = repo.berth().args(args).output().unwrap();
    assert!(
        output.status.success(),
        "berth {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    started.elapsed()
}

/// Starts `args`, kills it with SIGKILL after `delay` (if it is still running),
/// and checks the repository.
fn kill_after(repo: &Repo, args: &[String], delay: Duration) {
    let mut child = repo
        .berth_process()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    child.wait().unwrap();
    assert_consistent(repo, &format!("berth {args:?} killed after {delay:?}"));
}

/// Sweeps kills over one command: `make(i)` gives the i-th command line, run to
/// completion once to time it and then, after each kill, again to finish it.
fn sweep(repo: &Repo, make: impl Fn(u32) -> Vec<String>) {
    let full = run(repo, &make(0));
    for i in 1..=KILLS {
        let args = make(i);
        kill_after(repo, &args, full * (i - 1) / KILLS);
        run(repo, &args);
        let clean = repo.git_command(&["status", "--porcelain", "--untracked-files=no"]);
        assert_eq!(clean, "", "berth {args:?} run again left changes");
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| (*arg).to_owned()).collect()
}

#[test]
fn kill_9_during_put_commit_never_loses_or_half_writes_an_object() {
    let repo = Repo::init();
    sweep(&repo, |i| {
        let data = version_set("billing", 100 + i);
        let file = format!("input/{}.json", independent_hash(&data));
        repo.write_json(&file, &data);
        strings(&["put", "version-sets", &file, "--commit"])
    });
}

#[test]
fn kill_9_during_config_set_commit_never_loses_or_half_writes_a_version() {
    let repo = Repo::init();
    sweep(&repo, |i| {
        // The idempotency key makes running it again after a kill that landed
        // return that version rather than conflict.
        let expect = i.to_string();
        let price = format!("price={}", 10 + i);
        let at = format!("2025-05-01T00:{:02}:00Z", i);
        let key = format!("set-{i}");
        let mut args = strings(&["config", "set", "pricing-acct-1", "--expect-version"]);
        args.extend(strings(&[&expect, "--set", &price, "--effective-at", &at]));
        args.extend(strings(&["--idempotency-key", &key, "--commit"]));
        if i == 0 {
            args.extend(strings(&[
                "--type",
                "pricing",
                "--category",
                "logic",
                "--applies-to",
                "acct_1",
                "--scope",
                "account",
            ]));
        }
        args
    });
}

#[test]
fn kill_9_during_promote_and_rollback_leaves_the_environment_whole() {
    let repo = Repo::init();
    let objects: Vec<String> = (0..=KILLS)
        .map(|i| repo.put_version_set("billing", i).object)
        .collect();
    sweep(&repo, |i| {
        strings(&["promote", &objects[i as usize], "--to", "dev"])
    });
    sweep(&repo, |_| strings(&["rollback", "billing", "--env", "dev"]));
}

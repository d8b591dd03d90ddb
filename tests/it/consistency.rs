//! Every writer leaves branch, index and working tree consistent with each other,
//! whatever fails and whoever writes at the same time: it takes git's index and
//! ref locks the way git does, and a refusal leaves all three as they were.

use std::process::{Output, Stdio};

use crate::support::{
    NEW_PRICING, Repo, describe, independent_hash, refused, stdout_json, version_set,
};

const MAIN: &str = "refs/heads/main";

/// `git status --porcelain` of tracked files: what a plain `git commit -a` would
/// change. Empty when index and working tree both match HEAD.
fn tracked_changes(repo: &Repo) -> String {
    repo.git_command(&["status", "--porcelain", "--untracked-files=no"])
}

/// The files git has staged under `dir`, from the index.
fn staged(repo: &Repo, dir: &str) -> Vec<String> {
    repo.git_command(&["ls-files", "--", dir])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The files HEAD's tree has under `dir`.
fn committed(repo: &Repo, dir: &str) -> Vec<String> {
    repo.git_command(&["ls-tree", "-r", "--name-only", "HEAD", "--", dir])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Writes a version set of `package` as an input file; its path.
fn input(repo: &Repo, package: &str, n: u32) -> String {
    let data = version_set(package, n);
    let file = format!("input/{}.json", independent_hash(&data));
    repo.write_json(&file, &data);
    file
}

/// `put --commit` while another process holds the lock at `lock` (relative to the
/// repository) is refused with exit 3, naming the lock in `message` (its path is
/// `{}`) and in the help, and writes nothing: no object, nothing staged, the
/// branch where it was, the other process's lock left and berth's own released.
/// Once the lock is gone the same command lands, and git agrees.
fn put_commit_refused_while_locked(lock: &str, message: &str) {
    let repo = Repo::init();
    let file = input(&repo, "billing", 1);
    let tip = repo.tip(MAIN);
    let lock = repo.path().join(lock);
    std::fs::write(&lock, "").unwrap();

    let report = refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        3,
        "berth::locked",
    );
    let shown = lock.display().to_string();
    assert_eq!(report["error"]["message"], message.replace("{}", &shown));
    assert!(
        report["error"]["help"].as_str().unwrap().contains(&shown),
        "{report:#}"
    );
    assert_eq!(repo.tip(MAIN), tip, "the branch did not move");
    assert_eq!(
        repo.files("objects"),
        Vec::<String>::new(),
        "no object was left"
    );
    assert_eq!(staged(&repo, "objects"), Vec::<String>::new());
    assert!(lock.exists(), "another process's lock is never removed");
    for own in [".git/index.lock", ".git/refs/heads/main.lock"] {
        let own = repo.path().join(own);
        assert!(own == lock || !own.exists(), "berth's own lock is released");
    }

    std::fs::remove_file(&lock).unwrap();
    let put = repo.ok(&["put", "version-sets", &file, "--commit"]);
    let path = put["objects"][0]["path"].as_str().unwrap();
    assert_eq!(committed(&repo, "objects"), [path]);
    assert_eq!(staged(&repo, "objects"), [path]);
    assert_eq!(tracked_changes(&repo), "");
}

#[test]
fn put_commit_with_the_index_locked_writes_nothing_and_names_the_lock() {
    put_commit_refused_while_locked(".git/index.lock", "the index is locked: `{}` exists");
}

#[test]
fn put_commit_with_the_branch_locked_writes_nothing_and_names_the_lock() {
    put_commit_refused_while_locked(
        ".git/refs/heads/main.lock",
        &format!("`{MAIN}` is locked: `{{}}` exists"),
    );
}

#[test]
fn config_set_commit_with_the_index_locked_can_simply_be_retried() {
    let repo = Repo::init();
    let line = [NEW_PRICING, &["--set", "price=10", "--commit"]].concat();
    let lock = repo.path().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    refused(&repo, &line, 3, "berth::locked");
    assert_eq!(repo.files("objects"), Vec::<String>::new());
    std::fs::remove_file(&lock).unwrap();

    // The retry is not mistaken for someone else having written version 1.
    let set = repo.ok(&line);
    assert_eq!(set["version"], 1, "{set:#}");
    assert_eq!(committed(&repo, "objects").len(), 1);
    assert_eq!(staged(&repo, "objects"), committed(&repo, "objects"));
    assert_eq!(tracked_changes(&repo), "");
}

fn spawn_put(repo: &Repo, file: &str) -> std::process::Child {
    repo.berth_process()
        .args(["put", "version-sets", file, "--commit", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn concurrent_put_commits_of_different_packages_all_land_and_git_agrees() {
    const N: u32 = 8;
    let repo = Repo::init();
    let files: Vec<String> = (0..N)
        .map(|i| input(&repo, &format!("pkg{i}"), i))
        .collect();
    let children: Vec<_> = files.iter().map(|file| spawn_put(&repo, file)).collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect();
    let mut paths = Vec::new();
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", describe(output));
        let put = stdout_json(output);
        paths.push(put["objects"][0]["path"].as_str().unwrap().to_owned());
    }
    paths.sort();
    // Every object is on the branch, in the index and in the working tree, and
    // the branch grew by exactly one commit per put.
    assert_eq!(committed(&repo, "objects"), paths);
    assert_eq!(staged(&repo, "objects"), paths);
    assert_eq!(repo.files("objects"), paths);
    assert_eq!(tracked_changes(&repo), "");
    let count = repo.git_command(&["rev-list", "--count", "HEAD"]);
    assert_eq!(count.trim(), (N + 1).to_string());
    repo.git_command(&["fsck", "--strict", "--no-progress"]);
}

//! Hermetic repositories and helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

/// Makes this process's libgit2 read no system, global or XDG git configuration,
/// as the berth processes the tests run read none (see [`Repo::berth`]): a user's
/// `init.defaultBranch` or `core.autocrlf` must not change what a test sees.
fn hermetic_git2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        for level in [
            git2::ConfigLevel::System,
            git2::ConfigLevel::XDG,
            git2::ConfigLevel::Global,
            git2::ConfigLevel::ProgramData,
        ] {
            // SAFETY: called once, before this process opens any repository.
            unsafe { git2::opts::set_search_path(level, "") }.unwrap();
        }
    });
}

/// Opens a repository in this process, with no git configuration but its own.
pub fn open_git(path: &Path) -> git2::Repository {
    hermetic_git2();
    git2::Repository::open(path).unwrap()
}

/// Makes a repository in this process, with no git configuration but its own.
pub fn init_git(path: &Path) -> git2::Repository {
    hermetic_git2();
    git2::Repository::init(path).unwrap()
}

/// A temporary directory to run berth in, with its own HOME so no user or system
/// git configuration leaks in.
pub struct Repo {
    dir: TempDir,
    home: TempDir,
}

impl Repo {
    /// An empty directory (no git repository).
    pub fn empty() -> Repo {
        Repo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    /// A berth repository made by `berth init --commit`.
    pub fn init() -> Repo {
        let repo = Repo::empty();
        repo.berth().args(["init", "--commit"]).assert().success();
        repo
    }

    /// A repository holding a fixture tree from `fixtures/`, with berth.toml from
    /// `berth init` where the fixture has none.
    pub fn fixture(name: &str) -> Repo {
        let repo = Repo::empty();
        copy_tree(&fixtures_dir().join(name), repo.path());
        if !repo.path().join("berth.toml").exists() {
            repo.write("berth.toml", &berth::settings::default_file("main"));
        }
        init_git(repo.path());
        repo
    }

    /// A fixture whose `setup.sh` has run (see tests/it/fixtures.rs); the berth
    /// arguments its `args` names, if any.
    pub fn scripted(name: &str) -> (Repo, Option<Vec<String>>) {
        let repo = Repo::fixture(name);
        let dir = fixtures_dir().join(name);
        for file in ["setup.sh", "args"] {
            let _ = fs::remove_file(repo.path().join(file));
        }
        if dir.join("setup.sh").exists() {
            let output = repo
                .shell(&dir.join("setup.sh"))
                .env("FIXTURES", fixtures_dir())
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{name}/setup.sh failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let args = fs::read_to_string(dir.join("args"))
            .ok()
            .map(|text| text.split_whitespace().map(str::to_owned).collect());
        (repo, args)
    }

    /// Copies another fixture tree over this repository.
    pub fn overlay(&self, name: &str) {
        copy_tree(&fixtures_dir().join(name), self.path());
    }

    /// The repository's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The berth binary, run in the repository with a fixed identity and clock.
    pub fn berth(&self) -> Command {
        Command::from_std(self.berth_process())
    }

    /// The same, as a plain process (for tests that manage its pipes).
    pub fn berth_process(&self) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("berth"));
        command
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Berth Test")
            .env("GIT_AUTHOR_EMAIL", "test@berth.invalid")
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_NAME", "Berth Test")
            .env("GIT_COMMITTER_EMAIL", "test@berth.invalid")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000")
            .env("NO_COLOR", "1");
        command
    }

    /// The berth binary with no git identity anywhere.
    pub fn berth_without_identity(&self) -> Command {
        let mut command = self.berth();
        for key in [
            "GIT_AUTHOR_NAME",
            "GIT_AUTHOR_EMAIL",
            "GIT_COMMITTER_NAME",
            "GIT_COMMITTER_EMAIL",
        ] {
            command.env_remove(key);
        }
        command
    }

    /// Runs berth with `--format json`: its exit code and stdout parsed as JSON.
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        run_json(self.berth(), args)
    }

    /// The same, with no git identity anywhere.
    pub fn json_without_identity(&self, args: &[&str]) -> (i32, Value) {
        run_json(self.berth_without_identity(), args)
    }

    /// Writes a file, creating directories.
    pub fn write(&self, path: &str, text: &str) -> PathBuf {
        let full = self.path().join(path);
        fs::create_dir_all(full.parent().unwrap()).unwrap();
        fs::write(&full, text).unwrap();
        full
    }

    /// Writes a JSON value, pretty-printed.
    pub fn write_json(&self, path: &str, value: &Value) -> PathBuf {
        self.write(path, &(serde_json::to_string_pretty(value).unwrap() + "\n"))
    }

    /// Reads a file.
    pub fn read(&self, path: &str) -> String {
        fs::read_to_string(self.path().join(path)).unwrap()
    }

    /// Every file under `dir`, relative to the root, sorted.
    pub fn files(&self, dir: &str) -> Vec<String> {
        let base = self.path().join(dir);
        if !base.exists() {
            return Vec::new();
        }
        let mut files: Vec<String> = walkdir::WalkDir::new(&base)
            .into_iter()
            .map(Result::unwrap)
            .filter(|entry| !entry.file_type().is_dir())
            .map(|entry| {
                entry
                    .path()
                    .strip_prefix(self.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.sort();
        files
    }

    /// The git repository.
    pub fn git(&self) -> git2::Repository {
        open_git(self.path())
    }

    /// The commit HEAD points at, or `None` before the first commit.
    pub fn head(&self) -> Option<CommitInfo> {
        let repo = self.git();
        let commit = repo.head().ok()?.peel_to_commit().ok()?;
        let mut paths = Vec::new();
        commit
            .tree()
            .unwrap()
            .walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) {
                    paths.push(format!("{dir}{}", entry.name().unwrap()));
                }
                git2::TreeWalkResult::Ok
            })
            .unwrap();
        Some(CommitInfo {
            id: commit.id().to_string(),
            parents: commit.parent_ids().map(|id| id.to_string()).collect(),
            message: commit.message().unwrap().to_owned(),
            paths,
        })
    }

    /// `git status --porcelain`-like: paths whose index or working tree differs
    /// from HEAD, ignoring untracked files.
    pub fn changed(&self) -> Vec<String> {
        let repo = self.git();
        let mut options = git2::StatusOptions::new();
        options.include_untracked(false);
        let statuses = repo.statuses(Some(&mut options)).unwrap();
        statuses
            .iter()
            .map(|s| s.path().unwrap().to_owned())
            .collect()
    }
}

/// Runs `command` with `args` and `--format json`: its exit code and stdout
/// parsed as JSON.
pub fn run_json(mut command: Command, args: &[&str]) -> (i32, Value) {
    let output = command
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("berth {args:?} was ended by a signal"));
    (code, stdout_json(&output))
}

/// What a test needs to know of a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Its id.
    pub id: String,
    /// Its parents' ids.
    pub parents: Vec<String>,
    /// Its message.
    pub message: String,
    /// Every file in its tree.
    pub paths: Vec<String>,
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        let kind = entry.file_type();
        if kind.is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(entry.path()).unwrap(), &target).unwrap();
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The repository's `fixtures/` directory.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A valid version set for `package`, made distinct by `n`.
pub fn version_set(package: &str, n: u32) -> Value {
    json!({
        "package": package,
        "git_sha": format!("{n:040x}"),
        "created_at": format!("2025-05-{:02}T12:00:00Z", 1 + n % 28),
        "builds": {
            "worker": {
                "artifact_ref": format!("worker-bundles/{package}-{n}"),
                "size_bytes": 1000 + n,
                "compatibility_date": "2025-05-01"
            }
        },
        "migrations": {"do_migrations": []},
        "env_manifest_ref": format!("env-manifests/{package}"),
        "infra_plan_ref": format!("infra-plans/{package}-{n}")
    })
}

/// The lowercase hex SHA-256 of the JCS bytes of a value, computed with libraries
/// independent of berth's own canonicalizer.
pub fn independent_hash(value: &Value) -> String {
    use sha2::Digest;
    let canonical = serde_json_canonicalizer::to_vec(value).unwrap();
    sha2::Sha256::digest(&canonical)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stdout parsed as JSON.
pub fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// A finished process's exit code and output, for an assertion's message.
pub fn describe(output: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Runs `berth <line> --format json` (the line split on whitespace) with berth's
/// clock, SOURCE_DATE_EPOCH, at `epoch`: its exit code and its JSON.
pub fn run_at(repo: &Repo, epoch: i64, line: &str) -> (i32, Value) {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .args(line.split_whitespace())
        .args(["--format", "json"])
        .output()
        .unwrap();
    let code = output.status.code().expect("ended by a signal");
    (code, stdout_json(&output))
}

/// HEAD, the working tree's changes, and every file under objects/ and
/// components/ with its bytes: what a refused command must leave as it was.
pub fn snapshot(repo: &Repo) -> (Option<String>, Vec<String>, Vec<(String, String)>) {
    let mut files = repo.files("components");
    files.extend(repo.files("objects"));
    let contents = files
        .into_iter()
        .map(|path| {
            let text = repo.read(&path);
            (path, text)
        })
        .collect();
    (repo.tip("HEAD"), repo.changed(), contents)
}

/// The finding codes in a JSON document's `findings`, in order.
pub fn codes(value: &Value) -> Vec<String> {
    value["findings"]
        .as_array()
        .map(|findings| {
            findings
                .iter()
                .map(|f| f["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An object put with `berth put --commit`: where it is on the catalog branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Put {
    /// `<store>/<hash>`.
    pub object: String,
    /// The hash.
    pub hash: String,
    /// `objects/<store>/<partition>/<hash>.json`.
    pub path: String,
    /// The partition (for version sets and events, the package).
    pub partition: String,
    /// The catalog commit that added the file.
    pub commit: String,
    /// The file's blob on the catalog branch.
    pub blob: String,
}

/// What a test needs to know of an environment commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvCommit {
    /// Its id.
    pub id: String,
    /// Its parents' ids, in order.
    pub parents: Vec<String>,
    /// The first line of its message.
    pub subject: String,
    /// The `Key: value` lines of the message's last paragraph.
    pub trailers: BTreeMap<String, String>,
    /// Every file of its tree, with its blob id.
    pub files: BTreeMap<String, String>,
    /// The text of its `state.toml`, if it has one.
    pub state: Option<String>,
    /// Its tree's id.
    pub tree: String,
    /// Committer time, seconds since the epoch.
    pub committed: i64,
    /// Author time, seconds since the epoch.
    pub authored: i64,
}

impl EnvCommit {
    /// The paths of its tree, sorted.
    pub fn paths(&self) -> Vec<&str> {
        self.files.keys().map(String::as_str).collect()
    }
}

/// The id git gives an empty file.
/// `config set` creating `pricing-acct-1` (pricing for account acct_1), up to
/// its settings.
pub const NEW_PRICING: &[&str] = &[
    "config",
    "set",
    "pricing-acct-1",
    "--expect-version",
    "0",
    "--type",
    "pricing",
    "--category",
    "logic",
    "--applies-to",
    "acct_1",
    "--scope",
    "account",
];

pub const EMPTY_BLOB: &str = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391";

impl Repo {
    /// Runs berth with `--format json`, asserts it exits 0, and returns its output.
    pub fn ok(&self, args: &[&str]) -> Value {
        run_ok(self.berth(), args)
    }

    /// The same, with the author and committer clock set to `seconds`.
    pub fn ok_at(&self, seconds: i64, args: &[&str]) -> Value {
        run_ok(self.berth_at(seconds), args)
    }

    /// The berth binary with the author and committer clock set to `seconds`.
    pub fn berth_at(&self, seconds: i64) -> Command {
        let date = format!("{seconds} +0000");
        let mut command = self.berth();
        command
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date);
        command
    }

    /// Puts a version set of `package` (see [`version_set`]) and commits it.
    pub fn put_version_set(&self, package: &str, n: u32) -> Put {
        self.put_object("version-sets", &version_set(package, n))
    }

    /// Writes `data` to a file outside `objects/`, then `berth put <store> FILE
    /// --commit` (onto HEAD's branch); the object must be new.
    pub fn put_object(&self, store: &str, data: &Value) -> Put {
        self.put_objects(store, std::slice::from_ref(data))
            .remove(0)
    }

    /// Writes each of `data` to a file outside `objects/`, then puts them all with
    /// one `berth put <store> FILE... --commit`, in the order given; all must be new.
    pub fn put_objects(&self, store: &str, data: &[Value]) -> Vec<Put> {
        let files: Vec<String> = data
            .iter()
            .map(|data| {
                let file = format!("input/{}.json", independent_hash(data));
                self.write_json(&file, data);
                file
            })
            .collect();
        let mut args = vec!["put", store];
        args.extend(files.iter().map(String::as_str));
        args.push("--commit");
        let outcome = self.ok(&args);
        let commit = outcome["commit"].as_str().unwrap();
        let objects = outcome["objects"].as_array().unwrap();
        assert_eq!(objects.len(), data.len());
        objects
            .iter()
            .map(|object| {
                assert_eq!(object["created"], true, "{outcome:#}");
                let text = |key: &str| object[key].as_str().unwrap().to_owned();
                let path = text("path");
                Put {
                    blob: self.blob_at("HEAD", &path).unwrap(),
                    object: text("object"),
                    hash: text("hash"),
                    partition: text("partition"),
                    commit: commit.to_owned(),
                    path,
                }
            })
            .collect()
    }

    /// Records a lifecycle event about an object on the catalog.
    pub fn put_event(&self, subject: &Put, status: &str, at: &str) -> Put {
        self.put_object(
            "events",
            &json!({
                "subject": subject.object,
                "package": subject.partition,
                "status": status,
                "at": at,
            }),
        )
    }

    /// Marks an object ready, as production requires.
    pub fn ready(&self, subject: &Put) -> Put {
        self.put_event(subject, "ready", "2025-05-02T00:00:00Z")
    }

    /// What a ref points at, if it exists.
    pub fn tip(&self, refname: &str) -> Option<String> {
        self.git()
            .refname_to_id(refname)
            .ok()
            .map(|id| id.to_string())
    }

    /// What an environment's ref points at, if it exists.
    pub fn env_tip(&self, env: &str) -> Option<String> {
        self.tip(&format!("refs/heads/env/{env}"))
    }

    /// How many times a ref has moved, from its reflog.
    pub fn moves(&self, refname: &str) -> usize {
        self.git().reflog(refname).unwrap().len()
    }

    /// The blob at `path` in the tree of `rev`.
    pub fn blob_at(&self, rev: &str, path: &str) -> Option<String> {
        let repo = self.git();
        let tree = repo.revparse_single(rev).ok()?.peel_to_tree().ok()?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        Some(entry.id().to_string())
    }

    /// Reads a commit, its trailers and its tree.
    pub fn commit(&self, id: &str) -> EnvCommit {
        let repo = self.git();
        let commit = repo.find_commit(git2::Oid::from_str(id).unwrap()).unwrap();
        let message = commit.message().unwrap().to_owned();
        let tree = commit.tree().unwrap();
        let mut files = BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                files.insert(
                    format!("{dir}{}", entry.name().unwrap()),
                    entry.id().to_string(),
                );
            }
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        let state = files.get("state.toml").map(|blob| {
            let blob = repo.find_blob(git2::Oid::from_str(blob).unwrap()).unwrap();
            String::from_utf8(blob.content().to_vec()).unwrap()
        });
        EnvCommit {
            id: id.to_owned(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            subject: message.lines().next().unwrap_or_default().to_owned(),
            trailers: message_trailers(&message),
            files,
            state,
            tree: tree.id().to_string(),
            committed: commit.committer().when().seconds(),
            authored: commit.author().when().seconds(),
        }
    }

    /// An environment's log: its first-parent commits, newest first.
    pub fn env_log(&self, env: &str) -> Vec<EnvCommit> {
        let mut log = Vec::new();
        let mut next = self.env_tip(env);
        while let Some(id) = next {
            let commit = self.commit(&id);
            next = commit.parents.first().cloned();
            log.push(commit);
        }
        log
    }

    /// Stages everything in the working tree and commits it on HEAD's branch with
    /// git itself, as a user would; the new commit.
    pub fn git_commit_all(&self, message: &str) -> String {
        self.git_command(&["add", "-A"]);
        self.git_command(&["commit", "-q", "--no-verify", "-m", message]);
        self.tip("HEAD").unwrap()
    }

    /// Runs git in the repository with the same hermetic environment as berth,
    /// asserting it succeeds; its stdout.
    pub fn git_command(&self, args: &[&str]) -> String {
        let output = self.hermetic("git").args(args).output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

impl Repo {
    /// A program run in the repository with the same hermetic environment as berth.
    pub fn hermetic(&self, program: &str) -> std::process::Command {
        let template = self.berth_process();
        let mut command = std::process::Command::new(program);
        command.current_dir(self.path()).env_clear();
        for (key, value) in template.get_envs() {
            if let Some(value) = value {
                command.env(key, value);
            }
        }
        command
    }

    /// A shell script run in the repository with the hermetic environment, the
    /// berth under test first on PATH.
    pub fn shell(&self, script: &Path) -> std::process::Command {
        let berth = assert_cmd::cargo::cargo_bin("berth");
        let mut path = std::ffi::OsString::from(berth.parent().unwrap());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut command = self.hermetic("sh");
        command.arg(script).env("PATH", path);
        command
    }
}

/// Runs `command` with `args` and `--format json`, asserting it exits 0; its
/// stdout parsed as JSON.
pub fn run_ok(mut command: Command, args: &[&str]) -> Value {
    let output = command
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "berth {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_json(&output)
}

/// The trailers of a commit message, checking that it is a subject line, a blank
/// line, then only `Key: value` lines, or before them one line of body (the
/// reason of an override) and a blank line.
pub fn message_trailers(message: &str) -> BTreeMap<String, String> {
    let mut lines = message.lines();
    let subject = lines.next().unwrap_or_default();
    if lines.clone().next().is_none() {
        return BTreeMap::new();
    }
    assert!(!subject.is_empty(), "no subject: {message:?}");
    assert_eq!(
        lines.next(),
        Some(""),
        "no blank line after the subject: {message:?}"
    );
    let rest: Vec<&str> = lines.collect();
    let last = rest
        .iter()
        .rposition(|line| line.is_empty())
        .map_or(0, |blank| blank + 1);
    assert!(
        last == 0 || (last == 2 && !rest[0].is_empty()),
        "more than one line of body: {message:?}"
    );
    rest[last..]
        .iter()
        .map(|line| {
            let (key, value) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a trailer: {line:?} in {message:?}"));
            (key.to_owned(), value.to_owned())
        })
        .collect()
}

/// Trailers as a map, for comparing with [`EnvCommit::trailers`].
pub fn trailers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
        .collect()
}

/// A state.toml as berth writes it: `(package, object, tags)` in the order given.
pub fn state_toml(entries: &[(&str, &str, &[&str])]) -> String {
    entries
        .iter()
        .map(|(package, object, tags)| {
            let tags: Vec<String> = tags.iter().map(|tag| format!("\"{tag}\"")).collect();
            format!(
                "[packages.{package}]\nobject = \"{object}\"\ntags = [{}]\n",
                tags.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

impl Repo {
    /// Puts version sets of `(package, n)` (see [`version_set`]) with one `berth
    /// put --commit`, in the order given; all must be new.
    pub fn put_version_sets(&self, sets: &[(&str, u32)]) -> Vec<Put> {
        let data: Vec<Value> = sets
            .iter()
            .map(|(package, n)| version_set(package, *n))
            .collect();
        self.put_objects("version-sets", &data)
    }
}

impl Repo {
    /// A berth repository made by `berth init --commit` under cargo's temporary
    /// directory for tests, for a fixture shared by several tests in a static that
    /// is never dropped: it stays in `target/tmp` rather than the system's, named
    /// for this process, and the next test run removes it.
    pub fn init_in_target() -> Repo {
        let parent = Path::new(env!("CARGO_TARGET_TMPDIR"));
        remove_shared_repositories_of_ended_runs(parent);
        let pid = std::process::id();
        let dir = |kind: &str| {
            tempfile::Builder::new()
                .prefix(&format!("shared-{kind}-{pid}-"))
                .tempdir_in(parent)
                .unwrap()
        };
        let repo = Repo {
            dir: dir("repo"),
            home: dir("home"),
        };
        repo.berth().args(["init", "--commit"]).assert().success();
        repo
    }
}

/// A commit made by hand on environment `env`, as no berth command would make
/// it: `tree`, parents the environment's tip and `source`, `message`, under a
/// fixed identity and time; the environment's ref moves to it. Its id.
pub fn commit_on_env_by_hand(
    repo: &Repo,
    env: &str,
    source: &str,
    tree: git2::Oid,
    message: &str,
) -> String {
    let git = repo.git();
    let tip = git
        .find_commit(git2::Oid::from_str(&repo.env_tip(env).unwrap()).unwrap())
        .unwrap();
    let source = git
        .find_commit(git2::Oid::from_str(source).unwrap())
        .unwrap();
    let tree = git.find_tree(tree).unwrap();
    let time = git2::Time::new(1_700_000_000, 0);
    let signature = git2::Signature::new("Berth Test", "test@berth.invalid", &time).unwrap();
    let id = git
        .commit(
            None,
            &signature,
            &signature,
            message,
            &tree,
            &[&tip, &source],
        )
        .unwrap();
    git.reference(&format!("refs/heads/env/{env}"), id, true, "by hand")
        .unwrap();
    id.to_string()
}

/// Removes, once per test run, the shared repositories (see
/// [`Repo::init_in_target`]) of test processes that have ended.
fn remove_shared_repositories_of_ended_runs(parent: &Path) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(entries) = fs::read_dir(parent) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("shared-")
                .and_then(|rest| rest.split('-').nth(1));
            let Some(pid) = pid else {
                continue;
            };
            let ended = pid.parse::<u32>().is_err() || !Path::new("/proc").join(pid).exists();
            if ended && pid != std::process::id().to_string() {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    });
}

/// Everything a command could write: the working tree (files by bytes, links by
/// target, anything else by its kind), the refs and HEAD, the index, the reflogs
/// and any lock file.
#[derive(Debug, PartialEq, Eq)]
pub struct Written {
    tree: BTreeMap<String, String>,
    refs: BTreeMap<String, String>,
    head: String,
    index: Option<Vec<u8>>,
    logs: BTreeMap<String, Vec<u8>>,
    locks: Vec<String>,
}

impl Written {
    /// The same without remote-tracking refs and their logs, which a fetch
    /// moves to follow the remote whatever the command then does.
    pub fn without_remote_tracking(mut self) -> Written {
        self.refs
            .retain(|name, _| !name.starts_with("refs/remotes/"));
        self.logs
            .retain(|path, _| !path.starts_with("refs/remotes/"));
        self
    }
}

fn walk(root: &Path, skip_git: bool) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    if !root.exists() {
        return found;
    }
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .into_iter()
        .filter_entry(|entry| !(skip_git && entry.depth() == 1 && entry.file_name() == ".git"));
    for entry in walker {
        let entry = entry.unwrap();
        let path = entry
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let kind = entry.file_type();
        let what = if kind.is_dir() {
            "dir".to_owned()
        } else if kind.is_symlink() {
            format!("link -> {}", fs::read_link(entry.path()).unwrap().display())
        } else if kind.is_file() {
            independent_hash(&Value::String(format!(
                "{:?}",
                fs::read(entry.path()).unwrap()
            )))
        } else {
            "special".to_owned()
        };
        found.insert(path, what);
    }
    found
}

impl Repo {
    /// Everything a command could have written, to compare before and after.
    pub fn written(&self) -> Written {
        written(self)
    }
}

fn written(repo: &Repo) -> Written {
    let git_dir = repo.path().join(".git");
    let git = repo.git();
    let refs = git
        .references()
        .unwrap()
        .map(|reference| {
            let reference = reference.unwrap();
            let name = reference.name().unwrap().to_owned();
            let target = match reference.target() {
                Some(id) => id.to_string(),
                None => reference.symbolic_target().unwrap().unwrap().to_owned(),
            };
            (name, target)
        })
        .collect();
    let head = fs::read_to_string(git_dir.join("HEAD")).unwrap();
    let logs = walk(&git_dir.join("logs"), false)
        .into_keys()
        .filter_map(|path| {
            let bytes = fs::read(git_dir.join("logs").join(&path)).ok()?;
            Some((path, bytes))
        })
        .collect();
    let locks = walk(&git_dir, false)
        .into_keys()
        .filter(|path| path.ends_with(".lock"))
        .collect();
    Written {
        tree: walk(repo.path(), true),
        refs,
        head,
        index: fs::read(git_dir.join("index")).ok(),
        logs,
        locks,
    }
}

/// Runs berth with `args` and `--format json` (at `epoch`, as SOURCE_DATE_EPOCH,
/// when given), asserting it exits `exit`, does not panic and writes nothing (see
/// [`Written`]). Its JSON.
pub fn refused_json(repo: &Repo, epoch: Option<i64>, args: &[&str], exit: i32) -> Value {
    let before = repo.written();
    let mut command = repo.berth();
    if let Some(epoch) = epoch {
        command.env("SOURCE_DATE_EPOCH", epoch.to_string());
    }
    let output = command
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    assert_eq!(output.status.code(), Some(exit), "{args:?}: {stderr}");
    let report = stdout_json(&output);
    assert_eq!(repo.written(), before, "{args:?} wrote something");
    report
}

/// [`refused_json`] for a command's error: the error `code`, its exit code, a
/// message and a help line. The JSON error document.
pub fn refused_at(repo: &Repo, epoch: Option<i64>, args: &[&str], exit: i32, code: &str) -> Value {
    let report = refused_json(repo, epoch, args, exit);
    assert_eq!(report["error"]["code"], code, "{args:?}: {report:#}");
    assert_eq!(report["error"]["exit_code"], exit, "{args:?}");
    for key in ["message", "help"] {
        assert!(
            report["error"][key]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{args:?}: no {key} in {report:#}"
        );
    }
    report
}

/// [`refused_at`] the current time.
pub fn refused(repo: &Repo, args: &[&str], exit: i32, code: &str) -> Value {
    refused_at(repo, None, args, exit, code)
}

/// The tests' own libgit2 finds no git configuration outside the repository.
#[test]
fn in_process_git_reads_no_user_or_system_configuration() {
    let dir = TempDir::new().unwrap();
    let git = init_git(dir.path());
    for (level, found) in [
        ("global", git2::Config::find_global()),
        ("xdg", git2::Config::find_xdg()),
        ("system", git2::Config::find_system()),
    ] {
        assert!(
            found.is_err(),
            "a {level} configuration was found: {found:?}"
        );
    }
    let config = git.config().unwrap().snapshot().unwrap();
    let mut levels = Vec::new();
    let mut entries = config.entries(None).unwrap();
    while let Some(entry) = entries.next() {
        levels.push(entry.unwrap().level());
    }
    assert!(
        levels
            .iter()
            .all(|level| *level == git2::ConfigLevel::Local),
        "{levels:?}"
    );
}

/// A bare repository served by `git daemon` on 127.0.0.1, pushes enabled, for
/// the tests of fetching and pushing. Each test starts its own; dropping it
/// kills the daemon.
pub struct Daemon {
    base: TempDir,
    home: TempDir,
    child: std::process::Child,
    port: u16,
}

impl Daemon {
    /// An empty bare repository `remote.git`, served once the daemon accepts
    /// connections.
    pub fn start() -> Daemon {
        let base = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        let bare = base.path().join("remote.git");
        let init = hermetic_command("git", home.path())
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(&bare)
            .output()
            .unwrap();
        assert!(init.status.success(), "{}", describe(&init));
        // A port another test takes between our probe and the daemon's bind makes
        // the daemon exit: try another.
        for _ in 0..20 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Daemon::spawn(base.path(), home.path(), port);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Daemon {
                        base,
                        home,
                        child,
                        port,
                    };
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("git daemon did not start");
    }

    /// `git daemon` serving `base` on `port`, in a process group of its own so
    /// that `kill_all` reaches the processes it starts.
    fn spawn(base: &Path, home: &Path, port: u16) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        hermetic_command("git", home)
            .arg("daemon")
            .arg("--reuseaddr")
            .arg(format!("--base-path={}", base.display()))
            .args([
                "--export-all",
                "--enable=receive-pack",
                "--informative-errors",
            ])
            .arg("--listen=127.0.0.1")
            .arg(format!("--port={port}"))
            .arg(base)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap()
    }

    /// Kills the daemon and every process it started (a `receive-pack` in the
    /// middle of a push, its hooks) at once, as a server that dies would.
    pub fn kill_all(&mut self) {
        let group = format!("-{}", self.child.id());
        let status = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .status()
            .unwrap();
        assert!(status.success(), "kill {group}: {status}");
        let _ = self.child.wait();
    }

    /// Serves the same repository again, on the same port, after `kill_all`.
    pub fn restart(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let mut child = Daemon::spawn(self.base.path(), self.home.path(), self.port);
            while std::time::Instant::now() < deadline {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
                if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                    self.child = child;
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("git daemon did not start again on port {}", self.port);
    }

    /// The repository's URL.
    pub fn url(&self) -> String {
        format!("git://127.0.0.1:{}/remote.git", self.port)
    }

    /// The bare repository on disk.
    pub fn bare(&self) -> PathBuf {
        self.base.path().join("remote.git")
    }

    /// Installs a server hook (`pre-receive`, `update`) as a shell script.
    pub fn hook(&self, name: &str, script: &str) {
        let path = self.bare().join("hooks").join(name);
        fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        make_executable(&path);
    }

    /// Every ref the daemon advertises, by `git ls-remote`: name to commit.
    pub fn refs(&self) -> BTreeMap<String, String> {
        let output = hermetic_command("git", self.home.path())
            .args(["ls-remote", &self.url()])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .filter_map(|line| line.split_once('\t'))
            .map(|(id, name)| (name.to_owned(), id.to_owned()))
            .collect()
    }

    /// What the daemon advertises for `refname`.
    pub fn tip(&self, refname: &str) -> Option<String> {
        self.refs().remove(refname)
    }

    /// What the daemon advertises for environment `env`.
    pub fn env_tip(&self, env: &str) -> Option<String> {
        self.tip(&format!("refs/heads/env/{env}"))
    }

    /// A berth repository (`berth init --commit`) whose `origin` is this
    /// daemon, its catalog branch pushed there.
    pub fn seeded(&self) -> Repo {
        let repo = Repo::init();
        repo.git_command(&["remote", "add", "origin", &self.url()]);
        repo.git_command(&["push", "-q", "origin", "main"]);
        repo
    }

    /// A new clone of the daemon's repository, `origin` pointing at it.
    pub fn clone_repo(&self) -> Repo {
        let repo = Repo::empty();
        repo.git_command(&["clone", "-q", &self.url(), "."]);
        repo
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `program` with no environment but PATH and a HOME of its own.
fn hermetic_command(program: &str, home: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    command
}

/// Sets a file's executable bits.
pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut permissions = fs::metadata(path).unwrap().permissions();
    permissions.set_mode(0o755);
    fs::set_permissions(path, permissions).unwrap();
}

/// Checks a command's JSON against its published output schema, every object
/// closed to properties the schema does not describe.
pub fn assert_matches_schema(name: &str, value: &Value) {
    fn closed(schema: &mut Value) {
        match schema {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".to_owned(), false.into());
                }
                map.values_mut().for_each(closed);
            }
            Value::Array(items) => items.iter_mut().for_each(closed),
            _ => {}
        }
    }
    let path = format!("{}/schemas/output/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    closed(&mut schema);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{name}: {errors:?}\n{value:#}");
}

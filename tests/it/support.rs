//! Hermetic repositories and helpers shared by the integration tests.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

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
        git2::Repository::init(repo.path()).unwrap();
        repo
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
        git2::Repository::open(self.path()).unwrap()
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
fn run_json(mut command: Command, args: &[&str]) -> (i32, Value) {
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

fn copy_tree(from: &Path, to: &Path) {
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

//! The pre-commit framework running berth's hook from `.pre-commit-hooks.yaml`, as
//! a project that lists berth in its `.pre-commit-config.yaml` would: pre-commit
//! clones a repository holding this crate, builds berth with its rust language
//! (`cargo install --path .` in the clone), and `git commit` runs the hook. The
//! manifest's other hook, `berth-validate-system`, runs the berth on PATH instead:
//! the same commits, with the berth under test installed and nothing built.
//!
//! pre-commit comes from PyPI and its build of berth is a release build, so both are
//! cached under cargo's target directory, in `pre-commit/`, and reused by later
//! runs: the venv, pre-commit's own cache (`PRE_COMMIT_HOME`), cargo's target
//! directory for the hook's build, and the hook repository itself. That repository
//! is committed with a fixed identity and clock and kept at a path named by its
//! commit, so the same sources give the same `repo` and `rev` and pre-commit finds
//! the hook already built. Every cached directory is made under a temporary name
//! and renamed into place, so concurrent runs never see half of one.
//!
//! It needs the network (PyPI) and, the first time, minutes of release build, so
//! it is ignored by a plain `cargo test`; CI runs it in a step of its own.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::version_set;

/// The pre-commit release the test installs.
const PRE_COMMIT_VERSION: &str = "4.7.0";

/// What of this crate `cargo install --path .` needs: the manifests, the hook
/// manifest, the sources and the files the sources `include_str!`. Nothing else,
/// so that editing a test, a fixture or the README keeps the hook repository's
/// commit and does not cost a rebuild.
const HOOK_REPOSITORY_FILES: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    ".pre-commit-hooks.yaml",
    "src",
    "examples/tour",
];

#[test]
#[ignore = "installs pre-commit from PyPI and builds berth inside it: CI runs it in a step of its own, `cargo test --locked --test it -- --ignored precommit::`"]
fn pre_commit_runs_the_hook_and_refuses_a_commit_with_a_bad_object() {
    let cache = cache_dir();
    let python = pre_commit_python(&cache);
    let (hook_repository, rev) = hook_repository(&cache);
    let project = Project::new(&cache, &python);
    project.use_hook(&hook_repository, &rev, "berth-validate");
    // Builds the hook's environment now (the slow part, the first time), so that a
    // failed build shows as itself rather than as a failed commit.
    project.pre_commit(&["install", "--install-hooks"]);

    let refused = refuses_a_bad_object(&project);

    // What is committed is what is staged: the valid object staged and a broken
    // one left in the working tree commits, and leaves the working tree as it was.
    project.write(&refused.path, &refused.valid);
    project.git(&["add", "-A"]);
    project.write(&refused.path, &refused.edited);
    assert_passed(&project.commit("Add billing 2"));
    assert_eq!(project.git(&["rev-parse", "HEAD~1"]).trim(), refused.head);
    assert_eq!(
        project.git(&["show", &format!("HEAD:{}", refused.path)]),
        refused.valid
    );
    assert_eq!(project.read(&refused.path), refused.edited);

    // Drops the hook environments that earlier runs built for other sources (their
    // projects are gone), so the cache holds one build rather than one per change.
    project.pre_commit(&["gc"]);
}

#[test]
#[ignore = "installs pre-commit from PyPI: CI runs it in a step of its own, `cargo test --locked --test it -- --ignored precommit::`"]
fn pre_commit_runs_the_installed_berth_with_the_system_hook() {
    let cache = cache_dir();
    let python = pre_commit_python(&cache);
    // pre-commit reads the manifest as this crate ships it.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    succeed(
        Command::new(&python)
            .args(["-m", "pre_commit", "validate-manifest"])
            .arg(&manifest),
    );
    let (hook_repository, rev) = hook_repository(&cache);
    // The berth under test is the one installed: nothing is built.
    let project = Project::new(&cache, &python).with_berth_on_path();
    project.use_hook(&hook_repository, &rev, "berth-validate-system");
    project.pre_commit(&["install", "--install-hooks"]);
    refuses_a_bad_object(&project);
}

/// What [`refuses_a_bad_object`] left: the refused object's path, its valid and
/// its edited text, and HEAD, which the refusal did not move.
struct Refused {
    path: String,
    valid: String,
    edited: String,
    head: String,
}

/// Commits billing 1 through the hook, then has the hook refuse billing 2 staged
/// with data that no longer matches its name.
fn refuses_a_bad_object(project: &Project) -> Refused {
    project.put_version_set("billing", 1);
    project.git(&["add", "-A"]);
    assert_passed(&project.commit("Add billing 1"));
    let head = project.head();

    // A second object whose data no longer matches its name.
    let path = project.put_version_set("billing", 2);
    let valid = project.read(&path);
    let mut data: Value = serde_json::from_str(&valid).unwrap();
    data["builds"]["worker"]["size_bytes"] = 1003.into();
    let edited = data.to_string();
    project.write(&path, &edited);
    project.git(&["add", "-A"]);
    let refused = project.commit("Add billing 2");
    let output = text(&refused);
    assert_eq!(refused.status.code(), Some(1), "{output}");
    assert!(output.contains("berth validate"), "{output}");
    assert!(output.contains("Failed"), "{output}");
    // berth itself exited 1, for findings: not 2, for an error.
    assert!(output.contains("- exit code: 1"), "{output}");
    assert!(output.contains("berth::hash-mismatch"), "{output}");
    assert!(output.contains(&path), "{output}");
    assert_eq!(project.head(), head, "HEAD moved:\n{output}");
    Refused {
        path,
        valid,
        edited,
        head,
    }
}

/// Asserts that a `git commit` succeeded with the hook run and passed.
fn assert_passed(commit: &Output) {
    let output = text(commit);
    assert_eq!(commit.status.code(), Some(0), "{output}");
    assert!(
        output
            .lines()
            .any(|line| line.starts_with("berth validate") && line.ends_with("Passed")),
        "the hook did not run:\n{output}"
    );
}

/// `<target>/pre-commit`, where everything this test caches lives.
fn cache_dir() -> PathBuf {
    // Cargo's temporary directory for integration tests is `<target dir>/tmp`,
    // wherever CARGO_TARGET_DIR or a config put the target directory.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let cache = target.join("pre-commit");
    fs::create_dir_all(&cache).unwrap();
    cache
}

/// The python of a venv holding pre-commit, installed from PyPI the first time.
///
/// The venv is built under a temporary name and renamed into place, so its scripts'
/// shebangs name a path that no longer exists: pre-commit is run as
/// `python -m pre_commit`, which is also how the git hook it installs runs it.
fn pre_commit_python(cache: &Path) -> PathBuf {
    let venv = cache.join("venv");
    let python = venv.join("bin").join("python");
    if has_pre_commit(&python) {
        return python;
    }
    let staging = tempfile::Builder::new()
        .prefix("venv-")
        .tempdir_in(cache)
        .unwrap();
    succeed(
        Command::new("python3")
            .args(["-m", "venv"])
            .arg(staging.path()),
    );
    succeed(
        Command::new(staging.path().join("bin").join("python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("pre-commit=={PRE_COMMIT_VERSION}")),
    );
    if venv.exists() && !has_pre_commit(&python) {
        // Another version, or a broken venv.
        fs::remove_dir_all(&venv).unwrap();
    }
    // A concurrent run may have renamed its own venv into place first; either will do.
    let _ = fs::rename(staging.path(), &venv);
    assert!(
        has_pre_commit(&python),
        "no pre-commit in {}",
        venv.display()
    );
    python
}

/// Whether `python -m pre_commit` is the pinned release.
fn has_pre_commit(python: &Path) -> bool {
    Command::new(python)
        .args(["-m", "pre_commit", "--version"])
        .output()
        .is_ok_and(|output| {
            output.status.success()
                && output.stdout == format!("pre-commit {PRE_COMMIT_VERSION}\n").as_bytes()
        })
}

/// A git repository holding this crate's sources in one commit, and that commit's
/// id; the same sources always make the same commit at the same path.
fn hook_repository(cache: &Path) -> (PathBuf, String) {
    let hooks = cache.join("hooks");
    fs::create_dir_all(&hooks).unwrap();
    let staging = tempfile::Builder::new()
        .prefix(".new-")
        .tempdir_in(&hooks)
        .unwrap();
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    for path in HOOK_REPOSITORY_FILES {
        copy(&crate_dir.join(path), &staging.path().join(path));
    }
    let home = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| succeed(hermetic("git", staging.path(), home.path()).args(args));
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "berth"]);
    let rev = git(&["rev-parse", "HEAD"]).trim().to_owned();
    let repository = hooks.join(&rev);
    if !repository.exists() {
        // A concurrent run may have renamed the same commit into place first.
        let _ = fs::rename(staging.path(), &repository);
    }
    assert!(repository.join(".git").is_dir(), "{}", repository.display());
    (repository, rev)
}

/// Copies a file, or a directory's files, to `to`.
fn copy(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(from).unwrap();
        // Joining an empty path would add a trailing slash to a file's name.
        let target = if relative.as_os_str().is_empty() {
            to.to_owned()
        } else {
            to.join(relative)
        };
        if entry.file_type().is_dir() {
            fs::create_dir_all(&target).unwrap();
        } else {
            fs::create_dir_all(target.parent().unwrap()).unwrap();
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A project using berth through pre-commit: a temporary git repository with its
/// own HOME.
struct Project {
    dir: TempDir,
    home: TempDir,
    cache: PathBuf,
    python: PathBuf,
    /// PATH for every command, when it differs from the test's.
    path: Option<OsString>,
}

impl Project {
    fn new(cache: &Path, python: &Path) -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            cache: cache.to_owned(),
            python: python.to_owned(),
            path: None,
        }
    }

    /// The same, with the berth under test first on PATH, as an installed berth.
    fn with_berth_on_path(self) -> Project {
        let berth = Path::new(env!("CARGO_BIN_EXE_berth"));
        let mut path = OsString::from(berth.parent().unwrap());
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        Project {
            path: Some(path),
            ..self
        }
    }

    /// `git init`, `berth init`, and a `.pre-commit-config.yaml` naming the hook
    /// `id` of the repository at `rev`.
    fn use_hook(&self, repository: &Path, rev: &str, id: &str) {
        self.git(&["init", "-q"]);
        self.berth(&["init"]);
        self.write(
            ".pre-commit-config.yaml",
            &format!(
                "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: {id}\n",
                serde_json::to_string(repository).unwrap()
            ),
        );
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `program` in the repository, with pre-commit's cache and the hook's build
    /// directory under the target directory.
    fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut command = hermetic(program, self.path(), self.home.path());
        command
            .env("PRE_COMMIT_HOME", self.cache.join("home"))
            .env("CARGO_TARGET_DIR", self.cache.join("build"));
        if let Some(path) = &self.path {
            command.env("PATH", path);
        }
        command
    }

    /// Runs git, asserting it succeeds; its stdout.
    fn git(&self, args: &[&str]) -> String {
        succeed(self.command("git").args(args))
    }

    /// Runs the berth under test, asserting it succeeds; its stdout.
    fn berth(&self, args: &[&str]) -> String {
        succeed(self.command(env!("CARGO_BIN_EXE_berth")).args(args))
    }

    /// Runs pre-commit, asserting it succeeds; its stdout.
    fn pre_commit(&self, args: &[&str]) -> String {
        succeed(
            self.command(&self.python)
                .args(["-m", "pre_commit"])
                .args(args),
        )
    }

    /// `git commit` of the index, hooks and all, whatever its outcome.
    fn commit(&self, message: &str) -> Output {
        self.command("git")
            .args(["commit", "-m", message])
            .output()
            .unwrap()
    }

    /// What HEAD points at.
    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// `berth put version-sets` of [`version_set`]`(package, n)`, not committed;
    /// the object's path.
    fn put_version_set(&self, package: &str, n: u32) -> String {
        let input = self.home.path().join(format!("{package}-{n}.json"));
        fs::write(&input, version_set(package, n).to_string()).unwrap();
        let outcome: Value = serde_json::from_str(&self.berth(&[
            "put",
            "version-sets",
            input.to_str().unwrap(),
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(outcome["objects"][0]["created"], true, "{outcome:#}");
        outcome["objects"][0]["path"].as_str().unwrap().to_owned()
    }

    fn read(&self, path: &str) -> String {
        fs::read_to_string(self.path().join(path)).unwrap()
    }

    fn write(&self, path: &str, text: &str) {
        fs::write(self.path().join(path), text).unwrap();
    }
}

/// `program` in `dir` with HOME at `home`, no git configuration but the
/// repository's, a fixed identity and clock, and nothing of an outer git or
/// pre-commit run. The rest of the environment stays: PATH, certificates and
/// proxies for the registries, and cargo's and rustup's homes, pinned to the real
/// ones since HOME moves.
fn hermetic(program: impl AsRef<OsStr>, dir: &Path, home: &Path) -> Command {
    let real_home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let tool_home = |var: &str, default: &str| {
        std::env::var_os(var).map_or_else(|| real_home.join(default), PathBuf::from)
    };
    let mut command = Command::new(program);
    command.current_dir(dir);
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if name.starts_with("GIT_") || name.starts_with("PRE_COMMIT") {
            command.env_remove(&key);
        }
    }
    command
        .env("CARGO_HOME", tool_home("CARGO_HOME", ".cargo"))
        .env("RUSTUP_HOME", tool_home("RUSTUP_HOME", ".rustup"))
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Berth Test")
        .env("GIT_AUTHOR_EMAIL", "test@berth.invalid")
        .env("GIT_AUTHOR_DATE", "1700000000 +0000")
        .env("GIT_COMMITTER_NAME", "Berth Test")
        .env("GIT_COMMITTER_EMAIL", "test@berth.invalid")
        .env("GIT_COMMITTER_DATE", "1700000000 +0000")
        .env("NO_COLOR", "1");
    command
}

/// Runs `command`, asserting it exits 0; its stdout.
fn succeed(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}",
        output.status,
        text(&output)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A process's stdout and stderr, for assertions and their messages.
fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

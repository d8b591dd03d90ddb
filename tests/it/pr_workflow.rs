//! The pull-request workflow the README gives (section "In CI and before each
//! commit"), run as written: its GitHub Actions steps and its GitLab CI script
//! are read out of the README, and their commands run in a clone made as the
//! checkout makes one (`git init`, the pull request's head fetched and checked
//! out, detached), against a remote served by `git daemon`. One workflow serves
//! both kinds of pull request: into the catalog branch, and into an
//! environment branch, where a promotion passes and a commit made by hand fails.
//!
//! Only the steps that install berth (from a release, or with cargo) and post
//! the review (curl) are left out: the berth under test is on PATH.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::support::{Daemon, Put, Repo, commit_on_env_by_hand, describe};

/// The README's YAML block after `marker`, as JSON, as GitHub and GitLab read
/// it (YAML 1.2).
fn readme_yaml(marker: &str) -> Value {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (_, after) = readme
        .split_once(&format!("<!-- {marker} -->\n```yaml\n"))
        .unwrap_or_else(|| panic!("no YAML block after <!-- {marker} --> in the README"));
    let (block, _) = after.split_once("\n```\n").unwrap();
    serde_norway::from_str(block).unwrap()
}

/// The GitHub Actions workflow.
fn github() -> Value {
    readme_yaml("ci: github")
}

/// The GitLab CI job.
fn gitlab() -> Value {
    readme_yaml("ci: gitlab")["berth"].clone()
}

/// A CI system: how its job is given the pull request's base branch, and how
/// it runs the workflow's commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ci {
    GitHub,
    GitLab,
}

/// What the workflow's commands did in one pull request.
struct Run {
    /// `berth check`'s exit code.
    check: i32,
    /// Its output.
    check_log: String,
    /// `berth review`'s exit code.
    review: i32,
    /// The review it wrote: the job's summary, or the merge request's note.
    review_text: String,
    /// The job's exit code.
    job: i32,
}

/// The remote of an estate with dev and staging, and pull requests waiting on
/// it, each pushed to `refs/pull/<n>/head` as a hosting service keeps them.
struct Origin {
    daemon: Daemon,
    /// billing 2, on main, promoted to dev and not yet to staging.
    two: Put,
    /// search 1, which the catalog's pull request adds.
    search: Put,
    /// staging's tip on the remote: the base of the pull requests into it.
    staging: String,
    /// The head of pull request 2: berth's promotion of billing 2 to staging.
    promotion: String,
    /// The head of pull request 3: the commit made by hand.
    by_hand: String,
}

/// Pull request 1: into main, adding search 1.
const INTO_MAIN: u32 = 1;
/// Pull request 2: into env/staging, promoting billing 2 from dev with berth.
const PROMOTION: u32 = 2;
/// Pull request 3: into env/staging, a commit made by hand setting billing 2.
const BY_HAND: u32 = 3;

impl Origin {
    fn new() -> Origin {
        let daemon = Daemon::start();
        let maintainer = daemon.seeded();
        let git = |args: &[&str]| maintainer.git_command(args);
        let one = maintainer.put_version_set("billing", 1);
        maintainer.ok(&["promote", &one.object, "--to", "dev"]);
        maintainer.ok(&["promote", "billing@dev", "--to", "staging"]);
        let two = maintainer.put_version_set("billing", 2);
        maintainer.ok(&["promote", &two.object, "--to", "dev"]);
        git(&["push", "-q", "origin", "main", "env/dev", "env/staging"]);
        let staging = maintainer.env_tip("staging").unwrap();

        // Into main: a branch adding search 1.
        git(&["checkout", "-q", "-b", "search"]);
        let search = maintainer.put_version_set("search", 1);
        git(&["push", "-q", "origin", &pull_ref("search", INTO_MAIN)]);
        git(&["checkout", "-q", "main"]);

        // Into staging: billing 2 promoted from dev, as berth promotes.
        maintainer.ok(&["promote", "billing@dev", "--to", "staging"]);
        git(&["push", "-q", "origin", &pull_ref("env/staging", PROMOTION)]);
        let promotion = maintainer.env_tip("staging").unwrap();

        // Into staging: billing 2 set by a commit made by hand on the base, its
        // tree dev's.
        git(&["update-ref", "refs/heads/env/staging", &staging]);
        let dev = maintainer.env_tip("dev").unwrap();
        let tree = maintainer.commit(&dev).tree;
        let by_hand = commit_on_env_by_hand(
            &maintainer,
            "staging",
            &dev,
            git2::Oid::from_str(&tree).unwrap(),
            "Put billing 2 in staging\n",
        );
        git(&["push", "-q", "origin", &pull_ref("env/staging", BY_HAND)]);
        assert_eq!(daemon.env_tip("staging"), Some(staging.clone()));
        Origin {
            daemon,
            two,
            search,
            staging,
            promotion,
            by_hand,
        }
    }

    /// A clone as the CI system's checkout makes it for pull request `number`:
    /// a new repository with `origin`, the pull request's head fetched and
    /// checked out, detached; nothing else.
    fn checkout(&self, number: u32) -> Repo {
        let ci = Repo::empty();
        let git = |args: &[&str]| ci.git_command(args);
        git(&["init", "-q"]);
        git(&["remote", "add", "origin", &self.daemon.url()]);
        let head = format!("refs/remotes/pull/{number}/head");
        git(&[
            "fetch",
            "-q",
            "--no-tags",
            "origin",
            &format!("+refs/pull/{number}/head:{head}"),
        ]);
        git(&["checkout", "-q", "--detach", &head]);
        ci
    }

    /// [`Origin::checkout`] with `refspecs` fetched from origin too.
    fn fetched(&self, number: u32, refspecs: &[&str]) -> Repo {
        let ci = self.checkout(number);
        let mut args = vec!["fetch", "-q", "--no-tags", "origin"];
        args.extend(refspecs);
        ci.git_command(&args);
        ci
    }

    /// Runs the workflow of `ci` for pull request `number` into `base`.
    fn run(&self, ci: Ci, number: u32, base: &str) -> Run {
        let checkout = self.checkout(number);
        match ci {
            Ci::GitHub => run_github(&checkout, base),
            Ci::GitLab => run_gitlab(&checkout, base),
        }
    }
}

/// The refspec that pushes `branch` as pull request `number`'s head.
fn pull_ref(branch: &str, number: u32) -> String {
    format!("refs/heads/{branch}:refs/pull/{number}/head")
}

/// Where the commands of one job run: `berth` on PATH is a shim that runs the
/// berth under test and keeps each command's exit code, by its subcommand.
struct Job {
    dir: tempfile::TempDir,
}

impl Job {
    fn new() -> Job {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("bin")).unwrap();
        fs::create_dir(dir.path().join("codes")).unwrap();
        let shim = dir.path().join("bin/berth");
        fs::write(
            &shim,
            "#!/bin/sh\n\"$REAL_BERTH\" \"$@\"\ncode=$?\necho \"$code\" > \"$CODES/$1\"\nexit \"$code\"\n",
        )
        .unwrap();
        crate::support::make_executable(&shim);
        Job { dir }
    }

    /// A file of the job's own.
    fn file(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// `bash` in the checkout, as a CI runner starts it, with `variables`.
    fn bash(
        &self,
        checkout: &Repo,
        script: &str,
        variables: &[(&str, &Path)],
    ) -> std::process::Output {
        let file = self.file("step.sh");
        fs::write(&file, script).unwrap();
        let mut path = std::ffi::OsString::from(self.file("bin"));
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        let mut command = checkout.hermetic("bash");
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&file)
            .env("PATH", path)
            .env("REAL_BERTH", assert_cmd::cargo::cargo_bin("berth"))
            .env("CODES", self.file("codes"));
        for (key, value) in variables {
            command.env(key, value);
        }
        command.output().unwrap()
    }

    /// The exit code of the last `berth <subcommand>` the job ran.
    fn code(&self, subcommand: &str) -> i32 {
        fs::read_to_string(self.file("codes").join(subcommand))
            .unwrap_or_else(|_| panic!("the job ran no berth {subcommand}"))
            .trim()
            .parse()
            .unwrap()
    }
}

/// Runs the GitHub workflow's steps after the checkout, as the runner does
/// (`bash -eo pipefail`, `GITHUB_BASE_REF` set; a step runs while all before it
/// passed, unless its `if` says otherwise), but the one installing berth.
fn run_github(checkout: &Repo, base: &str) -> Run {
    let workflow = github();
    let steps = workflow["jobs"]["berth"]["steps"].as_array().unwrap();
    let job = Job::new();
    let summary = job.file("summary.md");
    fs::write(&summary, "").unwrap();
    fs::write(job.file("path"), "").unwrap();
    let mut log = String::new();
    let mut failed = 0;
    for step in steps {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        if step["name"] == "Install berth" {
            continue;
        }
        if failed != 0 && step["if"] != "${{ !cancelled() }}" {
            continue;
        }
        let output = job.bash(
            checkout,
            script,
            &[
                ("GITHUB_BASE_REF", Path::new(base)),
                ("GITHUB_STEP_SUMMARY", &summary),
                ("GITHUB_PATH", &job.file("path")),
            ],
        );
        log.push_str(&describe(&output));
        let code = output.status.code().unwrap();
        if failed == 0 {
            failed = code;
        }
    }
    Run {
        check: job.code("check"),
        check_log: log,
        review: job.code("review"),
        review_text: fs::read_to_string(&summary).unwrap(),
        job: failed,
    }
}

/// Runs the GitLab job's script, its lines as one shell session, with
/// `CI_MERGE_REQUEST_TARGET_BRANCH_NAME` set, but the lines installing berth and
/// posting the note; the review is `review.md`.
fn run_gitlab(checkout: &Repo, base: &str) -> Run {
    let lines: Vec<String> = gitlab()["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap().to_owned())
        .filter(|line| !line.starts_with("cargo install ") && !line.starts_with("curl "))
        .collect();
    let job = Job::new();
    let output = job.bash(
        checkout,
        &lines.join("\n"),
        &[("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", Path::new(base))],
    );
    Run {
        check: job.code("check"),
        check_log: describe(&output),
        review: job.code("review"),
        review_text: checkout.read("review.md"),
        job: output.status.code().unwrap(),
    }
}

#[test]
fn the_workflows_are_what_github_and_gitlab_run() {
    let workflow = github();
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/schemas/vendor/github-workflows.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&workflow)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let steps = workflow["jobs"]["berth"]["steps"].as_array().unwrap();
    // The whole history, and the pull request's head as it is: a merge of it
    // into an environment's base is no commit the environment will hold.
    assert_eq!(steps[0]["uses"], "actions/checkout@v6");
    assert_eq!(steps[0]["with"]["fetch-depth"], 0);
    assert_eq!(
        steps[0]["with"]["ref"],
        "${{ github.event.pull_request.head.sha }}"
    );
    let runs: Vec<&str> = steps
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect();
    assert_eq!(runs.len(), 4, "{runs:#?}");
    // An expression inside a script is pasted into it before bash reads it; the
    // base branch comes through the runner's environment instead.
    for run in &runs {
        assert!(!run.contains("${{"), "{run}");
    }
    assert!(runs.contains(&"berth check --base \"origin/$GITHUB_BASE_REF\" --format github"));
    assert!(runs.contains(
        &"berth review --base \"origin/$GITHUB_BASE_REF\" --format markdown >> \"$GITHUB_STEP_SUMMARY\""
    ));

    let job = gitlab();
    assert_eq!(job["variables"]["GIT_DEPTH"], 0);
    let script: Vec<&str> = job["script"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert!(script.contains(
        &"status=0; berth check --base \"origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME\" || status=$?"
    ));
    assert_eq!(script.last(), Some(&"exit $status"));
}

#[test]
fn a_pull_request_into_the_catalog() {
    let origin = Origin::new();
    for ci in [Ci::GitHub, Ci::GitLab] {
        let run = origin.run(ci, INTO_MAIN, "main");
        assert_eq!(
            (run.check, run.review, run.job),
            (0, 0, 0),
            "{ci:?}: {}\n{}",
            run.check_log,
            run.review_text
        );
        let text = &run.review_text;
        assert!(
            text.starts_with("## berth review: ✅ ready\n"),
            "{ci:?}: {text}"
        );
        assert!(
            text.contains(&format!(
                "`origin/main` (merge base {})",
                &origin.two.commit[..12]
            )),
            "{ci:?}: {text}"
        );
        assert!(
            text.contains(&format!("| `version-sets/{}` |", &origin.search.hash[..12])),
            "{ci:?}: {text}"
        );
        // The environments were fetched as the remote has them: each compared
        // with itself, none moved; production, never opened, is not there.
        assert!(!text.contains("### Environment moves"), "{ci:?}: {text}");
        assert!(
            text.contains(
                "- not compared: production (no local or `origin` remote-tracking ref here: not fetched, or never opened; fetch them with `git fetch origin '+refs/heads/env/*:refs/remotes/origin/env/*'`)\n"
            ),
            "{ci:?}: {text}"
        );
    }
}

#[test]
fn a_promotion_into_an_environment_passes() {
    let origin = Origin::new();
    for ci in [Ci::GitHub, Ci::GitLab] {
        let run = origin.run(ci, PROMOTION, "env/staging");
        assert_eq!(
            (run.check, run.review, run.job),
            (0, 0, 0),
            "{ci:?}: {}\n{}",
            run.check_log,
            run.review_text
        );
        let text = &run.review_text;
        assert!(
            text.starts_with("## berth review: ✅ ready\n"),
            "{ci:?}: {text}"
        );
        assert!(
            text.contains(&format!(
                "**1 environment move**; 0 errors, 0 warnings. Pull request into `staging`: `origin/env/staging` ({}) → `HEAD` (",
                &origin.staging[..12]
            )),
            "{ci:?}: {text}"
        );
        assert!(
            text.contains("judged by the catalog at `refs/remotes/origin/main` ("),
            "{ci:?}: {text}"
        );
        assert!(
            text.contains(&format!(
                "`version-sets/{}` | main → dev → staging | ✅ |",
                &origin.two.hash[..12]
            )),
            "{ci:?}: {text}"
        );
        assert!(text.contains("| `staging` | `billing` |"), "{ci:?}: {text}");
    }
}

#[test]
fn a_commit_made_by_hand_into_an_environment_fails() {
    let origin = Origin::new();
    for ci in [Ci::GitHub, Ci::GitLab] {
        let run = origin.run(ci, BY_HAND, "env/staging");
        assert_eq!((run.check, run.review, run.job), (1, 1, 1), "{ci:?}");
        let said = match ci {
            Ci::GitHub => format!(
                "title=berth%3A%3Apromotion-path::billing was set by commit {}",
                &origin.by_hand[..12]
            ),
            Ci::GitLab => format!(
                "berth::promotion-path\n\n  × billing was set by commit {}",
                &origin.by_hand[..12]
            ),
        };
        assert!(run.check_log.contains(&said), "{ci:?}: {}", run.check_log);
        let text = &run.review_text;
        assert!(
            text.starts_with("## berth review: ⛔ blocked\n"),
            "{ci:?}: {text}"
        );
        assert!(text.contains("`promotion-path`"), "{ci:?}: {text}");
        assert!(
            text.contains("| `staging` | `billing` |")
                && text.contains("not set by a berth promotion"),
            "{ci:?}: {text}"
        );
    }
}

/// The refspecs of the workflow's fetch, for a pull request into `base`.
fn workflow_refspecs(base: &str) -> Vec<String> {
    vec![
        format!("+refs/heads/{base}:refs/remotes/origin/{base}"),
        "+refs/heads/main:refs/remotes/origin/main".to_owned(),
        "+refs/heads/env/*:refs/remotes/origin/env/*".to_owned(),
    ]
}

/// `berth <args> --format json` in `repo`: its exit code and JSON.
fn json(repo: &Repo, args: &[&str]) -> (i32, Value) {
    repo.json(args)
}

#[test]
fn an_environment_base_is_told_by_its_ref_or_its_log_and_refused_when_unclear() {
    let origin = Origin::new();
    let refspecs = workflow_refspecs("env/staging");
    let refspecs: Vec<&str> = refspecs.iter().map(String::as_str).collect();
    let ci = origin.fetched(PROMOTION, &refspecs);

    // A base given by its commit id is staging's: staging's log holds it.
    let (code, review) = json(&ci, &["review", "--base", &origin.staging]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(review["into"], "staging");
    assert_eq!(
        review["base"],
        serde_json::json!({"revision": origin.staging, "commit": origin.staging})
    );
    assert_eq!(
        review["head"],
        serde_json::json!({"revision": "HEAD", "commit": origin.promotion})
    );
    assert_eq!(review["catalog"]["revision"], "refs/remotes/origin/main");
    assert_eq!(review["environments"][0]["environment"], "staging");
    assert_eq!(review["not_compared"], serde_json::json!([]));
    let (code, check) = json(&ci, &["check", "--base", &origin.staging]);
    assert_eq!(code, 0, "{check:#}");
    // For a person, the first line says what the pull request is into.
    let output = ci
        .berth()
        .args(["review", "--base", "origin/env/staging"])
        .output()
        .unwrap();
    let main = ci.tip("refs/remotes/origin/main").unwrap();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap().lines().next(),
        Some(
            format!(
                "ready: origin/env/staging ({}) -> HEAD ({}) into staging, catalog at refs/remotes/origin/main ({}): 0 new objects, 1 environment move, 0 config versions, 0 registry changes; 0 errors, 0 warnings",
                &origin.staging[..12],
                &origin.promotion[..12],
                &main[..12]
            )
            .as_str()
        )
    );

    // A commit of no environment's log, and one of two environments' logs.
    let dev = ci.tip("refs/remotes/origin/env/dev").unwrap();
    let tree = ci.commit(&dev).tree;
    let stray = ci
        .git_command(&["commit-tree", &tree, "-m", "A state of no environment"])
        .trim()
        .to_owned();
    for command in ["check", "review"] {
        let refused = crate::support::refused(
            &ci,
            &[command, "--base", &stray],
            2,
            "berth::ambiguous-environment",
        );
        assert_eq!(
            refused["error"]["message"],
            format!(
                "`{stray}` is a commit of an environment (a state.toml and no berth.toml), but which one cannot be told: no environment's log in berth.toml holds it"
            )
        );
    }
    ci.git_command(&["update-ref", "refs/heads/env/staging", &dev]);
    let refused = crate::support::refused(
        &ci,
        &["review", "--base", &dev],
        2,
        "berth::ambiguous-environment",
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .ends_with("it is on the logs of dev and staging"),
        "{refused:#}"
    );
    ci.git_command(&["update-ref", "-d", "refs/heads/env/staging"]);

    // The head must be a commit of the environment too.
    for command in ["check", "review"] {
        let refused = crate::support::refused(
            &ci,
            &[
                command,
                "--base",
                "origin/env/staging",
                "--head",
                "origin/main",
            ],
            2,
            "berth::not-environment",
        );
        assert_eq!(
            refused["error"]["message"],
            "`origin/main` is not a commit of staging: it has a berth.toml, so it is a catalog commit"
        );
    }

    // The base and the head are the environment's commits: naming others is
    // refused rather than guessed at.
    for command in ["check", "review"] {
        crate::support::refused(
            &ci,
            &[
                command,
                "--base",
                "origin/env/staging",
                "--env-head",
                "dev=origin/env/dev",
            ],
            2,
            "berth::env-pull-request-flags",
        );
    }

    // Without the catalog branch, there is nothing to judge the environment by.
    let bare = origin.fetched(PROMOTION, &["+refs/heads/env/*:refs/remotes/origin/env/*"]);
    for command in ["check", "review"] {
        let refused = crate::support::refused(
            &bare,
            &[command, "--base", "origin/env/staging"],
            4,
            "berth::no-catalog",
        );
        assert_eq!(
            refused["error"]["help"],
            "fetch the catalog branch beside the environments (`git fetch origin '+refs/heads/main:refs/remotes/origin/main'`) and run the command again"
        );
    }
}

#[test]
fn check_audits_an_environment_as_of_a_commit_named() {
    let origin = Origin::new();
    let refspecs = workflow_refspecs("main");
    let mut refspecs: Vec<&str> = refspecs.iter().map(String::as_str).collect();
    let promotion = format!("+refs/pull/{PROMOTION}/head:refs/remotes/pull/{PROMOTION}/head");
    let by_hand = format!("+refs/pull/{BY_HAND}/head:refs/remotes/pull/{BY_HAND}/head");
    refspecs.extend([promotion.as_str(), by_hand.as_str()]);
    let ci = origin.fetched(INTO_MAIN, &refspecs);
    let check = |args: &[&str]| {
        let mut all = vec!["check", "--base", "origin/main"];
        all.extend(args);
        json(&ci, &all)
    };

    // The catalog's pull request, with staging as the remote has it, passes.
    let (code, report) = check(&[]);
    assert_eq!(code, 0, "{report:#}");

    // With staging as of the commit made by hand, it does not.
    let hand = format!("staging=refs/remotes/pull/{BY_HAND}/head");
    let (code, report) = check(&["--env-head", &hand]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(crate::support::codes(&report), ["promotion-path"]);
    assert_eq!(
        report["findings"][0]["file"],
        format!("refs/remotes/pull/{BY_HAND}/head:state.toml")
    );

    // As of the promotion it does; and a commit before that the promotion does
    // not contain is a rewritten history.
    let promoted = format!("staging=refs/remotes/pull/{PROMOTION}/head");
    let (code, report) = check(&[
        "--env-head",
        &promoted,
        "--env-base",
        "staging=origin/env/staging",
    ]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = check(&[
        "--env-head",
        &promoted,
        "--env-base",
        &format!("staging={}", origin.by_hand),
    ]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(crate::support::codes(&report), ["env-rewritten"]);

    // Names are checked as review checks them.
    crate::support::refused(
        &ci,
        &[
            "check",
            "--base",
            "origin/main",
            "--env-head",
            "nope=origin/env/dev",
        ],
        2,
        "berth::unknown-environment",
    );
    let refused = crate::support::refused(
        &ci,
        &[
            "check",
            "--base",
            "origin/main",
            "--env-head",
            "staging=origin/main",
        ],
        2,
        "berth::not-environment",
    );
    assert_eq!(
        refused["error"]["message"],
        "`origin/main` is not a commit of staging: it has a berth.toml, so it is a catalog commit"
    );
}

#[test]
fn a_catalog_review_says_which_environments_it_did_not_compare_and_why() {
    // A workflow that fetches the base alone: no environment is here.
    let origin = Origin::new();
    let ci = origin.fetched(INTO_MAIN, &["+refs/heads/main:refs/remotes/origin/main"]);
    let note = "not compared: dev, staging, production (no local or `origin` remote-tracking ref here: not fetched, or never opened; fetch them with `git fetch origin '+refs/heads/env/*:refs/remotes/origin/env/*'`)";
    let (code, review) = json(&ci, &["review", "--base", "origin/main"]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(review["notes"], serde_json::json!([note]));
    let absent = |name: &str| {
        serde_json::json!({
            "environment": name,
            "reason": "no-ref",
            "tracking_ref": format!("refs/remotes/origin/env/{name}"),
        })
    };
    assert_eq!(
        review["not_compared"],
        serde_json::json!([absent("dev"), absent("staging"), absent("production")])
    );
    let output = ci
        .berth()
        .args(["review", "--base", "origin/main"])
        .output()
        .unwrap();
    let human = String::from_utf8(output.stdout).unwrap();
    assert!(human.ends_with(&format!("\nnote: {note}\n")), "{human}");
    let output = ci
        .berth()
        .args(["review", "--base", "origin/main", "--format", "markdown"])
        .output()
        .unwrap();
    let markdown = String::from_utf8(output.stdout).unwrap();
    assert!(
        markdown.ends_with(&format!(
            "### Not reviewed\n\n- {}\n",
            note.replace('|', "\\|")
        )),
        "{markdown}"
    );

    // Fetched as the workflow fetches them, the environments are compared (and
    // none moved); production, never opened, is still no ref here.
    ci.git_command(&[
        "fetch",
        "-q",
        "origin",
        "+refs/heads/env/*:refs/remotes/origin/env/*",
    ]);
    let (code, review) = json(&ci, &["review", "--base", "origin/main"]);
    assert_eq!(code, 0, "{review:#}");
    assert_eq!(
        review["not_compared"],
        serde_json::json!([absent("production")])
    );
}

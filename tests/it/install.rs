//! The ways to install berth hold together: the release workflow's archives are
//! what `cargo binstall` (Cargo.toml's metadata) and the GitHub Action
//! (`action.yml`) download; the workflow and the action are what GitHub accepts
//! (their published JSON Schemas, vendored in `tests/schemas/vendor/`); the
//! package holds what building needs; the license files are the two Cargo.toml
//! names.
//!
//! The workflow's and the action's shell steps run here as GitHub runs them
//! (`bash --noprofile --norc -eo pipefail`, their `env` expressions filled in),
//! with no network: `curl` serves the release from a directory, `gh` answers
//! from a file and records what it was asked, and `7z` packs and unpacks with
//! zip and unzip, as it does on Windows runners.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use regex::Regex;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Put, Repo, describe};

/// berth's home, where releases are published.
const REPOSITORY: &str = "https://github.com/berth-rs/berth";

/// The targets the release builds: Linux (static, musl) and macOS on both
/// architectures, Windows on x86_64.
const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// This crate's version, which a tag `v<version>` releases.
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A YAML file as JSON, as GitHub reads it (YAML 1.2: `on` is a string).
fn yaml(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// `.github/workflows/*.yml` and `*.yaml`.
fn workflow_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(crate_dir().join(".github/workflows"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "yml" || extension == "yaml")
        })
        .collect();
    files.sort();
    files
}

fn release_workflow() -> Value {
    yaml(&crate_dir().join(".github/workflows/release.yml"))
}

fn action() -> Value {
    yaml(&crate_dir().join("action.yml"))
}

fn vendored_schema(name: &str) -> jsonschema::Validator {
    let path = crate_dir().join("tests/schemas/vendor").join(name);
    let schema: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

#[test]
fn workflows_and_the_action_match_their_published_schemas() {
    let workflow_schema = vendored_schema("github-workflows.json");
    let action_schema = vendored_schema("github-actions.json");
    let files = workflow_files();
    assert!(
        files.iter().any(|file| file.ends_with("release.yml")),
        "{files:?}"
    );
    for file in &files {
        let errors = schema_errors(&workflow_schema, &yaml(file));
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
    let errors = schema_errors(&action_schema, &action());
    assert!(errors.is_empty(), "action.yml: {errors:#?}");

    // The schemas do judge: a job with nowhere to run, an action with nothing to
    // run, and an input with a misspelt key are refused.
    let mut workflow = release_workflow();
    workflow["jobs"]["build"]
        .as_object_mut()
        .unwrap()
        .remove("runs-on");
    assert!(!workflow_schema.is_valid(&workflow));
    let mut broken = action();
    broken.as_object_mut().unwrap().remove("runs");
    assert!(!action_schema.is_valid(&broken));
    let mut broken = action();
    broken["inputs"]["base"]["defualt"] = json!("");
    assert!(!action_schema.is_valid(&broken));
}

#[test]
fn scripts_take_expressions_only_through_their_environment() {
    // An expression inside a script is pasted into it before bash reads it, so a
    // branch name or an input could run as code; through `env` it is only data.
    let mut scripts = Vec::new();
    for file in workflow_files() {
        let workflow = yaml(&file);
        for (job, body) in workflow["jobs"].as_object().unwrap() {
            for step in body["steps"].as_array().unwrap() {
                scripts.push((format!("{} {job}", file.display()), step.clone()));
            }
        }
    }
    for step in action()["runs"]["steps"].as_array().unwrap() {
        scripts.push(("action.yml".to_owned(), step.clone()));
    }
    let runs: Vec<_> = scripts
        .iter()
        .filter_map(|(place, step)| step["run"].as_str().map(|run| (place, run)))
        .collect();
    assert!(runs.len() >= 10, "{runs:#?}");
    for (place, run) in runs {
        assert!(!run.contains("${{"), "{place}: {run}");
    }
}

#[test]
fn the_license_files_are_the_two_cargo_toml_names() {
    let manifest = manifest();
    assert_eq!(
        manifest["package"]["license"].as_str(),
        Some("MIT OR Apache-2.0")
    );
    let mit = fs::read_to_string(crate_dir().join("LICENSE-MIT")).unwrap();
    assert!(mit.starts_with("MIT License\n\nCopyright (c) The berth developers\n"));
    assert!(mit.contains("Permission is hereby granted, free of charge"));
    let apache = fs::read_to_string(crate_dir().join("LICENSE-APACHE")).unwrap();
    for line in [
        "Apache License",
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "END OF TERMS AND CONDITIONS",
    ] {
        assert!(apache.contains(line), "{line}");
    }
}

#[test]
fn both_pre_commit_hooks_run_the_same_command() {
    let hooks = yaml(&crate_dir().join(".pre-commit-hooks.yaml"));
    let hooks = hooks.as_array().unwrap();
    let ids: Vec<&str> = hooks
        .iter()
        .map(|hook| hook["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["berth-validate", "berth-validate-system"]);
    // One builds berth, the other runs the installed one; all else is the same.
    let [built, system] = [&hooks[0], &hooks[1]].map(|hook| {
        let mut hook = hook.as_object().unwrap().clone();
        let language = hook.remove("language").unwrap();
        hook.remove("id");
        hook.remove("description");
        (language, hook)
    });
    assert_eq!(built.0, "rust");
    assert_eq!(system.0, "system");
    assert_eq!(built.1, system.1);
    assert_eq!(built.1["entry"], "berth validate --staged --base HEAD");
}

fn manifest() -> toml::Table {
    fs::read_to_string(crate_dir().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn the_package_holds_what_building_and_its_pages_need() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--locked",
            "--offline",
        ])
        .current_dir(crate_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", describe(&output));
    let files: BTreeSet<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();

    // Every file the library or the binary embeds, and not only the unit tests
    // (after a file's `#[cfg(test)]`), which the package leaves out with the rest
    // of the tests.
    let include = Regex::new(r#"include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)"#).unwrap();
    let mut embedded = BTreeSet::new();
    for entry in walkdir::WalkDir::new(crate_dir().join("src")) {
        let entry = entry.unwrap();
        if entry
            .path()
            .extension()
            .is_none_or(|extension| extension != "rs")
        {
            continue;
        }
        let source = fs::read_to_string(entry.path()).unwrap();
        let built = source.split("#[cfg(test)]").next().unwrap();
        for capture in include.captures_iter(built) {
            let path = normalize(&entry.path().parent().unwrap().join(&capture[1]));
            embedded.insert(
                path.strip_prefix(crate_dir())
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned(),
            );
        }
    }
    assert!(
        embedded.contains("examples/tour/search-1.json"),
        "{embedded:?}"
    );
    let missing: Vec<_> = embedded.difference(&files).collect();
    assert!(missing.is_empty(), "embedded but not packaged: {missing:?}");

    // The sources, the demo's files, the page's README and the licenses; no
    // tests, fixtures of the validator, fuzzing corpus or benchmarks.
    let top: BTreeSet<&str> = files
        .iter()
        .filter(|file| *file != ".cargo_vcs_info.json")
        .map(|file| {
            if file.starts_with("examples/tour/") {
                "examples/tour"
            } else {
                file.split('/').next().unwrap()
            }
        })
        .collect();
    assert_eq!(
        top,
        BTreeSet::from([
            "Cargo.lock",
            "Cargo.toml",
            "Cargo.toml.orig",
            "LICENSE-APACHE",
            "LICENSE-MIT",
            "README.md",
            "examples/tour",
            "src",
        ])
    );
}

/// `path` with its `..` and `.` taken out.
fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                normal.pop();
            }
            std::path::Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal
}

#[test]
fn binstall_downloads_what_the_release_uploads() {
    let release = Release::build();
    assert_eq!(
        release
            .assets
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        BTreeSet::from(TARGETS)
    );
    for (target, asset) in &release.assets {
        let binstall = binstall(target);
        assert_eq!(
            binstall.url,
            format!(
                "{REPOSITORY}/releases/download/v{VERSION}/{}",
                asset.archive
            ),
            "{target}"
        );
        let format = if asset.archive.ends_with(".zip") {
            "zip"
        } else {
            "tgz"
        };
        assert_eq!(binstall.format, format, "{target}");
        assert_eq!(asset.checksum, format!("{}.sha256", asset.archive));
        // The binary is where binstall looks for it, in a folder with the README
        // and the licenses.
        let (folder, _) = binstall.binary.split_once('/').unwrap();
        let expected: BTreeSet<String> = [
            format!("{folder}/"),
            binstall.binary.clone(),
            format!("{folder}/README.md"),
            format!("{folder}/LICENSE-MIT"),
            format!("{folder}/LICENSE-APACHE"),
        ]
        .into();
        assert_eq!(release.list(&asset.archive), expected, "{target}");
    }

    // The publish job's SHA256SUMS holds every archive's checksum, and they check.
    let publish = &release_workflow()["jobs"]["publish"]["steps"];
    let sums = release.run(step(publish, "checksums"), &[], &release.published());
    assert!(sums.output.status.success(), "{}", describe(&sums.output));
    let sums = fs::read_to_string(release.published().join("dist/SHA256SUMS")).unwrap();
    let listed: BTreeSet<&str> = sums
        .lines()
        .map(|line| line.split_whitespace().last().unwrap())
        .collect();
    let archives: BTreeSet<&str> = release
        .assets
        .values()
        .map(|asset| asset.archive.as_str())
        .collect();
    assert_eq!(listed, archives);
}

/// Where cargo-binstall finds a target's binary.
struct Binstall {
    /// The archive's URL.
    url: String,
    /// The archive's format.
    format: String,
    /// The binary's path in the archive.
    binary: String,
}

/// Cargo.toml's binstall metadata for `target`, expanded as cargo-binstall does.
fn binstall(target: &str) -> Binstall {
    let manifest = manifest();
    let package = &manifest["package"];
    let metadata = &package["metadata"]["binstall"];
    let overrides = metadata
        .get("overrides")
        .and_then(|overrides| overrides.get(target));
    let field = |key: &str| {
        overrides
            .and_then(|o| o.get(key))
            .or_else(|| metadata.get(key))
            .and_then(toml::Value::as_str)
            .unwrap_or_else(|| panic!("no {key} for {target}"))
            .to_owned()
    };
    let variables = BTreeMap::from([
        ("repo", package["repository"].as_str().unwrap().to_owned()),
        ("name", package["name"].as_str().unwrap().to_owned()),
        ("version", package["version"].as_str().unwrap().to_owned()),
        ("target", target.to_owned()),
        ("bin", "berth".to_owned()),
        (
            "binary-ext",
            if target.contains("-windows-") {
                ".exe"
            } else {
                ""
            }
            .to_owned(),
        ),
    ]);
    let template = Regex::new(r"\{ *([a-z-]+) *\}").unwrap();
    let expand = |text: &str| {
        template
            .replace_all(text, |captures: &regex::Captures| {
                variables
                    .get(&captures[1])
                    .unwrap_or_else(|| panic!("binstall variable {} in {text}", &captures[1]))
                    .clone()
            })
            .into_owned()
    };
    Binstall {
        url: expand(&field("pkg-url")),
        format: field("pkg-fmt"),
        binary: expand(&field("bin-dir")),
    }
}

#[test]
fn the_action_installs_the_release_for_each_runner() {
    let release = Release::build();
    let cases = [
        ("Linux", "X64", "x86_64-unknown-linux-musl", ""),
        ("Linux", "ARM64", "aarch64-unknown-linux-musl", ""),
        ("macOS", "X64", "x86_64-apple-darwin", ""),
        ("macOS", "ARM64", "aarch64-apple-darwin", ""),
        ("Windows", "X64", "x86_64-pc-windows-msvc", ".exe"),
        ("Windows", "ARM64", "x86_64-pc-windows-msvc", ".exe"),
    ];
    for (os, arch, target, exe) in cases {
        // No version given: the one in the action's Cargo.toml.
        for version in ["", &format!("v{VERSION}"), VERSION] {
            let runner = release.runner(os, arch);
            let install = runner.install(version);
            assert!(
                install.output.status.success(),
                "{os} {arch}: {}",
                describe(&install.output)
            );
            let folder = runner
                .temp()
                .join(format!("berth-{VERSION}/berth-{VERSION}-{target}"));
            let berth = format!("{}/berth{exe}", folder.display());
            assert_eq!(
                install.outputs,
                BTreeMap::from([("berth".to_owned(), berth.clone())])
            );
            assert_eq!(install.path, vec![folder.display().to_string()]);
            let stdout = String::from_utf8_lossy(&install.output.stdout);
            assert!(stdout.contains(&format!("berth {VERSION}\n")), "{stdout}");
            let printed = std::process::Command::new(&berth)
                .arg("--version")
                .output()
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&printed.stdout),
                format!("berth {VERSION}\n")
            );
        }
    }
    let install = release.runner("FreeBSD", "X64").install("");
    assert_eq!(install.output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&install.output.stdout)
            .contains("::error::berth has no release binary for FreeBSD on X64"),
        "{}",
        describe(&install.output)
    );
}

#[test]
fn the_action_refuses_an_archive_that_is_not_the_one_published() {
    let release = Release::build();
    let archive = &release.assets["x86_64-unknown-linux-musl"].archive;
    let published = release
        .published()
        .join(format!("v{VERSION}"))
        .join(archive);
    let mut bytes = fs::read(&published).unwrap();
    bytes.extend_from_slice(b"tampered");
    fs::write(&published, bytes).unwrap();
    let runner = release.runner("Linux", "X64");
    let install = runner.install("");
    assert_eq!(
        install.output.status.code(),
        Some(1),
        "{}",
        describe(&install.output)
    );
    assert!(
        String::from_utf8_lossy(&install.output.stdout).contains(&format!(
            "::error::{archive} does not match its published SHA-256 checksum"
        )),
        "{}",
        describe(&install.output)
    );
    assert!(install.outputs.is_empty());
    assert!(install.path.is_empty());
    assert!(
        !runner
            .temp()
            .join(format!(
                "berth-{VERSION}/berth-{VERSION}-x86_64-unknown-linux-musl"
            ))
            .exists()
    );

    // A version with no release.
    let install = runner.install("v9.9.9");
    assert_eq!(
        install.output.status.code(),
        Some(1),
        "{}",
        describe(&install.output)
    );
    assert!(
        String::from_utf8_lossy(&install.output.stdout).contains(&format!(
            "::error::could not download {REPOSITORY}/releases/download/v9.9.9/berth-9.9.9-x86_64-unknown-linux-musl.tar.gz: is v9.9.9 a berth release?"
        )),
        "{}",
        describe(&install.output)
    );
}

#[test]
fn the_release_refuses_a_tag_that_is_not_cargo_toml_s_version() {
    let steps = &release_workflow()["jobs"]["version"]["steps"];
    let release = Release::empty();
    for (tag, code) in [(format!("v{VERSION}"), 0), ("v9.9.9".to_owned(), 1)] {
        let run = release.run_with(
            step(steps, "version"),
            &[],
            crate_dir(),
            &[("GITHUB_REF_NAME", &tag)],
        );
        assert_eq!(
            run.output.status.code(),
            Some(code),
            "{tag}: {}",
            describe(&run.output)
        );
        if code == 1 {
            assert_eq!(
                String::from_utf8_lossy(&run.output.stdout),
                format!(
                    "::error::the tag v9.9.9 does not match Cargo.toml's version, {VERSION} (tagged v{VERSION})\n"
                )
            );
        }
    }
}

/// A pull request as the action meets it: origin has billing 1, promoted to dev,
/// on main, and the branch `change` adding billing 2; the runner's checkout is
/// shallow, of the branch alone, as actions/checkout makes it by default.
struct PullRequest {
    origin: Repo,
    checkout: Repo,
    /// billing 2, which the pull request adds.
    two: Put,
    release: Release,
}

impl PullRequest {
    fn new() -> PullRequest {
        let origin = Repo::init();
        let one = origin.put_version_set("billing", 1);
        origin.ready(&one);
        origin.ok(&["promote", &one.object, "--to", "dev"]);
        origin.git_command(&["checkout", "-q", "-b", "change"]);
        let two = origin.put_version_set("billing", 2);
        let checkout = Repo::empty();
        checkout.git_command(&[
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "change",
            &format!("file://{}", origin.path().display()),
            ".",
        ]);
        PullRequest {
            origin,
            checkout,
            two,
            release: Release::build(),
        }
    }

    /// Runs a step of the action in the checkout.
    fn run(&self, runner: &Runner, id: &str, context: &[(&str, &str)]) -> StepRun {
        runner.run(
            step(&action()["runs"]["steps"], id),
            context,
            self.checkout.path(),
        )
    }

    /// Runs the action's install and fetch steps, as for a pull request into
    /// main; the installed berth.
    fn installed_and_fetched(&self, runner: &Runner) -> String {
        let install = runner.install("");
        assert!(
            install.output.status.success(),
            "{}",
            describe(&install.output)
        );
        let fetch = self.run(runner, "fetch", &FETCH_MAIN);
        assert!(fetch.output.status.success(), "{}", describe(&fetch.output));
        install.outputs["berth"].clone()
    }
}

/// The fetch step's inputs in a pull request into main.
const FETCH_MAIN: [(&str, &str); 4] = [
    ("inputs.base", ""),
    ("github.base_ref", "main"),
    ("inputs.environments", "refs/heads/env/"),
    ("inputs.catalog", "main"),
];

#[test]
fn the_action_fetches_the_base_the_environments_and_the_history() {
    let pull = PullRequest::new();
    let runner = pull.release.runner("Linux", "X64");
    let git = |args: &[&str]| pull.checkout.git_command(args);
    assert_eq!(git(&["rev-parse", "--is-shallow-repository"]), "true\n");

    let fetch = pull.run(&runner, "fetch", &FETCH_MAIN);
    assert!(fetch.output.status.success(), "{}", describe(&fetch.output));
    assert_eq!(
        fetch.outputs,
        BTreeMap::from([("base".to_owned(), "origin/main".to_owned())])
    );
    // The whole history, the base branch, and the environments both as they are
    // (what check reads) and as shared (what review compares them with).
    assert_eq!(git(&["rev-parse", "--is-shallow-repository"]), "false\n");
    assert_eq!(
        pull.checkout.tip("refs/remotes/origin/main"),
        pull.origin.tip("refs/heads/main")
    );
    let dev = pull.origin.env_tip("dev");
    assert!(dev.is_some());
    for refname in ["refs/heads/env/dev", "refs/remotes/origin/env/dev"] {
        assert_eq!(pull.checkout.tip(refname), dev, "{refname}");
    }

    // Outside a pull request there is no base branch: the action needs a base.
    let refused = pull.run(
        &runner,
        "fetch",
        &[
            ("inputs.base", ""),
            ("github.base_ref", ""),
            ("inputs.environments", "refs/heads/env/"),
            ("inputs.catalog", "main"),
        ],
    );
    assert_eq!(refused.output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&refused.output.stdout),
        "::error::no base to compare with: outside a pull request, give the action a base\n"
    );
    let given = pull.run(
        &runner,
        "fetch",
        &[
            ("inputs.base", "origin/main~1"),
            ("github.base_ref", ""),
            ("inputs.environments", "refs/heads/env/"),
            ("inputs.catalog", "main"),
        ],
    );
    assert!(given.output.status.success(), "{}", describe(&given.output));
    assert_eq!(given.outputs["base"], "origin/main~1");
}

#[test]
fn the_action_posts_the_review_as_one_comment_and_passes_as_check_does() {
    let pull = PullRequest::new();
    let runner = pull.release.runner("Linux", "X64");
    let berth = pull.installed_and_fetched(&runner);
    let context = [
        ("steps.install.outputs.berth", berth.as_str()),
        ("steps.fetch.outputs.base", "origin/main"),
    ];
    let check = pull.run(&runner, "check", &context);
    assert!(check.output.status.success(), "{}", describe(&check.output));
    assert_eq!(check.outputs["status"], "0");
    let review = pull.run(&runner, "review", &context);
    assert!(
        review.output.status.success(),
        "{}",
        describe(&review.output)
    );
    let file = review.outputs["file"].clone();
    let markdown = fs::read_to_string(&file).unwrap();
    assert!(
        markdown.starts_with("## berth review: ✅ ready\n"),
        "{markdown}"
    );
    assert!(
        markdown.contains(&format!("| `version-sets/{}` |", &pull.two.hash[..12])),
        "{markdown}"
    );
    // The job's summary shows it too, where a fork's pull request can read it.
    assert_eq!(runner.summary(), markdown);

    // The first run posts the comment; a later one finds it by its marker among
    // the pull request's comments, and edits it.
    let context = [
        ("inputs.token", "a-token"),
        ("github.repository", "berth-rs/estate"),
        ("github.event.pull_request.number", "7"),
        ("steps.review.outputs.file", file.as_str()),
    ];
    let body = format!("body=@{}/berth-comment.md", runner.temp().display());
    runner.set_comments(&json!([{"id": 41, "body": "Looks good"}]));
    let posted = pull.run(&runner, "comment", &context);
    assert!(
        posted.output.status.success(),
        "{}",
        describe(&posted.output)
    );
    assert_eq!(
        runner.gh_calls(),
        [
            vec![
                "api",
                "--paginate",
                "repos/berth-rs/estate/issues/7/comments",
                "--jq",
                ".[] | select(.body | startswith(\"<!-- berth-review -->\")) | .id",
            ],
            vec![
                "api",
                "--method",
                "POST",
                "repos/berth-rs/estate/issues/7/comments",
                "--field",
                &body,
                "--jq",
                ".html_url",
            ],
        ]
    );
    assert_eq!(
        runner.gh_body(),
        format!("<!-- berth-review -->\n{markdown}")
    );
    assert!(
        String::from_utf8_lossy(&posted.output.stdout)
            .contains("berth review: https://github.com/berth-rs/estate/pull/7#issuecomment-1\n")
    );

    runner.set_comments(&json!([
        {"id": 41, "body": "Looks good"},
        {"id": 42, "body": "<!-- berth-review -->\n## berth review: ✅ ready\n"},
        {"id": 43, "body": "Quoting <!-- berth-review -->"},
    ]));
    let edited = pull.run(&runner, "comment", &context);
    assert!(
        edited.output.status.success(),
        "{}",
        describe(&edited.output)
    );
    assert_eq!(
        runner.gh_calls().last().unwrap(),
        &[
            "api",
            "--method",
            "PATCH",
            "repos/berth-rs/estate/issues/comments/42",
            "--field",
            &body,
            "--jq",
            ".html_url",
        ]
    );

    // A token that may not write (a fork's): a warning, and the step passes.
    runner.refuse_writes();
    let refused = pull.run(&runner, "comment", &context);
    assert!(
        refused.output.status.success(),
        "{}",
        describe(&refused.output)
    );
    assert!(
        String::from_utf8_lossy(&refused.output.stdout).contains(
            "::warning::could not post the review on the pull request: the workflow needs pull-requests: write\n"
        )
    );

    let verdict = pull.run(&runner, "verdict", &[("steps.check.outputs.status", "0")]);
    assert!(
        verdict.output.status.success(),
        "{}",
        describe(&verdict.output)
    );
}

#[test]
fn the_comment_with_its_marker_fits_in_what_github_takes() {
    // berth cuts a review to 65,536 characters; with the marker's line, lines go
    // from the end until it fits again. Characters count, not bytes.
    let release = Release::empty();
    let runner = release.runner("Linux", "X64");
    let line = format!("{}\n", "é".repeat(99));
    for (lines, kept) in [(655, 655), (656, 655)] {
        let review = runner.temp().join("review.md");
        fs::write(&review, line.repeat(lines)).unwrap();
        runner.set_comments(&json!([]));
        let posted = runner.run(
            step(&action()["runs"]["steps"], "comment"),
            &[
                ("inputs.token", "a-token"),
                ("github.repository", "berth-rs/estate"),
                ("github.event.pull_request.number", "7"),
                ("steps.review.outputs.file", review.to_str().unwrap()),
            ],
            runner.temp(),
        );
        assert!(
            posted.output.status.success(),
            "{}",
            describe(&posted.output)
        );
        let body = runner.gh_body();
        assert_eq!(
            body,
            format!("<!-- berth-review -->\n{}", line.repeat(kept))
        );
        assert!(body.chars().count() <= 65_536);
    }
}

#[test]
fn the_action_fails_as_check_does() {
    // The pull request edits billing 2 after it was put.
    let pull = PullRequest::new();
    let runner = pull.release.runner("Linux", "X64");
    let berth = pull.installed_and_fetched(&runner);
    let edited = pull.checkout.read(&pull.two.path).replace("1002", "1003");
    pull.checkout.write(&pull.two.path, &edited);
    pull.checkout.git_commit_all("Edit billing 2");

    // check's findings are annotations in the log, and its exit code is kept
    // for the last step; review reports the change blocked, for the comment.
    let context = [
        ("steps.install.outputs.berth", berth.as_str()),
        ("steps.fetch.outputs.base", "origin/main"),
    ];
    let check = pull.run(&runner, "check", &context);
    assert!(check.output.status.success(), "{}", describe(&check.output));
    assert_eq!(check.outputs["status"], "1");
    let log = String::from_utf8_lossy(&check.output.stdout);
    assert!(
        log.contains(&format!(
            "::error file={},title=berth%3A%3Ahash-mismatch::",
            pull.two.path
        )),
        "{log}"
    );
    let review = pull.run(&runner, "review", &context);
    assert!(
        review.output.status.success(),
        "{}",
        describe(&review.output)
    );
    let markdown = fs::read_to_string(&review.outputs["file"]).unwrap();
    assert!(
        markdown.starts_with("## berth review: ⛔ blocked\n"),
        "{markdown}"
    );
    let verdict = pull.run(&runner, "verdict", &[("steps.check.outputs.status", "1")]);
    assert_eq!(verdict.output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&verdict.output.stdout),
        "::error::berth check exited 1: see its findings above\n"
    );

    // berth unable to review fails the step with its own exit code.
    let review = pull.run(
        &runner,
        "review",
        &[
            ("steps.install.outputs.berth", berth.as_str()),
            ("steps.fetch.outputs.base", "no-such-revision"),
        ],
    );
    assert_eq!(
        review.output.status.code(),
        Some(2),
        "{}",
        describe(&review.output)
    );
    assert!(
        String::from_utf8_lossy(&review.output.stdout)
            .contains("::error::berth review could not review the change (exit code 2)\n")
    );
    assert!(!review.outputs.contains_key("file"));
}

/// The step with `id` in a list of steps.
fn step<'a>(steps: &'a Value, id: &str) -> &'a Value {
    steps
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// One archive of the release and its checksum file.
struct Asset {
    archive: String,
    checksum: String,
}

/// The release of this crate's version as the release workflow's pack step
/// makes it for each target of its build matrix, laid out as its download URLs
/// are (`<published>/v<version>/<file>`), and the shims that stand in for what a
/// runner downloads from the network.
struct Release {
    dir: TempDir,
    assets: BTreeMap<String, Asset>,
}

impl Release {
    /// The shims, and no release yet.
    fn empty() -> Release {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        for (name, script) in [("curl", CURL), ("gh", GH), ("7z", SEVEN_ZIP)] {
            let path = bin.join(name);
            fs::write(&path, script).unwrap();
            make_executable(&path);
        }
        fs::create_dir_all(dir.path().join("published").join(format!("v{VERSION}"))).unwrap();
        Release {
            dir,
            assets: BTreeMap::new(),
        }
    }

    /// Runs the pack step for every target of the build matrix, in one
    /// checkout, then publishes the archives as the publish job does.
    ///
    /// Each archive holds, as its binary, a script that runs the berth under
    /// test: packing the debug binary (160 MB) five times would cost a minute,
    /// and what is tested here is names, layout and checksums, not the build.
    fn build() -> Release {
        let mut release = Release::empty();
        let checkout = release.dir.path().join("checkout");
        fs::create_dir_all(&checkout).unwrap();
        for file in ["README.md", "LICENSE-MIT", "LICENSE-APACHE"] {
            fs::copy(crate_dir().join(file), checkout.join(file)).unwrap();
        }
        let workflow = release_workflow();
        let build = &workflow["jobs"]["build"];
        let pack = step(&build["steps"], "pack");
        for entry in build["strategy"]["matrix"]["include"].as_array().unwrap() {
            let target = entry["target"].as_str().unwrap();
            let exe = if target.contains("-windows-") {
                ".exe"
            } else {
                ""
            };
            let binary = checkout.join(format!("target/{target}/release/berth{exe}"));
            fs::create_dir_all(binary.parent().unwrap()).unwrap();
            fs::write(
                &binary,
                format!(
                    "#!/bin/sh\nexec '{}' \"$@\"\n",
                    assert_cmd::cargo::cargo_bin("berth").display()
                ),
            )
            .unwrap();
            make_executable(&binary);
            let before = files_in(&checkout.join("dist"));
            let context = [
                ("github.ref_name", format!("v{VERSION}")),
                ("matrix.target", target.to_owned()),
                (
                    "matrix.archive",
                    entry["archive"].as_str().unwrap().to_owned(),
                ),
            ];
            let context: Vec<(&str, &str)> =
                context.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let run = release.run(pack, &context, &checkout);
            assert!(
                run.output.status.success(),
                "{target}: {}",
                describe(&run.output)
            );
            let made: Vec<String> = files_in(&checkout.join("dist"))
                .difference(&before)
                .cloned()
                .collect();
            let [archive, checksum]: [String; 2] = made
                .try_into()
                .unwrap_or_else(|made| panic!("{target}: {made:?}"));
            release
                .assets
                .insert(target.to_owned(), Asset { archive, checksum });
        }
        // The publish job downloads every build's files into dist/; the release
        // serves them under the tag.
        let published = release.published();
        copy_dir(&checkout.join("dist"), &published.join("dist"));
        copy_dir(
            &checkout.join("dist"),
            &published.join(format!("v{VERSION}")),
        );
        release
    }

    /// Where the release is served from: `v<version>/` as downloads, `dist/` as
    /// the publish job sees it.
    fn published(&self) -> PathBuf {
        self.dir.path().join("published")
    }

    /// An archive's entries.
    fn list(&self, archive: &str) -> BTreeSet<String> {
        let path = self.published().join(format!("v{VERSION}")).join(archive);
        let output = if archive.ends_with(".zip") {
            std::process::Command::new("unzip")
                .arg("-Z1")
                .arg(&path)
                .output()
        } else {
            std::process::Command::new("tar")
                .arg("-tzf")
                .arg(&path)
                .output()
        }
        .unwrap();
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8(output.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// A runner of `os` on `arch`, with its own temporary directory.
    fn runner(&self, os: &str, arch: &str) -> Runner<'_> {
        let temp = tempfile::tempdir().unwrap();
        Runner {
            release: self,
            os: os.to_owned(),
            arch: arch.to_owned(),
            temp,
        }
    }

    fn run(&self, step: &Value, context: &[(&str, &str)], dir: &Path) -> StepRun {
        self.run_with(step, context, dir, &[])
    }

    /// Runs a step's script as GitHub does, in `dir` (or its
    /// `working-directory` under `dir`), with its `env` expanded from `context`
    /// and `variables` as the runner's own.
    fn run_with(
        &self,
        step: &Value,
        context: &[(&str, &str)],
        dir: &Path,
        variables: &[(&str, &str)],
    ) -> StepRun {
        assert_eq!(step["shell"], "bash", "{step:#}");
        let script = step["run"].as_str().unwrap();
        let files = tempfile::tempdir().unwrap();
        let script_file = files.path().join("step.sh");
        fs::write(&script_file, script).unwrap();
        let output_file = files.path().join("output");
        let path_file = files.path().join("path");
        fs::write(&output_file, "").unwrap();
        fs::write(&path_file, "").unwrap();

        let home = Repo::empty();
        let mut command = home.hermetic("bash");
        let dir = match step["working-directory"].as_str() {
            Some(sub) => dir.join(sub),
            None => dir.to_owned(),
        };
        let mut search = std::ffi::OsString::from(self.dir.path().join("bin"));
        search.push(":");
        search.push(Path::new(env!("CARGO")).parent().unwrap());
        search.push(":");
        search.push(std::env::var_os("PATH").unwrap_or_default());
        command
            .args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&dir)
            .env("PATH", search)
            .env("GITHUB_OUTPUT", &output_file)
            .env("GITHUB_PATH", &path_file)
            .env("SHIM_RELEASES", self.published())
            .env("SHIM_GH", self.dir.path().join("gh"));
        for (key, value) in variables {
            command.env(key, value);
        }
        if let Some(env) = step["env"].as_object() {
            for (key, value) in env {
                let value = match value {
                    Value::String(text) => expand(text, context),
                    other => other.to_string(),
                };
                command.env(key, value);
            }
        }
        let output = command.output().unwrap();
        let outputs = fs::read_to_string(&output_file)
            .unwrap()
            .lines()
            .map(|line| {
                let (key, value) = line.split_once('=').unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect();
        let path = fs::read_to_string(&path_file)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        StepRun {
            output,
            outputs,
            path,
        }
    }
}

/// What a step did: its process, what it wrote to `GITHUB_OUTPUT` and to
/// `GITHUB_PATH`.
struct StepRun {
    output: Output,
    outputs: BTreeMap<String, String>,
    path: Vec<String>,
}

/// A runner of the action: its OS and architecture, and `RUNNER_TEMP`.
struct Runner<'a> {
    release: &'a Release,
    os: String,
    arch: String,
    temp: TempDir,
}

impl Runner<'_> {
    fn temp(&self) -> &Path {
        self.temp.path()
    }

    /// The action's install step with the `version` input.
    fn install(&self, version: &str) -> StepRun {
        let steps = &action()["runs"]["steps"];
        let context = [
            ("inputs.version", version),
            ("github.action_path", crate_dir().to_str().unwrap()),
        ];
        self.run(step(steps, "install"), &context, self.temp())
    }

    fn run(&self, step: &Value, context: &[(&str, &str)], dir: &Path) -> StepRun {
        let summary = self.temp().join("summary.md");
        self.release.run_with(
            step,
            context,
            dir,
            &[
                ("RUNNER_OS", &self.os),
                ("RUNNER_ARCH", &self.arch),
                ("RUNNER_TEMP", self.temp().to_str().unwrap()),
                ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ],
        )
    }

    /// What the steps wrote to the job's summary.
    fn summary(&self) -> String {
        fs::read_to_string(self.temp().join("summary.md")).unwrap()
    }

    /// The pull request's comments, as the GitHub API lists them to `gh`.
    fn set_comments(&self, comments: &Value) {
        let gh = self.release.dir.path().join("gh");
        fs::create_dir_all(&gh).unwrap();
        fs::write(gh.join("comments.json"), comments.to_string()).unwrap();
        let _ = fs::remove_file(gh.join("calls"));
        let _ = fs::remove_file(gh.join("refuse"));
    }

    /// Makes `gh` fail to post or edit, as with a read-only token.
    fn refuse_writes(&self) {
        fs::write(self.release.dir.path().join("gh/refuse"), "").unwrap();
    }

    /// Each `gh` call's arguments.
    fn gh_calls(&self) -> Vec<Vec<String>> {
        fs::read_to_string(self.release.dir.path().join("gh/calls"))
            .unwrap()
            .lines()
            .map(|line| {
                line.trim_end_matches('\x1f')
                    .split('\x1f')
                    .map(str::to_owned)
                    .collect()
            })
            .collect()
    }

    /// The body of the last comment `gh` posted or edited.
    fn gh_body(&self) -> String {
        fs::read_to_string(self.release.dir.path().join("gh/body")).unwrap()
    }
}

/// `text` with each `${{ expression }}` replaced by its value in `context`.
fn expand(text: &str, context: &[(&str, &str)]) -> String {
    let expression = Regex::new(r"\$\{\{\s*(.*?)\s*\}\}").unwrap();
    expression
        .replace_all(text, |captures: &regex::Captures| {
            context
                .iter()
                .find(|(name, _)| *name == &captures[1])
                .unwrap_or_else(|| panic!("no value for ${{{{ {} }}}}", &captures[1]))
                .1
                .to_owned()
        })
        .into_owned()
}

fn files_in(dir: &Path) -> BTreeSet<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755)).unwrap();
}

/// curl, serving `https://github.com/berth-rs/berth/releases/download/<file>`
/// from `$SHIM_RELEASES/<file>`, and failing as `curl --fail` does on a 404.
const CURL: &str = r#"#!/usr/bin/env bash
set -euo pipefail
out="" url=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out=$2; shift ;;
    https://*) url=$1 ;;
  esac
  shift
done
file="$SHIM_RELEASES/${url#https://github.com/berth-rs/berth/releases/download/}"
if [ "$url" = "${url#https://github.com/berth-rs/berth/releases/download/}" ] || [ ! -f "$file" ]; then
  echo "curl: (22) The requested URL returned error: 404" >&2
  exit 22
fi
cp "$file" "$out"
"#;

/// gh, recording each call's arguments in `$SHIM_GH/calls`, a line each: `api --paginate` answers with
/// `--jq` applied to `$SHIM_GH/comments.json`; a POST or PATCH keeps the body it
/// was given in `$SHIM_GH/body` and answers with a comment's URL, or fails when
/// `$SHIM_GH/refuse` exists.
const GH: &str = r#"#!/usr/bin/env bash
set -euo pipefail
printf '%s\x1f' "$@" >> "$SHIM_GH/calls"
echo >> "$SHIM_GH/calls"
filter="" method=GET body=""
while [ $# -gt 0 ]; do
  case "$1" in
    --jq) filter=$2; shift ;;
    --method) method=$2; shift ;;
    --field) body=${2#body=@}; shift ;;
  esac
  shift
done
if [ "$method" = GET ]; then
  jq -r "$filter" "$SHIM_GH/comments.json"
elif [ -e "$SHIM_GH/refuse" ]; then
  echo "gh: Resource not accessible by integration (HTTP 403)" >&2
  exit 1
else
  cp "$body" "$SHIM_GH/body"
  echo "https://github.com/berth-rs/estate/pull/7#issuecomment-1"
fi
"#;

/// 7-Zip's `a -tzip` and `x`, as Windows runners have it, done by zip and unzip.
const SEVEN_ZIP: &str = r#"#!/usr/bin/env bash
set -euo pipefail
command=$1
shift
out=. files=()
for arg in "$@"; do
  case "$arg" in
    -o*) out=${arg#-o} ;;
    -*) ;;
    *) files+=("$arg") ;;
  esac
done
case "$command" in
  a) zip -q -r "${files[@]}" ;;
  x) unzip -q -o "${files[0]}" -d "$out" ;;
  *) echo "7z shim: no command $command" >&2; exit 2 ;;
esac
"#;

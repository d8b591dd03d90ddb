//! The bad-input matrix: one test per class of hostile input or fault, each on the
//! commands it reaches. Every case asserts the exit code and the error or finding
//! code, that nothing panicked, and that nothing was written: the working tree's
//! files, every ref, the index and every reflog are byte for byte as before, and
//! no lock file is left.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use serde_json::Value;

use crate::support::{NEW_PRICING, Repo, independent_hash, refused_json, version_set};

/// What a refused command must say.
struct Refusal<'a> {
    exit: i32,
    /// The error's code (`berth::...`) or, for the validators, `None`.
    error: Option<&'a str>,
    /// A finding code the report must hold, if any.
    finding: Option<&'a str>,
}

/// Runs `berth <args> --format json`, asserting the refusal, that nothing
/// panicked, and that nothing was written. Its JSON.
fn refused(repo: &Repo, args: &[&str], refusal: &Refusal<'_>) -> Value {
    let report = refused_json(repo, None, args, refusal.exit);
    if let Some(code) = refusal.error {
        assert_eq!(report["error"]["code"], code, "{args:?}: {report:#}");
        assert_eq!(report["error"]["exit_code"], refusal.exit, "{args:?}");
    }
    if let Some(code) = refusal.finding {
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .map(|findings| findings.iter().filter_map(|f| f["code"].as_str()).collect())
            .unwrap_or_default();
        assert!(codes.contains(&code), "{args:?}: no {code} in {report:#}");
    }
    report
}

const fn refusal<'a>(exit: i32, error: Option<&'a str>, finding: Option<&'a str>) -> Refusal<'a> {
    Refusal {
        exit,
        error,
        finding,
    }
}

/// A validator's verdict: exit 1 with this finding.
const fn found(finding: &str) -> Refusal<'_> {
    refusal(1, None, Some(finding))
}

/// A put refused for this finding: exit 1, `berth::invalid-object`.
const fn invalid(finding: &str) -> Refusal<'_> {
    refusal(1, Some("berth::invalid-object"), Some(finding))
}

/// A berth repository whose catalog holds one committed version set.
fn catalog() -> Repo {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    repo
}

/// The hash of the catalog's one version set.
fn object_hash(repo: &Repo) -> String {
    repo.files("objects")[0]
        .rsplit('/')
        .next()
        .unwrap()
        .trim_end_matches(".json")
        .to_owned()
}

/// Writes billing's version set 2 as an input file; its name.
fn second_version_set(repo: &Repo) -> String {
    input(
        repo,
        "two.json",
        &serde_json::to_vec(&version_set("billing", 2)).unwrap(),
    )
}

/// Writes `bytes` as an input file outside `objects/`; its name.
fn input(repo: &Repo, name: &str, bytes: &[u8]) -> String {
    let path = repo.path().join("input").join(name);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, bytes).unwrap();
    format!("input/{name}")
}

/// `put version-sets` of `bytes`, written as the input file `name`, into a fresh
/// catalog is refused with `code` and writes nothing.
fn put_is_invalid(name: &str, bytes: &[u8], code: &str) {
    let repo = catalog();
    let file = input(&repo, name, bytes);
    refused(&repo, &["put", "version-sets", &file], &invalid(code));
}

/// A version set's JSON with `from` replaced by `to`, as bytes.
fn edited_version_set(from: &str, to: &str) -> Vec<u8> {
    let text = serde_json::to_string_pretty(&version_set("billing", 2)).unwrap();
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1).into_bytes()
}

/// Commits a file into the catalog with git itself, as a hand edit would land.
fn commit_by_hand(repo: &Repo, path: &str, bytes: &[u8]) {
    let full = repo.path().join(path);
    fs::create_dir_all(full.parent().unwrap()).unwrap();
    fs::write(&full, bytes).unwrap();
    repo.git_commit_all("by hand");
}

/// The validator's three sources, each reading what was committed by hand.
fn every_source(repo: &Repo, expected: &Refusal<'_>) {
    for args in [
        &["validate"][..],
        &["validate", "--staged"],
        &["validate", "--rev", "HEAD"],
        &["check"],
    ] {
        refused(repo, args, expected);
    }
}

// Bytes that are not what they claim to be.

#[test]
fn a_byte_that_is_not_utf8_in_an_object() {
    let repo = catalog();
    let bytes = edited_version_set("\"billing\"", "\"bill\u{fffd}ing\"");
    let bytes: Vec<u8> = String::from_utf8(bytes)
        .unwrap()
        .replace('\u{fffd}', "\u{1}")
        .into_bytes()
        .into_iter()
        .map(|b| if b == 1 { 0xff } else { b })
        .collect();
    let file = input(&repo, "bad.json", &bytes);
    refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        &invalid("parse"),
    );
    commit_by_hand(
        &repo,
        "objects/version-sets/billing/0000000000000000000000000000000000000000000000000000000000000000.json",
        &bytes,
    );
    every_source(&repo, &found("parse"));
}

#[test]
fn a_byte_that_is_not_utf8_in_berth_toml() {
    let repo = catalog();
    let mut settings = repo.read("berth.toml").into_bytes();
    settings.extend_from_slice(b"# \xff\n");
    commit_by_hand(&repo, "berth.toml", &settings);
    every_source(&repo, &found("parse"));
    refused(
        &repo,
        &["ls"],
        &refusal(1, Some("berth::invalid-settings"), Some("parse")),
    );
}

#[test]
fn a_byte_that_is_not_utf8_in_a_component_file() {
    let repo = catalog();
    commit_by_hand(&repo, "components/api.toml", b"name = \"api\xff\"\n");
    every_source(&repo, &found("parse"));
}

#[test]
fn a_byte_that_is_not_utf8_in_a_store_schema() {
    let repo = catalog();
    let settings = repo.read("berth.toml")
        + "\n[stores.tools]\nschema = \"schemas/tool.schema.json\"\npartition = \"/slug\"\n";
    fs::write(repo.path().join("berth.toml"), settings).unwrap();
    commit_by_hand(
        &repo,
        "schemas/tool.schema.json",
        b"{\"type\": \"object\", \"title\": \"\xff\"}",
    );
    every_source(&repo, &found("parse"));
}

#[test]
fn a_truncated_character_at_the_end_of_a_file() {
    let mut bytes = edited_version_set("\"billing\"", "\"billing\"");
    bytes.extend_from_slice(&[0xe2, 0x82]);
    put_is_invalid("cut.json", &bytes, "parse");
}

#[test]
fn a_byte_order_mark_before_json() {
    let mut bytes = vec![0xef, 0xbb, 0xbf];
    bytes.extend(edited_version_set("\"billing\"", "\"billing\""));
    put_is_invalid("bom.json", &bytes, "parse");
}

#[test]
fn an_empty_object_file() {
    put_is_invalid("empty.json", b"", "parse");
}

#[test]
fn json_that_is_not_well_formed() {
    put_is_invalid("broken.json", b"{\"package\": \"billing\",", "parse");
}

#[test]
fn json_nested_a_hundred_thousand_deep() {
    let bytes = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    put_is_invalid("deep.json", bytes.as_bytes(), "parse");
}

#[test]
fn toml_nested_a_hundred_thousand_deep() {
    let bytes = format!("a = {}{}", "[".repeat(100_000), "]".repeat(100_000));
    put_is_invalid("deep.toml", bytes.as_bytes(), "parse");
}

#[test]
fn a_key_twice_in_json() {
    let repo = catalog();
    let bytes = edited_version_set("\"git_sha\":", "\"git_sha\": \"0\", \"git_sha\":");
    let file = input(&repo, "twice.json", &bytes);
    refused(
        &repo,
        &["put", "version-sets", &file],
        &invalid("duplicate-key"),
    );
}

#[test]
fn a_key_twice_in_toml() {
    let repo = catalog();
    let file = input(
        &repo,
        "twice.toml",
        b"package = \"billing\"\npackage = \"search\"\n",
    );
    refused(
        &repo,
        &["put", "version-sets", &file],
        &invalid("duplicate-key"),
    );
}

#[test]
fn nan_and_infinities_in_json() {
    let repo = catalog();
    for (i, value) in ["NaN", "Infinity", "-Infinity"].iter().enumerate() {
        let bytes = edited_version_set("1002", value);
        let file = input(&repo, &format!("nan-{i}.json"), &bytes);
        refused(&repo, &["put", "version-sets", &file], &invalid("parse"));
    }
}

#[test]
fn integers_json_cannot_carry_exactly() {
    let repo = catalog();
    for (i, value) in [
        "9007199254740993",
        "-9007199254740993",
        "1e400",
        "123456789012345678901234567890",
    ]
    .iter()
    .enumerate()
    {
        let bytes = edited_version_set("1002", value);
        let file = input(&repo, &format!("big-{i}.json"), &bytes);
        refused(&repo, &["put", "version-sets", &file], &invalid("parse"));
    }
}

#[test]
fn an_object_over_the_size_limit() {
    let repo = catalog();
    let settings = repo
        .read("berth.toml")
        .replace("[repo]", "[repo]\nmax_object_bytes = 256");
    commit_by_hand(&repo, "berth.toml", settings.as_bytes());
    let bytes = edited_version_set("\"billing\"", "\"billing\"");
    let file = input(&repo, "large.json", &bytes);
    refused(
        &repo,
        &["put", "version-sets", &file],
        &invalid("too-large"),
    );
}

#[test]
fn a_string_of_a_mebibyte_gives_a_bounded_diagnostic() {
    let repo = catalog();
    let long = "x".repeat(1 << 20);
    let bytes = edited_version_set("\"2025-05-03T12:00:00Z\"", &format!("\"{long}\""));
    let file = input(&repo, "long.json", &bytes);
    let output = repo
        .berth()
        .args(["put", "version-sets", &file])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        output.stderr.len() < 16 * 1024,
        "{} bytes of diagnostic",
        output.stderr.len()
    );
    refused(&repo, &["put", "version-sets", &file], &invalid("schema"));
}

#[test]
fn a_timestamp_with_an_offset_beyond_a_day() {
    let bytes = edited_version_set("\"2025-05-03T12:00:00Z\"", "\"2025-05-03T12:00:00+25:00\"");
    put_is_invalid("offset.json", &bytes, "schema");
}

#[test]
fn a_timestamp_on_a_day_that_does_not_exist() {
    let bytes = edited_version_set("\"2025-05-03T12:00:00Z\"", "\"2025-02-30T12:00:00Z\"");
    put_is_invalid("day.json", &bytes, "schema");
}

#[test]
fn an_object_whose_name_is_not_its_hash() {
    let repo = catalog();
    let bytes = edited_version_set("\"billing\"", "\"billing\"");
    commit_by_hand(
        &repo,
        "objects/version-sets/billing/1111111111111111111111111111111111111111111111111111111111111111.json",
        &bytes,
    );
    every_source(&repo, &found("hash-mismatch"));
}

#[test]
fn an_object_in_another_package_s_partition() {
    let repo = catalog();
    let data = version_set("billing", 2);
    let bytes = serde_json::to_vec_pretty(&data).unwrap();
    commit_by_hand(
        &repo,
        &format!(
            "objects/version-sets/search/{}.json",
            independent_hash(&data)
        ),
        &bytes,
    );
    every_source(&repo, &found("bad-path"));
}

#[test]
fn a_package_name_that_would_escape_its_directory() {
    let bytes = edited_version_set("\"billing\"", "\"../../etc\"");
    put_is_invalid("escape.json", &bytes, "bad-name");
}

#[test]
fn an_input_file_of_no_known_format() {
    put_is_invalid("object.yaml", b"package: billing\n", "bad-path");
}

// What lies outside the repository, or is not a file.

#[test]
fn berth_toml_that_is_a_symlink_to_a_secret() {
    let repo = catalog();
    let secret = tempfile::NamedTempFile::new().unwrap();
    fs::write(secret.path(), "aws_secret_access_key = \"hunter2\"\n").unwrap();
    fs::remove_file(repo.path().join("berth.toml")).unwrap();
    symlink(secret.path(), repo.path().join("berth.toml")).unwrap();
    repo.git_commit_all("link");
    for args in [
        &["validate"][..],
        &["validate", "--staged"],
        &["validate", "--rev", "HEAD"],
        &["ls"],
    ] {
        let output = repo.berth().args(args).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("hunter2")
                && !String::from_utf8_lossy(&output.stdout).contains("hunter2"),
            "{args:?} echoed the file the link points at"
        );
        assert_ne!(output.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn a_store_schema_that_is_a_symlink() {
    let repo = catalog();
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::write(outside.path(), "{\"type\": \"object\"}").unwrap();
    let settings = repo.read("berth.toml")
        + "\n[stores.tools]\nschema = \"schemas/tool.schema.json\"\npartition = \"/slug\"\n";
    fs::write(repo.path().join("berth.toml"), settings).unwrap();
    fs::create_dir_all(repo.path().join("schemas")).unwrap();
    symlink(outside.path(), repo.path().join("schemas/tool.schema.json")).unwrap();
    repo.git_commit_all("link");
    every_source(&repo, &found("bad-path"));
}

#[test]
fn an_object_that_is_a_symlink() {
    let repo = catalog();
    let target = repo.read(&repo.files("objects")[0]);
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::write(outside.path(), target).unwrap();
    let data = version_set("billing", 2);
    let path = repo.path().join(format!(
        "objects/version-sets/billing/{}.json",
        independent_hash(&data)
    ));
    symlink(outside.path(), path).unwrap();
    repo.git_commit_all("link");
    every_source(&repo, &found("bad-path"));
}

#[test]
fn a_partition_directory_that_is_a_symlink_is_never_written_through() {
    let repo = catalog();
    let outside = tempfile::tempdir().unwrap();
    symlink(
        outside.path(),
        repo.path().join("objects/version-sets/search"),
    )
    .unwrap();
    let file = input(
        &repo,
        "search.json",
        &serde_json::to_vec(&version_set("search", 1)).unwrap(),
    );
    refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        &invalid("bad-path"),
    );
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}

#[test]
fn a_components_directory_that_is_a_symlink_is_never_written_through() {
    let repo = catalog();
    let outside = tempfile::tempdir().unwrap();
    symlink(outside.path(), repo.path().join("components")).unwrap();
    refused(
        &repo,
        &[
            "component",
            "add",
            "api",
            "--image",
            "registry.example.com/api",
            "--commit",
        ],
        &refusal(1, Some("berth::bad-path"), None),
    );
    assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 0);
}

fn fifo(path: &Path) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_fifo_given_as_an_input_file() {
    let repo = catalog();
    fifo(&repo.path().join("input/pipe.json"));
    refused(
        &repo,
        &["put", "version-sets", "input/pipe.json"],
        &refusal(2, Some("berth::unreadable-input"), None),
    );
}

#[test]
fn a_fifo_in_the_repository_where_a_file_is_read() {
    let repo = catalog();
    fifo(&repo.path().join("components/api.toml"));
    refused(&repo, &["validate"], &found("bad-path"));
    // Listing goes on past the file it refuses to open, and says why.
    let output = repo
        .berth()
        .args(["component", "ls"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stderr).contains("berth::bad-path"));
    fs::remove_file(repo.path().join("components/api.toml")).unwrap();
    fifo(&repo.path().join("objects/configs/pricing-acct-1/0000000000000000000000000000000000000000000000000000000000000000.json"));
    for args in [
        &["config", "show", "pricing-acct-1"][..],
        &["config", "resolve", "pricing", "--asset", "a"],
    ] {
        let output = repo.berth().args(args).output().unwrap();
        assert_ne!(output.status.code(), Some(0), "{args:?} read a FIFO");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

#[test]
fn a_directory_given_as_an_input_file() {
    let repo = catalog();
    fs::create_dir_all(repo.path().join("input/dir.json")).unwrap();
    refused(
        &repo,
        &["put", "version-sets", "input/dir.json"],
        &refusal(2, Some("berth::unreadable-input"), None),
    );
}

#[test]
fn an_input_file_that_does_not_exist() {
    let repo = catalog();
    refused(
        &repo,
        &["put", "version-sets", "input/missing.json"],
        &refusal(2, Some("berth::unreadable-input"), None),
    );
}

// git in a state berth must not write into.

#[test]
fn the_index_locked_by_another_process() {
    let repo = catalog();
    fs::write(repo.path().join(".git/index.lock"), "").unwrap();
    let file = second_version_set(&repo);
    refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        &refusal(3, Some("berth::locked"), None),
    );
}

#[test]
fn the_catalog_branch_locked_by_another_process() {
    let repo = catalog();
    fs::write(repo.path().join(".git/refs/heads/main.lock"), "").unwrap();
    let file = second_version_set(&repo);
    refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        &refusal(3, Some("berth::locked"), None),
    );
}

#[test]
fn an_environment_ref_locked_by_another_process() {
    let repo = catalog();
    let hash = object_hash(&repo);
    repo.ok(&["promote", &hash, "--to", "dev"]);
    fs::write(repo.path().join(".git/refs/heads/env/dev.lock"), "").unwrap();
    refused(
        &repo,
        &["rollback", "billing", "--env", "dev"],
        &refusal(1, None, None),
    );
    let two = repo.put_version_set("billing", 2);
    refused(
        &repo,
        &["promote", &two.object, "--to", "dev"],
        &refusal(3, Some("berth::locked"), None),
    );
}

#[test]
fn an_environment_branch_checked_out() {
    let repo = catalog();
    let hash = object_hash(&repo);
    repo.ok(&["promote", &hash, "--to", "dev"]);
    let two = repo.put_version_set("billing", 2);
    repo.git_command(&["worktree", "add", "-q", "../dev-checkout", "env/dev"]);
    refused(
        &repo,
        &["promote", &two.object, "--to", "dev"],
        &refusal(1, Some("berth::checked-out"), None),
    );
    let _ = fs::remove_dir_all(repo.path().join("../dev-checkout"));
}

#[test]
fn a_detached_head() {
    let repo = catalog();
    let head = repo.tip("HEAD").unwrap();
    repo.git_command(&["checkout", "-q", "--detach", &head]);
    let file = second_version_set(&repo);
    refused(
        &repo,
        &["put", "version-sets", &file, "--commit"],
        &refusal(1, Some("berth::detached-head"), None),
    );
}

#[test]
fn no_git_identity() {
    let repo = catalog();
    let file = second_version_set(&repo);
    let before = repo.written();
    let (exit, report) = repo.json_without_identity(&["put", "version-sets", &file, "--commit"]);
    assert_eq!(
        (exit, &report["error"]["code"]),
        (4, &Value::from("berth::no-identity"))
    );
    assert_eq!(repo.written(), before);
}

#[test]
fn a_merge_stopped_on_a_conflict() {
    let repo = catalog();
    repo.git_command(&["checkout", "-qb", "side"]);
    fs::write(
        repo.path().join("berth.toml"),
        repo.read("berth.toml") + "\n[environments.qa]\n",
    )
    .unwrap();
    repo.git_commit_all("side");
    repo.git_command(&["checkout", "-q", "main"]);
    fs::write(
        repo.path().join("berth.toml"),
        repo.read("berth.toml") + "\n[environments.perf]\n",
    )
    .unwrap();
    repo.git_commit_all("main");
    let merge = repo
        .hermetic("git")
        .args(["merge", "-q", "side"])
        .output()
        .unwrap();
    assert!(!merge.status.success());
    refused(&repo, &["validate", "--staged"], &found("unmerged"));
    refused(
        &repo,
        &["validate", "--staged", "--base", "HEAD"],
        &found("unmerged"),
    );
}

#[test]
fn environment_names_git_cannot_hold() {
    let repo = catalog();
    commit_by_hand(&repo, "berth.toml", b"[environments.\"dev.lock\"]\n");
    every_source(&repo, &found("bad-name"));
    commit_by_hand(
        &repo,
        "berth.toml",
        b"[repo]\nenv_ref_prefix = \"refs/heads/main/\"\n[environments.dev]\n",
    );
    every_source(&repo, &found("schema"));
}

#[test]
fn a_branch_standing_where_an_environment_ref_goes() {
    let repo = catalog();
    let hash = object_hash(&repo);
    repo.git_command(&["branch", "env/dev/hotfix"]);
    refused(
        &repo,
        &["promote", &hash, "--to", "dev"],
        &refusal(1, Some("berth::ref-clash"), None),
    );
}

#[test]
fn a_revision_that_names_nothing() {
    let repo = catalog();
    refused(
        &repo,
        &["validate", "--rev", "no-such-branch"],
        &refusal(2, Some("berth::bad-revision"), None),
    );
}

#[test]
fn a_time_with_an_offset_beyond_a_day() {
    let repo = catalog();
    refused(
        &repo,
        &["status", "--at", "2025-05-01T00:00:00+25:00"],
        &refusal(2, Some("berth::bad-time"), None),
    );
}

#[test]
fn a_hook_the_user_edited() {
    let repo = catalog();
    repo.ok(&["hook", "install"]);
    let hook = repo.path().join(".git/hooks/pre-commit");
    fs::write(&hook, fs::read_to_string(&hook).unwrap() + "make lint\n").unwrap();
    refused(
        &repo,
        &["hook", "install"],
        &refusal(3, Some("berth::hook-exists"), None),
    );
}

// Config writes.

fn with(base: &[&str], rest: &[&str]) -> Vec<String> {
    base.iter()
        .chain(rest)
        .map(|arg| (*arg).to_owned())
        .collect()
}

fn refused_owned(repo: &Repo, args: &[String], expected: &Refusal<'_>) -> Value {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(repo, &args, expected)
}

#[test]
fn set_values_toml_cannot_keep_exactly() {
    let repo = catalog();
    for value in [
        "rate=9007199254740993",
        "rate=1e400",
        "rate=nan",
        "rate=-inf",
        "rate=.5",
    ] {
        refused_owned(
            &repo,
            &with(NEW_PRICING, &["--set", value, "--commit"]),
            &refusal(2, Some("berth::bad-setting"), None),
        );
    }
}

#[test]
fn an_idempotency_key_reused_with_other_settings() {
    let repo = catalog();
    let args = with(
        NEW_PRICING,
        &[
            "--set",
            "rate=1",
            "--idempotency-key",
            "k",
            "--effective-at",
            "2025-05-01T00:00:00Z",
            "--commit",
        ],
    );
    repo.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    refused_owned(
        &repo,
        &with(
            NEW_PRICING,
            &[
                "--set",
                "rate=2",
                "--idempotency-key",
                "k",
                "--effective-at",
                "2025-05-01T00:00:00Z",
                "--commit",
            ],
        ),
        &refusal(3, Some("berth::idempotency-key-reused"), None),
    );
}

#[test]
fn an_expected_version_beyond_the_range() {
    let repo = catalog();
    let mut args = with(NEW_PRICING, &["--set", "rate=1", "--commit"]);
    args[4] = "18446744073709551615".to_owned();
    refused_owned(&repo, &args, &refusal(2, Some("berth::bad-version"), None));
}

#[test]
fn an_effective_time_with_an_offset_beyond_a_day() {
    let repo = catalog();
    let output = repo
        .berth()
        .args(with(
            NEW_PRICING,
            &[
                "--set",
                "rate=1",
                "--effective-at",
                "2025-05-01T00:00:00+25:00",
                "--commit",
            ],
        ))
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    assert!(repo.files("objects/configs").is_empty());
}

#[test]
fn a_settings_file_that_is_a_fifo() {
    let repo = catalog();
    fifo(&repo.path().join("input/settings.toml"));
    refused_owned(
        &repo,
        &with(NEW_PRICING, &["--file", "input/settings.toml", "--commit"]),
        &refusal(2, None, None),
    );
}

// Environments and history.

#[test]
fn an_environment_commit_made_by_hand_with_forged_trailers() {
    let repo = catalog();
    let hash = object_hash(&repo);
    repo.ok(&["promote", &hash, "--to", "dev"]);
    // A side branch holds an object main never had; a commit on env/dev claims
    // it came from main.
    repo.git_command(&["checkout", "-qb", "side"]);
    let forged = repo.put_version_set("billing", 7);
    repo.git_command(&["checkout", "-q", "main"]);
    let dev = repo.tip("refs/heads/env/dev").unwrap();
    let side = repo.tip("refs/heads/side").unwrap();
    let tree = repo.git_command(&["rev-parse", &format!("{dev}^{{tree}}")]);
    let message = format!(
        "promote billing to dev\n\nBerth-Action: promote\nBerth-Package: billing\nBerth-Object: {}\nBerth-From: main\n",
        forged.object
    );
    let commit = repo.git_command(&[
        "commit-tree",
        tree.trim(),
        "-p",
        &dev,
        "-p",
        &side,
        "-m",
        &message,
    ]);
    repo.git_command(&["update-ref", "refs/heads/env/dev", commit.trim()]);
    refused(&repo, &["check"], &found("promotion-path"));
}

#[test]
fn a_shallow_clone_asked_for_history() {
    let repo = catalog();
    let hash = object_hash(&repo);
    repo.ok(&["promote", &hash, "--to", "dev"]);
    let two = repo.put_version_set("billing", 2);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let clone = Repo::empty();
    let url = format!("file://{}", repo.path().display());
    clone.git_command(&["clone", "-q", "--depth", "1", &url, "."]);
    clone.git_command(&[
        "fetch",
        "-q",
        "--depth",
        "1",
        "origin",
        "refs/heads/env/*:refs/heads/env/*",
    ]);
    let output = clone
        .berth()
        .args(["lineage", "billing@dev", "--format", "json"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// The command line itself.

#[test]
fn an_argument_that_is_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let repo = catalog();
    let before = repo.written();
    let output = repo
        .berth()
        .arg("put")
        .arg("version-sets")
        .arg(std::ffi::OsStr::from_bytes(b"input/\xff.json"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(repo.written(), before);
}

#[test]
fn a_directory_to_run_in_that_does_not_exist() {
    let repo = catalog();
    refused(&repo, &["-C", "no/such/dir", "ls"], &refusal(4, None, None));
}

#[test]
fn output_to_a_full_disk() {
    let repo = catalog();
    let full = fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = repo
        .berth_process()
        .args(["ls"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// Names and references that are not what the command takes.

#[test]
fn a_store_that_does_not_exist() {
    let repo = catalog();
    let file = input(&repo, "x.json", b"{}");
    refused(
        &repo,
        &["put", "no-such-store", &file],
        &refusal(2, Some("berth::unknown-store"), None),
    );
}

#[test]
fn a_store_that_lives_outside_the_repository() {
    let repo = catalog();
    let file = input(&repo, "x.json", b"{}");
    refused(
        &repo,
        &["put", "worker-bundles", &file],
        &refusal(2, Some("berth::external-store"), None),
    );
}

#[test]
fn an_environment_berth_toml_does_not_name() {
    let repo = catalog();
    refused(
        &repo,
        &["promote", &object_hash(&repo), "--to", "qa"],
        &refusal(1, Some("berth::unknown-environment"), None),
    );
}

#[test]
fn a_tag_berth_does_not_accept() {
    let repo = catalog();
    for tag in ["env:prod", "has space", "", &"x".repeat(129)] {
        refused(
            &repo,
            &["promote", &object_hash(&repo), "--to", "dev", "--tag", tag],
            &refusal(2, Some("berth::bad-tag"), None),
        );
    }
}

#[test]
fn a_rollback_with_nothing_to_go_back_to() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    refused(
        &repo,
        &["rollback", "billing", "--env", "dev"],
        &refusal(1, Some("berth::no-previous"), None),
    );
}

#[test]
fn an_object_reference_too_short_to_be_unique() {
    let repo = catalog();
    refused(
        &repo,
        &["show", &object_hash(&repo)[..7]],
        &refusal(2, Some("berth::bad-ref"), None),
    );
}

#[test]
fn a_version_that_is_not_semver() {
    let repo = catalog();
    refused(
        &repo,
        &[
            "release",
            "create",
            "shop",
            "--version",
            "1.2",
            "--channel",
            "stable",
        ],
        &refusal(2, Some("berth::bad-version"), None),
    );
}

#[test]
fn a_status_berth_does_not_know() {
    let repo = catalog();
    let before = repo.written();
    let output = repo
        .berth()
        .args(["mark", &object_hash(&repo), "shipped"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    assert_eq!(repo.written(), before);
}

// Registry input.

fn with_component(repo: &Repo) {
    repo.ok(&[
        "component",
        "add",
        "api",
        "--image",
        "registry.example.com/shop/api",
        "--commit",
    ]);
}

#[test]
fn a_tag_list_with_a_digest_that_is_not_one() {
    let repo = catalog();
    with_component(&repo);
    let file = input(&repo, "tags.txt", b"v1.0.0 sha256:1234\n");
    refused(
        &repo,
        &["versions", "import", "api", &file, "--commit"],
        &refusal(1, Some("berth::invalid-registry"), Some("tag-not-digest")),
    );
}

#[test]
fn a_tag_list_that_is_not_utf8() {
    let repo = catalog();
    with_component(&repo);
    let digest = format!("sha256:{}", "a".repeat(64));
    let file = input(
        &repo,
        "tags.txt",
        format!("v1.0.\u{1} {digest}\n")
            .replace('\u{1}', "\u{fffd}")
            .as_bytes(),
    );
    let mut bytes = fs::read(repo.path().join(&file)).unwrap();
    let at = bytes.iter().position(|b| *b == 0xef).unwrap();
    bytes.splice(at..at + 3, [0xff]);
    fs::write(repo.path().join(&file), bytes).unwrap();
    refused(
        &repo,
        &["versions", "import", "api", &file, "--commit"],
        &refusal(1, Some("berth::invalid-registry"), Some("parse")),
    );
}

// Environments whose commits berth did not write.

/// Points env/dev at a commit made by hand whose tree holds `state` as its
/// state.toml, on top of the current tip.
fn env_commit_by_hand(repo: &Repo, state: &[u8], message: &[u8]) {
    let git = repo.git();
    let dev = git.refname_to_id("refs/heads/env/dev").unwrap();
    let parent = git.find_commit(dev).unwrap();
    let blob = git.blob(state).unwrap();
    let mut tree = git.treebuilder(Some(&parent.tree().unwrap())).unwrap();
    tree.insert("state.toml", blob, 0o100644).unwrap();
    let tree = git.find_tree(tree.write().unwrap()).unwrap();
    let signature = git2::Signature::now("Hand", "hand@berth.invalid").unwrap();
    let buffer = git
        .commit_create_buffer(&signature, &signature, "placeholder", &tree, &[&parent])
        .unwrap();
    let text = String::from_utf8_lossy(&buffer).into_owned();
    let mut raw = text.trim_end_matches("placeholder").as_bytes().to_vec();
    raw.extend_from_slice(message);
    let id = git
        .odb()
        .unwrap()
        .write(git2::ObjectType::Commit, &raw)
        .unwrap();
    git.reference("refs/heads/env/dev", id, true, "by hand")
        .unwrap();
}

#[test]
fn an_environment_state_that_is_not_toml() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    env_commit_by_hand(&repo, b"[packages.billing\nobject = ", b"edit\n");
    refused(&repo, &["check"], &found("env-state"));
    refused(
        &repo,
        &["status"],
        &refusal(1, Some("berth::bad-state"), None),
    );
}

#[test]
fn an_environment_state_that_is_not_utf8() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    env_commit_by_hand(&repo, b"[packages.\xff]\n", b"edit\n");
    refused(&repo, &["check"], &found("env-state"));
}

#[test]
fn an_environment_commit_message_that_is_not_utf8() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    let state = repo.git_command(&["show", "refs/heads/env/dev:state.toml"]);
    env_commit_by_hand(
        &repo,
        state.as_bytes(),
        b"edit \xff\n\nBerth-Action: promote\nBerth-Package: bill\xffing\n",
    );
    // It changes no entry, so it sets nothing: the log reads past it, and check
    // has nothing to hold against it.
    for args in [
        &["history", "billing@dev"][..],
        &["check"],
        &["lineage", "billing@dev"],
    ] {
        let output = repo.berth().args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[test]
fn an_environment_ref_at_an_object_that_does_not_exist() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    fs::write(
        repo.path().join(".git/refs/heads/env/dev"),
        format!("{}\n", "1".repeat(40)),
    )
    .unwrap();
    for args in [&["status"][..], &["check"], &["history", "billing@dev"]] {
        let output = repo.berth().args(args).output().unwrap();
        assert!(
            !String::from_utf8_lossy(&output.stderr).contains("panicked"),
            "{args:?}"
        );
        assert_eq!(output.status.code(), Some(4), "{args:?}");
    }
}

#[test]
fn a_submodule_where_an_object_goes() {
    let repo = catalog();
    let head = repo.tip("HEAD").unwrap();
    repo.git_command(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!(
            "160000,{head},objects/version-sets/billing/{}.json",
            "2".repeat(64)
        ),
    ]);
    refused(&repo, &["validate", "--staged"], &found("bad-path"));
}

#[test]
fn a_file_name_with_a_line_break_and_escapes() {
    let repo = catalog();
    let name = "objects/version-sets/billing/evil\n\u{1b}[31mname.json";
    fs::write(repo.path().join(name), b"{}").unwrap();
    let output = repo.berth().args(["validate"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains('\u{1b}'),
        "an escape reached the terminal: {stderr}"
    );
    refused(&repo, &["validate"], &found("bad-path"));
}

#[test]
fn a_report_output_path_that_is_a_directory() {
    let repo = catalog();
    fs::create_dir_all(repo.path().join("out.sarif")).unwrap();
    let before = repo.written();
    let output = repo
        .berth()
        .args(["validate", "--format", "sarif", "--output", "out.sarif"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    assert_eq!(repo.written(), before);
}

// Output that shows data anyone could have written.

#[test]
fn terminal_escapes_in_data_never_reach_the_terminal() {
    let repo = catalog();
    repo.ok(&[
        "component",
        "add",
        "api",
        "--image",
        "registry.example.com/shop/api",
        "--display-name",
        "API \u{1b}]0;owned\u{7}\u{1b}[2J",
        "--commit",
    ]);
    let mut create = with(
        NEW_PRICING,
        &["--set", "note=\"\\u001b[31mred\"", "--commit"],
    );
    create.push("--effective-at".to_owned());
    create.push("2025-05-01T00:00:00Z".to_owned());
    repo.ok(&create.iter().map(String::as_str).collect::<Vec<_>>());
    for args in [
        &["component", "ls"][..],
        &["component", "show", "api"],
        &["config", "show", "pricing-acct-1"],
        &["config", "history", "pricing-acct-1"],
    ] {
        let output = repo.berth().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert!(
            !output.stdout.contains(&0x1b),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        assert!(!output.stderr.contains(&0x1b), "{args:?}");
    }
}

#[test]
fn terminal_escapes_in_a_forged_state_never_reach_the_terminal() {
    let repo = catalog();
    repo.ok(&["promote", &object_hash(&repo), "--to", "dev"]);
    env_commit_by_hand(&repo, b"[packages.\"\x1b[2J\"\nobject = 1\n", b"edit\n");
    let output = repo.berth().args(["status"]).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !output.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    refused(
        &repo,
        &["status"],
        &refusal(1, Some("berth::bad-state"), None),
    );
}

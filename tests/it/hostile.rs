//! Hostile input: bytes that are not UTF-8, links out of the repository, FIFOs,
//! times that are no RFC 3339, megabyte values, a full disk. Each test runs the
//! real binary and checks that berth neither crashes, hangs, reads outside the
//! repository nor misreports: the exit code, the finding or error code, that
//! nothing panicked, and that a refused write wrote nothing.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{NEW_PRICING, Repo, codes, snapshot, version_set};

/// What a run of berth gave.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Stdout parsed as JSON.
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// Runs berth with `args`, killed after 30 seconds: a hang fails the test rather
/// than the suite. Asserts it ended by itself and did not panic.
fn run(repo: &Repo, args: &[&str]) -> Run {
    let output = repo
        .berth()
        .args(args)
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("berth {args:?} hung or was killed; stderr: {stderr}"));
    assert!(
        !stderr.contains("panicked"),
        "berth {args:?} panicked: {stderr}"
    );
    Run {
        code,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr,
    }
}

/// Runs berth in human and JSON formats and asserts both exit `exit` with the
/// finding or error `code` (in stderr, and among the JSON's codes); the JSON.
fn refused(repo: &Repo, args: &[&str], exit: i32, code: &str) -> Value {
    let human = run(repo, args);
    assert_eq!(human.code, exit, "berth {args:?}: {}", human.stderr);
    assert!(
        human.stderr.contains(&format!("berth::{code}"))
            || human.stdout.contains(&format!("berth::{code}")),
        "berth {args:?}: no berth::{code} in\n{}{}",
        human.stdout,
        human.stderr
    );
    let mut with_json = args.to_vec();
    with_json.extend(["--format", "json"]);
    let json = run(repo, &with_json);
    assert_eq!(json.code, exit, "berth {with_json:?}: {}", json.stderr);
    let report = json.json();
    let error = report["error"]["code"].as_str().map(str::to_owned);
    assert!(
        codes(&report).iter().any(|c| c == code) || error == Some(format!("berth::{code}")),
        "berth {with_json:?}: {report:#}"
    );
    report
}

/// The findings of a JSON report, wherever the command puts them.
fn findings(report: &Value) -> &Vec<Value> {
    report["findings"].as_array().unwrap()
}

/// Makes a FIFO at `path`.
fn fifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

/// A directory outside the repository holding a "credentials" file, and the
/// secret in it that must never be printed.
fn credentials() -> (tempfile::TempDir, &'static str) {
    let outside = tempfile::tempdir().unwrap();
    let secret = "hunter2-do-not-print";
    std::fs::write(
        outside.path().join("creds.json"),
        format!("{{\n  \"password\": \"{secret}\",\n  \"user\": \"root\"\n"),
    )
    .unwrap();
    std::fs::write(
        outside.path().join("tool.schema.json"),
        format!("{{\"type\": \"object\", \"description\": \"{secret}\",\n"),
    )
    .unwrap();
    std::fs::write(
        outside.path().join("api.toml"),
        format!("name = \"api\"\ndisplay_name = \"{secret}\"\n"),
    )
    .unwrap();
    (outside, secret)
}

/// berth.toml with a user store `tools` whose schema is schemas/tool.schema.json.
fn with_tool_store(repo: &Repo) {
    let settings = repo.read("berth.toml")
        + "\n[stores.tools]\nschema = \"schemas/tool.schema.json\"\npartition = \"/slug\"\n";
    repo.write("berth.toml", &settings);
}

/// The three sources a validation reads: the working tree, the index (what the
/// pre-commit hook reads) and a commit.
fn every_source(repo: &Repo) -> [Vec<&'static str>; 3] {
    repo.git_command(&["add", "-A"]);
    repo.git_command(&["commit", "-q", "--no-verify", "-m", "hostile"]);
    [
        vec!["validate"],
        vec!["validate", "--staged", "--base", "HEAD~1"],
        vec!["validate", "--rev", "HEAD"],
    ]
}

// ---------------------------------------------------------------------------
// Defect 3: one byte that is not UTF-8 crashed the human renderer.

/// A version set whose `git_sha` holds a 0xFF byte, at byte `at`.
fn not_utf8() -> (Vec<u8>, usize) {
    let text = serde_json::to_string_pretty(&version_set("billing", 1)).unwrap();
    let at = text.find("\"git_sha\": \"").unwrap() + "\"git_sha\": \"".len() + 1;
    let mut bytes = text.into_bytes();
    bytes[at] = 0xff;
    (bytes, at)
}

#[test]
fn put_of_a_file_with_a_non_utf8_byte_is_a_parse_finding_not_a_crash() {
    let repo = Repo::init();
    let (bytes, at) = not_utf8();
    // Where the byte is: its line, and its column in characters.
    let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
    let column = at - bytes[..at].iter().rposition(|&b| b == b'\n').unwrap();
    std::fs::write(repo.path().join("bad.json"), bytes).unwrap();
    let before = snapshot(&repo);
    let report = refused(&repo, &["put", "version-sets", "bad.json"], 1, "parse");
    let finding = &findings(&report)[0];
    assert_eq!(
        finding["message"],
        format!("the file is not UTF-8 at byte {at} (0xff)")
    );
    assert_eq!(
        (finding["line"].clone(), finding["column"].clone()),
        (json!(line), json!(column))
    );
    assert_eq!(snapshot(&repo), before, "nothing is written");
}

#[test]
fn validate_and_check_of_a_non_utf8_object_report_parse_in_every_source() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    std::fs::write(repo.path().join(&put.path), not_utf8().0).unwrap();
    // The pre-commit hook, before the commit.
    repo.git_command(&["add", "-A"]);
    let hook = refused(
        &repo,
        &["validate", "--staged", "--base", "HEAD"],
        1,
        "parse",
    );
    assert!(
        codes(&hook).contains(&"object-modified".to_owned()),
        "{hook:#}"
    );
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "parse");
        assert_eq!(findings(&report)[0]["file"], put.path.as_str(), "{args:?}");
    }
    refused(&repo, &["check", "--base", "HEAD~1"], 1, "parse");
}

#[test]
fn show_of_a_non_utf8_object_reports_parse_not_a_crash() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    std::fs::write(repo.path().join(&put.path), not_utf8().0).unwrap();
    let shown = run(&repo, &["show", &put.hash[..12]]);
    assert_eq!(shown.code, 1, "{}", shown.stderr);
    assert!(shown.stderr.contains("berth::parse"), "{}", shown.stderr);
}

#[test]
fn a_non_utf8_component_or_schema_is_a_parse_finding_not_a_crash() {
    let repo = Repo::init();
    with_tool_store(&repo);
    repo.write("schemas/tool.schema.json", "{\"type\": \"object\"}\n");
    std::fs::create_dir_all(repo.path().join("components")).unwrap();
    std::fs::write(
        repo.path().join("components/api.toml"),
        b"name = \"api\"\ndisplay_name = \"A\xffI\"\n",
    )
    .unwrap();
    let report = refused(&repo, &["validate"], 1, "parse");
    assert_eq!(findings(&report)[0]["file"], "components/api.toml");
    assert_eq!(findings(&report)[0]["line"], 2);
    let listed = run(&repo, &["component", "ls"]);
    assert!(listed.stderr.contains("berth::parse"), "{}", listed.stderr);

    std::fs::write(
        repo.path().join("schemas/tool.schema.json"),
        b"{\"type\": \"obj\xc3\"}\n",
    )
    .unwrap();
    let report = refused(&repo, &["validate"], 1, "parse");
    assert_eq!(findings(&report)[0]["file"], "schemas/tool.schema.json");
    let report = refused(&repo, &["ls"], 1, "invalid-settings");
    assert_eq!(codes(&report), ["parse"]);
}

#[test]
fn a_non_utf8_berth_toml_is_a_located_parse_finding() {
    let repo = Repo::init();
    let mut bytes = repo.read("berth.toml").into_bytes();
    bytes.extend_from_slice(b"\n# caf\xe9\n");
    let at = bytes.len() - 2;
    std::fs::write(repo.path().join("berth.toml"), bytes).unwrap();
    let report = refused(&repo, &["validate"], 1, "parse");
    let finding = &findings(&report)[0];
    assert_eq!(
        finding["message"],
        format!("the file is not UTF-8 at byte {at} (0xe9)")
    );
    assert!(finding["line"].is_u64(), "{finding:#}");
}

// ---------------------------------------------------------------------------
// The same class as defect 17: what a file echoes must not drive the terminal.

#[test]
fn escape_sequences_in_a_file_never_reach_the_terminal() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    // Decoded from a JSON escape into a message.
    let mut set = version_set("billing", 2);
    set["package"] = json!("\u{1b}[2J\u{1b}[32mok: 0 errors\n");
    repo.write_json("input/escape.json", &set);
    // Raw in a file that does not parse, and shown by `show` as written.
    let mut text = repo.read(&put.path);
    text.push_str("\u{1b}[2J\u{202e}\n");
    repo.write(&put.path, &text);
    for args in [
        vec!["put", "version-sets", "input/escape.json"],
        vec!["validate"],
        vec!["show", &put.hash[..12]],
    ] {
        let ran = run(&repo, &args);
        assert_eq!(ran.code, 1, "{args:?}: {}", ran.stderr);
        for output in [&ran.stdout, &ran.stderr] {
            assert!(
                !output.contains(['\u{1b}', '\u{202e}']),
                "{args:?}: {output:?}"
            );
        }
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert!(all.contains("\\u{1b}[2J"), "{args:?}: {all}");
    }
}

// ---------------------------------------------------------------------------
// Defect 4: links were followed out of the repository.

#[test]
fn a_symlinked_berth_toml_is_refused_in_every_source_without_echoing_its_target() {
    let repo = Repo::init();
    let (outside, secret) = credentials();
    std::fs::remove_file(repo.path().join("berth.toml")).unwrap();
    symlink(
        outside.path().join("creds.json"),
        repo.path().join("berth.toml"),
    )
    .unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        let finding = &findings(&report)[0];
        assert_eq!(finding["file"], "berth.toml", "{args:?}");
        assert!(finding["message"].as_str().unwrap().contains("symlink"));
        let human = run(&repo, &args);
        assert!(!human.stderr.contains(secret) && !human.stdout.contains(secret));
    }
    // Every other command refuses the repository the same way.
    let ls = refused(&repo, &["ls"], 1, "invalid-settings");
    assert_eq!(codes(&ls), ["bad-path"]);
}

#[test]
fn a_symlinked_schema_is_refused_in_every_source_without_echoing_its_target() {
    let repo = Repo::init();
    let (outside, secret) = credentials();
    with_tool_store(&repo);
    std::fs::create_dir_all(repo.path().join("schemas")).unwrap();
    symlink(
        outside.path().join("tool.schema.json"),
        repo.path().join("schemas/tool.schema.json"),
    )
    .unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        assert_eq!(findings(&report)[0]["file"], "schemas/tool.schema.json");
        let human = run(&repo, &args);
        assert!(!human.stderr.contains(secret) && !human.stdout.contains(secret));
    }
}

#[test]
fn a_symlinked_schemas_directory_is_not_followed_and_the_link_is_named() {
    let repo = Repo::init();
    let (outside, secret) = credentials();
    with_tool_store(&repo);
    symlink(outside.path(), repo.path().join("schemas")).unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        let finding = &findings(&report)[0];
        assert_eq!(finding["file"], "schemas/tool.schema.json", "{args:?}");
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("`schemas`, a symlink"),
            "{finding:#}"
        );
        let human = run(&repo, &args);
        assert!(!human.stderr.contains(secret) && !human.stdout.contains(secret));
    }
}

#[test]
fn symlinked_components_and_their_directory_are_not_read() {
    let repo = Repo::init();
    let (outside, secret) = credentials();
    std::fs::create_dir_all(repo.path().join("components")).unwrap();
    symlink(
        outside.path().join("api.toml"),
        repo.path().join("components/api.toml"),
    )
    .unwrap();
    symlink(
        outside.path().join("api.toml"),
        repo.path().join("components/api.versions.toml"),
    )
    .unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        let files: Vec<&str> = findings(&report)
            .iter()
            .map(|f| f["file"].as_str().unwrap())
            .collect();
        assert_eq!(
            files,
            ["components/api.toml", "components/api.versions.toml"]
        );
    }
    let listed = run(&repo, &["component", "ls"]);
    assert!(
        listed.stderr.contains("berth::bad-path"),
        "{}",
        listed.stderr
    );
    assert!(!listed.stdout.contains(secret) && !listed.stderr.contains(secret));

    // The whole directory linked elsewhere.
    std::fs::remove_dir_all(repo.path().join("components")).unwrap();
    std::fs::create_dir_all(outside.path().join("components")).unwrap();
    std::fs::copy(
        outside.path().join("api.toml"),
        outside.path().join("components/api.toml"),
    )
    .unwrap();
    symlink(
        outside.path().join("components"),
        repo.path().join("components"),
    )
    .unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        assert_eq!(findings(&report)[0]["file"], "components", "{args:?}");
    }
    let listed = run(&repo, &["component", "ls", "--format", "json"]);
    assert!(!listed.stdout.contains("api"), "{}", listed.stdout);
}

#[test]
fn a_symlinked_partition_directory_is_not_read_in_any_source() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let outside = tempfile::tempdir().unwrap();
    let partition = repo.path().join("objects/version-sets/billing");
    for entry in std::fs::read_dir(&partition).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), outside.path().join(entry.file_name())).unwrap();
    }
    std::fs::remove_dir_all(&partition).unwrap();
    symlink(outside.path(), &partition).unwrap();
    for args in every_source(&repo) {
        let report = refused(&repo, &args, 1, "bad-path");
        assert_eq!(
            findings(&report)[0]["file"],
            "objects/version-sets/billing",
            "{args:?}"
        );
    }
    // The object is not found through the link either.
    let shown = run(&repo, &["show", &put.object]);
    assert_ne!(shown.code, 0, "{}", shown.stdout);
}

// ---------------------------------------------------------------------------
// Defect 11: a FIFO hung the commands that read the repository.

#[test]
fn validate_base_does_not_hash_through_a_link_that_replaced_an_object() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("fifo");
    fifo(&target);
    std::fs::remove_file(repo.path().join(&put.path)).unwrap();
    symlink(&target, repo.path().join(&put.path)).unwrap();
    let report = refused(&repo, &["validate", "--base", "HEAD"], 1, "bad-path");
    assert_eq!(codes(&report), ["bad-path", "object-modified"]);
}

#[test]
fn a_fifo_among_config_versions_is_refused_not_waited_on() {
    let repo = Repo::init();
    let hash = "0".repeat(64);
    fifo(
        &repo
            .path()
            .join(format!("objects/configs/pricing-a/{hash}.json")),
    );
    refused(&repo, &["config", "show", "pricing-a"], 1, "bad-path");
    refused(
        &repo,
        &["config", "resolve", "pricing", "--asset", "a"],
        1,
        "bad-path",
    );
    let report = refused(&repo, &["validate"], 1, "bad-path");
    assert_eq!(codes(&report), ["bad-path"]);
}

#[test]
fn a_fifo_in_the_registry_is_refused_not_waited_on() {
    let repo = Repo::init();
    fifo(&repo.path().join("components/api.toml"));
    let head = repo.tip("HEAD");
    let listed = run(&repo, &["component", "ls"]);
    assert!(
        listed.stderr.contains("berth::bad-path"),
        "{}",
        listed.stderr
    );
    refused(
        &repo,
        &[
            "release",
            "create",
            "shop",
            "--version",
            "1.0.0",
            "--channel",
            "stable",
        ],
        1,
        "bad-path",
    );
    let report = refused(&repo, &["validate"], 1, "bad-path");
    assert_eq!(findings(&report)[0]["file"], "components/api.toml");
    assert_eq!(repo.tip("HEAD"), head, "nothing is committed");
    assert!(repo.files("objects").is_empty(), "nothing is written");
}

#[test]
fn a_fifo_or_a_directory_given_as_an_input_file_is_a_usage_error() {
    let repo = Repo::init();
    fifo(&repo.path().join("input/fifo.json"));
    std::fs::create_dir_all(repo.path().join("input/dir.json")).unwrap();
    repo.ok(&[
        "component",
        "add",
        "api",
        "--image",
        "registry.example.com/shop/api",
    ]);
    let before = snapshot(&repo);
    for file in ["input/fifo.json", "input/dir.json"] {
        refused(&repo, &["put", "version-sets", file], 2, "unreadable-input");
        refused(
            &repo,
            &["versions", "import", "api", file],
            2,
            "unreadable-input",
        );
        refused(
            &repo,
            &[NEW_PRICING, &["--file", file]].concat(),
            2,
            "bad-setting",
        );
    }
    assert_eq!(snapshot(&repo), before, "nothing is written");
}

// ---------------------------------------------------------------------------
// Defect 16: offsets beyond ±23:59 were accepted.

#[test]
fn an_offset_beyond_23_59_is_refused_on_the_command_line() {
    let repo = Repo::init();
    let before = snapshot(&repo);
    for time in [
        "2025-01-01T00:00:00+25:00",
        "2025-01-01T00:00:00-24:00",
        "2025-01-01T00:00:00+02:60",
        "2016-12-31T23:59:60Z",
        "2025-01-01T00:00:00+0200",
    ] {
        refused(
            &repo,
            &[NEW_PRICING, &["--set", "rate=1", "--effective-at", time]].concat(),
            2,
            "bad-time",
        );
        refused(&repo, &["status", "--at", time], 2, "bad-time");
    }
    assert_eq!(snapshot(&repo), before, "nothing is written");
}

#[test]
fn an_offset_beyond_23_59_in_an_object_is_a_schema_finding() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let mut set = version_set("billing", 2);
    set["created_at"] = json!("2025-05-03T12:00:00+25:00");
    repo.write_json("input/late.json", &set);
    let event = json!({
        "subject": put.object, "package": "billing", "status": "ready",
        "at": "2025-05-03T12:00:00-24:00",
    });
    repo.write_json("input/event.json", &event);
    let before = snapshot(&repo);
    for (store, file, pointer) in [
        ("version-sets", "input/late.json", "/created_at"),
        ("events", "input/event.json", "/at"),
    ] {
        let report = refused(&repo, &["put", store, file], 1, "schema");
        let finding = &findings(&report)[0];
        assert_eq!(finding["pointer"], pointer);
        assert!(
            finding["message"]
                .as_str()
                .unwrap()
                .contains("at most ±23:59"),
            "{finding:#}"
        );
    }
    assert_eq!(snapshot(&repo), before, "nothing is written");
    // Written by hand, the validator finds it too.
    let hash = crate::support::independent_hash(&set);
    repo.write_json(&format!("objects/version-sets/billing/{hash}.json"), &set);
    let report = refused(&repo, &["validate"], 1, "schema");
    assert_eq!(findings(&report)[0]["pointer"], "/created_at");
}

// ---------------------------------------------------------------------------
// Defect 17: a megabyte value gave a diagnostic of megabytes.

/// Every output of `validate` over the repository, in every format: the bytes
/// of stdout and stderr together, by format.
fn output_sizes(repo: &Repo) -> Vec<(&'static str, usize)> {
    ["human", "json", "github", "sarif", "junit"]
        .into_iter()
        .map(|format| {
            let ran = run(repo, &["validate", "--format", format]);
            assert_eq!(ran.code, 1, "{format}: {}", ran.stderr);
            (format, ran.stdout.len() + ran.stderr.len())
        })
        .collect()
}

/// The sizes of each format's output for a small `small` and a one-megabyte
/// `big` object file placed in turn: every format grows by less than 10 KB.
fn assert_bounded(small: &str, big: &str) {
    let repo = Repo::init();
    let path = format!("objects/version-sets/billing/{}.json", "0".repeat(64));
    repo.write(&path, small);
    let baseline = output_sizes(&repo);
    repo.write(&path, big);
    let sizes = output_sizes(&repo);
    for ((format, before), (_, after)) in baseline.iter().zip(&sizes) {
        assert!(
            *after < before + 10_000,
            "{format}: {after} bytes for a 1 MiB value, {before} for a short one"
        );
    }
}

#[test]
fn a_one_megabyte_value_gives_a_diagnostic_of_a_few_kilobytes_in_every_format() {
    let big = "a".repeat(1 << 20);
    let file = |value: &str| {
        let mut set = version_set("billing", 1);
        set["git_sha"] = json!(value);
        set["package"] = json!(value);
        serde_json::to_string_pretty(&set).unwrap()
    };
    assert_bounded(&file("A"), &file(&big));
    // A megabyte key: its JSON pointer is clipped as messages are.
    let key = |key: &str| {
        let mut set = version_set("billing", 1);
        set[key] = json!(1);
        serde_json::to_string_pretty(&set).unwrap()
    };
    assert_bounded(&key("k"), &key(&"k".repeat(1 << 20)));
}

#[test]
fn a_one_megabyte_single_line_file_gives_a_diagnostic_of_a_few_kilobytes() {
    let line = |value: &str| format!("{{\"package\": \"{value}\", x}}");
    assert_bounded(&line("a"), &line(&"a".repeat(1 << 20)));
    // And the position stays exact: the fault is after the megabyte.
    let repo = Repo::init();
    repo.write("input/line.json", &line(&"é".repeat(1 << 19)));
    let report = refused(
        &repo,
        &["put", "version-sets", "input/line.json"],
        1,
        "parse",
    );
    let finding = &findings(&report)[0];
    assert_eq!(finding["line"], 1);
    // `x` follows `{"package": "`, the value and `", `.
    assert_eq!(finding["column"], 13 + (1 << 19) + 3 + 1);
}

// ---------------------------------------------------------------------------
// Defect 18: a full disk exited 0.

#[test]
fn a_full_disk_on_stdout_exits_4_with_a_diagnostic() {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    for format in ["human", "json"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let output = repo
            .berth_process()
            .args(["ls", "--format", format])
            .stdout(Stdio::from(full))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(4), "{format}: {stderr}");
        assert!(stderr.contains("berth::output"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_closed_pipe_still_ends_output_quietly() {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    let mut child = repo
        .berth_process()
        .args(["ls", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn a_report_written_to_a_full_device_exits_4_and_leaves_the_device_in_place() {
    let repo = Repo::init();
    symlink("/dev/full", repo.path().join("report.sarif")).unwrap();
    let ran = run(
        &repo,
        &["validate", "--format", "sarif", "--output", "report.sarif"],
    );
    assert_eq!(ran.code, 4, "{}", ran.stderr);
    assert!(ran.stderr.contains("berth::io"), "{}", ran.stderr);
    let link = std::fs::symlink_metadata(repo.path().join("report.sarif")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is not replaced");
    use std::os::unix::fs::FileTypeExt;
    let device = std::fs::metadata("/dev/full").unwrap();
    assert!(
        device.file_type().is_char_device(),
        "/dev/full is a device still"
    );
}

#[test]
fn a_report_can_be_written_to_a_fifo() {
    use std::io::Read;
    let repo = Repo::init();
    let path = repo.path().join("report.json");
    fifo(&path);
    // Held open for reading and writing, the FIFO takes berth's report into its
    // buffer without a reader waiting on it; read without blocking afterwards, a
    // FIFO replaced by a file instead holds nothing.
    let held = rustix::fs::open(
        &path,
        rustix::fs::OFlags::RDWR | rustix::fs::OFlags::NONBLOCK,
        rustix::fs::Mode::empty(),
    )
    .unwrap();
    let ran = run(
        &repo,
        &["validate", "--format", "json", "--output", "report.json"],
    );
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let mut report = Vec::new();
    let mut buffer = [0_u8; 4096];
    let mut file = std::fs::File::from(held);
    while let Ok(read @ 1..) = file.read(&mut buffer) {
        report.extend_from_slice(&buffer[..read]);
    }
    let report: Value =
        serde_json::from_slice(&report).unwrap_or_else(|e| panic!("the FIFO got no report ({e})"));
    assert_eq!(report["ok"], true);
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO is not replaced by a file");
}

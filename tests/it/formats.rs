//! The validator's report formats: `--format human|json|github|sarif|junit`, each
//! with its own `--output FILE`, several in one run, and `--deny-warnings`; and
//! which formats each command takes.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::cli::{commands, help};
use crate::support::{Repo, fixtures_dir, stdout_json};

/// The fixture every report below describes: one `berth::schema` error, an
/// unknown key `owner` whose value is on line 17, columns 12 to 26.
const UNKNOWN_KEY: &str = "invalid/schema/unknown-key";

/// The schema error's help, as the fixture's finding gives it.
const UNKNOWN_KEY_HELP: &str =
    "remove `owner` or correct its spelling; the schema lists the keys allowed";

/// The one object file of a fixture with one object.
fn only_object(repo: &Repo) -> String {
    let files = repo.files("objects");
    assert_eq!(files.len(), 1, "{files:?}");
    files.into_iter().next().unwrap()
}

/// Runs berth in the repository with `args`.
fn run(repo: &Repo, args: &[&str]) -> Output {
    repo.berth().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// A summary line without its timing, which varies: `ok: 0 errors, 0 warnings in
/// 2 files (0.01s)` → `ok: 0 errors, 0 warnings in 2 files`.
fn untimed(line: &str) -> &str {
    let (head, time) = line
        .rsplit_once(" (")
        .unwrap_or_else(|| panic!("no timing in {line:?}"));
    let seconds = time
        .strip_suffix("s)")
        .unwrap_or_else(|| panic!("no timing in {line:?}"));
    assert!(seconds.parse::<f64>().is_ok(), "{line:?}");
    head
}

/// The SARIF 2.1.0 schema as OASIS published it, but for the `language` pattern's
/// stray `]` (oasis-tcs/sarif-spec#488), which jsonschema cannot compile; with
/// `format` checked, so URIs are held to RFC 3986.
fn sarif_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/sarif-schema-2.1.0.json");
    let schema = std::fs::read_to_string(path).unwrap().replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
    );
    jsonschema::options()
        .should_validate_formats(true)
        .build(&serde_json::from_str(&schema).unwrap())
        .unwrap()
}

fn validate_json_validator() -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/output/validate.schema.json");
    let schema = std::fs::read_to_string(path).unwrap();
    jsonschema::validator_for(&serde_json::from_str(&schema).unwrap()).unwrap()
}

fn schema_errors(validator: &jsonschema::Validator, value: &Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// The files directly in a directory, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn github_sarif_and_junit_in_one_run_describe_the_same_finding() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    let file = only_object(&repo);
    let reports = tempfile::tempdir().unwrap();
    let sarif_path = reports.path().join("r.sarif");
    let junit_path = reports.path().join("r.xml");
    let output = run(
        &repo,
        &[
            "validate",
            "--format",
            "github",
            "--format",
            "sarif",
            "--output",
            sarif_path.to_str().unwrap(),
            "--format",
            "junit",
            "--output",
            junit_path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stderr), "", "the summary is on stdout already");

    // GitHub: one annotation at the value's line and columns, then the summary.
    let stdout = text(&output.stdout);
    assert!(stdout.ends_with('\n'), "{stdout:?}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(
        lines[0],
        format!(
            "::error file={file},line=17,col=12,endLine=17,endColumn=26,\
             title=berth%3A%3Aschema::unknown key `owner`%0Ahelp: {UNKNOWN_KEY_HELP}"
        )
    );
    assert_eq!(untimed(lines[1]), "berth: 1 error, 0 warnings in 2 files");

    // SARIF: valid 2.1.0, one result at the same place.
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_path).unwrap()).unwrap();
    let errors = schema_errors(&sarif_validator(), &sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    assert_eq!(sarif["version"], "2.1.0");
    let sarif_run = &sarif["runs"][0];
    let results = sarif_run["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{sarif:#}");
    let result = &results[0];
    assert_eq!(result["ruleId"], "schema");
    assert_eq!(result["level"], "error");
    let rule = usize::try_from(result["ruleIndex"].as_u64().unwrap()).unwrap();
    assert_eq!(sarif_run["tool"]["driver"]["rules"][rule]["id"], "schema");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], file.as_str());
    assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 17, "startColumn": 12, "endLine": 17, "endColumn": 26})
    );
    assert_eq!(
        result["message"]["text"],
        format!("unknown key `owner`\n\nhelp: {UNKNOWN_KEY_HELP}")
    );

    // JUnit: one failed case for the error, one passing case for the files.
    let xml = std::fs::read_to_string(&junit_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root.first_element_child().unwrap();
    assert_eq!(suite.tag_name().name(), "testsuite");
    for element in [root, suite] {
        assert_eq!(element.attribute("tests"), Some("2"), "{xml}");
        assert_eq!(element.attribute("failures"), Some("1"), "{xml}");
        assert_eq!(element.attribute("errors"), Some("0"), "{xml}");
    }
    let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
    assert_eq!(cases.len(), 2, "{xml}");
    assert_eq!(cases[0].attribute("classname"), Some(file.as_str()));
    assert_eq!(
        cases[0].attribute("name"),
        Some(format!("schema at {file}:17:12").as_str())
    );
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .collect();
    assert_eq!(failures.len(), 1, "{xml}");
    assert_eq!(failures[0].parent(), Some(cases[0]));
    assert_eq!(failures[0].attribute("type"), Some("berth::schema"));
    assert_eq!(
        failures[0].attribute("message"),
        Some("unknown key `owner`")
    );
    assert_eq!(
        failures[0].text(),
        Some(format!("unknown key `owner`\nhelp: {UNKNOWN_KEY_HELP}\npointer: /owner").as_str())
    );
    assert_eq!(cases[1].attribute("name"), Some("2 files checked"));
    assert_eq!(cases[1].children().count(), 0);
}

/// Code scanning matches alerts across uploads: the same tree gives the same log,
/// run after run and wherever the checkout is.
#[test]
fn sarif_is_byte_identical_across_runs_and_checkouts() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    let elsewhere = Repo::fixture(UNKNOWN_KEY);
    let sarif = |repo: &Repo| {
        let output = run(repo, &["validate", "--format", "sarif"]);
        assert_eq!(output.status.code(), Some(1));
        output.stdout
    };
    let first = sarif(&repo);
    let second = sarif(&repo);
    let third = sarif(&elsewhere);
    assert!(!first.is_empty());
    assert_eq!(text(&first), text(&second));
    assert_eq!(text(&first), text(&third));
    let root = repo.path().to_str().unwrap();
    assert!(!text(&first).contains(root), "no absolute paths");

    // The file written with --output holds the same bytes as stdout.
    let reports = tempfile::tempdir().unwrap();
    let path = reports.path().join("r.sarif");
    let output = run(
        &repo,
        &[
            "validate",
            "--format",
            "sarif",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&std::fs::read(&path).unwrap()), text(&first));
}

#[test]
fn json_reports_match_the_published_schema_and_place_field_findings() {
    let validator = validate_json_validator();

    let repo = Repo::fixture(UNKNOWN_KEY);
    let file = only_object(&repo);
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    let errors = schema_errors(&validator, &report);
    assert!(errors.is_empty(), "{errors:#?}\n{report:#}");
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["findings"],
        serde_json::json!([{
            "code": "schema",
            "severity": "error",
            "message": "unknown key `owner`",
            "file": file,
            "line": 17,
            "column": 12,
            "end_line": 17,
            "end_column": 26,
            "pointer": "/owner",
            "help": UNKNOWN_KEY_HELP,
        }])
    );
    assert_eq!(report["summary"]["files_checked"], 2);
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(report["summary"]["warnings"], 0);

    // Every fixture's report matches the schema; a finding at a JSON pointer is
    // also at a line and column, and findings about a field have a pointer. Only
    // fixtures that are plain trees: those built by a `setup.sh` need their script.
    let mut fixtures = vec!["valid/warning-only".to_owned()];
    for code in entries(&fixtures_dir().join("invalid")) {
        for case in entries(&fixtures_dir().join("invalid").join(&code)) {
            let fixture = format!("invalid/{code}/{case}");
            if !fixtures_dir().join(&fixture).join("setup.sh").exists() {
                fixtures.push(fixture);
            }
        }
    }
    let mut pointed = 0;
    for fixture in &fixtures {
        let (_, report) = Repo::fixture(fixture).json(&["validate"]);
        let errors = schema_errors(&validator, &report);
        assert!(errors.is_empty(), "{fixture}: {errors:#?}\n{report:#}");
        let findings = report["findings"].as_array().unwrap();
        assert!(!findings.is_empty(), "{fixture}");
        for finding in findings {
            let about_a_field =
                ["schema", "dangling-ref"].contains(&finding["code"].as_str().unwrap());
            if about_a_field {
                assert!(finding["pointer"].is_string(), "{fixture}: {finding:#}");
            }
            if finding["pointer"].is_string() {
                pointed += 1;
                for key in ["line", "column", "end_line", "end_column"] {
                    assert!(
                        finding[key].as_u64().is_some_and(|n| n >= 1),
                        "{fixture}: {key} in {finding:#}"
                    );
                }
            }
        }
    }
    assert!(pointed >= 15, "only {pointed} findings had a pointer");
}

#[test]
fn deny_warnings_makes_warnings_errors_in_every_report() {
    let repo = Repo::fixture("valid/warning-only");

    let lenient = run(&repo, &["validate"]);
    assert_eq!(lenient.status.code(), Some(0));
    let stdout = text(&lenient.stdout);
    assert_eq!(stdout.matches("berth::dangling-ref").count(), 3, "{stdout}");
    assert_eq!(
        untimed(stdout.lines().last().unwrap()),
        "ok: 0 errors, 3 warnings in 2 files"
    );

    let strict = run(&repo, &["validate", "--deny-warnings"]);
    assert_eq!(strict.status.code(), Some(1));
    let strict_stdout = text(&strict.stdout);
    assert_eq!(
        untimed(strict_stdout.lines().last().unwrap()),
        "failed: 3 errors, 0 warnings in 2 files"
    );
    // The same findings, as errors.
    let findings = |stdout: &str| {
        let mut lines: Vec<&str> = stdout.lines().collect();
        lines.pop();
        lines.join("\n")
    };
    assert_eq!(findings(strict_stdout), findings(stdout).replace('⚠', "×"));

    // The exit code is the same whatever the format, and each report agrees.
    for format in ["json", "github", "sarif", "junit"] {
        let lenient = run(&repo, &["validate", "--format", format]);
        assert_eq!(lenient.status.code(), Some(0), "{format}");
        let strict = run(&repo, &["validate", "--format", format, "--deny-warnings"]);
        assert_eq!(strict.status.code(), Some(1), "{format}");
        let report = text(&strict.stdout);
        match format {
            "json" => {
                let report: serde_json::Value = serde_json::from_str(report).unwrap();
                assert_eq!(report["ok"], false);
                assert_eq!(report["summary"]["errors"], 3);
            }
            "github" => assert_eq!(report.matches("::error ").count(), 3, "{report}"),
            "sarif" => {
                let report: serde_json::Value = serde_json::from_str(report).unwrap();
                let levels: Vec<&str> = report["runs"][0]["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["level"].as_str().unwrap())
                    .collect();
                assert_eq!(levels, ["error"; 3]);
            }
            _ => assert!(report.contains("failures=\"3\""), "{report}"),
        }
    }

    // With the report in a file, the summary on stderr says failed too.
    let reports = tempfile::tempdir().unwrap();
    let path = reports.path().join("out.txt");
    let to_file = run(
        &repo,
        &[
            "validate",
            "--deny-warnings",
            "--format",
            "human",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(to_file.status.code(), Some(1));
    assert_eq!(text(&to_file.stdout), "");
    assert_eq!(
        untimed(text(&to_file.stderr).trim_end_matches('\n')),
        "failed: 3 errors, 0 warnings in 2 files"
    );
}

/// Asserts a usage error: exit 2, nothing on stdout, and the diagnostic with its
/// code and message on stderr.
fn assert_refused(output: &Output, code: &str, message: &str) {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(text(&output.stdout), "", "{stderr}");
    assert!(stderr.starts_with(&format!("{code}\n")), "{stderr}");
    assert!(stderr.contains(&format!("× {message}\n")), "{stderr}");
    assert!(stderr.contains("  help: "), "{stderr}");
}

#[test]
fn formats_and_outputs_that_do_not_pair_are_usage_errors() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    for command in ["validate", "check"] {
        assert_refused(
            &run(&repo, &[command, "--format", "sarif", "--format", "junit"]),
            "berth::bad-outputs",
            "sarif, junit would all go to stdout; give all but one an `--output FILE`",
        );
    }
    assert_refused(
        &run(
            &repo,
            &[
                "validate", "--format", "sarif", "--output", "a.sarif", "--output", "b.sarif",
            ],
        ),
        "berth::bad-outputs",
        "`--format sarif` has two outputs, `a.sarif` and `b.sarif`",
    );
    assert_refused(
        &run(
            &repo,
            &[
                "validate", "--output", "a.sarif", "--format", "sarif", "--format", "junit",
            ],
        ),
        "berth::bad-outputs",
        "`--output a.sarif` follows no `--format`: say which format it is for",
    );
    // Nothing is written when the reports are refused.
    assert!(!repo.path().join("a.sarif").exists());
    assert!(!repo.path().join("b.sarif").exists());
}

/// The formats a command takes, as its `--help` lists them: none when it has no
/// `--format`.
fn formats_listed(path: &[String]) -> Vec<String> {
    let long = help(path, "--help");
    let mut lines = long
        .lines()
        .skip_while(|line| !line.contains("--format <FORMAT>"));
    if lines.next().is_none() {
        return Vec::new();
    }
    // Its description and values are indented further than the next option.
    lines
        .take_while(|line| line.is_empty() || line.starts_with("          "))
        .filter_map(|line| line.trim_start().strip_prefix("- "))
        .filter_map(|line| line.split(':').next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_command_lists_and_takes_only_its_own_formats() {
    const ALL: [&str; 6] = ["human", "json", "github", "sarif", "junit", "markdown"];
    let repo = Repo::empty();
    for path in commands() {
        let expected: &[&str] = match path[0].as_str() {
            "validate" | "check" => &["human", "json", "github", "sarif", "junit"],
            "review" | "diff" => &["human", "json", "markdown"],
            "completions" | "man" => &[],
            _ => &["human", "json"],
        };
        let command = format!("berth {}", path.join(" "));
        assert_eq!(formats_listed(&path), expected, "{command} --help");
        for format in ALL.iter().filter(|format| !expected.contains(format)) {
            let output = repo
                .berth()
                .args(&path)
                .args(["--format", format])
                .output()
                .unwrap();
            let stderr = text(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command} --format {format}");
            // Asked for JSON, a reader gets its error document even so.
            if *format == "json" {
                assert_eq!(stdout_json(&output)["error"]["code"], "berth::usage");
            } else {
                assert_eq!(text(&output.stdout), "", "{command} --format {format}");
            }
            let refusal = if expected.is_empty() {
                "error: unexpected argument '--format' found\n".to_owned()
            } else {
                format!(
                    "error: invalid value '{format}' for '--format <FORMAT>'\n  [possible values: {}]\n",
                    expected.join(", ")
                )
            };
            assert!(
                stderr.starts_with(&refusal),
                "{command} --format {format}: {stderr}"
            );
        }
    }
}

#[test]
fn a_format_the_command_does_not_take_is_a_usage_error_in_json_too() {
    let repo = Repo::init();
    let output = run(&repo, &["status", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).starts_with(
            "error: invalid value 'sarif' for '--format <FORMAT>'\n  [possible values: human, json]\n"
        ),
        "{}",
        text(&output.stderr)
    );
    // Asked for JSON as well, a reader still gets its error document.
    let output = run(&repo, &["status", "--format", "json", "--format", "sarif"]);
    assert_eq!(output.status.code(), Some(2));
    let report = stdout_json(&output);
    assert_eq!(report["error"]["code"], "berth::usage");
    assert_eq!(
        report["error"]["message"],
        "invalid value 'sarif' for '--format <FORMAT>'"
    );
    assert_eq!(report["error"]["exit_code"], 2);
}

/// `--format` belongs to the command, as cargo's `--message-format` does: given
/// before it, it is a usage error that points after it.
#[test]
fn the_format_goes_after_the_command() {
    let repo = Repo::init();
    let output = run(&repo, &["--format", "json", "status"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.starts_with(
            "error: unexpected argument '--format' found\n\n  tip: 'status --format' exists\n"
        ),
        "{stderr}"
    );
    assert_eq!(stdout_json(&output)["error"]["code"], "berth::usage");
    // After it, the last one given wins, for a command of one format.
    let output = run(&repo, &["status", "--format", "human", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout_json(&output)["environments"].is_array());
    // A command of several (config set) takes it after its own subcommand.
    let output = run(&repo, &["config", "ls", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(stdout_json(&output).is_object());
}

#[test]
fn markdown_compares_two_releases_only() {
    let repo = Repo::init();
    assert_refused(
        &run(&repo, &["diff", "dev", "staging", "--format", "markdown"]),
        "berth::format-not-here",
        "`--format markdown` compares two releases; `dev` and `staging` are not both releases",
    );
    let one = repo.put_version_set("billing", 1).object;
    let two = repo.put_version_set("billing", 2).object;
    assert_refused(
        &run(&repo, &["diff", &one, &two, "--format", "markdown"]),
        "berth::format-not-here",
        &format!(
            "`--format markdown` compares two releases; `{one}` and `{two}` are not both releases"
        ),
    );
}

/// A single format and a single output pair whichever comes first.
#[test]
fn one_format_and_one_output_pair_in_either_order() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    let reports = tempfile::tempdir().unwrap();
    let path = reports.path().join("r.sarif");
    let output = run(
        &repo,
        &[
            "validate",
            "--output",
            path.to_str().unwrap(),
            "--format",
            "sarif",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "");
    assert_eq!(
        untimed(text(&output.stderr).trim_end_matches('\n')),
        "failed: 1 error, 0 warnings in 2 files"
    );
    let sarif: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "schema");
}

/// When validation cannot run, the error is written in the format of the report
/// that goes to stdout, and no report file is written.
#[test]
fn errors_take_the_format_of_the_report_on_stdout() {
    let repo = Repo::empty();
    crate::support::init_git(repo.path());
    let reports = tempfile::tempdir().unwrap();
    let path = reports.path().join("r.sarif");
    let sarif = path.to_str().unwrap();

    let json = run(
        &repo,
        &[
            "validate", "--format", "sarif", "--output", sarif, "--format", "json",
        ],
    );
    assert_eq!(json.status.code(), Some(4));
    let document: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(document["error"]["code"], "berth::not-a-berth-repository");
    assert_eq!(document["error"]["exit_code"], 4);
    assert!(text(&json.stderr).starts_with("berth::not-a-berth-repository\n"));

    let human = run(
        &repo,
        &[
            "validate", "--format", "sarif", "--output", sarif, "--format", "github",
        ],
    );
    assert_eq!(human.status.code(), Some(4));
    assert_eq!(text(&human.stdout), "");
    assert!(text(&human.stderr).starts_with("berth::not-a-berth-repository\n"));

    assert_eq!(entries(reports.path()), Vec::<String>::new());
}

/// `--output` replaces the file by renaming a complete new one over it: a reader
/// never sees half a report, a hard link to the old file keeps the old report,
/// and no temporary file is left behind.
#[test]
fn output_replaces_an_existing_file_atomically() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    let reports = tempfile::tempdir().unwrap();
    let path = reports.path().join("r.sarif");
    let stale = "stale report, longer than nothing ".repeat(1000);
    std::fs::write(&path, &stale).unwrap();
    std::fs::hard_link(&path, reports.path().join("previous.sarif")).unwrap();

    let output = run(
        &repo,
        &[
            "validate",
            "--format",
            "sarif",
            "--output",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let expected = run(&repo, &["validate", "--format", "sarif"]).stdout;
    assert_eq!(text(&std::fs::read(&path).unwrap()), text(&expected));
    assert_eq!(
        std::fs::read_to_string(reports.path().join("previous.sarif")).unwrap(),
        stale,
        "the old file was replaced, not rewritten in place"
    );
    assert_eq!(entries(reports.path()), ["previous.sarif", "r.sarif"]);

    // Directories on the way are created.
    let nested = reports.path().join("ci/reports/r.xml");
    let output = run(
        &repo,
        &[
            "validate",
            "--format",
            "junit",
            "--output",
            nested.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    roxmltree::Document::parse(&std::fs::read_to_string(&nested).unwrap()).unwrap();
    assert_eq!(entries(&reports.path().join("ci/reports")), ["r.xml"]);
}

#[test]
fn human_report_to_a_file_leaves_stdout_empty_and_the_summary_on_stderr() {
    let repo = Repo::fixture(UNKNOWN_KEY);
    let file = only_object(&repo);
    let output = run(
        &repo,
        &["validate", "--format", "human", "--output", "out.txt"],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "");
    let stderr = text(&output.stderr);
    assert!(
        stderr.ends_with('\n') && stderr.lines().count() == 1,
        "{stderr:?}"
    );
    assert_eq!(
        untimed(stderr.trim_end_matches('\n')),
        "failed: 1 error, 0 warnings in 2 files"
    );

    let written = repo.read("out.txt");
    assert!(written.starts_with("berth::schema\n"), "{written}");
    assert!(written.contains("× unknown key `owner`\n"), "{written}");
    assert!(written.contains(&format!("[{file}:17:12]")), "{written}");
    assert!(
        written.contains(&format!("help: {UNKNOWN_KEY_HELP}\n")),
        "{written}"
    );
    assert!(!written.contains('\u{1b}'), "no color in a file");
    let last = written.strip_suffix('\n').unwrap().lines().last().unwrap();
    assert_eq!(untimed(last), "failed: 1 error, 0 warnings in 2 files");

    // The file holds what stdout would have: the findings, then the summary.
    let plain = run(&repo, &["validate"]);
    assert_eq!(plain.status.code(), Some(1));
    let without_summary = |report: &str| {
        let mut lines: Vec<&str> = report.lines().collect();
        lines.pop();
        lines.join("\n")
    };
    assert_eq!(
        without_summary(&written),
        without_summary(text(&plain.stdout))
    );
}

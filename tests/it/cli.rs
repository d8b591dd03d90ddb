//! Command-line contract: exit codes, global flags, JSON errors, help and its
//! examples, suggestions for a typo, and how commits are printed.

use crate::support::{Repo, stdout_json, version_set};

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let repo = Repo::empty();
    repo.berth().assert().code(2);
    repo.berth().arg("frobnicate").assert().code(2);
    repo.berth()
        .args(["ls", "--format", "yaml"])
        .assert()
        .code(2);
    let help = repo.berth().arg("--help").output().unwrap();
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8(help.stdout).unwrap();
    for command in ["init", "put", "show", "ls", "validate", "demo"] {
        assert!(text.contains(command), "{command} in --help");
    }
    repo.berth().arg("--version").assert().code(0);
}

#[test]
fn dash_c_runs_as_if_started_there() {
    let outer = Repo::empty();
    outer
        .berth()
        .args(["init", "inner", "--commit"])
        .assert()
        .success();
    outer.write_json("inner/vs.json", &version_set("billing", 1));
    // Relative file paths are relative to -C, as with git.
    outer
        .berth()
        .args(["-C", "inner", "put", "version-sets", "vs.json"])
        .assert()
        .success();
    let (code, listed) = outer.json(&["-C", "inner", "ls"]);
    assert_eq!(code, 0);
    assert_eq!(listed["objects"].as_array().unwrap().len(), 1);
    // Global flags may come after the subcommand too.
    outer
        .berth()
        .args(["ls", "-C", "inner", "-q"])
        .assert()
        .success();
}

#[test]
fn errors_are_json_on_stdout_and_diagnostics_on_stderr() {
    let repo = Repo::empty();
    let output = repo
        .berth()
        .args(["ls", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let report = stdout_json(&output);
    assert_eq!(report["error"]["code"], "berth::not-a-repository");
    assert_eq!(report["error"]["exit_code"], 4);
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .contains("berth init")
    );
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("berth::not-a-repository") && stderr.contains("help:"),
        "{stderr}"
    );
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let repo = Repo::init();
    let files: Vec<String> = (0..40)
        .map(|n| {
            let name = format!("in/{n}.json");
            repo.write_json(&name, &version_set("billing", n));
            name
        })
        .collect();
    repo.berth()
        .args(["put", "version-sets"])
        .args(&files)
        .assert()
        .success();
    let mut child = repo
        .berth_process()
        .arg("ls")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
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
fn a_bare_repository_cannot_be_worked_in() {
    let dir = tempfile::TempDir::new().unwrap();
    let bare = dir.path().join("bare.git");
    git2::Repository::init_bare(&bare).unwrap();
    let output = assert_cmd::Command::cargo_bin("berth")
        .unwrap()
        .args(["-C", bare.to_str().unwrap(), "ls", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    let report = stdout_json(&output);
    assert_eq!(report["error"]["code"], "berth::bare-repository");
    assert_eq!(
        report["error"]["message"],
        format!(
            "`{}/` is a bare git repository; berth needs a working tree",
            bare.display()
        )
    );
}

/// Every command, as the words after `berth` (`["config", "set"]`), read from the
/// `Commands:` section of each help, nested ones included; clap's `help` is left
/// out.
pub fn commands() -> Vec<Vec<String>> {
    fn walk(path: Vec<String>, found: &mut Vec<Vec<String>>) {
        let subcommands = help(&path, "--help")
            .lines()
            .skip_while(|line| *line != "Commands:")
            .skip(1)
            .take_while(|line| !line.is_empty())
            // A name starts two spaces in; a wrapped description, further in.
            .filter_map(|line| line.strip_prefix("  "))
            .filter(|line| !line.starts_with(' '))
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .map(str::to_owned)
            .collect::<Vec<_>>();
        if !path.is_empty() {
            found.push(path.clone());
        }
        for name in subcommands {
            let mut sub = path.clone();
            sub.push(name);
            walk(sub, found);
        }
    }
    let mut found = Vec::new();
    walk(Vec::new(), &mut found);
    found
}

/// `berth <path> <flag>` (`--help` or `-h`), which must exit 0: its stdout.
pub fn help(path: &[String], flag: &str) -> String {
    let output = assert_cmd::Command::cargo_bin("berth")
        .unwrap()
        .args(path)
        .arg(flag)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "berth {path:?} {flag}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn the_command_walk_finds_every_command() {
    let commands: Vec<String> = commands().iter().map(|path| path.join(" ")).collect();
    for expected in [
        "init",
        "promote",
        "repair",
        "verify",
        "config",
        "config set",
        "config resolve",
        "component ls",
        "hook install",
        "release history",
        "versions import",
        "versions sync",
        "completions",
        "man",
    ] {
        assert!(
            commands.iter().any(|command| command == expected),
            "{expected} in {commands:?}"
        );
    }
    assert_eq!(commands.len(), 41, "{commands:?}");
}

/// Each example of a long help's Examples section: the line saying what it does
/// and the invocation.
fn examples(long_help: &str) -> Vec<(String, String)> {
    let mut lines = long_help
        .lines()
        .skip_while(|line| *line != "Examples:")
        .skip(1)
        .filter(|line| !line.trim().is_empty());
    let mut examples = Vec::new();
    while let Some(what) = lines.next() {
        let what = what
            .strip_prefix("  # ")
            .unwrap_or_else(|| panic!("{what:?} does not say what the example does"));
        let first = lines
            .next()
            .unwrap_or_else(|| panic!("no example after {what:?}"));
        let mut invocation = first
            .strip_prefix("  ")
            .unwrap_or_else(|| panic!("{first:?} is not indented"))
            .to_owned();
        // A long invocation goes on as a shell continues a line.
        while let Some(head) = invocation.strip_suffix(" \\") {
            let next = lines
                .next()
                .unwrap_or_else(|| panic!("{invocation:?} ends in `\\`"));
            let next = next
                .strip_prefix("      ")
                .unwrap_or_else(|| panic!("{next:?} does not continue {invocation:?}"));
            invocation = format!("{head} {next}");
        }
        examples.push((what.to_owned(), invocation));
    }
    examples
}

#[test]
fn every_command_has_examples_in_its_long_help_only() {
    for path in commands() {
        let long = help(&path, "--help");
        let found = examples(&long);
        let command = format!("berth {}", path.join(" "));
        assert!(
            (2..=4).contains(&found.len()),
            "{command} --help has {} examples:\n{long}",
            found.len()
        );
        for (what, invocation) in &found {
            assert!(!what.is_empty(), "{command}: {invocation}");
            assert!(
                invocation == &command || invocation.starts_with(&format!("{command} ")),
                "{command} --help shows an example of something else: {invocation}"
            );
        }
        // The short help stays short.
        assert!(
            !help(&path, "-h").contains("Examples:"),
            "{command} -h shows examples"
        );
    }
}

/// Splits an example as a shell would, up to the first redirection, pipe or `&&`:
/// the arguments berth is given.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_with(String::new).push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_with(String::new);
            }
            (None, ' ') => words.extend(word.take()),
            (None, '>' | '<' | '|' | '&') => break,
            (None, c) => word.get_or_insert_with(String::new).push(c),
        }
    }
    assert_eq!(quote, None, "unclosed quote in {line:?}");
    words.extend(word);
    words
}

#[test]
fn every_example_parses() {
    for path in commands() {
        for (_, invocation) in examples(&help(&path, "--help")) {
            // Run where nothing is: a command that needs a repository stops at
            // once (exit 4); what it must not do is fail to parse.
            let repo = Repo::empty();
            let words = shell_words(&invocation);
            let output = repo
                .berth()
                .env("TMPDIR", repo.path())
                .args(&words[1..])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                !(output.status.code() == Some(2)
                    && stderr.contains("For more information, try '--help'")),
                "{invocation}: {stderr}"
            );
        }
    }
}

#[test]
fn a_mistyped_command_suggests_the_closest_first() {
    let repo = Repo::empty();
    let output = repo.berth().arg("promot").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .any(|line| line == "  tip: some similar subcommands exist: 'promote', 'component'"),
        "{stderr}"
    );
    // Nested commands and flags too.
    let output = repo.berth().args(["config", "reslove"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .any(|line| line.starts_with("  tip: ") && line.contains("'resolve'")),
        "{stderr}"
    );
    let output = repo.berth().args(["validate", "--stagd"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr
            .lines()
            .any(|line| line == "  tip: a similar argument exists: '--staged'"),
        "{stderr}"
    );
}

/// The runs of hexadecimal digits in `text` that are exactly 40 long: commit ids.
/// (Object hashes and digests are 64.)
fn full_commit_ids(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_hexdigit())
        .filter(|run| run.len() == 40)
        .collect()
}

#[test]
fn every_commit_is_printed_at_12_digits() {
    let repo = Repo::empty();
    repo.write("tags.txt", &format!("v1.0.0 sha256:{}\n", "ab".repeat(32)));
    let run = |args: &[&str]| {
        let output = repo.berth().args(args).output().unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(0), "berth {args:?}: {stderr}");
        for text in [&stdout, &stderr] {
            assert_eq!(
                full_commit_ids(text),
                Vec::<&str>::new(),
                "berth {args:?}: {text}"
            );
        }
        for line in stdout.lines().filter(|line| line.contains("committed ")) {
            let id = line.rsplit(' ').next().unwrap();
            assert_eq!(id.len(), 12, "berth {args:?}: {line}");
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{line}");
        }
        stdout
    };
    assert!(run(&["init", "--commit"]).contains("committed "));
    assert!(
        run(&[
            "component",
            "add",
            "api",
            "--image",
            "registry.example.com/shop/api",
            "--commit"
        ])
        .contains("committed ")
    );
    assert!(run(&["versions", "import", "api", "tags.txt", "--commit"]).contains("committed "));
    assert!(
        run(&[
            "release",
            "create",
            "shop",
            "--version",
            "1.0.0",
            "--commit"
        ])
        .contains("committed ")
    );
    let (_, listed) = repo.json(&["ls", "releases"]);
    let release = format!(
        "releases/{}",
        listed["objects"][0]["hash"].as_str().unwrap()
    );
    assert!(run(&["mark", &release, "ready", "--commit"]).contains("committed "));
    assert!(run(&["promote", &release, "--to", "dev"]).contains("commit "));
    assert!(run(&["show", "shop@dev"]).contains("commit "));
    run(&["status"]);
    run(&["history", "shop@dev"]);
    run(&["lineage", "shop@dev"]);
    assert!(
        run(&[
            "config",
            "set",
            "pricing-acme",
            "--expect-version",
            "0",
            "--type",
            "pricing",
            "--category",
            "logic",
            "--applies-to",
            "acme",
            "--scope",
            "account",
            "--set",
            "rate=0.02",
            "--commit"
        ])
        .contains("committed ")
    );
    // JSON keeps the whole id.
    let (_, shown) = repo.json(&["show", "shop@dev"]);
    assert_eq!(shown["commit"].as_str().unwrap().len(), 40, "{shown:#}");
}

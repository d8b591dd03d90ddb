//! Command-line contract: exit codes, global flags, JSON errors.

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

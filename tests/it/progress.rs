//! Progress on a terminal: a bar on stderr while validate checks a large
//! repository, and nothing of it over a pipe, with --quiet, or for programs.

use std::process::{Output, Stdio};

use crate::support::{Repo, independent_hash, version_set};

/// How many objects the repository holds: enough for the bar to be drawn.
const OBJECTS: u32 = 3000;

/// A berth repository with [`OBJECTS`] valid version sets written straight into
/// the working tree.
fn large_repository() -> Repo {
    let repo = Repo::init();
    for n in 0..OBJECTS {
        let package = format!("service-{:02}", n % 40);
        let value = version_set(&package, n);
        repo.write_json(
            &format!(
                "objects/version-sets/{package}/{}.json",
                independent_hash(&value)
            ),
            &value,
        );
    }
    repo
}

/// `berth <args>` run by `script` (util-linux, on every Debian) on a
/// pseudo-terminal: everything the terminal was sent, stdout and stderr alike.
pub fn on_a_terminal(repo: &Repo, args: &str) -> Output {
    let berth = assert_cmd::cargo::cargo_bin("berth");
    repo.hermetic("script")
        .args([
            "-qec",
            &format!("'{}' {args}", berth.display()),
            "/dev/null",
        ])
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn validate_shows_progress_only_on_a_terminal() {
    let repo = large_repository();
    // The objects and berth.toml.
    let files = OBJECTS + 1;
    // Over a pipe: the usual summary, and nothing else.
    let output = repo.berth().arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with(&format!("ok: 0 errors, 0 warnings in {files} files (")),
        "{stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");

    let output = on_a_terminal(&repo, "validate");
    assert_eq!(output.status.code(), Some(0));
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains(&format!("/{OBJECTS} [")) && terminal.contains("checking objects "),
        "{terminal}"
    );
    assert!(
        terminal.contains(&format!("ok: 0 errors, 0 warnings in {files} files (")),
        "{terminal}"
    );
    // Not with --quiet, nor when stdout is for a program.
    for args in [
        "validate -q",
        "validate --format json",
        "validate --format github",
    ] {
        let output = on_a_terminal(&repo, args);
        assert_eq!(output.status.code(), Some(0), "{args}");
        let terminal = String::from_utf8_lossy(&output.stdout);
        assert!(!terminal.contains("checking objects"), "{args}: {terminal}");
    }
}

#[test]
fn put_and_import_print_nothing_more_over_a_pipe() {
    let repo = Repo::init();
    let files: Vec<String> = (0..20)
        .map(|n| {
            let name = format!("in/{n}.json");
            repo.write_json(&name, &version_set("billing", n));
            name
        })
        .collect();
    let output = repo
        .berth()
        .args(["put", "version-sets", "-q"])
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "");
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
    repo.berth()
        .args([
            "component",
            "add",
            "api",
            "--image",
            "registry.example.com/api",
        ])
        .assert()
        .success();
    repo.write("tags.txt", &format!("v1.0.0 sha256:{}\n", "cd".repeat(32)));
    let output = repo
        .berth()
        .args(["versions", "import", "api", "tags.txt", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8(output.stderr).unwrap(), "");
}

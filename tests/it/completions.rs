//! `berth completions <shell>`: a script for each shell, and the bash one loaded
//! in a real bash completing commands, flags and values.

use std::process::Command;

use crate::support::Repo;

/// `berth completions <shell>`: its script, asserting it exits 0.
fn script(shell: &str) -> String {
    let output = Repo::empty()
        .berth()
        .args(["completions", shell])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "completions {shell}");
    assert!(output.stderr.is_empty(), "completions {shell}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_shell_gets_a_script_naming_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = script(shell);
        for command in [
            "promote",
            "validate",
            "config",
            "resolve",
            "completions",
            "man",
        ] {
            assert!(script.contains(command), "{shell}: no {command}");
        }
    }
    // A shell clap does not complete for is a usage error naming those it does.
    let output = Repo::empty()
        .berth()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("[possible values: bash, elvish, fish, powershell, zsh]")
    );
}

/// What bash completes for `words` (the command line so far, the last word being
/// completed), with berth's script loaded as bash-completion would load it.
fn bash_completes(script_path: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
    let current = words.len() - 1;
    let program = format!(
        r#"source '{}'
COMP_WORDS=({})
COMP_CWORD={current}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
_berth berth "${{COMP_WORDS[$COMP_CWORD]}}" "${{COMP_WORDS[$COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script_path.display(),
        quoted.join(" ")
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .env_clear()
        .output()
        .unwrap();
    assert!(
        output.status.success() && output.stderr.is_empty(),
        "bash: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut replies: Vec<String> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    replies.sort();
    replies
}

#[test]
fn the_bash_script_completes_commands_flags_and_values_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("berth.bash");
    std::fs::write(&path, script("bash")).unwrap();
    assert_eq!(bash_completes(&path, &["berth", "prom"]), ["promote"]);
    assert_eq!(
        bash_completes(&path, &["berth", "promote", "--t"]),
        ["--tag", "--to"]
    );
    assert_eq!(
        bash_completes(&path, &["berth", "config", "res"]),
        ["resolve"]
    );
    // Each command offers its own formats, after its own subcommand too.
    assert_eq!(
        bash_completes(&path, &["berth", "status", "--format", ""]),
        ["human", "json"]
    );
    assert_eq!(
        bash_completes(&path, &["berth", "validate", "--format", ""]),
        ["github", "human", "json", "junit", "sarif"]
    );
    assert_eq!(
        bash_completes(&path, &["berth", "config", "set", "id", "--format", ""]),
        ["human", "json"]
    );
    assert_eq!(
        bash_completes(&path, &["berth", "mark", "x", "dep"]),
        ["deprecated"]
    );
}

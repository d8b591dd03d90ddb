//! Error codes are a registry (`berth::diagnostic::ErrorCode`) as finding codes
//! are: every code an error names in the source is listed there (or is a finding
//! code, for an error that refuses because of a finding), every listed code is in
//! use and asserted by a test, and the README's table is the registry's.

use std::collections::BTreeSet;
use std::path::Path;

use berth::diagnostic::{Code, ErrorCode};
use regex::Regex;

/// Codes no test can reach without breaking berth or git themselves, and why.
const UNREACHABLE_IN_TESTS: &[(&str, &str)] = &[
    (
        "demo-failed",
        "a demo step that behaves otherwise than the demo expects is a bug in berth",
    ),
    (
        "git",
        "libgit2 failing on a repository it opened (a corrupt object database)",
    ),
    (
        "git-command",
        "the `git` executable failing on a command berth gives it",
    ),
];

const TABLE_START: &str = "<!-- error-codes: generated from src/diagnostic/error_code.rs by `BERTH_UPDATE_README=1 cargo test --test it codes` -->";
const TABLE_END: &str = "<!-- /error-codes -->";

fn rust_files(dir: &Path) -> Vec<String> {
    let mut texts = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.unwrap();
        if entry.path().extension().is_some_and(|ext| ext == "rs") {
            texts.push(std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    texts
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn named_in(texts: &[String]) -> BTreeSet<String> {
    let pattern = Regex::new(r#""berth::([a-z][a-z0-9-]*)"#).unwrap();
    texts
        .iter()
        .flat_map(|text| pattern.captures_iter(text))
        .map(|captures| captures[1].to_owned())
        .collect()
}

#[test]
fn every_code_the_source_names_is_a_registered_error_or_finding_code() {
    let sources = rust_files(&root().join("src"));
    let known: BTreeSet<&str> = ErrorCode::ALL
        .iter()
        .map(|code| code.name())
        .chain(Code::ALL.iter().map(|code| code.name()))
        .collect();
    let unknown: Vec<String> = named_in(&sources)
        .into_iter()
        .filter(|name| !known.contains(name.as_str()))
        .collect();
    assert_eq!(unknown, Vec::<String>::new(), "not in the registry");

    let unused: Vec<&str> = ErrorCode::ALL
        .iter()
        .filter(|code| {
            let variant = format!("ErrorCode::{code:?}");
            !sources.iter().any(|text| {
                text.contains(&format!("\"{}\"", code.qualified())) || text.contains(&variant)
            })
        })
        .map(|code| code.name())
        .collect();
    assert_eq!(unused, Vec::<&str>::new(), "registered but never given");
}

#[test]
fn every_error_code_is_asserted_by_a_test() {
    let asserted = named_in(&rust_files(&root().join("tests")));
    let untested: Vec<&str> = ErrorCode::ALL
        .iter()
        .map(|code| code.name())
        .filter(|name| {
            !asserted.contains(*name) && !UNREACHABLE_IN_TESTS.iter().any(|(n, _)| n == name)
        })
        .collect();
    assert_eq!(untested, Vec::<&str>::new(), "no test asserts these");
    for (name, why) in UNREACHABLE_IN_TESTS {
        assert!(
            ErrorCode::ALL.iter().any(|code| code.name() == *name),
            "`{name}` ({why}) is not a code"
        );
    }
}

fn table() -> String {
    let mut table = String::from("| code | the command stopped because |\n| --- | --- |\n");
    for code in ErrorCode::ALL {
        table.push_str(&format!(
            "| `{}` | {} |\n",
            code.name(),
            code.description().replace('|', "\\|")
        ));
    }
    table
}

#[test]
fn the_readme_error_table_is_the_registry() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme
        .find(TABLE_START)
        .expect("README marks the error table")
        + TABLE_START.len();
    let end = readme.find(TABLE_END).expect("README ends the error table");
    let expected = format!("\n{}", table());
    if std::env::var_os("BERTH_UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert_eq!(
        readme[start..end],
        expected,
        "README.md's error table differs from the registry; BERTH_UPDATE_README=1 rewrites it"
    );
}

/// The library's help says what to do in its own terms: a program using the
/// library has no flags. The command line adds them (`src/cli/hint.rs`). A flag
/// of git's own, in a `git ...` command the help quotes, is git's.
#[test]
fn library_help_names_no_flag_of_berth() {
    let help = Regex::new(r#"(?:help\(|help:|with_help\()\s*(?:format!\(\s*)?"((?:[^"\\]|\\.)*)""#)
        .unwrap();
    let git_command = Regex::new(r"`git [^`]*`").unwrap();
    let flag = Regex::new(r"(?:^|[\s(`])--[a-z]").unwrap();
    let mut named = Vec::new();
    for entry in walkdir::WalkDir::new(root().join("src")) {
        let entry = entry.unwrap();
        let path = entry.path();
        if path.starts_with(root().join("src/cli")) || path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        for captures in help.captures_iter(code) {
            let said = git_command.replace_all(&captures[1], "");
            if flag.is_match(&said) {
                named.push(format!("{}: {}", path.display(), &captures[1]));
            }
        }
    }
    assert_eq!(
        named,
        Vec::<String>::new(),
        "library help that names a flag"
    );
}

//! The README documents every finding code and the set-up commands CI runs.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn readme_lists_every_finding_code() {
    let readme = readme();
    for code in berth::diagnostic::code::Code::ALL {
        assert!(
            readme.contains(&format!("| `{}` |", code.name())),
            "README.md does not list `{code}`"
        );
    }
}

#[test]
fn ci_runs_the_test_command_the_readme_gives() {
    let readme = readme();
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    let command = "cargo test --locked";
    assert!(readme.contains(command), "README gives `{command}`");
    assert!(
        ci.lines().any(|line| line.trim() == command),
        ".ci/run runs `{command}`"
    );
    assert!(readme.contains("cargo run --release -- demo"));
}

//! The README's console blocks, run in order as a reader would run them, so the
//! README cannot drift from what berth does.
//!
//! A line `<!-- tour: NAME -->` starts the scenario NAME, or returns to it: a
//! temporary directory into which `examples/NAME/` is copied, where every console
//! block up to the next such line runs. In a block, a line starting with `$ ` is a
//! command (a trailing `\` continues it on the next line), run by `sh` with
//! berth on PATH and stderr joined to stdout; `cd DIR` and `export K=V ...` are
//! kept for the commands after them, as a shell would. The lines up to the next
//! command are its output, compared line by line: `[..]` in a line stands for any
//! text, and a line `...` for any number of lines. A console block before the
//! first such line fails the test: every example in the README is run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use tempfile::TempDir;

use crate::support::copy_tree;

/// One command of a console block and the output the README shows for it.
struct Step {
    /// The README's line the command is on.
    line: usize,
    command: String,
    expected: Vec<String>,
}

/// The console blocks of a markdown text, each with the scenario it runs in.
fn blocks(markdown: &str) -> Vec<(String, Vec<Step>)> {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut scenario: Option<String> = None;
    let mut blocks = Vec::new();
    let mut console: Option<(usize, String)> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                if let Some(name) = html
                    .trim()
                    .strip_prefix("<!-- tour:")
                    .and_then(|rest| rest.strip_suffix("-->"))
                {
                    scenario = Some(name.trim().to_owned());
                }
            }
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(lang))) if &*lang == "console" => {
                console = Some((line_of(range.start) + 1, String::new()));
            }
            Event::Text(text) => {
                if let Some((_, body)) = &mut console {
                    body.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((first, body)) = console.take() {
                    let name = scenario.clone().unwrap_or_else(|| {
                        panic!(
                            "README.md:{first}: a console block before any `<!-- tour: NAME -->`"
                        )
                    });
                    blocks.push((name, steps(first, &body)));
                }
            }
            _ => {}
        }
    }
    blocks
}

/// The commands of one console block whose first line is the README's `first`.
fn steps(first: usize, body: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let mut continued = false;
    for (index, line) in body.lines().enumerate() {
        if continued {
            let step = steps.last_mut().unwrap();
            continued = line.ends_with('\\');
            step.command.push('\n');
            step.command.push_str(line);
        } else if let Some(command) = line.strip_prefix("$ ") {
            continued = command.ends_with('\\');
            steps.push(Step {
                line: first + index,
                command: command.to_owned(),
                expected: Vec::new(),
            });
        } else {
            let step = steps.last_mut().unwrap_or_else(|| {
                panic!(
                    "README.md:{}: output before any command in a console block",
                    first + index
                )
            });
            step.expected.push(line.to_owned());
        }
    }
    steps
}

/// A directory the README's commands run in, as a reader's shell would keep it.
struct Scenario {
    _dir: TempDir,
    home: TempDir,
    cwd: PathBuf,
    exports: BTreeMap<String, String>,
}

impl Scenario {
    fn new(name: &str) -> Scenario {
        let dir = tempfile::tempdir().unwrap();
        let inputs = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples")
            .join(name);
        if inputs.is_dir() {
            copy_tree(&inputs, dir.path());
        }
        Scenario {
            cwd: dir.path().to_owned(),
            _dir: dir,
            home: tempfile::tempdir().unwrap(),
            exports: BTreeMap::new(),
        }
    }

    /// Runs one command; the output, or the change `cd` and `export` make.
    fn run(&mut self, command: &str) -> String {
        if let Some(dir) = command.strip_prefix("cd ") {
            self.cwd = self.cwd.join(dir.trim());
            assert!(self.cwd.is_dir(), "cd {dir}: no such directory");
            return String::new();
        }
        if let Some(assignments) = command.strip_prefix("export ") {
            for assignment in assignments.split_whitespace() {
                let (key, value) = assignment.split_once('=').unwrap();
                self.exports.insert(key.to_owned(), value.to_owned());
            }
            return String::new();
        }
        let berth = assert_cmd::cargo::cargo_bin("berth");
        let path = std::env::join_paths(
            std::iter::once(berth.parent().unwrap().to_owned())
                .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
        )
        .unwrap();
        let output = Command::new("sh")
            .arg("-c")
            .arg(format!("exec 2>&1\n{command}"))
            .current_dir(&self.cwd)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("XDG_CONFIG_HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("TZ", "UTC")
            .env("NO_COLOR", "1")
            .envs(&self.exports)
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    }
}

/// Whether `actual` is what `expected` shows, with its placeholders.
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, more)| line_matches(first, line) && matches(rest, more)),
    }
}

/// One line against its pattern, where `[..]` stands for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.trim_end().split("[..]");
    let line = line.trim_end();
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    for (index, part) in parts.iter().enumerate() {
        if index + 1 == parts.len() {
            return rest.ends_with(part);
        }
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.is_empty()
}

#[test]
fn the_readme_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let mut scenarios: BTreeMap<String, Scenario> = BTreeMap::new();
    let mut failures = String::new();
    let mut commands = 0;
    for (name, steps) in blocks(&readme) {
        let scenario = scenarios
            .entry(name.clone())
            .or_insert_with(|| Scenario::new(&name));
        for step in steps {
            commands += 1;
            let output = scenario.run(&step.command);
            let actual: Vec<&str> = output.lines().collect();
            if !matches(&step.expected, &actual) {
                writeln!(
                    failures,
                    "README.md:{} ({name}): $ {}\n--- the README shows:\n{}\n--- berth printed:\n{}",
                    step.line,
                    step.command,
                    step.expected.join("\n"),
                    output.trim_end()
                )
                .unwrap();
            }
        }
    }
    assert!(commands > 0, "the README has no console blocks");
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn placeholders_match_what_they_say() {
    let lines = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    assert!(matches(&lines("a [..] c"), &["a b c"]));
    assert!(matches(&lines("a [..]"), &["a anything"]));
    assert!(!matches(&lines("a [..] c"), &["a b d"]));
    assert!(matches(&lines("x\n...\nz"), &["x", "y", "y", "z"]));
    assert!(matches(&lines("x\n...\nz"), &["x", "z"]));
    assert!(!matches(&lines("x\n...\nz"), &["x", "y"]));
    assert!(!matches(&lines("x"), &["x", "y"]));
    assert!(line_matches("[..]ok[..]", "it is ok here"));
    assert!(!line_matches("ok", "okay"));
}

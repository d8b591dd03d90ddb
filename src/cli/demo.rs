//! `berth demo`: build a sample repository and walk it through berth's commands.

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use berth::demo;
use berth::release::{self, Filter};
use berth::repo::Git;
use berth::workspace::Workspace;
use serde::Serialize;
use serde_json::Value;

use super::GlobalArgs;
use super::error::CliError;
use super::render::Output;

/// Build a sample repository from embedded fixtures and walk it through berth
///
/// Each step runs the berth binary itself, as you would, and checks that it
/// behaves as described. The repository is left in place to explore.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build the repository (new or empty) [default: a new temporary directory]
    dir: Option<PathBuf>,
}

/// One step: what it shows, the berth arguments, and the exit code it must give.
struct Step {
    say: &'static str,
    before: Option<Action>,
    args: Vec<String>,
    expect: u8,
}

enum Action {
    Tamper,
    Restore,
}

#[derive(Serialize)]
struct DemoReport {
    dir: String,
    steps: Vec<StepReport>,
}

#[derive(Serialize)]
struct StepReport {
    command: String,
    exit_code: u8,
    output: Value,
}

pub fn run(args: &Args, cwd: &Path, global: &GlobalArgs, out: &mut Output) -> Result<u8, CliError> {
    let dir = match &args.dir {
        Some(dir) => cwd.join(dir),
        None => fresh_temporary_dir(),
    };
    let occupied = dir
        .read_dir()
        .map(|mut entries| entries.next().is_some())
        .unwrap_or(false);
    if occupied {
        return Err(CliError::DemoDirNotEmpty { path: dir });
    }
    let git = Git::init(&dir, "main")?;
    if !git.has_identity() {
        git.set_local_config("user.name", "berth demo")?;
        git.set_local_config("user.email", "demo@berth.invalid")?;
    }
    demo::write_inbox(&dir).map_err(|error| CliError::Io {
        path: dir.clone(),
        error,
    })?;
    git.exclude(&format!("/{}/", demo::INBOX))?;
    let tampered = demo::object_path("search-1.json");
    let prefix = |name: &str| {
        demo::object_path(name)
            .map(|path| path.hash.short(12))
            .unwrap_or_default()
    };
    let shown = prefix("search-2.json");
    let search_1 = prefix("search-1.json");
    let search_2 = prefix("search-2.json");
    let own = |items: &[&str]| {
        items
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let steps = vec![
        Step {
            say: "Make it a berth repository: berth.toml with dev -> staging -> production.",
            before: None,
            args: own(&["init", "--commit"]),
            expect: 0,
        },
        Step {
            say: "Put a version set. Its name is the SHA-256 of its canonical JSON.",
            before: None,
            args: own(&["put", "version-sets", "inbox/search-1.json", "--commit"]),
            expect: 0,
        },
        Step {
            say: "The same data written as TOML is the same object: nothing new is created.",
            before: None,
            args: own(&["put", "version-sets", "inbox/search-1.toml"]),
            expect: 0,
        },
        Step {
            say: "Put two more at once: all of them are written, or none.",
            before: None,
            args: own(&[
                "put",
                "version-sets",
                "inbox/search-2.json",
                "inbox/devpad-1.toml",
                "-m",
                "Add search 2 and devpad 1",
            ]),
            expect: 0,
        },
        Step {
            say: "List the objects, newest first in each package.",
            before: None,
            args: own(&["ls"]),
            expect: 0,
        },
        Step {
            say: "Show one by a unique prefix of its hash.",
            before: None,
            args: vec!["show".to_owned(), shown],
            expect: 0,
        },
        Step {
            say: "Check every invariant of the repository.",
            before: None,
            args: own(&["validate"]),
            expect: 0,
        },
        Step {
            say: "Someone edits a committed object by hand. The validator notices.",
            before: Some(Action::Tamper),
            args: own(&["validate"]),
            expect: 1,
        },
        Step {
            say: "Restore it from git, and the repository is valid again.",
            before: Some(Action::Restore),
            args: own(&["validate"]),
            expect: 0,
        },
        Step {
            say: "A package name that would escape its directory is refused before any path is built.",
            before: None,
            args: own(&["put", "version-sets", "inbox/escape.json"]),
            expect: 1,
        },
        Step {
            say: "Promote search 1 to dev: a commit on refs/heads/env/dev whose second parent is the catalog commit that added it.",
            before: None,
            args: vec![
                "promote".to_owned(),
                search_1.clone(),
                "--to".to_owned(),
                "dev".to_owned(),
            ],
            expect: 0,
        },
        Step {
            say: "Promote what dev holds to staging.",
            before: None,
            args: own(&["promote", "anthropic-search@dev", "--to", "staging"]),
            expect: 0,
        },
        Step {
            say: "Production receives only from staging, and staging never held search 2: refused.",
            before: None,
            args: vec![
                "promote".to_owned(),
                search_2.clone(),
                "--to".to_owned(),
                "production".to_owned(),
            ],
            expect: 1,
        },
        Step {
            say: "Production also requires a `ready` event, and search 1 has none yet: refused.",
            before: None,
            args: own(&["promote", "anthropic-search@staging", "--to", "production"]),
            expect: 1,
        },
        Step {
            say: "Record that search 1 is ready: an append-only event object.",
            before: None,
            args: own(&["put", "events", "inbox/search-1-ready.json", "--commit"]),
            expect: 0,
        },
        Step {
            say: "Now it ships to production.",
            before: None,
            args: own(&[
                "promote",
                "anthropic-search@staging",
                "--to",
                "production",
                "--tag",
                "shape:onebox",
            ]),
            expect: 0,
        },
        Step {
            say: "What was promoted to produce this production release? Read off commit parents and trailers.",
            before: None,
            args: own(&["lineage", "anthropic-search@production"]),
            expect: 0,
        },
        Step {
            say: "Search 2 goes to dev, then everything dev holds that staging lacks goes to staging.",
            before: None,
            args: vec![
                "promote".to_owned(),
                search_2,
                "--to".to_owned(),
                "dev".to_owned(),
            ],
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&["promote", "--all", "--to", "staging"]),
            expect: 0,
        },
        Step {
            say: "Every environment at a glance: staging has drifted ahead of production.",
            before: None,
            args: own(&["status"]),
            expect: 0,
        },
        Step {
            say: "What promoting staging to production would change.",
            before: None,
            args: own(&["diff", "staging", "production"]),
            expect: 0,
        },
        Step {
            say: "Search 2 misbehaves in staging: roll back to what staging held before.",
            before: None,
            args: own(&["rollback", "anthropic-search", "--env", "staging"]),
            expect: 0,
        },
        Step {
            say: "The package's history in staging, newest first.",
            before: None,
            args: own(&["history", "anthropic-search@staging"]),
            expect: 0,
        },
        Step {
            say: "Production's state is a snapshot: the object is read from the environment's own commit.",
            before: None,
            args: own(&["show", "anthropic-search@production"]),
            expect: 0,
        },
        Step {
            say: "Releases are made of components. Register two images, with version rules for the worker.",
            before: None,
            args: own(&[
                "component",
                "add",
                "api",
                "--image",
                "registry.example.com/shop/api",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&[
                "component",
                "add",
                "worker",
                "--image",
                "registry.example.com/shop/worker",
                "--rule",
                r"stable=^v(\d+\.\d+\.\d+)$",
                "--rule",
                r"beta=^v(\d+\.\d+\.\d+-(?:beta|rc)\.\d+)$",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Import each registry's tags with their digests: the version maps, append-only.",
            before: None,
            args: own(&[
                "versions",
                "import",
                "api",
                "inbox/api-tags.txt",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&[
                "versions",
                "import",
                "worker",
                "inbox/worker-tags.json",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Channel heads by semver order; a prerelease never heads stable.",
            before: None,
            args: own(&["versions", "ls", "worker"]),
            expect: 0,
        },
        Step {
            say: "Cut shop 1.0.0 from the stable channel: every tag resolved to its digest.",
            before: None,
            args: own(&[
                "release",
                "create",
                "shop",
                "--version",
                "1.0.0",
                "--channel",
                "stable",
                "--branch",
                "main",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Its build is good: mark it ready, and ship it to dev.",
            before: None,
            args: own(&["mark", "release:shop@1.0.0", "ready", "--commit"]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&["promote", "release:shop@1.0.0", "--to", "dev"]),
            expect: 0,
        },
        Step {
            say: "A week later the api has v1.1.0.",
            before: None,
            args: own(&[
                "versions",
                "import",
                "api",
                "inbox/api-tags-2.txt",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "A partial release: what dev holds, with only the api moved to its channel head.",
            before: None,
            args: own(&[
                "release",
                "create",
                "shop",
                "--version",
                "1.1.0",
                "--from-env",
                "dev",
                "--update",
                "api",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Compare the two releases, component by component.",
            before: None,
            args: own(&["diff", "release:shop@1.0.0", "release:shop@1.1.0"]),
            expect: 0,
        },
        Step {
            say: "1.0.0 travels on to staging; then 1.0.0 is deprecated in favour of 1.1.0.",
            before: None,
            args: own(&["promote", "shop@dev", "--to", "staging"]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&[
                "mark",
                "release:shop@1.0.0",
                "deprecated",
                "--reason",
                "superseded by 1.1.0",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Production takes only ready objects: the deprecated release is refused.",
            before: None,
            args: own(&["promote", "shop@staging", "--to", "production"]),
            expect: 1,
        },
        Step {
            say: "The release catalog, newest first, with derived statuses.",
            before: None,
            args: own(&["release", "ls"]),
            expect: 0,
        },
        Step {
            say: "Configs govern behaviour, so each change is a new version. Price the acme account: version 1, written by a writer who read version 0.",
            before: None,
            args: own(&[
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
                "rate_per_minute=0.02",
                "--effective-at",
                "2025-01-01T00:00:00Z",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "Its premium line 7 gets its own price from March: an override at asset scope.",
            before: None,
            args: own(&[
                "config",
                "set",
                "pricing-line-7",
                "--expect-version",
                "0",
                "--type",
                "pricing",
                "--category",
                "logic",
                "--applies-to",
                "line-7",
                "--scope",
                "asset",
                "--set",
                "rate_per_minute=0.05",
                "--effective-at",
                "2025-03-01T00:00:00Z",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "The account's price changes in June. The writer read version 1, so it expects version 1.",
            before: None,
            args: own(&[
                "config",
                "set",
                "pricing-acme",
                "--expect-version",
                "1",
                "--set",
                "rate_per_minute=0.03",
                "--set",
                "minimum_charge=0.01",
                "--effective-at",
                "2025-06-01T00:00:00Z",
                "--idempotency-key",
                "acme-june-price",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "A second writer also read version 1: its update is a conflict (exit 3), not a lost update.",
            before: None,
            args: own(&[
                "config",
                "set",
                "pricing-acme",
                "--expect-version",
                "1",
                "--set",
                "rate_per_minute=0.025",
                "--commit",
            ]),
            expect: 3,
        },
        Step {
            say: "The first writer never saw its answer and retries with its idempotency key: berth finds version 2 and writes nothing.",
            before: None,
            args: own(&[
                "config",
                "set",
                "pricing-acme",
                "--expect-version",
                "1",
                "--set",
                "rate_per_minute=0.03",
                "--set",
                "minimum_charge=0.01",
                "--effective-at",
                "2025-06-01T00:00:00Z",
                "--idempotency-key",
                "acme-june-price",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "The account's history: when each version took effect and when the next superseded it.",
            before: None,
            args: own(&["config", "history", "pricing-acme"]),
            expect: 0,
        },
        Step {
            say: "What did line 7 cost in February? No asset override yet, so the account answered.",
            before: None,
            args: own(&[
                "config",
                "resolve",
                "pricing",
                "--asset",
                "line-7",
                "--account",
                "acme",
                "--at",
                "2025-02-01T00:00:00Z",
            ]),
            expect: 0,
        },
        Step {
            say: "And in July: the asset override answers, ahead of the account.",
            before: None,
            args: own(&[
                "config",
                "resolve",
                "pricing",
                "--asset",
                "line-7",
                "--account",
                "acme",
                "--at",
                "2025-07-01T00:00:00Z",
            ]),
            expect: 0,
        },
        Step {
            say: "Pricing is fail-closed: for an asset with no price at any scope, the answer is an error, not a guess.",
            before: None,
            args: own(&["config", "resolve", "pricing", "--asset", "line-9"]),
            expect: 1,
        },
        Step {
            say: "A pull request: the worker has v3.3.0. Import it, cut shop 1.2.0 from the stable channel, promote it to dev, and raise the account's price from 2030.",
            before: None,
            args: own(&[
                "versions",
                "import",
                "worker",
                "inbox/worker-tags-2.json",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&[
                "release",
                "create",
                "shop",
                "--version",
                "1.2.0",
                "--channel",
                "stable",
                "--branch",
                "main",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&["promote", "release:shop@1.2.0", "--to", "dev"]),
            expect: 0,
        },
        Step {
            say: "",
            before: None,
            args: own(&[
                "config",
                "set",
                "pricing-acme",
                "--expect-version",
                "2",
                "--set",
                "rate_per_minute=0.035",
                "--effective-at",
                "2030-01-01T00:00:00Z",
                "--commit",
            ]),
            expect: 0,
        },
        Step {
            say: "The review a reviewer sees on the pull request: the three commits since main~3 and dev's new commit, as a comment (it exits 1 if anything is wrong, so CI gates on it too).",
            before: None,
            args: own(&[
                "review",
                "--base",
                "main~3",
                "--env-base",
                "dev=env/dev~1",
                "--format",
                "markdown",
            ]),
            expect: 0,
        },
        Step {
            say: "And the repository, registry, releases and configs included, is valid.",
            before: None,
            args: own(&["validate"]),
            expect: 0,
        },
    ];
    let mut report = DemoReport {
        dir: dir.display().to_string(),
        steps: Vec::new(),
    };
    for step in steps {
        match (&step.before, &tampered) {
            (Some(Action::Tamper), Some(path)) => {
                demo::tamper(&dir, path).map_err(|error| CliError::Io {
                    path: dir.join(path.path()),
                    error,
                })?;
            }
            (Some(Action::Restore), Some(path)) => git.restore(&path.path())?,
            _ => {}
        }
        let args = step
            .args
            .iter()
            .map(|arg| made_release(&dir, arg))
            .collect::<Result<Vec<String>, CliError>>()?;
        let shown: Vec<String> = args.iter().map(|arg| shell_quoted(arg)).collect();
        let command = format!("berth {}", shown.join(" "));
        if !out.is_json() {
            if step.say.is_empty() {
                out.line(format!("$ {command}"));
            } else {
                out.line(format!("\n# {}\n$ {command}", step.say));
            }
        }
        let (exit_code, output) = run_berth(&dir, &args, global, out.is_json())?;
        if exit_code != step.expect {
            return Err(CliError::DemoStep {
                command,
                actual: exit_code,
                expected: step.expect,
            });
        }
        report.steps.push(StepReport {
            command,
            exit_code,
            output,
        });
    }
    if out.is_json() {
        out.json(&report);
    } else {
        out.line(format!(
            "\nThe demo repository is at {0}\nExplore it: cd {0} && git log --stat --all, berth ls, berth status",
            dir.display()
        ));
    }
    Ok(0)
}

/// An argument as the step runs it: `release:<package>@<version>` becomes the
/// release made earlier in the demo, by a unique prefix of its hash.
fn made_release(dir: &Path, arg: &str) -> Result<String, CliError> {
    let Some((package, version)) = arg
        .strip_prefix(demo::RELEASE_ARG)
        .and_then(|named| named.split_once('@'))
    else {
        return Ok(arg.to_owned());
    };
    let workspace = Workspace::open(dir)?;
    let filter = Filter {
        package: Some(package.to_owned()),
        ..Filter::default()
    };
    let listed = release::list(&workspace, &filter)?;
    Ok(listed
        .iter()
        .find(|release| release.version == version)
        .map_or_else(
            || arg.to_owned(),
            |release| {
                let hash = release.object.split_once('/').map_or("", |(_, hash)| hash);
                hash.get(..12).unwrap_or(hash).to_owned()
            },
        ))
}

/// Runs this berth binary in `dir`, its output going straight to the terminal, or,
/// for `--format json`, captured and parsed.
fn run_berth(
    dir: &Path,
    args: &[String],
    global: &GlobalArgs,
    json: bool,
) -> Result<(u8, Value), CliError> {
    let exe = std::env::current_exe().map_err(|error| CliError::Io {
        path: PathBuf::from("berth"),
        error,
    })?;
    let mut process = Process::new(&exe);
    process.arg("-C").arg(dir).args(args);
    if global.no_color {
        process.arg("--no-color");
    }
    let io_error = |error| CliError::Io {
        path: exe.clone(),
        error,
    };
    if json {
        process.args(["--format", "json"]).stderr(Stdio::null());
        let output = process.output().map_err(io_error)?;
        let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        Ok((exit_code(output.status), value))
    } else {
        let status = process.status().map_err(io_error)?;
        Ok((exit_code(status), Value::Null))
    }
}

/// An argument as a shell would need it typed.
fn shell_quoted(arg: &str) -> String {
    let plain = arg
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@".contains(&b));
    if plain && !arg.is_empty() {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

fn exit_code(status: std::process::ExitStatus) -> u8 {
    status
        .code()
        .and_then(|code| u8::try_from(code).ok())
        .unwrap_or(u8::MAX)
}

fn fresh_temporary_dir() -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.subsec_nanos());
    std::env::temp_dir().join(format!("berth-demo-{}-{nanos:09}", std::process::id()))
}

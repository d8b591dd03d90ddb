//! `berth demo`: build a sample repository and walk it through berth's commands.
//!
//! The walk is data: [`steps::STEPS`] says what each step shows, what is done by hand
//! before it, its berth command, the exit code that command must give and the
//! object it makes for later steps to name. A [`Walk`] takes the steps in turn.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use berth::demo::{self, Made};
use berth::objects::lookup::LookupError;
use berth::repo::Git;
use berth::store::ObjectPath;
use berth::workspace::Workspace;
use serde::Serialize;
use serde_json::Value;

use self::steps::Arg::{HashOf, Word};
use self::steps::{Arg, ByHand, HASH_DIGITS, STEPS, Step};
use super::GlobalArgs;
use super::error::CliError;
use super::render::Output;

/// Build a sample repository from embedded fixtures and walk it through berth
///
/// Each step runs the berth binary itself, as you would, and checks that it
/// behaves as described; what it prints, errors included, follows its command on
/// standard output. The repository is left in place to explore.
///
/// Without --registry, the components' tags come from tag lists the demo
/// writes; with it, the components are HOST/shop/api and HOST/shop/worker, and
/// every step that imports a tag list syncs from the registry instead (`berth
/// versions sync`), so the registry must hold the tour's version tags (api:
/// v1.0.0, v1.0.1; worker: v3.2.0, v3.2.1, v3.3.0-rc.1).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to build the repository (new or empty) [default: a new temporary directory]
    dir: Option<PathBuf>,
    /// Sync the components' tags from this image registry (HOST or HOST:PORT,
    /// reached over plain HTTP) instead of importing tag lists
    #[arg(long, value_name = "HOST")]
    registry: Option<String>,
}

mod steps;

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
    // A throwaway repository: its commits are not signed with the user's key
    // even where git signs every commit (`commit.gpgSign`).
    git.set_local_config("commit.gpgSign", "false")?;
    demo::write_inbox(&dir).map_err(|error| CliError::Io {
        path: dir.clone(),
        error,
    })?;
    git.exclude(&format!("/{}/", demo::INBOX))?;
    // Steps run this very binary, which need not be on PATH (`cargo run`).
    let exe = std::env::current_exe().map_err(|error| CliError::Io {
        path: PathBuf::from("berth"),
        error,
    })?;
    let mut walk = Walk {
        exe: &exe,
        dir: &dir,
        git: &git,
        made: Vec::new(),
        registry: args.registry.as_deref(),
    };
    let mut report = DemoReport {
        dir: dir.display().to_string(),
        steps: Vec::new(),
    };
    for step in STEPS {
        report.steps.push(walk.take(step, global, out)?);
    }
    if out.is_json() {
        out.json(&report);
    } else {
        let dir = shell_quoted(&dir.display().to_string());
        let exe = shell_quoted(&exe.display().to_string());
        out.line(format!(
            "\nThe demo repository is at {dir}\nExplore it: git -C {dir} log --stat --all\n            {exe} -C {dir} ls\n            {exe} -C {dir} status"
        ));
    }
    Ok(0)
}

/// The demo repository as the walk goes through it, with the objects its steps
/// have made so far.
struct Walk<'a> {
    /// The berth binary the steps run.
    exe: &'a Path,
    dir: &'a Path,
    git: &'a Git,
    made: Vec<(Made, ObjectPath)>,
    /// The image registry the components' tags are synced from, if one is given.
    registry: Option<&'a str>,
}

impl Walk<'_> {
    /// Takes one step: the change by hand, then the command, which must exit as
    /// the step expects, then the object it makes, found for the steps that name it.
    fn take(
        &mut self,
        step: &Step,
        global: &GlobalArgs,
        out: &mut Output,
    ) -> Result<StepReport, CliError> {
        if let Some(change) = step.before {
            self.by_hand(change)?;
        }
        let args = step
            .args
            .iter()
            .map(|arg| self.arg(*arg))
            .collect::<Result<Vec<String>, LookupError>>()?;
        let args = match self.registry {
            Some(host) => from_registry(args, host),
            None => args,
        };
        let shown: Vec<String> = args.iter().map(|arg| shell_quoted(arg)).collect();
        let command = format!("berth {}", shown.join(" "));
        if !out.is_json() {
            if step.say.is_empty() {
                out.line(format!("$ {command}"));
            } else {
                out.line(format!("\n# {}\n$ {command}", step.say));
            }
        }
        let (exit_code, output) = run_berth(self.exe, self.dir, &args, global, out)?;
        if exit_code != step.expect {
            return Err(CliError::DemoStep {
                command,
                actual: exit_code,
                expected: step.expect,
            });
        }
        if let Some(made) = step.makes {
            let path = made.find(&Workspace::open(self.dir)?)?;
            self.made.push((made, path));
        }
        Ok(StepReport {
            command,
            exit_code,
            output,
        })
    }

    fn by_hand(&self, change: ByHand) -> Result<(), CliError> {
        match change {
            ByHand::Tamper(made) => {
                let path = self.object(made)?;
                demo::tamper(self.dir, path).map_err(|error| CliError::Io {
                    path: self.dir.join(path.path()),
                    error,
                })
            }
            ByHand::Restore(made) => Ok(self.git.restore(&self.object(made)?.path())?),
        }
    }

    /// An argument as the command is given it.
    fn arg(&self, arg: Arg) -> Result<String, LookupError> {
        match arg {
            Word(word) => Ok(word.to_owned()),
            HashOf(made) => Ok(self.object(made)?.hash.short(HASH_DIGITS)),
        }
    }

    /// Where an object an earlier step made is.
    fn object(&self, made: Made) -> Result<&ObjectPath, LookupError> {
        self.made
            .iter()
            .find(|(earlier, _)| *earlier == made)
            .map(|(_, path)| path)
            .ok_or_else(|| LookupError::NotFound(made.to_string()))
    }
}

/// Runs berth in `dir`. Its output, both streams through one pipe in the order
/// it wrote them, goes into the walk's log on standard output; for `--format
/// json`, its standard output is captured and parsed instead.
fn run_berth(
    exe: &Path,
    dir: &Path,
    args: &[String],
    global: &GlobalArgs,
    out: &mut Output,
) -> Result<(u8, Value), CliError> {
    let mut process = Process::new(exe);
    process.arg("-C").arg(dir).args(args);
    if global.no_color {
        process.arg("--no-color");
    }
    let io_error = |error| CliError::Io {
        path: exe.to_owned(),
        error,
    };
    if out.is_json() {
        process.args(["--format", "json"]).stderr(Stdio::null());
        let output = process.output().map_err(io_error)?;
        let value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
        return Ok((exit_code(output.status), value));
    }
    let (reader, writer) = std::io::pipe().map_err(io_error)?;
    process
        .stdout(writer.try_clone().map_err(io_error)?)
        .stderr(writer);
    let mut child = process.spawn().map_err(io_error)?;
    // The command holds the pipe's writing ends: dropped, the log ends when the
    // step does.
    drop(process);
    let mut log = BufReader::new(reader);
    let mut line = Vec::new();
    while log.read_until(b'\n', &mut line).map_err(io_error)? > 0 {
        out.rendered(&String::from_utf8_lossy(&line));
        line.clear();
    }
    let status = child.wait().map_err(io_error)?;
    Ok((exit_code(status), Value::Null))
}

/// A step's arguments when the tags come from a registry: the images are the
/// registry's, and a tag list imported is a sync from it.
fn from_registry(args: Vec<String>, host: &str) -> Vec<String> {
    let mut args: Vec<String> = args
        .into_iter()
        .map(|arg| match arg.strip_prefix(demo::IMAGE_REGISTRY) {
            Some(rest) if rest.starts_with('/') => format!("{host}{rest}"),
            _ => arg,
        })
        .collect();
    if let [first, second, component, _file, rest @ ..] = args.as_slice()
        && first == "versions"
        && second == "import"
    {
        let mut synced = vec![
            "versions".to_owned(),
            "sync".to_owned(),
            component.clone(),
            "--insecure-registry".to_owned(),
            host.to_owned(),
        ];
        synced.extend(rest.iter().cloned());
        args = synced;
    }
    args
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

//! The command line: parse arguments, make one library call, render what comes back,
//! and map the outcome to an exit code.

mod component;
mod config;
mod demo;
mod diff;
mod error;
mod hint;
mod history;
mod hook;
mod init;
mod lineage;
mod ls;
mod mark;
mod promote;
mod put;
mod release;
mod render;
mod report;
mod review;
mod rollback;
mod show;
mod status;
mod validate;
mod versions;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

pub use error::CliError;
use render::Output;

/// Keep the deployable state of a software estate in git.
///
/// Manifests, releases and configs are immutable, content-hashed files; promoting
/// to an environment is a commit that moves its ref; lineage is read off commit
/// parents; and a validator enforces the invariants.
#[derive(Debug, Parser)]
#[command(
    name = "berth",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Flags every command takes.
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Run as if berth was started in DIR
    #[arg(short = 'C', id = "chdir", value_name = "DIR", global = true)]
    dir: Option<PathBuf>,
    /// Output format; validate and check take several, each with its own --output
    #[arg(long, value_enum, global = true, action = ArgAction::Append)]
    format: Vec<Format>,
    /// Never use color
    #[arg(long, global = true)]
    no_color: bool,
    /// Print only errors and the results asked for
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: tables and diagnostics with source spans
    Human,
    /// For programs: one JSON document on stdout, whatever the outcome
    Json,
    /// GitHub Actions annotations (validate and check)
    Github,
    /// SARIF 2.1.0, for code scanning (validate and check)
    Sarif,
    /// JUnit XML, for CI test reports (validate and check)
    Junit,
    /// Markdown, for pull-request comments (review and diff)
    Markdown,
}

impl Format {
    /// Whether only the validator's reports come in this format.
    fn is_report_only(self) -> bool {
        matches!(self, Format::Github | Format::Sarif | Format::Junit)
    }

    /// The name as given on the command line.
    fn name(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    Init(init::Args),
    Put(put::Args),
    Show(show::Args),
    Ls(ls::Args),
    Promote(promote::Args),
    Rollback(rollback::Args),
    Status(status::Args),
    History(history::Args),
    Lineage(lineage::Args),
    Diff(diff::Args),
    Component(component::Args),
    Versions(versions::Args),
    Release(release::Args),
    Config(config::Args),
    Mark(mark::Args),
    Validate(validate::Args),
    Check(validate::CheckArgs),
    Review(review::Args),
    Hook(hook::Args),
    Demo(demo::Args),
}

/// Runs berth with the process's arguments.
pub fn main() -> ExitCode {
    run(std::env::args_os())
}

/// Runs berth with the given arguments (the first is the program name).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            // clap prints help and version to stdout and usage errors to stderr,
            // and exits 0 or 2 as berth's exit codes say.
            let _ = error.print();
            if error.use_stderr() && asks_for_json(&args) {
                render::usage_error_json(&error.kind().to_string(), &error.render().to_string());
            }
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let reports = match matches.subcommand() {
        Some(("validate" | "check", sub)) => report::plan(&cli.global.format, sub),
        Some((name, _)) => single_format(&cli.global.format, name),
        None => single_format(&cli.global.format, ""),
    };
    let stdout_format = match &reports {
        Ok(reports) => report::stdout_format(reports),
        // Formats that do not pair up still owe a JSON reader its error document.
        Err(_) if cli.global.format.contains(&Format::Json) => Format::Json,
        Err(_) => Format::Human,
    };
    let mut out = Output::new(&cli.global, stdout_format);
    let outcome = reports.and_then(|reports| dispatch(&cli, &reports, &mut out));
    out.finish(outcome)
}

/// Whether the raw arguments ask for `--format json`: a usage error still owes a
/// JSON reader its error document.
fn asks_for_json(args: &[OsString]) -> bool {
    args.iter().any(|arg| arg == "--format=json")
        || args
            .windows(2)
            .any(|pair| matches!(pair, [flag, value] if flag == "--format" && value == "json"))
}

/// The one format a command other than validate and check prints in.
fn single_format(formats: &[Format], command: &str) -> Result<Vec<report::Report>, CliError> {
    let format = formats.last().copied().unwrap_or(Format::Human);
    if format.is_report_only()
        || (format == Format::Markdown && !matches!(command, "diff" | "review"))
    {
        return Err(CliError::FormatNotHere {
            format: format.name(),
        });
    }
    Ok(vec![report::Report {
        format,
        output: None,
    }])
}

fn dispatch(cli: &Cli, reports: &[report::Report], out: &mut Output) -> Result<u8, CliError> {
    let dir = working_dir(&cli.global)?;
    match &cli.command {
        Command::Init(args) => init::run(args, &dir, out),
        Command::Put(args) => put::run(args, &dir, out),
        Command::Show(args) => show::run(args, &dir, out),
        Command::Ls(args) => ls::run(args, &dir, out),
        Command::Promote(args) => promote::run(args, &dir, out),
        Command::Rollback(args) => rollback::run(args, &dir, out),
        Command::Status(args) => status::run(args, &dir, out),
        Command::History(args) => history::run(args, &dir, out),
        Command::Lineage(args) => lineage::run(args, &dir, out),
        Command::Diff(args) => diff::run(args, &dir, out),
        Command::Component(args) => component::run(args, &dir, out),
        Command::Versions(args) => versions::run(args, &dir, out),
        Command::Release(args) => release::run(args, &dir, out),
        Command::Config(args) => config::run(args, &dir, out),
        Command::Mark(args) => mark::run(args, &dir, out),
        Command::Validate(args) => validate::run(args, reports, &dir, out),
        Command::Check(args) => validate::check(args, reports, &dir, out),
        Command::Review(args) => review::run(args, &dir, out),
        Command::Hook(args) => hook::run(args, &dir, out),
        Command::Demo(args) => demo::run(args, &dir, &cli.global, out),
    }
}

/// A `KEY=VALUE` flag's two halves; the key may not be empty.
pub(crate) fn pair(text: &str, flag: &str) -> Result<(String, String), CliError> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(CliError::BadPair {
            flag: flag.to_owned(),
            text: text.to_owned(),
        }),
    }
}

/// The directory berth runs in: `-C DIR`, relative to the current directory.
fn working_dir(global: &GlobalArgs) -> Result<PathBuf, CliError> {
    let current = std::env::current_dir().map_err(|error| CliError::Io {
        path: PathBuf::from("."),
        error,
    })?;
    Ok(match &global.dir {
        Some(dir) => current.join(dir),
        None => current,
    })
}

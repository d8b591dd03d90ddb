//! The command line: parse arguments, make one library call, render what comes back,
//! and map the outcome to an exit code.

mod completions;
mod component;
mod config;
mod demo;
mod diff;
mod error;
mod fetch;
mod hint;
mod history;
mod hook;
mod init;
mod lineage;
mod ls;
mod man;
mod mark;
mod progress;
mod promote;
mod put;
mod release;
mod render;
mod repair;
mod report;
mod review;
mod rollback;
mod show;
mod status;
mod validate;
mod verify;
mod versions;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::styling::Style;
use clap::builder::{PossibleValuesParser, StyledStr, TypedValueParser};
use clap::error::{ContextKind, ContextValue};
use clap::{
    Arg, ArgAction, ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum,
};

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

/// Where help lists the flags every command takes, apart from the command's own.
const GLOBAL: &str = "Global Options";

/// Flags every command takes. Each command also takes `--format` with the formats
/// it prints in ([`formats_of`]).
#[derive(Debug, Clone, clap::Args)]
pub struct GlobalArgs {
    /// Run as if berth was started in DIR
    #[arg(short = 'C', id = "chdir", value_name = "DIR", global = true, help_heading = GLOBAL)]
    dir: Option<PathBuf>,
    /// Never use color
    #[arg(long, global = true, help_heading = GLOBAL)]
    no_color: bool,
    /// Print only errors and the results asked for
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    quiet: bool,
    /// Print more detail
    #[arg(short, long, global = true, help_heading = GLOBAL)]
    verbose: bool,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: tables and diagnostics with source spans
    Human,
    /// For programs: one JSON document on stdout, whatever the outcome
    Json,
    /// GitHub Actions annotations
    Github,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, for CI test reports
    Junit,
    /// Markdown, for pull-request comments
    Markdown,
}

impl Format {
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
    Repair(repair::Args),
    Fetch(fetch::Args),
    Status(status::Args),
    History(history::Args),
    Lineage(lineage::Args),
    Verify(verify::Args),
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
    // The demo's module is its walk; its examples sit here with the command line.
    #[command(after_long_help = examples(&[
        (
            "A sample repository in a new temporary directory, walked through",
            "berth demo",
        ),
        (
            "The same, built in ./berth-demo to explore afterwards",
            "berth demo berth-demo",
        ),
    ]))]
    Demo(demo::Args),
    Completions(completions::Args),
    Man(man::Args),
}

/// The formats a command prints its results in: human and json everywhere, the
/// validator's reports from validate and check, Markdown from review and diff.
/// The commands that write a script or pages (completions, man) have none.
fn formats_of(command: &str) -> &'static [Format] {
    use Format::{Github, Human, Json, Junit, Markdown, Sarif};
    match command {
        "validate" | "check" => &[Human, Json, Github, Sarif, Junit],
        "review" | "diff" => &[Human, Json, Markdown],
        "completions" | "man" => &[],
        _ => &[Human, Json],
    }
}

/// `--format` offering exactly `formats`. It is global to the command, so that a
/// command of several (`config set`) takes it after its own subcommand. The last
/// one given wins, except for validate and check, which write one report per
/// `--format` (each with its `--output`).
fn format_arg(command: &str, formats: &'static [Format]) -> Arg {
    let reports = matches!(command, "validate" | "check");
    let help = if reports {
        "Output format; repeat it, each followed by --output FILE, for several reports"
    } else {
        "Output format"
    };
    let names = PossibleValuesParser::new(formats.iter().filter_map(Format::to_possible_value));
    Arg::new("format")
        .long("format")
        .value_name("FORMAT")
        .help(help)
        .global(true)
        .action(ArgAction::Append)
        .value_parser(names.try_map(|name| Format::from_str(&name, false)))
}

/// berth's command line: the derived commands, each with the `--format` it takes.
/// Parsing, completions and man pages all read this one definition.
pub fn command() -> clap::Command {
    let mut cli = Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|sub| sub.get_name().to_owned())
        .collect();
    for name in names {
        let formats = formats_of(&name);
        if !formats.is_empty() {
            cli = cli.mut_subcommand(&name, |sub| sub.arg(format_arg(&name, formats)));
        }
    }
    cli
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
    let parsed = command()
        .try_get_matches_from(&args)
        .and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(mut error) => {
            closest_first(&mut error);
            // clap prints help and version to stdout and usage errors to stderr,
            // and exits 0 or 2 as berth's exit codes say.
            let _ = error.print();
            if error.use_stderr() && asks_for_json(&args) {
                render::usage_error_json(&error.kind().to_string(), &error.render().to_string());
            }
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let none = ArgMatches::default();
    let (name, sub) = matches.subcommand().unwrap_or(("", &none));
    let formats = formats_given(sub);
    let reports = match name {
        "validate" | "check" => report::plan(&formats, sub),
        _ => Ok(vec![report::Report {
            format: formats.last().copied().unwrap_or(Format::Human),
            output: None,
        }]),
    };
    let stdout_format = match &reports {
        Ok(reports) => report::stdout_format(reports),
        // Formats that do not pair up still owe a JSON reader its error document.
        Err(_) if formats.contains(&Format::Json) => Format::Json,
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

/// The formats given to a command, in order; the parser let through only those it
/// takes.
fn formats_given(sub: &ArgMatches) -> Vec<Format> {
    sub.try_get_many::<Format>("format")
        .ok()
        .flatten()
        .map(|formats| formats.copied().collect())
        .unwrap_or_default()
}

/// clap lists the commands, flags or values similar to a mistyped one with the
/// most similar last (`berth promot`: 'component', 'promote'); berth names the
/// closest first, by the same measure clap uses (Jaro similarity).
fn closest_first(error: &mut clap::Error) {
    let Some(ContextValue::String(typed)) = error
        .get(ContextKind::InvalidSubcommand)
        .or_else(|| error.get(ContextKind::InvalidArg))
        .or_else(|| error.get(ContextKind::InvalidValue))
    else {
        return;
    };
    let typed = typed.clone();
    for kind in [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ] {
        if let Some(ContextValue::Strings(similar)) = error.get(kind) {
            let mut similar = similar.clone();
            similar.sort_by(|a, b| strsim::jaro(&typed, b).total_cmp(&strsim::jaro(&typed, a)));
            error.insert(kind, ContextValue::Strings(similar));
        }
    }
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
        Command::Repair(args) => repair::run(args, &dir, out),
        Command::Fetch(args) => fetch::run(args, &dir, out),
        Command::Status(args) => status::run(args, &dir, out),
        Command::History(args) => history::run(args, &dir, out),
        Command::Lineage(args) => lineage::run(args, &dir, out),
        Command::Verify(args) => verify::run(args, &dir, out),
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
        Command::Completions(args) => completions::run(args, out),
        Command::Man(args) => man::run(args, &dir, out),
    }
}

/// A command's EXAMPLES, shown after its long help (`--help`, not `-h`) under a
/// heading styled as clap styles its own: each example is a line that says what
/// it does and the invocation, which starts with `berth` and the command. An
/// invocation too long for one line says where it breaks with `\n`, and is shown
/// as a shell continues a line, so that it pastes as one command (clap would
/// wrap it anywhere).
pub(crate) fn examples(examples: &[(&str, &str)]) -> StyledStr {
    let heading = Style::new().bold().underline();
    let mut text = format!("{heading}Examples:{heading:#}");
    for (what, invocation) in examples {
        let invocation = invocation.replace('\n', " \\\n      ");
        text.push_str(&format!("\n  # {what}\n  {invocation}\n"));
    }
    StyledStr::from(text.trim_end().to_owned())
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

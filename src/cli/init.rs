//! `berth init`: make a directory a berth repository.

use std::path::{Path, PathBuf};

use berth::workspace::{self, InitOptions, Template};
use clap::ValueEnum;

use super::error::CliError;
use super::render::Output;
use berth::report::short::short_commit;

/// Create berth.toml and the object layout (and the git repository if missing)
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("A new repository in ./shipyard, with berth.toml committed", "berth init shipyard --commit"),
    (
        "A repository for container services: components, version maps and releases",
        "berth init shop --template containers --commit",
    ),
    (
        "Make the current git repository a berth repository, committed with a message",
        "berth init -m \"Start the catalog\"",
    ),
]))]
pub struct Args {
    /// The directory to initialize [default: the current directory]
    dir: Option<PathBuf>,
    /// The layout to write
    #[arg(long, value_enum, default_value_t = TemplateArg::Workers)]
    template: TemplateArg,
    /// Commit berth.toml on the current branch
    #[arg(long)]
    commit: bool,
    /// The commit message (implies --commit)
    #[arg(short, long, value_name = "MESSAGE")]
    message: Option<String>,
}

/// A template on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TemplateArg {
    /// Version sets of worker bundles, with their external stores
    Workers,
    /// Container services: components, version maps and releases of image digests
    Containers,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let dir = match &args.dir {
        Some(dir) => cwd.join(dir),
        None => cwd.to_owned(),
    };
    let template = match args.template {
        TemplateArg::Workers => Template::Workers,
        TemplateArg::Containers => Template::Containers,
    };
    let options = InitOptions {
        template,
        commit: args.commit || args.message.is_some(),
        message: args.message.clone(),
    };
    let outcome = workspace::init(&dir, &options)?;
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    if !out.quiet {
        let git = if outcome.git_created {
            " (new git repository)"
        } else {
            ""
        };
        out.line(format!(
            "Initialized berth repository in {}{git}",
            outcome.root
        ));
        for path in &outcome.created {
            out.line(format!("  created   {path}"));
        }
        if let Some(commit) = &outcome.commit {
            out.line(format!("  committed {}", short_commit(commit)));
        }
    }
    Ok(0)
}

//! `berth component`: the component registry.

use std::collections::BTreeMap;
use std::path::Path;

use berth::kinds::component::Registry;
use berth::kinds::component::{Component, Strategy, VersionRule, Versioning};
use berth::registry;
use berth::report::short::short_commit;
use berth::workspace::Workspace;
use clap::{Subcommand, ValueEnum};

use super::error::CliError;
use super::render::{Output, table};

/// Register, show and list components: the images releases are made of
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Register a component whose tags are semantic versions",
        "berth component add api --image registry.example.com/shop/api --commit",
    ),
    ("Every component with the head of its default channel", "berth component ls"),
]))]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Add(Box<AddArgs>),
    Show(ShowArgs),
    /// List components: image, default channel, its head and how many versions
    #[command(after_long_help = super::examples(&[
        ("Every component with the head of its default channel", "berth component ls"),
        ("For a script", "berth component ls --format json"),
    ]))]
    Ls,
}

/// Register a component: write components/<name>.toml
///
/// The file is reviewed and edited like code afterwards; its regular expressions
/// are checked before anything is written.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "A component whose tags are semantic versions, committed",
        "berth component add api --image registry.example.com/shop/api --commit",
    ),
    (
        "Stable and beta channels by tag",
        "berth component add worker --image registry.example.com/shop/worker\n\
         --rule 'stable=^v(\\d+\\.\\d+\\.\\d+)$'\n\
         --rule 'beta=^v(\\d+\\.\\d+\\.\\d+-(?:beta|rc)\\.\\d+)$' --commit",
    ),
    (
        "Tags that carry a date",
        "berth component add batch --image registry.example.com/shop/batch --versioning date --commit",
    ),
    (
        "Registered on the shared remote: committed on its tip and pushed there",
        "berth component add web --image registry.example.com/shop/web --push",
    ),
]))]
struct AddArgs {
    /// The component's name, such as `api`
    name: String,
    /// The image repository, such as registry.example.com/shop/api
    #[arg(long, value_name = "REPOSITORY")]
    image: String,
    /// A name for people (default: the name)
    #[arg(long, value_name = "TEXT")]
    display_name: Option<String>,
    /// The channel releases take the component from by default
    #[arg(long, value_name = "CHANNEL", default_value = "stable")]
    default_channel: String,
    /// How tags are numbered
    #[arg(long, value_enum, default_value_t = StrategyArg::Semver)]
    versioning: StrategyArg,
    /// Only tags matching this regular expression are versions
    #[arg(long, value_name = "REGEX")]
    tag_pattern: Option<String>,
    /// A regular expression whose first group is the version in a tag
    #[arg(long, value_name = "REGEX")]
    semver_extract: Option<String>,
    /// A version rule: tags matching REGEX go to CHANNEL, first match wins
    /// (repeatable; --rule 'stable=^v(\d+\.\d+\.\d+)$')
    #[arg(long, value_name = "CHANNEL=REGEX")]
    rule: Vec<String>,
    /// The deployment template the component deploys with
    #[arg(long, value_name = "NAME")]
    deployment_template: Option<String>,
    /// A label, KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// Commit the file on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

/// A versioning strategy on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StrategyArg {
    /// Tags carry a semantic version (v2.3.1)
    Semver,
    /// Tags carry a date (2025.05.01), read as YEAR.MONTH.DAY
    Date,
    /// Tags carry a build number, read as NUMBER.0.0
    Sequential,
    /// Versions are assigned by hand
    Manual,
}

/// Show a component: its file and the heads of its channels
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("A component's file and the heads of its channels", "berth component show api"),
    ("For a script", "berth component show worker --format json"),
]))]
struct ShowArgs {
    /// The component
    name: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    match &args.command {
        Command::Add(add) => run_add(add, &workspace, out),
        Command::Show(show) => run_show(show, &workspace, out),
        Command::Ls => run_ls(&workspace, out),
    }
}

fn run_add(args: &AddArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let rules = args
        .rule
        .iter()
        .map(|text| {
            super::pair(text, "--rule").map(|(channel, pattern)| VersionRule {
                pattern,
                channel,
                prerelease_pattern: None,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let metadata = args
        .metadata
        .iter()
        .map(|text| super::pair(text, "--metadata"))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    let component = Component {
        name: args.name.clone(),
        display_name: args
            .display_name
            .clone()
            .unwrap_or_else(|| args.name.clone()),
        image_repository: args.image.clone(),
        default_channel: args.default_channel.clone(),
        deployment_template: args.deployment_template.clone(),
        versioning: Versioning {
            strategy: match args.versioning {
                StrategyArg::Semver => Strategy::Semver,
                StrategyArg::Date => Strategy::Date,
                StrategyArg::Sequential => Strategy::Sequential,
                StrategyArg::Manual => Strategy::Manual,
            },
            tag_pattern: args.tag_pattern.clone(),
            semver_extract: args.semver_extract.clone(),
        },
        rules,
        metadata,
    };
    let push = super::promote::remote(workspace, args.push.as_deref());
    let written = registry::add_component(
        workspace,
        &component,
        args.commit || push.is_some(),
        push.as_deref(),
    )?;
    if out.is_json() {
        out.json(&written);
        return Ok(0);
    }
    for file in &written.files {
        out.line(format!("wrote {file}"));
    }
    if let Some(commit) = &written.commit {
        out.line(format!("committed {}", short_commit(commit)));
    }
    if let Some(pushed) = &written.pushed {
        out.line(super::put::pushed_line(written.commit.as_deref(), pushed));
    }
    Ok(0)
}

fn load(workspace: &Workspace, out: &mut Output) -> Result<Registry, CliError> {
    let (registry, findings) = Registry::load(&workspace.tree)?;
    for finding in &findings {
        out.diagnostic(finding);
    }
    Ok(registry)
}

fn run_show(args: &ShowArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let registry = load(workspace, out)?;
    let Some(component) = registry.components.get(&args.name) else {
        return Err(registry::RegistryError::UnknownComponent {
            name: args.name.clone(),
        }
        .into());
    };
    let mut channels: Vec<&str> = registry
        .entries(&args.name)
        .iter()
        .map(|entry| entry.channel.as_str())
        .collect();
    channels.push(&component.default_channel);
    channels.sort_unstable();
    channels.dedup();
    let heads: BTreeMap<&str, Option<&berth::kinds::component::VersionEntry>> = channels
        .iter()
        .map(|channel| (*channel, registry.head(&args.name, channel)))
        .collect();
    if out.is_json() {
        out.json(&serde_json::json!({
            "component": component,
            "path": berth::kinds::component::component_path(&args.name),
            "versions": registry.entries(&args.name).len(),
            "heads": heads,
        }));
        return Ok(0);
    }
    let mut rows = vec![
        vec!["component".to_owned(), component.name.clone()],
        vec!["display name".to_owned(), component.display_name.clone()],
        vec!["image".to_owned(), component.image_repository.clone()],
        vec![
            "default channel".to_owned(),
            component.default_channel.clone(),
        ],
        vec![
            "versioning".to_owned(),
            format!("{:?}", component.versioning.strategy).to_lowercase(),
        ],
        vec![
            "versions".to_owned(),
            registry.entries(&args.name).len().to_string(),
        ],
    ];
    for (channel, head) in &heads {
        rows.push(vec![
            format!("head of {channel}"),
            head.map_or_else(
                || "-".to_owned(),
                |entry| format!("{} {}", entry.tag, entry.digest),
            ),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

fn run_ls(workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let registry = load(workspace, out)?;
    if out.is_json() {
        let components: Vec<serde_json::Value> = registry
            .components
            .values()
            .map(|component| {
                serde_json::json!({
                    "name": component.name,
                    "image_repository": component.image_repository,
                    "default_channel": component.default_channel,
                    "versions": registry.entries(&component.name).len(),
                    "head": registry.head(&component.name, &component.default_channel),
                })
            })
            .collect();
        out.json(&serde_json::json!({ "components": components }));
        return Ok(0);
    }
    if registry.components.is_empty() {
        out.note("No components registered.");
        return Ok(0);
    }
    let mut rows = vec![
        ["COMPONENT", "IMAGE", "CHANNEL", "HEAD", "VERSIONS"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for component in registry.components.values() {
        let head = registry
            .head(&component.name, &component.default_channel)
            .map_or_else(|| "-".to_owned(), |entry| entry.tag.clone());
        rows.push(vec![
            component.name.clone(),
            component.image_repository.clone(),
            component.default_channel.clone(),
            head,
            registry.entries(&component.name).len().to_string(),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

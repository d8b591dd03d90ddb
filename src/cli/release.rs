//! `berth release`: create releases from the registry, list them, and follow a
//! component through them.

use std::collections::BTreeMap;
use std::path::Path;

use berth::kinds::event::Derived;
use berth::kinds::release::{Role, SourceRef};
use berth::release::{self, CreateRequest, Filter, Mode};
use berth::workspace::Workspace;
use clap::{Subcommand, ValueEnum};

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_digest, short_object};

/// Create, list and trace releases: versions of a package as sets of image digests
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "A release of every component at the head of its default channel",
        "berth release create shop --version 1.0.0 --commit",
    ),
    ("The release catalog, newest first", "berth release ls"),
]))]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Create(Box<CreateArgs>),
    Ls(LsArgs),
    History(HistoryArgs),
}

/// Create a release: resolve each component to a digest and put the release
///
/// Exactly one way of choosing digests: without a mode, every component at the
/// head of its default channel (full); --channel C, every component at the head
/// of C; --pin NAME=TAG|DIGEST for each component (pinned); or --from-env E
/// --update NAME..., what E holds for the package with the named components moved
/// to the head of their default channel (partial). Tags resolve to digests through
/// the version maps; the release records digests only.
#[derive(Debug, clap::Args)]
#[command(disable_version_flag = true)]
#[command(after_long_help = super::examples(&[
    (
        "Every component at the head of the stable channel, with where it was built",
        "berth release create shop --version 1.0.0 --channel stable --branch main --commit",
    ),
    (
        "What dev holds, with api moved to the head of its channel",
        "berth release create shop --version 1.1.0 --from-env dev --update api --commit",
    ),
    (
        "Every component pinned to a tag",
        "berth release create shop --version 1.0.1 --pin api=v1.0.1 --pin worker=v1.0.0 --commit",
    ),
    (
        "Committed on the shared remote's tip and pushed there",
        "berth release create shop --version 1.0.2 --push",
    ),
]))]
struct CreateArgs {
    /// The package
    package: String,
    /// The release's semantic version
    #[arg(long, value_name = "VERSION")]
    version: String,
    /// Every component at the head of this channel
    #[arg(long, value_name = "CHANNEL", group = "mode")]
    channel: Option<String>,
    /// A component at a tag or digest (repeatable)
    #[arg(long, value_name = "NAME=TAG|DIGEST", group = "mode")]
    pin: Vec<String>,
    /// Start from the release this environment holds for the package
    #[arg(long, value_name = "ENV", group = "mode", requires = "update")]
    from_env: Option<String>,
    /// With --from-env: the components to move to their channel head
    #[arg(long, value_name = "NAME", num_args = 1.., requires = "from_env")]
    update: Vec<String>,
    /// Only these components
    #[arg(long, value_name = "NAME", num_args = 1..)]
    components: Vec<String>,
    /// A component's role other than primary, NAME=ROLE (repeatable)
    #[arg(long, value_name = "NAME=ROLE")]
    role: Vec<String>,
    /// A short name for the release, such as shop-v2.3.1
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The commit the release was built from
    #[arg(long, value_name = "SHA")]
    commit_sha: Option<String>,
    /// The branch it was built from
    #[arg(long, value_name = "BRANCH")]
    branch: Option<String>,
    /// The CI build's id
    #[arg(long, value_name = "ID")]
    build_id: Option<String>,
    /// The CI pipeline's page
    #[arg(long, value_name = "URL")]
    pipeline_url: Option<String>,
    /// Pin a config version, ID=VERSION (repeatable)
    #[arg(long, value_name = "ID=VERSION")]
    config: Vec<String>,
    /// Commit the release on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

/// A status on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusArg {
    Draft,
    Ready,
    Failed,
    Deployed,
    Deprecated,
    Archived,
    ArtifactDeleted,
}

impl From<StatusArg> for Derived {
    fn from(status: StatusArg) -> Derived {
        match status {
            StatusArg::Draft => Derived::Draft,
            StatusArg::Ready => Derived::Ready,
            StatusArg::Failed => Derived::Failed,
            StatusArg::Deployed => Derived::Deployed,
            StatusArg::Deprecated => Derived::Deprecated,
            StatusArg::Archived => Derived::Archived,
            StatusArg::ArtifactDeleted => Derived::ArtifactDeleted,
        }
    }
}

/// List releases, newest first, with their derived status
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every release, newest first, with its derived status", "berth release ls"),
    (
        "A package's releases that are ready to promote",
        "berth release ls --package shop --status ready",
    ),
]))]
struct LsArgs {
    /// Only this package
    #[arg(long, value_name = "PACKAGE")]
    package: Option<String>,
    /// Only releases that carry this component
    #[arg(long, value_name = "NAME")]
    component: Option<String>,
    /// Only releases in this status
    #[arg(long, value_enum, value_name = "STATUS")]
    status: Option<StatusArg>,
}

/// The releases that carried a component, newest first, with its version in each
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("The releases that carried a component", "berth release history --component api"),
    ("For a script", "berth release history --component worker --format json"),
]))]
struct HistoryArgs {
    /// The component
    #[arg(long, value_name = "NAME")]
    component: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    match &args.command {
        Command::Create(create) => run_create(create, &workspace, out),
        Command::Ls(ls) => {
            let filter = Filter {
                package: ls.package.clone(),
                component: ls.component.clone(),
                status: ls.status.map(Derived::from),
            };
            run_ls(&workspace, &filter, out)
        }
        Command::History(history) => run_history(history, &workspace, out),
    }
}

fn run_create(args: &CreateArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let mode = if let Some(channel) = &args.channel {
        Mode::Channel(channel.clone())
    } else if !args.pin.is_empty() {
        Mode::Pinned(
            args.pin
                .iter()
                .map(|pin| release::parse_pin(pin))
                .collect::<Result<_, _>>()?,
        )
    } else if let Some(environment) = &args.from_env {
        Mode::Partial {
            environment: environment.clone(),
            update: args.update.clone(),
        }
    } else {
        Mode::Full
    };
    let mut roles = BTreeMap::new();
    for text in &args.role {
        let (name, role) = release::parse_pin(text).map_err(|_| CliError::BadPair {
            flag: "--role".to_owned(),
            text: text.clone(),
        })?;
        let role = match role.as_str() {
            "primary" => Role::Primary,
            "sidecar" => Role::Sidecar,
            "init" => Role::Init,
            "migration" => Role::Migration,
            _ => {
                return Err(CliError::BadPair {
                    flag: "--role".to_owned(),
                    text: text.clone(),
                });
            }
        };
        roles.insert(name, role);
    }
    let mut configs = Vec::with_capacity(args.config.len());
    for text in &args.config {
        let bad = || CliError::BadPair {
            flag: "--config".to_owned(),
            text: text.clone(),
        };
        let (id, version) = release::parse_pin(text).map_err(|_| bad())?;
        configs.push((id, version.parse().map_err(|_| bad())?));
    }
    let request = CreateRequest {
        package: args.package.clone(),
        version: args.version.clone(),
        mode,
        only: (!args.components.is_empty()).then(|| args.components.clone()),
        roles,
        source: SourceRef {
            commit_sha: args.commit_sha.clone(),
            branch: args.branch.clone(),
            build_id: args.build_id.clone(),
            pipeline_url: args.pipeline_url.clone(),
        },
        name: args.name.clone(),
        configs,
        commit: args.commit || args.push.is_some(),
        push: super::promote::remote(workspace, args.push.as_deref()),
    };
    let outcome = release::create(workspace, &request)?;
    for warning in &outcome.put.warnings {
        out.diagnostic(warning);
    }
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    let created = outcome.put.objects.first().is_some_and(|o| o.created);
    out.line(format!(
        "{} {} {} as {}",
        if created { "created" } else { "already had" },
        args.package,
        args.version,
        outcome.object
    ));
    let mut rows = vec![
        ["COMPONENT", "TAG", "SEMVER", "DIGEST", "WHY"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for chosen in &outcome.components {
        rows.push(vec![
            chosen.name.clone(),
            chosen.tag.clone().unwrap_or_else(|| "-".to_owned()),
            chosen.semver.clone().unwrap_or_else(|| "-".to_owned()),
            chosen.digest.clone(),
            chosen.how.clone(),
        ]);
    }
    out.text(&table(&rows));
    if let Some(url) = &outcome.preview_url {
        out.line(format!("preview {url}"));
    }
    if let Some(commit) = &outcome.put.commit {
        out.line(format!("committed {}", short_commit(commit)));
    }
    if let Some(pushed) = &outcome.put.pushed {
        out.line(super::put::pushed_line(
            outcome.put.commit.as_deref(),
            pushed,
        ));
    }
    Ok(0)
}

fn run_ls(workspace: &Workspace, filter: &Filter, out: &mut Output) -> Result<u8, CliError> {
    let listed = release::list(workspace, filter)?;
    if out.is_json() {
        out.json(&serde_json::json!({ "releases": listed }));
        return Ok(0);
    }
    if listed.is_empty() {
        out.note("No releases found.");
        return Ok(0);
    }
    let mut rows = vec![
        [
            "RELEASE",
            "PACKAGE",
            "VERSION",
            "STATUS",
            "CREATED",
            "COMPONENTS",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for release in &listed {
        let status = if release.lifecycle.environments.is_empty() {
            release.lifecycle.status.to_string()
        } else {
            format!(
                "{} ({})",
                release.lifecycle.status,
                release.lifecycle.environments.join(", ")
            )
        };
        rows.push(vec![
            short_object(&release.object),
            release.package.clone(),
            release.version.clone(),
            status,
            release.created_at.clone(),
            release
                .components
                .iter()
                .map(|c| match &c.semver {
                    Some(semver) => format!("{} {semver}", c.name),
                    None => c.name.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

fn run_history(
    args: &HistoryArgs,
    workspace: &Workspace,
    out: &mut Output,
) -> Result<u8, CliError> {
    let filter = Filter {
        component: Some(args.component.clone()),
        ..Filter::default()
    };
    let listed = release::list(workspace, &filter)?;
    if out.is_json() {
        out.json(&serde_json::json!({ "component": args.component, "releases": listed }));
        return Ok(0);
    }
    if listed.is_empty() {
        out.note(format!("No release carries {}.", args.component));
        return Ok(0);
    }
    let mut rows = vec![
        [
            "RELEASE", "PACKAGE", "VERSION", "TAG", "SEMVER", "DIGEST", "STATUS",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for release in &listed {
        let Some(component) = release.components.iter().find(|c| c.name == args.component) else {
            continue;
        };
        rows.push(vec![
            short_object(&release.object),
            release.package.clone(),
            release.version.clone(),
            component.tag.clone().unwrap_or_else(|| "-".to_owned()),
            component.semver.clone().unwrap_or_else(|| "-".to_owned()),
            short_digest(&component.digest),
            release.lifecycle.status.to_string(),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

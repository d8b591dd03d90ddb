//! `berth config`: write config versions under optimistic locking, read what was in
//! force when, and resolve a type for an asset.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use berth::config::{
    self, Fields, NewSettings, Resolution, ResolveRequest, Select, SetRequest, SettingChange,
    VersionView,
};
use berth::env::parse_at;
use berth::kinds::config_version::{Category, Scope};
use berth::workspace::Workspace;
use clap::{Subcommand, ValueEnum};
use serde_json::Value;

use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// Versioned configs: write the next version, read what was in force when, and
/// resolve a type for an asset
///
/// Each version is an immutable object in objects/configs/<id>/; a version is in
/// force from its effective_at until the next version's.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Create a config: version 1 with its fixed fields",
        "berth config set pricing-acme --expect-version 0 --type pricing --category logic\n\
         --applies-to acme --scope account --set rate_per_minute=0.02 --commit",
    ),
    (
        "The pricing in force for an asset",
        "berth config resolve pricing --asset line-7 --account acme",
    ),
]))]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Set(Box<SetArgs>),
    Show(ShowArgs),
    History(HistoryArgs),
    Diff(DiffArgs),
    Resolve(ResolveArgs),
    Ls(LsArgs),
}

/// Write the next version of a config, if its current version is the one expected
///
/// The new version is N+1; if the config is at another version, nothing is written
/// and berth exits 3 (re-read and retry). With an idempotency key already used for
/// the id, a retry of that request reports that version and writes nothing, and a
/// request with other data is refused (exit 3). Version 1 is created with
/// --expect-version 0 and the fixed fields: --type, --category, --applies-to and
/// --scope. With --commit, the branch moves by compare-and-swap from the tip the
/// versions were read at: a concurrent writer makes it exit 3, never a lost update.
#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("settings").required(true).multiple(true).args(["file", "set", "unset"]))]
#[command(after_long_help = super::examples(&[
    (
        "Create a config: version 1 with its fixed fields",
        "berth config set pricing-acme --expect-version 0 --type pricing --category logic\n\
         --applies-to acme --scope account --set rate_per_minute=0.02 --commit",
    ),
    (
        "Version 2, taking effect at a time",
        "berth config set pricing-acme --expect-version 1 --set rate_per_minute=0.03\n\
         --effective-at 2025-02-01T00:00:00Z --commit",
    ),
    (
        "Version 3 with the whole settings table from a file",
        "berth config set pricing-acme --expect-version 2 --file pricing-acme.toml --commit",
    ),
    (
        "Version 4 on the shared remote: exits 3 if another machine wrote version 4 first",
        "berth config set pricing-acme --expect-version 3 --set rate_per_minute=0.04 --push",
    ),
]))]
struct SetArgs {
    /// The config id, such as pricing-acct-1
    id: String,
    /// The version you read: the config's current version, 0 to create it
    #[arg(long, value_name = "N")]
    expect_version: u64,
    /// The whole settings table, from a .toml or .json file
    #[arg(long, value_name = "FILE", conflicts_with_all = ["set", "unset"])]
    file: Option<PathBuf>,
    /// Set a setting over the current version's, as TOML: rate=0.02, tier=gold, limits.daily=100 (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Remove a setting (repeatable)
    #[arg(long, value_name = "KEY")]
    unset: Vec<String>,
    /// When the version takes effect (RFC 3339); now (to the millisecond) when not given
    #[arg(long, value_name = "TIME")]
    effective_at: Option<String>,
    /// A key for this write: retrying the same request with it finds the version instead of writing another
    #[arg(long, value_name = "KEY")]
    idempotency_key: Option<String>,
    /// What the config governs, such as pricing (version 1; fixed after)
    #[arg(long = "type", value_name = "TYPE")]
    config_type: Option<String>,
    /// policy or logic (version 1; fixed after)
    #[arg(long, value_enum, value_name = "CATEGORY")]
    category: Option<CategoryArg>,
    /// The account, campaign or asset id it governs (version 1; fixed after)
    #[arg(long, value_name = "ENTITY")]
    applies_to: Option<String>,
    /// What kind of entity --applies-to is (version 1; fixed after)
    #[arg(long, value_enum, value_name = "SCOPE")]
    scope: Option<ScopeArg>,
    /// A name for people
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// The tenant the entity belongs to
    #[arg(long, value_name = "TENANT")]
    tenant: Option<String>,
    /// Commit the version on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

/// A category on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CategoryArg {
    Policy,
    Logic,
}

/// A scope on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    Asset,
    Campaign,
    Account,
}

/// Show a config version: the one in force now, a version by number, or the one in
/// force at a time
#[derive(Debug, clap::Args)]
#[command(disable_version_flag = true)]
#[command(after_long_help = super::examples(&[
    ("The version in force now", "berth config show pricing-acme"),
    ("A version by number", "berth config show pricing-acme --version 1"),
    ("The version in force at a time", "berth config show pricing-acme --at 2025-01-15T00:00:00Z"),
]))]
struct ShowArgs {
    /// The config id
    id: String,
    /// This version
    #[arg(long, value_name = "N", conflicts_with = "at")]
    version: Option<u64>,
    /// The version in force at this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

/// Every version of a config: when each took effect and was superseded, and what
/// changed in its settings
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Every version: when it took effect, was superseded, and what changed",
        "berth config history pricing-acme",
    ),
    ("For a script", "berth config history pricing-acme --format json"),
]))]
struct HistoryArgs {
    /// The config id
    id: String,
}

/// What changed between two versions of a config
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "The settings and fields that differ between versions 1 and 2",
        "berth config diff pricing-acme 1 2",
    ),
    ("For a script", "berth config diff pricing-acme 1 3 --format json"),
]))]
struct DiffArgs {
    /// The config id
    id: String,
    /// The version to compare from
    from: u64,
    /// The version to compare to
    to: u64,
}

/// Resolve a config type for an asset: asset beats campaign beats account
///
/// Looks for the config of the type whose scope and applies_to match, most specific
/// first, and answers with the version in force at the time. A type listed in
/// berth.toml's [configs] fail_closed (pricing, budget, autonomy and billing unless
/// it says otherwise) with no answer is an error (exit 1); any other type answers
/// "none".
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "The pricing in force now for an asset of an account",
        "berth config resolve pricing --asset line-7 --account acme",
    ),
    (
        "As of a time, with the asset's campaign",
        "berth config resolve pricing --asset line-7 --campaign spring --account acme\n\
         --at 2025-02-01T00:00:00Z",
    ),
]))]
struct ResolveArgs {
    /// The config type, such as pricing
    #[arg(value_name = "TYPE")]
    config_type: String,
    /// The asset
    #[arg(long, value_name = "ASSET")]
    asset: String,
    /// The asset's campaign
    #[arg(long, value_name = "CAMPAIGN")]
    campaign: Option<String>,
    /// The asset's account
    #[arg(long, value_name = "ACCOUNT")]
    account: Option<String>,
    /// Resolve as of this time (RFC 3339); now when not given
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

/// List configs with the version in force now
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every config with the version in force now", "berth config ls"),
    ("For a script", "berth config ls --format json"),
]))]
struct LsArgs {}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    match &args.command {
        Command::Set(set) => run_set(set, &workspace, out),
        Command::Show(show) => run_show(show, &workspace, out),
        Command::History(history) => run_history(&history.id, &workspace, out),
        Command::Diff(diff) => run_diff(diff, &workspace, out),
        Command::Resolve(resolve) => run_resolve(resolve, &workspace, out),
        Command::Ls(_) => run_ls(&workspace, out),
    }
}

fn run_set(args: &SetArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let settings = match &args.file {
        Some(file) => config::read_settings_file(
            file,
            &file.display().to_string(),
            workspace.settings.max_object_bytes(),
        )?,
        None => NewSettings::Edit {
            set: args
                .set
                .iter()
                .map(|text| config::parse_assignment(text))
                .collect::<Result<_, _>>()?,
            unset: args
                .unset
                .iter()
                .map(|text| config::parse_unset(text))
                .collect::<Result<_, _>>()?,
        },
    };
    let request = SetRequest {
        id: args.id.clone(),
        expect_version: args.expect_version,
        settings,
        fields: Fields {
            config_type: args.config_type.clone(),
            category: args.category.map(|category| match category {
                CategoryArg::Policy => Category::Policy,
                CategoryArg::Logic => Category::Logic,
            }),
            applies_to: args.applies_to.clone(),
            scope: args.scope.map(|scope| match scope {
                ScopeArg::Asset => Scope::Asset,
                ScopeArg::Campaign => Scope::Campaign,
                ScopeArg::Account => Scope::Account,
            }),
            name: args.name.clone(),
            tenant_id: args.tenant.clone(),
        },
        effective_at: args.effective_at.as_deref().map(parse_at).transpose()?,
        idempotency_key: args.idempotency_key.clone(),
        commit: args.commit || args.push.is_some(),
        push: super::promote::remote(workspace, args.push.as_deref()),
    };
    let outcome = config::set(workspace, &request)?;
    for warning in outcome.put.iter().flat_map(|put| &put.warnings) {
        out.diagnostic(warning);
    }
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    if !outcome.written {
        out.line(format!(
            "{} version {} was already written with this idempotency key, as {}; nothing written",
            outcome.id,
            outcome.version,
            short_object(&outcome.object)
        ));
        return Ok(0);
    }
    let supersedes = outcome
        .supersedes
        .map_or_else(String::new, |v| format!(", supersedes version {v}"));
    let when = if outcome.scheduled {
        format!("scheduled for {}", outcome.effective_at)
    } else {
        format!("effective {}", outcome.effective_at)
    };
    out.line(format!(
        "wrote {} version {} as {} ({when}{supersedes})",
        outcome.id,
        outcome.version,
        short_object(&outcome.object)
    ));
    for change in &outcome.changes {
        out.line(format!("  {}", change_line(change)));
    }
    if let Some(commit) = outcome.put.as_ref().and_then(|put| put.commit.as_ref()) {
        out.line(format!("committed {}", short_commit(commit)));
    }
    if let Some(put) = &outcome.put
        && let Some(pushed) = &put.pushed
    {
        out.line(super::put::pushed_line(put.commit.as_deref(), pushed));
    }
    Ok(0)
}

fn run_show(args: &ShowArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let select = match (args.version, &args.at) {
        (Some(version), _) => Select::Version(version),
        (None, Some(at)) => Select::At(parse_at(at)?),
        (None, None) => Select::Now,
    };
    let shown = config::show(workspace, &args.id, select)?;
    if out.is_json() {
        out.json(&shown);
        return Ok(0);
    }
    let Some(view) = &shown.version else {
        let at = shown.at.as_deref().unwrap_or("now");
        let first = shown
            .first_effective_at
            .as_deref()
            .map_or_else(String::new, |first| {
                format!("; version 1 takes effect at {first}")
            });
        out.line(format!(
            "no version of {} was in force at {at}{first}",
            shown.id
        ));
        return Ok(0);
    };
    out.text(&describe(view));
    Ok(0)
}

/// A version as `config show` prints it.
fn describe(view: &VersionView) -> String {
    let config = &view.config;
    let mut rows = vec![
        vec!["object".to_owned(), view.object.clone()],
        vec!["file".to_owned(), view.file.clone()],
        vec!["type".to_owned(), config.config_type.clone()],
        vec!["category".to_owned(), config.category.to_string()],
        vec![
            "applies to".to_owned(),
            format!("{} {}", config.scope, config.applies_to),
        ],
    ];
    if let Some(name) = &config.name {
        rows.push(vec!["name".to_owned(), name.clone()]);
    }
    if let Some(tenant) = &config.tenant_id {
        rows.push(vec!["tenant".to_owned(), tenant.clone()]);
    }
    rows.push(vec!["effective".to_owned(), config.effective_at.clone()]);
    rows.push(vec![
        "superseded".to_owned(),
        match (&view.superseded_at, view.superseded_by) {
            (Some(at), Some(by)) => format!("{at} by version {by}"),
            _ => "-".to_owned(),
        },
    ]);
    if let Some(key) = &config.idempotency_key {
        rows.push(vec!["idempotency key".to_owned(), key.clone()]);
    }
    let mut text = format!(
        "{} version {} ({})\n",
        config.id, config.version, view.state
    );
    text.push_str(&indent(&table(&rows)));
    text.push_str(&settings_text(&config.settings));
    text
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("  {line}\n")
            }
        })
        .collect()
}

/// The settings as a TOML table.
fn settings_text(settings: &BTreeMap<String, Value>) -> String {
    let mut text = "settings:\n".to_owned();
    match toml::to_string(settings) {
        Ok(toml) if !toml.trim().is_empty() => text.push_str(&indent(&toml)),
        Ok(_) => text.push_str("  (none)\n"),
        Err(_) => text.push_str(&indent(
            &serde_json::to_string_pretty(settings).unwrap_or_default(),
        )),
    }
    text
}

/// One settings change: `+ key = value`, `- key (was value)`, `~ key: a -> b`.
fn change_line(change: &SettingChange) -> String {
    match (&change.from, &change.to) {
        (None, Some(to)) => format!("+ {} = {to}", change.key),
        (Some(from), None) => format!("- {} (was {from})", change.key),
        (Some(from), Some(to)) => format!("~ {}: {from} -> {to}", change.key),
        (None, None) => change.key.clone(),
    }
}

fn run_history(id: &str, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let report = config::history_of(workspace, id)?;
    if out.is_json() {
        out.json(&report);
        return Ok(0);
    }
    let mut rows = vec![
        ["VERSION", "STATE", "EFFECTIVE", "SUPERSEDED", "CHANGES"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for entry in &report.versions {
        let view = &entry.view;
        rows.push(vec![
            view.config.version.to_string(),
            view.state.to_string(),
            view.config.effective_at.clone(),
            view.superseded_at.clone().unwrap_or_else(|| "-".to_owned()),
            if entry.changes.is_empty() {
                "settings unchanged".to_owned()
            } else {
                entry
                    .changes
                    .iter()
                    .map(change_line)
                    .collect::<Vec<_>>()
                    .join("; ")
            },
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

fn run_diff(args: &DiffArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let diff = config::diff(workspace, &args.id, args.from, args.to)?;
    if out.is_json() {
        out.json(&diff);
        return Ok(0);
    }
    out.line(format!("{} version {} -> {}", diff.id, diff.from, diff.to));
    if diff.settings.is_empty() && diff.fields.is_empty() {
        out.line("  no differences");
    }
    for change in &diff.settings {
        out.line(format!("  {}", change_line(change)));
    }
    for field in &diff.fields {
        out.line(format!(
            "  {}: {} -> {}",
            field.field,
            field.from.as_deref().unwrap_or("-"),
            field.to.as_deref().unwrap_or("-")
        ));
    }
    Ok(0)
}

fn run_resolve(
    args: &ResolveArgs,
    workspace: &Workspace,
    out: &mut Output,
) -> Result<u8, CliError> {
    let request = ResolveRequest {
        config_type: args.config_type.clone(),
        asset: args.asset.clone(),
        campaign: args.campaign.clone(),
        account: args.account.clone(),
        at: args.at.as_deref().map(parse_at).transpose()?,
    };
    let resolution = config::resolve(workspace, &request)?;
    if out.is_json() {
        out.json(&resolution);
        return Ok(0);
    }
    out.text(&resolution_text(&resolution, &args.asset));
    Ok(0)
}

fn resolution_text(resolution: &Resolution, asset: &str) -> String {
    let mut text = match (&resolution.answer, resolution.scope) {
        (Some(view), Some(scope)) => format!(
            "{} for asset {asset} at {}: {} version {}, from the {scope} scope\n",
            resolution.config_type, resolution.at, view.config.id, view.config.version
        ),
        _ => format!(
            "{} for asset {asset} at {}: none ({} is fail-open)\n",
            resolution.config_type, resolution.at, resolution.config_type
        ),
    };
    let mut rows = vec![["SCOPE", "ENTITY", "FOUND"].map(str::to_owned).to_vec()];
    for look in &resolution.looked {
        let found = match (&look.applies_to, look.asked, &look.found) {
            (None, _, _) => "not given".to_owned(),
            (Some(_), false, _) => "not asked: a more specific scope answered".to_owned(),
            (Some(_), true, Some(found)) => {
                format!("{} version {}  <- answered", found.id, found.version)
            }
            (Some(_), true, None) => "none".to_owned(),
        };
        rows.push(vec![
            look.scope.to_string(),
            look.applies_to.clone().unwrap_or_else(|| "-".to_owned()),
            found,
        ]);
    }
    text.push_str(&indent(&table(&rows)));
    if let Some(view) = &resolution.answer {
        text.push_str(&settings_text(&view.config.settings));
    }
    text
}

fn run_ls(workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let listed = config::list(workspace)?;
    if out.is_json() {
        out.json(&serde_json::json!({ "configs": listed }));
        return Ok(0);
    }
    if listed.is_empty() {
        out.note("No configs found.");
        return Ok(0);
    }
    let mut rows = vec![
        ["ID", "TYPE", "SCOPE", "APPLIES TO", "CURRENT", "LATEST"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for config in &listed {
        rows.push(vec![
            config.id.clone(),
            config.config_type.clone(),
            config.scope.to_string(),
            config.applies_to.clone(),
            config
                .current
                .map_or_else(|| "-".to_owned(), |v| v.to_string()),
            config.latest.to_string(),
        ]);
    }
    out.text(&table(&rows));
    Ok(0)
}

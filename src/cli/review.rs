//! `berth review`: what a pull request ships, ready to post as a comment.

use std::path::Path;

use berth::diagnostic::finding::plural;
use berth::repo::Git;
use berth::review::{self, Request, Review, Verdict};
use berth::time::Clock;

use super::Format;
use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_commit, short_object};

/// Report what a change ships: releases, environment moves, configs, findings
///
/// Compares HEAD (or --head) with --base as `git diff base...head` does: the new
/// objects of each package with the semver bump they declare and the bump the
/// change requires (and why), each new release's components against the release
/// before it, new config versions with their settings diff and when they take
/// effect, registry and version map changes (a moved tag stands out), and every
/// finding of the validator. Environments are compared too: each one's commit
/// before (--env-base, else the remote-tracking ref, such as
/// refs/remotes/origin/env/production) with its commit after (--env-head, else the
/// local ref), showing each entry that moves, the promotion path it took and
/// whether berth.toml allows that path. Exits 1 if any error is found, so the same
/// command gates CI. `--format markdown` is a pull-request comment of at most
/// 65,536 characters.
///
/// A base that is a commit of an environment (origin/env/staging: a state.toml and
/// no berth.toml) makes it a pull request into that environment: its move from the
/// base to the head is reviewed, by the catalog branch the remote shares
/// (refs/remotes/origin/main, else the local one). The review says which
/// environments it could not compare, and why.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("What a pull request into main ships", "berth review --base origin/main"),
    ("As a pull-request comment", "berth review --base origin/main --format markdown > review.md"),
    (
        "A pull request into an environment branch, its head checked out",
        "berth review --base origin/env/production",
    ),
    (
        "An environment's commits named, with the catalog at main",
        "berth review --base main --env-head production=HEAD",
    ),
]))]
pub struct Args {
    /// The revision the change is compared with, such as origin/main
    #[arg(long, value_name = "REV")]
    base: String,
    /// The revision to review [default: HEAD; with --env-head, the base: a pull
    /// request into an environment branch changes only that environment]
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// An environment's commit before the change (repeatable), such as
    /// production=origin/env/production
    #[arg(long, value_name = "ENV=REV")]
    env_base: Vec<String>,
    /// An environment's commit after the change (repeatable), such as
    /// production=HEAD for a pull request into env/production
    #[arg(long, value_name = "ENV=REV")]
    env_head: Vec<String>,
    /// The remote whose tracking refs hold the environments as shared
    #[arg(long, value_name = "NAME", default_value = "origin")]
    remote: String,
    /// Treat warnings as errors: exit 1 on any finding
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let git = Git::discover(cwd)?;
    let pairs = |values: &[String], flag: &str| -> Result<Vec<(String, String)>, CliError> {
        values.iter().map(|text| super::pair(text, flag)).collect()
    };
    let env_base = pairs(&args.env_base, "--env-base")?;
    let env_head = pairs(&args.env_head, "--env-head")?;
    let head = match (&args.head, env_head.is_empty()) {
        (Some(head), _) => Some(head.as_str()),
        (None, true) => Some("HEAD"),
        (None, false) => None,
    };
    let request = Request {
        base: &args.base,
        head,
        env_base: &env_base,
        env_head: &env_head,
        remote: &args.remote,
        clock: &Clock::from_env(),
    };
    let mut review = review::review(&git, &request)?;
    if args.deny_warnings {
        review.deny_warnings();
    }
    match out.format {
        Format::Json => out.json(&review),
        Format::Markdown => out.text(&berth::report::markdown::review(
            &review,
            &full_command(args),
        )),
        _ => out.text(&human(&review)),
    }
    Ok(u8::from(review.verdict == Verdict::Blocked))
}

/// The command that prints the whole report, for a comment that had to be cut.
fn full_command(args: &Args) -> String {
    let mut command = format!("berth review --base {}", args.base);
    if let Some(head) = &args.head {
        command.push_str(&format!(" --head {head}"));
    }
    for pair in &args.env_base {
        command.push_str(&format!(" --env-base {pair}"));
    }
    for pair in &args.env_head {
        command.push_str(&format!(" --env-head {pair}"));
    }
    if args.remote != "origin" {
        command.push_str(&format!(" --remote {}", args.remote));
    }
    if args.deny_warnings {
        command.push_str(" --deny-warnings");
    }
    command
}

/// The review for a terminal: the same parts as the comment, as plain tables.
fn human(review: &Review) -> String {
    let verdict = match review.verdict {
        Verdict::Ready => "ready",
        Verdict::HasWarnings => "has warnings",
        Verdict::Blocked => "blocked",
    };
    let counts = &review.counts;
    let head = review.head.as_ref().map_or_else(
        || "environments only".to_owned(),
        |head| format!("{} ({})", head.revision, short_commit(&head.commit)),
    );
    let base = if review.head.is_some() && review.into.is_none() {
        format!("merge base {}", short_commit(&review.base.commit))
    } else {
        short_commit(&review.base.commit).to_owned()
    };
    let into = match (&review.into, &review.catalog) {
        (Some(environment), Some(catalog)) => format!(
            " into {environment}, catalog at {} ({})",
            catalog.revision,
            short_commit(&catalog.commit)
        ),
        _ => String::new(),
    };
    let mut text = format!(
        "{verdict}: {} ({base}) -> {head}{into}: {}, {}, {}, {}; {}, {}\n",
        review.base.revision,
        plural(
            counts.new_objects.saturating_sub(counts.config_versions),
            "new object"
        ),
        plural(counts.environment_moves, "environment move"),
        plural(counts.config_versions, "config version"),
        plural(counts.registry_changes, "registry change"),
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
    );
    let mut section = |title: &str, rows: Vec<Vec<String>>| {
        if rows.len() > 1 {
            text.push_str(&format!("\n{title}\n{}", table(&rows)));
        }
    };
    let dash = |text: Option<String>| text.unwrap_or_else(|| "-".to_owned());
    let mut objects = vec![
        [
            "PACKAGE", "OBJECT", "VERSION", "FOLLOWS", "DECLARED", "REQUIRED",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for package in &review.packages {
        for object in &package.objects {
            let follows = object.previous.as_ref().map(|previous| {
                match (&previous.version, &previous.held_by) {
                    (Some(version), _) => version.clone(),
                    (None, Some(environment)) => {
                        format!("{} (in {environment})", short_object(&previous.object))
                    }
                    (None, None) => short_object(&previous.object),
                }
            });
            let required = object.required.map(|required| {
                if object.understated {
                    format!("{required} (understated)")
                } else {
                    required.to_string()
                }
            });
            objects.push(vec![
                package.package.clone(),
                short_object(&object.object),
                dash(object.version.clone()),
                dash(follows),
                dash(object.declared.map(|d| d.to_string())),
                dash(required),
            ]);
        }
    }
    section("NEW OBJECTS", objects);
    let mut moves = vec![
        ["ENVIRONMENT", "PACKAGE", "FROM", "TO", "PATH", "ALLOWED"]
            .map(str::to_owned)
            .to_vec(),
    ];
    let mut overrides = vec![
        [
            "ENVIRONMENT",
            "PACKAGE",
            "SKIPPED IN",
            "COMMIT",
            "FROM",
            "REASON",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for environment in &review.environments {
        for entry in &environment.moves {
            if let Some(overridden) = &entry.overridden {
                overrides.push(vec![
                    environment.environment.clone(),
                    entry.package.clone(),
                    overridden.environment.clone(),
                    short_commit(&overridden.commit).to_owned(),
                    overridden.from.clone(),
                    overridden.reason.clone(),
                ]);
            }
            let held = |held: Option<&review::Held>| {
                dash(held.map(|held| match &held.version {
                    Some(version) => format!("{version} {}", short_object(&held.object)),
                    None => short_object(&held.object),
                }))
            };
            let path: Vec<&str> = entry
                .path
                .iter()
                .rev()
                .map(|step| step.environment.as_str())
                .collect();
            moves.push(vec![
                environment.environment.clone(),
                entry.package.clone(),
                held(entry.from.as_ref()),
                held(entry.to.as_ref()),
                if path.is_empty() {
                    "-".to_owned()
                } else {
                    path.join(" -> ")
                },
                {
                    let allowed = match (entry.allowed, &entry.overridden) {
                        (false, _) => "no",
                        (true, Some(_)) => "override",
                        (true, None) => "yes",
                    };
                    match entry.path.first().and_then(|step| step.signer.as_ref()) {
                        Some(signer) => format!("{allowed}, signed by {signer}"),
                        None => allowed.to_owned(),
                    }
                },
            ]);
        }
    }
    section("ENVIRONMENT MOVES", moves);
    section("PROMOTION PATH SKIPPED BY OVERRIDE", overrides);
    let mut repairs = vec![
        ["REPAIRED", "BY", "REASON", "RESTORES WHAT THESE CHANGED"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for environment in &review.environments {
        for repair in &environment.repairs {
            let repaired: Vec<&str> = repair.repairs.iter().map(|id| short_commit(id)).collect();
            repairs.push(vec![
                environment.environment.clone(),
                short_commit(&repair.commit).to_owned(),
                repair.reason.clone(),
                repaired.join(", "),
            ]);
        }
    }
    section("REPAIRS", repairs);
    let mut configs = vec![
        ["CONFIG", "VERSION", "EFFECTIVE", "SUPERSEDES", "SETTINGS"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for config in &review.configs {
        let settings: Vec<String> = config
            .settings
            .iter()
            .map(|change| {
                let value = |v: Option<&serde_json::Value>| dash(v.map(|v| v.to_string()));
                format!(
                    "{}: {} -> {}",
                    change.key,
                    value(change.from.as_ref()),
                    value(change.to.as_ref())
                )
            })
            .collect();
        configs.push(vec![
            config.id.clone(),
            config.version.to_string(),
            config.effective_at.clone(),
            dash(config.supersedes.as_ref().map(|s| s.version.to_string())),
            settings.join(", "),
        ]);
    }
    section("CONFIG VERSIONS", configs);
    let mut registry = vec![
        ["FILE", "ADDED", "REMOVED", "MOVED"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for file in &review.registry {
        let tags = |tags: Vec<&str>| dash((!tags.is_empty()).then(|| tags.join(", ")));
        registry.push(vec![
            file.file.clone(),
            tags(file.tags_added.iter().map(|t| t.tag.as_str()).collect()),
            tags(file.tags_removed.iter().map(|t| t.tag.as_str()).collect()),
            tags(file.tags_moved.iter().map(|t| t.tag.as_str()).collect()),
        ]);
    }
    section("REGISTRY", registry);
    let mut findings = vec![
        ["SEVERITY", "CODE", "WHERE", "MESSAGE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for finding in &review.findings {
        findings.push(vec![
            finding.severity.to_string(),
            finding.code.name().to_owned(),
            finding.place(),
            finding.message.clone(),
        ]);
    }
    section("FINDINGS", findings);
    for note in &review.notes {
        text.push_str(&format!("\nnote: {note}\n"));
    }
    text
}

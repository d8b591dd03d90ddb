//! `berth diff`: two environments (what promoting one into the other would
//! change), or two objects (two releases component by component).

use std::path::Path;

use berth::bump::{self, Shape};
use berth::env::query::{self, Change};
use berth::release::{self, ComponentVersion, ReleaseDiff};
use berth::workspace::Workspace;

use super::Format;
use super::error::CliError;
use super::render::{Output, table};
use berth::report::short::{short_digest, short_object};

/// Compare two environments, or two objects
///
/// Two environments: what promoting FROM into TO would change, package by
/// package: added (TO lacks it), changed, unchanged, or kept (only TO holds it;
/// promoting leaves it alone). Two releases (<store>/<hash>, a hash prefix or
/// <package>@<env>): components added, removed, changed (from -> to semver, tag
/// and digest) and unchanged, also as markdown. Two other objects: the fields
/// that differ. Exits 0 either way.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "What promoting everything from staging to production would change",
        "berth diff staging production",
    ),
    ("Two releases, component by component", "berth diff shop@staging shop@production"),
    (
        "Two releases as a pull-request comment",
        "berth diff e4b9790fe145 3fca6768764e --format markdown",
    ),
]))]
pub struct Args {
    /// The environment to promote from, or the first object
    from: String,
    /// The environment to promote to, or the second object
    to: String,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    // Environments are names; objects are <store>/<hash>, <package>@<env> or a
    // hash prefix.
    let is_object = |text: &str| {
        text.contains(['/', '@'])
            || (text.len() >= 8 && text.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    if is_object(&args.from) || is_object(&args.to) {
        return objects(&workspace, args, out);
    }
    if out.format == Format::Markdown {
        return Err(CliError::MarkdownNotHere {
            from: args.from.clone(),
            to: args.to.clone(),
        });
    }
    let diff = query::diff(&workspace, &args.from, &args.to)?;
    for read in &diff.read_from_remote {
        out.note(read);
    }
    if out.is_json() {
        out.json(&diff);
        return Ok(0);
    }
    if diff.changes.is_empty() {
        out.note(format!(
            "neither {} nor {} holds anything",
            diff.from, diff.to
        ));
        return Ok(0);
    }
    let mut rows = vec![vec![
        "PACKAGE".to_owned(),
        "CHANGE".to_owned(),
        diff.to.to_uppercase(),
        diff.from.to_uppercase(),
    ]];
    for entry in &diff.changes {
        let change = match entry.change {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Unchanged => "unchanged",
            Change::Kept => "kept",
        };
        let name = |object: &Option<String>| {
            object
                .as_deref()
                .map_or_else(|| "-".to_owned(), short_object)
        };
        rows.push(vec![
            entry.package.clone(),
            change.to_owned(),
            name(&entry.to_object),
            name(&entry.from_object),
        ]);
    }
    out.text(&table(&rows));
    if diff.is_empty() {
        out.note(format!(
            "promoting {} to {} would change nothing",
            diff.from, diff.to
        ));
    }
    Ok(0)
}

/// Two objects: releases component by component, anything else field by field.
fn objects(workspace: &Workspace, args: &Args, out: &mut Output) -> Result<u8, CliError> {
    let from = release::read_ref(workspace, &args.from)?;
    let to = release::read_ref(workspace, &args.to)?;
    let reads = from.read_from_remote.iter().chain(
        to.read_from_remote
            .iter()
            .filter(|read| !from.read_from_remote.contains(read)),
    );
    for read in reads {
        out.note(read);
    }
    if let (Some(a), Some(b)) = (release::as_release(&from), release::as_release(&to)) {
        let diff = release::compare((&from.object, &a), (&to.object, &b));
        match out.format {
            Format::Json => out.json(&diff),
            Format::Markdown => out.text(&markdown(&diff)),
            _ => out.text(&human(&diff)),
        }
        return Ok(0);
    }
    if out.format == Format::Markdown {
        return Err(CliError::MarkdownNotHere {
            from: args.from.clone(),
            to: args.to.clone(),
        });
    }
    let reasons = bump::reasons(
        &from.data,
        &to.data,
        Shape {
            ignored: &[],
            keyed: &[],
        },
    );
    if out.is_json() {
        out.json(&serde_json::json!({
            "from": from.object,
            "to": to.object,
            "changes": reasons,
        }));
        return Ok(0);
    }
    if reasons.is_empty() {
        out.note(format!(
            "{} and {} hold the same data",
            from.object, to.object
        ));
        return Ok(0);
    }
    let mut rows = vec![vec!["FIELD".to_owned(), "CHANGE".to_owned()]];
    for reason in &reasons {
        rows.push(vec![reason.pointer.clone(), reason.what.clone()]);
    }
    out.text(&table(&rows));
    Ok(0)
}

fn version(component: &ComponentVersion) -> String {
    let semver = component.semver.as_deref().unwrap_or("-");
    match &component.tag {
        Some(tag) => format!("{semver} ({tag})"),
        None => semver.to_owned(),
    }
}

fn human(diff: &ReleaseDiff) -> String {
    let mut rows = vec![
        ["COMPONENT", "CHANGE", "FROM", "TO", "DIGEST"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for c in &diff.components.added {
        rows.push(vec![
            c.name.clone(),
            "added".to_owned(),
            "-".to_owned(),
            version(c),
            short_digest(&c.digest),
        ]);
    }
    for c in &diff.components.removed {
        rows.push(vec![
            c.name.clone(),
            "removed".to_owned(),
            version(c),
            "-".to_owned(),
            short_digest(&c.digest),
        ]);
    }
    for c in &diff.components.changed {
        rows.push(vec![
            c.name.clone(),
            "changed".to_owned(),
            version(&c.from),
            version(&c.to),
            format!(
                "{} -> {}",
                short_digest(&c.from.digest),
                short_digest(&c.to.digest)
            ),
        ]);
    }
    for c in &diff.components.unchanged {
        rows.push(vec![
            c.name.clone(),
            "unchanged".to_owned(),
            version(c),
            version(c),
            short_digest(&c.digest),
        ]);
    }
    format!(
        "{} -> {}\n{}",
        diff.from_version,
        diff.to_version,
        table(&rows)
    )
}

/// The comparison as a GitHub or GitLab comment: a table of what changed, the
/// unchanged folded away.
fn markdown(diff: &ReleaseDiff) -> String {
    let components = &diff.components;
    format!(
        "### {} → {}\n\n{} added, {} removed, {} changed, {} unchanged\n\n{}",
        diff.from_version,
        diff.to_version,
        components.added.len(),
        components.removed.len(),
        components.changed.len(),
        components.unchanged.len(),
        berth::report::markdown::components(components)
    )
}

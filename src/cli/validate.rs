//! `berth validate` and `berth check`: check every invariant of the repository, and
//! report in the formats CI systems read.

use std::path::{Path, PathBuf};

use berth::check::{self, Validation};
use berth::env::audit::{Given, audit_given};
use berth::env::pull_request::{self, PullRequestError, Target, resolve_given};
use berth::kinds::Kinds;
use berth::repo::{Git, Head};
use berth::settings::Settings;
use berth::source::{Source, WorkTree};

use super::error::CliError;
use super::progress::Checking;
use super::render::Output;
use super::report::{Report, emit};

/// Check every invariant of the repository
///
/// Checks berth.toml, user-defined schemas and every object: parse, schema, hash,
/// path, names, duplicate keys, size and references. Reads the working tree, or
/// with --staged exactly what would be committed, or with --rev a commit, straight
/// from git with no checkout; berth.toml is read from the same place. With --base,
/// objects on the base must be unchanged and only what changed is checked. Exits 1
/// if any error is found.
///
/// Inside pre-commit with PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF set (pre-push,
/// `pre-commit run --from-ref --to-ref`), it checks the range they name instead of
/// the index or the working tree, unless --rev is given.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every invariant of the working tree", "berth validate"),
    (
        "What is about to be committed, as the pre-commit hook checks it",
        "berth validate --staged --base HEAD",
    ),
    (
        "A commit, and only what changed since origin/main",
        "berth validate --rev HEAD --base origin/main",
    ),
    (
        "GitHub annotations on stdout and SARIF in a file",
        "berth validate --format github --format sarif --output berth.sarif",
    ),
]))]
pub struct Args {
    /// Validate the index (what `git commit` would commit), not the working tree
    #[arg(long, conflicts_with = "rev")]
    staged: bool,
    /// Validate the tree of this commit (a branch, tag, hash or HEAD~1)
    #[arg(long, value_name = "REV")]
    rev: Option<String>,
    /// Also check that objects on REV are unchanged, and validate only what changed
    /// since the merge base of REV and the head
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    #[command(flatten)]
    report: ReportArgs,
}

/// The CI gate: check a commit against a base, environments included
///
/// Validates the tree of --head (HEAD) against --base as `validate --rev --base`
/// does, then checks every environment: each entry's object and references are in
/// the environment's tree and unaltered, and each entry was set by a berth
/// promotion along the path berth.toml allows (a commit made by hand that skips an
/// environment fails here), signed where the environment requires it. Exits 1 if
/// any error is found.
///
/// A base that is a commit of an environment (origin/env/staging: a state.toml and
/// no berth.toml) makes it a pull request into that environment: the environment
/// is checked as of the head, which must build on the base, by the catalog branch
/// the remote shares (refs/remotes/origin/main, else the local one), and the
/// catalog itself is not validated again. --env-head checks an environment as of
/// another commit than its ref, and --env-base a commit its history must contain.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("The CI gate for a pull request into main", "berth check --base origin/main"),
    (
        "The same command for a pull request into env/staging",
        "berth check --base origin/env/staging",
    ),
    (
        "With a JUnit report for the CI system",
        "berth check --base origin/main --format human --format junit --output berth.xml",
    ),
]))]
pub struct CheckArgs {
    /// The revision the change is compared with, such as origin/main or
    /// origin/env/staging (default: PRE_COMMIT_FROM_REF; without either,
    /// everything is checked)
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// The revision to check (default: PRE_COMMIT_TO_REF, else HEAD)
    #[arg(long, value_name = "REV")]
    head: Option<String>,
    /// A commit an environment's history must contain (repeatable), such as
    /// staging=origin/env/staging: its log only grows
    #[arg(long, value_name = "ENV=REV")]
    env_base: Vec<String>,
    /// Check an environment as of this commit instead of its ref (repeatable),
    /// such as staging=HEAD
    #[arg(long, value_name = "ENV=REV")]
    env_head: Vec<String>,
    #[command(flatten)]
    report: ReportArgs,
}

/// Where the reports go.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Write the report of the --format before it to FILE instead of stdout
    /// (repeat the pair for several reports: --format github --format sarif
    /// --output berth.sarif)
    #[arg(short, long, value_name = "FILE")]
    output: Vec<PathBuf>,
    /// Treat warnings as errors: report them as errors and exit 1
    #[arg(long)]
    deny_warnings: bool,
}

pub fn run(args: &Args, reports: &[Report], cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let git = Git::discover(cwd)?;
    let range = pre_commit_range();
    let (head, base) = match (&args.rev, &range) {
        (Some(revision), _) => (Head::Revision(revision), args.base.clone()),
        (None, Some((from, to))) => (Head::Revision(to), from.clone()),
        (None, None) if args.staged => (Head::Index, args.base.clone()),
        (None, None) => (Head::WorkTree, args.base.clone()),
    };
    let (validation, _) = validate(&git, head, base.as_deref(), out)?;
    emit(reports, validation, args.report.deny_warnings, out)
}

pub fn check(
    args: &CheckArgs,
    reports: &[Report],
    cwd: &Path,
    out: &mut Output,
) -> Result<u8, CliError> {
    let git = Git::discover(cwd)?;
    let range = pre_commit_range();
    let head = args
        .head
        .clone()
        .or_else(|| range.as_ref().map(|(_, to)| to.clone()))
        .unwrap_or_else(|| "HEAD".to_owned());
    let base = args
        .base
        .clone()
        .or_else(|| range.and_then(|(from, _)| from));
    let pairs = |values: &[String], flag: &str| -> Result<Vec<(String, String)>, CliError> {
        values.iter().map(|text| super::pair(text, flag)).collect()
    };
    let env_base = pairs(&args.env_base, "--env-base")?;
    let env_head = pairs(&args.env_head, "--env-head")?;
    // With no commit yet, the hook's `--base HEAD` names nothing (see `validate`).
    let target = match base
        .as_deref()
        .filter(|base| *base != "HEAD" || git.has_head_commit())
    {
        Some(base) => pull_request::target(&git, base, &head, None)?,
        None => Target::Catalog,
    };
    if let Target::Environment(into) = target {
        if !env_base.is_empty() || !env_head.is_empty() {
            return Err(PullRequestError::NamedBesides {
                base: into.base.revision.clone(),
                environment: into.environment().to_owned(),
            }
            .into());
        }
        // The catalog is not what changes: the environment is checked by it.
        let given = Given {
            heads: vec![into.head.clone()],
            bases: vec![into.base.clone()],
        };
        let found = audit_given(
            &git,
            &into.settings,
            &into.kinds,
            Some(into.catalog),
            &given,
        )?;
        let mut validation = Validation::default();
        validation.add(found);
        return emit(reports, validation, args.report.deny_warnings, out);
    }
    let (mut validation, files) = validate(&git, Head::Revision(&head), base.as_deref(), out)?;
    // Environments are checked by the head's berth.toml; one the validation found
    // unreadable has already been reported.
    if let Ok(settings) = Settings::load(files.as_ref())
        && let Ok(kinds) = Kinds::load(&settings, files.as_ref())
    {
        let given = Given {
            heads: resolve_given(&git, &settings, &env_head)?,
            bases: resolve_given(&git, &settings, &env_base)?,
        };
        let checked = git.resolve_commit(&head).ok();
        let found = audit_given(&git, &settings, &kinds, checked, &given)?;
        validation.add(found);
    }
    emit(reports, validation, args.report.deny_warnings, out)
}

/// Validates `head`: whole, or as its changes since `base`; and the files read.
/// A bar on the terminal shows the object files checked.
fn validate(
    git: &Git,
    head: Head<'_>,
    base: Option<&str>,
    out: &Output,
) -> Result<(Validation, Box<dyn Source>), CliError> {
    let progress = Checking::new(out);
    // The first commit of a repository has nothing before it to compare with, so
    // the hook's `--base HEAD` checks everything.
    let base = base.filter(|base| *base != "HEAD" || git.has_head_commit());
    if let Some(base) = base {
        let changeset = git.changes_since(base, head)?;
        let validation = check::validate_changeset_with_progress(&changeset, base, &progress)
            .map_err(|error| error.of_head(git, head))?;
        return Ok((validation, Box::new(changeset)));
    }
    let source: Box<dyn Source> = match head {
        Head::Revision(revision) => Box::new(git.files_at(revision)?),
        Head::Index => Box::new(git.staged_files()?),
        Head::WorkTree => Box::new(WorkTree::new(git.workdir())),
    };
    let validation = check::validate_with_progress(source.as_ref(), &progress)
        .map_err(|error| error.of_head(git, head))?;
    Ok((validation, source))
}

/// The range pre-commit names when it checks one (pre-push, `--from-ref`): the
/// base (`None` when git gives the all-zero id of a ref that did not exist) and
/// the head.
fn pre_commit_range() -> Option<(Option<String>, String)> {
    let from = std::env::var("PRE_COMMIT_FROM_REF").ok()?;
    let to = std::env::var("PRE_COMMIT_TO_REF").ok()?;
    if from.is_empty() || to.is_empty() {
        return None;
    }
    let from = (!from.chars().all(|c| c == '0')).then_some(from);
    Some((from, to))
}

//! `berth verify`: who signed each commit of an environment's log.

use std::path::Path;

use berth::env::signature::{self, Signed};
use berth::repo::FilesError;
use berth::report::short::short_commit;
use berth::workspace::Workspace;

use super::error::CliError;
use super::render::{Output, table};

/// Verify the signature of every commit of an environment's log
///
/// Walks the environment's first-parent history from its tip and verifies each
/// commit's SSH signature, in process, against the allowed-signers file
/// berth.toml names for it (`allowed_signers`, else `[repo] allowed_signers`),
/// at the commit's committer time, as `git verify-commit` does with
/// `gpg.ssh.allowedSignersFile`. A merge commit that brought a berth commit
/// stands for that commit, whose signature is checked. Exits 1 when the
/// environment has `require_signed = true` and any commit but its opening is
/// unsigned, badly signed or signed by a key not allowed; a commit whose
/// changes `berth repair` restored is shown with its repair and no longer
/// counts.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every commit production ever had, with who signed it", "berth verify production"),
    (
        "Only the commits since the last release",
        "berth verify production --since env/production@{1.week.ago}",
    ),
    ("For a script", "berth verify production --format json"),
]))]
pub struct Args {
    /// The environment
    #[arg(value_name = "ENV")]
    environment: String,
    /// The whole history, back to the environment's opening (the default)
    #[arg(long, conflicts_with = "since")]
    all: bool,
    /// Stop at this commit of the log, not verifying it or anything older
    #[arg(long, value_name = "REV")]
    since: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    let since = match &args.since {
        Some(revision) => Some(
            workspace
                .git
                .resolve_commit(revision)
                .map_err(FilesError::BadRevision)?,
        ),
        None => None,
    };
    let verification = signature::verify_log(
        &workspace.git,
        &workspace.settings,
        &args.environment,
        since,
    )?;
    let code = u8::from(verification.failed > 0);
    if out.is_json() {
        out.json(&verification);
        return Ok(code);
    }
    let mut rows = vec![
        ["COMMIT", "ACTION", "PACKAGE", "SIGNATURE"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for commit in &verification.commits {
        let shown = match &commit.signature {
            Signed::Good { signer } => format!("good: {signer}"),
            Signed::Unsigned => "unsigned".to_owned(),
            Signed::Bad { reason } => format!("bad: {reason}"),
            Signed::NotAllowed { reason, .. } => format!("not allowed: {reason}"),
        };
        let marked = match &commit.repaired_by {
            _ if commit.required && !commit.signature.is_good() => format!("✗ {shown}"),
            Some(repair) => format!("{shown} (repaired by {})", short_commit(repair)),
            None => shown,
        };
        rows.push(vec![
            short_commit(&commit.commit).to_owned(),
            commit
                .action
                .map_or("by hand", |action| action.as_str())
                .to_owned(),
            commit.package.clone().unwrap_or_default(),
            marked,
        ]);
    }
    out.text(&table(&rows));
    let signers = verification.allowed_signers.as_deref().map_or_else(
        || "no allowed-signers file".to_owned(),
        |path| format!("`{path}`"),
    );
    let summary = match (verification.require_signed, verification.failed) {
        (false, _) => format!(
            "{} does not require signed commits; signatures checked against {signers}",
            verification.environment
        ),
        (true, 0) => format!(
            "{} commits of {} verified against {signers}",
            verification.commits.len(),
            verification.environment
        ),
        (true, failed) => format!(
            "{failed} of {} commits of {} fail against {signers}",
            verification.commits.len(),
            verification.environment
        ),
    };
    out.text(&format!("{summary}\n"));
    Ok(code)
}

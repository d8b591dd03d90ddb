//! Who signed an environment's commits: each commit's signature verified against
//! the environment's allowed-signers file at the commit's committer time, in
//! process (see [`crate::signers`]).

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use super::log::EnvCommit;
use crate::repo::{CommitSignature, Git, GitError};
use crate::signers::{AllowedSigners, Signer, Verdict};

/// What a commit's signature proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Signed {
    /// The commit carries no signature.
    Unsigned,
    /// The signature does not verify.
    Bad {
        /// Why.
        reason: String,
    },
    /// The signature verifies, with a key the allowed signers do not allow then.
    NotAllowed {
        /// The key's fingerprint.
        fingerprint: String,
        /// Why it is not allowed.
        reason: String,
    },
    /// The signature verifies, with an allowed key.
    Good {
        /// Who signed.
        signer: Signer,
    },
}

impl Signed {
    /// The signer, when the signature is good.
    pub fn signer(&self) -> Option<&Signer> {
        match self {
            Signed::Good { signer } => Some(signer),
            _ => None,
        }
    }

    /// Whether the commit passes an environment that requires signatures.
    pub fn is_good(&self) -> bool {
        matches!(self, Signed::Good { .. })
    }
}

impl std::fmt::Display for Signed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Signed::Unsigned => f.write_str("not signed"),
            Signed::Bad { reason } => write!(f, "bad signature: {reason}"),
            Signed::NotAllowed { reason, .. } => write!(f, "signer not allowed: {reason}"),
            Signed::Good { signer } => write!(f, "signed by {signer}"),
        }
    }
}

/// Verifies the berth commit `commit` stands for (for a hosting service's
/// merge, the berth commit it brought, whose signature is its author's) against
/// `signers`, at its committer time.
pub fn verify(git: &Git, signers: &AllowedSigners, commit: &EnvCommit) -> Result<Signed, GitError> {
    let signature = git.signature(commit.info.id)?;
    Ok(judge(
        signers,
        signature.as_ref(),
        commit.info.committed.seconds,
    ))
}

/// What a commit's signature, read, proves at its committer time `at`.
fn judge(signers: &AllowedSigners, signature: Option<&CommitSignature>, at: i64) -> Signed {
    let Some(signature) = signature else {
        return Signed::Unsigned;
    };
    match signers.verify(&signature.signature, &signature.payload, at) {
        Verdict::Good(signer) => Signed::Good { signer },
        Verdict::Bad(reason) => Signed::Bad { reason },
        Verdict::NotAllowed {
            fingerprint,
            reason,
        } => Signed::NotAllowed {
            fingerprint,
            reason,
        },
    }
}

/// `berth verify`: every commit of an environment's first-parent log, newest
/// first, with what its signature proves.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Verification {
    /// The environment.
    pub environment: String,
    /// The ref read.
    #[serde(rename = "ref")]
    pub refname: String,
    /// Whether berth.toml requires its commits to be signed.
    pub require_signed: bool,
    /// The allowed-signers file its signatures are verified against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<String>,
    /// The commits, newest first.
    pub commits: Vec<VerifiedCommit>,
    /// How many commits that must be signed fail.
    pub failed: usize,
}

/// One commit of the log and its signature.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VerifiedCommit {
    /// The berth commit (for a hosting service's merge, the commit it brought).
    pub commit: String,
    /// The merge commit that brought it, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_by: Option<String>,
    /// Its `Berth-Action`, `null` for a commit berth did not make.
    pub action: Option<super::log::Action>,
    /// Its `Berth-Package`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Its subject line.
    pub subject: String,
    /// The repair that restored what this commit changed (`berth repair`),
    /// when one did: such a commit no longer counts, as in the audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repaired_by: Option<String>,
    /// Whether it must be signed: every commit but the environment's opening
    /// and those repaired since, where berth.toml requires signatures.
    pub required: bool,
    /// What its signature proves.
    pub signature: Signed,
}

/// Verifies the signatures of environment `name`'s log, from its tip back to
/// (not including) `since`, or to its first commit.
pub fn verify_log(
    git: &Git,
    settings: &crate::settings::Settings,
    name: &str,
    since: Option<crate::repo::Oid>,
) -> Result<Verification, super::EnvError> {
    let view = super::view(git, settings, name, None)?;
    let require_signed = settings
        .environment(name)
        .is_some_and(|section| section.require_signed);
    let none = AllowedSigners::default();
    let signers = settings
        .allowed_signers(name)
        .map_or(&none, |signers| signers.as_ref());
    // Reading is git's, one commit after another; verifying is arithmetic,
    // spread over the cores.
    let mut read = Vec::new();
    let mut repaired = super::log::Repaired::default();
    for commit in super::log::first_parents(git, view.commit.as_ref().map(|c| c.id)) {
        let commit = commit?;
        if Some(commit.on_log()) == since {
            break;
        }
        // A repair is newer than what it repairs: noted before the walk
        // reaches them.
        repaired.note(&commit);
        let repaired_by = repaired.of(&commit).map(|repair| repair.commit.to_string());
        let signature = git.signature(commit.info.id)?;
        read.push((commit, repaired_by, signature));
    }
    let commits: Vec<VerifiedCommit> = read
        .into_par_iter()
        .map(|(commit, repaired_by, signature)| VerifiedCommit {
            commit: commit.info.id.to_string(),
            merged_by: commit.merged.as_ref().map(|merge| merge.id.to_string()),
            action: commit.action,
            package: commit.package.clone(),
            subject: commit.subject().to_owned(),
            required: require_signed
                && commit.action != Some(super::log::Action::Open)
                && repaired_by.is_none(),
            repaired_by,
            signature: judge(signers, signature.as_ref(), commit.info.committed.seconds),
        })
        .collect();
    let failed = commits
        .iter()
        .filter(|commit| commit.required && !commit.signature.is_good())
        .count();
    Ok(Verification {
        environment: name.to_owned(),
        refname: view.refname,
        require_signed,
        allowed_signers: settings.allowed_signers_path(name).map(str::to_owned),
        commits,
        failed,
    })
}

//! The guards every planned entry passes before anything is built: a signing
//! key the environment accepts where it requires signed commits, an override of the path only where allowed, a
//! path back to the catalog that verifies, and the lifecycle (`require_ready`:
//! the object's latest event is `ready`).
//!
//! Each guard reads its inputs (the object's findings, its latest event) and
//! hands them to a pure verdict: `override_reason`,
//! `refuse_invalid`, `require_ready`.

use std::sync::Arc;

use crate::diagnostic::finding::Finding;
use crate::env::EnvError;
use crate::env::log::Action;
use crate::env::objects::Finder;
use crate::env::provenance::{Anchors, Hop, Provenance};
use crate::env::state::State;
use crate::kinds::event::{self, Latest, Status};
use crate::repo::{CommitError, Git, GitError, Oid, Signing};
use crate::settings::EnvironmentSection;
use crate::signers::Verdict;
use crate::store::{EVENTS, OBJECTS_DIR, ObjectRef};
use crate::workspace::Workspace;

use super::plan::catalog_ref;
use super::{Plan, PromoteError};

/// How berth signs the commits it writes onto `environment`. Where the
/// environment requires signed commits: with the key git would use, which must
/// be one the environment's allowed signers accept at the commit's time, or the
/// audit would reject the commit and berth writes none. Where git signs every
/// commit with SSH (`commit.gpgSign` with `gpg.format = ssh`): with that key.
/// Otherwise not at all.
pub(super) fn signing(
    workspace: &Workspace,
    environment: &str,
    target: &EnvironmentSection,
) -> Result<Option<Signing>, PromoteError> {
    let git = &workspace.git;
    if !target.require_signed {
        return Ok(git.commit_signing()?);
    }
    let key = git.signing_key().map_err(CommitError::from)?;
    let public = key.public_key().map_err(CommitError::from)?;
    let refused = |fingerprint: String, reason: String| PromoteError::KeyNotAllowed {
        environment: environment.to_owned(),
        fingerprint,
        reason,
    };
    let Some(allowed) = workspace.settings.allowed_signers(environment) else {
        return Err(refused(
            public.fingerprint(),
            "berth.toml names no allowed-signers file for it".to_owned(),
        ));
    };
    match allowed.allows(&public, git.committer_time()?) {
        Verdict::Good(_) => Ok(Some(Signing {
            key,
            allowed: Some(Arc::clone(allowed)),
        })),
        Verdict::NotAllowed {
            fingerprint,
            reason,
        } => Err(refused(fingerprint, reason)),
        Verdict::Bad(reason) => Err(refused(public.fingerprint(), reason)),
    }
}

/// The reason a promotion gives for skipping the promotion path, checked (see
/// [`one_line_reason`]), into an environment that allows overrides.
pub(super) fn override_reason(
    environment: &str,
    target: &EnvironmentSection,
    reason: &str,
) -> Result<String, PromoteError> {
    let reason = one_line_reason(reason)?;
    if !target.allow_override {
        return Err(PromoteError::OverrideNotAllowed {
            environment: environment.to_owned(),
        });
    }
    Ok(reason)
}

/// A reason for a commit (an override, a repair): one line of text, trimmed,
/// as git reads a trailer.
pub(super) fn one_line_reason(reason: &str) -> Result<String, PromoteError> {
    let reason = reason.trim();
    let problem = if reason.is_empty() {
        Some("is empty")
    } else if reason.contains(['\n', '\r']) {
        Some("is more than one line")
    } else if reason.chars().any(char::is_control) {
        Some("has control characters")
    } else {
        None
    };
    match problem {
        Some(problem) => Err(PromoteError::BadReason {
            problem: problem.to_owned(),
        }),
        None => Ok(reason.to_owned()),
    }
}

/// Refuses a promotion from an environment, or a rollback, whose source cannot be
/// verified as the audit will verify the commit berth is about to write: an
/// object that came into the upstream environment by a forged commit goes no
/// further. (A promotion from the catalog takes the commit that added the file on
/// the catalog branch, which is its own proof.)
///
/// `walked` is a commit of the target's own log that the caller reached by
/// walking it (a rollback's previous setting), with its state as already read,
/// so that neither is read again.
pub(super) fn verify_paths(
    workspace: &Workspace,
    environment: &str,
    plans: &[Plan],
    mut walked: Option<(Oid, State)>,
) -> Result<(), PromoteError> {
    let catalog = workspace.settings.catalog();
    let mut provenance: Option<Provenance<'_>> = None;
    for plan in plans {
        let hop = match plan.action {
            Action::Rollback => Hop::Rollback,
            _ if plan.from == catalog => continue,
            _ => Hop::Promotion,
        };
        let provenance = match &mut provenance {
            Some(provenance) => provenance,
            None => {
                let anchors = Anchors::refs(&workspace.git, &workspace.settings)?;
                let mut fresh = Provenance::new(&workspace.git, &workspace.settings, anchors);
                if let Some((commit, state)) = walked.take() {
                    fresh.note_on_log(environment, commit);
                    fresh.remember_state(commit, state);
                }
                provenance.insert(fresh)
            }
        };
        if hop == Hop::Promotion {
            // Plans from an environment take their source commit from a walk of
            // that environment's first-parent log (`plan_held`,
            // `find_in_history`).
            provenance.note_on_log(&plan.from, plan.source_commit);
        }
        let object = plan.object.to_string();
        let verdict = provenance.verify_source(
            environment,
            &plan.from,
            hop,
            plan.source_commit,
            &plan.package,
            &object,
        )?;
        if let Some(broken) = verdict.broken {
            let place = if broken.environment == environment {
                String::new()
            } else {
                format!(" in {}", broken.environment)
            };
            return Err(PromoteError::PromotionPath {
                first: None,
                object,
                environment: environment.to_owned(),
                reason: format!(
                    "its path back to the catalog cannot be verified{place}: {}",
                    broken.reason
                ),
                help: format!(
                    "`berth check` shows what is wrong with {}; only an object whose every step verifies moves on",
                    broken.environment
                ),
            });
        }
    }
    Ok(())
}

/// The guards every promotion and rollback passes: the object validates, and in a
/// `require_ready` environment its latest event is `ready`.
pub(super) fn guard(
    workspace: &Workspace,
    environment: &str,
    target: &EnvironmentSection,
    plan: &Plan,
) -> Result<(), PromoteError> {
    let git = &workspace.git;
    let findings = Finder::new(git, plan.source_tree).check(
        &workspace.settings,
        &workspace.kinds,
        &plan.located,
    )?;
    refuse_invalid(&plan.object, findings)?;
    if target.require_ready {
        let latest = match git.ref_target(&catalog_ref(workspace))? {
            Some(tip) => latest_event(git, git.commit(tip)?.tree, &plan.package, &plan.object)?,
            None => None,
        };
        // The working tree is read only for a draft, which is refused anyway.
        let uncommitted = match latest {
            Some(_) => None,
            None => uncommitted_ready(workspace, &plan.package, &plan.object)?,
        };
        require_ready(&plan.object, environment, latest, uncommitted)?;
    }
    Ok(())
}

/// A `ready` event that the working tree has for an object and the catalog branch
/// has not.
struct UncommittedReady {
    /// The event's file.
    file: String,
    /// The catalog branch.
    catalog: String,
}

/// The working tree's `ready` event for an object the catalog has no event for,
/// when it is the working tree's latest event for it: every event the working
/// tree has for such an object is one the catalog lacks.
fn uncommitted_ready(
    workspace: &Workspace,
    package: &str,
    object: &ObjectRef,
) -> Result<Option<UncommittedReady>, PromoteError> {
    let events = event::events_of(&workspace.tree, package)
        .map_err(|error| EnvError::Events(Box::new(error)))?;
    Ok(event::latest(&events, &object.to_string())
        .filter(|latest| latest.status == Status::Ready)
        .map(|latest| UncommittedReady {
            file: latest.file,
            catalog: workspace.settings.catalog().to_owned(),
        }))
}

/// An object the validator finds an error in goes nowhere; its warnings do not
/// stop it.
fn refuse_invalid(object: &ObjectRef, findings: Vec<Finding>) -> Result<(), PromoteError> {
    if findings.iter().any(Finding::is_error) {
        return Err(PromoteError::InvalidObject {
            object: object.to_string(),
            findings: findings.into_iter().filter(Finding::is_error).collect(),
        });
    }
    Ok(())
}

/// `require_ready`: only an object whose latest event on the catalog is `ready`
/// is promoted; without events it is a draft, and a refusal of a draft names the
/// `ready` event the working tree has for it but the catalog has not.
fn require_ready(
    object: &ObjectRef,
    environment: &str,
    latest: Option<Latest>,
    uncommitted: Option<UncommittedReady>,
) -> Result<(), PromoteError> {
    match latest {
        Some(latest) if latest.status == Status::Ready => Ok(()),
        Some(latest) if latest.status == Status::ArtifactDeleted => {
            Err(PromoteError::ArtifactDeleted {
                object: object.to_string(),
                at: latest.at,
                file: latest.file,
            })
        }
        Some(latest) if latest.status == Status::Failed => Err(PromoteError::Failed {
            object: object.to_string(),
            environment: environment.to_owned(),
            event: Box::new(latest),
        }),
        Some(latest) if matches!(latest.status, Status::Deprecated | Status::Archived) => {
            Err(PromoteError::Deprecated {
                object: object.to_string(),
                event: Box::new(latest),
            })
        }
        other => Err(match uncommitted {
            Some(UncommittedReady { file, catalog }) => PromoteError::ReadyNotCommitted {
                object: object.to_string(),
                environment: environment.to_owned(),
                file,
                catalog,
            },
            None => PromoteError::NotReady {
                object: object.to_string(),
                environment: environment.to_owned(),
                status: other
                    .map_or("draft", |latest| latest.status.as_str())
                    .to_owned(),
            },
        }),
    }
}

/// The latest event naming `object` among `package`'s events in `tree`.
pub fn latest_event(
    git: &Git,
    tree: Oid,
    package: &str,
    object: &ObjectRef,
) -> Result<Option<Latest>, GitError> {
    let dir = format!("{OBJECTS_DIR}/{}/{package}", EVENTS);
    let mut files = Vec::new();
    for (path, blob) in git.list_files(tree, &dir)? {
        files.push((path, git.blob(blob)?));
    }
    Ok(event::latest(&event::events_in(files), &object.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;
    use crate::diagnostic::finding::Severity;
    use crate::env::promote::tests::refusal;

    fn object() -> ObjectRef {
        "version-sets/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
            .parse()
            .unwrap()
    }

    #[test]
    fn a_reason_to_skip_the_path_is_one_line_into_an_environment_that_allows_it() {
        let allows = EnvironmentSection {
            from: vec!["staging".to_owned()],
            allow_override: true,
            ..EnvironmentSection::default()
        };
        let refuses = EnvironmentSection {
            allow_override: false,
            ..allows.clone()
        };
        let cases = [
            (
                "a reason",
                &allows,
                "INC-42: checkout down",
                Ok("INC-42: checkout down"),
            ),
            ("trimmed", &allows, "  INC-42 \n", Ok("INC-42")),
            ("empty", &allows, "", Err("bad reason: is empty")),
            ("blank", &allows, " \t ", Err("bad reason: is empty")),
            (
                "two lines",
                &allows,
                "a\nb",
                Err("bad reason: is more than one line"),
            ),
            (
                "a carriage return",
                &allows,
                "a\rb",
                Err("bad reason: is more than one line"),
            ),
            (
                "a control character",
                &allows,
                "a\u{7}b",
                Err("bad reason: has control characters"),
            ),
            (
                "not allowed",
                &refuses,
                "INC-42",
                Err("no override into prod"),
            ),
            (
                "a bad reason first",
                &refuses,
                "",
                Err("bad reason: is empty"),
            ),
        ];
        for (name, target, reason, expected) in cases {
            let got = override_reason("prod", target, reason).map_err(|e| refusal(&e));
            assert_eq!(
                got,
                expected.map(str::to_owned).map_err(str::to_owned),
                "{name}"
            );
        }
    }

    #[test]
    fn an_object_with_an_error_finding_is_refused_with_its_errors_only() {
        let finding = |severity| {
            let mut finding = Finding::new(Code::Schema, "objects/x.json", "bad");
            finding.severity = severity;
            finding
        };
        let cases = [
            ("no findings", vec![], Ok(())),
            ("a warning", vec![finding(Severity::Warning)], Ok(())),
            (
                "an error and a warning",
                vec![finding(Severity::Error), finding(Severity::Warning)],
                Err("invalid: 1 errors".to_owned()),
            ),
        ];
        for (name, findings, expected) in cases {
            let got = refuse_invalid(&object(), findings).map_err(|e| refusal(&e));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn require_ready_takes_only_an_object_whose_latest_event_is_ready() {
        let event = |status| Latest {
            status,
            at: "2025-05-01T00:00:00Z".to_owned(),
            reason: None,
            file: "objects/events/api/e.json".to_owned(),
        };
        let cases = [
            ("no event: a draft", None, Err("not ready: draft")),
            ("ready", Some(event(Status::Ready)), Ok(())),
            (
                "failed",
                Some(event(Status::Failed)),
                Err("failed at 2025-05-01T00:00:00Z"),
            ),
            (
                "deprecated",
                Some(event(Status::Deprecated)),
                Err("deprecated at 2025-05-01T00:00:00Z"),
            ),
            (
                "archived",
                Some(event(Status::Archived)),
                Err("archived at 2025-05-01T00:00:00Z"),
            ),
            (
                "artifact deleted",
                Some(event(Status::ArtifactDeleted)),
                Err("artifact deleted at 2025-05-01T00:00:00Z"),
            ),
        ];
        for (name, latest, expected) in cases {
            let got = require_ready(&object(), "prod", latest, None).map_err(|e| refusal(&e));
            assert_eq!(got, expected.map_err(str::to_owned), "{name}");
        }
    }

    #[test]
    fn a_draft_is_refused_naming_the_ready_event_the_catalog_lacks() {
        let uncommitted = || {
            Some(UncommittedReady {
                file: "objects/events/api/e.json".to_owned(),
                catalog: "main".to_owned(),
            })
        };
        let cases = [
            ("no event anywhere", None, "not ready: draft"),
            (
                "a ready event in the working tree only",
                uncommitted(),
                "not ready: objects/events/api/e.json is not committed on main",
            ),
        ];
        for (name, uncommitted, expected) in cases {
            let got = require_ready(&object(), "prod", None, uncommitted).map_err(|e| refusal(&e));
            assert_eq!(got, Err(expected.to_owned()), "{name}");
        }
    }
}

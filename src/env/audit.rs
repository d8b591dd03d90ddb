//! The validator's environment checks: every environment's tip holds the objects
//! its state names, unaltered, with the references its entries list; and every
//! entry was set by a commit berth made, by the promotion path berth.toml allows
//! (or by a hotfix that skipped it where berth.toml allows that, reported as a
//! warning), signed where the environment requires it. What a commit claims in
//! its trailers is verified against its parents and their trees (see
//! [`super::provenance`]), so a commit made by hand with git, whether it skips an
//! environment or forges the trailers of a promotion, is found here.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use super::log::{Action, EnvCommit, Repair, Repaired, first_parents};
use super::objects::Finder;
use super::provenance::{Anchors, Override, Provenance, changed, state_of};
use super::pull_request::EnvRevision;
use super::signature::{self, Signed};
use super::state::{STATE_FILE, State};
use super::tip::Tip;
use super::{EnvError, read_state};
use crate::canonical::ObjectHash;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document::{self, Format};
use crate::kinds::Kinds;
use crate::repo::{CommitInfo, Git, Oid, ShallowHistory, short_id};
use crate::settings::{EnvironmentSection, Settings};
use crate::signers::AllowedSigners;
use crate::store::ObjectRef;

/// What is wrong with every environment berth.toml names, read as readers read it
/// (its own ref, or in a clone without one the remote's copy), severities as berth.toml
/// sets them. Environments never opened hold nothing and have nothing wrong.
///
/// `checked` is the commit `berth check` checks: a promotion from the catalog may
/// take its object from it as well as from the catalog branch.
pub fn audit(
    git: &Git,
    settings: &Settings,
    kinds: &Kinds,
    checked: Option<Oid>,
) -> Result<Vec<Finding>, EnvError> {
    audit_given(git, settings, kinds, checked, &Given::default())
}

/// Environments' commits named for an audit instead of their refs.
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// The commit to audit an environment at, instead of the one its ref reads
    /// (`berth check --env-head`).
    pub heads: Vec<EnvRevision>,
    /// A commit the audited one must have in its history
    /// (`berth check --env-base`): an environment's log only grows.
    pub bases: Vec<EnvRevision>,
}

impl Given {
    fn find<'a>(list: &'a [EnvRevision], name: &str) -> Option<&'a EnvRevision> {
        list.iter().rev().find(|given| given.environment == name)
    }
}

/// What is wrong with every environment, as [`audit`] finds it, with those
/// named in `given.heads` audited at the commit named, and each one named in
/// `given.bases` checked to have that commit in its history (`env-rewritten`).
pub fn audit_given(
    git: &Git,
    settings: &Settings,
    kinds: &Kinds,
    checked: Option<Oid>,
    given: &Given,
) -> Result<Vec<Finding>, EnvError> {
    let tips = Tip::locate_all(git, settings)?;
    let mut anchors = Anchors::tips(git, settings, &tips)?;
    if let Some(commit) = checked {
        anchors.add_catalog(git, commit)?;
    }
    for head in &given.heads {
        anchors.add_environment(&head.environment, head.commit);
    }
    let mut provenance = Provenance::new(git, settings, anchors);
    let mut findings = Vec::new();
    for environment in &tips {
        let (refname, tip) = match Given::find(&given.heads, &environment.name) {
            Some(head) => (head.revision.as_str(), Some(head.commit)),
            None => environment.read(),
        };
        let Some(tip) = tip else {
            continue;
        };
        let at = EnvAt {
            name: &environment.name,
            refname,
            tip,
        };
        findings.extend(audit_at(git, settings, kinds, &mut provenance, &at, None)?);
        if let Some(base) = Given::find(&given.bases, &environment.name)
            && !grown(git, &at, base)?
        {
            findings.extend(rewritten(settings, &at, base));
        }
    }
    Ok(findings)
}

/// Whether the environment at `at` has its commit `base` in its history; a
/// shallow clone that may only lack the history joining them is refused.
pub fn grown(git: &Git, at: &EnvAt<'_>, base: &EnvRevision) -> Result<bool, EnvError> {
    if git.descends_from(at.tip, base.commit)? {
        return Ok(true);
    }
    if !git.shallow_boundary()?.is_empty() {
        return Err(ShallowHistory {
            needs: format!(
                "whether {} at `{}` contains its commit before the change",
                at.name, at.refname
            ),
        }
        .into());
    }
    Ok(false)
}

/// The finding of an environment at `at` whose history lacks its commit
/// before the change, `base`: the log was rewritten, not added to.
pub fn rewritten(settings: &Settings, at: &EnvAt<'_>, base: &EnvRevision) -> Vec<Finding> {
    let finding = Finding::new(
        Code::EnvRewritten,
        state_file(at.refname),
        format!(
            "{} at `{}` does not contain its commit before the change, `{}` ({}): the promotions since the two parted drop out of its log",
            at.name,
            at.refname,
            base.revision,
            short_id(base.commit)
        ),
    );
    crate::check::apply_severities(settings, vec![finding])
}

/// An environment as of one of its commits, named in findings by `refname`: its
/// ref, or the revision a review was given.
#[derive(Debug, Clone, Copy)]
pub struct EnvAt<'a> {
    /// The environment.
    pub name: &'a str,
    /// How findings name where its state is read from.
    pub refname: &'a str,
    /// The commit.
    pub tip: Oid,
}

/// What is wrong with one environment as of `at.tip`, severities as berth.toml sets
/// them: every entry, or only `packages` (what a review saw move), whose commits
/// are then found near the tip. Sources are placed by `provenance`'s anchors.
pub fn audit_at(
    git: &Git,
    settings: &Settings,
    kinds: &Kinds,
    provenance: &mut Provenance<'_>,
    at: &EnvAt<'_>,
    packages: Option<&BTreeSet<String>>,
) -> Result<Vec<Finding>, EnvError> {
    let Some(section) = settings.environment(at.name) else {
        return Ok(Vec::new());
    };
    let commit = git.commit(at.tip)?;
    let mut state = match read_state(git, at.refname, &commit) {
        Ok(state) => state,
        Err(EnvError::BadState(bad)) => {
            let finding = Finding::new(Code::EnvState, state_file(at.refname), bad.message);
            return Ok(crate::check::apply_severities(settings, vec![finding]));
        }
        Err(EnvError::Git(error)) => return Err(error.into()),
        Err(_) => return Ok(Vec::new()),
    };
    if let Some(packages) = packages {
        state
            .packages
            .retain(|package, _| packages.contains(package));
    }
    let bytes = git
        .read_file(commit.tree, STATE_FILE)?
        .map(|(_, bytes)| bytes)
        .unwrap_or_default();
    let text = shown_text(&bytes);
    let audit = Audit {
        git,
        settings,
        name: at.name,
        section,
        refname: at.refname,
        text: &text,
    };
    let mut findings = audit.objects(kinds, provenance, &commit, &state)?;
    findings.extend(audit.lineage(provenance, at.tip, &state)?);
    Ok(crate::check::apply_severities(settings, findings))
}

/// How findings name an environment's state: as git names a file at a revision.
/// What to do about an environment commit that a squash or rebase merge made.
const MERGE_METHODS: &str = "a squash or rebase merge drops the parent that shows where the object came from: merge environment pull requests with a merge commit (GitHub: \"Create a merge commit\"; GitLab: \"Merge commit\") or a fast-forward (GitLab: \"Fast-forward merge\"); `berth repair <env>` restores what this commit set, without rewriting history";

/// What to do about an environment commit berth did not make.
const HAND_MADE: &str = "environments move by `berth promote` and `berth rollback`, or by merging pull requests of their commits with a merge commit (GitHub: \"Create a merge commit\"; GitLab: \"Merge commit\") or a fast-forward (GitLab: \"Fast-forward merge\"), never squashed or rebased; `berth repair <env>` restores what such a commit set, without rewriting history";

fn state_file(refname: &str) -> String {
    format!("{refname}:{STATE_FILE}")
}

struct Audit<'a> {
    git: &'a Git,
    settings: &'a Settings,
    name: &'a str,
    section: &'a EnvironmentSection,
    refname: &'a str,
    /// The tip's state.toml, for marking entries.
    text: &'a Arc<str>,
}

impl Audit<'_> {
    /// A finding at a package's entry in the tip's state.toml.
    fn at_entry(&self, code: Code, package: &str, message: String) -> Finding {
        let mut pointer = "/packages".to_owned();
        document::push_segment(&mut pointer, package);
        Finding::new(code, state_file(self.refname), message).at_pointer(
            self.text,
            Format::Toml,
            &pointer,
        )
    }

    /// Each entry's object and references are in the tip's tree, hash to their
    /// names, and are what the entry lists.
    fn objects(
        &self,
        kinds: &Kinds,
        provenance: &mut Provenance<'_>,
        commit: &CommitInfo,
        state: &State,
    ) -> Result<Vec<Finding>, EnvError> {
        let finder = Finder::new(self.git, commit.tree);
        let mut findings = Vec::new();
        let mut checked: HashSet<ObjectRef> = HashSet::new();
        for (package, entry) in &state.packages {
            let Ok(object) = entry.object.parse::<ObjectRef>() else {
                continue;
            };
            let Some(located) = provenance.locate(commit.tree, &object, package)? else {
                findings.push(self.at_entry(
                    Code::EnvDangling,
                    package,
                    format!(
                        "{} holds `{}` for {package}, but its tree has no such object",
                        self.name, entry.object
                    ),
                ));
                continue;
            };
            let closure = finder.closure(kinds, located)?;
            for found in &closure {
                if !checked.insert(found.path.object_ref()) {
                    continue;
                }
                let bytes = self.git.blob(found.blob)?;
                let hash = document::parse(&bytes, found.path.format)
                    .ok()
                    .map(|data| ObjectHash::of(&data));
                // The catalog's copy of an object is the same blob: verifying where
                // the entry came from then needs no second hashing.
                provenance.remember_hash(found.blob, found.path.format, hash);
                if hash != Some(found.path.hash) {
                    findings.push(Finding::new(
                        Code::EnvHashMismatch,
                        format!("{}:{}", self.refname, found.path.path()),
                        format!(
                            "{} holds this object for {package}, but its data does not hash to its name",
                            self.name
                        ),
                    ));
                }
            }
            let held: BTreeSet<String> = closure
                .iter()
                .skip(1)
                .map(|found| found.path.object_ref().to_string())
                .collect();
            let listed: BTreeSet<String> = entry.references.iter().cloned().collect();
            for missing in listed.difference(&held) {
                findings.push(self.at_entry(
                    Code::EnvDangling,
                    package,
                    format!(
                        "{package}'s entry lists `{missing}`, which {}'s tree does not hold",
                        self.name
                    ),
                ));
            }
            let unlisted: Vec<&String> = held.difference(&listed).collect();
            if !unlisted.is_empty() {
                findings.push(self.at_entry(
                    Code::EnvState,
                    package,
                    format!(
                        "{package}'s object refers to {} that its entry's `references` does not list, so a later promotion could remove them",
                        unlisted
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
        }
        Ok(findings)
    }

    /// Walks back from the tip to the commit that set each entry, and checks that
    /// commit: made by berth, by an allowed path it verifiably took, signed where
    /// that is required.
    ///
    /// The commit that set an entry is found by its trailers; an entry whose
    /// value is not the one that commit claims was changed by another commit, and
    /// only then are states compared to name it.
    fn lineage(
        &self,
        provenance: &mut Provenance<'_>,
        tip: Oid,
        state: &State,
    ) -> Result<Vec<Finding>, EnvError> {
        let mut pending: BTreeSet<&str> = state.packages.keys().map(String::as_str).collect();
        let mut findings = Vec::new();
        // Entries whose value is not what the commit claiming them names, with
        // that commit: the commit that did change them is looked for afterwards,
        // in one walk for all.
        let mut unexplained: Vec<(&str, Option<EnvCommit>)> = Vec::new();
        let mut repaired = Repaired::default();
        for commit in first_parents(self.git, Some(tip)) {
            if pending.is_empty() {
                break;
            }
            let commit = commit?;
            // A repair's entries are what verified commits below it set: the walk
            // goes on to them, past the commits it repaired.
            if repaired.note(&commit) {
                // The repair set what it restored: in an environment that
                // requires signatures, it too must be signed.
                if self.section.require_signed {
                    let set: Vec<String> = changed(self.git, self.refname, &commit)?
                        .into_iter()
                        .filter(|package| pending.contains(package.as_str()))
                        .collect();
                    findings.extend(self.signature(&commit, &set)?);
                }
                continue;
            }
            if let Some(repair) = repaired.of(&commit) {
                findings.push(self.repaired(&commit, repair));
                continue;
            }
            let set = match commit.action {
                Some(Action::Repair) => Vec::new(),
                Some(Action::Promote | Action::Rollback) => {
                    let named = commit.package.as_deref().unwrap_or_default();
                    let Some(package) = pending.take(named) else {
                        continue;
                    };
                    let object = state
                        .packages
                        .get(package)
                        .map(|entry| entry.object.as_str())
                        .unwrap_or_default();
                    if commit.object.as_deref() != Some(object) {
                        unexplained.push((package, Some(commit.clone())));
                    } else if let Some(finding) =
                        self.verify(provenance, &commit, package, object)?
                    {
                        findings.push(finding);
                    }
                    vec![package.to_owned()]
                }
                Some(Action::Open) => break,
                None => {
                    let changed = changed(self.git, self.refname, &commit)?;
                    let set: Vec<String> = changed
                        .into_iter()
                        .filter(|package| pending.remove(package.as_str()))
                        .collect();
                    for package in &set {
                        findings.push(
                            self.at_entry(
                                Code::PromotionPath,
                                package,
                                format!(
                                    "{package} was set by commit {} (\"{}\"), which berth did not make: it has no Berth-Action trailer, so nothing shows the object came through {}",
                                    short_id(commit.info.id),
                                    commit.subject(),
                                    self.allowed()
                                ),
                            )
                            .with_help(HAND_MADE),
                        );
                    }
                    set
                }
            };
            if self.section.require_signed {
                findings.extend(self.signature(&commit, &set)?);
            }
        }
        // Entries no promotion or rollback claims: a commit that names another
        // package changed them.
        unexplained.extend(pending.into_iter().map(|package| (package, None)));
        if unexplained.is_empty() {
            return Ok(findings);
        }
        let mut changers = self.changers(
            tip,
            unexplained.iter().map(|(package, _)| *package).collect(),
        )?;
        for (package, claimed) in unexplained {
            let object = state
                .packages
                .get(package)
                .map(|entry| entry.object.as_str())
                .unwrap_or_default();
            let changer = changers.remove(package);
            let message = match (changer, claimed) {
                (Some(changer), Some(claimed)) if changer.info.id == claimed.info.id => format!(
                    "{package} is `{object}`, but commit {} that set it names `{}` in its Berth-Object trailer",
                    short_id(claimed.info.id),
                    claimed.object.as_deref().unwrap_or_default()
                ),
                (Some(changer), _) => self.unclaimed(&changer, package, object),
                (None, _) => format!(
                    "{package} is held, but no commit of {}'s log set it to `{object}` as berth does",
                    self.name
                ),
            };
            findings.push(self.at_entry(Code::PromotionPath, package, message));
        }
        Ok(findings)
    }

    /// What is wrong with the signature of `commit`, which set the entries of
    /// `set`, in an environment that requires signatures: one finding an entry.
    fn signature(&self, commit: &EnvCommit, set: &[String]) -> Result<Vec<Finding>, EnvError> {
        if set.is_empty() {
            return Ok(Vec::new());
        }
        let none = AllowedSigners::default();
        let signers = self
            .settings
            .allowed_signers(self.name)
            .map_or(&none, |signers| signers.as_ref());
        let id = short_id(commit.info.id);
        let (code, why) = match signature::verify(self.git, signers, commit)? {
            Signed::Good { .. } => return Ok(Vec::new()),
            Signed::Unsigned => (
                Code::UnsignedPromotion,
                format!("which is not signed; {} requires signed commits", self.name),
            ),
            Signed::Bad { reason } => (
                Code::BadSignature,
                format!("whose signature is bad: {reason}"),
            ),
            Signed::NotAllowed { reason, .. } => (
                Code::SignerNotAllowed,
                format!(
                    "whose signature verifies, but not with a key {} allows: {reason}",
                    self.signers_file()
                ),
            ),
        };
        Ok(set
            .iter()
            .map(|package| {
                self.at_entry(
                    code,
                    package,
                    format!("{package} was set by commit {id}, {why}"),
                )
            })
            .collect())
    }

    /// The allowed-signers file, for messages.
    fn signers_file(&self) -> String {
        match self.settings.allowed_signers_path(self.name) {
            Some(path) => format!("`{path}`"),
            None => "no allowed-signers file".to_owned(),
        }
    }

    /// What is wrong with the path of the commit that set `package` to the
    /// entry's `object`, as it claims, if anything.
    fn verify(
        &self,
        provenance: &mut Provenance<'_>,
        commit: &EnvCommit,
        package: &str,
        object: &str,
    ) -> Result<Option<Finding>, EnvError> {
        let verdict = provenance.verify(self.name, commit, package, object)?;
        let Some(broken) = verdict.broken else {
            return Ok(verdict
                .overridden
                .map(|overridden| self.overridden(package, object, &overridden)));
        };
        let message = if broken.environment == self.name {
            broken.reason
        } else {
            format!(
                "{package} came to {} through {}, where its path back to the catalog breaks: {}",
                self.name, broken.environment, broken.reason
            )
        };
        let finding = self.at_entry(Code::PromotionPath, package, message);
        // A berth commit that lost its source parent came through a squash or
        // rebase merge of its pull request.
        let squashed = broken.commit == commit.info.id && commit.info.parents.len() < 2;
        Ok(Some(if squashed {
            finding.with_help(MERGE_METHODS)
        } else {
            finding
        }))
    }

    /// The warning for an entry whose verified path skipped the promotion path
    /// by an override, here or in an environment it came through.
    fn overridden(&self, package: &str, object: &str, overridden: &Override) -> Finding {
        let (id, from) = (short_id(overridden.commit), &overridden.from);
        let message = if overridden.environment == self.name {
            format!(
                "{package} is `{object}`, set by commit {id} from `{from}` by an override of the promotion path ({} receives only from {}): {}",
                self.name,
                self.allowed(),
                overridden.reason
            )
        } else {
            format!(
                "{package} is `{object}`, which came to {} through {}'s commit {id}, which took it from `{from}` by an override of the promotion path: {}",
                self.name, overridden.environment, overridden.reason
            )
        };
        self.at_entry(Code::EnvOverride, package, message)
    }

    /// For each of `packages`, the newest commit from `tip` whose state changed
    /// its entry from its first parent's, found by comparing states in one walk:
    /// only asked for when the trailers do not account for an entry.
    fn changers(
        &self,
        tip: Oid,
        mut packages: BTreeSet<&str>,
    ) -> Result<HashMap<String, EnvCommit>, EnvError> {
        let mut found = HashMap::new();
        let mut newer: Option<(EnvCommit, State)> = None;
        for commit in first_parents(self.git, Some(tip)) {
            if packages.is_empty() {
                break;
            }
            let commit = commit?;
            let state = state_of(self.git, self.refname, &commit.info)?;
            if let Some((newer_commit, newer_state)) = &newer {
                packages.retain(|package| {
                    let changed =
                        newer_state.packages.get(*package) != state.packages.get(*package);
                    if changed {
                        found.insert((*package).to_owned(), newer_commit.clone());
                    }
                    !changed
                });
            }
            newer = Some((commit, state));
        }
        // What the oldest commit walked holds, it set itself.
        if let Some((commit, state)) = newer {
            for package in packages {
                if state.packages.contains_key(package) {
                    found.insert(package.to_owned(), commit.clone());
                }
            }
        }
        Ok(found)
    }

    /// Why an entry set by a commit that does not claim it fails.
    fn unclaimed(&self, commit: &EnvCommit, package: &str, object: &str) -> String {
        let id = short_id(commit.info.id);
        match (&commit.action, &commit.package) {
            (Some(Action::Promote | Action::Rollback), Some(named)) => format!(
                "{package} was set to `{object}` by commit {id} (\"{}\"), whose trailers name `{named}`: a berth commit sets only the package it names, so nothing shows the object came through {}",
                commit.subject(),
                self.allowed()
            ),
            _ => format!(
                "{package} was set to `{object}` by commit {id} (\"{}\"), which berth did not make, so nothing shows the object came through {}",
                commit.subject(),
                self.allowed()
            ),
        }
    }

    /// A commit a repair restored: reported, as a warning unless berth.toml
    /// says otherwise, with the repair's reason.
    fn repaired(&self, commit: &EnvCommit, repair: &Repair) -> Finding {
        Finding::new(
            Code::EnvRepaired,
            state_file(self.refname),
            format!(
                "{}'s commit {} (\"{}\") is not one berth can verify; repair {} restored what it changed: {}",
                self.name,
                short_id(commit.on_log()),
                commit.subject(),
                short_id(repair.commit),
                repair.reason
            ),
        )
    }

    /// Where this environment may receive from, for messages.
    fn allowed(&self) -> String {
        if self.section.from.is_empty() {
            format!("the catalog branch `{}`", self.settings.catalog())
        } else {
            self.section.from.join(" or ")
        }
    }
}

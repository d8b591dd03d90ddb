//! The validator's environment checks: every environment's tip holds the objects
//! its state names, unaltered, with the references its entries list; and every
//! entry was set by a commit berth made, by the promotion path berth.toml allows,
//! signed where the environment requires it. A commit made by hand with git that
//! skips an environment is found here.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use super::log::{Action, EnvCommit, first_parents};
use super::objects::Finder;
use super::state::{STATE_FILE, State};
use super::{EnvError, read_state};
use crate::canonical::ObjectHash;
use crate::check::code::Code;
use crate::check::finding::Finding;
use crate::document::{self, Format};
use crate::kinds::Kinds;
use crate::repo::{CommitInfo, Git, GitError, Oid, short_id};
use crate::settings::{EnvironmentSection, Settings};
use crate::store::ObjectRef;

/// What is wrong with every environment berth.toml names, severities as berth.toml
/// sets them. Environments never opened hold nothing and have nothing wrong.
pub fn audit(git: &Git, settings: &Settings, kinds: &Kinds) -> Result<Vec<Finding>, GitError> {
    let mut findings = Vec::new();
    for name in settings.environment_order() {
        let refname = settings.env_ref(name);
        let Some(tip) = git.ref_target(&refname)? else {
            continue;
        };
        let at = EnvAt {
            name,
            refname: &refname,
            tip,
        };
        findings.extend(audit_at(git, settings, kinds, &at, None)?);
    }
    Ok(findings)
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
/// are then found near the tip.
pub fn audit_at(
    git: &Git,
    settings: &Settings,
    kinds: &Kinds,
    at: &EnvAt<'_>,
    packages: Option<&BTreeSet<String>>,
) -> Result<Vec<Finding>, GitError> {
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
        Err(EnvError::Git(error)) => return Err(error),
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
    let text: Arc<str> = Arc::from(String::from_utf8_lossy(&bytes).as_ref());
    let audit = Audit {
        git,
        settings,
        name: at.name,
        section,
        refname: at.refname,
        text: &text,
    };
    let mut findings = audit.objects(kinds, &commit, &state)?;
    findings.extend(audit.lineage(at.tip, &state)?);
    Ok(crate::check::apply_severities(settings, findings))
}

/// How findings name an environment's state: as git names a file at a revision.
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
        commit: &CommitInfo,
        state: &State,
    ) -> Result<Vec<Finding>, GitError> {
        let finder = Finder::new(self.git, commit.tree);
        let mut findings = Vec::new();
        let mut checked: HashSet<ObjectRef> = HashSet::new();
        for (package, entry) in &state.packages {
            let Ok(object) = entry.object.parse::<ObjectRef>() else {
                continue;
            };
            let Some(located) = finder.locate(&object, Some(package))? else {
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
                let intact = document::parse(&bytes, found.path.format)
                    .is_ok_and(|data| ObjectHash::of(&data) == found.path.hash);
                if !intact {
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
    /// commit: made by berth, by an allowed path, signed where that is required.
    fn lineage(&self, tip: Oid, state: &State) -> Result<Vec<Finding>, GitError> {
        let mut pending: BTreeSet<&str> = state.packages.keys().map(String::as_str).collect();
        let mut findings = Vec::new();
        for commit in first_parents(self.git, Some(tip)) {
            if pending.is_empty() {
                break;
            }
            let commit = commit?;
            let set = match commit.action {
                Some(Action::Promote | Action::Rollback) => {
                    let package = commit.package.as_deref().unwrap_or_default();
                    if !pending.remove(package) {
                        continue;
                    }
                    if let Some(finding) = self.promotion(&commit, package, state)? {
                        findings.push(finding);
                    }
                    vec![package.to_owned()]
                }
                Some(Action::Open) => break,
                None => {
                    let changed = self.changed_by(&commit)?;
                    let set: Vec<String> = changed
                        .into_iter()
                        .filter(|package| pending.remove(package.as_str()))
                        .collect();
                    for package in &set {
                        findings.push(self.at_entry(
                            Code::PromotionPath,
                            package,
                            format!(
                                "{package} was set by commit {} (\"{}\"), which berth did not make: it has no Berth-Action trailer, so nothing shows the object came through {}",
                                short_id(commit.info.id),
                                commit.subject(),
                                self.allowed()
                            ),
                        ));
                    }
                    set
                }
            };
            if self.section.require_signed
                && !set.is_empty()
                && !self.git.is_signed(commit.info.id)?
            {
                for package in &set {
                    findings.push(self.at_entry(
                        Code::UnsignedPromotion,
                        package,
                        format!(
                            "{package} was set by commit {}, which is not signed; {} requires signed commits",
                            short_id(commit.info.id),
                            self.name
                        ),
                    ));
                }
            }
        }
        Ok(findings)
    }

    /// Where this environment may receive from, for messages.
    fn allowed(&self) -> String {
        if self.section.from.is_empty() {
            format!("the catalog branch `{}`", self.settings.catalog())
        } else {
            self.section.from.join(" or ")
        }
    }

    /// What is wrong with the promotion or rollback that set `package`, if anything.
    fn promotion(
        &self,
        commit: &EnvCommit,
        package: &str,
        state: &State,
    ) -> Result<Option<Finding>, GitError> {
        if commit.action != Some(Action::Promote) {
            return Ok(None);
        }
        let id = short_id(commit.info.id);
        let from = commit.from.as_deref().unwrap_or_default();
        let allowed = if self.section.from.is_empty() {
            from == self.settings.catalog()
        } else {
            self.section.from.iter().any(|source| source == from)
        };
        if !allowed {
            return Ok(Some(self.at_entry(
                Code::PromotionPath,
                package,
                format!(
                    "{package} was promoted by commit {id} from `{from}`, but {} receives only from {}",
                    self.name,
                    self.allowed()
                ),
            )));
        }
        if self.section.from.is_empty() {
            return Ok(None);
        }
        let Some(&source) = commit.info.parents.get(1) else {
            return Ok(Some(self.at_entry(
                Code::PromotionPath,
                package,
                format!(
                    "{package} was set by commit {id}, which names {from} as its source but has no second parent to show what {from} held"
                ),
            )));
        };
        let object = state.object(package).map(|object| object.to_string());
        let source_commit = self.git.commit(source)?;
        let held = read_state(self.git, &self.settings.env_ref(from), &source_commit)
            .ok()
            .and_then(|source_state| source_state.object(package).map(|o| o.to_string()));
        if held.is_some() && held == object {
            return Ok(None);
        }
        Ok(Some(self.at_entry(
            Code::PromotionPath,
            package,
            format!(
                "{package} was set by commit {id} from {from}, but its second parent {} does not hold `{}` for {package}",
                short_id(source),
                object.unwrap_or_default()
            ),
        )))
    }

    /// The packages whose entries a commit changed from its first parent.
    fn changed_by(&self, commit: &EnvCommit) -> Result<Vec<String>, GitError> {
        let read = |info: &CommitInfo| -> Result<State, GitError> {
            match read_state(self.git, self.refname, info) {
                Ok(state) => Ok(state),
                Err(EnvError::Git(error)) => Err(error),
                Err(_) => Ok(State::default()),
            }
        };
        let after = read(&commit.info)?;
        let before = match commit.info.parents.first() {
            Some(&parent) => read(&self.git.commit(parent)?)?,
            None => State::default(),
        };
        Ok(after
            .packages
            .iter()
            .filter(|(package, entry)| before.packages.get(*package) != Some(*entry))
            .map(|(package, _)| package.clone())
            .collect())
    }
}

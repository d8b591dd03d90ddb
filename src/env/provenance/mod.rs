//! Where an environment's entries came from, verified rather than believed.
//!
//! Anyone can write a commit with `Berth-*` trailers, so berth relies only on what
//! the commit graph and the trees show (DESIGN.md section 3, "Lineage"). The
//! commit that set an entry must be a promotion or rollback that names the package
//! and the object its state sets, and its second parent must hold exactly that
//! object: for a promotion from the catalog, a commit on the catalog branch whose
//! tree has the object's file with bytes that hash to its name; for a promotion
//! from an upstream environment (or a rollback, from this environment itself), a
//! commit of that environment's own first-parent log whose state has the entry,
//! and the commit there that set the entry must verify in turn, down to the
//! catalog. Each (environment, commit, package) is verified once per run.
//!
//! Where berth.toml allows it for an environment (`allow_override = true`), a
//! commit with a `Berth-Override` trailer giving a reason may take a step that
//! `from` does not allow (a hotfix): the step is reported, as an [`Override`],
//! not refused. Only that rule is waived: the second parent must still hold the
//! object, and the path below it must still verify. An object that came by an
//! override may go on downstream; every entry whose path passes through the
//! override carries it in its verdict, so the audit keeps reporting it while
//! anything holds it.
//!
//! This file holds the verifier, [`Provenance`], and the walk down a path link by
//! link; the rest is one concept per file:
//! - `anchors`: [`Anchors`], the commits that stand for the catalog branch and
//!   each environment;
//! - `verdict`: what a verification found ([`Verdict`], [`Source`], [`Break`],
//!   [`Override`]) and how a second parent relates to its commit ([`Hop`]);
//! - `reach`: whether a commit is on the catalog branch or on an environment's
//!   first-parent log, refusing to guess in a shallow clone;
//! - `lookup`: an object's file in a tree and the hash of its bytes, through
//!   the trees and hashes already read;
//! - `changes`: an environment commit's state and the packages it changed, read
//!   leniently; apart from the verifier because the audit reads them too, and
//!   because they are about states rather than paths.

mod anchors;
mod changes;
mod lookup;
mod reach;
mod verdict;

use std::collections::{HashMap, HashSet};

use crate::canonical::ObjectHash;
use crate::document::Format;
use crate::env::EnvError;
use crate::env::log::{Action, EnvCommit, standing_commits};
use crate::env::state::{Entry, State};
use crate::repo::{CommitInfo, Git, Oid, TreeEntry, short_id};
use crate::settings::Settings;
use crate::store::{OBJECTS_DIR, ObjectRef};
use reach::Log;

pub use anchors::Anchors;
pub use changes::{changed, state_of};
pub use verdict::{Break, Hop, Override, Source, Verdict};

/// One link of a path: what a commit's second parent shows, and whether the step
/// is one berth.toml allows (or skips the path where berth.toml allows that).
struct Link {
    next: Option<Next>,
    problem: Option<String>,
    overridden: Option<Override>,
}

/// The next step of a path.
enum Next {
    Catalog(Oid),
    Environment(String, Box<EnvCommit>),
}

impl Link {
    fn broken(reason: String) -> Link {
        Link {
            next: None,
            problem: Some(reason),
            overridden: None,
        }
    }

    fn to(next: Next) -> Link {
        Link {
            next: Some(next),
            problem: None,
            overridden: None,
        }
    }
}

/// What a verdict is remembered by: environment, commit, package.
type Key = (String, Oid, String);

/// Verifies entries against the commit graph, remembering every answer.
pub struct Provenance<'a> {
    git: &'a Git,
    settings: &'a Settings,
    anchors: Anchors,
    verdicts: HashMap<Key, Verdict>,
    logs: HashMap<(String, Oid), Log>,
    on_catalog: HashMap<Oid, bool>,
    hashes: HashMap<(Oid, Format), Option<ObjectHash>>,
    /// The entries of the trees above partitions, by tree.
    trees: HashMap<Oid, Vec<TreeEntry>>,
    /// States the caller already read, by commit.
    states: HashMap<Oid, State>,
    shallow: Option<HashSet<Oid>>,
}

impl<'a> Provenance<'a> {
    /// A verifier that places sources by `anchors`.
    pub fn new(git: &'a Git, settings: &'a Settings, anchors: Anchors) -> Provenance<'a> {
        Provenance {
            git,
            settings,
            anchors,
            verdicts: HashMap::new(),
            logs: HashMap::new(),
            on_catalog: HashMap::new(),
            hashes: HashMap::new(),
            trees: HashMap::new(),
            states: HashMap::new(),
            shallow: None,
        }
    }

    /// The repository.
    pub fn git(&self) -> &'a Git {
        self.git
    }

    /// The settings the sources are judged by.
    pub fn settings(&self) -> &'a Settings {
        self.settings
    }

    /// The catalog branch's name.
    pub fn catalog(&self) -> &'a str {
        self.settings.catalog()
    }

    /// Records the state of an environment commit, as the caller already read it.
    pub fn remember_state(&mut self, commit: Oid, state: State) {
        self.states.insert(commit, state);
    }

    /// The verdict already reached for the commit that set `package` in
    /// `environment`, if any.
    pub fn verdict(&self, environment: &str, commit: Oid, package: &str) -> Option<&Verdict> {
        self.verdicts
            .get(&(environment.to_owned(), commit, package.to_owned()))
    }

    /// Verifies `commit`, which set `package` to `object` in `environment`, and
    /// the path behind it down to the catalog.
    pub fn verify(
        &mut self,
        environment: &str,
        commit: &EnvCommit,
        package: &str,
        object: &str,
    ) -> Result<Verdict, EnvError> {
        // A path is walked link by link rather than by recursion: a history made
        // by hand can chain any number of commits. Each link's own problem is
        // known as it is read; what breaks below it, only at the end.
        // Each link with what it shows on its own: its source, its own problem,
        // its own override.
        let mut links: Vec<(Key, Verdict)> = Vec::new();
        let mut environment = environment.to_owned();
        let mut current = commit.clone();
        let mut below: Option<Break> = None;
        let mut below_overridden: Option<Override> = None;
        loop {
            let id = current.info.id;
            let key = (environment.clone(), id, package.to_owned());
            let named = matches!(current.action, Some(Action::Promote | Action::Rollback))
                && current.package.as_deref() == Some(package);
            if named && current.object.as_deref() != Some(object) {
                // Not remembered: the answer depends on the object asked about.
                let reason = format!(
                    "{package} is `{object}`, but commit {} that set it names `{}` in its Berth-Object trailer",
                    short_id(id),
                    current.object.as_deref().unwrap_or_default()
                );
                below = Some(Break {
                    environment: environment.clone(),
                    commit: id,
                    reason,
                });
                if links.is_empty() {
                    return Ok(Verdict {
                        source: None,
                        broken: below,
                        overridden: None,
                    });
                }
                break;
            }
            if let Some(known) = self.verdicts.get(&key) {
                if links.is_empty() {
                    return Ok(known.clone());
                }
                below = known.broken.clone();
                below_overridden = known.overridden.clone();
                break;
            }
            let link = self.link(&environment, &current, package, object)?;
            let problem = link.problem.map(|reason| Break {
                environment: environment.clone(),
                commit: id,
                reason,
            });
            let own = |source| Verdict {
                source,
                broken: problem,
                overridden: link.overridden,
            };
            match link.next {
                Some(Next::Environment(name, setter)) => {
                    let source = Source::Environment {
                        name: name.clone(),
                        commit: setter.info.id,
                    };
                    links.push((key, own(Some(source))));
                    environment = name;
                    current = *setter;
                }
                Some(Next::Catalog(source)) => {
                    links.push((key, own(Some(Source::Catalog(source)))));
                    break;
                }
                None => {
                    links.push((key, own(None)));
                    break;
                }
            }
        }
        let mut verdict = None;
        for (key, own) in links.into_iter().rev() {
            let (source, broken) = (own.source, own.broken.or(below));
            // An override counts only on a path that verifies; the nearest one
            // is the one shown.
            let overridden = match broken {
                Some(_) => None,
                None => own.overridden.or(below_overridden),
            };
            below = broken.clone();
            below_overridden = overridden.clone();
            let found = Verdict {
                source,
                broken,
                overridden,
            };
            self.verdicts.insert(key, found.clone());
            verdict = Some(found);
        }
        Ok(verdict.unwrap_or(Verdict {
            source: None,
            broken: below,
            overridden: None,
        }))
    }

    /// Verifies a source commit before berth writes a commit with it as second
    /// parent: what the audit will check of that commit.
    pub fn verify_source(
        &mut self,
        environment: &str,
        from: &str,
        hop: Hop,
        source: Oid,
        package: &str,
        object: &str,
    ) -> Result<Verdict, EnvError> {
        let context = Context {
            package,
            object,
            commit: None,
        };
        let link = self.environment_link(&context, from, hop, source)?;
        let problem = link.problem.map(|reason| Break {
            environment: environment.to_owned(),
            commit: source,
            reason,
        });
        match link.next {
            Some(Next::Environment(name, setter)) if problem.is_none() => {
                self.verify(&name, &setter, package, object)
            }
            Some(Next::Environment(name, setter)) => Ok(Verdict {
                source: Some(Source::Environment {
                    name,
                    commit: setter.info.id,
                }),
                broken: problem,
                overridden: None,
            }),
            Some(Next::Catalog(commit)) => Ok(Verdict {
                source: Some(Source::Catalog(commit)),
                broken: problem,
                overridden: None,
            }),
            None => Ok(Verdict {
                source: None,
                broken: problem,
                overridden: None,
            }),
        }
    }

    /// What the second parent of `commit`, which set `package` to `object` in
    /// `environment`, shows, and whether berth.toml allows the step.
    fn link(
        &mut self,
        environment: &str,
        commit: &EnvCommit,
        package: &str,
        object: &str,
    ) -> Result<Link, EnvError> {
        let id = short_id(commit.info.id);
        let action = match commit.action {
            Some(action @ (Action::Promote | Action::Rollback)) => action,
            _ => {
                return Ok(Link::broken(format!(
                    "{package} was set by commit {id} (\"{}\"), which berth did not make: it is no promotion or rollback",
                    commit.subject()
                )));
            }
        };
        if commit.package.as_deref() != Some(package) {
            return Ok(Link::broken(format!(
                "{package} was set by commit {id}, whose Berth-Package trailer names `{}`",
                commit.package.as_deref().unwrap_or_default()
            )));
        }
        let Some(section) = self.settings.environment(environment) else {
            return Ok(Link::broken(format!(
                "{package} was set by commit {id} in `{environment}`, which is not an environment in berth.toml"
            )));
        };
        let from = commit.from.as_deref().unwrap_or_default();
        let catalog = self.settings.catalog();
        // Where the commit says the object came from decides how its second
        // parent is read; whether berth.toml allows that step is a separate
        // question, so that a real path that skips a step can still be shown.
        let (hop, allowed) = match action {
            Action::Rollback if from == environment => (Hop::Rollback, true),
            Action::Rollback => {
                return Ok(Link::broken(format!(
                    "{package} was rolled back by commit {id}, which names `{from}` as its source; a rollback restores what {environment} itself held"
                )));
            }
            _ if from == catalog => (Hop::Promotion, section.from.is_empty()),
            _ if self.settings.environment(from).is_some() => {
                (Hop::Promotion, section.from.iter().any(|f| f == from))
            }
            _ => {
                return Ok(Link::broken(format!(
                    "{package} was promoted by commit {id} from `{from}`, which is neither the catalog branch `{catalog}` nor an environment"
                )));
            }
        };
        let not_allowed = || {
            let receives = if section.from.is_empty() {
                format!("the catalog branch `{catalog}`")
            } else {
                section.from.join(" or ")
            };
            format!(
                "{package} was promoted by commit {id} from `{from}`, but {environment} receives only from {receives}"
            )
        };
        // A `Berth-Override` trailer waives the rule of where the object may come
        // from, and only where berth.toml allows that; on an allowed step it
        // waives nothing and changes nothing. The second parent is checked all
        // the same.
        let (problem, overridden) = match (allowed, commit.override_reason()) {
            (true, _) => (None, None),
            (false, None) => (Some(not_allowed()), None),
            (false, Some(reason)) if section.allow_override && !reason.trim().is_empty() => {
                let overridden = Override {
                    environment: environment.to_owned(),
                    commit: commit.info.id,
                    from: from.to_owned(),
                    reason,
                };
                (None, Some(overridden))
            }
            (false, Some(_)) if section.allow_override => (
                Some(format!(
                    "{}; its Berth-Override trailer gives no reason",
                    not_allowed()
                )),
                None,
            ),
            (false, Some(_)) => (
                Some(format!(
                    "{}; its Berth-Override trailer does not excuse that, since {environment} does not allow overrides (berth.toml has no `allow_override = true` for it)",
                    not_allowed()
                )),
                None,
            ),
        };
        let Some(source) = commit.source()? else {
            return Ok(Link::broken(format!(
                "{package} was set by commit {id}, which names {from} as its source but has no second parent to show what {from} held"
            )));
        };
        let context = Context {
            package,
            object,
            commit: Some(commit.info.id),
        };
        let mut link = match hop {
            Hop::Promotion if from == catalog => self.catalog_link(&context, source)?,
            Hop::Promotion => self.environment_link(&context, from, hop, source)?,
            Hop::Rollback => self.environment_link(&context, environment, hop, source)?,
        };
        if link.problem.is_none() {
            link.problem = problem;
            link.overridden = overridden;
        }
        Ok(link)
    }

    /// A promotion from the catalog: its source is on the catalog branch and has
    /// the object's file, with bytes that hash to its name.
    fn catalog_link(&mut self, context: &Context<'_>, source: Oid) -> Result<Link, EnvError> {
        let (package, object) = (context.package, context.object);
        let prefix = format!(
            "{package} was promoted {}from the catalog",
            context.by_commit()
        );
        let src = short_id(source);
        if !self.is_on_catalog(source)? {
            return Ok(Link::broken(format!(
                "{prefix}, but its second parent {src} is not on the catalog branch `{}`",
                self.settings.catalog()
            )));
        }
        let Ok(parsed) = object.parse::<ObjectRef>() else {
            return Ok(Link::broken(format!(
                "{prefix}, naming `{object}`, which is not <store>/<hash>"
            )));
        };
        let tree = self.git.commit(source)?.tree;
        // berth promotes an object as the package it is filed under: another
        // package's object is not this package's, wherever else it may be.
        let Some(located) = self.locate_in_partition(tree, &parsed, package)? else {
            return Ok(Link::broken(format!(
                "{prefix}, but its second parent {src} has no file for `{object}` in `{OBJECTS_DIR}/{}/{package}/`",
                parsed.store
            )));
        };
        if self.hash_of(located.blob, located.path.format)? != Some(parsed.hash) {
            return Ok(Link::broken(format!(
                "{prefix}, but `{}` in its second parent {src} holds other bytes: they do not hash to `{object}`",
                located.path.path()
            )));
        }
        Ok(Link::to(Next::Catalog(source)))
    }

    /// A promotion from an upstream environment, or a rollback: its source is a
    /// commit of that environment's log whose state holds the entry, and the
    /// commit there that set the entry (checked next).
    fn environment_link(
        &mut self,
        context: &Context<'_>,
        upstream: &str,
        hop: Hop,
        source: Oid,
    ) -> Result<Link, EnvError> {
        let (package, object) = (context.package, context.object);
        let src = short_id(source);
        let prefix = match hop {
            Hop::Promotion => format!(
                "{package} was promoted {}from {upstream}",
                context.by_commit()
            ),
            Hop::Rollback => format!("{package} was rolled back {}", context.by_commit()),
        };
        let prefix = prefix.trim_end();
        if context.commit == Some(source) || !self.is_on_log(upstream, source)? {
            let place = match hop {
                Hop::Promotion => format!("a commit of {upstream}'s log"),
                Hop::Rollback => format!("an earlier commit of {upstream}"),
            };
            return Ok(Link::broken(format!(
                "{prefix}, but its second parent {src} is not {place}"
            )));
        }
        let info = self.git.commit(source)?;
        let held = self.entry(upstream, &info, package)?;
        if held.as_ref().map(|entry| entry.object.as_str()) != Some(object) {
            return Ok(Link::broken(format!(
                "{prefix}, but its second parent {src} does not hold `{object}` for {package}"
            )));
        }
        match self.setter(upstream, source, package)? {
            Some(setter) => Ok(Link::to(Next::Environment(
                upstream.to_owned(),
                Box::new(setter),
            ))),
            None => Ok(Link::broken(format!(
                "{prefix}, but no commit of {upstream}'s log up to {src} set {package}"
            ))),
        }
    }

    /// The newest commit at or before `at` on `environment`'s first-parent log
    /// that set `package`: found by its trailers, or a commit berth did not make
    /// that changed the entry (which then fails to verify).
    fn setter(
        &mut self,
        environment: &str,
        at: Oid,
        package: &str,
    ) -> Result<Option<EnvCommit>, EnvError> {
        for commit in standing_commits(self.git, Some(at)) {
            let commit = commit?;
            match commit.action {
                Some(Action::Repair) => {}
                Some(Action::Promote | Action::Rollback) => {
                    if commit.package.as_deref() == Some(package) {
                        return Ok(Some(commit));
                    }
                }
                Some(Action::Open) => return Ok(None),
                None => {
                    let refname = self.settings.env_ref(environment);
                    if changed(self.git, &refname, &commit)?
                        .iter()
                        .any(|p| p == package)
                    {
                        return Ok(Some(commit));
                    }
                }
            }
        }
        Ok(None)
    }

    /// A package's entry in an environment commit's state (`None` when the state
    /// cannot be read: the audit reports that where it matters).
    fn entry(
        &self,
        environment: &str,
        info: &CommitInfo,
        package: &str,
    ) -> Result<Option<Entry>, EnvError> {
        if let Some(state) = self.states.get(&info.id) {
            return Ok(state.packages.get(package).cloned());
        }
        Ok(
            state_of(self.git, &self.settings.env_ref(environment), info)?
                .packages
                .remove(package),
        )
    }
}

/// The commit being verified and what it set, for messages.
struct Context<'c> {
    package: &'c str,
    object: &'c str,
    /// The commit whose second parent is checked; `None` before berth writes it.
    commit: Option<Oid>,
}

impl Context<'_> {
    /// `by commit 1a2b3c4d5e6f ` when there is a commit.
    fn by_commit(&self) -> String {
        self.commit
            .map(|id| format!("by commit {} ", short_id(id)))
            .unwrap_or_default()
    }
}

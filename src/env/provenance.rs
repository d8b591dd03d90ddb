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

use std::collections::{HashMap, HashSet};

use super::log::{Action, EnvCommit, first_parents};
use super::objects::{Finder, Located};
use super::state::{Entry, STATE_FILE, State};
use super::{EnvError, read_state};
use crate::canonical::ObjectHash;
use crate::document::{self, Format};
use crate::repo::{
    CommitInfo, Git, GitError, Oid, ShallowHistory, TreeEntry, TreeEntryKind, short_id,
};
use crate::settings::Settings;
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};

/// The commits that stand for the catalog branch and for each environment: a
/// source commit must be reachable from the catalog's, or on the first-parent log
/// of an environment's.
#[derive(Debug, Clone, Default)]
pub struct Anchors {
    catalog: Vec<Oid>,
    environments: HashMap<String, Vec<Oid>>,
}

impl Anchors {
    /// The catalog branch's ref and every environment's ref, where they exist.
    pub fn refs(git: &Git, settings: &Settings) -> Result<Anchors, GitError> {
        let mut anchors = Anchors::default();
        if let Some(tip) = git.ref_target(&format!("refs/heads/{}", settings.catalog()))? {
            anchors.catalog.push(tip);
        }
        for name in settings.environment_order() {
            if let Some(tip) = git.ref_target(&settings.env_ref(name))? {
                anchors.add_environment(name, tip);
            }
        }
        Ok(anchors)
    }

    /// Counts `commit` as the catalog too: the commit `berth check` or a review
    /// checks, which becomes the catalog when it merges. An environment commit
    /// (one with a state.toml) never stands for the catalog: every promotion's
    /// second parent is reachable from it.
    pub fn add_catalog(&mut self, git: &Git, commit: Oid) -> Result<(), GitError> {
        if git.entry(git.commit(commit)?.tree, STATE_FILE)?.is_none()
            && !self.catalog.contains(&commit)
        {
            self.catalog.push(commit);
        }
        Ok(())
    }

    /// Counts `commit` as a tip of `environment`: the commit a review was given.
    pub fn add_environment(&mut self, environment: &str, commit: Oid) {
        let tips = self.environments.entry(environment.to_owned()).or_default();
        if !tips.contains(&commit) {
            tips.push(commit);
        }
    }
}

/// What verifying the commit that set an entry found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Where the object verifiably came from: the next step of its path. `None`
    /// when the commit's claim does not hold, so there is no path to show.
    pub source: Option<Source>,
    /// The first link of the path, from this commit down, that breaks a rule: a
    /// claim that does not hold, or a real step that berth.toml does not allow.
    /// `None` when the whole path verifies.
    pub broken: Option<Break>,
}

impl Verdict {
    /// Whether the whole path verifies.
    pub fn is_verified(&self) -> bool {
        self.broken.is_none()
    }
}

/// The verified source of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The catalog commit whose tree holds the object's file.
    Catalog(Oid),
    /// The commit of an environment (the upstream one, or the same one for a
    /// rollback) that set the entry there.
    Environment {
        /// The environment.
        name: String,
        /// Its commit.
        commit: Oid,
    },
}

/// Where a path back to the catalog breaks, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The environment whose commit breaks the rule.
    pub environment: String,
    /// That commit.
    pub commit: Oid,
    /// What is wrong, as a sentence about the package.
    pub reason: String,
}

/// How a commit's second parent is related to the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hop {
    /// A promotion from an upstream environment.
    Promotion,
    /// A rollback: the source is an earlier commit of the same environment.
    Rollback,
}

/// One link of a path: what a commit's second parent shows, and whether the step
/// is one berth.toml allows.
struct Link {
    next: Option<Next>,
    problem: Option<String>,
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
        }
    }

    fn to(next: Next) -> Link {
        Link {
            next: Some(next),
            problem: None,
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

/// An environment's first-parent log from one tip, walked only as far as asked.
#[derive(Debug, Default)]
struct Log {
    next: Option<Oid>,
    seen: HashSet<Oid>,
    cut: Option<Oid>,
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

    /// The catalog branch's name.
    pub fn catalog(&self) -> &'a str {
        self.settings.catalog()
    }

    /// Records that a blob's data hashes to `hash` (or does not parse), as the
    /// caller already found, so that it is not read again.
    pub fn remember_hash(&mut self, blob: Oid, format: Format, hash: Option<ObjectHash>) {
        self.hashes.insert((blob, format), hash);
    }

    /// Records the state of an environment commit, as the caller already read it.
    pub fn remember_state(&mut self, commit: Oid, state: State) {
        self.states.insert(commit, state);
    }

    /// The tips `environment`'s log is walked from.
    fn tips(&self, environment: &str) -> Vec<Oid> {
        self.anchors
            .environments
            .get(environment)
            .cloned()
            .unwrap_or_default()
    }

    /// Records that `commit` is on `environment`'s log, as a walk of the caller's
    /// own from the environment's ref found.
    pub fn note_on_log(&mut self, environment: &str, commit: Oid) {
        for tip in self.tips(environment) {
            self.logs
                .entry((environment.to_owned(), tip))
                .or_insert_with(|| Log::from(tip))
                .seen
                .insert(commit);
        }
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
        let mut links: Vec<(Key, Option<Source>, Option<Break>)> = Vec::new();
        let mut environment = environment.to_owned();
        let mut current = commit.clone();
        let mut below: Option<Break> = None;
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
                    });
                }
                break;
            }
            if let Some(known) = self.verdicts.get(&key) {
                if links.is_empty() {
                    return Ok(known.clone());
                }
                below = known.broken.clone();
                break;
            }
            let link = self.link(&environment, &current, package, object)?;
            let problem = link.problem.map(|reason| Break {
                environment: environment.clone(),
                commit: id,
                reason,
            });
            match link.next {
                Some(Next::Environment(name, setter)) => {
                    let source = Source::Environment {
                        name: name.clone(),
                        commit: setter.info.id,
                    };
                    links.push((key, Some(source), problem));
                    environment = name;
                    current = *setter;
                }
                Some(Next::Catalog(source)) => {
                    links.push((key, Some(Source::Catalog(source)), problem));
                    break;
                }
                None => {
                    links.push((key, None, problem));
                    break;
                }
            }
        }
        let mut verdict = None;
        for (key, source, problem) in links.into_iter().rev() {
            let broken = problem.or(below);
            below = broken.clone();
            let found = Verdict { source, broken };
            self.verdicts.insert(key, found.clone());
            verdict = Some(found);
        }
        Ok(verdict.unwrap_or(Verdict {
            source: None,
            broken: below,
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
            }),
            Some(Next::Catalog(commit)) => Ok(Verdict {
                source: Some(Source::Catalog(commit)),
                broken: problem,
            }),
            None => Ok(Verdict {
                source: None,
                broken: problem,
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
        let problem = (!allowed).then(|| {
            let receives = if section.from.is_empty() {
                format!("the catalog branch `{catalog}`")
            } else {
                section.from.join(" or ")
            };
            format!(
                "{package} was promoted by commit {id} from `{from}`, but {environment} receives only from {receives}"
            )
        });
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
        for commit in first_parents(self.git, Some(at)) {
            let commit = commit?;
            match commit.action {
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

    /// Whether a commit is reachable from the catalog branch (or the commit
    /// checked).
    fn is_on_catalog(&mut self, commit: Oid) -> Result<bool, EnvError> {
        if let Some(&known) = self.on_catalog.get(&commit) {
            return Ok(known);
        }
        if self.anchors.catalog.is_empty() {
            return Err(EnvError::NoCatalog {
                catalog: self.settings.catalog().to_owned(),
            });
        }
        let mut found = false;
        for &anchor in &self.anchors.catalog {
            if self.git.descends_from(anchor, commit)? {
                found = true;
                break;
            }
        }
        if !found && !self.shallow()?.is_empty() {
            return Err(ShallowHistory {
                needs: format!(
                    "whether commit {} is on the catalog branch",
                    short_id(commit)
                ),
            }
            .into());
        }
        self.on_catalog.insert(commit, found);
        Ok(found)
    }

    /// Whether a commit is on `environment`'s first-parent log: reachable is not
    /// enough, since every commit an environment took from upstream is reachable
    /// from it too.
    fn is_on_log(&mut self, environment: &str, commit: Oid) -> Result<bool, EnvError> {
        for tip in self.tips(environment) {
            let key = (environment.to_owned(), tip);
            let mut log = self.logs.remove(&key).unwrap_or_else(|| Log::from(tip));
            let found = log.walk_to(self, commit);
            self.logs.insert(key, log);
            if found? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The file of `object` in `tree`, looked for in partition `package` first,
    /// as [`Finder::locate`] does.
    ///
    /// Every entry of an environment is looked up in the same few trees (its own
    /// tip's, the catalog commits'): the directories above the partitions are
    /// read once per run, not once per entry (libgit2 keeps no tree, and a store's
    /// directory lists every package).
    pub fn locate(
        &mut self,
        tree: Oid,
        object: &ObjectRef,
        package: &str,
    ) -> Result<Option<Located>, GitError> {
        match self.locate_in_partition(tree, object, package)? {
            Some(located) => Ok(Some(located)),
            None => Finder::new(self.git, tree).locate(object, Some(package)),
        }
    }

    /// The file of `object` in `tree`, in partition `package` only.
    fn locate_in_partition(
        &mut self,
        tree: Oid,
        object: &ObjectRef,
        package: &str,
    ) -> Result<Option<Located>, GitError> {
        let mut dir = Some(tree);
        for name in [OBJECTS_DIR, object.store.as_str(), package] {
            dir = match dir {
                Some(id) => self.child_tree(id, name)?,
                None => None,
            };
        }
        if let Some(partition) = dir {
            for format in [Format::Json, Format::Toml] {
                let name = format!("{}.{}", object.hash, format.extension());
                if let Some(entry) = self.git.entry(partition, &name)?
                    && entry.kind == TreeEntryKind::File
                {
                    return Ok(Some(Located {
                        path: ObjectPath {
                            store: object.store.clone(),
                            partition: package.to_owned(),
                            hash: object.hash,
                            format,
                        },
                        blob: entry.id,
                    }));
                }
            }
        }
        Ok(None)
    }

    /// The directory `name` directly inside the tree `id`.
    fn child_tree(&mut self, id: Oid, name: &str) -> Result<Option<Oid>, GitError> {
        if !self.trees.contains_key(&id) {
            let entries = self.git.list_dir(id, "")?;
            self.trees.insert(id, entries);
        }
        Ok(self.trees.get(&id).and_then(|entries| {
            entries
                .iter()
                .find(|entry| entry.name == name && entry.kind == TreeEntryKind::Tree)
                .map(|entry| entry.id)
        }))
    }

    /// The hash of a blob's data, or `None` if it does not parse.
    fn hash_of(&mut self, blob: Oid, format: Format) -> Result<Option<ObjectHash>, GitError> {
        if let Some(known) = self.hashes.get(&(blob, format)) {
            return Ok(*known);
        }
        let bytes = self.git.blob(blob)?;
        let hash = document::parse(&bytes, format)
            .ok()
            .map(|data| ObjectHash::of(&data));
        self.hashes.insert((blob, format), hash);
        Ok(hash)
    }

    /// The commits where a shallow clone's history stops, read once.
    fn shallow(&mut self) -> Result<&HashSet<Oid>, GitError> {
        if self.shallow.is_none() {
            self.shallow = Some(self.git.shallow_boundary()?);
        }
        Ok(self.shallow.get_or_insert_with(HashSet::new))
    }
}

impl Log {
    fn from(tip: Oid) -> Log {
        Log {
            next: Some(tip),
            ..Log::default()
        }
    }

    /// Walks on until `target` is seen or the log ends.
    fn walk_to(&mut self, provenance: &mut Provenance<'_>, target: Oid) -> Result<bool, EnvError> {
        if self.seen.contains(&target) {
            return Ok(true);
        }
        while let Some(id) = self.next.take() {
            let info = provenance.git.commit(id)?;
            self.seen.insert(id);
            match info.parents.first() {
                Some(&parent) => self.next = Some(parent),
                None if provenance.shallow()?.contains(&id) => self.cut = Some(id),
                None => {}
            }
            if id == target {
                return Ok(true);
            }
        }
        match self.cut {
            Some(cut) => Err(ShallowHistory::before(cut).into()),
            None => Ok(false),
        }
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

/// An environment commit's state; empty when it cannot be read (the audit
/// reports an unreadable state where it matters).
pub fn state_of(git: &Git, refname: &str, info: &CommitInfo) -> Result<State, EnvError> {
    match read_state(git, refname, info) {
        Ok(state) => Ok(state),
        Err(EnvError::Git(error)) => Err(error.into()),
        Err(_) => Ok(State::default()),
    }
}

/// The packages whose entries a commit changed from its first parent.
pub fn changed(git: &Git, refname: &str, commit: &EnvCommit) -> Result<Vec<String>, EnvError> {
    let after = state_of(git, refname, &commit.info)?;
    let before = match commit.first_parent()? {
        Some(parent) => state_of(git, refname, &git.commit(parent)?)?,
        None => State::default(),
    };
    let mut packages: Vec<String> = after
        .packages
        .iter()
        .filter(|(package, entry)| before.packages.get(*package) != Some(*entry))
        .map(|(package, _)| package.clone())
        .collect();
    packages.extend(
        before
            .packages
            .keys()
            .filter(|package| !after.packages.contains_key(*package))
            .cloned(),
    );
    Ok(packages)
}

//! What a pull request is into: the catalog, or an environment branch. `berth
//! check` and `berth review` take the base and the head of whatever branch a
//! pull request targets and tell which from the base (DESIGN.md section 8).
//!
//! - **The rule.** A catalog commit has a berth.toml at its root; an environment
//!   commit has a state.toml and no berth.toml (section 3). A base whose tree is
//!   an environment commit's makes the pull request one into that environment;
//!   any other base is a catalog revision, as before.
//! - **Which environment.** The one whose branch the base names as a ref: its
//!   own (`env/staging`) or a remote's copy (`origin/env/staging`). A base given
//!   otherwise (a commit id, `HEAD~1`) belongs to the one environment whose log
//!   (the first parents of its own ref and of its remote-tracking ref) holds it;
//!   none, or several, is refused ([`PullRequestError::WhichEnvironment`]).
//! - **The catalog** it is judged by (berth.toml, the kinds, the catalog commits
//!   promotions come from) is the catalog branch as the remote has it
//!   (`refs/remotes/<remote>/<catalog>`), else the local branch: a checkout of
//!   the environment's branch has no berth.toml. The remote is the base's own
//!   (`origin` for `origin/env/staging`), else the one given. The branch is the
//!   one berth.toml names (`[repo] catalog`) as of the newest catalog commit the
//!   environment's history reaches (a promotion's source), else `main`.
//! - **The head** must be a commit of an environment too.
//!
//! Environments' commits named besides (`--env-base`, `--env-head`) are resolved
//! here too, for the review and for the audit of `berth check`.

use super::EnvError;
use super::log::first_parents;
use super::state::STATE_FILE;
use crate::kinds::Kinds;
use crate::repo::{BadRevision, FilesError, Git, GitError, GitFiles, Oid};
use crate::settings::{self, LoadError, Settings, tracking_ref};

/// How many commits the search for a catalog commit behind an environment's
/// history looks at before it settles for the default catalog branch.
const CATALOG_SEARCH: usize = 10_000;

/// What a pull request is into.
pub enum Target {
    /// The catalog: the base is a catalog revision.
    Catalog,
    /// An environment: the base is one of its commits.
    Environment(Box<IntoEnvironment>),
}

/// A pull request into an environment, with the catalog it is judged by.
pub struct IntoEnvironment {
    /// The environment's commit before: the base.
    pub base: EnvRevision,
    /// Its commit after: the head.
    pub head: EnvRevision,
    /// The catalog branch read, by its full ref name
    /// (`refs/remotes/origin/main`).
    pub catalog_ref: String,
    /// Its commit.
    pub catalog: Oid,
    /// Its files.
    pub files: GitFiles,
    /// Its berth.toml.
    pub settings: Settings,
    /// Its kinds.
    pub kinds: Kinds,
}

impl IntoEnvironment {
    /// The environment.
    pub fn environment(&self) -> &str {
        &self.base.environment
    }
}

/// A commit of an environment, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRevision {
    /// The environment.
    pub environment: String,
    /// The revision as given: how findings name it.
    pub revision: String,
    /// The commit.
    pub commit: Oid,
}

/// Why a pull request's base or the environments' commits could not be told.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PullRequestError {
    /// A revision names no commit.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Revision(#[from] BadRevision),
    /// git failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Git(#[from] GitError),
    /// The catalog's files could not be listed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Files(#[from] FilesError),
    /// An environment's log could not be walked.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// The catalog's berth.toml, or a schema it names, cannot be loaded.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Settings(#[from] LoadError),
    /// An environment's commit is named for an environment berth.toml does not
    /// have.
    #[error("`{name}` is not an environment in berth.toml")]
    #[diagnostic(
        code("berth::unknown-environment"),
        help("the environments are: {}", known.join(", "))
    )]
    UnknownEnvironment {
        /// The name given.
        name: String,
        /// The environments berth.toml names.
        known: Vec<String>,
    },
    /// A revision given as an environment's commit is not one.
    #[error("`{revision}` is not a commit of {environment}: {why}")]
    #[diagnostic(
        code("berth::not-environment"),
        help(
            "name a commit of {environment}'s branch, such as env/{environment} or origin/env/{environment}"
        )
    )]
    NotEnvironment {
        /// The environment it was given for.
        environment: String,
        /// The revision given.
        revision: String,
        /// What its tree has instead.
        why: String,
    },
    /// The base is an environment's commit, but which environment's cannot be
    /// told.
    #[error(
        "`{revision}` is a commit of an environment (a state.toml and no berth.toml), but which one cannot be told: {}",
        on_logs(found)
    )]
    #[diagnostic(
        code("berth::ambiguous-environment"),
        help(
            "give the base as the branch the pull request is into, such as origin/env/staging: its name says the environment"
        )
    )]
    WhichEnvironment {
        /// The base as given.
        revision: String,
        /// The environments whose logs hold it.
        found: Vec<String>,
    },
    /// The catalog an environment's pull request is judged by is not here.
    #[error(
        "`{base}` is a commit of an environment, and a pull request into one is judged by the catalog, but neither `{tracking}` nor `refs/heads/{catalog}` is in this repository"
    )]
    #[diagnostic(
        code("berth::no-catalog"),
        help(
            "fetch the catalog branch beside the environments (`git fetch {remote} '+refs/heads/{catalog}:{tracking}'`) and run the command again"
        )
    )]
    NoCatalog {
        /// The base as given.
        base: String,
        /// The catalog branch looked for.
        catalog: String,
        /// The remote it was looked for on.
        remote: String,
        /// Its remote-tracking ref.
        tracking: String,
    },
    /// Environments' commits were named besides a base that already makes the
    /// pull request one into an environment.
    #[error(
        "`{base}` is a commit of {environment}, which makes this a pull request into {environment}: its commits before and after are the base and the head, and no other environment's commits are taken"
    )]
    #[diagnostic(
        code("berth::env-pull-request-flags"),
        help(
            "leave the environments' commits out, or give a catalog revision as the base to name them"
        )
    )]
    NamedBesides {
        /// The base as given.
        base: String,
        /// The environment it is a commit of.
        environment: String,
    },
}

/// How the environments holding a commit read in a sentence.
fn on_logs(found: &[String]) -> String {
    match found {
        [] => "no environment's log in berth.toml holds it".to_owned(),
        found => format!("it is on the logs of {}", found.join(" and ")),
    }
}

/// What a commit's tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TreeKind {
    /// It has a berth.toml: a catalog commit.
    Catalog,
    /// It has a state.toml and no berth.toml: an environment commit.
    Environment,
    /// Neither: no berth commit at all.
    Neither,
}

impl TreeKind {
    fn of(has_settings: bool, has_state: bool) -> TreeKind {
        match (has_settings, has_state) {
            (true, _) => TreeKind::Catalog,
            (false, true) => TreeKind::Environment,
            (false, false) => TreeKind::Neither,
        }
    }

    fn read(git: &Git, tree: Oid) -> Result<TreeKind, GitError> {
        Ok(TreeKind::of(
            git.entry(tree, settings::FILE)?.is_some(),
            git.entry(tree, STATE_FILE)?.is_some(),
        ))
    }
}

/// Tells what a pull request from `head` into `base` is into (see the module's
/// documentation). `remote` is the remote to read the catalog from when the
/// base names none; `None` takes berth.toml's.
pub fn target(
    git: &Git,
    base: &str,
    head: &str,
    remote: Option<&str>,
) -> Result<Target, PullRequestError> {
    let base_commit = git.resolve_commit(base)?;
    let base_tree = git.commit(base_commit)?.tree;
    if TreeKind::read(git, base_tree)? != TreeKind::Environment {
        return Ok(Target::Catalog);
    }
    let head_commit = git.resolve_commit(head)?;
    let base_ref = git.ref_named(base)?;
    let named_remote = base_ref
        .as_deref()
        .and_then(|refname| git.remote_of(refname));
    let (settings, catalog_ref, catalog, files) =
        catalog_for(git, base, &[head_commit, base_commit], named_remote, remote)?;
    let named = base_ref
        .as_deref()
        .and_then(|refname| named_by_ref(&settings, refname));
    let found = match named {
        Some(_) => Vec::new(),
        None => holding(git, &settings, remote, base_commit)?,
    };
    let environment = decide(named.as_deref(), &found)
        .ok_or_else(|| PullRequestError::WhichEnvironment {
            revision: base.to_owned(),
            found: found.clone(),
        })?
        .to_owned();
    let head_tree = git.commit(head_commit)?.tree;
    let head_kind = TreeKind::read(git, head_tree)?;
    if head_kind != TreeKind::Environment {
        return Err(not_environment(&environment, head, head_kind));
    }
    let kinds = Kinds::load(&settings, &files)?;
    Ok(Target::Environment(Box::new(IntoEnvironment {
        base: EnvRevision {
            environment: environment.clone(),
            revision: base.to_owned(),
            commit: base_commit,
        },
        head: EnvRevision {
            environment,
            revision: head.to_owned(),
            commit: head_commit,
        },
        catalog_ref,
        catalog,
        files,
        settings,
        kinds,
    })))
}

/// The catalog a pull request into an environment is judged by: berth.toml,
/// the ref read, its commit and its files.
fn catalog_for(
    git: &Git,
    base: &str,
    tips: &[Oid],
    named_remote: Option<String>,
    remote: Option<&str>,
) -> Result<(Settings, String, Oid, GitFiles), PullRequestError> {
    // berth.toml as of the newest catalog commit behind the environment says
    // which branch the catalog is and which remote shares it.
    let behind = git.newest_ancestor(tips, CATALOG_SEARCH, |_, tree| {
        Ok(TreeKind::read(git, tree)? == TreeKind::Catalog)
    })?;
    let hint = match behind {
        Some(commit) => git
            .read_file(git.commit(commit)?.tree, settings::FILE)?
            .and_then(|(_, bytes)| String::from_utf8(bytes).ok())
            .and_then(|text| Settings::parse(&text).ok()),
        None => None,
    };
    let defaults = Settings::parse("").ok();
    let said = hint.as_ref().or(defaults.as_ref());
    let catalog = said.map_or("main", Settings::catalog).to_owned();
    let remote = named_remote
        .or_else(|| remote.map(str::to_owned))
        .unwrap_or_else(|| said.map_or("origin", Settings::remote).to_owned());
    let tracking = format!("refs/remotes/{remote}/{catalog}");
    let local = format!("refs/heads/{catalog}");
    let (refname, commit) = match (git.ref_target(&tracking)?, git.ref_target(&local)?) {
        (Some(commit), _) => (tracking, commit),
        (None, Some(commit)) => (local, commit),
        (None, None) => {
            return Err(PullRequestError::NoCatalog {
                base: base.to_owned(),
                catalog,
                remote,
                tracking,
            });
        }
    };
    let files = git.files_at(&refname)?;
    let settings = Settings::load(&files)?;
    Ok((settings, refname, commit, files))
}

/// The environment whose branch `refname` is, or a remote's copy of it.
fn named_by_ref(settings: &Settings, refname: &str) -> Option<String> {
    settings
        .environment_order()
        .into_iter()
        .find(|name| {
            let own = settings.env_ref(name);
            refname == own
                || own.strip_prefix("refs/heads/").is_some_and(|branch| {
                    refname
                        .strip_prefix("refs/remotes/")
                        .and_then(|rest| rest.strip_suffix(branch))
                        .and_then(|remote| remote.strip_suffix('/'))
                        .is_some_and(|remote| !remote.is_empty())
                })
        })
        .map(str::to_owned)
}

/// The environments whose logs hold `commit`: the first parents of their own
/// refs and of their remote-tracking refs.
fn holding(
    git: &Git,
    settings: &Settings,
    remote: Option<&str>,
    commit: Oid,
) -> Result<Vec<String>, PullRequestError> {
    let remote = remote.unwrap_or(settings.remote());
    let mut found = Vec::new();
    for name in settings.environment_order() {
        let own = settings.env_ref(name);
        let refs = [Some(own.clone()), tracking_ref(&own, remote)];
        let mut held = false;
        for refname in refs.iter().flatten() {
            let Some(tip) = git.ref_target(refname)? else {
                continue;
            };
            for logged in first_parents(git, Some(tip)) {
                if logged?.info.id == commit {
                    held = true;
                    break;
                }
            }
            if held {
                break;
            }
        }
        if held {
            found.push(name.to_owned());
        }
    }
    Ok(found)
}

/// Which environment a pull request is into: the one the base's ref names,
/// else the only one whose log holds the base.
fn decide<'a>(named: Option<&'a str>, found: &'a [String]) -> Option<&'a str> {
    match (named, found) {
        (Some(named), _) => Some(named),
        (None, [only]) => Some(only),
        (None, _) => None,
    }
}

/// A revision given for `environment` whose tree is not an environment
/// commit's.
fn not_environment(environment: &str, revision: &str, kind: TreeKind) -> PullRequestError {
    let why = match kind {
        TreeKind::Catalog => "it has a berth.toml, so it is a catalog commit",
        TreeKind::Environment | TreeKind::Neither => "it has no state.toml",
    };
    PullRequestError::NotEnvironment {
        environment: environment.to_owned(),
        revision: revision.to_owned(),
        why: why.to_owned(),
    }
}

/// Resolves environments' commits named as `(environment, revision)`: each
/// environment must be in berth.toml and each revision one of an environment's
/// commits. The last one named for an environment counts.
pub fn resolve_given(
    git: &Git,
    settings: &Settings,
    given: &[(String, String)],
) -> Result<Vec<EnvRevision>, PullRequestError> {
    let mut resolved: Vec<EnvRevision> = Vec::new();
    for (name, revision) in given {
        if settings.environment(name).is_none() {
            return Err(PullRequestError::UnknownEnvironment {
                name: name.clone(),
                known: settings
                    .environment_order()
                    .iter()
                    .map(|name| (*name).to_owned())
                    .collect(),
            });
        }
        let commit = git.resolve_commit(revision)?;
        let kind = TreeKind::read(git, git.commit(commit)?.tree)?;
        if kind != TreeKind::Environment {
            return Err(not_environment(name, revision, kind));
        }
        resolved.retain(|earlier| earlier.environment != *name);
        resolved.push(EnvRevision {
            environment: name.clone(),
            revision: revision.clone(),
            commit,
        });
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_is_told_by_its_files() {
        let cases = [
            (true, false, TreeKind::Catalog),
            (true, true, TreeKind::Catalog),
            (false, true, TreeKind::Environment),
            (false, false, TreeKind::Neither),
        ];
        for (settings, state, kind) in cases {
            assert_eq!(TreeKind::of(settings, state), kind, "{settings} {state}");
        }
    }

    #[test]
    fn the_environment_is_the_refs_else_the_only_log_holding_the_base() {
        let logs = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
        let cases: [(Option<&str>, Vec<String>, Option<&str>); 5] = [
            (Some("staging"), logs(&[]), Some("staging")),
            (Some("staging"), logs(&["dev"]), Some("staging")),
            (None, logs(&["dev"]), Some("dev")),
            (None, logs(&[]), None),
            (None, logs(&["dev", "staging"]), None),
        ];
        for (named, found, expected) in &cases {
            assert_eq!(decide(*named, found), *expected, "{named:?} {found:?}");
        }
    }

    #[test]
    fn a_ref_names_an_environment_by_its_branch_or_a_remotes_copy() {
        let settings =
            Settings::parse("[environments.dev]\n[environments.staging]\nfrom = [\"dev\"]\n")
                .unwrap();
        let cases = [
            ("refs/heads/env/staging", Some("staging")),
            ("refs/remotes/origin/env/staging", Some("staging")),
            ("refs/remotes/up/stream/env/dev", Some("dev")),
            ("refs/remotes/env/dev", None),
            ("refs/heads/env/production", None),
            ("refs/heads/main", None),
            ("refs/heads/env/staging-old", None),
            ("refs/tags/env/dev", None),
        ];
        for (refname, expected) in cases {
            assert_eq!(
                named_by_ref(&settings, refname).as_deref(),
                expected,
                "{refname}"
            );
        }
        let outside =
            Settings::parse("[repo]\nenv_ref_prefix = \"refs/berth/env/\"\n[environments.dev]\n")
                .unwrap();
        assert_eq!(
            named_by_ref(&outside, "refs/berth/env/dev").as_deref(),
            Some("dev")
        );
        assert_eq!(named_by_ref(&outside, "refs/remotes/origin/dev"), None);
    }
}

//! Planning: for each package, the object it gets and the commit it comes from,
//! from the catalog, an upstream environment or the environment's own history.

use super::{Plan, PromoteError, PromoteRequest, Sources, not_an_env_commit};
use crate::env::log::{Action, EnvCommit, first_parents};
use crate::env::objects::{Finder, Located};
use crate::env::state::{STATE_FILE, State};
use crate::env::{EnvError, PackageAt, section};
use crate::objects::lookup::{self, LookupError, ObjectSpec};
use crate::repo::{Git, Oid, ShallowHistory};
use crate::settings::EnvironmentSection;
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};
use crate::workspace::Workspace;

pub(super) fn sources(
    environment: &str,
    target: &EnvironmentSection,
    from: Option<&str>,
) -> Result<Sources, PromoteError> {
    match (target.from.is_empty(), from) {
        (true, None) => Ok(Sources::Catalog),
        (true, Some(from)) => Err(PromoteError::PromotionPath {
            object: "anything".to_owned(),
            environment: environment.to_owned(),
            reason: format!("{environment} receives from the catalog, not from {from}"),
            help: format!(
                "promote into {environment} without `--from`, or add `from = [\"{from}\"]` to [environments.{environment}]"
            ),
        }),
        (false, Some(from)) if !target.from.iter().any(|s| s == from) => {
            Err(PromoteError::PromotionPath {
                object: "anything".to_owned(),
                environment: environment.to_owned(),
                reason: format!(
                    "{environment} receives only from {}, not from {from}",
                    target.from.join(", ")
                ),
                help: format!("promote through {} first", target.from.join(" or ")),
            })
        }
        (false, Some(from)) => Ok(Sources::Environments(vec![from.to_owned()])),
        (false, None) => Ok(Sources::Environments(target.from.clone())),
    }
}

pub(super) fn check_tags(tags: &[String]) -> Result<Vec<String>, PromoteError> {
    for tag in tags {
        let bad = |reason: &str| PromoteError::BadTag {
            tag: tag.clone(),
            reason: reason.to_owned(),
        };
        if tag.is_empty() || tag.len() > 128 {
            return Err(bad("is empty or longer than 128 characters"));
        }
        if !tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._:/-".contains(&b))
        {
            return Err(bad("has characters other than letters, digits and `._:/-`"));
        }
        if tag.starts_with("pkg:") || tag.starts_with("env:") {
            return Err(bad("is set by berth itself"));
        }
    }
    Ok(tags.to_vec())
}

/// The tags of an entry: the kind's own, `env:<environment>`, then those given.
fn entry_tags(
    workspace: &Workspace,
    environment: &str,
    object: &ObjectRef,
    package: &str,
    extra: &[String],
) -> Vec<String> {
    let mut tags: Vec<String> = workspace
        .kinds
        .held(&object.store)
        .map(|kind| kind.tags(package))
        .unwrap_or_default();
    tags.push(format!("env:{environment}"));
    tags.extend(extra.iter().cloned());
    tags.sort();
    tags.dedup();
    tags
}

pub(super) fn plan_all(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    sources: &Sources,
    base: &State,
    tags: &[String],
) -> Result<Vec<Plan>, PromoteError> {
    let source = match sources {
        Sources::Catalog => {
            return Err(PromoteError::NoSource {
                environment: request.to.to_owned(),
                reason: "receives from the catalog, which holds many objects per package"
                    .to_owned(),
            });
        }
        Sources::Environments(list) => match list.as_slice() {
            [only] => only.clone(),
            _ => {
                return Err(PromoteError::NoSource {
                    environment: request.to.to_owned(),
                    reason: format!("receives from {}", list.join(" and ")),
                });
            }
        },
    };
    let view = crate::env::read(&workspace.git, &workspace.settings, &source, None)?;
    let mut plans = Vec::new();
    for (package, entry) in &view.state.packages {
        let differs = base
            .packages
            .get(package)
            .is_none_or(|held| held.object != entry.object);
        if differs {
            let at = PackageAt {
                package: package.clone(),
                environment: source.clone(),
            };
            plans.push(plan_held(workspace, request, &at, tags)?);
        }
    }
    Ok(plans)
}

pub(super) fn plan_target(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    sources: &Sources,
    text: &str,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    if text.contains('@') {
        let at: PackageAt = text.parse()?;
        section(&workspace.settings, &at.environment)?;
        let allowed = match sources {
            Sources::Catalog => false,
            Sources::Environments(list) => list.contains(&at.environment),
        };
        if !allowed {
            let (reason, help) = match sources {
                Sources::Catalog => (
                    format!(
                        "{} receives from the catalog, not from {}",
                        request.to, at.environment
                    ),
                    "promote an object from the catalog by <store>/<hash>".to_owned(),
                ),
                Sources::Environments(list) => (
                    format!("{} receives only from {}", request.to, list.join(", ")),
                    format!("promote through {} first", list.join(" or ")),
                ),
            };
            return Err(PromoteError::PromotionPath {
                object: text.to_owned(),
                environment: request.to.to_owned(),
                reason,
                help,
            });
        }
        return plan_held(workspace, request, &at, tags);
    }
    let spec: ObjectSpec = text.parse()?;
    match sources {
        Sources::Catalog => plan_from_catalog(workspace, request, &spec, tags),
        Sources::Environments(list) => {
            for source in list {
                if let Some(commit) = find_in_history(workspace, source, &spec)? {
                    return plan_from_commit(workspace, request, source, commit, tags);
                }
            }
            // Never held upstream: either it exists and skipped a step, or it
            // does not exist at all.
            let object = match catalog_lookup(workspace, &spec) {
                Ok((located, _)) => located.path.object_ref().to_string(),
                Err(PromoteError::NotFound { .. }) => {
                    return Err(PromoteError::NotFound {
                        spec: spec.to_string(),
                        place: format!("in the history of {} or on the catalog", list.join(", ")),
                        help: "`berth ls` lists the objects; `berth history <package>@<env>` what an environment held".to_owned(),
                    });
                }
                Err(other) => return Err(other),
            };
            Err(PromoteError::PromotionPath {
                reason: format!(
                    "it has never been held by {}, which {} receives from",
                    list.join(" or "),
                    request.to
                ),
                help: format!(
                    "promote it to {first} first: berth promote {object} --to {first}",
                    first = list.first().map(String::as_str).unwrap_or_default()
                ),
                object,
                environment: request.to.to_owned(),
            })
        }
    }
}

/// Plans promoting what `at.environment` holds for `at.package` now.
fn plan_held(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    at: &PackageAt,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let git = &workspace.git;
    let view = crate::env::read(git, &workspace.settings, &at.environment, None)?;
    let Some(object) = view.state.object(&at.package) else {
        return Err(EnvError::NotHeld {
            package: at.package.clone(),
            environment: at.environment.clone(),
            at: None,
        }
        .into());
    };
    let tip = view.commit.as_ref().map(|c| c.id);
    for commit in first_parents(git, tip) {
        let commit = commit?;
        if commit.sets(&at.package) && commit.object.as_deref() == Some(object.to_string().as_str())
        {
            return plan_from_commit(workspace, request, &at.environment, commit, tags);
        }
    }
    Err(PromoteError::Env(EnvError::bad_state(
        &view.refname,
        tip.map(|id| id.to_string()).unwrap_or_default(),
        format!("no commit in its log set `{}` to {object}", at.package),
        (STATE_FILE, view.state.to_toml()),
        None,
    )))
}

/// The newest commit of `environment` that set some package to an object matching
/// `spec`, refusing a prefix that matches several objects.
fn find_in_history(
    workspace: &Workspace,
    environment: &str,
    spec: &ObjectSpec,
) -> Result<Option<EnvCommit>, PromoteError> {
    let git = &workspace.git;
    let tip = git.ref_target(&workspace.settings.env_ref(environment))?;
    let full = spec.prefix.len() == 64;
    let mut found: Vec<EnvCommit> = Vec::new();
    for commit in first_parents(git, tip) {
        let commit = commit?;
        if !matches!(commit.action, Some(Action::Promote | Action::Rollback)) {
            continue;
        }
        let Some(object) = commit
            .object
            .as_deref()
            .and_then(|o| o.parse::<ObjectRef>().ok())
        else {
            continue;
        };
        let matches = spec
            .store
            .as_ref()
            .is_none_or(|store| *store == object.store)
            && object.hash.to_hex().starts_with(&spec.prefix);
        if matches && !found.iter().any(|c| c.object == commit.object) {
            found.push(commit);
            if full {
                break;
            }
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(LookupError::Ambiguous {
            spec: spec.to_string(),
            candidates: found.iter().filter_map(|c| c.object.clone()).collect(),
        }
        .into()),
    }
}

fn plan_from_commit(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    source: &str,
    commit: EnvCommit,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let refname = workspace.settings.env_ref(source);
    let (Some(package), Some(object)) = (
        commit.package.clone(),
        commit
            .object
            .as_deref()
            .and_then(|o| o.parse::<ObjectRef>().ok()),
    ) else {
        return Err(not_an_env_commit(&refname, &commit));
    };
    let located = Finder::new(&workspace.git, commit.info.tree)
        .locate(&object, Some(&package))?
        .ok_or_else(|| PromoteError::NotFound {
            spec: object.to_string(),
            place: format!("in {source}'s commit {}", commit.info.id),
            help: format!(
                "{source}'s commit does not carry the object it names; `git show {}` shows what it holds",
                commit.info.id
            ),
        })?;
    promotable(workspace, &object)?;
    Ok(Plan {
        tags: entry_tags(workspace, request.to, &object, &package, tags),
        package,
        object,
        located,
        source_tree: commit.info.tree,
        source_commit: commit.info.id,
        from: source.to_owned(),
        action: Action::Promote,
    })
}

fn promotable(workspace: &Workspace, object: &ObjectRef) -> Result<(), PromoteError> {
    match workspace.kinds.held(&object.store) {
        Some(kind) if kind.promotable() => Ok(()),
        _ => Err(PromoteError::NotPromotable {
            object: object.to_string(),
            store: object.store.clone(),
        }),
    }
}

pub(super) fn catalog_ref(workspace: &Workspace) -> String {
    format!("refs/heads/{}", workspace.settings.catalog())
}

/// Finds an object on the catalog branch's tip: the object and the tip.
fn catalog_lookup(
    workspace: &Workspace,
    spec: &ObjectSpec,
) -> Result<(Located, Oid), PromoteError> {
    let git = &workspace.git;
    let catalog = workspace.settings.catalog();
    let not_found = |help: String| PromoteError::NotFound {
        spec: spec.to_string(),
        place: format!("on the catalog branch `{catalog}`"),
        help,
    };
    let Some(tip) = git.ref_target(&catalog_ref(workspace))? else {
        return Err(not_found(format!(
            "the catalog branch `{catalog}` has no commits; commit objects with `berth put --commit`"
        )));
    };
    let tree = git.commit(tip)?.tree;
    let stores: Vec<String> = match &spec.store {
        Some(store) => vec![store.clone()],
        None => workspace.kinds.held_names(),
    };
    let mut matches: Vec<Located> = Vec::new();
    if spec.prefix.len() == 64 {
        let finder = Finder::with_workdir(git, tree, workspace.root());
        for store in &stores {
            let object = format!("{store}/{}", spec.prefix);
            if let Ok(object) = object.parse::<ObjectRef>()
                && let Some(located) = finder.locate(&object, None)?
            {
                matches.push(located);
            }
        }
    } else {
        for store in &stores {
            for (path, blob) in git.list_files(tree, &format!("{OBJECTS_DIR}/{store}"))? {
                let name = path.rsplit('/').next().unwrap_or_default();
                if !name.starts_with(&spec.prefix) {
                    continue;
                }
                if let Ok(path) = ObjectPath::parse(&path)
                    && !matches
                        .iter()
                        .any(|m| m.path.object_ref() == path.object_ref())
                {
                    matches.push(Located { path, blob });
                }
            }
        }
    }
    match matches.len() {
        0 => {
            let uncommitted = lookup::find(workspace, spec).is_ok();
            Err(not_found(if uncommitted {
                format!(
                    "it is in the working tree but not committed on `{catalog}`; commit it first (`berth put --commit`, or git commit)"
                )
            } else {
                "`berth ls` lists the objects".to_owned()
            }))
        }
        1 => Ok((matches.remove(0), tip)),
        _ => Err(LookupError::Ambiguous {
            spec: spec.to_string(),
            candidates: matches
                .iter()
                .map(|m| m.path.object_ref().to_string())
                .collect(),
        }
        .into()),
    }
}

fn plan_from_catalog(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    spec: &ObjectSpec,
    tags: &[String],
) -> Result<Plan, PromoteError> {
    let git = &workspace.git;
    let (located, tip) = catalog_lookup(workspace, spec)?;
    let object = located.path.object_ref();
    promotable(workspace, &object)?;
    let source_commit = adding_commit(git, tip, &located)?;
    let package = located.path.partition.clone();
    Ok(Plan {
        tags: entry_tags(workspace, request.to, &object, &package, tags),
        package,
        object,
        source_tree: git.commit(source_commit)?.tree,
        located,
        source_commit,
        from: workspace.settings.catalog().to_owned(),
        action: Action::Promote,
    })
}

/// The commit that added an object's file, following the parents that already
/// had the same file, as `git log -- <path>` simplifies history.
///
/// In a shallow clone, a walk that reaches the commit where the history was cut
/// cannot tell whether an earlier commit added the file: that is refused.
fn adding_commit(git: &Git, tip: Oid, located: &Located) -> Result<Oid, EnvError> {
    let path = located.path.path();
    let mut current = git.commit(tip)?;
    'walk: loop {
        for parent in &current.parents {
            let parent = git.commit(*parent)?;
            if git.entry(parent.tree, &path)?.map(|entry| entry.id) == Some(located.blob) {
                current = parent;
                continue 'walk;
            }
        }
        if current.parents.is_empty() && git.shallow_boundary()?.contains(&current.id) {
            return Err(ShallowHistory::before(current.id).into());
        }
        return Ok(current.id);
    }
}

//! Planning: for each package, the object it gets and the commit it comes from,
//! from the catalog, an upstream environment or the environment's own history.
//!
//! What is read (environments, their logs, the catalog) is read here; what is
//! decided from it is decided by pure functions: where an environment may take
//! objects from (`sources`, `may_take_held`, `single_source`), which
//! packages `--all` moves (`differing`), which objects a spec names in a log
//! (`names_object`), and an entry's tags (`entry_tags`).

use super::{Plan, PromoteError, PromoteRequest, Sources, not_an_env_commit};
use crate::env::log::{Action, EnvCommit, first_parents, standing_commits};
use crate::env::objects::{Finder, Located};
use crate::env::state::{STATE_FILE, State};
use crate::env::{EnvError, PackageAt, section};
use crate::objects::lookup::{self, LookupError, ObjectSpec};
use crate::repo::{Git, Oid, ShallowHistory, short_id};
use crate::settings::EnvironmentSection;
use crate::store::{OBJECTS_DIR, ObjectPath, ObjectRef};
use crate::workspace::Workspace;

/// Where `environment` may take objects from: the catalog when it names no
/// `from`, else the environments it names, or the one `--from` picks among them.
/// A promotion that skips the path takes from the catalog, or from whichever
/// environment `--from` names.
pub(super) fn sources(
    environment: &str,
    target: &EnvironmentSection,
    from: Option<&str>,
    skip_path: bool,
) -> Result<Sources, PromoteError> {
    if skip_path {
        return Ok(match from {
            Some(from) => Sources::Environments(vec![from.to_owned()]),
            None => Sources::Catalog,
        });
    }
    match (target.from.is_empty(), from) {
        (true, None) => Ok(Sources::Catalog),
        (true, Some(from)) => Err(PromoteError::PromotionPath {
            first: None,
            object: "anything".to_owned(),
            environment: environment.to_owned(),
            reason: format!("{environment} receives from the catalog, not from {from}"),
            help: format!(
                "promote into {environment} from the catalog, or add `from = [\"{from}\"]` to [environments.{environment}]"
            ),
        }),
        (false, Some(from)) if !target.from.iter().any(|s| s == from) => {
            Err(PromoteError::PromotionPath {
                first: None,
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

/// Whether berth.toml's path lets an environment take an object from `from`
/// (the catalog branch `catalog`, or an environment): from the catalog when it
/// names no `from`, else from an environment it names. A promotion that skips
/// the path records an override only for a step that this refuses.
pub(super) fn step_allowed(target: &EnvironmentSection, catalog: &str, from: &str) -> bool {
    if target.from.is_empty() {
        from == catalog
    } else {
        target.from.iter().any(|source| source == from)
    }
}

/// The tags given with `--tag`, refused when one is malformed or is one berth
/// sets itself.
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

/// The tags of an entry: the kind's own, `env:<environment>`, then those given,
/// sorted, each once.
fn entry_tags(kind_tags: Vec<String>, environment: &str, extra: &[String]) -> Vec<String> {
    let mut tags = kind_tags;
    tags.push(format!("env:{environment}"));
    tags.extend(extra.iter().cloned());
    tags.sort();
    tags.dedup();
    tags
}

/// The tags of an entry for `object` of `package` in `environment`.
fn tags_for(
    workspace: &Workspace,
    environment: &str,
    object: &ObjectRef,
    package: &str,
    extra: &[String],
) -> Vec<String> {
    let kind_tags = workspace
        .kinds
        .held(&object.store)
        .map(|kind| kind.tags(package))
        .unwrap_or_default();
    entry_tags(kind_tags, environment, extra)
}

/// The one environment `--all` takes every package from: a target fed by the
/// catalog, or by several environments, has no single state to copy.
fn single_source<'s>(to: &str, sources: &'s Sources) -> Result<&'s str, PromoteError> {
    match sources {
        Sources::Catalog => Err(PromoteError::NoSource {
            environment: to.to_owned(),
            reason: "receives from the catalog, which holds many objects per package".to_owned(),
        }),
        Sources::Environments(list) => match list.as_slice() {
            [only] => Ok(only),
            _ => Err(PromoteError::NoSource {
                environment: to.to_owned(),
                reason: format!("receives from {}", list.join(" and ")),
            }),
        },
    }
}

/// The packages whose object in `source` is not what `base` holds: what `--all`
/// moves, in package order.
fn differing<'s>(source: &'s State, base: &State) -> Vec<&'s str> {
    source
        .packages
        .iter()
        .filter(|(package, entry)| {
            base.packages
                .get(*package)
                .is_none_or(|held| held.object != entry.object)
        })
        .map(|(package, _)| package.as_str())
        .collect()
}

pub(super) fn plan_all(
    workspace: &Workspace,
    request: &PromoteRequest<'_>,
    sources: &Sources,
    base: &State,
    tags: &[String],
) -> Result<Vec<Plan>, PromoteError> {
    let source = single_source(request.to, sources)?;
    let view = crate::env::read(&workspace.git, &workspace.settings, source, None)?;
    let mut plans = Vec::new();
    for package in differing(&view.state, base) {
        let at = PackageAt {
            package: package.to_owned(),
            environment: source.to_owned(),
        };
        plans.push(plan_held(workspace, request, &at, tags)?);
    }
    Ok(plans)
}

/// Whether `to` may take what `environment` holds (`<package>@<environment>`,
/// given as `text`): only from an environment it receives from.
fn may_take_held(
    sources: &Sources,
    to: &str,
    text: &str,
    environment: &str,
) -> Result<(), PromoteError> {
    let (reason, help) = match sources {
        Sources::Environments(list) if list.iter().any(|source| source == environment) => {
            return Ok(());
        }
        Sources::Catalog => (
            format!("{to} receives from the catalog, not from {environment}"),
            "promote an object from the catalog by <store>/<hash>".to_owned(),
        ),
        Sources::Environments(list) => (
            format!("{to} receives only from {}", list.join(", ")),
            format!("promote through {} first", list.join(" or ")),
        ),
    };
    Err(PromoteError::PromotionPath {
        first: None,
        object: text.to_owned(),
        environment: to.to_owned(),
        reason,
        help,
    })
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
        if request.skip_path.is_none() {
            may_take_held(sources, request.to, text, &at.environment)?;
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
            if request.skip_path.is_some() {
                return Err(PromoteError::NotFound {
                    spec: spec.to_string(),
                    place: format!("in the history of {}", list.join(" or ")),
                    help: "`berth history <package>@<env>` lists what an environment held; skipping the path, an object is taken from the catalog unless an environment to take it from is named".to_owned(),
                });
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
            let first = list.first().map(String::as_str).unwrap_or_default();
            Err(PromoteError::PromotionPath {
                reason: format!(
                    "it has never been held by {}, which {} receives from",
                    list.join(" or "),
                    request.to
                ),
                help: format!("promote it to {first} first"),
                first: Some(first.to_owned()),
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
    for commit in standing_commits(git, tip) {
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
        if names_object(spec, &object) && !found.iter().any(|c| c.object == commit.object) {
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

/// Whether `spec` names `object`: its store, when given, and its hash or a
/// prefix of it.
fn names_object(spec: &ObjectSpec, object: &ObjectRef) -> bool {
    spec.store
        .as_ref()
        .is_none_or(|store| *store == object.store)
        && object.hash.to_hex().starts_with(&spec.prefix)
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
            place: format!("in {source}'s commit {}", short_id(commit.info.id)),
            help: format!(
                "{source}'s commit does not carry the object it names; `git show {}` shows what it holds",
                short_id(commit.info.id)
            ),
        })?;
    promotable(workspace, &object)?;
    Ok(Plan {
        tags: tags_for(workspace, request.to, &object, &package, tags),
        package,
        object,
        located,
        source_tree: commit.info.tree,
        source_commit: commit.info.id,
        from: source.to_owned(),
        action: Action::Promote,
        override_reason: None,
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
            "the catalog branch `{catalog}` has no commits; commit objects onto it (`berth put` can commit them)"
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
                    "it is in the working tree but not committed on `{catalog}`; commit it first (git commit, or `berth put` committing it)"
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
        tags: tags_for(workspace, request.to, &object, &package, tags),
        package,
        object,
        source_tree: git.commit(source_commit)?.tree,
        located,
        source_commit,
        from: workspace.settings.catalog().to_owned(),
        action: Action::Promote,
        override_reason: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::promote::tests::{refusal, state};

    const A: &str = "version-sets/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "version-sets/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn section(from: &[&str]) -> EnvironmentSection {
        EnvironmentSection {
            from: from.iter().map(|s| (*s).to_owned()).collect(),
            ..EnvironmentSection::default()
        }
    }

    fn described(sources: &Result<Sources, PromoteError>) -> String {
        match sources {
            Ok(Sources::Catalog) => "catalog".to_owned(),
            Ok(Sources::Environments(list)) => list.join(", "),
            Err(error) => refusal(error),
        }
    }

    #[test]
    fn an_environment_receives_from_the_catalog_or_the_environments_it_names() {
        let cases = [
            ("no from: the catalog", section(&[]), None, "catalog"),
            (
                "no from, --from given",
                section(&[]),
                Some("dev"),
                "path: staging receives from the catalog, not from dev; promote into staging from the catalog, or add `from = [\"dev\"]` to [environments.staging]",
            ),
            ("one from", section(&["dev"]), None, "dev"),
            (
                "several, in order",
                section(&["dev", "qa"]),
                None,
                "dev, qa",
            ),
            (
                "--from picks one",
                section(&["dev", "qa"]),
                Some("qa"),
                "qa",
            ),
            (
                "--from names another",
                section(&["dev", "qa"]),
                Some("prod"),
                "path: staging receives only from dev, qa, not from prod; promote through dev or qa first",
            ),
        ];
        for (name, target, from, expected) in cases {
            assert_eq!(
                described(&sources("staging", &target, from, false)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn skipping_the_path_takes_from_the_catalog_or_the_environment_named() {
        let cases = [
            ("no from, nothing named", section(&[]), None, "catalog"),
            ("from, nothing named", section(&["dev"]), None, "catalog"),
            (
                "an environment not in from",
                section(&["dev"]),
                Some("qa"),
                "qa",
            ),
            ("one in from", section(&["dev", "qa"]), Some("dev"), "dev"),
        ];
        for (name, target, from, expected) in cases {
            assert_eq!(
                described(&sources("staging", &target, from, true)),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn a_step_is_allowed_from_the_catalog_or_from_an_environment_named() {
        let cases = [
            ("no from: the catalog", section(&[]), "main", true),
            ("no from: an environment", section(&[]), "dev", false),
            ("from: one named", section(&["dev", "qa"]), "qa", true),
            ("from: another", section(&["dev"]), "qa", false),
            ("from: the catalog", section(&["dev"]), "main", false),
        ];
        for (name, target, from, expected) in cases {
            assert_eq!(step_allowed(&target, "main", from), expected, "{name}");
        }
    }

    #[test]
    fn what_an_environment_holds_is_taken_only_from_one_it_receives_from() {
        let dev_qa = Sources::Environments(vec!["dev".to_owned(), "qa".to_owned()]);
        let cases = [
            ("from a source", &dev_qa, "qa", Ok(())),
            (
                "from another environment",
                &dev_qa,
                "prod",
                Err("path: staging receives only from dev, qa; promote through dev or qa first"),
            ),
            (
                "into an environment fed by the catalog",
                &Sources::Catalog,
                "dev",
                Err(
                    "path: staging receives from the catalog, not from dev; promote an object from the catalog by <store>/<hash>",
                ),
            ),
        ];
        for (name, sources, environment, expected) in cases {
            let got = may_take_held(
                sources,
                "staging",
                &format!("api@{environment}"),
                environment,
            )
            .map_err(|e| refusal(&e));
            assert_eq!(got, expected.map_err(str::to_owned), "{name}");
        }
    }

    #[test]
    fn all_takes_every_package_from_a_single_environment() {
        let one = Sources::Environments(vec!["dev".to_owned()]);
        let two = Sources::Environments(vec!["dev".to_owned(), "qa".to_owned()]);
        let cases = [
            ("one environment", &one, Ok("dev")),
            (
                "two environments",
                &two,
                Err("no source: receives from dev and qa".to_owned()),
            ),
            (
                "the catalog",
                &Sources::Catalog,
                Err(
                    "no source: receives from the catalog, which holds many objects per package"
                        .to_owned(),
                ),
            ),
        ];
        for (name, sources, expected) in cases {
            let got = single_source("staging", sources).map_err(|e| refusal(&e));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn all_moves_the_packages_whose_object_differs() {
        let cases: [(&str, State, State, &[&str]); 5] = [
            ("nothing upstream", state(&[]), state(&[("api", A)]), &[]),
            (
                "new to the target",
                state(&[("api", A)]),
                state(&[]),
                &["api"],
            ),
            (
                "the same object",
                state(&[("api", A)]),
                state(&[("api", A)]),
                &[],
            ),
            (
                "another object",
                state(&[("api", B)]),
                state(&[("api", A)]),
                &["api"],
            ),
            (
                "only what differs, in package order; what only the target holds stays",
                state(&[("web", B), ("api", B), ("db", A)]),
                state(&[("api", B), ("db", B), ("old", A)]),
                &["db", "web"],
            ),
        ];
        for (name, source, base, expected) in cases {
            assert_eq!(differing(&source, &base), expected, "{name}");
        }
    }

    #[test]
    fn tags_are_the_kinds_then_the_environment_then_those_given_sorted_once() {
        let owned = |tags: &[&str]| tags.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>();
        // What it shows, the kind's tags, those given, and the entry's.
        type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str]);
        let cases: [Case<'_>; 3] = [
            ("no extra tags", &["pkg:api"], &[], &["env:prod", "pkg:api"]),
            (
                "extra tags are sorted in",
                &["pkg:api"],
                &["team:core", "build:42"],
                &["build:42", "env:prod", "pkg:api", "team:core"],
            ),
            (
                "a repeated tag is kept once",
                &[],
                &["x", "x"],
                &["env:prod", "x"],
            ),
        ];
        for (name, kind, extra, expected) in cases {
            assert_eq!(
                entry_tags(owned(kind), "prod", &owned(extra)),
                owned(expected),
                "{name}"
            );
        }
    }

    #[test]
    fn tags_given_are_refused_when_malformed_or_berths_own() {
        let (longest, long) = ("t".repeat(128), "t".repeat(129));
        let cases = [
            ("plain", "team:core", None),
            ("path-like", "ci/build-1.2_3", None),
            ("the longest", longest.as_str(), None),
            ("empty", "", Some("is empty or longer than 128 characters")),
            (
                "too long",
                long.as_str(),
                Some("is empty or longer than 128 characters"),
            ),
            (
                "a space",
                "a b",
                Some("has characters other than letters, digits and `._:/-`"),
            ),
            (
                "not ASCII",
                "é",
                Some("has characters other than letters, digits and `._:/-`"),
            ),
            ("pkg: is berth's", "pkg:api", Some("is set by berth itself")),
            (
                "env: is berth's",
                "env:prod",
                Some("is set by berth itself"),
            ),
        ];
        for (name, tag, reason) in cases {
            let got = check_tags(&[tag.to_owned()]).map_err(|e| refusal(&e));
            let expected = match reason {
                None => Ok(vec![tag.to_owned()]),
                Some(reason) => Err(format!("bad tag `{tag}`: {reason}")),
            };
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn a_spec_names_an_object_by_store_and_hash_prefix() {
        let object: ObjectRef = A.parse().unwrap();
        let cases = [
            ("the full hash", "a".repeat(64), true),
            ("a prefix", "aaaaaaaa".to_owned(), true),
            (
                "the store and a prefix",
                "version-sets/aaaaaaaa".to_owned(),
                true,
            ),
            ("another store", "releases/aaaaaaaa".to_owned(), false),
            ("another prefix", "bbbbbbbb".to_owned(), false),
        ];
        for (name, text, expected) in cases {
            let spec: ObjectSpec = text.parse().unwrap();
            assert_eq!(names_object(&spec, &object), expected, "{name}");
        }
    }
}

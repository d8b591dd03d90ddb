//! Environment commits made by hand to look like berth's: trailers that claim a
//! promotion, and second parents that do not hold what the trailers say. `berth
//! check`, the promote and rollback guards, `berth lineage` and `berth review`
//! verify each claim against the commit's parents and trees, and believe none of
//! it (DESIGN.md section 3, "Lineage").

use berth::env::state::{Entry, State};
use git2::{FileMode, Oid};
use serde_json::Value;

use crate::support::{Put, Repo, commit_on_env_by_hand, independent_hash, version_set};

/// An object file as an environment tree holds it.
#[derive(Debug, Clone)]
pub(crate) struct Held {
    /// `<store>/<hash>`.
    object: String,
    /// Its path in the tree.
    path: String,
    /// Its blob.
    blob: String,
}

impl From<&Put> for Held {
    fn from(put: &Put) -> Held {
        Held {
            object: put.object.clone(),
            path: put.path.clone(),
            blob: put.blob.clone(),
        }
    }
}

/// A version set written as a blob only: on no branch at all.
fn loose_version_set(repo: &Repo, package: &str, n: u32) -> Held {
    let data = version_set(package, n);
    let hash = independent_hash(&data);
    let bytes = serde_json::to_string_pretty(&data).unwrap() + "\n";
    Held {
        object: format!("version-sets/{hash}"),
        path: format!("objects/version-sets/{package}/{hash}.json"),
        blob: repo.git().blob(bytes.as_bytes()).unwrap().to_string(),
    }
}

/// The trailers berth writes for a promotion or rollback.
fn trailers(action: &str, package: &str, object: &str, from: &str) -> String {
    format!(
        "{action} {package}: {}\n\nBerth-Action: {action}\nBerth-Package: {package}\nBerth-Object: {object}\nBerth-From: {from}\n",
        &object[..25]
    )
}

/// A commit made by hand, as an adversary with git would, and `env`'s ref moved to
/// it: parents `env`'s tip and `source`; the tip's tree with each `(package,
/// object file)` set in state.toml and its file added; `message`. Its id.
pub(crate) fn forge(
    repo: &Repo,
    env: &str,
    source: &str,
    sets: &[(&str, &Held)],
    message: &str,
) -> String {
    let git = repo.git();
    let tip = repo.env_tip(env).unwrap();
    let mut state = State::parse(&repo.commit(&tip).state.unwrap()).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    for (package, held) in sets {
        state.packages.insert(
            (*package).to_owned(),
            Entry {
                object: held.object.clone(),
                tags: vec![format!("env:{env}"), format!("pkg:{package}")],
                references: Vec::new(),
            },
        );
        update.upsert(
            held.path.as_str(),
            Oid::from_str(&held.blob).unwrap(),
            FileMode::Blob,
        );
    }
    let state_blob = git.blob(state.to_toml().as_bytes()).unwrap();
    update.upsert("state.toml", state_blob, FileMode::Blob);
    let tip = git.find_commit(Oid::from_str(&tip).unwrap()).unwrap();
    let tree = update.create_updated(&git, &tip.tree().unwrap()).unwrap();
    commit_on_env_by_hand(repo, env, source, tree, message)
}

fn short(id: &str) -> &str {
    &id[..12]
}

/// `berth check`'s exit code and its findings: code, file, pointer, message.
pub(crate) fn check(repo: &Repo, args: &[&str]) -> (i32, Vec<(String, String, String, String)>) {
    let mut all = vec!["check"];
    all.extend(args);
    let (code, report) = repo.json(&all);
    let text = |finding: &Value, key: &str| finding[key].as_str().unwrap_or_default().to_owned();
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                text(f, "code"),
                text(f, "file"),
                text(f, "pointer"),
                text(f, "message"),
            )
        })
        .collect();
    (code, findings)
}

/// A promotion-path finding at `package`'s entry in `env`.
fn path_finding(env: &str, package: &str, message: String) -> (String, String, String, String) {
    (
        "promotion-path".to_owned(),
        format!("refs/heads/env/{env}:state.toml"),
        format!("/packages/{package}"),
        message,
    )
}

/// `berth check` fails with exactly one finding: `promotion-path` for `package` in
/// `env`, saying `message`.
pub(crate) fn fails_check(repo: &Repo, env: &str, package: &str, message: String) {
    assert_eq!(
        check(repo, &[]),
        (1, vec![path_finding(env, package, message)])
    );
}

/// Asserts a command is refused with `code` and exit 1 (see [`support::refused`]),
/// and returns its message.
fn refused(repo: &Repo, args: &[&str], code: &str) -> String {
    let report = crate::support::refused(repo, args, 1, code);
    report["error"]["message"].as_str().unwrap().to_owned()
}

/// dev holds billing 1, promoted by berth; billing 2 is committed on a branch
/// `side` and nowhere else, and a commit made by hand on dev claims it was
/// promoted from main.
struct SideBranch {
    repo: Repo,
    legit: Put,
    side: Put,
    dev_before: String,
    forged: String,
}

fn side_branch() -> SideBranch {
    let repo = Repo::init();
    let legit = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &legit.object, "--to", "dev"]);
    let dev_before = repo.env_tip("dev").unwrap();
    repo.git_command(&["checkout", "-q", "-b", "side"]);
    let side = repo.put_version_set("billing", 2);
    repo.git_command(&["checkout", "-q", "main"]);
    let forged = forge(
        &repo,
        "dev",
        &side.commit,
        &[("billing", &Held::from(&side))],
        &trailers("promote", "billing", &side.object, "main"),
    );
    SideBranch {
        repo,
        legit,
        side,
        dev_before,
        forged,
    }
}

#[test]
fn a_promotion_from_main_whose_parent_is_only_on_another_branch_fails_check() {
    let s = side_branch();
    assert_eq!(
        check(&s.repo, &[]),
        (
            1,
            vec![path_finding(
                "dev",
                "billing",
                format!(
                    "billing was promoted by commit {} from the catalog, but its second parent {} is not on the catalog branch `main`",
                    short(&s.forged),
                    short(&s.side.commit)
                )
            )]
        )
    );
}

#[test]
fn a_promotion_from_the_commit_checked_counts_as_from_the_catalog() {
    // The branch checked becomes the catalog when it merges: what it holds may
    // be promoted already.
    let s = side_branch();
    assert_eq!(check(&s.repo, &["--head", "side"]), (0, vec![]));
    assert_eq!(check(&s.repo, &["--head", "main"]).0, 1);
}

#[test]
fn an_object_a_forged_commit_brought_is_not_promoted_onward() {
    let s = side_branch();
    for target in ["billing@dev", s.side.object.as_str()] {
        let message = refused(
            &s.repo,
            &["promote", target, "--to", "staging"],
            "berth::promotion-path",
        );
        assert_eq!(
            message,
            format!(
                "`{}` cannot go to staging: its path back to the catalog cannot be verified in dev: billing was promoted by commit {} from the catalog, but its second parent {} is not on the catalog branch `main`",
                s.side.object,
                short(&s.forged),
                short(&s.side.commit)
            ),
            "{target}"
        );
        assert_eq!(s.repo.env_tip("staging"), None, "{target}");
    }
    // What berth itself brought to dev still moves on.
    assert_eq!(s.repo.env_tip("dev").as_deref(), Some(s.forged.as_str()));
    s.repo.ok(&["promote", &s.legit.object, "--to", "dev"]);
    s.repo.ok(&["promote", "billing@dev", "--to", "staging"]);
}

#[test]
fn lineage_does_not_claim_a_catalog_origin_it_cannot_verify() {
    let s = side_branch();
    let message = refused(
        &s.repo,
        &["lineage", "billing@dev"],
        "berth::promotion-path",
    );
    assert_eq!(
        message,
        format!(
            "billing@dev cannot be traced back to the catalog: billing was promoted by commit {} from the catalog, but its second parent {} is not on the catalog branch `main`",
            short(&s.forged),
            short(&s.side.commit)
        )
    );
}

#[test]
fn review_blocks_a_forged_move_and_shows_no_catalog_origin_for_it() {
    let s = side_branch();
    let base = format!("dev={}", s.dev_before);
    let (code, review) = s
        .repo
        .json(&["review", "--base", "main", "--env-base", &base]);
    assert_eq!(code, 1, "{review:#}");
    assert_eq!(review["verdict"], "blocked");
    let moves = review["environments"][0]["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1, "{review:#}");
    assert_eq!(moves[0]["package"], "billing");
    assert_eq!(moves[0]["allowed"], false);
    let path: Vec<&str> = moves[0]["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["environment"].as_str().unwrap())
        .collect();
    assert_eq!(path, ["dev"]);
    assert_eq!(moves[0]["path"][0]["commit"], s.forged.as_str());
}

#[test]
fn a_promotion_from_main_whose_main_parent_lacks_the_object_fails_check() {
    // The case as reported: parents [env/dev, main], trailers from main, and an
    // object that is not on main at all.
    let repo = Repo::init();
    let first = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &first.object, "--to", "dev"]);
    let main = repo.tip("refs/heads/main").unwrap();
    let object = loose_version_set(&repo, "billing", 7);
    let forged = forge(
        &repo,
        "dev",
        &main,
        &[("billing", &object)],
        &trailers("promote", "billing", &object.object, "main"),
    );
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing was promoted by commit {} from the catalog, but its second parent {} has no file for `{}` in `objects/version-sets/billing/`",
            short(&forged),
            short(&main),
            object.object
        ),
    );
}

#[test]
fn a_promotion_whose_catalog_parent_holds_other_bytes_at_the_path_fails_check() {
    let repo = Repo::init();
    let first = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &first.object, "--to", "dev"]);
    // main once had a file at the object's path with other bytes, since removed:
    // the head validates, and the commit is on the catalog branch.
    let object = loose_version_set(&repo, "billing", 7);
    let other = serde_json::to_string_pretty(&version_set("billing", 8)).unwrap();
    repo.write(&object.path, &other);
    let smuggled = repo.git_commit_all("an object under another's name");
    std::fs::remove_file(repo.path().join(&object.path)).unwrap();
    repo.git_commit_all("remove it again");
    let forged = forge(
        &repo,
        "dev",
        &smuggled,
        &[("billing", &object)],
        &trailers("promote", "billing", &object.object, "main"),
    );
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing was promoted by commit {} from the catalog, but `{}` in its second parent {} holds other bytes: they do not hash to `{}`",
            short(&forged),
            object.path,
            short(&smuggled),
            object.object
        ),
    );
}

#[test]
fn a_berth_object_trailer_other_than_the_state_sets_fails_check() {
    let repo = Repo::init();
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    // The trailer and the second parent say billing 1; the state says billing 2.
    let forged = forge(
        &repo,
        "dev",
        &one.commit,
        &[("billing", &Held::from(&two))],
        &trailers("promote", "billing", &one.object, "main"),
    );
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing is `{}`, but commit {} that set it names `{}` in its Berth-Object trailer",
            two.object,
            short(&forged),
            one.object
        ),
    );
    refused(&repo, &["lineage", "billing@dev"], "berth::promotion-path");
}

#[test]
fn a_commit_that_names_one_package_but_also_sets_another_fails_check_for_that_other() {
    let repo = Repo::init();
    let [billing_1, billing_2, search]: [Put; 3] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2), ("search", 1)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &billing_1.object, "--to", "dev"]);
    // A real promotion of search, whose commit also moves billing.
    let forged = forge(
        &repo,
        "dev",
        &search.commit,
        &[
            ("search", &Held::from(&search)),
            ("billing", &Held::from(&billing_2)),
        ],
        &trailers("promote", "search", &search.object, "main"),
    );
    let subject = repo.commit(&forged).subject;
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing was set to `{}` by commit {} (\"{subject}\"), whose trailers name `search`: a berth commit sets only the package it names, so nothing shows the object came through the catalog branch `main`",
            billing_2.object,
            short(&forged)
        ),
    );
    refused(&repo, &["lineage", "billing@dev"], "berth::promotion-path");
    // search itself came from main as its commit says.
    assert_eq!(
        repo.ok(&["lineage", "search@dev"])["steps"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

/// dev and staging hold billing 1, promoted by berth; billing 2 is on main and
/// in dev's history, but was never promoted to staging.
struct Upstream {
    repo: Repo,
    one: Put,
    two: Put,
}

fn upstream() -> Upstream {
    let repo = Repo::init();
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    Upstream { repo, one, two }
}

#[test]
fn a_promotion_whose_source_is_off_the_upstream_log_fails_check() {
    let u = upstream();
    let repo = &u.repo;
    // A commit that looks like dev's, holding billing 2, which dev's ref never
    // pointed at; then a merge on dev that changes nothing but makes it reachable
    // from dev (not on dev's first-parent log).
    let dev = repo.env_tip("dev").unwrap();
    let lookalike = forge(
        repo,
        "dev",
        &u.two.commit,
        &[("billing", &Held::from(&u.two))],
        &trailers("promote", "billing", &u.two.object, "main"),
    );
    repo.git_command(&["update-ref", "refs/heads/env/dev", &dev]);
    forge(repo, "dev", &lookalike, &[], "merge a lookalike\n");
    let forged = forge(
        repo,
        "staging",
        &lookalike,
        &[("billing", &Held::from(&u.two))],
        &trailers("promote", "billing", &u.two.object, "dev"),
    );
    assert_eq!(
        check(repo, &[]),
        (
            1,
            vec![path_finding(
                "staging",
                "billing",
                format!(
                    "billing was promoted by commit {} from dev, but its second parent {} is not a commit of dev's log",
                    short(&forged),
                    short(&lookalike)
                )
            )]
        )
    );
}

#[test]
fn a_promotion_whose_upstream_source_does_not_hold_the_entry_fails_check() {
    let u = upstream();
    let repo = &u.repo;
    // dev's tip holds billing 1, not 2.
    let dev = repo.env_tip("dev").unwrap();
    let forged = forge(
        repo,
        "staging",
        &dev,
        &[("billing", &Held::from(&u.two))],
        &trailers("promote", "billing", &u.two.object, "dev"),
    );
    assert_eq!(
        check(repo, &[]),
        (
            1,
            vec![path_finding(
                "staging",
                "billing",
                format!(
                    "billing was promoted by commit {} from dev, but its second parent {} does not hold `{}` for billing",
                    short(&forged),
                    short(&dev),
                    u.two.object
                )
            )]
        )
    );
}

#[test]
fn an_entry_upstream_set_by_a_forged_commit_fails_check_downstream_too() {
    let s = side_branch();
    let repo = &s.repo;
    // dev held billing 1 by berth before the forged commit: that may move on.
    repo.ok(&["promote", &s.legit.object, "--to", "staging"]);
    // By hand, staging takes what the forged commit brought to dev: the source is
    // dev's own, and holds the entry, but dev never verifiably had it.
    let downstream = forge(
        repo,
        "staging",
        &s.forged,
        &[("billing", &Held::from(&s.side))],
        &trailers("promote", "billing", &s.side.object, "dev"),
    );
    let upstream_reason = format!(
        "billing was promoted by commit {} from the catalog, but its second parent {} is not on the catalog branch `main`",
        short(&s.forged),
        short(&s.side.commit)
    );
    assert_eq!(
        check(repo, &[]),
        (
            1,
            vec![
                path_finding("dev", "billing", upstream_reason.clone()),
                path_finding(
                    "staging",
                    "billing",
                    format!(
                        "billing came to staging through dev, where its path back to the catalog breaks: {upstream_reason}"
                    )
                ),
            ]
        )
    );
    let message = refused(
        repo,
        &["lineage", "billing@staging"],
        "berth::promotion-path",
    );
    assert!(message.ends_with(&upstream_reason), "{message}");
    assert_eq!(
        repo.env_tip("staging").as_deref(),
        Some(downstream.as_str())
    );
}

/// dev held billing 1 and now holds billing 2, both by berth; staging holds
/// billing 1.
fn rolled_forward() -> Upstream {
    let u = upstream();
    u.repo.ok(&["promote", &u.two.object, "--to", "dev"]);
    u
}

#[test]
fn a_rollback_whose_source_is_not_an_earlier_commit_of_the_environment_fails_check() {
    let u = rolled_forward();
    let repo = &u.repo;
    // staging's tip holds billing 1, with its file: but it is not dev's.
    let staging = repo.env_tip("staging").unwrap();
    let forged = forge(
        repo,
        "dev",
        &staging,
        &[("billing", &Held::from(&u.one))],
        &trailers("rollback", "billing", &u.one.object, "dev"),
    );
    assert_eq!(
        check(repo, &[]),
        (
            1,
            vec![path_finding(
                "dev",
                "billing",
                format!(
                    "billing was rolled back by commit {}, but its second parent {} is not an earlier commit of dev",
                    short(&forged),
                    short(&staging)
                )
            )]
        )
    );
}

#[test]
fn a_rollback_whose_source_never_held_the_object_fails_check() {
    let u = rolled_forward();
    let repo = &u.repo;
    // dev's root commit is dev's own, and holds nothing.
    let root = repo.env_log("dev").last().unwrap().id.clone();
    let forged = forge(
        repo,
        "dev",
        &root,
        &[("billing", &Held::from(&u.one))],
        &trailers("rollback", "billing", &u.one.object, "dev"),
    );
    assert_eq!(
        check(repo, &[]),
        (
            1,
            vec![path_finding(
                "dev",
                "billing",
                format!(
                    "billing was rolled back by commit {}, but its second parent {} does not hold `{}` for billing",
                    short(&forged),
                    short(&root),
                    u.one.object
                )
            )]
        )
    );
}

#[test]
fn a_rollback_made_by_berth_verifies_and_so_does_its_lineage() {
    let u = rolled_forward();
    let repo = &u.repo;
    let rollback = repo.ok(&["rollback", "billing", "--env", "dev"]);
    assert_eq!(rollback["promotions"][0]["object"], u.one.object.as_str());
    assert_eq!(check(repo, &[]), (0, vec![]));
    let steps = repo.ok(&["lineage", "billing@dev"])["steps"].clone();
    let shown: Vec<(&str, &str)> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["environment"].as_str().unwrap(),
                s["commit"].as_str().unwrap(),
            )
        })
        .collect();
    // dev's log: the rollback, billing 2, billing 1, the root.
    let first_promotion = &repo.env_log("dev")[2].id;
    assert_eq!(
        shown,
        [
            ("dev", rollback["tip"].as_str().unwrap()),
            ("dev", first_promotion.as_str()),
            ("main", u.one.commit.as_str()),
        ]
    );
}

#[test]
fn rolling_back_to_an_object_a_forged_commit_brought_is_refused() {
    let s = side_branch();
    let repo = &s.repo;
    // After the forged commit, berth promotes billing 1 again: the object before
    // it is the one the forged commit brought.
    let again = repo.put_version_set("billing", 3);
    repo.ok(&["promote", &again.object, "--to", "dev"]);
    let tip = repo.env_tip("dev").unwrap();
    let message = refused(
        repo,
        &["rollback", "billing", "--env", "dev"],
        "berth::promotion-path",
    );
    assert_eq!(
        message,
        format!(
            "`{}` cannot go to dev: its path back to the catalog cannot be verified: billing was promoted by commit {} from the catalog, but its second parent {} is not on the catalog branch `main`",
            s.side.object,
            short(&s.forged),
            short(&s.side.commit)
        )
    );
    assert_eq!(repo.env_tip("dev"), Some(tip));
}

#[test]
fn a_promotion_of_another_packages_object_fails_check() {
    // search's object is on main, filed under search: promoted as billing, it
    // would deploy search's build as billing.
    let repo = Repo::init();
    let [billing, search]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("search", 1)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &billing.object, "--to", "dev"]);
    let forged = forge(
        &repo,
        "dev",
        &search.commit,
        &[("billing", &Held::from(&search))],
        &trailers("promote", "billing", &search.object, "main"),
    );
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing was promoted by commit {} from the catalog, but its second parent {} has no file for `{}` in `objects/version-sets/billing/`",
            short(&forged),
            short(&search.commit),
            search.object
        ),
    );
}

#[test]
fn an_open_commit_in_the_middle_of_the_log_sets_nothing() {
    // A second root-like commit that claims to open dev, made on top of its log
    // and holding an entry: berth opens an environment once, empty.
    let repo = Repo::init();
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    let forged = forge(
        &repo,
        "dev",
        &two.commit,
        &[("billing", &Held::from(&two))],
        "open environment dev\n\nBerth-Action: open\n",
    );
    fails_check(
        &repo,
        "dev",
        "billing",
        format!(
            "billing was set to `{}` by commit {} (\"open environment dev\"), which berth did not make, so nothing shows the object came through the catalog branch `main`",
            two.object,
            short(&forged)
        ),
    );
}

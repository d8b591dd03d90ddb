//! `berth repair`: one new commit that restores what commits berth cannot
//! verify changed, so that an environment with a commit made by hand passes the
//! audit again without its history being rewritten; the repaired commits stay
//! in the log and `berth check` reports them as `env-repaired` warnings.

use berth::env::state::{Entry, State};
use git2::{FileMode, Oid};
use serde_json::Value;

use crate::support::{Daemon, Put, Repo, assert_matches_schema, refused};

/// A commit made by hand on `env` with `git commit`: one parent, the tip; the
/// tip's tree with `package` set to `put`'s object (its file added), or removed.
/// staging's ref moves to it. Its id.
fn edit_by_hand(repo: &Repo, env: &str, package: &str, put: Option<&Put>, message: &str) -> String {
    let git = repo.git();
    let tip = git
        .find_commit(Oid::from_str(&repo.env_tip(env).unwrap()).unwrap())
        .unwrap();
    let mut state = State::parse(&repo.commit(&tip.id().to_string()).state.unwrap()).unwrap();
    let mut update = git2::build::TreeUpdateBuilder::new();
    match put {
        Some(put) => {
            state.packages.insert(
                package.to_owned(),
                Entry {
                    object: put.object.clone(),
                    tags: vec![format!("env:{env}"), format!("pkg:{package}")],
                    references: Vec::new(),
                },
            );
            update.upsert(
                put.path.as_str(),
                Oid::from_str(&put.blob).unwrap(),
                FileMode::Blob,
            );
        }
        None => {
            state.packages.remove(package);
        }
    }
    let blob = git.blob(state.to_toml().as_bytes()).unwrap();
    update.upsert("state.toml", blob, FileMode::Blob);
    let tree = update.create_updated(&git, &tip.tree().unwrap()).unwrap();
    let tree = git.find_tree(tree).unwrap();
    let time = git2::Time::new(1_700_000_000, 0);
    let signature = git2::Signature::new("Hand Maker", "hand@example.com", &time).unwrap();
    let id = git
        .commit(None, &signature, &signature, message, &tree, &[&tip])
        .unwrap();
    git.reference(&format!("refs/heads/env/{env}"), id, true, "by hand")
        .unwrap();
    id.to_string()
}

/// Codes and severities of `berth check`'s findings, and its exit code.
fn check(repo: &Repo) -> (i32, Vec<(String, String, String)>) {
    let (code, report) = repo.json(&["check"]);
    let findings = report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|finding: &Value| {
            let text = |key: &str| finding[key].as_str().unwrap_or_default().to_owned();
            (text("code"), text("severity"), text("message"))
        })
        .collect();
    (code, findings)
}

/// dev and staging hold version 1 of `api`; the puts of versions 1 and 2.
fn promoted() -> (Repo, Put, Put) {
    let repo = Repo::init();
    let api1 = repo.put_version_set("api", 1);
    let api2 = repo.put_version_set("api", 2);
    repo.ok(&["promote", &api1.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    (repo, api1, api2)
}

fn history(repo: &Repo, target: &str) -> Vec<(Value, String)> {
    repo.ok(&["history", target])["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].clone(),
                entry["object"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_commit_made_by_hand_is_repaired_and_the_audit_passes_with_a_warning() {
    let (repo, api1, api2) = promoted();
    let promotion = repo.env_tip("staging").unwrap();
    let entry_before = repo.commit(&promotion).state.unwrap();
    let hand = edit_by_hand(&repo, "staging", "api", Some(&api2), "hotfix api by hand");
    let (code, findings) = check(&repo);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].0, "promotion-path");
    // History reads through the hand-made commit instead of losing the package.
    assert_eq!(
        history(&repo, "api@staging"),
        [
            (Value::Null, api2.object.clone()),
            ("promote".into(), api1.object.clone())
        ]
    );

    let outcome = repo.ok(&["repair", "staging", "--reason", "INC-42: edited by hand"]);
    assert_matches_schema("repair.schema.json", &outcome);
    let tip = repo.env_tip("staging").unwrap();
    assert_eq!(outcome["commit"], tip.as_str());
    assert_eq!(outcome["previous_tip"], hand.as_str());
    assert_eq!(outcome["repairs"][0]["commit"], hand.as_str());
    assert_eq!(outcome["repairs"][0]["subject"], "hotfix api by hand");
    assert_eq!(outcome["repairs"].as_array().map(Vec::len), Some(1));
    assert_eq!(outcome["restored"][0]["package"], "api");
    assert_eq!(outcome["restored"][0]["was"], api2.object.as_str());
    assert_eq!(outcome["restored"][0]["now"], api1.object.as_str());
    let repair = repo.commit(&tip);
    assert_eq!(repair.parents, vec![hand.clone()]);
    assert_eq!(repair.trailers["Berth-Action"], "repair");
    assert_eq!(repair.trailers["Berth-Repairs"], hand);
    assert_eq!(repair.trailers["Berth-Reason"], "INC-42: edited by hand");
    assert_eq!(
        repair.subject,
        "repair staging: 1 commit berth cannot verify"
    );
    // The entry is the promotion's again, tags and all; api2's file is gone.
    assert_eq!(repair.state.as_deref(), Some(entry_before.as_str()));
    assert!(!repair.files.contains_key(&api2.path), "{:?}", repair.files);
    assert!(repair.files.contains_key(&api1.path));

    let (code, findings) = check(&repo);
    assert_eq!(code, 0, "{findings:?}");
    let [(finding, severity, message)] = findings.as_slice() else {
        panic!("{findings:?}");
    };
    assert_eq!(
        (finding.as_str(), severity.as_str()),
        ("env-repaired", "warning")
    );
    assert!(
        message.contains(&hand[..12]) && message.contains("INC-42: edited by hand"),
        "{message}"
    );
    repo.berth()
        .args(["check", "--deny-warnings"])
        .assert()
        .code(1);
    assert_eq!(
        history(&repo, "api@staging"),
        [
            ("repair".into(), api1.object.clone()),
            (Value::Null, api2.object.clone()),
            ("promote".into(), api1.object.clone())
        ]
    );
    let lineage = repo.ok(&["lineage", "api@staging"]);
    assert_eq!(lineage["steps"][0]["commit"], promotion.as_str());

    // A review of the change shows the repair: its commit, reason and what it
    // repaired.
    let env_base = format!("staging={hand}");
    let (code, review) = repo.json(&["review", "--base", "HEAD", "--env-base", &env_base]);
    assert_eq!(code, 0, "{review:#}");
    let staging = review["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|environment| environment["environment"] == "staging")
        .unwrap();
    assert_eq!(staging["repairs"][0]["commit"], tip.as_str());
    assert_eq!(staging["repairs"][0]["reason"], "INC-42: edited by hand");
    assert_eq!(staging["repairs"][0]["repairs"][0], hand.as_str());
    let markdown = repo
        .berth()
        .args([
            "review",
            "--base",
            "HEAD",
            "--env-base",
            &env_base,
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    assert!(
        markdown.contains(&format!(
            "`staging` was repaired by {}: INC-42: edited by hand (restores what {} changed",
            &tip[..12],
            &hand[..12]
        )),
        "{markdown}"
    );

    // Nothing more to repair; promotions and rollbacks go on from the repair.
    let again = repo.ok(&["repair", "staging", "--reason", "again"]);
    assert_matches_schema("repair.schema.json", &again);
    assert_eq!(again["commit"], Value::Null);
    assert_eq!(repo.env_tip("staging").as_deref(), Some(tip.as_str()));
    repo.ok(&["promote", &api2.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let rolled = repo.ok(&["rollback", "api", "--env", "staging"]);
    let rollback = repo.commit(rolled["tip"].as_str().unwrap());
    assert_eq!(rollback.trailers["Berth-Object"], api1.object);
    assert_eq!(rollback.parents[1], promotion);
    assert_eq!(check(&repo).0, 0);
}

#[test]
fn a_package_added_by_hand_is_removed_and_a_forged_promotion_undone() {
    let (repo, api1, api2) = promoted();
    let web = repo.put_version_set("web", 1);
    let added = edit_by_hand(&repo, "staging", "web", Some(&web), "add web");
    // A commit with a promotion's trailers whose second parent does not hold
    // what it names: forged.
    let forged = {
        let git = repo.git();
        let tip = git.find_commit(Oid::from_str(&added).unwrap()).unwrap();
        let main = git
            .find_commit(Oid::from_str(&api1.commit).unwrap())
            .unwrap();
        let mut state = State::parse(&repo.commit(&added).state.unwrap()).unwrap();
        state.packages.insert(
            "api".to_owned(),
            Entry {
                object: api2.object.clone(),
                tags: vec!["env:staging".to_owned(), "pkg:api".to_owned()],
                references: Vec::new(),
            },
        );
        let mut update = git2::build::TreeUpdateBuilder::new();
        update.upsert(
            api2.path.as_str(),
            Oid::from_str(&api2.blob).unwrap(),
            FileMode::Blob,
        );
        let blob = git.blob(state.to_toml().as_bytes()).unwrap();
        update.upsert("state.toml", blob, FileMode::Blob);
        let tree = update.create_updated(&git, &tip.tree().unwrap()).unwrap();
        let tree = git.find_tree(tree).unwrap();
        let message = format!(
            "promote api to staging\n\nBerth-Action: promote\nBerth-Package: api\nBerth-Object: {}\nBerth-From: dev\n",
            api2.object
        );
        let time = git2::Time::new(1_700_000_100, 0);
        let signature = git2::Signature::new("Forger", "forger@example.com", &time).unwrap();
        let id = git
            .commit(
                None,
                &signature,
                &signature,
                &message,
                &tree,
                &[&tip, &main],
            )
            .unwrap();
        git.reference("refs/heads/env/staging", id, true, "forged")
            .unwrap();
        id.to_string()
    };
    assert_eq!(check(&repo).0, 1);
    let outcome = repo.ok(&["repair", "staging", "--reason", "forged promotion"]);
    let repaired: Vec<&str> = outcome["repairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| commit["commit"].as_str().unwrap())
        .collect();
    assert_eq!(repaired, [forged.as_str(), added.as_str()]);
    let restored: Vec<(&str, Value)> = outcome["restored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["package"].as_str().unwrap(), entry["now"].clone()))
        .collect();
    assert_eq!(
        restored,
        [
            ("api", Value::from(api1.object.as_str())),
            ("web", Value::Null)
        ]
    );
    let state = repo
        .commit(&repo.env_tip("staging").unwrap())
        .state
        .unwrap();
    assert!(!state.contains("web"), "{state}");
    let (code, findings) = check(&repo);
    assert_eq!(code, 0, "{findings:?}");
    assert_eq!(
        findings.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["env-repaired", "env-repaired"]
    );
    // web is held by nothing now, and its history says so.
    let web_history = repo.ok(&["history", "web@staging"]);
    let entries = web_history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{web_history:#}");
    assert_eq!(entries[0]["action"], "repair");
    assert_eq!(entries[0]["removed"], true);
    assert_eq!(entries[0]["object"], web.object.as_str());
    assert_eq!(entries[1]["action"], Value::Null);
    assert_eq!(entries[1]["commit"], added.as_str());
}

#[test]
fn a_reason_must_be_one_line_and_nothing_is_written_without_one() {
    let (repo, _, api2) = promoted();
    edit_by_hand(&repo, "staging", "api", Some(&api2), "by hand");
    let tip = repo.env_tip("staging");
    for reason in ["", "two\nlines"] {
        refused(
            &repo,
            &["repair", "staging", "--reason", reason],
            2,
            "berth::bad-reason",
        );
        assert_eq!(repo.env_tip("staging"), tip);
    }
    repo.berth().args(["repair", "staging"]).assert().code(2);
    refused(
        &repo,
        &["repair", "qa", "--reason", "x"],
        1,
        "berth::unknown-environment",
    );
}

#[test]
fn a_repair_pushed_lands_on_the_remote_without_force() {
    let daemon = Daemon::start();
    let a = daemon.seeded();
    let api1 = a.put_version_set("api", 1);
    let api2 = a.put_version_set("api", 2);
    a.git_command(&["push", "-q", "origin", "main"]);
    a.ok(&["promote", &api1.object, "--to", "dev", "--push"]);
    a.ok(&["promote", "api@dev", "--to", "staging", "--push"]);
    let hand = edit_by_hand(&a, "staging", "api", Some(&api2), "by hand");
    a.git_command(&["push", "-q", "origin", "refs/heads/env/staging"]);
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    let outcome = b.ok(&["repair", "staging", "--reason", "INC-7", "--push"]);
    assert_eq!(outcome["pushed_to"], "origin");
    let tip = daemon.env_tip("staging").unwrap();
    assert_eq!(outcome["commit"], tip.as_str());
    assert_eq!(b.commit(&tip).parents, vec![hand]);
    assert_eq!(b.env_tip("staging").as_deref(), Some(tip.as_str()));
    let c = daemon.clone_repo();
    c.ok(&["fetch"]);
    assert_eq!(check(&c).0, 0);
}

#[test]
fn a_commit_made_by_hand_that_a_promotion_since_replaced_needs_no_repair() {
    let (repo, _, api2) = promoted();
    let web = repo.put_version_set("web", 1);
    edit_by_hand(&repo, "staging", "api", Some(&web), "api by hand");
    // A promotion of api along the path replaces what the hand-made commit set.
    repo.ok(&["promote", &api2.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let tip = repo.env_tip("staging");
    assert_eq!(check(&repo), (0, Vec::new()));
    let outcome = repo.ok(&["repair", "staging", "--reason", "just in case"]);
    assert_eq!(outcome["commit"], Value::Null);
    assert_eq!(outcome["repairs"], Value::Array(Vec::new()));
    assert_eq!(repo.env_tip("staging"), tip);
    let human = repo
        .berth()
        .args([
            "repair",
            "staging",
            "--reason",
            "just in case",
            "--format",
            "human",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(human.stdout).unwrap(),
        "nothing to repair: every entry of staging is what a commit berth verifies set\n"
    );
}

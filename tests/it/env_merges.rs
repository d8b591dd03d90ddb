//! Environment pull requests merged by a hosting service's button: a merge
//! commit that brings a berth commit built on the environment's tip unchanged
//! is that commit (the audit, history, lineage, status and rollback read it as
//! the promotion, and history says who merged it); a squash or a rebase merge
//! drops the source parent berth verifies, and the audit says which merge
//! methods work.

use serde_json::Value;

use crate::support::{Put, Repo};

/// A repository where dev holds version 2 of `api` and staging version 1, and
/// the pull request's commit: version 2 promoted from dev onto staging's tip,
/// with staging's ref put back where it was. The puts, staging's tip P and the
/// pull request's commit Q.
fn pull_request() -> (Repo, Vec<Put>, String, String) {
    let repo = Repo::init();
    let puts = vec![
        repo.put_version_set("api", 1),
        repo.put_version_set("api", 2),
    ];
    repo.ok(&["promote", &puts[0].object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    repo.ok(&["promote", &puts[1].object, "--to", "dev"]);
    let before = repo.env_tip("staging").unwrap();
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let promotion = repo.env_tip("staging").unwrap();
    move_staging(&repo, &before);
    (repo, puts, before, promotion)
}

fn move_staging(repo: &Repo, to: &str) {
    repo.git_command(&["update-ref", "refs/heads/env/staging", to]);
}

/// `git commit-tree` as a hosting service's merge would run it, committed by
/// "Merge Bot"; staging's ref moves to the new commit. Its id.
fn commit_tree(repo: &Repo, tree_of: &str, parents: &[&str], message: &str) -> String {
    let tree = format!("{tree_of}^{{tree}}");
    let mut args = vec!["commit-tree", tree.as_str(), "-m", message];
    for parent in parents {
        args.extend(["-p", parent]);
    }
    let output = repo
        .hermetic("git")
        .args(&args)
        .env("GIT_COMMITTER_NAME", "Merge Bot")
        .env("GIT_COMMITTER_EMAIL", "bot@example.com")
        .env("GIT_AUTHOR_NAME", "Merge Bot")
        .env("GIT_AUTHOR_EMAIL", "bot@example.com")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let id = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    move_staging(repo, &id);
    id
}

fn check(repo: &Repo) -> (i32, Vec<(String, String, String)>) {
    let (code, report) = repo.json(&["check"]);
    let findings = report["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|finding: &Value| {
            let text = |key: &str| finding[key].as_str().unwrap_or_default().to_owned();
            (text("code"), text("message"), text("help"))
        })
        .collect();
    (code, findings)
}

#[test]
fn a_merge_commit_of_an_up_to_date_promotion_is_that_promotion() {
    let (repo, puts, before, promotion) = pull_request();
    let merge = commit_tree(
        &repo,
        &promotion,
        &[&before, &promotion],
        "Merge pull request #7 from team/promote-api",
    );
    assert_eq!(check(&repo), (0, Vec::new()));

    let status = repo.ok(&["status"]);
    let text = status.to_string();
    assert!(text.contains(&puts[1].object), "{status:#}");

    let history = repo.ok(&["history", "api@staging"]);
    let entries = history["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{history:#}");
    assert_eq!(entries[0]["commit"], promotion.as_str());
    assert_eq!(entries[0]["object"], puts[1].object.as_str());
    assert_eq!(entries[0]["previous"], puts[0].object.as_str());
    assert_eq!(entries[0]["merged"]["commit"], merge.as_str());
    assert_eq!(entries[0]["merged"]["by"], "Merge Bot <bot@example.com>");
    assert!(entries[1].get("merged").is_none());
    let human = repo
        .berth()
        .args(["history", "api@staging", "--format", "human"])
        .output()
        .unwrap();
    let human = String::from_utf8(human.stdout).unwrap();
    assert!(
        human.contains(&format!(
            "{} arrived by merge {}, merged by Merge Bot <bot@example.com> at ",
            &promotion[..12],
            &merge[..12]
        )),
        "{human}"
    );

    let lineage = repo.ok(&["lineage", "api@staging"]);
    let steps = lineage["steps"].as_array().unwrap();
    assert_eq!(steps[0]["commit"], promotion.as_str());
    assert_eq!(steps[0]["environment"], "staging");
    assert_eq!(steps[1]["environment"], "dev");

    // Promoting on from staging takes the promotion as its source; rolling
    // staging back builds on the merge.
    repo.ready(&puts[1]);
    let production = repo.ok(&["promote", "api@staging", "--to", "production"]);
    let onward = repo.commit(production["tip"].as_str().unwrap());
    assert_eq!(onward.parents[1], promotion);
    let rolled = repo.ok(&["rollback", "api", "--env", "staging"]);
    let rollback = repo.commit(rolled["tip"].as_str().unwrap());
    assert_eq!(rollback.parents[0], merge);
    assert_eq!(rollback.trailers["Berth-Object"], puts[0].object);
    assert_eq!(check(&repo), (0, Vec::new()));
}

#[test]
fn a_merge_of_several_promotions_in_one_pull_request_is_each_of_them() {
    let repo = Repo::init();
    let api = repo.put_version_set("api", 1);
    let web = repo.put_version_set("web", 1);
    repo.ok(&["promote", &api.object, &web.object, "--to", "dev"]);
    repo.ok(&["promote", "web@dev", "--to", "staging"]);
    let web2 = repo.put_version_set("web", 2);
    repo.ok(&["promote", &web2.object, "--to", "dev"]);
    let before = repo.env_tip("staging").unwrap();
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let first = repo.env_tip("staging").unwrap();
    repo.ok(&["promote", "web@dev", "--to", "staging"]);
    let second = repo.env_tip("staging").unwrap();
    move_staging(&repo, &before);
    commit_tree(
        &repo,
        &second,
        &[&before, &second],
        "Merge branch 'promote-api'",
    );
    assert_eq!(check(&repo), (0, Vec::new()));
    let newest = |package: &str| {
        let history = repo.ok(&["history", &format!("{package}@staging")]);
        history["entries"][0]["commit"].as_str().unwrap().to_owned()
    };
    assert_eq!(newest("api"), first);
    assert_eq!(newest("web"), second);
}

#[test]
fn a_merge_that_is_not_the_pull_requests_tree_is_a_commit_of_its_own() {
    let (repo, _, before, promotion) = pull_request();
    // The tree of the environment before the pull request: the merge undid it.
    let merge = commit_tree(&repo, &before, &[&before, &promotion], "Merge, resolved");
    let (code, findings) = check(&repo);
    assert_eq!(code, 0, "{findings:?}");
    // The merge's state is staging's before: nothing changed, nothing to report,
    // and history does not claim the pull request's promotion happened.
    let history = repo.ok(&["history", "api@staging"]);
    assert_eq!(history["entries"].as_array().map(Vec::len), Some(1));
    assert_ne!(history["entries"][0]["commit"], merge.as_str());
}

#[test]
fn a_merge_of_a_stale_pull_request_is_refused() {
    let (repo, _, before, promotion) = pull_request();
    // Staging moved (web promoted) after the pull request was opened.
    let web = repo.put_version_set("web", 1);
    repo.ok(&["promote", &web.object, "--to", "dev"]);
    repo.ok(&["promote", "web@dev", "--to", "staging"]);
    let moved = repo.env_tip("staging").unwrap();
    assert_ne!(moved, before);
    // A merge of the two (the hosting service's resolution of state.toml taken
    // from the pull request) is not the promotion: its first parent is not P.
    commit_tree(
        &repo,
        &promotion,
        &[&moved, &promotion],
        "Merge pull request #8",
    );
    let (code, findings) = check(&repo);
    assert_eq!(code, 1);
    assert!(
        findings
            .iter()
            .any(|(code, message, _)| code == "promotion-path"
                && message.contains("which berth did not make")),
        "{findings:?}"
    );
}

#[test]
fn squash_and_rebase_merges_are_refused_with_the_merge_methods_that_work() {
    for (name, message) in [
        (
            "squash",
            "Promote api to staging (#7)\n\n* promote api".to_owned(),
        ),
        ("rebase", String::new()),
    ] {
        let (repo, _, before, promotion) = pull_request();
        let message = if message.is_empty() {
            // A rebase merge keeps the commit's message, trailers and all.
            repo.git_command(&["log", "-1", "--format=%B", &promotion])
        } else {
            message
        };
        commit_tree(&repo, &promotion, &[&before], &message);
        let (code, findings) = check(&repo);
        assert_eq!(code, 1, "{name}: {findings:?}");
        let [(finding, _, help)] = findings.as_slice() else {
            panic!("{name}: {findings:?}");
        };
        assert_eq!(finding, "promotion-path", "{name}");
        assert!(
            help.contains("Create a merge commit") && help.contains("Fast-forward merge"),
            "{name}: {help}"
        );
    }
}

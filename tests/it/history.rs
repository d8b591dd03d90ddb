//! The validator against a base and across environments: history rules, the
//! incremental scope, `berth check` on environment commits made by hand, the
//! pre-commit range variables and `berth hook install`.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use crate::support::Repo;

const BILLING: &str = "objects/version-sets/billing/06f5a90a55f144658fd5ffc69a00cbe4bcf1e19e8fbd4c96700b884d3cbb80d9.json";
const SEARCH: &str = "objects/version-sets/search/b745ef37f9841909e58f23b6fcffd4675503cdae5b0f34532cbed6e1512ebb49.toml";

/// The findings of a JSON report as (code, file, line, pointer).
fn findings(report: &Value) -> Vec<(String, String, Option<u64>, Option<String>)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64(),
                f["pointer"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn finding(
    code: &str,
    file: &str,
    line: Option<u64>,
    pointer: Option<&str>,
) -> (String, String, Option<u64>, Option<String>) {
    (
        code.to_owned(),
        file.to_owned(),
        line,
        pointer.map(str::to_owned),
    )
}

/// The catalog fixture committed on `main`.
fn catalog() -> Repo {
    let repo = Repo::fixture("valid/catalog");
    repo.git_command(&["symbolic-ref", "HEAD", "refs/heads/main"]);
    repo.git_commit_all("catalog");
    repo
}

/// Puts a new billing version set into the working tree, its worker sized `size`.
fn put_billing_variant(repo: &Repo, size: u32) {
    let data = repo.read(BILLING).replace("4096", &size.to_string());
    repo.write("variant.json", &data);
    repo.berth()
        .args(["put", "version-sets", "variant.json"])
        .assert()
        .success();
    fs::remove_file(repo.path().join("variant.json")).unwrap();
}

fn run_scripted(fixture: &str) -> (i32, Value) {
    let (repo, args) = Repo::scripted(fixture);
    let args = args.unwrap();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    repo.json(&args)
}

#[test]
fn an_edited_object_is_modified_and_a_removed_one_deleted() {
    let (code, report) = run_scripted("invalid/object-modified/whitespace-edit");
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [finding("object-modified", BILLING, None, None)]
    );
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the base HEAD (")
    );

    let (code, report) = run_scripted("invalid/object-deleted/removed");
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [finding("object-deleted", SEARCH, None, None)]
    );
}

#[test]
fn staged_with_a_base_reads_the_index_not_the_working_tree() {
    let repo = catalog();
    let good = repo.read(BILLING);
    // Stage an edit that changes the data, then undo it in the working tree only.
    repo.write(BILLING, &good.replace("4096", "8192"));
    repo.git_command(&["add", BILLING]);
    repo.write(BILLING, &good);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 1, "{report:#}");
    let codes: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(codes, ["hash-mismatch", "object-modified"]);
    // The working tree itself is clean.
    let (code, report) = repo.json(&["validate", "--base", "HEAD"]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn with_a_base_only_what_changed_is_checked_unless_berth_toml_changes() {
    let repo = catalog();
    // An object broken on the base itself, committed past any hook.
    let broken = "objects/version-sets/billing/0000000000000000000000000000000000000000000000000000000000000000.json";
    repo.write(broken, &repo.read(BILLING));
    repo.git_commit_all("a broken object");
    // No change at all (a hook run on a clean index, as `pre-commit run
    // --all-files` in CI does) checks everything.
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        [finding("hash-mismatch", broken, None, None)]
    );
    // A change that adds one good object.
    put_billing_variant(&repo, 4097);
    repo.git_command(&["add", "objects"]);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["summary"]["files_checked"], 2,
        "berth.toml and the new object"
    );
    // Everything is checked when berth.toml changes: the old break shows.
    let settings = repo.read("berth.toml");
    repo.write("berth.toml", &format!("{settings}\n# touched\n"));
    repo.git_command(&["add", "berth.toml"]);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [finding("hash-mismatch", broken, None, None)]
    );
}

#[test]
fn references_of_a_change_resolve_by_probing_the_tree() {
    let repo = catalog();
    let mut data: Value = serde_json::from_str(&repo.read(BILLING)).unwrap();
    data["package"] = "payments".into();
    // The env manifest lives in another partition (billing): found by probing.
    repo.write("ok.json", &data.to_string());
    repo.berth()
        .args(["put", "version-sets", "ok.json"])
        .assert()
        .success();
    // A manifest in the working tree but not staged: the index lacks it.
    repo.write("m.json", r#"{"service": "payments", "vars": {}}"#);
    let (_, put) = repo.json(&["put", "env-manifests", "m.json"]);
    let manifest = put["objects"][0]["object"].as_str().unwrap().to_owned();
    data["git_sha"] = "1123456789abcdef0123456789abcdef01234567".into();
    data["env_manifest_ref"] = manifest.into();
    repo.write("dangling.json", &data.to_string());
    repo.berth()
        .args(["put", "version-sets", "dangling.json"])
        .assert()
        .success();
    repo.git_command(&["add", "objects/version-sets"]);
    let (code, report) = repo.json(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(code, 1, "{report:#}");
    let found = findings(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0].0, "dangling-ref");
    assert!(found[0].1.starts_with("objects/version-sets/payments/"));
    assert_eq!(found[0].2, Some(1));
    assert_eq!(found[0].3.as_deref(), Some("/env_manifest_ref"));
    assert_eq!(report["summary"]["files_checked"], 3);
}

#[test]
fn the_base_is_the_merge_base_so_what_the_base_branch_gained_is_not_deleted() {
    let repo = catalog();
    repo.git_command(&["checkout", "-q", "-b", "feature"]);
    put_billing_variant(&repo, 1);
    repo.git_commit_all("feature adds an object");
    repo.git_command(&["checkout", "-q", "main"]);
    put_billing_variant(&repo, 2);
    repo.git_commit_all("main gains another");
    let (code, report) = repo.json(&["validate", "--rev", "feature", "--base", "main"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["files_checked"], 2);
}

#[test]
fn check_finds_each_broken_environment_at_its_entry() {
    let (code, report) = run_scripted("invalid/promotion-path/skipped-staging");
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [finding(
            "promotion-path",
            "refs/heads/env/production:state.toml",
            Some(6),
            Some("/packages/search")
        )]
    );
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains("which berth did not make"), "{message}");
    assert!(message.contains("came through staging"), "{message}");

    let (_, report) = run_scripted("invalid/env-dangling/object-removed-by-hand");
    assert_eq!(
        findings(&report),
        [finding(
            "env-dangling",
            "refs/heads/env/dev:state.toml",
            Some(1),
            Some("/packages/billing")
        )]
    );
    let (_, report) = run_scripted("invalid/env-hash-mismatch/edited-in-environment");
    assert_eq!(
        findings(&report),
        [finding(
            "env-hash-mismatch",
            &format!("refs/heads/env/dev:{BILLING}"),
            None,
            None
        )]
    );
    let (_, report) = run_scripted("invalid/env-state/not-a-state");
    assert_eq!(
        findings(&report),
        [finding(
            "env-state",
            "refs/heads/env/dev:state.toml",
            None,
            None
        )]
    );
    let (_, report) = run_scripted("invalid/unsigned-promotion/required-after-the-fact");
    assert_eq!(
        findings(&report),
        [finding(
            "unsigned-promotion",
            "refs/heads/env/dev:state.toml",
            Some(1),
            Some("/packages/billing")
        )]
    );
}

#[test]
fn check_finds_references_an_entry_does_not_list() {
    let repo = catalog();
    repo.berth()
        .args(["promote", "version-sets/06f5a90a", "--to", "dev"])
        .assert()
        .success();
    repo.git_command(&["worktree", "add", "-q", ".git/by-hand", "env/dev"]);
    let state = repo.path().join(".git/by-hand/state.toml");
    let text = fs::read_to_string(&state).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("references"))
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&state, without).unwrap();
    let mut commit = repo.hermetic("git");
    let status = commit
        .current_dir(repo.path().join(".git/by-hand"))
        .args(["commit", "-qam", "tidy the state"])
        .status()
        .unwrap();
    assert!(status.success());
    let (code, report) = repo.json(&["check"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [
            finding(
                "env-state",
                "refs/heads/env/dev:state.toml",
                Some(1),
                Some("/packages/billing")
            ),
            finding(
                "promotion-path",
                "refs/heads/env/dev:state.toml",
                Some(1),
                Some("/packages/billing")
            ),
        ]
    );
}

#[test]
fn check_passes_environments_berth_made_and_compares_with_a_base() {
    let repo = catalog();
    repo.berth()
        .args(["promote", "version-sets/06f5a90a", "--to", "dev"])
        .assert()
        .success();
    repo.berth()
        .args(["promote", "billing@dev", "--to", "staging"])
        .assert()
        .success();
    let (code, report) = repo.json(&["check"]);
    assert_eq!(code, 0, "{report:#}");
    // HEAD edits an object the base has: check with --base fails on it.
    repo.write(BILLING, &repo.read(BILLING).replace("4096", "1"));
    repo.git_commit_all("edit billing in place");
    let (code, report) = repo.json(&["check", "--base", "HEAD~1"]);
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(codes, ["hash-mismatch", "object-modified"]);
}

#[test]
fn pre_commit_range_variables_are_the_default_base_and_head() {
    let repo = catalog();
    let base = repo.tip("HEAD").unwrap();
    repo.write(BILLING, &repo.read(BILLING).replace("4096", "1"));
    let head = repo.git_commit_all("edit billing in place");
    repo.git_command(&["reset", "-q", "--hard", &base]);
    // The index and working tree are clean; the range is not.
    let output = repo
        .berth()
        .args(["validate", "--staged", "--base", "HEAD", "--format", "json"])
        .env("PRE_COMMIT_FROM_REF", &base)
        .env("PRE_COMMIT_TO_REF", &head)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let codes: Vec<String> = findings(&report).into_iter().map(|f| f.0).collect();
    assert_eq!(codes, ["hash-mismatch", "object-modified"]);
    let output = repo
        .berth()
        .args(["check", "--format", "json"])
        .env("PRE_COMMIT_FROM_REF", &base)
        .env("PRE_COMMIT_TO_REF", &head)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    // A new branch: git gives the all-zero id as the base; everything is checked.
    let output = repo
        .berth()
        .args(["validate", "--format", "json"])
        .env("PRE_COMMIT_FROM_REF", "0".repeat(40))
        .env("PRE_COMMIT_TO_REF", &base)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn hook_install_blocks_bad_commits_including_commit_all() {
    let repo = catalog();
    repo.berth().args(["hook", "install"]).assert().success();
    let hook = repo.path().join(".git/hooks/pre-commit");
    let script = fs::read_to_string(&hook).unwrap();
    assert!(script.contains("validate --staged --base HEAD"), "{script}");
    assert_eq!(
        fs::metadata(&hook).unwrap().permissions().mode() & 0o777,
        0o755
    );
    // Installing again changes nothing.
    repo.berth().args(["hook", "install"]).assert().success();
    assert_eq!(fs::read_to_string(&hook).unwrap(), script);

    let head = repo.tip("HEAD").unwrap();
    // `git commit -a` hands the hook a temporary index: the edit must be seen.
    repo.write(BILLING, &repo.read(BILLING).replace("4096", "1"));
    let output = repo
        .hermetic("git")
        .args(["commit", "-qam", "edit billing"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    // git hands a hook's output to its own stderr.
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("berth::object-modified"), "{said}");
    assert_eq!(repo.tip("HEAD").unwrap(), head);
    repo.git_command(&["checkout", "-q", "--", BILLING]);

    // A good object commits.
    put_billing_variant(&repo, 2);
    repo.git_command(&["add", "objects"]);
    let status = repo
        .hermetic("git")
        .args(["commit", "-qm", "add an object"])
        .status()
        .unwrap();
    assert!(status.success());
    assert_ne!(repo.tip("HEAD").unwrap(), head);
}

#[test]
fn hook_install_leaves_a_foreign_hook_unless_forced() {
    let repo = catalog();
    let hook = repo.write(".git/hooks/pre-commit", "#!/bin/sh\nexit 0\n");
    let (code, report) = repo.json(&["hook", "install"]);
    assert_eq!(code, 3);
    assert_eq!(report["error"]["code"], "berth::hook-exists");
    assert_eq!(fs::read_to_string(&hook).unwrap(), "#!/bin/sh\nexit 0\n");
    repo.berth()
        .args(["hook", "install", "--force"])
        .assert()
        .success();
    assert!(
        fs::read_to_string(&hook)
            .unwrap()
            .contains("berth validate")
            || fs::read_to_string(&hook)
                .unwrap()
                .contains("validate --staged")
    );
}

#[test]
fn hook_install_leaves_a_berth_hook_the_user_edited_unless_forced() {
    let repo = catalog();
    repo.berth().args(["hook", "install"]).assert().success();
    let hook = repo.path().join(".git/hooks/pre-commit");
    let edited = fs::read_to_string(&hook).unwrap() + "./scripts/lint.sh\n";
    fs::write(&hook, &edited).unwrap();
    let (code, report) = repo.json(&["hook", "install"]);
    assert_eq!(code, 3, "{report:#}");
    assert_eq!(report["error"]["code"], "berth::hook-exists");
    assert_eq!(
        report["error"]["message"],
        format!(
            "`{}` is a pre-commit hook that was edited after berth wrote it",
            hook.display()
        )
    );
    assert_eq!(fs::read_to_string(&hook).unwrap(), edited);

    // A hook berth wrote for a berth installed elsewhere is berth's own, unedited:
    // it is replaced with this one's.
    let moved = fs::read_to_string(&hook)
        .unwrap()
        .lines()
        .map(|line| match line.strip_prefix("berth='") {
            Some(_) => r"berth='/opt/it'\''s/berth'".to_owned(),
            None => line.to_owned(),
        })
        .filter(|line| !line.contains("lint.sh"))
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    fs::write(&hook, &moved).unwrap();
    repo.berth().args(["hook", "install"]).assert().success();
    let installed = fs::read_to_string(&hook).unwrap();
    assert_ne!(installed, moved);
    assert!(!installed.contains("/opt/"), "{installed}");
}

#[test]
fn the_working_tree_with_a_base_sees_untracked_objects() {
    let repo = catalog();
    let broken = "objects/version-sets/billing/1111111111111111111111111111111111111111111111111111111111111111.json";
    repo.write(broken, &repo.read(BILLING));
    repo.write("target/build-output.json", "not an object");
    let (code, report) = repo.json(&["validate", "--base", "HEAD"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        [finding("hash-mismatch", broken, None, None)]
    );
    assert_eq!(report["summary"]["files_checked"], 2);
}

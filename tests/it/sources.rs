//! `berth validate --staged` and `--rev`: the same checks, read from the index or
//! from a commit instead of the working tree.

use serde_json::json;

use crate::support::{Repo, codes};

/// A committed version set edited in place: the bytes no longer hash to the name.
fn tampered(repo: &Repo, path: &str) -> String {
    let edited = repo
        .read(path)
        .replace("\"size_bytes\": 1001", "\"size_bytes\": 1002");
    assert_ne!(edited, repo.read(path));
    edited
}

#[test]
fn staged_reads_the_index_not_the_working_tree() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let original = repo.read(&put.path);

    // Stage a broken object, then repair the working tree without staging it.
    repo.write(&put.path, &tampered(&repo, &put.path));
    repo.git_command(&["add", &put.path]);
    repo.write(&put.path, &original);

    let (code, report) = repo.json(&["validate"]);
    assert_eq!((code, codes(&report)), (0, vec![]), "{report:#}");
    let (code, report) = repo.json(&["validate", "--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["hash-mismatch"]);
    assert_eq!(report["findings"][0]["file"], put.path.as_str());
    assert_eq!(report["summary"]["files_checked"], 2);

    // And the other way round: a clean index, a broken working tree.
    repo.git_command(&["add", &put.path]);
    repo.write(&put.path, &tampered(&repo, &put.path));
    let (code, _) = repo.json(&["validate", "--staged"]);
    assert_eq!(code, 0);
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(
        (code, codes(&report)),
        (1, vec!["hash-mismatch".to_owned()])
    );
}

#[test]
fn staged_sees_new_files_deletions_and_symlinks() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    // A file that is not an object, staged; a deletion, staged.
    repo.write("objects/version-sets/billing/notes.txt", "hello\n");
    repo.git_command(&["add", "objects/version-sets/billing/notes.txt"]);
    repo.git_command(&["rm", "-q", "--cached", &put.path]);
    // A staged symlink where an object should be.
    std::os::unix::fs::symlink(
        "notes.txt",
        repo.path().join("objects/version-sets/billing/link.json"),
    )
    .unwrap();
    repo.git_command(&["add", "objects/version-sets/billing/link.json"]);

    let (code, report) = repo.json(&["validate", "--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["bad-path", "bad-path"]);
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "objects/version-sets/billing/link.json",
            "objects/version-sets/billing/notes.txt"
        ]
    );
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("symlink"),
        "{report:#}"
    );
    // The deleted object is not read from the working tree, where it still is.
    assert_eq!(report["summary"]["files_checked"], 3);
}

#[test]
fn rev_reads_a_commit_with_its_own_settings() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let good = repo.tip("refs/heads/main").unwrap();
    repo.write(&put.path, &tampered(&repo, &put.path));
    let bad = repo.git_commit_all("edit an object in place");
    // The working tree is clean again; only the commits differ.
    repo.git_command(&["checkout", "-q", &good, "--", &put.path]);

    let (code, report) = repo.json(&["validate", "--rev", &bad]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["hash-mismatch"]);
    assert_eq!(report["findings"][0]["file"], put.path.as_str());
    for revision in [good.as_str(), "HEAD~1", "main~1"] {
        let (code, report) = repo.json(&["validate", "--rev", revision]);
        assert_eq!(
            (code, codes(&report)),
            (0, vec![]),
            "{revision}: {report:#}"
        );
    }

    // berth.toml comes from the commit too: a store declared only in the working
    // tree does not exist at the revision.
    let settings = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &format!("{settings}\n[stores.notes]\nexternal = true\n"),
    );
    repo.write(&format!("objects/notes/x/{}.json", "a".repeat(64)), "{}");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!((code, codes(&report)), (1, vec!["bad-path".to_owned()]));
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("external store")
    );
    repo.git_commit_all("declare notes");
    let (_, report) = repo.json(&["validate", "--rev", "HEAD~1"]);
    assert_eq!(codes(&report), ["hash-mismatch"], "{report:#}");
    let (_, report) = repo.json(&["validate", "--rev", "HEAD"]);
    assert_eq!(codes(&report), ["bad-path"], "{report:#}");
}

#[test]
fn a_revision_that_names_no_commit_is_a_usage_error() {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    for revision in ["no-such-branch", "0000000000000000000000000000000000000000"] {
        let (code, report) = repo.json(&["validate", "--rev", revision]);
        assert_eq!(code, 2, "{report:#}");
        assert_eq!(report["error"]["code"], "berth::bad-revision");
        assert!(report["error"]["help"].as_str().unwrap().contains("HEAD~1"));
    }
    let output = repo
        .berth()
        .args(["validate", "--rev", "HEAD", "--staged"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(json!(String::from_utf8_lossy(&output.stdout)), json!(""));
}

#[test]
fn the_size_limit_holds_without_reading_the_blob() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let size = repo.read(&put.path).len();
    let settings = repo.read("berth.toml").replace(
        "[repo]\n",
        &format!("[repo]\nmax_object_bytes = {}\n", size - 1),
    );
    assert_ne!(settings, repo.read("berth.toml"));
    repo.write("berth.toml", &settings);
    repo.git_command(&["add", "berth.toml"]);
    let (code, report) = repo.json(&["validate", "--staged"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(codes(&report), ["too-large"]);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&size.to_string()),
        "{report:#}"
    );
    let (code, _) = repo.json(&["validate", "--rev", "HEAD"]);
    assert_eq!(code, 0);
}

#[test]
fn staged_mid_merge_reports_every_unmerged_path_instead_of_reading_one_side() {
    let repo = Repo::init();
    let put = repo.put_version_set("billing", 1);
    let original = repo.read(&put.path);
    repo.git_command(&["checkout", "-qb", "side"]);
    repo.write(
        "berth.toml",
        &(repo.read("berth.toml") + "\n[environments.qa]\n"),
    );
    repo.write(&put.path, &original.replacen('{', "{ ", 1));
    repo.git_commit_all("side");
    repo.git_command(&["checkout", "-q", "main"]);
    repo.write(
        "berth.toml",
        &(repo.read("berth.toml") + "\n[environments.perf]\n"),
    );
    repo.write(&put.path, &original.replacen('{', "{\n", 1));
    repo.git_commit_all("main");
    // The merge stops on both files; the working tree then holds one side.
    let merge = repo
        .hermetic("git")
        .args(["merge", "-q", "side"])
        .output()
        .unwrap();
    assert!(!merge.status.success());
    repo.git_command(&["checkout", "--ours", "--", "berth.toml", &put.path]);

    for args in [
        &["validate", "--staged"][..],
        &["validate", "--staged", "--base", "HEAD"],
    ] {
        let (code, report) = repo.json(args);
        assert_eq!(code, 1, "{args:?}: {report:#}");
        let unmerged: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|finding| finding["code"] == "unmerged")
            .map(|finding| finding["file"].as_str().unwrap())
            .collect();
        assert_eq!(
            unmerged,
            ["berth.toml", put.path.as_str()],
            "{args:?}: {report:#}"
        );
    }
}

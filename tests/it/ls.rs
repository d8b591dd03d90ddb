//! `berth ls`.

use crate::support::{Repo, independent_hash, version_set};

fn repo_with_objects() -> Repo {
    let repo = Repo::init();
    for (package, n) in [("billing", 1), ("billing", 2), ("search", 3)] {
        repo.write_json(&format!("in/{package}-{n}.json"), &version_set(package, n));
    }
    repo.berth()
        .args([
            "put",
            "version-sets",
            "in/billing-1.json",
            "in/billing-2.json",
            "in/search-3.json",
        ])
        .assert()
        .success();
    repo
}

fn listed(repo: &Repo, args: &[&str]) -> Vec<(String, String, String)> {
    let (code, report) = repo.json(&[&["ls"], args].concat());
    assert_eq!(code, 0, "{args:?}");
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["partition"].as_str().unwrap().to_owned(),
                o["hash"].as_str().unwrap().to_owned(),
                o["created_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn by_partition_newest_first() {
    let repo = repo_with_objects();
    let hash = |package, n| independent_hash(&version_set(package, n));
    let all = listed(&repo, &[]);
    assert_eq!(
        all,
        [
            (
                "billing".to_owned(),
                hash("billing", 2),
                "2025-05-03T12:00:00Z".to_owned()
            ),
            (
                "billing".to_owned(),
                hash("billing", 1),
                "2025-05-02T12:00:00Z".to_owned()
            ),
            (
                "search".to_owned(),
                hash("search", 3),
                "2025-05-04T12:00:00Z".to_owned()
            ),
        ]
    );
    assert_eq!(listed(&repo, &["version-sets"]), all);
    assert_eq!(listed(&repo, &["--package", "search"]), all[2..]);
    assert_eq!(
        listed(&repo, &["version-sets", "--package", "billing"]),
        all[..2]
    );
    assert!(listed(&repo, &["--package", "nothing-here"]).is_empty());
}

#[test]
fn human_output_is_a_table() {
    let repo = repo_with_objects();
    let output = repo.berth().arg("ls").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let short = |package, n| independent_hash(&version_set(package, n))[..12].to_owned();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "OBJECT                     PARTITION  CREATED\n\
             version-sets/{}  billing    2025-05-03T12:00:00Z\n\
             version-sets/{}  billing    2025-05-02T12:00:00Z\n\
             version-sets/{}  search     2025-05-04T12:00:00Z\n",
            short("billing", 2),
            short("billing", 1),
            short("search", 3)
        )
    );
}

#[test]
fn an_empty_store_says_so() {
    let repo = Repo::init();
    let output = repo.berth().arg("ls").output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "No objects found.\n"
    );
}

#[test]
fn usage_errors() {
    let repo = repo_with_objects();
    for (args, code) in [
        (vec!["widgets"], "berth::unknown-store"),
        (vec!["--package", "../etc"], "berth::bad-name"),
    ] {
        let (exit, report) = repo.json(&[&["ls"], &args[..]].concat());
        assert_eq!(exit, 2, "{args:?}");
        assert_eq!(report["error"]["code"], code, "{args:?}");
    }
}

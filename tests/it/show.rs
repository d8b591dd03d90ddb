//! `berth show`.

use crate::support::{Repo, independent_hash, stdout_json, version_set};

fn repo_with_one() -> (Repo, String) {
    let repo = Repo::init();
    let data = version_set("billing", 1);
    repo.write_json("vs.json", &data);
    repo.berth()
        .args(["put", "version-sets", "vs.json", "--commit"])
        .assert()
        .success();
    (repo, independent_hash(&data))
}

#[test]
fn by_store_and_hash_or_by_prefix() {
    let (repo, hash) = repo_with_one();
    let names = [
        format!("version-sets/{hash}"),
        hash.clone(),
        hash[..8].to_owned(),
        format!("version-sets/{}", &hash[..10]),
        hash[..12].to_uppercase(),
    ];
    for name in names {
        let (code, shown) = repo.json(&["show", &name]);
        assert_eq!(code, 0, "{name}");
        assert_eq!(shown["object"], format!("version-sets/{hash}"), "{name}");
        assert_eq!(shown["store"], "version-sets");
        assert_eq!(shown["partition"], "billing");
        assert_eq!(shown["hash"], hash.as_str());
        assert_eq!(
            shown["path"],
            format!("objects/version-sets/billing/{hash}.json")
        );
        assert_eq!(shown["tags"], serde_json::json!(["pkg:billing"]));
        assert_eq!(shown["data"], version_set("billing", 1));
        assert_eq!(shown["findings"], serde_json::json!([]));
    }
}

#[test]
fn human_output_shows_the_file_as_written() {
    let (repo, hash) = repo_with_one();
    let output = repo.berth().args(["show", &hash[..8]]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let expected = format!(
        "object     version-sets/{hash}\nstore      version-sets\npartition  billing\npath       objects/version-sets/billing/{hash}.json\ntags       pkg:billing\nstatus     draft\n\n{}",
        repo.read("vs.json")
    );
    assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
}

#[test]
fn names_that_do_not_find_exactly_one_object() {
    let (repo, hash) = repo_with_one();
    // Two files whose names share a prefix (their contents do not matter to lookup).
    repo.write(
        &format!("objects/version-sets/billing/deadbeef{}.json", &hash[8..]),
        "{}",
    );
    repo.write(
        &format!(
            "objects/version-sets/search/deadbeef{}.json",
            &hash[..56].chars().rev().collect::<String>()
        ),
        "{}",
    );
    let cases: &[(&str, i32, &str)] = &[
        ("deadbeef", 1, "berth::ambiguous-ref"),
        ("0badc0de", 1, "berth::object-not-found"),
        ("deadbee", 2, "berth::bad-ref"),
        ("not-hex-at-all", 2, "berth::bad-ref"),
        ("Widgets/deadbeef", 2, "berth::bad-ref"),
        ("widgets/deadbeef", 2, "berth::unknown-store"),
    ];
    for (name, exit, code) in cases {
        let (status, report) = repo.json(&["show", name]);
        assert_eq!(status, *exit, "{name}");
        assert_eq!(report["error"]["code"], *code, "{name}");
    }
}

#[test]
fn a_tampered_object_is_shown_with_its_finding() {
    let (repo, hash) = repo_with_one();
    let path = format!("objects/version-sets/billing/{hash}.json");
    repo.write(&path, &repo.read(&path).replace("billing-1", "billing-2"));
    let output = repo
        .berth()
        .args(["show", &hash[..8], "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let shown = stdout_json(&output);
    assert_eq!(crate::support::codes(&shown), ["hash-mismatch"]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("berth::hash-mismatch"));
}

//! `berth validate` over the working tree.

use serde_json::json;

use crate::support::{Repo, codes, independent_hash, version_set};

#[test]
fn a_clean_repository_passes() {
    let repo = Repo::init();
    repo.write_json("a.json", &version_set("billing", 1));
    repo.write_json("b.json", &version_set("search", 2));
    repo.berth()
        .args(["put", "version-sets", "a.json", "b.json", "--commit"])
        .assert()
        .success();
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 0);
    assert_eq!(report["ok"], true);
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["summary"]["files_checked"], 3);
    assert_eq!(report["summary"]["errors"], 0);
}

#[test]
fn editing_a_committed_object_is_a_hash_mismatch_naming_the_file() {
    let repo = Repo::init();
    let data = version_set("billing", 1);
    repo.write_json("vs.json", &data);
    repo.berth()
        .args(["put", "version-sets", "vs.json", "--commit"])
        .assert()
        .success();
    let path = format!(
        "objects/version-sets/billing/{}.json",
        independent_hash(&data)
    );
    let edited = repo
        .read(&path)
        .replace("\"size_bytes\": 1001", "\"size_bytes\": 1002");
    repo.write(&path, &edited);

    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["hash-mismatch"]);
    assert_eq!(report["findings"][0]["file"], path.as_str());
    let mut changed = data.clone();
    changed["builds"]["worker"]["size_bytes"] = json!(1002);
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&independent_hash(&changed))
    );

    let human = repo.berth().arg("validate").output().unwrap();
    assert_eq!(human.status.code(), Some(1));
    let text = String::from_utf8(human.stdout).unwrap();
    assert!(text.contains("berth::hash-mismatch"), "{text}");
    assert!(text.contains(&path), "{text}");
}

#[test]
fn malformed_files_get_line_and_column() {
    let repo = Repo::init();
    let hash = independent_hash(&version_set("billing", 1));
    repo.write(
        &format!("objects/version-sets/billing/{hash}.json"),
        "{\n  \"package\": \"billing\",\n  \"git_sha\": ,\n}\n",
    );
    let other = independent_hash(&version_set("search", 2));
    repo.write(
        &format!("objects/version-sets/search/{other}.toml"),
        "package = \"search\"\ngit_sha = \n",
    );
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    let found: Vec<(String, String, i64, i64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('.')
                    .next()
                    .unwrap()
                    .to_owned(),
                f["line"].as_i64().unwrap(),
                f["column"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("parse".to_owned(), "json".to_owned(), 3, 14),
            ("parse".to_owned(), "toml".to_owned(), 2, 11)
        ]
    );
}

#[test]
fn every_bad_file_is_reported_not_just_the_first() {
    let repo = Repo::init();
    for n in 0..3 {
        let mut data = version_set("billing", n);
        data["git_sha"] = json!("nope");
        let hash = independent_hash(&data);
        repo.write_json(&format!("objects/version-sets/billing/{hash}.json"), &data);
    }
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["schema", "schema", "schema"]);
    assert_eq!(report["summary"]["errors"], 3);
}

#[test]
fn outside_a_berth_repository_validate_cannot_run() {
    let repo = Repo::empty();
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 4);
    assert_eq!(report["error"]["code"], "berth::not-a-repository");

    crate::support::init_git(repo.path());
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 4);
    assert_eq!(report["error"]["code"], "berth::not-a-berth-repository");
}

#[test]
fn settings_problems_are_findings() {
    let repo = Repo::init();
    repo.write(
        "berth.toml",
        "[repo]\ncatalog = \"main\"\ncolour = \"blue\"\n\n[environments.Prod]\n",
    );
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["schema", "bad-name"]);
    assert_eq!(report["findings"][0]["pointer"], "/repo/colour");
    assert_eq!(report["findings"][0]["line"], 3);
    assert_eq!(report["findings"][1]["pointer"], "/environments/Prod");

    repo.write("berth.toml", "[environments.Prod]\n");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["bad-name"]);
    assert_eq!(report["findings"][0]["line"], 1);
}

#[test]
fn other_commands_refuse_an_invalid_berth_toml_with_its_findings() {
    let repo = Repo::init();
    repo.write("berth.toml", "[repo]\nmax_object_bytes = 0\n");
    let (code, report) = repo.json(&["ls"]);
    assert_eq!(code, 1);
    assert_eq!(report["error"]["code"], "berth::invalid-settings");
    assert_eq!(codes(&report), ["schema"]);
    assert_eq!(report["findings"][0]["pointer"], "/repo/max_object_bytes");
}

#[test]
fn environments_whose_refs_git_cannot_hold_are_refused_before_any_ref_is_touched() {
    let cases = [
        (
            "[environments.\"dev.lock\"]\n",
            "bad-name",
            "/environments/dev.lock",
        ),
        (
            "[environments.\"dev.\"]\n",
            "bad-name",
            "/environments/dev.",
        ),
        (
            "[repo]\nenv_ref_prefix = \"refs/heads/main/\"\n[environments.dev]\n",
            "schema",
            "/repo/env_ref_prefix",
        ),
    ];
    for (settings, code, pointer) in cases {
        let repo = Repo::init();
        let put = repo.put_version_set("billing", 1);
        repo.write("berth.toml", settings);
        let (exit, report) = repo.json(&["validate"]);
        assert_eq!(exit, 1, "{settings}: {report:#}");
        assert_eq!(codes(&report), [code], "{settings}: {report:#}");
        assert_eq!(report["findings"][0]["pointer"], pointer, "{settings}");
        // Every command reads berth.toml first: a promotion is refused by the same
        // finding, not by libgit2 halfway through writing a ref.
        let env = settings
            .split('"')
            .nth(1)
            .filter(|name| name.starts_with("dev"))
            .unwrap_or("dev");
        let (exit, report) = repo.json(&["promote", &put.object, "--to", env]);
        assert_eq!(exit, 1, "{settings}: {report:#}");
        assert_eq!(
            report["findings"][0]["code"], code,
            "{settings}: {report:#}"
        );
        assert_eq!(
            repo.git_command(&["for-each-ref", "--format=%(refname)", "refs/heads/"]),
            "refs/heads/main\n"
        );
    }
}

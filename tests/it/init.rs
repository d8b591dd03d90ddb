//! `berth init`.

use crate::support::Repo;

#[test]
fn creates_the_repository_settings_and_layout() {
    let repo = Repo::empty();
    let (code, outcome) = repo.json(&["init", "new"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["git_created"], true);
    assert_eq!(outcome["catalog"], "main");
    assert_eq!(outcome["template"], "workers");
    assert_eq!(
        outcome["created"],
        serde_json::json!(["berth.toml", "objects/"])
    );
    assert_eq!(outcome["commit"], serde_json::Value::Null);
    let root = repo.path().join("new");
    assert_eq!(
        std::fs::read_to_string(root.join("berth.toml")).unwrap(),
        berth::settings::default_file("main")
    );
    assert!(root.join("objects").is_dir());
    let git = crate::support::open_git(&root);
    assert_eq!(
        git.find_reference("HEAD")
            .unwrap()
            .symbolic_target()
            .unwrap(),
        Some("refs/heads/main")
    );
}

#[test]
fn the_default_settings_have_three_environments_in_a_line() {
    let settings =
        berth::settings::Settings::parse(&berth::settings::default_file("main")).unwrap();
    let environments = &settings.file.environments;
    assert_eq!(
        environments.keys().collect::<Vec<_>>(),
        ["dev", "production", "staging"]
    );
    assert!(environments["dev"].from.is_empty());
    assert_eq!(environments["staging"].from, ["dev"]);
    assert_eq!(environments["production"].from, ["staging"]);
}

#[test]
fn commit_records_berth_toml() {
    let repo = Repo::empty();
    repo.berth().args(["init", "--commit"]).assert().success();
    let head = repo.head().unwrap();
    assert!(head.parents.is_empty());
    assert_eq!(head.message, "berth init");
    assert_eq!(head.paths, ["berth.toml"]);
    assert!(repo.changed().is_empty());
}

#[test]
fn in_an_existing_repository_the_catalog_is_its_branch() {
    let repo = Repo::empty();
    let git = crate::support::init_git(repo.path());
    git.set_head("refs/heads/trunk").unwrap();
    repo.write("README.md", "hello\n");
    let (code, outcome) = repo.json(&["init"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["git_created"], false);
    assert_eq!(outcome["catalog"], "trunk");
    assert!(repo.read("berth.toml").contains("catalog = \"trunk\""));
    assert_eq!(repo.read("README.md"), "hello\n");
}

#[test]
fn an_initialized_repository_is_left_alone() {
    let repo = Repo::init();
    repo.write("berth.toml", "# mine\n");
    let (code, report) = repo.json(&["init"]);
    assert_eq!(code, 1);
    assert_eq!(report["error"]["code"], "berth::already-initialized");
    assert_eq!(repo.read("berth.toml"), "# mine\n");
}

#[test]
fn a_failed_init_leaves_nothing_behind() {
    let repo = Repo::empty();
    let (code, report) = repo.json_without_identity(&["init", "fresh", "--commit"]);
    assert_eq!(code, 4);
    assert_eq!(report["error"]["code"], "berth::no-identity");
    assert!(!repo.path().join("fresh").exists());
}

#[test]
fn human_output() {
    let repo = Repo::empty();
    let output = repo.berth().args(["init", "--commit"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let head = repo.head().unwrap();
    let root = std::fs::canonicalize(repo.path()).unwrap();
    let text = String::from_utf8(output.stdout)
        .unwrap()
        .replace(&format!("{}/", root.display()), "<root>/");
    assert_eq!(
        text,
        format!(
            "Initialized berth repository in <root>/ (new git repository)\n  created   berth.toml\n  created   objects/\n  committed {}\n",
            &head.id[..12]
        )
    );
}

#[test]
fn the_workers_template_is_the_default() {
    let repo = Repo::empty();
    let (code, outcome) = repo.json(&["init", "named", "--template", "workers"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["template"], "workers");
    assert_eq!(
        outcome["created"],
        serde_json::json!(["berth.toml", "objects/"])
    );
    assert_eq!(
        repo.read("named/berth.toml"),
        berth::settings::default_file("main")
    );
}

#[test]
fn the_containers_template_writes_settings_for_components_and_releases() {
    let repo = Repo::empty();
    let (code, outcome) = repo.json(&["init", "estate", "--template", "containers"]);
    assert_eq!(code, 0);
    assert_eq!(outcome["template"], "containers");
    assert_eq!(
        outcome["created"],
        serde_json::json!(["berth.toml", "objects/", "components/"])
    );
    let root = repo.path().join("estate");
    assert!(root.join("objects").is_dir());
    assert!(root.join("components").is_dir());
    let text = repo.read("estate/berth.toml");
    assert_eq!(text, berth::settings::containers_file("main"));
    insta::assert_snapshot!("containers_berth_toml", text);
    let (code, report) = repo.json(&["-C", "estate", "validate"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["findings"], serde_json::json!([]));
}

#[test]
fn an_unknown_template_is_a_usage_error_and_writes_nothing() {
    let repo = Repo::empty();
    let output = repo
        .berth()
        .args(["init", "--template", "nope"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("[possible values: workers, containers]"),
        "{stderr}"
    );
    let (code, report) = repo.json(&["init", "--template", "nope"]);
    assert_eq!(code, 2);
    assert_eq!(report["error"]["code"], "berth::usage");
    assert_eq!(std::fs::read_dir(repo.path()).unwrap().count(), 0);
}

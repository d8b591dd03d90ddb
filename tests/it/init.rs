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

/// A repository where `berth init` wrote berth.toml and no one committed it, on
/// top of a first commit of the project's own; and the version set to put.
fn initialized_but_not_committed() -> Repo {
    let repo = Repo::empty();
    crate::support::init_git(repo.path())
        .set_head("refs/heads/main")
        .unwrap();
    repo.write("README.md", "hello\n");
    repo.git_commit_all("README");
    repo.berth().arg("init").assert().success();
    repo.write_json("billing-1.json", &crate::support::version_set("billing", 1));
    repo
}

/// `(exit code, error code, message, help)` of a command run with `--format json`.
fn refusal(repo: &Repo, args: &[&str]) -> (i32, String, String, String) {
    let (code, report) = repo.json(args);
    let field = |name: &str| {
        report["error"][name]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    (code, field("code"), field("message"), field("help"))
}

#[test]
fn writers_refuse_to_commit_onto_a_branch_without_berth_toml_and_write_nothing() {
    let repo = initialized_but_not_committed();
    let head = repo.tip("HEAD");
    let refused = |args: &[&str]| {
        assert_eq!(
            refusal(&repo, args),
            (
                4,
                "berth::settings-not-committed".to_owned(),
                "berth.toml is not committed: the working tree has one, but `main` has none"
                    .to_owned(),
                "commit it first (`git add berth.toml`, then `git commit`) and run the command again; nothing was written"
                    .to_owned()
            ),
            "{args:?}"
        );
        assert_eq!(repo.tip("HEAD"), head, "{args:?}");
    };

    refused(&["put", "version-sets", "billing-1.json", "--commit"]);
    assert!(repo.files("objects").is_empty());
    refused(&[
        "component",
        "add",
        "api",
        "--image",
        "registry.example.com/api",
        "--commit",
    ]);
    assert!(repo.files("components").is_empty());
    let mut config = crate::support::NEW_PRICING.to_vec();
    config.extend(["--set", "rate_per_minute=0.02", "--commit"]);
    refused(&config);
    // Written without a commit, the object is there to mark; its event is not.
    let put = repo.ok(&["put", "version-sets", "billing-1.json"]);
    let object = put["objects"][0]["object"].as_str().unwrap();
    refused(&["mark", object, "ready", "--commit"]);
    assert_eq!(repo.files("objects").len(), 1);

    // In words, as the terminal shows it.
    let output = repo
        .berth()
        .args(["put", "version-sets", "billing-1.json", "--commit"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "berth::settings-not-committed\n\n  × berth.toml is not committed: the working tree has one, but `main` has none\n  help: commit it first (`git add berth.toml`, then `git commit`) and run the command again; nothing was written\n"
    );

    // The one thing every message asks for is what makes them all go through.
    repo.git_command(&["add", "berth.toml"]);
    repo.git_command(&["commit", "-q", "-m", "berth init"]);
    let committed = repo.ok(&["put", "version-sets", "billing-1.json", "--commit"]);
    assert_eq!(committed["commit"], serde_json::json!(repo.tip("HEAD")));
    assert_eq!(repo.head().unwrap().paths.len(), 3);
    repo.ok(&["check"]);
}

#[test]
fn check_and_validate_say_berth_toml_is_not_committed_or_not_staged() {
    let repo = initialized_but_not_committed();
    let not_committed = (
        4,
        "berth::settings-not-committed".to_owned(),
        "berth.toml is not committed: the working tree has one, but `HEAD` has none".to_owned(),
        "commit it (`git add berth.toml`, then `git commit`) and run the command again".to_owned(),
    );
    let not_staged = (
        4,
        "berth::settings-not-staged".to_owned(),
        "berth.toml is not staged: the working tree has one, but the index has none".to_owned(),
        "stage it (`git add berth.toml`) and run the command again".to_owned(),
    );
    for args in [
        &["check"][..],
        &["check", "--base", "HEAD"],
        &["validate", "--rev", "HEAD"],
        &["validate", "--rev", "HEAD", "--base", "HEAD"],
    ] {
        assert_eq!(refusal(&repo, args), not_committed, "{args:?}");
    }
    for args in [
        &["validate", "--staged"][..],
        &["validate", "--staged", "--base", "HEAD"],
    ] {
        assert_eq!(refusal(&repo, args), not_staged, "{args:?}");
    }
    repo.ok(&["validate"]);

    repo.git_command(&["add", "berth.toml"]);
    repo.ok(&["validate", "--staged", "--base", "HEAD"]);
    assert_eq!(refusal(&repo, &["check"]), not_committed);
    repo.git_command(&["commit", "-q", "-m", "berth init"]);
    repo.ok(&["check"]);
    repo.ok(&["validate", "--rev", "HEAD"]);
}

#[test]
fn a_revision_before_berth_toml_was_committed_has_none() {
    let repo = initialized_but_not_committed();
    repo.git_commit_all("berth init");
    // HEAD has berth.toml: the revision before it simply has none.
    assert_eq!(
        refusal(&repo, &["validate", "--rev", "HEAD~1"]),
        (
            4,
            "berth::not-a-berth-repository".to_owned(),
            "this git repository has no berth.toml at its root".to_owned(),
            "run `berth init` to start managing this repository with berth".to_owned()
        )
    );
}

#[test]
fn init_says_a_berth_toml_it_finds_is_not_committed() {
    let repo = initialized_but_not_committed();
    let text = repo.read("berth.toml");
    let (code, error, message, help) = refusal(&repo, &["init"]);
    assert_eq!((code, error.as_str()), (1, "berth::already-initialized"));
    let root = std::fs::canonicalize(repo.path()).unwrap();
    assert_eq!(
        message,
        format!(
            "`{}/` already has a berth.toml, but it is not committed",
            root.display()
        )
    );
    assert_eq!(
        help,
        "commit it (`git add berth.toml`, then `git commit`): commands that commit refuse until it is, and checks of a commit read the berth.toml committed there"
    );
    assert_eq!(repo.read("berth.toml"), text);

    // Before any commit at all, the same.
    let fresh = Repo::empty();
    fresh.berth().arg("init").assert().success();
    let (_, error, message, _) = refusal(&fresh, &["init", "--commit"]);
    assert_eq!(error, "berth::already-initialized");
    assert!(message.ends_with("already has a berth.toml, but it is not committed"));
    assert_eq!(fresh.head(), None);
}

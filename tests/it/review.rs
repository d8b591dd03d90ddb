//! `berth review`: what a change ships, as JSON and as a pull-request comment.
//!
//! Each scenario is a repository with a base and a change made after it (on a
//! branch, or on an environment's ref); the tests check the exact verdict, exit
//! code, findings and JSON fields, snapshot the markdown comment, check that its
//! tables are CommonMark (GFM) tables and that the JSON matches its schema.
//! Commands are written as one line and split on whitespace.

use std::sync::OnceLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde_json::{Value, json};

use crate::support::{Put, Repo, codes, commit_on_env_by_hand, run_at, state_toml, version_set};

/// 2025-04-30T08:00:00Z: berth's "now" (SOURCE_DATE_EPOCH), which stamps
/// releases, version maps and config versions, and decides what is in the past.
const EPOCH: i64 = 1_746_000_000;

/// The most characters a comment may hold.
const COMMENT_LIMIT: usize = 65_536;

/// What berth says of the environments a review could not compare.
fn not_compared(environments: &str) -> String {
    format!(
        "not compared: {environments} (no `origin` remote-tracking ref to compare the local ref with; name the commits with --env-base and --env-head)"
    )
}

/// What berth says of the environments a review found no ref of, with a remote
/// that could hold them.
fn no_ref(environments: &str) -> String {
    format!(
        "not compared: {environments} (no local or `origin` remote-tracking ref here: not fetched, or never opened; fetch them with `git fetch origin '+refs/heads/env/*:refs/remotes/origin/env/*'`)"
    )
}

/// A digest whose hex digits are `n` repeated.
fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

/// Runs berth at [`EPOCH`], asserting it exits 0.
fn ok(repo: &Repo, line: &str) -> Value {
    let (code, value) = run_at(repo, EPOCH, line);
    assert_eq!(code, 0, "berth {line}: {value:#}");
    value
}

/// `berth review <args> --format json` at [`EPOCH`]: its exit code and JSON.
fn review(repo: &Repo, args: &str) -> (i32, Value) {
    run_at(repo, EPOCH, &format!("review {args}"))
}

/// `berth review <args> --format markdown` at `epoch`: its exit code and text.
fn markdown_at(repo: &Repo, epoch: i64, args: &str) -> (i32, String) {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .arg("review")
        .args(args.split_whitespace())
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    let code = output.status.code().expect("ended by a signal");
    (code, String::from_utf8(output.stdout).unwrap())
}

/// `berth review <args> --format markdown` at [`EPOCH`].
fn markdown(repo: &Repo, args: &str) -> (i32, String) {
    markdown_at(repo, EPOCH, args)
}

/// Starts a branch `change` at HEAD, so that `--base main` reviews what follows.
fn branch(repo: &Repo) {
    repo.git_command(&["checkout", "-q", "-b", "change"]);
}

/// Snapshots a comment with every commit id of the repository (full or short)
/// shown as `[commit]`; object hashes and digests, which only the data decides,
/// stay as they are.
fn assert_comment_snapshot(name: &str, repo: &Repo, text: &str) {
    let mut settings = insta::Settings::clone_current();
    for id in repo.git_command(&["rev-list", "--all", "--reflog"]).lines() {
        settings.add_filter(&format!(r"\b{}[0-9a-f]*\b", &id[..12]), "[commit]");
    }
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// A repository and the review arguments that show its change.
struct Scenario {
    repo: Repo,
    args: String,
}

impl Scenario {
    fn json(&self) -> (i32, Value) {
        review(&self.repo, &self.args)
    }

    fn markdown(&self) -> (i32, String) {
        markdown(&self.repo, &self.args)
    }
}

/// Registers a component and records `tags` in its version map, both committed.
fn component(repo: &Repo, name: &str, tags: &[(&str, u8)]) {
    ok(
        repo,
        &format!("component add {name} --image registry.example.com/shop/{name} --commit"),
    );
    component_tags(repo, name, tags);
}

/// Records more tags of a registered component, committed.
fn component_tags(repo: &Repo, name: &str, tags: &[(&str, u8)]) {
    let list: Vec<Value> = tags
        .iter()
        .map(|(tag, n)| json!({"tag": tag, "digest": digest(*n)}))
        .collect();
    let file = format!("input/{name}-{}.json", tags[0].0);
    repo.write_json(&file, &json!(list));
    ok(repo, &format!("versions import {name} {file} --commit"));
}

/// (a) shop 1.0.0 carries api 1.0.0 and web 2.0.0; the change records api v2.0.0
/// and cuts shop 1.0.1 with api alone: a component removed and one taking a major
/// bump, declared as a patch.
fn understated() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let repo = Repo::init_in_target();
        component(&repo, "api", &[("v1.0.0", 0x11)]);
        component(&repo, "web", &[("v2.0.0", 0x21)]);
        ok(
            &repo,
            "release create shop --version 1.0.0 --pin api=v1.0.0 --pin web=v2.0.0 --commit",
        );
        branch(&repo);
        component_tags(&repo, "api", &[("v2.0.0", 0x12)]);
        ok(
            &repo,
            "release create shop --version 1.0.1 --pin api=v2.0.0 --commit",
        );
        Scenario {
            repo,
            args: "--base main".to_owned(),
        }
    })
}

/// billing 1 went dev -> staging -> production; billing 2 is in dev.
struct Estate {
    repo: Repo,
    one: Put,
    two: Put,
    /// dev's tip before billing 2 reached it.
    dev_before: String,
}

fn estate(repo: Repo) -> Estate {
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ready(&one);
    repo.ready(&two);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    repo.ok(&["promote", "billing@staging", "--to", "production"]);
    let dev_before = repo.env_tip("dev").unwrap();
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    Estate {
        repo,
        one,
        two,
        dev_before,
    }
}

/// A commit on `env` made by hand, as a user with git would: `source`'s tree with
/// `state` as state.toml, parents the environment's tip and `source`, and
/// `message`; the environment's ref moves to it. Its id.
fn commit_by_hand(repo: &Repo, env: &str, source: &str, state: &str, message: &str) -> String {
    let git = repo.git();
    let source_tree = git
        .find_commit(git2::Oid::from_str(source).unwrap())
        .unwrap()
        .tree()
        .unwrap();
    let blob = git.blob(state.as_bytes()).unwrap();
    let mut builder = git.treebuilder(Some(&source_tree)).unwrap();
    builder.insert("state.toml", blob, 0o100_644).unwrap();
    let tree = builder.write().unwrap();
    commit_on_env_by_hand(repo, env, source, tree, message)
}

/// (b) A commit made by hand on env/production takes billing 2 straight from
/// dev, with trailers that say so: production receives only from staging.
struct Skipped {
    estate: Estate,
    production_before: String,
    production_after: String,
    args: String,
}

fn skipped() -> &'static Skipped {
    static SCENARIO: OnceLock<Skipped> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let estate = estate(Repo::init_in_target());
        let repo = &estate.repo;
        let production_before = repo.env_tip("production").unwrap();
        let dev = repo.env_tip("dev").unwrap();
        let state = state_toml(&[(
            "billing",
            &estate.two.object,
            &["env:production", "pkg:billing"],
        )]);
        let message = format!(
            "promote billing to production: {}\n\nBerth-Action: promote\nBerth-Package: billing\nBerth-Object: {}\nBerth-From: dev\n",
            &estate.two.object[..25],
            estate.two.object
        );
        let production_after = commit_by_hand(repo, "production", &dev, &state, &message);
        let args = format!("--base main --env-base production={production_before}");
        Skipped {
            estate,
            production_before,
            production_after,
            args,
        }
    })
}

/// (c) pricing-acct-1 version 1, then on the branch version 2, from 2025-06-01:
/// one setting changed, one nested setting changed, one added, one removed.
fn config_update() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let repo = Repo::init_in_target();
        ok(
            &repo,
            "config set pricing-acct-1 --expect-version 0 --type pricing --category logic
             --applies-to acct_1 --scope account --effective-at 2025-01-01T00:00:00Z
             --set rate=0.02 --set tier=gold --set limits.daily=5 --commit",
        );
        branch(&repo);
        ok(
            &repo,
            "config set pricing-acct-1 --expect-version 1 --set rate=0.03 --unset tier
             --set limits.daily=7 --set minimum=1 --effective-at 2025-06-01T00:00:00Z --commit",
        );
        Scenario {
            repo,
            args: "--base main".to_owned(),
        }
    })
}

/// (d) api's version map records v1.0.0 and v1.1.0; the branch edits the file so
/// that v1.0.0 names another digest.
fn moved_tag() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let repo = Repo::init_in_target();
        component(&repo, "api", &[("v1.0.0", 0x11), ("v1.1.0", 0x12)]);
        branch(&repo);
        let file = "components/api.versions.toml";
        let text = repo.read(file);
        let hex = |n: u8| digest(n)["sha256:".len()..].to_owned();
        assert_eq!(text.matches(&hex(0x11)).count(), 1, "{text}");
        repo.write(file, &text.replace(&hex(0x11), &hex(0x99)));
        repo.git_commit_all("api v1.0.0 is another image now");
        Scenario {
            repo,
            args: "--base main".to_owned(),
        }
    })
}

/// (e) The branch only edits README.md.
fn readme_only() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let repo = Repo::init_in_target();
        repo.put_version_set("billing", 1);
        branch(&repo);
        repo.write("README.md", "# Our estate\n\nNothing berth reads.\n");
        repo.git_commit_all("Describe the estate");
        Scenario {
            repo,
            args: "--base main".to_owned(),
        }
    })
}

/// Twelve new version sets of one package, so the table of new objects is folded.
fn twelve_objects() -> &'static Scenario {
    static SCENARIO: OnceLock<Scenario> = OnceLock::new();
    SCENARIO.get_or_init(|| {
        let repo = Repo::init_in_target();
        branch(&repo);
        let sets: Vec<(&str, u32)> = (1..=12).map(|n| ("billing", n)).collect();
        repo.put_version_sets(&sets);
        Scenario {
            repo,
            args: "--base main".to_owned(),
        }
    })
}

/// The environments of a lineage path, from the environment back to the catalog.
fn path_environments(entry: &Value) -> Vec<&str> {
    entry["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["environment"].as_str().unwrap())
        .collect()
}

/// The commits of a lineage path, in the same order.
fn path_commits(entry: &Value) -> Vec<&str> {
    entry["path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["commit"].as_str().unwrap())
        .collect()
}

/// The counts a review gives, in the order the JSON has them.
fn counts(
    new_objects: usize,
    packages: usize,
    moves: usize,
    configs: usize,
    registry: usize,
    errors: usize,
    warnings: usize,
) -> Value {
    json!({
        "new_objects": new_objects,
        "packages": packages,
        "environment_moves": moves,
        "config_versions": configs,
        "registry_changes": registry,
        "errors": errors,
        "warnings": warnings,
    })
}

#[test]
fn an_understated_release_blocks_the_review() {
    let scenario = understated();
    let repo = &scenario.repo;
    let (code, json) = scenario.json();
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "blocked");
    assert_eq!(json["base"]["revision"], "main");
    assert_eq!(
        json["base"]["commit"],
        repo.tip("refs/heads/main").unwrap().as_str()
    );
    assert_eq!(json["head"]["revision"], "HEAD");
    assert_eq!(json["head"]["commit"], repo.tip("HEAD").unwrap().as_str());
    assert_eq!(json["counts"], counts(1, 1, 0, 0, 1, 1, 0));
    assert_eq!(codes(&json), ["semver-understated"]);

    let packages = json["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 1, "{json:#}");
    assert_eq!(packages[0]["store"], "releases");
    assert_eq!(packages[0]["package"], "shop");
    let objects = packages[0]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    let release = &objects[0];
    let file = release["file"].as_str().unwrap();
    let hash = release["object"]
        .as_str()
        .unwrap()
        .strip_prefix("releases/")
        .unwrap();
    assert_eq!(file, format!("objects/releases/shop/{hash}.json"));
    assert_eq!(release["version"], "1.0.1");
    assert_eq!(release["previous"]["version"], "1.0.0");
    let previous = release["previous"]["file"].as_str().unwrap();
    let first: Value = serde_json::from_str(&repo.read(previous)).unwrap();
    assert_eq!(first["version"], "1.0.0");
    assert_eq!(release["declared"], "patch");
    assert_eq!(release["required"], "major");
    assert_eq!(release["understated"], true);
    assert_eq!(
        release["changes"],
        json!([
            {"bump": "major", "pointer": "/components/0/semver",
             "what": "`api` took a major bump, 1.0.0 -> 2.0.0"},
            {"bump": "major", "pointer": "/components/1",
             "what": "`web` was removed from `/components`"},
        ])
    );
    let version = |n: u8, tag: &str, semver: &str, name: &str| {
        json!({
            "name": name,
            "digest": digest(n),
            "tag": tag,
            "semver": semver,
        })
    };
    assert_eq!(
        release["components"],
        json!({
            "added": [],
            "removed": [version(0x21, "v2.0.0", "2.0.0", "web")],
            "changed": [{
                "name": "api",
                "from": version(0x11, "v1.0.0", "1.0.0", "api"),
                "to": version(0x12, "v2.0.0", "2.0.0", "api"),
            }],
            "unchanged": [],
        })
    );
    assert_eq!(release["event"], Value::Null);
    let finding = &json["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["file"], file);
    assert_eq!(finding["pointer"], "/version");

    // The version map change that recorded api v2.0.0 is listed too.
    assert_eq!(
        json["registry"],
        json!([{
            "file": "components/api.versions.toml",
            "component": "api",
            "kind": "versions",
            "change": "modified",
            "fields": [],
            "tags_added": [{"tag": "v2.0.0", "digest": digest(0x12), "semver": "2.0.0",
                            "channel": "stable"}],
            "tags_removed": [],
            "tags_moved": [],
        }])
    );
    assert_eq!(json["environments"], json!([]));
    assert_eq!(json["configs"], json!([]));
    assert_eq!(json["notes"], json!([]));

    let (code, text) = scenario.markdown();
    assert_eq!(code, 1);
    assert!(text.starts_with("## berth review: ⛔ blocked\n"), "{text}");
    assert!(text.contains("| 1.0.1 | 1.0.0 | patch | major | ⛔ understated |"));
    assert_comment_snapshot("understated_release", repo, &text);
}

#[test]
fn a_promotion_that_skips_staging_is_not_allowed() {
    let scenario = skipped();
    let estate = &scenario.estate;
    let repo = &estate.repo;
    let (code, json) = review(repo, &scenario.args);
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "blocked");
    assert_eq!(json["counts"], counts(0, 0, 1, 0, 0, 1, 0));
    assert_eq!(codes(&json), ["promotion-path"]);
    let finding = &json["findings"][0];
    assert_eq!(finding["severity"], "error");
    assert_eq!(finding["file"], "refs/heads/env/production:state.toml");
    assert_eq!(finding["pointer"], "/packages/billing");
    let message = finding["message"].as_str().unwrap();
    assert_eq!(
        message,
        format!(
            "billing was promoted by commit {} from `dev`, but production receives only from staging",
            &scenario.production_after[..12]
        )
    );

    let environments = json["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 1, "{json:#}");
    let production = &environments[0];
    assert_eq!(production["environment"], "production");
    assert_eq!(
        production["base"],
        json!({"revision": scenario.production_before, "commit": scenario.production_before})
    );
    assert_eq!(
        production["head"],
        json!({"revision": "refs/heads/env/production", "commit": scenario.production_after})
    );
    assert_eq!(production["rewritten"], false);
    let moves = production["moves"].as_array().unwrap();
    assert_eq!(moves.len(), 1);
    let entry = &moves[0];
    assert_eq!(entry["package"], "billing");
    assert_eq!(
        entry["from"],
        json!({"object": estate.one.object, "version": null})
    );
    assert_eq!(
        entry["to"],
        json!({"object": estate.two.object, "version": null})
    );
    assert_eq!(entry["action"], "promote");
    assert_eq!(path_environments(entry), ["production", "dev", "main"]);
    assert_eq!(
        path_commits(entry),
        [
            scenario.production_after.as_str(),
            repo.env_tip("dev").unwrap().as_str(),
            estate.two.commit.as_str(),
        ]
    );
    assert_eq!(entry["allowed"], false);
    assert_eq!(entry["problems"], json!([message]));
    // dev and staging have local refs only, and there is no remote to compare.
    assert_eq!(json["notes"], json!([not_compared("dev, staging")]));
    assert_eq!(json["packages"], json!([]));

    let (code, text) = markdown(repo, &scenario.args);
    assert_eq!(code, 1);
    assert!(text.contains("| main → dev → production | ⛔ billing was promoted by commit"));
    assert_comment_snapshot("skipped_environment", repo, &text);
}

#[test]
fn a_hand_made_commit_without_trailers_is_not_allowed() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    let before = repo.env_tip("production").unwrap();
    let state = state_toml(&[(
        "billing",
        &estate.two.object,
        &["env:production", "pkg:billing"],
    )]);
    let dev = repo.env_tip("dev").unwrap();
    let after = commit_by_hand(
        repo,
        "production",
        &dev,
        &state,
        "hotfix: billing 2 straight to production\n",
    );
    let (code, json) = review(repo, &format!("--base main --env-base production={before}"));
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "blocked");
    assert_eq!(codes(&json), ["promotion-path"]);
    let message = json["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(&after[..12]), "{message}");
    let entry = &json["environments"][0]["moves"][0];
    assert_eq!(entry["to"]["object"], estate.two.object.as_str());
    // No berth commit set the entry: no action and no path to show.
    assert_eq!(entry["action"], Value::Null);
    assert_eq!(entry["path"], json!([]));
    assert_eq!(entry["allowed"], false);
    assert_eq!(entry["problems"], json!([message]));
    let (_, text) = markdown(repo, &format!("--base main --env-base production={before}"));
    assert!(
        text.contains("| not set by a berth promotion | ⛔ "),
        "{text}"
    );
    assert_tables_parse(&text);
}

#[test]
fn a_promotion_along_the_path_is_allowed() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    let staging_before = repo.env_tip("staging").unwrap();
    repo.ok(&["promote", "billing@dev", "--to", "staging"]);
    let staging = repo.env_tip("staging").unwrap();
    let (code, json) = review(
        repo,
        &format!("--base main --env-base staging={staging_before}"),
    );
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "ready");
    assert_eq!(json["findings"], json!([]));
    assert_eq!(json["counts"], counts(0, 0, 1, 0, 0, 0, 0));
    let environments = json["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 1, "{json:#}");
    assert_eq!(environments[0]["environment"], "staging");
    assert_eq!(environments[0]["head"]["commit"], staging.as_str());
    let entry = &environments[0]["moves"][0];
    assert_eq!(environments[0]["moves"].as_array().unwrap().len(), 1);
    assert_eq!(entry["from"]["object"], estate.one.object.as_str());
    assert_eq!(entry["to"]["object"], estate.two.object.as_str());
    assert_eq!(entry["action"], "promote");
    assert_eq!(path_environments(entry), ["staging", "dev", "main"]);
    assert_eq!(
        path_commits(entry),
        [
            staging.as_str(),
            repo.env_tip("dev").unwrap().as_str(),
            estate.two.commit.as_str(),
        ]
    );
    assert_eq!(entry["path"][2]["action"], Value::Null);
    assert_eq!(entry["allowed"], true);
    assert_eq!(entry["problems"], json!([]));
    assert_eq!(json["notes"], json!([not_compared("dev, production")]));
    assert_matches_schema(&json);

    let (code, text) = markdown(
        repo,
        &format!("--base main --env-base staging={staging_before}"),
    );
    assert_eq!(code, 0);
    assert!(text.contains("| main → dev → staging | ✅ |"), "{text}");
    assert_tables_parse(&text);
}

#[test]
fn a_config_update_shows_its_settings_diff_and_when_it_takes_effect() {
    let scenario = config_update();
    let repo = &scenario.repo;
    let (code, json) = scenario.json();
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "ready");
    assert_eq!(json["counts"], counts(1, 0, 0, 1, 0, 0, 0));
    assert_eq!(json["packages"], json!([]));
    let configs = json["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "{json:#}");
    let config = &configs[0];
    let file = config["file"].as_str().unwrap();
    let data: Value = serde_json::from_str(&repo.read(file)).unwrap();
    assert_eq!(data["version"], 2);
    let hash = config["object"]
        .as_str()
        .unwrap()
        .strip_prefix("configs/")
        .unwrap();
    assert_eq!(file, format!("objects/configs/pricing-acct-1/{hash}.json"));
    assert_eq!(config["id"], "pricing-acct-1");
    assert_eq!(config["version"], 2);
    assert_eq!(config["type"], "pricing");
    assert_eq!(config["scope"], "account");
    assert_eq!(config["applies_to"], "acct_1");
    assert_eq!(config["effective_at"], "2025-06-01T00:00:00Z");
    // berth's now is 2025-04-30: the version is scheduled.
    assert_eq!(config["effective_in_past"], false);
    assert_eq!(config["supersedes"]["version"], 1);
    assert_eq!(config["supersedes"]["effective_at"], "2025-01-01T00:00:00Z");
    let v1 = repo.files("objects/configs/pricing-acct-1");
    let v1: Vec<&String> = v1.iter().filter(|f| f.as_str() != file).collect();
    assert_eq!(v1.len(), 1);
    let v1_hash = v1[0]
        .strip_prefix("objects/configs/pricing-acct-1/")
        .unwrap()
        .strip_suffix(".json")
        .unwrap();
    assert_eq!(config["supersedes"]["object"], format!("configs/{v1_hash}"));
    assert_eq!(
        config["settings"],
        json!([
            {"key": "limits.daily", "from": 5, "to": 7},
            {"key": "minimum", "to": 1},
            {"key": "rate", "from": 0.02, "to": 0.03},
            {"key": "tier", "from": "gold"},
        ])
    );

    let (code, text) = scenario.markdown();
    assert_eq!(code, 0);
    assert!(!text.contains("in the past"), "{text}");
    assert_comment_snapshot("config_update", repo, &text);

    // Reviewed on 2025-07-01, the same version already took effect.
    let later = 1_751_328_000;
    let (code, json) = run_at(repo, later, &format!("review {}", scenario.args));
    assert_eq!(code, 0);
    assert_eq!(json["configs"][0]["effective_in_past"], true);
    let (_, text) = markdown_at(repo, later, &scenario.args);
    assert!(
        text.contains("takes effect 2025-06-01T00:00:00Z (⚠️ in the past"),
        "{text}"
    );
}

#[test]
fn a_moved_tag_blocks_the_review_with_a_security_caution() {
    let scenario = moved_tag();
    let repo = &scenario.repo;
    let (code, json) = scenario.json();
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "blocked");
    assert_eq!(json["counts"], counts(0, 0, 0, 0, 1, 1, 0));
    assert_eq!(codes(&json), ["tag-moved"]);
    assert_eq!(json["findings"][0]["file"], "components/api.versions.toml");
    assert_eq!(json["findings"][0]["pointer"], "/versions/0/digest");
    assert_eq!(
        json["registry"],
        json!([{
            "file": "components/api.versions.toml",
            "component": "api",
            "kind": "versions",
            "change": "modified",
            "fields": [],
            "tags_added": [],
            "tags_removed": [],
            "tags_moved": [{"tag": "v1.0.0", "from": digest(0x11), "to": digest(0x99)}],
        }])
    );

    let (code, text) = scenario.markdown();
    assert_eq!(code, 1);
    assert!(
        text.contains(
            "> [!CAUTION]\n> **Security:** tag `v1.0.0` of `api` moved from `sha256:111111111111` to `sha256:999999999999`."
        ),
        "{text}"
    );
    assert_comment_snapshot("moved_tag", repo, &text);
}

#[test]
fn a_change_with_no_berth_content_is_ready() {
    let scenario = readme_only();
    let repo = &scenario.repo;
    let (code, json) = scenario.json();
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "ready");
    assert_eq!(json["counts"], counts(0, 0, 0, 0, 0, 0, 0));
    for part in [
        "packages",
        "environments",
        "configs",
        "registry",
        "findings",
        "notes",
    ] {
        assert_eq!(json[part], json!([]), "{part}");
    }
    let (code, text) = scenario.markdown();
    assert_eq!(code, 0);
    // The header alone: no section.
    assert!(!text.contains("###"), "{text}");
    assert_comment_snapshot("no_berth_content", repo, &text);
}

/// Whether a line is a table's delimiter row: `| --- | --- |`.
fn is_delimiter(line: &str) -> bool {
    line.len() > 1
        && line.starts_with('|')
        && line[1..]
            .split_terminator('|')
            .all(|cell| cell.trim() == "---")
}

/// The cells of a table row: its unescaped pipes, less one.
fn cells(row: &str) -> usize {
    let mut pipes = 0;
    let mut escaped = false;
    for c in row.chars() {
        match c {
            '\\' if !escaped => escaped = true,
            '|' if !escaped => pipes += 1,
            _ => escaped = false,
        }
    }
    pipes - 1
}

/// Every table of the text (a header row, then a `| --- |` delimiter row) is
/// parsed by a CommonMark parser with GFM tables as a table with as many columns
/// and body rows as the text has, and there are as many tables as delimiter rows:
/// no table, inside `<details>` or not, falls back to a paragraph. The number of
/// tables.
fn assert_tables_parse(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut written = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if !is_delimiter(line) {
            continue;
        }
        let columns = line.matches("---").count();
        assert!(i > 0, "a delimiter row opens the text");
        assert_eq!(cells(lines[i - 1]), columns, "header: {}", lines[i - 1]);
        assert!(
            i == 1 || lines[i - 2].is_empty(),
            "no blank line before the table at {}",
            lines[i - 1]
        );
        let rows: Vec<&&str> = lines[i + 1..]
            .iter()
            .take_while(|row| row.starts_with('|'))
            .collect();
        for row in &rows {
            assert_eq!(cells(row), columns, "row: {row}");
        }
        written.push((columns, rows.len()));
    }
    let mut parsed = Vec::new();
    let mut table: Option<(usize, usize)> = None;
    for event in Parser::new_ext(text, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Table(alignments)) => table = Some((alignments.len(), 0)),
            Event::Start(Tag::TableRow) => table.as_mut().unwrap().1 += 1,
            Event::End(TagEnd::Table) => parsed.push(table.take().unwrap()),
            _ => {}
        }
    }
    assert_eq!(parsed, written, "tables parsed vs written in:\n{text}");
    written.len()
}

#[test]
fn every_table_of_the_comments_is_a_commonmark_table() {
    let mut outputs: Vec<(&str, String)> = Vec::new();
    for (name, scenario) in [
        ("understated", understated()),
        ("config", config_update()),
        ("moved tag", moved_tag()),
        ("readme", readme_only()),
        ("twelve objects", twelve_objects()),
    ] {
        outputs.push((name, scenario.markdown().1));
    }
    let skipped = skipped();
    outputs.push(("skipped", markdown(&skipped.estate.repo, &skipped.args).1));
    let tables: Vec<(&str, usize)> = outputs
        .iter()
        .map(|(name, text)| (*name, assert_tables_parse(text)))
        .collect();
    // Objects, components, why; findings; settings; the registry and findings;
    // none; and for twelve version sets the folded objects and 11 reasons.
    assert_eq!(
        tables,
        [
            ("understated", 5),
            ("config", 1),
            ("moved tag", 2),
            ("readme", 0),
            ("twelve objects", 12),
            ("skipped", 2),
        ]
    );
    // Twelve objects are folded away; their table is still a table.
    let twelve = &outputs[4].1;
    assert!(
        twelve.contains(
            "<details><summary>12 objects</summary>\n\n| object | version | follows | declared | required |  |\n| --- |"
        ),
        "{twelve}"
    );
    let folded = Parser::new_ext(twelve, Options::ENABLE_TABLES)
        .filter(|event| matches!(event, Event::Start(Tag::TableRow)))
        .count();
    assert!(folded >= 12, "{folded}");
}

/// The review schema, closed: an object with `properties` allows no other.
fn review_schema() -> &'static jsonschema::Validator {
    fn closed(schema: &mut Value) {
        match schema {
            Value::Object(map) => {
                if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                    map.insert("additionalProperties".to_owned(), false.into());
                }
                map.values_mut().for_each(closed);
            }
            Value::Array(items) => items.iter_mut().for_each(closed),
            _ => {}
        }
    }
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/output/review.schema.json"
        );
        let mut schema: Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        closed(&mut schema);
        jsonschema::validator_for(&schema).unwrap()
    })
}

fn assert_matches_schema(json: &Value) {
    let errors: Vec<String> = review_schema()
        .iter_errors(json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{json:#}");
}

#[test]
fn review_json_matches_the_closed_output_schema() {
    let skipped = skipped();
    let mut documents = vec![review(&skipped.estate.repo, &skipped.args).1];
    for scenario in [
        understated(),
        config_update(),
        moved_tag(),
        readme_only(),
        twelve_objects(),
    ] {
        documents.push(scenario.json().1);
    }
    for json in &documents {
        assert_matches_schema(json);
    }
    // The closed schema does refuse what it does not describe.
    let mut extra = documents[0].clone();
    extra["environments"][0]["moves"][0]["surprise"] = true.into();
    assert!(!review_schema().is_valid(&extra));
}

#[test]
fn environments_are_compared_with_their_remote_tracking_refs() {
    let repo = Repo::init();
    let [one, two]: [Put; 2] = repo
        .put_version_sets(&[("billing", 1), ("billing", 2)])
        .try_into()
        .unwrap();
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    let shared = repo.env_tip("dev").unwrap();
    repo.git_command(&["remote", "add", "origin", "/nonexistent/estate.git"]);
    repo.git_command(&["update-ref", "refs/remotes/origin/env/dev", &shared]);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let local = repo.env_tip("dev").unwrap();

    let (code, json) = review(&repo, "--base HEAD");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "ready");
    // staging and production, never opened, have no ref here or on the remote as
    // fetched: the review cannot tell them from environments not fetched.
    assert_eq!(json["notes"], json!([no_ref("staging, production")]));
    let absent = |name: &str| {
        json!({
            "environment": name,
            "reason": "no-ref",
            "tracking_ref": format!("refs/remotes/origin/env/{name}"),
        })
    };
    assert_eq!(
        json["not_compared"],
        json!([absent("staging"), absent("production")])
    );
    assert_eq!(json["counts"], counts(0, 0, 1, 0, 0, 0, 0));
    assert_eq!(
        json["environments"],
        json!([{
            "environment": "dev",
            "base": {"revision": "refs/remotes/origin/env/dev", "commit": shared},
            "head": {"revision": "refs/heads/env/dev", "commit": local},
            "rewritten": false,
            "moves": [{
                "package": "billing",
                "from": {"object": one.object, "version": null},
                "to": {"object": two.object, "version": null},
                "action": "promote",
                "path": json["environments"][0]["moves"][0]["path"].clone(),
                "allowed": true,
                "problems": [],
            }],
        }])
    );
    let entry = &json["environments"][0]["moves"][0];
    assert_eq!(path_environments(entry), ["dev", "main"]);
    assert_eq!(path_commits(entry), [local.as_str(), two.commit.as_str()]);
    assert_matches_schema(&json);

    // A commit named on the command line wins over the tracking ref.
    let (code, json) = review(&repo, &format!("--base HEAD --env-base dev={local}"));
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["environments"], json!([]));
    assert_eq!(json["notes"], json!([no_ref("staging, production")]));

    // Another remote has no tracking ref: dev is not compared. It is no remote
    // of this repository, so nothing is missing of the environments with no ref.
    let (code, json) = review(&repo, "--base HEAD --remote upstream");
    assert_eq!(code, 0);
    assert_eq!(json["environments"], json!([]));
    assert_eq!(
        json["notes"],
        json!([not_compared("dev").replace("`origin`", "`upstream`")])
    );
    assert_eq!(
        json["not_compared"],
        json!([{
            "environment": "dev",
            "reason": "no-remote-tracking-ref",
            "tracking_ref": "refs/remotes/upstream/env/dev",
        }])
    );

    // Without the remote (and so its tracking refs), the local ref has nothing to
    // be compared with.
    repo.git_command(&["remote", "remove", "origin"]);
    assert_eq!(repo.tip("refs/remotes/origin/env/dev"), None);
    let (code, json) = review(&repo, "--base HEAD");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["environments"], json!([]));
    assert_eq!(json["counts"], counts(0, 0, 0, 0, 0, 0, 0));
    assert_eq!(json["notes"], json!([not_compared("dev")]));
    let (_, text) = markdown(&repo, "--base HEAD");
    assert!(text.contains("### Not reviewed\n\n- not compared: dev ("));
    assert!(!text.contains("### Environment moves"));
}

#[test]
fn an_environment_only_review_has_no_head() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    let args = format!(
        "--base main --env-head dev=env/dev --env-base dev={}",
        estate.dev_before
    );
    let (code, json) = review(repo, &args);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["head"], Value::Null);
    assert_eq!(
        json["base"],
        json!({"revision": "main", "commit": repo.tip("refs/heads/main").unwrap()})
    );
    assert_eq!(json["packages"], json!([]));
    assert_eq!(json["counts"], counts(0, 0, 1, 0, 0, 0, 0));
    let environments = json["environments"].as_array().unwrap();
    assert_eq!(environments.len(), 1, "{json:#}");
    assert_eq!(
        environments[0]["base"],
        json!({"revision": estate.dev_before, "commit": estate.dev_before})
    );
    assert_eq!(
        environments[0]["head"],
        json!({"revision": "env/dev", "commit": repo.env_tip("dev").unwrap()})
    );
    let entry = &environments[0]["moves"][0];
    assert_eq!(environments[0]["moves"].as_array().unwrap().len(), 1);
    assert_eq!(entry["from"]["object"], estate.one.object.as_str());
    assert_eq!(entry["to"]["object"], estate.two.object.as_str());
    assert_eq!(path_environments(entry), ["dev", "main"]);
    assert_eq!(entry["allowed"], true);
    assert_eq!(json["notes"], json!([not_compared("staging, production")]));
    assert_matches_schema(&json);

    let (code, text) = markdown(repo, &args);
    assert_eq!(code, 0);
    assert!(
        text.contains(
            "**1 environment move**; 0 errors, 0 warnings. environments only, catalog at `main` ("
        ),
        "{text}"
    );
    assert_tables_parse(&text);
}

#[test]
fn deny_warnings_blocks_a_review_that_only_warns() {
    let repo = Repo::init();
    let mut settings = repo.read("berth.toml");
    settings.push_str("\n[checks]\nsemver-understated = \"warning\"\n");
    repo.write("berth.toml", &settings);
    repo.git_commit_all("Understated versions only warn");
    component(&repo, "api", &[("v1.0.0", 0x11), ("v2.0.0", 0x12)]);
    ok(
        &repo,
        "release create shop --version 1.0.0 --pin api=v1.0.0 --commit",
    );
    branch(&repo);
    ok(
        &repo,
        "release create shop --version 1.0.1 --pin api=v2.0.0 --commit",
    );

    let (code, json) = review(&repo, "--base main");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "has-warnings");
    assert_eq!(json["counts"], counts(1, 1, 0, 0, 0, 0, 1));
    assert_eq!(codes(&json), ["semver-understated"]);
    assert_eq!(json["findings"][0]["severity"], "warning");
    assert_eq!(json["packages"][0]["objects"][0]["understated"], true);
    assert_matches_schema(&json);
    let (code, text) = markdown(&repo, "--base main");
    assert_eq!(code, 0);
    assert!(
        text.starts_with("## berth review: ⚠️ has warnings\n"),
        "{text}"
    );
    assert!(text.contains("| ⚠️ warning | `semver-understated` |"));

    let (code, json) = review(&repo, "--base main --deny-warnings");
    assert_eq!(code, 1, "{json:#}");
    assert_eq!(json["verdict"], "blocked");
    assert_eq!(json["counts"], counts(1, 1, 0, 0, 0, 1, 0));
    assert_eq!(json["findings"][0]["severity"], "error");
    let (code, text) = markdown(&repo, "--base main --deny-warnings");
    assert_eq!(code, 1);
    assert!(text.starts_with("## berth review: ⛔ blocked\n"), "{text}");
}

/// A branch that adds 400 version sets, each in a file named by a hash that is
/// not its own: 400 `hash-mismatch` errors.
fn misnamed() -> Scenario {
    let repo = Repo::init();
    branch(&repo);
    for n in 1..=400 {
        repo.write_json(
            &format!("objects/version-sets/billing/{n:064x}.json"),
            &version_set("billing", n),
        );
    }
    repo.git_commit_all("Add 400 version sets by hand");
    Scenario {
        repo,
        args: "--base main".to_owned(),
    }
}

/// The text of every code span of a comment, as a reader sees it.
fn code_spans(text: &str) -> Vec<String> {
    Parser::new_ext(text, Options::ENABLE_TABLES)
        .filter_map(|event| match event {
            Event::Code(code) => Some(code.to_string()),
            _ => None,
        })
        .collect()
}

/// The finding rows of a comment's findings table.
fn finding_rows(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.starts_with("| ⛔ error |") || line.starts_with("| ⚠️ warning |"))
        .collect()
}

#[test]
fn a_long_comment_is_cut_to_the_limit_and_keeps_the_first_findings() {
    let scenario = &misnamed();
    let (code, json) = scenario.json();
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 400);
    assert!(codes(&json).iter().all(|code| code == "hash-mismatch"));
    assert_eq!(json["counts"]["errors"], 400);
    assert_eq!(json["counts"]["new_objects"], 400);
    assert_matches_schema(&json);

    let (code, text) = scenario.markdown();
    assert_eq!(code, 1);
    let length = text.chars().count();
    assert!(length <= COMMENT_LIMIT, "{length} characters");
    assert!(
        text.starts_with(
            "## berth review: ⛔ blocked\n\n**400 new objects in 1 package**; 400 errors, 0 warnings."
        ),
        "{text:.300}"
    );
    let rows = finding_rows(&text);
    let shown = rows.len();
    assert!(0 < shown && shown < 400, "{shown}");
    // The findings kept are the first ones, in order.
    for (row, finding) in rows.iter().zip(findings) {
        let file = finding["file"].as_str().unwrap();
        assert!(row.contains(&format!("`{file}`")), "{row} is not {file}");
    }
    assert!(
        text.ends_with(&format!(
            "\n> [!NOTE]\n> This report is longer than a comment may be (65536 characters), so these parts were cut: new objects, {} of 400 findings. Run `berth review --base main` for all of it.\n",
            400 - shown
        )),
        "{}",
        &text[text.len() - 400..]
    );
    // The new objects were cut; the findings table is still a table.
    assert!(!text.contains("### New objects"));
    assert_eq!(assert_tables_parse(&text), 1);
}

#[test]
fn usage_errors_exit_2() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    for (args, exit, code) in [
        ("--base nope", 2, "berth::bad-revision"),
        ("--base main --head nope", 2, "berth::bad-revision"),
        ("--base main --env-base dev=nope", 2, "berth::bad-revision"),
        (
            "--base main --env-base nope=env/dev",
            2,
            "berth::unknown-environment",
        ),
        (
            "--base main --env-head nope=env/dev",
            2,
            "berth::unknown-environment",
        ),
        ("--base main --env-head dev", 2, "berth::bad-pair"),
        ("--base main --env-base dev", 2, "berth::bad-pair"),
        (
            "--base main --env-head dev=main",
            2,
            "berth::not-environment",
        ),
    ] {
        let (status, json) = review(repo, args);
        assert_eq!(status, exit, "{args}: {json:#}");
        assert_eq!(json["error"]["code"], code, "{args}: {json:#}");
        assert_eq!(json["error"]["exit_code"], exit, "{args}");
        for key in ["message", "help"] {
            assert!(
                json["error"][key].as_str().is_some_and(|t| !t.is_empty()),
                "{args}: {json:#}"
            );
        }
    }
    let (_, json) = review(repo, "--base main --env-base nope=env/dev");
    assert_eq!(
        json["error"]["help"],
        "the environments are: dev, staging, production"
    );
}

#[test]
fn the_catalog_is_compared_from_the_merge_base() {
    let repo = Repo::init();
    repo.put_version_set("billing", 1);
    let fork = repo.tip("HEAD").unwrap();
    branch(&repo);
    let mine = repo.put_version_set("billing", 2);
    // main moves on after the branch was made: its new object is not the
    // branch's change.
    repo.git_command(&["checkout", "-q", "main"]);
    repo.put_version_set("search", 1);
    repo.git_command(&["checkout", "-q", "change"]);

    let (code, json) = review(&repo, "--base main");
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["base"], json!({"revision": "main", "commit": fork}));
    assert_eq!(
        json["head"],
        json!({"revision": "HEAD", "commit": mine.commit})
    );
    assert_eq!(json["packages"].as_array().unwrap().len(), 1, "{json:#}");
    assert_eq!(json["packages"][0]["package"], "billing");
    let objects = json["packages"][0]["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["object"], mine.object.as_str());
    assert_eq!(objects[0]["file"], mine.path.as_str());
    // A version set has no version: nothing is declared or required.
    assert_eq!(objects[0]["version"], Value::Null);
    assert_eq!(objects[0]["declared"], Value::Null);
    assert_eq!(objects[0]["required"], Value::Null);
    assert_eq!(objects[0]["understated"], false);

    // --head names the branch from anywhere.
    repo.git_command(&["checkout", "-q", "main"]);
    let (_, other) = review(&repo, "--base main --head change");
    assert_eq!(other["base"]["commit"], fork.as_str());
    assert_eq!(other["head"]["revision"], "change");
    assert_eq!(other["packages"], json["packages"]);
}

#[test]
fn a_new_version_set_follows_what_the_first_environment_holds() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    branch(repo);
    let three = repo.put_version_set("billing", 3);
    let (code, json) = review(repo, "--base main");
    assert_eq!(code, 0, "{json:#}");
    let object = &json["packages"][0]["objects"][0];
    assert_eq!(object["object"], three.object.as_str());
    // dev, first in promotion order, holds billing 2 (staging and production
    // hold billing 1).
    assert_eq!(
        object["previous"],
        json!({
            "object": estate.two.object,
            "file": estate.two.path,
            "version": null,
            "held_by": "dev",
        })
    );
    let pointers: Vec<&str> = object["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/builds/worker/artifact_ref",
            "/builds/worker/size_bytes",
            "/created_at",
            "/git_sha",
            "/infra_plan_ref"
        ]
    );
    let (_, text) = markdown(repo, "--base main");
    assert!(
        text.contains(&format!(
            "| `{}` | - | `{}` (in dev) | - | - |  |",
            &three.object[..25],
            &estate.two.object[..25]
        )),
        "{text}"
    );
    assert_tables_parse(&text);
}

#[test]
fn a_rollback_is_shown_with_its_path() {
    let estate = estate(Repo::init());
    let repo = &estate.repo;
    let before = repo.env_tip("dev").unwrap();
    repo.ok(&["rollback", "billing", "--env", "dev"]);
    let after = repo.env_tip("dev").unwrap();
    let (code, json) = review(repo, &format!("--base main --env-base dev={before}"));
    assert_eq!(code, 0, "{json:#}");
    let entry = &json["environments"][0]["moves"][0];
    assert_eq!(entry["from"]["object"], estate.two.object.as_str());
    assert_eq!(entry["to"]["object"], estate.one.object.as_str());
    assert_eq!(entry["action"], "rollback");
    // The rollback, the dev commit that first brought billing 1, the catalog.
    assert_eq!(path_environments(entry), ["dev", "dev", "main"]);
    assert_eq!(path_commits(entry)[0], after.as_str());
    assert_eq!(path_commits(entry)[2], estate.one.commit.as_str());
    assert_eq!(entry["allowed"], true);
    let (_, text) = markdown(repo, &format!("--base main --env-base dev={before}"));
    assert!(
        text.contains("| main → dev → dev (rollback) | ✅ |"),
        "{text}"
    );
}

/// Regressions: bugs found while writing these tests, each pinned by what
/// should happen.
mod regressions {
    use super::*;

    /// CommonMark does not decode entities inside code spans: `<` there must be
    /// written as itself, or the comment shows the five characters `&lt;`.
    #[test]
    fn code_spans_in_the_comment_show_what_berth_means() {
        let skipped = skipped();
        let (_, text) = markdown(&skipped.estate.repo, &skipped.args);
        let spans = code_spans(&text);
        // The help of promotion-path: (`berth promote <package>@<from> <env>`).
        assert!(
            spans
                .iter()
                .any(|span| span.starts_with("berth promote <package>@")),
            "{spans:#?}"
        );
        for span in &spans {
            assert!(!span.contains("&lt;") && !span.contains("&gt;"), "{span}");
        }
    }

    /// A rule pattern changed in a component definition is shown in a code span
    /// as written: its backslashes were once doubled, showing another pattern.
    #[test]
    fn code_spans_show_a_rule_pattern_as_written() {
        let repo = Repo::init();
        ok(
            &repo,
            r"component add cache --image registry.example.com/shop/cache --rule stable=^v(\d+)$ --commit",
        );
        branch(&repo);
        let file = "components/cache.toml";
        let text = repo.read(file);
        assert!(text.contains(r"'^v(\d+)$'"), "{text}");
        repo.write(file, &text.replace(r"'^v(\d+)$'", r"'^v(\d+)(-r\d+)?$'"));
        repo.git_commit_all("Accept revision suffixes");
        let (code, json) = review(&repo, "--base main");
        assert_eq!(code, 0, "{json:#}");
        assert_eq!(
            json["registry"][0]["fields"][1]["what"],
            r"`^v(\d+)(-r\d+)?$` was added to `/rules`"
        );
        let (_, text) = markdown(&repo, "--base main");
        let spans = code_spans(&text);
        assert!(
            spans.iter().any(|span| span == r"^v(\d+)(-r\d+)?$"),
            "{spans:#?}"
        );
    }

    /// A component definition the change adds is listed as added, not as the
    /// whole document changing type from null to a table (as it once was).
    #[test]
    fn an_added_component_definition_is_not_a_type_change() {
        let repo = Repo::init();
        branch(&repo);
        ok(
            &repo,
            "component add cache --image registry.example.com/shop/cache --commit",
        );
        let (code, json) = review(&repo, "--base main");
        assert_eq!(code, 0, "{json:#}");
        let entry = &json["registry"][0];
        assert_eq!(entry["file"], "components/cache.toml");
        assert_eq!(entry["change"], "added");
        for field in entry["fields"].as_array().unwrap() {
            assert_ne!(field["pointer"], "", "{field:#}");
        }
        let (_, text) = markdown(&repo, "--base main");
        assert!(!text.contains("changed type from null"), "{text}");
    }

    /// An environment whose history was rewritten is a finding (`env-rewritten`),
    /// not only a mark in the comment: the verdict blocks.
    #[test]
    fn a_rewritten_environment_is_a_finding() {
        let estate = estate(Repo::init());
        let repo = &estate.repo;
        // The environment as shared holds billing 2; its new tip is the commit
        // before, so the commit that brought billing 2 is gone from its log.
        let shared = repo.env_tip("dev").unwrap();
        let args = format!(
            "--base main --env-base dev={shared} --env-head dev={}",
            estate.dev_before
        );
        let (_, json) = review(repo, &args);
        assert_eq!(json["environments"][0]["rewritten"], true, "{json:#}");
        let (_, text) = markdown(repo, &args);
        assert!(text.contains("it was rewritten, not added to."), "{text}");
        assert_ne!(json["verdict"], "ready", "{json:#}");
        assert!(!json["findings"].as_array().unwrap().is_empty());
    }

    /// A cut comment keeps as many findings as fit (it once cut in steps of a
    /// tenth, keeping up to a tenth fewer).
    #[test]
    fn a_cut_comment_keeps_as_many_findings_as_fit() {
        let (_, text) = misnamed().markdown();
        let rows = finding_rows(&text);
        // Every row here is as long as the others: one more would not fit.
        let row = rows[0].chars().count() + 1;
        assert!(
            text.chars().count() + row > COMMENT_LIMIT,
            "{} characters with {} findings: another {row}-character row fits",
            text.chars().count(),
            rows.len()
        );
    }
}

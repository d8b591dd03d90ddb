//! The component registry, version maps and releases: `berth component`, `berth
//! versions`, `berth release`, and `berth diff` of two releases. Each test checks
//! the exact digests chosen, the files written and what a refusal leaves alone.
//!
//! Commands are written as one line and split on whitespace (no argument here
//! holds a space).

use serde_json::{Value, json};

use crate::support::{Repo, codes, independent_hash, refused_at, run_at, snapshot, stdout_json};

/// 2025-04-30T08:00:00Z: berth stamps `created_at`, `resolved_at` and event times
/// with SOURCE_DATE_EPOCH.
const EPOCH: i64 = 1_746_000_000;
const EPOCH_TEXT: &str = "2025-04-30T08:00:00Z";

/// A digest whose first 12 hex digits tell it apart: `sha256:` and `n` in hex,
/// repeated.
fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(32))
}

/// `sha256:` and the first 12 hex digits, as the human and markdown views show it.
fn short(n: u8) -> String {
    format!("sha256:{}", format!("{n:02x}").repeat(6))
}

/// Runs berth at `epoch`, asserting it exits 0.
fn ok_at(repo: &Repo, epoch: i64, line: &str) -> Value {
    let (code, value) = run_at(repo, epoch, line);
    assert_eq!(code, 0, "berth {line}: {value:#}");
    value
}

/// Runs berth at [`EPOCH`], asserting it exits 0.
fn ok(repo: &Repo, line: &str) -> Value {
    ok_at(repo, EPOCH, line)
}

/// Runs berth at [`EPOCH`] with the words of `line`, expecting a refusal (see
/// [`refused_at`]); its JSON error document.
fn refused(repo: &Repo, line: &str, exit: i32, code: &str) -> Value {
    let args: Vec<&str> = line.split_whitespace().collect();
    refused_at(repo, Some(EPOCH), &args, exit, code)
}

/// How many commits HEAD has.
fn commit_count(repo: &Repo) -> usize {
    repo.git_command(&["rev-list", "--count", "HEAD"])
        .trim()
        .parse()
        .unwrap()
}

/// The subject of HEAD's commit.
fn subject(repo: &Repo) -> String {
    repo.head()
        .unwrap()
        .message
        .lines()
        .next()
        .unwrap()
        .to_owned()
}

/// Writes a tag list as a JSON array of `{tag, digest}`.
fn json_list(repo: &Repo, file: &str, tags: &[(&str, u8)]) {
    let list: Vec<Value> = tags
        .iter()
        .map(|(tag, n)| json!({"tag": tag, "digest": digest(*n)}))
        .collect();
    repo.write_json(file, &json!(list));
}

/// Writes a tag list as text, one `tag digest` pair a line.
fn text_list(repo: &Repo, file: &str, tags: &[(&str, u8)]) {
    let text: String = tags
        .iter()
        .map(|(tag, n)| format!("{tag} {}\n", digest(*n)))
        .collect();
    repo.write(file, &text);
}

/// Registers a component with the defaults and imports `tags`, both committed.
fn component(repo: &Repo, name: &str, tags: &[(&str, u8)]) {
    ok(
        repo,
        &format!("component add {name} --image registry.example.com/shop/{name} --commit"),
    );
    if !tags.is_empty() {
        let file = format!("input/{name}-tags.json");
        json_list(repo, &file, tags);
        ok(repo, &format!("versions import {name} {file} --commit"));
    }
}

/// A repository with two components:
/// - `api`: v1.9.0 (0x11), v1.10.0 (0x12) on stable, v1.11.0-beta.1 (0x13) on beta;
/// - `web`: v2.0.0 (0x21) on stable, v2.1.0-beta.2 (0x22) and v2.1.0-beta.1 (0x23)
///   on beta.
///
/// Each list is out of order, so that heads come from semver, not import order.
fn registry() -> Repo {
    let repo = Repo::init();
    component(
        &repo,
        "api",
        &[
            ("v1.10.0", 0x12),
            ("v1.9.0", 0x11),
            ("v1.11.0-beta.1", 0x13),
        ],
    );
    component(
        &repo,
        "web",
        &[
            ("v2.1.0-beta.2", 0x22),
            ("v2.0.0", 0x21),
            ("v2.1.0-beta.1", 0x23),
        ],
    );
    repo
}

/// Four components: `api` and `web` of [`registry`], `cache` and `worker` with one
/// version each.
fn four_components() -> Repo {
    let repo = registry();
    component(&repo, "cache", &[("v0.3.0", 0x31)]);
    component(&repo, "worker", &[("v5.0.0", 0x51)]);
    repo
}

/// A component as `diff`, `release ls` and `release history` show it.
fn carried(name: &str, n: u8, tag: &str, semver: &str) -> Value {
    json!({"name": name, "digest": digest(n), "tag": tag, "semver": semver})
}

/// A component as `release create` reports it chosen.
fn chosen(name: &str, n: u8, tag: &str, semver: &str, how: &str) -> Value {
    let mut value = carried(name, n, tag, semver);
    value["how"] = json!(how);
    value
}

/// A component as a release records it.
fn recorded(name: &str, n: u8, tag: &str, semver: &str) -> Value {
    let mut value = carried(name, n, tag, semver);
    value["role"] = json!("primary");
    value
}

/// The release file `release create` wrote, parsed: at its path, hashing to its
/// name, and what the command printed as `release`.
fn written_release(repo: &Repo, outcome: &Value) -> Value {
    let put = &outcome["put"]["objects"][0];
    let hash = put["hash"].as_str().unwrap();
    let package = outcome["release"]["package"].as_str().unwrap();
    assert_eq!(outcome["object"], format!("releases/{hash}"));
    assert_eq!(
        put["path"],
        format!("objects/releases/{package}/{hash}.json")
    );
    let data: Value = serde_json::from_str(&repo.read(put["path"].as_str().unwrap())).unwrap();
    assert_eq!(data, outcome["release"]);
    assert_eq!(independent_hash(&data), hash);
    data
}

/// `release create` with `line` after `release create`; the release's object.
fn create_at(repo: &Repo, epoch: i64, line: &str) -> String {
    ok_at(repo, epoch, &format!("release create {line}"))["object"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn components_are_added_shown_and_listed_and_bad_ones_write_nothing() {
    let repo = Repo::init();
    let commits = commit_count(&repo);
    let added = ok(
        &repo,
        r"component add api --image registry.example.com/shop/api --default-channel stable
          --versioning semver --tag-pattern ^v --rule stable=^v(\d+\.\d+\.\d+)$
          --rule beta=^v(\d+\.\d+\.\d+-beta\.\d+)$ --metadata team=shop --metadata tier=1
          --commit",
    );
    let head = repo.tip("HEAD").unwrap();
    assert_eq!(
        added,
        json!({"files": ["components/api.toml"], "commit": head})
    );
    assert_eq!(commit_count(&repo), commits + 1);
    assert_eq!(subject(&repo), "Register component api");
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
    assert_eq!(
        repo.read("components/api.toml"),
        "name = \"api\"\ndisplay_name = \"api\"\n\
         image_repository = \"registry.example.com/shop/api\"\ndefault_channel = \"stable\"\n\n\
         [versioning]\ntype = \"semver\"\ntag_pattern = \"^v\"\n\n\
         [[rules]]\npattern = '^v(\\d+\\.\\d+\\.\\d+)$'\nchannel = \"stable\"\n\n\
         [[rules]]\npattern = '^v(\\d+\\.\\d+\\.\\d+-beta\\.\\d+)$'\nchannel = \"beta\"\n\n\
         [metadata]\nteam = \"shop\"\ntier = \"1\"\n"
    );
    // Without --commit the file is written and left for the user to commit.
    let web = ok(
        &repo,
        "component add web --image registry.example.com/shop/web --default-channel edge
         --versioning date",
    );
    assert_eq!(
        web,
        json!({"files": ["components/web.toml"], "commit": null})
    );
    assert_eq!(repo.tip("HEAD").unwrap(), head);
    assert_eq!(
        repo.files("components"),
        ["components/api.toml", "components/web.toml"]
    );

    assert_eq!(
        ok(&repo, "component show api"),
        json!({
            "component": {
                "name": "api",
                "display_name": "api",
                "image_repository": "registry.example.com/shop/api",
                "default_channel": "stable",
                "versioning": {"type": "semver", "tag_pattern": "^v"},
                "rules": [
                    {"pattern": r"^v(\d+\.\d+\.\d+)$", "channel": "stable"},
                    {"pattern": r"^v(\d+\.\d+\.\d+-beta\.\d+)$", "channel": "beta"},
                ],
                "metadata": {"team": "shop", "tier": "1"},
            },
            "path": "components/api.toml",
            "versions": 0,
            "heads": {"stable": null},
        })
    );
    assert_eq!(
        ok(&repo, "component ls"),
        json!({"components": [
            {"name": "api", "image_repository": "registry.example.com/shop/api",
             "default_channel": "stable", "versions": 0, "head": null},
            {"name": "web", "image_repository": "registry.example.com/shop/web",
             "default_channel": "edge", "versions": 0, "head": null},
        ]})
    );

    // A rule that does not compile: the problem named where it stands, nothing
    // written.
    let report = refused(
        &repo,
        r"component add worker --image registry.example.com/shop/worker --rule stable=^v(\d+ --commit",
        1,
        "berth::invalid-registry",
    );
    assert_eq!(codes(&report), ["bad-rule"]);
    assert_eq!(report["findings"][0]["file"], "components/worker.toml");
    assert_eq!(report["findings"][0]["pointer"], "/rules/0/pattern");
    let report = refused(
        &repo,
        "component add worker --image registry.example.com/shop/worker --tag-pattern [",
        1,
        "berth::invalid-registry",
    );
    assert_eq!(codes(&report), ["bad-rule"]);
    assert_eq!(report["findings"][0]["pointer"], "/versioning/tag_pattern");
    assert!(!repo.path().join("components/worker.toml").exists());

    // A component is added once; its file is edited afterwards, not replaced.
    let report = refused(
        &repo,
        "component add api --image registry.example.com/other/api --commit",
        1,
        "berth::component-exists",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("components/api.toml"),
        "{report:#}"
    );
    refused(&repo, "component show nope", 1, "berth::unknown-component");
    assert_eq!(commit_count(&repo), commits + 1);
}

#[test]
fn tags_are_imported_from_json_and_text_read_by_the_rules_and_idempotent() {
    let repo = Repo::init();
    ok(
        &repo,
        "component add api --image registry.example.com/shop/api --commit",
    );
    let commits = commit_count(&repo);
    json_list(
        &repo,
        "input/tags.json",
        &[
            ("v1.0.0+build.7", 0x11),
            ("v1.1.0", 0x12),
            ("v1.2.0-beta.1", 0x13),
            ("latest", 0x14),
            // Another tag for a digest already recorded: one image, one version.
            ("v1.1", 0x12),
        ],
    );
    let imported = ok(&repo, "versions import api input/tags.json --commit");
    let entry = |tag: &str, n: u8, semver: &str, channel: &str, prerelease: bool, at: &str| {
        json!({
            "tag": tag, "digest": digest(n), "semver": semver, "channel": channel,
            "prerelease": prerelease, "resolved_at": at, "source": "auto",
        })
    };
    let mut build = entry(
        "v1.0.0+build.7",
        0x11,
        "1.0.0+build.7",
        "stable",
        false,
        EPOCH_TEXT,
    );
    build["build_metadata"] = json!("build.7");
    let stable = entry("v1.1.0", 0x12, "1.1.0", "stable", false, EPOCH_TEXT);
    // Without rules, a prerelease goes to the channel its first identifier names.
    let beta = entry(
        "v1.2.0-beta.1",
        0x13,
        "1.2.0-beta.1",
        "beta",
        true,
        EPOCH_TEXT,
    );
    let head = repo.tip("HEAD").unwrap();
    assert_eq!(
        imported,
        json!({
            "component": "api",
            "added": [build, stable, beta],
            "known": 0,
            "skipped": [
                {"tag": "latest", "reason":
                    "`latest` is not semver: unexpected character 'l' while parsing major version number"},
                {"tag": "v1.1", "reason": "its digest is recorded as `v1.1.0`"},
            ],
            "written": {"files": ["components/api.versions.toml"], "commit": head},
        })
    );
    assert_eq!(commit_count(&repo), commits + 1);
    assert_eq!(subject(&repo), "Record 3 tags of api");
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
    let map = repo.read("components/api.versions.toml");
    let toml = |tag: &str, n: u8, semver: &str, channel: &str, pre: bool, extra: &str| {
        format!(
            "[[versions]]\ntag = \"{tag}\"\ndigest = \"{}\"\nsemver = \"{semver}\"\n\
             channel = \"{channel}\"\nprerelease = {pre}\n{extra}\
             resolved_at = \"{EPOCH_TEXT}\"\nsource = \"auto\"\n",
            digest(n)
        )
    };
    assert_eq!(
        map,
        [
            toml(
                "v1.0.0+build.7",
                0x11,
                "1.0.0+build.7",
                "stable",
                false,
                "build_metadata = \"build.7\"\n"
            ),
            toml("v1.1.0", 0x12, "1.1.0", "stable", false, ""),
            toml("v1.2.0-beta.1", 0x13, "1.2.0-beta.1", "beta", true, ""),
        ]
        .join("\n")
    );

    // The same list again, later: nothing new, nothing written, no commit.
    let again = ok_at(
        &repo,
        EPOCH + 3600,
        "versions import api input/tags.json --commit",
    );
    assert_eq!(again["added"], json!([]));
    assert_eq!(again["known"], 3);
    assert_eq!(again["written"], json!({"files": [], "commit": null}));
    assert_eq!(repo.read("components/api.versions.toml"), map);
    assert_eq!(repo.tip("HEAD").unwrap(), head);

    // Text, as `crane ls` with `crane digest` give it: comments and blank lines
    // skipped, known tags counted, new ones appended after the recorded ones.
    repo.write(
        "input/tags.txt",
        &format!(
            "# api tags\nv1.1.0 {}\n\nv1.3.0   {}   # newest\nv1.4.0-beta.2\t{}\n",
            digest(0x12),
            digest(0x15),
            digest(0x16)
        ),
    );
    let text = ok_at(&repo, EPOCH + 7200, "versions import api input/tags.txt");
    let later = "2025-04-30T10:00:00Z";
    let newest = entry("v1.3.0", 0x15, "1.3.0", "stable", false, later);
    let beta2 = entry("v1.4.0-beta.2", 0x16, "1.4.0-beta.2", "beta", true, later);
    assert_eq!(
        text,
        json!({
            "component": "api",
            "added": [newest, beta2],
            "known": 1,
            "skipped": [],
            "written": {"files": ["components/api.versions.toml"], "commit": null},
        })
    );
    // Appended: the recorded bytes stay as they were.
    let grown = repo.read("components/api.versions.toml");
    assert!(
        grown.starts_with(&format!("{map}\n[[versions]]\ntag = \"v1.3.0\"\n")),
        "{grown}"
    );
    assert_eq!(repo.changed(), ["components/api.versions.toml"]);
    assert_eq!(repo.tip("HEAD").unwrap(), head);

    // Highest first; a prerelease never heads stable; the build-metadata tag reads
    // as its version.
    assert_eq!(
        ok(&repo, "versions ls api"),
        json!({
            "component": "api",
            "versions": [beta2, newest, beta, stable, build],
            "heads": {"beta": "v1.4.0-beta.2", "stable": "v1.3.0"},
        })
    );
    assert_eq!(
        ok(&repo, "versions ls api --channel beta"),
        json!({"component": "api", "versions": [beta2, beta], "heads": {"beta": "v1.4.0-beta.2"}})
    );
    assert_eq!(
        ok(&repo, "versions ls api --channel nightly"),
        json!({"component": "api", "versions": [], "heads": {}})
    );
    let shown = ok(&repo, "component show api");
    assert_eq!(shown["versions"], 5);
    assert_eq!(shown["heads"], json!({"beta": beta2, "stable": newest}));
    let listed = ok(&repo, "component ls");
    assert_eq!(listed["components"][0]["versions"], 5);
    assert_eq!(listed["components"][0]["head"], newest);

    // From stdin.
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(["versions", "import", "api", "-", "--format", "json"])
        .write_stdin(format!(
            "v1.3.0 {}\nv1.5.0 {}\n",
            digest(0x15),
            digest(0x17)
        ))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdin = stdout_json(&output);
    assert_eq!(stdin["known"], 1);
    assert_eq!(
        stdin["added"],
        json!([entry("v1.5.0", 0x17, "1.5.0", "stable", false, EPOCH_TEXT)])
    );

    // A tag listed with something other than a digest: nothing imported.
    repo.write(
        "input/bad.txt",
        &format!("v1.6.0 {}\nv1.7.0 latest\n", digest(0x18)),
    );
    let report = refused(
        &repo,
        "versions import api input/bad.txt",
        1,
        "berth::invalid-registry",
    );
    assert_eq!(codes(&report), ["tag-not-digest"]);
    assert_eq!(report["findings"][0]["file"], "input/bad.txt");
    assert_eq!(report["findings"][0]["line"], 2);
    refused(
        &repo,
        "versions import nope input/tags.txt",
        1,
        "berth::unknown-component",
    );
    refused(&repo, "versions ls nope", 1, "berth::unknown-component");
}

#[test]
fn rules_tag_patterns_and_other_strategies_decide_channel_and_version() {
    let repo = Repo::init();
    ok(
        &repo,
        r"component add worker --image registry.example.com/shop/worker --tag-pattern ^(v|nightly-)
          --rule stable=^v(\d+\.\d+\.\d+)$ --rule beta=^v(\d+\.\d+\.\d+-rc\.\d+)$
          --rule nightly=^nightly-(\d+\.\d+\.\d+)$",
    );
    text_list(
        &repo,
        "input/worker.txt",
        &[
            ("v3.0.0", 0x31),
            ("v3.1.0-rc.1", 0x32),
            ("nightly-3.2.0", 0x33),
            ("latest", 0x34),
            ("v3.1.0-alpha", 0x35),
        ],
    );
    let imported = ok(&repo, "versions import worker input/worker.txt");
    let read: Vec<(&str, &str, &str, bool)> = imported["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap();
            (
                text("tag"),
                text("semver"),
                text("channel"),
                e["prerelease"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            ("v3.0.0", "3.0.0", "stable", false),
            ("v3.1.0-rc.1", "3.1.0-rc.1", "beta", true),
            ("nightly-3.2.0", "3.2.0", "nightly", false),
        ]
    );
    assert_eq!(
        imported["skipped"],
        json!([
            {"tag": "latest", "reason": "does not match versioning.tag_pattern"},
            {"tag": "v3.1.0-alpha", "reason": "matches no version rule"},
        ])
    );
    assert_eq!(
        ok(&repo, "versions ls worker")["heads"],
        json!({"beta": "v3.1.0-rc.1", "nightly": "nightly-3.2.0", "stable": "v3.0.0"})
    );

    ok(
        &repo,
        "component add cal --image registry.example.com/shop/cal --versioning date
         --semver-extract ^build-(.*)$",
    );
    text_list(
        &repo,
        "input/cal.txt",
        &[("build-2025.05.01", 0x41), ("build-2025.02.30", 0x42)],
    );
    let imported = ok(&repo, "versions import cal input/cal.txt");
    let read: Vec<&str> = imported["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["semver"].as_str().unwrap())
        .collect();
    assert_eq!(read, ["2025.5.1"]);
    assert_eq!(
        imported["skipped"],
        json!([{"tag": "build-2025.02.30", "reason": "`2025.02.30` is not a date"}])
    );
}

#[test]
fn a_moved_tag_refuses_the_whole_import_and_writes_nothing() {
    let repo = registry();
    let map = repo.read("components/api.versions.toml");
    let head = repo.tip("HEAD").unwrap();
    let commits = commit_count(&repo);
    // A new tag, and a recorded tag whose image was replaced.
    json_list(
        &repo,
        "input/moved.json",
        &[("v1.12.0", 0x14), ("v1.10.0", 0x99)],
    );
    let report = refused(
        &repo,
        "versions import api input/moved.json --commit",
        1,
        "berth::tag-moved",
    );
    assert_eq!(codes(&report), ["tag-moved"]);
    assert_eq!(
        report["findings"][0]["file"],
        "components/api.versions.toml"
    );
    assert_eq!(
        report["findings"][0]["message"],
        format!(
            "tag `v1.10.0` is recorded with {} and the list has {}",
            digest(0x12),
            digest(0x99)
        )
    );
    assert_eq!(repo.read("components/api.versions.toml"), map);
    assert_eq!(repo.tip("HEAD").unwrap(), head);
    assert_eq!(commit_count(&repo), commits);
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());

    // From text, without --commit: the file is not touched either.
    text_list(&repo, "input/moved.txt", &[("v1.9.0", 0x98)]);
    refused(
        &repo,
        "versions import api input/moved.txt",
        1,
        "berth::tag-moved",
    );
    // One list naming a tag twice with two digests is a moved tag too.
    text_list(
        &repo,
        "input/twice.txt",
        &[("v1.13.0", 0x15), ("v1.13.0", 0x16)],
    );
    refused(
        &repo,
        "versions import api input/twice.txt --commit",
        1,
        "berth::tag-moved",
    );
    assert_eq!(repo.read("components/api.versions.toml"), map);

    // Without the moved tag, the new one lands.
    json_list(
        &repo,
        "input/fine.json",
        &[("v1.12.0", 0x14), ("v1.10.0", 0x12)],
    );
    let fine = ok(&repo, "versions import api input/fine.json --commit");
    assert_eq!(fine["added"][0]["tag"], "v1.12.0");
    assert_eq!(fine["known"], 1);
    assert_eq!(commit_count(&repo), commits + 1);
    assert!(repo.read("components/api.versions.toml").starts_with(&map));
}

#[test]
fn release_create_picks_digests_in_each_mode() {
    let repo = registry();
    let head = repo.tip("HEAD").unwrap();
    let sha = "0123456789abcdef0123456789abcdef01234567";

    // Full: every component at the head of its default channel, by semver
    // (v1.10.0 over v1.9.0), never a prerelease.
    let full = ok(
        &repo,
        &format!(
            "release create shop --version 1.0.0 --commit-sha {sha} --branch main --build-id 42
             --pipeline-url https://ci.example.com/42"
        ),
    );
    assert_eq!(
        full["components"],
        json!([
            chosen("api", 0x12, "v1.10.0", "1.10.0", "head of stable"),
            chosen("web", 0x21, "v2.0.0", "2.0.0", "head of stable"),
        ])
    );
    assert_eq!(
        written_release(&repo, &full),
        json!({
            "package": "shop",
            "version": "1.0.0",
            "created_at": EPOCH_TEXT,
            "source": {
                "commit_sha": sha,
                "branch": "main",
                "build_id": "42",
                "pipeline_url": "https://ci.example.com/42",
            },
            "components": [
                recorded("api", 0x12, "v1.10.0", "1.10.0"),
                recorded("web", 0x21, "v2.0.0", "2.0.0"),
            ],
        })
    );
    // Not committed: the file waits in the working tree.
    assert_eq!(full["put"]["commit"], Value::Null);
    assert_eq!(full["put"]["objects"][0]["created"], true);

    // Channel: the highest of beta, prereleases included (beta.2 was imported
    // before beta.1).
    let beta = ok(
        &repo,
        "release create shop --version 1.1.0-rc.1 --channel beta",
    );
    assert_eq!(
        beta["components"],
        json!([
            chosen(
                "api",
                0x13,
                "v1.11.0-beta.1",
                "1.11.0-beta.1",
                "head of beta"
            ),
            chosen("web", 0x22, "v2.1.0-beta.2", "2.1.0-beta.2", "head of beta"),
        ])
    );
    assert_eq!(
        written_release(&repo, &beta)["components"],
        json!([
            recorded("api", 0x13, "v1.11.0-beta.1", "1.11.0-beta.1"),
            recorded("web", 0x22, "v2.1.0-beta.2", "2.1.0-beta.2"),
        ])
    );

    // Pinned: by tag and by digest; the digest resolves to its tag.
    let pinned = ok(
        &repo,
        &format!(
            "release create shop --version 0.9.0 --pin api=v1.9.0 --pin web={}",
            digest(0x23)
        ),
    );
    let how = format!("pinned {}", digest(0x23));
    assert_eq!(
        pinned["components"],
        json!([
            chosen("api", 0x11, "v1.9.0", "1.9.0", "pinned v1.9.0"),
            chosen("web", 0x23, "v2.1.0-beta.1", "2.1.0-beta.1", &how),
        ])
    );
    assert_eq!(
        written_release(&repo, &pinned)["components"],
        json!([
            recorded("api", 0x11, "v1.9.0", "1.9.0"),
            recorded("web", 0x23, "v2.1.0-beta.1", "2.1.0-beta.1"),
        ])
    );
    // No source flags: no source.
    assert_eq!(pinned["release"].get("source"), None);

    // --components restricts each mode.
    let only_web = ok(
        &repo,
        "release create shop --version 1.0.1 --components web",
    );
    assert_eq!(
        only_web["components"],
        json!([chosen("web", 0x21, "v2.0.0", "2.0.0", "head of stable")])
    );
    assert_eq!(
        written_release(&repo, &only_web)["components"],
        json!([recorded("web", 0x21, "v2.0.0", "2.0.0")])
    );
    let only_api = ok(
        &repo,
        "release create shop --version 0.9.1 --pin api=v1.9.0 --pin web=v2.0.0 --components api",
    );
    assert_eq!(
        only_api["components"],
        json!([chosen("api", 0x11, "v1.9.0", "1.9.0", "pinned v1.9.0")])
    );
    let beta_api = ok(
        &repo,
        "release create shop --version 1.1.0-rc.2 --channel beta --components api",
    );
    assert_eq!(
        beta_api["components"],
        json!([chosen(
            "api",
            0x13,
            "v1.11.0-beta.1",
            "1.11.0-beta.1",
            "head of beta"
        )])
    );
    assert_eq!(repo.files("objects/releases").len(), 6);
    assert_eq!(repo.tip("HEAD").unwrap(), head);

    // A component without a version map takes a pinned digest as given; a tag
    // cannot resolve for it.
    ok(
        &repo,
        "component add cache --image registry.example.com/shop/cache --commit",
    );
    let by_digest = ok(
        &repo,
        &format!(
            "release create shop --version 0.9.2 --pin api=v1.9.0 --pin cache={}",
            digest(0x71)
        ),
    );
    assert_eq!(
        by_digest["components"],
        json!([
            chosen("api", 0x11, "v1.9.0", "1.9.0", "pinned v1.9.0"),
            {"name": "cache", "digest": digest(0x71), "tag": null, "semver": null,
             "how": "pinned by digest"},
        ])
    );
    assert_eq!(
        written_release(&repo, &by_digest)["components"][1],
        json!({"name": "cache", "digest": digest(0x71), "role": "primary"})
    );
    refused(
        &repo,
        "release create shop --version 0.9.3 --pin cache=v1.0.0",
        1,
        "berth::unknown-digest",
    );
}

#[test]
fn a_partial_release_moves_the_named_components_and_keeps_what_the_environment_holds() {
    let repo = registry();
    let commits = commit_count(&repo);
    let base = ok(
        &repo,
        "release create shop --version 1.0.0 --role web=sidecar --commit",
    );
    // Committed: one commit with the release's file, nothing left over.
    let head = repo.tip("HEAD").unwrap();
    assert_eq!(base["put"]["commit"], head);
    assert_eq!(commit_count(&repo), commits + 1);
    assert_eq!(subject(&repo), "Release shop 1.0.0");
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
    let path = base["put"]["objects"][0]["path"].as_str().unwrap();
    assert!(repo.head().unwrap().paths.iter().any(|p| p == path));
    let mut sidecar = recorded("web", 0x21, "v2.0.0", "2.0.0");
    sidecar["role"] = json!("sidecar");
    assert_eq!(
        written_release(&repo, &base)["components"],
        json!([recorded("api", 0x12, "v1.10.0", "1.10.0"), sidecar])
    );
    ok(
        &repo,
        &format!("promote {} --to dev", base["object"].as_str().unwrap()),
    );

    // Both components move on in the registry.
    json_list(&repo, "input/api.json", &[("v1.12.0", 0x14)]);
    ok(&repo, "versions import api input/api.json --commit");
    json_list(&repo, "input/web.json", &[("v2.2.0", 0x24)]);
    ok(&repo, "versions import web input/web.json --commit");

    // api moves to its head; web stays as dev holds it, role and all.
    let partial = ok(
        &repo,
        "release create shop --version 1.1.0 --from-env dev --update api",
    );
    assert_eq!(
        partial["components"],
        json!([
            chosen(
                "api",
                0x14,
                "v1.12.0",
                "1.12.0",
                "updated to head of stable"
            ),
            chosen("web", 0x21, "v2.0.0", "2.0.0", "held by dev"),
        ])
    );
    assert_eq!(
        written_release(&repo, &partial)["components"],
        json!([recorded("api", 0x14, "v1.12.0", "1.12.0"), sidecar])
    );
    // The full mode, by contrast, takes both heads.
    assert_eq!(
        ok(&repo, "release create shop --version 1.2.0")["components"],
        json!([
            chosen("api", 0x14, "v1.12.0", "1.12.0", "head of stable"),
            chosen("web", 0x24, "v2.2.0", "2.2.0", "head of stable"),
        ])
    );
    // --components restricts what is kept.
    let only_api = ok(
        &repo,
        "release create shop --version 1.1.1 --from-env dev --update api --components api",
    );
    assert_eq!(
        only_api["components"],
        json!([chosen(
            "api",
            0x14,
            "v1.12.0",
            "1.12.0",
            "updated to head of stable"
        )])
    );

    // An environment that holds something other than a release for the package.
    let billing = repo.put_version_set("billing", 1);
    ok(&repo, &format!("promote {} --to dev", billing.object));
    refused(
        &repo,
        "release create billing --version 1.0.0 --from-env dev --update api",
        1,
        "berth::not-a-release",
    );
    // An environment that holds nothing for the package.
    refused(
        &repo,
        "release create shop --version 1.3.0 --from-env staging --update api",
        1,
        "berth::not-held",
    );
    refused(
        &repo,
        "release create shop --version 1.3.0 --from-env dev --update nope",
        1,
        "berth::unknown-component",
    );
}

#[test]
fn release_create_refuses_what_it_cannot_resolve_and_writes_nothing() {
    let repo = registry();
    let zeros = format!("sha256:{}", "0".repeat(64));
    let cases = [
        (
            "--components nope",
            1,
            "berth::unknown-component",
            "`nope` is not a registered component",
        ),
        (
            "--pin nope=v1.0.0",
            1,
            "berth::unknown-component",
            "`nope` is not a registered component",
        ),
        (
            "--channel nightly",
            1,
            "berth::no-version",
            "`api` has no version in channel `nightly`",
        ),
        (
            "--pin api=v9.9.9",
            1,
            "berth::unknown-digest",
            "`api`'s version map records no tag or digest `v9.9.9`",
        ),
        (
            &format!("--pin api={zeros}"),
            1,
            "berth::unknown-digest",
            &format!("`api`'s version map records no tag or digest `{zeros}`"),
        ),
        (
            "--pin api=v1.9.0 --pin api=v1.10.0",
            2,
            "berth::bad-pin",
            "`api` is named twice",
        ),
        (
            "--pin api",
            2,
            "berth::bad-pin",
            "`api` is not NAME=TAG or NAME=DIGEST",
        ),
    ];
    for (rest, exit, code, message) in cases {
        let report = refused(
            &repo,
            &format!("release create shop --version 2.0.0 {rest} --commit"),
            exit,
            code,
        );
        assert_eq!(report["error"]["message"], message, "{rest}");
    }
    // A component with no versions has no head.
    ok(
        &repo,
        "component add cache --image registry.example.com/shop/cache --commit",
    );
    let report = refused(
        &repo,
        "release create shop --version 2.0.0 --commit",
        1,
        "berth::no-version",
    );
    assert_eq!(
        report["error"]["message"],
        "`cache` has no version in channel `stable`"
    );

    for version in ["2.0", "v2.0.0", "latest"] {
        refused(
            &repo,
            &format!("release create shop --version {version} --components api --commit"),
            2,
            "berth::bad-version",
        );
    }
    assert_eq!(repo.files("objects/releases"), Vec::<String>::new());

    // Two modes at once is a usage error, before anything is read.
    let before = snapshot(&repo);
    for rest in [
        "--channel beta --pin api=v1.9.0",
        "--channel beta --from-env dev --update api",
        "--pin api=v1.9.0 --from-env dev --update api",
        "--from-env dev",
        "--update api",
    ] {
        let output = repo
            .berth()
            .args([
                "release",
                "create",
                "shop",
                "--version",
                "2.0.0",
                "--format",
                "json",
            ])
            .args(rest.split_whitespace())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{rest}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("Usage: berth release create"),
            "{rest}: {stderr}"
        );
    }
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn diff_of_two_releases_names_added_removed_changed_and_unchanged() {
    let repo = four_components();
    let from = ok(
        &repo,
        "release create shop --version 1.0.0 --pin api=v1.9.0 --pin web=v2.0.0 --pin cache=v0.3.0
         --commit",
    );
    let to = ok(
        &repo,
        "release create shop --version 1.1.0 --pin api=v1.10.0 --pin web=v2.0.0 --pin worker=v5.0.0
         --commit",
    );
    let from = from["object"].as_str().unwrap();
    let to = to["object"].as_str().unwrap();
    let to_hash = to.strip_prefix("releases/").unwrap();
    ok(&repo, &format!("promote {from} --to dev"));

    let expected = json!({
        "from": from,
        "from_version": "shop 1.0.0",
        "to": to,
        "to_version": "shop 1.1.0",
        "added": [carried("worker", 0x51, "v5.0.0", "5.0.0")],
        "removed": [carried("cache", 0x31, "v0.3.0", "0.3.0")],
        "changed": [{
            "name": "api",
            "from": carried("api", 0x11, "v1.9.0", "1.9.0"),
            "to": carried("api", 0x12, "v1.10.0", "1.10.0"),
        }],
        "unchanged": [carried("web", 0x21, "v2.0.0", "2.0.0")],
    });
    // By full name, by what dev holds, and by an 8-digit prefix.
    assert_eq!(ok(&repo, &format!("diff {from} {to}")), expected);
    assert_eq!(
        ok(&repo, &format!("diff shop@dev {}", &to_hash[..8])),
        expected
    );
    // The other way round: added and removed swap, changed turns around.
    let back = ok(&repo, &format!("diff {to} {from}"));
    assert_eq!(back["added"], expected["removed"]);
    assert_eq!(back["removed"], expected["added"]);
    assert_eq!(back["changed"][0]["from"], expected["changed"][0]["to"]);
    assert_eq!(back["changed"][0]["to"], expected["changed"][0]["from"]);
    assert_eq!(back["unchanged"], expected["unchanged"]);
    // A release against itself: all unchanged.
    let same = ok(&repo, &format!("diff {to} {}", &to_hash[..12]));
    assert_eq!(
        (&same["added"], &same["removed"], &same["changed"]),
        (&json!([]), &json!([]), &json!([]))
    );
    assert_eq!(same["unchanged"].as_array().unwrap().len(), 3);

    let human = repo.berth().args(["diff", from, to]).output().unwrap();
    assert_eq!(human.status.code(), Some(0));
    let text = String::from_utf8(human.stdout).unwrap();
    let cells: Vec<Vec<&str>> = text
        .lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect()
        })
        .collect();
    let changed_digests = format!("{} -> {}", short(0x11), short(0x12));
    assert_eq!(
        cells,
        [
            vec!["shop 1.0.0 -> shop 1.1.0"],
            vec!["COMPONENT", "CHANGE", "FROM", "TO", "DIGEST"],
            vec!["worker", "added", "-", "5.0.0 (v5.0.0)", &short(0x51)],
            vec!["cache", "removed", "0.3.0 (v0.3.0)", "-", &short(0x31)],
            vec![
                "api",
                "changed",
                "1.9.0 (v1.9.0)",
                "1.10.0 (v1.10.0)",
                &changed_digests
            ],
            vec![
                "web",
                "unchanged",
                "2.0.0 (v2.0.0)",
                "2.0.0 (v2.0.0)",
                &short(0x21)
            ],
        ],
        "{text}"
    );

    let markdown = repo
        .berth()
        .args(["diff", from, to, "--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(markdown.status.code(), Some(0));
    let text = String::from_utf8(markdown.stdout).unwrap();
    assert!(
        text.contains("| component | change | from | to | digest |\n"),
        "{text}"
    );
    assert!(text.contains("<details>"), "{text}");
    assert_eq!(
        text,
        format!(
            "### shop 1.0.0 → shop 1.1.0\n\n\
             1 added, 1 removed, 1 changed, 1 unchanged\n\n\
             | component | change | from | to | digest |\n\
             | --- | --- | --- | --- | --- |\n\
             | `worker` | added |  | 5.0.0 (`v5.0.0`) | `{}` |\n\
             | `cache` | removed | 0.3.0 (`v0.3.0`) |  | `{}` |\n\
             | `api` | changed | 1.9.0 (`v1.9.0`) | 1.10.0 (`v1.10.0`) | `{}` → `{}` |\n\n\
             <details><summary>1 component unchanged</summary>\n\n\
             | component | version | digest |\n\
             | --- | --- | --- |\n\
             | `web` | 2.0.0 (`v2.0.0`) | `{}` |\n\n\
             </details>\n",
            short(0x51),
            short(0x31),
            short(0x11),
            short(0x12),
            short(0x21)
        )
    );
}

#[test]
fn release_ls_lists_newest_first_with_status_and_filters() {
    let repo = four_components();
    let r1 = create_at(
        &repo,
        EPOCH,
        "shop --version 1.0.0 --components api web --commit",
    );
    let r2 = create_at(
        &repo,
        EPOCH + 100,
        "shop --version 1.1.0 --pin api=v1.9.0 --pin web=v2.0.0 --commit",
    );
    // Made in one second: the higher version first, by semver (1.10 over 1.9).
    let r3 = create_at(
        &repo,
        EPOCH + 200,
        "shop --version 1.9.0 --components api --commit",
    );
    let r4 = create_at(
        &repo,
        EPOCH + 200,
        "shop --version 1.10.0 --components api web --commit",
    );
    let r5 = create_at(
        &repo,
        EPOCH + 300,
        "admin --version 0.1.0 --components cache worker --commit",
    );
    ok(&repo, &format!("promote {r1} --to dev"));
    ok_at(
        &repo,
        EPOCH + 400,
        &format!("mark {r2} deprecated --commit"),
    );
    ok_at(&repo, EPOCH + 400, &format!("mark {r4} ready --commit"));

    let summary = |listed: &Value| -> Vec<[String; 4]> {
        listed["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                [
                    &r["object"],
                    &r["package"],
                    &r["version"],
                    &r["lifecycle"]["status"],
                ]
                .map(|v| v.as_str().unwrap().to_owned())
            })
            .collect()
    };
    let one = [r1.as_str(), "shop", "1.0.0", "deployed"];
    let two = [r2.as_str(), "shop", "1.1.0", "deprecated"];
    let three = [r3.as_str(), "shop", "1.9.0", "draft"];
    let four = [r4.as_str(), "shop", "1.10.0", "ready"];
    let five = [r5.as_str(), "admin", "0.1.0", "draft"];
    let listed = ok(&repo, "release ls");
    assert_eq!(summary(&listed), [five, four, three, two, one]);
    let releases = listed["releases"].as_array().unwrap();
    let times: Vec<&str> = releases
        .iter()
        .map(|r| r["created_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        times,
        [
            "2025-04-30T08:05:00Z",
            "2025-04-30T08:03:20Z",
            "2025-04-30T08:03:20Z",
            "2025-04-30T08:01:40Z",
            EPOCH_TEXT,
        ]
    );
    assert_eq!(
        releases[4]["components"],
        json!([
            carried("api", 0x12, "v1.10.0", "1.10.0"),
            carried("web", 0x21, "v2.0.0", "2.0.0")
        ])
    );
    assert_eq!(releases[4]["lifecycle"]["environments"], json!(["dev"]));
    assert_eq!(releases[4]["lifecycle"]["latest"], Value::Null);
    assert_eq!(releases[3]["lifecycle"]["environments"], json!([]));
    assert_eq!(releases[3]["lifecycle"]["latest"]["status"], "deprecated");
    assert_eq!(
        releases[3]["lifecycle"]["latest"]["at"],
        "2025-04-30T08:06:40Z"
    );

    let filtered = |flags: &str| summary(&ok(&repo, &format!("release ls {flags}")));
    assert_eq!(filtered("--package admin"), [five]);
    assert_eq!(filtered("--package shop --component web"), [four, two, one]);
    assert_eq!(filtered("--component worker"), [five]);
    assert_eq!(filtered("--status deployed"), [one]);
    assert_eq!(filtered("--status deprecated"), [two]);
    assert_eq!(filtered("--status ready"), [four]);
    assert_eq!(filtered("--status draft"), [five, three]);
    let none: [[&str; 4]; 0] = [];
    assert_eq!(
        filtered("--package shop --status draft --component web"),
        none
    );
    assert_eq!(filtered("--status failed"), none);
    assert_eq!(filtered("--package nope"), none);

    // A component's history: the releases that carried it, newest first.
    let history = ok(&repo, "release history --component web");
    assert_eq!(history["component"], "web");
    assert_eq!(summary(&history), [four, two, one]);
    let history = ok(&repo, "release history --component api");
    let api: Vec<(&str, &str)> = history["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let components = r["components"].as_array().unwrap();
            let api = components.iter().find(|c| c["name"] == "api").unwrap();
            (r["version"].as_str().unwrap(), api["tag"].as_str().unwrap())
        })
        .collect();
    assert_eq!(
        api,
        [
            ("1.10.0", "v1.10.0"),
            ("1.9.0", "v1.10.0"),
            ("1.1.0", "v1.9.0"),
            ("1.0.0", "v1.10.0")
        ]
    );

    let human = repo
        .berth()
        .args(["release", "history", "--component", "web"])
        .output()
        .unwrap();
    assert_eq!(human.status.code(), Some(0));
    let text = String::from_utf8(human.stdout).unwrap();
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let short_hash = |object: &str| object[..21].to_owned();
    assert_eq!(
        rows,
        [
            vec![
                "RELEASE", "PACKAGE", "VERSION", "TAG", "SEMVER", "DIGEST", "STATUS"
            ],
            vec![
                &short_hash(&r4),
                "shop",
                "1.10.0",
                "v2.0.0",
                "2.0.0",
                &short(0x21),
                "ready"
            ],
            vec![
                &short_hash(&r2),
                "shop",
                "1.1.0",
                "v2.0.0",
                "2.0.0",
                &short(0x21),
                "deprecated"
            ],
            vec![
                &short_hash(&r1),
                "shop",
                "1.0.0",
                "v2.0.0",
                "2.0.0",
                &short(0x21),
                "deployed"
            ],
        ],
        "{text}"
    );
}

#[test]
fn validate_passes_after_the_whole_flow() {
    let repo = four_components();
    let r1 = create_at(
        &repo,
        EPOCH,
        "shop --version 1.0.0 --role worker=sidecar --commit",
    );
    ok(&repo, &format!("mark {r1} ready --commit"));
    ok(&repo, &format!("promote {r1} --to dev"));
    json_list(
        &repo,
        "input/api.json",
        &[("v1.12.0", 0x14), ("v1.13.0-beta.1", 0x15)],
    );
    ok(&repo, "versions import api input/api.json --commit");
    let r2 = create_at(
        &repo,
        EPOCH + 60,
        "shop --version 1.1.0 --from-env dev --update api --commit",
    );
    ok(&repo, &format!("promote {r2} --to dev"));
    ok(&repo, "promote shop@dev --to staging");
    ok_at(
        &repo,
        EPOCH + 120,
        &format!("mark {r1} deprecated --commit"),
    );
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());

    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["summary"]["errors"], 0);
    assert_eq!(report["summary"]["warnings"], 0);
    // Everything the flow added, against the repository `berth init` made.
    let root = repo.git_command(&["rev-list", "--max-parents=0", "HEAD"]);
    let (code, report) = repo.json(&["validate", "--base", root.trim()]);
    assert_eq!((code, &report["findings"]), (0, &json!([])), "{report:#}");
    let (code, report) = repo.json(&["check"]);
    assert_eq!((code, &report["findings"]), (0, &json!([])), "{report:#}");
    repo.berth().arg("validate").assert().success();
}

#[test]
fn components_restricts_a_partial_release_too() {
    let repo = registry();
    let base = create_at(&repo, EPOCH, "shop --version 1.0.0 --commit");
    ok(&repo, &format!("promote {base} --to dev"));
    json_list(&repo, "input/api.json", &[("v1.12.0", 0x14)]);
    ok(&repo, "versions import api input/api.json --commit");
    // "--components NAME... restricts any mode": as a pin outside the restriction
    // is left out, so is an update outside it.
    let only_web = ok(
        &repo,
        "release create shop --version 1.0.1 --from-env dev --update api --components web",
    );
    assert_eq!(
        only_web["components"],
        json!([chosen("web", 0x21, "v2.0.0", "2.0.0", "held by dev")])
    );
    assert_eq!(
        written_release(&repo, &only_web)["components"],
        json!([recorded("web", 0x21, "v2.0.0", "2.0.0")])
    );
}

#[test]
fn release_create_refuses_a_version_the_package_already_has() {
    let repo = registry();
    create_at(&repo, EPOCH, "shop --version 1.0.0 --commit");
    json_list(&repo, "input/api.json", &[("v1.12.0", 0x14)]);
    ok(&repo, "versions import api input/api.json --commit");
    assert_eq!(repo.json(&["validate"]).0, 0);
    // Another shop 1.0.0, with another api: validate says `version-not-increasing`
    // ("two objects claim one version"), so the command that commits it should
    // refuse it and write nothing, as it refuses what the registry rules forbid.
    let before = snapshot(&repo);
    let (code, report) = run_at(
        &repo,
        EPOCH + 60,
        "release create shop --version 1.0.0 --commit",
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        report["error"]["code"], "berth::version-not-increasing",
        "{report:#}"
    );
    assert_eq!(snapshot(&repo), before);
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn two_modes_at_once_is_a_json_error_under_format_json() {
    let repo = registry();
    let output = repo
        .berth()
        .args([
            "release",
            "create",
            "shop",
            "--version",
            "2.0.0",
            "--format",
            "json",
        ])
        .args(["--channel", "beta", "--pin", "api=v1.9.0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    // The README: "With --format json every command prints one JSON document on
    // stdout, whatever the outcome".
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {:?}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    assert_eq!(report["error"]["exit_code"], 2, "{report:#}");
}

#[test]
fn a_release_of_an_empty_registry_is_refused() {
    let repo = Repo::init();
    let report = refused_at(
        &repo,
        None,
        &[
            "release",
            "create",
            "shop",
            "--version",
            "1.0.0",
            "--commit",
        ],
        1,
        "berth::no-components",
    );
    assert_eq!(report["error"]["message"], "the registry has no components");
}

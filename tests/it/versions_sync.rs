//! `berth versions sync` against a real registry: Debian's `docker-registry`
//! started on 127.0.0.1 by the test, images pushed into it through its API, and a
//! loopback proxy in front of it for counting requests and for faults (see
//! tests/it/oci.rs). The version map written is asserted byte for byte, and every
//! failure leaves it (and the branch) as it was.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::oci::{Fault, Media, Platform, Proxy, Registry, platform};

mod auth;
use crate::support::{Repo, codes, stdout_json};

/// The clock of every sync: 2026-01-01T00:00:00Z.
const EPOCH: &str = "1767225600";
const AT: &str = "2026-01-01T00:00:00Z";
const MAP: &str = "components/api.versions.toml";

/// A repository with the component `name` on `image`.
fn repo_with(name: &str, image: &str) -> Repo {
    let repo = Repo::init();
    add(&repo, name, image);
    repo
}

fn add(repo: &Repo, name: &str, image: &str) {
    repo.ok(&["component", "add", name, "--image", image, "--commit"]);
}

/// `berth versions sync ARGS --format json` at the fixed clock.
fn sync(repo: &Repo, args: &[&str]) -> (i32, Value) {
    sync_with(repo, args, &[])
}

fn sync_with(repo: &Repo, args: &[&str], env: &[(&str, &str)]) -> (i32, Value) {
    let mut command = repo.berth();
    command.env("SOURCE_DATE_EPOCH", EPOCH);
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command
        .args(["versions", "sync"])
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (output.status.code().unwrap(), stdout_json(&output))
}

/// A sync that must succeed.
fn synced(repo: &Repo, args: &[&str]) -> Value {
    let (code, outcome) = sync(repo, args);
    assert_eq!(code, 0, "{outcome:#}");
    outcome
}

/// A sync that must fail with `code` and `error`, writing nothing.
fn refused(repo: &Repo, args: &[&str], env: &[(&str, &str)], code: i32, error: &str) -> Value {
    let map = std::fs::read(repo.path().join(MAP)).ok();
    let head = repo.tip("HEAD");
    let (exit, report) = sync_with(repo, args, env);
    assert_eq!(
        (exit, report["error"]["code"].as_str()),
        (code, Some(error)),
        "{report:#}"
    );
    assert_eq!(
        std::fs::read(repo.path().join(MAP)).ok(),
        map,
        "the map changed"
    );
    assert_eq!(repo.tip("HEAD"), head, "a commit was made");
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());
    report
}

/// One `[[versions]]` entry as berth writes it, with its platforms.
fn entry(tag: &str, digest: &str, platforms: &[(Platform, String)]) -> String {
    let semver = tag.trim_start_matches('v');
    let mut text = format!(
        "[[versions]]\ntag = \"{tag}\"\ndigest = \"{digest}\"\nsemver = \"{semver}\"\nchannel = \"stable\"\nprerelease = false\nresolved_at = \"{AT}\"\nsource = \"auto\"\n"
    );
    for (platform, digest) in platforms {
        text.push_str(&format!(
            "\n[[versions.platforms]]\nos = \"{}\"\narchitecture = \"{}\"\n",
            platform.os, platform.architecture
        ));
        if let Some(variant) = &platform.variant {
            text.push_str(&format!("variant = \"{variant}\"\n"));
        }
        text.push_str(&format!("digest = \"{digest}\"\n"));
    }
    text
}

/// The requests a proxy logged, as `METHOD target` lines.
fn log(proxy: &Proxy) -> Vec<String> {
    proxy
        .requests()
        .into_iter()
        .map(|(method, target)| format!("{method} {target}"))
        .collect()
}

fn requests(list: u64, head: u64, get: u64, token: u64) -> Value {
    json!({"list": list, "head": head, "get": get, "token": token, "total": list + head + get + token})
}

#[test]
fn one_platform_tags_are_recorded_as_import_records_them() {
    let registry = Registry::start();
    let oci = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let docker = registry.push_image("shop/api", "v1.1.0", "two", Media::Docker);
    registry.push_image("shop/api", "latest", "three", Media::Oci);
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));

    let outcome = synced(&repo, &["api", "--commit"]);
    let expected = [entry("v1.0.0", &oci, &[]), entry("v1.1.0", &docker, &[])].join("\n");
    assert_eq!(repo.read(MAP), expected);
    let one = &outcome["components"][0];
    assert_eq!(
        (
            &one["seen"],
            &one["matched"],
            &one["known"],
            &one["resolved"],
            &one["moved"]
        ),
        (&json!(3), &json!(2), &json!(0), &json!(2), &json!(0))
    );
    assert_eq!(one["skipped"][0]["tag"], "latest");
    assert_eq!(one["added"].as_array().unwrap().len(), 2);
    assert_eq!(outcome["requests"], requests(1, 2, 0, 0));
    assert_eq!(outcome["written"]["files"], json!([MAP]));
    let head = repo.head().unwrap();
    assert_eq!(
        head.message.trim(),
        "Record 2 tags of api from the registry"
    );
    assert_eq!(outcome["written"]["commit"], json!(head.id));

    // `versions import` of the same tags and digests writes the same bytes.
    let other = repo_with("api", &format!("{}/shop/api", registry.host()));
    other.write("tags.txt", &format!("v1.0.0 {oci}\nv1.1.0 {docker}\n"));
    other
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(["versions", "import", "api", "tags.txt"])
        .assert()
        .success();
    assert_eq!(other.read(MAP), expected);

    // A second sync asks for the tag list only, and says so for people.
    let output = repo
        .berth()
        .args(["versions", "sync", "api"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("api: 3 tags seen, 2 matched, 0 new, 2 known, 1 skipped, 0 moved\n")
            && stderr.contains(
                "1 request to the registry: 1 listing tags, 0 HEAD, 0 GET, 0 for tokens\n"
            ),
        "{stderr}"
    );
    assert_eq!(repo.read(MAP), expected);
}

#[test]
fn a_multi_arch_tag_records_its_index_and_each_platform_and_either_can_be_pinned() {
    let registry = Registry::start();
    let (index, index_platforms) = registry.push_index(
        "shop/api",
        "v2.0.0",
        "multi",
        &[
            platform("linux", "amd64", None),
            platform("linux", "arm64", Some("v8")),
        ],
        Media::Oci,
    );
    let (list, list_platforms) = registry.push_index(
        "shop/api",
        "v2.1.0",
        "list",
        &[
            platform("linux", "amd64", None),
            platform("linux", "arm", Some("v7")),
        ],
        Media::Docker,
    );
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    let outcome = synced(&repo, &["api", "--commit"]);
    assert_eq!(
        repo.read(MAP),
        [
            entry("v2.0.0", &index, &index_platforms),
            entry("v2.1.0", &list, &list_platforms)
        ]
        .join("\n")
    );
    // One HEAD per tag, and one GET of each index for its platforms.
    assert_eq!(outcome["requests"], requests(1, 2, 2, 0));

    // `versions ls` shows each platform under its tag.
    let listed = repo.ok(&["versions", "ls", "api"]);
    assert_eq!(
        listed["versions"][1]["platforms"],
        json!([
            {"os": "linux", "architecture": "amd64", "digest": index_platforms[0].1},
            {"os": "linux", "architecture": "arm64", "variant": "v8", "digest": index_platforms[1].1},
        ])
    );
    let output = repo
        .berth()
        .args(["versions", "ls", "api"])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = shown.lines().map(str::trim_end).collect();
    assert_eq!(lines.len(), 7, "{shown}");
    assert!(lines[1].starts_with("v2.1.0 ") && lines[1].contains(&list) && lines[1].ends_with('*'));
    assert!(
        lines[2].starts_with("  linux/amd64 ") && lines[2].ends_with(list_platforms[0].1.as_str())
    );
    assert!(
        lines[3].starts_with("  linux/arm/v7 ") && lines[3].ends_with(list_platforms[1].1.as_str())
    );
    assert!(
        lines[5].starts_with("  linux/amd64 ") && lines[5].ends_with(index_platforms[0].1.as_str())
    );
    assert!(
        lines[6].starts_with("  linux/arm64/v8 ")
            && lines[6].ends_with(index_platforms[1].1.as_str())
    );

    // A release pins the index by tag, or one platform's image by its digest.
    let arm = &index_platforms[1].1;
    let by_platform = repo.ok(&[
        "release",
        "create",
        "shop",
        "--version",
        "1.0.0",
        "--pin",
        &format!("api={arm}"),
        "--commit",
    ]);
    assert_eq!(
        by_platform["components"][0],
        json!({"name": "api", "digest": arm, "tag": "v2.0.0", "semver": "2.0.0", "how": "pinned linux/arm64/v8 of v2.0.0"})
    );
    let by_tag = repo.ok(&[
        "release",
        "create",
        "shop",
        "--version",
        "1.0.1",
        "--pin",
        "api=v2.0.0",
        "--commit",
    ]);
    assert_eq!(by_tag["components"][0]["digest"], json!(index));
    // The validator takes a platform's digest as recorded.
    repo.ok(&["validate"]);
}

#[test]
fn pages_are_followed_and_known_tags_are_not_resolved_again() {
    let registry = Registry::start();
    let tags: Vec<String> = (0..250).map(|n| format!("v1.{n}.0")).collect();
    let digests = registry.push_many("shop/api", &tags, "many");
    let proxy = Proxy::start(&registry, Fault::None);
    let repo = repo_with("api", &format!("{}/shop/api", proxy.host()));

    let outcome = synced(&repo, &["api", "--commit"]);
    assert_eq!(outcome["requests"], requests(3, 250, 0, 0));
    let requests_made = log(&proxy);
    let lists: Vec<&String> = requests_made
        .iter()
        .filter(|line| line.contains("/tags/list"))
        .collect();
    assert_eq!(lists.len(), 3, "{lists:?}");
    assert_eq!(lists[0], "GET /v2/shop/api/tags/list?n=100");
    assert!(
        lists[1].contains("last=") && lists[2].contains("last="),
        "{lists:?}"
    );
    let heads = requests_made
        .iter()
        .filter(|line| line.starts_with("HEAD /v2/shop/api/manifests/v1."))
        .count();
    assert_eq!((heads, requests_made.len()), (250, 253));
    // Every tag is recorded with its digest, in the registry's order.
    let map: Value =
        serde_json::to_value(toml::from_str::<toml::Value>(&repo.read(MAP)).unwrap()).unwrap();
    let versions = map["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 250);
    for (tag, digest) in tags.iter().zip(&digests) {
        let recorded = versions.iter().find(|v| v["tag"] == json!(tag)).unwrap();
        assert_eq!(recorded["digest"], json!(digest), "{tag}");
    }

    // Nothing new: the tag list's pages only.
    let before = proxy.requests().len();
    let again = synced(&repo, &["api"]);
    assert_eq!(again["requests"], requests(3, 0, 0, 0));
    assert_eq!(again["components"][0]["known"], 250);
    assert!(
        log(&proxy)[before..]
            .iter()
            .all(|line| line.contains("/tags/list"))
    );

    // One new tag: the pages and one HEAD.
    let new = registry.push_image("shop/api", "v2.0.0", "new", Media::Oci);
    let third = synced(&repo, &["api", "--commit"]);
    assert_eq!(third["requests"], requests(3, 1, 0, 0));
    assert_eq!(third["components"][0]["added"][0]["digest"], json!(new));
    assert!(repo.read(MAP).ends_with(&entry("v2.0.0", &new, &[])));
}

#[test]
fn a_moved_tag_is_refused_with_both_digests_and_nothing_is_written() {
    let registry = Registry::start();
    let first = registry.push_image("shop/api", "v1.0.0", "first", Media::Oci);
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    synced(&repo, &["api", "--commit"]);
    let map = repo.read(MAP);
    assert_eq!(map, entry("v1.0.0", &first, &[]));

    // The tag is pushed again with other bytes, and a new tag and component
    // come along.
    let second = registry.push_image("shop/api", "v1.0.0", "second", Media::Oci);
    assert_ne!(first, second);
    registry.push_image("shop/api", "v1.1.0", "next", Media::Oci);
    registry.push_image("shop/worker", "v3.0.0", "worker", Media::Oci);
    add(&repo, "worker", &format!("{}/shop/worker", registry.host()));

    // Without --refresh a recorded tag is not asked about.
    let (code, outcome) = sync(&repo, &["api"]);
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(outcome["requests"], requests(1, 1, 0, 0));
    std::fs::write(repo.path().join(MAP), &map).unwrap();

    // With it, the moved tag refuses every component's sync.
    let report = refused(
        &repo,
        &["--all", "--refresh", "--commit"],
        &[],
        1,
        "berth::tag-moved",
    );
    assert_eq!(codes(&report), ["tag-moved"]);
    assert_eq!(report["findings"][0]["file"], MAP);
    assert_eq!(
        report["findings"][0]["message"],
        format!("tag `v1.0.0` is recorded with {first} and the registry has {second}")
    );
    assert_eq!(repo.read(MAP), map);
    assert!(!repo.path().join("components/worker.versions.toml").exists());
}

#[test]
fn a_registry_that_refuses_head_is_asked_with_get() {
    let registry = Registry::start();
    let image = registry.push_image("shop/api", "v1.0.0", "one", Media::Docker);
    let (index, platforms) = registry.push_index(
        "shop/api",
        "v1.1.0",
        "two",
        &[
            platform("linux", "amd64", None),
            platform("linux", "arm64", Some("v8")),
        ],
        Media::Oci,
    );
    let proxy = Proxy::start(&registry, Fault::NoHead);
    let repo = repo_with("api", &format!("{}/shop/api", proxy.host()));
    let outcome = synced(&repo, &["api"]);
    assert_eq!(
        log(&proxy),
        [
            "GET /v2/shop/api/tags/list?n=100",
            "HEAD /v2/shop/api/manifests/v1.0.0",
            "GET /v2/shop/api/manifests/v1.0.0",
            "HEAD /v2/shop/api/manifests/v1.1.0",
            "GET /v2/shop/api/manifests/v1.1.0",
        ]
    );
    assert_eq!(outcome["requests"], requests(1, 2, 2, 0));
    assert_eq!(
        repo.read(MAP),
        [
            entry("v1.0.0", &image, &[]),
            entry("v1.1.0", &index, &platforms)
        ]
        .join("\n")
    );
}

#[test]
fn too_many_requests_is_retried_after_retry_after() {
    let registry = Registry::start();
    let image = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let proxy = Proxy::start(
        &registry,
        Fault::TooManyRequests {
            first: 2,
            retry_after_secs: 1,
        },
    );
    let repo = repo_with("api", &format!("{}/shop/api", proxy.host()));
    let started = Instant::now();
    let outcome = synced(&repo, &["api"]);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        log(&proxy),
        [
            "GET /v2/shop/api/tags/list?n=100",
            "GET /v2/shop/api/tags/list?n=100",
            "GET /v2/shop/api/tags/list?n=100",
            "HEAD /v2/shop/api/manifests/v1.0.0",
        ]
    );
    assert_eq!(outcome["requests"], requests(3, 1, 0, 0));
    assert_eq!(repo.read(MAP), entry("v1.0.0", &image, &[]));
}

#[test]
fn a_registry_that_keeps_limiting_fails_the_sync_and_writes_nothing() {
    let registry = Registry::start();
    registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let proxy = Proxy::start(
        &registry,
        Fault::TooManyRequests {
            first: 1000,
            retry_after_secs: 1,
        },
    );
    let repo = repo_with("api", &format!("{}/shop/api", proxy.host()));
    let report = refused(
        &repo,
        &["api", "--commit"],
        &[],
        4,
        "berth::registry-rate-limited",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "the registry {} is limiting requests: GET /v2/shop/api/tags/list?n=100 still answered 429 after 4 tries",
            proxy.host()
        )
    );
    assert_eq!(proxy.requests().len(), 4);
}

#[test]
fn a_registry_stopped_before_or_during_a_sync_fails_it_and_writes_nothing() {
    let mut registry = Registry::start();
    let first = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    for (tag, seed) in [("v1.1.0", "two"), ("v1.2.0", "three")] {
        registry.push_image("shop/api", tag, seed, Media::Oci);
    }
    // The connection breaks after the tag list and the first HEAD.
    let proxy = Proxy::start(&registry, Fault::DieAfter(2));
    let broken = repo_with("api", &format!("{}/shop/api", proxy.host()));
    let report = refused(
        &broken,
        &["api", "--commit"],
        &[],
        4,
        "berth::registry-unreachable",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!(
                "could not reach the registry {}: HEAD /v2/shop/api/manifests/v1.1.0",
                proxy.host()
            )),
        "{report:#}"
    );
    assert_eq!(proxy.requests().len(), 3);
    assert!(!broken.path().join(MAP).exists());
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "\na private CA: --registry-ca <pem>; plain HTTP: --insecure-registry {}",
                proxy.host()
            )),
        "{report:#}"
    );

    // A map recorded earlier is left as it was when the registry is gone.
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    repo.write("tags.txt", &format!("v1.0.0 {first}\n"));
    repo.berth()
        .args(["versions", "import", "api", "tags.txt", "--commit"])
        .assert()
        .success();
    std::fs::remove_file(repo.path().join("tags.txt")).unwrap();
    registry.stop();
    refused(
        &repo,
        &["api", "--commit"],
        &[],
        4,
        "berth::registry-unreachable",
    );
}

#[test]
fn the_request_budget_stops_a_sync_before_it_is_exceeded() {
    let registry = Registry::start();
    for (tag, seed) in [("v1.0.0", "one"), ("v1.1.0", "two"), ("v1.2.0", "three")] {
        registry.push_image("shop/api", tag, seed, Media::Oci);
    }
    let proxy = Proxy::start(&registry, Fault::None);
    let repo = repo_with("api", &format!("{}/shop/api", proxy.host()));
    let report = refused(
        &repo,
        &["api", "--max-requests", "3", "--commit"],
        &[],
        4,
        "berth::request-budget",
    );
    assert_eq!(
        report["error"]["message"],
        "the request budget of 3 requests is spent: HEAD /v2/shop/api/manifests/v1.2.0 was not sent"
    );
    // The command line says which flag raises it.
    assert!(
        report["error"]["help"].as_str().unwrap().ends_with(
            "\nraise it with --max-requests 6, or [registries] max_requests in berth.toml"
        ),
        "{report:#}"
    );
    assert_eq!(proxy.requests().len(), 3);
    // berth.toml's budget, when no flag is given.
    let settings = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &format!("{settings}\n[registries]\nmax_requests = 1\n"),
    );
    repo.git_command(&["commit", "-qam", "A budget of one request"]);
    refused(&repo, &["api"], &[], 4, "berth::request-budget");
    // Enough budget: the sync goes through.
    let outcome = synced(&repo, &["api", "--max-requests", "4"]);
    assert_eq!(outcome["requests"]["total"], 4);
}

#[test]
fn an_image_repository_berth_cannot_ask_for_is_refused() {
    let registry = Registry::start();
    let repo = repo_with("api", &format!("{}/shop/none", registry.host()));
    let report = refused(&repo, &["api"], &[], 4, "berth::registry-refused");
    assert_eq!(
        report["error"]["message"],
        format!(
            "the registry {} refused GET /v2/shop/none/tags/list?n=100: it answered 404 (NAME_UNKNOWN: repository name not known to registry)",
            registry.host()
        )
    );
    add(&repo, "bad", &format!("{}/Shop/API:v1", registry.host()));
    refused(&repo, &["bad"], &[], 1, "berth::bad-image-repository");
}

#[test]
fn after_a_sync_a_release_from_the_channel_takes_the_new_versions() {
    let registry = Registry::start();
    registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let v110 = registry.push_image("shop/api", "v1.1.0", "two", Media::Oci);
    registry.push_image("shop/api", "v1.2.0-rc.1", "rc", Media::Oci);
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    // A release from the stable channel: its one component's tag and digest.
    let release = |version: &str| {
        let release = repo.ok(&[
            "release",
            "create",
            "shop",
            "--version",
            version,
            "--channel",
            "stable",
            "--commit",
        ]);
        (
            release["components"][0]["tag"].clone(),
            release["components"][0]["digest"].clone(),
        )
    };
    synced(&repo, &["api", "--commit"]);
    assert_eq!(release("1.0.0"), (json!("v1.1.0"), json!(v110)));
    let v120 = registry.push_image("shop/api", "v1.2.0", "three", Media::Oci);
    synced(&repo, &["api", "--commit"]);
    assert_eq!(release("1.1.0"), (json!("v1.2.0"), json!(v120)));
}

#[test]
fn the_demo_syncs_its_components_from_a_registry_when_given_one() {
    let registry = Registry::start();
    let mut pushed = Vec::new();
    for (repo, tag) in [
        ("shop/api", "v1.0.0"),
        ("shop/api", "v1.0.1"),
        ("shop/worker", "v3.2.0"),
        ("shop/worker", "v3.2.1"),
        ("shop/worker", "v3.3.0-rc.1"),
    ] {
        pushed.push((
            repo,
            tag,
            registry.push_image(repo, tag, &format!("{repo}:{tag}"), Media::Oci),
        ));
    }
    let place = Repo::empty();
    let output = place
        .berth()
        .args(["demo", "walk", "--registry", &registry.host()])
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains(&format!(
            "$ berth versions sync api --insecure-registry {} --commit\n",
            registry.host()
        )),
        "{shown}"
    );
    let walk = place.path().join("walk");
    for (repo, tag, digest) in pushed {
        let component = repo.trim_start_matches("shop/");
        let map =
            std::fs::read_to_string(walk.join(format!("components/{component}.versions.toml")))
                .unwrap();
        assert!(
            map.contains(&format!("tag = \"{tag}\"\ndigest = \"{digest}\"")),
            "{map}"
        );
    }
}

#[test]
fn progress_shows_on_a_terminal_only() {
    let registry = Registry::start();
    let tags: Vec<String> = (0..400).map(|n| format!("v1.{n}.0")).collect();
    registry.push_many("shop/api", &tags, "many");
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    // With -q over a pipe: the table of new tags on stdout, nothing on stderr.
    let output = repo
        .berth()
        .args(["versions", "sync", "api", "-q"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout).lines().count(), 401);
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
    // On a terminal, a bar of the tags resolved.
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    let output = crate::progress::on_a_terminal(&repo, "versions sync api");
    assert_eq!(output.status.code(), Some(0));
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(
        terminal.contains("resolving the new tags of api ") && terminal.contains("/400 ["),
        "{terminal}"
    );
    assert!(
        terminal.contains("api: 400 tags seen, 400 matched, 400 new, 0 known, 0 skipped, 0 moved")
    );
}

#[test]
fn a_sync_with_push_lands_on_the_remote() {
    let registry = Registry::start();
    let image = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let repo = repo_with("api", &format!("{}/shop/api", registry.host()));
    let daemon = crate::support::Daemon::start();
    repo.git_command(&["remote", "add", "origin", &daemon.url()]);
    repo.git_command(&["push", "-q", "origin", "main"]);
    repo.git_command(&["fetch", "-q", "origin"]);
    let outcome = synced(&repo, &["api", "--push"]);
    let tip = repo.tip("refs/heads/main").unwrap();
    assert_eq!(daemon.tip("refs/heads/main"), Some(tip.clone()));
    assert_eq!(outcome["written"]["commit"], json!(tip));
    assert_eq!(outcome["written"]["pushed"]["remote"], "origin");
    assert_eq!(
        repo.git_command(&["show", &format!("{tip}:{MAP}")]),
        entry("v1.0.0", &image, &[])
    );
}

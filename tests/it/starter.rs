//! The starter for container estates: `berth init --template containers`, then two
//! services taken from the catalog to production as the README's tour for
//! container services does, with the tag lists it ships in examples/containers/.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::support::{Repo, describe, stdout_json};

/// 2026-01-01T00:00:00Z, the tour's clock: berth stamps `created_at`,
/// `resolved_at` and event times with SOURCE_DATE_EPOCH.
const EPOCH: i64 = 1_767_225_600;

/// When the test's commits are made (see `Repo::berth`), as `status` shows it.
const COMMITTED: &str = "2023-11-14T22:13:20+00:00";

/// A service of the tour: a component and a package of the same name.
struct Service {
    name: &'static str,
    /// Its tag list in examples/containers/.
    tags: &'static str,
    /// What importing the list records: tag, channel and digest, in the list's order.
    recorded: &'static [(&'static str, &'static str, &'static str)],
    /// The tags the import skips, with why.
    skipped: &'static [(&'static str, &'static str)],
    /// The head of stable, which the release takes: tag and semver.
    head: (&'static str, &'static str),
}

const ORDERS: Service = Service {
    name: "orders",
    tags: "orders-tags.txt",
    recorded: &[
        (
            "v1.3.0",
            "stable",
            "d254b34eac513700b52afdfc363ade2b859e31dece7a0f3a4c6f611a58431c57",
        ),
        (
            "v1.4.0",
            "stable",
            "2b57e9ef69c4bf942d449db63feb8ce31fb5da98a001e4389d76633328142629",
        ),
        (
            "v1.4.1",
            "stable",
            "6da03e4d0e46cba3cd31e755af68caeafac8e137206af8f189080f34b13c7c97",
        ),
        (
            "v1.5.0-rc.1",
            "rc",
            "9a98e84e08ed06597596a37a40a92c6a04ba94d29ebd9dc0ab308c026142911b",
        ),
    ],
    skipped: &[("latest", "its digest is recorded as `v1.4.1`")],
    head: ("v1.4.1", "1.4.1"),
};

const PAYMENTS: Service = Service {
    name: "payments",
    tags: "payments-tags.json",
    recorded: &[
        (
            "2.0.0",
            "stable",
            "0ae6c7f4b30a41dce7c514f9a732ec08b92a8949f5e5fe0ff079747129870bec",
        ),
        (
            "2.0.1",
            "stable",
            "4810446c4f3ece3c335a973ab14be6d9a98ba6fced176fa3eeca8d38ba1cdc13",
        ),
        (
            "2.1.0-beta.1",
            "beta",
            "c3bdc2d37d7c4911c150746f3b64d2eb418c796be731e111ec4504662568a15a",
        ),
    ],
    skipped: &[],
    head: ("2.0.1", "2.0.1"),
};

impl Service {
    /// The digest the version map records for `tag`.
    fn digest(&self, tag: &str) -> String {
        let (_, _, hex) = self.recorded.iter().find(|(t, _, _)| *t == tag).unwrap();
        format!("sha256:{hex}")
    }
}

/// Runs berth at [`EPOCH`] with `args` and `--format json`, asserting it exits 0;
/// its JSON.
fn ok(repo: &Repo, args: &[&str]) -> Value {
    let output = repo
        .berth()
        .env("SOURCE_DATE_EPOCH", EPOCH.to_string())
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        describe(&output)
    );
    stdout_json(&output)
}

/// A release made by the test: its package, `releases/<hash>` and hash.
struct Release {
    package: &'static str,
    object: String,
    hash: String,
}

impl Release {
    /// The object as the human views show it: the store and 12 hex digits.
    fn short(&self) -> String {
        format!("releases/{}", &self.hash[..12])
    }
}

#[test]
fn two_services_go_from_the_catalog_to_production() {
    let repo = Repo::empty();
    let init = ok(&repo, &["init", "--template", "containers", "--commit"]);
    assert_eq!(init["template"], "containers");

    let mut releases = Vec::new();
    for service in [ORDERS, PAYMENTS] {
        let image = format!("registry.example.com/shop/{}", service.name);
        let name = service.name;
        ok(
            &repo,
            &["component", "add", name, "--image", &image, "--commit"],
        );

        let tags = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("examples/containers")
            .join(service.tags);
        let import = ok(
            &repo,
            &[
                "versions",
                "import",
                name,
                tags.to_str().unwrap(),
                "--commit",
            ],
        );
        let recorded: Vec<Value> = import["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                json!({"tag": entry["tag"], "channel": entry["channel"], "digest": entry["digest"]})
            })
            .collect();
        let expected: Vec<Value> = service
            .recorded
            .iter()
            .map(|(tag, channel, hex)| {
                json!({"tag": tag, "channel": channel, "digest": format!("sha256:{hex}")})
            })
            .collect();
        assert_eq!(recorded, expected, "{name}");
        let skipped: Vec<Value> = service
            .skipped
            .iter()
            .map(|(tag, reason)| json!({"tag": tag, "reason": reason}))
            .collect();
        assert_eq!(import["skipped"], json!(skipped), "{name}");

        // A release of the service alone: its component at the head of stable.
        let created = ok(
            &repo,
            &[
                "release",
                "create",
                name,
                "--version",
                "1.0.0",
                "--components",
                name,
                "--commit",
            ],
        );
        let (tag, semver) = service.head;
        assert_eq!(created["release"]["package"], name);
        assert_eq!(created["release"]["version"], "1.0.0");
        assert_eq!(
            created["release"]["components"],
            json!([{
                "name": name,
                "digest": service.digest(tag),
                "tag": tag,
                "semver": semver,
                "role": "primary",
            }])
        );
        let put = &created["put"]["objects"][0];
        let release = Release {
            package: name,
            object: created["object"].as_str().unwrap().to_owned(),
            hash: put["hash"].as_str().unwrap().to_owned(),
        };
        let path = format!("objects/releases/{name}/{}.json", release.hash);
        assert_eq!(put["path"], path.as_str());
        assert!(
            repo.blob_at("HEAD", &path).is_some(),
            "{path} not committed"
        );

        let marked = ok(&repo, &["mark", &release.object, "ready", "--commit"]);
        assert_eq!(marked["lifecycle"]["status"], "ready", "{marked:#}");
        releases.push(release);
    }
    assert!(repo.changed().is_empty(), "{:?}", repo.changed());

    let (orders, payments) = (&releases[0], &releases[1]);
    let steps = [
        (
            "dev",
            [orders.object.clone(), payments.object.clone()],
            "main",
        ),
        (
            "staging",
            ["orders@dev".to_owned(), "payments@dev".to_owned()],
            "dev",
        ),
        (
            "production",
            ["orders@staging".to_owned(), "payments@staging".to_owned()],
            "staging",
        ),
    ];
    for (env, refs, from) in steps {
        let promoted = ok(&repo, &["promote", &refs[0], &refs[1], "--to", env]);
        assert_eq!(promoted["opened"], true, "{env}");
        assert_eq!(promoted["tip"].as_str(), repo.env_tip(env).as_deref());

        // The environment's log: opened, then one promotion per service, each
        // with the commit it came from as its second parent.
        let log = repo.env_log(env);
        assert_eq!(
            log.iter()
                .map(|commit| commit.subject.as_str())
                .collect::<Vec<_>>(),
            [
                format!("promote payments to {env}: {}", payments.short()),
                format!("promote orders to {env}: {}", orders.short()),
                format!("open environment {env}"),
            ]
        );
        for (commit, release) in log.iter().zip([payments, orders]) {
            assert_eq!(commit.trailers["Berth-Action"], "promote");
            assert_eq!(commit.trailers["Berth-Package"], release.package);
            assert_eq!(commit.trailers["Berth-Object"], release.object);
            assert_eq!(commit.trailers["Berth-From"], from);
            let source = repo.commit(&commit.parents[1]);
            if from == "main" {
                assert!(source.files.contains_key(&format!(
                    "objects/releases/{}/{}.json",
                    release.package, release.hash
                )));
            } else {
                assert!(repo.env_log(from).iter().any(|c| c.id == source.id));
                assert_eq!(source.trailers["Berth-Object"], release.object);
            }
        }
        let state: toml::Table = log[0].state.as_deref().unwrap().parse().unwrap();
        for release in [orders, payments] {
            assert_eq!(
                state["packages"][release.package]["object"].as_str(),
                Some(release.object.as_str()),
                "{env}"
            );
        }
    }

    let status = repo.berth().arg("status").output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", describe(&status));
    let mut table = vec![
        "ENVIRONMENT  PACKAGE   OBJECT                 VERSION  STATUS    SINCE                      DRIFT".to_owned(),
    ];
    for env in ["dev", "staging", "production"] {
        for release in [orders, payments] {
            table.push(format!(
                "{env:<11}  {:<8}  {}  1.0.0    deployed  {COMMITTED}  -",
                release.package,
                release.short()
            ));
        }
    }
    assert_eq!(
        String::from_utf8(status.stdout).unwrap(),
        table.join("\n") + "\n"
    );

    let check = ok(&repo, &["check"]);
    assert_eq!(check["ok"], true, "{check:#}");
    assert_eq!(check["findings"], json!([]), "{check:#}");
}

//! Hotfixes that skip the promotion path: `berth promote --skip-path --reason`,
//! allowed only where berth.toml sets `allow_override = true` for the
//! environment. The commit records the reason (`Berth-Override`), `berth check`
//! reports the entry as the warning `env-override`, verified like any other
//! step, and `berth review` shows the skipped path.

use serde_json::json;

use crate::forgery::{Held, check, fails_check, forge};
use crate::support::{Daemon, Put, Repo, codes, refused, trailers};

const PRODUCTION: &str = "refs/heads/env/production";
const REASON: &str = "INC-142: checkout down";

/// A repository (dev -> staging -> production, production `require_ready`)
/// where api 1 went the whole path and api 2, ready, is only on the catalog.
struct Estate {
    repo: Repo,
    one: Put,
    two: Put,
}

fn estate(repo: Repo) -> Estate {
    let one = repo.put_version_set("api", 1);
    repo.ready(&one);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    repo.ok(&["promote", "api@staging", "--to", "production"]);
    let two = repo.put_version_set("api", 2);
    repo.ready(&two);
    Estate { repo, one, two }
}

/// Sets `allow_override = true` for production in berth.toml and commits it.
fn allow_override(repo: &Repo) {
    let text = repo.read("berth.toml");
    let setting = "allow_override = false";
    assert!(text.contains(setting), "{text}");
    repo.write(
        "berth.toml",
        &text.replacen(setting, "allow_override = true", 1),
    );
    repo.git_commit_all("production takes hotfixes");
}

/// `berth promote <object> --to production --skip-path --reason <reason>`.
fn hotfix<'a>(object: &'a str, reason: &'a str) -> Vec<&'a str> {
    skipping(object, "production", reason)
}

/// `berth promote <object> --to <env> --skip-path --reason <reason>`.
fn skipping<'a>(object: &'a str, env: &'a str, reason: &'a str) -> Vec<&'a str> {
    vec![
        "promote",
        object,
        "--to",
        env,
        "--skip-path",
        "--reason",
        reason,
    ]
}

/// A commit's whole message, as git shows it.
fn message(repo: &Repo, id: &str) -> String {
    repo.git_command(&["log", "-1", "--format=%B", id])
}

/// The `env-override` finding at api's entry in `env`: a warning where
/// `check` exits 0.
fn override_warning(env: &str, message: String) -> (String, String, String, String) {
    (
        "env-override".to_owned(),
        format!("refs/heads/env/{env}:state.toml"),
        "/packages/api".to_owned(),
        message,
    )
}

/// What `check` says of api set to `object` by `commit`, which took it from
/// `from` by an override into production.
fn own_override(object: &str, commit: &str, from: &str) -> String {
    format!(
        "api is `{object}`, set by commit {} from `{from}` by an override of the promotion path (production receives only from staging): {REASON}",
        &commit[..12]
    )
}

#[test]
fn a_hotfix_skips_the_path_only_where_berth_toml_allows_it() {
    let Estate { repo, one, two } = estate(Repo::init());
    let before = repo.env_tip("production").unwrap();

    // As today: production takes only what staging held.
    refused(
        &repo,
        &["promote", &two.object, "--to", "production"],
        1,
        "berth::promotion-path",
    );
    // Skipping the path where berth.toml does not allow it: refused, and said how
    // to allow it.
    let report = refused(
        &repo,
        &hotfix(&two.object, REASON),
        1,
        "berth::override-not-allowed",
    );
    assert_eq!(
        report["error"]["message"],
        "production does not allow promotions that skip the promotion path"
    );
    let help = report["error"]["help"].as_str().unwrap();
    assert!(
        help.contains("set `allow_override = true` in [environments.production]"),
        "{help}"
    );
    // --skip-path and --reason go together.
    for args in [
        vec!["promote", &two.object, "--to", "production", "--skip-path"],
        vec![
            "promote",
            &two.object,
            "--to",
            "production",
            "--reason",
            REASON,
        ],
    ] {
        refused(&repo, &args, 2, "berth::usage");
    }
    assert_eq!(repo.env_tip("production").unwrap(), before);

    allow_override(&repo);
    // A reason is one line of text.
    for reason in ["", "  ", "INC-142\ncheckout down", "INC-142\rdown"] {
        let report = refused(&repo, &hotfix(&two.object, reason), 2, "berth::bad-reason");
        let help = report["error"]["help"].as_str().unwrap();
        assert!(help.contains("--reason"), "{help}");
    }
    // The other guards still apply: a draft is not ready.
    let three = repo.put_version_set("api", 3);
    refused(&repo, &hotfix(&three.object, REASON), 1, "berth::not-ready");
    assert_eq!(repo.env_tip("production").unwrap(), before);

    let outcome = repo.ok(&hotfix(&two.object, &format!("  {REASON} ")));
    let tip = repo.env_tip("production").unwrap();
    assert_eq!(
        outcome["promotions"],
        json!([{
            "commit": tip,
            "action": "promote",
            "package": "api",
            "object": two.object,
            "previous": one.object,
            "from": "main",
            "source_commit": two.commit,
            "parents": [before, two.commit],
            "tags": ["env:production", "pkg:api"],
            "override_reason": REASON,
        }])
    );
    let commit = repo.commit(&tip);
    assert_eq!(commit.parents, [before.clone(), two.commit.clone()]);
    assert_eq!(
        commit.trailers,
        trailers(&[
            ("Berth-Action", "promote"),
            ("Berth-Package", "api"),
            ("Berth-Object", &two.object),
            ("Berth-From", "main"),
            ("Berth-Override", REASON),
        ])
    );
    assert_eq!(
        message(&repo, &tip),
        format!(
            "promote api to production: {}\n\n{REASON}\n\nBerth-Action: promote\nBerth-Package: api\nBerth-Object: {}\nBerth-From: main\nBerth-Override: {REASON}\n\n",
            &two.object[..25],
            two.object
        )
    );
    assert_eq!(
        repo.moves(PRODUCTION),
        2,
        "api 1's promotion, then the hotfix"
    );

    // Taking what an environment holds that production does not receive from is
    // skipping the path too.
    let four = repo.put_version_set("api", 4);
    repo.ready(&four);
    repo.ok(&["promote", &four.object, "--to", "dev"]);
    let outcome = repo.ok(&hotfix("api@dev", REASON));
    assert_eq!(outcome["promotions"][0]["from"], "dev");
    assert_eq!(outcome["promotions"][0]["override_reason"], REASON);
    let dev = repo.env_tip("dev").unwrap();
    assert_eq!(
        repo.commit(&repo.env_tip("production").unwrap()).parents[1],
        dev
    );
    // A step the path allows needs no override: none is recorded.
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let outcome = repo.ok(&hotfix("api@staging", REASON));
    assert_eq!(outcome["promotions"], json!([]), "{outcome:#}");
    repo.ok(&["rollback", "api", "--env", "production"]);
    let outcome = repo.ok(&hotfix("api@staging", REASON));
    let promotion = &outcome["promotions"][0];
    assert_eq!(promotion["from"], "staging");
    assert_eq!(promotion.get("override_reason"), None, "{outcome:#}");
    let commit = repo.commit(&repo.env_tip("production").unwrap());
    assert!(!commit.trailers.contains_key("Berth-Override"));
    let (code, findings) = check(&repo, &[]);
    assert_eq!((code, findings), (0, vec![]));
}

#[test]
fn check_reports_a_hotfix_as_a_warning_that_deny_warnings_fails() {
    let Estate { repo, two, .. } = estate(Repo::init());
    allow_override(&repo);
    repo.ok(&hotfix(&two.object, REASON));
    let tip = repo.env_tip("production").unwrap();
    let expected = vec![override_warning(
        "production",
        own_override(&two.object, &tip, "main"),
    )];
    assert_eq!(check(&repo, &[]), (0, expected.clone()));
    let (code, findings) = check(&repo, &["--deny-warnings"]);
    assert_eq!(code, 1);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].0, "env-override");
    // berth.toml may make it an error, or turn it off.
    let cases: [(&str, i32, &[&str]); 2] = [("error", 1, &["env-override"]), ("off", 0, &[])];
    for (level, exit, found) in cases {
        let text = repo.read("berth.toml");
        repo.write(
            "berth.toml",
            &format!("{text}\n[checks]\nenv-override = \"{level}\"\n"),
        );
        repo.git_commit_all(&format!("env-override = {level}"));
        let (code, report) = repo.json(&["check"]);
        assert_eq!(
            (code, codes(&report)),
            (exit, found.iter().map(|c| (*c).to_owned()).collect()),
            "{level}"
        );
        repo.write("berth.toml", &text);
        repo.git_commit_all("[checks] as it was");
    }
    // The hotfix going along the path after it changes nothing in production,
    // which already holds it: the warning stays while the entry is the hotfix.
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    let outcome = repo.ok(&["promote", "api@staging", "--to", "production"]);
    assert_eq!(outcome["unchanged"][0]["object"], two.object.as_str());
    assert_eq!(check(&repo, &[]), (0, expected));
    // The next version along the path replaces it: nothing to report.
    let three = repo.put_version_set("api", 3);
    repo.ready(&three);
    repo.ok(&["promote", &three.object, "--to", "dev"]);
    repo.ok(&["promote", "api@dev", "--to", "staging"]);
    repo.ok(&["promote", "api@staging", "--to", "production"]);
    assert_eq!(check(&repo, &[]), (0, vec![]));
}

#[test]
fn a_hotfix_goes_on_downstream_and_back_by_rollback_with_its_warning() {
    let repo = Repo::init();
    // staging may take hotfixes; production receives from staging as ever.
    let text = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &text.replacen(
            "from = [\"dev\"]",
            "from = [\"dev\"]\nallow_override = true",
            1,
        ),
    );
    repo.git_commit_all("staging takes hotfixes");
    let Estate { repo, two, .. } = estate(repo);
    repo.ok(&skipping(&two.object, "staging", REASON));
    let hotfix = repo.env_tip("staging").unwrap();
    // Onward from staging, along the path production allows: production's entry
    // came through the override, and says so.
    repo.ok(&["promote", "api@staging", "--to", "production"]);
    let staging_warning = override_warning(
        "staging",
        format!(
            "api is `{}`, set by commit {} from `main` by an override of the promotion path (staging receives only from dev): {REASON}",
            two.object,
            &hotfix[..12]
        ),
    );
    let production_warning = override_warning(
        "production",
        format!(
            "api is `{}`, which came to production through staging's commit {}, which took it from `main` by an override of the promotion path: {REASON}",
            two.object,
            &hotfix[..12]
        ),
    );
    assert_eq!(
        check(&repo, &[]),
        (0, vec![production_warning.clone(), staging_warning.clone()])
    );
    let lineage = repo.ok(&["lineage", "api@production"]);
    let steps: Vec<&str> = lineage["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["environment"].as_str().unwrap())
        .collect();
    assert_eq!(steps, ["production", "staging", "main"]);

    // Rolled back to api 1, then forward again to the hotfix: a rollback needs no
    // override, and the path it restores still verifies through it.
    repo.ok(&["rollback", "api", "--env", "production"]);
    assert_eq!(check(&repo, &[]), (0, vec![staging_warning.clone()]));
    repo.ok(&["rollback", "api", "--env", "production"]);
    assert_eq!(
        check(&repo, &[]),
        (0, vec![production_warning, staging_warning])
    );
}

/// A commit made by hand on production, setting api to `put` with `source` as
/// its second parent, whose trailers claim a promotion from the catalog that
/// overrides the path for `reason`. Its id.
fn forge_override(repo: &Repo, source: &str, put: &Put, reason: &str) -> String {
    let message = format!(
        "hotfix api\n\nBerth-Action: promote\nBerth-Package: api\nBerth-Object: {}\nBerth-From: main\nBerth-Override: {reason}\n",
        put.object
    );
    forge(
        repo,
        "production",
        source,
        &[("api", &Held::from(put))],
        &message,
    )
}

#[test]
fn an_override_is_verified_not_believed() {
    let Estate { repo, one, two } = estate(Repo::init());
    let before = repo.env_tip("production").unwrap();
    let skipped = |id: &str| {
        format!(
            "api was promoted by commit {} from `main`, but production receives only from staging",
            &id[..12]
        )
    };

    // Made by hand where berth.toml does not allow overrides: still
    // promotion-path, and the message says the override is not allowed there.
    let forged = forge_override(&repo, &two.commit, &two, REASON);
    fails_check(
        &repo,
        "production",
        "api",
        format!(
            "{}; its Berth-Override trailer does not excuse that, since production does not allow overrides (berth.toml has no `allow_override = true` for it)",
            skipped(&forged)
        ),
    );

    // Where berth.toml allows it, a commit made by hand is judged as berth's
    // own: its second parent holds the object, so it is the warning.
    allow_override(&repo);
    assert_eq!(
        check(&repo, &[]),
        (
            0,
            vec![override_warning(
                "production",
                own_override(&two.object, &forged, "main")
            )]
        )
    );

    // Only the rule of where it may come from is waived: a second parent that
    // does not hold the object breaks the path all the same.
    repo.git_command(&["update-ref", PRODUCTION, &before]);
    let forged = forge_override(&repo, &one.commit, &two, REASON);
    fails_check(
        &repo,
        "production",
        "api",
        format!(
            "api was promoted by commit {} from the catalog, but its second parent {} has no file for `{}` in `objects/version-sets/api/`",
            &forged[..12],
            &one.commit[..12],
            two.object
        ),
    );
    // An override needs its reason.
    repo.git_command(&["update-ref", PRODUCTION, &before]);
    let forged = forge_override(&repo, &two.commit, &two, " ");
    fails_check(
        &repo,
        "production",
        "api",
        format!(
            "{}; its Berth-Override trailer gives no reason",
            skipped(&forged)
        ),
    );
}

#[test]
fn review_shows_the_skipped_path() {
    let Estate { repo, two, .. } = estate(Repo::init());
    allow_override(&repo);
    let before = repo.env_tip("production").unwrap();
    repo.ok(&hotfix(&two.object, REASON));
    let tip = repo.env_tip("production").unwrap();
    let args = [
        "review",
        "--base",
        "main",
        "--env-base",
        &format!("production={before}"),
    ];

    let (code, json) = repo.json(&args);
    assert_eq!(code, 0, "{json:#}");
    assert_eq!(json["verdict"], "has-warnings");
    assert_eq!(codes(&json), ["env-override"]);
    let moves = &json["environments"][0]["moves"];
    assert_eq!(moves.as_array().unwrap().len(), 1, "{json:#}");
    let entry = &moves[0];
    assert_eq!(entry["package"], "api");
    assert_eq!(entry["allowed"], true);
    assert_eq!(
        entry["override"],
        json!({
            "environment": "production",
            "commit": tip,
            "from": "main",
            "reason": REASON,
        })
    );
    let warning = own_override(&two.object, &tip, "main");
    assert_eq!(entry["problems"], json!([warning]));

    let output = repo
        .berth()
        .args(args)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.starts_with("## berth review: ⚠️ has warnings\n"),
        "{text}"
    );
    let short_two = &two.object[..25];
    let short_one = {
        let one = &json["environments"][0]["moves"][0]["from"]["object"];
        one.as_str().unwrap()[..25].to_owned()
    };
    assert!(
        text.contains(&format!(
            "| `production` | `api` | `{short_one}` | `{short_two}` | main → production | ⚠️ override |\n"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "- ⚠️ `api` in `production` skipped the promotion path: commit {} of `production` took it from `main` by an override. Reason: {REASON}\n",
            &tip[..12]
        )),
        "{text}"
    );

    let output = repo.berth().args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let at = lines
        .iter()
        .position(|line| *line == "PROMOTION PATH SKIPPED BY OVERRIDE")
        .unwrap_or_else(|| panic!("{text}"));
    let words = |line: &str| line.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        words(lines[at + 1]),
        "ENVIRONMENT PACKAGE SKIPPED IN COMMIT FROM REASON"
    );
    assert_eq!(
        words(lines[at + 2]),
        format!("production api production {} main {REASON}", &tip[..12])
    );
    assert!(
        lines.iter().any(|line| words(line)
            == format!("production api {short_one} {short_two} main -> production override")),
        "{text}"
    );
}

#[test]
fn a_hotfix_is_pushed_like_any_promotion() {
    let daemon = Daemon::start();
    let a = daemon.seeded();
    let one = a.put_version_set("api", 1);
    a.ready(&one);
    a.git_command(&["push", "-q", "origin", "main"]);

    // Refused where not allowed: nothing pushed, nothing written.
    refused(
        &a,
        &[&hotfix(&one.object, REASON)[..], &["--push"]].concat(),
        1,
        "berth::override-not-allowed",
    );
    assert_eq!(daemon.env_tip("production"), None);

    allow_override(&a);
    a.git_command(&["push", "-q", "origin", "main"]);
    let outcome = a.ok(&[&hotfix(&one.object, REASON)[..], &["--push"]].concat());
    assert_eq!(outcome["pushed_to"], "origin");
    assert_eq!(outcome["promotions"][0]["override_reason"], REASON);
    let tip = a.env_tip("production").unwrap();
    assert_eq!(daemon.env_tip("production").as_deref(), Some(tip.as_str()));
    let commit = a.commit(&tip);
    assert_eq!(commit.parents[1], one.commit);
    assert_eq!(commit.trailers["Berth-Override"], REASON);

    // Another clone reads it from the remote and reports it as the warning.
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    let (code, report) = b.json(&["check"]);
    assert_eq!((code, codes(&report)), (0, vec!["env-override".to_owned()]));
}

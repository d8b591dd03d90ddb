//! Commits berth signs: with the key git would use (a key file, a key held only
//! by an ssh-agent, a `key::` literal, a certificate), accepted by `git
//! verify-commit` and by berth's audit, locally and pushed, the very object
//! `git commit-tree -S` makes; and a key the environment would not accept
//! refused before anything is written.

use std::path::Path;

use serde_json::Value;

use crate::signatures::{
    Agent, check, fingerprint, git_verifies, keygen, public, require_signatures, signed_dev,
};
use crate::support::{Daemon, Repo, refused, run_json, run_ok};

/// Configures git in `repo` to sign with `key` (a path, or `key::...`).
fn sign_with(repo: &Repo, key: &str) {
    repo.git_command(&["config", "gpg.format", "ssh"]);
    repo.git_command(&["config", "user.signingKey", key]);
}

fn path(key: &Path) -> &str {
    key.to_str().unwrap()
}

/// The commit the output names, at `index` of its promotions.
fn promoted(outcome: &Value, index: usize) -> String {
    outcome["promotions"][index]["commit"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `berth verify dev --all`'s exit code and status for each commit, newest
/// first.
fn statuses(repo: &Repo) -> (i32, Vec<String>) {
    let (code, verified) = repo.json(&["verify", "dev", "--all"]);
    let statuses = verified["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| commit["signature"]["status"].as_str().unwrap().to_owned())
        .collect();
    (code, statuses)
}

/// The same commit made by git: `git commit-tree -S` of the commit's tree,
/// parents and message, with the key, at the same time.
fn git_commit_tree_signed(repo: &Repo, commit: &str, key: &str) -> String {
    let object = repo.git_command(&["cat-file", "commit", commit]);
    let (headers, message) = object.split_once("\n\n").unwrap();
    let message_file = repo.write(".git/berth-test-message", message);
    let mut args = vec![
        "-c".to_owned(),
        "gpg.format=ssh".to_owned(),
        "-c".to_owned(),
        format!("user.signingKey={key}"),
        "commit-tree".to_owned(),
        "-S".to_owned(),
    ];
    for line in headers.lines() {
        if let Some(tree) = line.strip_prefix("tree ") {
            args.push(tree.to_owned());
        }
        if let Some(parent) = line.strip_prefix("parent ") {
            args.extend(["-p".to_owned(), parent.to_owned()]);
        }
    }
    args.extend(["-F".to_owned(), path(&message_file).to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let made = repo.git_command(&args).trim().to_owned();
    std::fs::remove_file(message_file).unwrap();
    made
}

/// Files berth leaves in the git directory while it signs.
fn scratch_files(repo: &Repo) -> Vec<String> {
    std::fs::read_dir(repo.path().join(".git"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("berth-sign-"))
        .collect()
}

#[test]
fn a_promotion_is_signed_as_git_commit_s_signs_it() {
    let keys = tempfile::tempdir().unwrap();
    for kind in ["ed25519", "ecdsa", "rsa"] {
        let key = keygen(keys.path(), kind, kind);
        let repo = signed_dev(&format!("alice@example.com {}\n", public(&key)));
        sign_with(&repo, path(&key));
        let two = repo.put_version_set("billing", 2);
        let outcome = repo.ok(&["promote", &two.object, "--to", "dev"]);
        let commit = promoted(&outcome, 0);
        assert_eq!(repo.env_tip("dev"), Some(commit.clone()), "{kind}");
        assert!(git_verifies(&repo, &commit), "{kind}");
        assert_eq!(check(&repo), (0, vec![]), "{kind}");
        let (_, verified) = repo.json(&["verify", "dev"]);
        assert_eq!(
            verified["commits"][0]["signature"],
            serde_json::json!({
                "status": "good",
                "signer": {"principals": ["alice@example.com"], "fingerprint": fingerprint(&key)},
            }),
            "{kind}"
        );
        let by_git = git_commit_tree_signed(&repo, &commit, path(&key));
        if kind != "ecdsa" {
            // Ed25519 and RSA (PKCS #1 v1.5) signatures are deterministic: git
            // makes the very same object.
            assert_eq!(by_git, commit);
        } else {
            // ECDSA's are not; the objects differ only in the signature's lines.
            let ours = repo.git_command(&["cat-file", "commit", &commit]);
            let theirs = repo.git_command(&["cat-file", "commit", &by_git]);
            let unsigned = |object: &str| -> Vec<String> {
                object
                    .lines()
                    .filter(|line| !line.starts_with(' ') && !line.starts_with("gpgsig "))
                    .map(str::to_owned)
                    .collect()
            };
            assert_eq!(unsigned(&ours), unsigned(&theirs));
            assert!(ours.contains("\ngpgsig -----BEGIN SSH SIGNATURE-----\n "));
            assert!(ours.contains("\n -----END SSH SIGNATURE-----\n\n"));
            assert!(git_verifies(&repo, &by_git));
        }
        assert_eq!(scratch_files(&repo), Vec::<String>::new(), "{kind}");
    }
}

#[test]
fn an_environment_opened_rolled_back_and_repaired_gets_only_signed_commits() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "alice", "ed25519");
    let repo = Repo::init();
    require_signatures(&repo, &format!("alice@example.com {}\n", public(&key)));
    sign_with(&repo, path(&key));
    let [one, two] = [1, 2].map(|n| repo.put_version_set("billing", n));
    let opened = repo.ok(&["promote", &one.object, "--to", "dev"]);
    assert_eq!(opened["opened"], true);
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    let rolled = repo.ok(&["rollback", "billing", "--env", "dev"]);
    // A commit made by hand (unsigned) that sets billing back to two, then
    // repaired by berth (signed).
    let tip = repo.env_tip("dev").unwrap();
    let forged = repo
        .git_command(&[
            "commit-tree",
            &format!("{tip}~1^{{tree}}"),
            "-p",
            &tip,
            "-m",
            "by hand",
        ])
        .trim()
        .to_owned();
    repo.git_command(&["update-ref", "refs/heads/env/dev", &forged, &tip]);
    let repaired = repo.ok(&["repair", "dev", "--reason", "INC-7: a commit by hand"]);
    let root = repo
        .git_command(&[
            "rev-list",
            "--first-parent",
            "--max-parents=0",
            "refs/heads/env/dev",
        ])
        .trim()
        .to_owned();
    for commit in [
        repaired["commit"].as_str().unwrap(),
        &promoted(&rolled, 0),
        &promoted(&opened, 0),
        &root,
    ] {
        assert!(git_verifies(&repo, commit), "{commit}");
    }
    assert_eq!(
        statuses(&repo),
        (
            0,
            ["good", "unsigned", "good", "good", "good", "good"]
                .map(str::to_owned)
                .to_vec()
        )
    );
    // The commit made by hand is the repair's, and counts no more.
    let verified = repo.ok(&["verify", "dev", "--all"]);
    let commits = verified["commits"].as_array().unwrap();
    assert_eq!(commits[1]["commit"], forged.as_str());
    assert_eq!(commits[1]["repaired_by"], repaired["commit"]);
    assert_eq!(commits[1]["required"], false);
    assert!(commits[0].get("repaired_by").is_none());
    let text = repo.berth().args(["verify", "dev"]).assert().code(0);
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains(&format!(
            "unsigned (repaired by {})",
            &repaired["commit"].as_str().unwrap()[..12]
        )),
        "{text}"
    );
    let (code, report) = repo.json(&["check"]);
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_key_held_by_an_agent_or_given_literally_signs() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "agent", "ed25519");
    let agent = Agent::start(keys.path(), &key);
    // The private half is only in the agent from here on.
    std::fs::remove_file(&key).unwrap();
    let repo = signed_dev(&format!("agent@example.com {}\n", public(&key)));
    let berth = || {
        let mut command = repo.berth();
        command.env("SSH_AUTH_SOCK", &agent.socket);
        command
    };
    let pub_file = key.with_extension("pub");
    let literal = format!("key::{}", public(&key));
    for (how, configured) in [("file", path(&pub_file)), ("literal", literal.as_str())] {
        sign_with(&repo, configured);
        let next = repo.put_version_set("billing", if how == "file" { 2 } else { 3 });
        let outcome = run_ok(berth(), &["promote", &next.object, "--to", "dev"]);
        let commit = promoted(&outcome, 0);
        assert!(git_verifies(&repo, &commit), "{how}");
        assert_eq!(check(&repo), (0, vec![]), "{how}");
    }
    // Without the agent, signing fails and nothing is written.
    let four = repo.put_version_set("billing", 4);
    let report = refused(
        &repo,
        &["promote", &four.object, "--to", "dev"],
        4,
        "berth::signing-failed",
    );
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("`ssh-keygen -Y sign` failed: "),
        "{report:#}"
    );
    assert_eq!(scratch_files(&repo), Vec::<String>::new());
}

#[test]
fn a_key_the_environment_would_not_accept_is_refused_before_anything_is_written() {
    let keys = tempfile::tempdir().unwrap();
    let alice = keygen(keys.path(), "alice", "ed25519");
    let mallory = keygen(keys.path(), "mallory", "ecdsa");
    // Commits are made at 1700000000 (2023-11-14).
    let cases = [
        (
            "not listed",
            format!("alice@example.com {}\n", public(&alice)),
            &mallory,
            "the key ",
        ),
        (
            "expired",
            format!(
                "alice@example.com valid-before=\"20230101Z\" {}\n",
                public(&alice)
            ),
            &alice,
            "line 1 allows alice@example.com's key until 2023-01-01T00:00:00Z",
        ),
    ];
    for (name, lines, key, reason) in cases {
        let repo = signed_dev(&lines);
        sign_with(&repo, path(key));
        let two = repo.put_version_set("billing", 2);
        let tip = repo.env_tip("dev");
        for args in [
            vec!["promote", two.object.as_str(), "--to", "dev"],
            vec!["rollback", "billing", "--env", "dev"],
            vec!["repair", "dev", "--reason", "INC-8"],
        ] {
            let report = refused(&repo, &args, 1, "berth::key-not-allowed");
            let message = report["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with(&format!(
                    "dev does not accept commits signed by the key {}: ",
                    fingerprint(key)
                )),
                "{name}: {message}"
            );
            assert!(message.contains(reason), "{name}: {message}");
        }
        assert_eq!(repo.env_tip("dev"), tip, "{name}");
    }
}

#[test]
fn a_signed_environment_with_no_signing_key_gets_no_commit() {
    let keys = tempfile::tempdir().unwrap();
    let alice = keygen(keys.path(), "alice", "ed25519");
    let repo = signed_dev(&format!("alice@example.com {}\n", public(&alice)));
    let two = repo.put_version_set("billing", 2);
    let args = ["promote", two.object.as_str(), "--to", "dev"];
    let report = refused(&repo, &args, 4, "berth::cannot-sign");
    assert_eq!(
        report["error"]["message"],
        "berth cannot sign the commit: git has no signing key: user.signingKey is not set"
    );
    sign_with(&repo, path(&keys.path().join("missing")));
    let report = refused(&repo, &args, 4, "berth::cannot-sign");
    assert!(
        report["error"]["message"]
            .as_str()
            .unwrap()
            .contains("missing` cannot be read"),
        "{report:#}"
    );
    // gpg.ssh.defaultKeyCommand gives the key when user.signingKey is unset.
    repo.git_command(&["config", "--unset", "user.signingKey"]);
    let command = repo.write(
        ".git/default-key",
        &format!("#!/bin/sh\necho '{}'\n", public(&alice)),
    );
    std::fs::set_permissions(
        &command,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.git_command(&["config", "gpg.ssh.defaultKeyCommand", path(&command)]);
    let agent = Agent::start(keys.path(), &alice);
    let mut berth = repo.berth();
    berth.env("SSH_AUTH_SOCK", &agent.socket);
    let (code, outcome) = run_json(berth, &args);
    assert_eq!(code, 0, "{outcome:#}");
    assert!(git_verifies(&repo, &promoted(&outcome, 0)));
}

#[test]
fn git_s_commit_gpgsign_signs_every_commit_berth_writes() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "alice", "ed25519");
    let repo = Repo::init();
    sign_with(&repo, path(&key));
    let one = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    let unsigned_tip = repo.env_tip("dev").unwrap();
    let show = |commit: &str| repo.git_command(&["cat-file", "commit", commit]);
    assert!(!show(&unsigned_tip).contains("gpgsig"));
    assert!(!show("main").contains("gpgsig"));

    repo.git_command(&["config", "commit.gpgSign", "true"]);
    let two = repo.put_version_set("billing", 2);
    assert!(show("main").contains("\ngpgsig -----BEGIN SSH SIGNATURE-----\n"));
    let outcome = repo.ok(&["promote", &two.object, "--to", "dev"]);
    let commit = promoted(&outcome, 0);
    assert!(show(&commit).contains("\ngpgsig -----BEGIN SSH SIGNATURE-----\n"));
    let signers = repo.write(
        ".git/allowed",
        &format!("alice@example.com {}\n", public(&key)),
    );
    for signed in [commit.as_str(), "main"] {
        let verified = repo
            .hermetic("git")
            .args(["-c", "gpg.format=ssh", "-c"])
            .arg(format!("gpg.ssh.allowedSignersFile={}", path(&signers)))
            .args(["verify-commit", signed])
            .status()
            .unwrap();
        assert!(verified.success(), "{signed}");
    }
}

/// Certifies `key` for `principal` with the authority `ca`, valid over
/// `validity` (`ssh-keygen -V`); the certificate's path.
fn certify(ca: &Path, key: &Path, principal: &str, validity: &str) -> std::path::PathBuf {
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-s"])
        .arg(ca)
        .args(["-I", principal, "-n", principal, "-V", validity])
        .arg(key.with_extension("pub"))
        .status()
        .unwrap();
    assert!(status.success());
    let name = format!("{}-cert.pub", key.file_name().unwrap().to_str().unwrap());
    key.with_file_name(name)
}

#[test]
fn a_certificate_of_a_trusted_authority_signs_and_verifies_as_in_git() {
    let keys = tempfile::tempdir().unwrap();
    let ca = keygen(keys.path(), "ca", "ed25519");
    let alice = keygen(keys.path(), "alice", "ed25519");
    let bob = keygen(keys.path(), "bob", "ecdsa");
    let carol = keygen(keys.path(), "carol", "ed25519");
    // Commits are made at 1700000000 (2023-11-14).
    let alice_cert = certify(&ca, &alice, "alice@example.com", "20230101:20300101");
    let bob_cert = certify(&ca, &bob, "bob@elsewhere.org", "20230101:20300101");
    let carol_cert = certify(&ca, &carol, "carol@example.com", "20200101:20210101");
    let repo = signed_dev(&format!(
        "*@example.com cert-authority,namespaces=\"git\" {}\n",
        public(&ca)
    ));
    sign_with(&repo, path(&alice_cert));
    let two = repo.put_version_set("billing", 2);
    let outcome = repo.ok(&["promote", &two.object, "--to", "dev"]);
    let commit = promoted(&outcome, 0);
    assert!(git_verifies(&repo, &commit));
    assert_eq!(check(&repo), (0, vec![]));
    let (_, verified) = repo.json(&["verify", "dev"]);
    assert_eq!(
        verified["commits"][0]["signature"],
        serde_json::json!({
            "status": "good",
            "signer": {"principals": ["alice@example.com"], "fingerprint": fingerprint(&alice)},
        })
    );

    // A principal the line does not cover, and a certificate expired at the
    // commit's time: refused before writing, and not allowed when git signs.
    let three = repo.put_version_set("billing", 3);
    for (name, certificate, reason) in [
        (
            "principal",
            &bob_cert,
            "for none of the certificate's principals (bob@elsewhere.org)",
        ),
        (
            "expired",
            &carol_cert,
            "the certificate is not valid at 2023-11-14T22:13:20Z",
        ),
    ] {
        sign_with(&repo, path(certificate));
        let report = refused(
            &repo,
            &["promote", &three.object, "--to", "dev"],
            1,
            "berth::key-not-allowed",
        );
        let message = report["error"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{name}: {message}");
        let tip = repo.env_tip("dev").unwrap();
        let by_git = git_commit_tree_signed(&repo, &tip, path(certificate));
        repo.git_command(&["update-ref", "refs/heads/env/dev", &by_git, &tip]);
        assert!(!git_verifies(&repo, &by_git), "{name}");
        assert_eq!(
            check(&repo),
            (1, vec!["signer-not-allowed".to_owned()]),
            "{name}"
        );
        repo.git_command(&["update-ref", "refs/heads/env/dev", &tip, &by_git]);
    }
}

#[test]
fn a_signed_promotion_pushed_verifies_in_a_fresh_clone() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "alice", "ed25519");
    let daemon = Daemon::start();
    let a = daemon.seeded();
    require_signatures(&a, &format!("alice@example.com {}\n", public(&key)));
    let one = a.put_version_set("billing", 1);
    a.git_command(&["push", "-q", "origin", "main"]);
    sign_with(&a, path(&key));
    let outcome = a.ok(&["promote", &one.object, "--to", "dev", "--push"]);
    assert_eq!(outcome["pushed_to"], "origin");
    let tip = daemon.env_tip("dev").unwrap();
    assert_eq!(promoted(&outcome, 0), tip);
    let b = daemon.clone_repo();
    b.ok(&["fetch"]);
    assert!(git_verifies(&b, &tip));
    assert_eq!(check(&b), (0, vec![]));
}

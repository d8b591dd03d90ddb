//! Signed environments: commits signed by git with SSH keys made by ssh-keygen,
//! verified by berth's audit in process and, for every case, by
//! `git verify-commit` with the same allowed-signers file: the two agree.

use std::path::{Path, PathBuf};

use crate::support::Repo;

/// Makes a key pair with ssh-keygen in `dir`; the private key's path. `kind`
/// is a key type, or `ecdsa-384` and `ecdsa-521` for those curves.
pub(crate) fn keygen(dir: &Path, name: &str, kind: &str) -> PathBuf {
    let path = dir.join(name);
    let (kind, bits) = kind.split_once('-').unwrap_or((kind, "0"));
    let bits = if bits == "0" {
        Vec::new()
    } else {
        vec!["-b", bits]
    };
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", kind])
        .args(bits)
        .args(["-N", "", "-C", name, "-f"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    path
}

pub(crate) fn public(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .unwrap()
        .trim()
        .to_owned()
}

/// A repository whose dev environment holds billing, promoted by berth, and
/// requires commits signed by a key of `signers/dev` (whose lines are `lines`).
pub(crate) fn signed_dev(lines: &str) -> Repo {
    let repo = Repo::init();
    let one = repo.put_version_set("billing", 1);
    repo.ok(&["promote", &one.object, "--to", "dev"]);
    require_signatures(&repo, lines);
    repo
}

/// Makes `repo`'s dev require commits signed by a key of `signers/dev`, whose
/// lines are `lines`, and commits that.
pub(crate) fn require_signatures(repo: &Repo, lines: &str) {
    let settings = repo.read("berth.toml").replace(
        "[environments.dev]\n",
        "[environments.dev]\nrequire_signed = true\nallowed_signers = \"signers/dev\"\n",
    );
    repo.write("berth.toml", &settings);
    repo.write("signers/dev", lines);
    repo.git_commit_all("dev accepts only signed commits");
}

/// Makes dev's tip again, the same commit signed by git with `key`.
fn sign_tip(repo: &Repo, key: &Path) -> String {
    let tip = repo.env_tip("dev").unwrap();
    let parents = repo.git_command(&["log", "-1", "--format=%P", &tip]);
    let message = repo.git_command(&["log", "-1", "--format=%B", &tip]);
    let tree = format!("{tip}^{{tree}}");
    let key = key.to_str().unwrap().to_owned();
    let mut args: Vec<String> = [
        "-c",
        "gpg.format=ssh",
        "-c",
        &format!("user.signingkey={key}"),
        "commit-tree",
        "-S",
        &tree,
        "-m",
        message.trim_end(),
    ]
    .map(str::to_owned)
    .to_vec();
    for parent in parents.split_whitespace() {
        args.extend(["-p".to_owned(), parent.to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let signed = repo.git_command(&args).trim().to_owned();
    repo.git_command(&["update-ref", "refs/heads/env/dev", &signed, &tip]);
    signed
}

/// Writes `text` as a commit object and moves dev to it.
fn replace_tip(repo: &Repo, text: &str) -> String {
    let path = repo.write(".git/commit-object", text);
    let id = repo
        .git_command(&["hash-object", "-t", "commit", "-w", path.to_str().unwrap()])
        .trim()
        .to_owned();
    let tip = repo.env_tip("dev").unwrap();
    repo.git_command(&["update-ref", "refs/heads/env/dev", &id, &tip]);
    id
}

/// Whether `git verify-commit` accepts the commit, with dev's allowed signers.
pub(crate) fn git_verifies(repo: &Repo, commit: &str) -> bool {
    let signers = repo.path().join("signers/dev");
    repo.hermetic("git")
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!("gpg.ssh.allowedSignersFile={}", signers.display()))
        .args(["verify-commit", commit])
        .output()
        .unwrap()
        .status
        .success()
}

/// `berth check`'s exit code and the codes of its findings.
pub(crate) fn check(repo: &Repo) -> (i32, Vec<String>) {
    let (code, report) = repo.json(&["check"]);
    let codes = report["findings"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|finding| finding["code"].as_str().unwrap().to_owned())
        .collect();
    (code, codes)
}

#[test]
fn commits_signed_by_allowed_keys_pass_as_git_verify_commit_says() {
    let keys = tempfile::tempdir().unwrap();
    for kind in ["ed25519", "ecdsa", "ecdsa-384", "ecdsa-521", "rsa"] {
        let key = keygen(keys.path(), kind, kind);
        let repo = signed_dev(&format!(
            "# the team\nalice@example.com namespaces=\"git\" {}\n",
            public(&key)
        ));
        assert_eq!(
            check(&repo),
            (1, vec!["unsigned-promotion".to_owned()]),
            "{kind}"
        );
        let signed = sign_tip(&repo, &key);
        assert!(git_verifies(&repo, &signed), "{kind}");
        assert_eq!(check(&repo), (0, vec![]), "{kind}");
    }
}

#[test]
fn a_commit_changed_after_signing_or_with_a_copied_signature_is_a_bad_signature() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "alice", "ed25519");
    let repo = signed_dev(&format!("alice@example.com {}\n", public(&key)));
    let signed = sign_tip(&repo, &key);
    let object = repo.git_command(&["cat-file", "commit", &signed]);
    let altered = object.replace("promote billing", "promote BILLING");
    assert_ne!(altered, object);
    let altered = replace_tip(&repo, &altered);
    assert!(!git_verifies(&repo, &altered));
    assert_eq!(check(&repo), (1, vec!["bad-signature".to_owned()]));

    // The signature of the signed commit, on a commit of another state.
    repo.git_command(&["update-ref", "refs/heads/env/dev", &signed, &altered]);
    let two = repo.put_version_set("billing", 2);
    let settings = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &settings.replace("require_signed = true\n", ""),
    );
    repo.git_commit_all("dev takes unsigned commits for a while");
    repo.ok(&["promote", &two.object, "--to", "dev"]);
    repo.write("berth.toml", &settings);
    repo.git_commit_all("dev requires signed commits again");
    let unsigned = repo.env_tip("dev").unwrap();
    let object = repo.git_command(&["cat-file", "commit", &unsigned]);
    let signed_object = repo.git_command(&["cat-file", "commit", &signed]);
    let signature: String = signed_object
        .lines()
        .skip_while(|line| !line.starts_with("gpgsig "))
        .take_while(|line| line.starts_with("gpgsig ") || line.starts_with(' '))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(signature.contains("BEGIN SSH SIGNATURE"));
    let (headers, body) = object.split_once("\n\n").unwrap();
    let copied = replace_tip(&repo, &format!("{headers}\n{signature}\n{body}"));
    assert!(!git_verifies(&repo, &copied));
    assert_eq!(check(&repo), (1, vec!["bad-signature".to_owned()]));
}

#[test]
fn a_key_not_listed_or_used_outside_its_validity_is_not_allowed() {
    let keys = tempfile::tempdir().unwrap();
    let alice = keygen(keys.path(), "alice", "ed25519");
    let mallory = keygen(keys.path(), "mallory", "ed25519");
    // Commits are made at 1700000000 (2023-11-14).
    let cases = [
        (
            "not listed",
            format!("alice@example.com {}\n", public(&alice)),
            &mallory,
        ),
        (
            "expired",
            format!(
                "alice@example.com valid-before=\"20230101Z\" {}\n",
                public(&alice)
            ),
            &alice,
        ),
        (
            "not yet valid",
            format!(
                "alice@example.com valid-after=\"20240101Z\" {}\n",
                public(&alice)
            ),
            &alice,
        ),
        (
            "another namespace",
            format!("alice@example.com namespaces=\"file\" {}\n", public(&alice)),
            &alice,
        ),
    ];
    for (name, lines, key) in cases {
        let repo = signed_dev(&lines);
        let signed = sign_tip(&repo, key);
        assert!(!git_verifies(&repo, &signed), "{name}");
        assert_eq!(
            check(&repo),
            (1, vec!["signer-not-allowed".to_owned()]),
            "{name}"
        );
    }
    // Rotated: the old key valid until 2024, the new one from then.
    let repo = signed_dev(&format!(
        "alice@example.com valid-before=\"20240101Z\" {}\nalice@example.com valid-after=\"20240101Z\" {}\n",
        public(&alice),
        public(&mallory)
    ));
    let signed = sign_tip(&repo, &alice);
    assert!(git_verifies(&repo, &signed));
    assert_eq!(check(&repo), (0, vec![]));
}

#[test]
fn a_signed_environment_needs_a_readable_allowed_signers_file() {
    let repo = Repo::init();
    let settings = repo.read("berth.toml").replace(
        "[environments.dev]\n",
        "[environments.dev]\nrequire_signed = true\n",
    );
    repo.write("berth.toml", &settings);
    repo.git_commit_all("dev requires signatures");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1, "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "schema", "{report:#}");
    assert_eq!(finding["file"], "berth.toml");
    assert_eq!(finding["pointer"], "/environments/dev/require_signed");

    repo.write(
        "berth.toml",
        &settings.replace(
            "require_signed = true\n",
            "require_signed = true\nallowed_signers = \"signers/dev\"\n",
        ),
    );
    repo.git_commit_all("names a file it lacks");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["findings"][0]["code"], "schema", "{report:#}");
    assert_eq!(
        report["findings"][0]["pointer"],
        "/environments/dev/allowed_signers"
    );

    // A path that leaves the repository is refused as the schema paths are.
    repo.write(
        "berth.toml",
        &settings.replace(
            "require_signed = true\n",
            "require_signed = true\nallowed_signers = \"../signers/dev\"\n",
        ),
    );
    repo.git_commit_all("names a file outside");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["findings"][0]["code"], "schema", "{report:#}");
    assert_eq!(
        report["findings"][0]["message"],
        "allowed-signers path `../signers/dev` leaves the repository or has empty segments"
    );
    repo.write(
        "berth.toml",
        &settings.replace(
            "require_signed = true\n",
            "require_signed = true\nallowed_signers = \"signers/dev\"\n",
        ),
    );

    repo.write(
        "signers/dev",
        "# the team\nalice@example.com frobnicate ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti\n",
    );
    repo.git_commit_all("a malformed line");
    let (code, report) = repo.json(&["validate"]);
    assert_eq!(code, 1, "{report:#}");
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "schema", "{report:#}");
    assert_eq!(finding["file"], "signers/dev");
    assert_eq!(finding["line"], 2, "{report:#}");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("unknown option `frobnicate`"),
        "{report:#}"
    );
}

/// The key's SHA-256 fingerprint as ssh-keygen prints it.
pub(crate) fn fingerprint(key: &Path) -> String {
    let output = std::process::Command::new("ssh-keygen")
        .arg("-lf")
        .arg(key.with_extension("pub"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    text.split_whitespace().nth(1).unwrap().to_owned()
}

/// `berth review` of dev's moves since `base`.
fn review_since(repo: &Repo, base: &str) -> (i32, serde_json::Value) {
    repo.json(&[
        "review",
        "--base",
        "main",
        "--env-base",
        &format!("dev={base}"),
    ])
}

#[test]
fn verify_history_lineage_and_review_name_who_signed() {
    let keys = tempfile::tempdir().unwrap();
    let alice = keygen(keys.path(), "alice", "ed25519");
    let repo = signed_dev(&format!("alice@example.com {}\n", public(&alice)));
    let opened = repo.git_command(&["rev-parse", "refs/heads/env/dev^1"]);
    let opened = opened.trim();
    let signed = sign_tip(&repo, &alice);
    let signer = serde_json::json!({
        "principals": ["alice@example.com"],
        "fingerprint": fingerprint(&alice),
    });

    let verified = repo.ok(&["verify", "dev"]);
    assert_eq!(verified["environment"], "dev");
    assert_eq!(verified["require_signed"], true);
    assert_eq!(verified["allowed_signers"], "signers/dev");
    assert_eq!(verified["failed"], 0);
    let commits = verified["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2, "{verified:#}");
    assert_eq!(commits[0]["commit"], signed.as_str());
    assert_eq!(commits[0]["action"], "promote");
    assert_eq!(commits[0]["package"], "billing");
    assert_eq!(commits[0]["required"], true);
    assert_eq!(
        commits[0]["signature"],
        serde_json::json!({"status": "good", "signer": signer})
    );
    assert_eq!(commits[1]["commit"], opened);
    assert_eq!(commits[1]["action"], "open");
    assert_eq!(commits[1]["required"], false);
    assert_eq!(commits[1]["signature"]["status"], "unsigned");
    let since = repo.ok(&["verify", "dev", "--since", opened]);
    assert_eq!(since["commits"].as_array().unwrap().len(), 1);

    let text = repo.berth().args(["verify", "dev"]).assert().code(0);
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains(&format!(
            "good: alice@example.com ({})",
            fingerprint(&alice)
        )),
        "{text}"
    );

    let history = repo.ok(&["history", "billing@dev"]);
    assert_eq!(history["entries"][0]["signer"], signer);
    let text = repo
        .berth()
        .args(["history", "billing@dev"])
        .assert()
        .code(0);
    let text = String::from_utf8(text.get_output().stdout.clone()).unwrap();
    assert!(
        text.ends_with(&format!(
            "{} signed by alice@example.com ({})\n",
            &signed[..12],
            fingerprint(&alice)
        )),
        "{text}"
    );
    let lineage = repo.ok(&["lineage", "billing@dev"]);
    assert_eq!(lineage["steps"][0]["signer"], signer);
    assert!(lineage["steps"][1].get("signer").is_none());

    let (code, review) = review_since(&repo, opened);
    assert_eq!(code, 0, "{review:#}");
    let entry = &review["environments"][0]["moves"][0];
    assert_eq!(entry["allowed"], true, "{review:#}");
    assert_eq!(entry["path"][0]["signer"], signer);

    // Signed by a key the file does not list: refused by verify and review.
    let mallory = keygen(keys.path(), "mallory", "ed25519");
    let forged = sign_tip(&repo, &mallory);
    let (code, verified) = repo.json(&["verify", "dev"]);
    assert_eq!(code, 1, "{verified:#}");
    assert_eq!(verified["failed"], 1);
    assert_eq!(verified["commits"][0]["commit"], forged.as_str());
    assert_eq!(verified["commits"][0]["signature"]["status"], "not-allowed");
    assert_eq!(
        verified["commits"][0]["signature"]["fingerprint"],
        fingerprint(&mallory)
    );
    let (code, review) = review_since(&repo, opened);
    assert_eq!(code, 1, "{review:#}");
    let entry = &review["environments"][0]["moves"][0];
    assert_eq!(entry["allowed"], false, "{review:#}");
    assert!(entry["path"][0].get("signer").is_none());
    let codes: Vec<&str> = review["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| finding["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["signer-not-allowed"], "{review:#}");
}

/// An ssh-agent of the test's own, on a socket in `dir`, holding `key`; killed
/// when dropped.
pub(crate) struct Agent {
    pub socket: PathBuf,
    pid: String,
}

impl Agent {
    pub fn start(dir: &Path, key: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let started = std::process::Command::new("ssh-agent")
            .arg("-a")
            .arg(&socket)
            .output()
            .unwrap();
        assert!(started.status.success(), "{started:?}");
        let text = String::from_utf8(started.stdout).unwrap();
        let pid = text
            .split("SSH_AGENT_PID=")
            .nth(1)
            .and_then(|rest| rest.split(';').next())
            .unwrap()
            .to_owned();
        let agent = Agent { socket, pid };
        let added = std::process::Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .output()
            .unwrap();
        assert!(added.status.success(), "{added:?}");
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").arg(&self.pid).status();
    }
}

#[test]
fn a_key_held_only_by_an_agent_signs_as_the_file_would() {
    let keys = tempfile::tempdir().unwrap();
    let key = keygen(keys.path(), "agent", "ed25519");
    let agent = Agent::start(keys.path(), &key);
    // The private half is only in the agent from here on.
    std::fs::remove_file(&key).unwrap();
    let repo = signed_dev(&format!("agent@example.com {}\n", public(&key)));
    let tip = repo.env_tip("dev").unwrap();
    let parents = repo.git_command(&["log", "-1", "--format=%P", &tip]);
    let message = repo.git_command(&["log", "-1", "--format=%B", &tip]);
    let mut git = repo.hermetic("git");
    git.env("SSH_AUTH_SOCK", &agent.socket)
        .args(["-c", "gpg.format=ssh", "-c"])
        .arg(format!(
            "user.signingkey={}",
            key.with_extension("pub").display()
        ))
        .args([
            "commit-tree",
            "-S",
            &format!("{tip}^{{tree}}"),
            "-m",
            message.trim_end(),
        ]);
    for parent in parents.split_whitespace() {
        git.args(["-p", parent]);
    }
    let output = git.output().unwrap();
    drop(agent);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    repo.git_command(&["update-ref", "refs/heads/env/dev", &signed, &tip]);
    assert!(git_verifies(&repo, &signed));
    assert_eq!(check(&repo), (0, vec![]));
    let verified = repo.ok(&["verify", "dev"]);
    assert_eq!(
        verified["commits"][0]["signature"]["signer"]["principals"],
        serde_json::json!(["agent@example.com"])
    );
}

#[test]
fn a_merged_pull_request_is_judged_by_the_signature_of_the_commit_it_brought() {
    let keys = tempfile::tempdir().unwrap();
    let alice = keygen(keys.path(), "alice", "ed25519");
    let mallory = keygen(keys.path(), "mallory", "ed25519");
    let repo = signed_dev(&format!("alice@example.com {}\n", public(&alice)));
    let opened = repo.git_command(&["rev-parse", "refs/heads/env/dev^1"]);
    let opened = opened.trim();
    for (key, expected) in [
        (&mallory, (1, vec!["signer-not-allowed".to_owned()])),
        (&alice, (0, vec![])),
    ] {
        // The pull request's commit, signed by its author; merged by the
        // hosting service with an unsigned merge commit.
        let brought = sign_tip(&repo, key);
        let tree = format!("{brought}^{{tree}}");
        let merge = repo
            .git_command(&[
                "commit-tree",
                &tree,
                "-p",
                opened,
                "-p",
                &brought,
                "-m",
                "Merge pull request #7 from promote-billing",
            ])
            .trim()
            .to_owned();
        repo.git_command(&["update-ref", "refs/heads/env/dev", &merge, &brought]);
        assert_eq!(check(&repo), expected);
        let (_, verified) = repo.json(&["verify", "dev"]);
        assert_eq!(verified["commits"][0]["commit"], brought.as_str());
        assert_eq!(verified["commits"][0]["merged_by"], merge.as_str());
        repo.git_command(&["update-ref", "refs/heads/env/dev", &brought, &merge]);
    }
}

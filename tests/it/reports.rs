//! Rendered reports, snapshotted: what people read when something is wrong.

use crate::support::{Repo, version_set};

/// Timings vary from run to run; everything else in a report is stable.
fn stable(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text).into_owned();
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let summary = line.starts_with("ok: ") || line.starts_with("failed: ");
        if let Some(start) = line.rfind(" (").filter(|_| summary) {
            out.push_str(&line[..start]);
            out.push_str(" (TIME)\n");
        } else if line.trim_start().starts_with("\"elapsed_ms\"") {
            out.push_str("    \"elapsed_ms\": 0\n");
        } else {
            out.push_str(line);
        }
    }
    out
}

fn many_problems() -> Repo {
    let repo = Repo::fixture("invalid/parse/json-syntax");
    for fixture in [
        "invalid/schema/impossible-date",
        "invalid/schema/unknown-key",
        "invalid/hash-mismatch/edited",
        "invalid/bad-path/not-a-hash",
        "invalid/dangling-ref/undeclared-store",
    ] {
        repo.overlay(fixture);
    }
    repo
}

#[test]
fn validate_human_report() {
    let repo = many_problems();
    let output = repo.berth().arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stable(&output.stdout));
}

#[test]
fn validate_json_report() {
    let repo = many_problems();
    let output = repo
        .berth()
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stable(&output.stdout));
}

#[test]
fn settings_report() {
    let repo = Repo::init();
    repo.write(
        "berth.toml",
        "[repo]\ncatalog = \"main\"\ncolour = \"blue\"\n\n[environments.staging]\nfrom = [\"dev\"]\n\n[checks]\nhash-mismatch = \"off\"\n",
    );
    let output = repo.berth().arg("validate").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stable(&output.stdout));
}

#[test]
fn put_refusal_report() {
    let repo = Repo::init();
    let mut data = version_set("billing", 1);
    data["package"] = serde_json::json!("../etc");
    data["created_at"] = serde_json::json!("2025-05-01 noon");
    data["builds"]["worker"]["size_bytes"] = serde_json::json!(-4);
    repo.write_json("escape.json", &data);
    repo.write(
        "dup.json",
        "{\n  \"package\": \"billing\",\n  \"package\": \"search\"\n}\n",
    );
    let output = repo
        .berth()
        .args(["put", "version-sets", "escape.json", "dup.json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    insta::assert_snapshot!(stable(&output.stderr));
}

//! Every fixture under `fixtures/valid` passes, and every one under
//! `fixtures/invalid/<code>/<case>` produces exactly `<code>`.
//!
//! A case is a repository's files. Findings that need history (an object edited
//! after it was committed, an environment commit made by hand) come from a case's
//! `setup.sh`, run with git and berth in the copied repository, and the berth
//! arguments in its `args` (`validate` if there is none).

use std::collections::BTreeSet;

use crate::support::{Repo, fixtures_dir};

fn cases(dir: &str) -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(fixtures_dir().join(dir))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    found
}

fn validate(fixture: &str) -> (i32, serde_json::Value) {
    let (repo, args) = Repo::scripted(fixture);
    let args = args.unwrap_or_else(|| vec!["validate".to_owned()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    repo.json(&args)
}

#[test]
fn valid_fixtures_pass() {
    let valid = cases("valid");
    assert!(valid.len() >= 3);
    for case in valid {
        let (code, report) = validate(&format!("valid/{case}"));
        assert_eq!(code, 0, "valid/{case}: {report:#}");
        assert_eq!(report["summary"]["errors"], 0, "valid/{case}");
    }
}

#[test]
fn invalid_fixtures_produce_exactly_their_code() {
    for code in cases("invalid") {
        for case in cases(&format!("invalid/{code}")) {
            let fixture = format!("invalid/{code}/{case}");
            let (exit, report) = validate(&fixture);
            assert_eq!(exit, 1, "{fixture}: {report:#}");
            let found: BTreeSet<&str> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["code"].as_str().unwrap())
                .collect();
            assert_eq!(
                found,
                BTreeSet::from([code.as_str()]),
                "{fixture}: {report:#}"
            );
            for finding in report["findings"].as_array().unwrap() {
                assert!(!finding["help"].as_str().unwrap().is_empty(), "{fixture}");
                assert!(!finding["file"].as_str().unwrap().is_empty(), "{fixture}");
            }
        }
    }
}

#[test]
fn every_finding_code_has_a_fixture() {
    let covered: BTreeSet<String> = cases("invalid").into_iter().collect();
    for code in berth::diagnostic::code::Code::ALL {
        assert!(covered.contains(code.name()), "no fixtures/invalid/{code}/");
    }
}

/// The warning-only fixture passes, but reports its findings as warnings.
#[test]
fn lowered_severities_are_warnings() {
    let (code, report) = validate("valid/warning-only");
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["warnings"], 3);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "warning")
    );
}

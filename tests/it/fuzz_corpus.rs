//! The fuzz targets' corpora and crash regressions, replayed on stable.
//!
//! Each fuzz target (`fuzz/fuzz_targets/`, run with `cargo +nightly fuzz run`) is a
//! thin shell over one check in `fuzz/checks.rs`; this module compiles the same
//! file, so every input in `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`
//! goes through exactly what the fuzzer ran, without nightly or libFuzzer.
//!
//! A regression is added when its bug is fixed, with the fix: from then on the
//! replay keeps it fixed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

#[path = "../../fuzz/checks.rs"]
mod checks;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted (none if it does not exist).
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(dir) = fs::read_dir(fuzz_dir().join(kind).join(target)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = dir
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Why a check panics on an input, if it does.
/// Checks run on a thread with a main thread's stack, as the fuzzer and the berth
/// binary do, not a test thread's smaller one.
fn fails(check: checks::Check, path: &Path) -> Option<String> {
    let bytes = fs::read(path).unwrap();
    let outcome = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(move || std::panic::catch_unwind(|| check(&bytes)))
        .unwrap()
        .join()
        .unwrap();
    outcome.err().map(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default()
    })
}

fn check_of(target: &str) -> checks::Check {
    checks::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .unwrap_or_else(|| panic!("no fuzz target `{target}`"))
        .1
}

/// Replays a target's corpus and its fixed regressions, reporting every input that
/// fails rather than the first.
fn replay(target: &str) {
    let check = check_of(target);
    let corpus = inputs("corpus", target);
    assert!(!corpus.is_empty(), "fuzz/corpus/{target}/ is empty");
    let failures: Vec<String> = corpus
        .into_iter()
        .chain(inputs("regressions", target))
        .filter_map(|path| {
            fails(check, &path).map(|message| format!("{}: {message}", path.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} input(s) of fuzz target `{target}` fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn document_corpus_and_regressions_replay() {
    replay("document");
}

#[test]
fn canonical_corpus_and_regressions_replay() {
    replay("canonical");
}

#[test]
fn settings_corpus_and_regressions_replay() {
    replay("settings");
}

#[test]
fn state_corpus_and_regressions_replay() {
    replay("state");
}

#[test]
fn trailers_corpus_and_regressions_replay() {
    replay("trailers");
}

#[test]
fn versions_corpus_and_regressions_replay() {
    replay("versions");
}

#[test]
fn oci_corpus_and_regressions_replay() {
    replay("oci");
}

#[test]
fn set_value_corpus_and_regressions_replay() {
    replay("set-value");
}

#[test]
fn time_corpus_and_regressions_replay() {
    replay("time");
}

#[test]
fn signers_corpus_and_regressions_replay() {
    replay("signers");
}

/// Every target has a corpus and a fuzz binary, and nothing else is in `fuzz/corpus/`.
#[test]
fn every_fuzz_target_is_replayed() {
    let targets: BTreeSet<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
    let corpora: BTreeSet<String> = fs::read_dir(fuzz_dir().join("corpus"))
        .unwrap()
        .map(|entry| file_name(&entry.unwrap().path()))
        .collect();
    assert_eq!(
        corpora.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        targets
    );
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for target in targets {
        assert!(
            manifest.contains(&format!("name = \"{target}\"")),
            "fuzz/Cargo.toml has no binary for `{target}`"
        );
    }
}

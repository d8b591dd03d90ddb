//! What each fuzz target checks, shared by the fuzz targets (`fuzz/fuzz_targets/`)
//! and by the stable replay of their corpora (`tests/it/fuzz_corpus.rs`).
//!
//! Every check takes arbitrary bytes, feeds them to one of berth's parsers through its
//! public API, and panics when a property that should hold does not: a panic here is
//! a finding, whether it comes from berth itself or from an assertion below. Besides
//! "never panics", each check asserts what its parser promises: round trips,
//! agreement with an independent implementation, and that every span handed to a
//! diagnostic lies on character boundaries of the text it comes with (a span cut
//! inside a character panics the human renderer).
//!
//! Findings are rendered the way every output format renders them (miette's
//! graphical report as the CLI's human format draws it, JSON, GitHub workflow
//! commands, SARIF and JUnit), because that is where a bad span or an odd
//! character turns into a crash.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Range;
use std::sync::OnceLock;

use berth::canonical::{self, ObjectHash};
use berth::check::{self, Validation};
use berth::diagnostic::finding::Finding;
use berth::document::{self, Format, MAX_SAFE_INTEGER, ProblemKind};
use berth::kinds::Kinds;
use berth::settings::{self, Settings};
use berth::source::{Content, Entry, EntryKind, Source, SourceError};
use berth::store::ObjectPath;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Value, json};

/// A target's check: panics when berth breaks a property on the input.
pub type Check = fn(&[u8]);

/// The fuzz targets, by name: each name is a directory under `fuzz/corpus/` and
/// `fuzz/regressions/`, and a binary under `fuzz/fuzz_targets/`.
pub const TARGETS: &[(&str, Check)] = &[
    ("document", document),
    ("canonical", canonical),
    ("settings", settings),
    ("state", state),
    ("trailers", trailers),
    ("versions", versions),
    ("set-value", set_value),
    ("time", time),
    ("signers", signers),
    ("oci", oci),
];

// ---------------------------------------------------------------------------
// document: the strict JSON and TOML reader, canonical hashing, and the
// validator's checks of one object file.

/// The stores the `document` target checks objects against, chosen by the control
/// byte: the built-in kinds and one user-defined kind with a JSON Schema.
const DOCUMENT_STORES: &[&str] = &[
    "version-sets",
    "releases",
    "configs",
    "events",
    "env-manifests",
];

/// The first byte chooses how the rest is read: bit 0 the format (JSON, TOML),
/// bits 1-3 the store the validator checks it as, bit 7 whether references resolve.
///
/// Properties: `parse` and `parse_text` agree; an accepted document hashes without
/// panicking, its canonical bytes read back to the same hash and are a fixed
/// point; `locate` finds every value of it on character boundaries (in JSON, the
/// text it finds is that value); a refused one has a span on character boundaries;
/// the validator's findings for it, in every output format, do not panic.
pub fn document(data: &[u8]) {
    let Some((&control, bytes)) = data.split_first() else {
        return;
    };
    let format = if control & 1 == 0 {
        Format::Json
    } else {
        Format::Toml
    };
    let text = std::str::from_utf8(bytes).ok();
    let parsed = document::parse(bytes, format);
    if let Some(text) = text {
        assert_eq!(
            document::parse_text(text, format),
            parsed,
            "parse and parse_text disagree"
        );
    }
    let hash = match &parsed {
        Ok(value) => {
            let text = text.expect("a document that is not UTF-8 was accepted");
            accepted_document(text, format, value);
            ObjectHash::of(value)
        }
        Err(problem) => {
            if let Some(span) = &problem.span {
                match text {
                    Some(text) => assert_span(text, span, "a parse problem"),
                    None => assert!(
                        span.start <= span.end && span.end <= bytes.len(),
                        "a parse problem's span {span:?} is outside the {} bytes",
                        bytes.len()
                    ),
                }
            }
            "0".repeat(64).parse().expect("a hash")
        }
    };
    let store = DOCUMENT_STORES[usize::from(control >> 1 & 7) % DOCUMENT_STORES.len()];
    let path = ObjectPath {
        store: store.to_owned(),
        partition: "p".to_owned(),
        hash,
        format,
    };
    let file = path.path();
    let resolver = Resolves(control & 0x80 != 0);
    let findings = check::check_bytes(document_kinds(), &resolver, &file, &path, bytes);
    if let Some(text) = text {
        assert_finding_spans(&findings, text);
    }
    if let Err(problem) = &parsed {
        assert!(
            !findings.is_empty(),
            "the validator found nothing wrong with a file that does not parse: {}",
            problem.message
        );
    }
    render_findings(findings);
}

/// What holds of every document berth accepts.
fn accepted_document(text: &str, format: Format, value: &Value) {
    let hash = ObjectHash::of(value);
    let canonical = canonical::to_canonical_json(value);
    assert_eq!(
        hash,
        ObjectHash::of(&reparse(&canonical)),
        "the canonical bytes do not read back to the same hash"
    );
    assert_eq!(
        canonical::to_canonical_json(&reparse(&canonical)),
        canonical,
        "canonical JSON is not a fixed point"
    );
    assert_eq!(
        hash.to_hex().parse::<ObjectHash>(),
        Ok(hash),
        "a hash does not round-trip through hex"
    );
    let mut pointers = Vec::new();
    collect_pointers(value, &mut String::new(), &mut pointers);
    for (pointer, expected) in pointers.into_iter().take(64) {
        let Some(span) = document::locate(text, format, &pointer) else {
            panic!("`{pointer}` of an accepted document could not be located");
        };
        assert_span(text, &span, &format!("the value at `{pointer}`"));
        let found = match format {
            // A JSON value's text is a JSON document of its own.
            Format::Json => document::parse_text(&text[span.clone()], Format::Json),
            // A TOML value other than a table (which may be a `[header]` section)
            // reads as the value of a key.
            Format::Toml if !is_table_or_tables(expected) => {
                document::parse_text(&format!("v = {}", &text[span.clone()]), Format::Toml)
                    .map(|mut table| table["v"].take())
            }
            Format::Toml => continue,
        };
        assert_eq!(
            found.as_ref().map(ObjectHash::of),
            Ok(ObjectHash::of(expected)),
            "locate(`{pointer}`) found {:?}, which is not the value there",
            &text[span]
        );
    }
}

/// Whether a TOML value is a table or holds one (an array of tables is written
/// as `[[header]]` sections, which do not read as a key's value).
fn is_table_or_tables(value: &Value) -> bool {
    match value {
        Value::Object(_) => true,
        Value::Array(items) => items.iter().any(is_table_or_tables),
        _ => false,
    }
}

/// Reads canonical JSON back with plain serde_json: it holds numbers such as 1e21
/// written out in full, which berth's strict reader refuses as integers.
fn reparse(canonical: &[u8]) -> Value {
    serde_json::from_slice(canonical).expect("canonical JSON is not JSON")
}

/// Every value in a document with its JSON pointer, outermost first.
fn collect_pointers<'a>(value: &'a Value, at: &mut String, out: &mut Vec<(String, &'a Value)>) {
    out.push((at.clone(), value));
    let len = at.len();
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                document::push_segment(at, key);
                collect_pointers(item, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                document::push_segment(at, &index.to_string());
                collect_pointers(item, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

/// A resolver that finds every reference, or none.
struct Resolves(bool);

impl check::object::Resolve for Resolves {
    fn contains(&self, _store: &str, _hash: &ObjectHash) -> bool {
        self.0
    }
}

/// The stores of the valid catalog fixture: the built-in ones and `env-manifests`,
/// a user-defined kind with a JSON Schema.
fn document_kinds() -> &'static Kinds {
    static KINDS: OnceLock<Kinds> = OnceLock::new();
    KINDS.get_or_init(|| {
        let source = Files(BTreeMap::from([
            (
                "berth.toml",
                include_bytes!("../fixtures/valid/catalog/berth.toml").as_slice(),
            ),
            (
                "schemas/env-manifest.schema.json",
                include_bytes!("../fixtures/valid/catalog/schemas/env-manifest.schema.json")
                    .as_slice(),
            ),
        ]));
        let settings = Settings::load(&source).expect("the catalog fixture's berth.toml loads");
        Kinds::load(&settings, &source).expect("the catalog fixture's kinds load")
    })
}

// ---------------------------------------------------------------------------
// canonical: differential against serde_json_canonicalizer.

/// For JSON that serde_json reads, berth's canonical bytes and hash equal
/// serde_json_canonicalizer's, or berth refuses the document on purpose.
///
/// "Both refuse" has to be read carefully, because the two do not refuse the same
/// things. serde_json_canonicalizer canonicalizes any `serde_json::Value`, so it
/// never refuses what serde_json read; serde_json itself already refuses NaN,
/// infinities, numbers that overflow a double and lone surrogates, and so does berth.
/// What berth refuses beyond serde_json is refused on purpose (DESIGN.md section 2),
/// because it would make one document hash two ways:
/// - a duplicate key (serde_json keeps the last value silently), and
/// - an integer literal beyond ±(2^53 − 1) (JCS reads every number as a double, so
///   such an integer would be rounded before it is hashed).
///
/// So: berth accepts exactly when the text has neither, each checked here
/// independently of berth; when berth accepts, its data equals serde_json's and its
/// canonical bytes and hash equal serde_json_canonicalizer's; when it refuses, the
/// reason it gives is one of those two and the text really has it. Any other
/// refusal of JSON that serde_json reads is a disagreement, and panics.
///
/// Whatever berth does with the text, its canonical writer must also agree with
/// serde_json_canonicalizer on serde_json's reading of it, when that reading has no
/// integer beyond the range (values that berth's writer never sees otherwise).
pub fn canonical(data: &[u8]) {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let theirs = serde_json_canonicalizer::to_vec(&value);
    if !has_big_integer(&value) {
        let theirs = theirs
            .as_ref()
            .expect("serde_json_canonicalizer refused a value serde_json read");
        assert_eq!(
            String::from_utf8_lossy(&canonical::to_canonical_json(&value)),
            String::from_utf8_lossy(theirs),
            "canonical JSON differs from serde_json_canonicalizer's"
        );
    }
    let duplicate = has_duplicate_key(data);
    let big_literal = has_big_integer_literal(data);
    match document::parse(data, Format::Json) {
        Ok(ours) => {
            assert!(!duplicate, "berth accepted a duplicate key");
            assert!(!big_literal, "berth accepted an integer beyond ±(2^53 − 1)");
            assert_eq!(ours, value, "berth and serde_json read different data");
            let theirs = theirs.expect("serde_json_canonicalizer refused what berth accepts");
            assert_eq!(
                String::from_utf8_lossy(&canonical::to_canonical_json(&ours)),
                String::from_utf8_lossy(&theirs),
                "canonical JSON differs from serde_json_canonicalizer's"
            );
            assert_eq!(
                ObjectHash::of(&ours).to_hex(),
                sha256_hex(&theirs),
                "the object hash is not the SHA-256 of serde_json_canonicalizer's bytes"
            );
        }
        Err(problem) => match problem.kind {
            ProblemKind::DuplicateKey => assert!(
                duplicate,
                "berth says `{}`, but the text has no duplicate key",
                problem.message
            ),
            ProblemKind::IntegerRange => assert!(
                big_literal,
                "berth says `{}`, but the text has no integer beyond ±(2^53 − 1)",
                problem.message
            ),
            ProblemKind::Syntax | ProblemKind::NonFinite => panic!(
                "berth refuses JSON that serde_json reads: {:?} {}",
                problem.kind, problem.message
            ),
        },
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Whether a value holds an integer that JCS would round (serde_json keeps those
/// exactly as u64 or i64).
fn has_big_integer(value: &Value) -> bool {
    match value {
        Value::Number(number) => {
            number.as_u64().is_some_and(|n| n > MAX_SAFE_INTEGER)
                || number
                    .as_i64()
                    .is_some_and(|n| n.unsigned_abs() > MAX_SAFE_INTEGER)
        }
        Value::Array(items) => items.iter().any(has_big_integer),
        Value::Object(map) => map.values().any(has_big_integer),
        _ => false,
    }
}

/// Whether JSON text (that serde_json reads) has an integer literal, with no
/// fraction and no exponent, beyond ±(2^53 − 1). A scan of the text, independent
/// of how any parser represents numbers.
fn has_big_integer_literal(json: &[u8]) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut i = 0;
    while i < json.len() {
        let byte = json[i];
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if byte == b'-' || byte.is_ascii_digit() {
            let start = i;
            while i < json.len()
                && matches!(json[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
            {
                i += 1;
            }
            let literal = &json[start..i];
            let integer = !literal.iter().any(|b| matches!(b, b'.' | b'e' | b'E'));
            let digits = literal.strip_prefix(b"-").unwrap_or(literal);
            let magnitude = std::str::from_utf8(digits)
                .ok()
                .and_then(|digits| digits.parse::<u128>().ok());
            if integer && magnitude.is_none_or(|n| n > u128::from(MAX_SAFE_INTEGER)) {
                return true;
            }
            continue;
        }
        i += 1;
    }
    false
}

/// Whether JSON text (that serde_json reads) repeats a key within one object, read
/// with serde_json's tokenizer but none of its data model.
fn has_duplicate_key(json: &[u8]) -> bool {
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    DuplicateKeys
        .deserialize(&mut deserializer)
        .unwrap_or(false)
}

/// Visits a JSON document and answers whether any object in it repeats a key.
#[derive(Clone, Copy)]
struct DuplicateKeys;

impl<'de> DeserializeSeed<'de> for DuplicateKeys {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DuplicateKeys {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(inner) = seq.next_element_seed(self)? {
            found |= inner;
        }
        Ok(found)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut keys = BTreeSet::new();
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            found |= !keys.insert(key);
            found |= map.next_value_seed(self)?;
        }
        Ok(found)
    }
}

// ---------------------------------------------------------------------------
// settings: berth.toml.

/// berth.toml read through `Settings::load` from an in-memory source, then the
/// kinds it declares, then an object of one of them.
///
/// The input is up to three parts separated by NUL bytes: berth.toml, a JSON
/// Schema served at every `.json` path berth reads (a store's schema), and an
/// object file checked as the first user-defined store holds it.
///
/// Properties: loaded settings keep the text; every environment's ref and the
/// catalog branch are ref names git accepts and cannot collide; the environment
/// order lists each environment once, after those it receives from; `parse` of the
/// same text agrees. Findings, about berth.toml, the schema or the object, lie on
/// character boundaries of their file and render.
pub fn settings(data: &[u8]) {
    let mut parts = data.splitn(3, |&b| b == 0);
    let toml = parts.next().unwrap_or_default();
    let schema = parts.next();
    let object = parts.next();
    let mut files = Files(BTreeMap::from([(settings::FILE, toml)]));
    if let Some(schema) = schema {
        files.0.insert(ANY_JSON, schema);
    }
    let texts = |file: &str| {
        let bytes = if file == settings::FILE {
            toml
        } else if file.starts_with("objects/") {
            object.unwrap_or_default()
        } else {
            schema.unwrap_or_default()
        };
        std::str::from_utf8(bytes).ok()
    };
    let loaded = match Settings::load(&files) {
        Ok(loaded) => loaded,
        Err(error) => {
            if let settings::LoadError::Invalid(findings) = &error {
                assert!(
                    !findings.is_empty(),
                    "berth.toml is invalid, but nothing says why"
                );
                assert_findings_in(findings, texts);
            }
            assert!(
                !matches!(error, settings::LoadError::Missing),
                "berth.toml was read, yet it is missing"
            );
            render(&error);
            if let settings::LoadError::Invalid(findings) = error {
                render_findings(findings);
            }
            return;
        }
    };
    let text = std::str::from_utf8(toml).expect("berth.toml that is not UTF-8 loaded");
    assert_eq!(
        &*loaded.text, text,
        "the settings do not keep berth.toml's text"
    );
    assert!(
        Settings::parse(text).is_ok(),
        "Settings::parse refuses what Settings::load accepts"
    );
    let catalog = format!("refs/heads/{}", loaded.catalog());
    assert!(
        berth::repo::is_valid_ref_name(&catalog),
        "the catalog branch `{catalog}` is not a ref name git accepts"
    );
    let environments = &loaded.file.environments;
    for name in environments.keys() {
        let refname = loaded.env_ref(name);
        assert!(
            berth::repo::is_valid_ref_name(&refname),
            "environment `{name}` lives at `{refname}`, which git does not accept"
        );
        assert!(
            !nested_refs(&refname, &catalog),
            "environment `{name}` at `{refname}` collides with the catalog `{catalog}`"
        );
    }
    let order = loaded.environment_order();
    assert_eq!(
        order.iter().copied().collect::<BTreeSet<_>>(),
        environments.keys().map(String::as_str).collect(),
        "the environment order is not the environments"
    );
    assert_eq!(
        order.len(),
        environments.len(),
        "an environment is ordered twice"
    );
    for (position, name) in order.iter().enumerate() {
        for source in &environments[*name].from {
            assert!(
                order[..position].contains(&source.as_str()),
                "`{name}` is ordered before `{source}`, which it receives from"
            );
        }
    }
    let kinds = match Kinds::load(&loaded, &files) {
        Ok(kinds) => kinds,
        Err(error) => {
            if let settings::LoadError::Invalid(findings) = &error {
                assert_findings_in(findings, texts);
            }
            render(&error);
            if let settings::LoadError::Invalid(findings) = error {
                render_findings(findings);
            }
            return;
        }
    };
    let (Some(object), Some(store)) = (
        object,
        loaded
            .stores()
            .keys()
            .find(|store| kinds.held(store).is_some()),
    ) else {
        return;
    };
    let format = match document::parse(object, Format::Json) {
        Ok(_) => Format::Json,
        Err(_) => Format::Toml,
    };
    let hash = document::parse(object, format)
        .map(|value| ObjectHash::of(&value))
        .unwrap_or_else(|_| ObjectHash::of(&Value::Null));
    let path = ObjectPath {
        store: store.clone(),
        partition: "p".to_owned(),
        hash,
        format,
    };
    let findings = check::check_bytes(&kinds, &Resolves(false), &path.path(), &path, object);
    assert_findings_in(&findings, texts);
    render_findings(findings);
}

/// The path `Files` serves the schema part of the `settings` input at: any `.json`
/// file it is asked for.
const ANY_JSON: &str = "*.json";

/// Every finding's span lies on character boundaries of the text of its file, when
/// that is UTF-8.
fn assert_findings_in<'a>(findings: &[Finding], text_of: impl Fn(&str) -> Option<&'a str>) {
    for finding in findings {
        if let Some(text) = text_of(&finding.file) {
            assert_finding_spans(std::slice::from_ref(finding), text);
        }
    }
}

/// Whether git could not keep both refs: equal, or one a folder of the other.
fn nested_refs(a: &str, b: &str) -> bool {
    a == b
        || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'))
        || b.strip_prefix(a).is_some_and(|rest| rest.starts_with('/'))
}

// ---------------------------------------------------------------------------
// state: state.toml of an environment commit.

/// `State::parse`, then the round trip: what `to_toml` writes parses back to the
/// same state, and writing that again gives the same text. A refusal's span lies
/// on character boundaries.
pub fn state(data: &[u8]) {
    use berth::env::state::State;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match State::parse(text) {
        Ok(state) => {
            let written = state.to_toml();
            let again = match State::parse(&written) {
                Ok(again) => again,
                Err(problem) => panic!(
                    "state.toml written by berth does not parse: {}\n{written}",
                    problem.message
                ),
            };
            assert_eq!(again, state, "state.toml does not round-trip:\n{written}");
            assert_eq!(
                again.to_toml(),
                written,
                "state.toml is not written the same twice"
            );
            for package in state.packages.keys() {
                assert!(
                    state.object(package).is_some(),
                    "package `{package}` holds an object that does not read"
                );
            }
        }
        Err(problem) => {
            if let Some(span) = &problem.span {
                assert_span(text, span, "a state problem");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// trailers: what berth reads out of a commit message.

/// `repo::trailers` on any message (read as berth reads a commit's message: lossy
/// UTF-8), and the round trip of what berth writes: a message made by
/// `env::log::message` from a subject and `Berth-*` trailers whose values are
/// what berth writes (names, object references, branch names) reads back as
/// exactly those trailers.
///
/// The mapping of trailers onto an `EnvCommit` (`EnvCommit::read`) is not reachable
/// without a git repository: it takes a `Git` and a commit id, and `Action::parse`
/// is private. What it calls, `repo::trailers`, is fuzzed here.
pub fn trailers(data: &[u8]) {
    use berth::env::log;
    let message = String::from_utf8_lossy(data);
    // libgit2 reads a line `: value` as a trailer with an empty key; berth only
    // looks keys up by name, so that is harmless. A key never spans lines.
    for (key, value) in berth::repo::trailers(&message) {
        assert!(
            !key.contains('\n'),
            "a trailer key `{key:?}` (value `{value:?}`) spans lines"
        );
    }
    // The same bytes as the parts of a message berth writes: package, environment,
    // catalog branch, subject, separated by NUL.
    let mut parts = data.split(|&b| b == 0).map(String::from_utf8_lossy);
    let (Some(package), Some(environment), Some(catalog)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let extra = parts.next().unwrap_or_default();
    if berth::names::check(&package).is_err()
        || berth::names::check(&environment).is_err()
        || !berth::repo::is_valid_ref_name(&format!("refs/heads/{catalog}"))
    {
        return;
    }
    let object = format!("version-sets/{}", ObjectHash::of(&json!(extra.as_ref())));
    let from = if data.len().is_multiple_of(2) {
        catalog.as_ref()
    } else {
        environment.as_ref()
    };
    let subject = format!("promote {package} to {environment}: {extra}");
    if subject.contains('\n') {
        return;
    }
    let expected = [
        (log::ACTION, "promote"),
        (log::PACKAGE, package.as_ref()),
        (log::OBJECT, object.as_str()),
        (log::FROM, from),
    ];
    let written = log::message(&subject, &expected);
    let read = berth::repo::trailers(&written);
    let read: Vec<(&str, &str)> = read.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        read, expected,
        "the trailers berth writes do not read back:\n{written}"
    );
}

// ---------------------------------------------------------------------------
// versions: component files, version maps, tag lists and a component's rules.

/// The first byte chooses the parser: a component file (then its rules read each
/// tag after the first NUL, one per line), a version map, or a tag list for
/// `versions import`. Findings lie on character boundaries and render; a version
/// map that reads has unique tags and digests, each a digest, and channel heads
/// that are its own entries.
pub fn versions(data: &[u8]) {
    use berth::kinds::component::channel_head;
    use berth::registry;
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let text = std::str::from_utf8(rest).ok();
    let findings = match control % 3 {
        0 => {
            let (file, tags) = match rest.iter().position(|&b| b == 0) {
                Some(at) => (&rest[..at], &rest[at + 1..]),
                None => (rest, &[][..]),
            };
            let (component, findings) =
                berth::kinds::component::parse_component("components/api.toml", file);
            if let Ok(text) = std::str::from_utf8(file) {
                assert_finding_spans(&findings, text);
            }
            if let Some(component) = component {
                assert!(findings.is_empty(), "a component read, with findings");
                let rules = component
                    .rules()
                    .expect("a component that reads has rules that compile");
                for tag in String::from_utf8_lossy(tags).lines() {
                    if let Ok(reading) = rules.read(tag) {
                        assert!(
                            !reading.channel.is_empty(),
                            "tag `{tag}` reads into an empty channel"
                        );
                    }
                }
            }
            findings
        }
        1 => {
            let (map, findings) =
                berth::kinds::component::parse_versions("components/api.versions.toml", rest);
            if let Some(text) = text {
                assert_finding_spans(&findings, text);
            }
            if let Some(map) = map {
                assert!(findings.is_empty(), "a version map read, with findings");
                let tags: BTreeSet<&str> = map.versions.iter().map(|e| e.tag.as_str()).collect();
                let digests: BTreeSet<&str> =
                    map.versions.iter().map(|e| e.digest.as_str()).collect();
                assert_eq!(tags.len(), map.versions.len(), "a tag is recorded twice");
                assert_eq!(
                    digests.len(),
                    map.versions.len(),
                    "a digest is recorded twice"
                );
                for entry in &map.versions {
                    assert!(
                        berth::kinds::release::is_digest(&entry.digest),
                        "`{}` is not a digest",
                        entry.digest
                    );
                    for stable in [false, true] {
                        if let Some(head) = channel_head(&map.versions, &entry.channel, stable) {
                            assert_eq!(head.channel, entry.channel, "a head from another channel");
                            assert!(!(stable && head.prerelease), "a prerelease heads stable");
                            if let (Some(head), Some(this)) = (head.version(), entry.version())
                                && !(stable && entry.prerelease)
                            {
                                assert!(
                                    head >= this,
                                    "{head} heads {}, but {this} is higher",
                                    entry.channel
                                );
                            }
                        }
                    }
                }
            }
            findings
        }
        _ => match registry::read_tag_list("tags.txt", rest) {
            Ok(pairs) => {
                for pair in &pairs {
                    assert!(
                        berth::kinds::release::is_digest(&pair.digest),
                        "tag `{}` was read with `{}`, which is not a digest",
                        pair.tag,
                        pair.digest
                    );
                }
                Vec::new()
            }
            Err(findings) => {
                assert!(
                    !findings.is_empty(),
                    "a tag list was refused, but nothing says why"
                );
                if let Some(text) = text {
                    assert_finding_spans(&findings, text);
                }
                findings
            }
        },
    };
    render_findings(findings);
}

// ---------------------------------------------------------------------------
// set-value: `berth config set --set KEY=VALUE` and `--unset KEY`.

/// `config::parse_assignment` and `config::parse_unset` on any text.
///
/// Properties: the key of an assignment reads as `--unset` reads it; a value that
/// is TOML is never silently something else: when TOML reads `v = VALUE` as that
/// one key holding a number, a boolean, an array, a table or a date-time, the value
/// is not turned into a string (berth either keeps it as data or refuses it: issue
/// 16 defect 7); when TOML reads more than one key, berth keeps the whole text, so
/// nothing after a line break is dropped or becomes a setting of its own; and
/// berth takes a value other than a string only when TOML reads the whole of
/// `v = VALUE` as that one key.
pub fn set_value(data: &[u8]) {
    use berth::config;
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let unset = config::parse_unset(text);
    if let Err(error) = &unset {
        render(error);
    }
    let assigned = match config::parse_assignment(text) {
        Ok(assigned) => assigned,
        Err(error) => {
            render(&error);
            return;
        }
    };
    let (path, value) = assigned;
    let (key, raw) = text
        .split_once('=')
        .expect("an assignment without `=` was accepted");
    assert!(!path.is_empty(), "`{key}` reads as an empty key path");
    assert_eq!(
        config::parse_unset(key).ok(),
        Some(path.clone()),
        "--set and --unset read the key `{key}` differently"
    );
    let _ = ObjectHash::of(&value);
    let toml_reading = toml::from_str::<toml::Table>(&format!("v = {raw}")).ok();
    let toml_value = toml_reading
        .as_ref()
        .filter(|table| table.len() == 1)
        .and_then(|table| table.get("v"));
    if toml_reading.as_ref().is_some_and(|table| table.len() > 1) {
        assert_eq!(
            value,
            Value::String(raw.to_owned()),
            "--set {text:?}: TOML reads more than one key, and berth does not keep the text whole"
        );
    }
    if let Some(toml_value) = toml_value
        && !matches!(toml_value, toml::Value::String(_))
    {
        assert!(
            !value.is_string() || matches!(toml_value, toml::Value::Datetime(_)),
            "--set {text:?}: TOML reads the value as {} {toml_value}, berth as the string {value}",
            toml_value.type_str()
        );
    }
    if !value.is_string() {
        let keys: Vec<&String> = toml_reading.iter().flat_map(|table| table.keys()).collect();
        assert_eq!(
            keys,
            ["v"],
            "--set {text:?}: berth reads {value}, but TOML reads `v = {raw}` as more than one key"
        );
    }
}

// ---------------------------------------------------------------------------
// time: RFC 3339 instants.

/// The RFC 3339 readers: `--at` (`env::parse_at`) and the check of objects'
/// date-time fields (`kinds::instant_rule`).
///
/// Properties: the two accept the same texts; an accepted instant written out
/// reads back as itself; an accepted text's numeric offset is within ±23:59, the
/// range of RFC 3339's `time-numoffset` (issue 16 defect 16).
pub fn time(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let at = berth::env::parse_at(text);
    let rule = berth::kinds::instant_rule(&json!({ "t": text }), "/t");
    assert_eq!(
        at.is_ok(),
        rule.is_none(),
        "--at and the objects' date-time rule disagree on {text:?}"
    );
    match at {
        Ok(instant) => {
            let written = instant.to_string();
            let again = berth::env::parse_at(&written).map_err(|error| error.to_string());
            assert_eq!(
                again,
                Ok(instant),
                "{text:?} is {written}, which does not read back"
            );
            if let Some((hours, minutes)) = numeric_offset(text) {
                assert!(
                    hours <= 23 && minutes <= 59,
                    "{text:?} has the offset {hours:02}:{minutes:02}, beyond RFC 3339's ±23:59"
                );
            }
        }
        Err(error) => {
            render(&error);
        }
    }
}

/// The hours and minutes of the numeric offset that ends an RFC 3339 date-time
/// (`...+HH:MM`, or `...+HHMM` / `...+HH` as ISO 8601 also writes it), ignoring
/// a trailing `[annotation]`.
fn numeric_offset(text: &str) -> Option<(u32, u32)> {
    let text = match text.find('[') {
        Some(at) => &text[..at],
        None => text,
    };
    let time = &text[text.find(['T', 't', ' '])?..];
    let sign = time.rfind(['+', '-', '\u{2212}'])?;
    let offset: String = time[sign..].chars().skip(1).filter(|c| *c != ':').collect();
    if !offset.bytes().all(|b| b.is_ascii_digit()) || offset.len() < 2 {
        return None;
    }
    let hours = offset[..2].parse().ok()?;
    let minutes = offset.get(2..4).map_or(Some(0), |m| m.parse().ok())?;
    Some((hours, minutes))
}

// ---------------------------------------------------------------------------
// Shared: spans, rendering, an in-memory source.

/// Panics unless `span` is a range of `text` between character boundaries.
fn assert_span(text: &str, span: &Range<usize>, what: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} is outside the text ({} bytes)",
        text.len()
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} cuts a character of the text"
    );
}

/// Every finding's span lies on character boundaries of `text`, the file it is
/// about.
fn assert_finding_spans(findings: &[Finding], text: &str) {
    for finding in findings {
        if let Some(location) = &finding.location {
            assert_span(
                text,
                &location.span,
                &format!("finding `{}`", finding.code.name()),
            );
        }
    }
}

/// Renders findings as every output format does: human (miette), JSON, GitHub,
/// SARIF and JUnit. GitHub workflow commands must stay one line each.
fn render_findings(findings: Vec<Finding>) {
    for finding in &findings {
        render(finding);
        let _ = finding.place();
    }
    let count = findings.len();
    let mut validation = Validation::default();
    validation.add(findings);
    serde_json::to_string(&validation.report()).expect("a report serializes");
    let github = berth::report::validation::github(&validation);
    assert_eq!(
        github.lines().count(),
        count + 1,
        "a GitHub workflow command spans more than one line:\n{github}"
    );
    serde_json::to_string(&berth::report::validation::sarif(&validation))
        .expect("SARIF serializes");
    let junit = berth::report::validation::junit(&validation);
    if let Err(error) = roxmltree::Document::parse(&junit) {
        panic!("JUnit output is not XML ({error}):\n{junit}");
    }
}

/// A diagnostic as the CLI's human format draws it (src/cli/render.rs), with every
/// label it marks.
fn render(diagnostic: &dyn miette::Diagnostic) -> String {
    if let Some(labels) = diagnostic.labels() {
        labels.for_each(drop);
    }
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_wrap_lines(false);
    let mut out = String::new();
    let _ = handler.render_report(&mut out, diagnostic);
    out
}

/// Files held in memory, as a working tree would hold them.
struct Files<'a>(BTreeMap<&'a str, &'a [u8]>);

impl Source for Files<'_> {
    fn name(&self) -> String {
        "fuzz input".to_owned()
    }

    fn read(&self, path: &str, limit: u64) -> Result<Option<Content>, SourceError> {
        let any = path.ends_with(".json").then_some(ANY_JSON);
        let found = self.0.get(path).or_else(|| self.0.get(any?));
        Ok(found.map(|bytes| {
            let size = bytes.len() as u64;
            if size > limit {
                Content::TooLarge { size }
            } else {
                Content::Bytes(bytes.to_vec())
            }
        }))
    }

    fn list(&self, dir: &str) -> Result<Vec<Entry>, SourceError> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        Ok(self
            .0
            .keys()
            .filter(|path| path.starts_with(&prefix))
            .map(|path| Entry {
                path: (*path).to_owned(),
                kind: EntryKind::File,
            })
            .collect())
    }

    fn exists(&self, path: &str) -> Result<bool, SourceError> {
        Ok(self.0.contains_key(path))
    }

    fn dirs(&self, dir: &str) -> Result<Vec<String>, SourceError> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let dirs: BTreeSet<String> = self
            .0
            .keys()
            .filter_map(|path| path.strip_prefix(&prefix)?.split_once('/'))
            .map(|(dir, _)| dir.to_owned())
            .collect();
        Ok(dirs.into_iter().collect())
    }
}

// ---------------------------------------------------------------------------
// signers: git's allowed-signers file, and verifying an SSH signature against it.

/// The allowed-signers reader takes any text without a panic: every line it
/// refuses is located inside the text, on character boundaries, at the line it
/// names, and every signer it reads names at least one principal. Before the
/// first NUL byte is the file; after it, a signature and, after a second NUL,
/// the payload it claims to sign, which verifying must judge without a panic.
pub fn signers(data: &[u8]) {
    use berth::signers::AllowedSigners;
    let mut parts = data.splitn(3, |&b| b == 0);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default());
    let (signers, errors) = AllowedSigners::parse(&text);
    let lines = text.split_inclusive('\n').count();
    for error in &errors {
        assert!(error.span.start <= error.span.end, "{error:?}");
        assert!(error.span.end <= text.len(), "{error:?}");
        assert!(text.is_char_boundary(error.span.start), "{error:?}");
        assert!(text.is_char_boundary(error.span.end), "{error:?}");
        assert!(error.line >= 1 && error.line <= lines, "{error:?}");
    }
    for entry in &signers.entries {
        assert!(!entry.principals.is_empty(), "{entry:?}");
        assert!(entry.line >= 1 && entry.line <= lines, "{entry:?}");
    }
    let signature = parts.next().unwrap_or_default();
    let payload = parts.next().unwrap_or_default();
    let _ = signers.verify(signature, payload, 1_700_000_000);
}

// ---------------------------------------------------------------------------
// oci: what `versions sync` reads from a component and from a registry.

/// The first byte chooses the parser: a component's image repository, a `Link`
/// header, a `WWW-Authenticate` challenge's parameters, or a manifest index's
/// platforms. An image repository that reads has a host and a lowercase name
/// without tag or digest, and reads the same from its registry and name; a link
/// and a challenge's parameters are pieces of the text they came from.
pub fn oci(data: &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match control % 4 {
        0 => {
            if let Ok(image) = berth::oci::ImageRef::parse(&text) {
                assert!(
                    !image.host.is_empty() && !image.name.is_empty(),
                    "{image:?}"
                );
                assert!(
                    image.name.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b"._-/".contains(&b)),
                    "{image:?}"
                );
                let again =
                    berth::oci::ImageRef::parse(&format!("{}/{}", image.registry, image.name))
                        .expect("a repository read reads again from its registry and name");
                assert_eq!(again, image);
            }
        }
        1 => {
            if let Some(link) = berth::oci::next_link(&text) {
                assert!(text.contains(&link), "{link:?} is not in {text:?}");
            }
        }
        2 => {
            for (key, value) in berth::oci::challenge_params(&text) {
                assert!(
                    text.contains(&key) && text.contains(&value),
                    "{key:?}={value:?}"
                );
            }
        }
        _ => {
            if let Ok(platforms) = berth::oci::platforms(rest) {
                for platform in platforms {
                    assert!(platform.os != "unknown" && platform.architecture != "unknown");
                }
            }
        }
    }
}

//! A validation rendered for CI systems: GitHub Actions workflow commands, SARIF
//! 2.1.0 for code scanning, and JUnit XML for test-report viewers.
//!
//! Each rendering is a pure function of a [`Validation`]; the CLI prints what it
//! returns. SARIF holds nothing that varies between runs over the same tree (no
//! times, no absolute paths), so re-uploading an unchanged tree changes nothing.

use serde_json::{Map, Value, json};

use crate::canonical::ObjectHash;
use crate::check::{Validation, summary_line};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, Severity, plural};

/// How many annotations of each level GitHub records for one step; the runner
/// still writes every further one to the log.
const GITHUB_ANNOTATIONS_PER_LEVEL: usize = 10;

/// The `$schema` of a SARIF 2.1.0 log.
const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The symbol artifact URIs are relative to: the repository root. Its absolute
/// path is left out so the log is the same on every machine; consumers such as
/// GitHub code scanning resolve it to their checkout.
const SRCROOT: &str = "%SRCROOT%";

/// The key of berth's fingerprint in `partialFingerprints`; bump the version when
/// what it hashes changes.
const FINGERPRINT_KEY: &str = "berth/v1";

/// GitHub Actions workflow commands: one `::error` or `::warning` annotation per
/// finding, then a plain summary line.
///
/// Commands are escaped as `@actions/core` escapes them, so file names and messages
/// holding `%`, newlines, `:` or `,` reach GitHub intact. GitHub annotates only the
/// first ten findings of each level in a step; every command is still written, as
/// the runner logs the rest, and the summary says so when that happens.
pub fn github(validation: &Validation) -> String {
    let mut out = String::new();
    for finding in &validation.findings {
        out.push_str(&github_command(finding));
        out.push('\n');
    }
    out.push_str("berth: ");
    out.push_str(&summary_line(validation));
    if validation.errors() > GITHUB_ANNOTATIONS_PER_LEVEL
        || validation.warnings() > GITHUB_ANNOTATIONS_PER_LEVEL
    {
        out.push_str(&format!(
            "; GitHub shows only the first {GITHUB_ANNOTATIONS_PER_LEVEL} annotations of each level per step, the rest are in this log"
        ));
    }
    out.push('\n');
    out
}

/// One finding as a workflow command.
fn github_command(finding: &Finding) -> String {
    let command = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![("file", finding.file.clone())];
    if let Some(location) = &finding.location {
        // GitHub takes columns only for a range on one line; the runner drops them
        // from any other, so they are not written.
        let one_line = location.start.line == location.end.line;
        properties.push(("line", location.start.line.to_string()));
        if one_line {
            properties.push(("col", location.start.column.to_string()));
        }
        properties.push(("endLine", location.end.line.to_string()));
        if one_line {
            properties.push(("endColumn", location.end.column.to_string()));
        }
    }
    properties.push(("title", finding.code.qualified()));
    let properties: Vec<String> = properties
        .iter()
        .map(|(key, value)| format!("{key}={}", escape_property(value)))
        .collect();
    let message = format!("{}\nhelp: {}", finding.message, finding.help);
    format!(
        "::{command} {}::{}",
        properties.join(","),
        escape_data(&message)
    )
}

/// Escapes a workflow command's message, as `escapeData` in `@actions/core`.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value, as `escapeProperty` in
/// `@actions/core`: `:` and `,` would otherwise end the value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// A SARIF 2.1.0 log of one run: every finding code as a rule, every finding as a
/// result.
///
/// File URIs are relative to `%SRCROOT%`, the repository root, and columns count
/// Unicode code points as berth's do. Each result carries a fingerprint of its
/// code, file and JSON pointer (or message), so code scanning follows an alert
/// across commits that move it within its file.
pub fn sarif(validation: &Validation) -> Value {
    let mut driver = Map::new();
    driver.insert("name".to_owned(), json!("berth"));
    driver.insert(
        "semanticVersion".to_owned(),
        json!(env!("CARGO_PKG_VERSION")),
    );
    if let Some(uri) = information_uri() {
        driver.insert("informationUri".to_owned(), json!(uri));
    }
    let rules: Vec<Value> = Code::ALL.iter().map(|&code| sarif_rule(code)).collect();
    driver.insert("rules".to_owned(), Value::Array(rules));
    let results: Vec<Value> = validation.findings.iter().map(sarif_result).collect();
    json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "originalUriBaseIds": {
                SRCROOT: {
                    "description": { "text": "The root of the repository berth validated." },
                },
            },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// Where to read about berth: the package's homepage, else its repository.
fn information_uri() -> Option<&'static str> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|uri| !uri.is_empty())
}

/// A finding code as a SARIF rule.
fn sarif_rule(code: Code) -> Value {
    json!({
        "id": code.name(),
        "name": upper_camel_case(code.name()),
        "shortDescription": { "text": short_description(code.description()) },
        "fullDescription": { "text": code.description() },
        "help": { "text": code.help() },
        "defaultConfiguration": { "level": "error" },
    })
}

/// A finding as a SARIF result.
fn sarif_result(finding: &Finding) -> Value {
    let mut result = Map::new();
    result.insert("ruleId".to_owned(), json!(finding.code.name()));
    if let Some(index) = Code::ALL.iter().position(|&code| code == finding.code) {
        result.insert("ruleIndex".to_owned(), json!(index));
    }
    let level = match finding.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    result.insert("level".to_owned(), json!(level));
    result.insert(
        "message".to_owned(),
        json!({ "text": format!("{}\n\nhelp: {}", finding.message, finding.help) }),
    );
    // A finding about a whole file still needs a region for GitHub to show it.
    let region = match &finding.location {
        Some(location) => json!({
            "startLine": location.start.line,
            "startColumn": location.start.column,
            "endLine": location.end.line,
            "endColumn": location.end.column,
        }),
        None => json!({ "startLine": 1 }),
    };
    result.insert(
        "locations".to_owned(),
        json!([{
            "physicalLocation": {
                "artifactLocation": { "uri": uri_path(&finding.file), "uriBaseId": SRCROOT },
                "region": region,
            },
        }]),
    );
    result.insert(
        "partialFingerprints".to_owned(),
        json!({ FINGERPRINT_KEY: fingerprint(finding) }),
    );
    Value::Object(result)
}

/// "hash-mismatch" → "HashMismatch": SARIF's convention for a rule's name.
fn upper_camel_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        })
        .collect()
}

/// The description up to its first colon, as one sentence: what the finding is,
/// without the detail after it.
fn short_description(description: &str) -> String {
    match description.split_once(": ") {
        Some((head, _)) => format!("{head}."),
        None => description.to_owned(),
    }
}

/// A repository-relative path as a URI reference: every byte outside RFC 3986's
/// path characters is percent-encoded, and so is `:`, which would otherwise make
/// a first segment like `a:b` read as a scheme.
fn uri_path(path: &str) -> String {
    let mut uri = String::with_capacity(path.len());
    for &byte in path.as_bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&byte);
        if keep {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    uri
}

/// A stable identity for a finding: the hash of its code, file and pointer (or,
/// without a pointer, its message), so it survives edits that move it.
fn fingerprint(finding: &Finding) -> String {
    let what = finding.pointer.as_deref().unwrap_or(&finding.message);
    // A JSON array keeps the fields apart: no file name can imitate two fields.
    ObjectHash::of(&json!([finding.code.name(), finding.file, what])).to_hex()
}

/// A JUnit XML report: one test case per finding, failed for errors and passed
/// with the finding in `<system-out>` for warnings, and one passing case for the
/// files checked so the suite is never empty.
///
/// Characters XML 1.0 cannot carry, such as most control characters, are dropped.
pub fn junit(validation: &Validation) -> String {
    let tests = validation.findings.len().saturating_add(1);
    let failures = validation.errors();
    let time = format!("{:.3}", validation.elapsed.as_secs_f64());
    let counts = format!(r#"tests="{tests}" failures="{failures}" errors="0""#);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"berth validate\" {counts} time=\"{time}\">\n"
    ));
    out.push_str(&format!(
        "  <testsuite name=\"berth validate\" {counts} skipped=\"0\" time=\"{time}\">\n"
    ));
    for finding in &validation.findings {
        out.push_str(&junit_case(finding));
    }
    out.push_str(&format!(
        "    <testcase classname=\"berth\" name=\"{} checked\"/>\n",
        plural(validation.files_checked, "file")
    ));
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// One finding as a test case.
fn junit_case(finding: &Finding) -> String {
    let code = finding.code.name();
    let name = match &finding.location {
        Some(_) => format!("{code} at {}", finding.place()),
        None => format!("{code} in {}", finding.file),
    };
    let mut body = format!("{}\nhelp: {}", finding.message, finding.help);
    if let Some(pointer) = finding.shown_pointer() {
        body.push_str(&format!("\npointer: {pointer}"));
    }
    let detail = match finding.severity {
        Severity::Error => format!(
            "<failure type=\"{}\" message=\"{}\">{}</failure>",
            escape_xml_attribute(&finding.code.qualified()),
            escape_xml_attribute(&finding.message),
            escape_xml_text(&body)
        ),
        Severity::Warning => format!("<system-out>{}</system-out>", escape_xml_text(&body)),
    };
    format!(
        "    <testcase classname=\"{}\" name=\"{}\">\n      {detail}\n    </testcase>\n",
        escape_xml_attribute(&finding.file),
        escape_xml_attribute(&name)
    )
}

/// Escapes character data. A carriage return is written as a reference, since
/// parsers turn a literal one into a newline.
fn escape_xml_text(text: &str) -> String {
    escape_xml(text, false)
}

/// Escapes an attribute value. Tabs and newlines are written as references too,
/// since parsers turn literal ones into spaces.
fn escape_xml_attribute(text: &str) -> String {
    escape_xml(text, true)
}

fn escape_xml(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            // Not a Char in XML 1.0 (no escape can carry them).
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::document::Format;

    const TEXT: &str = "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n";

    /// An error with a one-line span, a warning at a JSON pointer, an error
    /// without a location and an error spanning lines, in files whose names need
    /// escaping.
    fn validation() -> Validation {
        let text: Arc<str> = Arc::from(TEXT);
        let spanned = Finding::new(
            Code::HashMismatch,
            "objects/a,b:c%d e/x.json",
            "line one\nline 100% <broken> & \"quoted\"",
        )
        .with_help("restore it: git checkout")
        .at_span(&text, 0..1);
        let mut warning = Finding::new(Code::DanglingRef, "objects/w.json", "no <such> object")
            .at_pointer(&text, Format::Json, "/a/b");
        warning.severity = Severity::Warning;
        let whole_file = Finding::new(Code::BadPath, "objects/odd name.txt", "tab\there\r\u{1}");
        let multi_line =
            Finding::new(Code::Schema, "objects/w.json", "bad table").at_span(&text, 9..25);
        Validation {
            findings: vec![spanned, warning, whole_file, multi_line],
            files_checked: 7,
            elapsed: Duration::from_millis(1234),
        }
    }

    #[test]
    fn github_escapes_one_finding_as_the_toolkit_does() {
        let out = github(&validation());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=objects/a%2Cb%3Ac%25d e/x.json,line=1,col=1,endLine=1,endColumn=2,\
             title=berth%3A%3Ahash-mismatch::line one%0Aline 100%25 <broken> & \"quoted\"\
             %0Ahelp: restore it: git checkout"
        );
        assert_eq!(
            lines[1],
            format!(
                "::warning file=objects/w.json,line=3,col=10,endLine=3,endColumn=11,\
                 title=berth%3A%3Adangling-ref::no <such> object%0Ahelp: {}",
                Code::DanglingRef.help()
            )
        );
        assert_eq!(
            lines[2],
            format!(
                "::error file=objects/odd name.txt,title=berth%3A%3Abad-path::tab\there%0D\u{1}%0Ahelp: {}",
                Code::BadPath.help()
            )
        );
        // A multi-line range keeps its lines only.
        assert!(
            lines[3].starts_with("::error file=objects/w.json,line=2,endLine=4,title=berth%3A%3Aschema::bad table%0Ahelp: "),
            "{}",
            lines[3]
        );
        assert_eq!(
            lines[4..],
            ["berth: 3 errors, 1 warning in 7 files (1.23s)"]
        );
        assert!(out.ends_with("(1.23s)\n"));
    }

    #[test]
    fn github_notes_annotations_beyond_ten_of_a_level() {
        let many = |count: usize| Validation {
            findings: (0..count)
                .map(|i| Finding::new(Code::Parse, format!("f{i}.json"), "bad"))
                .collect(),
            files_checked: count,
            elapsed: Duration::ZERO,
        };
        let ten = github(&many(10));
        assert_eq!(
            ten.lines().last(),
            Some("berth: 10 errors, 0 warnings in 10 files (0.00s)")
        );
        let eleven = github(&many(11));
        assert_eq!(
            eleven.lines().filter(|l| l.starts_with("::error ")).count(),
            11
        );
        assert_eq!(
            eleven.lines().last(),
            Some(
                "berth: 11 errors, 0 warnings in 11 files (0.00s); GitHub shows only the first 10 \
                 annotations of each level per step, the rest are in this log"
            )
        );
    }

    #[test]
    fn sarif_matches_the_sarif_2_1_0_schema() {
        // The schema as OASIS published it, but for the `language` pattern's stray
        // `]` (oasis-tcs/sarif-spec#488, fixed in the errata), which is not a
        // regular expression jsonschema will compile.
        let schema = include_str!("../../tests/schemas/sarif-schema-2.1.0.json").replace(
            r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
            r#""^[a-zA-Z]{2}(-[a-zA-Z]{2})?$""#,
        );
        let schema: Value = serde_json::from_str(&schema).unwrap();
        // Draft 7 leaves `format` unchecked by default; check it, so URIs are held
        // to RFC 3986.
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let artifact = |uri: &str| {
            json!({
                "version": "2.1.0",
                "runs": [{
                    "tool": { "driver": { "name": "berth" } },
                    "artifacts": [{ "location": { "uri": uri } }],
                }],
            })
        };
        assert!(validator.is_valid(&artifact("odd%20name.txt")));
        assert!(!validator.is_valid(&artifact("odd name.txt")));

        let log = sarif(&validation());
        let errors: Vec<String> = validator
            .iter_errors(&log)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
        assert!(validator.is_valid(&log));
    }

    #[test]
    fn sarif_describes_every_code_and_places_every_finding() {
        let log = sarif(&validation());
        assert_eq!(log["$schema"], SARIF_SCHEMA);
        assert_eq!(log["version"], "2.1.0");
        let run = &log["runs"][0];
        assert_eq!(run["columnKind"], "unicodeCodePoints");
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "berth");
        assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            driver.get("informationUri").and_then(Value::as_str),
            information_uri()
        );

        let rules = driver["rules"].as_array().unwrap();
        assert_eq!(rules.len(), Code::ALL.len());
        for (rule, code) in rules.iter().zip(Code::ALL) {
            assert_eq!(rule["id"], code.name());
            assert_eq!(rule["fullDescription"]["text"], code.description());
            assert_eq!(rule["help"]["text"], code.help());
            assert_eq!(rule["defaultConfiguration"]["level"], "error");
        }
        let hash_mismatch = Code::ALL
            .iter()
            .position(|&c| c == Code::HashMismatch)
            .unwrap();
        assert_eq!(rules[hash_mismatch]["name"], "HashMismatch");
        assert_eq!(
            rules[hash_mismatch]["shortDescription"]["text"],
            "An object's file name is not the SHA-256 of its canonical data."
        );

        let results = run["results"].as_array().unwrap();
        let summary: Vec<(&str, usize, &str, &str)> = results
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap(),
                    r["ruleIndex"].as_u64().unwrap() as usize,
                    r["level"].as_str().unwrap(),
                    r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                        .as_str()
                        .unwrap(),
                )
            })
            .collect();
        let index = |code: Code| Code::ALL.iter().position(|&c| c == code).unwrap();
        assert_eq!(
            summary,
            [
                (
                    "hash-mismatch",
                    index(Code::HashMismatch),
                    "error",
                    "objects/a,b%3Ac%25d%20e/x.json"
                ),
                (
                    "dangling-ref",
                    index(Code::DanglingRef),
                    "warning",
                    "objects/w.json"
                ),
                (
                    "bad-path",
                    index(Code::BadPath),
                    "error",
                    "objects/odd%20name.txt"
                ),
                ("schema", index(Code::Schema), "error", "objects/w.json"),
            ]
        );
        let regions: Vec<&Value> = results
            .iter()
            .map(|r| &r["locations"][0]["physicalLocation"]["region"])
            .collect();
        assert_eq!(
            regions,
            [
                &json!({"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 2}),
                &json!({"startLine": 3, "startColumn": 10, "endLine": 3, "endColumn": 11}),
                &json!({"startLine": 1}),
                &json!({"startLine": 2, "startColumn": 8, "endLine": 4, "endColumn": 4}),
            ]
        );
        assert_eq!(
            results[0]["message"]["text"],
            "line one\nline 100% <broken> & \"quoted\"\n\nhelp: restore it: git checkout"
        );
        assert!(results.iter().all(
            |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == SRCROOT
        ));
        // Pinned: a changed fingerprint reopens every alert code scanning tracks.
        assert_eq!(
            results[1]["partialFingerprints"][FINGERPRINT_KEY],
            "26cdbc60d5a614417c8d05021b3cf0c71b07270fe30fe6c1dea22fefded03021"
        );
    }

    #[test]
    fn sarif_is_the_same_whatever_the_run_took() {
        let mut slow = validation();
        slow.elapsed = Duration::from_secs(90);
        let mut fast = validation();
        fast.elapsed = Duration::ZERO;
        assert_eq!(
            serde_json::to_string(&sarif(&slow)).unwrap(),
            serde_json::to_string(&sarif(&fast)).unwrap()
        );
    }

    #[test]
    fn uri_paths_percent_encode_what_a_path_cannot_hold() {
        for (path, uri) in [
            ("objects/a b/c.json", "objects/a%20b/c.json"),
            ("a:b/100%.json", "a%3Ab/100%25.json"),
            ("x,y;z=1@(2)~_.-/q", "x,y;z=1@(2)~_.-/q"),
            ("é#?[]\\", "%C3%A9%23%3F%5B%5D%5C"),
        ] {
            assert_eq!(uri_path(path), uri, "{path}");
        }
    }

    #[test]
    fn junit_fails_errors_and_passes_warnings() {
        let xml = junit(&validation());
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "testsuites");
        let suite = root.first_element_child().unwrap();
        for element in [root, suite] {
            assert_eq!(element.attribute("name"), Some("berth validate"));
            assert_eq!(element.attribute("tests"), Some("5"));
            assert_eq!(element.attribute("failures"), Some("3"));
            assert_eq!(element.attribute("errors"), Some("0"));
            assert_eq!(element.attribute("time"), Some("1.234"));
        }
        let cases: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        assert!(cases.iter().all(|c| c.has_tag_name("testcase")));
        assert_eq!(cases.len(), 5);
        let failures = doc
            .descendants()
            .filter(|n| n.has_tag_name("failure"))
            .count();
        assert_eq!(failures, 3);

        let names: Vec<(&str, &str)> = cases
            .iter()
            .map(|c| {
                (
                    c.attribute("classname").unwrap(),
                    c.attribute("name").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                (
                    "objects/a,b:c%d e/x.json",
                    "hash-mismatch at objects/a,b:c%d e/x.json:1:1"
                ),
                ("objects/w.json", "dangling-ref at objects/w.json:3:10"),
                ("objects/odd name.txt", "bad-path in objects/odd name.txt"),
                ("objects/w.json", "schema at objects/w.json:2:8"),
                ("berth", "7 files checked"),
            ]
        );

        let failure = cases[0].first_element_child().unwrap();
        assert!(failure.has_tag_name("failure"));
        assert_eq!(failure.attribute("type"), Some("berth::hash-mismatch"));
        assert_eq!(
            failure.attribute("message"),
            Some("line one\nline 100% <broken> & \"quoted\"")
        );
        assert_eq!(
            failure.text(),
            Some("line one\nline 100% <broken> & \"quoted\"\nhelp: restore it: git checkout")
        );

        let warning = cases[1].first_element_child().unwrap();
        assert!(warning.has_tag_name("system-out"));
        assert!(!cases[1].descendants().any(|n| n.has_tag_name("failure")));
        assert_eq!(
            warning.text().unwrap(),
            format!(
                "no <such> object\nhelp: {}\npointer: /a/b",
                Code::DanglingRef.help()
            )
        );

        // The tab and carriage return survive; the control character XML cannot hold is dropped.
        let whole_file = cases[2].first_element_child().unwrap();
        assert_eq!(whole_file.attribute("message"), Some("tab\there\r"));
        assert!(
            whole_file
                .text()
                .unwrap()
                .starts_with("tab\there\r\nhelp: ")
        );

        assert_eq!(cases[4].children().count(), 0);
    }
}

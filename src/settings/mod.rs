//! berth.toml: environments, stores and policies.
//!
//! The file is read strictly (as every object is), checked against the JSON Schema
//! generated from [`SettingsFile`], and then against the rules a schema cannot
//! express (environment graphs, ref names, reserved stores), collecting every
//! problem as a located finding rather than stopping at the first.

mod file;
mod load;
mod named;
mod rules;
mod signers;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, plural, shown_text};
use crate::document::{self, Format};
use crate::repo::{Git, GitError, Head};
use crate::schema;
use crate::signers::AllowedSigners;
use crate::source::{Content, Source, SourceError, WorkTree};

pub use file::{
    CheckLevel, ConfigsSection, DEFAULT_FAIL_CLOSED, EnvironmentSection, RepoSection, SettingsFile,
    StoreSection, containers_file, default_file,
};
pub(crate) use named::NamedFile;

use load::{conforms, remove_pointer, settings_schema, validator};
use rules::Rules;

/// The settings file's name, at the repository root.
pub const FILE: &str = "berth.toml";

/// The default object size limit: 8 MiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 8 * 1024 * 1024;

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file as written (with defaults filled in).
    pub file: SettingsFile,
    /// berth.toml's text, for diagnostics that point into it.
    pub text: Arc<str>,
    /// Severity overrides by code.
    pub checks: BTreeMap<Code, CheckLevel>,
    /// The allowed-signers files berth.toml names, by path, as read when the
    /// settings were loaded (none when they were only parsed).
    pub signers: BTreeMap<String, Arc<AllowedSigners>>,
}

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum LoadError {
    /// No berth.toml at the repository root.
    #[error("this git repository has no berth.toml at its root")]
    #[diagnostic(
        code("berth::not-a-berth-repository"),
        help("run `berth init` to start managing this repository with berth")
    )]
    Missing,
    /// The revision read has no berth.toml, nor has HEAD, but the working tree
    /// has one: it was never committed.
    #[error("berth.toml is not committed: the working tree has one, but `{revision}` has none")]
    #[diagnostic(
        code("berth::settings-not-committed"),
        help("commit it (`git add berth.toml`, then `git commit`) and run the command again")
    )]
    NotCommitted {
        /// The revision, as given.
        revision: String,
    },
    /// The index has no berth.toml, but the working tree has one.
    #[error("berth.toml is not staged: the working tree has one, but the index has none")]
    #[diagnostic(
        code("berth::settings-not-staged"),
        help("stage it (`git add berth.toml`) and run the command again")
    )]
    NotStaged,
    /// berth.toml, or a schema it names, breaks rules; every problem is a finding.
    #[error("berth.toml or a schema it names is invalid ({})", plural(.0.len(), "problem"))]
    #[diagnostic(
        code("berth::invalid-settings"),
        help("fix the problems reported below")
    )]
    Invalid(#[related] Vec<Finding>),
    /// berth.toml could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
}

impl LoadError {
    /// This error as said of what was read from `head`. A revision or the index
    /// without berth.toml, in a repository whose working tree has one, is not a
    /// repository berth has no settings for: its berth.toml is not committed (when
    /// HEAD has none either) or not staged, and the error says which.
    ///
    /// What cannot be read to tell leaves the error as it was: it still says that
    /// berth.toml is missing where it was looked for.
    pub fn of_head(self, git: &Git, head: Head<'_>) -> LoadError {
        if !matches!(self, LoadError::Missing)
            || !WorkTree::new(git.workdir()).exists(FILE).unwrap_or(false)
        {
            return self;
        }
        match head {
            Head::WorkTree => self,
            Head::Index => LoadError::NotStaged,
            Head::Revision(revision) => match committed_at_head(git) {
                Ok(false) => LoadError::NotCommitted {
                    revision: revision.to_owned(),
                },
                Ok(true) | Err(_) => self,
            },
        }
    }
}

/// Whether the commit HEAD names has berth.toml (before the first commit, it has
/// not).
pub fn committed_at_head(git: &Git) -> Result<bool, GitError> {
    match git.ref_target("HEAD")? {
        Some(head) => Ok(git.entry(git.commit(head)?.tree, FILE)?.is_some()),
        None => Ok(false),
    }
}

impl Settings {
    /// Reads and validates berth.toml from a source.
    pub fn load(source: &dyn Source) -> Result<Settings, LoadError> {
        let bytes = match source.read(FILE, DEFAULT_MAX_OBJECT_BYTES) {
            Ok(None) => return Err(LoadError::Missing),
            Ok(Some(Content::TooLarge { size })) => {
                return Err(LoadError::Invalid(vec![Finding::new(
                    Code::TooLarge,
                    FILE,
                    format!(
                        "berth.toml is {size} bytes, over the {DEFAULT_MAX_OBJECT_BYTES}-byte limit"
                    ),
                )]));
            }
            Ok(Some(Content::Bytes(bytes))) => bytes,
            // A linked berth.toml is not read: its target may be anything on the
            // machine, and its lines would be echoed in diagnostics.
            Err(error) => {
                return Err(match error.finding() {
                    Some(finding) => LoadError::Invalid(vec![finding]),
                    None => error.into(),
                });
            }
        };
        match document::text(&bytes) {
            Ok(text) => {
                let mut settings = Settings::parse(text).map_err(LoadError::Invalid)?;
                let findings = signers::load(&mut settings, source)?;
                if findings.is_empty() {
                    Ok(settings)
                } else {
                    Err(LoadError::Invalid(findings))
                }
            }
            Err(problem) => Err(LoadError::Invalid(vec![Finding::parse_problem(
                FILE,
                &shown_text(&bytes),
                &problem,
            )])),
        }
    }

    /// Parses and validates berth.toml's text.
    pub fn parse(text: &str) -> Result<Settings, Vec<Finding>> {
        let text: Arc<str> = Arc::from(text);
        let data = document::parse_text(&text, Format::Toml)
            .map_err(|problem| vec![Finding::parse_problem(FILE, &text, &problem)])?;
        // Compiling the schema costs milliseconds (its patterns build Unicode
        // automata), more than the rest of a promotion. Settings that read as typed
        // settings and meet every constraint the schema states need no schema run;
        // anything else goes through it, for located findings.
        if let Ok(file) = serde_json::from_value::<SettingsFile>(data.clone())
            && conforms(&file)
        {
            let mut findings = Vec::new();
            let checks = Rules { text: &text }.check(&file, &mut findings);
            return if findings.is_empty() {
                Ok(Settings {
                    file,
                    text,
                    checks,
                    signers: BTreeMap::new(),
                })
            } else {
                Err(findings)
            };
        }
        let mut findings = schema::check_described(
            validator(),
            Some(settings_schema()),
            &data,
            FILE,
            &text,
            Format::Toml,
        );
        // The rules read typed settings. Without the keys the schema does not know,
        // the rest may still read as settings: check it too, so that one misspelt
        // key does not hide every other problem.
        let mut rest = data.clone();
        for pointer in schema::unknown_keys(validator(), &data) {
            remove_pointer(&mut rest, &pointer);
        }
        let file = match serde_json::from_value::<SettingsFile>(rest) {
            Ok(file) => file,
            Err(error) if findings.is_empty() => {
                return Err(vec![Finding::new(Code::Schema, FILE, error.to_string())]);
            }
            Err(_) => return Err(findings),
        };
        let rules = Rules { text: &text };
        let checks = rules.check(&file, &mut findings);
        if findings.is_empty() {
            Ok(Settings {
                file,
                text,
                checks,
                signers: BTreeMap::new(),
            })
        } else {
            Err(findings)
        }
    }

    /// The branch that holds the catalog.
    pub fn catalog(&self) -> &str {
        &self.file.repo.catalog
    }

    /// The object size limit in bytes.
    pub fn max_object_bytes(&self) -> u64 {
        self.file.repo.max_object_bytes
    }

    /// The path of the allowed-signers file for environment `name`: its own, or
    /// the repository's.
    pub fn allowed_signers_path(&self, name: &str) -> Option<&str> {
        self.environment(name)
            .and_then(|section| section.allowed_signers.as_deref())
            .or(self.file.repo.allowed_signers.as_deref())
    }

    /// Who may sign environment `name`'s commits, as read when the settings
    /// were loaded; `None` when berth.toml names no file for it.
    pub fn allowed_signers(&self, name: &str) -> Option<&Arc<AllowedSigners>> {
        self.allowed_signers_path(name)
            .and_then(|path| self.signers.get(path))
    }

    /// An environment by name.
    pub fn environment(&self, name: &str) -> Option<&EnvironmentSection> {
        self.file.environments.get(name)
    }

    /// The ref environment `name` lives at.
    pub fn env_ref(&self, name: &str) -> String {
        format!("{}{name}", self.file.repo.env_ref_prefix)
    }

    /// The remote the team shares through, when a command names none.
    pub fn remote(&self) -> &str {
        &self.file.repo.remote
    }

    /// Where `git fetch` keeps a remote's copy of environment `name`: a branch
    /// `refs/heads/env/dev` is tracked as `refs/remotes/<remote>/env/dev`, as
    /// `git clone` puts it. An environment outside `refs/heads/` has none.
    pub fn tracking_env_ref(&self, remote: &str, name: &str) -> Option<String> {
        tracking_ref(&self.env_ref(name), remote)
    }

    /// The environments, each after those it receives from (dev, staging,
    /// production), ties by name. berth.toml has no cycles once it is loaded.
    pub fn environment_order(&self) -> Vec<&str> {
        let environments = &self.file.environments;
        let mut order: Vec<&str> = Vec::with_capacity(environments.len());
        let mut remaining: Vec<(&str, &EnvironmentSection)> = environments
            .iter()
            .map(|(name, section)| (name.as_str(), section))
            .collect();
        while !remaining.is_empty() {
            let (ready, waiting): (Vec<_>, Vec<_>) =
                remaining.into_iter().partition(|(_, section)| {
                    section.from.iter().all(|source| {
                        order.contains(&source.as_str()) || !environments.contains_key(source)
                    })
                });
            if ready.is_empty() {
                // A cycle, which loaded settings never have: keep the rest by name.
                order.extend(waiting.iter().map(|(name, _)| *name));
                break;
            }
            order.extend(ready.iter().map(|(name, _)| *name));
            remaining = waiting;
        }
        order
    }

    /// The user-defined stores.
    pub fn stores(&self) -> &BTreeMap<String, StoreSection> {
        &self.file.stores
    }

    /// The severity a finding of `code` has here, or `None` if the check is off.
    pub fn severity(&self, code: Code) -> Option<crate::diagnostic::finding::Severity> {
        use crate::diagnostic::finding::Severity;
        match self.checks.get(&code) {
            None => Some(code.default_severity()),
            Some(CheckLevel::Error) => Some(Severity::Error),
            Some(CheckLevel::Warning) => Some(Severity::Warning),
            Some(CheckLevel::Off) => None,
        }
    }
}

/// The remote-tracking ref of a branch: `refs/heads/env/dev` of `origin` is
/// tracked as `refs/remotes/origin/env/dev`. Refs outside `refs/heads/` have none.
pub fn tracking_ref(refname: &str, remote: &str) -> Option<String> {
    let branch = refname.strip_prefix("refs/heads/")?;
    Some(format!("refs/remotes/{remote}/{branch}"))
}

// Readers decide this in `env::tip`; it is here, in the layer below, because an
// object shown from an environment (`objects::lookup::ShownObject`) carries it too.
/// An environment read from the remote's copy because this clone has no ref of
/// its own for it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct RemoteRead {
    /// The environment.
    pub environment: String,
    /// The remote-tracking ref read, such as `refs/remotes/origin/env/dev`.
    #[serde(rename = "ref")]
    pub refname: String,
    /// Its own ref, which this clone does not have.
    pub missing: String,
}

impl std::fmt::Display for RemoteRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: read from {} (no local {})",
            self.environment, self.refname, self.missing
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_on_branches_are_tracked_by_the_remote() {
        let cases = [
            (
                "refs/heads/env/dev",
                "origin",
                Some("refs/remotes/origin/env/dev"),
            ),
            (
                "refs/heads/dev",
                "upstream",
                Some("refs/remotes/upstream/dev"),
            ),
            ("refs/berth/env/dev", "origin", None),
        ];
        for (refname, remote, tracking) in cases {
            assert_eq!(
                tracking_ref(refname, remote).as_deref(),
                tracking,
                "{refname}"
            );
        }
    }

    fn codes(text: &str) -> Vec<(Code, Option<String>)> {
        match Settings::parse(text) {
            Ok(_) => Vec::new(),
            Err(findings) => findings.into_iter().map(|f| (f.code, f.pointer)).collect(),
        }
    }

    #[test]
    fn the_default_file_is_valid_and_complete() {
        let settings = Settings::parse(&default_file("main")).unwrap();
        assert_eq!(settings.catalog(), "main");
        assert_eq!(settings.file.repo.env_ref_prefix, "refs/heads/env/");
        assert_eq!(settings.file.environments["staging"].from, ["dev"]);
        assert!(settings.file.environments["production"].require_ready);
        assert!(settings.stores()["worker-bundles"].external);
        assert_eq!(
            settings.file.configs.fail_closed,
            ["pricing", "budget", "autonomy", "billing"]
        );
    }

    #[test]
    fn empty_file_takes_defaults() {
        let settings = Settings::parse("").unwrap();
        assert_eq!(settings.catalog(), "main");
        assert_eq!(settings.remote(), "origin");
        assert_eq!(settings.max_object_bytes(), DEFAULT_MAX_OBJECT_BYTES);
        assert!(settings.file.environments.is_empty());
        assert_eq!(settings.file.configs.fail_closed, DEFAULT_FAIL_CLOSED);
    }

    #[test]
    fn fail_closed_is_the_default_until_berth_toml_sets_it() {
        for (text, fail_closed) in [
            ("", &DEFAULT_FAIL_CLOSED[..]),
            ("[configs]\n", &DEFAULT_FAIL_CLOSED[..]),
            ("[configs]\nfail_closed = []\n", &[][..]),
            ("[configs]\nfail_closed = [\"hours\"]\n", &["hours"][..]),
        ] {
            let settings = Settings::parse(text).unwrap();
            assert_eq!(settings.file.configs.fail_closed, fail_closed, "{text:?}");
            // What berth.toml says survives a round trip, an empty list included.
            let again: SettingsFile =
                toml::from_str(&toml::to_string(&settings.file).unwrap()).unwrap();
            assert_eq!(again.configs, settings.file.configs, "{text:?}");
        }
    }

    #[test]
    fn problems() {
        type Case<'a> = (&'a str, &'a [(Code, Option<&'a str>)]);
        let cases: &[Case<'_>] = &[
            (
                "[repo]\ncatalogue = \"main\"\n",
                &[(Code::Schema, Some("/repo/catalogue"))],
            ),
            (
                "[repo]\ncatalog = \"a..b\"\n",
                &[(Code::Schema, Some("/repo/catalog"))],
            ),
            (
                "[repo]\nenv_ref_prefix = \"env/\"\n",
                &[(Code::Schema, Some("/repo/env_ref_prefix"))],
            ),
            (
                "[repo]\nremote = \"up..stream\"\n",
                &[(Code::Schema, Some("/repo/remote"))],
            ),
            (
                "[environments.Prod]\n",
                &[(Code::BadName, Some("/environments/Prod"))],
            ),
            (
                "[environments.\"dev.lock\"]\n",
                &[(Code::BadName, Some("/environments/dev.lock"))],
            ),
            (
                "[environments.\"dev.\"]\n",
                &[(Code::BadName, Some("/environments/dev."))],
            ),
            (
                "[repo]\nenv_ref_prefix = \"refs/heads/main/\"\n[environments.dev]\n",
                &[(Code::Schema, Some("/repo/env_ref_prefix"))],
            ),
            (
                "[repo]\nenv_ref_prefix = \"refs/heads/\"\n[environments.main]\n",
                &[(Code::Schema, Some("/repo/env_ref_prefix"))],
            ),
            (
                "[repo]\ncatalog = \"dev/catalog\"\nenv_ref_prefix = \"refs/heads/\"\n[environments.dev]\n",
                &[(Code::Schema, Some("/repo/env_ref_prefix"))],
            ),
            (
                "[stores.\"a/b\"]\nexternal = true\n",
                &[(Code::BadName, Some("/stores/a~1b"))],
            ),
            (
                "[environments.a]\nfrom = [\"b\"]\n",
                &[(Code::Schema, Some("/environments/a/from/0"))],
            ),
            (
                "[environments.a]\nfrom = [\"a\"]\n",
                &[(Code::Schema, Some("/environments/a/from/0"))],
            ),
            (
                "[environments.a]\nallow_override = true\n",
                &[(Code::Schema, Some("/environments/a/allow_override"))],
            ),
            (
                "[environments.a]\nfrom = [\"b\"]\n[environments.b]\nfrom = [\"a\"]\n",
                &[(Code::Schema, Some("/environments/a/from"))],
            ),
            (
                "[stores.version-sets]\nexternal = true\n",
                &[(Code::Schema, Some("/stores/version-sets"))],
            ),
            (
                "[stores.x]\nexternal = true\npromotable = true\n",
                &[(Code::Schema, Some("/stores/x"))],
            ),
            (
                "[stores.x]\nschema = \"s.json\"\n",
                &[(Code::Schema, Some("/stores/x"))],
            ),
            (
                "[stores.x]\nexternal = true\nschema = \"s.json\"\n",
                &[(Code::Schema, Some("/stores/x"))],
            ),
            (
                "[stores.x]\nschema = \"s.json\"\npartition = \"slug\"\n",
                &[(Code::Schema, Some("/stores/x/partition"))],
            ),
            (
                "[checks]\nno-such-check = \"error\"\n",
                &[(Code::Schema, Some("/checks/no-such-check"))],
            ),
            (
                "[checks]\nhash-mismatch = \"off\"\n",
                &[(Code::Schema, Some("/checks/hash-mismatch"))],
            ),
            (
                "[checks]\ndangling-ref = \"loud\"\n",
                &[(Code::Schema, Some("/checks/dangling-ref"))],
            ),
            (
                "[repo]\ncatalog = \"a\"\ncatalog = \"b\"\n",
                &[(Code::DuplicateKey, None)],
            ),
            ("[repo\n", &[(Code::Parse, None)]),
        ];
        for (text, expected) in cases {
            let expected: Vec<(Code, Option<String>)> = expected
                .iter()
                .map(|(c, p)| (*c, p.map(str::to_owned)))
                .collect();
            assert_eq!(codes(text), expected, "{text}");
        }
    }

    #[test]
    fn a_misspelt_key_does_not_hide_the_other_problems() {
        let found = codes(
            "[repo]\ncolour = \"blue\"\n[environments.a]\nfrom = [\"b\"]\n[checks]\nparse = \"off\"\n",
        );
        let pointers: Vec<&str> = found.iter().filter_map(|(_, p)| p.as_deref()).collect();
        assert_eq!(
            pointers,
            ["/repo/colour", "/environments/a/from/0", "/checks/parse"]
        );
    }

    #[test]
    fn unknown_keys_are_marked_where_they_stand() {
        let text = "[repo]\ncatalog = \"main\"\nfoo = 1\n";
        let findings = Settings::parse(text).unwrap_err();
        let location = findings[0].location.as_ref().unwrap();
        assert_eq!((location.start.line, location.start.column), (3, 7));
    }

    #[test]
    fn severities() {
        let settings = Settings::parse("[checks]\ndangling-ref = \"warning\"\n").unwrap();
        assert_eq!(
            settings.severity(Code::DanglingRef),
            Some(crate::diagnostic::finding::Severity::Warning)
        );
        assert_eq!(
            settings.severity(Code::Parse),
            Some(crate::diagnostic::finding::Severity::Error)
        );
        let settings = Settings::parse("[checks]\ndangling-ref = \"off\"\n").unwrap();
        assert_eq!(settings.severity(Code::DanglingRef), None);
        // A code that informs is a warning unless [checks] says otherwise.
        let warning = Some(crate::diagnostic::finding::Severity::Warning);
        let error = Some(crate::diagnostic::finding::Severity::Error);
        let cases = [
            ("", warning),
            ("[checks]\nenv-override = \"error\"\n", error),
            ("[checks]\nenv-override = \"warning\"\n", warning),
            ("[checks]\nenv-override = \"off\"\n", None),
        ];
        for (text, expected) in cases {
            let settings = Settings::parse(text).unwrap();
            assert_eq!(settings.severity(Code::EnvOverride), expected, "{text:?}");
        }
    }

    /// The fast path skips the schema only when the schema would pass too: for
    /// every constrained value, both say the same.
    #[test]
    fn conforms_agrees_with_the_schema() {
        let long = "a".repeat(129);
        let values: Vec<(&str, Vec<String>)> = vec![
            (
                "[repo]\nenv_ref_prefix = ",
                [
                    "refs/heads/env/",
                    "refs/x/",
                    "refs//",
                    "refs/",
                    "heads/env/",
                    "refs/a",
                    "refs/a\nb/",
                    "refs/a\n/",
                    "refs/é/",
                ]
                .map(String::from)
                .to_vec(),
            ),
            (
                "[repo]\npreview_domain = ",
                [
                    "preview.example.com",
                    "a.b",
                    "example",
                    "-a.b",
                    "a-.b",
                    "a..b",
                    "A.b",
                    "a.b.",
                    ".a.b",
                    "a_b.c",
                    "a.b\n",
                    "x1-2.y3",
                ]
                .map(String::from)
                .to_vec(),
            ),
            (
                "[stores.things]\npartition = \"/slug\"\nschema = ",
                [
                    "schemas/t.schema.json",
                    "x.json",
                    ".json",
                    "/abs.json",
                    "\\a.json",
                    "a.jsonx",
                    "a\nb.json",
                    "\na.json",
                    "é.json",
                    "a.JSON",
                ]
                .map(String::from)
                .to_vec(),
            ),
            (
                "[stores.things]\nschema = \"t.json\"\npartition = ",
                [
                    "/slug", "/a/b", "/a~0b", "/a~1", "", "/", "//a", "/a/", "a", "/a~", "/a~2",
                    "/~01", "/a\nb", "/é",
                ]
                .map(String::from)
                .to_vec(),
            ),
            (
                "[configs]\nfail_closed = ",
                [
                    "pricing",
                    "a..b",
                    "Pricing",
                    "Pricing_V2",
                    "-a",
                    "a b",
                    "a.b_c-d",
                    long.as_str(),
                    "",
                ]
                .map(String::from)
                .to_vec(),
            ),
        ];
        let mut texts: Vec<String> = Vec::new();
        for (head, cases) in &values {
            for value in cases {
                let quoted = toml::Value::String(value.clone()).to_string();
                if head.contains("fail_closed") {
                    texts.push(format!("{head}[{quoted}]\n"));
                } else {
                    texts.push(format!("{head}{quoted}\n"));
                }
            }
        }
        for bytes in ["0", "1", "8388608"] {
            texts.push(format!("[repo]\nmax_object_bytes = {bytes}\n"));
        }
        for from in ["[\"dev\"]", "[\"dev\", \"dev\"]", "[\"dev\", \"qa\"]", "[]"] {
            texts.push(format!(
                "[environments.dev]\n[environments.qa]\n[environments.prod]\nfrom = {from}\n"
            ));
        }
        for text in &texts {
            let data = document::parse_text(text, Format::Toml).unwrap();
            let by_schema = validator().is_valid(&data);
            let by_types =
                serde_json::from_value::<SettingsFile>(data).is_ok_and(|file| conforms(&file));
            assert_eq!(by_types, by_schema, "{text:?}");
        }
    }
}

//! berth.toml: environments, stores and policies.
//!
//! The file is read strictly (as every object is), checked against the JSON Schema
//! generated from [`SettingsFile`], and then against the rules a schema cannot
//! express (environment graphs, ref names, reserved stores), collecting every
//! problem as a located finding rather than stopping at the first.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, plural};
use crate::document::{self, Format};
use crate::names;
use crate::source::{Content, Source, SourceError};
use crate::{repo, schema, store};

/// The settings file's name, at the repository root.
pub const FILE: &str = "berth.toml";

/// The default object size limit: 8 MiB.
pub const DEFAULT_MAX_OBJECT_BYTES: u64 = 8 * 1024 * 1024;

/// berth.toml as written.
#[derive(Debug, Default, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(
    title = "berth.toml",
    description = "How berth manages a repository: the catalog branch, environments and their promotion paths, user-defined stores, config policies and finding severities. Every key is optional."
)]
pub struct SettingsFile {
    /// Repository-wide settings.
    #[serde(default)]
    pub repo: RepoSection,
    /// Environments by name. Each lives at the ref `<env_ref_prefix><name>`.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentSection>,
    /// User-defined stores by name, beside the built-in ones.
    #[serde(default)]
    pub stores: BTreeMap<String, StoreSection>,
    /// Config policies.
    #[serde(default)]
    pub configs: ConfigsSection,
    /// Severity per finding code, for the codes whose severity may change.
    #[serde(default)]
    pub checks: BTreeMap<String, CheckLevel>,
}

/// `[repo]`: repository-wide settings.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepoSection {
    /// The branch whose tree holds the catalog of objects.
    #[serde(default = "default_catalog")]
    pub catalog: String,
    /// Environment E lives at the ref `<env_ref_prefix>E`. Starts with `refs/` and ends with `/`.
    #[serde(default = "default_env_ref_prefix")]
    #[schemars(regex(pattern = r"^refs/.+/$"))]
    pub env_ref_prefix: String,
    /// Domain for preview URLs: `https://<first 12 hex of hash>.<domain>/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        with = "String",
        regex(pattern = r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
    )]
    pub preview_domain: Option<String>,
    /// The largest object file berth accepts, in bytes.
    #[serde(default = "default_max_object_bytes")]
    #[schemars(range(min = 1))]
    pub max_object_bytes: u64,
}

impl Default for RepoSection {
    fn default() -> Self {
        RepoSection {
            catalog: default_catalog(),
            env_ref_prefix: default_env_ref_prefix(),
            preview_domain: None,
            max_object_bytes: default_max_object_bytes(),
        }
    }
}

fn default_catalog() -> String {
    "main".to_owned()
}

fn default_env_ref_prefix() -> String {
    "refs/heads/env/".to_owned()
}

fn default_max_object_bytes() -> u64 {
    DEFAULT_MAX_OBJECT_BYTES
}

/// `[environments.<name>]`: one environment.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentSection {
    /// The environments this one may receive from: an object must have been the
    /// package's object in one of them, now or earlier.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("uniqueItems" = true))]
    pub from: Vec<String>,
    /// Promotion needs a `ready` event for the object and no later failure,
    /// deprecation, archival or artifact deletion.
    #[serde(default)]
    pub require_ready: bool,
    /// Promotion commits must be signed with a key from the allowed-signers file.
    #[serde(default)]
    pub require_signed: bool,
}

/// `[stores.<name>]`: a user-defined store.
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// The store's objects live outside the repository: references into it are
    /// checked for form (`<store>/<id>`) only.
    #[serde(default)]
    pub external: bool,
    /// Path, from the repository root, of the JSON Schema its objects must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^[^/\\].*\.json$"))]
    pub schema: Option<String>,
    /// JSON pointer to the partition key (a name) in each object, e.g. `/slug`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^(/([^/~]|~[01])+)+$"))]
    pub partition: Option<String>,
    /// JSON pointer to a semver version in each object; enables semver checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String", regex(pattern = r"^(/([^/~]|~[01])+)+$"))]
    pub version: Option<String>,
    /// Objects of this store can be promoted to environments.
    #[serde(default)]
    pub promotable: bool,
}

/// `[configs]`: config policies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigsSection {
    /// Config types that must resolve: with no answer, resolution is an error
    /// rather than "none". When berth.toml does not set it, with or without a
    /// `[configs]` table, it is pricing, budget, autonomy and billing;
    /// `fail_closed = []` makes every type fail open.
    #[serde(default = "default_fail_closed")]
    #[schemars(extend("items" = {"type": "string", "pattern": names::CONFIG_TYPE_PATTERN}))]
    pub fail_closed: Vec<String>,
}

/// The config types the source document (004) makes fail closed: no charge
/// without a rate, no routing without a budget check, no autonomous action
/// without guardrails, no bill without billing terms.
pub const DEFAULT_FAIL_CLOSED: [&str; 4] = ["pricing", "budget", "autonomy", "billing"];

fn default_fail_closed() -> Vec<String> {
    DEFAULT_FAIL_CLOSED.map(str::to_owned).to_vec()
}

impl Default for ConfigsSection {
    fn default() -> Self {
        ConfigsSection {
            fail_closed: default_fail_closed(),
        }
    }
}

/// The severity berth.toml gives a finding code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    /// The finding fails validation.
    Error,
    /// The finding is reported but does not fail validation.
    Warning,
    /// The check does not run.
    Off,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The file as written (with defaults filled in).
    pub file: SettingsFile,
    /// berth.toml's text, for diagnostics that point into it.
    pub text: Arc<str>,
    /// Severity overrides by code.
    pub checks: BTreeMap<Code, CheckLevel>,
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
    /// berth.toml, or a schema it names, breaks rules; every problem is a finding.
    #[error("berth.toml or a schema it names is invalid ({})", plural(.0.len(), "problem"))]
    #[diagnostic(
        code("berth::invalid-settings"),
        help("fix the problems reported above")
    )]
    Invalid(#[related] Vec<Finding>),
    /// berth.toml could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
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
            Ok(text) => Settings::parse(text).map_err(LoadError::Invalid),
            Err(problem) => Err(LoadError::Invalid(vec![Finding::parse_problem(
                FILE,
                &Arc::from(String::from_utf8_lossy(&bytes).as_ref()),
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
                Ok(Settings { file, text, checks })
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
            Ok(Settings { file, text, checks })
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

    /// An environment by name.
    pub fn environment(&self, name: &str) -> Option<&EnvironmentSection> {
        self.file.environments.get(name)
    }

    /// The ref environment `name` lives at.
    pub fn env_ref(&self, name: &str) -> String {
        format!("{}{name}", self.file.repo.env_ref_prefix)
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
            None | Some(CheckLevel::Error) => Some(Severity::Error),
            Some(CheckLevel::Warning) => Some(Severity::Warning),
            Some(CheckLevel::Off) => None,
        }
    }
}

fn settings_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(schema::schema_of::<SettingsFile>)
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| schema::compile_builtin(settings_schema()))
}

/// Whether typed settings meet the constraints the schema puts on values beyond
/// their types (patterns, ranges, unique items): the same answer as the schema, as
/// the tests check, without compiling it.
fn conforms(file: &SettingsFile) -> bool {
    let repo = &file.repo;
    let prefix_ok = repo
        .env_ref_prefix
        .strip_prefix("refs/")
        .and_then(|rest| rest.strip_suffix('/'))
        .is_some_and(|middle| !middle.is_empty() && !middle.contains('\n'));
    let domain_ok = repo.preview_domain.as_deref().is_none_or(|domain| {
        let labels: Vec<&str> = domain.split('.').collect();
        labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            })
    });
    let from_unique = file.environments.values().all(|environment| {
        let unique: BTreeSet<&String> = environment.from.iter().collect();
        unique.len() == environment.from.len()
    });
    let stores_ok = file.stores.values().all(|store| {
        store.schema.as_deref().is_none_or(schema_path_conforms)
            && store.partition.as_deref().is_none_or(pointer_conforms)
            && store.version.as_deref().is_none_or(pointer_conforms)
    });
    let fail_closed_ok = file
        .configs
        .fail_closed
        .iter()
        .all(|name| names::is_config_type(name));
    prefix_ok
        && domain_ok
        && repo.max_object_bytes >= 1
        && from_unique
        && stores_ok
        && fail_closed_ok
}

/// `^[^/\\].*\.json$`: a first character that is not a slash, then no line break
/// before a final `.json`.
fn schema_path_conforms(path: &str) -> bool {
    let mut chars = path.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    first != '/'
        && first != '\\'
        && chars
            .as_str()
            .strip_suffix(".json")
            .is_some_and(|middle| !middle.contains('\n'))
}

/// `^(/([^/~]|~[01])+)+$`: a JSON pointer with no empty segment.
fn pointer_conforms(pointer: &str) -> bool {
    let Some(rest) = pointer.strip_prefix('/') else {
        return false;
    };
    rest.split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .split('~')
                .skip(1)
                .all(|after| after.starts_with('0') || after.starts_with('1'))
    })
}

/// Removes an object member named by a JSON pointer.
fn remove_pointer(data: &mut Value, pointer: &str) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    if let Some(Value::Object(map)) = data.pointer_mut(parent) {
        map.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

/// The rules of berth.toml that its schema cannot express.
struct Rules<'a> {
    text: &'a Arc<str>,
}

impl Rules<'_> {
    fn finding(&self, code: Code, pointer: &str, message: String, help: String) -> Finding {
        Finding::new(code, FILE, message)
            .with_help(help)
            .at_pointer(self.text, Format::Toml, pointer)
    }

    fn check(
        &self,
        file: &SettingsFile,
        findings: &mut Vec<Finding>,
    ) -> BTreeMap<Code, CheckLevel> {
        let repo_section = &file.repo;
        if !repo::is_valid_ref_name(&format!("refs/heads/{}", repo_section.catalog)) {
            findings.push(self.finding(
                Code::Schema,
                "/repo/catalog",
                format!("`{}` is not a valid branch name", repo_section.catalog),
                "name a branch git accepts, such as `main`".to_owned(),
            ));
        }
        if !repo::is_valid_ref_name(&format!("{}x", repo_section.env_ref_prefix)) {
            findings.push(self.finding(
                Code::Schema,
                "/repo/env_ref_prefix",
                format!(
                    "`{}` does not make valid ref names",
                    repo_section.env_ref_prefix
                ),
                "use a prefix such as `refs/heads/env/`".to_owned(),
            ));
        }
        self.check_environment_refs(file, findings);
        self.check_environments(&file.environments, findings);
        self.check_stores(&file.stores, findings);
        self.check_levels(&file.checks, findings)
    }

    /// Each environment's full ref is one git accepts (`check-ref-format`: no
    /// component ending in `.lock` or `.`), and none can coexist with the catalog
    /// branch's: git keeps `refs/heads/main` and `refs/heads/main/dev` as a file and
    /// a directory of the same name, so it cannot have both.
    fn check_environment_refs(&self, file: &SettingsFile, findings: &mut Vec<Finding>) {
        let prefix = &file.repo.env_ref_prefix;
        let catalog = format!("refs/heads/{}", file.repo.catalog);
        let nested = |a: &str, b: &str| {
            a == b
                || a.strip_prefix(b).is_some_and(|rest| rest.starts_with('/'))
                || b.strip_prefix(a).is_some_and(|rest| rest.starts_with('/'))
        };
        for name in file.environments.keys() {
            if names::check(name).is_err() {
                // The name rule's own finding says what is wrong.
                continue;
            }
            let mut pointer = "/environments".to_owned();
            document::push_segment(&mut pointer, name);
            let refname = format!("{prefix}{name}");
            if !repo::is_valid_ref_name(&refname) {
                findings.push(self.finding(
                    Code::BadName,
                    &pointer,
                    format!("environment `{name}` would live at `{refname}`, which git does not accept as a ref name"),
                    "git refuses ref names with a part that ends in `.lock` or `.` (see `git help check-ref-format`): rename the environment".to_owned(),
                ));
            } else if nested(&refname, &catalog) {
                findings.push(self.finding(
                    Code::Schema,
                    "/repo/env_ref_prefix",
                    format!("environment `{name}` would live at `{refname}`, which git cannot keep beside the catalog branch `{catalog}`"),
                    "a ref cannot be both a branch and a folder of branches: choose an env_ref_prefix outside the catalog branch's name, such as `refs/heads/env/`".to_owned(),
                ));
            }
        }
    }

    fn check_environments(
        &self,
        environments: &BTreeMap<String, EnvironmentSection>,
        findings: &mut Vec<Finding>,
    ) {
        for (name, environment) in environments {
            let mut pointer = "/environments".to_owned();
            document::push_segment(&mut pointer, name);
            if let Err(error) = names::check(name) {
                findings.push(self.finding(
                    Code::BadName,
                    &pointer,
                    format!("environment {error}"),
                    Code::BadName.help().to_owned(),
                ));
            }
            for (i, source) in environment.from.iter().enumerate() {
                let at = format!("{pointer}/from/{i}");
                if source == name {
                    findings.push(self.finding(
                        Code::Schema,
                        &at,
                        format!("environment `{name}` lists itself in `from`"),
                        "list the environments it receives from, not itself".to_owned(),
                    ));
                } else if !environments.contains_key(source) {
                    let known: Vec<&str> = environments.keys().map(String::as_str).collect();
                    findings.push(self.finding(
                        Code::Schema,
                        &at,
                        format!("environment `{name}` receives from `{source}`, which is not an environment"),
                        format!("declare `[environments.{source}]` or use one of: {}", known.join(", ")),
                    ));
                }
            }
        }
        if let Some(cycle) = find_cycle(environments) {
            let mut pointer = "/environments".to_owned();
            document::push_segment(&mut pointer, cycle.first().map_or("", String::as_str));
            pointer.push_str("/from");
            findings.push(
                self.finding(
                    Code::Schema,
                    &pointer,
                    format!(
                        "environments receive from each other in a cycle: {}",
                        cycle.join(" -> ")
                    ),
                    "promotion paths must lead one way, from the first environment to the last"
                        .to_owned(),
                ),
            );
        }
    }

    fn check_stores(&self, stores: &BTreeMap<String, StoreSection>, findings: &mut Vec<Finding>) {
        for (name, store) in stores {
            let mut pointer = "/stores".to_owned();
            document::push_segment(&mut pointer, name);
            if let Err(error) = names::check(name) {
                findings.push(self.finding(
                    Code::BadName,
                    &pointer,
                    format!("store {error}"),
                    Code::BadName.help().to_owned(),
                ));
                continue;
            }
            if store::BUILTIN_STORES.contains(&name.as_str()) {
                findings.push(self.finding(
                    Code::Schema,
                    &pointer,
                    format!("`{name}` is a built-in store and cannot be redefined"),
                    format!(
                        "choose another name; built-in stores are {}",
                        store::BUILTIN_STORES.join(", ")
                    ),
                ));
                continue;
            }
            if store.external {
                let extra: Vec<&str> = [
                    ("schema", store.schema.is_some()),
                    ("partition", store.partition.is_some()),
                    ("version", store.version.is_some()),
                    ("promotable", store.promotable),
                ]
                .into_iter()
                .filter_map(|(key, set)| set.then_some(key))
                .collect();
                if !extra.is_empty() {
                    findings.push(self.finding(
                        Code::Schema,
                        &pointer,
                        format!("external store `{name}` sets {}, which only stores held in the repository use", extra.join(", ")),
                        "remove them, or drop `external = true` to hold the store's objects here".to_owned(),
                    ));
                }
            } else {
                for (key, set) in [
                    ("schema", store.schema.is_some()),
                    ("partition", store.partition.is_some()),
                ] {
                    if !set {
                        findings.push(self.finding(
                            Code::Schema,
                            &pointer,
                            format!("store `{name}` has no `{key}`"),
                            format!("a store held in the repository needs `schema` and `partition`; set `{key}`, or `external = true` for a store kept elsewhere"),
                        ));
                    }
                }
            }
        }
    }

    fn check_levels(
        &self,
        levels: &BTreeMap<String, CheckLevel>,
        findings: &mut Vec<Finding>,
    ) -> BTreeMap<Code, CheckLevel> {
        let mut checks = BTreeMap::new();
        for (name, level) in levels {
            let mut pointer = "/checks".to_owned();
            document::push_segment(&mut pointer, name);
            match name.parse::<Code>() {
                Ok(code) if code.configurable() => {
                    checks.insert(code, *level);
                }
                Ok(code) => findings.push(self.finding(
                    Code::Schema,
                    &pointer,
                    format!("`{code}` is an integrity check; its severity cannot change"),
                    format!(
                        "remove `{code}` from [checks]; checks that can change: {}",
                        configurable_codes()
                    ),
                )),
                Err(error) => findings.push(self.finding(
                    Code::Schema,
                    &pointer,
                    error.to_string(),
                    format!("checks that can change: {}", configurable_codes()),
                )),
            }
        }
        checks
    }
}

fn configurable_codes() -> String {
    Code::ALL
        .iter()
        .filter(|code| code.configurable())
        .map(|code| code.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A cycle in the `from` graph, as the environments along it (first repeated last).
fn find_cycle(environments: &BTreeMap<String, EnvironmentSection>) -> Option<Vec<String>> {
    fn visit<'a>(
        name: &'a str,
        environments: &'a BTreeMap<String, EnvironmentSection>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| *n == name) {
            let mut cycle: Vec<String> = path.iter().skip(start).map(|n| (*n).to_owned()).collect();
            cycle.push(name.to_owned());
            return Some(cycle);
        }
        if !done.insert(name) {
            return None;
        }
        path.push(name);
        let sources = environments
            .get(name)
            .map(|e| e.from.as_slice())
            .unwrap_or_default();
        for source in sources.iter().filter(|s| *s != name) {
            if let Some(cycle) = visit(source, environments, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    environments
        .keys()
        .find_map(|name| visit(name, environments, &mut Vec::new(), &mut done))
}

/// The berth.toml that `berth init` writes.
pub fn default_file(catalog: &str) -> String {
    format!(
        r#"# berth.toml: how berth manages this repository. Every key is optional.

[repo]
catalog = "{catalog}"               # branch whose tree holds the catalog of objects
env_ref_prefix = "refs/heads/env/"  # environment E lives at <prefix>E

[environments.dev]

[environments.staging]
from = ["dev"]                      # may only receive what dev has held

[environments.production]
from = ["staging"]
require_ready = true                # objects need a `ready` event (berth mark)
require_signed = false              # promotion commits must be signed

# Stores that version sets refer to but whose objects live outside this
# repository: references into them are checked for form only.
[stores.worker-bundles]
external = true

[stores.asset-bundles]
external = true

[stores.d1-plans]
external = true

[stores.env-manifests]
external = true

[stores.infra-plans]
external = true

[stores.grants]
external = true

# Config types that must resolve: with no config in force for an asset, its
# campaign or its account, `berth config resolve` is an error rather than "none".
[configs]
fail_closed = ["pricing", "budget", "autonomy", "billing"]
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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

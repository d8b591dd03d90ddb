//! The rules of berth.toml a schema cannot say: environment graphs without
//! cycles, ref names git can hold, stores that are not berth's own.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::FILE;
use super::file::{CheckLevel, EnvironmentSection, SettingsFile, StoreSection};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document::{self, Format};
use crate::names;
use crate::{repo, store};

/// The rules of berth.toml that its schema cannot express.
pub(super) struct Rules<'a> {
    pub(super) text: &'a Arc<str>,
}

impl Rules<'_> {
    fn finding(&self, code: Code, pointer: &str, message: String, help: String) -> Finding {
        Finding::new(code, FILE, message)
            .with_help(help)
            .at_pointer(self.text, Format::Toml, pointer)
    }

    pub(super) fn check(
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
        if !repo::is_valid_ref_name(&format!("refs/remotes/{}/x", repo_section.remote)) {
            findings.push(self.finding(
                Code::Schema,
                "/repo/remote",
                format!("`{}` is not a valid remote name", repo_section.remote),
                "name a remote git accepts, such as `origin` (`git remote` lists them)".to_owned(),
            ));
        }
        self.check_environment_refs(file, findings);
        self.check_environments(&file.environments, findings);
        self.check_signers(file, findings);
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

    /// Every environment that requires signatures has an allowed-signers file,
    /// and every allowed-signers path stays inside the repository.
    fn check_signers(&self, file: &SettingsFile, findings: &mut Vec<Finding>) {
        if let Some(path) = &file.repo.allowed_signers {
            self.check_signers_path(path, "/repo/allowed_signers", findings);
        }
        for (name, environment) in &file.environments {
            let mut pointer = "/environments".to_owned();
            document::push_segment(&mut pointer, name);
            if let Some(path) = &environment.allowed_signers {
                self.check_signers_path(path, &format!("{pointer}/allowed_signers"), findings);
            } else if environment.require_signed && file.repo.allowed_signers.is_none() {
                findings.push(self.finding(
                    Code::Schema,
                    &format!("{pointer}/require_signed"),
                    format!("environment `{name}` requires signed commits, but no allowed-signers file says whose signatures it accepts"),
                    format!("add `allowed_signers = \"<path>\"` to `[environments.{name}]` (or to `[repo]`), naming a file of the catalog in git's allowed-signers format (`ssh-keygen -Y verify`'s ALLOWED SIGNERS)"),
                ));
            }
        }
    }

    fn check_signers_path(&self, path: &str, pointer: &str, findings: &mut Vec<Finding>) {
        if path.starts_with('/')
            || path.contains('\\')
            || path
                .split('/')
                .any(|segment| segment.is_empty() || segment == "." || segment == "..")
        {
            findings.push(self.finding(
                Code::Schema,
                pointer,
                format!(
                    "allowed-signers path `{path}` leaves the repository or has empty segments"
                ),
                "give a path inside the repository, such as `signers/production`".to_owned(),
            ));
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
            if environment.allow_override && environment.from.is_empty() {
                findings.push(self.finding(
                    Code::Schema,
                    &format!("{pointer}/allow_override"),
                    format!("environment `{name}` receives from the catalog, where every promotion path starts: `allow_override` has no path to skip"),
                    "remove `allow_override`, or set it on an environment that receives from others (`from`)".to_owned(),
                ));
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

//! berth.toml's sections as types: what the file may say, with the defaults of
//! what it leaves out. The published schema is generated from them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::DEFAULT_MAX_OBJECT_BYTES;
use crate::names;

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
    /// How `berth versions sync` reaches image registries.
    #[serde(default)]
    pub registries: RegistriesSection,
}

/// `[registries]`: how `berth versions sync` reaches image registries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistriesSection {
    /// Registries (`host` for every port, or `host:port`) reached over plain
    /// HTTP. Loopback addresses always are; every other registry is reached
    /// over HTTPS.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insecure: Vec<String>,
    /// Path, from the repository root, of a PEM file of CA certificates trusted
    /// besides the system's roots (a private registry's CA).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    /// How many requests one sync may send (default 2000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_requests: Option<u64>,
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
    /// The git remote the team shares the catalog and the environments through:
    /// what `berth fetch` and `--push` use when no remote is named.
    #[serde(default = "default_remote")]
    pub remote: String,
    /// Path, from the repository root, of the allowed-signers file (git's
    /// `gpg.ssh.allowedSignersFile` format) for environments that name none of
    /// their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub allowed_signers: Option<String>,
}

impl Default for RepoSection {
    fn default() -> Self {
        RepoSection {
            catalog: default_catalog(),
            env_ref_prefix: default_env_ref_prefix(),
            preview_domain: None,
            max_object_bytes: default_max_object_bytes(),
            remote: default_remote(),
            allowed_signers: None,
        }
    }
}

fn default_remote() -> String {
    "origin".to_owned()
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
    /// Every commit that sets an entry must carry an SSH signature that
    /// verifies, by a key the allowed-signers file (`allowed_signers`, else
    /// `[repo] allowed_signers`) lists at the commit's time. berth signs the
    /// commits it writes here with git's signing key (`user.signingKey`), and
    /// refuses one the file does not allow.
    #[serde(default)]
    pub require_signed: bool,
    /// Path, from the repository root, of the allowed-signers file (git's
    /// `gpg.ssh.allowedSignersFile` format) that says who may sign this
    /// environment's commits; read from the same catalog commit as berth.toml.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub allowed_signers: Option<String>,
    /// A promotion may skip the promotion path when it gives a reason (a hotfix
    /// while production is down): its commit carries a `Berth-Override` trailer
    /// with the reason, and the audit reports the entry as `env-override`, a
    /// warning, instead of `promotion-path`. Only environments with `from` have a
    /// path to skip.
    #[serde(default)]
    pub allow_override: bool,
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

/// The berth.toml that `berth init` writes for an estate of version sets (the
/// `workers` template, the default).
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
allow_override = false              # hotfixes may skip the path, with a reason

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

/// The berth.toml that `berth init` writes for an estate of container services
/// (the `containers` template): the same environments, no version-set stores, and
/// comments on how components, version maps and releases are used.
pub fn containers_file(catalog: &str) -> String {
    // Padded so that the comment lines up with the others whatever the name.
    let catalog = format!("\"{catalog}\"");
    format!(
        r#"# berth.toml: how berth manages this repository. Every key is optional.
#
# An estate of container services. Each image a service ships is a component:
# components/<name>.toml names its image repository and how its tags read as
# versions (`berth component add`). Its version map,
# components/<name>.versions.toml, records the digest each tag named when it was
# imported (`berth versions import`); it is append-only, so a tag moved to other
# bytes is caught. A release is a version of a package, such as a service: the
# image digests it ships, resolved from tags through the version maps (`berth
# release create`). Environments hold releases; a promotion moves one.

[repo]
catalog = {catalog:<25} # branch whose tree holds the catalog of objects
env_ref_prefix = "refs/heads/env/"  # environment E lives at <prefix>E

[environments.dev]

[environments.staging]
from = ["dev"]                      # may only receive what dev has held

[environments.production]
from = ["staging"]
require_ready = true                # releases need a `ready` event (berth mark)
require_signed = false              # promotion commits must be signed
allow_override = false              # hotfixes may skip the path, with a reason

# Config types that must resolve: with no config in force for an asset, its
# campaign or its account, `berth config resolve` is an error rather than "none".
# Empty here, so every type may answer "none": list the ones that must not.
[configs]
fail_closed = []
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    #[test]
    fn the_containers_file_has_the_environments_and_no_stores() {
        let settings = Settings::parse(&containers_file("trunk")).unwrap();
        assert_eq!(settings.catalog(), "trunk");
        let environments = &settings.file.environments;
        assert_eq!(
            environments.keys().collect::<Vec<_>>(),
            ["dev", "production", "staging"]
        );
        assert!(environments["dev"].from.is_empty());
        assert_eq!(environments["staging"].from, ["dev"]);
        assert_eq!(environments["production"].from, ["staging"]);
        assert!(environments["production"].require_ready);
        assert!(settings.file.stores.is_empty());
        assert!(settings.file.configs.fail_closed.is_empty());
    }
}

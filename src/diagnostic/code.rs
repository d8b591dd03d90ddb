//! Finding codes: stable names, what each means, and how to fix it.

use std::fmt;
use std::str::FromStr;

use super::finding::Severity;

macro_rules! codes {
    (@severity) => { Severity::Error };
    (@severity $severity:ident) => { Severity::$severity };
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, configurable: $configurable:literal,
            $(severity: $severity:ident,)?
            description: $description:literal,
            help: $help:literal;
    )*) => {
        /// A stable finding code, written `berth::<name>` in diagnostics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, in documentation order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name,)* }
            }

            /// What the finding means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => $description,)* }
            }

            /// How to fix it, when the finding has nothing more specific to say.
            pub fn help(self) -> &'static str {
                match self { $(Code::$variant => $help,)* }
            }

            /// Whether `[checks]` in berth.toml may change its severity. Integrity
            /// checks may not: every other guarantee rests on them.
            pub fn configurable(self) -> bool {
                match self { $(Code::$variant => $configurable,)* }
            }

            /// The severity a finding has unless berth.toml's `[checks]` sets
            /// another: an error, but for what only informs (`severity:
            /// Warning` below).
            pub fn default_severity(self) -> Severity {
                match self { $(Code::$variant => codes!(@severity $($severity)?),)* }
            }
        }
    };
}

codes! {
    /// A file is not well-formed JSON or TOML, not UTF-8, or holds a number JSON
    /// cannot carry.
    Parse = "parse", configurable: false,
        description: "A file is not well-formed JSON or TOML, is not UTF-8, or holds NaN, an infinity or an integer beyond ±(2^53 − 1).",
        help: "fix the syntax at the marked position; objects are strict JSON (RFC 8259) or TOML";
    /// Data does not match its kind's schema, or a field breaks a rule of its kind.
    Schema = "schema", configurable: false,
        description: "An object, berth.toml or a user-defined schema does not match its schema, or a field breaks a rule of its kind.",
        help: "change the marked field to match the schema; `schemas/` in berth's repository has the JSON Schemas editors can use";
    /// An object's file name is not the hash of its data.
    HashMismatch = "hash-mismatch", configurable: false,
        description: "An object's file name is not the SHA-256 of its canonical data: the file was edited after it was written.",
        help: "objects are immutable: restore the file from git (`git checkout -- <file>`), and put the changed data as a new object with `berth put`";
    /// A path is in conflict in the index.
    Unmerged = "unmerged", configurable: false,
        description: "A path is unmerged in the index: a merge, rebase or cherry-pick stopped on a conflict there, so what would be committed is not decided yet.",
        help: "resolve the conflict (edit the file, then `git add <file>`), or abort (`git merge --abort`), and validate again";
    /// A file sits where the layout has no place for it.
    BadPath = "bad-path", configurable: false,
        description: "A file under objects/ is not at objects/<store>/<partition>/<sha256>.<json|toml>, sits in the wrong partition or an unknown store, or is stored twice; or a file berth reads (berth.toml, a schema, a component file, an object) is a symlink, lies below a symlinked directory, or is not a regular file.",
        help: "let `berth put` place objects; move or remove files that are not objects";
    /// A store, partition, package or environment name breaks the name rule.
    BadName = "bad-name", configurable: false,
        description: "A store, partition, package or environment name does not match ^[a-z0-9][a-z0-9._-]{0,127}$ or contains `..`.",
        help: "use lowercase letters, digits, `.`, `_` and `-`, starting with a letter or digit, without `..`";
    /// The same key appears twice in one JSON object or TOML table.
    DuplicateKey = "duplicate-key", configurable: false,
        description: "The same key appears twice in one JSON object or TOML table, so readers disagree on its value.",
        help: "remove one of the two entries";
    /// An object file exceeds the size limit.
    TooLarge = "too-large", configurable: false,
        description: "An object file is larger than the limit (8 MiB unless berth.toml sets [repo] max_object_bytes).",
        help: "keep large artifacts outside the repository and refer to them from an external store";
    /// A reference does not resolve.
    DanglingRef = "dangling-ref", configurable: true,
        description: "A `<store>/<hash>` reference names an object that is not in the repository, or a store berth.toml does not declare.",
        help: "put the referenced object first, fix the hash, or declare the store in berth.toml (`external = true` for stores kept outside the repository)";
    /// A release component names an image by tag without its digest.
    TagNotDigest = "tag-not-digest", configurable: false,
        description: "A release component has no `sha256:<64 hex>` digest: a release is a set of digests, and a tag alone can be moved to other bytes.",
        help: "resolve the tag to its digest (`berth release create` does it through the component's version map) and write `digest = \"sha256:...\"`";
    /// A release names a component the registry does not have.
    UnknownComponent = "unknown-component", configurable: false,
        description: "A release names a component that has no components/<name>.toml in the registry.",
        help: "register the component with `berth component add`, or correct the name";
    /// A release pins a digest its component's version map does not record.
    UnknownDigest = "unknown-digest", configurable: true,
        description: "A release component's digest is not in the component's version map, so nothing vouches for which tag and version it is.",
        help: "import the component's tags with `berth versions import`, or pick a digest the map records (`berth versions ls <component>`)";
    /// A component's version rule is not a regular expression.
    BadRule = "bad-rule", configurable: false,
        description: "A component's tag_pattern, semver_extract, rule pattern or prerelease_pattern does not compile as a regular expression, or a version map entry breaks the map's rules.",
        help: "fix the regular expression (Rust regex syntax: no look-around or backreferences)";
    /// A tag recorded in a version map points at another digest now.
    TagMoved = "tag-moved", configurable: false,
        description: "A tag a component's version map records with one digest is recorded, or imported, with another: the image behind the tag was replaced, which is how tampering looks.",
        help: "a moved tag is a security signal: find out who pushed it; record the new image under a new tag, and keep the map's entry as it was";
    /// An entry was removed from or changed in an append-only version map.
    VersionMapEdited = "version-map-edited", configurable: false,
        description: "An entry that the base's version map records was removed or changed: version maps are append-only.",
        help: "restore the entry as the base has it (`git checkout <base> -- <file>`) and add new entries with `berth versions import`";
    /// A package's versions do not increase in the order they were made.
    VersionNotIncreasing = "version-not-increasing", configurable: true,
        description: "An object's version is not greater than the version of an object of the same package made before it, or two objects of a package claim one version.",
        help: "give the new object a version above every earlier one of its package (`berth ls` lists a package's objects)";
    /// A version bump is smaller than the change requires.
    SemverUnderstated = "semver-understated", configurable: true,
        description: "A version's declared semver bump over the previous version of its package is smaller than the change requires: removals, type changes and a component's major bump are major, additions minor, anything else patch.",
        help: "raise the version to at least the required bump, so that rollout tooling sees the change for what it is";
    /// A list that held elements is empty or missing in the next version.
    EmptiedList = "emptied-list", configurable: true,
        description: "A list that held elements in the previous version of a package is empty or missing in the next, the COALESCE trap: a release that silently ships without its integrations.",
        help: "write the list in full in the new version; if it really is meant to be empty, declare a major bump and say so in review, or lower `emptied-list` in [checks]";
    /// A config id's versions skip a number.
    ConfigVersionGap = "config-version-gap", configurable: false,
        description: "A config id's versions are not contiguous from 1: a version is missing, so what was in force during its time cannot be told.",
        help: "restore the missing version from git (`git log --diff-filter=D -- objects/configs/<id>/`); versions are written by `berth config set`, one after the other";
    /// Two files claim the same version of a config id.
    ConfigVersionDuplicate = "config-version-duplicate", configurable: false,
        description: "Two objects claim the same version of a config id, or carry the same idempotency key: two writers each wrote the version one of them should have, the lost update optimistic locking prevents.",
        help: "keep one of the two, and write the other's change as the next version with `berth config set`, expecting the current version";
    /// A config version does not take effect after the version before it.
    ConfigTimeOrder = "config-time-order", configurable: false,
        description: "A config version's effective_at is not after the effective_at of the version before it, so the versions do not follow each other in time.",
        help: "write the change as a new version whose effective_at is after the previous version's (`berth config set` takes the time a version takes effect)";
    /// A field fixed for a config id changed between versions.
    ConfigFixedFieldChanged = "config-fixed-field-changed", configurable: true,
        description: "A config version changes type, category, applies_to or scope from the version before it: those fields are fixed for a config id.",
        help: "a breaking change is a new config type (such as `pricing_v2`) under a new id; keep the fixed fields of this id as they were";
    /// Two configs are current for one type and entity at once.
    ConfigOverlap = "config-overlap", configurable: false,
        description: "Two config ids are current for the same type and applies_to at the same instant, so resolving that type for the entity has two answers.",
        help: "change the existing config with a new version of it instead of creating another id, or apply the new one to another entity";
    /// A release pins a config version that does not exist.
    UnknownConfig = "unknown-config", configurable: true,
        description: "A release's `configs` pins a config id and version that the repository does not hold.",
        help: "pin a version that exists (`berth config history <id>` lists them), or write the config first with `berth config set`";
    /// An object that exists on the base was changed.
    ObjectModified = "object-modified", configurable: false,
        description: "An object file that exists on the base revision was changed: objects are immutable once committed.",
        help: "restore the file as the base has it (`git checkout <base> -- <file>`) and put the changed data as a new object with `berth put`";
    /// An object that exists on the base was removed.
    ObjectDeleted = "object-deleted", configurable: true,
        description: "An object file that exists on the base revision was removed, so references, environments and history that name it may no longer resolve.",
        help: "restore the file (`git checkout <base> -- <file>`); objects are kept for as long as anything may name them";
    /// An environment names an object its tree does not hold.
    EnvDangling = "env-dangling", configurable: false,
        description: "An environment's state.toml names an object, or an object's reference, that the environment's own tree does not hold.",
        help: "environment commits are written by `berth promote` and `berth rollback`, which copy every object they name; promote the package again to repair the environment";
    /// An object file in an environment's tree does not hash to its name.
    EnvHashMismatch = "env-hash-mismatch", configurable: false,
        description: "An object file in an environment's tree is not the SHA-256 of its canonical data: it was edited in the environment.",
        help: "promote the package again from its source environment, which writes the object as it was put";
    /// An environment's state.toml cannot be read or disagrees with its objects.
    EnvState = "env-state", configurable: false,
        description: "An environment's state.toml cannot be read, or an entry's `references` is not the set of in-repo objects its object refers to.",
        help: "environment commits are written by `berth promote` and `berth rollback`; find the last good one with `git reflog <ref>` and promote again from there";
    /// An environment took an object by a path berth.toml does not allow.
    PromotionPath = "promotion-path", configurable: true,
        description: "An environment holds an object that did not come through the promotion path berth.toml sets for it (`from`), such as a commit made by hand that skips an environment.",
        help: "revert the commit and promote through the environments berth.toml names (`berth promote <package>@<from>`, from an environment it receives from)";
    /// An environment that requires signed commits holds an unsigned one.
    UnsignedPromotion = "unsigned-promotion", configurable: true,
        description: "An environment with `require_signed = true` holds an entry set by a commit that carries no signature.",
        help: "restore what the commit set with `berth repair <env>` and promote again: berth signs its commits with git's signing key (`gpg.format = ssh`, `user.signingKey`); or drop `require_signed` for the environment";
    /// An environment that requires signed commits holds one whose signature
    /// does not verify.
    BadSignature = "bad-signature", configurable: true,
        description: "An environment with `require_signed = true` holds an entry set by a commit whose signature does not verify: the commit was changed after it was signed, the signature was copied from another commit or forged, or it is no SSH signature made for git.",
        help: "revert the commit (`berth repair <env>` restores what it set) and promote again, signed with an allowed key; `berth verify <env>` lists every commit's signature";
    /// An environment that requires signed commits holds one signed by a key
    /// its allowed-signers file does not allow.
    SignerNotAllowed = "signer-not-allowed", configurable: true,
        description: "An environment with `require_signed = true` holds an entry set by a commit whose signature verifies, but with a key its allowed-signers file does not list for git at the commit's time (not listed, or outside its `valid-after`/`valid-before`).",
        help: "revert the commit and promote again signed with an allowed key, or add the signer's key to the environment's allowed-signers file in a reviewed change to the catalog";
    /// An entry came by a hotfix that skipped the promotion path, where berth.toml
    /// allows that.
    EnvOverride = "env-override", configurable: true, severity: Warning,
        description: "An environment entry came by a promotion that skipped the promotion path berth.toml sets (a hotfix, `Berth-Override` with its reason), into an environment with `allow_override = true`; everything else about it verifies.",
        help: "the warning stays while the entry is the hotfix: promote the next version along the environments berth.toml names to replace it, or set `env-override` in [checks]";
    /// A change moves an environment to a commit outside its own history.
    EnvRewritten = "env-rewritten", configurable: true,
        description: "A reviewed change moves an environment to a commit whose history lacks the environment's commit before the change (a reset or a force-push), dropping promotions from the log that lineage and audits read.",
        help: "move environments forward only: to undo a promotion, `berth rollback` records it as a new commit";
    /// An environment's history holds a commit that a repair restored.
    EnvRepaired = "env-repaired", configurable: true, severity: Warning,
        description: "An environment's history holds a commit berth cannot verify (made by hand, forged, squash-merged) whose changes a later `berth repair` commit restored; a warning by default, naming the repair's reason.",
        help: "nothing to do: the repair restored every entry the commit changed, and the history keeps what happened";
}

impl Code {
    /// The code as miette prints it: `berth::<name>`.
    pub fn qualified(self) -> String {
        format!("berth::{}", self.name())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a finding code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a finding code")]
pub struct UnknownCode(pub String);

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let name = name.strip_prefix("berth::").unwrap_or(name);
        Code::ALL
            .iter()
            .copied()
            .find(|code| code.name() == name)
            .ok_or_else(|| UnknownCode(name.to_owned()))
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Code::ALL.iter().map(|code| code.name()).collect();
        schemars::json_schema!({
            "description": "A finding code; diagnostics print it as `berth::<code>`.",
            "type": "string",
            "enum": names,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_kebab_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            let name = code.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !name.starts_with('-'),
                "{name} is not kebab-case"
            );
            assert_eq!(name.parse::<Code>(), Ok(code));
            assert_eq!(code.qualified().parse::<Code>(), Ok(code));
            assert!(code.description().ends_with('.'), "{name}");
            assert!(!code.help().is_empty(), "{name}");
        }
    }
}

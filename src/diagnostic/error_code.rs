//! Error codes: why a command did not do what it was asked, as stable names.
//!
//! A finding ([`super::Code`]) is something wrong in a repository; an error is a
//! command that stopped. The two share the `berth::` prefix and no name, so a code
//! always means one thing. A command that refuses because of what the validator
//! also reports (a name that breaks the name rule, a path that does not verify)
//! carries that finding's code instead of one of these.
//!
//! The errors of each module name their code in `#[diagnostic(code(...))]`, which
//! takes only a literal; `tests/it/codes.rs` keeps every literal in `src/` a code
//! listed here or a finding code, and every code listed here in use.

use std::fmt;

macro_rules! error_codes {
    ($( $variant:ident = $name:literal: $description:literal; )*) => {
        /// A stable error code, written `berth::<name>` in diagnostics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ErrorCode {
            $( #[doc = $description] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in documentation order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The kebab-case name.
            pub fn name(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            /// Why a command stops with it.
            pub fn description(self) -> &'static str {
                match self { $(ErrorCode::$variant => $description,)* }
            }
        }
    };
}

error_codes! {
    Usage = "usage": "The command line does not parse: an unknown command or flag, a missing argument, a value of the wrong form.";
    BadPair = "bad-pair": "A flag that takes KEY=VALUE was given a value without `=`.";
    BadOutputs = "bad-outputs": "`--format` and `--output` do not pair up, or more than one format would go to standard output.";
    FormatNotHere = "format-not-here": "`berth diff --format markdown` of two things that are not both releases.";
    AtNeedsEnvironment = "at-needs-environment": "A time was given for an object named by its hash, which never changes; a time applies to what an environment held.";
    BadRef = "bad-ref": "A string given as an object (`<store>/<hash>`, a hash prefix, `<package>@<env>`) does not name one.";
    BadRevision = "bad-revision": "A revision given does not name a commit of the repository.";
    BadTime = "bad-time": "A time given is not an RFC 3339 instant.";
    BadSourceDateEpoch = "bad-source-date-epoch": "SOURCE_DATE_EPOCH is set to something other than a whole number of seconds since 1970 that is a date.";
    BadVersion = "bad-version": "A version given is not a semantic version, or the version a config write expects leaves no version to write.";
    BadPin = "bad-pin": "A component pin is not NAME=TAG or NAME=DIGEST, or names one component twice.";
    BadTag = "bad-tag": "A tag given for a promotion is not one berth accepts.";
    BadSetting = "bad-setting": "A setting to change in a config is not KEY=VALUE with a TOML value berth keeps exactly, or the settings file is not a table.";
    UnknownStore = "unknown-store": "A store named is not one of the repository's stores.";
    ExternalStore = "external-store": "A store named is external: its objects live outside the repository, so there is nothing to put or read.";
    UnknownEnvironment = "unknown-environment": "An environment named is not in berth.toml.";
    NotEnvironment = "not-environment": "A revision given as an environment's is not a commit of an environment (it has no state.toml).";
    AmbiguousEnvironment = "ambiguous-environment": "A pull request's base is an environment's commit, but which environment's cannot be told: its ref names none, and not exactly one environment's log holds it.";
    EnvPullRequestFlags = "env-pull-request-flags": "Environments' commits were named besides a base that makes the pull request one into an environment, whose commits are the base and the head.";
    UnreadableInput = "unreadable-input": "A file given on the command line is missing, unreadable, a directory, or not a regular file.";
    ObjectNotFound = "object-not-found": "No object matches the reference, on the catalog branch's tip or in the source environment's history.";
    AmbiguousRef = "ambiguous-ref": "A hash prefix matches more than one object.";
    NotHeld = "not-held": "The environment holds nothing for the package (now, or at the time asked about).";
    NotPromotable = "not-promotable": "The object's store is not promoted to environments, so it has no lifecycle either.";
    NothingNamed = "nothing-named": "A promotion names no object and does not ask for all of them.";
    NoSource = "no-source": "A promotion of everything has no single environment to take from.";
    DuplicatePackage = "duplicate-package": "One promotion names two objects of the same package.";
    InvalidObject = "invalid-object": "An object to write or promote does not validate; its findings are listed.";
    NotReady = "not-ready": "The environment requires a `ready` event and the object has none: it is a draft.";
    Failed = "failed": "The environment requires ready objects and the object's latest event is `failed`.";
    Deprecated = "deprecated": "The environment requires ready objects and the object's latest event is `deprecated` or `archived`.";
    ArtifactDeleted = "artifact-deleted": "The environment requires ready objects and the object's artifact was deleted.";
    OverrideNotAllowed = "override-not-allowed": "A promotion asked to skip the promotion path into an environment whose berth.toml section does not set `allow_override = true`.";
    BadReason = "bad-reason": "The reason given for a commit (skipping the promotion path, a repair) is empty, more than one line, or has control characters.";
    CannotSign = "cannot-sign": "A commit is to be signed (the environment requires it, or git's `commit.gpgSign` with `gpg.format = ssh`) and git has no signing key berth can read: no `user.signingKey`, or one that does not read. Nothing is written.";
    SigningFailed = "signing-failed": "`ssh-keygen -Y sign` (or `gpg.ssh.program`) failed, or made a signature the environment's allowed signers do not accept. Nothing is written.";
    KeyNotAllowed = "key-not-allowed": "The environment requires signed commits and the signing key is not one its allowed-signers file accepts now, so the audit would reject the commit: berth writes none.";
    NoPrevious = "no-previous": "A rollback, but the environment has held only one object for the package.";
    NoCatalog = "no-catalog": "The catalog branch that environments are verified against is missing.";
    BadState = "bad-state": "An environment commit's state.toml or trailers cannot be read.";
    Conflict = "conflict": "A branch, environment or config moved between reading it and writing; nothing was written, and trying again may succeed.";
    Locked = "locked": "A git lock file (the index's or a ref's) is held by another process, or was left behind by one that died.";
    CheckedOut = "checked-out": "The branch to move is checked out in a working tree; berth does not move it underneath.";
    RefClash = "ref-clash": "Another ref's name makes the ref to write impossible (a ref and a directory of refs of one name).";
    DetachedHead = "detached-head": "HEAD is detached, so there is no branch to commit to.";
    NoIdentity = "no-identity": "git does not know who is committing: no user.name or user.email.";
    ShallowRepository = "shallow-repository": "The answer needs history that this shallow clone does not have.";
    NotARepository = "not-a-repository": "The directory is not inside a git repository.";
    BareRepository = "bare-repository": "The repository is bare; berth needs a working tree.";
    NotABerthRepository = "not-a-berth-repository": "The git repository has no berth.toml at its root.";
    SettingsNotCommitted = "settings-not-committed": "The working tree has a berth.toml that is not committed: the commit read has none, or the branch a command would commit onto has none.";
    SettingsNotStaged = "settings-not-staged": "The working tree has a berth.toml that the index, which was to be read, has not.";
    AlreadyInitialized = "already-initialized": "`init` found a berth.toml already there, committed or not.";
    InvalidSettings = "invalid-settings": "berth.toml, or a schema it names, breaks rules; every problem is listed.";
    InvalidRegistry = "invalid-registry": "The component registry, or a file given for it, has problems; every problem is listed.";
    ComponentExists = "component-exists": "The component is already registered.";
    NoComponents = "no-components": "The registry has no component to put in a release.";
    NoVersion = "no-version": "A channel has no version of a component to release.";
    NotARelease = "not-a-release": "The environment's object for the package, which a partial release starts from, is not a release.";
    InvalidConfig = "invalid-config": "A config version does not read as one, or would break an invariant; nothing was written.";
    NoSuchConfig = "no-such-config": "There is no config by that id, or no version of it by that number.";
    ConfigConflict = "config-conflict": "A config is at another version than the one the write expects (optimistic locking).";
    ConfigFixedFields = "config-fixed-fields": "Version 1 of a config lacks a field that stays fixed for its life (type, category, applies_to, scope).";
    ConfigHistory = "config-history": "A config's versions break an invariant, so berth answers nothing from them.";
    ConfigUncommitted = "config-uncommitted": "A config has versions in the working tree that the branch does not, so a write would decide on other state than the one committed.";
    ConfigUnresolved = "config-unresolved": "No config of a fail-closed type is in force for the entity at that time.";
    ConfigAmbiguous = "config-ambiguous": "More than one config of a type is in force for one entity at that time, so resolving has no single answer.";
    IdempotencyKeyReused = "idempotency-key-reused": "An idempotency key already wrote a different change: this request is not a retry of that write.";
    HookExists = "hook-exists": "A pre-commit hook that berth did not write, or one edited since, is in the way.";
    DemoDirNotEmpty = "demo-dir-not-empty": "The directory given to the demo is not empty.";
    DemoFailed = "demo-failed": "A step of the demo did not behave as the demo expects (a bug in berth).";
    Io = "io": "A file could not be read or written.";
    Output = "output": "Standard output or a report file could not take the results (a full disk, a closed file); a closed pipe is not this error.";
    Git = "git": "A git operation failed.";
    GitCommand = "git-command": "A git command berth runs could not run or failed.";
    UnknownRemote = "unknown-remote": "The remote named, or berth.toml's `[repo] remote`, is not a remote of the repository.";
    RemoteUnreachable = "remote-unreachable": "git could not fetch from or push to the remote: the network, its URL, credentials, or no repository there.";
    RemoteRefMissing = "remote-ref-missing": "The remote lacks a ref berth must fetch, such as the catalog branch.";
    PushRefused = "push-refused": "The remote's server refused a push (a hook, a protected branch); its own words are shown.";
    EnvDiverged = "env-diverged": "A local environment ref has promotions the remote's has not; it is left alone, and a push onto the remote's tip would drop them.";
    UntrackedEnvironments = "untracked-environments": "Environments live outside refs/heads/, so a remote keeps no remote-tracking refs for them and they cannot be fetched or pushed.";
    UnpublishedSource = "unpublished-source": "A promotion to push takes its object from a commit the remote does not have (committed locally, never pushed); pushing would publish it unreviewed.";
    UnpushedCommits = "unpushed-commits": "A write to push (`--commit --push`) onto a branch that has commits the remote lacks; pushing would publish them unasked.";
    RemoteChanged = "remote-changed": "A file a write to push reads or writes changed on the remote's branch since it was read; nothing was written or pushed.";
    WouldOverwrite = "would-overwrite": "Bringing the branch to the remote's tip would overwrite an uncommitted change to a file the remote changed.";
    RemoteNotPlain = "remote-not-plain": "Bringing the branch to the remote's tip would write a link, an executable or a submodule, or write through a link; git itself brings those.";
    PushedNotFollowed = "pushed-not-followed": "The remote took a pushed commit, but the local branch could not be moved to it; `git pull --ff-only` brings it there.";
    RemoteMoved = "remote-moved": "A ref on the remote moved since it was fetched, so a push without force was rejected; fetching again may succeed.";
    BadImageRepository = "bad-image-repository": "A component's `image_repository` is not a repository `versions sync` can reach: no tag or digest, a host and a lowercase name.";
    RegistryUnreachable = "registry-unreachable": "An image registry could not be reached, or the connection broke (a TLS certificate not trusted, a stopped registry); nothing was written.";
    RegistryRefused = "registry-refused": "An image registry answered with an error (no such repository or tag) or with something the distribution API does not answer; nothing was written.";
    RegistryRateLimited = "registry-rate-limited": "An image registry kept answering 429 or 503 after the bounded retries that honor `Retry-After`; nothing was written.";
    RegistryAuth = "registry-auth": "An image registry asks for credentials berth has not got (BERTH_REGISTRY_AUTH, the Docker config file or its credential helper), or refused them; nothing was written.";
    RequestBudget = "request-budget": "A sync would send more requests than its budget (`--max-requests`, berth.toml's `[registries] max_requests`, default 2000); nothing was written.";
}

impl ErrorCode {
    /// The code as miette prints it: `berth::<name>`.
    pub fn qualified(self) -> String {
        format!("berth::{}", self.name())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::ErrorCode;
    use crate::diagnostic::Code;

    #[test]
    fn error_codes_are_kebab_case_and_described() {
        for &code in ErrorCode::ALL {
            let name = code.name();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '-') && !name.starts_with('-'),
                "{name} is not kebab-case"
            );
            assert!(code.description().ends_with('.'), "{name}");
        }
    }

    #[test]
    fn no_name_is_two_codes_among_findings_and_errors() {
        let mut seen = HashSet::new();
        let findings = Code::ALL.iter().map(|code| code.name());
        let errors = ErrorCode::ALL.iter().map(|code| code.name());
        for name in findings.chain(errors) {
            assert!(seen.insert(name), "`{name}` names two codes");
        }
    }
}

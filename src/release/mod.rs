//! Releases as a team makes and reads them: creation from the registry in four
//! modes, comparison, the catalog and a component's history (the release
//! manager's release-manager and release-catalog modules, kept as files).
//!
//! `create` makes a release, `compare` compares two, `catalog` lists them; this
//! file holds their errors and the reading of a release named on the command line.

mod catalog;
mod compare;
mod create;

use catalog::releases_of;
pub use catalog::{Filter, Listed, list};
pub use compare::{ComponentChange, ComponentVersion, Components, ReleaseDiff, compare};
pub use create::{Chosen, CreateOutcome, CreateRequest, Mode, create, parse_pin};

use crate::env::query::show_held;
use crate::env::{EnvError, PackageAt};
use crate::kinds::release::Release;
use crate::names::BadName;
use crate::objects::lookup::{self, LookupError, ObjectSpec, ShownObject};
use crate::objects::put::PutError;
use crate::source::SourceError;
use crate::store::{Object, RELEASES};
use crate::time;
use crate::workspace::Workspace;

/// Why a release could not be created, compared or listed.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ReleaseError {
    /// A name is not a name.
    #[error("{what} {error}")]
    #[diagnostic(
        code("berth::bad-name"),
        help("use lowercase letters, digits, `.`, `_` and `-`")
    )]
    BadName {
        /// What was named.
        what: String,
        /// Why it is not a name.
        error: BadName,
    },
    /// `--version` is not semver.
    #[error("`{version}` is not a semantic version: {error}")]
    #[diagnostic(
        code("berth::bad-version"),
        help("give MAJOR.MINOR.PATCH, such as 1.4.0")
    )]
    BadVersion {
        /// What was given.
        version: String,
        /// Why.
        error: semver::Error,
    },
    /// The registry has no component to release.
    #[error("the registry has no components{}", only_text(.only))]
    #[diagnostic(
        code("berth::no-components"),
        help(
            "register components with `berth component add` and import their tags with `berth versions import`"
        )
    )]
    NoComponents {
        /// The components asked for.
        only: Option<Vec<String>>,
    },
    /// A component named is not registered.
    #[error("`{name}` is not a registered component")]
    #[diagnostic(
        code("berth::unknown-component"),
        help("`berth component ls` lists the components")
    )]
    UnknownComponent {
        /// The name.
        name: String,
    },
    /// A channel has no version of a component.
    #[error("`{component}` has no version in channel `{channel}`")]
    #[diagnostic(
        code("berth::no-version"),
        help(
            "import its tags (`berth versions import {component} <file>`), or pin it to a tag or digest"
        )
    )]
    NoVersion {
        /// The component.
        component: String,
        /// The channel.
        channel: String,
    },
    /// A pin names a tag or digest the version map does not record.
    #[error("`{component}`'s version map records no tag or digest `{pin}`")]
    #[diagnostic(
        code("berth::unknown-digest"),
        help(
            "`berth versions ls {component}` lists what is recorded; import the tag first (`berth versions import`)"
        )
    )]
    UnknownPin {
        /// The component.
        component: String,
        /// What was pinned.
        pin: String,
    },
    /// A `--pin` without `=`.
    #[error("`{text}` is not NAME=TAG or NAME=DIGEST")]
    #[diagnostic(
        code("berth::bad-pin"),
        help("a pin is a component and a tag or digest: api=v2.3.1 or api=sha256:<64 hex>")
    )]
    BadPin {
        /// What was given.
        text: String,
    },
    /// A component was named twice.
    #[error("`{name}` is named twice")]
    #[diagnostic(code("berth::bad-pin"), help("name each component once"))]
    Twice {
        /// The component.
        name: String,
    },
    /// The environment's object for the package is not a release.
    #[error("{target} holds `{object}`, which is not a release")]
    #[diagnostic(
        code("berth::not-a-release"),
        help(
            "a partial release starts from a release; promote one first, or make the release from a channel or from pins"
        )
    )]
    NotARelease {
        /// `<package>@<env>`.
        target: String,
        /// What it holds.
        object: String,
    },
    /// The package already has a release of that version.
    #[error("{package} {version} exists already as {object}")]
    #[diagnostic(
        code("berth::version-not-increasing"),
        help(
            "a version names one release: choose a version above every release of the package (`berth release ls` lists them)"
        )
    )]
    VersionTaken {
        /// The package.
        package: String,
        /// The version.
        version: String,
        /// The release that has it.
        object: String,
    },
    /// The registry does not read.
    #[error("the component registry has problems")]
    #[diagnostic(
        code("berth::invalid-registry"),
        help("fix the problems reported below; `berth validate` lists them too")
    )]
    Registry(#[related] Vec<crate::diagnostic::finding::Finding>),
    /// A pinned config version could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// An environment could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Env(#[from] EnvError),
    /// A malformed `<package>@<env>`.
    #[error(transparent)]
    #[diagnostic(transparent)]
    PackageAt(#[from] crate::env::BadPackageAt),
    /// A malformed object reference.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spec(#[from] lookup::BadSpec),
    /// An object could not be found.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Lookup(#[from] LookupError),
    /// Writing the release failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Put(#[from] PutError),
    /// A file could not be read.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] SourceError),
    /// `SOURCE_DATE_EPOCH` is not a time.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Epoch(#[from] time::BadEpoch),
    /// The release could not be written as JSON.
    #[error("could not write the release: {0}")]
    #[diagnostic(code("berth::io"), help("this is a bug in berth; please report it"))]
    Serialize(#[from] serde_json::Error),
}

fn only_text(only: &Option<Vec<String>>) -> String {
    only.as_ref()
        .map_or_else(String::new, |names| format!(" among {}", names.join(", ")))
}

/// Reads an object named on the command line: `<store>/<hash>`, a hash prefix, or
/// `<package>@<env>`.
pub fn read_ref(workspace: &Workspace, text: &str) -> Result<ShownObject, ReleaseError> {
    if text.contains('@') {
        let target: PackageAt = text.parse()?;
        return Ok(show_held(workspace, &target, None)?);
    }
    let spec: ObjectSpec = text.parse()?;
    Ok(lookup::show(workspace, &spec)?)
}

/// The release an object is, if it is one: `None` for an object of another
/// store, and for one that does not read as a release (the validator reports
/// it; it is compared as any object is).
pub fn as_release(shown: &ShownObject) -> Option<Release> {
    if shown.store != RELEASES {
        return None;
    }
    Object::from_data(&shown.path, &shown.data)
        .ok()
        .map(|release| release.data)
}

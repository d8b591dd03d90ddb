//! Releases as a team makes and reads them: creation from the registry in four
//! modes, comparison, the catalog and a component's history (the release
//! manager's release-manager and release-catalog modules, kept as files).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::env::query::show_held;
use crate::env::{EnvError, PackageAt};
use crate::kinds::component::Registry;
use crate::kinds::event::{Derived, Event, Lifecycle};
use crate::kinds::release::{ConfigPin, Release, ReleaseComponent, Role, SourceRef, is_digest};
use crate::lifecycle::{self, Held};
use crate::names::{self, BadName};
use crate::objects::lookup::{self, LookupError, ObjectSpec, ShownObject};
use crate::objects::put::{InputFile, PutError, PutOutcome, PutRequest, put};
use crate::repo::Onto;
use crate::source::SourceError;
use crate::store::{Object, RELEASES};
use crate::time;
use crate::workspace::Workspace;

/// How `release create` picks each component's digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Full: every component at the head of its default channel.
    Full,
    /// Channel: every component at the head of one channel.
    Channel(String),
    /// Pinned: each component named, at a tag or digest.
    Pinned(Vec<(String, String)>),
    /// Partial: what an environment holds, with some components moved to the head
    /// of their default channel.
    Partial {
        /// The environment.
        environment: String,
        /// The components to update.
        update: Vec<String>,
    },
}

/// What to create.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    /// The package.
    pub package: String,
    /// The release's version.
    pub version: String,
    /// How to pick digests.
    pub mode: Mode,
    /// Only these components, if given.
    pub only: Option<Vec<String>>,
    /// Roles other than `primary`, by component.
    pub roles: BTreeMap<String, Role>,
    /// Where it was built from.
    pub source: SourceRef,
    /// A short name.
    pub name: Option<String>,
    /// The config versions the release pins: (id, version).
    pub configs: Vec<(String, u64)>,
    /// Commit the release.
    pub commit: bool,
}

/// How one component's digest was chosen.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Chosen {
    /// The component.
    pub name: String,
    /// The digest.
    pub digest: String,
    /// The tag it was resolved from.
    pub tag: Option<String>,
    /// Its version.
    pub semver: Option<String>,
    /// Why this digest: `head of stable`, `pinned v1.2.0`, `held by production`.
    pub how: String,
}

/// What `berth release create` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CreateOutcome {
    /// The release's object: `releases/<hash>`.
    pub object: String,
    /// The release as written.
    pub release: Value,
    /// Each component's digest and why.
    pub components: Vec<Chosen>,
    /// How it was put.
    pub put: PutOutcome,
    /// The preview URL, when berth.toml sets a preview domain.
    pub preview_url: Option<String>,
}

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
        help("fix the problems reported above; `berth validate` lists them too")
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

fn name(what: &str, text: &str) -> Result<(), ReleaseError> {
    names::check(text).map_err(|error| ReleaseError::BadName {
        what: what.to_owned(),
        error,
    })
}

/// Parses `NAME=TAG|DIGEST`.
pub fn parse_pin(text: &str) -> Result<(String, String), ReleaseError> {
    match text.split_once('=') {
        Some((name, pin)) if !name.is_empty() && !pin.is_empty() => {
            Ok((name.to_owned(), pin.to_owned()))
        }
        _ => Err(ReleaseError::BadPin {
            text: text.to_owned(),
        }),
    }
}

/// Creates a release from the registry and writes it into the `releases` store.
pub fn create(
    workspace: &Workspace,
    request: &CreateRequest,
) -> Result<CreateOutcome, ReleaseError> {
    name("the package", &request.package)?;
    request
        .version
        .parse::<semver::Version>()
        .map_err(|error| ReleaseError::BadVersion {
            version: request.version.clone(),
            error,
        })?;
    let (registry, findings) = Registry::load(&workspace.tree)?;
    if findings.iter().any(|f| f.is_error()) {
        return Err(ReleaseError::Registry(findings));
    }
    let chosen = choose(workspace, &registry, request)?;
    let mut configs = Vec::with_capacity(request.configs.len());
    for (id, version) in &request.configs {
        crate::config::read(workspace, id)?.version(*version)?;
        configs.push(ConfigPin {
            id: id.clone(),
            version: *version,
        });
    }
    let components = chosen
        .iter()
        .map(|(chosen, role)| ReleaseComponent {
            name: chosen.name.clone(),
            digest: chosen.digest.clone(),
            tag: chosen.tag.clone(),
            semver: chosen.semver.clone(),
            role: request.roles.get(&chosen.name).copied().unwrap_or(*role),
        })
        .collect();
    let source = request.source.clone();
    let release = Release {
        package: request.package.clone(),
        version: request.version.clone(),
        name: request.name.clone(),
        display_name: None,
        created_at: workspace.clock.now_to_the_second()?.to_string(),
        source: (source != SourceRef::default()).then_some(source),
        components,
        integrations: None,
        inputs: None,
        configs: (!configs.is_empty()).then_some(configs),
        metadata: BTreeMap::new(),
    };
    let mut bytes = serde_json::to_vec_pretty(&release)?;
    bytes.push(b'\n');
    // `put` checks the object alone; a second release of a version the package
    // already has would fail the validator, so it is refused here.
    if let Some((existing, _)) = releases_of(workspace, Some(&request.package))?
        .into_iter()
        .find(|(_, release)| release.version == request.version)
    {
        return Err(ReleaseError::VersionTaken {
            package: request.package.clone(),
            version: request.version.clone(),
            object: existing.object,
        });
    }
    let files = [InputFile {
        path: PathBuf::from("release.json"),
        name: format!("release {} {}", request.package, request.version),
        bytes: Some(bytes),
    }];
    let message = format!("Release {} {}", request.package, request.version);
    let put = put(
        workspace,
        &PutRequest {
            store: RELEASES,
            files: &files,
            commit: request.commit.then_some(Onto::Tip),
            message: Some(&message),
        },
    )?;
    let (object, hash) = put
        .objects
        .first()
        .map(|o| (o.object.clone(), o.hash.clone()))
        .unwrap_or_default();
    Ok(CreateOutcome {
        object,
        release: serde_json::to_value(&release)?,
        components: chosen.into_iter().map(|(chosen, _)| chosen).collect(),
        preview_url: lifecycle::preview_url(&workspace.settings, &hash),
        put,
    })
}

/// Each component's digest, and its role when the mode carries one over.
fn choose(
    workspace: &Workspace,
    registry: &Registry,
    request: &CreateRequest,
) -> Result<Vec<(Chosen, Role)>, ReleaseError> {
    if let Some(only) = &request.only {
        for component in only {
            if !registry.components.contains_key(component) {
                return Err(ReleaseError::UnknownComponent {
                    name: component.clone(),
                });
            }
        }
    }
    let wanted = |component: &str| {
        request
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|c| c == component))
    };
    let head = |component: &str, channel: &str, how: String| -> Result<Chosen, ReleaseError> {
        let entry = registry
            .head(component, channel)
            .ok_or_else(|| ReleaseError::NoVersion {
                component: component.to_owned(),
                channel: channel.to_owned(),
            })?;
        Ok(Chosen {
            name: component.to_owned(),
            digest: entry.digest.clone(),
            tag: Some(entry.tag.clone()),
            semver: entry.semver.clone(),
            how,
        })
    };
    let mut chosen: Vec<(Chosen, Role)> = Vec::new();
    match &request.mode {
        Mode::Full => {
            for (name, component) in &registry.components {
                if wanted(name) {
                    let channel = &component.default_channel;
                    chosen.push((
                        head(name, channel, format!("head of {channel}"))?,
                        Role::Primary,
                    ));
                }
            }
        }
        Mode::Channel(channel) => {
            for name in registry.components.keys() {
                if wanted(name) {
                    chosen.push((
                        head(name, channel, format!("head of {channel}"))?,
                        Role::Primary,
                    ));
                }
            }
        }
        Mode::Pinned(pins) => {
            let mut seen = BTreeSet::new();
            for (component, pin) in pins {
                if !seen.insert(component) {
                    return Err(ReleaseError::Twice {
                        name: component.clone(),
                    });
                }
                if !registry.components.contains_key(component) {
                    return Err(ReleaseError::UnknownComponent {
                        name: component.clone(),
                    });
                }
                if !wanted(component) {
                    continue;
                }
                let entry = registry.resolve(component, pin);
                let chosen_one = match entry {
                    Some(entry) => Chosen {
                        name: component.clone(),
                        digest: entry.digest.clone(),
                        tag: Some(entry.tag.clone()),
                        semver: entry.semver.clone(),
                        how: format!("pinned {pin}"),
                    },
                    // A digest the component has no map for is taken as given.
                    None if is_digest(pin) && registry.entries(component).is_empty() => Chosen {
                        name: component.clone(),
                        digest: pin.clone(),
                        tag: None,
                        semver: None,
                        how: "pinned by digest".to_owned(),
                    },
                    None => {
                        return Err(ReleaseError::UnknownPin {
                            component: component.clone(),
                            pin: pin.clone(),
                        });
                    }
                };
                chosen.push((chosen_one, Role::Primary));
            }
        }
        Mode::Partial {
            environment,
            update,
        } => {
            let target = PackageAt {
                package: request.package.clone(),
                environment: environment.clone(),
            };
            let held = show_held(workspace, &target, None)?;
            let not_a_release = || ReleaseError::NotARelease {
                target: target.to_string(),
                object: held.object.clone(),
            };
            if held.store != RELEASES {
                return Err(not_a_release());
            }
            let base: Release = Object::from_data(&held.path, &held.data)
                .map_err(|_| not_a_release())?
                .data;
            for component in update {
                if !registry.components.contains_key(component) {
                    return Err(ReleaseError::UnknownComponent {
                        name: component.clone(),
                    });
                }
            }
            for component in &base.components {
                if !wanted(&component.name) || update.contains(&component.name) {
                    continue;
                }
                chosen.push((
                    Chosen {
                        name: component.name.clone(),
                        digest: component.digest.clone(),
                        tag: component.tag.clone(),
                        semver: component.semver.clone(),
                        how: format!("held by {environment}"),
                    },
                    component.role,
                ));
            }
            for component in update.iter().filter(|component| wanted(component)) {
                let role = base
                    .components
                    .iter()
                    .find(|c| &c.name == component)
                    .map_or(Role::Primary, |c| c.role);
                let channel = registry
                    .components
                    .get(component)
                    .map(|c| c.default_channel.clone())
                    .unwrap_or_default();
                chosen.push((
                    head(component, &channel, format!("updated to head of {channel}"))?,
                    role,
                ));
            }
            chosen.sort_by(|a, b| a.0.name.cmp(&b.0.name));
        }
    }
    if chosen.is_empty() {
        return Err(ReleaseError::NoComponents {
            only: request.only.clone(),
        });
    }
    Ok(chosen)
}

/// One component as a release carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ComponentVersion {
    /// The component.
    pub name: String,
    /// Its digest.
    pub digest: String,
    /// Its tag.
    pub tag: Option<String>,
    /// Its version.
    pub semver: Option<String>,
}

impl From<&ReleaseComponent> for ComponentVersion {
    fn from(component: &ReleaseComponent) -> ComponentVersion {
        ComponentVersion {
            name: component.name.clone(),
            digest: component.digest.clone(),
            tag: component.tag.clone(),
            semver: component.semver.clone(),
        }
    }
}

/// A component two releases carry with different digests.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ComponentChange {
    /// The component.
    pub name: String,
    /// In the first release.
    pub from: ComponentVersion,
    /// In the second.
    pub to: ComponentVersion,
}

/// A release's components against another's, matched by name and compared by
/// digest.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Components {
    /// Components only the second carries.
    pub added: Vec<ComponentVersion>,
    /// Components only the first carries.
    pub removed: Vec<ComponentVersion>,
    /// Components both carry, with other digests.
    pub changed: Vec<ComponentChange>,
    /// Components both carry with the same digest.
    pub unchanged: Vec<ComponentVersion>,
}

impl Components {
    /// Compares two lists of components; a first release compares with none.
    pub fn compare(before: &[ReleaseComponent], after: &[ReleaseComponent]) -> Components {
        let index = |components: &[ReleaseComponent]| -> BTreeMap<String, ComponentVersion> {
            components
                .iter()
                .map(|c| (c.name.clone(), ComponentVersion::from(c)))
                .collect()
        };
        let (before, after) = (index(before), index(after));
        let mut components = Components::default();
        for (name, old) in &before {
            match after.get(name) {
                None => components.removed.push(old.clone()),
                Some(new) if new.digest == old.digest => components.unchanged.push(new.clone()),
                Some(new) => components.changed.push(ComponentChange {
                    name: name.clone(),
                    from: old.clone(),
                    to: new.clone(),
                }),
            }
        }
        components.added = after
            .into_iter()
            .filter(|(name, _)| !before.contains_key(name))
            .map(|(_, new)| new)
            .collect();
        components
    }

    /// Whether anything was added, removed or changed.
    pub fn differ(&self) -> bool {
        !(self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty())
    }
}

/// What changes from one release to another.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ReleaseDiff {
    /// The first release: `releases/<hash>`.
    pub from: String,
    /// Its package and version.
    pub from_version: String,
    /// The second release.
    pub to: String,
    /// Its package and version.
    pub to_version: String,
    /// The components, compared.
    #[serde(flatten)]
    pub components: Components,
}

/// Compares two releases component by component, by digest.
pub fn compare(from: (&str, &Release), to: (&str, &Release)) -> ReleaseDiff {
    ReleaseDiff {
        from: from.0.to_owned(),
        from_version: format!("{} {}", from.1.package, from.1.version),
        to: to.0.to_owned(),
        to_version: format!("{} {}", to.1.package, to.1.version),
        components: Components::compare(&from.1.components, &to.1.components),
    }
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

/// A release in the catalog.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Listed {
    /// The object: `releases/<hash>`.
    pub object: String,
    /// The package.
    pub package: String,
    /// The version.
    pub version: String,
    /// When it was made.
    pub created_at: String,
    /// Its components.
    pub components: Vec<ComponentVersion>,
    /// Its lifecycle.
    pub lifecycle: Lifecycle,
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this package.
    pub package: Option<String>,
    /// Only releases that carry this component.
    pub component: Option<String>,
    /// Only releases in this status.
    pub status: Option<Derived>,
}

/// The releases in the working tree, of one package or all, that read as
/// releases (the others are the validator's to report).
fn releases_of(
    workspace: &Workspace,
    package: Option<&str>,
) -> Result<Vec<(lookup::ListedObject, Release)>, ReleaseError> {
    let mut found = Vec::new();
    for object in lookup::list(workspace, Some(RELEASES), package)? {
        let Some(crate::source::Content::Bytes(bytes)) = crate::source::Source::read(
            &workspace.tree,
            &object.path,
            workspace.settings.max_object_bytes(),
        )?
        else {
            continue;
        };
        if let Ok(release) = Object::<Release>::read(&object.path, &bytes) {
            found.push((object, release.data));
        }
    }
    Ok(found)
}

/// The releases of the catalog, newest first.
pub fn list(workspace: &Workspace, filter: &Filter) -> Result<Vec<Listed>, ReleaseError> {
    let held = Held::read(workspace)?;
    let mut events: BTreeMap<String, Vec<Object<Event>>> = BTreeMap::new();
    let mut listed = Vec::new();
    for (object, release) in releases_of(workspace, filter.package.as_deref())? {
        if let Some(component) = &filter.component
            && !release.components.iter().any(|c| &c.name == component)
        {
            continue;
        }
        if !events.contains_key(&object.partition) {
            let found = crate::kinds::event::events_of(&workspace.tree, &object.partition)?;
            events.insert(object.partition.clone(), found);
        }
        let package_events = events.get(&object.partition).map_or(&[][..], Vec::as_slice);
        let lifecycle = lifecycle::lifecycle(
            &workspace.settings,
            package_events,
            &held,
            &object.object,
            &object.hash,
        );
        if filter
            .status
            .is_some_and(|status| status != lifecycle.status)
        {
            continue;
        }
        listed.push(Listed {
            object: object.object,
            package: release.package,
            version: release.version,
            created_at: release.created_at,
            components: release
                .components
                .iter()
                .map(ComponentVersion::from)
                .collect(),
            lifecycle,
        });
    }
    listed.sort_by(|a, b| {
        let time = |l: &Listed| crate::time::parse(&l.created_at).ok();
        time(b)
            .cmp(&time(a))
            .then_with(|| {
                let version = |l: &Listed| l.version.parse::<semver::Version>().ok();
                version(b).cmp(&version(a))
            })
            .then_with(|| a.object.cmp(&b.object))
    });
    Ok(listed)
}

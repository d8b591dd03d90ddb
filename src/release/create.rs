//! Making a release: each component's digest picked from the registry in one of
//! four modes (full, pinned, partial, restricted), the release written like `put`.

use super::{ReleaseError, releases_of};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::env::PackageAt;
use crate::env::query::show_held;
use crate::kinds::component::Registry;
use crate::kinds::release::{ConfigPin, Release, ReleaseComponent, Role, SourceRef, is_digest};
use crate::lifecycle::{self};
use crate::names::{self};
use crate::objects::put::{InputFile, PutOutcome, PutRequest, put};
use crate::repo::{Onto, Push};
use crate::store::{Object, RELEASES};
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
    /// With `commit`: the remote to build the commit on and push it to.
    pub push: Option<String>,
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
            push: request.push.clone().map(|remote| Push {
                remote,
                guard: Vec::new(),
            }),
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
                    // A platform's digest of a multi-arch tag pins that platform's
                    // image; the tag and version are the tag's.
                    Some(entry) => match entry.platform(pin) {
                        Some(platform) => Chosen {
                            name: component.clone(),
                            digest: platform.digest.clone(),
                            tag: Some(entry.tag.clone()),
                            semver: entry.semver.clone(),
                            how: format!("pinned {} of {}", platform.name(), entry.tag),
                        },
                        None => Chosen {
                            name: component.clone(),
                            digest: entry.digest.clone(),
                            tag: Some(entry.tag.clone()),
                            semver: entry.semver.clone(),
                            how: format!("pinned {pin}"),
                        },
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

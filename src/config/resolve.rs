//! `config resolve`: the version in force for a type and an asset, through its
//! scopes, failing open or closed as berth.toml says.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ConfigError;
use super::history::{
    History, Place, Version, VersionView, histories, history, read_files, store_dir,
};
use crate::check::succession::Versioned;
use crate::kinds::config::Scope;
use crate::workspace::Workspace;

/// What `berth config resolve` is asked.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    /// The config type.
    pub config_type: String,
    /// The asset.
    pub asset: String,
    /// Its campaign, if any.
    pub campaign: Option<String>,
    /// Its account, if any.
    pub account: Option<String>,
    /// The time; now when not given.
    pub at: Option<Timestamp>,
}

/// One scope resolution looked at.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Look {
    /// The scope.
    pub scope: Scope,
    /// The entity asked about; absent when none was given for the scope.
    pub applies_to: Option<String>,
    /// Whether it was asked: a more specific scope may have answered first.
    pub asked: bool,
    /// The config version in force there, if any.
    pub found: Option<Found>,
}

/// A config version found at a scope.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Found {
    /// The id.
    pub id: String,
    /// The version.
    pub version: u64,
}

/// What `berth config resolve` answered.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Resolution {
    /// The config type.
    #[serde(rename = "type")]
    pub config_type: String,
    /// The time asked about.
    pub at: String,
    /// Whether the type is fail-closed: no answer is an error.
    pub fail_closed: bool,
    /// The scope that answered, if one did.
    pub scope: Option<Scope>,
    /// The answer: the version in force at the most specific scope that has one.
    pub answer: Option<VersionView>,
    /// Each scope, most specific first.
    pub looked: Vec<Look>,
}

/// Resolves a config type for an asset: asset beats campaign beats account.
/// Configs are matched by `type`, `scope` and `applies_to`, and answer with the
/// version in force at the time asked.
pub fn resolve(workspace: &Workspace, request: &ResolveRequest) -> Result<Resolution, ConfigError> {
    let now = workspace.clock.now()?;
    let at = request.at.unwrap_or(now);
    let files = read_files(workspace, Place::WorkTree, &store_dir())?;
    let asked: [(Scope, Option<&String>); 3] = [
        (Scope::Asset, Some(&request.asset)),
        (Scope::Campaign, request.campaign.as_ref()),
        (Scope::Account, request.account.as_ref()),
    ];
    let mut candidates: BTreeMap<Scope, Vec<History>> = BTreeMap::new();
    for (id, objects) in histories(&files)? {
        let matches = |object: &Versioned| {
            let text = |key: &str| object.data.get(key).and_then(Value::as_str);
            text("type") == Some(request.config_type.as_str())
                && asked.iter().any(|(scope, entity)| {
                    text("scope") == Some(scope.as_str())
                        && entity.is_some_and(|e| text("applies_to") == Some(e.as_str()))
                })
        };
        if !objects.iter().any(matches) {
            continue;
        }
        let history = history(workspace, &id, &objects)?;
        if let Some(first) = history.versions.first() {
            candidates
                .entry(first.config.scope)
                .or_default()
                .push(history);
        }
    }
    let mut looked = Vec::new();
    let mut answer: Option<(Scope, VersionView)> = None;
    for (scope, entity) in asked {
        let Some(entity) = entity else {
            looked.push(Look {
                scope,
                applies_to: None,
                asked: false,
                found: None,
            });
            continue;
        };
        if answer.is_some() {
            looked.push(Look {
                scope,
                applies_to: Some(entity.clone()),
                asked: false,
                found: None,
            });
            continue;
        }
        let in_force: Vec<(&History, &Version)> = candidates
            .get(&scope)
            .into_iter()
            .flatten()
            .filter(|h| {
                h.versions
                    .first()
                    .is_some_and(|v| &v.config.applies_to == entity)
            })
            .filter_map(|h| Some((h, h.at(at)?)))
            .collect();
        if in_force.len() > 1 {
            return Err(ConfigError::Ambiguous {
                config_type: request.config_type.clone(),
                scope,
                applies_to: entity.clone(),
                ids: in_force.iter().map(|(h, _)| h.id.clone()).collect(),
                at: at.to_string(),
            });
        }
        let found = in_force.first().map(|(history, version)| {
            answer = Some((scope, history.view(version, now)));
            Found {
                id: history.id.clone(),
                version: version.config.version,
            }
        });
        looked.push(Look {
            scope,
            applies_to: Some(entity.clone()),
            asked: true,
            found,
        });
    }
    let fail_closed = workspace
        .settings
        .file
        .configs
        .fail_closed
        .contains(&request.config_type);
    if answer.is_none() && fail_closed {
        let looked = looked
            .iter()
            .filter_map(|look| Some(format!("{} `{}`", look.scope, look.applies_to.as_ref()?)))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(ConfigError::Unresolved {
            config_type: request.config_type.clone(),
            looked,
            at: at.to_string(),
        });
    }
    let (scope, answer) = match answer {
        Some((scope, view)) => (Some(scope), Some(view)),
        None => (None, None),
    };
    Ok(Resolution {
        config_type: request.config_type.clone(),
        at: at.to_string(),
        fail_closed,
        scope,
        answer,
        looked,
    })
}

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
use crate::kinds::config_version::Scope;
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
///
/// This reads the configs and the clock; `decide` answers from them.
pub fn resolve(workspace: &Workspace, request: &ResolveRequest) -> Result<Resolution, ConfigError> {
    let now = workspace.clock.now()?;
    let files = read_files(workspace, Place::WorkTree, &store_dir())?;
    let mut candidates = Vec::new();
    for (id, objects) in histories(&files)? {
        // Only the ids that may answer are checked as histories: an id broken
        // elsewhere does not stop this question.
        if objects.iter().any(|object| concerns(request, &object.data)) {
            candidates.push(history(workspace, &id, &objects)?);
        }
    }
    let fail_closed = workspace
        .settings
        .file
        .configs
        .fail_closed
        .contains(&request.config_type);
    decide(request, &candidates, now, fail_closed)
}

/// The scopes a request asks about, most specific first, each with the entity
/// given for it.
fn asked(request: &ResolveRequest) -> [(Scope, Option<&String>); 3] {
    [
        (Scope::Asset, Some(&request.asset)),
        (Scope::Campaign, request.campaign.as_ref()),
        (Scope::Account, request.account.as_ref()),
    ]
}

/// Whether a config version, as written, is of the type asked and applies to one
/// of the entities asked at its scope: its id's history may answer.
fn concerns(request: &ResolveRequest, data: &Value) -> bool {
    let text = |key: &str| data.get(key).and_then(Value::as_str);
    text("type") == Some(request.config_type.as_str())
        && asked(request).iter().any(|(scope, entity)| {
            text("scope") == Some(scope.as_str())
                && entity.is_some_and(|e| text("applies_to") == Some(e.as_str()))
        })
}

/// The decision of `config resolve`, from the checked histories of the ids that
/// `concerns` the request: at each scope in turn, most specific first, the
/// version in force at the time asked (`now` when none is) of the id that
/// applies to the entity given there. The first scope with one answers; two ids
/// in force at one scope are ambiguous; no answer for a fail-closed type is an
/// error.
fn decide(
    request: &ResolveRequest,
    histories: &[History],
    now: Timestamp,
    fail_closed: bool,
) -> Result<Resolution, ConfigError> {
    let at = request.at.unwrap_or(now);
    let mut candidates: BTreeMap<Scope, Vec<&History>> = BTreeMap::new();
    for history in histories {
        if let Some(first) = history.versions.first() {
            candidates
                .entry(first.config.scope)
                .or_default()
                .push(history);
        }
    }
    let mut looked = Vec::new();
    let mut answer: Option<(Scope, VersionView)> = None;
    for (scope, entity) in asked(request) {
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
            .filter_map(|h| Some((*h, h.at(at)?)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::history::tests::{at, history};
    use Scope::{Account, Asset, Campaign};
    use serde_json::json;

    /// Now, for every case: 2025-06-01T00:00:00Z.
    const NOW: &str = "2025-06-01T00:00:00Z";

    /// A `pricing` request for asset `a1`, in campaign `c1` and account `acct`.
    fn request(at: Option<&str>) -> ResolveRequest {
        ResolveRequest {
            config_type: "pricing".to_owned(),
            asset: "a1".to_owned(),
            campaign: Some("c1".to_owned()),
            account: Some("acct".to_owned()),
            at: at.map(|text| text.parse().unwrap()),
        }
    }

    /// The outcome in a line: `asset: asset-1 v2 (current)`, `none`,
    /// `unresolved: ...`, `ambiguous: ...`.
    fn outcome(result: Result<Resolution, ConfigError>) -> String {
        match result {
            Ok(Resolution {
                scope: Some(scope),
                answer: Some(view),
                ..
            }) => format!(
                "{scope}: {} v{} ({})",
                view.config.id, view.config.version, view.state
            ),
            Ok(_) => "none".to_owned(),
            Err(ConfigError::Unresolved { looked, at, .. }) => {
                format!("unresolved at {at}: {looked}")
            }
            Err(ConfigError::Ambiguous { scope, ids, at, .. }) => {
                format!("ambiguous at {scope} at {at}: {}", ids.join(", "))
            }
            Err(other) => format!("error: {other}"),
        }
    }

    /// A table of cases: what it shows, the histories, the time asked, whether
    /// the type is fail-closed, and the outcome.
    type Cases<'a> = [(&'a str, Vec<History>, Option<&'a str>, bool, &'a str)];

    fn check(cases: &Cases<'_>) {
        for (name, histories, when, fail_closed, expected) in cases {
            let got = outcome(decide(&request(*when), histories, at(NOW), *fail_closed));
            assert_eq!(got, *expected, "{name}");
        }
    }

    /// Asset beats campaign beats account; an entity with no config in force lets the next scope answer.
    #[test]
    fn more_specific_scopes_answer_first() {
        check(&[
            (
                "the asset's config beats the campaign's and the account's",
                vec![
                    history("acct-1", Account, "acct", &["2025-01-01T00:00:00Z"]),
                    history("asset-1", Asset, "a1", &["2025-01-01T00:00:00Z"]),
                    history("camp-1", Campaign, "c1", &["2025-01-01T00:00:00Z"]),
                ],
                None,
                true,
                "asset: asset-1 v1 (current)",
            ),
            (
                "without an asset config the campaign's answers",
                vec![
                    history("acct-1", Account, "acct", &["2025-01-01T00:00:00Z"]),
                    history("camp-1", Campaign, "c1", &["2025-01-01T00:00:00Z"]),
                ],
                None,
                true,
                "campaign: camp-1 v1 (current)",
            ),
            (
                "without asset and campaign configs the account's answers",
                vec![history(
                    "acct-1",
                    Account,
                    "acct",
                    &["2025-01-01T00:00:00Z"],
                )],
                None,
                true,
                "account: acct-1 v1 (current)",
            ),
            (
                "an asset config scheduled for later lets the campaign's answer",
                vec![
                    history("asset-1", Asset, "a1", &["2025-07-01T00:00:00Z"]),
                    history("camp-1", Campaign, "c1", &["2025-01-01T00:00:00Z"]),
                ],
                None,
                true,
                "campaign: camp-1 v1 (current)",
            ),
            (
                "another asset's config does not answer",
                vec![history("asset-2", Asset, "a2", &["2025-01-01T00:00:00Z"])],
                None,
                false,
                "none",
            ),
        ]);
    }

    /// The last version to take effect at or before the time asked, with its state as of now.
    #[test]
    fn the_version_in_force_at_the_time_asked_answers() {
        check(&[
            (
                "the version in force is the last to take effect by now",
                vec![history(
                    "asset-1",
                    Asset,
                    "a1",
                    &[
                        "2025-01-01T00:00:00Z",
                        "2025-05-01T00:00:00Z",
                        "2025-07-01T00:00:00Z",
                    ],
                )],
                None,
                true,
                "asset: asset-1 v2 (current)",
            ),
            (
                "a version takes effect at its instant exactly",
                vec![history(
                    "asset-1",
                    Asset,
                    "a1",
                    &["2025-01-01T00:00:00Z", NOW],
                )],
                None,
                true,
                "asset: asset-1 v2 (current)",
            ),
            (
                "a time in the past answers with the version then, superseded now",
                vec![history(
                    "asset-1",
                    Asset,
                    "a1",
                    &["2025-01-01T00:00:00Z", "2025-05-01T00:00:00Z"],
                )],
                Some("2025-02-01T00:00:00Z"),
                true,
                "asset: asset-1 v1 (superseded)",
            ),
            (
                "a time in the future answers with the version scheduled then",
                vec![history(
                    "asset-1",
                    Asset,
                    "a1",
                    &["2025-01-01T00:00:00Z", "2025-07-01T00:00:00Z"],
                )],
                Some("2025-08-01T00:00:00Z"),
                true,
                "asset: asset-1 v2 (scheduled)",
            ),
        ]);
    }

    /// No answer: nothing for a fail-open type, an error naming what was looked at for a fail-closed one.
    #[test]
    fn no_answer_fails_open_or_closed_as_the_type_says() {
        check(&[
            (
                "fail-open: no config in force is no answer",
                vec![history("asset-1", Asset, "a1", &["2025-07-01T00:00:00Z"])],
                None,
                false,
                "none",
            ),
            (
                "fail-closed: no config in force is an error naming every entity looked at",
                vec![history("asset-1", Asset, "a1", &["2025-07-01T00:00:00Z"])],
                None,
                true,
                "unresolved at 2025-06-01T00:00:00Z: asset `a1`, campaign `c1`, account `acct`",
            ),
            (
                "fail-closed, asked before any version: the time asked is named",
                vec![history(
                    "acct-1",
                    Account,
                    "acct",
                    &["2025-01-01T00:00:00Z"],
                )],
                Some("2024-01-01T00:00:00Z"),
                true,
                "unresolved at 2024-01-01T00:00:00Z: asset `a1`, campaign `c1`, account `acct`",
            ),
        ]);
    }

    /// Two ids in force for one entity at the scope that answers are refused; elsewhere they are not met.
    #[test]
    fn two_ids_in_force_for_one_entity_are_ambiguous() {
        check(&[
            (
                "two ids in force for one entity are ambiguous",
                vec![
                    history("asset-1", Asset, "a1", &["2025-01-01T00:00:00Z"]),
                    history("asset-2", Asset, "a1", &["2025-02-01T00:00:00Z"]),
                ],
                None,
                false,
                "ambiguous at asset at 2025-06-01T00:00:00Z: asset-1, asset-2",
            ),
            (
                "two ids for one entity, one not yet in force, are not ambiguous",
                vec![
                    history("asset-1", Asset, "a1", &["2025-01-01T00:00:00Z"]),
                    history("asset-2", Asset, "a1", &["2025-07-01T00:00:00Z"]),
                ],
                None,
                false,
                "asset: asset-1 v1 (current)",
            ),
            (
                "an ambiguity at a scope an answer came before is never looked at",
                vec![
                    history("asset-1", Asset, "a1", &["2025-01-01T00:00:00Z"]),
                    history("camp-1", Campaign, "c1", &["2025-01-01T00:00:00Z"]),
                    history("camp-2", Campaign, "c1", &["2025-01-01T00:00:00Z"]),
                ],
                None,
                true,
                "asset: asset-1 v1 (current)",
            ),
        ]);
    }

    #[test]
    fn scopes_are_looked_at_most_specific_first_and_only_until_one_answers() {
        let histories = [history("camp-1", Campaign, "c1", &["2025-01-01T00:00:00Z"])];
        let mut request = request(None);
        request.account = None;
        let resolution = decide(&request, &histories, at(NOW), false).unwrap();
        let looked: Vec<String> = resolution
            .looked
            .iter()
            .map(|look| {
                format!(
                    "{} {} asked={} found={}",
                    look.scope,
                    look.applies_to.as_deref().unwrap_or("-"),
                    look.asked,
                    look.found
                        .as_ref()
                        .map_or("-".to_owned(), |f| format!("{} v{}", f.id, f.version))
                )
            })
            .collect();
        assert_eq!(
            looked,
            [
                "asset a1 asked=true found=-",
                "campaign c1 asked=true found=camp-1 v1",
                "account - asked=false found=-",
            ]
        );
        assert_eq!(resolution.at, NOW);
        assert!(!resolution.fail_closed);
    }

    #[test]
    fn an_id_concerns_a_request_by_type_and_an_entity_asked_at_its_scope() {
        let data = |config_type: &str, scope: &str, applies_to: &str| json!({"type": config_type, "scope": scope, "applies_to": applies_to});
        let cases = [
            ("the asset asked", data("pricing", "asset", "a1"), true),
            (
                "the campaign asked",
                data("pricing", "campaign", "c1"),
                true,
            ),
            (
                "the account asked",
                data("pricing", "account", "acct"),
                true,
            ),
            ("another type", data("budget", "asset", "a1"), false),
            ("another asset", data("pricing", "asset", "a2"), false),
            (
                "the asset's id at another scope",
                data("pricing", "campaign", "a1"),
                false,
            ),
            ("no fields", json!({}), false),
        ];
        for (name, data, expected) in cases {
            assert_eq!(concerns(&request(None), &data), expected, "{name}");
        }
        let mut without_account = request(None);
        without_account.account = None;
        assert!(
            !concerns(&without_account, &data("pricing", "account", "acct")),
            "an account not given is not asked"
        );
    }
}

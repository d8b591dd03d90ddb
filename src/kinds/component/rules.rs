//! Reading tags as versions: a component's rules compiled ([`Rules`]), what a
//! tag reads as or why it is skipped, and the head of a channel.

use regex::Regex;

use super::{Component, Strategy, VersionEntry};

/// A regular expression of a component that does not compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRule {
    /// Where it is, as a JSON pointer.
    pub pointer: String,
    /// The compiler's complaint.
    pub message: String,
}

/// A component's rules, compiled.
#[derive(Debug, Clone)]
pub struct Rules {
    strategy: Strategy,
    default_channel: String,
    tag_pattern: Option<Regex>,
    semver_extract: Option<Regex>,
    rules: Vec<(Regex, String, Option<Regex>)>,
}

/// What a tag reads as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The version, if the strategy gives one.
    pub semver: Option<semver::Version>,
    /// The channel.
    pub channel: String,
    /// Whether it is a prerelease.
    pub prerelease: bool,
}

/// Why a tag is not a version of the component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skip {
    /// It does not match `tag_pattern`.
    NotAVersionTag,
    /// No rule matches it.
    NoRule,
    /// The version in it does not read under the strategy.
    NoVersion(String),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NotAVersionTag => f.write_str("does not match versioning.tag_pattern"),
            Skip::NoRule => f.write_str("matches no version rule"),
            Skip::NoVersion(why) => f.write_str(why),
        }
    }
}

impl Component {
    /// Compiles the component's regular expressions, reporting every one that does
    /// not compile.
    pub fn rules(&self) -> Result<Rules, Vec<BadRule>> {
        let mut bad = Vec::new();
        let mut compile = |pattern: &str, pointer: String| match Regex::new(pattern) {
            Ok(regex) => Some(regex),
            Err(error) => {
                bad.push(BadRule {
                    pointer,
                    message: format!("`{pattern}` is not a regular expression: {error}"),
                });
                None
            }
        };
        let tag_pattern = self
            .versioning
            .tag_pattern
            .as_deref()
            .map(|p| compile(p, "/versioning/tag_pattern".to_owned()));
        let semver_extract = self
            .versioning
            .semver_extract
            .as_deref()
            .map(|p| compile(p, "/versioning/semver_extract".to_owned()));
        let mut rules = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            let pattern = compile(&rule.pattern, format!("/rules/{index}/pattern"));
            let prerelease = match rule.prerelease_pattern.as_deref() {
                None => Some(None),
                Some(p) => compile(p, format!("/rules/{index}/prerelease_pattern")).map(Some),
            };
            if let (Some(pattern), Some(prerelease)) = (pattern, prerelease) {
                rules.push((pattern, rule.channel.clone(), prerelease));
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        Ok(Rules {
            strategy: self.versioning.strategy,
            default_channel: self.default_channel.clone(),
            tag_pattern: tag_pattern.flatten(),
            semver_extract: semver_extract.flatten(),
            rules,
        })
    }
}

impl Rules {
    /// What a tag reads as under the component's rules.
    pub fn read(&self, tag: &str) -> Result<Reading, Skip> {
        if let Some(pattern) = &self.tag_pattern
            && !pattern.is_match(tag)
        {
            return Err(Skip::NotAVersionTag);
        }
        let (channel, captured, prerelease_rule) = if self.rules.is_empty() {
            (None, None, false)
        } else {
            let (pattern, channel, prerelease) = self
                .rules
                .iter()
                .find(|(pattern, _, _)| pattern.is_match(tag))
                .ok_or(Skip::NoRule)?;
            let captured = pattern
                .captures(tag)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_owned());
            let is_pre = prerelease.as_ref().is_some_and(|p| p.is_match(tag));
            (Some(channel.clone()), captured, is_pre)
        };
        let text = self
            .semver_extract
            .as_ref()
            .and_then(|extract| extract.captures(tag))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_owned())
            .or(captured)
            .unwrap_or_else(|| tag.strip_prefix('v').unwrap_or(tag).to_owned());
        let semver = self.version_of(&text)?;
        let prerelease = prerelease_rule || semver.as_ref().is_some_and(|v| !v.pre.is_empty());
        let channel = channel.unwrap_or_else(|| match &semver {
            Some(version) if !version.pre.is_empty() => version
                .pre
                .as_str()
                .split('.')
                .next()
                .map(|first| first.to_ascii_lowercase())
                .filter(|first| crate::names::check(first).is_ok())
                .unwrap_or_else(|| self.default_channel.clone()),
            _ => self.default_channel.clone(),
        });
        Ok(Reading {
            semver,
            channel,
            prerelease,
        })
    }

    fn version_of(&self, text: &str) -> Result<Option<semver::Version>, Skip> {
        let number = |part: &str| part.parse::<u64>().ok();
        match self.strategy {
            Strategy::Semver => semver::Version::parse(text)
                .map(Some)
                .map_err(|error| Skip::NoVersion(format!("`{text}` is not semver: {error}"))),
            Strategy::Date => {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                let date = match (digits.get(..4), digits.get(4..6), digits.get(6..)) {
                    (Some(year), Some(month), Some(day)) if digits.len() == 8 => {
                        format!("{year}-{month}-{day}")
                            .parse::<jiff::civil::Date>()
                            .ok()
                    }
                    _ => None,
                };
                date.map(|d| {
                    Some(semver::Version::new(
                        u64::try_from(d.year()).unwrap_or(0),
                        u64::try_from(d.month()).unwrap_or(0),
                        u64::try_from(d.day()).unwrap_or(0),
                    ))
                })
                .ok_or_else(|| Skip::NoVersion(format!("`{text}` is not a date")))
            }
            Strategy::Sequential => number(text)
                .map(|n| Some(semver::Version::new(n, 0, 0)))
                .ok_or_else(|| Skip::NoVersion(format!("`{text}` is not a build number"))),
            Strategy::Manual => Ok(None),
        }
    }
}

/// The head of a channel: its highest version, where a prerelease never heads the
/// component's default channel or `stable`.
pub fn channel_head<'a>(
    entries: &'a [VersionEntry],
    channel: &str,
    stable: bool,
) -> Option<&'a VersionEntry> {
    entries
        .iter()
        .filter(|entry| entry.channel == channel && !(stable && entry.prerelease))
        .filter_map(|entry| Some((entry.version()?, entry)))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, entry)| entry)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::kinds::component::{EntrySource, VersionRule, Versioning};

    fn component(rules: Vec<VersionRule>, strategy: Strategy) -> Component {
        Component {
            name: "api".to_owned(),
            display_name: "API".to_owned(),
            image_repository: "registry.example.com/shop/api".to_owned(),
            default_channel: "stable".to_owned(),
            deployment_template: None,
            versioning: Versioning {
                strategy,
                tag_pattern: None,
                semver_extract: None,
            },
            rules,
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn tags_read_as_versions() {
        let plain = component(Vec::new(), Strategy::Semver).rules().unwrap();
        let ruled = component(
            vec![
                VersionRule {
                    pattern: r"^v(\d+\.\d+\.\d+)$".to_owned(),
                    channel: "stable".to_owned(),
                    prerelease_pattern: None,
                },
                VersionRule {
                    pattern: r"^v(\d+\.\d+\.\d+-.+)$".to_owned(),
                    channel: "beta".to_owned(),
                    prerelease_pattern: Some(".*-(alpha|beta|rc).*".to_owned()),
                },
            ],
            Strategy::Semver,
        )
        .rules()
        .unwrap();
        let date = component(Vec::new(), Strategy::Date).rules().unwrap();
        let sequential = component(Vec::new(), Strategy::Sequential).rules().unwrap();
        let cases: &[(&Rules, &str, Option<&str>, &str, bool)] = &[
            (&plain, "v2.3.1", Some("2.3.1"), "stable", false),
            (&plain, "2.4.0-beta.1", Some("2.4.0-beta.1"), "beta", true),
            (
                &plain,
                "1.0.0+build.7",
                Some("1.0.0+build.7"),
                "stable",
                false,
            ),
            (&ruled, "v2.3.1", Some("2.3.1"), "stable", false),
            (&ruled, "v2.4.0-rc.1", Some("2.4.0-rc.1"), "beta", true),
            (&date, "2025.05.01", Some("2025.5.1"), "stable", false),
            (&sequential, "1234", Some("1234.0.0"), "stable", false),
        ];
        for (rules, tag, semver, channel, prerelease) in cases {
            let reading = rules.read(tag).unwrap();
            assert_eq!(
                (
                    reading.semver.map(|v| v.to_string()).as_deref(),
                    reading.channel.as_str(),
                    reading.prerelease
                ),
                (*semver, *channel, *prerelease),
                "{tag}"
            );
        }
        assert_eq!(ruled.read("latest"), Err(Skip::NoRule));
        assert!(matches!(plain.read("latest"), Err(Skip::NoVersion(_))));
        assert!(matches!(date.read("2025.02.30"), Err(Skip::NoVersion(_))));
    }

    #[test]
    fn bad_patterns_are_all_reported() {
        let mut bad = component(
            vec![VersionRule {
                pattern: "(".to_owned(),
                channel: "stable".to_owned(),
                prerelease_pattern: Some("[".to_owned()),
            }],
            Strategy::Semver,
        );
        bad.versioning.tag_pattern = Some("(?<=v)1".to_owned());
        let pointers: Vec<String> = bad
            .rules()
            .unwrap_err()
            .into_iter()
            .map(|b| b.pointer)
            .collect();
        assert_eq!(
            pointers,
            [
                "/versioning/tag_pattern",
                "/rules/0/pattern",
                "/rules/0/prerelease_pattern"
            ]
        );
    }

    #[test]
    fn prereleases_never_head_stable() {
        let entry = |tag: &str, semver: &str, channel: &str, prerelease: bool| VersionEntry {
            tag: tag.to_owned(),
            digest: format!("sha256:{}", "0".repeat(64)),
            semver: Some(semver.to_owned()),
            channel: channel.to_owned(),
            prerelease,
            build_metadata: None,
            resolved_at: "2025-05-01T12:00:00Z".to_owned(),
            source: EntrySource::Auto,
            platforms: Vec::new(),
        };
        let entries = vec![
            entry("v1.9.0", "1.9.0", "stable", false),
            entry("v1.10.0", "1.10.0", "stable", false),
            entry("v2.0.0-rc.1", "2.0.0-rc.1", "stable", true),
            entry("v2.0.0-beta.1", "2.0.0-beta.1", "beta", true),
        ];
        assert_eq!(
            channel_head(&entries, "stable", true).unwrap().tag,
            "v1.10.0"
        );
        assert_eq!(
            channel_head(&entries, "beta", false).unwrap().tag,
            "v2.0.0-beta.1"
        );
        assert!(channel_head(&entries, "nightly", false).is_none());
    }
}

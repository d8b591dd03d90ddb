//! The loaded registry: every component of a source that reads and its version
//! map, and what a component's channel, tag or digest resolves to.

use std::collections::BTreeMap;

use super::parse::{MAX_FILE_BYTES, parse_component, parse_versions};
use super::rules::channel_head;
use super::{Component, DIR, RegistryFile, VersionEntry, VersionMap};
use crate::diagnostic::Finding;
use crate::source::{Content, Refusal, Source, SourceError};

/// The registry of a repository: every component that reads, and its version map.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    /// Components by name.
    pub components: BTreeMap<String, Component>,
    /// Version maps by component name.
    pub maps: BTreeMap<String, VersionMap>,
}

impl Registry {
    /// Reads `components/` from a source, with the findings of every file that
    /// does not read (those files are left out).
    pub fn load(source: &dyn Source) -> Result<(Registry, Vec<Finding>), SourceError> {
        let mut registry = Registry::default();
        let mut findings = Vec::new();
        for entry in source.list(DIR)? {
            // A linked or special file (or a linked `components/` itself) is left
            // out with its finding, never read: a link may point anywhere, and a
            // FIFO would block.
            if let Some(refusal) = Refusal::of_entry(entry.kind) {
                findings.push(crate::source::refused(&entry.path, &refusal));
                continue;
            }
            let Some(file) = RegistryFile::parse(&entry.path) else {
                continue;
            };
            let bytes = match source.read(&entry.path, MAX_FILE_BYTES) {
                Ok(Some(Content::Bytes(bytes))) => bytes,
                Ok(_) => continue,
                Err(error) => match error.finding() {
                    Some(finding) => {
                        findings.push(finding);
                        continue;
                    }
                    None => return Err(error),
                },
            };
            findings.extend(registry.read(&file, &entry.path, &bytes));
        }
        Ok((registry, findings))
    }

    /// Reads one registry file into the registry if it reads; gives its findings.
    pub fn read(&mut self, file: &RegistryFile, path: &str, bytes: &[u8]) -> Vec<Finding> {
        match file {
            RegistryFile::Component(name) => {
                let (parsed, findings) = parse_component(path, bytes);
                if let Some(parsed) = parsed {
                    self.components.insert(name.clone(), parsed);
                }
                findings
            }
            RegistryFile::Versions(name) => {
                let (parsed, findings) = parse_versions(path, bytes);
                if let Some(parsed) = parsed {
                    self.maps.insert(name.clone(), parsed);
                }
                findings
            }
        }
    }

    /// A component's version map entries (none without a map).
    pub fn entries(&self, component: &str) -> &[VersionEntry] {
        self.maps
            .get(component)
            .map_or(&[], |map| map.versions.as_slice())
    }

    /// The head of a component's channel.
    pub fn head(&self, component: &str, channel: &str) -> Option<&VersionEntry> {
        let stable = self
            .components
            .get(component)
            .is_some_and(|c| c.default_channel == channel || channel == "stable");
        channel_head(self.entries(component), channel, stable)
    }

    /// The entry recording a tag or a digest of a component (a multi-arch
    /// tag's index digest or one of its platforms').
    pub fn resolve(&self, component: &str, tag_or_digest: &str) -> Option<&VersionEntry> {
        self.entries(component)
            .iter()
            .find(|entry| entry.tag == tag_or_digest || entry.records(tag_or_digest))
    }
}

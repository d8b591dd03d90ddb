//! Reading a file berth.toml names (a store's schema, an allowed-signers file)
//! from the same source as berth.toml, with what keeps it from being read as a
//! finding rather than an error.

use super::{FILE, Settings};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::Finding;
use crate::document::Format;
use crate::source::{Content, Source, SourceError};

/// A file berth.toml names, and how findings speak of it.
pub(crate) struct NamedFile<'a> {
    /// The path, as berth.toml gives it.
    pub path: &'a str,
    /// Where berth.toml gives it, as a JSON pointer.
    pub pointer: &'a str,
    /// What the path is of, in `<noun> path ...`: `schema`, `allowed-signers`.
    pub noun: &'a str,
    /// What the file is, in `the <file> is ... bytes`.
    pub file: &'a str,
    /// What to say when the source has no such file, and the help.
    pub missing: (String, &'a str),
    /// A path inside the repository, for the help of one that leaves it.
    pub example: &'a str,
}

impl NamedFile<'_> {
    /// A finding at the path's place in berth.toml.
    pub(crate) fn in_settings(&self, settings: &Settings, message: String, help: &str) -> Finding {
        Finding::new(Code::Schema, FILE, message)
            .with_help(help)
            .at_pointer(&settings.text, Format::Toml, self.pointer)
    }

    /// The file's bytes, or `None` with a finding when the path leaves the
    /// repository, the file is a link or not a regular file, is over the size
    /// limit, or is not there.
    pub(crate) fn read(
        &self,
        settings: &Settings,
        source: &dyn Source,
        findings: &mut Vec<Finding>,
    ) -> Result<Option<Vec<u8>>, SourceError> {
        let path = self.path;
        if path
            .split('/')
            .any(|segment| segment == ".." || segment.is_empty())
        {
            findings.push(self.in_settings(
                settings,
                format!(
                    "{} path `{path}` leaves the repository or has empty segments",
                    self.noun
                ),
                &format!(
                    "give a path inside the repository, such as `{}`",
                    self.example
                ),
            ));
            return Ok(None);
        }
        let read = match source.read(path, settings.max_object_bytes()) {
            Ok(read) => read,
            // A linked file is not read: its target may be anything on the
            // machine, and its lines would be echoed in diagnostics.
            Err(error) => match error.finding() {
                Some(finding) => {
                    findings.push(finding);
                    return Ok(None);
                }
                None => return Err(error),
            },
        };
        match read {
            Some(Content::Bytes(bytes)) => Ok(Some(bytes)),
            Some(Content::TooLarge { size }) => {
                findings.push(Finding::new(
                    Code::TooLarge,
                    path,
                    format!("the {} is {size} bytes, over the limit", self.file),
                ));
                Ok(None)
            }
            None => {
                let (message, help) = &self.missing;
                findings.push(self.in_settings(settings, message.clone(), help));
                Ok(None)
            }
        }
    }
}

//! The allowed-signers files berth.toml names, read from the same source as
//! berth.toml (for an audit, the same catalog commit) once, when settings load.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{NamedFile, Settings};
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document;
use crate::signers::AllowedSigners;
use crate::source::{Source, SourceError};

/// Reads every allowed-signers file berth.toml names into `settings`; what is
/// missing, unreadable or malformed is a finding.
pub(super) fn load(
    settings: &mut Settings,
    source: &dyn Source,
) -> Result<Vec<Finding>, SourceError> {
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    if let Some(path) = &settings.file.repo.allowed_signers {
        named.insert(path.clone(), "/repo/allowed_signers".to_owned());
    }
    for (name, environment) in &settings.file.environments {
        if let Some(path) = &environment.allowed_signers {
            let mut pointer = "/environments".to_owned();
            document::push_segment(&mut pointer, name);
            pointer.push_str("/allowed_signers");
            named.entry(path.clone()).or_insert(pointer);
        }
    }
    let mut findings = Vec::new();
    let mut loaded = BTreeMap::new();
    for (path, pointer) in named {
        let named = NamedFile {
            path: &path,
            pointer: &pointer,
            noun: "allowed-signers",
            file: "allowed-signers file",
            missing: (
                format!(
                    "the allowed-signers file `{path}` does not exist in the {}",
                    source.name()
                ),
                "commit the file (git's allowed-signers format: `<principal> <key type> <base64 key>` a line), or correct the path",
            ),
            example: "allowed_signers",
        };
        let Some(bytes) = named.read(settings, source, &mut findings)? else {
            continue;
        };
        let text = shown_text(&bytes);
        let Ok(utf8) = std::str::from_utf8(&bytes) else {
            findings.push(Finding::new(
                Code::Parse,
                path.as_str(),
                "the allowed-signers file is not UTF-8 text",
            ));
            continue;
        };
        let (signers, errors) = AllowedSigners::parse(utf8);
        for error in &errors {
            findings.push(
                Finding::new(
                    Code::Schema,
                    path.as_str(),
                    format!("line {} is not an allowed signer: {}", error.line, error.message),
                )
                .with_help("write `<principals> [options] <key type> <base64 key> [comment]`, as `ssh-keygen -Y verify` reads allowed signers (see ssh-keygen(1), ALLOWED SIGNERS)")
                .at_span(&text, error.span.clone()),
            );
        }
        if errors.is_empty() {
            loaded.insert(path, Arc::new(signers));
        }
    }
    settings.signers = loaded;
    Ok(findings)
}

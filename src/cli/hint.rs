//! What to type: the library's help says what to do in its own terms and names no
//! flag, since a program using the library has none; here the command line adds
//! the flags that do it, shown after that help (as jj's `command_error.rs` adds
//! hints to the errors of jj-lib).

use std::fmt;

use berth::config::ConfigError;
use berth::env::promote::PromoteError;
use berth::oci::OciError;
use berth::registry::RegistryError;
use berth::release::ReleaseError;
use miette::{Diagnostic, LabeledSpan, Severity, SourceCode};

use super::error::CliError;

/// The command-line hint for an error, when its help would otherwise leave the
/// user to find the flags.
pub fn hint(error: &CliError) -> Option<String> {
    match error {
        CliError::Config(error) => config_hint(error),
        CliError::Release(ReleaseError::Config(error)) => config_hint(error),
        CliError::Release(error) => release_hint(error),
        CliError::Registry(RegistryError::UnknownComponent { name }) => Some(format!(
            "`berth component add {name} --image <repository>` registers it"
        )),
        CliError::Promote(error) => promote_hint(error),
        CliError::Registry(RegistryError::Oci(error)) => oci_hint(error),
        _ => None,
    }
}

fn oci_hint(error: &OciError) -> Option<String> {
    Some(match error {
        OciError::Unreachable { host, .. } => {
            format!("a private CA: --registry-ca <pem>; plain HTTP: --insecure-registry {host}")
        }
        OciError::Budget { budget, .. } => format!(
            "raise it with --max-requests {}, or [registries] max_requests in berth.toml",
            budget.saturating_mul(2)
        ),
        OciError::Auth { host, .. } => {
            format!("for CI: BERTH_REGISTRY_AUTH='{host}=<user>:<password>'")
        }
        _ => return None,
    })
}

fn config_hint(error: &ConfigError) -> Option<String> {
    Some(match error {
        ConfigError::BadSetting { .. } => {
            "on the command line: --set KEY=VALUE, --unset KEY".to_owned()
        }
        ConfigError::MissingFixed { id, .. } => format!(
            "berth config set {id} --expect-version 0 --type T --category policy|logic --applies-to ENTITY --scope account|campaign|asset"
        ),
        ConfigError::Conflict { id, actual: 0, .. } => format!(
            "berth config set {id} --expect-version 0 --type T --category C --applies-to ENTITY --scope S ..."
        ),
        ConfigError::Conflict { actual, .. } => format!("retry with --expect-version {actual}"),
        ConfigError::KeyReused { id, version, .. } => {
            format!("`berth config show {id} --version {version}` shows it")
        }
        ConfigError::Unknown { id } => {
            format!("`berth config set {id} --expect-version 0 ...` creates it")
        }
        ConfigError::Unresolved { config_type, .. } => format!(
            "`berth config set <id> --expect-version 0 --type {config_type} ...` creates one"
        ),
        _ => return None,
    })
}

fn release_hint(error: &ReleaseError) -> Option<String> {
    Some(match error {
        ReleaseError::NoVersion { component, .. } => {
            format!("pin it with --pin {component}=<tag|digest>")
        }
        ReleaseError::BadPin { .. } => {
            "on the command line: --pin api=v2.3.1 or --pin api=sha256:<64 hex>".to_owned()
        }
        ReleaseError::NotARelease { .. } => "use --channel or --pin".to_owned(),
        ReleaseError::VersionTaken { package, .. } => {
            format!("`berth release ls --package {package}` lists its releases")
        }
        _ => return None,
    })
}

fn promote_hint(error: &PromoteError) -> Option<String> {
    Some(match error {
        PromoteError::NotReady { object, .. } => format!("berth mark {object} ready --commit"),
        PromoteError::Deprecated { .. } => {
            "`berth release ls --package <package>` lists the package's releases".to_owned()
        }
        PromoteError::PromotionPath {
            object,
            first: Some(first),
            ..
        } => format!("berth promote {object} --to {first}"),
        PromoteError::NoSource { .. } => "name it with --from <env>".to_owned(),
        PromoteError::BadReason { .. } => {
            "on the command line: --reason 'INC-142: checkout down'".to_owned()
        }
        PromoteError::NothingNamed => {
            "berth promote <store>/<hash>... --to <env>, or berth promote --all --to <env>"
                .to_owned()
        }
        _ => return None,
    })
}

/// An error as the command shows it: the library's diagnostic, its help followed
/// by the command line's hint.
pub struct Hinted<'a> {
    error: &'a CliError,
    help: Option<String>,
}

impl<'a> Hinted<'a> {
    /// The error with its hint, if it has one.
    pub fn new(error: &'a CliError) -> Hinted<'a> {
        let help = error.help().map(|help| help.to_string());
        let help = match (help, hint(error)) {
            (Some(help), Some(hint)) => Some(format!("{help}\n{hint}")),
            (help, hint) => help.or(hint),
        };
        Hinted { error, help }
    }

    /// The help and the hint, as one text.
    pub fn help_text(&self) -> Option<&str> {
        self.help.as_deref()
    }
}

impl fmt::Debug for Hinted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.error, f)
    }
}

impl fmt::Display for Hinted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.error, f)
    }
}

impl std::error::Error for Hinted<'_> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

impl Diagnostic for Hinted<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.error.code()
    }

    fn severity(&self) -> Option<Severity> {
        self.error.severity()
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_deref()
            .map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.error.url()
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.error.source_code()
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.error.labels()
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        self.error.related()
    }

    fn diagnostic_source(&self) -> Option<&dyn Diagnostic> {
        self.error.diagnostic_source()
    }
}

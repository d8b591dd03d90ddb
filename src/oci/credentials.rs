//! Credentials for a registry, found where container tools keep them:
//! `BERTH_REGISTRY_AUTH` (for CI: one `host=user:password` per line), then the
//! Docker config file (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`): its `credHelpers` for the host, its `auths` entry,
//! or its `credsStore`, a credential helper (`docker-credential-<name> get`).

use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64ct::{Base64, Encoding};
use serde::Deserialize;

use super::OciError;
use super::reference::DOCKER_HUB;

/// The environment variable with credentials for CI.
pub const AUTH_VARIABLE: &str = "BERTH_REGISTRY_AUTH";
/// The key docker files Docker Hub's credentials under.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";
/// The largest Docker config file read.
const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// A user name and password for HTTP basic authentication (and for a token
/// service).
#[derive(Clone, PartialEq, Eq)]
pub struct Basic {
    /// The user.
    pub username: String,
    /// The password or access token.
    pub password: String,
}

impl fmt::Debug for Basic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Basic({}, <password>)", self.username)
    }
}

impl Basic {
    /// The `Authorization` header's value.
    pub fn header(&self) -> String {
        let pair = format!("{}:{}", self.username, self.password);
        format!("Basic {}", Base64::encode_string(pair.as_bytes()))
    }
}

/// Where credentials are looked up.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `BERTH_REGISTRY_AUTH`'s text.
    pub variable: Option<String>,
    /// The Docker config file.
    pub docker_config: Option<PathBuf>,
}

impl Credentials {
    /// Credentials from the environment: `BERTH_REGISTRY_AUTH`, and the Docker
    /// config file `DOCKER_CONFIG` or `HOME` point to.
    pub fn from_environment() -> Credentials {
        let docker_config = std::env::var_os("DOCKER_CONFIG")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker")))
            .map(|dir| dir.join("config.json"));
        Credentials {
            variable: std::env::var(AUTH_VARIABLE).ok(),
            docker_config,
        }
    }

    /// The credentials for a registry (as an image name writes it), if any.
    pub fn for_registry(&self, registry: &str) -> Result<Option<Basic>, OciError> {
        if let Some(text) = &self.variable {
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let parsed = line.split_once('=').and_then(|(host, pair)| {
                    pair.split_once(':')
                        .map(|(user, password)| (host, user, password))
                });
                let Some((host, username, password)) = parsed else {
                    return Err(OciError::Auth {
                        host: registry.to_owned(),
                        reason: format!(
                            "{AUTH_VARIABLE}'s line {} is not `host=user:password`",
                            number.saturating_add(1)
                        ),
                    });
                };
                if same_registry(host, registry) {
                    return Ok(Some(Basic {
                        username: username.to_owned(),
                        password: password.to_owned(),
                    }));
                }
            }
        }
        let Some(path) = &self.docker_config else {
            return Ok(None);
        };
        let refused = |reason: String| OciError::Auth {
            host: registry.to_owned(),
            reason: format!("{}: {reason}", path.display()),
        };
        let bytes = match crate::source::read_input(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(refused(error.to_string())),
        };
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_CONFIG_BYTES {
            return Err(refused("larger than a Docker config file is".to_owned()));
        }
        let config: DockerConfig =
            serde_json::from_slice(&bytes).map_err(|error| refused(error.to_string()))?;
        if let Some(helper) = config
            .cred_helpers
            .iter()
            .find(|(host, _)| same_registry(host, registry))
            .map(|(_, helper)| helper)
        {
            return run_helper(helper, registry);
        }
        if let Some(entry) = config
            .auths
            .iter()
            .find(|(host, _)| same_registry(host, registry))
            .map(|(_, entry)| entry)
        {
            if let Some(encoded) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
                let decoded = Base64::decode_vec(encoded.trim())
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| {
                        refused(format!(
                            "the `auth` of {registry} is not base64 of `user:password`"
                        ))
                    })?;
                let (username, password) = decoded.split_once(':').ok_or_else(|| {
                    refused(format!(
                        "the `auth` of {registry} is not base64 of `user:password`"
                    ))
                })?;
                return Ok(Some(Basic {
                    username: username.to_owned(),
                    password: password.to_owned(),
                }));
            }
            if let (Some(username), Some(password)) = (&entry.username, &entry.password) {
                return Ok(Some(Basic {
                    username: username.clone(),
                    password: password.clone(),
                }));
            }
        }
        match &config.creds_store {
            Some(helper) if !helper.is_empty() => run_helper(helper, registry),
            _ => Ok(None),
        }
    }
}

/// `config.json` as far as credentials go.
#[derive(Debug, Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: std::collections::BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: std::collections::BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

/// What a credential helper prints.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Whether a key of the Docker config file (`https://host/v1/`, `host`) or of
/// `BERTH_REGISTRY_AUTH` names a registry.
fn same_registry(key: &str, registry: &str) -> bool {
    let key = key
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let key = key.split('/').next().unwrap_or(key);
    let hub = |name: &str| {
        name == DOCKER_HUB || name == "index.docker.io" || name == "registry-1.docker.io"
    };
    key == registry || (hub(key) && hub(registry))
}

/// Asks `docker-credential-<helper> get` for a registry's credentials.
fn run_helper(helper: &str, registry: &str) -> Result<Option<Basic>, OciError> {
    let program = format!("docker-credential-{helper}");
    let failed = |reason: String| OciError::Auth {
        host: registry.to_owned(),
        reason: format!("`{program} get`: {reason}"),
    };
    let server = if registry == DOCKER_HUB {
        DOCKER_HUB_KEY
    } else {
        registry
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| failed(error.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(server.as_bytes())
            .map_err(|error| failed(error.to_string()))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| failed(error.to_string()))?;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if said.contains("credentials not found") {
            return Ok(None);
        }
        let said = if said.is_empty() {
            String::from_utf8_lossy(&output.stderr).trim().to_owned()
        } else {
            said
        };
        return Err(failed(format!("{}: {said}", output.status)));
    }
    let answer: HelperAnswer = serde_json::from_slice(&output.stdout)
        .map_err(|error| failed(format!("its answer does not read: {error}")))?;
    Ok(Some(Basic {
        username: answer.username,
        password: answer.secret,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_registries_as_docker_writes_them() {
        let cases = [
            ("https://index.docker.io/v1/", "docker.io", true),
            ("docker.io", "docker.io", true),
            ("https://ghcr.io", "ghcr.io", true),
            ("127.0.0.1:5000", "127.0.0.1:5000", true),
            ("127.0.0.1:5000", "127.0.0.1:5001", false),
            ("ghcr.io", "docker.io", false),
        ];
        for (key, registry, same) in cases {
            assert_eq!(same_registry(key, registry), same, "{key} {registry}");
        }
    }

    #[test]
    fn the_variable_gives_credentials_for_its_host_only() {
        let credentials = Credentials {
            variable: Some("a.io=ann:pa:ss\nb.io=bob:x\n".to_owned()),
            docker_config: None,
        };
        let found = credentials.for_registry("a.io").unwrap().unwrap();
        assert_eq!(
            (found.username.as_str(), found.password.as_str()),
            ("ann", "pa:ss")
        );
        assert_eq!(credentials.for_registry("c.io").unwrap(), None);
        let broken = Credentials {
            variable: Some("a.io".to_owned()),
            docker_config: None,
        };
        assert!(matches!(
            broken.for_registry("a.io"),
            Err(OciError::Auth { .. })
        ));
    }
}

//! What an image repository names: the registry it is on and its name there,
//! read as container tools read it, and whether that registry is reached over
//! plain HTTP.

use std::net::IpAddr;
use std::sync::OnceLock;

use regex::Regex;

use super::OciError;

/// Docker Hub, as image names without a registry mean it.
pub const DOCKER_HUB: &str = "docker.io";
/// Where Docker Hub's distribution API answers.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// An image repository: `registry.example.com:5000/shop/api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry as written (`docker.io` when none is).
    pub registry: String,
    /// The host (and port) the API is asked at.
    pub host: String,
    /// The repository's name on the registry.
    pub name: String,
}

impl ImageRef {
    /// Reads an image repository as docker does: the first path component is a
    /// registry if it has a `.` or a `:` or is `localhost`; otherwise the image
    /// is on Docker Hub, where a name of one component is an official image
    /// (`nginx` is `library/nginx`).
    pub fn parse(reference: &str) -> Result<ImageRef, OciError> {
        let bad = |reason: &str| OciError::Reference {
            reference: reference.to_owned(),
            reason: reason.to_owned(),
        };
        if reference.contains('@') {
            return Err(bad("it names a digest; name the repository alone"));
        }
        let (registry, path) = match reference.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest.to_owned())
            }
            Some(_) => (DOCKER_HUB.to_owned(), reference.to_owned()),
            None => (DOCKER_HUB.to_owned(), format!("library/{reference}")),
        };
        let host_chars =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if registry.is_empty() || !registry.chars().all(host_chars) {
            return Err(bad("its registry is not a host name or address"));
        }
        if path
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
        {
            return Err(bad("it names a tag; name the repository alone"));
        }
        if !name_pattern().is_some_and(|pattern| pattern.is_match(&path)) {
            return Err(bad(
                "a repository name is lowercase letters and digits, with `.`, `_`, `__` or `-` between them, in components separated by `/`",
            ));
        }
        let host = if registry == DOCKER_HUB || registry == "index.docker.io" {
            DOCKER_HUB_API.to_owned()
        } else {
            registry.clone()
        };
        Ok(ImageRef {
            registry,
            host,
            name: path,
        })
    }
}

/// The distribution spec's repository name.
fn name_pattern() -> Option<&'static Regex> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    PATTERN
        .get_or_init(|| {
            let component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
            // berth's own pattern, which compiles; were it not to, no name would pass.
            Regex::new(&format!("^{component}(?:/{component})*$")).ok()
        })
        .as_ref()
}

/// Whether a registry may be reached over plain HTTP: a loopback address
/// (`127.0.0.1`, `[::1]`, `localhost`) or a host the user names as insecure
/// (`host` for every port, or `host:port`), as container tools decide.
pub fn is_plain_http(host: &str, insecure: &[String]) -> bool {
    is_loopback(host) || is_named(host, insecure)
}

/// Whether a host is a loopback address or `localhost`.
pub fn is_loopback(host: &str) -> bool {
    let name = host_name(host);
    name == "localhost"
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether the user names a host (`host` for every port, or `host:port`).
pub fn is_named(host: &str, names: &[String]) -> bool {
    let name = host_name(host);
    names.iter().any(|named| named == host || named == name)
}

/// A host without its port.
fn host_name(host: &str) -> &str {
    if host.starts_with('[') {
        return host
            .split_once(']')
            .map_or(host, |(name, _)| name)
            .trim_start_matches('[');
    }
    host.split_once(':').map_or(host, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_read_as_docker_reads_them() {
        let cases = [
            (
                "nginx",
                Some(("docker.io", "registry-1.docker.io", "library/nginx")),
            ),
            (
                "bitnami/redis",
                Some(("docker.io", "registry-1.docker.io", "bitnami/redis")),
            ),
            (
                "127.0.0.1:5000/shop/api",
                Some(("127.0.0.1:5000", "127.0.0.1:5000", "shop/api")),
            ),
            ("localhost/api", Some(("localhost", "localhost", "api"))),
            (
                "ghcr.io/o/a.b_c-d",
                Some(("ghcr.io", "ghcr.io", "o/a.b_c-d")),
            ),
            ("ghcr.io/o/api:v1", None),
            ("ghcr.io/o/api@sha256:00", None),
            ("ghcr.io/O/api", None),
            ("ghcr.io/", None),
            ("", None),
            ("bad host.io/x", None),
        ];
        for (text, expected) in cases {
            let parsed = ImageRef::parse(text).ok();
            let got = parsed
                .as_ref()
                .map(|r| (r.registry.as_str(), r.host.as_str(), r.name.as_str()));
            assert_eq!(got, expected, "{text}");
        }
    }

    #[test]
    fn plain_http_only_for_loopback_and_named_hosts() {
        let insecure = vec!["reg.lan".to_owned(), "other.lan:5000".to_owned()];
        let cases = [
            ("127.0.0.1:5000", true),
            ("127.8.0.1", true),
            ("[::1]:5000", true),
            ("localhost:80", true),
            ("reg.lan:443", true),
            ("other.lan:5000", true),
            ("other.lan:5001", false),
            ("ghcr.io", false),
            ("10.0.0.1:5000", false),
        ];
        for (host, plain) in cases {
            assert_eq!(is_plain_http(host, &insecure), plain, "{host}");
        }
    }
}

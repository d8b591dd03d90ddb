//! The requests of one run against image registries: tags listed page by page
//! (`Link` followed), a tag resolved with one manifest `HEAD` (a `GET` where
//! `HEAD` is refused, or to read an index's platforms), credentials sent as the
//! registry asks (HTTP basic, or a bearer token from its token service), `429`
//! and `503` retried after `Retry-After` within bounds, and every request
//! counted against the run's budget.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use ureq::Agent;
use ureq::http::{HeaderMap, Response};
use ureq::tls::{Certificate, PemItem, RootCerts, TlsConfig};

use super::OciError;
use super::credentials::{Basic, Credentials};
use super::manifest::{self, Kind, Resolved};
use super::reference::{ImageRef, is_loopback, is_named, is_plain_http};
use crate::canonical::{ObjectHash, is_lower_hex};

/// How many tags a list page asks for.
pub const PAGE_SIZE: usize = 100;
/// The largest manifest or tag page read (the distribution spec's manifest limit).
const MAX_BODY_BYTES: u64 = 4 << 20;
/// How many redirects one request follows.
const MAX_REDIRECTS: u32 = 5;

/// How `429` and `503` answers are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// How many times a request is sent at most.
    pub tries: u32,
    /// The longest wait before a retry, whatever `Retry-After` asks.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            tries: 4,
            max_wait: Duration::from_secs(5),
        }
    }
}

/// What a client may do.
#[derive(Debug, Clone)]
pub struct Options {
    /// Hosts (`host` or `host:port`) reached over plain HTTP besides loopback
    /// addresses.
    pub insecure: Vec<String>,
    /// Certificates (DER) trusted besides the system's roots.
    pub extra_roots: Vec<Vec<u8>>,
    /// How many requests the run may send.
    pub budget: u64,
    /// How `429` and `503` are retried.
    pub retry: Retry,
    /// Where credentials are found.
    pub credentials: Credentials,
    /// How long one request may take.
    pub timeout: Duration,
}

/// The requests a client sent, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Requests {
    /// Tag list pages.
    pub list: u64,
    /// Manifest `HEAD`s.
    pub head: u64,
    /// Manifest `GET`s.
    pub get: u64,
    /// Token service requests.
    pub token: u64,
    /// Every request, retries and redirects included.
    pub total: u64,
}

/// A client of image registries for one run.
pub struct Client {
    agent: Agent,
    options: Options,
    requests: Requests,
    /// The `Authorization` header for a repository (`host/name`).
    authorization: HashMap<String, String>,
    /// The credentials looked up for a registry.
    found: HashMap<String, Option<Basic>>,
}

/// What a request is, for the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    List,
    Head,
    Get,
    Token,
}

/// An answer: status, headers and (for a GET) the body.
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// The certificates of a PEM file.
pub fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(certificate)) => Some(certificate.der().to_vec()),
            _ => None,
        })
        .collect()
}

impl Client {
    /// A client trusting the system's roots and the extra ones (Mozilla's,
    /// when there are none).
    pub fn new(options: Options) -> Client {
        let mut roots: Vec<Certificate<'static>> = rustls_native_certs::load_native_certs()
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        roots.extend(
            options
                .extra_roots
                .iter()
                .map(|der| Certificate::from_der(der).to_owned()),
        );
        // A system without a certificate store (a bare container) trusts
        // Mozilla's roots, as ureq does by default.
        let roots = if roots.is_empty() {
            RootCerts::WebPki
        } else {
            RootCerts::Specific(Arc::new(roots))
        };
        let tls = TlsConfig::builder().root_certs(roots).build();
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(options.timeout))
            .user_agent(format!("berth/{}", env!("CARGO_PKG_VERSION")))
            .tls_config(tls)
            .build()
            .into();
        Client {
            agent,
            options,
            requests: Requests::default(),
            authorization: HashMap::new(),
            found: HashMap::new(),
        }
    }

    /// The requests sent so far.
    pub fn requests(&self) -> Requests {
        self.requests
    }

    /// `https://host`, or `http://host` for a host named insecure, and for a
    /// loopback address unless a CA file is given (a registry with a private
    /// CA serves HTTPS).
    fn base(&self, image: &ImageRef) -> String {
        let plain = is_named(&image.host, &self.options.insecure)
            || is_loopback(&image.host) && self.options.extra_roots.is_empty();
        let scheme = if plain { "http" } else { "https" };
        format!("{scheme}://{}", image.host)
    }

    /// Every tag of a repository, page by page; `on_page` is told how many
    /// have been listed.
    pub fn list_tags(
        &mut self,
        image: &ImageRef,
        on_page: &mut dyn FnMut(usize),
    ) -> Result<Vec<String>, OciError> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let base = self.base(image);
        let mut url = format!("{base}/v2/{}/tags/list?n={PAGE_SIZE}", image.name);
        let mut tags = Vec::new();
        let mut visited = std::collections::HashSet::new();
        loop {
            visited.insert(url.clone());
            let answer = self.request(image, Purpose::List, &url, "application/json")?;
            if answer.status != 200 {
                return Err(refused(image, &url, "GET", &answer));
            }
            let page: Page =
                serde_json::from_slice(&answer.body).map_err(|error| OciError::Refused {
                    host: image.host.clone(),
                    request: describe("GET", &url),
                    reason: format!("its tag list does not read: {error}"),
                })?;
            tags.extend(page.tags.unwrap_or_default());
            on_page(tags.len());
            match answer.header("link").and_then(next_link) {
                Some(next) => {
                    let next = absolute(&base, &next);
                    // The next page is the registry's: credentials go nowhere else.
                    if origin(&next) != base {
                        return Err(OciError::Refused {
                            host: image.host.clone(),
                            request: describe("GET", &url),
                            reason: format!("its next page is on another host: {next}"),
                        });
                    }
                    if visited.contains(&next) {
                        break;
                    }
                    url = next;
                }
                None => break,
            }
        }
        Ok(tags)
    }

    /// The digest a tag names now: one `HEAD`; a `GET` where the registry does
    /// not answer `HEAD` with a digest and a media type, and for an index, whose
    /// body lists the platforms.
    pub fn resolve(&mut self, image: &ImageRef, tag: &str) -> Result<Resolved, OciError> {
        let base = self.base(image);
        if !is_tag(tag) {
            return Err(OciError::Refused {
                host: image.host.clone(),
                request: format!("tag `{tag}`"),
                reason: "it listed a tag the distribution spec does not allow".to_owned(),
            });
        }
        let url = format!("{base}/v2/{}/manifests/{tag}", image.name);
        let head = self.request(image, Purpose::Head, &url, manifest::ACCEPT)?;
        if head.status == 404 {
            return Err(refused(image, &url, "HEAD", &head));
        }
        if head.status == 200 {
            let digest = head.header("docker-content-digest").map(str::to_owned);
            let kind = head.header("content-type").and_then(manifest::kind);
            match (digest, kind) {
                (Some(digest), Some(Kind::Image)) => {
                    return if is_sha256(&digest) {
                        Ok(Resolved {
                            digest,
                            platforms: Vec::new(),
                        })
                    } else {
                        Err(not_sha256(image, &url, &digest))
                    };
                }
                (Some(digest), Some(Kind::Index)) if is_sha256(&digest) => {
                    let url = format!("{base}/v2/{}/manifests/{digest}", image.name);
                    return self.get_manifest(image, &url, Some(&digest));
                }
                _ => {}
            }
        }
        self.get_manifest(image, &url, None)
    }

    /// A manifest read by `GET`: its digest is the body's, which must be the
    /// one expected and the one the registry says.
    fn get_manifest(
        &mut self,
        image: &ImageRef,
        url: &str,
        expected: Option<&str>,
    ) -> Result<Resolved, OciError> {
        let answer = self.request(image, Purpose::Get, url, manifest::ACCEPT)?;
        if answer.status != 200 {
            return Err(refused(image, url, "GET", &answer));
        }
        let wrong = |reason: String| OciError::Refused {
            host: image.host.clone(),
            request: describe("GET", url),
            reason,
        };
        let digest = format!("sha256:{}", ObjectHash::of_bytes(&answer.body));
        for claimed in [expected, answer.header("docker-content-digest")]
            .into_iter()
            .flatten()
        {
            if claimed != digest {
                return Err(wrong(format!(
                    "it named {claimed} for a manifest whose digest is {digest}"
                )));
            }
        }
        let media_type = answer
            .header("content-type")
            .filter(|t| manifest::kind(t).is_some())
            .map(str::to_owned)
            .or_else(|| manifest::declared_type(&answer.body))
            .unwrap_or_default();
        match manifest::kind(&media_type) {
            Some(Kind::Image) => Ok(Resolved {
                digest,
                platforms: Vec::new(),
            }),
            Some(Kind::Index) => {
                let platforms = manifest::platforms(&answer.body)
                    .map_err(|reason| wrong(format!("its index does not read: {reason}")))?;
                if let Some(bad) = platforms.iter().find(|p| !is_sha256(&p.digest)) {
                    return Err(not_sha256(image, url, &bad.digest));
                }
                Ok(Resolved { digest, platforms })
            }
            None => Err(wrong(format!(
                "its manifest is `{media_type}`, not an OCI or Docker v2 manifest or index"
            ))),
        }
    }

    /// A request to a repository, with the credentials it asks for.
    fn request(
        &mut self,
        image: &ImageRef,
        purpose: Purpose,
        url: &str,
        accept: &str,
    ) -> Result<Answer, OciError> {
        let key = format!("{}/{}", image.host, image.name);
        let mut authorized = false;
        loop {
            let authorization = self.authorization.get(&key).cloned();
            let answer = self.send(image, purpose, url, accept, authorization.as_deref())?;
            match answer.status {
                401 if !authorized => {
                    let challenge = answer
                        .header("www-authenticate")
                        .unwrap_or_default()
                        .to_owned();
                    let header = self.authorize(image, &challenge)?;
                    self.authorization.insert(key.clone(), header);
                    authorized = true;
                }
                401 | 403 => {
                    let who = match self.found.get(&image.registry) {
                        Some(Some(basic)) => format!("`{}`", basic.username),
                        _ => "anonymous access".to_owned(),
                    };
                    return Err(OciError::Auth {
                        host: image.host.clone(),
                        reason: format!(
                            "{} answered {} for {who}",
                            describe(method(purpose), url),
                            answer.status
                        ),
                    });
                }
                _ => return Ok(answer),
            }
        }
    }

    /// The `Authorization` header a challenge asks for: basic with the
    /// registry's credentials, or a bearer token from its token service.
    fn authorize(&mut self, image: &ImageRef, challenge: &str) -> Result<String, OciError> {
        let credentials = match self.found.get(&image.registry) {
            Some(found) => found.clone(),
            None => {
                let found = self.options.credentials.for_registry(&image.registry)?;
                self.found.insert(image.registry.clone(), found.clone());
                found
            }
        };
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        let params = challenge_params(params);
        let param = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.as_str())
        };
        if scheme.eq_ignore_ascii_case("basic") {
            return credentials
                .map(|basic| basic.header())
                .ok_or_else(|| OciError::Auth {
                    host: image.host.clone(),
                    reason: format!(
                        "it asks for a user and password (HTTP basic), and none are set for {}",
                        image.registry
                    ),
                });
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(OciError::Auth {
                host: image.host.clone(),
                reason: format!("it asks for `{challenge}`, which berth does not speak"),
            });
        }
        let Some(realm) = param("realm") else {
            return Err(OciError::Auth {
                host: image.host.clone(),
                reason: "its bearer challenge names no token service (`realm`)".to_owned(),
            });
        };
        let realm_host = realm
            .strip_prefix("https://")
            .or_else(|| realm.strip_prefix("http://"))
            .map(|rest| rest.split('/').next().unwrap_or_default());
        let plain_allowed = realm_host.is_some_and(|h| is_plain_http(h, &self.options.insecure));
        if !(realm.starts_with("https://") || realm.starts_with("http://") && plain_allowed) {
            return Err(OciError::Auth {
                host: image.host.clone(),
                reason: format!("its token service `{realm}` is not an HTTPS address"),
            });
        }
        let scope = format!("repository:{}:pull", image.name);
        let mut url = format!("{realm}{}", if realm.contains('?') { "&" } else { "?" });
        if let Some(service) = param("service") {
            url.push_str(&format!("service={}&", encode(service)));
        }
        url.push_str(&format!(
            "scope={}",
            encode(param("scope").unwrap_or(&scope))
        ));
        let basic = credentials.as_ref().map(Basic::header);
        let answer = self.send(
            image,
            Purpose::Token,
            &url,
            "application/json",
            basic.as_deref(),
        )?;
        if matches!(answer.status, 401 | 403) {
            return Err(OciError::Auth {
                host: image.host.clone(),
                reason: match &credentials {
                    Some(basic) => format!("its token service refused `{}`", basic.username),
                    None => "its token service refused anonymous access".to_owned(),
                },
            });
        }
        if answer.status != 200 {
            return Err(refused(image, &url, "GET", &answer));
        }
        #[derive(Deserialize)]
        struct Token {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let token: Token =
            serde_json::from_slice(&answer.body).map_err(|error| OciError::Auth {
                host: image.host.clone(),
                reason: format!("its token service's answer does not read: {error}"),
            })?;
        token
            .token
            .or(token.access_token)
            .filter(|t| !t.is_empty())
            .map(|t| format!("Bearer {t}"))
            .ok_or_else(|| OciError::Auth {
                host: image.host.clone(),
                reason: "its token service gave no token".to_owned(),
            })
    }

    /// Sends one request, counted against the budget: retried after
    /// `Retry-After` on `429` and `503`, redirects followed.
    fn send(
        &mut self,
        image: &ImageRef,
        purpose: Purpose,
        url: &str,
        accept: &str,
        authorization: Option<&str>,
    ) -> Result<Answer, OciError> {
        let method = method(purpose);
        let mut url = url.to_owned();
        let mut authorization = authorization;
        let mut tries: u32 = 0;
        let mut redirects: u32 = 0;
        loop {
            if self.requests.total >= self.options.budget {
                return Err(OciError::Budget {
                    budget: self.options.budget,
                    next: describe(method, &url),
                });
            }
            self.count(purpose);
            tries = tries.saturating_add(1);
            let sent = if method == "HEAD" {
                let mut request = self.agent.head(&url).header("Accept", accept);
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                request.call()
            } else {
                let mut request = self.agent.get(&url).header("Accept", accept);
                if let Some(value) = authorization {
                    request = request.header("Authorization", value);
                }
                request.call()
            };
            let unreachable = |error: ureq::Error| OciError::Unreachable {
                host: image.host.clone(),
                reason: format!("{}: {error}", describe(method, &url)),
            };
            let response = sent.map_err(unreachable)?;
            let answer = read(response, method == "GET").map_err(unreachable)?;
            match answer.status {
                429 | 503 if tries < self.options.retry.tries => {
                    let asked = answer
                        .header("retry-after")
                        .and_then(|value| value.trim().parse::<u64>().ok())
                        .map_or(Duration::from_secs(1), Duration::from_secs);
                    std::thread::sleep(asked.min(self.options.retry.max_wait));
                }
                429 | 503 => {
                    return Err(OciError::RateLimited {
                        host: image.host.clone(),
                        request: describe(method, &url),
                        status: answer.status,
                        tries,
                    });
                }
                301 | 302 | 303 | 307 | 308 if redirects < MAX_REDIRECTS => {
                    let Some(location) = answer.header("location") else {
                        return Ok(answer);
                    };
                    let next = absolute(&origin(&url), location);
                    // Credentials go to the registry, never to where it sends
                    // the client (a blob store's signed URL).
                    if origin(&next) != origin(&url) {
                        authorization = None;
                    }
                    url = next;
                    redirects = redirects.saturating_add(1);
                    tries = 0;
                }
                _ => return Ok(answer),
            }
        }
    }

    fn count(&mut self, purpose: Purpose) {
        let requests = &mut self.requests;
        let slot = match purpose {
            Purpose::List => &mut requests.list,
            Purpose::Head => &mut requests.head,
            Purpose::Get => &mut requests.get,
            Purpose::Token => &mut requests.token,
        };
        *slot = slot.saturating_add(1);
        requests.total = requests.total.saturating_add(1);
    }
}

fn method(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::Head => "HEAD",
        Purpose::List | Purpose::Get | Purpose::Token => "GET",
    }
}

/// Reads a response: its status, headers and, for a GET, its body (capped).
fn read(mut response: Response<ureq::Body>, body: bool) -> Result<Answer, ureq::Error> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = if body {
        response
            .body_mut()
            .with_config()
            .limit(MAX_BODY_BYTES)
            .read_to_vec()?
    } else {
        Vec::new()
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `GET /v2/...`: a request as errors name it, without the scheme and host.
fn describe(method: &str, url: &str) -> String {
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').and_then(|at| rest.get(at..)))
        .unwrap_or(url);
    format!("{method} {path}")
}

/// The error of an answer that is not the one asked for, with the registry's
/// own message when it gives one.
fn refused(image: &ImageRef, url: &str, method: &str, answer: &Answer) -> OciError {
    #[derive(Deserialize)]
    struct Errors {
        errors: Vec<ApiError>,
    }
    #[derive(Deserialize)]
    struct ApiError {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let said = serde_json::from_slice::<Errors>(&answer.body)
        .ok()
        .and_then(|errors| errors.errors.into_iter().next())
        .map(|error| format!(" ({}: {})", error.code, error.message))
        .unwrap_or_default();
    OciError::Refused {
        host: image.host.clone(),
        request: describe(method, url),
        reason: format!("it answered {}{said}", answer.status),
    }
}

fn not_sha256(image: &ImageRef, url: &str, digest: &str) -> OciError {
    OciError::Refused {
        host: image.host.clone(),
        request: describe("HEAD", url),
        reason: format!("it named the digest `{digest}`, which is not a sha256 digest"),
    }
}

/// `sha256:` and 64 lowercase hex digits.
fn is_sha256(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && is_lower_hex(hex))
}

/// A tag as the distribution spec allows it: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The `next` link of a `Link` header.
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        let is_next = params.split(';').any(|param| {
            param
                .trim()
                .strip_prefix("rel=")
                .is_some_and(|rel| rel.trim_matches('"') == "next")
        });
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_owned())
    })
}

/// `scheme://host` of a URL.
fn origin(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => url.to_owned(),
    }
}

/// A link made absolute against `scheme://host`.
fn absolute(base: &str, link: &str) -> String {
    if link.starts_with("http://") || link.starts_with("https://") {
        link.to_owned()
    } else if link.starts_with('/') {
        format!("{base}{link}")
    } else {
        format!("{base}/{link}")
    }
}

/// The `key="value"` parameters of a challenge.
pub fn challenge_params(text: &str) -> Vec<(String, String)> {
    let mut params = Vec::new();
    let mut rest = text.trim();
    while let Some((key, after)) = rest.split_once('=') {
        let key = key.trim().trim_start_matches(',').trim().to_owned();
        let after = after.trim_start();
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((value, next)) => (value.to_owned(), next),
                None => (quoted.to_owned(), ""),
            }
        } else {
            match after.split_once(',') {
                Some((value, next)) => (value.trim().to_owned(), next),
                None => (after.trim().to_owned(), ""),
            }
        };
        params.push((key, value));
        rest = next.trim_start().trim_start_matches(',');
    }
    params
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_challenges_and_requests_read() {
        assert_eq!(
            next_link(r#"</v2/a/tags/list?last=v1&n=100>; rel="next""#).as_deref(),
            Some("/v2/a/tags/list?last=v1&n=100")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
        assert_eq!(
            challenge_params(
                r#"realm="https://auth.io/token",service="reg.io",scope="repository:a/b:pull""#
            ),
            [
                ("realm".to_owned(), "https://auth.io/token".to_owned()),
                ("service".to_owned(), "reg.io".to_owned()),
                ("scope".to_owned(), "repository:a/b:pull".to_owned()),
            ]
        );
        assert_eq!(encode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
        assert_eq!(
            describe("GET", "http://h:1/v2/a/tags/list?n=100"),
            "GET /v2/a/tags/list?n=100"
        );
        assert_eq!(absolute("http://h", "/v2/x"), "http://h/v2/x");
        assert_eq!(origin("https://h:5/v2/x"), "https://h:5");
        assert!(is_tag("v1.2.3-rc_1") && !is_tag("-x") && !is_tag("a/b") && !is_tag(""));
    }
}

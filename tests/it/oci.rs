//! A real OCI distribution registry on loopback, for the tests of `berth
//! versions sync`: Debian's `docker-registry` (distribution 2.8) started by the
//! test on 127.0.0.1 with its storage in a temporary directory, images pushed into
//! it through its HTTP API from here, and a loopback [`Proxy`] in front of it that
//! counts requests and injects faults. Three ways in: anonymous
//! ([`Registry::start`]), TLS with a test CA and basic auth
//! ([`Registry::start_tls_basic`]), and the bearer-token flow with a
//! [`TokenServer`] on loopback ([`Registry::start_token`]).
//!
//! The parts, in `oci/`: `proxy` (the [`Proxy`] and its [`Fault`]s), `token`
//! (the token server), `server` (the loopback HTTP server both are built on).
//! `examples/push-tags.rs` includes this file as it is, for benches/sync.sh.
//!
//! distribution 2.8 ignores `?n=` and `?last=` on a tag list: it answers every
//! tag at once, with no `Link` header (`bare_registry_answers_every_tag_in_one_page`
//! asserts it). Registries people use (Docker Hub, GHCR, distribution 3) page the
//! list as the distribution spec says, and the [`Proxy`] does so too: its tag
//! lists are the registry's, sorted, cut at `n` after `last`, with a `Link` to the
//! next page. A test of pagination goes through the proxy.
//!
//! Nothing here talks to any address but 127.0.0.1: the HTTP client ignores the
//! environment's proxy settings and trusts only the test's own CA.

// The harness serves the tests of several topics; not each uses every part.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[path = "oci/proxy.rs"]
mod proxy;
#[path = "oci/server.rs"]
mod server;
#[path = "oci/token.rs"]
mod token;

pub use proxy::{Fault, Proxy};
pub use token::{ISSUER, SERVICE, TokenServer};

/// The program Debian's `docker-registry` package installs.
pub const REGISTRY_PROGRAM: &str = "/usr/bin/docker-registry";

/// An OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// An OCI image index (multi-platform).
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// An OCI image configuration.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// An OCI layer: a gzipped tar.
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// A Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// A Docker manifest list (multi-platform).
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// A Docker image configuration.
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// A Docker layer: a gzipped tar.
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// Which family of media types an image is pushed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// OCI image manifests and indexes.
    Oci,
    /// Docker v2 manifests and manifest lists.
    Docker,
}

impl Media {
    /// The media type of one platform's manifest.
    pub fn manifest(self) -> &'static str {
        match self {
            Media::Oci => OCI_MANIFEST,
            Media::Docker => DOCKER_MANIFEST,
        }
    }

    /// The media type of a multi-platform index.
    pub fn index(self) -> &'static str {
        match self {
            Media::Oci => OCI_INDEX,
            Media::Docker => DOCKER_LIST,
        }
    }

    fn config(self) -> &'static str {
        match self {
            Media::Oci => OCI_CONFIG,
            Media::Docker => DOCKER_CONFIG,
        }
    }

    fn layer(self) -> &'static str {
        match self {
            Media::Oci => OCI_LAYER,
            Media::Docker => DOCKER_LAYER,
        }
    }
}

/// An image's platform, as an index lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`, `windows`...
    pub os: String,
    /// `amd64`, `arm64`...
    pub architecture: String,
    /// `v7`, `v8`...
    pub variant: Option<String>,
}

/// A platform: `platform("linux", "arm64", Some("v8"))`.
pub fn platform(os: &str, architecture: &str, variant: Option<&str>) -> Platform {
    Platform {
        os: os.to_owned(),
        architecture: architecture.to_owned(),
        variant: variant.map(str::to_owned),
    }
}

impl Platform {
    /// The platform as an index and a configuration write it.
    pub fn json(&self) -> Value {
        let mut value = json!({"architecture": self.architecture, "os": self.os});
        if let Some(variant) = &self.variant {
            value["variant"] = json!(variant);
        }
        value
    }
}

/// `sha256:<hex>` of `bytes`.
pub fn digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Answer {
    /// The first header of that name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// An HTTP client for loopback: no proxy from the environment, no redirects,
/// statuses returned rather than errors, and for TLS only `ca` as a root (none:
/// the webpki roots, which no test certificate chains to).
pub fn client(ca: Option<&Path>) -> ureq::Agent {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).unwrap();
        let cert = ureq::tls::Certificate::from_pem(&pem).unwrap().to_owned();
        tls = tls.root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![cert])));
    }
    ureq::Agent::config_builder()
        .proxy(None)
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .tls_config(tls.build())
        .build()
        .into()
}

/// One request: `headers` as given, `body` sent when there is one. An error is a
/// failure to get any answer (refused, reset, TLS).
pub fn http(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Result<Answer, ureq::Error> {
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = match body {
        Some(body) => agent.run(request.body(body).unwrap())?,
        None => agent.run(request.body(()).unwrap())?,
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = response.into_body();
    let body = if method == "HEAD" {
        Vec::new()
    } else {
        body.with_config().limit(64 << 20).read_to_vec()?
    };
    Ok(Answer {
        status,
        headers,
        body,
    })
}

/// `user:password` as an HTTP basic `Authorization` value.
pub fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64(format!("{user}:{password}").as_bytes(), false)
    )
}

/// Base64 of `bytes`: the standard alphabet with padding, or (`url`) the URL
/// alphabet without, as JWTs have it.
pub fn base64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8; 64] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
            } else if !url {
                out.push('=');
            }
        }
    }
    out
}

/// TLS and basic auth of a registry.
struct Secured {
    ca: PathBuf,
    authorization: String,
}

/// A `docker-registry` serving on 127.0.0.1, its storage in a temporary
/// directory. Dropping it stops the server and removes the directory.
pub struct Registry {
    dir: tempfile::TempDir,
    child: Option<Child>,
    port: u16,
    secured: Option<Secured>,
    /// The configuration's lines after `http.addr`: TLS and auth.
    extra: String,
    agent: ureq::Agent,
    /// The token server of the bearer-token flow, and the tokens the harness
    /// took from it, by repository.
    token: Option<(TokenServer, Mutex<HashMap<String, String>>)>,
}

impl Registry {
    /// Plain HTTP, anonymous, deletes enabled.
    pub fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        Registry::launch(dir, None, "", None)
    }

    /// HTTPS with a certificate for the IP 127.0.0.1 from a CA made here (see
    /// [`Registry::ca_file`]), and HTTP basic auth from an htpasswd file (bcrypt)
    /// with one user.
    pub fn start_tls_basic(user: &str, password: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let ca = make_certificates(dir.path());
        let htpasswd =
            tool(Command::new("htpasswd").args(["-n", "-b", "-B", "-C", "5", user, password]));
        std::fs::write(dir.path().join("htpasswd"), htpasswd.trim_end()).unwrap();
        let d = dir.path().display();
        let config = format!(
            "  tls:\n    certificate: {d}/server.pem\n    key: {d}/server.key\n\
             auth:\n  htpasswd:\n    realm: berth-test\n    path: {d}/htpasswd\n"
        );
        let secured = Secured {
            ca,
            authorization: basic(user, password),
        };
        Registry::launch(dir, Some(secured), &config, None)
    }

    /// Plain HTTP with the bearer-token flow: the registry answers 401 with
    /// `WWW-Authenticate: Bearer realm=…,service=…,scope=…` and takes the JWTs
    /// of a [`TokenServer`] started here on loopback, which grants `user` what
    /// it asks and anyone else `pull`.
    pub fn start_token(user: &str, password: &str) -> Registry {
        let dir = tempfile::tempdir().unwrap();
        let server = TokenServer::start(dir.path(), user, password);
        let config = format!(
            "auth:\n  token:\n    realm: {}\n    service: {SERVICE}\n    \
             issuer: {ISSUER}\n    rootcertbundle: {}\n",
            server.realm(),
            server.certificate().display()
        );
        Registry::launch(dir, None, &config, Some(server))
    }

    /// The token server's realm, for the bearer-token flow.
    pub fn token_realm(&self) -> Option<String> {
        self.token.as_ref().map(|(server, _)| server.realm())
    }

    /// The path and query of every request the token server received.
    pub fn token_requests(&self) -> Vec<String> {
        self.token
            .as_ref()
            .map(|(server, _)| server.requests())
            .unwrap_or_default()
    }

    fn launch(
        dir: tempfile::TempDir,
        secured: Option<Secured>,
        extra: &str,
        token: Option<TokenServer>,
    ) -> Registry {
        let agent = client(secured.as_ref().map(|s| s.ca.as_path()));
        let mut registry = Registry {
            dir,
            child: None,
            port: 0,
            secured,
            extra: extra.to_owned(),
            agent,
            token: token.map(|server| (server, Mutex::new(HashMap::new()))),
        };
        // A port another test takes between our probe and the registry's bind
        // makes the registry exit: try another.
        for _ in 0..20 {
            let port = free_port();
            if registry.serve(port) {
                return registry;
            }
        }
        panic!("docker-registry found no free port");
    }

    /// A plain-HTTP registry someone else started (a benchmark's): pushed to
    /// like the others, never stopped from here.
    pub fn at(host: &str) -> Registry {
        let port = host
            .strip_prefix("127.0.0.1:")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{host}: not 127.0.0.1:PORT"));
        Registry {
            dir: tempfile::tempdir().unwrap(),
            child: None,
            port,
            secured: None,
            extra: String::new(),
            agent: client(None),
            token: None,
        }
    }

    /// Starts the server on `port`, waits until `/v2/` answers: false when the
    /// port was taken, a panic with the server's output on any other failure.
    fn serve(&mut self, port: u16) -> bool {
        let dir = self.dir.path();
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\n\
                 log:\n  level: warn\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}/storage\n  \
                 delete:\n    enabled: true\n\
                 http:\n  addr: 127.0.0.1:{port}\n  secret: berth-test-secret\n{}",
                dir.display(),
                self.extra
            ),
        )
        .unwrap();
        let log = dir.join("registry.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new(REGISTRY_PROGRAM)
            .arg("serve")
            .arg(&config)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run {REGISTRY_PROGRAM} ({e}): install docker-registry")
            });
        self.port = port;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                let output = std::fs::read_to_string(&log).unwrap_or_default();
                if output.contains("address already in use") {
                    return false;
                }
                panic!("docker-registry exited ({status}):\n{output}");
            }
            if let Ok(answer) = http(&self.agent, "GET", &self.url("/v2/"), &[], None)
                && (answer.status == 200 || answer.status == 401)
            {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("docker-registry did not answer on port {port} in 10 s:\n{output}");
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The test CA's certificate (PEM) when it serves HTTPS.
    pub fn ca_file(&self) -> Option<&Path> {
        self.secured.as_ref().map(|s| s.ca.as_path())
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &'static str {
        if self.secured.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The URL of `path` (which starts with `/`) on this registry.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme(), self.host())
    }

    /// One request with the registry's credentials, if it has any; `url` is a
    /// path on the registry or a whole URL (an upload's `Location`).
    pub fn call(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Answer {
        let url = if url.starts_with('/') {
            self.url(url)
        } else {
            url.to_owned()
        };
        let mut all = headers.to_vec();
        if let Some(secured) = &self.secured {
            all.push(("Authorization", secured.authorization.as_str()));
        }
        let bearer;
        if let Some((server, tokens)) = &self.token {
            let name = repository_of(&url);
            let mut tokens = tokens.lock().unwrap();
            let token = tokens.entry(name.clone()).or_insert_with(|| {
                let access = json!({"type": "repository", "name": name, "actions": ["pull", "push", "delete"]});
                server.issuer().issue("harness", &[access])
            });
            bearer = format!("Bearer {token}");
            all.push(("Authorization", bearer.as_str()));
        }
        http(&self.agent, method, &url, &all, body)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    /// Uploads a blob unless the repository has it; its digest.
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = digest(bytes);
        let head = self.call("HEAD", &format!("/v2/{repo}/blobs/{digest}"), &[], None);
        if head.status == 200 {
            return digest;
        }
        let start = self.call(
            "POST",
            &format!("/v2/{repo}/blobs/uploads/"),
            &[],
            Some(b""),
        );
        assert_eq!(start.status, 202, "start of an upload: {start:?}");
        let location = start.header("location").unwrap();
        let location = if location.starts_with('/') {
            self.url(location)
        } else {
            location.to_owned()
        };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = self.call(
            "PUT",
            &format!("{location}{separator}digest={digest}"),
            &[("Content-Type", "application/octet-stream")],
            Some(bytes),
        );
        assert_eq!(put.status, 201, "blob upload: {put:?}");
        assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
        digest
    }

    /// PUTs a manifest under `reference` (a tag or its digest); its digest,
    /// checked against the one the registry answers.
    pub fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> String {
        let digest = digest(bytes);
        let put = self.call(
            "PUT",
            &format!("/v2/{repo}/manifests/{reference}"),
            &[("Content-Type", media_type)],
            Some(bytes),
        );
        assert_eq!(
            put.status,
            201,
            "manifest {reference}: {put:?}\n{}",
            String::from_utf8_lossy(&put.body)
        );
        assert_eq!(put.header("docker-content-digest"), Some(digest.as_str()));
        digest
    }

    /// Pushes one platform's image (configuration and layer) and returns the
    /// manifest's bytes and digest, not tagged.
    fn push_platform(
        &self,
        repo: &str,
        seed: &str,
        platform: &Platform,
        media: Media,
    ) -> (Vec<u8>, String) {
        let (config, layer) = image_blobs(seed, platform);
        let config_digest = self.put_blob(repo, &config);
        let layer_digest = self.put_blob(repo, &layer);
        let manifest = manifest_bytes(
            media,
            (&config_digest, config.len()),
            (&layer_digest, layer.len()),
            None,
        );
        let digest = digest(&manifest);
        (manifest, digest)
    }

    /// A one-platform image (linux/amd64) made from `seed` under `repo:tag`: a
    /// configuration and one layer (a gzipped tar holding a file with the seed),
    /// so that different seeds give different digests and the same seed the same
    /// one. Returns the manifest's digest.
    pub fn push_image(&self, repo: &str, tag: &str, seed: &str, media: Media) -> String {
        let (manifest, _) =
            self.push_platform(repo, seed, &platform("linux", "amd64", None), media);
        self.put_manifest(repo, tag, media.manifest(), &manifest)
    }

    /// A multi-platform image under `repo:tag`: one image per platform (pushed by
    /// digest, each from `seed` and its platform) and an OCI image index or a
    /// Docker manifest list over them. Returns the index's digest and each
    /// platform's manifest digest, in the order given.
    pub fn push_index(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        platforms: &[Platform],
        media: Media,
    ) -> (String, Vec<(Platform, String)>) {
        let mut entries = Vec::new();
        let mut digests = Vec::new();
        for platform in platforms {
            let (manifest, digest) = self.push_platform(repo, seed, platform, media);
            self.put_manifest(repo, &digest, media.manifest(), &manifest);
            entries.push(json!({
                "mediaType": media.manifest(),
                "digest": digest,
                "size": manifest.len(),
                "platform": platform.json(),
            }));
            digests.push((platform.clone(), digest));
        }
        let index = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": media.index(),
            "manifests": entries,
        }))
        .unwrap();
        (self.put_manifest(repo, tag, media.index(), &index), digests)
    }

    /// Many tags at once: one configuration and layer from `seed`, uploaded once,
    /// then one OCI manifest per tag, each with the tag in an annotation so that
    /// every tag has a digest of its own. Returns the digests, in the order of
    /// `tags`.
    pub fn push_many(&self, repo: &str, tags: &[String], seed: &str) -> Vec<String> {
        let platform = platform("linux", "amd64", None);
        let (config, layer) = image_blobs(seed, &platform);
        let config = (self.put_blob(repo, &config), config.len());
        let layer = (self.put_blob(repo, &layer), layer.len());
        // A few connections at once: the registry writes a handful of small
        // files per manifest.
        let chunk = tags.len().div_ceil(4).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = tags
                .chunks(chunk)
                .map(|tags| {
                    let (config, layer) = (&config, &layer);
                    scope.spawn(move || {
                        tags.iter()
                            .map(|tag| {
                                let annotations = json!({ TAG_ANNOTATION: tag });
                                let manifest = manifest_bytes(
                                    Media::Oci,
                                    (&config.0, config.1),
                                    (&layer.0, layer.1),
                                    Some(&annotations),
                                );
                                self.put_manifest(repo, tag, OCI_MANIFEST, &manifest)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        })
    }

    /// Every tag of `repo`, sorted (the registry's one answer to a tag list).
    pub fn tags(&self, repo: &str) -> Vec<String> {
        let answer = self.call("GET", &format!("/v2/{repo}/tags/list"), &[], None);
        assert_eq!(answer.status, 200, "{answer:?}");
        let mut tags: Vec<String> = answer.json()["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_owned())
            .collect();
        tags.sort_unstable();
        tags
    }

    /// Deletes a manifest by digest (which untags every tag pointing at it).
    pub fn delete_manifest(&self, repo: &str, digest: &str) {
        let answer = self.call(
            "DELETE",
            &format!("/v2/{repo}/manifests/{digest}"),
            &[],
            None,
        );
        assert_eq!(answer.status, 202, "{answer:?}");
    }

    /// The digest a tag resolves to now (a HEAD, as a client does).
    pub fn resolve(&self, repo: &str, tag: &str) -> Option<String> {
        let accept = [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(", ");
        let answer = self.call(
            "HEAD",
            &format!("/v2/{repo}/manifests/{tag}"),
            &[("Accept", &accept)],
            None,
        );
        (answer.status == 200).then(|| answer.header("docker-content-digest").unwrap().to_owned())
    }

    /// Stops the server now (kill and wait); the storage stays until drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port with the same storage.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.serve(self.port) {
            assert!(Instant::now() < deadline, "port {} stayed taken", self.port);
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The annotation that makes each of [`Registry::push_many`]'s manifests unique.
pub const TAG_ANNOTATION: &str = "org.berth.test.tag";

/// The repository a registry URL is about: what comes between `/v2/` and
/// `/manifests/`, `/blobs/` or `/tags/` (empty for `/v2/` itself).
fn repository_of(url: &str) -> String {
    let path = url.split_once("/v2/").map_or("", |(_, p)| p);
    ["/manifests/", "/blobs/", "/tags/"]
        .iter()
        .filter_map(|part| path.find(part))
        .min()
        .and_then(|end| path.get(..end))
        .unwrap_or("")
        .to_owned()
}

/// A port nothing listened on a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Runs a program with `input` as its standard input; its standard output. A
/// failure panics with its standard error.
fn run(command: &mut Command, input: &[u8]) -> Vec<u8> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Runs a program with nothing on its standard input; its standard output.
fn tool(command: &mut Command) -> String {
    String::from_utf8(run(command, b"")).unwrap()
}

/// A CA (`ca.pem`) and a server certificate for the IP 127.0.0.1 signed by it
/// (`server.pem`, `server.key`), P-256, made with the `openssl` command in
/// `dir`. Returns the CA's path.
fn make_certificates(dir: &Path) -> PathBuf {
    let openssl = |args: &[&str]| {
        tool(
            Command::new("openssl")
                .current_dir(dir)
                .args(args)
                .env("OPENSSL_CONF", "/dev/null"),
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        &[
            &["req", "-x509", "-new"][..],
            &key[..],
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "3",
                "-subj",
                "/CN=berth test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ][..],
        ]
        .concat(),
    );
    openssl(
        &[
            &["req", "-new"][..],
            &key[..],
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=127.0.0.1",
            ][..],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\n\
         keyUsage=critical,digitalSignature\n\
         extendedKeyUsage=serverAuth\n\
         subjectAltName=IP:127.0.0.1\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "3",
        "-extfile",
        "server.ext",
    ]);
    dir.join("ca.pem")
}

/// An image's configuration and its one layer (a gzipped tar with the file
/// `seed.txt`; the configuration names the tar's digest as its diff id), both
/// from `seed` and the platform.
fn image_blobs(seed: &str, platform: &Platform) -> (Vec<u8>, Vec<u8>) {
    let tar = tar_with_file(
        "seed.txt",
        format!("{seed}\n{}\n", platform.json()).as_bytes(),
    );
    let diff_id = digest(&tar);
    let mut config = platform.json();
    config["config"] = json!({"Labels": {"org.berth.test.seed": seed}});
    config["rootfs"] = json!({"type": "layers", "diff_ids": [diff_id]});
    config["history"] = json!([{"created_by": "berth's test registry harness"}]);
    (serde_json::to_vec(&config).unwrap(), gzip_stored(&tar))
}

/// A schema 2 manifest (OCI or Docker) over one configuration and one layer.
fn manifest_bytes(
    media: Media,
    config: (&str, usize),
    layer: (&str, usize),
    annotations: Option<&Value>,
) -> Vec<u8> {
    let mut manifest = json!({
        "schemaVersion": 2,
        "mediaType": media.manifest(),
        "config": {"mediaType": media.config(), "digest": config.0, "size": config.1},
        "layers": [{"mediaType": media.layer(), "digest": layer.0, "size": layer.1}],
    });
    if let Some(annotations) = annotations {
        manifest["annotations"] = annotations.clone();
    }
    serde_json::to_vec(&manifest).unwrap()
}

/// A POSIX tar (ustar) of one regular file, mode 0644, time 0.
fn tar_with_file(name: &str, contents: &[u8]) -> Vec<u8> {
    let mut header = [0u8; 512];
    let mut field = |offset: usize, value: &[u8]| {
        header[offset..offset + value.len()].copy_from_slice(value);
    };
    field(0, name.as_bytes());
    field(100, b"0000644\0");
    field(108, b"0000000\0");
    field(116, b"0000000\0");
    field(124, format!("{:011o}\0", contents.len()).as_bytes());
    field(136, b"00000000000\0");
    field(148, b"        ");
    field(156, b"0");
    field(257, b"ustar\0");
    field(263, b"00");
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    header[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut tar = header.to_vec();
    tar.extend_from_slice(contents);
    tar.resize(tar.len().div_ceil(512) * 512, 0);
    tar.resize(tar.len() + 1024, 0);
    tar
}

/// `data` as a gzip member of stored (uncompressed) deflate blocks: what
/// `gunzip` reads, with no compressor needed.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

/// CRC-32 (IEEE), as gzip checks it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Answer {
        http(agent, "GET", url, headers, None).unwrap()
    }

    #[test]
    fn a_pushed_image_is_served_under_the_digest_of_its_bytes() {
        let registry = Registry::start();
        for (media, tag) in [(Media::Oci, "1.0.0"), (Media::Docker, "1.0.1")] {
            let pushed = registry.push_image("team/app", tag, "one", media);
            let path = format!("/v2/team/app/manifests/{tag}");
            let accept = media.manifest();
            let got = registry.call("GET", &path, &[("Accept", accept)], None);
            assert_eq!(got.status, 200);
            assert_eq!(digest(&got.body), pushed);
            assert_eq!(got.header("content-type"), Some(accept));
            let head = registry.call("HEAD", &path, &[("Accept", accept)], None);
            assert_eq!(head.status, 200);
            assert_eq!(head.header("docker-content-digest"), Some(pushed.as_str()));
            assert_eq!(registry.resolve("team/app", tag), Some(pushed.clone()));
            // The blobs are there, and the layer is the gzipped tar of the seed.
            let manifest = got.json();
            assert_eq!(manifest["config"]["mediaType"], media.config());
            let config = registry.call(
                "GET",
                &format!(
                    "/v2/team/app/blobs/{}",
                    manifest["config"]["digest"].as_str().unwrap()
                ),
                &[],
                None,
            );
            assert_eq!(config.status, 200);
            assert_eq!(config.json()["architecture"], "amd64");
            let layer_digest = manifest["layers"][0]["digest"].as_str().unwrap();
            let layer = registry.call(
                "GET",
                &format!("/v2/team/app/blobs/{layer_digest}"),
                &[],
                None,
            );
            assert_eq!(digest(&layer.body), layer_digest);
            let tar = run(Command::new("gzip").args(["-d", "-c"]), &layer.body);
            assert_eq!(config.json()["rootfs"]["diff_ids"], json!([digest(&tar)]));
            let file = run(
                Command::new("tar").args(["-x", "-z", "-O", "-f", "-", "seed.txt"]),
                &layer.body,
            );
            assert_eq!(
                String::from_utf8(file).unwrap(),
                "one\n{\"architecture\":\"amd64\",\"os\":\"linux\"}\n"
            );
        }
        // The same seed gives the same digest, another seed another one; a tag
        // pushed again with another seed moves.
        let again = registry.push_image("team/app", "again", "one", Media::Oci);
        assert_eq!(Some(again.clone()), registry.resolve("team/app", "1.0.0"));
        let moved = registry.push_image("team/app", "1.0.0", "two", Media::Oci);
        assert_ne!(moved, again);
        assert_eq!(registry.resolve("team/app", "1.0.0"), Some(moved));
        assert_eq!(registry.resolve("team/app", "9.9.9"), None);
        let tags = registry.tags("team/app");
        assert_eq!(tags, ["1.0.0", "1.0.1", "again"]);
        // Deleting the manifest untags it.
        registry.delete_manifest("team/app", &again);
        assert_eq!(registry.resolve("team/app", "again"), None);
        let tags = registry.tags("team/app");
        assert_eq!(tags, ["1.0.0", "1.0.1"]);
    }

    #[test]
    fn an_index_lists_its_platforms() {
        let registry = Registry::start();
        let platforms = [
            platform("linux", "amd64", None),
            platform("linux", "arm64", Some("v8")),
            platform("linux", "arm", Some("v7")),
        ];
        for (media, tag) in [(Media::Oci, "2.0.0"), (Media::Docker, "2.0.1")] {
            let (index, each) = registry.push_index("multi", tag, "s", &platforms, media);
            let got = registry.call(
                "GET",
                &format!("/v2/multi/manifests/{tag}"),
                &[("Accept", media.index())],
                None,
            );
            assert_eq!(got.status, 200);
            assert_eq!(got.header("content-type"), Some(media.index()));
            assert_eq!(digest(&got.body), index);
            let listed: Vec<(Value, String, String)> = got.json()["manifests"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| {
                    (
                        m["platform"].clone(),
                        m["digest"].as_str().unwrap().to_owned(),
                        m["mediaType"].as_str().unwrap().to_owned(),
                    )
                })
                .collect();
            let expected: Vec<(Value, String, String)> = each
                .iter()
                .map(|(p, d)| (p.json(), d.clone(), media.manifest().to_owned()))
                .collect();
            assert_eq!(listed, expected);
            assert_eq!(
                listed[1].0,
                json!({"os": "linux", "architecture": "arm64", "variant": "v8"})
            );
            for (platform, digest) in &each {
                let one = registry.call(
                    "GET",
                    &format!("/v2/multi/manifests/{digest}"),
                    &[("Accept", media.manifest())],
                    None,
                );
                assert_eq!(one.status, 200);
                assert_eq!(super::digest(&one.body), *digest);
                let config = one.json()["config"]["digest"].as_str().unwrap().to_owned();
                let config = registry
                    .call("GET", &format!("/v2/multi/blobs/{config}"), &[], None)
                    .json();
                assert_eq!(config["architecture"], platform.architecture);
                assert_eq!(
                    config.get("variant").and_then(Value::as_str),
                    platform.variant.as_deref()
                );
            }
            let distinct: std::collections::BTreeSet<&String> =
                each.iter().map(|(_, d)| d).collect();
            assert_eq!(distinct.len(), 3);
        }
    }

    #[test]
    fn bare_registry_answers_every_tag_in_one_page() {
        let registry = Registry::start();
        let tags: Vec<String> = (0..30).map(|i| format!("1.0.{i}")).collect();
        let digests = registry.push_many("many", &tags, "m");
        assert_eq!(digests.len(), 30);
        let page = registry.call("GET", "/v2/many/tags/list?n=10", &[], None);
        assert_eq!(page.status, 200);
        assert_eq!(page.json()["tags"].as_array().unwrap().len(), 30);
        assert_eq!(page.header("link"), None);
    }

    #[test]
    fn many_tags_are_listed_in_pages_through_the_proxy() {
        let registry = Registry::start();
        let tags: Vec<String> = (0..250)
            .map(|i| format!("1.{}.{}", i / 10, i % 10))
            .collect();
        let digests = registry.push_many("big/app", &tags, "seed");
        let distinct: std::collections::BTreeSet<&String> = digests.iter().collect();
        assert_eq!(distinct.len(), 250);
        for (tag, digest) in tags.iter().zip(&digests).step_by(50) {
            assert_eq!(registry.resolve("big/app", tag).as_ref(), Some(digest));
        }
        let proxy = Proxy::start(&registry, Fault::None);
        let agent = client(None);
        let mut url = proxy.url("/v2/big/app/tags/list?n=100");
        let mut pages = Vec::new();
        let mut seen = Vec::new();
        loop {
            let page = get(&agent, &url, &[]);
            assert_eq!(page.status, 200);
            assert_eq!(page.json()["name"], "big/app");
            let tags: Vec<String> = page.json()["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            pages.push(tags.len());
            seen.extend(tags);
            let Some(link) = page.header("link") else {
                break;
            };
            let next = link
                .strip_prefix('<')
                .unwrap()
                .split_once(">; rel=\"next\"")
                .unwrap()
                .0;
            url = proxy.url(next);
        }
        assert_eq!(pages, [100, 100, 50]);
        let mut sorted = tags.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(
            proxy.requests(),
            [
                ("GET".to_owned(), "/v2/big/app/tags/list?n=100".to_owned()),
                (
                    "GET".to_owned(),
                    format!("/v2/big/app/tags/list?last={}&n=100", sorted[99])
                ),
                (
                    "GET".to_owned(),
                    format!("/v2/big/app/tags/list?last={}&n=100", sorted[199])
                ),
            ]
        );
        // No `n`: the registry's answer as it is.
        let whole = get(&agent, &proxy.url("/v2/big/app/tags/list"), &[]);
        assert_eq!(whole.json()["tags"].as_array().unwrap().len(), 250);
        assert_eq!(proxy.count("GET", "/tags/list"), 4);
    }

    #[test]
    fn tls_and_basic_auth_need_the_ca_and_the_password() {
        let registry = Registry::start_tls_basic("ci", "s3cret pass");
        let ca = registry.ca_file().unwrap();
        assert!(
            std::fs::read_to_string(ca)
                .unwrap()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        let url = format!("https://{}/v2/", registry.host());
        let trusted = client(Some(ca));
        let anonymous = get(&trusted, &url, &[]);
        assert_eq!(anonymous.status, 401);
        assert_eq!(
            anonymous.header("www-authenticate"),
            Some("Basic realm=\"berth-test\"")
        );
        let wrong = get(&trusted, &url, &[("Authorization", &basic("ci", "wrong"))]);
        assert_eq!(wrong.status, 401);
        let right = get(
            &trusted,
            &url,
            &[("Authorization", &basic("ci", "s3cret pass"))],
        );
        assert_eq!(right.status, 200);
        // Without the CA, no answer at all; nor over plain HTTP.
        let error = http(&client(None), "GET", &url, &[], None).unwrap_err();
        assert!(
            error.to_string().to_lowercase().contains("certificate"),
            "{error}"
        );
        let plain = http(
            &client(None),
            "GET",
            &format!("http://{}/v2/", registry.host()),
            &[],
            None,
        );
        assert!(
            plain.map_or(true, |a| a.status == 400),
            "plain HTTP to a TLS port"
        );
        // The harness pushes with the credentials.
        let pushed = registry.push_image("secure/app", "1.0.0", "x", Media::Oci);
        let head = get(
            &trusted,
            &format!("https://{}/v2/secure/app/manifests/1.0.0", registry.host()),
            &[
                ("Authorization", &basic("ci", "s3cret pass")),
                ("Accept", OCI_MANIFEST),
            ],
        );
        assert_eq!(digest(&head.body), pushed);
        // openssl agrees: the certificate is for 127.0.0.1, signed by the CA.
        tool(
            Command::new("openssl")
                .args(["verify", "-verify_ip", "127.0.0.1", "-CAfile"])
                .arg(ca)
                .arg(ca.with_file_name("server.pem")),
        );
    }

    #[test]
    fn bearer_tokens_come_from_the_token_server() {
        let registry = Registry::start_token("ci", "pw");
        let pushed = registry.push_image("team/app", "1.0.0", "t", Media::Oci);
        let realm = registry.token_realm().unwrap();
        assert!(
            registry.token_requests().is_empty(),
            "the harness signs its own"
        );
        let agent = client(None);
        let tags = registry.url("/v2/team/app/tags/list");
        let anonymous = get(&agent, &tags, &[]);
        assert_eq!(anonymous.status, 401);
        assert_eq!(
            anonymous.header("www-authenticate").unwrap(),
            format!(
                "Bearer realm=\"{realm}\",service=\"{SERVICE}\",scope=\"repository:team/app:pull\""
            )
        );
        let token_for = |scope: &str, authorization: Option<&str>| {
            let url = format!("{realm}?service={SERVICE}&scope={scope}");
            let headers: Vec<(&str, &str)> = authorization
                .map(|a| ("Authorization", a))
                .into_iter()
                .collect();
            let answer = get(&agent, &url, &headers);
            (
                answer.status,
                answer.json()["token"]
                    .as_str()
                    .map(|t| format!("Bearer {t}")),
            )
        };
        // Anonymous: pull, and only pull.
        let (status, pull) = token_for("repository:team/app:pull,push", None);
        assert_eq!(status, 200);
        let pull = pull.unwrap();
        let listed = get(&agent, &tags, &[("Authorization", &pull)]);
        assert_eq!(listed.status, 200);
        assert_eq!(listed.json()["tags"], json!(["1.0.0"]));
        let head = http(
            &agent,
            "HEAD",
            &registry.url("/v2/team/app/manifests/1.0.0"),
            &[("Authorization", &pull), ("Accept", OCI_MANIFEST)],
            None,
        )
        .unwrap();
        assert_eq!(head.header("docker-content-digest"), Some(pushed.as_str()));
        let upload = registry.url("/v2/team/app/blobs/uploads/");
        let refused = http(
            &agent,
            "POST",
            &upload,
            &[("Authorization", &pull)],
            Some(b""),
        )
        .unwrap();
        assert_eq!(refused.status, 401);
        // Another repository's token opens nothing here.
        let (_, other) = token_for("repository:team/other:pull", None);
        assert_eq!(
            get(&agent, &tags, &[("Authorization", &other.unwrap())]).status,
            401
        );
        // The user gets push.
        let (status, push) = token_for("repository:team/app:pull,push", Some(&basic("ci", "pw")));
        assert_eq!(status, 200);
        let started = http(
            &agent,
            "POST",
            &upload,
            &[("Authorization", &push.unwrap())],
            Some(b""),
        )
        .unwrap();
        assert_eq!(started.status, 202);
        // Wrong credentials get no token; a token changed after signing is refused.
        assert_eq!(
            token_for("repository:team/app:pull", Some(&basic("ci", "no"))),
            (401, None)
        );
        let forged = pull.replacen(".", ".e", 1);
        assert_eq!(
            get(&agent, &tags, &[("Authorization", &forged)]).status,
            401
        );
        // A token signed by a key the registry does not trust is refused.
        let elsewhere = tempfile::tempdir().unwrap();
        let stranger = TokenServer::start(elsewhere.path(), "ci", "pw");
        let access = json!({"type": "repository", "name": "team/app", "actions": ["pull"]});
        let untrusted = format!(
            "Bearer {}",
            stranger.issuer().issue("ci", std::slice::from_ref(&access))
        );
        assert_eq!(
            get(&agent, &tags, &[("Authorization", &untrusted)]).status,
            401
        );
        let trusted = format!(
            "Bearer {}",
            registry
                .token
                .as_ref()
                .unwrap()
                .0
                .issuer()
                .issue("ci", &[access])
        );
        assert_eq!(
            get(&agent, &tags, &[("Authorization", &trusted)]).status,
            200
        );
        assert_eq!(
            registry.token_requests(),
            [
                format!("/token?service={SERVICE}&scope=repository:team/app:pull,push"),
                format!("/token?service={SERVICE}&scope=repository:team/other:pull"),
                format!("/token?service={SERVICE}&scope=repository:team/app:pull,push"),
                format!("/token?service={SERVICE}&scope=repository:team/app:pull"),
            ]
        );
    }

    #[test]
    fn the_proxy_answers_429_with_retry_after_then_forwards() {
        let registry = Registry::start();
        let pushed = registry.push_image("app", "1.0.0", "a", Media::Oci);
        let proxy = Proxy::start(
            &registry,
            Fault::TooManyRequests {
                first: 2,
                retry_after_secs: 7,
            },
        );
        let agent = client(None);
        let url = proxy.url("/v2/app/manifests/1.0.0");
        let accept = [("Accept", OCI_MANIFEST)];
        for _ in 0..2 {
            let refused = http(&agent, "HEAD", &url, &accept, None).unwrap();
            assert_eq!(refused.status, 429);
            assert_eq!(refused.header("retry-after"), Some("7"));
        }
        let refused_count = proxy.requests().len();
        let through = http(&agent, "HEAD", &url, &accept, None).unwrap();
        assert_eq!(through.status, 200);
        assert_eq!(
            through.header("docker-content-digest"),
            Some(pushed.as_str())
        );
        let body = get(&agent, &url, &accept);
        assert_eq!(digest(&body.body), pushed);
        assert_eq!(refused_count, 2);
        assert_eq!(
            proxy.requests(),
            vec![("HEAD".to_owned(), "/v2/app/manifests/1.0.0".to_owned()); 3]
                .into_iter()
                .chain([("GET".to_owned(), "/v2/app/manifests/1.0.0".to_owned())])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_proxy_can_refuse_head_on_manifests() {
        let registry = Registry::start();
        let pushed = registry.push_image("app", "1.0.0", "a", Media::Docker);
        let proxy = Proxy::start(&registry, Fault::NoHead);
        let agent = client(None);
        let accept = [("Accept", DOCKER_MANIFEST)];
        let head = http(
            &agent,
            "HEAD",
            &proxy.url("/v2/app/manifests/1.0.0"),
            &accept,
            None,
        )
        .unwrap();
        assert_eq!(head.status, 405);
        assert_eq!(head.header("allow"), Some("GET"));
        // HEAD on anything else is forwarded.
        let base = http(&agent, "HEAD", &proxy.url("/v2/"), &[], None).unwrap();
        assert_eq!(base.status, 200);
        let got = get(&agent, &proxy.url("/v2/app/manifests/1.0.0"), &accept);
        assert_eq!(got.status, 200);
        assert_eq!(got.header("docker-content-digest"), Some(pushed.as_str()));
        assert_eq!(digest(&got.body), pushed);
        assert_eq!(proxy.count("HEAD", "/manifests/"), 1);
        assert_eq!(proxy.count("GET", "/manifests/"), 1);
    }

    #[test]
    fn the_proxy_can_die_after_some_requests_and_the_registry_can_stop() {
        let mut registry = Registry::start();
        registry.push_image("app", "1.0.0", "a", Media::Oci);
        let proxy = Proxy::start(&registry, Fault::DieAfter(2));
        let agent = client(None);
        for _ in 0..2 {
            assert_eq!(
                get(&agent, &proxy.url("/v2/app/tags/list"), &[]).status,
                200
            );
        }
        assert!(http(&agent, "GET", &proxy.url("/v2/app/tags/list"), &[], None).is_err());
        assert!(http(&agent, "GET", &proxy.url("/v2/"), &[], None).is_err());
        assert_eq!(proxy.requests().len(), 4);
        // A stopped registry refuses connections; restarted, it has its images.
        let direct = registry.url("/v2/");
        registry.stop();
        assert!(http(&agent, "GET", &direct, &[], None).is_err());
        registry.restart();
        assert!(registry.resolve("app", "1.0.0").is_some());
    }
}

//! The loopback proxy in front of a test registry: request counts, faults, and
//! tag lists paged as the distribution spec says.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::server::{Head, Server, answer, read_head};
use super::{Answer, Registry, client, http};

/// What a [`Proxy`] does wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing: every request is forwarded.
    None,
    /// The first `first` requests are answered `429 Too Many Requests` with
    /// `Retry-After: retry_after_secs` (and the spec's `TOOMANYREQUESTS` error);
    /// the ones after are forwarded.
    TooManyRequests {
        /// How many requests are refused.
        first: usize,
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// `HEAD` on a manifest is answered `405 Method Not Allowed` (with `Allow:
    /// GET`), so that a client must `GET` it; the rest is forwarded.
    NoHead,
    /// The first N requests are forwarded; on every later one the connection is
    /// closed without an answer.
    DieAfter(usize),
}

/// A loopback HTTP proxy in front of a plain-HTTP [`Registry`]: it records every
/// request, answers some with a [`Fault`], pages tag lists as the distribution
/// spec says (distribution 2.8 does not: see the module's documentation), and
/// forwards the rest, one request per connection (`Connection: close`).
/// Dropping it stops it.
pub struct Proxy {
    server: Server,
    state: Arc<ProxyState>,
}

struct ProxyState {
    upstream: String,
    fault: Fault,
    received: AtomicUsize,
    requests: Mutex<Vec<(String, String)>>,
    agent: ureq::Agent,
    /// Where each request is also written, one `METHOD TARGET` line each.
    log: Mutex<Option<std::fs::File>>,
}

impl Proxy {
    /// Listens on a free loopback port, forwarding to `upstream`.
    pub fn start(upstream: &Registry, fault: Fault) -> Proxy {
        assert!(
            upstream.secured.is_none(),
            "the proxy forwards to plain HTTP only"
        );
        let state = Arc::new(ProxyState {
            upstream: upstream.host(),
            fault,
            received: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
            agent: client(None),
            log: Mutex::new(None),
        });
        let shared = Arc::clone(&state);
        let server = Server::start(move |stream| {
            let _ = shared.handle(stream);
        });
        Proxy { server, state }
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.server.port())
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.host())
    }

    /// (method, path and query) of every request received, in order.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.state.requests.lock().unwrap().clone()
    }

    /// How many requests received had this method and a target (path and
    /// query) containing `part`.
    pub fn count(&self, method: &str, part: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(m, p)| m == method && p.contains(part))
            .count()
    }

    /// Also appends each request from now on to `path`, a `METHOD TARGET` line
    /// each (for a benchmark's shell script).
    pub fn log_to(&self, path: &Path) {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        *self.state.log.lock().unwrap() = Some(file);
    }

    /// Forgets the requests received so far (the fault's count goes on).
    pub fn clear(&self) {
        self.state.requests.lock().unwrap().clear();
    }
}

impl ProxyState {
    fn handle(&self, mut client: TcpStream) -> std::io::Result<()> {
        client.set_read_timeout(Some(Duration::from_secs(60)))?;
        let Some((head, rest)) = read_head(&mut client)? else {
            return Ok(());
        };
        let number = self.received.fetch_add(1, Ordering::SeqCst);
        self.requests
            .lock()
            .unwrap()
            .push((head.method.clone(), head.target.clone()));
        if let Some(log) = self.log.lock().unwrap().as_mut() {
            writeln!(log, "{} {}", head.method, head.target)?;
        }
        let path = head.path();
        match self.fault {
            Fault::DieAfter(n) if number >= n => {
                return client.shutdown(Shutdown::Both);
            }
            Fault::TooManyRequests {
                first,
                retry_after_secs,
            } if number < first => {
                let body = br#"{"errors":[{"code":"TOOMANYREQUESTS","message":"too many requests","detail":null}]}"#;
                return answer(
                    &mut client,
                    "429 Too Many Requests",
                    &[
                        ("Retry-After", &retry_after_secs.to_string()),
                        ("Content-Type", "application/json"),
                    ],
                    body,
                    head.method == "HEAD",
                );
            }
            Fault::NoHead if head.method == "HEAD" && path.contains("/manifests/") => {
                let body = br#"{"errors":[{"code":"UNSUPPORTED","message":"HEAD is not served","detail":null}]}"#;
                return answer(
                    &mut client,
                    "405 Method Not Allowed",
                    &[("Allow", "GET"), ("Content-Type", "application/json")],
                    body,
                    true,
                );
            }
            _ => {}
        }
        if head.method == "GET"
            && path.starts_with("/v2/")
            && path.ends_with("/tags/list")
            && let Some(page) = self.tags_page(&head, path)
        {
            let headers: Vec<(&str, &str)> = page
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let reason = if page.status == 200 { "OK" } else { "Upstream" };
            let status = format!("{} {reason}", page.status);
            return answer(&mut client, &status, &headers, &page.body, false);
        }
        self.forward(client, &head, &rest)
    }

    /// A page of the tag list when the request asks for one (`n`), from the
    /// registry's whole list: sorted, after `last`, at most `n`, and a `Link` to
    /// the next page when there is more. None when it asks for no page.
    fn tags_page(&self, head: &Head, path: &str) -> Option<Answer> {
        let n: usize = head.query("n").first()?.parse().ok()?;
        let last = head.query("last").into_iter().next();
        let headers: Vec<(&str, &str)> = head
            .header("authorization")
            .map(|value| ("Authorization", value))
            .into_iter()
            .collect();
        let whole = http(
            &self.agent,
            "GET",
            &format!("http://{}{path}", self.upstream),
            &headers,
            None,
        )
        .ok()?;
        let content_type = whole
            .header("content-type")
            .unwrap_or("application/json")
            .to_owned();
        if whole.status != 200 {
            // A refusal as the registry made it (`WWW-Authenticate` and all).
            let headers = whole
                .headers
                .into_iter()
                .filter(|(n, _)| {
                    !matches!(
                        n.as_str(),
                        "content-length" | "connection" | "transfer-encoding"
                    )
                })
                .collect();
            return Some(Answer {
                status: whole.status,
                headers,
                body: whole.body,
            });
        }
        let list = whole.json();
        let mut tags: Vec<String> = list["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        tags.sort();
        tags.retain(|t| last.as_ref().is_none_or(|last| t > last));
        let more = tags.len() > n;
        tags.truncate(n);
        let mut headers = vec![("Content-Type".to_owned(), content_type)];
        if more && let Some(last) = tags.last() {
            headers.push((
                "Link".to_owned(),
                format!("<{path}?last={last}&n={n}>; rel=\"next\""),
            ));
        }
        let body = serde_json::to_vec(&json!({"name": list["name"], "tags": tags})).unwrap();
        Some(Answer {
            status: 200,
            headers,
            body,
        })
    }

    /// Sends the request on to the registry with `Connection: close`, then
    /// copies bytes both ways until the registry closes.
    fn forward(&self, mut client: TcpStream, head: &Head, rest: &[u8]) -> std::io::Result<()> {
        let mut upstream = TcpStream::connect(&self.upstream)?;
        let mut out = format!("{} {} HTTP/1.1\r\n", head.method, head.target);
        for (name, value) in &head.headers {
            let lower = name.to_ascii_lowercase();
            if !matches!(
                lower.as_str(),
                "connection" | "keep-alive" | "proxy-connection"
            ) {
                out.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        out.push_str("Connection: close\r\n\r\n");
        upstream.write_all(out.as_bytes())?;
        upstream.write_all(rest)?;
        let mut to_upstream = upstream.try_clone()?;
        let mut from_client = client.try_clone()?;
        let sender = std::thread::spawn(move || {
            let _ = std::io::copy(&mut from_client, &mut to_upstream);
        });
        let _ = std::io::copy(&mut upstream, &mut client);
        let _ = client.shutdown(Shutdown::Both);
        let _ = upstream.shutdown(Shutdown::Both);
        let _ = sender.join();
        Ok(())
    }
}

//! The bearer-token flow of a test registry: a token server on loopback that
//! issues JWTs (RS256, signed by the `openssl` command with a key made here,
//! its certificate in the header's `x5c`) which the registry checks against
//! that certificate (`auth.token.rootcertbundle`), as Docker Hub's and GHCR's
//! registries check theirs.
//!
//! `GET /token?service=…&scope=repository:NAME:pull,push…`: with the user's
//! basic credentials every action asked is granted; without any, only `pull`;
//! with wrong ones, 401.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::server::{Head, Server, answer, read_head};
use super::{base64, basic, run, tool};

/// The `service` the registry names in its challenge and the tokens' audience.
pub const SERVICE: &str = "berth-test-registry";
/// The tokens' issuer.
pub const ISSUER: &str = "berth-test-token-server";

/// The token server. Dropping it stops it.
pub struct TokenServer {
    server: Server,
    state: Arc<Issuer>,
}

/// What signs tokens and whom it grants what.
pub struct Issuer {
    key: PathBuf,
    certificate: PathBuf,
    /// The certificate's DER, base64: the header's `x5c`.
    x5c: String,
    user: String,
    authorization: String,
    issued: AtomicUsize,
    requests: Mutex<Vec<String>>,
}

impl TokenServer {
    /// Makes the signing key and certificate in `dir` and listens on a free
    /// loopback port.
    pub fn start(dir: &Path, user: &str, password: &str) -> TokenServer {
        tool(
            Command::new("openssl")
                .current_dir(dir)
                .env("OPENSSL_CONF", "/dev/null")
                .args([
                    "req",
                    "-x509",
                    "-new",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-keyout",
                    "token.key",
                    "-out",
                    "token.pem",
                    "-days",
                    "3",
                    "-subj",
                    "/CN=berth test token signer",
                ]),
        );
        let certificate = dir.join("token.pem");
        let pem = std::fs::read_to_string(&certificate).unwrap();
        let x5c = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect::<String>();
        let state = Arc::new(Issuer {
            key: dir.join("token.key"),
            certificate,
            x5c,
            user: user.to_owned(),
            authorization: basic(user, password),
            issued: AtomicUsize::new(0),
            requests: Mutex::new(Vec::new()),
        });
        let shared = Arc::clone(&state);
        let server = Server::start(move |mut stream| {
            if let Ok(Some((head, _))) = read_head(&mut stream) {
                let _ = shared.handle(&mut stream, &head);
            }
        });
        TokenServer { server, state }
    }

    /// `http://127.0.0.1:PORT/token`, the realm the registry names.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.server.port())
    }

    /// The certificate the registry trusts tokens from.
    pub fn certificate(&self) -> &Path {
        &self.state.certificate
    }

    /// The issuer.
    pub fn issuer(&self) -> &Issuer {
        &self.state
    }

    /// The path and query of every request received, in order.
    pub fn requests(&self) -> Vec<String> {
        self.state.requests.lock().unwrap().clone()
    }
}

impl Issuer {
    fn handle(&self, stream: &mut std::net::TcpStream, head: &Head) -> std::io::Result<()> {
        self.requests.lock().unwrap().push(head.target.clone());
        let json_type = [("Content-Type", "application/json")];
        if head.method != "GET" || head.path() != "/token" {
            return answer(stream, "404 Not Found", &json_type, b"{}", false);
        }
        let (subject, all) = match head.header("authorization") {
            None => ("", false),
            Some(value) if value == self.authorization => (self.user.as_str(), true),
            Some(_) => {
                let body =
                    br#"{"errors":[{"code":"UNAUTHORIZED","message":"wrong user or password"}]}"#;
                return answer(stream, "401 Unauthorized", &json_type, body, false);
            }
        };
        if head.query("service") != [SERVICE] {
            let body = br#"{"errors":[{"code":"DENIED","message":"unknown service"}]}"#;
            return answer(stream, "400 Bad Request", &json_type, body, false);
        }
        let access: Vec<Value> = head
            .query("scope")
            .iter()
            .flat_map(|scope| scope.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .filter_map(|scope| {
                let (kind, rest) = scope.split_once(':')?;
                let (name, actions) = rest.rsplit_once(':')?;
                let actions: Vec<&str> = actions
                    .split(',')
                    .filter(|action| all || *action == "pull")
                    .collect();
                Some(json!({"type": kind, "name": name, "actions": actions}))
            })
            .collect();
        let token = self.issue(subject, &access);
        let body = serde_json::to_vec(&json!({
            "token": token,
            "access_token": token,
            "expires_in": 3600,
        }))
        .unwrap();
        answer(stream, "200 OK", &json_type, &body, false)
    }

    /// A token for `subject` granting `access` (`[{"type", "name",
    /// "actions"}]`), valid for an hour.
    pub fn issue(&self, subject: &str, access: &[Value]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let header = json!({"alg": "RS256", "typ": "JWT", "x5c": [self.x5c]});
        let claims = json!({
            "iss": ISSUER,
            "sub": subject,
            "aud": SERVICE,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": now + 3600,
            "jti": self.issued.fetch_add(1, Ordering::SeqCst).to_string(),
            "access": access,
        });
        let signed = format!(
            "{}.{}",
            base64(&serde_json::to_vec(&header).unwrap(), true),
            base64(&serde_json::to_vec(&claims).unwrap(), true)
        );
        let signature = run(
            Command::new("openssl")
                .env("OPENSSL_CONF", "/dev/null")
                .args(["dgst", "-sha256", "-binary", "-sign"])
                .arg(&self.key),
            signed.as_bytes(),
        );
        format!("{signed}.{}", base64(&signature, true))
    }
}

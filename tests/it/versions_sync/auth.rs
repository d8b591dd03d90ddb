//! `berth versions sync` against registries that want credentials: TLS with a
//! test CA and HTTP basic auth, and the bearer-token flow, with credentials from
//! `BERTH_REGISTRY_AUTH`, the Docker config file and a credential helper.

use std::path::Path;

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};

use super::{MAP, entry, refused, repo_with, requests, sync_with, synced};
use crate::oci::{Media, Registry};

/// A Docker config file in a directory of its own: `DOCKER_CONFIG` names it.
fn docker_config(dir: &Path, config: &Value) -> String {
    std::fs::write(dir.join("config.json"), serde_json::to_vec(config).unwrap()).unwrap();
    dir.display().to_string()
}

#[test]
fn a_registry_with_tls_and_basic_auth_takes_credentials_as_container_tools_give_them() {
    let registry = Registry::start_tls_basic("ann", "s3cret");
    let image = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let host = registry.host();
    let ca = registry.ca_file().unwrap().display().to_string();
    let repo = repo_with("api", &format!("{host}/shop/api"));
    let expected = entry("v1.0.0", &image, &[]);

    // With another CA, the certificate is not trusted.
    let other = Registry::start_tls_basic("x", "y");
    let other_ca = other.ca_file().unwrap().display().to_string();
    let report = refused(
        &repo,
        &["api", "--registry-ca", &other_ca],
        &[],
        4,
        "berth::registry-unreachable",
    );
    let message = report["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "could not reach the registry {host}: GET /v2/shop/api/tags/list?n=100: "
        )),
        "{message}"
    );
    // Anonymous: the registry asks for credentials berth has not got.
    let report = refused(
        &repo,
        &["api", "--registry-ca", &ca],
        &[],
        4,
        "berth::registry-auth",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "the registry {host} refused access: it asks for a user and password (HTTP basic), and none are set for {host}"
        )
    );
    assert!(
        report["error"]["help"]
            .as_str()
            .unwrap()
            .ends_with(&format!(
                "\nfor CI: BERTH_REGISTRY_AUTH='{host}=<user>:<password>'"
            )),
        "{report:#}"
    );
    // Wrong credentials are refused by the registry.
    let wrong = format!("{host}=ann:wrong");
    let report = refused(
        &repo,
        &["api", "--registry-ca", &ca],
        &[("BERTH_REGISTRY_AUTH", &wrong)],
        4,
        "berth::registry-auth",
    );
    assert_eq!(
        report["error"]["message"],
        format!(
            "the registry {host} refused access: GET /v2/shop/api/tags/list?n=100 answered 401 for `ann`"
        )
    );
    // Credentials for another host are not sent.
    let elsewhere = "registry.example.com=ann:s3cret";
    refused(
        &repo,
        &["api", "--registry-ca", &ca],
        &[("BERTH_REGISTRY_AUTH", elsewhere)],
        4,
        "berth::registry-auth",
    );

    // From the environment variable.
    let right = format!("other.example.com=x:y\n{host}=ann:s3cret\n");
    let (code, outcome) = sync_with(
        &repo,
        &["api", "--registry-ca", &ca],
        &[("BERTH_REGISTRY_AUTH", &right)],
    );
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(repo.read(MAP), expected);

    // From the Docker config file's `auths`, with the CA from berth.toml.
    let repo = repo_with("api", &format!("{host}/shop/api"));
    std::fs::copy(&ca, repo.path().join("registry-ca.pem")).unwrap();
    let settings = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &format!("{settings}\n[registries]\nca_file = \"registry-ca.pem\"\n"),
    );
    repo.berth().args(["validate"]).assert().success();
    let config_dir = tempfile::tempdir().unwrap();
    let auth = Base64::encode_string(b"ann:s3cret");
    let dir = docker_config(
        config_dir.path(),
        &json!({"auths": {format!("https://{host}"): {"auth": auth}}}),
    );
    let (code, outcome) = sync_with(&repo, &["api"], &[("DOCKER_CONFIG", &dir)]);
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(repo.read(MAP), expected);

    // From a credential helper the config file names for the host.
    let repo = repo_with("api", &format!("{host}/shop/api"));
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-berthtest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\n[ \"$1\" = get ] && [ \"$server\" = \"{host}\" ] || exit 1\necho '{{\"ServerURL\":\"{host}\",\"Username\":\"ann\",\"Secret\":\"s3cret\"}}'\n"
        ),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(&helper).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&helper, permissions).unwrap();
    let dir = docker_config(
        config_dir.path(),
        &json!({"credHelpers": {host.clone(): "berthtest"}}),
    );
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let (code, outcome) = sync_with(
        &repo,
        &["api", "--registry-ca", &ca],
        &[("DOCKER_CONFIG", &dir), ("PATH", &path)],
    );
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(repo.read(MAP), expected);

    // From the helper that stores every registry's credentials (`credsStore`).
    let repo = repo_with("api", &format!("{host}/shop/api"));
    let dir = docker_config(config_dir.path(), &json!({"credsStore": "berthtest"}));
    let (code, outcome) = sync_with(
        &repo,
        &["api", "--registry-ca", &ca],
        &[("DOCKER_CONFIG", &dir), ("PATH", &path)],
    );
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(repo.read(MAP), expected);
}

#[test]
fn a_registry_with_a_token_service_is_read_with_its_bearer_token() {
    let registry = Registry::start_token("ci", "pw");
    let image = registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let host = registry.host();
    let repo = repo_with("api", &format!("{host}/shop/api"));

    // Anonymous: the token service grants pull; one token for the repository.
    let before = registry.token_requests().len();
    let outcome = synced(&repo, &["api"]);
    assert_eq!(outcome["requests"], requests(2, 1, 0, 1));
    let asked = registry.token_requests()[before..].to_vec();
    assert_eq!(
        asked,
        [format!(
            "/token?service={}&scope=repository%3Ashop%2Fapi%3Apull",
            crate::oci::SERVICE
        )]
    );
    assert_eq!(repo.read(MAP), entry("v1.0.0", &image, &[]));

    // With credentials from the variable, the token is asked with them.
    let repo = repo_with("api", &format!("{host}/shop/api"));
    let auth = format!("{host}=ci:pw");
    let (code, outcome) = sync_with(&repo, &["api"], &[("BERTH_REGISTRY_AUTH", &auth)]);
    assert_eq!(code, 0, "{outcome:#}");
    assert_eq!(repo.read(MAP), entry("v1.0.0", &image, &[]));
    // Wrong ones are refused by the token service.
    let wrong = format!("{host}=ci:nope");
    let report = refused(
        &repo,
        &["api", "--refresh"],
        &[("BERTH_REGISTRY_AUTH", &wrong)],
        4,
        "berth::registry-auth",
    );
    assert_eq!(
        report["error"]["message"],
        format!("the registry {host} refused access: its token service refused `ci`")
    );
}

#[test]
fn a_host_named_insecure_is_asked_over_plain_http() {
    let registry = Registry::start_tls_basic("ann", "s3cret");
    registry.push_image("shop/api", "v1.0.0", "one", Media::Oci);
    let host = registry.host();
    let ca = registry.ca_file().unwrap().display().to_string();
    let repo = repo_with("api", &format!("{host}/shop/api"));
    let auth = format!("{host}=ann:s3cret");
    let env = [("BERTH_REGISTRY_AUTH", auth.as_str())];
    // With its CA, the loopback registry is asked over HTTPS...
    let (code, outcome) = sync_with(&repo, &["api", "--registry-ca", &ca], &env);
    assert_eq!(code, 0, "{outcome:#}");
    std::fs::remove_file(repo.path().join(MAP)).unwrap();
    // ...unless the flag names it insecure: plain HTTP, which its TLS port
    // answers with 400.
    let plain_http =
        format!("the registry {host} refused GET /v2/shop/api/tags/list?n=100: it answered 400");
    let report = refused(
        &repo,
        &["api", "--registry-ca", &ca, "--insecure-registry", &host],
        &env,
        4,
        "berth::registry-refused",
    );
    assert_eq!(report["error"]["message"], plain_http);
    // berth.toml's list does the same, by host name for every port.
    let settings = repo.read("berth.toml");
    repo.write(
        "berth.toml",
        &format!("{settings}\n[registries]\ninsecure = [\"127.0.0.1\"]\n"),
    );
    repo.git_command(&["commit", "-qam", "The loopback registry is insecure"]);
    let report = refused(
        &repo,
        &["api", "--registry-ca", &ca],
        &env,
        4,
        "berth::registry-refused",
    );
    assert_eq!(report["error"]["message"], plain_http);
}

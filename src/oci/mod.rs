//! An image registry as the OCI distribution API serves it: listing a
//! repository's tags and resolving a tag to its manifest digest, with the
//! credentials, TLS roots, retries and request budget of one run. It knows
//! nothing of berth's repositories; `crate::registry`'s `versions sync` uses it.
//!
//! One concept per file: `reference` (what an image repository names, and
//! whether it is reached over HTTPS or plain HTTP), `credentials` (the Docker
//! config file, its credential helpers and `BERTH_REGISTRY_AUTH`), `manifest`
//! (the manifest media types and an index's platforms) and `client` (the
//! requests: authentication, `Retry-After`, pagination and the budget).
//!
//! Why not the `oci-client` crate: it is async (tokio and reqwest, a long
//! build on CI), it follows no `Link` header when listing tags, it retries
//! nothing on `429` and it cannot count or cap the requests of a run, which are
//! what a rate-limited registry charges for. The distribution API berth needs is
//! three requests (`tags/list`, manifest `HEAD` and `GET`) and the token flow,
//! over `ureq` with rustls.

mod client;
mod credentials;
mod manifest;
mod reference;

pub use client::{
    Client, Options, PAGE_SIZE, Requests, Retry, challenge_params, next_link, pem_certificates,
};
pub use credentials::{Basic, Credentials};
pub use manifest::{Platform, Resolved, platforms};
pub use reference::{ImageRef, is_plain_http};

/// Why a registry could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OciError {
    /// The image repository is not one berth can reach.
    #[error("`{reference}` is not an image repository: {reason}")]
    #[diagnostic(
        code("berth::bad-image-repository"),
        help(
            "a component's image_repository is `host[:port]/path/name` (lowercase path components), or `name` or `org/name` on Docker Hub"
        )
    )]
    Reference {
        /// The repository as written.
        reference: String,
        /// What is wrong.
        reason: String,
    },
    /// The registry could not be reached, or the connection broke.
    #[error("could not reach the registry {host}: {reason}")]
    #[diagnostic(
        code("berth::registry-unreachable"),
        help(
            "check the registry's address, that it is running and the network to it; plain HTTP is used only for loopback addresses and hosts named insecure, and a private CA's certificate must be given"
        )
    )]
    Unreachable {
        /// The registry.
        host: String,
        /// Why.
        reason: String,
    },
    /// The registry answered with an error or with something that is not what
    /// the distribution API answers.
    #[error("the registry {host} refused {request}: {reason}")]
    #[diagnostic(
        code("berth::registry-refused"),
        help(
            "check that the image repository exists on the registry and holds images berth reads (OCI or Docker v2 manifests and indexes)"
        )
    )]
    Refused {
        /// The registry.
        host: String,
        /// The request.
        request: String,
        /// What it answered.
        reason: String,
    },
    /// The registry kept answering 429 or 503 after the retries.
    #[error(
        "the registry {host} is limiting requests: {request} still answered {status} after {tries} tries"
    )]
    #[diagnostic(
        code("berth::registry-rate-limited"),
        help(
            "the registry limits how many requests it answers (Docker Hub: 100 manifest requests per 6 hours without an account); wait, sign in for a larger allowance, or sync fewer components at a time"
        )
    )]
    RateLimited {
        /// The registry.
        host: String,
        /// The request.
        request: String,
        /// The last status.
        status: u16,
        /// How many times it was sent.
        tries: u32,
    },
    /// The registry wants credentials berth has not got, or refused them.
    #[error("the registry {host} refused access: {reason}")]
    #[diagnostic(
        code("berth::registry-auth"),
        help(
            "log in as container tools do (`docker login`, which writes ~/.docker/config.json or a credential helper's store), or set BERTH_REGISTRY_AUTH to `host=user:password`"
        )
    )]
    Auth {
        /// The registry.
        host: String,
        /// Why.
        reason: String,
    },
    /// The run made as many requests as it may.
    #[error("the request budget of {budget} requests is spent: {next} was not sent")]
    #[diagnostic(
        code("berth::request-budget"),
        help(
            "the budget caps what one run may cost against a rate-limited registry; raise it for a first sync of many tags, after which only tag lists and new tags are requested"
        )
    )]
    Budget {
        /// The budget.
        budget: u64,
        /// The request that would have gone over it.
        next: String,
    },
}

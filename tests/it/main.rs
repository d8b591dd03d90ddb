//! berth's integration tests: the real binary against real temporary git
//! repositories.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::string_slice,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

mod cli;
mod codes;
mod completions;
mod concurrency;
mod config_queries;
mod configs;
mod consistency;
mod demo;
mod docs;
mod env_merges;
mod environments;
mod faults;
mod fixtures;
mod forgery;
mod formats;
mod fresh_clone;
mod fuzz_corpus;
mod history;
mod hostile;
mod identity;
mod init;
mod install;
mod layers;
mod lifecycle;
mod ls;
mod man;
mod matrix;
mod oci;
mod r#override;
mod pr_workflow;
mod precommit;
mod progress;
mod promote;
mod put;
mod readme;
mod releases;
mod remote;
mod remote_faults;
mod remote_writers;
mod repair;
mod reports;
mod review;
mod schemas;
mod show;
mod signatures;
mod signing;
mod sources;
mod starter;
mod succession;
mod validate;
mod versions_sync;

//! berth keeps the deployable state of a software estate in git.

pub mod bump;
pub mod canonical;
pub mod check;
pub mod config;
pub mod demo;
pub mod diagnostic;
pub mod document;
pub mod env;
pub mod fs;
pub mod kinds;
pub mod lifecycle;
pub mod names;
pub mod objects;
pub mod oci;
pub mod registry;
pub mod release;
pub mod repo;
pub mod report;
pub mod review;
pub mod schema;
pub mod settings;
pub mod signers;
pub mod source;
pub mod store;
pub mod time;
pub mod workspace;

//! What berth says is wrong with a repository: [`Finding`]s, each with a stable
//! [`Code`]. Everything that reads input builds them (the document reader's
//! callers, the kinds, berth.toml, the store, the validator), so they sit at the
//! bottom of the crate, below all of those.

pub mod code;
pub mod error_code;
pub mod finding;

pub use code::Code;
pub use error_code::ErrorCode;
pub use finding::{Finding, Severity, plural};

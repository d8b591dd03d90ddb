//! SSH signatures as git makes them (`gpg.format = ssh`): git's allowed-signers
//! file and the verification of a signature against it. Nothing here knows of
//! git's objects or of berth: `repo` reads a commit's signature and payload, the
//! environment audit judges them.

mod file;
mod verify;

pub use file::{AllowedSigners, Entry, LineError, parse_time};
pub use verify::{NAMESPACE, SignatureKey, Signer, Verdict, match_list};

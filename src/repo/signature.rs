//! A commit's signature as git stores it: the `gpgsig` header, and the commit
//! without it, which is what was signed. Verifying them is `signers`'s.

use git2::ErrorCode;

use super::{Git, GitError, Oid};

/// A signed commit's signature and the bytes it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSignature {
    /// The `gpgsig` header's value: an armored signature (SSH, OpenPGP or X.509).
    pub signature: Vec<u8>,
    /// The commit object without its signature header.
    pub payload: Vec<u8>,
}

impl Git {
    /// The signature of a commit and what it signs, or `None` for an unsigned
    /// commit.
    pub fn signature(&self, id: Oid) -> Result<Option<CommitSignature>, GitError> {
        match self.repo.extract_signature(&id, None) {
            Ok((signature, payload)) => Ok(Some(CommitSignature {
                signature: signature.to_vec(),
                payload: payload.to_vec(),
            })),
            Err(error) if error.code() == ErrorCode::NotFound => Ok(None),
            Err(error) => Err(GitError {
                action: format!("reading the signature of commit {id}"),
                error,
            }),
        }
    }
}

//! Ids shortened for people, as `git log --oneline` shortens commits: objects,
//! commits and image digests.

/// `<store>/<hash>` with the hash cut to 12 digits, as `git log --oneline` shortens.
pub fn short_object(object: &str) -> String {
    match object.split_once('/') {
        Some((store, hash)) => format!("{store}/{}", short_hash(hash)),
        None => object.to_owned(),
    }
}

/// An object hash cut to 12 digits.
pub fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// A commit id cut to 12 digits.
pub fn short_commit(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

/// `sha256:` and the first 12 hex digits.
pub fn short_digest(digest: &str) -> String {
    digest.get(..19).unwrap_or(digest).to_owned()
}

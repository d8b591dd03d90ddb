//! Verifying an SSH signature (`SSHSIG`) over a signed payload against an
//! allowed-signers file, as `git verify-commit` does with
//! `gpg.ssh.allowedSignersFile` (`ssh-keygen -Y find-principals`, then `-Y
//! verify`): the signature must verify with the key it carries, in the `git`
//! namespace; the key must be listed for a principal, with the namespace
//! allowed, valid at the time given (the commit's committer time).

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use ssh_key::public::{EcdsaPublicKey, KeyData};
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::file::{AllowedSigners, Entry};

/// The namespace git signs commits in.
pub const NAMESPACE: &str = "git";

/// Who signed: the principals the allowed-signers file lists for the key, and
/// the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Signer {
    /// The principals listed for the key (usually one e-mail address).
    pub principals: Vec<String>,
    /// The key's SHA-256 fingerprint, `SHA256:...` as ssh-keygen prints it.
    pub fingerprint: String,
}

impl std::fmt::Display for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.principals.join(", "), self.fingerprint)
    }
}

/// What a signature proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It verifies, with a key allowed at that time.
    Good(Signer),
    /// It does not verify: the payload was altered after signing, the signature
    /// is another payload's or forged, or it is not an SSH signature in the
    /// `git` namespace.
    Bad(String),
    /// It verifies, but its key is not allowed: not listed, or listed for
    /// another time or namespace.
    NotAllowed {
        /// The key's fingerprint.
        fingerprint: String,
        /// Why it is not allowed.
        reason: String,
    },
}

impl AllowedSigners {
    /// Verifies `signature` (the armored text of a commit's `gpgsig` header)
    /// over `payload` (the commit without it), made at `at` (seconds since the
    /// Unix epoch).
    pub fn verify(&self, signature: &[u8], payload: &[u8], at: i64) -> Verdict {
        let (sig, key) = match read_signature(signature) {
            Ok(read) => read,
            Err(reason) => return Verdict::Bad(reason),
        };
        if sig.namespace() != NAMESPACE {
            return Verdict::Bad(format!(
                "the signature was made for the namespace `{}`, not for git's `{NAMESPACE}`",
                sig.namespace()
            ));
        }
        if PublicKey::new(key.clone(), "")
            .verify(NAMESPACE, payload, &sig)
            .is_err()
        {
            return Verdict::Bad(
                "the signature does not verify: the commit was changed after it was signed, or the signature was made for another commit".to_owned(),
            );
        }
        self.allows(&key, at)
    }

    /// Whether `key` is allowed to sign in git's namespace at `at`: `Good` or
    /// `NotAllowed`.
    pub fn allows(&self, key: &KeyData, at: i64) -> Verdict {
        let fingerprint = key.fingerprint(HashAlg::Sha256).to_string();
        let listed: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|entry| !entry.cert_authority && entry.key == *key)
            .collect();
        let mut principals: Vec<String> = Vec::new();
        let mut refusal = None;
        for entry in &listed {
            match entry.refusal(at) {
                None => {
                    for principal in &entry.principals {
                        if !principals.contains(principal) {
                            principals.push(principal.clone());
                        }
                    }
                }
                Some(reason) => {
                    refusal.get_or_insert(reason);
                }
            }
        }
        if !principals.is_empty() {
            return Verdict::Good(Signer {
                principals,
                fingerprint,
            });
        }
        let reason = refusal
            .unwrap_or_else(|| format!("the key {fingerprint} is not in the allowed signers"));
        Verdict::NotAllowed {
            fingerprint,
            reason,
        }
    }
}

impl Entry {
    /// Why this line does not allow its key to sign commits at `at`, if it
    /// does not.
    fn refusal(&self, at: i64) -> Option<String> {
        let who = self.principals.join(",");
        if let Some(namespaces) = &self.namespaces
            && !match_list(NAMESPACE, namespaces)
        {
            return Some(format!(
                "line {} allows {who}'s key to sign only in the namespaces {}, not git's",
                self.line,
                namespaces.join(",")
            ));
        }
        if let Some(after) = self.valid_after
            && at < after
        {
            return Some(format!(
                "line {} allows {who}'s key from {} on, and the commit is of {}",
                self.line,
                shown(after),
                shown(at)
            ));
        }
        if let Some(before) = self.valid_before
            && at > before
        {
            return Some(format!(
                "line {} allows {who}'s key until {}, and the commit is of {}",
                self.line,
                shown(before),
                shown(at)
            ));
        }
        None
    }
}

fn shown(seconds: i64) -> String {
    Timestamp::from_second(seconds).map_or_else(|_| seconds.to_string(), |time| time.to_string())
}

/// The SSH signature and the key it carries, or why there is none berth can
/// verify.
fn read_signature(armored: &[u8]) -> Result<(SshSig, KeyData), String> {
    let Ok(text) = std::str::from_utf8(armored) else {
        return Err("the signature is not text".to_owned());
    };
    if text.contains("-----BEGIN PGP SIGNATURE-----") {
        return Err("an OpenPGP signature: berth verifies SSH signatures only".to_owned());
    }
    if !text.contains("-----BEGIN SSH SIGNATURE-----") {
        return Err("not an SSH signature: berth verifies SSH signatures only".to_owned());
    }
    let sig = SshSig::from_pem(text.trim())
        .map_err(|error| format!("the SSH signature does not read: {error}"))?;
    let key = sig.public_key().clone();
    let supported = match &key {
        KeyData::Ed25519(_) | KeyData::Rsa(_) => true,
        KeyData::Ecdsa(ecdsa) => matches!(
            ecdsa,
            EcdsaPublicKey::NistP256(_) | EcdsaPublicKey::NistP384(_)
        ),
        _ => false,
    };
    if !supported {
        return Err(format!(
            "a signature by a {} key, which berth cannot verify (it verifies ed25519, ecdsa nistp256 and nistp384, and RSA keys)",
            key.algorithm()
        ));
    }
    Ok((sig, key))
}

/// Whether `text` matches a list of patterns as OpenSSH's `match_pattern_list`
/// does: a match of a negated pattern (`!p`) refuses, otherwise any match
/// accepts.
pub fn match_list(text: &str, patterns: &[String]) -> bool {
    let mut matched = false;
    for pattern in patterns {
        match pattern.strip_prefix('!') {
            Some(negated) if matches_pattern(text, negated) => return false,
            Some(_) => {}
            None => matched |= matches_pattern(text, pattern),
        }
    }
    matched
}

/// `*` matches any run of characters, `?` any one.
fn matches_pattern(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let (mut t, mut p) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p = p.saturating_add(1);
            }
            Some(&c) if c == '?' || Some(&c) == text.get(t) => {
                p = p.saturating_add(1);
                t = t.saturating_add(1);
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p.saturating_add(1);
                    t = star_t.saturating_add(1);
                    star = Some((star_p, t));
                }
                None => return false,
            },
        }
    }
    pattern.iter().skip(p).all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_openssh_matches_them() {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let cases = [
            ("git", list(&["git"]), true),
            ("git", list(&["file", "git"]), true),
            ("git", list(&["g*"]), true),
            ("git", list(&["g?t"]), true),
            ("git", list(&["*", "!git"]), false),
            ("git", list(&["file"]), false),
            ("git", list(&[]), false),
            ("git", list(&["gi"]), false),
        ];
        for (text, patterns, expected) in cases {
            assert_eq!(match_list(text, &patterns), expected, "{patterns:?}");
        }
    }

    #[test]
    fn what_is_not_an_ssh_signature_is_bad() {
        let signers = AllowedSigners::default();
        let cases = [
            (
                &b"-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n"[..],
                "OpenPGP",
            ),
            (b"\xff", "not text"),
            (b"hello", "not an SSH signature"),
            (
                b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
                "does not read",
            ),
        ];
        for (signature, expected) in cases {
            match signers.verify(signature, b"payload", 0) {
                Verdict::Bad(reason) => assert!(reason.contains(expected), "{reason}"),
                other => panic!("{other:?}"),
            }
        }
    }
}

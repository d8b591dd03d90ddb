//! Verifying an SSH signature (`SSHSIG`) over a signed payload against an
//! allowed-signers file, as `git verify-commit` does with
//! `gpg.ssh.allowedSignersFile` (`ssh-keygen -Y find-principals`, then `-Y
//! verify`): the signature must verify with the key it carries, in the `git`
//! namespace; the key must be listed for a principal, with the namespace
//! allowed, valid at the time given (the commit's committer time).

use base64ct::{Base64, Encoding};
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::Serialize;
use ssh_key::certificate::CertType;
use ssh_key::public::KeyData;
use ssh_key::{Certificate, Fingerprint, HashAlg, PublicKey, Signature, SshSig};

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

/// The key a signature is made with: a plain public key, or a certificate
/// that an authority issued for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureKey {
    /// A plain key, allowed by a line that lists it.
    Plain(KeyData),
    /// A certificate, allowed by a `cert-authority` line that lists its issuer.
    Certificate(Box<Certificate>),
}

impl SignatureKey {
    /// The signing key's SHA-256 fingerprint, as ssh-keygen prints it (for a
    /// certificate, its key's).
    pub fn fingerprint(&self) -> String {
        let key = match self {
            SignatureKey::Plain(key) => key,
            SignatureKey::Certificate(certificate) => certificate.public_key(),
        };
        key.fingerprint(HashAlg::Sha256).to_string()
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
        let (sig, certificate) = match read_signature(signature) {
            Ok(read) => read,
            Err(reason) => return Verdict::Bad(reason),
        };
        if sig.namespace() != NAMESPACE {
            return Verdict::Bad(format!(
                "the signature was made for the namespace `{}`, not for git's `{NAMESPACE}`",
                sig.namespace()
            ));
        }
        if PublicKey::new(sig.public_key().clone(), "")
            .verify(NAMESPACE, payload, &sig)
            .is_err()
        {
            return Verdict::Bad(
                "the signature does not verify: the commit was changed after it was signed, or the signature was made for another commit".to_owned(),
            );
        }
        match certificate {
            None => self.allows_plain(sig.public_key(), at),
            Some(certificate) => self.allows_certificate(&certificate, at),
        }
    }

    /// Whether a signature by `key` is allowed in git's namespace at `at`:
    /// `Good` or `NotAllowed`.
    pub fn allows(&self, key: &SignatureKey, at: i64) -> Verdict {
        match key {
            SignatureKey::Plain(key) => self.allows_plain(key, at),
            SignatureKey::Certificate(certificate) => self.allows_certificate(certificate, at),
        }
    }

    /// Whether a plain `key` is allowed to sign in git's namespace at `at`.
    fn allows_plain(&self, key: &KeyData, at: i64) -> Verdict {
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

impl AllowedSigners {
    /// Whether a signature made with `certificate` is allowed at `at`, as
    /// `ssh-keygen -Y verify` allows it: a `cert-authority` line lists the key
    /// that signed the certificate; the certificate is a user certificate,
    /// valid then, whose principals include one the line's patterns match (the
    /// signers are those); the line's own options allow it.
    fn allows_certificate(&self, certificate: &Certificate, at: i64) -> Verdict {
        let fingerprint = certificate
            .public_key()
            .fingerprint(HashAlg::Sha256)
            .to_string();
        let authority = certificate.signature_key();
        let authority_fingerprint = authority.fingerprint(HashAlg::Sha256);
        let mut principals: Vec<String> = Vec::new();
        let mut refusal = None;
        for entry in self
            .entries
            .iter()
            .filter(|entry| entry.cert_authority && entry.key == *authority)
        {
            let reason = entry
                .refusal(at)
                .or_else(|| certificate_refusal(certificate, at, &authority_fingerprint));
            if let Some(reason) = reason {
                refusal.get_or_insert(reason);
                continue;
            }
            let matched: Vec<&String> = certificate
                .valid_principals()
                .iter()
                .filter(|principal| match_list(principal, &entry.principals))
                .collect();
            if matched.is_empty() {
                refusal.get_or_insert(format!(
                    "line {} trusts the certificate's authority, but for none of the certificate's principals ({})",
                    entry.line,
                    certificate.valid_principals().join(", ")
                ));
            }
            for principal in matched {
                if !principals.contains(principal) {
                    principals.push(principal.clone());
                }
            }
        }
        if !principals.is_empty() {
            return Verdict::Good(Signer {
                principals,
                fingerprint,
            });
        }
        let reason = refusal.unwrap_or_else(|| {
            format!(
                "the certificate's authority {authority_fingerprint} is not a cert-authority in the allowed signers"
            )
        });
        Verdict::NotAllowed {
            fingerprint,
            reason,
        }
    }
}

/// Why a certificate issued by the authority whose fingerprint is `authority`
/// does not stand at `at`, if it does not: its authority's signature, its type
/// and its validity.
fn certificate_refusal(
    certificate: &Certificate,
    at: i64,
    authority: &Fingerprint,
) -> Option<String> {
    if certificate.cert_type() != CertType::User {
        return Some(
            "the signature was made with a host certificate, not a user certificate".to_owned(),
        );
    }
    if certificate.valid_principals().is_empty() {
        return Some("the certificate names no principals".to_owned());
    }
    let time = u64::try_from(at).unwrap_or(0);
    if certificate.validate_at(time, [authority]).is_err() {
        return Some(format!(
            "the certificate is not valid at {}: its authority's signature does not verify, or the commit is outside its validity",
            shown(at)
        ));
    }
    None
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

/// The SSH signature (with the key that made it) and, when it was made with a
/// certificate, the certificate; or why there is none berth can verify.
fn read_signature(armored: &[u8]) -> Result<(SshSig, Option<Certificate>), String> {
    let Ok(text) = std::str::from_utf8(armored) else {
        return Err("the signature is not text".to_owned());
    };
    if text.contains("-----BEGIN PGP SIGNATURE-----") {
        return Err("an OpenPGP signature: berth verifies SSH signatures only".to_owned());
    }
    if !text.contains("-----BEGIN SSH SIGNATURE-----") {
        return Err("not an SSH signature: berth verifies SSH signatures only".to_owned());
    }
    let (sig, certificate) = match SshSig::from_pem(text.trim()) {
        Ok(sig) => (sig, None),
        Err(error) => match certificate_signature(text) {
            Some((sig, certificate)) => (sig, Some(certificate)),
            None => return Err(format!("the SSH signature does not read: {error}")),
        },
    };
    let key = sig.public_key();
    let supported = matches!(
        key,
        KeyData::Ed25519(_) | KeyData::Ecdsa(_) | KeyData::Rsa(_)
    );
    if !supported {
        return Err(format!(
            "a signature by a {} key, which berth cannot verify (it verifies ed25519, ecdsa and RSA keys)",
            key.algorithm()
        ));
    }
    Ok((sig, certificate))
}

/// An `SSHSIG` whose public key is a certificate (PROTOCOL.sshsig: the magic
/// `SSHSIG`, a version, then the public key, namespace, reserved field, hash
/// algorithm and signature, each a length-prefixed string): the signature,
/// carrying the certificate's key, and the certificate.
fn certificate_signature(text: &str) -> Option<(SshSig, Certificate)> {
    let body: String = text
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != "-----BEGIN SSH SIGNATURE-----")
        .skip(1)
        .take_while(|line| *line != "-----END SSH SIGNATURE-----")
        .collect();
    let bytes = Base64::decode_vec(&body).ok()?;
    let mut rest = bytes.strip_prefix(b"SSHSIG")?;
    let version = take_u32(&mut rest)?;
    let public_key = take_string(&mut rest)?;
    let namespace = std::str::from_utf8(take_string(&mut rest)?).ok()?;
    let reserved = take_string(&mut rest)?;
    let hash = std::str::from_utf8(take_string(&mut rest)?).ok()?;
    let signature = take_string(&mut rest)?;
    if version != 1 || !reserved.is_empty() || !rest.is_empty() {
        return None;
    }
    let certificate = Certificate::from_bytes(public_key).ok()?;
    let sig = SshSig::new(
        certificate.public_key().clone(),
        namespace,
        HashAlg::new(hash).ok()?,
        Signature::try_from(signature).ok()?,
    )
    .ok()?;
    Some((sig, certificate))
}

fn take_u32(bytes: &mut &[u8]) -> Option<u32> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    *bytes = rest;
    Some(u32::from_be_bytes(*head))
}

fn take_string<'a>(bytes: &mut &'a [u8]) -> Option<&'a [u8]> {
    let length = usize::try_from(take_u32(bytes)?).ok()?;
    let (string, rest) = bytes.split_at_checked(length)?;
    *bytes = rest;
    Some(string)
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

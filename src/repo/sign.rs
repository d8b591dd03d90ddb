//! Signing commits as `git commit -S` does with `gpg.format = ssh`: the key is
//! the one git would use (`user.signingKey`: a private key file, a public key
//! whose private half an ssh-agent holds, or a `key::` literal; without it, the
//! first key `gpg.ssh.defaultKeyCommand` prints), the signature is made by
//! `ssh-keygen -Y sign -n git` (or `gpg.ssh.program`) over the commit object,
//! and it goes into the commit's `gpgsig` header exactly where and as git puts
//! it. So `git verify-commit` and a hosting service's "Verified" badge read it
//! as they read git's own.
//!
//! berth runs ssh-keygen rather than signing in process: it is what git runs, so
//! every key git can sign with works the same way (an agent, a hardware key, a
//! passphrase asked on the terminal, 1Password's or another `gpg.ssh.program`),
//! and no private key is ever read by berth. It costs one process a commit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use ssh_key::{Certificate, PrivateKey, PublicKey};

use super::Git;
use super::error::{CommitError, GitError};
use crate::signers::{AllowedSigners, SignatureKey, Verdict};

/// The program git signs with when `gpg.ssh.program` is not set.
const DEFAULT_PROGRAM: &str = "ssh-keygen";

/// Why berth cannot sign a commit it was asked to sign: it writes none.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SignError {
    /// No key to sign with is configured, or it cannot be read.
    #[error("berth cannot sign the commit: {reason}")]
    #[diagnostic(
        code("berth::cannot-sign"),
        help(
            "configure the key as for `git commit -S` with SSH: `git config gpg.format ssh` and `git config user.signingKey ~/.ssh/id_ed25519.pub` (a public key whose private half is in ssh-agent, a private key file, or `key::ssh-ed25519 AAAA...`); nothing was written"
        )
    )]
    NoKey {
        /// What is missing or unreadable.
        reason: String,
    },
    /// The signing program failed.
    #[error("`{program} -Y sign` failed: {reason}")]
    #[diagnostic(
        code("berth::signing-failed"),
        help(
            "check that the key is readable, or that ssh-agent holds it (`ssh-add -L`, with SSH_AUTH_SOCK set); `git commit -S` fails the same way. Nothing was written"
        )
    )]
    Failed {
        /// The program.
        program: String,
        /// What it said, or why it could not run.
        reason: String,
    },
    /// The signature made does not verify against the environment's allowed
    /// signers: the key file and the key that signed differ, or the program
    /// signed with another key.
    #[error("the signature `{program}` made is not one the audit would accept: {reason}")]
    #[diagnostic(
        code("berth::signing-failed"),
        help(
            "check that user.signingKey names the key you mean to sign with (a public key file must be the public half of the key ssh-agent holds); nothing was written"
        )
    )]
    Unverified {
        /// The program.
        program: String,
        /// Why the signature does not verify.
        reason: String,
    },
}

/// The key git would sign commits with, and the program it signs with.
#[derive(Debug, Clone)]
pub struct SigningKey {
    key: KeySource,
    program: String,
}

#[derive(Debug, Clone)]
enum KeySource {
    /// A key file, private or public (whose private half an agent holds).
    File(PathBuf),
    /// A public key given literally; the private half is in an agent.
    Literal(String),
}

/// How a commit is signed: with this key, the signature checked against the
/// signers that will judge it (an environment's allowed signers) before the
/// commit is written.
#[derive(Debug, Clone)]
pub struct Signing {
    /// The key.
    pub key: SigningKey,
    /// The signers the signature must satisfy at the commit's committer time.
    pub allowed: Option<Arc<AllowedSigners>>,
}

impl Git {
    /// Whether git signs every commit here with an SSH key: `commit.gpgSign` is
    /// true and `gpg.format` is `ssh`.
    pub fn signs_commits(&self) -> Result<bool, GitError> {
        let config = self.config()?;
        let sign = config.get_bool("commit.gpgsign").unwrap_or(false);
        let format = config.get_string("gpg.format").unwrap_or_default();
        Ok(sign && format.eq_ignore_ascii_case("ssh"))
    }

    /// How git signs the commits it writes on a branch here: with the key it
    /// would use when it signs every commit with SSH, otherwise not at all.
    pub fn commit_signing(&self) -> Result<Option<Signing>, CommitError> {
        if !self.signs_commits()? {
            return Ok(None);
        }
        Ok(Some(Signing {
            key: self.signing_key()?,
            allowed: None,
        }))
    }

    /// The key git would sign with: `user.signingKey`, or the first key
    /// `gpg.ssh.defaultKeyCommand` prints; and `gpg.ssh.program`.
    pub fn signing_key(&self) -> Result<SigningKey, SignError> {
        let config = self.config().map_err(|error| SignError::NoKey {
            reason: error.to_string(),
        })?;
        let program = config
            .get_string("gpg.ssh.program")
            .ok()
            .filter(|program| !program.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_PROGRAM.to_owned());
        let configured = config
            .get_string("user.signingkey")
            .ok()
            .filter(|key| !key.trim().is_empty());
        let key = match configured {
            Some(key) => match literal_key(&key) {
                Some(literal) => KeySource::Literal(literal.to_owned()),
                None => KeySource::File(self.key_path(&key)),
            },
            None => {
                let command = config
                    .get_string("gpg.ssh.defaultkeycommand")
                    .ok()
                    .filter(|command| !command.trim().is_empty())
                    .ok_or_else(|| SignError::NoKey {
                        reason: "git has no signing key: user.signingKey is not set".to_owned(),
                    })?;
                KeySource::Literal(default_key(&command)?)
            }
        };
        Ok(SigningKey { key, program })
    }

    /// A key path as git reads it: `~/` is the home directory, and a relative
    /// path is relative to the top of the working tree.
    fn key_path(&self, text: &str) -> PathBuf {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("~/")
            && let Some(home) = std::env::var_os("HOME")
        {
            return PathBuf::from(home).join(rest);
        }
        let path = PathBuf::from(text);
        if path.is_absolute() {
            path
        } else {
            self.workdir.join(path)
        }
    }

    fn config(&self) -> Result<git2::Config, GitError> {
        self.repo.config().map_err(|error| GitError {
            action: "reading git's configuration".to_owned(),
            error,
        })
    }

    /// Signs `payload` (a commit object without its signature) with `signing`,
    /// the signature checked against its allowed signers at `at` (the commit's
    /// committer time, in seconds since the Unix epoch). Returns the armored
    /// signature without its final newline, as the `gpgsig` header holds it.
    pub(super) fn sign(
        &self,
        signing: &Signing,
        payload: &[u8],
        at: i64,
    ) -> Result<String, SignError> {
        let key = &signing.key;
        let mut scratch = Scratch::new(self.repo.path());
        let failed = |reason: String| SignError::Failed {
            program: key.program.clone(),
            reason,
        };
        let message = scratch.path("commit");
        let signature_file = scratch.path("commit.sig");
        std::fs::write(&message, payload)
            .map_err(|error| failed(format!("writing `{}`: {error}", message.display())))?;
        let mut command = Command::new(&key.program);
        command.args(["-Y", "sign", "-n", crate::signers::NAMESPACE, "-f"]);
        match &key.key {
            KeySource::File(path) => {
                command.arg(path);
            }
            KeySource::Literal(literal) => {
                let file = scratch.path("key.pub");
                std::fs::write(&file, format!("{literal}\n"))
                    .map_err(|error| failed(format!("writing `{}`: {error}", file.display())))?;
                command.arg(file).arg("-U");
            }
        }
        let output = command
            .arg(&message)
            .stdin(Stdio::null())
            .output()
            .map_err(|error| failed(format!("it could not be run: {error}")))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr).trim().to_owned();
            return Err(failed(if said.is_empty() {
                format!("it exited with {}", output.status)
            } else {
                said
            }));
        }
        let mut signature = String::new();
        std::fs::File::open(&signature_file)
            .and_then(|mut file| file.read_to_string(&mut signature))
            .map_err(|error| failed(format!("reading the signature it wrote: {error}")))?;
        let signature = signature.trim_end().to_owned();
        if !signature.starts_with("-----BEGIN SSH SIGNATURE-----") {
            return Err(failed("it wrote no SSH signature".to_owned()));
        }
        if let Some(allowed) = &signing.allowed {
            match allowed.verify(signature.as_bytes(), payload, at) {
                Verdict::Good(_) => {}
                Verdict::Bad(reason)
                | Verdict::NotAllowed {
                    reason,
                    fingerprint: _,
                } => {
                    return Err(SignError::Unverified {
                        program: key.program.clone(),
                        reason,
                    });
                }
            }
        }
        Ok(signature)
    }
}

impl SigningKey {
    /// The public key: the literal, or read from the key file (a public key or
    /// a certificate; a private key's public half, which OpenSSH keeps
    /// unencrypted; or the `.pub` file beside it).
    pub fn public_key(&self) -> Result<SignatureKey, SignError> {
        match &self.key {
            KeySource::Literal(literal) => {
                read_public_text(literal).ok_or_else(|| SignError::NoKey {
                    reason: format!(
                        "the signing key `{literal}` does not read as an SSH public key"
                    ),
                })
            }
            KeySource::File(path) => read_public(path),
        }
    }
}

/// A public key or certificate in OpenSSH's one-line format.
fn read_public_text(text: &str) -> Option<SignatureKey> {
    let text = text.trim();
    if let Ok(key) = PublicKey::from_openssh(text) {
        return Some(SignatureKey::Plain(key.key_data().clone()));
    }
    Certificate::from_openssh(text)
        .ok()
        .map(|certificate| SignatureKey::Certificate(Box::new(certificate)))
}

fn read_public(path: &Path) -> Result<SignatureKey, SignError> {
    let unreadable = |error: &dyn std::fmt::Display| SignError::NoKey {
        reason: format!(
            "the signing key `{}` cannot be read: {error}",
            path.display()
        ),
    };
    let bytes = std::fs::read(path).map_err(|error| unreadable(&error))?;
    if let Some(key) = read_public_text(&String::from_utf8_lossy(&bytes)) {
        return Ok(key);
    }
    if let Ok(key) = PrivateKey::from_openssh(&bytes) {
        return Ok(SignatureKey::Plain(key.public_key().key_data().clone()));
    }
    let mut beside = path.as_os_str().to_owned();
    beside.push(".pub");
    std::fs::read_to_string(&beside)
        .ok()
        .and_then(|text| read_public_text(&text))
        .ok_or_else(|| {
            unreadable(&"it is neither an OpenSSH public key, certificate nor private key, and no `.pub` file beside it reads")
        })
}

/// The key of a `user.signingKey` that git reads as a literal: `key::` and
/// what follows, or (as git still accepts) a value that starts with `ssh-`.
fn literal_key(value: &str) -> Option<&str> {
    let value = value.trim();
    match value.strip_prefix("key::") {
        Some(key) => Some(key.trim()),
        None if value.starts_with("ssh-") => Some(value),
        None => None,
    }
}

/// The first key `gpg.ssh.defaultKeyCommand` prints, as git takes it: the
/// command split at white space and run without a shell, and the first line
/// that reads as a literal key.
fn default_key(command: &str) -> Result<String, SignError> {
    let mut words = command.split_whitespace();
    let program = words.next().unwrap_or_default();
    let output = Command::new(program)
        .args(words)
        .stdin(Stdio::null())
        .output()
        .map_err(|error| SignError::NoKey {
            reason: format!("gpg.ssh.defaultKeyCommand `{command}` could not be run: {error}"),
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(literal_key)
        .map(str::to_owned)
        .filter(|_| output.status.success())
        .ok_or_else(|| SignError::NoKey {
            reason: format!("gpg.ssh.defaultKeyCommand `{command}` printed no key"),
        })
}

/// Files made for one signature inside the git directory, removed when it is
/// dropped.
struct Scratch {
    dir: PathBuf,
    prefix: String,
    made: Vec<PathBuf>,
}

impl Scratch {
    fn new(git_dir: &Path) -> Scratch {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let count = COUNT.fetch_add(1, Ordering::Relaxed);
        Scratch {
            dir: git_dir.to_owned(),
            prefix: format!("berth-sign-{}-{count}", std::process::id()),
            made: Vec::new(),
        }
    }

    /// A path for one file, removed on drop.
    fn path(&mut self, name: &str) -> PathBuf {
        let path = self.dir.join(format!("{}.{name}", self.prefix));
        self.made.push(path.clone());
        path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        for path in &self.made {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_keys_are_read_as_git_reads_them() {
        assert_eq!(
            literal_key("key::ssh-ed25519 AAAA test"),
            Some("ssh-ed25519 AAAA test")
        );
        assert_eq!(literal_key("ssh-ed25519 AAAA"), Some("ssh-ed25519 AAAA"));
        assert_eq!(literal_key("~/.ssh/id_ed25519.pub"), None);
        assert_eq!(literal_key("ecdsa-sha2-nistp256 AAAA"), None);
    }
}

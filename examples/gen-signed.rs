//! Signs an environment's whole log, for the `berth verify` benchmark.
//!
//! ```text
//! cargo run --release --example gen-repo -- --objects 1000 /tmp/bench-signed
//! cargo run --release --example gen-promotions -- --promotions 10000 /tmp/bench-signed
//! cargo run --release --example gen-signed -- /tmp/bench-signed
//! ```
//!
//! Makes every commit of `dev`'s first-parent log again, oldest first, with the
//! same tree, message, author and committer, its first parent the commit made
//! again before it, and an SSH signature as `git commit -S` with `gpg.format =
//! ssh` makes one (an `SSHSIG` in git's namespace over the commit, SHA-512),
//! signed in process with a fixed ed25519 key rather than by one ssh-keygen
//! process per commit. Then lists the key in `signers/dev`, makes `dev` require
//! signed commits in berth.toml, commits both on the catalog branch, and points
//! git's `gpg.ssh.allowedSignersFile` at the file, so that `git log
//! --show-signature` and `git verify-commit` judge the same signatures.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use clap::Parser;
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::{HashAlg, LineEnding, PrivateKey};

/// Sign every commit of an environment's log
#[derive(Debug, Parser)]
#[command(name = "gen-signed")]
struct Args {
    /// The environment
    #[arg(long, default_value = "dev")]
    env: String,
    /// The repository (made by gen-repo and gen-promotions)
    dir: PathBuf,
}

fn git(dir: &PathBuf, args: &[&str]) -> Result<String, Box<dyn Error>> {
    let output = Command::new("git").current_dir(dir).args(args).output()?;
    if !output.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&output.stderr)).into());
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let repo = git2::Repository::open(&args.dir)?;
    let key = PrivateKey::new(
        KeypairData::from(Ed25519Keypair::from_seed(&[7; 32])),
        "bench@berth.invalid",
    )?;
    let refname = format!("refs/heads/env/{}", args.env);
    let tip = repo.refname_to_id(&refname)?;
    let mut chain = Vec::new();
    let mut next = Some(tip);
    while let Some(id) = next {
        let commit = repo.find_commit(id)?;
        next = commit.parent_ids().next();
        chain.push(id);
    }
    chain.reverse();
    let started = Instant::now();
    let mut previous: Option<git2::Oid> = None;
    for id in &chain {
        let commit = repo.find_commit(*id)?;
        let mut parents: Vec<git2::Commit<'_>> = commit.parents().collect();
        if let Some(previous) = previous {
            parents[0] = repo.find_commit(previous)?;
        }
        let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let buffer = repo.commit_create_buffer(
            &commit.author(),
            &commit.committer(),
            commit.message_raw()?,
            &commit.tree()?,
            &parents,
        )?;
        let content = buffer.as_str()?;
        let signature = key
            .sign("git", HashAlg::Sha512, content.as_bytes())?
            .to_pem(LineEnding::LF)?;
        previous = Some(repo.commit_signed(content, &signature, None)?);
    }
    let signed = previous.ok_or("the environment has no commits")?;
    repo.reference(&refname, signed, true, "gen-signed: sign every commit")?;
    writeln!(
        std::io::stderr(),
        "signed {} commits of {} in {:.2} s",
        chain.len(),
        args.env,
        started.elapsed().as_secs_f64()
    )?;
    let signers = format!(
        "bench@berth.invalid namespaces=\"git\" {}\n",
        key.public_key().to_openssh()?
    );
    let path = format!("signers/{}", args.env);
    std::fs::create_dir_all(args.dir.join("signers"))?;
    std::fs::write(args.dir.join(&path), signers)?;
    let settings_path = args.dir.join("berth.toml");
    let settings = std::fs::read_to_string(&settings_path)?;
    let section = format!("[environments.{}]\n", args.env);
    let settings = settings.replacen(
        &section,
        &format!("{section}require_signed = true\nallowed_signers = \"{path}\"\n"),
        1,
    );
    std::fs::write(&settings_path, settings)?;
    git(&args.dir, &["add", "berth.toml", &path])?;
    git(
        &args.dir,
        &[
            "commit",
            "-q",
            "--no-verify",
            "-m",
            "dev requires signed commits",
        ],
    )?;
    let absolute = std::fs::canonicalize(args.dir.join(&path))?;
    git(
        &args.dir,
        &[
            "config",
            "gpg.ssh.allowedSignersFile",
            &absolute.to_string_lossy(),
        ],
    )?;
    Ok(())
}

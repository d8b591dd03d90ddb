//! Adds a component registry and the releases of one package to a berth
//! repository, for the benchmark of the rules across a package's versions.
//!
//! ```text
//! cargo run --release --example gen-releases -- --releases 500 /tmp/bench-100k
//! ```
//!
//! Registers `api` (with a version map of `--releases` + 1 tags) and `worker`, and
//! commits `--releases` releases of `shop`, 1.0.0, 1.1.0, ..., each a minor bump
//! moving the api's digest; then writes the next release and stages it, uncommitted:
//! the change `berth validate --staged --base HEAD` is measured on.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use berth::canonical::ObjectHash;
use berth::document::Format;
use berth::kinds::release::{Release, ReleaseComponent, Role};
use berth::store::{ObjectPath, RELEASES};
use clap::Parser;

/// Add a registry and the releases of one package to a berth repository
#[derive(Debug, Parser)]
#[command(name = "gen-releases")]
struct Args {
    /// How many releases to commit
    #[arg(long, value_name = "N", default_value_t = 500)]
    releases: u32,
    /// The berth repository (its working tree)
    dir: PathBuf,
}

/// The digest of the api's image at minor version `minor`.
fn digest(minor: u32) -> String {
    format!("sha256:{minor:064x}")
}

/// Release 1.`minor`.0 of `shop`.
fn release(minor: u32) -> Release {
    let created = 1_746_093_600 + i64::from(minor) * 60;
    Release {
        package: "shop".to_owned(),
        version: format!("1.{minor}.0"),
        name: None,
        display_name: None,
        created_at: jiff::Timestamp::from_second(created)
            .map(|t| t.to_string())
            .unwrap_or_default(),
        source: None,
        components: vec![
            ReleaseComponent {
                name: "api".to_owned(),
                digest: digest(minor),
                tag: Some(format!("v1.{minor}.0")),
                semver: Some(format!("1.{minor}.0")),
                role: Role::Primary,
            },
            ReleaseComponent {
                name: "worker".to_owned(),
                digest: format!("sha256:{}", "e".repeat(64)),
                tag: None,
                semver: None,
                role: Role::Sidecar,
            },
        ],
        integrations: Some(vec![serde_json::json!({"provider": "telegram"})]),
        inputs: None,
        configs: None,
        metadata: Default::default(),
    }
}

/// Writes a release where the store puts it; returns its path.
fn write_release(dir: &Path, minor: u32) -> Result<String, Box<dyn Error>> {
    let release = release(minor);
    let path = ObjectPath {
        store: RELEASES.to_owned(),
        partition: release.package.clone(),
        hash: ObjectHash::of(&serde_json::to_value(&release)?),
        format: Format::Json,
    }
    .path();
    let file = dir.join(&path);
    if let Some(parent) = file.parent() {
        fs::create_dir_all(parent)?;
    }
    let mut bytes = serde_json::to_vec_pretty(&release)?;
    bytes.push(b'\n');
    fs::write(file, bytes)?;
    Ok(path)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let dir = &args.dir;
    fs::create_dir_all(dir.join("components"))?;
    for name in ["api", "worker"] {
        fs::write(
            dir.join(format!("components/{name}.toml")),
            format!(
                "name = \"{name}\"\ndisplay_name = \"{name}\"\nimage_repository = \"registry.example.com/shop/{name}\"\ndefault_channel = \"stable\"\n\n[versioning]\ntype = \"semver\"\n"
            ),
        )?;
    }
    let map: Vec<String> = (0..=args.releases)
        .map(|minor| {
            format!(
                "[[versions]]\ntag = \"v1.{minor}.0\"\ndigest = \"{}\"\nsemver = \"1.{minor}.0\"\nchannel = \"stable\"\nprerelease = false\nresolved_at = \"2025-05-01T12:00:00Z\"\nsource = \"auto\"\n",
                digest(minor)
            )
        })
        .collect();
    fs::write(dir.join("components/api.versions.toml"), map.join("\n"))?;
    for minor in 0..args.releases {
        write_release(dir, minor)?;
    }
    let git = |git_args: &[&str]| -> Result<(), Box<dyn Error>> {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(git_args)
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("git {} failed", git_args.join(" ")).into())
        }
    };
    git(&["add", "components", "objects/releases"])?;
    let message = format!("A registry and {} releases of shop", args.releases);
    git(&[
        "commit",
        "-q",
        "-m",
        &message,
        "--",
        "components",
        "objects/releases",
    ])?;
    let staged = write_release(dir, args.releases)?;
    git(&["add", &staged])?;
    writeln!(
        std::io::stderr(),
        "committed {} releases of shop in {}, and staged {staged}",
        args.releases,
        dir.display()
    )?;
    Ok(())
}

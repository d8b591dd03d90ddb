//! Adds versioned configs to a berth repository, for the benchmarks of the config
//! rules and queries.
//!
//! ```text
//! cargo run --release --example gen-configs -- --ids 2000 --versions 3 /tmp/bench-100k
//! ```
//!
//! Writes `--versions` versions of each of `--ids` config ids under
//! `objects/configs/`, one id per entity (so no two overlap), effective a month
//! apart, and commits them on the current branch with git. The data is a function
//! of the arguments alone.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use berth::canonical::ObjectHash;
use berth::document::Format;
use berth::kinds::config_version::{Category, Config, Scope};
use berth::store::{CONFIGS, ObjectPath};
use clap::Parser;
use serde_json::json;

/// The config types of the config versioning pattern, with their categories.
const TYPES: [(&str, Category); 6] = [
    ("pricing", Category::Logic),
    ("budget", Category::Policy),
    ("qualification", Category::Logic),
    ("routing", Category::Logic),
    ("hours", Category::Policy),
    ("autonomy", Category::Policy),
];

/// Add versioned configs to a berth repository
#[derive(Debug, Parser)]
#[command(name = "gen-configs")]
struct Args {
    /// How many config ids to write
    #[arg(long, value_name = "N", default_value_t = 2000)]
    ids: u64,
    /// How many versions each id has
    #[arg(long, value_name = "V", default_value_t = 3)]
    versions: u64,
    /// The berth repository (its working tree)
    dir: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let scopes = [Scope::Asset, Scope::Campaign, Scope::Account];
    let mut written = 0;
    for id in 0..args.ids {
        let (config_type, category) = TYPES[usize::try_from(id % 6)?];
        let scope = scopes[usize::try_from(id / 6 % 3)?];
        for version in 1..=args.versions {
            let config = Config {
                id: format!("cfg-{id:05}"),
                version,
                config_type: config_type.to_owned(),
                category,
                name: None,
                applies_to: format!("{scope}-{id:05}"),
                scope,
                tenant_id: Some(format!("tenant-{}", id % 40)),
                settings: serde_json::from_value(json!({
                    "rate_cents": (id * 7 + version * 3) % 500,
                    "enabled": version % 2 == 1,
                    "limits": {"daily": 1000 * version, "burst": 10 + id % 90},
                }))?,
                effective_at: format!("2025-{:02}-01T00:00:00Z", version.min(12)),
                idempotency_key: Some(format!("gen-{id}-{version}")),
            };
            let data = serde_json::to_value(&config)?;
            let path = ObjectPath {
                store: CONFIGS.to_owned(),
                partition: config.id.clone(),
                hash: ObjectHash::of(&data),
                format: Format::Json,
            }
            .path();
            let file = args.dir.join(&path);
            if let Some(parent) = file.parent() {
                fs::create_dir_all(parent)?;
            }
            let mut bytes = serde_json::to_vec_pretty(&config)?;
            bytes.push(b'\n');
            fs::write(&file, bytes)?;
            written += 1;
        }
    }
    let git = |args_: &[&str]| -> Result<(), Box<dyn Error>> {
        let status = Command::new("git")
            .arg("-C")
            .arg(&args.dir)
            .args(args_)
            .status()?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("git {} failed", args_.join(" ")).into())
        }
    };
    git(&["add", "objects/configs"])?;
    git(&[
        "commit",
        "-q",
        "-m",
        &format!("{written} config versions"),
        "--",
        "objects/configs",
    ])?;
    writeln!(
        std::io::stderr(),
        "wrote and committed {written} config versions in {}",
        args.dir.display()
    )?;
    Ok(())
}

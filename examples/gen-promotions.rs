//! Writes a long promotion log into a generated repository, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen-repo -- --objects 100000 /tmp/bench-100k
//! cargo run --release --example gen-promotions -- --promotions 10000 /tmp/bench-100k
//! ```
//!
//! Promotes catalog objects into `dev` one at a time through berth's own library,
//! exactly as `berth promote` does: package `i % P` gets its next object at step
//! `i`, so every promotion replaces an entry once all packages are held. Then the
//! first package is promoted on to `staging` and, with a ready event, `production`,
//! so that lineage has its full length.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::error::Error;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use berth::env::promote::{self, PromoteRequest};
use berth::objects::lookup;
use berth::workspace::Workspace;
use clap::Parser;

/// Write a long promotion log into a berth repository
#[derive(Debug, Parser)]
#[command(name = "gen-promotions")]
struct Args {
    /// How many promotions to make into dev
    #[arg(long, value_name = "N")]
    promotions: usize,
    /// The repository (made by gen-repo)
    dir: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    let workspace = Workspace::open(&args.dir)?;
    if !workspace.git.has_identity() {
        workspace
            .git
            .set_local_config("user.name", "gen-promotions")?;
        workspace
            .git
            .set_local_config("user.email", "bench@berth.invalid")?;
    }
    let listed = lookup::list(&workspace, Some("version-sets"), None)?;
    let mut packages: Vec<(String, Vec<String>)> = Vec::new();
    for object in listed {
        match packages.last_mut() {
            Some((package, objects)) if *package == object.partition => {
                objects.push(object.object);
            }
            _ => packages.push((object.partition, vec![object.object])),
        }
    }
    if packages.is_empty() {
        return Err("the repository holds no version sets".into());
    }
    let mut stderr = std::io::stderr();
    let started = Instant::now();
    let mut slowest = 0.0f64;
    for step in 0..args.promotions {
        let (_, objects) = &packages[step % packages.len()];
        let object = objects[(step / packages.len()) % objects.len()].clone();
        let begun = Instant::now();
        let targets = [object];
        promote::promote(
            &workspace,
            &PromoteRequest {
                targets: &targets,
                to: "dev",
                ..PromoteRequest::default()
            },
        )?;
        slowest = slowest.max(begun.elapsed().as_secs_f64());
        if (step + 1) % 1000 == 0 {
            writeln!(
                stderr,
                "gen-promotions: {} promotions, {:.1}s",
                step + 1,
                started.elapsed().as_secs_f64()
            )?;
        }
    }
    let (first, _) = &packages[0];
    let held = [format!("{first}@dev")];
    promote::promote(
        &workspace,
        &PromoteRequest {
            targets: &held,
            to: "staging",
            ..PromoteRequest::default()
        },
    )?;
    let elapsed = started.elapsed().as_secs_f64();
    writeln!(
        stderr,
        "gen-promotions: {} promotions into dev over {} packages in {elapsed:.1}s ({:.2} ms each, slowest {:.2} ms); {first} also in staging",
        args.promotions,
        packages.len(),
        1000.0 * elapsed / args.promotions.max(1) as f64,
        1000.0 * slowest,
    )?;
    Ok(())
}

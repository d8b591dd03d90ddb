//! Generates a berth repository of version sets, for benchmarks.
//!
//! ```text
//! cargo run --release --example gen-repo -- --objects 100000 /tmp/bench-100k
//! ```
//!
//! Writes `berth.toml` and N valid version sets spread over P packages, and commits
//! them on `main`, so that `berth -C DIR validate` passes with no findings. The data
//! is a function of the seed alone (only the commit's timestamp varies), files
//! average about 765 bytes, and optional fields vary the way real manifests do.
//!
//! The commit's tree is built directly from blobs, one tree per directory, rather
//! than through the index: adding 100,000 paths to an index one by one is far slower.

// A benchmark generator, not on a path from user input to berth's output.
#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice
)]

use std::collections::{BTreeMap, HashSet};
use std::error::Error;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use berth::canonical::ObjectHash;
use berth::document::Format;
use berth::kinds::version_set::{
    AssetsBuild, Builds, DoMigration, DoMigrationKind, Migrations, VersionAffinity, VersionSet,
    WorkerBuild,
};
use berth::settings;
use berth::store::{ObjectPath, VERSION_SETS};
use clap::Parser;
use git2::{FileMode, Oid, Repository, RepositoryInitOptions, Signature};

/// The branch that holds the catalog, and the one HEAD points at.
const BRANCH: &str = "main";

/// 2024-01-01T00:00:00Z: the first `created_at`.
const EPOCH_START: i64 = 1_704_067_200;

/// Two years, over which `created_at` values are spread in order.
const SPAN_SECONDS: i64 = 2 * 365 * 24 * 60 * 60;

/// Generate a berth repository of valid version sets
#[derive(Debug, Parser)]
#[command(name = "gen-repo")]
struct Args {
    /// How many version sets to write
    #[arg(long, value_name = "N")]
    objects: u64,
    /// How many packages to spread them over
    #[arg(long, value_name = "P", default_value_t = 200)]
    packages: u64,
    /// Seed for the generator: the same seed writes the same objects
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Where to create the repository (must not exist, or be empty)
    dir: PathBuf,
}

fn main() -> Result<(), Box<dyn Error>> {
    let args = Args::parse();
    if args.packages == 0 {
        return Err("--packages must be at least 1".into());
    }
    ensure_empty(&args.dir)?;
    let started = Instant::now();
    let mut stderr = std::io::stderr();

    let mut init = RepositoryInitOptions::new();
    init.initial_head(BRANCH);
    let repo = Repository::init_opts(&args.dir, &init)?;

    let settings_text = settings::default_file(BRANCH);
    fs::write(args.dir.join("berth.toml"), &settings_text)?;
    let settings_blob = repo.blob(settings_text.as_bytes())?;

    let mut rng = XorShift::new(args.seed);
    let packages: Vec<String> = (0..args.packages)
        .map(|i| package_name(i, &mut rng))
        .collect();
    let store_dir = args.dir.join("objects").join(VERSION_SETS);
    for package in &packages {
        fs::create_dir_all(store_dir.join(package))?;
    }

    // Per partition: (file name, blob) for every object in it.
    let mut partitions: BTreeMap<&str, Vec<(String, Oid)>> = BTreeMap::new();
    let mut seen = HashSet::new();
    let mut total_bytes: u64 = 0;
    let step = (SPAN_SECONDS / i64::try_from(args.objects.max(1))?).max(1);
    for seq in 0..args.objects {
        // Every package gets one object before the rest are spread at random.
        let package = &packages[if seq < args.packages {
            seq
        } else {
            rng.below(args.packages)
        } as usize];
        let created = EPOCH_START + i64::try_from(seq)? * step + rng.below(step as u64) as i64;
        let version_set = version_set(package, seq, created, &mut rng)?;
        let mut text = serde_json::to_string_pretty(&version_set)?;
        text.push('\n');
        let hash = ObjectHash::of(&serde_json::to_value(&version_set)?);
        if !seen.insert(hash) {
            return Err(format!("object {seq} repeats an earlier object's data ({hash})").into());
        }
        let path = ObjectPath {
            store: VERSION_SETS.to_owned(),
            partition: package.clone(),
            hash,
            format: Format::Json,
        };
        fs::write(args.dir.join(path.path()), &text)?;
        let blob = repo.blob(text.as_bytes())?;
        partitions
            .entry(package)
            .or_default()
            .push((format!("{hash}.{}", Format::Json.extension()), blob));
        total_bytes += text.len() as u64;
        if (seq + 1) % 10_000 == 0 {
            writeln!(
                stderr,
                "gen-repo: wrote {} objects ({:.1}s)",
                seq + 1,
                started.elapsed().as_secs_f64()
            )?;
        }
    }

    // Build the tree bottom-up: partition directories, the store, objects/, the root.
    let mut store_tree = repo.treebuilder(None)?;
    for (package, files) in &partitions {
        let mut partition_tree = repo.treebuilder(None)?;
        for (name, blob) in files {
            partition_tree.insert(name, *blob, FileMode::Blob.into())?;
        }
        store_tree.insert(package, partition_tree.write()?, FileMode::Tree.into())?;
    }
    let mut root = repo.treebuilder(None)?;
    root.insert("berth.toml", settings_blob, FileMode::Blob.into())?;
    if !partitions.is_empty() {
        let mut objects_tree = repo.treebuilder(None)?;
        objects_tree.insert(VERSION_SETS, store_tree.write()?, FileMode::Tree.into())?;
        root.insert("objects", objects_tree.write()?, FileMode::Tree.into())?;
    }
    let tree = repo.find_tree(root.write()?)?;

    let signature = Signature::now("berth gen-repo", "gen-repo@berth.invalid")?;
    let message = format!(
        "Generate {} version sets over {} packages (seed {})",
        args.objects, args.packages, args.seed
    );
    let commit = repo.commit(Some("HEAD"), &signature, &signature, &message, &tree, &[])?;
    let mut index = repo.index()?;
    index.read_tree(&tree)?;
    index.write()?;

    let average = total_bytes.checked_div(args.objects).unwrap_or(0);
    writeln!(
        stderr,
        "gen-repo: {} objects in {} packages, {average} bytes each on average; committed {commit} on {BRANCH} in {:.1}s",
        args.objects,
        partitions.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(())
}

/// Refuses a directory that exists and holds anything.
fn ensure_empty(dir: &Path) -> Result<(), Box<dyn Error>> {
    match fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(format!("`{}` exists and is not empty", dir.display()).into());
            }
            Ok(())
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error.into()),
    }
}

const AREAS: &[&str] = &[
    "search",
    "billing",
    "auth",
    "checkout",
    "catalog",
    "media",
    "notify",
    "profile",
    "ledger",
    "analytics",
    "pricing",
    "inventory",
    "support",
    "growth",
    "identity",
    "feeds",
];

const ROLES: &[&str] = &[
    "api", "worker", "gateway", "cron", "edge", "renderer", "ingest", "sync",
];

/// A package name such as `billing-worker-017`: unique by its index.
fn package_name(index: u64, rng: &mut XorShift) -> String {
    let area = AREAS[rng.below(AREAS.len() as u64) as usize];
    let role = ROLES[rng.below(ROLES.len() as u64) as usize];
    format!("{area}-{role}-{index:03}")
}

const CLASSES: &[&str] = &[
    "Counter",
    "RateLimiter",
    "SessionStore",
    "ChatRoom",
    "Presence",
    "JobQueue",
    "Scheduler",
    "DocumentSync",
    "CacheShard",
    "Leaderboard",
];

const MIGRATION_KINDS: &[DoMigrationKind] = &[
    DoMigrationKind::NewSqliteClasses,
    DoMigrationKind::NewSqliteClasses,
    DoMigrationKind::NewClasses,
    DoMigrationKind::RenamedClasses,
    DoMigrationKind::DeletedClasses,
    DoMigrationKind::TransferredClasses,
];

/// The `seq`th version set. `seq` in the worker bundle's id makes every one distinct.
fn version_set(
    package: &str,
    seq: u64,
    created: i64,
    rng: &mut XorShift,
) -> Result<VersionSet, Box<dyn Error>> {
    let created_at = jiff::Timestamp::from_second(created)?;
    // Compatibility dates trail the build by up to half a year.
    let compatible =
        created_at.checked_sub(jiff::SignedDuration::from_hours(24 * rng.below(183) as i64))?;
    let compatibility_date = compatible.to_zoned(jiff::tz::TimeZone::UTC).date();
    let id = |rng: &mut XorShift| format!("{package}-{}", rng.hex(10));

    let assets = rng.chance(70).then(|| AssetsBuild {
        artifact_ref: rng.chance(85).then(|| format!("asset-bundles/{}", id(rng))),
        version_affinity: if rng.chance(60) {
            VersionAffinity::Pinned
        } else {
            VersionAffinity::None
        },
    });
    let d1_plan_ref = rng.chance(45).then(|| format!("d1-plans/{}", id(rng)));
    let migration_count = [0, 0, 1, 1, 1, 2, 2, 3][rng.below(8) as usize];
    let do_migrations = (0..migration_count)
        .map(|_| DoMigration {
            class_name: CLASSES[rng.below(CLASSES.len() as u64) as usize].to_owned(),
            tag: format!("v{}", 1 + rng.below(40)),
            kind: MIGRATION_KINDS[rng.below(MIGRATION_KINDS.len() as u64) as usize],
        })
        .collect();

    Ok(VersionSet {
        package: package.to_owned(),
        git_sha: rng.hex(40),
        created_at: created_at.to_string(),
        builds: Builds {
            worker: WorkerBuild {
                artifact_ref: format!("worker-bundles/{package}-{seq:07}"),
                size_bytes: 40_000 + rng.below(9_960_000),
                compatibility_date: compatibility_date.to_string(),
            },
            assets,
        },
        migrations: Migrations {
            d1_plan_ref,
            do_migrations,
        },
        env_manifest_ref: format!("env-manifests/{}", id(rng)),
        infra_plan_ref: format!("infra-plans/{}", id(rng)),
        grants_ref: rng.chance(50).then(|| format!("grants/{}", id(rng))),
    })
}

/// xorshift64*: small, fast and deterministic; plenty for test data.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Spread the seed so that small seeds differ in every bit; never zero.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0); the modulo bias is irrelevant here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// `len` lowercase hex digits.
    fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        (0..len)
            .map(|_| char::from(DIGITS[(self.next() >> 60) as usize]))
            .collect()
    }
}

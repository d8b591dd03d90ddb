//! `berth versions`: a component's version map.

use std::path::{Path, PathBuf};

use berth::diagnostic::finding::plural;
use berth::kinds::component::Registry;
use berth::kinds::component::VersionEntry;
use berth::oci;
use berth::registry::{self, RegistryError};
use berth::report::short::short_commit;
use berth::source::Source;
use berth::workspace::Workspace;
use clap::Subcommand;

use super::error::CliError;
use super::progress::{Syncing, spinner};
use super::render::{Output, table};

/// Sync, import and list the tags of a component: which digest each tag named
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Record the new tags of a component's image registry", "berth versions sync api --commit"),
    (
        "Record a registry's tags from a file of `tag digest` lines",
        "berth versions import api api-tags.txt --commit",
    ),
    ("The tags recorded, with channel heads", "berth versions ls api"),
]))]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Sync(SyncArgs),
    Import(ImportArgs),
    Ls(LsArgs),
}

/// Record the tags of components' image registries in their version maps
///
/// Lists each component's tags from its `image_repository` (every page), reads
/// them by the component's rules as `versions import` does, and resolves each new
/// version tag to its digest with one manifest HEAD (a GET where the registry
/// refuses HEAD, and for a multi-arch tag, whose platforms' digests are recorded
/// too). Tags already recorded are not requested again unless --refresh; a
/// recorded tag that names another digest now is refused with `tag-moved` and
/// nothing is written. Credentials come from BERTH_REGISTRY_AUTH (`host=user:password`
/// lines) or the Docker config file and its credential helpers; HTTPS with the
/// system's roots (and --registry-ca), plain HTTP only for loopback and
/// --insecure-registry hosts. A registry that cannot be read exits 4 with
/// nothing written.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("The new tags of one component, committed", "berth versions sync api --commit"),
    ("Every registered component", "berth versions sync --all --commit"),
    ("Check that no recorded tag moved", "berth versions sync --all --refresh"),
    (
        "A registry with a private CA, and a larger request budget",
        "berth versions sync api --registry-ca ca.pem --max-requests 5000",
    ),
]))]
struct SyncArgs {
    /// The components
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    components: Vec<String>,
    /// Sync every registered component
    #[arg(long)]
    all: bool,
    /// Resolve recorded tags again, to catch a tag that moved
    #[arg(long)]
    refresh: bool,
    /// Commit the version maps on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
    /// Reach this registry (HOST or HOST:PORT) over plain HTTP, besides
    /// berth.toml's [registries] insecure (repeatable)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    insecure_registry: Vec<String>,
    /// Trust the CA certificates of this PEM file besides the system's roots
    /// (instead of berth.toml's [registries] ca_file)
    #[arg(long = "registry-ca", value_name = "FILE")]
    registry_ca: Option<PathBuf>,
    /// The most requests the sync may send [default: berth.toml's [registries]
    /// max_requests, else 2000]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_requests: Option<u64>,
}

/// Record tags and digests from a file in components/<name>.versions.toml
///
/// FILE is a JSON array of {"tag", "digest"} objects, or text with one `tag
/// digest` pair per line (`berth versions sync` reads them from the registry
/// itself). New tags are read by the component's rules
/// (version, channel, prerelease, build metadata) and appended; tags already
/// recorded with the same digest are skipped. A recorded tag listed with another
/// digest means the image behind it was replaced: the import writes nothing and
/// exits 1 with `tag-moved`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Tags from a file of `tag digest` lines", "berth versions import api api-tags.txt --commit"),
    (
        "Tags from a JSON array of {\"tag\", \"digest\"} objects",
        "berth versions import worker worker-tags.json --commit",
    ),
    ("Tags from standard input", "berth versions import api - --commit < api-tags.txt"),
    (
        "Committed on the shared remote's tip and pushed to a named remote",
        "berth versions import api api-tags.txt --push upstream",
    ),
]))]
struct ImportArgs {
    /// The component
    component: String,
    /// The tag list (`-` for stdin)
    file: PathBuf,
    /// Commit the version map on the current branch
    #[arg(long)]
    commit: bool,
    /// Build the commit on the remote's tip of the branch and push it there,
    /// without force (implies --commit; REMOTE defaults to berth.toml's [repo]
    /// remote, else origin)
    #[arg(long, value_name = "REMOTE", num_args = 0..=1, default_missing_value = "")]
    push: Option<String>,
}

/// List a component's recorded versions, highest first, with channel heads
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    ("Every tag recorded for a component, with its channel heads", "berth versions ls worker"),
    ("One channel", "berth versions ls worker --channel beta"),
]))]
struct LsArgs {
    /// The component
    component: String,
    /// Only this channel
    #[arg(long, value_name = "CHANNEL")]
    channel: Option<String>,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let workspace = Workspace::open(cwd)?;
    match &args.command {
        Command::Sync(sync) => run_sync(sync, cwd, &workspace, out),
        Command::Import(import) => run_import(import, cwd, &workspace, out),
        Command::Ls(ls) => run_ls(ls, &workspace, out),
    }
}

fn run_import(
    args: &ImportArgs,
    cwd: &Path,
    workspace: &Workspace,
    out: &mut Output,
) -> Result<u8, CliError> {
    let name = args.file.display().to_string();
    let list = if name == "-" {
        // Capped as any input file is: a stream that never ends is refused, not
        // held in memory.
        let limit = berth::source::MAX_INPUT_BYTES;
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), limit.saturating_add(1)),
            &mut bytes,
        )
        .map_err(|error| RegistryError::Read {
            file: "<stdin>".to_owned(),
            error,
        })?;
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
            return Err(RegistryError::Read {
                file: "<stdin>".to_owned(),
                error: std::io::Error::new(
                    std::io::ErrorKind::FileTooLarge,
                    format!("stdin gave more than the {limit}-byte limit of an input"),
                ),
            }
            .into());
        }
        registry::read_tag_list("<stdin>", &bytes).map_err(RegistryError::Invalid)?
    } else {
        registry::read_tag_file(&cwd.join(&args.file), &name)?
    };
    let importing = spinner(
        out,
        format!(
            "importing {} of {}",
            plural(list.len(), "tag"),
            args.component
        ),
    );
    let outcome = registry::import(
        workspace,
        &args.component,
        &list,
        &workspace.clock.now_to_the_second()?.to_string(),
        args.commit || args.push.is_some(),
        super::promote::remote(workspace, args.push.as_deref()).as_deref(),
    )?;
    drop(importing);
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    if !outcome.added.is_empty() {
        out.text(&entry_table(&outcome.added, None));
    }
    for skipped in &outcome.skipped {
        out.note(format!("skipped {}: {}", skipped.tag, skipped.reason));
    }
    out.note(format!(
        "{} recorded, {} already known, {} skipped",
        outcome.added.len(),
        outcome.known,
        outcome.skipped.len()
    ));
    render_written(&outcome.written, out);
    Ok(0)
}

/// The request budget of a sync when neither the flag nor berth.toml sets one.
const DEFAULT_MAX_REQUESTS: u64 = 2000;

fn run_sync(
    args: &SyncArgs,
    cwd: &Path,
    workspace: &Workspace,
    out: &mut Output,
) -> Result<u8, CliError> {
    let settings = &workspace.settings.file.registries;
    let ca = match (&args.registry_ca, &settings.ca_file) {
        (Some(file), _) => {
            let name = file.display().to_string();
            let bytes = berth::source::read_input(&cwd.join(file)).map_err(|error| {
                RegistryError::Read {
                    file: name.clone(),
                    error,
                }
            })?;
            Some((name, bytes))
        }
        (None, Some(path)) => match workspace.tree.read(path, berth::source::MAX_INPUT_BYTES)? {
            Some(berth::source::Content::Bytes(bytes)) => Some((path.clone(), bytes)),
            _ => {
                return Err(RegistryError::Read {
                    file: path.clone(),
                    error: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "berth.toml's [registries] ca_file is not a file of the repository",
                    ),
                }
                .into());
            }
        },
        (None, None) => None,
    };
    let extra_roots = match ca {
        Some((file, bytes)) => {
            let certificates = oci::pem_certificates(&bytes);
            if certificates.is_empty() {
                return Err(RegistryError::Read {
                    file,
                    error: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "it holds no PEM certificate",
                    ),
                }
                .into());
            }
            certificates
        }
        None => Vec::new(),
    };
    let mut insecure = settings.insecure.clone();
    insecure.extend(args.insecure_registry.iter().cloned());
    let options = registry::SyncOptions {
        components: args.components.clone(),
        refresh: args.refresh,
        commit: args.commit || args.push.is_some(),
        push: super::promote::remote(workspace, args.push.as_deref()),
        resolved_at: workspace.clock.now_to_the_second()?.to_string(),
        client: oci::Options {
            insecure,
            extra_roots,
            budget: args
                .max_requests
                .or(settings.max_requests)
                .unwrap_or(DEFAULT_MAX_REQUESTS),
            retry: oci::Retry::default(),
            credentials: oci::Credentials::from_environment(),
            timeout: std::time::Duration::from_secs(30),
        },
    };
    let progress = Syncing::new(out);
    let outcome = registry::sync(workspace, options, &progress)?;
    drop(progress);
    if out.is_json() {
        out.json(&outcome);
        return Ok(0);
    }
    for one in &outcome.components {
        if !one.added.is_empty() {
            out.text(&entry_table(&one.added, None));
        }
        const SHOWN: usize = 10;
        for skipped in one.skipped.iter().take(SHOWN) {
            out.note(format!("skipped {}: {}", skipped.tag, skipped.reason));
        }
        if one.skipped.len() > SHOWN {
            out.note(format!(
                "... and {} more skipped",
                one.skipped.len().saturating_sub(SHOWN)
            ));
        }
        out.note(format!(
            "{}: {} seen, {} matched, {} new, {} known, {} skipped, {} moved",
            one.component,
            plural(one.seen, "tag"),
            one.matched,
            one.added.len(),
            one.known,
            one.skipped.len(),
            one.moved
        ));
    }
    let requests = &outcome.requests;
    out.note(format!(
        "{} to the registry: {} listing tags, {} HEAD, {} GET, {} for tokens",
        plural(
            usize::try_from(requests.total).unwrap_or(usize::MAX),
            "request"
        ),
        requests.list,
        requests.head,
        requests.get,
        requests.token
    ));
    render_written(&outcome.written, out);
    Ok(0)
}

/// The files written, and the commit and push made.
fn render_written(written: &registry::Written, out: &mut Output) {
    for file in &written.files {
        out.note(format!("wrote {file}"));
    }
    if let Some(commit) = &written.commit {
        out.line(format!("committed {}", short_commit(commit)));
    }
    if let Some(pushed) = &written.pushed {
        out.line(super::put::pushed_line(written.commit.as_deref(), pushed));
    }
}

fn entry_table(entries: &[VersionEntry], heads: Option<&[&VersionEntry]>) -> String {
    let mut rows = vec![
        ["TAG", "SEMVER", "CHANNEL", "PRERELEASE", "DIGEST", "HEAD"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for entry in entries {
        let is_head = heads.is_some_and(|heads| heads.iter().any(|h| h.tag == entry.tag));
        rows.push(vec![
            entry.tag.clone(),
            entry.semver.clone().unwrap_or_else(|| "-".to_owned()),
            entry.channel.clone(),
            if entry.prerelease { "yes" } else { "no" }.to_owned(),
            entry.digest.clone(),
            if is_head { "*" } else { "" }.to_owned(),
        ]);
        // A multi-arch tag's platforms, each with its image's digest.
        for platform in &entry.platforms {
            rows.push(vec![
                format!("  {}", platform.name()),
                String::new(),
                String::new(),
                String::new(),
                platform.digest.clone(),
                String::new(),
            ]);
        }
    }
    table(&rows)
}

fn run_ls(args: &LsArgs, workspace: &Workspace, out: &mut Output) -> Result<u8, CliError> {
    let (registry, findings) = Registry::load(&workspace.tree)?;
    for finding in &findings {
        out.diagnostic(finding);
    }
    if !registry.components.contains_key(&args.component) {
        return Err(RegistryError::UnknownComponent {
            name: args.component.clone(),
        }
        .into());
    }
    let mut entries: Vec<VersionEntry> = registry
        .entries(&args.component)
        .iter()
        .filter(|entry| args.channel.as_ref().is_none_or(|c| &entry.channel == c))
        .cloned()
        .collect();
    entries.sort_by(|a, b| {
        b.version()
            .cmp(&a.version())
            .then_with(|| a.tag.cmp(&b.tag))
    });
    let mut channels: Vec<String> = entries.iter().map(|e| e.channel.clone()).collect();
    channels.sort();
    channels.dedup();
    let heads: Vec<&VersionEntry> = channels
        .iter()
        .filter_map(|channel| registry.head(&args.component, channel))
        .collect();
    if out.is_json() {
        let heads: std::collections::BTreeMap<&str, &str> = heads
            .iter()
            .map(|head| (head.channel.as_str(), head.tag.as_str()))
            .collect();
        out.json(&serde_json::json!({
            "component": args.component,
            "versions": entries,
            "heads": heads,
        }));
        return Ok(0);
    }
    if entries.is_empty() {
        out.note(format!(
            "No versions recorded for {}; import tags with `berth versions import {} <file>`.",
            args.component, args.component
        ));
        return Ok(0);
    }
    out.text(&entry_table(&entries, Some(&heads)));
    Ok(0)
}

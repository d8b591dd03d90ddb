//! A berth repository opened for work: its git repository, working tree, settings,
//! stores and clock; and `berth init`, which makes one.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::Serialize;

use crate::kinds::{self, Kinds};
use crate::repo::{self, CommitError, FileToCommit, Git};
use crate::settings::{self, LoadError, Settings};
use crate::source::WorkTree;
use crate::store::OBJECTS_DIR;
use crate::time::Clock;

/// A berth repository: a git repository with a berth.toml at its root.
pub struct Workspace {
    /// The git repository.
    pub git: Git,
    /// Its working tree.
    pub tree: WorkTree,
    /// berth.toml.
    pub settings: Settings,
    /// Every store, built-in and user-defined.
    pub kinds: Kinds,
    /// Where "now" comes from: every operation that needs the time asks it, never
    /// the process environment.
    pub clock: Clock,
}

/// Why a berth repository could not be opened.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum OpenError {
    /// Not in a git repository, or not one berth can work in.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Repo(#[from] repo::OpenError),
    /// berth.toml, or a schema it names, is missing, invalid or unreadable.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Settings(#[from] LoadError),
}

impl Workspace {
    /// Opens the berth repository containing `start`.
    pub fn open(start: &Path) -> Result<Workspace, OpenError> {
        let git = Git::discover(start)?;
        let tree = WorkTree::new(git.workdir());
        let settings = Settings::load(&tree)?;
        let kinds = Kinds::load(&settings, &tree)?;
        Ok(Workspace {
            git,
            tree,
            settings,
            kinds,
            clock: Clock::from_env(),
        })
    }

    /// The workspace with another clock, such as a fixed one for a test.
    pub fn with_clock(self, clock: Clock) -> Workspace {
        Workspace { clock, ..self }
    }

    /// The repository's root directory.
    pub fn root(&self) -> &Path {
        self.tree.root()
    }

    /// Refuses, before anything is written, to commit onto the branch HEAD points
    /// at while that branch has no berth.toml. The settings this workspace works
    /// by are the working tree's, so they are not committed: a commit of objects
    /// alone would make a tip that is no berth repository, and one that slipped
    /// berth.toml in would commit settings no one asked to commit.
    pub fn require_committed_settings(&self) -> Result<(), CommitError> {
        let (refname, _) = self.git.head_tip()?;
        if settings::committed_at_head(&self.git)? {
            return Ok(());
        }
        let branch = refname.strip_prefix("refs/heads/").unwrap_or(&refname);
        Err(CommitError::SettingsNotCommitted {
            branch: branch.to_owned(),
        })
    }
}

/// What `berth init` did.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct InitOutcome {
    /// The repository's root directory.
    pub root: String,
    /// Whether a git repository was created.
    pub git_created: bool,
    /// The catalog branch written into berth.toml.
    pub catalog: String,
    /// The layout written.
    pub template: Template,
    /// The paths created, relative to the root.
    pub created: Vec<String>,
    /// The commit made with `--commit`.
    pub commit: Option<String>,
}

/// Why `berth init` failed. Nothing it created is left behind.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum InitError {
    /// berth.toml already exists.
    #[error("`{}` already has a berth.toml", path.display())]
    #[diagnostic(
        code("berth::already-initialized"),
        help("this is already a berth repository; edit berth.toml to change its settings")
    )]
    AlreadyInitialized {
        /// The repository root.
        path: PathBuf,
    },
    /// berth.toml exists, but HEAD has none: an earlier `init` wrote it and it
    /// was never committed.
    #[error("`{}` already has a berth.toml, but it is not committed", path.display())]
    #[diagnostic(
        code("berth::already-initialized"),
        help(
            "commit it (`git add berth.toml`, then `git commit`): commands that commit refuse until it is, and checks of a commit read the berth.toml committed there"
        )
    )]
    NotCommitted {
        /// The repository root.
        path: PathBuf,
    },
    /// A file or directory could not be written.
    #[error("could not write `{}`", path.display())]
    #[diagnostic(code("berth::io"), help("check that the directory is writable"))]
    Io {
        /// What could not be written.
        path: PathBuf,
        /// Why.
        #[source]
        error: io::Error,
    },
    /// The git repository could not be opened or created.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Repo(#[from] repo::OpenError),
    /// The commit failed.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Commit(#[from] CommitError),
}

/// The layout `berth init` writes: which berth.toml, and which directories.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Template {
    /// An estate deployed as version sets (a worker bundle with its
    /// compatibility date, migrations and plans), with the external stores
    /// their references point into.
    #[default]
    Workers,
    /// An estate of container services: components (image repositories),
    /// their version maps (tag to digest) and releases (the digests a
    /// version of a package ships); no version-set stores.
    Containers,
}

impl Template {
    /// The berth.toml this template writes.
    pub fn settings_file(self, catalog: &str) -> String {
        match self {
            Template::Workers => settings::default_file(catalog),
            Template::Containers => settings::containers_file(catalog),
        }
    }

    /// The directories this template makes, relative to the root, in the order
    /// they are made.
    fn directories(self) -> &'static [&'static str] {
        match self {
            Template::Workers => &[OBJECTS_DIR],
            Template::Containers => &[OBJECTS_DIR, kinds::component::DIR],
        }
    }
}

/// Options for `berth init`.
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    /// The layout to write.
    pub template: Template,
    /// Commit berth.toml.
    pub commit: bool,
    /// The commit message, instead of the default.
    pub message: Option<String>,
}

/// Makes `dir` a berth repository: creates it and its git repository if missing,
/// and writes berth.toml and the object layout.
pub fn init(dir: &Path, options: &InitOptions) -> Result<InitOutcome, InitError> {
    let mut undo = Undo::default();
    let result = init_inner(dir, options, &mut undo);
    if result.is_err() {
        undo.run();
    }
    result
}

fn init_inner(
    dir: &Path,
    options: &InitOptions,
    undo: &mut Undo,
) -> Result<InitOutcome, InitError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |error| InitError::Io { path, error }
    };
    if !dir.exists() {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        undo.dirs.push(dir.to_owned());
    }
    let (git, git_created) = match Git::open_root(dir)? {
        Some(git) => (git, false),
        None => {
            let git = Git::init(dir, "main")?;
            undo.dirs.push(dir.join(".git"));
            (git, true)
        }
    };
    let root = git.workdir().to_owned();
    let settings_path = root.join(settings::FILE);
    if settings_path.exists() {
        return Err(already_initialized(&git, root));
    }
    if options.commit && !git.has_identity() {
        return Err(CommitError::NoIdentity("no user.name or user.email".to_owned()).into());
    }
    let catalog = git
        .head_branch()
        .map_err(repo::OpenError::from)?
        .and_then(|refname| refname.strip_prefix("refs/heads/").map(str::to_owned))
        .unwrap_or_else(|| "main".to_owned());
    let text = options.template.settings_file(&catalog);
    let written = crate::fs::write_new(&root, settings::FILE, text.as_bytes())
        .map_err(|error| io_error(&settings_path)(error.into()))?;
    if written == crate::fs::Written::Existed {
        return Err(already_initialized(&git, root));
    }
    undo.files.push(settings_path.clone());
    let mut created = vec![settings::FILE.to_owned()];
    for name in options.template.directories() {
        let dir = root.join(name);
        if !dir.exists() {
            fs::create_dir_all(&dir).map_err(io_error(&dir))?;
            undo.dirs.push(dir);
            created.push(format!("{name}/"));
        }
    }
    let commit = if options.commit {
        let message = options
            .message
            .clone()
            .unwrap_or_else(|| "berth init".to_owned());
        let file = FileToCommit {
            path: settings::FILE.to_owned(),
            bytes: text.into_bytes(),
        };
        git.commit_files(&[file], &message)?
            .map(|oid| oid.to_string())
    } else {
        None
    };
    Ok(InitOutcome {
        root: root.display().to_string(),
        git_created,
        catalog,
        template: options.template,
        created,
        commit,
    })
}

/// The refusal of `init` where berth.toml exists: it says whether the file is
/// committed, since one that is not makes other commands fail too. If git cannot
/// tell, the refusal says only that the file is there.
fn already_initialized(git: &Git, root: PathBuf) -> InitError {
    match settings::committed_at_head(git) {
        Ok(false) => InitError::NotCommitted { path: root },
        Ok(true) | Err(_) => InitError::AlreadyInitialized { path: root },
    }
}

/// What a failed operation created, to remove again.
#[derive(Default)]
struct Undo {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

impl Undo {
    fn run(self) {
        // Best effort: the operation has already failed, and these paths are ones
        // it created itself.
        for file in self.files.iter().rev() {
            let _ = fs::remove_file(file);
        }
        for dir in self.dirs.iter().rev() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

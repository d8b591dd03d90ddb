//! Where an environment is read from, and how this clone's copy stands against
//! the remote's.
//!
//! Right after `git clone` a repository has the remote's environments as
//! remote-tracking refs (`refs/remotes/origin/env/dev`) and no environment refs
//! of its own. Readers (status, show, history, lineage, diff, review) then read
//! the remote's copy, and say so; writers keep to the local ref. Which ref is
//! read is decided in one place, [`read_from`].

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Serialize;

use super::EnvError;
use super::log::{FirstParents, first_parents};
use crate::repo::{Git, GitError, Oid};
pub use crate::settings::RemoteRead;
use crate::settings::Settings;

/// Which of its refs an environment is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadFrom {
    /// Its own ref (`refs/heads/env/dev`), or nothing: an environment never
    /// opened anywhere is read as empty at its own ref.
    Local,
    /// The remote-tracking ref, since this clone has no ref of its own.
    RemoteTracking,
}

/// Which ref a reader reads an environment from, given where its local ref and
/// the remote-tracking ref point (`None`: no such ref).
///
/// The local ref wins whenever there is one, ahead of the remote or behind it:
/// it is what this clone promotes from and into, and `berth status` says how it
/// stands against the remote. Only a clone without one reads the remote's copy.
pub fn read_from(local: Option<Oid>, tracking: Option<Oid>) -> ReadFrom {
    match (local, tracking) {
        (None, Some(_)) => ReadFrom::RemoteTracking,
        (Some(_), _) | (None, None) => ReadFrom::Local,
    }
}

/// An environment's refs in this clone: its own and the remote-tracking one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    /// The environment.
    pub name: String,
    /// Its own ref.
    pub local_ref: String,
    /// Where its own ref points, if it exists.
    pub local: Option<Oid>,
    /// Its remote-tracking ref; `None` for an environment outside `refs/heads/`,
    /// which a remote does not track.
    pub tracking_ref: Option<String>,
    /// Where the remote-tracking ref points, if it exists.
    pub tracking: Option<Oid>,
}

impl Tip {
    /// Reads both refs of environment `name`, tracked from the remote berth.toml
    /// shares through.
    pub fn locate(git: &Git, settings: &Settings, name: &str) -> Result<Tip, GitError> {
        Tip::locate_on(git, settings, settings.remote(), name)
    }

    /// Reads both refs of environment `name`, tracked from `remote`.
    pub fn locate_on(
        git: &Git,
        settings: &Settings,
        remote: &str,
        name: &str,
    ) -> Result<Tip, GitError> {
        let local_ref = settings.env_ref(name);
        let local = git.ref_target(&local_ref)?;
        let tracking_ref = settings.tracking_env_ref(remote, name);
        let tracking = match &tracking_ref {
            Some(refname) => git.ref_target(refname)?,
            None => None,
        };
        Ok(Tip {
            name: name.to_owned(),
            local_ref,
            local,
            tracking_ref,
            tracking,
        })
    }

    /// Every environment's refs, in promotion order.
    pub fn locate_all(git: &Git, settings: &Settings) -> Result<Vec<Tip>, GitError> {
        settings
            .environment_order()
            .into_iter()
            .map(|name| Tip::locate(git, settings, name))
            .collect()
    }

    /// Which ref a reader reads.
    pub fn read_from(&self) -> ReadFrom {
        read_from(self.local, self.tracking)
    }

    /// The ref a reader reads, and its commit (`None`: never opened).
    pub fn read(&self) -> (&str, Option<Oid>) {
        match (self.read_from(), &self.tracking_ref) {
            (ReadFrom::RemoteTracking, Some(tracking_ref)) => (tracking_ref, self.tracking),
            _ => (&self.local_ref, self.local),
        }
    }

    /// The remote-tracking ref read in place of the local one, if it was.
    pub fn remote_read(&self) -> Option<RemoteRead> {
        match (self.read_from(), &self.tracking_ref) {
            (ReadFrom::RemoteTracking, Some(tracking_ref)) => Some(RemoteRead {
                environment: self.name.clone(),
                refname: tracking_ref.clone(),
                missing: self.local_ref.clone(),
            }),
            _ => None,
        }
    }
}

/// How an environment's own ref stands against the remote's copy, as
/// `git status -sb` says it of a branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Standing {
    /// Both point at the same commit.
    UpToDate,
    /// The local ref has commits the remote's copy lacks: promotions not pushed.
    Ahead,
    /// The remote's copy has commits the local ref lacks: a fetch fast-forwards it.
    Behind,
    /// Each has commits the other lacks.
    Diverged,
    /// The local ref exists; the remote has no copy (none fetched).
    LocalOnly,
    /// Only the remote's copy exists: readers read it.
    RemoteOnly,
    /// Neither exists: the environment was never opened, here or on the remote.
    NotOpened,
    /// No remote-tracking ref can exist: the repository has no such remote, or
    /// the environment's ref is not a branch.
    Untracked,
}

impl Standing {
    /// How it reads in a sentence: `ahead 2, behind 1`, `up to date`.
    pub fn describe(self, ahead: usize, behind: usize) -> String {
        match self {
            Standing::UpToDate => "up to date".to_owned(),
            Standing::Ahead => format!("ahead {ahead}"),
            Standing::Behind => format!("behind {behind}"),
            Standing::Diverged => format!("diverged: ahead {ahead}, behind {behind}"),
            Standing::LocalOnly => "local only".to_owned(),
            Standing::RemoteOnly => "remote only".to_owned(),
            Standing::NotOpened => "not opened".to_owned(),
            Standing::Untracked => "no remote-tracking ref".to_owned(),
        }
    }
}

/// How the local ref stands against the remote-tracking ref, with the commits
/// each has that the other lacks (0 and 0 unless both exist).
///
/// `trackable` says whether a remote-tracking ref can exist at all; `count`
/// counts, for two different commits, those only the first has and those only
/// the second has, and is called only then.
pub fn standing<E>(
    trackable: bool,
    local: Option<Oid>,
    tracking: Option<Oid>,
    count: impl FnOnce(Oid, Oid) -> Result<(usize, usize), E>,
) -> Result<(Standing, usize, usize), E> {
    Ok(match (local, tracking) {
        (Some(local), Some(tracking)) if local == tracking => (Standing::UpToDate, 0, 0),
        (Some(local), Some(tracking)) => match count(local, tracking)? {
            (0, behind) => (Standing::Behind, 0, behind),
            (ahead, 0) => (Standing::Ahead, ahead, 0),
            (ahead, behind) => (Standing::Diverged, ahead, behind),
        },
        (None, Some(_)) => (Standing::RemoteOnly, 0, 0),
        (_, None) if !trackable => (Standing::Untracked, 0, 0),
        (Some(_), None) => (Standing::LocalOnly, 0, 0),
        (None, None) => (Standing::NotOpened, 0, 0),
    })
}

/// Counts, along two environment logs (each ref's first parents, one commit per
/// promotion or rollback), the commits each has before the two logs meet: those
/// only `one`'s log has and those only `other`'s has. Catalog commits a
/// promotion brings in as its second parent are not counted: `ahead 1` is one
/// promotion to push, whatever catalog history comes with it. Logs that never
/// meet count whole.
pub fn log_ahead_behind(git: &Git, one: Oid, other: Oid) -> Result<(usize, usize), EnvError> {
    let mut ours = Walk::new(git, one);
    let mut theirs = Walk::new(git, other);
    // Both walks advance together, so logs that meet near their tips are read
    // only that far. The first commit either finds in the other's part is where
    // they meet: past it, the two logs are one.
    while !(ours.done && theirs.done) {
        if let Some(id) = ours.step()? {
            if let Some(&behind) = theirs.seen.get(&id) {
                return Ok((ours.seen.len(), behind));
            }
            ours.see(id);
        }
        if let Some(id) = theirs.step()? {
            if let Some(&ahead) = ours.seen.get(&id) {
                return Ok((ahead, theirs.seen.len()));
            }
            theirs.see(id);
        }
    }
    Ok((ours.seen.len(), theirs.seen.len()))
}

/// One side of [`log_ahead_behind`]: a first-parent walk and how far down each
/// commit it passed was.
struct Walk<'g> {
    walk: FirstParents<'g>,
    seen: HashMap<Oid, usize>,
    done: bool,
}

impl<'g> Walk<'g> {
    fn new(git: &'g Git, tip: Oid) -> Walk<'g> {
        Walk {
            walk: first_parents(git, Some(tip)),
            seen: HashMap::new(),
            done: false,
        }
    }

    fn step(&mut self) -> Result<Option<Oid>, EnvError> {
        match self.walk.next() {
            Some(commit) => Ok(Some(commit?.info.id)),
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }

    fn see(&mut self, id: Oid) {
        let depth = self.seen.len();
        self.seen.insert(id, depth);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(byte: u8) -> Oid {
        Oid::from_bytes(&[byte; 20]).unwrap()
    }

    #[test]
    fn readers_read_the_local_ref_unless_only_the_remote_has_one() {
        let (a, b) = (Some(oid(1)), Some(oid(2)));
        let cases = [
            // local, remote-tracking, read from
            (a, None, ReadFrom::Local),
            (None, b, ReadFrom::RemoteTracking),
            (None, None, ReadFrom::Local),
            (a, b, ReadFrom::Local),
            (a, a, ReadFrom::Local),
        ];
        for (local, tracking, expected) in cases {
            assert_eq!(
                read_from(local, tracking),
                expected,
                "{local:?} {tracking:?}"
            );
        }
    }

    #[test]
    fn the_ref_read_is_the_remote_tracking_one_only_in_its_place() {
        let tip = |local, tracking_ref: Option<&str>, tracking| Tip {
            name: "dev".to_owned(),
            local_ref: "refs/heads/env/dev".to_owned(),
            local,
            tracking_ref: tracking_ref.map(str::to_owned),
            tracking,
        };
        let remote = Some("refs/remotes/origin/env/dev");
        let (a, b) = (Some(oid(1)), Some(oid(2)));
        let cases = [
            (tip(a, remote, b), ("refs/heads/env/dev", a), false),
            (
                tip(None, remote, b),
                ("refs/remotes/origin/env/dev", b),
                true,
            ),
            (tip(None, remote, None), ("refs/heads/env/dev", None), false),
            (tip(a, remote, None), ("refs/heads/env/dev", a), false),
            (tip(None, None, None), ("refs/heads/env/dev", None), false),
        ];
        for (tip, read, remote_read) in cases {
            assert_eq!(tip.read(), read, "{tip:?}");
            assert_eq!(tip.remote_read().is_some(), remote_read, "{tip:?}");
        }
        assert_eq!(
            tip(None, remote, b).remote_read().unwrap().to_string(),
            "dev: read from refs/remotes/origin/env/dev (no local refs/heads/env/dev)"
        );
    }

    #[test]
    fn the_local_ref_stands_against_the_remote_as_git_status_says() {
        let (a, b) = (Some(oid(1)), Some(oid(2)));
        let cases = [
            // trackable, local, remote-tracking, counts, standing
            (true, a, a, (9, 9), (Standing::UpToDate, 0, 0)),
            (true, a, b, (2, 0), (Standing::Ahead, 2, 0)),
            (true, a, b, (0, 1), (Standing::Behind, 0, 1)),
            (true, a, b, (2, 1), (Standing::Diverged, 2, 1)),
            (true, a, None, (9, 9), (Standing::LocalOnly, 0, 0)),
            (true, None, b, (9, 9), (Standing::RemoteOnly, 0, 0)),
            (true, None, None, (9, 9), (Standing::NotOpened, 0, 0)),
            (false, a, None, (9, 9), (Standing::Untracked, 0, 0)),
            (false, None, None, (9, 9), (Standing::Untracked, 0, 0)),
            // A remote-tracking ref left from a remote since removed still counts.
            (false, a, b, (0, 3), (Standing::Behind, 0, 3)),
        ];
        for (trackable, local, tracking, counts, expected) in cases {
            let found = standing(trackable, local, tracking, |_, _| {
                Ok::<_, std::convert::Infallible>(counts)
            })
            .unwrap();
            assert_eq!(found, expected, "{trackable} {local:?} {tracking:?}");
        }
        let describe = [
            ((Standing::UpToDate, 0, 0), "up to date"),
            ((Standing::Ahead, 2, 0), "ahead 2"),
            ((Standing::Behind, 0, 1), "behind 1"),
            ((Standing::Diverged, 2, 1), "diverged: ahead 2, behind 1"),
            ((Standing::LocalOnly, 0, 0), "local only"),
            ((Standing::RemoteOnly, 0, 0), "remote only"),
            ((Standing::NotOpened, 0, 0), "not opened"),
            ((Standing::Untracked, 0, 0), "no remote-tracking ref"),
        ];
        for ((standing, ahead, behind), text) in describe {
            assert_eq!(standing.describe(ahead, behind), text);
        }
    }
}

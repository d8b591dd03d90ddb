//! Fetching from and pushing to a remote, through the user's own `git`.
//!
//! berth runs the `git` command for transport rather than libgit2's, so that SSH
//! agents, credential helpers, `url.<base>.insteadOf`, proxies and hosting
//! services' tokens work exactly as they do for `git push` (jj made the same
//! choice for the same reason). git runs in the repository with its own
//! configuration and environment; berth only closes its standard input and sets
//! `GIT_TERMINAL_PROMPT=0`, so a missing credential fails instead of waiting for
//! a password nobody will type.
//!
//! A push is never forced: every update is `<commit>:<ref>` without `+`, so the
//! server takes it only as a fast-forward (or a creation), and a remote that
//! moved rejects it. A push may also hold refs it does not change to the
//! commits they were read at ([`Lease`]): the push is then atomic, and git sends
//! nothing when one of them moved. `git push --porcelain` reports each ref on a
//! line of its own, which [`parse_porcelain`] reads.

use std::io;
use std::process::{Command, Output, Stdio};

use super::{Git, Oid, short_id};

/// One ref for a push to set: the commit it should point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    /// The full name of the remote's ref (`refs/heads/env/dev`).
    pub refname: String,
    /// The commit to set it to; it must be in the local repository.
    pub new: Oid,
}

/// A ref of the remote that a push does not change but depends on: the push
/// lands only while the remote's ref is still at `expect`.
///
/// git checks it against the refs the remote advertises as the push connects
/// (`--force-with-lease=<ref>:<expect>` with the refspec `<expect>:<ref>`: the
/// ref is pushed to the commit it already has, which changes nothing and forces
/// nothing), and with `--atomic` sends no update at all when it moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The full name of the remote's ref (`refs/heads/env/staging`).
    pub refname: String,
    /// The commit it must still point at.
    pub expect: Oid,
}

/// What a push did, ref by ref, and what the server said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// Each ref pushed, in the order git reported them.
    pub refs: Vec<PushedRef>,
    /// The server's own lines (git prints them after `remote:`), such as a
    /// hook's reason for refusing.
    pub server: Vec<String>,
}

/// One ref of a push and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushedRef {
    /// The remote's ref.
    pub refname: String,
    /// What happened to it.
    pub status: PushStatus,
}

/// What became of one ref of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushStatus {
    /// The ref was created or fast-forwarded.
    Updated,
    /// The ref already pointed at the commit.
    UpToDate,
    /// git would not send it: the remote's ref is not an ancestor of the commit
    /// (someone else pushed), so it is no fast-forward. Fetching again and
    /// building on the new tip may succeed.
    Rejected(Rejection),
    /// The server refused it: a hook, a protected branch, a full disk. Its
    /// reason as git reports it, such as `pre-receive hook declined`.
    RefusedByServer(String),
}

/// Why git did not send an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The remote's ref is not an ancestor of the commit.
    NonFastForward,
    /// The remote's ref points at a commit this repository does not have.
    FetchFirst,
    /// The remote's ref is not what was expected of it.
    Stale,
    /// The server could not update the ref from the tip it advertised: another
    /// push landed between the two (git says `failed to update ref`, and the
    /// server that the ref "is at X but expected Y").
    UpdateFailed,
    /// Anything else git says (`atomic push failed` for the other refs of an
    /// atomic push one of whose refs failed).
    Other(String),
}

impl Rejection {
    fn from_reason(reason: &str) -> Rejection {
        match reason {
            "non-fast-forward" => Rejection::NonFastForward,
            "fetch first" => Rejection::FetchFirst,
            "stale info" => Rejection::Stale,
            "failed to update ref" | "failed to lock" => Rejection::UpdateFailed,
            other => Rejection::Other(other.to_owned()),
        }
    }

    /// git's words for it.
    pub fn reason(&self) -> &str {
        match self {
            Rejection::NonFastForward => "non-fast-forward",
            Rejection::FetchFirst => "fetch first",
            Rejection::Stale => "stale info",
            Rejection::UpdateFailed => "failed to update ref",
            Rejection::Other(reason) => reason,
        }
    }
}

impl PushReport {
    /// Whether every ref was updated or already up to date.
    pub fn succeeded(&self) -> bool {
        self.refs
            .iter()
            .all(|pushed| matches!(pushed.status, PushStatus::Updated | PushStatus::UpToDate))
    }

    /// The push as a result: `Ok` when every ref landed; else the server's
    /// refusal if there is one (it will not change by retrying), else the first
    /// ref the remote moved under.
    pub fn into_result(self, remote: &str) -> Result<PushReport, RemoteError> {
        let refused = self.refs.iter().find_map(|pushed| match &pushed.status {
            PushStatus::RefusedByServer(reason) => Some((pushed.refname.clone(), reason.clone())),
            _ => None,
        });
        if let Some((refname, reason)) = refused {
            return Err(RemoteError::PushRefused {
                remote: remote.to_owned(),
                refname,
                reason,
                server: self.server.join("\n"),
            });
        }
        // The ref that failed on its own before the ones an atomic push gave up.
        let rejected = self
            .refs
            .iter()
            .filter_map(|pushed| match &pushed.status {
                PushStatus::Rejected(rejection) => Some((pushed, rejection)),
                _ => None,
            })
            .min_by_key(|(_, rejection)| matches!(rejection, Rejection::Other(_)));
        if let Some((pushed, rejection)) = rejected {
            return Err(RemoteError::RemoteMoved {
                remote: remote.to_owned(),
                refname: pushed.refname.clone(),
                reason: rejection.reason().to_owned(),
            });
        }
        Ok(self)
    }
}

/// Why a fetch or a push did not do what it was asked.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RemoteError {
    /// The remote named is not one of the repository's remotes.
    #[error("`{remote}` is not a remote of this repository")]
    #[diagnostic(
        code("berth::unknown-remote"),
        help(
            "add it (`git remote add {remote} <url>`), name another one, or set the remote berth uses in berth.toml's [repo] section; `git remote -v` lists the ones there are"
        )
    )]
    UnknownRemote {
        /// The name given.
        remote: String,
    },
    /// git could not talk to the remote, or the remote has no such repository.
    #[error("could not {doing} `{remote}`: {git_says}")]
    #[diagnostic(
        code("berth::remote-unreachable"),
        help(
            "check that `git ls-remote {remote}` works from this repository (the network, the remote's URL, your credentials); a fetch changes nothing there, and a push cut off midway landed whole or not at all: the same command run again finishes it"
        )
    )]
    Unreachable {
        /// What berth was doing: "fetch from", "push to".
        doing: String,
        /// The remote.
        remote: String,
        /// What git said.
        git_says: String,
    },
    /// The remote has no ref that berth must fetch.
    #[error("`{remote}` has no `{refname}`")]
    #[diagnostic(
        code("berth::remote-ref-missing"),
        help(
            "push it there first (`git push {remote} <branch>`), or check berth.toml's catalog branch and [repo] remote"
        )
    )]
    MissingRef {
        /// The remote.
        remote: String,
        /// The ref it lacks.
        refname: String,
    },
    /// The server refused an update: a hook, a protected branch.
    #[error(
        "`{remote}` refused the push to `{refname}`: {reason}{}",
        server_words(server)
    )]
    #[diagnostic(
        code("berth::push-refused"),
        help(
            "the server's own words are above; where the branch is protected, its changes go through the hosting service (a pull request, or someone allowed to push). Nothing changed on the remote"
        )
    )]
    PushRefused {
        /// The remote.
        remote: String,
        /// The ref it refused.
        refname: String,
        /// git's reason, such as `pre-receive hook declined`.
        reason: String,
        /// The server's `remote:` lines, one per line.
        server: String,
    },
    /// The remote's ref moved since it was fetched: the update is no
    /// fast-forward of it.
    #[error("`{refname}` on `{remote}` moved since berth fetched it ({reason})")]
    #[diagnostic(
        code("berth::remote-moved"),
        help(
            "someone else pushed to it meanwhile; fetch again and build on the new tip. Nothing changed on the remote"
        )
    )]
    RemoteMoved {
        /// The remote.
        remote: String,
        /// The ref.
        refname: String,
        /// git's reason, such as `non-fast-forward`.
        reason: String,
    },
    /// The git command could not run, or printed what berth cannot read.
    #[error("`git {command}` failed: {message}")]
    #[diagnostic(
        code("berth::git-command"),
        help(
            "berth fetches and pushes with the git command: make sure `git` is on PATH and that the same command works when you run it"
        )
    )]
    Command {
        /// The command's arguments.
        command: String,
        /// What went wrong.
        message: String,
    },
}

fn server_words(server: &str) -> String {
    if server.is_empty() {
        String::new()
    } else {
        format!("\nthe server said:\n{server}")
    }
}

impl Git {
    /// Checks that `remote` is a remote configured in this repository, so that
    /// it can name remote-tracking refs (`refs/remotes/<remote>/...`); a URL is
    /// not one.
    pub fn check_remote(&self, remote: &str) -> Result<(), RemoteError> {
        let unknown = || RemoteError::UnknownRemote {
            remote: remote.to_owned(),
        };
        if !git2::Remote::is_valid_name(remote) {
            return Err(unknown());
        }
        match self.repo.find_remote(remote) {
            Ok(_) => Ok(()),
            Err(error) if error.code() == git2::ErrorCode::NotFound => Err(unknown()),
            Err(error) => Err(RemoteError::Command {
                command: format!("remote get-url {remote}"),
                message: error.message().to_owned(),
            }),
        }
    }

    /// Fetches `refspecs` from `remote` (`+refs/heads/main:refs/remotes/origin/main`,
    /// or with a `*` on both sides). Tags are not fetched, and FETCH_HEAD is not
    /// written. A refspec without `*` whose source the remote lacks is
    /// [`RemoteError::MissingRef`].
    ///
    /// What arrives is kept as a pack (`fetch.unpackLimit=1`), never exploded
    /// into loose objects: a pack appears whole when its index is renamed into
    /// place, while loose objects appear one by one in no particular order, and
    /// another command here (a `git push` that finds the remote's tip already
    /// present, say) would walk from a commit whose parents are not written yet.
    pub fn fetch(&self, remote: &str, refspecs: &[String]) -> Result<(), RemoteError> {
        self.check_remote(remote)?;
        let mut args = vec![
            "-c".to_owned(),
            "fetch.unpackLimit=1".to_owned(),
            "fetch".to_owned(),
            "--quiet".to_owned(),
            "--no-tags".to_owned(),
            "--no-write-fetch-head".to_owned(),
            remote.to_owned(),
        ];
        args.extend(refspecs.iter().cloned());
        let mut output = self.git(&args)?;
        // Another fetch in this repository holding a remote-tracking ref's lock
        // (two berth commands at once) passes in a moment.
        for attempt in 0u32..12 {
            if output.status.success() || !lock_held(&output.stderr) {
                break;
            }
            std::thread::sleep(super::wait::lock_wait(attempt));
            output = self.git(&args)?;
        }
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        const MISSING: &str = "couldn't find remote ref ";
        if let Some(refname) = stderr
            .lines()
            .find_map(|line| line.split_once(MISSING).map(|(_, name)| name.trim()))
        {
            return Err(RemoteError::MissingRef {
                remote: remote.to_owned(),
                refname: refname.to_owned(),
            });
        }
        Err(RemoteError::Unreachable {
            doing: "fetch from".to_owned(),
            remote: remote.to_owned(),
            git_says: git_says(&stderr),
        })
    }

    /// Pushes `updates` to `remote` without force: each ref is created or
    /// fast-forwarded, or rejected, and only while every lease's ref is still
    /// where it was read. More than one ref is pushed atomically (all or none).
    /// Returns what became of each ref, whether or not it landed (see
    /// [`PushReport::into_result`]); an error means git could not push at all.
    pub fn push(
        &self,
        remote: &str,
        updates: &[RefUpdate],
        leases: &[Lease],
    ) -> Result<PushReport, RemoteError> {
        self.check_remote(remote)?;
        let mut args = vec!["push".to_owned(), "--porcelain".to_owned()];
        if updates.len().saturating_add(leases.len()) > 1 {
            args.push("--atomic".to_owned());
        }
        args.extend(
            leases
                .iter()
                .map(|lease| format!("--force-with-lease={}:{}", lease.refname, lease.expect)),
        );
        args.push(remote.to_owned());
        args.extend(
            updates
                .iter()
                .map(|update| format!("{}:{}", update.new, update.refname)),
        );
        args.extend(
            leases
                .iter()
                .map(|lease| format!("{}:{}", lease.expect, lease.refname)),
        );
        let output = self.git(&args)?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let refs = parse_porcelain(&stdout);
        if refs.is_empty() && !updates.is_empty() {
            // No ref got as far as being reported: git never reached the remote,
            // or the connection was lost before the server answered (the server
            // may have taken the push whole; a retry finds it there).
            return Err(RemoteError::Unreachable {
                doing: "push to".to_owned(),
                remote: remote.to_owned(),
                git_says: git_says(&stderr),
            });
        }
        let asked = updates
            .iter()
            .map(|update| (&update.refname, update.new))
            .chain(leases.iter().map(|lease| (&lease.refname, lease.expect)));
        for (refname, new) in asked {
            if !refs.iter().any(|pushed| &pushed.refname == refname) {
                return Err(RemoteError::Command {
                    command: args.join(" "),
                    message: format!(
                        "git did not report what became of `{refname}` ({})",
                        short_id(new)
                    ),
                });
            }
        }
        Ok(PushReport {
            refs,
            server: server_lines(&stderr),
        })
    }

    fn git(&self, args: &[String]) -> Result<Output, RemoteError> {
        Command::new("git")
            .args(args)
            .current_dir(&self.workdir)
            .stdin(Stdio::null())
            // A credential nobody can type fails at once rather than hanging.
            .env("GIT_TERMINAL_PROMPT", "0")
            .output()
            .map_err(|error| RemoteError::Command {
                command: args.join(" "),
                message: if error.kind() == io::ErrorKind::NotFound {
                    "git is not installed or not on PATH".to_owned()
                } else {
                    error.to_string()
                },
            })
    }
}

/// The refs of `git push --porcelain`'s standard output:
/// `<flag> TAB <from>:<to> TAB <summary>`, where the flag is ` ` (fast-forward),
/// `*` (new ref), `=` (up to date), `!` (rejected or refused) or `+`/`-` (forced
/// or deleted, which berth never asks for). Other lines (`To <url>`, `Done`) are
/// not refs.
pub fn parse_porcelain(stdout: &str) -> Vec<PushedRef> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut fields = line.splitn(3, '\t');
            let flag = fields.next()?;
            let refs = fields.next()?;
            let summary = fields.next().unwrap_or("").trim();
            let (_, refname) = refs.rsplit_once(':')?;
            let status = match flag {
                " " | "*" | "+" | "-" => PushStatus::Updated,
                "=" => PushStatus::UpToDate,
                "!" => {
                    let reason = summary
                        .rsplit_once('(')
                        .map(|(_, reason)| reason.trim_end_matches(')').trim())
                        .unwrap_or(summary);
                    let rejection = Rejection::from_reason(reason);
                    let refused = summary.starts_with("[remote rejected]")
                        || summary.starts_with("[remote failure]");
                    if refused && rejection != Rejection::UpdateFailed {
                        PushStatus::RefusedByServer(reason.to_owned())
                    } else {
                        PushStatus::Rejected(rejection)
                    }
                }
                _ => return None,
            };
            Some(PushedRef {
                refname: refname.to_owned(),
                status,
            })
        })
        .collect()
}

/// Whether git failed because another process held a ref's lock.
fn lock_held(stderr: &[u8]) -> bool {
    let stderr = String::from_utf8_lossy(stderr);
    stderr.contains("cannot lock ref") || stderr.contains(".lock': File exists")
}

/// What the server printed: git relays it on standard error after `remote: `,
/// padded with spaces.
fn server_lines(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("remote:"))
        .map(|line| line.trim().to_owned())
        .filter(|line| !line.is_empty())
        .collect()
}

/// git's own words on standard error, without the hints it adds for people
/// typing git commands.
fn git_says(stderr: &str) -> String {
    let said: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("hint:"))
        .collect();
    if said.is_empty() {
        "git gave no reason".to_owned()
    } else {
        said.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "879ae7f6ed968a89b2329d34799430626a7b7840";

    fn pushed(refname: &str, status: PushStatus) -> PushedRef {
        PushedRef {
            refname: refname.to_owned(),
            status,
        }
    }

    #[test]
    fn porcelain_lines_become_statuses() {
        use PushStatus::*;
        let dev = "refs/heads/env/dev";
        let cases: Vec<(String, Vec<PushedRef>)> = vec![
            (
                format!("To ../r.git\n*\t{C1}:{dev}\t[new branch]\nDone\n"),
                vec![pushed(dev, Updated)],
            ),
            (
                format!(" \t{C1}:{dev}\t879ae7f..22ebf13\n"),
                vec![pushed(dev, Updated)],
            ),
            (
                format!("=\t{C1}:{dev}\t[up to date]\n"),
                vec![pushed(dev, UpToDate)],
            ),
            (
                format!("!\t{C1}:{dev}\t[rejected] (non-fast-forward)\n"),
                vec![pushed(dev, Rejected(Rejection::NonFastForward))],
            ),
            (
                format!("!\t{C1}:{dev}\t[rejected] (fetch first)\n"),
                vec![pushed(dev, Rejected(Rejection::FetchFirst))],
            ),
            (
                format!("!\t{C1}:{dev}\t[rejected] (stale info)\n"),
                vec![pushed(dev, Rejected(Rejection::Stale))],
            ),
            (
                format!("!\t{C1}:{dev}\t[remote rejected] (pre-receive hook declined)\n"),
                vec![pushed(
                    dev,
                    RefusedByServer("pre-receive hook declined".to_owned()),
                )],
            ),
            (
                format!("!\t{C1}:{dev}\t[remote rejected] (failed to update ref)\n"),
                vec![pushed(dev, Rejected(Rejection::UpdateFailed))],
            ),
            (
                format!("!\t{C1}:{dev}\t[remote failure] (remote failed to report status)\n"),
                vec![pushed(
                    dev,
                    RefusedByServer("remote failed to report status".to_owned()),
                )],
            ),
            (
                format!(
                    "!\t{C1}:{dev}\t[rejected] (atomic push failed)\n!\t{C1}:refs/heads/main\t[rejected] (non-fast-forward)\n"
                ),
                vec![
                    pushed(
                        dev,
                        Rejected(Rejection::Other("atomic push failed".to_owned())),
                    ),
                    pushed("refs/heads/main", Rejected(Rejection::NonFastForward)),
                ],
            ),
            ("To ../r.git\nDone\n".to_owned(), vec![]),
            ("".to_owned(), vec![]),
            ("garbage without tabs\n".to_owned(), vec![]),
            (format!("?\t{C1}:{dev}\tsomething\n"), vec![]),
        ];
        for (stdout, expected) in cases {
            assert_eq!(parse_porcelain(&stdout), expected, "{stdout:?}");
        }
    }

    #[test]
    fn a_report_is_a_refusal_before_a_move_and_a_move_before_success() {
        use PushStatus::*;
        let report = |refs: Vec<PushedRef>| PushReport {
            refs,
            server: vec!["protected branch".to_owned()],
        };
        let dev = "refs/heads/env/dev";
        let main = "refs/heads/main";
        let atomic = || Rejected(Rejection::Other("atomic push failed".to_owned()));

        let ok = report(vec![pushed(dev, Updated), pushed(main, UpToDate)]);
        assert!(ok.succeeded());
        assert!(ok.into_result("origin").is_ok());

        let refused = report(vec![
            pushed(dev, atomic()),
            pushed(main, RefusedByServer("hook declined".to_owned())),
        ]);
        match refused.into_result("origin") {
            Err(RemoteError::PushRefused {
                refname, server, ..
            }) => {
                assert_eq!(refname, main);
                assert_eq!(server, "protected branch");
            }
            other => panic!("{other:?}"),
        }

        let moved = report(vec![
            pushed(dev, atomic()),
            pushed(main, Rejected(Rejection::FetchFirst)),
        ]);
        match moved.into_result("origin") {
            Err(RemoteError::RemoteMoved {
                refname, reason, ..
            }) => {
                assert_eq!(refname, main);
                assert_eq!(reason, "fetch first");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn server_lines_and_git_words_are_kept_without_padding_or_hints() {
        let stderr = "remote: protected branch: no        \nremote: \nerror: failed to push some refs to '../r.git'\nhint: Updates were rejected\n";
        assert_eq!(server_lines(stderr), vec!["protected branch: no"]);
        assert_eq!(
            git_says(stderr),
            "remote: protected branch: no\nremote:\nerror: failed to push some refs to '../r.git'"
        );
        assert_eq!(git_says("hint: only a hint\n"), "git gave no reason");
    }
}

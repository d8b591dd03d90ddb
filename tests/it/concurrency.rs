//! Real concurrent `berth promote` processes racing on one environment ref: of
//! different packages all land, of the same package exactly one wins and the
//! others exit 3 having written nothing.

use std::collections::HashSet;
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Repo, describe, stdout_json};

const DEV: &str = "refs/heads/env/dev";

/// Puts version sets in one commit: their objects, in order.
fn put_all(repo: &Repo, sets: &[(String, u32)]) -> Vec<String> {
    let sets: Vec<(&str, u32)> = sets.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    repo.put_version_sets(&sets)
        .into_iter()
        .map(|put| put.object)
        .collect()
}

/// Starts `berth promote <object> --to dev --format json` without waiting.
fn spawn_promote(repo: &Repo, object: &str) -> Child {
    repo.berth_process()
        .args(["promote", object, "--to", "dev", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(children: Vec<Child>) -> Vec<Output> {
    children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect()
}

#[test]
fn concurrent_promotions_of_different_packages_all_land() {
    const N: u32 = 6;
    for round in 0..3 {
        let repo = Repo::init();
        let sets: Vec<(String, u32)> = (0..N)
            .map(|i| (format!("pkg{i}"), round * 10 + i))
            .collect();
        let objects = put_all(&repo, &sets);
        let catalog = repo.tip("refs/heads/main").unwrap();
        assert_eq!(repo.env_tip("dev"), None);

        // All racing to open dev, too: one creates the ref, the rest rebuild on it.
        let children: Vec<Child> = objects.iter().map(|o| spawn_promote(&repo, o)).collect();
        let outputs = finish(children);
        for output in &outputs {
            assert_eq!(
                output.status.code(),
                Some(0),
                "round {round}: {}",
                describe(output)
            );
            let outcome = stdout_json(output);
            assert_eq!(outcome["promotions"].as_array().unwrap().len(), 1);
        }

        let log = repo.env_log("dev");
        let summary: Vec<String> = log
            .iter()
            .map(|c| format!("{} {:?} {}", c.id, c.parents, c.subject))
            .collect();
        let printed: Vec<String> = outputs.iter().map(describe).collect();
        assert_eq!(
            log.len(),
            N as usize + 1,
            "round {round}: dev's log {summary:#?}\nwhat the promoters printed:\n{}",
            printed.join("\n")
        );
        let (root, promotions) = log.split_last().unwrap();
        assert!(root.parents.is_empty());
        assert_eq!(root.trailers["Berth-Action"], "open");
        let mut seen: Vec<&str> = Vec::new();
        for commit in promotions {
            assert_eq!(commit.parents.len(), 2, "{commit:?}");
            assert_eq!(commit.parents[1], catalog);
            assert_eq!(commit.trailers["Berth-Action"], "promote");
            seen.push(&commit.trailers["Berth-Object"]);
        }
        seen.sort_unstable();
        let mut expected: Vec<&str> = objects.iter().map(String::as_str).collect();
        expected.sort_unstable();
        assert_eq!(seen, expected, "round {round}: one commit per package");

        // The final state holds every package, and each commit's tree holds the
        // packages of the commits below it plus its own.
        let state = log[0].state.clone().unwrap();
        for (i, object) in objects.iter().enumerate() {
            assert!(
                state.contains(&format!("[packages.pkg{i}]\nobject = \"{object}\"\n")),
                "round {round}: {state}"
            );
        }
        for (depth, commit) in promotions.iter().enumerate() {
            let held = commit.state.as_ref().unwrap().matches("[packages.").count();
            assert_eq!(held, N as usize - depth, "round {round}");
        }
        // Every winner's reported tip is somewhere in the log; the last is the tip.
        let tips: Vec<String> = outputs
            .iter()
            .map(|o| stdout_json(o)["tip"].as_str().unwrap().to_owned())
            .collect();
        assert!(tips.contains(&log[0].id));
        assert!(tips.iter().all(|tip| log.iter().any(|c| &c.id == tip)));
    }
}

/// Several processes each promote a package into dev, which does not exist yet:
/// every one of them sees no dev and builds its commit as dev's first, and only
/// one can create the ref; the others must notice and retry on top of it, so that
/// each one that says it promoted finds its package in dev afterwards.
///
/// As in the test below, the test holds dev's lock while they start and lets go
/// once every one has built its commit, so all of them race every time.
#[test]
fn racing_to_open_an_environment_loses_no_promotion() {
    const K: usize = 4;
    let repo = Repo::init();
    let sets: Vec<(String, u32)> = (0..K as u32).map(|i| (format!("pkg{i}"), i)).collect();
    let objects = put_all(&repo, &sets);
    let before = commits(&repo);
    let children = while_locked(&repo, &objects, || {
        commits(&repo).difference(&before).count() >= K
    });
    let outputs = finish(children);
    let state = repo.commit(&repo.env_tip("dev").unwrap()).state.unwrap();
    for (object, output) in objects.iter().zip(&outputs) {
        assert_eq!(output.status.code(), Some(0), "{}", describe(output));
        assert!(
            state.contains(&format!("object = \"{object}\"")),
            "berth said it promoted {object}, but dev does not hold it:\n{state}\n{}",
            describe(output)
        );
    }
    // The environment's opening commit, then one promotion each.
    assert_eq!(repo.env_log("dev").len(), K + 1);
}

/// Starts a promotion of each object to dev while holding dev's ref lock, as
/// another git writer would, until `built` says every promoter has built its
/// commit (or all have exited); then lets go. The promoters, still running.
fn while_locked(repo: &Repo, objects: &[String], built: impl Fn() -> bool) -> Vec<Child> {
    let lock = repo.path().join(".git/refs/heads/env/dev.lock");
    std::fs::create_dir_all(lock.parent().unwrap()).unwrap();
    std::fs::write(&lock, "").unwrap();
    let mut children: Vec<Child> = objects.iter().map(|o| spawn_promote(repo, o)).collect();
    let started = Instant::now();
    loop {
        let mut exited = 0;
        for child in &mut children {
            if child.try_wait().unwrap().is_some() {
                exited += 1;
            }
        }
        if built() || exited == children.len() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the promoters never built their commits"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::remove_file(&lock).unwrap();
    children
}

/// Every commit in the object database.
fn commits(repo: &Repo) -> HashSet<git2::Oid> {
    let git = repo.git();
    let odb = git.odb().unwrap();
    let mut ids = Vec::new();
    odb.foreach(|id| {
        ids.push(*id);
        true
    })
    .unwrap();
    ids.into_iter()
        .filter(|id| matches!(odb.read_header(*id), Ok((_, git2::ObjectType::Commit))))
        .collect()
}

/// Commits in the object database whose first parent is `tip`: what a promoter has
/// built once it has read the tip and before it moves the ref.
fn built_on(repo: &Repo, tip: &str) -> usize {
    let git = repo.git();
    let tip = git2::Oid::from_str(tip).unwrap();
    commits(repo)
        .into_iter()
        .filter(|id| {
            git.find_commit(*id)
                .is_ok_and(|c| c.parent_id(0).ok() == Some(tip))
        })
        .count()
}

/// Several processes promote different objects of one package into dev at once.
///
/// To be sure they really race (each reads the same tip before any moves the
/// ref), the test holds the ref's lock while they start, as another git writer
/// would, waits until every one of them has built its commit on the tip (the
/// commits appear in the object database), then lets go.
#[test]
fn concurrent_promotions_of_one_package_let_exactly_one_win() {
    const K: usize = 4;
    for round in 0..3u32 {
        let repo = Repo::init();
        let mut sets = vec![("other".to_owned(), round)];
        sets.extend((0..K as u32).map(|i| ("billing".to_owned(), round * 10 + i)));
        let objects = put_all(&repo, &sets);
        let (other, billing) = objects.split_first().unwrap();
        repo.ok(&["promote", other, "--to", "dev"]);
        let before = repo.env_log("dev");
        assert_eq!(before.len(), 2);
        let tip = before[0].id.clone();

        let children = while_locked(&repo, billing, || built_on(&repo, &tip) >= K);
        let outputs = finish(children);

        let winners: Vec<usize> = (0..K)
            .filter(|&i| outputs[i].status.code() == Some(0))
            .collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: {}",
            outputs.iter().map(describe).collect::<Vec<_>>().join("\n")
        );
        let winner = winners[0];
        for (i, output) in outputs.iter().enumerate() {
            if i == winner {
                continue;
            }
            assert_eq!(
                output.status.code(),
                Some(3),
                "round {round}: {}",
                describe(output)
            );
            let report = stdout_json(output);
            assert_eq!(report["error"]["code"], "berth::conflict", "{report:#}");
            assert_eq!(report["error"]["exit_code"], 3);
        }

        let outcome = stdout_json(&outputs[winner]);
        assert_eq!(outcome["previous_tip"], tip);
        let after = repo.env_log("dev");
        assert_eq!(after.len(), 3, "round {round}: exactly one commit landed");
        assert_eq!(after[1].id, tip);
        assert_eq!(outcome["tip"], after[0].id);
        assert_eq!(after[0].trailers["Berth-Object"], billing[winner]);
        assert_eq!(repo.moves(DEV), 2);
        let state = after[0].state.clone().unwrap();
        assert!(state.contains(&format!("object = \"{}\"", billing[winner])));
        assert!(state.contains(&format!("object = \"{other}\"")));
    }
}

//! How long a writer waits before trying again after another writer won a race:
//! a little longer after each lost race, with jitter so that writers racing on
//! one ref (in one repository, or on many machines pushing to one remote) spread
//! apart instead of colliding again.

use std::time::Duration;

/// After a compare-and-swap of a local ref lost to another process: growing
/// from 1 ms to 32 ms, plus up to 7 ms at random.
pub fn local_race_wait(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(5);
    Duration::from_millis(base.saturating_add(random(attempt) % 8))
}

/// After push attempt `attempt` lost a race on the remote, by a promotion or a
/// write to the catalog: growing from 10 ms to 160 ms, with jitter (half to one
/// and a half times it) so that writers on many machines spread apart.
pub fn lost_race_wait(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(4);
    Duration::from_millis((base / 2).saturating_add(random(attempt).checked_rem(base).unwrap_or(0)))
}

/// While another fetch in the repository holds a remote-tracking ref's lock:
/// growing from 10 ms to 320 ms, plus up to as much again at random.
pub(super) fn lock_wait(attempt: u32) -> Duration {
    let base = 10u64 << attempt.min(5);
    Duration::from_millis(base.saturating_add(random(attempt).checked_rem(base).unwrap_or(0)))
}

/// A number that differs from one call to the next.
fn random(attempt: u32) -> u64 {
    use std::hash::BuildHasher;
    std::collections::hash_map::RandomState::new().hash_one(attempt)
}

//! How far a validation has come, for a caller that shows it: the command line
//! draws a progress bar on a terminal; the library draws nothing.

/// Told, from the threads that check them, as a validation checks object files.
pub trait Progress: Sync {
    /// Checking starts: `total` object files are to be checked.
    fn start(&self, total: usize);
    /// One more object file has been checked.
    fn checked(&self);
}

/// Progress nobody watches: what [`validate`](super::validate) and
/// [`validate_changeset`](super::validate_changeset) report to.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unwatched;

impl Progress for Unwatched {
    fn start(&self, _total: usize) {}

    fn checked(&self) {}
}

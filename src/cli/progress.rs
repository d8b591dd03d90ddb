//! Progress on a terminal, on stderr: a bar of the object files the validator has
//! checked, or a spinner while a long write runs. Only for a person watching: none
//! when stderr is not a terminal, with --quiet, or when stdout takes a format for
//! programs.

use std::io::{self, IsTerminal};
use std::time::Duration;

use berth::check::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

use super::Format;
use super::render::Output;

/// How often a spinner turns.
const TICK: Duration = Duration::from_millis(120);

/// Whether progress is shown: stderr is a terminal, --quiet is not given, and
/// stdout's results are for people.
pub fn shown(stderr_is_terminal: bool, quiet: bool, stdout_format: Format) -> bool {
    stderr_is_terminal && !quiet && stdout_format == Format::Human
}

/// A bar of object files checked, drawn as the validator tells it; it clears
/// itself when dropped, before the results print.
pub struct Checking(ProgressBar);

impl Checking {
    /// A bar for `out`: drawn if progress is shown there, hidden otherwise.
    pub fn new(out: &Output) -> Checking {
        let bar = new_bar(out, Some(0));
        bar.set_style(style(
            "{spinner} checking objects {pos}/{len} [{bar:30}] {elapsed}",
        ));
        Checking(bar)
    }
}

impl Progress for Checking {
    fn start(&self, total: usize) {
        self.0.set_length(u64::try_from(total).unwrap_or(u64::MAX));
        self.0.set_position(0);
    }

    fn checked(&self) {
        self.0.inc(1);
    }
}

/// A bar of the tags a sync has resolved, after a spinner while it lists them;
/// it clears itself when dropped.
pub struct Syncing(ProgressBar);

impl Syncing {
    /// A bar for `out`: drawn if progress is shown there, hidden otherwise.
    pub fn new(out: &Output) -> Syncing {
        let bar = new_bar(out, None);
        bar.set_style(style("{spinner} {msg} {elapsed}"));
        if !bar.is_hidden() {
            bar.enable_steady_tick(TICK);
        }
        Syncing(bar)
    }
}

impl berth::registry::SyncProgress for Syncing {
    fn listing(&self, component: &str, listed: usize) {
        self.0
            .set_message(format!("listing the tags of {component}: {listed}"));
    }

    fn resolving(&self, component: &str, total: usize) {
        self.0.set_style(style(
            "{spinner} resolving {msg} {pos}/{len} [{bar:30}] {elapsed}",
        ));
        self.0.set_message(format!("the new tags of {component}"));
        self.0.set_length(u64::try_from(total).unwrap_or(u64::MAX));
        self.0.set_position(0);
    }

    fn resolved(&self) {
        self.0.inc(1);
    }
}

/// A spinner saying what is being done (`putting 3000 files`), turning until it
/// is dropped, which clears it.
pub fn spinner(out: &Output, doing: String) -> ProgressBar {
    let spinner = new_bar(out, None);
    spinner.set_style(style("{spinner} {msg} {elapsed}"));
    spinner.set_message(doing);
    if !spinner.is_hidden() {
        spinner.enable_steady_tick(TICK);
    }
    spinner
}

/// A bar of `length` (none for a spinner) drawn on stderr if `out` shows
/// progress, hidden otherwise; cleared when dropped.
fn new_bar(out: &Output, length: Option<u64>) -> ProgressBar {
    let target = if shown(io::stderr().is_terminal(), out.quiet, out.format) {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    ProgressBar::with_draw_target(length, target).with_finish(ProgressFinish::AndClear)
}

/// A style from a template of berth's own, which always parses.
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_shown_only_to_a_person_at_a_terminal() {
        use Format::{Github, Human, Json, Junit, Markdown, Sarif};
        // (stderr is a terminal, --quiet, stdout's format) -> shown
        let cases = [
            (true, false, Human, true),
            (false, false, Human, false),
            (true, true, Human, false),
            (false, true, Human, false),
            (true, false, Json, false),
            (true, false, Github, false),
            (true, false, Sarif, false),
            (true, false, Junit, false),
            (true, false, Markdown, false),
            (false, false, Json, false),
        ];
        for (terminal, quiet, format, expected) in cases {
            assert_eq!(
                shown(terminal, quiet, format),
                expected,
                "terminal {terminal}, quiet {quiet}, {format:?}"
            );
        }
    }
}

//! `berth completions`: the shell's completion script, generated from the same
//! command definition berth parses its arguments with.

use clap_complete::Shell;

use super::error::CliError;
use super::render::Output;

/// Print the completion script for a shell
///
/// The script completes commands, flags and the values of flags that take a fixed
/// set (formats, statuses, shells). Write it where the shell loads completions
/// from, as the examples do, and start a new shell.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Bash: load on demand through bash-completion",
        "berth completions bash > ~/.local/share/bash-completion/completions/berth",
    ),
    (
        "Zsh: a directory on $fpath, before compinit runs in ~/.zshrc",
        "berth completions zsh > ~/.zfunc/_berth",
    ),
    (
        "Fish",
        "berth completions fish > ~/.config/fish/completions/berth.fish",
    ),
    (
        "PowerShell: add to $PROFILE (Elvish: `berth completions elvish`, used from rc.elv)",
        "berth completions powershell | Out-String | Invoke-Expression",
    ),
]))]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: &Args, out: &mut Output) -> Result<u8, CliError> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut super::command(), "berth", &mut script);
    out.rendered(&String::from_utf8_lossy(&script));
    Ok(0)
}

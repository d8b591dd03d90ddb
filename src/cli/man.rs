//! `berth man`: man pages for berth and each of its commands.
//!
//! A command rather than a build script: the pages come from the same command
//! definition the binary parses with, which a build script could only reach by
//! compiling the command line (and the library under it) twice; and a packager
//! or a user with an installed berth writes them wherever `man` looks, as
//! `jj util install-man-pages` and `rg --generate man` do.

use std::io;
use std::path::{Path, PathBuf};

use clap_mangen::Man;

use super::error::CliError;
use super::render::Output;

/// Write the man pages: berth.1 and one per command
///
/// A command's page is named after it: berth-promote.1, berth-config-set.1. Each
/// page has the command's synopsis, its description, its options and its
/// examples, as --help shows them. Pages already in the directory are replaced.
#[derive(Debug, clap::Args)]
#[command(after_long_help = super::examples(&[
    (
        "Pages for the current user (on MANPATH through ~/.local/share/man)",
        "berth man --output ~/.local/share/man/man1",
    ),
    (
        "Pages for a package, then read one",
        "berth man --output target/man && man target/man/berth-promote.1",
    ),
]))]
pub struct Args {
    /// The directory to write the pages into (created if missing)
    #[arg(short, long, value_name = "DIR")]
    output: PathBuf,
}

pub fn run(args: &Args, cwd: &Path, out: &mut Output) -> Result<u8, CliError> {
    let dir = cwd.join(&args.output);
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |error| CliError::Io { path, error }
    };
    let pages = pages(super::command()).map_err(io_error(&dir))?;
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    for (name, page) in &pages {
        let path = dir.join(name);
        berth::fs::replace(&path, page).map_err(io_error(&path))?;
    }
    if !out.quiet {
        out.line(format!(
            "wrote {} man pages to {}",
            pages.len(),
            dir.display()
        ));
    }
    Ok(0)
}

/// Every page, by file name: the command's and each subcommand's, at any depth.
fn pages(command: clap::Command) -> io::Result<Vec<(String, Vec<u8>)>> {
    let mut command = command.disable_help_subcommand(true);
    // Building names each subcommand for its page (berth-config-set).
    command.build();
    let mut pages = Vec::new();
    add_pages(&command, &mut pages)?;
    Ok(pages)
}

fn add_pages(command: &clap::Command, pages: &mut Vec<(String, Vec<u8>)>) -> io::Result<()> {
    let name = Man::new(command.clone()).get_filename();
    pages.push((name, page(command)?.into_bytes()));
    for sub in command.get_subcommands().filter(|sub| !sub.is_hide_set()) {
        add_pages(sub, pages)?;
    }
    Ok(())
}

/// A command's page as clap_mangen writes it, with the examples as a section of
/// their own before VERSION (clap_mangen would run them together as one
/// paragraph).
fn page(command: &clap::Command) -> io::Result<String> {
    let examples = command.get_after_long_help().map(ToString::to_string);
    let man = Man::new(command.clone().after_long_help(None::<&str>))
        .source(concat!("berth ", env!("CARGO_PKG_VERSION")));
    let mut page = Vec::new();
    man.render(&mut page)?;
    let mut page = String::from_utf8_lossy(&page).into_owned();
    if let Some(examples) = examples {
        let section = format!("\n{}", examples_section(&examples).trim_end());
        match page.find("\n.SH VERSION\n") {
            Some(at) => page.insert_str(at, &section),
            None => page.push_str(&section),
        }
    }
    Ok(page)
}

/// The EXAMPLES section, from the examples as help shows them (`examples`): what
/// each does as a paragraph, its invocation indented below, never filled or
/// hyphenated.
fn examples_section(examples: &str) -> String {
    let mut section = String::from(".SH EXAMPLES\n");
    // Examples are apart by a blank line, after the heading.
    for example in examples.split("\n\n") {
        let mut lines = example
            .lines()
            .filter(|line| *line != "Examples:")
            .map(|line| line.strip_prefix("  ").unwrap_or(line));
        let Some(what) = lines.next() else {
            continue;
        };
        section.push_str(&format!(
            ".PP\n{}\n.RS 4\n.nf\n",
            roff_text(what.trim_start_matches("# "))
        ));
        for line in lines {
            section.push_str(&roff_text(line));
            section.push('\n');
        }
        section.push_str(".fi\n.RE\n");
    }
    section
}

/// Text as roff prints it literally: backslashes and minus signs escaped, and a
/// line that could read as a request (a leading `.` or `'`) guarded.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    format!("\\&{escaped}")
}

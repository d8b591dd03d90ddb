//! `berth man --output DIR`: a page for berth and for every command, each naming
//! its command and rendering without a warning.

use std::path::Path;
use std::process::Command;

use crate::cli::commands;
use crate::support::Repo;

/// The pages `berth man` writes into a new directory, by file name.
fn pages(repo: &Repo) -> Vec<String> {
    let output = repo
        .berth()
        .args(["man", "--output", "pages"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let mut names: Vec<String> = std::fs::read_dir(repo.path().join("pages"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        format!(
            "wrote {} man pages to {}\n",
            names.len(),
            repo.path().join("pages").display()
        )
    );
    names
}

#[test]
fn every_command_has_a_page_that_names_it() {
    let repo = Repo::empty();
    let names = pages(&repo);
    let commands = commands();
    assert_eq!(names.len(), commands.len() + 1, "{names:?}");
    assert!(names.contains(&"berth.1".to_owned()));
    let page = repo.read("pages/berth.1");
    assert!(
        page.contains(".SH NAME\nberth \\- Keep the deployable state"),
        "{page}"
    );
    for path in commands {
        let name = format!("berth-{}", path.join("-"));
        let page = repo.read(&format!("pages/{name}.1"));
        // roff writes a hyphen in a name as `\-`.
        let roff_name = name.replace('-', "\\-");
        assert!(page.contains(&format!("\n.TH {name} 1 ")), "{name}: {page}");
        assert!(
            page.contains(&format!(".SH NAME\n{roff_name} \\- ")),
            "{name}: {page}"
        );
        let synopsis = page.split(".SH SYNOPSIS\n").nth(1).unwrap_or_default();
        assert!(
            synopsis.starts_with(&format!("\\fBberth {}\\fR", path.join(" "))),
            "{name}: {synopsis}"
        );
        assert!(page.contains(".SH EXAMPLES\n"), "{name}");
    }
    // Run again, the pages are replaced, not added to.
    assert_eq!(pages(&repo), names);
}

/// groff's warnings (`-ww`) on a page. CI installs groff (.ci/run).
fn groff_warnings(page: &Path) -> String {
    let output = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page)
        .output()
        .expect("groff renders the man pages; install groff-base");
    assert!(output.status.success(), "groff {}", page.display());
    String::from_utf8(output.stderr).unwrap()
}

#[test]
fn every_page_renders_without_a_warning() {
    let repo = Repo::empty();
    for name in pages(&repo) {
        let warnings = groff_warnings(&repo.path().join("pages").join(&name));
        assert_eq!(warnings, "", "{name}");
    }
    // The examples are set as written: a long one goes on as a shell line does.
    let output = Command::new("groff")
        .args(["-man", "-Tascii", "-rLL=200n"])
        .arg(repo.path().join("pages/berth-config-set.1"))
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains(
            "berth config set pricing-acme --expect-version 1 --set rate_per_minute=0.03 \\\n"
        ),
        "{text}"
    );
}

//! Markdown for pull-request comments: GitHub- and GitLab-flavoured tables, long
//! parts folded into `<details>`, and a whole comment kept under the size the
//! forges accept.

use crate::bump::Bump;
use crate::diagnostic::finding::{Finding, plural};
use crate::release::{ComponentVersion, Components};
use crate::review::{
    ConfigReview, EnvironmentReview, Move, NewObject, PackageReview, RegistryKind, RegistryReview,
    Review, Verdict,
};
use serde_json::Value;

use super::short::{short_commit, short_digest, short_object};

/// The most characters a GitHub comment may hold (GitLab's limit is higher).
pub const COMMENT_LIMIT: usize = 65_536;

/// Tables with more rows than this are folded into `<details>`.
const FOLD_ROWS: usize = 10;

/// Text for a table cell: lines joined, pipes escaped, and HTML kept literal
/// outside code spans (inside them the forge shows every character as written,
/// so only the pipe, which ends a cell even there, is escaped).
fn cell(text: &str) -> String {
    let text = text.replace(['\r', '\n'], " ");
    let spans: Vec<&str> = text.split('`').collect();
    // An unmatched backtick opens no code span: its text stays prose.
    let closed = spans.len() % 2 == 1;
    let mut out = String::with_capacity(text.len());
    for (index, span) in spans.iter().enumerate() {
        let is_code = index % 2 == 1 && (closed || index.saturating_add(1) < spans.len());
        if index > 0 {
            out.push('`');
        }
        if is_code {
            out.push_str(&span.replace('|', "\\|"));
        } else {
            out.push_str(
                &span
                    .replace('|', "\\|")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            );
        }
    }
    out
}

/// An identifier as inline code, safe in a table cell.
fn code(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    format!("`{}`", text.replace('|', "\\|").replace('`', "'"))
}

/// An identifier as HTML code, for `<summary>`, where markdown is not rendered.
fn html_code(text: &str) -> String {
    format!(
        "<code>{}</code>",
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    )
}

/// A table: a header row, a delimiter row and the rows, cells already escaped.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut text = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        " --- |".repeat(header.len())
    );
    for row in rows {
        text.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    text
}

/// A table, folded under `summary` when it is long.
fn table_folded(summary: &str, header: &[&str], rows: &[Vec<String>]) -> String {
    let text = table(header, rows);
    if rows.len() > FOLD_ROWS {
        details(summary, &text)
    } else {
        text
    }
}

/// A collapsed block; the blank lines let the forge render markdown inside it.
fn details(summary: &str, body: &str) -> String {
    format!("<details><summary>{summary}</summary>\n\n{body}\n</details>\n")
}

fn version(component: &ComponentVersion) -> String {
    let semver = component.semver.as_deref().unwrap_or("-");
    match &component.tag {
        Some(tag) => format!("{} ({})", cell(semver), code(tag)),
        None => cell(semver),
    }
}

/// A release's components: a table of what changed, the unchanged folded away.
pub fn components(components: &Components) -> String {
    let mut text = String::new();
    if components.differ() {
        let mut rows = Vec::new();
        for c in &components.added {
            rows.push(vec![
                code(&c.name),
                "added".to_owned(),
                String::new(),
                version(c),
                code(&short_digest(&c.digest)),
            ]);
        }
        for c in &components.removed {
            rows.push(vec![
                code(&c.name),
                "removed".to_owned(),
                version(c),
                String::new(),
                code(&short_digest(&c.digest)),
            ]);
        }
        for c in &components.changed {
            rows.push(vec![
                code(&c.name),
                "changed".to_owned(),
                version(&c.from),
                version(&c.to),
                format!(
                    "{} → {}",
                    code(&short_digest(&c.from.digest)),
                    code(&short_digest(&c.to.digest))
                ),
            ]);
        }
        text.push_str(&table(
            &["component", "change", "from", "to", "digest"],
            &rows,
        ));
    }
    if !components.unchanged.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        let rows: Vec<Vec<String>> = components
            .unchanged
            .iter()
            .map(|c| vec![code(&c.name), version(c), code(&short_digest(&c.digest))])
            .collect();
        text.push_str(&details(
            &format!(
                "{} unchanged",
                plural(components.unchanged.len(), "component")
            ),
            &table(&["component", "version", "digest"], &rows),
        ));
    }
    text
}

/// The review as a comment, at most [`COMMENT_LIMIT`] characters: when the whole
/// report is longer, the summary, the findings that fit, and a note of what was
/// cut. `full` is the command that prints the whole report.
pub fn review(review: &Review, full: &str) -> String {
    let head = header(review);
    let sections = [
        ("new objects", packages(&review.packages)),
        ("environment moves", environments(&review.environments)),
        ("config versions", configs(&review.configs)),
        ("registry changes", registry(&review.registry)),
        (
            "findings",
            findings(&review.findings, review.findings.len()),
        ),
        ("notes", notes(&review.notes)),
    ];
    let mut text = head.clone();
    for (_, section) in &sections {
        text.push_str(section);
    }
    let text = format!("{}\n", text.trim_end());
    if text.chars().count() <= COMMENT_LIMIT {
        return text;
    }
    let cut: Vec<&str> = sections
        .iter()
        .filter(|(name, section)| *name != "findings" && !section.is_empty())
        .map(|(name, _)| *name)
        .collect();
    let note = |shown: usize| {
        let mut parts: Vec<String> = cut.iter().map(|part| (*part).to_owned()).collect();
        if shown < review.findings.len() {
            parts.push(format!(
                "{} of {} findings",
                review.findings.len().saturating_sub(shown),
                review.findings.len()
            ));
        }
        format!(
            "\n> [!NOTE]\n> This report is longer than a comment may be ({COMMENT_LIMIT} characters), so these parts were cut: {}. Run `{}` for all of it.\n",
            parts.join(", "),
            cell(full)
        )
    };
    // Findings are what gate the change: keep as many as fit, in order (the most
    // rows whose comment fits, found by bisection).
    let cut_to =
        |shown: usize| format!("{head}{}{}", findings(&review.findings, shown), note(shown));
    let fits = |shown: usize| cut_to(shown).chars().count() <= COMMENT_LIMIT;
    let (mut low, mut high) = (0, review.findings.len());
    while low < high {
        let middle = low.saturating_add(high).div_ceil(2);
        if fits(middle) {
            low = middle;
        } else {
            high = middle.saturating_sub(1);
        }
    }
    cut_to(low)
}

/// The title and the one-line summary.
fn header(review: &Review) -> String {
    let verdict = match review.verdict {
        Verdict::Ready => "✅ ready",
        Verdict::HasWarnings => "⚠️ has warnings",
        Verdict::Blocked => "⛔ blocked",
    };
    let counts = &review.counts;
    let mut parts = Vec::new();
    let objects = counts.new_objects.saturating_sub(counts.config_versions);
    if objects > 0 {
        parts.push(format!(
            "{} in {}",
            plural(objects, "new object"),
            plural(counts.packages, "package")
        ));
    }
    if counts.environment_moves > 0 {
        parts.push(plural(counts.environment_moves, "environment move"));
    }
    if counts.config_versions > 0 {
        parts.push(plural(counts.config_versions, "config version"));
    }
    if counts.registry_changes > 0 {
        parts.push(plural(counts.registry_changes, "registry change"));
    }
    if parts.is_empty() {
        parts.push("no berth content changes".to_owned());
    }
    let range = match (&review.head, &review.into, &review.catalog) {
        (Some(head), Some(environment), Some(catalog)) => format!(
            "Pull request into {}: {} ({}) → {} ({}), judged by the catalog at {} ({})",
            code(environment),
            code(&review.base.revision),
            short_commit(&review.base.commit),
            code(&head.revision),
            short_commit(&head.commit),
            code(&catalog.revision),
            short_commit(&catalog.commit)
        ),
        (Some(head), _, _) => format!(
            "{} (merge base {}) → {} ({})",
            code(&review.base.revision),
            short_commit(&review.base.commit),
            code(&head.revision),
            short_commit(&head.commit)
        ),
        (None, _, _) => format!(
            "environments only, catalog at {} ({})",
            code(&review.base.revision),
            short_commit(&review.base.commit)
        ),
    };
    format!(
        "## berth review: {verdict}\n\n**{}**; {}, {}. {range}\n\n",
        parts.join(", "),
        plural(counts.errors, "error"),
        plural(counts.warnings, "warning"),
    )
}

fn bump(bump: Option<Bump>) -> String {
    bump.map_or_else(|| "-".to_owned(), |b| b.to_string())
}

/// New objects, package by package.
fn packages(packages: &[PackageReview]) -> String {
    if packages.is_empty() {
        return String::new();
    }
    let mut text = "### New objects\n\n".to_owned();
    for package in packages {
        text.push_str(&format!(
            "#### {} ({})\n\n",
            code(&package.package),
            cell(&package.store)
        ));
        let events: Vec<Vec<String>> = package.objects.iter().filter_map(event_row).collect();
        if events.is_empty() {
            let rows: Vec<Vec<String>> = package.objects.iter().map(object_row).collect();
            text.push_str(&table_folded(
                &plural(rows.len(), "object"),
                &["object", "version", "follows", "declared", "required", ""],
                &rows,
            ));
        } else {
            text.push_str(&table_folded(
                &plural(events.len(), "event"),
                &["event", "about", "status", "reason"],
                &events,
            ));
        }
        text.push('\n');
        for object in &package.objects {
            text.push_str(&object_detail(object));
        }
    }
    text
}

fn object_row(object: &NewObject) -> Vec<String> {
    let follows = object.previous.as_ref().map_or_else(
        || "first".to_owned(),
        |previous| match (&previous.version, &previous.held_by) {
            (Some(version), _) => cell(version),
            (None, Some(environment)) => format!(
                "{} (in {})",
                code(&short_object(&previous.object)),
                cell(environment)
            ),
            (None, None) => code(&short_object(&previous.object)),
        },
    );
    let verdict = if object.understated {
        "⛔ understated"
    } else if object.required.is_some() {
        "✅"
    } else {
        ""
    };
    vec![
        code(&short_object(&object.object)),
        object
            .version
            .as_deref()
            .map_or_else(|| "-".to_owned(), cell),
        follows,
        bump(object.declared),
        bump(object.required),
        verdict.to_owned(),
    ]
}

fn event_row(object: &NewObject) -> Option<Vec<String>> {
    let event = object.event.as_ref()?;
    Some(vec![
        code(&short_object(&object.object)),
        code(&short_object(&event.subject)),
        cell(&event.status),
        event.reason.as_deref().map(cell).unwrap_or_default(),
    ])
}

/// Why an object needs its bump, and a release's components.
fn object_detail(object: &NewObject) -> String {
    let name = match &object.version {
        Some(version) => format!("{} {}", code(&short_object(&object.object)), cell(version)),
        None => code(&short_object(&object.object)),
    };
    let summary_name = match &object.version {
        Some(version) => format!(
            "{} {}",
            html_code(&short_object(&object.object)),
            cell(version)
        ),
        None => html_code(&short_object(&object.object)),
    };
    let mut text = String::new();
    if let Some(components) = &object.components
        && (components.differ() || !components.unchanged.is_empty())
    {
        let against = match &object.previous {
            Some(previous) => format!(
                " against {}",
                previous
                    .version
                    .as_deref()
                    .map_or_else(|| code(&short_object(&previous.object)), cell)
            ),
            None => String::new(),
        };
        text.push_str(&format!("**Components of {name}**{against}\n\n"));
        text.push_str(&self::components(components));
        text.push('\n');
    }
    if !object.changes.is_empty() {
        let rows: Vec<Vec<String>> = object
            .changes
            .iter()
            .map(|reason| vec![cell(&reason.what), reason.bump.to_string()])
            .collect();
        let title = match object.required {
            Some(required) => format!("Why {summary_name} needs a {required} bump"),
            None => format!("What {summary_name} changes"),
        };
        text.push_str(&details(
            &format!("{title} ({})", plural(rows.len(), "change")),
            &table(&["change", "needs"], &rows),
        ));
        text.push('\n');
    }
    text
}

fn held(object: Option<&crate::review::Held>) -> String {
    match object {
        None => "-".to_owned(),
        Some(held) => match &held.version {
            Some(version) => format!("{} {}", cell(version), code(&short_object(&held.object))),
            None => code(&short_object(&held.object)),
        },
    }
}

/// Environment moves: one table across environments.
fn environments(environments: &[EnvironmentReview]) -> String {
    if environments.is_empty() {
        return String::new();
    }
    let mut rows = Vec::new();
    let mut notes = String::new();
    for environment in environments {
        for entry in &environment.moves {
            rows.push(move_row(&environment.environment, entry));
            if let (true, Some(overridden)) = (entry.allowed, &entry.overridden) {
                notes.push_str(&format!(
                    "- ⚠️ {} in {} skipped the promotion path: commit {} of {} took it from {} by an override. Reason: {}\n",
                    code(&entry.package),
                    code(&environment.environment),
                    short_commit(&overridden.commit),
                    code(&overridden.environment),
                    code(&overridden.from),
                    cell(&overridden.reason)
                ));
            }
        }
        for repair in &environment.repairs {
            notes.push_str(&format!(
                "- 🛠 {} was repaired by {}: {} (restores what {} changed, commits berth cannot verify).\n",
                code(&environment.environment),
                short_commit(&repair.commit),
                repair.reason,
                repair
                    .repairs
                    .iter()
                    .map(|id| short_commit(id))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if environment.rewritten {
            notes.push_str(&format!(
                "- ⛔ {}'s history at {} does not contain its base {}: it was rewritten, not added to.\n",
                code(&environment.environment),
                code(&environment.head.revision),
                short_commit(environment.base.as_ref().map_or("", |b| b.commit.as_str()))
            ));
        }
    }
    let mut text = "### Environment moves\n\n".to_owned();
    text.push_str(&table_folded(
        &plural(rows.len(), "move"),
        &["environment", "package", "from", "to", "path", "allowed"],
        &rows,
    ));
    if !notes.is_empty() {
        text.push('\n');
        text.push_str(&notes);
    }
    text.push('\n');
    text
}

fn move_row(environment: &str, entry: &Move) -> Vec<String> {
    let path = if entry.path.is_empty() {
        if entry.to.is_some() {
            "not set by a berth promotion".to_owned()
        } else {
            "removed".to_owned()
        }
    } else {
        let steps: Vec<String> = entry
            .path
            .iter()
            .rev()
            .map(|step| cell(&step.environment))
            .collect();
        let action = match entry.action {
            Some(crate::env::log::Action::Rollback) => " (rollback)",
            _ => "",
        };
        format!("{}{action}", steps.join(" → "))
    };
    let allowed = match (entry.allowed, &entry.overridden) {
        (false, _) => format!("⛔ {}", cell(&entry.problems.join("; "))),
        (true, Some(_)) => "⚠️ override".to_owned(),
        (true, None) => "✅".to_owned(),
    };
    // Who signed the commit that moved the environment, where its
    // allowed-signers file allows the key.
    let allowed = match entry.path.first().and_then(|step| step.signer.as_ref()) {
        Some(signer) => format!(
            "{allowed} signed by {} ({})",
            cell(&signer.principals.join(", ")),
            code(&signer.fingerprint)
        ),
        None => allowed,
    };
    vec![
        code(environment),
        code(&entry.package),
        held(entry.from.as_ref()),
        held(entry.to.as_ref()),
        path,
        allowed,
    ]
}

/// Config versions, each with its settings diff.
fn configs(configs: &[ConfigReview]) -> String {
    if configs.is_empty() {
        return String::new();
    }
    let mut text = "### Config versions\n\n".to_owned();
    for config in configs {
        let supersedes = match &config.supersedes {
            Some(previous) => format!(
                "supersedes version {} (in force from {})",
                previous.version,
                cell(&previous.effective_at)
            ),
            None => "first version".to_owned(),
        };
        let past = if config.effective_in_past {
            " (⚠️ in the past: merging changes answers for the time since)"
        } else {
            ""
        };
        text.push_str(&format!(
            "#### {} version {}\n\n{} for {} {}; takes effect {}{past}; {supersedes}.\n\n",
            code(&config.id),
            config.version,
            code(&config.config_type),
            cell(&config.scope),
            code(&config.applies_to),
            cell(&config.effective_at),
        ));
        if !config.settings.is_empty() {
            let value =
                |value: Option<&Value>| value.map_or_else(String::new, |v| code(&v.to_string()));
            let rows: Vec<Vec<String>> = config
                .settings
                .iter()
                .map(|change| {
                    vec![
                        code(&change.key),
                        value(change.from.as_ref()),
                        value(change.to.as_ref()),
                    ]
                })
                .collect();
            text.push_str(&table_folded(
                &plural(rows.len(), "setting"),
                &["setting", "from", "to"],
                &rows,
            ));
            text.push('\n');
        }
    }
    text
}

/// Registry files: definitions field by field, version maps tag by tag, moved
/// tags first.
fn registry(files: &[RegistryReview]) -> String {
    if files.is_empty() {
        return String::new();
    }
    let mut text = "### Component registry\n\n".to_owned();
    let moved: Vec<String> = files
        .iter()
        .flat_map(|file| {
            file.tags_moved.iter().map(move |tag| {
                format!(
                    "> [!CAUTION]\n> **Security:** tag {} of {} moved from {} to {}. A tag that was reviewed now names other code; releases pin digests, so record a new tag instead.\n\n",
                    code(&tag.tag),
                    code(&file.component),
                    code(&short_digest(&tag.from)),
                    code(&short_digest(&tag.to))
                )
            })
        })
        .collect();
    text.push_str(&moved.concat());
    let mut rows = Vec::new();
    for file in files {
        let what = match file.kind {
            RegistryKind::Component => "definition",
            RegistryKind::Versions => "version map",
        };
        let change = format!("{what} {}", file_change(file));
        let mut detail = Vec::new();
        for tag in &file.tags_added {
            detail.push(format!(
                "+ {} {}{}",
                code(&tag.tag),
                code(&short_digest(&tag.digest)),
                tag.channel
                    .as_deref()
                    .map(|c| format!(" ({})", cell(c)))
                    .unwrap_or_default()
            ));
        }
        for tag in &file.tags_removed {
            detail.push(format!("− {}", code(&tag.tag)));
        }
        for tag in &file.tags_moved {
            detail.push(format!("⛔ {} moved", code(&tag.tag)));
        }
        for field in &file.fields {
            detail.push(cell(&field.what));
        }
        rows.push(vec![code(&file.component), change, detail.join("<br>")]);
    }
    text.push_str(&table_folded(
        &plural(rows.len(), "file"),
        &["component", "change", "detail"],
        &rows,
    ));
    text.push('\n');
    text
}

fn file_change(file: &RegistryReview) -> &'static str {
    match file.change {
        crate::review::FileChange::Added => "added",
        crate::review::FileChange::Modified => "modified",
        crate::review::FileChange::Deleted => "deleted",
    }
}

/// The first `shown` findings, each with its file, line and help.
fn findings(findings: &[Finding], shown: usize) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let rows: Vec<Vec<String>> = findings
        .iter()
        .take(shown)
        .map(|finding| {
            let severity = if finding.is_error() {
                "⛔ error"
            } else {
                "⚠️ warning"
            };
            vec![
                severity.to_owned(),
                code(finding.code.name()),
                code(&finding.place()),
                cell(&finding.message),
                cell(&finding.help),
            ]
        })
        .collect();
    let summary = if rows.len() < findings.len() {
        format!("the first {} of {} findings", rows.len(), findings.len())
    } else {
        plural(rows.len(), "finding")
    };
    let mut text = "### Findings\n\n".to_owned();
    text.push_str(&table_folded(
        &summary,
        &["", "code", "where", "what", "help"],
        &rows,
    ));
    text.push('\n');
    text
}

fn notes(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut text = "### Not reviewed\n\n".to_owned();
    for note in notes {
        text.push_str(&format!("- {}\n", cell(note)));
    }
    text.push('\n');
    text
}

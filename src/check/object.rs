//! The checks of one object: parse, identity, partition name, schema, kind rules and
//! references. `berth put` and `berth validate` run exactly these.

use std::cell::OnceCell;

use serde_json::Value;

use crate::canonical::ObjectHash;
use crate::diagnostic::code::Code;
use crate::diagnostic::finding::{Finding, shown_text};
use crate::document::Format;
use crate::kinds::{Kind, Kinds, StoreDef};
use crate::store::{ObjectIndex, Reference};
use crate::{names, schema};

/// Answers whether an object exists, for resolving references.
pub trait Resolve: Sync {
    /// Whether `store` holds an object with this hash.
    fn contains(&self, store: &str, hash: &ObjectHash) -> bool;
}

impl Resolve for ObjectIndex {
    fn contains(&self, store: &str, hash: &ObjectHash) -> bool {
        ObjectIndex::contains(self, store, hash)
    }
}

/// The finding for an object file over the size limit.
pub fn too_large(file: &str, size: u64, limit: u64) -> Finding {
    Finding::new(
        Code::TooLarge,
        file,
        format!("is {size} bytes, over the {limit}-byte limit"),
    )
}

/// What the checks of one object found.
#[derive(Debug, Default)]
pub struct Checked {
    /// The object's partition, when it is a valid name.
    pub partition: Option<String>,
    /// Everything wrong with it.
    pub findings: Vec<Finding>,
}

/// Checks an object's data against its kind: partition name, schema, the kind's
/// own rules and its references.
pub fn check_object(
    kind: &dyn Kind,
    kinds: &Kinds,
    resolver: &dyn Resolve,
    file: &str,
    bytes: &[u8],
    format: Format,
    data: &Value,
) -> Checked {
    let text_cell = OnceCell::new();
    let text = || text_cell.get_or_init(|| shown_text(bytes));
    let mut checked = Checked::default();
    let partition_pointer = kind.partition();
    let mut bad_partition = false;
    match data.pointer(partition_pointer).and_then(Value::as_str) {
        Some(partition) => match names::check(partition) {
            Ok(()) => checked.partition = Some(partition.to_owned()),
            Err(error) => {
                bad_partition = true;
                checked.findings.push(
                    Finding::new(
                        Code::BadName,
                        file,
                        format!("partition `{partition_pointer}`: {error}"),
                    )
                    .with_label("not a name")
                    .at_pointer(text(), format, partition_pointer),
                );
            }
        },
        None => {
            // The schema reports a missing or mistyped partition key; a kind whose
            // schema allows it still needs one to place the object.
            if kind.validator().is_valid(data) {
                checked.findings.push(
                    Finding::new(
                        Code::Schema,
                        file,
                        format!(
                            "the partition key `{partition_pointer}` is missing or not a string"
                        ),
                    )
                    .with_help(format!(
                        "objects of `{}` need a name at `{partition_pointer}`",
                        kind.store()
                    ))
                    .at_pointer(text(), format, partition_pointer),
                );
            }
        }
    }
    let problems = kind.rules(data);
    // A rule with its own code (`tag-not-digest`) says more than the schema's
    // `required` or `pattern` at the same field.
    let claimed: Vec<&str> = problems
        .iter()
        .filter(|problem| problem.code != Code::Schema)
        .map(|problem| problem.pointer.as_str())
        .collect();
    if !kind.validator().is_valid(data) {
        // A bad partition name is already reported as `bad-name`; the schema's
        // pattern for it would say the same again.
        let findings = schema::check_described(
            kind.validator(),
            Some(kind.schema()),
            data,
            file,
            text(),
            format,
        )
        .into_iter()
        .filter(|f| !(bad_partition && f.pointer.as_deref() == Some(partition_pointer)))
        .filter(|f| !f.pointer.as_deref().is_some_and(|p| claimed.contains(&p)));
        checked.findings.extend(findings);
    }
    // Rules and references read only their own fields, so they run even when the
    // schema failed elsewhere; a field the schema already flagged is not reported
    // twice.
    let flagged: Vec<String> = checked
        .findings
        .iter()
        .filter_map(|f| f.pointer.clone())
        .collect();
    let is_flagged = |pointer: &str| flagged.iter().any(|p| p == pointer);
    for problem in problems {
        if problem.code == Code::Schema && is_flagged(&problem.pointer) {
            continue;
        }
        checked.findings.push(
            Finding::new(problem.code, file, problem.message)
                .with_label(problem.label)
                .with_help(problem.help)
                .at_pointer(text(), format, &problem.pointer),
        );
    }
    for field in kind.references(data) {
        if is_flagged(&field.pointer) {
            continue;
        }
        if let Some((message, help)) = dangling(&field.target, kinds, resolver) {
            checked.findings.push(
                Finding::new(
                    Code::DanglingRef,
                    file,
                    format!("`{}` {message}", field.target),
                )
                .with_label("does not resolve")
                .with_help(help)
                .at_pointer(text(), format, &field.pointer),
            );
        }
    }
    checked
}

/// Why a reference does not resolve, if it does not: a message and a help line.
fn dangling(target: &str, kinds: &Kinds, resolver: &dyn Resolve) -> Option<(String, String)> {
    let Some(reference) = Reference::parse(target) else {
        return Some((
            "is not a reference".to_owned(),
            "write references as <store>/<id>, the id of letters, digits, `.`, `_` and `-`"
                .to_owned(),
        ));
    };
    match kinds.get(reference.store) {
        None => Some((
            format!("points into `{}`, which is not a store", reference.store),
            format!(
                "declare the store in berth.toml ([stores.{}] with `external = true` if its objects live elsewhere)",
                reference.store
            ),
        )),
        Some(StoreDef::External) => None,
        Some(StoreDef::Held(_)) => match reference.id.parse::<ObjectHash>() {
            Err(_) => Some((
                format!(
                    "does not name an object: `{}` holds its objects here, by 64-hex hash",
                    reference.store
                ),
                "write the full hash of the referenced object (`berth ls` lists them)".to_owned(),
            )),
            Ok(hash) if resolver.contains(reference.store, &hash) => None,
            Ok(_) => Some((
                "names no object in the repository".to_owned(),
                "put the referenced object first, or correct the hash".to_owned(),
            )),
        },
    }
}

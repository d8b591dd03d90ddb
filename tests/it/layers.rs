//! The library's top-level modules form layers, each using only itself and the
//! layers below: read bottom-up, every module can be understood from what is
//! under it. ARCHITECTURE.md says what each layer owns.
//!
//! The import graph is read from the source, as `crate::<module>` paths (tests
//! and comments left out): a module that uses one above it, or two modules of a
//! layer that use each other, fail here with the files that do it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use regex::Regex;

/// The layers, bottom first. Every top-level module of `src/lib.rs` is in one.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "base",
        &[
            "names",
            "fs",
            "time",
            "document",
            "canonical",
            "diagnostic",
            "schema",
            "source",
            "signers",
            "oci",
        ],
    ),
    ("repo", &["repo"]),
    ("model", &["store", "settings", "kinds", "workspace"]),
    ("rules", &["check", "bump"]),
    (
        "operations",
        &[
            "objects",
            "env",
            "config",
            "release",
            "registry",
            "lifecycle",
        ],
    ),
    ("top", &["review", "report", "demo"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The modules `src/lib.rs` declares.
fn modules() -> BTreeSet<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let declared = Regex::new(r"(?m)^pub mod ([a-z_]+);").unwrap();
    declared
        .captures_iter(&lib)
        .map(|found| found[1].to_owned())
        .collect()
}

/// The files of a top-level module: `src/<name>.rs` and everything under
/// `src/<name>/`.
fn files_of(module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src().join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut dirs = vec![src().join(module)];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A file's code without its comments and its test module: what the library
/// itself depends on.
fn library_code(text: &str) -> String {
    let mut code = Vec::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed == "#[cfg(test)]" {
            let mut rest = lines.clone().map(str::trim_start);
            if rest
                .find(|next| !next.starts_with("#["))
                .is_some_and(|next| next.starts_with("mod "))
            {
                break;
            }
        }
        if !trimmed.starts_with("//") {
            code.push(line);
        }
    }
    code.join("\n")
}

/// The top-level modules a module uses, each with the files that use it.
fn uses(module: &str, known: &BTreeSet<String>) -> BTreeMap<String, BTreeSet<String>> {
    let path = Regex::new(r"crate::([a-z_]+)").unwrap();
    let group = Regex::new(r"crate::\{([^}]*)\}").unwrap();
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files_of(module) {
        let code = library_code(&fs::read_to_string(&file).unwrap());
        let named = path.captures_iter(&code).map(|found| found[1].to_owned());
        let grouped = group.captures_iter(&code).flat_map(|found| {
            found[1]
                .split(',')
                .map(|item| {
                    item.trim()
                        .split("::")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        });
        let shown = file.strip_prefix(src().parent().unwrap()).unwrap();
        for other in named.chain(grouped) {
            if other != module && known.contains(&other) {
                used.entry(other)
                    .or_default()
                    .insert(shown.display().to_string());
            }
        }
    }
    used
}

/// A cycle among `modules` in `graph`, as the modules along it (first repeated
/// last), if there is one.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>, modules: &[&str]) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        within: &BTreeSet<&str>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|on| on == module) {
            let mut found = path[start..].to_vec();
            found.push(module.to_owned());
            return Some(found);
        }
        if !done.insert(module.to_owned()) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if within.contains(next.as_str())
                && let Some(found) = visit(next, graph, within, path, done)
            {
                return Some(found);
            }
        }
        path.pop();
        None
    }
    let within: BTreeSet<&str> = modules.iter().copied().collect();
    let mut done = BTreeSet::new();
    modules
        .iter()
        .find_map(|module| visit(module, graph, &within, &mut Vec::new(), &mut done))
}

#[test]
fn every_module_is_in_one_layer() {
    let layered: Vec<&str> = LAYERS
        .iter()
        .flat_map(|(_, modules)| modules.iter().copied())
        .collect();
    let unique: BTreeSet<&str> = layered.iter().copied().collect();
    assert_eq!(unique.len(), layered.len(), "a module is in two layers");
    let declared = modules();
    assert_eq!(
        declared.iter().map(String::as_str).collect::<BTreeSet<_>>(),
        unique,
        "src/lib.rs and LAYERS (tests/it/layers.rs) list different modules: put a new module in the lowest layer it can live in"
    );
}

#[test]
fn modules_use_only_their_own_layer_and_those_below() {
    let known = modules();
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(rank, (_, modules))| modules.iter().map(move |module| (*module, rank)))
        .collect();
    let mut graph = BTreeMap::new();
    let mut upward = Vec::new();
    for module in &known {
        let used = uses(module, &known);
        let rank = layer_of.get(module.as_str()).copied().unwrap_or(usize::MAX);
        for (other, files) in &used {
            let other_rank = layer_of.get(other.as_str()).copied().unwrap_or(usize::MAX);
            if other_rank > rank {
                upward.push(format!(
                    "{module} ({}) uses {other} ({}) in {}",
                    LAYERS[rank].0,
                    LAYERS[other_rank].0,
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
        graph.insert(module.clone(), used.into_keys().collect::<BTreeSet<_>>());
    }
    assert!(
        upward.is_empty(),
        "modules use a layer above their own:\n{}",
        upward.join("\n")
    );
    for (name, modules) in LAYERS {
        if let Some(found) = cycle(&graph, modules) {
            panic!("the {name} layer has a cycle: {}", found.join(" -> "));
        }
    }
}

/// The test reads what it should: a use in a comment or a test module does not
/// count, one in code does, whether as a path or in a `use crate::{...}` group.
#[test]
fn library_code_leaves_out_comments_and_tests_only() {
    let text = "use crate::a;\n// crate::b\n/// crate::c\nfn f() {}\n#[cfg(test)]\nfn g() { crate::d::x() }\n#[cfg(test)]\n#[allow(dead_code)]\nmod tests {\n    use crate::e;\n}\n";
    let code = library_code(text);
    assert!(
        code.contains("crate::a") && code.contains("crate::d"),
        "{code}"
    );
    assert!(
        !code.contains("crate::b") && !code.contains("crate::c"),
        "{code}"
    );
    assert!(!code.contains("crate::e"), "{code}");
}

#[test]
fn a_cycle_within_a_layer_is_found_and_a_chain_is_not() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
        }
        graph
    };
    let chain = graph(&[("a", "b"), ("b", "c")]);
    assert_eq!(cycle(&chain, &["a", "b", "c"]), None);
    let looped = graph(&[("a", "b"), ("b", "c"), ("c", "a")]);
    assert_eq!(
        cycle(&looped, &["a", "b", "c"]),
        Some(
            vec!["a", "b", "c", "a"]
                .into_iter()
                .map(String::from)
                .collect()
        )
    );
    // Through a module of another layer, it is not this layer's cycle.
    assert_eq!(cycle(&looped, &["a", "b"]), None);
}

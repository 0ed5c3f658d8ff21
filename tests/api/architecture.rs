//! The server's modules form layers: no two import each other (server/src/lib.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::support::repo_root;

/// Every `crate::<module>` a file names, with `<module>` a top-level module.
fn imports_in(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect::<String>()
        })
        .filter(|module| modules.contains(module))
        .collect()
}

fn rust_files(path: &Path) -> Vec<std::path::PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        files.extend(rust_files(&entry.unwrap().path()));
    }
    files.retain(|f| f.extension().is_some_and(|e| e == "rs"));
    files
}

#[test]
fn no_two_server_modules_import_each_other() {
    let src = repo_root().join("server/src");
    let mut paths = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if !matches!(name.as_str(), "lib" | "main") {
            paths.insert(name, path);
        }
    }
    let modules: BTreeSet<String> = paths.keys().cloned().collect();
    let imports: BTreeMap<String, BTreeSet<String>> = paths
        .iter()
        .map(|(name, path)| {
            let mut found = BTreeSet::new();
            for file in rust_files(path) {
                found.extend(imports_in(
                    &std::fs::read_to_string(file).unwrap(),
                    &modules,
                ));
            }
            found.remove(name);
            (name.clone(), found)
        })
        .collect();
    assert!(
        imports["lifecycle"].contains("sandbox"),
        "the scan sees imports"
    );
    let mut circles = Vec::new();
    for (a, deps) in &imports {
        for b in deps {
            if a < b && imports[b].contains(a) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(
        circles.is_empty(),
        "modules that import each other: {circles:?}"
    );
}

//! The module graph of each crate is a DAG: no module reaches back, through `crate::`,
//! `super::` or `self::` paths, to a module that depends on it.
//!
//! Each `.rs` file under a source directory is one module (`a/b.rs` and `a/b/mod.rs` are
//! `a::b`; `lib.rs`, `main.rs` and the top `mod.rs` are the root). Every `crate::`, `super::`
//! and `self::` path in a file, up to its `#[cfg(test)] mod tests`, is an edge to the longest
//! module it names. A path from a module to one of its ancestors (`super::` helpers, the root)
//! is not an edge. A strongly connected component of more than one module is a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Module name -> the modules its code refers to.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// Every `.rs` file under `dir`, recursively, sorted.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {dir:?}: {e}"));
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|e| panic!("cannot read {dir:?}: {e}"))
                .path()
        })
        .collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module a file under `root` defines: `a/b.rs` and `a/b/mod.rs` are `a::b`.
fn module_name(root: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(root)
        .unwrap_or_else(|_| panic!("{file:?} is not under {root:?}"))
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| matches!(last.as_str(), "mod" | "lib" | "main"))
    {
        parts.pop();
    }
    parts.join("::")
}

/// The part of a file before its `#[cfg(test)] mod tests`.
fn without_tests(src: &str) -> &str {
    let marker = "#[cfg(test)]";
    let mut from = 0;
    while let Some(at) = src[from..].find(marker) {
        let start = from + at;
        let rest = src[start + marker.len()..].trim_start();
        if rest.starts_with("mod tests") {
            return &src[..start];
        }
        from = start + marker.len();
    }
    src
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every `crate::…`, `super::…` and `self::…` path in `src`, without a trailing `::{`.
fn paths(src: &str) -> Vec<String> {
    let bytes = src.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !is_ident(bytes[i - 1]);
        let head = ["crate", "super", "self"]
            .into_iter()
            .find(|h| starts_word && bytes[i..].starts_with(h.as_bytes()));
        let Some(head) = head else {
            i += 1;
            continue;
        };
        let mut end = i + head.len();
        loop {
            if !bytes[end..].starts_with(b"::") {
                break;
            }
            let next = end + 2;
            if next < bytes.len() && is_ident_start(bytes[next]) {
                end = next + 1;
                while end < bytes.len() && is_ident(bytes[end]) {
                    end += 1;
                }
            } else if next < bytes.len() && bytes[next] == b'{' {
                end = next + 1;
            } else {
                break;
            }
        }
        if end == i + head.len() {
            // A bare `crate`, `super` or `self`: not a path.
            i += 1;
            continue;
        }
        found.push(src[i..end].trim_end_matches([':', '{']).to_owned());
        i = end;
    }
    found
}

/// The longest module of `modules` that `path`, written in module `current`, names.
fn resolve(current: &str, path: &str, modules: &BTreeSet<String>) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let here: Vec<&str> = current.split("::").filter(|s| !s.is_empty()).collect();
    let base: Vec<&str> = match segments.first().copied() {
        Some("crate") => {
            segments.remove(0);
            Vec::new()
        }
        Some("super") => {
            let mut base = here;
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
            base
        }
        Some("self") => {
            segments.remove(0);
            here
        }
        _ => return None,
    };
    let mut best = None;
    for take in 0..=segments.len() {
        let candidate: Vec<&str> = base
            .iter()
            .copied()
            .chain(segments[..take].iter().copied())
            .collect();
        let candidate = candidate.join("::");
        if modules.contains(&candidate) {
            best = Some(candidate);
        }
    }
    best
}

/// The module graph of the crate sources under `src_dir`.
fn graph(src_dir: &Path) -> Graph {
    let mut files = Vec::new();
    rust_files(src_dir, &mut files);
    let modules: BTreeMap<String, PathBuf> = files
        .into_iter()
        .map(|file| (module_name(src_dir, &file), file))
        .collect();
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    let mut graph = Graph::new();
    for (module, file) in &modules {
        let src = fs::read_to_string(file).unwrap_or_else(|e| panic!("cannot read {file:?}: {e}"));
        let edges = graph.entry(module.clone()).or_default();
        for path in paths(without_tests(&src)) {
            let Some(target) = resolve(module, &path, &names) else {
                continue;
            };
            let ancestor = target.is_empty() || module.starts_with(&format!("{target}::"));
            if target != *module && !ancestor {
                edges.insert(target);
            }
        }
    }
    graph
}

/// Tarjan's strongly connected components, of more than one module each.
struct Tarjan<'g> {
    graph: &'g Graph,
    next: usize,
    index: BTreeMap<&'g str, usize>,
    low: BTreeMap<&'g str, usize>,
    stack: Vec<&'g str>,
    on_stack: BTreeSet<&'g str>,
    components: Vec<Vec<String>>,
}

impl<'g> Tarjan<'g> {
    fn visit(&mut self, v: &'g str) {
        self.index.insert(v, self.next);
        self.low.insert(v, self.next);
        self.next += 1;
        self.stack.push(v);
        self.on_stack.insert(v);
        for w in self.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !self.index.contains_key(w) {
                self.visit(w);
                let low = self.low[v].min(self.low[w]);
                self.low.insert(v, low);
            } else if self.on_stack.contains(w) {
                let low = self.low[v].min(self.index[w]);
                self.low.insert(v, low);
            }
        }
        if self.low[v] == self.index[v] {
            let mut component = Vec::new();
            while let Some(w) = self.stack.pop() {
                self.on_stack.remove(w);
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                self.components.push(component);
            }
        }
    }
}

/// The import cycles among the modules under `src_dir`: each one the sorted names of the
/// modules that reach each other (the root module is named `""`).
pub fn cycles(src_dir: &Path) -> Vec<Vec<String>> {
    cycles_of(&graph(src_dir))
}

fn cycles_of(graph: &Graph) -> Vec<Vec<String>> {
    let mut tarjan = Tarjan {
        graph,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        components: Vec::new(),
    };
    for v in graph.keys() {
        if !tarjan.index.contains_key(v.as_str()) {
            tarjan.visit(v);
        }
    }
    let mut components = tarjan.components;
    components.sort();
    components
}

/// Every cycle of the crate under `src_dir`, with the edges that close it, one per line.
fn report(src_dir: &Path) -> String {
    let graph = graph(src_dir);
    let mut out = String::new();
    for cycle in cycles_of(&graph) {
        out.push_str(&format!("CYCLE: {}\n", cycle.join(", ")));
        for module in &cycle {
            let inside: Vec<&str> = graph[module]
                .iter()
                .filter(|t| cycle.contains(*t))
                .map(String::as_str)
                .collect();
            out.push_str(&format!("    {module} -> {}\n", inside.join(", ")));
        }
    }
    out
}

fn assert_no_cycles(relative: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative);
    assert!(dir.is_dir(), "{dir:?} is not a directory");
    let report = report(&dir);
    assert!(
        report.is_empty(),
        "import cycles among the modules of {relative}:\n{report}"
    );
}

#[test]
fn genai_core_has_no_module_cycles() {
    assert_no_cycles("genai-core/src");
}

#[test]
fn genai_cloudflare_has_no_module_cycles() {
    assert_no_cycles("genai-cloudflare/src");
}

#[test]
fn the_emulator_has_no_module_cycles() {
    assert_no_cycles("genai-testkit/src/emulator");
}

#[test]
fn genai_testkit_has_no_module_cycles() {
    assert_no_cycles("genai-testkit/src");
}

/// A tree written for one test, removed when dropped.
struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> TempTree {
        let dir = std::env::temp_dir().join(format!("module-graph-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempTree(dir)
    }

    fn file(&self, path: &str, text: &str) {
        let path = self.0.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_checker_finds_a_cycle_in_a_tiny_tree() {
    let tree = TempTree::new("tiny");
    tree.file(
        "lib.rs",
        "mod a;\nmod b;\nmod c;\nmod d;\npub use crate::a::A;\n",
    );
    // a and b reach each other: the one cycle.
    tree.file("b.rs", "use super::a::A;\npub struct B(A);\n");
    // c uses a, and a's tests use c: test code is not an edge.
    tree.file("c.rs", "use crate::a::A;\npub struct C(A);\n");
    tree.file(
        "a.rs",
        "use crate::b::{self, B};\npub struct A;\n#[cfg(test)]\nmod tests {\n    use crate::c::C;\n}\n",
    );
    // A child using its parent is not an edge; a parent using its child is one way.
    tree.file(
        "d/mod.rs",
        "mod e;\npub(crate) use self::e::E;\npub struct D;\n",
    );
    tree.file(
        "d/e.rs",
        "use super::D;\nuse crate::d::D as Again;\npub struct E;\n",
    );
    // Words that only contain `self` or `crate` are not paths.
    tree.file(
        "f.rs",
        "// myself::a is not a path, nor is crates::b\nfn f(self_: u8) {}\n",
    );

    let graph = graph(&tree.0);
    assert_eq!(graph["d"], BTreeSet::from(["d::e".to_owned()]));
    assert!(graph["d::e"].is_empty(), "{:?}", graph["d::e"]);
    assert!(graph["f"].is_empty(), "{:?}", graph["f"]);
    assert_eq!(graph["c"], BTreeSet::from(["a".to_owned()]));
    assert_eq!(cycles(&tree.0), vec![vec!["a".to_owned(), "b".to_owned()]]);
    let report = report(&tree.0);
    assert!(report.contains("CYCLE: a, b"), "{report}");
    assert!(report.contains("    a -> b\n"), "{report}");
    assert!(report.contains("    b -> a\n"), "{report}");

    // Break the cycle and the checker is satisfied.
    tree.file("b.rs", "pub struct B;\n");
    assert!(cycles(&tree.0).is_empty());
}

#[test]
fn paths_are_read_like_rust_paths() {
    assert_eq!(
        paths("use crate::errors::{self, PROVIDER};\nlet x = super::super::y::Z;"),
        vec!["crate::errors", "super::super::y::Z"]
    );
    assert_eq!(paths("use super::{a, b};"), vec!["super"]);
    assert!(paths("use super::*; let crate_ = self;").is_empty());
    assert_eq!(
        without_tests("a\n#[cfg(test)]\nfn helper() {}\n#[cfg(test)]\nmod tests {}\n"),
        "a\n#[cfg(test)]\nfn helper() {}\n"
    );
}

//! Finding the Rust tests of the workspace, so `check` can tell whether the
//! evidence in porting.db names tests that exist.
//!
//! A test is a `fn` preceded by a test attribute (`#[test]`,
//! `#[tokio::test]`, `#[rstest]`, `#[test_case(..)]`, `#[proptest]`, any
//! `#[something::test]`), possibly with other attributes and doc comments in
//! between, or any `fn` inside a `proptest! { .. }` block. bolero targets are
//! `#[test]` functions too. The scan is line-based, not a Rust parser: it
//! skips `//` comment lines and does not look inside strings.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::Error;

/// Test function names found in the workspace, with the files defining them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestIndex {
    /// name → files (relative to the root, `/`-separated).
    by_name: BTreeMap<String, BTreeSet<String>>,
}

impl TestIndex {
    /// Adds every test function of one Rust source file.
    pub fn add_source(&mut self, file: &str, text: &str) {
        for name in test_fns(text) {
            self.by_name
                .entry(name)
                .or_default()
                .insert(file.to_string());
        }
    }

    /// True if some file defines a test function `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Every test function name, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The files defining test `name`.
    pub fn files_of(&self, name: &str) -> impl Iterator<Item = &str> {
        self.by_name
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
    }

    /// True if an evidence entry names an existing test. The test's name is
    /// the last `::` segment. `dir/file.rs::[mod::]name` must be defined in
    /// that file (the path may be given from the root or as a trailing part);
    /// a module path (`rnatsd_core::sublist::tests::name`) or a bare name only
    /// needs the name to exist somewhere.
    pub fn evidence_exists(&self, evidence: &str) -> bool {
        let evidence = evidence.trim();
        let (file, path) = match evidence.rfind(".rs::") {
            Some(at) => (Some(&evidence[..at + 3]), &evidence[at + 5..]),
            None => (None, evidence),
        };
        let name = path.rsplit("::").next().unwrap_or(path);
        match file {
            None => self.contains(name),
            Some(file) => {
                let suffix = format!("/{file}");
                self.files_of(name)
                    .any(|f| f == file || f.ends_with(&suffix))
            }
        }
    }
}

/// Scans every `*.rs` file under `root`, skipping `target` directories and
/// hidden directories (`.git`, ...).
pub fn scan_workspace(root: &Path) -> Result<TestIndex, Error> {
    let mut index = TestIndex::default();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| Error::Io(dir.clone(), e))?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::Io(dir.clone(), e))?;
            paths.push(entry.path());
        }
        paths.sort();
        for path in paths {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if path.is_dir() {
                if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") {
                let text = crate::read_file(&path)?;
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let rel = rel.to_string_lossy().replace('\\', "/");
                index.add_source(&rel, &text);
            }
        }
    }
    Ok(index)
}

/// The names of the test functions in one Rust source text.
pub fn test_fns(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut pending = false;
    // Inside a multi-line attribute: its bracket depth and whether it is a
    // test attribute.
    let mut open_attr: Option<(i32, bool)> = None;
    // Inside `proptest! { .. }`: the brace depth.
    let mut proptest_depth: Option<i32> = None;
    for raw in text.lines() {
        let mut line = raw.trim();
        if let Some((depth, is_test)) = open_attr.as_mut() {
            *depth += bracket_balance(line);
            if *depth <= 0 {
                pending |= *is_test;
                open_attr = None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        while let Some(attr) = line.strip_prefix("#[") {
            let path_end = attr.find(['(', ']', ' ', '=']).unwrap_or(attr.len());
            let is_test = is_test_attr(&attr[..path_end]);
            match attr_end(attr) {
                Some(end) => {
                    pending |= is_test;
                    line = attr[end..].trim();
                }
                None => {
                    open_attr = Some((1 + bracket_balance(attr), is_test));
                    line = "";
                }
            }
        }
        if line.is_empty() {
            continue;
        }
        if let Some(name) = fn_name(line) {
            if pending || proptest_depth.is_some() {
                found.push(name.to_string());
            }
        }
        pending = false;
        match proptest_depth.as_mut() {
            Some(depth) => {
                *depth += brace_balance(line);
                if *depth <= 0 {
                    proptest_depth = None;
                }
            }
            None => {
                if let Some(at) = line.find("proptest!") {
                    let depth = brace_balance(&line[at..]);
                    if depth > 0 {
                        proptest_depth = Some(depth);
                    }
                }
            }
        }
    }
    found
}

fn is_test_attr(path: &str) -> bool {
    let path = path.trim();
    matches!(
        path,
        "test" | "rstest" | "test_case" | "proptest" | "quickcheck"
    ) || path.ends_with("::test")
        || path.ends_with("::proptest")
}

/// The byte offset just past the `]` closing an attribute whose `#[` was
/// stripped, if it closes on this line.
fn attr_end(attr: &str) -> Option<usize> {
    let mut depth = 1;
    for (i, c) in attr.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

fn bracket_balance(text: &str) -> i32 {
    text.chars()
        .map(|c| match c {
            '[' => 1,
            ']' => -1,
            _ => 0,
        })
        .sum()
}

fn brace_balance(text: &str) -> i32 {
    text.chars()
        .map(|c| match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        })
        .sum()
}

/// The function name declared on `line`, if it declares one: `fn name`,
/// optionally after `pub`, `pub(crate)`, `async`, `unsafe`, `const`, `extern`.
fn fn_name(line: &str) -> Option<&str> {
    let at = if line.starts_with("fn ") {
        0
    } else {
        line.find(" fn ")? + 1
    };
    let prefix_ok = line[..at].split_whitespace().all(|w| {
        w.starts_with("pub") || matches!(w, "async" | "unsafe" | "const" | "extern" | "\"C\"")
    });
    if !prefix_ok {
        return None;
    }
    let rest = line[at + 3..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
//! module doc with fn not_a_test
fn helper() {}

#[test]
fn test_plain() {}

#[test]
#[should_panic(expected = "boom")]
/// doc comment
fn test_with_more_attrs() {}

#[tokio::test(flavor = "multi_thread")]
async fn test_tokio() {}

#[tokio::test(
    flavor = "multi_thread",
    worker_threads = 2
)]
pub async fn test_multiline_attr() {}

#[cfg(test)]
mod tests {
    #[test] fn test_same_line() {}
    // #[test]
    fn commented_out_attr() {}
    #[cfg(feature = "x")]
    fn not_a_test() {}
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn prop_roundtrip(x in 0u8..) {
        let y = x;
    }

    fn prop_without_attr(x in 0u8..) {}
}

fn after_proptest() {}

#[test]
fn bolero_decode() {
    bolero::check!().for_each(|b: &[u8]| { let _ = b; });
}
"#;

    #[test]
    fn finds_test_functions_only() {
        assert_eq!(
            test_fns(SOURCE),
            [
                "test_plain",
                "test_with_more_attrs",
                "test_tokio",
                "test_multiline_attr",
                "test_same_line",
                "prop_roundtrip",
                "prop_without_attr",
                "bolero_decode",
            ]
        );
    }

    #[test]
    fn evidence_resolution() {
        let mut index = TestIndex::default();
        index.add_source(
            "core/src/sublist/mod.rs",
            "#[test]\nfn test_sublist_simple() {}\n",
        );
        assert!(index.evidence_exists("test_sublist_simple"));
        assert!(index.evidence_exists("rnatsd_core::sublist::tests::test_sublist_simple"));
        assert!(index.evidence_exists("core/src/sublist/mod.rs::test_sublist_simple"));
        assert!(index.evidence_exists("sublist/mod.rs::tests::test_sublist_simple"));
        assert!(!index.evidence_exists("core/src/other.rs::test_sublist_simple"));
        assert!(!index.evidence_exists("test_sublist_missing"));
        assert!(!index.evidence_exists("b/mod.rs::test_sublist_simple"));
    }

    #[test]
    fn fn_name_parsing() {
        assert_eq!(fn_name("fn foo() {}"), Some("foo"));
        assert_eq!(fn_name("pub(crate) async fn bar<T>(x: T)"), Some("bar"));
        assert_eq!(fn_name("let x = y; fn z"), None);
        assert_eq!(fn_name("struct fnord;"), None);
    }

    #[test]
    fn scans_a_directory_tree() {
        let dir = std::env::temp_dir().join(format!("porting-scan-{}", std::process::id()));
        let src = dir.join("crate/src");
        std::fs::create_dir_all(&src).unwrap();
        std::fs::create_dir_all(dir.join("target/debug")).unwrap();
        std::fs::write(src.join("lib.rs"), "#[test]\nfn test_in_src() {}\n").unwrap();
        std::fs::write(
            dir.join("target/debug/x.rs"),
            "#[test]\nfn test_in_target() {}\n",
        )
        .unwrap();
        let index = scan_workspace(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(index.evidence_exists("crate/src/lib.rs::test_in_src"));
        assert!(!index.contains("test_in_target"));
    }
}

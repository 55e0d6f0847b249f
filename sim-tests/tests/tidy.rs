//! Tidy: the mechanical rules that keep `core` sans-IO.
//!
//! `core` must not depend on tokio, and its sources must not mention the
//! OS facilities it is forbidden to use (outside comments): files, sockets,
//! clocks, OS randomness, threads and the environment. core/clippy.toml
//! enforces the same through types and methods; this catches fully
//! qualified paths and glob imports that slip past it.

use std::path::{Path, PathBuf};

const FORBIDDEN: [&str; 7] = [
    "std::fs",
    "std::net",
    "Instant::now",
    "SystemTime::now",
    "thread_rng",
    "std::thread::spawn",
    "std::env::var",
];

fn core_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../core")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("core/src is readable")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code part of a line: everything before a `//` comment. (Strings
/// containing `//` end the code part early; that only makes tidy lenient.)
fn code_part(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

/// Violations in one file's text: (line number, forbidden name).
fn scan(text: &str) -> Vec<(usize, &'static str)> {
    let mut out = Vec::new();
    let mut in_block = false;
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        if in_block {
            match rest.find("*/") {
                Some(end) => {
                    rest = &rest[end + 2..];
                    in_block = false;
                }
                None => continue,
            }
        }
        let mut code = code_part(rest).to_string();
        if let Some(start) = code.find("/*") {
            in_block = !code[start..].contains("*/");
            code.truncate(start);
        }
        for f in FORBIDDEN {
            if code.contains(f) {
                out.push((i + 1, f));
            }
        }
    }
    out
}

fn code_part_toml(line: &str) -> &str {
    line.find('#').map_or(line, |i| &line[..i])
}

#[test]
fn core_has_no_tokio_dependency() {
    let toml = std::fs::read_to_string(core_dir().join("Cargo.toml")).expect("core/Cargo.toml");
    for line in toml.lines().map(code_part_toml) {
        assert!(
            !line.contains("tokio"),
            "core/Cargo.toml depends on tokio: {line:?}"
        );
    }
}

#[test]
fn core_sources_use_no_os_facilities() {
    let mut files = Vec::new();
    rust_files(&core_dir().join("src"), &mut files);
    assert!(files.len() > 5, "core/src not found");
    let mut bad = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable source");
        for (line, name) in scan(&text) {
            bad.push(format!("{}:{line}: {name}", f.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "core must stay sans-IO:\n{}",
        bad.join("\n")
    );
}

#[test]
fn tidy_scanner_sees_code_and_skips_comments() {
    let text = "use std::fs::File;\n// std::net is fine here\nlet t = Instant::now(); // x\n\
                /* thread_rng\n still */ let x = 1; std::env::var(\"A\");\n//! std::net in docs\n";
    let found = scan(text);
    assert_eq!(
        found,
        vec![(1, "std::fs"), (3, "Instant::now"), (5, "std::env::var")]
    );
}

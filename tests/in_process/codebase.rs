//! The code's own rules, read from its source: what a reviewer would
//! otherwise have to remember.

use std::path::{Path, PathBuf};

/// The workspace's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Time comes from one injectable clock: nothing but the clock's own
/// implementation reads the system's (a test on Christmas Eve sets it).
#[test]
fn no_code_reads_the_wall_clock_but_the_clock() {
    let root = root();
    let clock = root.join("services/eventlog/src/clock.rs");
    let mut files = Vec::new();
    rust_files(&root.join("services"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    assert!(files.len() > 50, "{} files", files.len());
    let needle = ["Utc", "::now()"].concat();
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| **f != clock) {
        let text = std::fs::read_to_string(file).expect("source");
        for (i, line) in text.lines().enumerate() {
            if line.contains(&needle) {
                offenders.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read the time from an injected eventlog::Clock instead:\n{}",
        offenders.join("\n")
    );
}

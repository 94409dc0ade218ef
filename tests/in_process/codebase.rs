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

/// Every text a person reads comes from a message catalogue: each one
/// speaks every language it promises, with the same placeables as French,
/// and says nothing no code asks for. (A file that does not parse fails
/// here too, when it is first read.)
#[test]
fn every_catalogue_speaks_its_languages_whole_and_nothing_more() {
    use messages::Catalogue;
    use messages::Language::{Ar, En};
    /// A catalogue, the languages it promises, its service's sources, the
    /// id prefixes its code puts together, and how its code says an id
    /// (none: said through a typed table such as the resident `Words`).
    type Entry<'a> = (
        &'a Catalogue,
        &'a [messages::Language],
        &'a str,
        &'a [&'a str],
        &'a [&'a str],
    );
    const SAY: &[&str] = &["say!(crate::MESSAGES,"];
    let catalogues: Vec<Entry> = vec![
        (
            &contracts::MESSAGES,
            &[En, Ar],
            "services/contracts/src",
            &[],
            SAY,
        ),
        (
            &api::MESSAGES,
            &[En, Ar],
            "services/api/src",
            &[],
            &["say!(crate::MESSAGES,", "MESSAGES.now("],
        ),
        (
            &identity::MESSAGES,
            &[En, Ar],
            "services/identity/src",
            &[],
            SAY,
        ),
        (
            &calendar::MESSAGES,
            &[En],
            "services/calendar/src",
            &[],
            SAY,
        ),
        (
            &timetable::MESSAGES,
            &[En],
            "services/timetable/src",
            &[],
            SAY,
        ),
        (
            &appointments::MESSAGES,
            &[En, Ar],
            "services/appointments/src",
            &[],
            SAY,
        ),
        (
            &reminders::texts::MESSAGES,
            &[En, Ar],
            "services/reminders/src",
            &["weekday-"],
            &[],
        ),
        (
            &reminders::ERRORS,
            &[En, Ar],
            "services/reminders/src",
            &[],
            &["say!(crate::ERRORS,"],
        ),
        (&stats::MESSAGES, &[En], "services/stats/src", &[], SAY),
        (
            &web::text::RESIDENT,
            &[En, Ar],
            "services/web/src",
            &["reason-"],
            &[],
        ),
        (
            &web::STAFF,
            &[En],
            "services/web/src",
            &["by-"],
            &["t(ctx,", "t(&ctx,", "t_with(ctx,"],
        ),
        (
            &web::ERRORS,
            &[En, Ar],
            "services/web/src",
            &[],
            &["say!(crate::ERRORS,"],
        ),
        (&creneau::MESSAGES, &[En], "services/creneau/src", &[], SAY),
        (
            &webhooks::MESSAGES,
            &[En],
            "services/webhooks/src",
            &[],
            SAY,
        ),
    ];
    let mut problems = Vec::new();
    let mut read = 0;
    for (catalogue, languages, dir, built, prefixes) in catalogues {
        problems.extend(catalogue.problems(languages));
        let sources = messages::sources_under(&root().join(dir));
        for id in catalogue.unused(&sources, built) {
            problems.push(format!("{}: {id} is said by no code", catalogue.name()));
        }
        // And the other way: every id the code says is in its catalogue.
        for prefix in prefixes {
            for part in sources.split(prefix).skip(1) {
                if let Some(rest) = part.trim_start().strip_prefix('"')
                    && let Some(end) = rest.find('"')
                {
                    read += 1;
                    if !catalogue.has(&rest[..end]) {
                        problems.push(format!(
                            "{}: the code says {}, which it lacks",
                            catalogue.name(),
                            &rest[..end]
                        ));
                    }
                }
            }
        }
    }
    assert!(
        read > 300,
        "only {read} messages found in the code: is the search broken?"
    );
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Services talk through the log: a service crate depends on the log, the
/// contracts, the shared HTTP layer, the message catalogues and pure
/// libraries, never on another service. What it needs of another's facts
/// it folds from the log, or asks through a port in `contracts`.
#[test]
fn no_service_crate_depends_on_another() {
    const SERVICES: [&str; 6] = [
        "identity",
        "calendar",
        "appointments",
        "reminders",
        "stats",
        "webhooks",
    ];
    let mut found: Vec<(&str, &str)> = Vec::new();
    for service in SERVICES {
        let manifest =
            std::fs::read_to_string(root().join(format!("services/{service}/Cargo.toml")))
                .expect("manifest");
        let dependencies = manifest
            .split("[dependencies]")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .unwrap_or_default();
        for line in dependencies.lines() {
            let name = line.split(['.', '=', ' ']).next().unwrap_or_default();
            if let Some(other) = SERVICES.iter().find(|s| **s == name) {
                found.push((service, other));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a service crate depends on another: {found:?}"
    );
    // And the pure library the calendar and appointments share stays pure:
    // no service, no HTTP layer, no store backend.
    let manifest =
        std::fs::read_to_string(root().join("services/timetable/Cargo.toml")).expect("manifest");
    for other in SERVICES.iter().chain(&["api", "web", "creneau", "tokio"]) {
        assert!(
            !manifest
                .lines()
                .any(|l| l.starts_with(&format!("{other}."))),
            "timetable depends on {other}"
        );
    }
}

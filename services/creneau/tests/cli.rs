//! The `creneau` binary as people run it: a real process, real files, a real
//! PostgreSQL server when one is reachable.
//!
//! - durability: a writer killed with SIGKILL loses nothing it acknowledged;
//! - bad input: clear one-line errors, non-zero exit, nothing modified;
//! - serve: a real server on a free port, stopped by SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::{EventStore, Filter, Position};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_creneau");

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("creneau-cli-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn creneau(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("CRENEAU_STORE")
        .env_remove("CRENEAU_MASTER_KEY")
        .env_remove("CRENEAU_DATA")
        .env_remove("CRENEAU_CONFIG")
        .env("RUST_LOG", "warn");
    c
}

async fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("CRENEAU_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    match eventlog::postgres::ScratchDatabase::create(&url).await {
        Ok(db) => {
            let _ = db.drop_database().await;
            Some(url)
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "no PostgreSQL under CI: {e}"
            );
            eprintln!("PostgreSQL not reachable ({e}): its run is skipped");
            None
        }
    }
}

/// Runs `append-loop` against `store_url`, kills it with SIGKILL once it has
/// acknowledged `acks` appends, and returns what it acknowledged.
fn kill_after_acks(dir: &Path, store_url: &str, acks: usize) -> Vec<(u64, u64)> {
    let mut child = creneau(dir)
        .args(["--store", store_url, "debug", "append-loop", "--batch", "3"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut acked = Vec::new();
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let mut parts = line
            .split_whitespace()
            .skip(1)
            .map(|p| p.parse::<u64>().expect("number"));
        acked.push((parts.next().expect("i"), parts.next().expect("position")));
        if acked.len() >= acks || started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reap");
    assert!(
        acked.len() >= acks.min(10),
        "the writer acknowledged only {} appends",
        acked.len()
    );
    acked
}

async fn check_survivors(store: Arc<dyn EventStore>, acked: &[(u64, u64)]) {
    let events = store
        .read_all(Position::START, 1_000_000, &Filter::categories(["durable"]))
        .await
        .expect("read");
    let mut per_stream = std::collections::HashMap::<String, Vec<u64>>::new();
    for e in &events {
        per_stream
            .entry(e.stream.clone())
            .or_default()
            .push(e.version);
    }
    for (i, position) in acked {
        let versions = per_stream
            .get(&format!("durable-{i}"))
            .unwrap_or_else(|| panic!("acknowledged append {i} is lost"));
        assert_eq!(versions, &vec![0, 1, 2], "append {i} is incomplete");
        assert!(
            events.iter().any(|e| e.position.0 == *position),
            "position {position} of append {i} is lost"
        );
    }
    for (stream, versions) in &per_stream {
        assert_eq!(versions, &vec![0, 1, 2], "{stream} is half-written");
    }
}

#[tokio::test]
async fn a_sqlite_writer_killed_with_sigkill_loses_nothing_it_acknowledged() {
    let dir = temp_dir();
    let acked = tokio::task::spawn_blocking({
        let dir = dir.clone();
        move || kill_after_acks(&dir, "sqlite://data/creneau.db", 1000)
    })
    .await
    .expect("writer");
    let store = eventlog::sqlite::SqliteStore::open(dir.join("data/creneau.db")).expect("reopen");
    check_survivors(Arc::new(store), &acked).await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_postgres_writer_killed_with_sigkill_loses_nothing_it_acknowledged() {
    let Some(admin) = postgres_admin_url().await else {
        return;
    };
    let db = eventlog::postgres::ScratchDatabase::create(&admin)
        .await
        .expect("scratch");
    let dir = temp_dir();
    let acked = tokio::task::spawn_blocking({
        let (dir, url) = (dir.clone(), db.url.clone());
        move || kill_after_acks(&dir, &url, 1000)
    })
    .await
    .expect("writer");
    let store = eventlog::postgres::PostgresStore::open(&db.url)
        .await
        .expect("reopen");
    check_survivors(Arc::new(store), &acked).await;
    db.drop_database().await.expect("drop");
    let _ = std::fs::remove_dir_all(dir);
}

/// Runs the binary to completion: (exit code, stderr). One that is still
/// running after a minute (a server that should have refused to start) is
/// killed and fails the test.
fn run_to_end(mut command: Command) -> (i32, String) {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut text).map(|_| text)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("creneau was still running after 60 s: it should have stopped with an error");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = reader.join().expect("reader").expect("stderr text");
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_store_that_is_not_a_creneau_database_is_refused_in_one_line() {
    let dir = temp_dir();
    std::fs::write(dir.join("notes.db"), "not a database").expect("write");
    let mut c = creneau(&dir);
    c.args(["--store", "sqlite://notes.db", "events", "stats"]);
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("not a Créneau database"), "{stderr}");
    assert_eq!(
        std::fs::read(dir.join("notes.db")).expect("read"),
        b"not a database"
    );

    let mut c = creneau(&dir);
    c.args(["--store", "mysql://localhost/x", "events", "stats"]);
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(stderr.contains("sqlite://"), "{stderr}");

    let mut c = creneau(&dir);
    c.args([
        "--store",
        "postgres://nobody@127.0.0.1:1/none",
        "events",
        "stats",
    ]);
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("cannot connect") && stderr.contains("is the server running"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_or_wrong_master_key_stops_the_server_before_it_starts() {
    let dir = temp_dir();
    // First run: a new store gets a new key file (and here stops at once,
    // on an address that another program holds).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let mut c = creneau(&dir);
    c.args(["--listen", &address, "serve"]);
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0, "the address is taken");
    assert!(
        stderr.contains(&format!("cannot listen on {address}")),
        "{stderr}"
    );
    assert!(
        dir.join("data/master.key").exists(),
        "first run creates the key"
    );

    // The key file is lost: refused, and no new key is made.
    std::fs::rename(dir.join("data/master.key"), dir.join("saved.key")).expect("move");
    let mut c = creneau(&dir);
    c.args(["--listen", "127.0.0.1:0", "serve"]);
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("master key that is missing") && stderr.contains("master.key"),
        "{stderr}"
    );
    assert!(
        !dir.join("data/master.key").exists(),
        "no new key replaces a lost one"
    );

    // Another key: refused.
    let mut c = creneau(&dir);
    c.args(["--listen", "127.0.0.1:0", "serve"]).env(
        "CRENEAU_MASTER_KEY",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    );
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(stderr.contains("does not open this store"), "{stderr}");

    // Not a key at all.
    let mut c = creneau(&dir);
    c.args(["serve"]).env("CRENEAU_MASTER_KEY", "hunter2");
    let (code, stderr) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(stderr.contains("base64"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_answers_then_stops_cleanly_on_sigterm() {
    let dir = temp_dir();
    let mut child = creneau(&dir)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "serve"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let address = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            v["address"].as_str().map(str::to_owned)
        })
        .expect("the server logs its address");
    let body = http_get(&address, "/readyz", Some("test-corr-42"));
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(body.contains("x-correlation-id: test-corr-42"), "{body}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");
    // The request was logged as JSON with its correlation id.
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
    let _ = std::fs::remove_dir_all(dir);
}

fn http_get(address: &str, path: &str, correlation: Option<&str>) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(address).expect("connect");
    let extra = correlation
        .map(|c| format!("X-Correlation-Id: {c}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

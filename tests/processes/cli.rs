//! The `creneau` binary as people run it: a real process, real files, a real
//! PostgreSQL server when one is reachable.
//!
//! - durability: a writer killed with SIGKILL loses nothing it acknowledged;
//! - bad input: clear one-line errors, non-zero exit, nothing modified;
//! - serve: a real server on a free port, stopped by SIGTERM;
//! - accounts and personal data: `admin create`, sign-in over real HTTP,
//!   `audit`, `residents export|erase`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eventlog::{EventStore, Filter, Position};
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_creneau-under-test");

pub(crate) fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("creneau-cli-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

pub(crate) fn creneau(dir: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(dir)
        .env_remove("CRENEAU_STORE")
        .env_remove("CRENEAU_MASTER_KEY")
        .env_remove("CRENEAU_DATA")
        .env_remove("CRENEAU_CONFIG")
        // The commands speak the operator's locale: none here (English),
        // whatever the machine running the tests uses.
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .env("RUST_LOG", "warn");
    c
}

pub(crate) async fn postgres_admin_url() -> Option<String> {
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

/// Runs the binary to completion: (exit code, stdout then stderr). One that
/// is still running after a minute (a server that should have refused to
/// start) is killed and fails the test.
pub(crate) fn run_to_end(mut command: Command) -> (i32, String) {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    let read_all = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut pipe, &mut text).map(|_| text)
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("stdout")));
    let reader = read_all(Box::new(child.stderr.take().expect("stderr")));
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
    let stdout = stdout.join().expect("reader").expect("stdout text");
    let stderr = reader.join().expect("reader").expect("stderr text");
    (status.code().unwrap_or(-1), stdout + &stderr)
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

/// `bench disk`, the probe `scripts/bench-scale` prints beside its
/// figures: one line with the rate, and its file gone afterwards; a folder
/// that does not exist is named in the error.
#[test]
fn the_disk_probe_says_its_rate_and_leaves_nothing_behind() {
    let dir = temp_dir();
    let out = creneau(&dir)
        .args(["bench", "disk", "--dir", "."])
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let rate: f64 = stdout
        .strip_prefix("disk: ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no rate in {stdout:?}"));
    assert!(rate > 0.0, "{stdout}");
    assert_eq!(
        std::fs::read_dir(&dir).expect("dir").count(),
        0,
        "the probe's file was left"
    );
    let out = creneau(&dir)
        .args(["bench", "disk", "--dir", "no-such-folder"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("fsync probe in no-such-folder"), "{stderr}");
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
    let correlation = "0192f0c4-6a1e-7c1a-9d3e-3f2a1b0c9d8e";
    let body = http(
        &address,
        "GET",
        "/readyz",
        &[("X-Correlation-Id", correlation)],
        None,
    );
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    assert!(
        body.contains(&format!("x-correlation-id: {correlation}")),
        "{body}"
    );
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

/// One HTTP/1.1 request over a fresh connection: the whole answer.
pub(crate) fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(address).expect("connect");
    // A server that stopped answering fails the test instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    write!(s, "{head}\r\n{body}").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

pub(crate) type Log = Arc<std::sync::Mutex<Vec<String>>>;

/// Starts `serve` on a free port, logging at debug level; returns the
/// child, its address, and its log lines as they come.
pub(crate) fn start_server(dir: &Path) -> (std::process::Child, String, Log) {
    start_server_with(dir, &[])
}

/// [`start_server`] with options before `serve` (`--store URL`, say) and
/// none after.
pub(crate) fn start_server_with(
    dir: &Path,
    options: &[&str],
) -> (std::process::Child, String, Log) {
    start_command(creneau(dir), options, &[])
}

/// [`start_server_with`] from a command made by [`creneau`] and given more
/// environment.
pub(crate) fn start_command(
    mut command: Command,
    options: &[&str],
    serve_options: &[&str],
) -> (std::process::Child, String, Log) {
    let mut child = command
        .args(options)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "serve"])
        .args(serve_options)
        .env("RUST_LOG", "debug")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut lines = lines.map_while(Result::ok);
    let address = lines
        .by_ref()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            v["address"].as_str().map(str::to_owned)
        })
        .expect("the server logs its address");
    // Keep draining the log so that the server never blocks on a full pipe.
    let log: Log = Arc::default();
    let sink = Arc::clone(&log);
    std::thread::spawn(move || {
        for line in lines {
            if let Ok(mut l) = sink.lock() {
                l.push(line);
            }
        }
    });
    (child, address, log)
}

pub(crate) fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Signs in over HTTP at `address`: the session cookie and the CSRF token.
pub(crate) fn sign_in(address: &str, email: &str, password: &str) -> (String, String) {
    let body = serde_json::json!({"email": email, "password": password}).to_string();
    let signed = http(address, "POST", "/api/v1/session", &[], Some(&body));
    assert!(signed.starts_with("HTTP/1.1 201"), "{signed}");
    let cookie = signed
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let csrf = json_body(&signed)["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_owned();
    (cookie, csrf)
}

pub(crate) fn json_body(answer: &str) -> serde_json::Value {
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    serde_json::from_str(body).unwrap_or(serde_json::Value::Null)
}

#[test]
fn the_first_administrator_is_made_on_the_command_line_and_signs_in_over_http() {
    let dir = temp_dir();
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args([
            "admin",
            "create",
            "--email",
            "Chef@Ville.fr",
            "--name",
            "Camille Chef",
            "--generate-password",
        ]);
        c
    });
    assert_eq!(code, 0, "{out}");
    let password = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("the generated password is printed once")
        .trim()
        .to_owned();
    let staff_id = out
        .split(['(', ')'])
        .nth(1)
        .expect("the new id is printed")
        .to_owned();
    // No terminal to type a password in, and no --generate-password.
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["admin", "create", "--email", "other@ville.fr"])
            .stdin(Stdio::null());
        c
    });
    assert_ne!(code, 0);
    assert!(out.contains("--generate-password"), "{out}");

    let (server, address, log) = start_server(&dir);
    let wrong = http(
        &address,
        "POST",
        "/api/v1/session",
        &[],
        Some(r#"{"email":"chef@ville.fr","password":"not it at all"}"#),
    );
    assert!(wrong.starts_with("HTTP/1.1 401"), "{wrong}");
    assert!(!wrong.contains("not it at all"));
    let (cookie, csrf) = sign_in(&address, "chef@ville.fr", &password);
    let made = http(
        &address,
        "POST",
        "/api/v1/residents",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        Some(r#"{"first_name":"Zoé","last_name":"Benali","phone":"0699887766"}"#),
    );
    assert!(made.starts_with("HTTP/1.1 201"), "{made}");
    let resident = json_body(&made)["resident_id"]
        .as_str()
        .expect("id")
        .to_owned();
    stop(server);
    let log = log.lock().expect("log").join("\n");
    assert!(log.contains("signed in"), "the log is read: {log}");
    let session = cookie.split_once('=').map_or("", |(_, v)| v);
    for secret in [
        password.as_str(),
        "not it at all",
        session,
        csrf.as_str(),
        "Benali",
    ] {
        assert!(
            !log.contains(secret),
            "the log holds a secret or personal value: {secret}"
        );
    }

    // Audit and erasure from the command line, on the same store.
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["audit", "--staff", &staff_id]);
        c
    });
    assert_eq!(code, 0, "{out}");
    for what in [
        "StaffAccountCreated",
        "StaffSignedIn",
        "ResidentRegistered",
        "Camille Chef",
        "system:admin-cli",
    ] {
        assert!(out.contains(what), "{what} missing from the audit: {out}");
    }
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["residents", "export", &resident]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Zoé") && out.contains("+33699887766"), "{out}");
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["residents", "erase", &resident]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("erased resident"), "{out}");
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["residents", "export", &resident]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("Zoé") && !out.contains("699887766"), "{out}");
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["audit", "--resident", &resident]);
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ResidentErased") && out.contains("ResidentRegistered"),
        "{out}"
    );
    for (args, words) in [
        (vec!["residents", "erase", "nobody"], "not a resident id"),
        (
            vec!["residents", "erase", "0192f0c4-6a1e-7c1a-9d3e-3f2a1b0c9d8e"],
            "no resident",
        ),
        (vec!["audit", "--staff", "x"], "not a staff id"),
    ] {
        let (code, out) = run_to_end({
            let mut c = creneau(&dir);
            c.args(&args);
            c
        });
        assert_ne!(code, 0, "{args:?}");
        assert!(out.contains(words), "{args:?}: {out}");
    }
    // An operator whose locale is French reads the refusal in French.
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.args(["residents", "erase", "0192f0c4-6a1e-7c1a-9d3e-3f2a1b0c9d8e"])
            .env("LANG", "fr_FR.UTF-8");
        c
    });
    assert_ne!(code, 0);
    assert!(out.contains("il n'y a pas d'habitant"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn serve_with_demo_shows_six_sites_and_a_second_start_keeps_them() {
    let dir = temp_dir();
    let (code, out) = run_to_end({
        let mut c = creneau(&dir);
        c.arg("demo");
        c
    });
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("6 sites") && out.contains("admin@demo.creneau.fr"),
        "{out}"
    );
    // `serve --demo` on the same store: the demo is there already.
    let mut child = creneau(&dir)
        .args([
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "serve",
            "--demo",
        ])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let first_line = std::thread::spawn(move || BufReader::new(stdout).lines().next());
    let mut lines = BufReader::new(child.stderr.take().expect("stderr"))
        .lines()
        .map_while(Result::ok);
    let address = lines
        .by_ref()
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            v["address"].as_str().map(str::to_owned)
        })
        .expect("the server logs its address");
    std::thread::spawn(move || lines.for_each(drop));
    let sites = http(&address, "GET", "/api/v1/sites", &[], None);
    assert_eq!(
        json_body(&sites).as_array().map(Vec::len),
        Some(6),
        "{sites}"
    );
    let permanences = http(&address, "GET", "/api/v1/permanences", &[], None);
    assert!(
        json_body(&permanences)
            .as_array()
            .is_some_and(|p| p.len() >= 20),
        "{permanences}"
    );
    stop(child);
    let line = first_line
        .join()
        .expect("reader")
        .and_then(Result::ok)
        .unwrap_or_default();
    assert!(line.contains("nothing loaded"), "{line}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_server_keeps_answering_when_its_log_reader_goes_away() {
    let dir = temp_dir();
    let mut child = creneau(&dir)
        .args(["--listen", "127.0.0.1:0", "--log-format", "json", "serve"])
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let address = BufReader::new(child.stderr.take().expect("stderr"))
        .lines()
        .map_while(Result::ok)
        .find_map(|l| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            v["address"].as_str().map(str::to_owned)
        })
        .expect("the server logs its address");
    // The reader was dropped above: every log line now meets a closed pipe.
    for _ in 0..3 {
        let answer = http(&address, "GET", "/healthz", &[], None);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    }
    stop(child);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn simulate_then_stats_rebuild_shows_its_progress_and_stores_the_figures() {
    let dir = temp_dir();
    let mut c = creneau(&dir);
    c.args([
        "simulate",
        "--sites",
        "1",
        "--from",
        "2019-01-01",
        "--to",
        "2019-01-31",
    ]);
    let (code, out) = run_to_end(c);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("simulated 2019-01-01 to 2019-01-31:"), "{out}");
    let mut c = creneau(&dir);
    c.args(["stats", "rebuild"]);
    let (code, out) = run_to_end(c);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("100 %"), "a progress bar: {out}");
    assert!(out.contains("statistics rebuilt:"), "{out}");
    let mut c = creneau(&dir);
    c.args([
        "simulate",
        "--sites",
        "1",
        "--from",
        "2019-02-01",
        "--to",
        "2019-01-01",
    ]);
    let (code, out) = run_to_end(c);
    assert_ne!(code, 0);
    assert!(out.contains("--to must be on or after --from"), "{out}");
    let _ = std::fs::remove_dir_all(dir);
}

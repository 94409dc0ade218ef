//! `creneau bench eventlog`: the event log benchmark on every backend at
//! hand, each in a fresh store.

use std::sync::Arc;

use eventlog::bench::{BenchConfig, BenchReport};
use eventlog::postgres::{PostgresStore, ScratchDatabase};
use eventlog::sqlite::SqliteStore;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// A PostgreSQL URL through which a scratch database is created and
    /// dropped; without it, 127.0.0.1:5432 is tried.
    #[arg(long, env = "CRENEAU_BENCH_POSTGRES")]
    pub postgres: Option<String>,
    /// Skip PostgreSQL even when it is reachable.
    #[arg(long)]
    pub sqlite_only: bool,
    /// Events replayed through read_all.
    #[arg(long, default_value_t = 1_000_000)]
    pub replay_events: usize,
    /// Single-event appends shared by the concurrent writers.
    #[arg(long, default_value_t = 100_000)]
    pub concurrent_appends: usize,
    /// Concurrent writers.
    #[arg(long, default_value_t = 64)]
    pub writers: usize,
    /// Single-event appends by one writer.
    #[arg(long, default_value_t = 5_000)]
    pub single_appends: usize,
    /// Also measure a peer on the same PostgreSQL server, in the same run:
    /// `messagedb` installs Message DB from the npm registry's
    /// `@eventide/message-db` package (kept in ~/.cache/creneau) into a
    /// scratch database, with a bare table beside it.
    #[arg(long, value_enum)]
    pub peer: Option<Peer>,
}

/// A peer event store to measure beside Créneau's PostgreSQL backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Peer {
    Messagedb,
}

/// The Message DB release measured.
const MESSAGE_DB: &str = "1.3.1";

/// Message DB's SQL files (the package's `database` folder), fetched once
/// with `npm pack` from the npm registry into the cache.
fn message_db_sql() -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cache")))
        .context("no cache folder: set HOME or XDG_CACHE_HOME")?
        .join("creneau")
        .join(format!("message-db-{MESSAGE_DB}"));
    let sql = cache.join("package").join("database");
    if sql.join("functions").join("write-message.sql").is_file() {
        return Ok(sql);
    }
    std::fs::create_dir_all(&cache)?;
    let run = |program: &str, args: &[&str]| -> anyhow::Result<()> {
        let status = std::process::Command::new(program)
            .args(args)
            .current_dir(&cache)
            .stdout(std::process::Stdio::null())
            .status()
            .with_context(|| format!("could not run {program} (is it installed?)"))?;
        anyhow::ensure!(
            status.success(),
            "{program} {} failed: {status}",
            args.join(" ")
        );
        Ok(())
    };
    let package = format!("@eventide/message-db@{MESSAGE_DB}");
    run("npm", &["pack", "--silent", &package])?;
    let tarball = format!("eventide-message-db-{MESSAGE_DB}.tgz");
    run("tar", &["xzf", &tarball])?;
    Ok(sql)
}

#[derive(Debug, Clone, clap::Args)]
pub struct DiskArgs {
    /// A folder on the disk to probe (a file is written there and removed).
    #[arg(long, default_value = ".")]
    pub dir: std::path::PathBuf,
}

/// `creneau bench disk`, and the first line of `bench eventlog`: the
/// disk's fsync rate in `dir`.
pub fn disk(dir: &std::path::Path, out: &mut impl std::io::Write) -> anyhow::Result<()> {
    writeln!(
        out,
        "disk: {:.0} fsyncs/s (4 KiB write + fdatasync) in {}",
        eventlog::bench::fsync_rate(dir)?,
        dir.display()
    )?;
    Ok(())
}

pub async fn run(
    args: BenchArgs,
    out: &mut impl std::io::Write,
) -> anyhow::Result<Vec<BenchReport>> {
    let config = BenchConfig {
        single_appends: args.single_appends,
        concurrent_appends: args.concurrent_appends,
        writers: args.writers,
        replay_events: args.replay_events,
    };
    let mut reports = Vec::new();

    let dir = std::env::temp_dir().join(format!("creneau-bench-{}", uuid::Uuid::new_v4().simple()));
    let store = SqliteStore::open(dir.join("bench.db"))?;
    disk(&dir, out)?;
    let raw_path = dir.join("raw.db");
    let store: Arc<dyn eventlog::EventStore> = Arc::new(store);
    let report = eventlog::bench::run(Arc::clone(&store), store, config, |rows| async move {
        tokio::task::spawn_blocking(move || eventlog::sqlite::raw_baseline(&raw_path, &rows, 1000))
            .await
            .map_err(|e| eventlog::StoreError::Backend(e.to_string()))?
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    print_report(out, &report, eventlog::sqlite::group_commit_counts())?;
    reports.push(report);

    if !args.sqlite_only {
        let url = args
            .postgres
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        match ScratchDatabase::create(&url).await {
            Ok(db) => {
                let result = async {
                    let store = PostgresStore::open(&db.url).await?;
                    let raw_store = store.clone();
                    // The subscriber is on its own store, woken by NOTIFY
                    // as another process would be.
                    let follower = PostgresStore::open(&db.url).await?;
                    eventlog::bench::run(
                        Arc::new(store),
                        Arc::new(follower),
                        config,
                        |rows| async move {
                            eventlog::postgres::raw_baseline(&raw_store, &rows, 1000).await
                        },
                    )
                    .await
                }
                .await;
                db.drop_database().await?;
                let report = result?;
                print_report(out, &report, eventlog::postgres::group_commit_counts())?;
                if args.peer == Some(Peer::Messagedb) {
                    let peer = eventlog::peer::run(
                        &url,
                        MESSAGE_DB,
                        &message_db_sql()?,
                        config.single_appends,
                        config.concurrent_appends,
                        config.writers,
                    )
                    .await?;
                    writeln!(out, "{peer}")?;
                    writeln!(
                        out,
                        "  Créneau / Message DB: 1 writer {:.2}x, {} writers {:.2}x; \
                         Créneau / raw INSERT, {} writers {:.2}x",
                        report.appends_single / peer.message_db_single,
                        peer.writers,
                        report.appends_concurrent / peer.message_db_concurrent,
                        peer.writers,
                        report.appends_concurrent / peer.raw_concurrent,
                    )?;
                }
                reports.push(report);
            }
            Err(e) => writeln!(out, "postgres skipped: {e}")?,
        }
    }
    Ok(reports)
}

/// The report, and the group commits its backend did (count, requests).
fn print_report(
    out: &mut impl std::io::Write,
    report: &BenchReport,
    (groups, grouped): (u64, u64),
) -> std::io::Result<()> {
    writeln!(out, "{report}")?;
    writeln!(
        out,
        "  group commits: {groups}, mean size {:.1}",
        grouped as f64 / groups.max(1) as f64
    )
}

#[derive(Debug, Clone, clap::Args)]
pub struct IdentityBenchArgs {
    /// Staff accounts in the directory while credentials are checked.
    #[arg(long, default_value_t = 200)]
    pub accounts: usize,
    /// Credential checks per kind (cookie, bearer, HTTP request).
    #[arg(long, default_value_t = 20_000)]
    pub checks: usize,
    /// Concurrent tasks doing the checks.
    #[arg(long, default_value_t = 4)]
    pub tasks: usize,
}

fn median_ms(mut samples: Vec<std::time::Duration>) -> f64 {
    samples.sort();
    samples
        .get(samples.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Runs `checks` calls of `one` spread over `tasks` tasks: calls per second.
async fn throughput<F, Fut>(checks: usize, tasks: usize, one: F) -> anyhow::Result<f64>
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let started = std::time::Instant::now();
    let per_task = checks / tasks.max(1);
    let mut handles = Vec::new();
    for _ in 0..tasks.max(1) {
        let one = one.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..per_task {
                one().await?;
            }
            anyhow::Ok(())
        }));
    }
    for h in handles {
        h.await??;
    }
    Ok((per_task * tasks.max(1)) as f64 / started.elapsed().as_secs_f64())
}

/// `creneau bench identity`: what signing in costs, and what checking
/// credentials adds to every staff request.
pub async fn run_identity(
    args: IdentityBenchArgs,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    use api::{Authenticator as _, Credentials, Grant};
    use identity::{Acting, NewStaff};
    use tower::ServiceExt as _;

    let dir = std::env::temp_dir().join(format!("creneau-bench-{}", uuid::Uuid::new_v4().simple()));
    let store: Arc<dyn eventlog::EventStore> = Arc::new(SqliteStore::open(dir.join("bench.db"))?);
    let vault =
        contracts::Vault::open(contracts::MasterKey::generate()?, Arc::clone(&store)).await?;
    let identity = identity::Identity::new(
        Arc::clone(&store),
        vault.clone(),
        identity::Settings::default(),
        Arc::new(eventlog::SystemClock),
    )
    .await?;
    let result = async {
        let mut hashes = Vec::new();
        for _ in 0..10 {
            let t = std::time::Instant::now();
            identity::password::hash("un mot de passe de banc d'essai")?;
            hashes.push(t.elapsed());
        }
        writeln!(
            out,
            "argon2id hash (19 MiB, t=2): median {:.1} ms over 10",
            median_ms(hashes)
        )?;

        let acting = Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock));
        let made = std::time::Instant::now();
        for i in 0..args.accounts {
            identity
                .create_staff(
                    &acting,
                    NewStaff {
                        email: format!("agent{i}@ville.example.fr"),
                        display_name: format!("Agent {i}"),
                        password: Some("un mot de passe de banc d'essai".into()),
                        grants: vec![Grant {
                            role: contracts::Role::Reception,
                            site: None,
                        }],
                    },
                )
                .await?;
        }
        writeln!(
            out,
            "{} accounts created in {:.1} s",
            args.accounts,
            made.elapsed().as_secs_f64()
        )?;

        let mut sign_ins = Vec::new();
        let mut cookie = String::new();
        for i in 0..20 {
            let t = std::time::Instant::now();
            let signed = identity
                .sign_in(
                    &format!("agent{i}@ville.example.fr"),
                    "un mot de passe de banc d'essai",
                    &format!("10.0.0.{i}"),
                    uuid::Uuid::now_v7(),
                )
                .await?;
            sign_ins.push(t.elapsed());
            cookie = signed
                .set_cookie
                .to_str()?
                .split(';')
                .next()
                .and_then(|c| c.split_once('='))
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default();
        }
        writeln!(
            out,
            "sign-in (verify + append): median {:.1} ms over 20",
            median_ms(sign_ins)
        )?;

        let staff = identity
            .directory()
            .await?
            .staff_by_email("agent0@ville.example.fr")
            .map(|s| s.id)
            .ok_or_else(|| anyhow::anyhow!("no account"))?;
        let token = identity
            .issue_token(&acting, staff, "bench", Some(1), None)
            .await?
            .token;

        let (id, c) = (identity.clone(), cookie.clone());
        let rate = throughput(args.checks, args.tasks, move || {
            let (id, c) = (id.clone(), c.clone());
            async move {
                id.authenticate(Credentials::Session(&c))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?;
        writeln!(
            out,
            "session cookie checks: {rate:.0}/s ({} tasks)",
            args.tasks
        )?;
        let (id, tk) = (identity.clone(), token.clone());
        let rate = throughput(args.checks, args.tasks, move || {
            let (id, tk) = (id.clone(), tk.clone());
            async move {
                id.authenticate(Credentials::Bearer(&tk))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?;
        writeln!(
            out,
            "bearer token checks: {rate:.0}/s ({} tasks)",
            args.tasks
        )?;

        let outbox = std::env::temp_dir().join(format!(
            "creneau-bench-sms-{}.jsonl",
            uuid::Uuid::new_v4().simple()
        ));
        let state = crate::server::AppState::open(
            Arc::clone(&store),
            vault,
            identity.clone(),
            Arc::new(reminders::sms::Outbox::new(outbox)),
            reminders::Settings::default(),
            None,
        )
        .await?;
        let app = crate::server::app(state);
        let rate = throughput(args.checks, args.tasks, move || {
            let (app, tk) = (app.clone(), token.clone());
            async move {
                let request = axum::http::Request::get("/api/v1/session")
                    .header("authorization", format!("Bearer {tk}"))
                    .body(axum::body::Body::empty())?;
                let response = app.oneshot(request).await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "status {}",
                    response.status()
                );
                Ok(())
            }
        })
        .await?;
        writeln!(
            out,
            "GET /api/v1/session through the router, bearer: {rate:.0}/s ({} tasks)",
            args.tasks
        )?;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[derive(Debug, Clone, clap::Args)]
pub struct CalendarBenchArgs {
    /// Queries per measurement.
    #[arg(long, default_value_t = 2_000)]
    pub queries: usize,
    /// Concurrent tasks.
    #[arg(long, default_value_t = 4)]
    pub tasks: usize,
}

/// `creneau bench calendar`: the demo city (six sites, 14 rules), then the
/// queries residents and staff make most.
pub async fn run_calendar(
    args: CalendarBenchArgs,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!("creneau-bench-{}", uuid::Uuid::new_v4().simple()));
    let store: Arc<dyn eventlog::EventStore> = Arc::new(SqliteStore::open(dir.join("bench.db"))?);
    let result = async {
        let vault = contracts::Vault::open(contracts::MasterKey::generate()?, Arc::clone(&store)).await?;
        let identity = identity::Identity::new(
        Arc::clone(&store),
        vault.clone(),
        identity::Settings::default(),
        Arc::new(eventlog::SystemClock),
    ).await?;
        let calendar = calendar::Calendar::new(Arc::clone(&store), [1u8; 32]).await?;
        let appointments = appointments::Appointments::new(
            Arc::clone(&store),
            Arc::new(identity.clone()),
            identity.vault().clone(),
            appointments::Settings::default(),
            identity.clock(),
        )
        .await?;
        crate::demo::load(&identity, &calendar, &appointments, &mut std::io::sink()).await?;
        let started = std::time::Instant::now();
        let fresh = calendar::Calendar::new(Arc::clone(&store), [1u8; 32]).await?;
        writeln!(out, "calendar read model rebuilt from the log in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0)?;
        let today = contracts::time::local_date(eventlog::Clock::now(&eventlog::SystemClock));
        for (label, days) in [("4 weeks", 27u64), ("1 year", 364)] {
            let to = today + chrono::Days::new(days);
            let count = fresh.permanences(None, today, to).await?.len();
            let c = fresh.clone();
            let rate = throughput(args.queries, args.tasks, move || {
                let c = c.clone();
                async move {
                    c.permanences(None, today, to).await?;
                    Ok(())
                }
            })
            .await?;
            writeln!(out, "permanences of all six sites over {label} ({count} permanences): {rate:.0} queries/s ({} tasks)", args.tasks)?;
        }
        let first = fresh
            .permanences(None, today, today + chrono::Days::new(27))
            .await?
            .into_iter()
            .find(|p| p.appointments)
            .map(|p| p.permanence_id)
            .ok_or_else(|| anyhow::anyhow!("no appointment permanence in the demo"))?;
        let c = fresh.clone();
        let rate = throughput(args.queries, args.tasks, move || {
            let (c, id) = (c.clone(), first.clone());
            async move {
                c.slots(&id, None).await?;
                Ok(())
            }
        })
        .await?;
        writeln!(out, "slots of one permanence: {rate:.0} queries/s ({} tasks)", args.tasks)?;
        anyhow::Ok(())
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A folder of its own for one bench run, removed when the run ends.
pub(crate) struct BenchDir(pub std::path::PathBuf);

impl BenchDir {
    pub(crate) fn new(name: &str) -> BenchDir {
        BenchDir(std::env::temp_dir().join(format!(
            "creneau-bench-{name}-{}",
            uuid::Uuid::new_v4().simple()
        )))
    }
}

impl Drop for BenchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every service over a new SQLite log in `dir`, on the machine's clock,
/// with a new master key and its SMS sent through `sms`.
pub(crate) async fn bench_state(
    dir: &std::path::Path,
    sms: impl Into<reminders::Senders>,
) -> anyhow::Result<crate::server::AppState> {
    let store: Arc<dyn eventlog::EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("bench.db"))?);
    let vault =
        contracts::Vault::open(contracts::MasterKey::generate()?, Arc::clone(&store)).await?;
    let identity = identity::Identity::new(
        Arc::clone(&store),
        vault.clone(),
        identity::Settings::default(),
        Arc::new(eventlog::SystemClock),
    )
    .await?;
    crate::server::AppState::open(
        store,
        vault,
        identity,
        sms,
        reminders::Settings::default(),
        None,
    )
    .await
}

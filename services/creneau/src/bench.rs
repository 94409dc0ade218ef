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
    writeln!(
        out,
        "disk: {:.0} fsyncs/s (4 KiB write + fdatasync) in {}",
        eventlog::bench::fsync_rate(&dir)?,
        dir.display()
    )?;
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

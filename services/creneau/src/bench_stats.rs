//! `creneau bench stats`: the statistics' fold over N events, beside the
//! raw `read_all` rate of the same store in the same run.
//!
//! The events are drop-in visits and appointments as the services write
//! them (arrived, called, served, the requests recorded; booked, arrived,
//! the requests), appended in batches straight to an embedded store so
//! that setting up a million takes seconds.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use api::Acting;
use contracts::proto::appointments::v1 as ev;
use contracts::{Reason, SiteId};
use eventlog::{EventStore, ExpectedVersion, Filter, Position, StreamName};

#[derive(Debug, Clone, clap::Args)]
pub struct StatsBenchArgs {
    /// Events to fold.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
}

/// The events of one drop-in permanence with `people` visitors.
fn permanence_events(
    acting: &Acting,
    site: SiteId,
    permanence: &str,
    people: usize,
) -> anyhow::Result<Vec<eventlog::NewEvent>> {
    let mut events = Vec::with_capacity(people * 4);
    for n in 0..people {
        let ticket = uuid::Uuid::now_v7().to_string();
        events.push(acting.event(&ev::DropInArrived {
            ticket_id: ticket.clone(),
            number: u32::try_from(n + 1)?,
            site_id: site.to_string(),
            permanence_id: permanence.to_owned(),
            first_name: None,
            reasons: vec![],
        })?);
        events.push(acting.event(&ev::DropInCalled {
            ticket_id: ticket.clone(),
        })?);
        events.push(acting.event(&ev::DropInServed {
            ticket_id: ticket.clone(),
        })?);
        events.push(acting.event(&ev::VisitRequestsRecorded {
            visit_id: ticket,
            kind: "drop_in".into(),
            site_id: site.to_string(),
            permanence_id: permanence.to_owned(),
            requests: vec![
                ev::VisitRequest::recorded(
                    Reason::ProcedureCaf,
                    ev::Accompaniment::Accompanied,
                    ev::Outcome::Done,
                )
                .with_autonomy(ev::Autonomy::Guided),
                ev::VisitRequest::recorded(
                    Reason::Smartphone,
                    ev::Accompaniment::Autonomous,
                    ev::Outcome::Done,
                )
                .with_autonomy(ev::Autonomy::Autonomous),
            ],
        })?);
    }
    Ok(events)
}

/// Appends about `n` events of drop-in permanences (six visitors each, 24
/// events per permanence stream) to `store`; how many it wrote.
async fn fill(store: &dyn EventStore, n: usize) -> anyhow::Result<usize> {
    let acting = Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock));
    let site = SiteId::new();
    let mut written = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
    while written < n {
        let permanence = format!("{}_{day}", contracts::RuleId::new());
        let events = permanence_events(&acting, site, &permanence, 6)?;
        written += events.len();
        store
            .append(
                &StreamName::new(format!("dropin-{permanence}"))?,
                ExpectedVersion::NoStream,
                events,
            )
            .await?;
        day = day.succ_opt().unwrap_or(day);
    }
    Ok(written)
}

#[derive(Debug, Clone, clap::Args)]
pub struct ReadyBenchArgs {
    /// Events in the log.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// A PostgreSQL server to run on (a scratch database is made and
    /// dropped), e.g. postgres://postgres@127.0.0.1:5432/postgres; without
    /// it, a SQLite file.
    #[arg(long)]
    pub postgres: Option<String>,
}

/// `creneau bench ready`: how long a new process takes to be ready on a
/// long log: every service composed as `serve` does, then each folds the
/// whole log as `/readyz` asks (concurrently, as `serve`'s warm-up does).
pub async fn ready(args: ReadyBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "creneau-bench-ready-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir)?;
    let scratch = match &args.postgres {
        Some(admin) => Some(eventlog::postgres::ScratchDatabase::create(admin).await?),
        None => None,
    };
    let result = async {
        let pg = match &scratch {
            Some(db) => Some(eventlog::postgres::PostgresStore::open(&db.url).await?),
            None => None,
        };
        let store: Arc<dyn EventStore> = match &pg {
            Some(pg) => Arc::new(pg.clone()),
            None => Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("bench.db"))?),
        };
        let started = Instant::now();
        let written = fill(store.as_ref(), args.events).await?;
        if let Some(pg) = &pg {
            // What autovacuum has long done on a log that grew over weeks
            // (and what to run after a bulk import): without it the
            // planner takes the million rows for a thousand.
            pg.client()
                .await?
                .batch_execute("ANALYZE creneau.events")
                .await?;
        }
        writeln!(
            out,
            "set-up: {written} events appended to {} in {:.1} s",
            store.backend(),
            started.elapsed().as_secs_f64()
        )?;
        let started = Instant::now();
        let master = contracts::MasterKey::generate()?;
        let vault = contracts::Vault::open(master, Arc::clone(&store)).await?;
        let clock: Arc<dyn eventlog::Clock> = Arc::new(eventlog::SystemClock);
        let identity = identity::Identity::new(
            Arc::clone(&store),
            vault.clone(),
            identity::Settings::default(),
            clock,
        )
        .await?;
        let outbox: Arc<dyn reminders::sms::SmsProvider> =
            Arc::new(reminders::sms::Outbox::new(dir.join("sms.jsonl")));
        let state = crate::server::AppState::open(
            store,
            vault,
            identity,
            outbox,
            reminders::Settings::default(),
            None,
        )
        .await?;
        let composed = started.elapsed().as_secs_f64();
        let per_service = crate::server::fold_all(&state).await;
        let ready = started.elapsed().as_secs_f64();
        writeln!(out, "services composed in {composed:.2} s")?;
        for (service, took) in per_service {
            writeln!(
                out,
                "  {service}: folded in {:.2} s",
                took.map_err(anyhow::Error::msg)?.as_secs_f64()
            )?;
        }
        writeln!(
            out,
            "ready (every service caught up) {ready:.2} s after start"
        )?;
        anyhow::Ok(())
    }
    .await;
    if let Some(db) = scratch {
        db.drop_database().await?;
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub async fn run(args: StatsBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = crate::bench::BenchDir::new("stats");
    run_in(&dir.0, args, out).await
}

async fn run_in(
    dir: &std::path::Path,
    args: StatsBenchArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("bench.db"))?);
    let started = Instant::now();
    let written = fill(store.as_ref(), args.events).await?;
    writeln!(
        out,
        "set-up: {written} events appended in {:.1} s",
        started.elapsed().as_secs_f64()
    )?;

    // Raw read of the same categories.
    let filter = Filter::categories(stats::service::CATEGORIES);
    let started = Instant::now();
    let mut all = Vec::with_capacity(written);
    let mut after = Position::START;
    loop {
        let batch = store.read_all(after, 2000, &filter).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        all.extend(batch);
    }
    let read = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "read_all: {} events in {read:.2} s = {:.0} events/s",
        all.len(),
        all.len() as f64 / read
    )?;

    // The fold alone, over events already in memory.
    let started = Instant::now();
    let mut fold = stats::fold::Fold::default();
    for e in &all {
        fold.fold(e)?;
    }
    let folded = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "in-memory fold: {} events in {folded:.2} s = {:.0} events/s ({} permanences)",
        fold.events,
        fold.events as f64 / folded,
        fold.permanences.len()
    )?;

    // Read, fold and store with the checkpoint, as the service does when it
    // starts on a log it has not folded.
    let service = stats::Stats::new(Arc::clone(&store));
    let started = Instant::now();
    service.warm_up().await?;
    let both = started.elapsed().as_secs_f64();
    let n = service.events_folded().await?;
    writeln!(
        out,
        "read, fold and store with its checkpoint: {n} events in {both:.2} s = {:.0} events/s",
        n as f64 / both
    )?;
    // A restart: the stored state is loaded, nothing is folded again.
    let restarted = stats::Stats::new(Arc::clone(&store));
    let started = Instant::now();
    restarted.warm_up().await?;
    writeln!(
        out,
        "restart from the stored state: {:.2} s",
        started.elapsed().as_secs_f64()
    )?;
    let started = Instant::now();
    let table = service
        .table(&stats::Query {
            from: chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default(),
            to: chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap_or_default(),
            sites: None,
            by: stats::By::Month,
        })
        .await?;
    writeln!(
        out,
        "a query over everything, by month: {} rows in {:.1} ms",
        table.rows.len(),
        started.elapsed().as_secs_f64() * 1000.0
    )?;
    Ok(())
}

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
                ev::VisitRequest {
                    reason: Reason::ProcedureCaf.into(),
                    accompanied: true,
                    outcome: ev::Outcome::Done.into(),
                },
                ev::VisitRequest {
                    reason: Reason::Smartphone.into(),
                    accompanied: false,
                    outcome: ev::Outcome::Done.into(),
                },
            ],
        })?);
    }
    Ok(events)
}

pub async fn run(args: StatsBenchArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let dir = std::env::temp_dir().join(format!(
        "creneau-bench-stats-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let result = run_in(&dir, args, out).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run_in(
    dir: &std::path::Path,
    args: StatsBenchArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("bench.db"))?);
    let acting = Acting::system("bench", eventlog::Clock::now(&eventlog::SystemClock));
    let site = SiteId::new();
    let started = Instant::now();
    let mut written = 0;
    let mut day = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
    while written < args.events {
        // Six people per permanence: 24 events.
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

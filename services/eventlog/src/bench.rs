//! The event log benchmark (`creneau bench eventlog`): append rates with one
//! and with many writers, and replay through `read_all`, each beside the raw
//! rate of the same engine on a bare table in the same run.

use std::sync::Arc;
use std::time::Instant;

use uuid::Uuid;

use crate::error::StoreError;
use crate::model::{Actor, ExpectedVersion, Filter, Metadata, NewEvent, Position, StreamName};
use crate::store::EventStore;
use crate::{Clock as _, SystemClock};

/// How much work one run does.
#[derive(Debug, Clone, Copy)]
pub struct BenchConfig {
    /// Appends of one event by a single writer.
    pub single_appends: usize,
    /// Appends of one event, shared among `writers` concurrent writers.
    pub concurrent_appends: usize,
    pub writers: usize,
    /// Events in the log for the replay (the log is filled up to this).
    pub replay_events: usize,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            single_appends: 5_000,
            concurrent_appends: 100_000,
            writers: 64,
            replay_events: 1_000_000,
        }
    }
}

/// What one run measured, all in events (or rows) per second.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub backend: &'static str,
    pub payload_bytes: usize,
    pub appends_single: f64,
    pub appends_concurrent: f64,
    pub writers: usize,
    /// Filling the log in appends of 1,000 events.
    pub bulk_append: f64,
    pub replay_events: usize,
    pub replay: f64,
    pub raw_insert: f64,
    pub raw_read: f64,
    /// Commit-to-subscriber delay of single appends: median, 99th
    /// percentile, maximum.
    pub live_latency: [std::time::Duration; 3],
    /// Reading the last 10 events of a stream in the full log, as a command
    /// handler does: median, 99th percentile, maximum.
    pub read_stream_latency: [std::time::Duration; 3],
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "backend {} (payload {} bytes)",
            self.backend, self.payload_bytes
        )?;
        writeln!(
            f,
            "  appends, 1 writer          {:>12.0} events/s",
            self.appends_single
        )?;
        writeln!(
            f,
            "  appends, {:>2} writers        {:>12.0} events/s",
            self.writers, self.appends_concurrent
        )?;
        writeln!(
            f,
            "  bulk appends of 1000       {:>12.0} events/s",
            self.bulk_append
        )?;
        writeln!(
            f,
            "  raw batched INSERT         {:>12.0} rows/s",
            self.raw_insert
        )?;
        writeln!(
            f,
            "  replay read_all, decoded   {:>12.0} events/s ({} events)",
            self.replay, self.replay_events
        )?;
        writeln!(
            f,
            "  raw SELECT of bare table   {:>12.0} rows/s",
            self.raw_read
        )?;
        let [p50, p99, max] = self.live_latency;
        writeln!(
            f,
            "  live delivery after ack    p50 {p50:?}, p99 {p99:?}, max {max:?}"
        )?;
        let [p50, p99, max] = self.read_stream_latency;
        write!(
            f,
            "  read_stream, last 10       p50 {p50:?}, p99 {p99:?}, max {max:?}"
        )
    }
}

/// What the disk under `dir` gives: 4 KiB writes each followed by
/// `fdatasync`, for about a second. Every durable commit costs at least one.
pub fn fsync_rate(dir: &std::path::Path) -> Result<f64, StoreError> {
    use std::io::{Seek, Write};
    let path = dir.join("fsync-probe");
    let fail = |e: std::io::Error| {
        StoreError::Backend(format!(
            "fsync probe in {}: {e} (give a folder that exists)",
            dir.display()
        ))
    };
    let mut f = std::fs::File::create(&path).map_err(fail)?;
    let block = [7u8; 4096];
    let started = Instant::now();
    let mut n = 0u32;
    while started.elapsed() < std::time::Duration::from_secs(1) {
        f.seek(std::io::SeekFrom::Start(u64::from(n % 256) * 4096))
            .map_err(fail)?;
        f.write_all(&block).map_err(fail)?;
        f.sync_data().map_err(fail)?;
        n += 1;
    }
    let rate = f64::from(n) / started.elapsed().as_secs_f64();
    drop(f);
    let _ = std::fs::remove_file(path);
    Ok(rate)
}

/// A realistic ~300-byte payload: ids, a time, a reason, a sealed field.
pub fn sample_payload(i: usize) -> Vec<u8> {
    let id = Uuid::from_u128(i as u128);
    format!(
        r#"{{"appointmentId":"{id}","siteId":"0193a5c4-7d1e-7b40-9a8e-2f1c3d4e5f60","start":"2026-12-01T09:30:00+01:00","reason":"REASON_PROCEDURE_CAF","channel":"CHANNEL_PHONE","phone":{{"owner":"{id}","nonce":"bm9uY2Vub25jZW5vbmNl","ciphertext":"c2VhbGVkc2VhbGVkc2VhbA=="}}}}"#
    )
    .into_bytes()
}

fn sample_event(i: usize) -> Result<NewEvent, StoreError> {
    NewEvent::raw(
        Uuid::now_v7(),
        "creneau.bench.v1.AppointmentBooked",
        sample_payload(i),
        Metadata::new(
            Actor::System("bench".into()),
            Uuid::now_v7(),
            SystemClock.now(),
        ),
    )
}

fn append_failed(e: crate::AppendError) -> StoreError {
    StoreError::Backend(format!("append failed during benchmark: {e}"))
}

/// Appends `n` single events to `stream`, each with the exact expected
/// version, as a command handler would.
async fn append_one_by_one(
    store: Arc<dyn EventStore>,
    stream: StreamName,
    n: usize,
) -> Result<(), StoreError> {
    for i in 0..n {
        let expected = match i {
            0 => ExpectedVersion::NoStream,
            _ => ExpectedVersion::Exact(i as u64 - 1),
        };
        store
            .append(&stream, expected, vec![sample_event(i)?])
            .await
            .map_err(append_failed)?;
    }
    Ok(())
}

/// How long after an append is acknowledged a subscriber on `follower`
/// (another handle on the same log: another process, for PostgreSQL) has
/// it: `n` appends, one at a time.
async fn live_latency(
    store: &Arc<dyn EventStore>,
    follower: Arc<dyn EventStore>,
    n: usize,
) -> Result<[std::time::Duration; 3], StoreError> {
    let mut subscription = crate::Subscription::new(
        follower,
        store.head().await?,
        Filter::categories(["benchlive"]),
    );
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let listener = tokio::spawn(async move {
        for _ in 0..n {
            let e = subscription.next().await?;
            if tx.send((e.event_id, Instant::now())).is_err() {
                break;
            }
        }
        Ok::<_, StoreError>(())
    });
    let stream = StreamName::new("benchlive-1")?;
    let mut delays = Vec::with_capacity(n);
    for i in 0..n {
        let event = sample_event(i)?;
        let id = event.event_id;
        store
            .append(&stream, ExpectedVersion::Any, vec![event])
            .await
            .map_err(append_failed)?;
        let acked = Instant::now();
        let (got, at) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
            .await
            .map_err(|_| StoreError::Backend("a subscriber waited over 10 s for an event".into()))?
            .ok_or(StoreError::Closed)?;
        if got != id {
            return Err(StoreError::Backend(
                "the subscriber got another event than the one appended".into(),
            ));
        }
        delays.push(at.saturating_duration_since(acked));
        // Let the subscriber go back to waiting before the next append.
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    listener
        .await
        .map_err(|e| StoreError::Backend(e.to_string()))??;
    Ok(percentiles(delays))
}

/// Median, 99th percentile and maximum of `delays`.
fn percentiles(mut delays: Vec<std::time::Duration>) -> [std::time::Duration; 3] {
    delays.sort();
    let at = |q: f64| {
        delays
            .get(((delays.len().saturating_sub(1)) as f64 * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    [at(0.5), at(0.99), at(1.0)]
}

/// Reads the last 10 events of the 64 writers' streams, 2,000 times.
async fn read_stream_latency(
    store: &Arc<dyn EventStore>,
    writers: usize,
    per_writer: usize,
) -> Result<[std::time::Duration; 3], StoreError> {
    let mut delays = Vec::with_capacity(2000);
    for i in 0..2000 {
        let stream = StreamName::new(format!("benchmany-{}", i % writers))?;
        let from = per_writer.saturating_sub(10) as u64;
        let started = Instant::now();
        let events = store.read_stream(&stream, from, 10).await?;
        delays.push(started.elapsed());
        if events.len() != per_writer.min(10) {
            return Err(StoreError::Backend(format!(
                "read_stream gave {} events instead of {}",
                events.len(),
                per_writer.min(10)
            )));
        }
    }
    Ok(percentiles(delays))
}

/// Runs the benchmark on `store`, which should be empty, with live delivery
/// measured through `follower`, and measures the raw baseline with `raw`
/// (given the rows, returns inserts/s and reads/s).
pub async fn run<R, Fut>(
    store: Arc<dyn EventStore>,
    follower: Arc<dyn EventStore>,
    config: BenchConfig,
    raw: R,
) -> Result<BenchReport, StoreError>
where
    R: FnOnce(Vec<NewEvent>) -> Fut,
    Fut: std::future::Future<Output = Result<(f64, f64), StoreError>>,
{
    // One writer, one event per append, exact expected versions.
    let started = Instant::now();
    append_one_by_one(
        Arc::clone(&store),
        StreamName::new("benchsingle-1")?,
        config.single_appends,
    )
    .await?;
    let appends_single = config.single_appends as f64 / started.elapsed().as_secs_f64();

    // Many writers in one category, each on its own stream.
    let writers = config.writers.max(1);
    let per_writer = config.concurrent_appends / writers;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(writers);
    for w in 0..writers {
        let stream = StreamName::new(format!("benchmany-{w}"))?;
        tasks.push(tokio::spawn(append_one_by_one(
            Arc::clone(&store),
            stream,
            per_writer,
        )));
    }
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Backend(format!("writer task failed: {e}")))??;
    }
    let appends_concurrent = (per_writer * writers) as f64 / started.elapsed().as_secs_f64();

    // Fill up to the replay size in appends of 1000.
    let head = store.head().await?.0 as usize;
    let missing = config.replay_events.saturating_sub(head);
    let started = Instant::now();
    let mut filled = 0;
    let mut k = 0;
    while filled < missing {
        let n = (missing - filled).min(1000);
        let events = (0..n)
            .map(|i| sample_event(filled + i))
            .collect::<Result<Vec<_>, _>>()?;
        store
            .append(
                &StreamName::new(format!("benchfill-{k}"))?,
                ExpectedVersion::NoStream,
                events,
            )
            .await
            .map_err(append_failed)?;
        filled += n;
        k += 1;
    }
    let bulk_append = filled as f64 / started.elapsed().as_secs_f64().max(1e-9);

    // Replay everything, decoded.
    let started = Instant::now();
    let mut after = Position::START;
    let mut replayed = 0usize;
    let all = Filter::all();
    loop {
        let batch = store.read_all(after, 10_000, &all).await?;
        let Some(last) = batch.last() else { break };
        after = last.position;
        replayed += batch.len();
    }
    let replay = replayed as f64 / started.elapsed().as_secs_f64();

    let live_latency = live_latency(&store, follower, 200).await?;
    let read_stream_latency = read_stream_latency(&store, writers, per_writer).await?;
    let rows = (0..replayed)
        .map(sample_event)
        .collect::<Result<Vec<_>, _>>()?;
    let (raw_insert, raw_read) = raw(rows).await?;
    Ok(BenchReport {
        backend: store.backend(),
        payload_bytes: sample_payload(0).len(),
        appends_single,
        appends_concurrent,
        writers,
        bulk_append,
        replay_events: replayed,
        replay,
        raw_insert,
        raw_read,
        live_latency,
        read_stream_latency,
    })
}

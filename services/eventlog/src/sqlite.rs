//! The embedded backend: one SQLite file in WAL mode.
//!
//! One writer thread owns the only write connection. Appends from any number
//! of tasks queue up while it commits, and it takes every queued request into
//! the next transaction: one fsync for the whole group (group commit). Each
//! request runs in its own savepoint, so a refused append does not undo the
//! others of its group. Readers use their own connections, from a small pool.
//!
//! Positions are SQLite rowids assigned inside the single write transaction,
//! so commit order is position order and a reader never sees a gap that a
//! later commit fills.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{oneshot, watch};
use uuid::Uuid;

use crate::error::{AppendError, StoreError};
use crate::model::{
    Actor, AppendRequest, AppendResult, ExistingEvent, Filter, Metadata, NewEvent, NewKey,
    Position, RecordedEvent, StreamName, judge_retry, micros_to_time,
};
use crate::store::{EventStore, KeyTable};

/// `PRAGMA application_id` of a Créneau database ("CRNU").
pub const APPLICATION_ID: i32 = 0x4352_4E55;
/// The schema this binary writes; older files are migrated on open.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;
/// Page size of new files.
/// WAL frames after which the checkpointer copies them into the file.
const CHECKPOINT_FRAMES: u64 = 2000;

/// Most requests one group commit takes.
const MAX_GROUP: usize = 2048;

/// Group commits done and requests they carried, by every SQLite store of
/// the process: their ratio is the mean group size.
static GROUPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static GROUPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (group commits, requests in them) since the process started.
pub fn group_commit_counts() -> (u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    (GROUPS.load(Relaxed), GROUPED.load(Relaxed))
}

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE events (
    position       INTEGER PRIMARY KEY,
    stream         TEXT    NOT NULL,
    category       TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    event_type     TEXT    NOT NULL,
    event_id       BLOB    NOT NULL UNIQUE,
    payload        TEXT    NOT NULL,
    actor          TEXT    NOT NULL,
    correlation_id BLOB    NOT NULL,
    causation_id   BLOB,
    recorded_at    INTEGER NOT NULL
);
-- The last version of every stream: what an append checks.
CREATE TABLE streams (
    stream  TEXT    PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
-- Where each stream's events are, folded in from the events table in
-- batches (see fold_stream_index); events after index_state.indexed_upto
-- are found by scanning that short tail.
CREATE TABLE stream_index (
    stream   TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (stream, version)
) WITHOUT ROWID;
CREATE TABLE index_state (
    only_row     INTEGER PRIMARY KEY CHECK (only_row = 1),
    indexed_upto INTEGER NOT NULL
);
INSERT INTO index_state VALUES (1, 0);
CREATE INDEX events_category_position ON events (category, position);
CREATE TABLE checkpoints (
    name       TEXT PRIMARY KEY,
    position   INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE data_keys (
    owner      BLOB PRIMARY KEY,
    wrapped    BLOB NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    r#"
CREATE TABLE projections (
    name       TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    position   INTEGER NOT NULL,
    state      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
"#,
];

/// Read connections kept, and reads at once.
const READERS: usize = 8;

const SELECT_EVENT: &str = "SELECT position, stream, version, event_type, event_id, payload, actor, \
     correlation_id, causation_id, recorded_at FROM events";

type ExecResult = Result<Box<dyn Any + Send>, StoreError>;
type ExecFn = Box<dyn FnOnce(&Connection) -> ExecResult + Send>;

enum Job {
    Append {
        request: AppendRequest,
        /// Appends and keys written in the same transaction (see
        /// `EventStore::append_with`).
        also: Vec<AppendRequest>,
        keys: Vec<NewKey>,
        reply: oneshot::Sender<Result<AppendResult, AppendError>>,
    },
    Exec {
        work: ExecFn,
        reply: oneshot::Sender<ExecResult>,
    },
}

/// The SQLite event store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// Queue of the writer thread; the thread ends when the last sender goes.
    writer: mpsc::Sender<Job>,
    /// Idle read connections. A std mutex: only held to take or return one,
    /// never across an await.
    readers: Mutex<Vec<Connection>>,
    /// Permits to read, one per pooled connection.
    reading: tokio::sync::Semaphore,
    wake: watch::Sender<u64>,
}

impl SqliteStore {
    /// Opens (or creates) the store at `path`. A file that is not a Créneau
    /// database, or one written by a newer Créneau, is refused untouched.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_checked(&path)?;
        let head = head_of(&conn)?;
        let (tx, rx) = mpsc::channel();
        let (wake, _) = watch::channel(head);
        let wake_for_writer = wake.clone();
        let checkpointer = open_reader(&path)?;
        let (frames_tx, frames_rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("eventlog-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, wake_for_writer, frames_tx))
            .map_err(|e| {
                StoreError::Open(format!("{}: cannot start writer: {e}", path.display()))
            })?;
        std::thread::Builder::new()
            .name("eventlog-sqlite-checkpointer".into())
            .spawn(move || checkpoint_loop(checkpointer, frames_rx))
            .map_err(|e| {
                StoreError::Open(format!(
                    "{}: cannot start checkpointer: {e}",
                    path.display()
                ))
            })?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: tx,
                readers: Mutex::new(Vec::new()),
                reading: tokio::sync::Semaphore::new(READERS),
                wake,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `work` in the writer's transaction, after the appends queued
    /// before it: a projection writes its tables and its checkpoint
    /// ([`save_checkpoint`]) here, all or nothing. An error from `work`
    /// rolls back what it did and nothing else.
    pub async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let work: ExecFn = Box::new(move |c| work(c).map(|v| Box::new(v) as Box<dyn Any + Send>));
        self.inner
            .writer
            .send(Job::Exec { work, reply })
            .map_err(|_| StoreError::Closed)?;
        let value = rx.await.map_err(|_| StoreError::Closed)??;
        value
            .downcast::<T>()
            .map(|v| *v)
            .map_err(|_| StoreError::Backend("writer returned the wrong type".into()))
    }

    /// Runs `work` on a read connection, off the async runtime.
    pub async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        // At most READERS reads at once, each on a pooled connection: more
        // would open and close connections (a schema parse each) for no
        // gain on a few cores.
        let _permit = self
            .inner
            .reading
            .acquire()
            .await
            .map_err(|_| StoreError::Closed)?;
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let conn = inner.take_reader()?;
            let result = work(&conn);
            inner.return_reader(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Backend(format!("reader task failed: {e}")))?
    }
}

impl Inner {
    fn take_reader(&self) -> Result<Connection, StoreError> {
        let pooled = self.readers.lock().ok().and_then(|mut pool| pool.pop());
        match pooled {
            Some(c) => Ok(c),
            None => open_reader(&self.path),
        }
    }

    fn return_reader(&self, conn: Connection) {
        if let Ok(mut pool) = self.readers.lock()
            && pool.len() < READERS
        {
            pool.push(conn);
        }
    }
}

fn open_error(path: &Path, what: impl std::fmt::Display) -> StoreError {
    StoreError::Open(format!("{}: {what}", path.display()))
}

/// Opens the write connection, checking the file before anything changes it.
fn open_checked(path: &Path) -> Result<Connection, StoreError> {
    let exists = path.exists();
    if exists {
        if !path.is_file() {
            return Err(open_error(
                path,
                "is not a file: give the path of a database file",
            ));
        }
        let mut header = [0u8; 16];
        let len = std::fs::metadata(path)
            .map_err(|e| open_error(path, e))?
            .len();
        if len > 0 {
            use std::io::Read;
            let mut f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
            if f.read_exact(&mut header).is_err() || &header != b"SQLite format 3\0" {
                return Err(open_error(
                    path,
                    "is not a Créneau database (not an SQLite file): point the store at another file",
                ));
            }
        }
    } else if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            open_error(
                path,
                format!("cannot create directory {}: {e}", dir.display()),
            )
        })?;
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(|e| open_error(path, e))?;
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| open_error(path, format!("cannot read: {e}")))?;
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
        return Err(open_error(
            path,
            "is an SQLite database of another program, not a Créneau database: point the store at another file",
        ));
    }
    if version > SCHEMA_VERSION {
        return Err(open_error(
            path,
            format!(
                "schema version {version} is newer than this créneau knows ({SCHEMA_VERSION}): run a newer créneau"
            ),
        ));
    }
    // Durable on acknowledgement: FULL syncs the WAL at every commit.
    // secure_delete overwrites deleted rows, so an erased data key is gone.
    // Checkpoints run on their own thread, not inside the writer's commits.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON; PRAGMA wal_autocheckpoint = 0;",
    )
    .map_err(|e| open_error(path, e))?;
    migrate(&conn, version).map_err(|e| open_error(path, format!("cannot migrate: {e}")))?;
    Ok(conn)
}

fn migrate(conn: &Connection, from: i32) -> Result<(), rusqlite::Error> {
    if from >= SCHEMA_VERSION {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let result = (|| {
        for (i, sql) in MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(from).unwrap_or(0))
        {
            conn.execute_batch(sql)?;
            conn.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
        }
        conn.execute_batch(&format!("PRAGMA application_id = {APPLICATION_ID}"))
    })();
    match result {
        Ok(()) => conn.execute_batch("COMMIT"),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(e)
        }
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA query_only = ON; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;",
    )?;
    // One statement per filter shape and limit.
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn head_of(conn: &Connection) -> Result<u64, StoreError> {
    let head: i64 = conn.query_row("SELECT coalesce(max(position), 0) FROM events", [], |r| {
        r.get(0)
    })?;
    Ok(u64::try_from(head).unwrap_or(0))
}

fn writer_loop(
    mut conn: Connection,
    rx: mpsc::Receiver<Job>,
    wake: watch::Sender<u64>,
    checkpoint: mpsc::SyncSender<()>,
) {
    // How many requests the last group carried: the concurrency to expect.
    let mut expected = 1usize;
    conn.wal_hook(Some(note_wal_frames));
    while let Ok(first) = rx.recv() {
        let jobs = gather(first, &rx, expected);
        expected = jobs.len();
        run_group(&mut conn, jobs, &wake);
        if WAL_FRAMES.get() >= CHECKPOINT_FRAMES {
            // Ask for a checkpoint; if one is already asked for, fine.
            let _ = checkpoint.try_send(());
        }
    }
    drop(checkpoint);
    // Every handle is gone: fold the WAL back into the database file.
    let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
}

thread_local! {
    /// Frames in the WAL after the writer's last commit (set by the hook).
    static WAL_FRAMES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

fn note_wal_frames(_: &rusqlite::hooks::Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(u64::try_from(frames).unwrap_or(0));
    Ok(())
}

/// Copies the WAL into the database file when the writer asks, beside the
/// writer (a PASSIVE checkpoint never blocks it). The writer then starts the
/// WAL over at its next commit.
fn checkpoint_loop(conn: Connection, asked: mpsc::Receiver<()>) {
    while asked.recv().is_ok() {
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "sqlite checkpoint failed");
        }
    }
}

/// Takes what is queued behind `first`. When the last group showed that
/// several writers are at work, waits up to `GATHER_WINDOW` for about as
/// many requests, so that one fsync serves them all; a lone writer never
/// waits.
fn gather(first: Job, rx: &mpsc::Receiver<Job>, expected: usize) -> Vec<Job> {
    let mut jobs = vec![first];
    let want = crate::model::gather_target(expected, MAX_GROUP);
    let deadline = std::time::Instant::now() + crate::model::GATHER_WINDOW;
    while jobs.len() < MAX_GROUP {
        match rx.try_recv() {
            Ok(job) => jobs.push(job),
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {
                let now = std::time::Instant::now();
                if jobs.len() >= want || now >= deadline {
                    break;
                }
                match rx.recv_timeout(deadline - now) {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
        }
    }
    jobs
}

enum Outcome {
    Append(
        oneshot::Sender<Result<AppendResult, AppendError>>,
        Result<AppendResult, AppendError>,
    ),
    Exec(oneshot::Sender<ExecResult>, ExecResult),
}

/// One group commit: every job in its own savepoint, one transaction.
fn run_group(conn: &mut Connection, jobs: Vec<Job>, wake: &watch::Sender<u64>) {
    GROUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    GROUPED.fetch_add(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let mut outcomes = Vec::with_capacity(jobs.len());
    let committed = (|| -> Result<u64, rusqlite::Error> {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in jobs {
            match job {
                Job::Append {
                    request,
                    also,
                    keys,
                    reply,
                } if also.is_empty() && keys.is_empty() => {
                    // No savepoint: append_in writes nothing until the append
                    // is judged acceptable, and deletes its own rows if an
                    // insert fails half-way.
                    let result = append_in(&tx, &request);
                    outcomes.push(Outcome::Append(reply, result));
                }
                Job::Append {
                    request,
                    also,
                    keys,
                    reply,
                } => {
                    // Several streams and keys: all or nothing.
                    let mut sp = tx.savepoint()?;
                    let result = append_together(&sp, &request, &also, &keys);
                    if result.is_ok() {
                        sp.commit()?;
                    } else {
                        sp.rollback()?;
                    }
                    outcomes.push(Outcome::Append(reply, result));
                }
                Job::Exec { work, reply } => {
                    let mut sp = tx.savepoint()?;
                    let result = work(&sp);
                    if result.is_ok() {
                        sp.commit()?;
                    } else {
                        sp.rollback()?;
                    }
                    outcomes.push(Outcome::Exec(reply, result));
                }
            }
        }
        let head = fold_stream_index(&tx)?;
        tx.commit()?;
        Ok(head)
    })();
    // Every request of a group that failed to commit gets that failure.
    let failure = match committed {
        Ok(head) => {
            wake.send_replace(head);
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "sqlite group commit failed");
            Some(format!("commit failed: {e}"))
        }
    };
    let failed = |f: &String| StoreError::Backend(f.clone());
    for outcome in outcomes {
        match (outcome, &failure) {
            (Outcome::Append(reply, result), None) => drop(reply.send(result)),
            (Outcome::Append(reply, _), Some(f)) => {
                drop(reply.send(Err(AppendError::Store(failed(f)))))
            }
            (Outcome::Exec(reply, result), None) => drop(reply.send(result)),
            (Outcome::Exec(reply, _), Some(f)) => drop(reply.send(Err(failed(f)))),
        }
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// `also`, then `request`, then the keys, in one savepoint the caller
/// rolls back on an error.
fn append_together(
    conn: &Connection,
    request: &AppendRequest,
    also: &[AppendRequest],
    keys: &[NewKey],
) -> Result<AppendResult, AppendError> {
    for a in also {
        append_in(conn, a)?;
    }
    let result = append_in(conn, request)?;
    let mut insert = conn.prepare_cached(INSERT_KEY)?;
    for key in keys {
        insert.execute(params![
            key.owner.as_bytes().as_slice(),
            key.wrapped,
            crate::clock::bookkeeping_now().timestamp_micros()
        ])?;
    }
    Ok(result)
}

const INSERT_KEY: &str = "INSERT INTO data_keys (owner, wrapped, created_at) VALUES (?1, ?2, ?3) \
     ON CONFLICT (owner) DO NOTHING";

fn append_in(conn: &Connection, request: &AppendRequest) -> Result<AppendResult, AppendError> {
    let stream = request.stream.as_str();
    let current: Option<u64> = conn
        .prepare_cached("SELECT version FROM streams WHERE stream = ?1")?
        .query_row([stream], |r| r.get::<_, i64>(0))
        .optional()
        .map_err(StoreError::from)?
        .map(to_u64);
    if !request.expected.admits(current) {
        // A retry of an append that went through also lands here, since the
        // stream moved on: tell the two apart by the event ids.
        return match previous_append(conn, request)? {
            Some(existing) => judge_retry(request, &existing),
            None => Err(AppendError::WrongExpectedVersion {
                stream: stream.to_owned(),
                expected: request.expected,
                actual: current,
            }),
        };
    }
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (stream, category, version, event_type, event_id, payload, actor, \
         correlation_id, causation_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut version = current;
    let mut first_position: Option<Position> = None;
    let mut last_position = None;
    for event in &request.events {
        let next = version.map_or(0, |v| v + 1);
        let payload = std::str::from_utf8(&event.payload)
            .map_err(|_| StoreError::InvalidInput("payload is not UTF-8 JSON".into()))?;
        let inserted = insert.execute(params![
            stream,
            request.stream.category(),
            to_i64(next),
            event.event_type,
            event.event_id.as_bytes().as_slice(),
            payload,
            event.metadata.actor.to_stored(),
            event.metadata.correlation_id.as_bytes().as_slice(),
            event
                .metadata
                .causation_id
                .as_ref()
                .map(|c| c.as_bytes().as_slice()),
            event.metadata.recorded_at.timestamp_micros(),
        ]);
        if let Err(e) = inserted {
            // Undo the rows this append wrote before the failure.
            if let Some(first) = first_position {
                conn.prepare_cached("DELETE FROM events WHERE position >= ?1")?
                    .execute([to_i64(first.0)])?;
            }
            if !is_unique_violation(&e) {
                return Err(StoreError::from(e).into());
            }
            // An event id is already in the log: a retry, or a mistake.
            return match previous_append(conn, request)? {
                Some(existing) => judge_retry(request, &existing),
                None => Err(AppendError::DuplicateEventIds {
                    stream: stream.to_owned(),
                }),
            };
        }
        let position = Position(to_u64(conn.last_insert_rowid()));
        first_position.get_or_insert(position);
        last_position = Some(position);
        version = Some(next);
    }
    if let Some(v) = version {
        conn.prepare_cached(
            "INSERT INTO streams (stream, version) VALUES (?1, ?2) \
             ON CONFLICT (stream) DO UPDATE SET version = excluded.version",
        )?
        .execute(params![stream, to_i64(v)])?;
    }
    Ok(AppendResult {
        next_expected: version,
        first_position,
        last_position,
    })
}

/// Where the request's events already are, if its first event id is in the
/// log (`None` entries for ids that are not).
fn previous_append(
    conn: &Connection,
    request: &AppendRequest,
) -> Result<Option<Vec<Option<ExistingEvent>>>, StoreError> {
    let Some(first) = request.events.first() else {
        return Ok(None);
    };
    let mut find =
        conn.prepare_cached("SELECT stream, version, position FROM events WHERE event_id = ?1")?;
    let mut lookup = |id: &Uuid| {
        find.query_row([id.as_bytes().as_slice()], |r| {
            Ok(ExistingEvent {
                stream: r.get(0)?,
                version: to_u64(r.get(1)?),
                position: to_u64(r.get(2)?),
            })
        })
        .optional()
    };
    if lookup(&first.event_id)?.is_none() {
        // Ids further on that exist make this a mistake, caught on insert.
        return Ok(request.events[1..]
            .iter()
            .any(|e| matches!(lookup(&e.event_id), Ok(Some(_))))
            .then(Vec::new));
    }
    Ok(Some(
        request
            .events
            .iter()
            .map(|e| lookup(&e.event_id))
            .collect::<Result<Vec<_>, _>>()?,
    ))
}

/// Events the stream index may lag behind the log before a group commit
/// folds them in. Folding in batches writes each stream's index page once
/// per batch instead of once per commit: with many streams growing side by
/// side, that was most of what a commit wrote to the WAL. The price: a
/// stream read also scans this unfolded tail (see BENCHMARKS.md).
const FOLD_EVERY: i64 = 1024;

/// Moves the events after `index_state.indexed_upto` into `stream_index`,
/// once there are at least [`FOLD_EVERY`] of them. Returns the head
/// position, which the writer needs after commit anyway.
fn fold_stream_index(conn: &Connection) -> Result<u64, rusqlite::Error> {
    let upto: i64 = conn
        .prepare_cached("SELECT indexed_upto FROM index_state")?
        .query_row([], |r| r.get(0))?;
    let head: i64 = conn
        .prepare_cached("SELECT coalesce(max(position), 0) FROM events")?
        .query_row([], |r| r.get(0))?;
    if head - upto < FOLD_EVERY {
        return Ok(to_u64(head));
    }
    conn.prepare_cached(
        "INSERT INTO stream_index (stream, version, position) \
         SELECT stream, version, position FROM events WHERE position > ?1 AND position <= ?2 ORDER BY stream, version",
    )?
    .execute([upto, head])?;
    conn.prepare_cached("UPDATE index_state SET indexed_upto = ?1")?
        .execute([head])?;
    Ok(to_u64(head))
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation)
}

fn uuid_column(row: &rusqlite::Row<'_>, i: usize) -> Result<Option<Uuid>, StoreError> {
    match row.get_ref(i)?.as_blob_or_null()? {
        None => Ok(None),
        Some(b) => Uuid::from_slice(b).map(Some).map_err(|_| {
            StoreError::Corrupt(format!("column {i} holds {} bytes, not a UUID", b.len()))
        }),
    }
}

fn decode_row(row: &rusqlite::Row<'_>) -> Result<RecordedEvent, StoreError> {
    let missing = |what: &str| StoreError::Corrupt(format!("event without {what}"));
    Ok(RecordedEvent {
        position: Position(to_u64(row.get(0)?)),
        stream: row.get(1)?,
        version: to_u64(row.get(2)?),
        event_type: row.get(3)?,
        event_id: uuid_column(row, 4)?.ok_or_else(|| missing("event id"))?,
        payload: row.get_ref(5)?.as_bytes()?.to_vec(),
        metadata: Metadata {
            actor: Actor::from_stored(row.get_ref(6)?.as_str()?)?,
            correlation_id: uuid_column(row, 7)?.ok_or_else(|| missing("correlation id"))?,
            causation_id: uuid_column(row, 8)?,
            recorded_at: micros_to_time(row.get(9)?)?,
        },
    })
}

impl From<rusqlite::types::FromSqlError> for StoreError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        StoreError::Corrupt(format!("sqlite column: {e}"))
    }
}

/// The SQL of `read_all` for a filter shape and a limit; `?1` is the
/// position, then the categories and the types. The limit is written out,
/// not bound: SQLite plans `ORDER BY … LIMIT ?` with the value bound, so
/// a bound limit made it prepare the statement again at every call.
///
/// Several categories are read one arm each, in the order of the
/// `(category, position)` index and at most `max` rows an arm, then
/// merged: `category IN (…) ORDER BY position` put every later row of
/// those categories in a temporary B-tree at each call, so that a catch-up
/// from the first event sorted the rest of the log once per batch (most of
/// a start's time on a long log).
fn read_all_sql(filter: &Filter, max: usize) -> String {
    let limit = to_i64(max as u64);
    let categories = filter.categories.len();
    let types = if filter.event_types.is_empty() {
        String::new()
    } else {
        let first = 2 + categories;
        let marks: Vec<String> = (first..first + filter.event_types.len())
            .map(|i| format!("?{i}"))
            .collect();
        format!(" AND event_type IN ({})", marks.join(", "))
    };
    match categories {
        0 => format!("{SELECT_EVENT} WHERE position > ?1{types} ORDER BY position LIMIT {limit}"),
        1 => format!(
            "{SELECT_EVENT} WHERE category = ?2 AND position > ?1{types} ORDER BY position LIMIT {limit}"
        ),
        _ => {
            let arms: Vec<String> = (2..2 + categories)
                .map(|i| {
                    format!(
                        "SELECT position FROM (SELECT position FROM events WHERE category = ?{i} \
                         AND position > ?1{types} ORDER BY position LIMIT {limit})"
                    )
                })
                .collect();
            format!(
                "{SELECT_EVENT} WHERE position IN (SELECT position FROM ({}) ORDER BY position LIMIT {limit}) \
                 ORDER BY position",
                arms.join(" UNION ALL ")
            )
        }
    }
}

/// Stores a checkpoint through `conn`: call it from [`SqliteStore::write`]
/// so that it commits with the projection's own changes.
pub fn save_checkpoint(
    conn: &Connection,
    name: &str,
    position: Position,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO checkpoints (name, position, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
    )?
    .execute(params![name, to_i64(position.0), crate::clock::bookkeeping_now().timestamp_micros()])?;
    Ok(())
}

/// Reads a checkpoint through `conn`.
pub fn load_checkpoint(conn: &Connection, name: &str) -> Result<Option<Position>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT position FROM checkpoints WHERE name = ?1")?
        .query_row([name], |r| r.get::<_, i64>(0))
        .optional()?
        .map(|p| Position(to_u64(p))))
}

#[async_trait]
impl EventStore for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn append_with(
        &self,
        request: AppendRequest,
        also: Vec<AppendRequest>,
        keys: Vec<NewKey>,
    ) -> Result<AppendResult, AppendError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .writer
            .send(Job::Append {
                request,
                also,
                keys,
                reply,
            })
            .map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    fn transactional(&self) -> bool {
        true
    }

    async fn read_stream(
        &self,
        stream: &StreamName,
        from_version: u64,
        max: usize,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let stream = stream.to_string();
        self.read(move |conn| {
            // The folded index, then the short tail not folded yet: the
            // two never overlap, and both are read in one snapshot.
            // The limit written out, as in `read_all_sql`.
            let max = to_i64(max as u64);
            let mut stmt = conn.prepare_cached(&format!(
                "{SELECT_EVENT} WHERE position IN (SELECT position FROM stream_index \
                 WHERE stream = ?1 AND version >= ?2 ORDER BY version LIMIT {max}) \
                 UNION ALL {SELECT_EVENT} WHERE position > (SELECT indexed_upto FROM index_state) \
                 AND stream = ?1 AND version >= ?2 ORDER BY version LIMIT {max}"
            ))?;
            let mut rows = stmt.query(params![stream, to_i64(from_version)])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(decode_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
        filter: &Filter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let filter = filter.clone();
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(&read_all_sql(&filter, max))?;
            let mut values: Vec<rusqlite::types::Value> = vec![to_i64(after.0).into()];
            values.extend(
                filter
                    .categories
                    .iter()
                    .chain(&filter.event_types)
                    .map(|s| s.clone().into()),
            );
            let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
            let mut out = Vec::with_capacity(max.min(10_000));
            while let Some(row) = rows.next()? {
                out.push(decode_row(row)?);
            }
            Ok(out)
        })
        .await
    }

    async fn head(&self) -> Result<Position, StoreError> {
        self.read(|conn| head_of(conn).map(Position)).await
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.inner.wake.subscribe()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| load_checkpoint(conn, &name)).await
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |conn| save_checkpoint(conn, &name, position))
            .await
    }

    async fn save_projection(
        &self,
        name: &str,
        version: u32,
        position: Position,
        state: Vec<u8>,
    ) -> Result<(), StoreError> {
        let name = name.to_owned();
        self.write(move |conn| {
            // Never over a fold of newer code, nor over one further on with
            // the same code (another process, or an older one still running).
            let stored = conn
                .prepare_cached(
                    "INSERT INTO projections (name, version, position, state, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (name) DO UPDATE SET \
                     version = excluded.version, position = excluded.position, \
                     state = excluded.state, updated_at = excluded.updated_at \
                     WHERE (excluded.version, excluded.position) >= (projections.version, projections.position)",
                )?
                .execute(params![
                    name,
                    version,
                    i64::try_from(position.0).unwrap_or(i64::MAX),
                    state,
                    crate::clock::bookkeeping_now().timestamp_micros()
                ])?;
            if stored == 0 {
                tracing::info!(projection = %name, version, %position, "a newer fold is stored already: this one is not");
                return Ok(());
            }
            save_checkpoint(conn, &name, position)
        })
        .await
    }

    async fn load_projection(
        &self,
        name: &str,
    ) -> Result<Option<crate::store::ProjectionState>, StoreError> {
        let name = name.to_owned();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT version, position, state FROM projections WHERE name = ?1")?
                .query_row([name], |r| {
                    Ok(crate::store::ProjectionState {
                        version: r.get(0)?,
                        position: Position(u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0)),
                        state: r.get(2)?,
                    })
                })
                .optional()?)
        })
        .await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| Ok(conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
            .await
            .map(drop)
    }

    fn keys(&self) -> &dyn KeyTable {
        self
    }
}

#[async_trait]
impl KeyTable for SqliteStore {
    async fn insert_key(&self, owner: Uuid, wrapped: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.write(move |conn| {
            conn.prepare_cached(INSERT_KEY)?.execute(params![
                owner.as_bytes().as_slice(),
                wrapped,
                crate::clock::bookkeeping_now().timestamp_micros()
            ])?;
            Ok(conn
                .prepare_cached("SELECT wrapped FROM data_keys WHERE owner = ?1")?
                .query_row([owner.as_bytes().as_slice()], |r| r.get(0))?)
        })
        .await
    }

    async fn fetch_key(&self, owner: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT wrapped FROM data_keys WHERE owner = ?1")?
                .query_row([owner.as_bytes().as_slice()], |r| r.get(0))
                .optional()?)
        })
        .await
    }

    async fn fetch_keys(&self, owners: &[Uuid]) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError> {
        /// Owners per statement: one statement whatever the count, the
        /// last chunk filled up with its last owner.
        const CHUNK: usize = 256;
        let owners = owners.to_vec();
        self.read(move |conn| {
            let marks: Vec<String> = (1..=CHUNK).map(|i| format!("?{i}")).collect();
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT owner, wrapped FROM data_keys WHERE owner IN ({})",
                marks.join(", ")
            ))?;
            let mut out = Vec::with_capacity(owners.len());
            for chunk in owners.chunks(CHUNK) {
                let Some(last) = chunk.last() else { continue };
                let values = (0..CHUNK).map(|i| chunk.get(i).unwrap_or(last).as_bytes().to_vec());
                let mut rows = stmt.query(rusqlite::params_from_iter(values))?;
                while let Some(row) = rows.next()? {
                    let owner: Vec<u8> = row.get(0)?;
                    let owner = Uuid::from_slice(&owner).map_err(|_| {
                        StoreError::Corrupt("a data key's owner is not a UUID".into())
                    })?;
                    out.push((owner, row.get(1)?));
                }
            }
            Ok(out)
        })
        .await
    }

    async fn delete_key(&self, owner: Uuid) -> Result<bool, StoreError> {
        let deleted = self
            .write(move |conn| {
                Ok(conn
                    .prepare_cached("DELETE FROM data_keys WHERE owner = ?1")?
                    .execute([owner.as_bytes().as_slice()])?
                    > 0)
            })
            .await?;
        if deleted {
            // The deleted key still sits in the WAL until a checkpoint
            // copies the zeroed page over it: fold the WAL in now.
            self.write(|conn| {
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                    .or_else(|e| match e {
                        rusqlite::Error::SqliteFailure(..) => Ok(()),
                        other => Err(other),
                    })?;
                Ok(())
            })
            .await?;
        }
        Ok(deleted)
    }
}

/// Raw baseline for the benchmark: the same rows INSERTed in batches into a
/// bare table of a fresh file, then read back. Returns (inserts/s, rows/s).
pub fn raw_baseline(
    path: &Path,
    rows: &[NewEvent],
    batch: usize,
) -> Result<(f64, f64), StoreError> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
         CREATE TABLE bare (position INTEGER PRIMARY KEY, stream TEXT, event_type TEXT, event_id BLOB, payload TEXT, actor TEXT, recorded_at INTEGER);",
    )?;
    let started = std::time::Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO bare (stream, event_type, event_id, payload, actor, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, e) in chunk.iter().enumerate() {
                stmt.execute(params![
                    format!("bench-{}", i % 1000),
                    e.event_type,
                    e.event_id.as_bytes().as_slice(),
                    std::str::from_utf8(&e.payload).unwrap_or("{}"),
                    e.metadata.actor.to_stored(),
                    e.metadata.recorded_at.timestamp_micros()
                ])?;
            }
        }
        tx.commit()?;
    }
    let insert_rate = rows.len() as f64 / started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut stmt = conn.prepare("SELECT position, stream, event_type, event_id, payload, actor, recorded_at FROM bare ORDER BY position")?;
    let mut n = 0usize;
    let mut q = stmt.query([])?;
    while let Some(row) = q.next()? {
        let _: (i64, String, String) = (row.get(0)?, row.get(1)?, row.get(2)?);
        let _ = row.get_ref(4)?.as_bytes()?.to_vec();
        n += 1;
    }
    let read_rate = n as f64 / started.elapsed().as_secs_f64();
    Ok((insert_rate, read_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A statement SQLite must prepare again at each call costs more than
    /// the rows it reads: the reads' statements are planned once.
    #[test]
    fn the_reads_are_prepared_once_whatever_is_bound() {
        let dir = std::env::temp_dir().join(format!("creneau-sqlite-{}", Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("log.db");
        drop(SqliteStore::open(&path).expect("schema"));
        let conn = open_reader(&path).expect("reader");
        let filter = Filter::categories(["booking", "site"]);
        let mut stmt = conn
            .prepare_cached(&read_all_sql(&filter, 1000))
            .expect("prepare");
        for after in [0i64, 10, 20] {
            let rows = stmt
                .query(params![after, "booking", "site"])
                .expect("query")
                .mapped(|r| r.get::<_, i64>(0))
                .count();
            assert_eq!(rows, 0);
        }
        assert_eq!(
            stmt.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "prepared again at a call"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

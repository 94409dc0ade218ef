//! The PostgreSQL backend, for several processes or machines on one log.
//!
//! Tables live in the `creneau` schema. Positions are assigned under the lock
//! of the single row of `creneau.head`, held until commit: a transaction can
//! only take positions once the one before it is committed and visible, so a
//! reader that sees position `p` will never later see a new event below `p`
//! (the sequence-gap problem of a plain `bigserial`). A rolled-back
//! transaction rolls its positions back too, so the log has no holes.
//!
//! Within one process, a writer task gathers concurrent appends and commits
//! them together in one transaction under that lock (group commit), so the
//! serialisation costs one round of the lock per group, not per append.
//! Commits `NOTIFY creneau_events`; one listening connection per process
//! wakes the subscriptions.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use deadpool_postgres::{GenericClient, Pool, Runtime};
use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio_postgres::NoTls;
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};
use uuid::Uuid;

use crate::error::{AppendError, StoreError};
use crate::model::{
    Actor, AppendRequest, AppendResult, ExistingEvent, Filter, Metadata, NewEvent, NewKey,
    Position, RecordedEvent, StreamName, judge_retry, truncate_to_micros,
};
use crate::store::{EventStore, KeyTable, Tallies, TallyKey, raise_wake};

/// The schema this binary writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS.len() as i32;
const MAX_GROUP: usize = 1024;
const CHANNEL: &str = "creneau_events";
/// Any constant: the advisory lock that serialises migrations.
const MIGRATION_LOCK: i64 = 0x4352_4E55;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE creneau.events (
    position       bigint      PRIMARY KEY,
    stream         text        NOT NULL,
    category       text        NOT NULL,
    version        bigint      NOT NULL,
    event_type     text        NOT NULL,
    event_id       uuid        NOT NULL UNIQUE,
    payload        jsonb       NOT NULL,
    actor          text        NOT NULL,
    correlation_id uuid        NOT NULL,
    causation_id   uuid,
    recorded_at    timestamptz NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX events_category_position ON creneau.events (category, position);
CREATE TABLE creneau.head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    position bigint  NOT NULL
);
INSERT INTO creneau.head (position) VALUES (0);
CREATE TABLE creneau.checkpoints (
    name       text        PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE creneau.data_keys (
    owner      uuid        PRIMARY KEY,
    wrapped    bytea       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
"#,
    r#"
CREATE TABLE creneau.projections (
    name       text        PRIMARY KEY,
    version    integer     NOT NULL,
    position   bigint      NOT NULL,
    state      bytea       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
"#,
    r#"
CREATE TABLE creneau.tallies (
    key     bytea       PRIMARY KEY,
    owner   bytea,
    n       integer     NOT NULL,
    until   timestamptz,
    expires timestamptz NOT NULL
);
CREATE INDEX tallies_owner ON creneau.tallies (owner) WHERE owner IS NOT NULL;
CREATE INDEX tallies_expires ON creneau.tallies (expires);
-- Statistics a log that grows fast (an import, a bench) keeps up to date:
-- with the default (10 % of the table), the planner long took a million
-- events for a thousand and sorted every later event at each catch-up
-- batch.
ALTER TABLE creneau.events SET (autovacuum_analyze_scale_factor = 0.01);
"#,
];

const SELECT_EVENT: &str = "SELECT position, stream, version, event_type, event_id, payload, actor, \
     correlation_id, causation_id, recorded_at FROM creneau.events";

/// JSON bytes sent as `json`/`jsonb` without parsing them again.
#[derive(Debug)]
struct JsonRef<'a>(&'a [u8]);

impl ToSql for JsonRef<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.put_slice(self.0);
        Ok(IsNull::No)
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }
    to_sql_checked!();
}

/// JSON bytes read from `json`/`jsonb` as they are.
struct JsonBytes(Vec<u8>);

impl<'a> FromSql<'a> for JsonBytes {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            match raw.split_first() {
                Some((1, rest)) => Ok(JsonBytes(rest.to_vec())),
                _ => Err("unsupported jsonb version".into()),
            }
        } else {
            Ok(JsonBytes(raw.to_vec()))
        }
    }
    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }
}

struct Job {
    request: AppendRequest,
    /// Appends and keys written in the same transaction (see
    /// `EventStore::append_with`).
    also: Vec<AppendRequest>,
    keys: Vec<NewKey>,
    reply: oneshot::Sender<Result<AppendResult, AppendError>>,
}

/// The PostgreSQL event store. Cheap to clone.
#[derive(Clone)]
pub struct PostgresStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    writer: mpsc::UnboundedSender<Job>,
    wake: watch::Sender<u64>,
    /// Writes to `creneau.tallies` by this process (see [`PgTallies`]).
    tally_writes: Arc<std::sync::atomic::AtomicU64>,
}

fn open_error(what: impl std::fmt::Display) -> StoreError {
    StoreError::Open(format!("postgres: {what}"))
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/database`), creates or
    /// migrates the schema, and starts the writer and the listener.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let mut pg_config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| open_error(format!("{}: bad URL: {e}", redact(url))))?;
        // Statements are prepared once per connection; a generic plan made
        // while the table was small (a sequential scan) would stay as it
        // grows. Plan each execution for its parameters and the table's
        // current size instead: planning costs far less than a wrong plan.
        let options = pg_config
            .get_options()
            .map(str::to_owned)
            .unwrap_or_default();
        pg_config.options(format!("{options} -c plan_cache_mode=force_custom_plan").trim_start());
        let manager = deadpool_postgres::Manager::from_config(
            pg_config.clone(),
            NoTls,
            deadpool_postgres::ManagerConfig {
                recycling_method: deadpool_postgres::RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(open_error)?;
        let client = pool.get().await.map_err(|e| {
            open_error(format!(
                "cannot connect to {}: {e}: is the server running?",
                redact(url)
            ))
        })?;
        migrate(&client).await?;
        let head: i64 = client
            .query_one("SELECT position FROM creneau.head", &[])
            .await?
            .get(0);
        drop(client);
        let (wake, _) = watch::channel(u64::try_from(head).unwrap_or(0));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer_loop(pool.clone(), rx, wake.clone()));
        tokio::spawn(listen_loop(pg_config, wake.clone(), tx.downgrade()));
        Ok(PostgresStore {
            inner: Arc::new(Inner {
                pool,
                writer: tx,
                wake,
                tally_writes: Arc::default(),
            }),
        })
    }

    /// A pooled client, for projections that keep their tables in this
    /// database and commit them with [`save_checkpoint`] in one transaction.
    pub async fn client(&self) -> Result<deadpool_postgres::Object, StoreError> {
        Ok(self.inner.pool.get().await?)
    }
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

async fn migrate(client: &deadpool_postgres::Object) -> Result<(), StoreError> {
    let fail =
        |e: tokio_postgres::Error| open_error(format!("cannot migrate: {}", StoreError::from(e)));
    client
        .batch_execute("CREATE SCHEMA IF NOT EXISTS creneau; CREATE TABLE IF NOT EXISTS creneau.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        .await
        .or_else(|e| match e.code() {
            // Two processes creating the schema at once: the other won.
            Some(c) if *c == tokio_postgres::error::SqlState::UNIQUE_VIOLATION => Ok(()),
            _ => Err(e),
        })
        .map_err(fail)?;
    client.batch_execute("BEGIN").await.map_err(fail)?;
    let result: Result<(), StoreError> = async {
        client
            .execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(fail)?;
        let current: i32 = client
            .query_one("SELECT coalesce(max(version), 0) FROM creneau.schema_version", &[])
            .await
            .map_err(fail)?
            .get(0);
        if current > SCHEMA_VERSION {
            return Err(open_error(format!(
                "schema version {current} is newer than this créneau knows ({SCHEMA_VERSION}): run a newer créneau"
            )));
        }
        if current == 0 {
            let foreign: bool = client
                .query_one("SELECT to_regclass('creneau.events') IS NOT NULL", &[])
                .await
                .map_err(fail)?
                .get(0);
            if foreign {
                return Err(open_error(
                    "schema creneau holds tables of something else, not a Créneau store: use another database",
                ));
            }
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(current).unwrap_or(0)) {
            client.batch_execute(sql).await.map_err(fail)?;
            let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
            client
                .execute("INSERT INTO creneau.schema_version (version) VALUES ($1)", &[&version])
                .await
                .map_err(fail)?;
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => client.batch_execute("COMMIT").await.map_err(fail),
        Err(e) => {
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Group commits done and requests they carried, by every PostgreSQL store
/// of the process: their ratio is the mean group size.
static GROUPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static GROUPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// (group commits, requests in them) since the process started.
pub fn group_commit_counts() -> (u64, u64) {
    use std::sync::atomic::Ordering::Relaxed;
    (GROUPS.load(Relaxed), GROUPED.load(Relaxed))
}

async fn writer_loop(pool: Pool, mut rx: mpsc::UnboundedReceiver<Job>, wake: watch::Sender<u64>) {
    let mut jobs = Vec::new();
    // How many requests the last group carried: the concurrency to expect.
    let mut expected = 1usize;
    while rx.recv_many(&mut jobs, MAX_GROUP).await > 0 {
        // When several writers are at work, wait a moment for about as many
        // requests as last time, so one commit serves them; a lone writer
        // never waits.
        let want = crate::model::gather_target(expected, MAX_GROUP);
        let deadline = tokio::time::Instant::now() + crate::model::GATHER_WINDOW;
        while jobs.len() < want {
            let room = MAX_GROUP - jobs.len();
            match tokio::time::timeout_at(deadline, rx.recv_many(&mut jobs, room)).await {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
        let group = std::mem::take(&mut jobs);
        expected = group.len();
        GROUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        GROUPED.fetch_add(group.len() as u64, std::sync::atomic::Ordering::Relaxed);
        if let Err((group, e)) = settle(&pool, group, &wake).await {
            if group.len() > 1 {
                // Something failed for the group as a whole: try each alone,
                // so one bad append cannot fail the others.
                tracing::warn!(error = %e, size = group.len(), "postgres group commit failed, retrying one by one");
                for job in group {
                    if let Err((alone, e)) = settle(&pool, vec![job], &wake).await {
                        fail(alone, &e);
                    }
                }
            } else {
                fail(group, &e);
            }
        }
    }
}

/// Commits the group and answers each request, or gives the group back
/// with the error that failed it as a whole.
async fn settle(
    pool: &Pool,
    group: Vec<Job>,
    wake: &watch::Sender<u64>,
) -> Result<(), (Vec<Job>, StoreError)> {
    match commit_group(pool, &group).await {
        Ok((results, head)) => {
            raise_wake(wake, head);
            for (job, result) in group.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
            Ok(())
        }
        Err(e) => Err((group, e)),
    }
}

fn fail(group: Vec<Job>, e: &StoreError) {
    for job in group {
        let _ = job.reply.send(Err(AppendError::Store(e.clone())));
    }
}

/// Rows of one group, column by column, for one `INSERT … SELECT unnest(…)`.
#[derive(Default)]
struct Columns<'a> {
    position: Vec<i64>,
    stream: Vec<&'a str>,
    category: Vec<&'a str>,
    version: Vec<i64>,
    event_type: Vec<&'a str>,
    event_id: Vec<Uuid>,
    payload: Vec<JsonRef<'a>>,
    actor: Vec<String>,
    correlation_id: Vec<Uuid>,
    causation_id: Vec<Option<Uuid>>,
    recorded_at: Vec<chrono::DateTime<chrono::Utc>>,
}

type GroupResult = (Vec<Result<AppendResult, AppendError>>, u64);

async fn commit_group(pool: &Pool, group: &[Job]) -> Result<GroupResult, StoreError> {
    let mut client = pool.get().await?;
    let result = commit_group_on(&mut client, group).await;
    if result.is_err() {
        // The pipeline may have left a transaction open or the connection
        // broken: never hand this connection out again.
        drop(deadpool_postgres::Object::take(client));
    }
    result
}

async fn commit_group_on<'a>(
    client: &mut deadpool_postgres::Object,
    group: &'a [Job],
) -> Result<GroupResult, StoreError> {
    let lock_head = client
        .prepare_cached("SELECT position FROM creneau.head FOR UPDATE")
        .await?;
    let find_ids = client
        .prepare_cached("SELECT event_id, stream, version, position FROM creneau.events WHERE event_id = ANY($1)")
        .await?;
    let find_versions = client
        .prepare_cached("SELECT s, (SELECT max(version) FROM creneau.events WHERE stream = s) FROM unnest($1::text[]) AS s")
        .await?;
    let insert = client
        .prepare_cached(
            "INSERT INTO creneau.events (position, stream, category, version, event_type, event_id, payload, actor, correlation_id, causation_id, recorded_at) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::uuid[], $7::jsonb[], $8::text[], $9::uuid[], $10::uuid[], $11::timestamptz[])",
        )
        .await?;
    let move_head = client
        .prepare_cached("UPDATE creneau.head SET position = $1")
        .await?;
    let notify = client.prepare_cached("SELECT pg_notify($1, $2)").await?;

    let ids: Vec<Uuid> = group
        .iter()
        .flat_map(Job::requests)
        .flat_map(|r| r.events.iter().map(|e| e.event_id))
        .collect();
    let streams: Vec<&str> = group
        .iter()
        .flat_map(Job::requests)
        .map(|r| r.stream.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    // Pipelined: the server runs them in order, so the lock on the head row
    // (which serialises writers until commit) is taken before the reads.
    let id_params: [&(dyn ToSql + Sync); 1] = [&ids];
    let stream_params: [&(dyn ToSql + Sync); 1] = [&streams];
    let ((), head_row, existing_rows, version_rows) = tokio::try_join!(
        client.batch_execute("BEGIN"),
        client.query_one(&lock_head, &[]),
        client.query(&find_ids, &id_params),
        client.query(&find_versions, &stream_params),
    )?;
    let head: i64 = head_row.get(0);
    let mut existing: HashMap<Uuid, ExistingEvent> = HashMap::with_capacity(existing_rows.len());
    for row in existing_rows {
        existing.insert(
            row.get(0),
            ExistingEvent {
                stream: row.get(1),
                version: u64::try_from(row.get::<_, i64>(2)).unwrap_or(0),
                position: u64::try_from(row.get::<_, i64>(3)).unwrap_or(0),
            },
        );
    }
    let mut versions: HashMap<String, Option<u64>> = version_rows
        .iter()
        .map(|r| {
            (
                r.get::<_, String>(0),
                r.get::<_, Option<i64>>(1)
                    .and_then(|v| u64::try_from(v).ok()),
            )
        })
        .collect();

    let mut columns = Columns::default();
    let mut next_position = head;
    let mut taken_ids: HashSet<Uuid> = HashSet::new();
    let mut results = Vec::with_capacity(group.len());
    let mut owners: Vec<Uuid> = Vec::new();
    let mut wrapped: Vec<&[u8]> = Vec::new();
    for job in group {
        if job.also.is_empty() && job.keys.is_empty() {
            results.push(decide(
                &job.request,
                &existing,
                &mut versions,
                &mut taken_ids,
                &mut next_position,
                &mut columns,
            ));
            continue;
        }
        // Several streams and keys: all or nothing. What the parts decided
        // is taken back if one is refused.
        let mark = (columns.position.len(), next_position);
        let before: Vec<(String, Option<Option<u64>>)> = job
            .requests()
            .map(|r| {
                let s = r.stream.as_str();
                (s.to_owned(), versions.get(s).copied())
            })
            .collect();
        let mut decide_one = |r: &'a AppendRequest| {
            decide(
                r,
                &existing,
                &mut versions,
                &mut taken_ids,
                &mut next_position,
                &mut columns,
            )
        };
        let result = job
            .also
            .iter()
            .try_for_each(|r| decide_one(r).map(drop))
            .and_then(|()| decide_one(&job.request));
        if result.is_ok() {
            for key in &job.keys {
                owners.push(key.owner);
                wrapped.push(&key.wrapped);
            }
        } else {
            for id in &columns.event_id[mark.0..] {
                taken_ids.remove(id);
            }
            columns.truncate(mark.0);
            next_position = mark.1;
            for (stream, version) in before {
                match version {
                    Some(v) => versions.insert(stream, v),
                    None => versions.remove(&stream),
                };
            }
        }
        results.push(result);
    }
    if !owners.is_empty() {
        let insert_keys = client
            .prepare_cached(
                "INSERT INTO creneau.data_keys (owner, wrapped) \
                 SELECT * FROM unnest($1::uuid[], $2::bytea[]) ON CONFLICT (owner) DO NOTHING",
            )
            .await?;
        client.execute(&insert_keys, &[&owners, &wrapped]).await?;
    }
    if next_position > head {
        let c = &columns;
        let position_text = next_position.to_string();
        let insert_params: [&(dyn ToSql + Sync); 11] = [
            &c.position,
            &c.stream,
            &c.category,
            &c.version,
            &c.event_type,
            &c.event_id,
            &c.payload,
            &c.actor,
            &c.correlation_id,
            &c.causation_id,
            &c.recorded_at,
        ];
        let head_params: [&(dyn ToSql + Sync); 1] = [&next_position];
        let notify_params: [&(dyn ToSql + Sync); 2] = [&CHANNEL, &position_text];
        // COMMIT in the same pipeline: if a statement before it fails, the
        // server turns the COMMIT into a ROLLBACK.
        tokio::try_join!(
            client.execute(&insert, &insert_params),
            client.execute(&move_head, &head_params),
            client.execute(&notify, &notify_params),
            client.batch_execute("COMMIT"),
        )?;
    } else {
        client.batch_execute("COMMIT").await?;
    }
    Ok((results, u64::try_from(next_position).unwrap_or(0)))
}

impl Job {
    /// Every append of the job: `also`, then its own.
    fn requests(&self) -> impl Iterator<Item = &AppendRequest> {
        self.also.iter().chain(std::iter::once(&self.request))
    }
}

impl Columns<'_> {
    /// Drops the rows from `len` on.
    fn truncate(&mut self, len: usize) {
        self.position.truncate(len);
        self.stream.truncate(len);
        self.category.truncate(len);
        self.version.truncate(len);
        self.event_type.truncate(len);
        self.event_id.truncate(len);
        self.payload.truncate(len);
        self.actor.truncate(len);
        self.correlation_id.truncate(len);
        self.causation_id.truncate(len);
        self.recorded_at.truncate(len);
    }
}

/// Decides one append of a group against the versions and ids seen so far,
/// and adds its rows to `columns` when it is accepted.
fn decide<'a>(
    request: &'a AppendRequest,
    existing: &HashMap<Uuid, ExistingEvent>,
    versions: &mut HashMap<String, Option<u64>>,
    taken_ids: &mut HashSet<Uuid>,
    next_position: &mut i64,
    columns: &mut Columns<'a>,
) -> Result<AppendResult, AppendError> {
    let stream = request.stream.as_str();
    if let Some(first) = request.events.first()
        && existing.contains_key(&first.event_id)
    {
        let found: Vec<Option<ExistingEvent>> = request
            .events
            .iter()
            .map(|e| existing.get(&e.event_id).cloned())
            .collect();
        return judge_retry(request, &found);
    }
    if request
        .events
        .iter()
        .any(|e| existing.contains_key(&e.event_id) || taken_ids.contains(&e.event_id))
        || request
            .events
            .iter()
            .map(|e| e.event_id)
            .collect::<HashSet<_>>()
            .len()
            != request.events.len()
    {
        return Err(AppendError::DuplicateEventIds {
            stream: stream.to_owned(),
        });
    }
    let current = versions.get(stream).copied().flatten();
    if !request.expected.admits(current) {
        return Err(AppendError::WrongExpectedVersion {
            stream: stream.to_owned(),
            expected: request.expected,
            actual: current,
        });
    }
    let mut version = current;
    let first_position = *next_position + 1;
    for event in &request.events {
        let v = version.map_or(0, |v| v + 1);
        *next_position += 1;
        taken_ids.insert(event.event_id);
        columns.position.push(*next_position);
        columns.stream.push(stream);
        columns.category.push(request.stream.category());
        columns.version.push(i64::try_from(v).unwrap_or(i64::MAX));
        columns.event_type.push(&event.event_type);
        columns.event_id.push(event.event_id);
        columns.payload.push(JsonRef(&event.payload));
        columns.actor.push(event.metadata.actor.to_stored());
        columns.correlation_id.push(event.metadata.correlation_id);
        columns.causation_id.push(event.metadata.causation_id);
        columns.recorded_at.push(event.metadata.recorded_at);
        version = Some(v);
    }
    versions.insert(stream.to_owned(), version);
    let written = !request.events.is_empty();
    let pos = |p: i64| Position(u64::try_from(p).unwrap_or(0));
    Ok(AppendResult {
        next_expected: version,
        first_position: written.then(|| pos(first_position)),
        last_position: written.then(|| pos(*next_position)),
    })
}

/// Keeps one connection listening for commits of any process, and wakes the
/// subscriptions. Reconnects when the connection drops; stops when the store
/// is gone.
async fn listen_loop(
    config: tokio_postgres::Config,
    wake: watch::Sender<u64>,
    alive: mpsc::WeakUnboundedSender<Job>,
) {
    let mut backoff = std::time::Duration::from_millis(100);
    while alive.upgrade().is_some() {
        match config.connect(NoTls).await {
            Ok((client, mut connection)) => {
                backoff = std::time::Duration::from_millis(100);
                let mut messages =
                    futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                let listen_sql = format!("LISTEN {CHANNEL}");
                let listen = client.batch_execute(&listen_sql);
                tokio::pin!(listen);
                let mut listening = false;
                loop {
                    tokio::select! {
                        done = &mut listen, if !listening => {
                            if let Err(e) = done {
                                tracing::warn!(error = %e, "postgres LISTEN failed");
                                break;
                            }
                            listening = true;
                            // Commits while we were away: wake everyone once.
                            wake.send_modify(|_| {});
                        }
                        message = messages.next() => match message {
                            Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                                if let Ok(p) = n.payload().parse::<u64>() {
                                    raise_wake(&wake, p);
                                }
                            }
                            Some(Ok(_)) => {}
                            Some(Err(e)) => {
                                tracing::warn!(error = %e, "postgres listener connection failed");
                                break;
                            }
                            None => break,
                        },
                        _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {
                            if alive.upgrade().is_none() {
                                return;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "postgres listener cannot connect");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
    }
}

fn decode_row(row: &tokio_postgres::Row) -> Result<RecordedEvent, StoreError> {
    let to_u64 =
        |v: i64| u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative number {v}")));
    Ok(RecordedEvent {
        position: Position(to_u64(row.try_get(0)?)?),
        stream: row.try_get(1)?,
        version: to_u64(row.try_get(2)?)?,
        event_type: row.try_get(3)?,
        event_id: row.try_get(4)?,
        payload: row.try_get::<_, JsonBytes>(5)?.0,
        metadata: Metadata {
            actor: Actor::from_stored(row.try_get(6)?)?,
            correlation_id: row.try_get(7)?,
            causation_id: row.try_get(8)?,
            recorded_at: truncate_to_micros(row.try_get(9)?),
        },
    })
}

/// Stores a checkpoint inside the caller's transaction, so that it commits
/// with the projection's own changes or not at all.
pub async fn save_checkpoint(
    client: &impl GenericClient,
    name: &str,
    position: Position,
) -> Result<(), StoreError> {
    let position = i64::try_from(position.0)
        .map_err(|_| StoreError::InvalidInput("position out of range".into()))?;
    client
        .execute(
            "INSERT INTO creneau.checkpoints (name, position) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = now()",
            &[&name, &position],
        )
        .await?;
    Ok(())
}

/// Reads a checkpoint through `client`.
pub async fn load_checkpoint(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<Position>, StoreError> {
    Ok(client
        .query_opt(
            "SELECT position FROM creneau.checkpoints WHERE name = $1",
            &[&name],
        )
        .await?
        .map(|r| Position(u64::try_from(r.get::<_, i64>(0)).unwrap_or(0))))
}

fn limit(max: usize) -> i64 {
    i64::try_from(max).unwrap_or(i64::MAX)
}

#[async_trait]
impl EventStore for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
            .send(Job {
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
        let client = self.inner.pool.get().await?;
        let stmt = client
            .prepare_cached(&format!(
                "{SELECT_EVENT} WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3"
            ))
            .await?;
        let from = i64::try_from(from_version).unwrap_or(i64::MAX);
        client
            .query(&stmt, &[&stream.as_str(), &from, &limit(max)])
            .await?
            .iter()
            .map(decode_row)
            .collect()
    }

    async fn read_all(
        &self,
        after: Position,
        max: usize,
        filter: &Filter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        let client = self.inner.pool.get().await?;
        let after = i64::try_from(after.0).unwrap_or(i64::MAX);
        let max = limit(max);
        let mut sql = format!("{SELECT_EVENT} WHERE position > $1");
        let mut params: Vec<&(dyn ToSql + Sync)> = vec![&after, &max];
        for (column, values) in [
            ("category", &filter.categories),
            ("event_type", &filter.event_types),
        ] {
            if !values.is_empty() {
                params.push(values);
                sql.push_str(&format!(" AND {column} = ANY(${})", params.len()));
            }
        }
        sql.push_str(" ORDER BY position LIMIT $2");
        let stmt = client.prepare_cached(&sql).await?;
        client
            .query(&stmt, &params)
            .await?
            .iter()
            .map(decode_row)
            .collect()
    }

    async fn head(&self) -> Result<Position, StoreError> {
        let client = self.inner.pool.get().await?;
        let head: i64 = client
            .query_one("SELECT position FROM creneau.head", &[])
            .await?
            .get(0);
        Ok(Position(u64::try_from(head).unwrap_or(0)))
    }

    fn wake(&self) -> watch::Receiver<u64> {
        self.inner.wake.subscribe()
    }

    async fn load_checkpoint(&self, name: &str) -> Result<Option<Position>, StoreError> {
        load_checkpoint(&self.inner.pool.get().await?, name).await
    }

    async fn save_projection(
        &self,
        name: &str,
        version: u32,
        position: Position,
        state: Vec<u8>,
    ) -> Result<(), StoreError> {
        let mut client = self.inner.pool.get().await?;
        let tx = client.transaction().await?;
        let at = i64::try_from(position.0)
            .map_err(|_| StoreError::InvalidInput("position out of range".into()))?;
        let version = i32::try_from(version)
            .map_err(|_| StoreError::InvalidInput("version out of range".into()))?;
        // Never over a fold of newer code, nor over one further on with the
        // same code (another process, or an older one still running).
        let stored = tx
            .execute(
                "INSERT INTO creneau.projections (name, version, position, state) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET version = excluded.version, position = excluded.position, \
                 state = excluded.state, updated_at = now() \
                 WHERE (excluded.version, excluded.position) >= (projections.version, projections.position)",
                &[&name, &version, &at, &state],
            )
            .await?;
        if stored == 0 {
            tracing::info!(projection = %name, version, %position, "a newer fold is stored already: this one is not");
            return Ok(());
        }
        save_checkpoint(&tx, name, position).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn load_projection(
        &self,
        name: &str,
    ) -> Result<Option<crate::store::ProjectionState>, StoreError> {
        let client = self.inner.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT version, position, state FROM creneau.projections WHERE name = $1",
                &[&name],
            )
            .await?
            .map(|r| crate::store::ProjectionState {
                version: u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                position: Position(u64::try_from(r.get::<_, i64>(1)).unwrap_or(0)),
                state: r.get(2),
            }))
    }

    async fn save_checkpoint(&self, name: &str, position: Position) -> Result<(), StoreError> {
        save_checkpoint(&self.inner.pool.get().await?, name, position).await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.inner
            .pool
            .get()
            .await?
            .execute("SELECT 1", &[])
            .await?;
        Ok(())
    }

    fn keys(&self) -> &dyn KeyTable {
        self
    }

    fn tallies(&self) -> Option<Arc<dyn Tallies>> {
        Some(Arc::new(PgTallies {
            pool: self.inner.pool.clone(),
            writes: Arc::clone(&self.inner.tally_writes),
        }))
    }
}

/// Rate limits, lockouts and claims in `creneau.tallies`, shared by every
/// process on the database and timed by the server's clock (`now()`, the
/// statement's transaction start).
struct PgTallies {
    pool: Pool,
    /// Writes by every limiter of the process: every [`SWEEP_EVERY`]th
    /// also deletes rows past their end, so the table holds what is live.
    writes: Arc<std::sync::atomic::AtomicU64>,
}

const SWEEP_EVERY: u64 = 4096;

fn seconds(d: std::time::Duration) -> f64 {
    d.as_secs_f64()
}

fn duration_of(seconds: f64) -> std::time::Duration {
    std::time::Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or_default()
}

impl PgTallies {
    async fn wrote(&self, client: &deadpool_postgres::Object) {
        let n = self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % SWEEP_EVERY == SWEEP_EVERY - 1
            && let Err(e) = client
                .execute("DELETE FROM creneau.tallies WHERE expires <= now()", &[])
                .await
        {
            tracing::warn!(error = %StoreError::from(e), "could not delete ended tallies");
        }
    }
}

#[async_trait]
impl Tallies for PgTallies {
    async fn hit(
        &self,
        key: &TallyKey,
        window: std::time::Duration,
        count: bool,
    ) -> Result<(u32, std::time::Duration), StoreError> {
        let client = self.pool.get().await?;
        let key = key.as_slice();
        let row = if count {
            let row = client
                .query_one(
                    "INSERT INTO creneau.tallies AS t (key, n, expires) \
                     VALUES ($1, 1, now() + make_interval(secs => $2)) \
                     ON CONFLICT (key) DO UPDATE SET \
                       n = CASE WHEN t.expires <= now() THEN 1 ELSE t.n + 1 END, \
                       expires = CASE WHEN t.expires <= now() \
                         THEN now() + make_interval(secs => $2) ELSE t.expires END \
                     RETURNING n, extract(epoch FROM expires - now())::float8",
                    &[&key, &seconds(window)],
                )
                .await?;
            self.wrote(&client).await;
            Some(row)
        } else {
            client
                .query_opt(
                    "SELECT n, extract(epoch FROM expires - now())::float8 \
                     FROM creneau.tallies WHERE key = $1 AND expires > now()",
                    &[&key],
                )
                .await?
        };
        Ok(row.map_or((0, std::time::Duration::ZERO), |r| {
            (
                u32::try_from(r.get::<_, i32>(0)).unwrap_or(0),
                duration_of(r.get(1)),
            )
        }))
    }

    async fn fail(
        &self,
        key: &TallyKey,
        owner: &TallyKey,
        max: u32,
        lock_for: std::time::Duration,
    ) -> Result<Option<std::time::Duration>, StoreError> {
        let client = self.pool.get().await?;
        let max = i32::try_from(max).unwrap_or(i32::MAX);
        // A row ends `lock_for` after its last failure or its lock, which
        // are the same instant: failures further apart start again at 1.
        let row = client
            .query_one(
                "INSERT INTO creneau.tallies AS t (key, owner, n, until, expires) \
                 VALUES ($1, $2, 1, CASE WHEN 1 >= $3 THEN now() + make_interval(secs => $4) END, \
                         now() + make_interval(secs => $4)) \
                 ON CONFLICT (key) DO UPDATE SET \
                   n = CASE WHEN t.expires <= now() THEN 1 ELSE t.n + 1 END, \
                   until = CASE WHEN (CASE WHEN t.expires <= now() THEN 1 ELSE t.n + 1 END) >= $3 \
                     THEN now() + make_interval(secs => $4) END, \
                   expires = now() + make_interval(secs => $4) \
                 RETURNING until IS NOT NULL",
                &[&key.as_slice(), &owner.as_slice(), &max, &seconds(lock_for)],
            )
            .await?;
        self.wrote(&client).await;
        Ok(row.get::<_, bool>(0).then_some(lock_for))
    }

    async fn locked(&self, key: &TallyKey) -> Result<Option<std::time::Duration>, StoreError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_opt(
                "SELECT extract(epoch FROM until - now())::float8 FROM creneau.tallies \
                 WHERE key = $1 AND until > now()",
                &[&key.as_slice()],
            )
            .await?
            .map(|r| duration_of(r.get(0))))
    }

    async fn claim(&self, key: &TallyKey, window: std::time::Duration) -> Result<bool, StoreError> {
        let client = self.pool.get().await?;
        let row = client
            .query_opt(
                "INSERT INTO creneau.tallies AS t (key, n, expires) \
                 VALUES ($1, 1, now() + make_interval(secs => $2)) \
                 ON CONFLICT (key) DO UPDATE SET n = 1, until = NULL, \
                   expires = now() + make_interval(secs => $2) \
                 WHERE t.expires <= now() \
                 RETURNING 1",
                &[&key.as_slice(), &seconds(window)],
            )
            .await?;
        self.wrote(&client).await;
        Ok(row.is_some())
    }

    async fn forget(&self, key: &TallyKey) -> Result<(), StoreError> {
        self.pool
            .get()
            .await?
            .execute(
                "DELETE FROM creneau.tallies WHERE key = $1",
                &[&key.as_slice()],
            )
            .await?;
        Ok(())
    }

    async fn forget_owner(&self, owner: &TallyKey) -> Result<(), StoreError> {
        self.pool
            .get()
            .await?
            .execute(
                "DELETE FROM creneau.tallies WHERE owner = $1",
                &[&owner.as_slice()],
            )
            .await?;
        Ok(())
    }
}

#[async_trait]
impl KeyTable for PostgresStore {
    async fn insert_key(&self, owner: Uuid, wrapped: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        let client = self.inner.pool.get().await?;
        client
            .execute(
                "INSERT INTO creneau.data_keys (owner, wrapped) VALUES ($1, $2) ON CONFLICT (owner) DO NOTHING",
                &[&owner, &wrapped],
            )
            .await?;
        Ok(client
            .query_one(
                "SELECT wrapped FROM creneau.data_keys WHERE owner = $1",
                &[&owner],
            )
            .await?
            .get(0))
    }

    async fn fetch_key(&self, owner: Uuid) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .inner
            .pool
            .get()
            .await?
            .query_opt(
                "SELECT wrapped FROM creneau.data_keys WHERE owner = $1",
                &[&owner],
            )
            .await?
            .map(|r| r.get(0)))
    }

    async fn fetch_keys(&self, owners: &[Uuid]) -> Result<Vec<(Uuid, Vec<u8>)>, StoreError> {
        Ok(self
            .inner
            .pool
            .get()
            .await?
            .query(
                "SELECT owner, wrapped FROM creneau.data_keys WHERE owner = ANY($1)",
                &[&owners],
            )
            .await?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect())
    }

    async fn delete_key(&self, owner: Uuid) -> Result<bool, StoreError> {
        let n = self
            .inner
            .pool
            .get()
            .await?
            .execute("DELETE FROM creneau.data_keys WHERE owner = $1", &[&owner])
            .await?;
        Ok(n > 0)
    }
}

/// Raw baseline for the benchmark: the same rows INSERTed in batches into a
/// bare table, then read back. Returns (inserts/s, rows/s).
pub async fn raw_baseline(
    store: &PostgresStore,
    rows: &[NewEvent],
    batch: usize,
) -> Result<(f64, f64), StoreError> {
    let client = store.client().await?;
    client
        .batch_execute("DROP TABLE IF EXISTS creneau.bench_bare; CREATE TABLE creneau.bench_bare (position bigserial PRIMARY KEY, stream text, event_type text, event_id uuid, payload jsonb, actor text, recorded_at timestamptz)")
        .await?;
    let started = std::time::Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let streams: Vec<String> = (0..chunk.len())
            .map(|i| format!("bench-{}", i % 1000))
            .collect();
        let types: Vec<&str> = chunk.iter().map(|e| e.event_type.as_str()).collect();
        let ids: Vec<Uuid> = chunk.iter().map(|e| e.event_id).collect();
        let payloads: Vec<JsonRef<'_>> = chunk.iter().map(|e| JsonRef(&e.payload)).collect();
        let actors: Vec<String> = chunk.iter().map(|e| e.metadata.actor.to_stored()).collect();
        let times: Vec<chrono::DateTime<chrono::Utc>> =
            chunk.iter().map(|e| e.metadata.recorded_at).collect();
        client
            .execute(
                "INSERT INTO creneau.bench_bare (stream, event_type, event_id, payload, actor, recorded_at) SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[], $4::jsonb[], $5::text[], $6::timestamptz[])",
                &[&streams, &types, &ids, &payloads, &actors, &times],
            )
            .await?;
    }
    let insert_rate = rows.len() as f64 / started.elapsed().as_secs_f64();
    let started = std::time::Instant::now();
    let mut n = 0usize;
    let mut after = 0i64;
    loop {
        let got = client
            .query(
                "SELECT position, stream, event_type, event_id, payload, actor, recorded_at FROM creneau.bench_bare WHERE position > $1 ORDER BY position LIMIT 10000",
                &[&after],
            )
            .await?;
        let Some(last) = got.last() else { break };
        after = last.get(0);
        for row in &got {
            let _: (String, String, JsonBytes) =
                (row.try_get(1)?, row.try_get(2)?, row.try_get(4)?);
        }
        n += got.len();
    }
    let read_rate = n as f64 / started.elapsed().as_secs_f64();
    client
        .batch_execute("DROP TABLE creneau.bench_bare")
        .await?;
    Ok((insert_rate, read_rate))
}

/// A throw-away database with a unique name, for tests and benchmarks.
/// Call [`ScratchDatabase::drop_database`] at the end; one left behind by a
/// crash is named `creneau_scratch_…` and safe to drop.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    /// URL of the new database.
    pub url: String,
}

impl ScratchDatabase {
    /// Creates it through `admin_url` (a URL to any database of the server,
    /// as a role that may create databases).
    pub async fn create(admin_url: &str) -> Result<Self, StoreError> {
        let name = format!("creneau_scratch_{}", Uuid::new_v4().simple());
        let admin = admin_connect(admin_url).await?;
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let mut config: tokio_postgres::Config = admin_url
            .parse()
            .map_err(|e| StoreError::InvalidInput(format!("bad postgres URL: {e}")))?;
        config.dbname(&name);
        let url = config_to_url(&config, &name);
        Ok(ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
            url,
        })
    }

    pub async fn drop_database(self) -> Result<(), StoreError> {
        let admin = admin_connect(&self.admin_url).await?;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .await?;
        Ok(())
    }
}

async fn admin_connect(url: &str) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| open_error(format!("cannot connect to {}: {e}", redact(url))))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// A URL for `config` pointing at database `dbname`.
fn config_to_url(config: &tokio_postgres::Config, dbname: &str) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    if host.starts_with('/') {
        format!("postgres://{user}{password}@/{dbname}?host={host}&port={port}")
    } else {
        format!("postgres://{user}{password}@{host}:{port}/{dbname}")
    }
}

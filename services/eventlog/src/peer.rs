//! The peers `creneau bench eventlog --peer messagedb` measures beside the
//! PostgreSQL backend, on the same server in the same run: Message DB (the
//! PostgreSQL event store of the Eventide project), installed from its own
//! SQL files into a scratch database, and PostgreSQL itself, one `INSERT`
//! per commit into a bare table, what no event store on it can beat.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tokio_postgres::NoTls;
use uuid::Uuid;

use crate::error::StoreError;
use crate::postgres::ScratchDatabase;

/// Message DB's SQL files, in the order its `install.sh` runs them. Left
/// out: the `message_store` role and its privileges (a role is for the
/// whole server, and the benchmark connects as the scratch database's
/// owner) and the summary views (reads only).
const INSTALL: &[&str] = &[
    "schema/message-store.sql",
    "extensions/pgcrypto.sql",
    "tables/messages.sql",
    "types/message.sql",
    "functions/message-store-version.sql",
    "functions/hash-64.sql",
    "functions/acquire-lock.sql",
    "functions/category.sql",
    "functions/is-category.sql",
    "functions/id.sql",
    "functions/cardinal-id.sql",
    "functions/stream-version.sql",
    "functions/write-message.sql",
    "functions/get-stream-messages.sql",
    "functions/get-category-messages.sql",
    "functions/get-last-stream-message.sql",
    "indexes/messages-id.sql",
    "indexes/messages-stream.sql",
    "indexes/messages-category.sql",
];

/// What the peers did, in events (rows) per second.
#[derive(Debug, Clone)]
pub struct PeerReport {
    /// Message DB's package release, and what its `VERSION.txt` says.
    pub message_db_version: String,
    /// `write_message` with the expected version, one writer.
    pub message_db_single: f64,
    /// The same, `writers` writers on their own streams of one category.
    pub message_db_concurrent: f64,
    /// A bare table, one `INSERT` per commit, one client.
    pub raw_single: f64,
    /// The same, `writers` clients.
    pub raw_concurrent: f64,
    pub writers: usize,
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, StoreError> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| StoreError::Backend(format!("peer benchmark: cannot connect: {e}")))?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// Installs Message DB from `sql_dir` (the `database` folder of its
/// package `release`) into a scratch database made through `admin_url`,
/// measures it and a bare table, and drops the database.
pub async fn run(
    admin_url: &str,
    release: &str,
    sql_dir: &Path,
    single: usize,
    concurrent: usize,
    writers: usize,
) -> Result<PeerReport, StoreError> {
    let says = std::fs::read_to_string(sql_dir.join("VERSION.txt"))
        .map_err(|e| StoreError::Backend(format!("Message DB's VERSION.txt: {e}")))?;
    let version = format!("{release}, its VERSION.txt says {}", says.trim());
    let db = ScratchDatabase::create(admin_url).await?;
    let result = measure(&db.url, sql_dir, version, single, concurrent, writers).await;
    db.drop_database().await?;
    result
}

async fn measure(
    url: &str,
    sql_dir: &Path,
    message_db_version: String,
    single: usize,
    concurrent: usize,
    writers: usize,
) -> Result<PeerReport, StoreError> {
    let setup = connect(url).await?;
    for file in INSTALL {
        let sql = std::fs::read_to_string(sql_dir.join(file))
            .map_err(|e| StoreError::Backend(format!("Message DB's {file}: {e}")))?;
        setup.batch_execute(&sql).await?;
    }
    setup
        .batch_execute(
            "CREATE TABLE bare (position bigserial PRIMARY KEY, stream text NOT NULL, \
             event_type text NOT NULL, event_id uuid NOT NULL, payload jsonb NOT NULL)",
        )
        .await?;
    let writers = writers.max(1);
    let per_writer = concurrent / writers;

    let message_db_single = rate(single, || {
        write_messages(url, "benchsingle-1".into(), single)
    })
    .await?;
    let message_db_concurrent = rate(per_writer * writers, || {
        side_by_side(writers, |w| {
            write_messages(url, format!("benchmany-{w}"), per_writer)
        })
    })
    .await?;
    let raw_single = rate(single, || insert_rows(url, single)).await?;
    let raw_concurrent = rate(per_writer * writers, || {
        side_by_side(writers, |_| insert_rows(url, per_writer))
    })
    .await?;
    Ok(PeerReport {
        message_db_version,
        message_db_single,
        message_db_concurrent,
        raw_single,
        raw_concurrent,
        writers,
    })
}

async fn rate<F, Fut>(n: usize, work: F) -> Result<f64, StoreError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>>,
{
    let started = Instant::now();
    work().await?;
    Ok(n as f64 / started.elapsed().as_secs_f64().max(1e-9))
}

/// Runs `writers` of `one` at once, each on its own connection.
async fn side_by_side<F, Fut>(writers: usize, one: F) -> Result<(), StoreError>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), StoreError>> + Send + 'static,
{
    let tasks: Vec<_> = (0..writers).map(|w| tokio::spawn(one(w))).collect();
    for t in tasks {
        t.await
            .map_err(|e| StoreError::Backend(format!("peer writer failed: {e}")))??;
    }
    Ok(())
}

/// `n` events written to `stream` by `write_message`, each at its
/// expected version, as a command handler would.
fn write_messages(
    url: &str,
    stream: String,
    n: usize,
) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
    let url = url.to_owned();
    async move {
        let client = Arc::new(connect(&url).await?);
        client
            .batch_execute("SET search_path TO message_store, public")
            .await?;
        let write = client
            .prepare(
                "SELECT message_store.write_message($1::varchar, $2::varchar, $3::varchar, \
                 $4::text::jsonb, $5::text::jsonb, $6::bigint)",
            )
            .await?;
        for i in 0..n {
            let id = Uuid::now_v7().to_string();
            let data = payload(i)?;
            let metadata = format!(
                r#"{{"correlationStreamName":"bench-{}","schemaVersion":"1"}}"#,
                Uuid::now_v7()
            );
            // -1: no stream yet.
            let expected = i64::try_from(i).unwrap_or(i64::MAX) - 1;
            client
                .query_one(
                    &write,
                    &[
                        &id,
                        &stream,
                        &"AppointmentBooked",
                        &data,
                        &metadata,
                        &expected,
                    ],
                )
                .await?;
        }
        Ok(())
    }
}

/// `n` rows into the bare table, one `INSERT` (one commit) each.
fn insert_rows(
    url: &str,
    n: usize,
) -> impl std::future::Future<Output = Result<(), StoreError>> + Send + 'static {
    let url = url.to_owned();
    async move {
        let client = connect(&url).await?;
        let insert = client
            .prepare(
                "INSERT INTO bare (stream, event_type, event_id, payload) \
                 VALUES ('benchmany-1', 'AppointmentBooked', $1, $2::text::jsonb)",
            )
            .await?;
        for i in 0..n {
            client
                .execute(&insert, &[&Uuid::now_v7(), &payload(i)?])
                .await?;
        }
        Ok(())
    }
}

fn payload(i: usize) -> Result<String, StoreError> {
    String::from_utf8(crate::bench::sample_payload(i))
        .map_err(|e| StoreError::Backend(e.to_string()))
}

impl std::fmt::Display for PeerReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "peers on the same server (Message DB {}, installed from its package)",
            self.message_db_version
        )?;
        writeln!(
            f,
            "  Message DB, 1 writer       {:>12.0} events/s",
            self.message_db_single
        )?;
        writeln!(
            f,
            "  Message DB, {:>2} writers     {:>12.0} events/s (one category)",
            self.writers, self.message_db_concurrent
        )?;
        writeln!(
            f,
            "  raw INSERT per commit, 1   {:>12.0} rows/s",
            self.raw_single
        )?;
        write!(
            f,
            "  raw INSERT per commit, {:>2} {:>12.0} rows/s",
            self.writers, self.raw_concurrent
        )
    }
}

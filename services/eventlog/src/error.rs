//! Typed errors of the event log.

use crate::model::ExpectedVersion;

/// A failure of the store itself, or input it refuses.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot be opened; the message says what to do.
    #[error("cannot open store: {0}")]
    Open(String),
    /// The input is not acceptable (bad name, not JSON…).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Something in the store does not read back as it should.
    #[error("store is corrupt: {0}")]
    Corrupt(String),
    /// The database answered with an error.
    #[error("store error: {0}")]
    Backend(String),
    /// The store is shutting down or its writer is gone.
    #[error("store is closed")]
    Closed,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => {
                StoreError::Backend(format!("postgres: {}: {}", db.code().code(), db.message()))
            }
            None => StoreError::Backend(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::Backend(format!("postgres pool: {e}"))
    }
}

/// Why an append was refused.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Optimistic concurrency: the stream is not at the version the writer
    /// expected. `actual` is its last version (None: no such stream).
    #[error("stream {stream} was expected at {expected} but is at {}", match actual { Some(v) => format!("version {v}"), None => "no stream".to_owned() })]
    WrongExpectedVersion {
        stream: String,
        expected: ExpectedVersion,
        actual: Option<u64>,
    },
    /// Some event ids of the append are already in the log, but not as the
    /// same append to the same stream: not a retry, a mistake.
    #[error("event ids of this append to {stream} are already in the log as other events")]
    DuplicateEventIds { stream: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AppendError {
    fn from(e: rusqlite::Error) -> Self {
        AppendError::Store(e.into())
    }
}

impl AppendError {
    /// Whether this is the optimistic-concurrency conflict.
    pub fn is_conflict(&self) -> bool {
        matches!(self, AppendError::WrongExpectedVersion { .. })
    }
}

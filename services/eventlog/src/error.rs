//! Typed errors of the event log.

use crate::model::ExpectedVersion;

/// A failure of the store itself, or input it refuses.
#[derive(Debug, Clone, thiserror::Error)]
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
    /// The database server does not answer (stopped, restarting, out of
    /// reach): nothing was done, or, for an append cut mid-commit, perhaps
    /// done. Try again in a few seconds.
    #[error("the database does not answer")]
    Unavailable(#[source] Unreachable),
}

/// Why the database server does not answer, as the driver said it. Found
/// in an error's chain of causes, it tells an HTTP layer to answer 503
/// rather than 500: the request may be tried again.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub String);

impl StoreError {
    /// Whether `e` or one of its causes is a database that does not answer.
    pub fn is_unreachable(e: &(dyn std::error::Error + 'static)) -> bool {
        let mut cause = Some(e);
        while let Some(c) = cause {
            if c.is::<Unreachable>() {
                return true;
            }
            cause = c.source();
        }
        false
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Backend(format!("sqlite: {e}"))
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            // Connection exceptions (08) and operator intervention (57: the
            // server shutting down, restarting, refusing new sessions).
            Some(db) if matches!(db.code().code().get(..2), Some("08" | "57")) => {
                StoreError::Unavailable(Unreachable(format!(
                    "postgres: {}: {}",
                    db.code().code(),
                    db.message()
                )))
            }
            Some(db) => {
                StoreError::Backend(format!("postgres: {}: {}", db.code().code(), db.message()))
            }
            // The connection closed, or its socket failed.
            None if e.is_closed()
                || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) =>
            {
                StoreError::Unavailable(Unreachable(format!("postgres: {e}")))
            }
            None => StoreError::Backend(format!("postgres: {e}")),
        }
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        // No connection could be had: the server is away or refuses them.
        StoreError::Unavailable(Unreachable(format!("postgres pool: {e}")))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A wrapper that hides its cause behind `transparent`, as the services'
    /// errors do with `Store(#[from] StoreError)`.
    #[derive(Debug, thiserror::Error)]
    enum Wrapper {
        #[error(transparent)]
        Store(#[from] StoreError),
    }

    #[test]
    fn a_database_that_does_not_answer_is_found_through_any_wrapper() {
        let away = StoreError::Unavailable(Unreachable("connection refused".into()));
        assert!(StoreError::is_unreachable(&away));
        assert!(StoreError::is_unreachable(&Wrapper::from(away)));
        let broken = Wrapper::from(StoreError::Backend("syntax error".into()));
        assert!(!StoreError::is_unreachable(&broken));
        assert!(!StoreError::is_unreachable(&StoreError::Closed));
    }
}

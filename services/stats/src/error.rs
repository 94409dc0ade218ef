//! The statistics service's refusals and failures.

use api::ApiError;
use eventlog::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    NotFound(String),
    /// The fold is catching up with the log: no figures until it has.
    #[error("{}", messages::say!(crate::MESSAGES, "rebuilding", folded = .folded, head = .head))]
    Rebuilding { folded: u64, head: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
}

impl From<StatsError> for ApiError {
    fn from(e: StatsError) -> Self {
        match e {
            StatsError::Invalid { field, message } => ApiError::Invalid {
                field: field.to_owned(),
                message,
            },
            StatsError::NotFound(m) => ApiError::NotFound(m),
            e @ StatsError::Rebuilding { .. } => ApiError::Unavailable(e.to_string()),
            e => ApiError::internal(e),
        }
    }
}

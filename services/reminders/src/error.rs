//! The reminders service's failures.

use api::ApiError;
use eventlog::{AppendError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReminderError {
    #[error("{0}")]
    NotFound(String),
    /// A delivery report whose signature or secret is wrong.
    #[error("{0}")]
    ForgedReport(String),
    /// A delivery report that is not understood.
    #[error("{0}")]
    BadReport(String),
    /// What was asked cannot be done in the state things are in (e.g.
    /// resending a message that was never sent).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An append refused: a version conflict is retried by the caller's
    /// loop, anything else is a failure.
    #[error("the log refused an append")]
    Append(#[from] AppendError),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    #[error("the residents could not be read")]
    Residents(#[from] contracts::ports::ResidentsError),
    #[error("a personal value could not be opened")]
    Vault(#[from] contracts::VaultError),
    #[error("the dispatcher's lease could not be read or written")]
    Lease(#[from] api::LeaseError),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
}

impl From<ReminderError> for ApiError {
    fn from(e: ReminderError) -> Self {
        match e {
            ReminderError::NotFound(m) => ApiError::NotFound(m),
            ReminderError::Residents(contracts::ports::ResidentsError::TooMany {
                message,
                wait,
            }) => ApiError::TooMany {
                message,
                retry_after: wait,
            },
            ReminderError::Refused(m) => ApiError::Conflict(m),
            ReminderError::ForgedReport(m) => ApiError::Unauthorized(m),
            ReminderError::BadReport(message) => ApiError::Invalid {
                field: "body".into(),
                message,
            },
            ReminderError::Append(e @ AppendError::WrongExpectedVersion { .. }) => {
                ApiError::Conflict(format!(
                    "someone else changed this meanwhile ({e}): try again"
                ))
            }
            e => ApiError::internal(e),
        }
    }
}

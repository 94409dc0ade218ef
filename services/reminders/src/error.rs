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
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl From<contracts::ContractError> for ReminderError {
    fn from(e: contracts::ContractError) -> Self {
        ReminderError::Internal(e.to_string())
    }
}

impl From<AppendError> for ReminderError {
    fn from(e: AppendError) -> Self {
        ReminderError::Internal(e.to_string())
    }
}

impl From<identity::IdentityError> for ReminderError {
    fn from(e: identity::IdentityError) -> Self {
        ReminderError::Internal(e.to_string())
    }
}

impl From<calendar::CalendarError> for ReminderError {
    fn from(e: calendar::CalendarError) -> Self {
        ReminderError::Internal(e.to_string())
    }
}

impl From<ReminderError> for ApiError {
    fn from(e: ReminderError) -> Self {
        match e {
            ReminderError::NotFound(m) => ApiError::NotFound(m),
            ReminderError::ForgedReport(m) => ApiError::Unauthorized(m),
            ReminderError::BadReport(message) => ApiError::Invalid {
                field: "body".into(),
                message,
            },
            e => ApiError::internal(e),
        }
    }
}

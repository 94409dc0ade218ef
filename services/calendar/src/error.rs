//! The calendar's refusals and failures.

use api::ApiError;
use eventlog::{AppendError, StoreError};
use timetable::{Invalid, TimetableError};

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("{0}")]
    NotFound(String),
    /// Someone changed the same thing meanwhile: the version they saw is
    /// not the current one.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the log refused an append")]
    Append(#[source] AppendError),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
}

impl From<AppendError> for CalendarError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::WrongExpectedVersion { .. } => CalendarError::Conflict(messages::say!(
                crate::MESSAGES,
                "someone-else-changed-this-meanwhile"
            )),
            AppendError::Store(e) => CalendarError::Store(e),
            other => CalendarError::Append(other),
        }
    }
}

impl From<TimetableError> for CalendarError {
    fn from(e: TimetableError) -> Self {
        match e {
            TimetableError::Invalid(i) => CalendarError::Invalid(i),
            TimetableError::NotFound(m) => CalendarError::NotFound(m),
            TimetableError::Contract(c) => CalendarError::Contract(c),
            TimetableError::Internal(m) => CalendarError::Internal(m),
        }
    }
}

impl From<CalendarError> for ApiError {
    fn from(e: CalendarError) -> Self {
        match e {
            CalendarError::Invalid(i) => ApiError::Invalid {
                field: i.field.to_owned(),
                message: i.message,
            },
            CalendarError::NotFound(m) => ApiError::NotFound(m),
            CalendarError::Conflict(m) => ApiError::Conflict(m),
            e @ (CalendarError::Store(_)
            | CalendarError::Append(_)
            | CalendarError::Contract(_)
            | CalendarError::Internal(_)) => ApiError::internal(e),
        }
    }
}

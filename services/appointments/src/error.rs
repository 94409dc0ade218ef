//! The appointments service's refusals and failures.

use api::ApiError;
use chrono::DateTime;
use contracts::SiteId;
use contracts::ports::ResidentsError;
use eventlog::{AppendError, StoreError};
use serde::Serialize;

/// A free time offered instead of one that is taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Available {
    pub start: DateTime<chrono::FixedOffset>,
    pub end: DateTime<chrono::FixedOffset>,
    pub site: SiteId,
    pub permanence: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppointmentError {
    /// A field that cannot be used: which, and what is accepted.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The place was taken meanwhile; here are the next free ones.
    #[error("{}", messages::say!(crate::MESSAGES, "slot-taken"))]
    SlotTaken { alternatives: Vec<Available> },
    #[error("{0}")]
    AlreadyBooked(String),
    /// The appointment is not in a state where this can be done.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Refused(String),
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after: std::time::Duration,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An append the store refused for another reason than a version.
    #[error("the log refused an append")]
    Append(#[source] AppendError),
    #[error("the permanence schedule could not answer")]
    Timetable(#[from] timetable::TimetableError),
    #[error("a personal value could not be sealed or opened")]
    Vault(#[from] contracts::VaultError),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    /// The service that holds residents could not answer (its store).
    #[error("the residents could not be read or written")]
    Residents(#[source] ResidentsError),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
}

impl AppointmentError {
    /// A limit reached: `what`, and when to try again.
    pub fn too_many(what: impl std::fmt::Display, wait: std::time::Duration) -> Self {
        AppointmentError::TooMany {
            message: api::try_again(what, wait),
            retry_after: wait,
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AppointmentError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// A version conflict is someone else's change, never a failure: the
/// caller reloads and tries again.
impl From<AppendError> for AppointmentError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::WrongExpectedVersion { .. } => AppointmentError::Conflict(messages::say!(
                crate::MESSAGES,
                "someone-else-changed-this-meanwhile"
            )),
            AppendError::Store(e) => AppointmentError::Store(e),
            other => AppointmentError::Append(other),
        }
    }
}

impl From<ResidentsError> for AppointmentError {
    fn from(e: ResidentsError) -> Self {
        match e {
            ResidentsError::Invalid(message) => AppointmentError::Invalid {
                field: "resident",
                message,
            },
            ResidentsError::Refused(m) => AppointmentError::Refused(m),
            ResidentsError::NotFound(m) => AppointmentError::NotFound(m),
            ResidentsError::Conflict(m) => AppointmentError::Conflict(m),
            ResidentsError::TooMany { message, wait } => AppointmentError::TooMany {
                message,
                retry_after: wait,
            },
            other @ ResidentsError::Unavailable(_) => AppointmentError::Residents(other),
        }
    }
}

impl From<AppointmentError> for ApiError {
    fn from(e: AppointmentError) -> Self {
        match e {
            AppointmentError::Invalid { field, message } => ApiError::Invalid {
                field: field.to_owned(),
                message,
            },
            e @ AppointmentError::SlotTaken { .. } => ApiError::Conflict(e.to_string()),
            AppointmentError::AlreadyBooked(m) | AppointmentError::Conflict(m) => {
                ApiError::Conflict(m)
            }
            AppointmentError::NotFound(m) => ApiError::NotFound(m),
            AppointmentError::Refused(m) => ApiError::Forbidden(m),
            AppointmentError::TooMany {
                message,
                retry_after,
            } => ApiError::TooMany {
                message,
                retry_after,
            },
            AppointmentError::Timetable(timetable::TimetableError::NotFound(m)) => {
                ApiError::NotFound(m)
            }
            AppointmentError::Timetable(timetable::TimetableError::Invalid(i)) => {
                ApiError::Invalid {
                    field: i.field.to_owned(),
                    message: i.message,
                }
            }
            e @ (AppointmentError::Store(_)
            | AppointmentError::Append(_)
            | AppointmentError::Timetable(_)
            | AppointmentError::Residents(_)
            | AppointmentError::Vault(_)
            | AppointmentError::Contract(_)
            | AppointmentError::Internal(_)) => ApiError::internal(e),
        }
    }
}

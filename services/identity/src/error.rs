//! The identity service's refusals and failures.

use std::time::Duration;

use api::ApiError;
use contracts::VaultError;
use eventlog::{AppendError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Input that cannot be used, with what to do instead.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// Email and password do not match an account. The same words whether
    /// the account exists or not.
    #[error("{}", messages::say!(crate::MESSAGES, "wrong-email-or-password"))]
    WrongCredentials,
    /// Credentials that no longer work (expired, revoked, tampered).
    #[error("{0}")]
    NotSignedIn(String),
    #[error("{0}")]
    Refused(String),
    #[error("{message}")]
    TooMany {
        message: String,
        retry_after: Duration,
    },
    /// Someone else changed the same stream meanwhile, again and again.
    #[error("{}", messages::say!(crate::MESSAGES, "changed-meanwhile", what = .0))]
    Concurrent(String),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the log refused an append")]
    Append(#[source] AppendError),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

impl IdentityError {
    pub fn too_many(what: impl std::fmt::Display, wait: Duration) -> Self {
        IdentityError::TooMany {
            message: api::try_again(what, wait),
            retry_after: wait,
        }
    }
}

impl From<AppendError> for IdentityError {
    fn from(e: AppendError) -> Self {
        match e {
            AppendError::WrongExpectedVersion { stream, .. } => IdentityError::Concurrent(stream),
            AppendError::Store(e) => IdentityError::Store(e),
            other => IdentityError::Append(other),
        }
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Invalid(m) => ApiError::BadRequest(m),
            IdentityError::NotFound(m) => ApiError::NotFound(m),
            IdentityError::Conflict(m) => ApiError::Conflict(m),
            e @ IdentityError::Concurrent(_) => ApiError::Conflict(e.to_string()),
            e @ IdentityError::WrongCredentials => ApiError::Unauthorized(e.to_string()),
            IdentityError::NotSignedIn(m) => ApiError::Unauthorized(m),
            IdentityError::Refused(m) => ApiError::Forbidden(m),
            IdentityError::TooMany {
                message,
                retry_after,
            } => ApiError::TooMany {
                message,
                retry_after,
            },
            e @ (IdentityError::Internal(_)
            | IdentityError::Store(_)
            | IdentityError::Append(_)
            | IdentityError::Contract(_)
            | IdentityError::Vault(_)) => ApiError::internal(e),
        }
    }
}

//! What the schedule refuses, and what it cannot read.

use contracts::{RuleId, SiteId};

/// A value that cannot be used: which field, and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    pub field: &'static str,
    pub message: String,
}

impl Invalid {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Invalid {
            field,
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TimetableError {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// No such site, rule or permanence: the message says which.
    #[error("{0}")]
    NotFound(String),
    #[error("an event does not fit its contract")]
    Contract(#[from] contracts::ContractError),
    /// Something that cannot happen did: a broken invariant.
    #[error("{0}")]
    Internal(String),
}

/// There is no site `id`.
pub fn no_site(id: SiteId) -> TimetableError {
    TimetableError::NotFound(messages::say!(crate::MESSAGES, "there-is-no-site", id = id))
}

/// There is no permanence rule `id`.
pub fn no_rule(id: RuleId) -> TimetableError {
    TimetableError::NotFound(messages::say!(
        crate::MESSAGES,
        "there-is-no-permanence-rule",
        id = id
    ))
}

//! Who did what and when, read from the log: every event carries its actor
//! and correlation id.

use chrono::{DateTime, Utc};
use contracts::{ResidentId, StaffId};
use eventlog::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::error::IdentityError;
use crate::residents::{mentions_resident, scan};
use crate::service::Identity;

/// Whose history to list.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    /// What a staff member did, and what was done to their account.
    Staff(StaffId),
    /// Everything that concerns a resident, and who did it.
    Resident(ResidentId),
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    pub position: u64,
    pub at: DateTime<Utc>,
    /// `staff:<id>`, `resident:<id>` or `system:<name>`.
    pub actor: String,
    /// The staff member's name when the actor is staff.
    pub actor_name: Option<String>,
    pub event_type: String,
    pub stream: String,
    pub correlation_id: Uuid,
}

impl Identity {
    /// The subject's history, oldest first.
    pub async fn audit(&self, subject: Subject) -> Result<Vec<AuditEntry>, IdentityError> {
        let events = match subject {
            Subject::Staff(id) => {
                let stream = id.stream();
                scan(self.store().as_ref(), |e| {
                    e.metadata.actor == Actor::Staff(id.0) || e.stream == stream.as_str()
                })
                .await?
            }
            Subject::Resident(id) => {
                scan(self.store().as_ref(), |e| mentions_resident(e, id)).await?
            }
        };
        let d = self.directory().await?;
        Ok(events
            .into_iter()
            .map(|e| AuditEntry {
                position: e.position.0,
                at: e.metadata.recorded_at,
                actor_name: match e.metadata.actor {
                    Actor::Staff(id) => d.staff(StaffId(id)).map(|s| s.display_name.clone()),
                    _ => None,
                },
                actor: e.metadata.actor.to_string(),
                event_type: e.event_type,
                stream: e.stream,
                correlation_id: e.metadata.correlation_id,
            })
            .collect())
    }
}

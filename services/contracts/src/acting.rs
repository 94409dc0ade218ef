//! Who does something, within which correlation: what every command
//! handler passes down to the events it writes.

use crate::{Event, to_new_event};
use chrono::{DateTime, Utc};
use eventlog::{Actor, Metadata, NewEvent, Position, RecordedEvent, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Acting {
    pub actor: Actor,
    pub correlation_id: Uuid,
    /// When what it does happens: the time of the request or of the sweep,
    /// from the clock of whoever acts (`creneau simulate` writes a past
    /// year through the real command handlers with past times).
    pub at: DateTime<Utc>,
}

impl Acting {
    pub fn new(actor: Actor, correlation_id: Uuid, at: DateTime<Utc>) -> Self {
        Acting {
            actor,
            correlation_id,
            at,
        }
    }

    /// The same, its events recorded at `at`.
    pub fn at(mut self, at: DateTime<Utc>) -> Self {
        self.at = at;
        self
    }

    /// The system process `name`, in a new correlation, at `at`.
    pub fn system(name: &str, at: DateTime<Utc>) -> Self {
        Acting::new(Actor::System(name.to_owned()), Uuid::now_v7(), at)
    }

    pub fn metadata(&self) -> Metadata {
        Metadata::new(self.actor.clone(), self.correlation_id, self.at)
    }

    /// `event`, ready to append, with this actor and correlation.
    pub fn event<E: Event>(&self, event: &E) -> Result<NewEvent, StoreError> {
        to_new_event(event, self.metadata())
    }

    /// `event` as the log would hold it at `version` of `stream` and at
    /// `position`: for folds tested, or replayed, without a store.
    pub fn recorded<E: Event>(
        &self,
        event: &E,
        stream: &str,
        version: u64,
        position: Position,
    ) -> Result<RecordedEvent, StoreError> {
        let new = self.event(event)?;
        Ok(RecordedEvent {
            position,
            stream: stream.to_owned(),
            version,
            event_type: new.event_type,
            event_id: new.event_id,
            payload: new.payload,
            metadata: new.metadata,
        })
    }
}

//! Who does something, within which correlation: what every command
//! handler passes down to the events it writes.

use contracts::{Event, to_new_event};
use eventlog::{Actor, Metadata, NewEvent, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Acting {
    pub actor: Actor,
    pub correlation_id: Uuid,
    /// When what it does happens, if not now: `creneau simulate` writes a
    /// past year through the real command handlers.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
}

impl Acting {
    pub fn new(actor: Actor, correlation_id: Uuid) -> Self {
        Acting {
            actor,
            correlation_id,
            at: None,
        }
    }

    /// The same, its events recorded at `at` instead of now.
    pub fn at(mut self, at: chrono::DateTime<chrono::Utc>) -> Self {
        self.at = Some(at);
        self
    }

    /// The system process `name`, in a new correlation.
    pub fn system(name: &str) -> Self {
        Acting::new(Actor::System(name.to_owned()), Uuid::now_v7())
    }

    pub fn metadata(&self) -> Metadata {
        let mut m = Metadata::now(self.actor.clone(), self.correlation_id);
        if let Some(at) = self.at {
            m.recorded_at =
                chrono::DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at);
        }
        m
    }

    /// `event`, ready to append, with this actor and correlation.
    pub fn event<E: Event>(&self, event: &E) -> Result<NewEvent, StoreError> {
        to_new_event(event, self.metadata())
    }
}

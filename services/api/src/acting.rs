//! Who does something, within which correlation: what every command
//! handler passes down to the events it writes.

use contracts::{Event, to_new_event};
use eventlog::{Actor, Metadata, NewEvent, StoreError};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Acting {
    pub actor: Actor,
    pub correlation_id: Uuid,
}

impl Acting {
    pub fn new(actor: Actor, correlation_id: Uuid) -> Self {
        Acting {
            actor,
            correlation_id,
        }
    }

    /// The system process `name`, in a new correlation.
    pub fn system(name: &str) -> Self {
        Acting::new(Actor::System(name.to_owned()), Uuid::now_v7())
    }

    pub fn metadata(&self) -> Metadata {
        Metadata::now(self.actor.clone(), self.correlation_id)
    }

    /// `event`, ready to append, with this actor and correlation.
    pub fn event<E: Event>(&self, event: &E) -> Result<NewEvent, StoreError> {
        to_new_event(event, self.metadata())
    }
}

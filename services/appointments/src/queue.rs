//! The drop-in queue of a permanence: arrive (a ticket number), be called,
//! be helped, or leave. Waiting time = called − arrived. Procedures go to
//! mediators, smartphone/computer/email questions to the IT helper.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{Reason, Sealed, decode_event};
use eventlog::{RecordedEvent, StreamName};
use serde::Serialize;
use uuid::Uuid;

use crate::error::AppointmentError;

pub use contracts::streams::DROP_IN;

/// The queue stream of a permanence.
pub fn queue_stream(permanence_id: &str) -> Result<StreamName, AppointmentError> {
    StreamName::of(DROP_IN, permanence_id).map_err(AppointmentError::from)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    Waiting,
    Called,
    Served,
    Left,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: Uuid,
    pub number: u32,
    pub permanence_id: String,
    pub first_name: Option<Sealed>,
    pub reasons: Vec<Reason>,
    pub arrived_at: DateTime<Utc>,
    pub called_at: Option<DateTime<Utc>>,
    pub state: TicketState,
}

impl Ticket {
    /// Whether the IT helper takes it: every reason is about equipment.
    pub fn for_it_helper(&self) -> bool {
        !self.reasons.is_empty() && self.reasons.iter().all(|r| r.for_it_helper())
    }

    /// Minutes between arrival and call, once called.
    pub fn waited_minutes(&self) -> Option<i64> {
        self.called_at.map(|c| (c - self.arrived_at).num_minutes())
    }
}

/// Every queue, by permanence.
#[derive(Debug, Clone, Default)]
pub struct Queues {
    pub tickets: HashMap<Uuid, Ticket>,
    pub by_permanence: HashMap<String, Vec<Uuid>>,
}

impl Queues {
    pub fn fold(&mut self, e: &RecordedEvent) -> Result<(), AppointmentError> {
        let bad =
            |what: &str| AppointmentError::Internal(format!("event at {}: {what}", e.position));
        let at = e.metadata.recorded_at;
        if let Some(x) = decode_event::<ev::DropInArrived>(e)? {
            let id: Uuid = x.ticket_id.parse().map_err(|_| bad("ticket"))?;
            let reasons = x.reasons().collect();
            self.tickets.insert(
                id,
                Ticket {
                    id,
                    number: x.number,
                    permanence_id: x.permanence_id.clone(),
                    first_name: x.first_name,
                    reasons,
                    arrived_at: at,
                    called_at: None,
                    state: TicketState::Waiting,
                },
            );
            self.by_permanence
                .entry(x.permanence_id)
                .or_default()
                .push(id);
            return Ok(());
        }
        let (id, state) = if let Some(x) = decode_event::<ev::DropInCalled>(e)? {
            (x.ticket_id, TicketState::Called)
        } else if let Some(x) = decode_event::<ev::DropInServed>(e)? {
            (x.ticket_id, TicketState::Served)
        } else if let Some(x) = decode_event::<ev::DropInLeft>(e)? {
            (x.ticket_id, TicketState::Left)
        } else {
            return Ok(());
        };
        let id: Uuid = id.parse().map_err(|_| bad("ticket"))?;
        if let Some(t) = self.tickets.get_mut(&id) {
            if state == TicketState::Called {
                t.called_at = Some(at);
            }
            t.state = state;
        }
        Ok(())
    }

    /// The tickets of a permanence, in number order.
    pub fn of(&self, permanence_id: &str) -> Vec<&Ticket> {
        let mut list: Vec<&Ticket> = self
            .by_permanence
            .get(permanence_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.tickets.get(id))
            .collect();
        list.sort_by_key(|t| t.number);
        list
    }
}

//! The drop-in queue: tickets, called, served or gone.

use api::Acting;
use contracts::proto::appointments::v1 as ev;
use contracts::{Reason, SiteId};

use super::{Appointments, Decision};
use crate::error::AppointmentError;

impl Appointments {
    /// A resident arrives at a drop-in permanence: a ticket with the next
    /// number, while the permanence is open today and the room not full.
    pub async fn drop_in_arrive(
        &self,
        acting: &Acting,
        permanence_id: &str,
        first_name: Option<&str>,
        reasons: &[Reason],
    ) -> Result<crate::queue::Ticket, AppointmentError> {
        let now = acting.at;
        let first_name = first_name.map(str::trim).filter(|n| !n.is_empty());
        if first_name.is_some_and(|n| n.chars().count() > 50) {
            return Err(AppointmentError::invalid(
                "first_name",
                messages::say!(crate::MESSAGES, "first-name-only-50-characters"),
            ));
        }
        let ticket = uuid::Uuid::now_v7();
        let sealed = match first_name {
            Some(n) => Some(self.inner.vault.seal(ticket, n).await?),
            None => None,
        };
        self.decide(|m| {
            let p = m.calendar.permanence(permanence_id).map_err(|_| {
                AppointmentError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-permanence",
                    permanence_id = permanence_id
                ))
            })?;
            if !p.drop_in {
                return Err(AppointmentError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "this-permanence-has-no-drop"
                )));
            }
            if p.status != timetable::Status::Open
                || now >= p.ends_at
                || contracts::time::local_date(now) != p.day
            {
                return Err(AppointmentError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "this-drop-in-is-not"
                )));
            }
            let tickets = m.queues.of(permanence_id);
            let waiting = tickets
                .iter()
                .filter(|t| t.state == crate::queue::TicketState::Waiting)
                .count();
            if let Some(capacity) = p.drop_in_capacity
                && waiting >= usize::try_from(capacity).unwrap_or(usize::MAX)
            {
                return Err(AppointmentError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "drop-in-is-full-people",
                    waiting = waiting
                )));
            }
            Ok(Decision::Append {
                stream: crate::queue::queue_stream(permanence_id)?,
                events: vec![acting.event(&ev::DropInArrived {
                    ticket_id: ticket.to_string(),
                    number: u32::try_from(tickets.len() + 1).unwrap_or(u32::MAX),
                    site_id: p.site_id.to_string(),
                    permanence_id: permanence_id.to_owned(),
                    first_name: sealed.clone(),
                    reasons: reasons.iter().map(|r| i32::from(*r)).collect(),
                })?],
                then: (),
            })
        })
        .await?;
        self.ticket(ticket).await
    }

    /// The site of a permanence, if there is such a permanence.
    pub async fn site_of(&self, permanence_id: &str) -> Result<Option<SiteId>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .calendar
            .permanence(permanence_id)
            .ok()
            .map(|p| p.site_id))
    }

    /// One ticket.
    pub async fn ticket(&self, id: uuid::Uuid) -> Result<crate::queue::Ticket, AppointmentError> {
        self.read(false)
            .await?
            .queues
            .tickets
            .get(&id)
            .cloned()
            .ok_or_else(|| {
                AppointmentError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-ticket",
                    id = id
                ))
            })
    }

    /// Calls, serves, or records the leaving of a ticket.
    pub async fn drop_in_step(
        &self,
        acting: &Acting,
        id: uuid::Uuid,
        to: crate::queue::TicketState,
    ) -> Result<crate::queue::Ticket, AppointmentError> {
        use crate::queue::TicketState::{Called, Left, Served, Waiting};
        self.decide(|m| {
            let t = m.queues.tickets.get(&id).ok_or_else(|| {
                AppointmentError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-ticket",
                    id = id
                ))
            })?;
            if t.state == to {
                return Ok(Decision::Answer(()));
            }
            let allowed = match to {
                Called => t.state == Waiting,
                Served => t.state == Called,
                Left => matches!(t.state, Waiting | Called),
                Waiting => false,
            };
            if !allowed {
                return Err(AppointmentError::Conflict(messages::say!(
                    crate::MESSAGES,
                    "ticket-is-already",
                    number = t.number,
                    state = format!("{:?}", t.state).to_lowercase()
                )));
            }
            let ticket_id = id.to_string();
            let e = match to {
                Called => acting.event(&ev::DropInCalled { ticket_id })?,
                Served => acting.event(&ev::DropInServed { ticket_id })?,
                _ => acting.event(&ev::DropInLeft { ticket_id })?,
            };
            Ok(Decision::Append {
                stream: crate::queue::queue_stream(&t.permanence_id)?,
                events: vec![e],
                then: (),
            })
        })
        .await?;
        self.ticket(id).await
    }

    /// The first name a ticket was given, opened (none when not given, or
    /// when the key to open it is gone).
    pub async fn first_name_of(&self, t: &crate::queue::Ticket) -> Option<String> {
        let sealed = t.first_name.as_ref()?;
        self.inner
            .vault
            .open_sealed(sealed)
            .await
            .ok()
            .and_then(|r| r.as_deref().map(str::to_owned))
    }

    /// The queue of a permanence, in number order.
    pub async fn queue(
        &self,
        permanence_id: &str,
    ) -> Result<Vec<crate::queue::Ticket>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .queues
            .of(permanence_id)
            .into_iter()
            .cloned()
            .collect())
    }
}

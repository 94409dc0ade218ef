//! The reminders service's read model, folded from the appointments'
//! `booking-…` streams and its own `reminder-…` streams.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as aev;
use contracts::proto::calendar::v1 as cev;
use contracts::proto::identity::v1 as iev;
use contracts::proto::reminders::v1 as ev;
use contracts::{AppointmentId, Reason, ReminderId, ResidentId, Sealed, SiteId, decode_event};
use eventlog::{Position, RecordedEvent};

use crate::error::ReminderError;
use crate::texts::Kind;

/// Where a reminder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Waiting for its time (or its next try).
    Scheduled,
    Withdrawn,
    Sent,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Sms,
    Email,
}

/// One message.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub id: ReminderId,
    pub appointment: AppointmentId,
    pub resident: ResidentId,
    pub site: SiteId,
    pub kind: Kind,
    pub channel: Channel,
    pub due_at: DateTime<Utc>,
    pub starts_at: DateTime<Utc>,
    pub state: State,
    /// The stream's last version.
    pub version: u64,
    /// Tries started.
    pub attempts: u32,
    /// The last try's reference at the provider.
    pub reference: String,
    /// The last try may have reached the provider without us knowing.
    pub uncertain: bool,
    /// Not before this (a retry).
    pub retry_at: Option<DateTime<Utc>>,
    pub provider: String,
    pub provider_message_id: Option<String>,
    pub delivery: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
    pub error: Option<String>,
    pub segments: u32,
}

impl Reminder {
    /// When it may go next.
    pub fn next_at(&self) -> DateTime<Utc> {
        self.retry_at.map_or(self.due_at, |r| r.max(self.due_at))
    }
}

/// What the service knows of an appointment.
#[derive(Debug, Clone)]
pub struct Appointment {
    pub id: AppointmentId,
    pub resident: ResidentId,
    pub site: SiteId,
    pub reason: Reason,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub cancelled: bool,
    /// Changes since booking: the invitation's SEQUENCE.
    pub sequence: u32,
    /// The manage link's token, sealed under the resident's key.
    pub token: Option<Sealed>,
    pub reminders: Vec<ReminderId>,
    /// A place held from a waiting list, until then (not yet booked: the
    /// appointment, if taken, has the offer's id).
    pub offer_until: Option<DateTime<Utc>>,
}

/// A change to one reminder, from its stream.
#[derive(Debug, Clone)]
pub enum Change {
    Scheduled(Box<ev::ReminderScheduled>),
    Withdrawn,
    AttemptStarted {
        attempt: u32,
        provider: String,
        reference: String,
        segments: u32,
    },
    Sent {
        message_id: String,
    },
    AttemptFailed {
        error: String,
        retry_at: DateTime<Utc>,
        uncertain: bool,
    },
    Failed {
        error: String,
    },
    Delivery {
        status: String,
        at: DateTime<Utc>,
    },
}

#[derive(Debug, Default)]
pub struct Model {
    pub position: Position,
    pub reminders: HashMap<ReminderId, Reminder>,
    pub appointments: HashMap<AppointmentId, Appointment>,
    /// Provider message id → reminder, for delivery reports.
    pub by_message: HashMap<String, ReminderId>,
    /// Scheduled reminders by the time they may go next.
    pub due: BTreeSet<(DateTime<Utc>, ReminderId)>,
    /// Sites' public details (name, address, phone, whether online bookings
    /// are confirmed by SMS), folded from the calendar's site events.
    pub sites: HashMap<SiteId, cev::SiteDetails>,
}

fn time(text: &str, at: Position) -> Result<DateTime<Utc>, ReminderError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|err| ReminderError::Internal(format!("event at {at}: time {text:?}: {err}")))
}

fn id<T: std::str::FromStr>(text: &str, at: Position) -> Result<T, ReminderError> {
    text.parse()
        .map_err(|_| ReminderError::Internal(format!("event at {at}: id {text:?}")))
}

pub fn kind_of(k: ev::Kind) -> Kind {
    match k {
        ev::Kind::Reminder => Kind::Reminder,
        ev::Kind::Moved => Kind::Moved,
        ev::Kind::Cancelled => Kind::Cancelled,
        ev::Kind::Offer => Kind::Offer,
        _ => Kind::Confirmation,
    }
}

pub fn kind_to(k: Kind) -> ev::Kind {
    match k {
        Kind::Confirmation => ev::Kind::Confirmation,
        Kind::Reminder => ev::Kind::Reminder,
        Kind::Moved => ev::Kind::Moved,
        Kind::Cancelled => ev::Kind::Cancelled,
        Kind::Offer => ev::Kind::Offer,
    }
}

impl Model {
    /// Folds one event of the log. Returns whether it concerned appointments
    /// (something the scheduler may react to).
    pub fn fold(&mut self, e: &RecordedEvent) -> Result<(), ReminderError> {
        // Once per event: a catch-up that reads again from the checkpoint
        // (after a failed reaction), or two that overlap, fold nothing twice
        // (an appointment booked twice would lose its token and sequence).
        if e.position <= self.position {
            return Ok(());
        }
        self.position = e.position;
        if e.category() == SiteId::CATEGORY {
            let site = if let Some(x) = decode_event::<cev::SiteOpened>(e)? {
                Some((x.site_id, x.details))
            } else {
                decode_event::<cev::SiteDetailsChanged>(e)?.map(|x| (x.site_id, x.details))
            };
            if let Some((site_id, details)) = site {
                self.sites
                    .insert(id(&site_id, e.position)?, details.unwrap_or_default());
            }
            return Ok(());
        }
        if e.category() == ReminderId::CATEGORY {
            let Some(change) = change_of(e)? else {
                return Ok(());
            };
            let rid: ReminderId = id(
                e.stream.split_once('-').map_or("", |(_, id)| id),
                e.position,
            )?;
            self.apply(rid, e.version, change, e.position)?;
            return Ok(());
        }
        let placed = if let Some(x) = decode_event::<aev::AppointmentBooked>(e)? {
            let reason = x.reason();
            Some((
                x.appointment_id,
                x.resident_id,
                x.site_id,
                reason,
                x.starts_at,
                x.ends_at,
                None,
            ))
        } else if let Some(x) = decode_event::<aev::PlaceHeld>(e)? {
            let until = Some(time(&x.expires_at, e.position)?);
            let reason = x.reason();
            Some((
                x.offer_id,
                x.resident_id,
                x.site_id,
                reason,
                x.starts_at,
                x.ends_at,
                until,
            ))
        } else {
            None
        };
        if let Some((aid, resident, site, reason, starts_at, ends_at, offer_until)) = placed {
            let aid: AppointmentId = id(&aid, e.position)?;
            // A place taken from an offer keeps the offer's link and
            // messages (it has the offer's id).
            let (token, reminders) = self
                .appointments
                .remove(&aid)
                .map(|a| (a.token, a.reminders))
                .unwrap_or_default();
            self.appointments.insert(
                aid,
                Appointment {
                    id: aid,
                    resident: id(&resident, e.position)?,
                    site: id(&site, e.position)?,
                    reason,
                    starts_at: time(&starts_at, e.position)?,
                    ends_at: time(&ends_at, e.position)?,
                    cancelled: false,
                    sequence: 0,
                    token,
                    reminders,
                    offer_until,
                },
            );
        } else if let Some(x) = decode_event::<aev::PlaceReleased>(e)? {
            if let Some(a) = self.appointments.get_mut(&id(&x.offer_id, e.position)?)
                && a.offer_until.is_some()
            {
                a.cancelled = true;
            }
        } else if let Some(x) = decode_event::<iev::ManageLinkIssued>(e)? {
            if let (Some(token), Some(a)) = (
                x.token,
                self.appointments
                    .get_mut(&id(&x.appointment_id, e.position)?),
            ) {
                a.token = Some(token);
            }
        } else if let Some(x) = decode_event::<aev::AppointmentMovedIn>(e)? {
            let starts_at = time(&x.starts_at, e.position)?;
            let ends_at = time(&x.ends_at, e.position)?;
            if let Some(a) = self
                .appointments
                .get_mut(&id(&x.appointment_id, e.position)?)
            {
                a.starts_at = starts_at;
                a.ends_at = ends_at;
                a.sequence += 1;
                a.site = id(&x.site_id, e.position)?;
            }
        } else if let Some(x) = decode_event::<aev::AppointmentCancelled>(e)?
            && let Some(a) = self
                .appointments
                .get_mut(&id(&x.appointment_id, e.position)?)
        {
            a.cancelled = true;
            a.sequence += 1;
        }
        Ok(())
    }

    /// Applies a change at `version` of the reminder's stream, once: a
    /// change the service applied as it appended it is skipped when the
    /// log brings it back.
    pub fn apply(
        &mut self,
        rid: ReminderId,
        version: u64,
        change: Change,
        at: Position,
    ) -> Result<(), ReminderError> {
        if let Change::Scheduled(x) = &change {
            if self.reminders.contains_key(&rid) {
                return Ok(());
            }
            let appointment: AppointmentId = id(&x.appointment_id, at)?;
            let r = Reminder {
                id: rid,
                appointment,
                resident: id(&x.resident_id, at)?,
                site: id(&x.site_id, at)?,
                kind: kind_of(x.kind()),
                channel: if x.channel() == ev::Channel::Email {
                    Channel::Email
                } else {
                    Channel::Sms
                },
                due_at: time(&x.due_at, at)?,
                starts_at: time(&x.starts_at, at)?,
                state: State::Scheduled,
                version,
                attempts: 0,
                reference: String::new(),
                uncertain: false,
                retry_at: None,
                provider: String::new(),
                provider_message_id: None,
                delivery: None,
                reported_at: None,
                error: None,
                segments: 0,
            };
            self.due.insert((r.next_at(), rid));
            if let Some(a) = self.appointments.get_mut(&appointment) {
                a.reminders.push(rid);
            }
            self.reminders.insert(rid, r);
            return Ok(());
        }
        let Some(r) = self.reminders.get_mut(&rid) else {
            return Ok(());
        };
        if version != r.version + 1 {
            return Ok(());
        }
        r.version = version;
        self.due.remove(&(r.next_at(), rid));
        match change {
            Change::Scheduled(_) => {}
            Change::Withdrawn => r.state = State::Withdrawn,
            Change::AttemptStarted {
                attempt,
                provider,
                reference,
                segments,
            } => {
                r.attempts = attempt;
                r.provider = provider;
                r.reference = reference;
                r.segments = segments;
                r.uncertain = true;
            }
            Change::Sent { message_id } => {
                r.state = State::Sent;
                r.uncertain = false;
                self.by_message.insert(message_id.clone(), rid);
                r.provider_message_id = Some(message_id);
            }
            Change::AttemptFailed {
                error,
                retry_at,
                uncertain,
            } => {
                r.uncertain = uncertain;
                r.retry_at = Some(retry_at);
                r.error = Some(error);
            }
            Change::Failed { error } => {
                r.state = State::Failed;
                r.uncertain = false;
                r.error = Some(error);
            }
            Change::Delivery { status, at } => {
                if r.reported_at.is_none_or(|last| at >= last) {
                    r.reported_at = Some(at);
                    r.delivery = Some(status);
                }
            }
        }
        if r.state == State::Scheduled {
            self.due.insert((r.next_at(), rid));
        }
        Ok(())
    }

    /// Puts a reminder off until `at` without writing anything (night, or
    /// an attempt that could not start): the dispatcher looks again then.
    pub fn defer(&mut self, rid: ReminderId, at: DateTime<Utc>) {
        if let Some(r) = self.reminders.get_mut(&rid)
            && r.state == State::Scheduled
        {
            self.due.remove(&(r.next_at(), rid));
            r.retry_at = Some(at);
            self.due.insert((r.next_at(), rid));
        }
    }

    /// Up to `max` reminders whose time has come.
    pub fn due_now(&self, now: DateTime<Utc>, max: usize) -> Vec<ReminderId> {
        self.due
            .iter()
            .take_while(|(at, _)| *at <= now)
            .take(max)
            .map(|(_, id)| *id)
            .collect()
    }

    /// When the next one is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.due.first().map(|(at, _)| *at)
    }
}

/// The change a `reminder-…` event makes.
pub fn change_of(e: &RecordedEvent) -> Result<Option<Change>, ReminderError> {
    Ok(Some(
        if let Some(x) = decode_event::<ev::ReminderScheduled>(e)? {
            Change::Scheduled(Box::new(x))
        } else if decode_event::<ev::ReminderWithdrawn>(e)?.is_some() {
            Change::Withdrawn
        } else if let Some(x) = decode_event::<ev::ReminderAttemptStarted>(e)? {
            Change::AttemptStarted {
                attempt: x.attempt,
                provider: x.provider,
                reference: x.client_reference,
                segments: x.segments,
            }
        } else if let Some(x) = decode_event::<ev::ReminderSent>(e)? {
            Change::Sent {
                message_id: x.provider_message_id,
            }
        } else if let Some(x) = decode_event::<ev::ReminderAttemptFailed>(e)? {
            Change::AttemptFailed {
                retry_at: time(&x.retry_at, e.position)?,
                error: x.error,
                uncertain: x.uncertain,
            }
        } else if let Some(x) = decode_event::<ev::ReminderFailed>(e)? {
            Change::Failed { error: x.error }
        } else if let Some(x) = decode_event::<ev::ReminderDeliveryReported>(e)? {
            Change::Delivery {
                at: time(&x.reported_at, e.position)?,
                status: x.status,
            }
        } else {
            return Ok(None);
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded<E: contracts::Event>(position: u64, stream: &str, e: &E) -> RecordedEvent {
        api::Acting::system("test", DateTime::<Utc>::UNIX_EPOCH)
            .recorded(e, stream, position, Position(position))
            .expect("an event")
    }

    #[test]
    fn folding_the_same_events_again_changes_nothing() {
        let id = AppointmentId::new();
        let booked = recorded(
            1,
            "booking-r_2026-12-10",
            &aev::AppointmentBooked {
                appointment_id: id.to_string(),
                resident_id: ResidentId::new().to_string(),
                site_id: SiteId::new().to_string(),
                starts_at: "2026-12-10T08:00:00Z".into(),
                ends_at: "2026-12-10T08:30:00Z".into(),
                ..Default::default()
            },
        );
        let link = recorded(
            2,
            "booking-r_2026-12-10",
            &iev::ManageLinkIssued {
                appointment_id: id.to_string(),
                token: Some(Sealed::default()),
                ..Default::default()
            },
        );
        let mut m = Model::default();
        for e in [&booked, &link, &booked, &link, &booked] {
            m.fold(e).expect("folds");
        }
        let a = &m.appointments[&id];
        assert!(a.token.is_some(), "a second booking event wiped the token");
        assert_eq!((a.sequence, m.position), (0, Position(2)));
    }
}

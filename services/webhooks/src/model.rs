//! The service's fold of the log: the subscriptions (from their own
//! streams) and what payloads need to say of an appointment, a drop-in
//! ticket or a reminder (from the booking, drop-in and reminder streams).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ap;
use contracts::proto::reminders::v1 as rm;
use contracts::proto::webhooks::v1 as wh;
use contracts::{ResidentId, SiteId, StaffId, decode_event};
use eventlog::{Position, RecordedEvent};
use uuid::Uuid;

use crate::error::WebhookError;
use crate::kinds::Kind;

/// A subscription as the log leaves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub owner: StaffId,
    pub url: String,
    pub kinds: Vec<Kind>,
    /// Empty: every site.
    pub sites: Vec<SiteId>,
    pub personal: bool,
    pub personal_reason: String,
    pub created_at: DateTime<Utc>,
    /// The secret's generation (rotations so far).
    pub generation: u32,
    /// Until then, the previous generation's secret signs too.
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// Why deliveries stopped, while they are.
    pub paused: Option<Paused>,
    pub removed: bool,
    /// Its stream's version: deliveries are recorded at it.
    pub version: u64,
    /// Every event up to here was delivered or passed over.
    pub done_to: Position,
    /// The event that failed last and was not delivered since.
    pub failing: Option<Failing>,
    /// Deliveries made, and tries that failed.
    pub delivered: u64,
    pub failed: u64,
}

/// Why a subscription delivers nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Paused {
    /// Its owner asked.
    ByOwner,
    /// Its receiver failed for a day: the last error.
    Failing(String),
}

/// An event whose delivery keeps failing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failing {
    pub position: Position,
    pub attempts: u32,
    pub first_failed_at: DateTime<Utc>,
    pub next_at: DateTime<Utc>,
    pub error: String,
}

/// One entry of a delivery log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Delivery {
    /// The log position of the event delivered.
    pub position: u64,
    pub event_id: String,
    pub kind: String,
    pub attempt: u32,
    /// The receiver's status; 0 when it did not answer.
    pub status: u32,
    pub delivered: bool,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
    pub next_at: Option<String>,
}

/// What payloads say of an appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub reference: String,
    pub resident: ResidentId,
    pub site: SiteId,
    pub permanence: String,
    pub starts_at: String,
    pub ends_at: String,
    pub reason: String,
}

impl Appointment {
    /// The appointment a booking or a move (its arrival) writes, with its
    /// id; `None` for any other event.
    pub fn of(e: &RecordedEvent) -> Result<Option<(Uuid, Appointment)>, WebhookError> {
        let (id, a) = if let Some(x) = decode_event::<ap::AppointmentBooked>(e)? {
            let reason = x.reason().code();
            let (id, resident, site) = (x.appointment_id, x.resident_id, x.site_id);
            let a = (
                reason,
                x.reference,
                resident,
                site,
                x.permanence_id,
                x.starts_at,
                x.ends_at,
            );
            (id, a)
        } else if let Some(x) = decode_event::<ap::AppointmentMovedIn>(e)? {
            let reason = x.reason().code();
            let (id, resident, site) = (x.appointment_id, x.resident_id, x.site_id);
            let a = (
                reason,
                x.reference,
                resident,
                site,
                x.permanence_id,
                x.starts_at,
                x.ends_at,
            );
            (id, a)
        } else {
            return Ok(None);
        };
        let (reason, reference, resident, site, permanence, starts_at, ends_at) = a;
        Ok(Some((
            uuid_of(e, &id, "appointment id")?,
            Appointment {
                reference,
                resident: resident.parse().map_err(|_| bad(e, "resident id"))?,
                site: site.parse().map_err(|_| bad(e, "site id"))?,
                permanence,
                starts_at,
                ends_at,
                reason,
            },
        )))
    }

    /// What a payload's `data` says of it.
    pub fn data(&self, id: Uuid) -> serde_json::Value {
        serde_json::json!({
            "appointment_id": id,
            "reference": self.reference,
            "site_id": self.site,
            "permanence_id": self.permanence,
            "start": self.starts_at,
            "end": self.ends_at,
            "reason": self.reason,
        })
    }
}

/// What payloads say of a drop-in ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub site: SiteId,
    pub permanence: String,
    pub number: u32,
}

/// What payloads say of a reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    pub appointment: Uuid,
    pub site: Option<SiteId>,
    pub channel: String,
    pub kind: String,
}

#[derive(Debug, Default)]
pub struct Model {
    pub position: Position,
    pub subscriptions: BTreeMap<Uuid, Subscription>,
    pub appointments: HashMap<Uuid, Appointment>,
    pub tickets: HashMap<Uuid, Ticket>,
    pub reminders: HashMap<Uuid, Reminder>,
}

fn bad(e: &RecordedEvent, what: &str) -> WebhookError {
    WebhookError::Corrupt(format!(
        "{} at {} holds no valid {what}",
        e.event_type, e.position.0
    ))
}

fn uuid_of(e: &RecordedEvent, raw: &str, what: &str) -> Result<Uuid, WebhookError> {
    raw.parse().map_err(|_| bad(e, what))
}

fn time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl Model {
    /// Folds one event of the log.
    pub fn apply(&mut self, e: &RecordedEvent) -> Result<(), WebhookError> {
        self.position = e.position;
        match eventlog::category_of(&e.stream) {
            crate::CATEGORY => self.apply_subscription(e),
            _ => self.apply_source(e),
        }
    }

    fn subscription(&mut self, e: &RecordedEvent) -> Result<&mut Subscription, WebhookError> {
        let id = e
            .stream
            .strip_prefix("webhook-")
            .and_then(|raw| raw.parse::<Uuid>().ok())
            .ok_or_else(|| bad(e, "subscription stream"))?;
        let s = self
            .subscriptions
            .get_mut(&id)
            .ok_or_else(|| bad(e, "subscription before its start"))?;
        s.version = e.version;
        Ok(s)
    }

    fn apply_subscription(&mut self, e: &RecordedEvent) -> Result<(), WebhookError> {
        if let Some(x) = decode_event::<wh::WebhookSubscribed>(e)? {
            let id = uuid_of(e, &x.subscription_id, "subscription id")?;
            let sites = x
                .site_ids
                .iter()
                .map(|s| s.parse().map_err(|_| bad(e, "site id")))
                .collect::<Result<Vec<SiteId>, _>>()?;
            self.subscriptions.insert(
                id,
                Subscription {
                    id,
                    owner: x.owner_staff_id.parse().map_err(|_| bad(e, "staff id"))?,
                    url: x.url,
                    kinds: x.kinds.iter().filter_map(|k| Kind::from_name(k)).collect(),
                    sites,
                    personal: x.personal,
                    personal_reason: x.personal_reason,
                    created_at: e.metadata.recorded_at,
                    generation: 0,
                    previous_valid_until: None,
                    paused: None,
                    removed: false,
                    version: e.version,
                    done_to: Position(x.from_position),
                    failing: None,
                    delivered: 0,
                    failed: 0,
                },
            );
        } else if let Some(x) = decode_event::<wh::WebhookSecretRotated>(e)? {
            let s = self.subscription(e)?;
            s.generation = x.generation;
            s.previous_valid_until = time(&x.previous_valid_until);
        } else if let Some(x) = decode_event::<wh::WebhookPaused>(e)? {
            self.subscription(e)?.paused = Some(match x.reason.as_str() {
                "owner" => Paused::ByOwner,
                _ => Paused::Failing(x.error),
            });
        } else if decode_event::<wh::WebhookResumed>(e)?.is_some() {
            let s = self.subscription(e)?;
            s.paused = None;
            // Tried again at once, the count of a day starting over.
            s.failing = None;
        } else if decode_event::<wh::WebhookRemoved>(e)?.is_some() {
            self.subscription(e)?.removed = true;
        } else if let Some(x) = decode_event::<wh::WebhookDelivered>(e)? {
            let s = self.subscription(e)?;
            s.done_to = s.done_to.max(Position(x.position));
            s.failing = None;
            s.delivered += 1;
        } else if let Some(x) = decode_event::<wh::WebhookAttemptFailed>(e)? {
            let at = e.metadata.recorded_at;
            let s = self.subscription(e)?;
            s.failed += 1;
            let first = match &s.failing {
                Some(f) if f.position.0 == x.position => f.first_failed_at,
                _ => at,
            };
            s.failing = Some(Failing {
                position: Position(x.position),
                attempts: x.attempt,
                first_failed_at: first,
                next_at: time(&x.next_at).unwrap_or(at),
                error: x.error,
            });
        } else if let Some(x) = decode_event::<wh::WebhookPassed>(e)? {
            let s = self.subscription(e)?;
            s.done_to = s.done_to.max(Position(x.position));
        }
        Ok(())
    }

    fn apply_source(&mut self, e: &RecordedEvent) -> Result<(), WebhookError> {
        if let Some((id, a)) = Appointment::of(e)? {
            self.appointments.insert(id, a);
        } else if let Some(x) = decode_event::<ap::DropInArrived>(e)? {
            let id = uuid_of(e, &x.ticket_id, "ticket id")?;
            self.tickets.insert(
                id,
                Ticket {
                    site: x.site_id.parse().map_err(|_| bad(e, "site id"))?,
                    permanence: x.permanence_id,
                    number: x.number,
                },
            );
        } else if let Some(x) = decode_event::<rm::ReminderScheduled>(e)? {
            let id = uuid_of(e, &x.reminder_id, "reminder id")?;
            self.reminders.insert(
                id,
                Reminder {
                    appointment: uuid_of(e, &x.appointment_id, "appointment id")?,
                    site: x.site_id.parse().ok(),
                    channel: match x.channel() {
                        rm::Channel::Email => "email",
                        _ => "sms",
                    }
                    .to_owned(),
                    kind: format!("{:?}", x.kind()).to_lowercase(),
                },
            );
        }
        Ok(())
    }
}

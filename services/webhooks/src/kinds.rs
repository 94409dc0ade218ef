//! The kinds of events a subscription may ask for, and which log events
//! they are.

use contracts::proto::appointments::v1 as ap;
use contracts::proto::reminders::v1 as rm;
use contracts::{Reason, decode_event};
use eventlog::RecordedEvent;

/// A kind of event, as subscriptions and payloads name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    AppointmentBooked,
    AppointmentMoved,
    AppointmentCancelled,
    AppointmentNoShow,
    WorkshopEnrolled,
    VisitRecorded,
    DropInServed,
    ReminderFailed,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::AppointmentBooked,
        Kind::AppointmentMoved,
        Kind::AppointmentCancelled,
        Kind::AppointmentNoShow,
        Kind::WorkshopEnrolled,
        Kind::VisitRecorded,
        Kind::DropInServed,
        Kind::ReminderFailed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::AppointmentBooked => "appointment.booked",
            Kind::AppointmentMoved => "appointment.moved",
            Kind::AppointmentCancelled => "appointment.cancelled",
            Kind::AppointmentNoShow => "appointment.no_show",
            Kind::WorkshopEnrolled => "workshop.enrolled",
            Kind::VisitRecorded => "visit.recorded",
            Kind::DropInServed => "dropin.served",
            Kind::ReminderFailed => "reminder.failed",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind of a log event, if it is one subscriptions can ask for.
    pub fn of(e: &RecordedEvent) -> Option<Kind> {
        let name = e.event_type.as_str();
        Some(match name {
            _ if is::<ap::AppointmentBooked>(name) => {
                // A workshop place is an appointment of reason workshop.
                let booked: ap::AppointmentBooked = decode_event(e).ok().flatten()?;
                if booked.reason() == Reason::Workshop {
                    Kind::WorkshopEnrolled
                } else {
                    Kind::AppointmentBooked
                }
            }
            _ if is::<ap::AppointmentMovedIn>(name) => Kind::AppointmentMoved,
            _ if is::<ap::AppointmentCancelled>(name) => Kind::AppointmentCancelled,
            _ if is::<ap::AppointmentNoShow>(name) => Kind::AppointmentNoShow,
            _ if is::<ap::VisitRequestsRecorded>(name) => Kind::VisitRecorded,
            _ if is::<ap::DropInServed>(name) => Kind::DropInServed,
            _ if is::<rm::ReminderFailed>(name) => Kind::ReminderFailed,
            _ => return None,
        })
    }
}

/// Whether `name` is `E`'s type name, compared without building it (as
/// `contracts::decode_event` does): this runs for every event scanned.
fn is<E: prost::Name>(name: &str) -> bool {
    name.strip_prefix(E::PACKAGE)
        .and_then(|rest| rest.strip_prefix('.'))
        == Some(E::NAME)
}

/// The log's categories where these events are.
pub const SOURCES: [&str; 3] = [
    contracts::streams::BOOKING,
    contracts::streams::DROP_IN,
    contracts::ReminderId::CATEGORY,
];

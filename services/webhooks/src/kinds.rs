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
            _ if name == full::<ap::AppointmentBooked>() => {
                // A workshop place is an appointment of reason workshop.
                let booked: ap::AppointmentBooked = decode_event(e).ok().flatten()?;
                if booked.reason() == Reason::Workshop {
                    Kind::WorkshopEnrolled
                } else {
                    Kind::AppointmentBooked
                }
            }
            _ if name == full::<ap::AppointmentMovedIn>() => Kind::AppointmentMoved,
            _ if name == full::<ap::AppointmentCancelled>() => Kind::AppointmentCancelled,
            _ if name == full::<ap::AppointmentNoShow>() => Kind::AppointmentNoShow,
            _ if name == full::<ap::VisitRequestsRecorded>() => Kind::VisitRecorded,
            _ if name == full::<ap::DropInServed>() => Kind::DropInServed,
            _ if name == full::<rm::ReminderFailed>() => Kind::ReminderFailed,
            _ => return None,
        })
    }
}

fn full<E: prost::Name>() -> String {
    E::full_name()
}

/// The log's categories where these events are.
pub const SOURCES: [&str; 3] = [
    contracts::streams::BOOKING,
    contracts::streams::DROP_IN,
    contracts::ReminderId::CATEGORY,
];

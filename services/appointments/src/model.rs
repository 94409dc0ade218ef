//! The appointments read model: the calendar (folded from the calendar's
//! own events, with the calendar's pure fold) and every booking, per
//! permanence, with each permanence stream's version.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::proto::identity::v1 as links;
use contracts::{AppointmentId, Party, Reason, ResidentId, RuleId, SiteId, decode_event};
use eventlog::{Position, RecordedEvent, StreamName};

use crate::error::AppointmentError;

/// The category of the permanences' booking streams.
pub use contracts::streams::BOOKING;

/// The booking stream of a permanence.
pub fn booking_stream(permanence_id: &str) -> Result<StreamName, AppointmentError> {
    StreamName::of(BOOKING, permanence_id).map_err(AppointmentError::from)
}

/// Where an appointment is in its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Booked,
    Arrived,
    InProgress,
    Done,
    NoShow,
    /// The resident said they could not come (a workshop's attendance:
    /// present, absent, excused).
    Excused,
}

impl Stage {
    /// The stage a step's name in an address or a form leads to:
    /// `arrived`, `started`, `done`, `no-show`, `excused`, and `undo`
    /// (back to booked).
    pub fn of_step(step: &str) -> Option<Stage> {
        Some(match step {
            "arrived" => Stage::Arrived,
            "started" => Stage::InProgress,
            "done" => Stage::Done,
            "no-show" => Stage::NoShow,
            "excused" => Stage::Excused,
            // Takes back an arrival, a no-show or an excuse recorded by
            // mistake.
            "undo" => Stage::Booked,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: AppointmentId,
    pub reference: String,
    pub resident: ResidentId,
    pub site: SiteId,
    pub permanence_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Reason,
    pub booked_by: Party,
    pub cancelled: bool,
    pub stage: Stage,
    /// When the resident checked in, if they did.
    pub arrived_at: Option<DateTime<Utc>>,
    /// A move from another permanence whose `AppointmentMovedOut` is not
    /// written yet: (that permanence, the `AppointmentMovedIn` event id).
    pub leaving: Option<(String, uuid::Uuid)>,
    /// Staff took back a step of it (an arrival or a no-show recorded by
    /// mistake): the no-show sweep leaves it alone.
    pub undone: bool,
    /// The token hashes of its manage links that still work (the
    /// `ManageLinkIssued` events appended with it): a move issues them
    /// again until the new end.
    pub links: Vec<[u8; 32]>,
    /// A place in a workshop series: the enrolment (its first place's id).
    pub series: Option<AppointmentId>,
    /// When it was written.
    pub booked_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    position: Position,
    pub calendar: timetable::Model,
    /// Stream name → version, for the streams this service writes.
    versions: HashMap<String, u64>,
    pub bookings: HashMap<AppointmentId, Booking>,
    by_permanence: HashMap<String, Vec<AppointmentId>>,
    pub by_resident: HashMap<ResidentId, Vec<AppointmentId>>,
    /// Residents merged into another (identity's `ResidentMerged`), until
    /// an administrator undoes it: the one who holds their appointments.
    merged_into: HashMap<ResidentId, ResidentId>,
    /// Residents erased (identity's `ResidentErased`): their future
    /// appointments are cancelled.
    pub erased: std::collections::HashSet<ResidentId>,
    pub queues: crate::queue::Queues,
    /// Visit (appointment or ticket) id → the requests it carried.
    pub visits: HashMap<uuid::Uuid, Vec<ev::VisitRequest>>,
    /// Visit id → where it oriented the resident, in order.
    pub orientations: HashMap<uuid::Uuid, Vec<ev::VisitOriented>>,
    /// A workshop series enrolment → its places, in the order written.
    pub series: HashMap<AppointmentId, Vec<AppointmentId>>,
    /// The waiting lists and the places held for them.
    pub waitlists: crate::waitlist::Waitlists,
}

fn bad(e: &RecordedEvent, what: &str) -> AppointmentError {
    AppointmentError::Internal(format!("event at {}: {what}", e.position))
}

fn time(e: &RecordedEvent, text: &str) -> Result<DateTime<Utc>, AppointmentError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| bad(e, "time"))
}

impl Model {
    pub fn position(&self) -> Position {
        self.position
    }

    /// One booking, or the refusal that names it.
    pub fn booking(&self, id: AppointmentId) -> Result<&Booking, AppointmentError> {
        self.bookings.get(&id).ok_or_else(|| {
            AppointmentError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-appointment",
                id = id
            ))
        })
    }

    /// The version of one of this service's streams, if it has one.
    pub fn version(&self, stream: &StreamName) -> Option<u64> {
        self.versions.get(stream.as_str()).copied()
    }

    /// The live (not cancelled) bookings held at a permanence now. A
    /// booking that moved away no longer counts here, even before its
    /// `AppointmentMovedOut` is written.
    pub fn live_at<'a>(&'a self, permanence_id: &'a str) -> impl Iterator<Item = &'a Booking> {
        self.by_permanence
            .get(permanence_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.bookings.get(id))
            .filter(move |b| !b.cancelled && b.permanence_id == permanence_id)
    }

    /// Who holds a resident's appointments: themself, or the resident they
    /// were merged into (followed to the end).
    pub fn holder(&self, mut resident: ResidentId) -> ResidentId {
        for _ in 0..64 {
            match self.merged_into.get(&resident) {
                Some(next) => resident = *next,
                None => break,
            }
        }
        resident
    }

    /// Future appointments of erased residents, still to cancel.
    pub fn of_erased(&self, now: DateTime<Utc>) -> Vec<AppointmentId> {
        self.erased
            .iter()
            .flat_map(|r| self.by_resident.get(r).into_iter().flatten())
            .filter_map(|id| self.bookings.get(id))
            .filter(|b| !b.cancelled && b.ends_at > now)
            .map(|b| b.id)
            .collect()
    }

    /// The live places of a series enrolment that are still ahead.
    pub fn series_ahead(&self, series: AppointmentId, now: DateTime<Utc>) -> Vec<&Booking> {
        self.series
            .get(&series)
            .into_iter()
            .flatten()
            .filter_map(|id| self.bookings.get(id))
            .filter(|b| !b.cancelled && b.ends_at > now)
            .collect()
    }

    /// Places of a series enrolment whose first place was never written
    /// (a crash, or a series refused half-way) and that are older than
    /// `before`: the enrolment did not happen, they are to cancel.
    pub fn unfinished_series(&self, before: DateTime<Utc>) -> Vec<AppointmentId> {
        self.series
            .iter()
            .filter(|(first, _)| !self.bookings.contains_key(first))
            .flat_map(|(_, places)| places)
            .filter_map(|id| self.bookings.get(id))
            .filter(|b| !b.cancelled && b.booked_at < before)
            .map(|b| b.id)
            .collect()
    }

    /// Moves that a crash interrupted: their `AppointmentMovedOut` is due.
    pub fn unfinished_moves(&self) -> impl Iterator<Item = &Booking> {
        self.bookings.values().filter(|b| b.leaving.is_some())
    }

    /// Folds events read from the log after [`Model::position`].
    pub fn apply(&mut self, events: &[RecordedEvent]) -> Result<(), AppointmentError> {
        for e in events {
            if let Some(x) = decode_event::<ev::VisitRequestsRecorded>(e)? {
                self.versions.insert(e.stream.clone(), e.version);
                let id: uuid::Uuid = x.visit_id.parse().map_err(|_| bad(e, "visit"))?;
                self.visits.insert(id, x.requests);
            } else if let Some(x) = decode_event::<ev::VisitOriented>(e)? {
                self.versions.insert(e.stream.clone(), e.version);
                let id: uuid::Uuid = x.visit_id.parse().map_err(|_| bad(e, "visit"))?;
                self.orientations.entry(id).or_default().push(x);
            } else if e.category() == BOOKING {
                self.fold(e)?;
            } else if e.category() == crate::waitlist::WAITLIST {
                self.versions.insert(e.stream.clone(), e.version);
                self.waitlists.fold_list(e)?;
            } else if e.category() == crate::queue::DROP_IN {
                self.versions.insert(e.stream.clone(), e.version);
                self.queues.fold(e)?;
            } else if e.category() == ResidentId::CATEGORY {
                if let Some(x) = decode_event::<contracts::proto::residents::v1::ResidentErased>(e)?
                {
                    self.erased
                        .insert(x.resident_id.parse().map_err(|_| bad(e, "resident"))?);
                } else if let Some(x) =
                    decode_event::<contracts::proto::residents::v1::ResidentMerged>(e)?
                {
                    // The kept resident holds the duplicate's appointments too.
                    let from: ResidentId = x.resident_id.parse().map_err(|_| bad(e, "resident"))?;
                    let into: ResidentId =
                        x.into_resident_id.parse().map_err(|_| bad(e, "resident"))?;
                    let moved = self.by_resident.remove(&from).unwrap_or_default();
                    self.by_resident.entry(into).or_default().extend(moved);
                    self.merged_into.insert(from, into);
                } else if let Some(x) =
                    decode_event::<contracts::proto::residents::v1::ResidentUnmerged>(e)?
                {
                    // Their own appointments (and those of residents merged
                    // into them) come back to them.
                    let id: ResidentId = x.resident_id.parse().map_err(|_| bad(e, "resident"))?;
                    let from: ResidentId =
                        x.from_resident_id.parse().map_err(|_| bad(e, "resident"))?;
                    self.merged_into.remove(&id);
                    let held = self.by_resident.remove(&from).unwrap_or_default();
                    let (back, stay): (Vec<_>, Vec<_>) = held.into_iter().partition(|a| {
                        self.bookings
                            .get(a)
                            .is_some_and(|b| self.holder(b.resident) == id)
                    });
                    self.by_resident.insert(from, stay);
                    self.by_resident.entry(id).or_default().extend(back);
                }
            } else {
                self.calendar
                    .apply(std::slice::from_ref(e))
                    .map_err(|c| AppointmentError::Internal(c.to_string()))?;
            }
            self.position = e.position;
        }
        Ok(())
    }

    fn fold(&mut self, e: &RecordedEvent) -> Result<(), AppointmentError> {
        let permanence = e
            .stream
            .split_once('-')
            .map(|(_, p)| p.to_owned())
            .ok_or_else(|| bad(e, "stream"))?;
        self.versions.insert(e.stream.clone(), e.version);
        if self.waitlists.fold_booking(e)? {
            return Ok(());
        }
        if let Some(x) = decode_event::<ev::AppointmentBooked>(e)? {
            let id: AppointmentId = x.appointment_id.parse().map_err(|_| bad(e, "id"))?;
            let resident: ResidentId = x.resident_id.parse().map_err(|_| bad(e, "resident"))?;
            let booking = Booking {
                id,
                reference: x.reference.clone(),
                resident,
                site: x.site_id.parse().map_err(|_| bad(e, "site"))?,
                permanence_id: permanence.clone(),
                starts_at: time(e, &x.starts_at)?,
                ends_at: time(e, &x.ends_at)?,
                reason: x.reason(),
                #[allow(deprecated)]
                booked_by: Party::read(x.booker, &x.booked_by),
                cancelled: false,
                stage: Stage::Booked,
                arrived_at: None,
                leaving: None,
                undone: false,
                links: Vec::new(),
                series: match x.series_id.as_str() {
                    "" => None,
                    s => Some(s.parse().map_err(|_| bad(e, "series"))?),
                },
                booked_at: e.metadata.recorded_at,
            };
            if let Some(s) = booking.series {
                self.series.entry(s).or_default().push(id);
            }
            self.bookings.insert(id, booking);
            self.by_permanence.entry(permanence).or_default().push(id);
            self.by_resident.entry(resident).or_default().push(id);
        } else if let Some(x) = decode_event::<ev::AppointmentMovedIn>(e)? {
            let id: AppointmentId = x.appointment_id.parse().map_err(|_| bad(e, "id"))?;
            let Some(b) = self.bookings.get_mut(&id) else {
                return Err(bad(e, "a move of an unknown appointment"));
            };
            b.starts_at = time(e, &x.starts_at)?;
            b.ends_at = time(e, &x.ends_at)?;
            if x.from_permanence_id != permanence {
                b.leaving = Some((x.from_permanence_id.clone(), e.event_id));
                b.permanence_id = permanence.clone();
                self.by_permanence.entry(permanence).or_default().push(id);
            }
        } else if let Some(x) = decode_event::<ev::AppointmentMovedOut>(e)? {
            let id: AppointmentId = x.appointment_id.parse().map_err(|_| bad(e, "id"))?;
            if let Some(b) = self.bookings.get_mut(&id)
                && b.leaving
                    .as_ref()
                    .is_some_and(|(from, _)| *from == permanence)
            {
                b.leaving = None;
            }
            let back_here = self
                .bookings
                .get(&id)
                .is_some_and(|b| b.permanence_id == permanence);
            if !back_here && let Some(list) = self.by_permanence.get_mut(&permanence) {
                list.retain(|a| *a != id);
            }
        } else if let Some((id, stage)) = Self::stage_of(e)? {
            if let Some(b) = self.bookings.get_mut(&id) {
                if stage == Stage::Arrived {
                    b.arrived_at = Some(e.metadata.recorded_at);
                }
                b.stage = stage;
            }
        } else if let Some(x) = decode_event::<ev::AppointmentStepUndone>(e)? {
            if let Some(b) = self.booking_named(e, &x.appointment_id)? {
                b.stage = Stage::Booked;
                b.arrived_at = None;
                b.undone = true;
            }
        } else if let Some(x) = decode_event::<links::ManageLinkIssued>(e)? {
            let hash: [u8; 32] = x
                .token_sha256
                .as_slice()
                .try_into()
                .map_err(|_| bad(e, "link hash"))?;
            if let Some(b) = self.booking_named(e, &x.appointment_id)?
                && !b.links.contains(&hash)
            {
                b.links.push(hash);
            }
        } else if let Some(x) = decode_event::<links::ManageLinkRevoked>(e)? {
            if let Some(b) = self.booking_named(e, &x.appointment_id)? {
                b.links
                    .retain(|h| h.as_slice() != x.token_sha256.as_slice());
            }
        } else if let Some(x) = decode_event::<ev::AppointmentCancelled>(e)?
            && let Some(b) = x
                .appointment_id
                .parse()
                .ok()
                .and_then(|id: AppointmentId| self.bookings.get_mut(&id))
        {
            b.cancelled = true;
        }
        Ok(())
    }

    /// The booking an event names, if this model knows it.
    fn booking_named(
        &mut self,
        e: &RecordedEvent,
        id: &str,
    ) -> Result<Option<&mut Booking>, AppointmentError> {
        let id: AppointmentId = id.parse().map_err(|_| bad(e, "id"))?;
        Ok(self.bookings.get_mut(&id))
    }

    /// The stage an event moves its appointment to, if it is one of those.
    fn stage_of(e: &RecordedEvent) -> Result<Option<(AppointmentId, Stage)>, AppointmentError> {
        let found = if let Some(x) = decode_event::<ev::ResidentArrived>(e)? {
            Some((x.appointment_id, Stage::Arrived))
        } else if let Some(x) = decode_event::<ev::AppointmentStarted>(e)? {
            Some((x.appointment_id, Stage::InProgress))
        } else if let Some(x) = decode_event::<ev::AppointmentDone>(e)? {
            Some((x.appointment_id, Stage::Done))
        } else if let Some(x) = decode_event::<ev::AppointmentExcused>(e)? {
            Some((x.appointment_id, Stage::Excused))
        } else {
            decode_event::<ev::AppointmentNoShow>(e)?.map(|x| (x.appointment_id, Stage::NoShow))
        };
        found
            .map(|(id, stage)| id.parse().map(|id| (id, stage)).map_err(|_| bad(e, "id")))
            .transpose()
    }

    /// The live bookings of a permanence, in time order, those who arrived
    /// first among the same time.
    pub fn day_list(&self, permanence_id: &str) -> Vec<Booking> {
        let mut list: Vec<Booking> = self.live_at(permanence_id).cloned().collect();
        list.sort_by_key(|b| (b.starts_at, b.arrived_at.is_none(), b.arrived_at));
        list
    }

    /// The rule of a permanence id.
    pub fn rule_of(permanence_id: &str) -> Option<RuleId> {
        timetable::parse_permanence_id(permanence_id)
            .ok()
            .map(|(r, _)| r)
    }
}

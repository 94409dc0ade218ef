//! The statistics fold: per permanence (the "créneau"), what happened, from
//! the appointments' `booking-…` and `dropin-…` streams and the reminders'
//! `reminder-…` streams. Pure: events in, figures out, no I/O.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use contracts::proto::appointments::v1 as aev;
use contracts::proto::calendar::v1 as cev;
use contracts::proto::reminders::v1 as rev;
use contracts::{Reason, ReasonKind, SiteId, decode_event};
use eventlog::{Position, RecordedEvent};
use serde::{Deserialize, Serialize};

use crate::error::StatsError;

/// A cancellation this close to the start is "late".
pub const LATE_CANCELLATION_HOURS: i64 = 24;

/// What one visit (an appointment or a drop-in ticket) carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub reason: Reason,
    pub accompaniment: aev::Accompaniment,
    pub outcome: aev::Outcome,
    #[serde(default = "not_said")]
    pub autonomy: aev::Autonomy,
}

fn not_said() -> aev::Autonomy {
    aev::Autonomy::NotSaid
}

/// A visit's autonomy level (1 guided, 2 with help, 3 autonomous): the
/// lowest said among its requests (autonomous on a visit only when
/// autonomous for all of it); none when none was said.
pub fn visit_level(requests: &[Request]) -> Option<u8> {
    requests.iter().filter_map(|r| level_of(r.autonomy)).min()
}

/// An autonomy level as a number (1 guided, 2 with help, 3 autonomous).
pub fn level_of(a: aev::Autonomy) -> Option<u8> {
    match a {
        aev::Autonomy::Guided => Some(1),
        aev::Autonomy::WithHelp => Some(2),
        aev::Autonomy::Autonomous => Some(3),
        aev::Autonomy::NotSaid => None,
    }
}

/// One appointment, as the statistics need it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Appointment {
    permanence: String,
    resident: String,
    starts_at: DateTime<Utc>,
    /// Its booked length.
    #[serde(default)]
    minutes: u32,
    cancelled: bool,
    arrived: bool,
    no_show: bool,
    /// A reminder to it was delivered.
    reminded: bool,
    /// A place in a workshop session, counted apart from appointments.
    #[serde(default)]
    workshop: bool,
    /// Said they could not come (workshops' attendance).
    #[serde(default)]
    excused: bool,
    #[serde(default)]
    booked_at: Option<DateTime<Utc>>,
    /// A place in a workshop series: the enrolment (its first place's id).
    #[serde(default)]
    series: Option<String>,
}

/// One drop-in ticket.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Ticket {
    permanence: String,
    arrived_at: DateTime<Utc>,
    #[serde(default)]
    called_at: Option<DateTime<Utc>>,
    /// Minutes from call to service: how long the help lasted.
    #[serde(default)]
    minutes: Option<u32>,
    called: bool,
    served: bool,
    left: bool,
}

/// The raw figures of one permanence.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Permanence {
    pub site: Option<SiteId>,
    pub day: Option<NaiveDate>,
    /// Residents who came to an appointment.
    pub residents: HashSet<String>,
    /// Resident → their appointments here that arrived: an undone arrival
    /// leaves them present only while another one did.
    #[serde(default)]
    pub arrivals: HashMap<String, u32>,
    /// Drop-in tickets (each a person).
    pub tickets: u32,
    /// Visit id → its requests (a later record replaces an earlier one).
    pub visits: HashMap<String, Vec<Request>>,
    /// Resident (a pseudonymous id, kept after erasure: the count
    /// survives, the person does not) → the autonomy level of their visit
    /// here, for the progression over successive visits.
    #[serde(default)]
    pub levels: HashMap<String, u8>,
    /// Visit id → where it oriented the resident (`helper:it_helper`,
    /// `partner:CAF`…), each once.
    #[serde(default)]
    pub oriented: HashMap<String, Vec<String>>,
    /// Seconds from arrival to call, drop-in.
    pub waits: Vec<u32>,
    /// Left the drop-in without being served.
    pub left_unserved: u32,
    pub booked: u32,
    pub booked_online: u32,
    pub booked_by_staff: u32,
    /// Hours from booking to the appointment.
    pub lead_hours: Vec<u32>,
    pub cancelled: u32,
    pub cancelled_late: u32,
    /// Messages about this permanence's appointments: handed to a
    /// provider, reported delivered, given up.
    #[serde(default)]
    pub reminders_sent: u32,
    #[serde(default)]
    pub reminders_delivered: u32,
    #[serde(default)]
    pub reminders_failed: u32,
    /// A workshop session (its places are not appointments).
    #[serde(default)]
    pub workshop: bool,
    /// Places booked in it and not cancelled.
    #[serde(default)]
    pub workshop_places: u32,
    /// A workshop session's length (its places are booked whole).
    #[serde(default)]
    pub session_minutes: u32,
    /// Orientations to a workshop from a visit here: (resident, the
    /// workshop's rule id, when), followed to an enrolment and a presence.
    #[serde(default)]
    pub workshop_oriented: Vec<(String, String, DateTime<Utc>)>,
}

/// Everything the statistics fold; stored as it is (JSON) with its
/// checkpoint, so that a restart continues where it was.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Fold {
    pub position: Position,
    pub events: u64,
    pub permanences: BTreeMap<String, Permanence>,
    appointments: HashMap<String, Appointment>,
    tickets: HashMap<String, Ticket>,
    /// Reminder id → appointment id, for delivery reports.
    reminders: HashMap<String, String>,
    /// Reminders reported delivered (each counted once).
    #[serde(default)]
    delivered: HashSet<String>,
    /// Sites by their name, folded from the calendar's site events: the
    /// statistics need no calendar service to name a row or check a site.
    #[serde(default)]
    pub sites: BTreeMap<SiteId, String>,
    /// Workshops by their rule id: (title, theme), folded from the
    /// calendar's rule events, for the activity report's collective rows.
    #[serde(default)]
    pub workshops: BTreeMap<String, WorkshopInfo>,
}

/// What the statistics keep of a workshop's rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkshopInfo {
    pub title: String,
    pub theme: Reason,
    /// Sessions attended for a series to count as completed; 0: all.
    pub completion_sessions: u32,
}

fn minutes_between(from: DateTime<Utc>, to: DateTime<Utc>) -> u32 {
    u32::try_from((to - from).num_minutes().max(0)).unwrap_or(u32::MAX)
}

fn time(text: &str, e: &RecordedEvent) -> Result<DateTime<Utc>, StatsError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|err| {
            StatsError::Internal(format!("event at {}: time {text:?}: {err}", e.position))
        })
}

/// `<rule id>_<date>` → its date.
fn day_of(permanence: &str) -> Option<NaiveDate> {
    permanence
        .rsplit_once('_')
        .and_then(|(_, d)| d.parse().ok())
}

impl Fold {
    fn permanence(&mut self, id: &str, site: Option<&str>) -> &mut Permanence {
        let p = self.permanences.entry(id.to_owned()).or_default();
        if p.day.is_none() {
            p.day = day_of(id);
        }
        if p.site.is_none() {
            p.site = site.and_then(|s| s.parse().ok());
        }
        p
    }

    /// Folds one event.
    pub fn fold(&mut self, e: &RecordedEvent) -> Result<(), StatsError> {
        self.position = self.position.max(e.position);
        self.events += 1;
        let site = if let Some(x) = decode_event::<cev::SiteOpened>(e)? {
            Some((x.site_id, x.details))
        } else {
            decode_event::<cev::SiteDetailsChanged>(e)?.map(|x| (x.site_id, x.details))
        };
        let rule = if let Some(x) = decode_event::<cev::PermanenceRuleCreated>(e)? {
            Some((x.rule_id, x.rule))
        } else {
            decode_event::<cev::PermanenceRuleChanged>(e)?.map(|x| (x.rule_id, x.rule))
        };
        if let Some((id, rule)) = rule {
            if let Some(rule) = rule
                && let Some(w) = rule.offer.as_ref().and_then(|o| o.workshop.as_ref())
            {
                self.workshops.insert(
                    id,
                    WorkshopInfo {
                        title: rule.label.clone(),
                        theme: w.theme(),
                        completion_sessions: w.completion_sessions,
                    },
                );
            }
            return Ok(());
        }
        if let Some((id, details)) = site {
            if let Ok(id) = id.parse::<SiteId>() {
                self.sites
                    .insert(id, details.map(|d| d.name).unwrap_or_default());
            }
            return Ok(());
        }
        if let Some(x) = decode_event::<aev::AppointmentBooked>(e)? {
            let starts_at = time(&x.starts_at, e)?;
            let minutes = minutes_between(starts_at, time(&x.ends_at, e)?);
            let lead = (starts_at - e.metadata.recorded_at).num_hours().max(0);
            let workshop = x.reason() == Reason::Workshop;
            let p = self.permanence(&x.permanence_id, Some(&x.site_id));
            if workshop {
                p.workshop = true;
                p.workshop_places += 1;
                p.session_minutes = minutes;
            } else {
                p.booked += 1;
                #[allow(deprecated)]
                let booker = contracts::Party::read(x.booker, &x.booked_by);
                if booker == contracts::Party::Staff {
                    p.booked_by_staff += 1;
                } else {
                    p.booked_online += 1;
                }
                p.lead_hours.push(u32::try_from(lead).unwrap_or(u32::MAX));
            }
            self.appointments.insert(
                x.appointment_id,
                Appointment {
                    permanence: x.permanence_id,
                    resident: x.resident_id,
                    starts_at,
                    minutes,
                    cancelled: false,
                    arrived: false,
                    no_show: false,
                    reminded: false,
                    workshop,
                    excused: false,
                    booked_at: Some(e.metadata.recorded_at),
                    series: Some(x.series_id).filter(|s| !s.is_empty()),
                },
            );
        } else if let Some(x) = decode_event::<aev::AppointmentMovedIn>(e)? {
            let starts_at = time(&x.starts_at, e)?;
            let Some(a) = self.appointments.get_mut(&x.appointment_id) else {
                return Ok(());
            };
            let from = std::mem::replace(&mut a.permanence, x.permanence_id.clone());
            a.starts_at = starts_at;
            a.minutes = minutes_between(starts_at, time(&x.ends_at, e)?);
            let workshop = a.workshop;
            if from != x.permanence_id {
                if let Some(old) = self.permanences.get_mut(&from) {
                    if workshop {
                        old.workshop_places = old.workshop_places.saturating_sub(1);
                    } else {
                        old.booked = old.booked.saturating_sub(1);
                    }
                }
                let new = self.permanence(&x.permanence_id, Some(&x.site_id));
                if workshop {
                    new.workshop = true;
                    new.workshop_places += 1;
                } else {
                    new.booked += 1;
                }
            }
        } else if let Some(x) = decode_event::<aev::AppointmentCancelled>(e)? {
            let Some(a) = self.appointments.get_mut(&x.appointment_id) else {
                return Ok(());
            };
            a.cancelled = true;
            let late = (a.starts_at - e.metadata.recorded_at).num_hours() < LATE_CANCELLATION_HOURS;
            let permanence = a.permanence.clone();
            let workshop = a.workshop;
            let p = self.permanence(&permanence, None);
            if workshop {
                p.workshop_places = p.workshop_places.saturating_sub(1);
                return Ok(());
            }
            p.cancelled += 1;
            if late {
                p.cancelled_late += 1;
            }
        } else if let Some(x) = decode_event::<aev::ResidentArrived>(e)? {
            if let Some(a) = self.appointments.get_mut(&x.appointment_id)
                && !std::mem::replace(&mut a.arrived, true)
                // A workshop's participants are counted by its attendance,
                // not among the people a permanence received.
                && !a.workshop
            {
                let (permanence, resident) = (a.permanence.clone(), a.resident.clone());
                let p = self.permanence(&permanence, None);
                *p.arrivals.entry(resident.clone()).or_default() += 1;
                p.residents.insert(resident);
            }
        } else if let Some(x) = decode_event::<aev::AppointmentNoShow>(e)? {
            if let Some(a) = self.appointments.get_mut(&x.appointment_id) {
                a.no_show = true;
            }
        } else if let Some(x) = decode_event::<aev::AppointmentExcused>(e)? {
            if let Some(a) = self.appointments.get_mut(&x.appointment_id) {
                a.excused = true;
                a.no_show = false;
            }
        } else if let Some(x) = decode_event::<aev::AppointmentStepUndone>(e)? {
            // An arrival or a no-show taken back: counted as if never
            // recorded. The resident stays present at the permanence only
            // if another of their appointments there arrived.
            if let Some(a) = self.appointments.get_mut(&x.appointment_id) {
                let was_arrived = std::mem::replace(&mut a.arrived, false) && !a.workshop;
                a.no_show = false;
                a.excused = false;
                let (permanence, resident) = (a.permanence.clone(), a.resident.clone());
                if was_arrived {
                    let p = self.permanence(&permanence, None);
                    let left = p.arrivals.get_mut(&resident).map_or(0, |n| {
                        *n = n.saturating_sub(1);
                        *n
                    });
                    if left == 0 {
                        p.arrivals.remove(&resident);
                        p.residents.remove(&resident);
                    }
                }
            }
        } else if let Some(x) = decode_event::<aev::DropInArrived>(e)? {
            self.permanence(&x.permanence_id, Some(&x.site_id)).tickets += 1;
            self.tickets.insert(
                x.ticket_id,
                Ticket {
                    permanence: x.permanence_id,
                    arrived_at: e.metadata.recorded_at,
                    called_at: None,
                    minutes: None,
                    called: false,
                    served: false,
                    left: false,
                },
            );
        } else if let Some(x) = decode_event::<aev::DropInCalled>(e)? {
            if let Some(t) = self.tickets.get_mut(&x.ticket_id)
                && !t.called
            {
                t.called = true;
                t.called_at = Some(e.metadata.recorded_at);
                let wait = (e.metadata.recorded_at - t.arrived_at).num_seconds().max(0);
                let permanence = t.permanence.clone();
                self.permanence(&permanence, None)
                    .waits
                    .push(u32::try_from(wait).unwrap_or(u32::MAX));
            }
        } else if let Some(x) = decode_event::<aev::DropInServed>(e)? {
            if let Some(t) = self.tickets.get_mut(&x.ticket_id) {
                t.served = true;
                t.minutes = t
                    .called_at
                    .map(|called| minutes_between(called, e.metadata.recorded_at));
            }
        } else if let Some(x) = decode_event::<aev::DropInLeft>(e)? {
            if let Some(t) = self.tickets.get_mut(&x.ticket_id)
                && !t.served
                && !t.left
            {
                t.left = true;
                let permanence = t.permanence.clone();
                self.permanence(&permanence, None).left_unserved += 1;
            }
        } else if let Some(x) = decode_event::<aev::VisitRequestsRecorded>(e)? {
            let requests: Vec<Request> = x
                .requests
                .iter()
                .map(|r| Request {
                    reason: r.reason(),
                    accompaniment: r.how(),
                    outcome: r.came_to(),
                    autonomy: r.autonomy(),
                })
                .collect();
            let level = visit_level(&requests);
            let resident = self
                .appointments
                .get(&x.visit_id)
                .map(|a| a.resident.clone());
            let p = self.permanence(&x.permanence_id, Some(&x.site_id));
            if let Some(resident) = resident {
                match level {
                    Some(l) => {
                        p.levels.insert(resident, l);
                    }
                    None => {
                        p.levels.remove(&resident);
                    }
                }
            }
            p.visits.insert(x.visit_id, requests);
        } else if let Some(x) = decode_event::<aev::VisitOriented>(e)? {
            let to = match x.to_kind() {
                aev::OrientationKind::Partner => format!("partner:{}", x.to),
                aev::OrientationKind::Workshop => format!("workshop:{}", x.to),
                _ => format!("helper:{}", x.to),
            };
            if x.to_kind() == aev::OrientationKind::Workshop
                && let Some(resident) = self
                    .appointments
                    .get(&x.visit_id)
                    .map(|a| a.resident.clone())
            {
                self.permanence(&x.permanence_id, Some(&x.site_id))
                    .workshop_oriented
                    .push((resident, x.to.clone(), e.metadata.recorded_at));
            }
            let list = self
                .permanence(&x.permanence_id, Some(&x.site_id))
                .oriented
                .entry(x.visit_id)
                .or_default();
            if !list.contains(&to) {
                list.push(to);
            }
        } else if let Some(x) = decode_event::<rev::ReminderScheduled>(e)? {
            self.reminders.insert(x.reminder_id, x.appointment_id);
        } else if let Some(x) = decode_event::<rev::ReminderSent>(e)? {
            if let Some(p) = self.reminder_permanence(&x.reminder_id) {
                self.permanence(&p, None).reminders_sent += 1;
            }
        } else if let Some(x) = decode_event::<rev::ReminderFailed>(e)? {
            if let Some(p) = self.reminder_permanence(&x.reminder_id) {
                self.permanence(&p, None).reminders_failed += 1;
            }
        } else if let Some(x) = decode_event::<rev::ReminderDeliveryReported>(e)?
            && x.status == "delivered"
            && self.delivered.insert(x.reminder_id.clone())
            && let Some(id) = self.reminders.get(&x.reminder_id).cloned()
            && let Some(a) = self.appointments.get_mut(&id)
        {
            a.reminded = true;
            let permanence = a.permanence.clone();
            self.permanence(&permanence, None).reminders_delivered += 1;
        }
        Ok(())
    }

    /// How long a visit lasted, in minutes: an appointment's booked length,
    /// a drop-in ticket's call to service (none when not served).
    pub fn visit_minutes(&self, visit: &str) -> Option<u32> {
        self.appointments
            .get(visit)
            .map(|a| a.minutes)
            .filter(|m| *m > 0)
            .or_else(|| self.tickets.get(visit).and_then(|t| t.minutes))
    }

    /// Whether a visit is an appointment (else a drop-in ticket).
    pub fn is_appointment(&self, visit: &str) -> bool {
        self.appointments.contains_key(visit)
    }

    /// The permanence of the appointment a reminder is about.
    fn reminder_permanence(&self, reminder: &str) -> Option<String> {
        self.reminders
            .get(reminder)
            .and_then(|id| self.appointments.get(id))
            .map(|a| a.permanence.clone())
    }

    /// Appointments' outcomes per permanence, counted now (they change
    /// after the permanence: a no-show is marked when it ends).
    pub fn outcomes(&self) -> HashMap<&str, Outcomes> {
        let mut out: HashMap<&str, Outcomes> = HashMap::new();
        // Resident → their workshop places, for orientations followed.
        let mut places: HashMap<&str, Vec<&Appointment>> = HashMap::new();
        for a in self.appointments.values() {
            if a.workshop {
                places.entry(a.resident.as_str()).or_default().push(a);
            }
            if a.cancelled {
                continue;
            }
            let o = out.entry(a.permanence.as_str()).or_default();
            if a.workshop {
                match (a.arrived, a.excused, a.no_show) {
                    (true, _, _) => o.workshop_present += 1,
                    (false, true, _) => o.workshop_excused += 1,
                    (false, false, true) => o.workshop_absent += 1,
                    _ => {}
                }
                continue;
            }
            match (a.arrived, a.no_show, a.reminded) {
                (true, _, true) => {
                    o.honoured += 1;
                    o.reminded_honoured += 1;
                }
                (true, _, false) => o.honoured += 1,
                (false, true, true) => {
                    o.no_show += 1;
                    o.reminded_no_show += 1;
                }
                (false, true, false) => o.no_show += 1,
                _ => {}
            }
        }
        // Series enrolments, counted at their first place's session: those
        // written whole (their first place is there), and those whose
        // resident came to enough sessions.
        let mut series: HashMap<&str, Vec<&Appointment>> = HashMap::new();
        for a in self.appointments.values() {
            if let Some(s) = &a.series {
                series.entry(s.as_str()).or_default().push(a);
            }
        }
        for (first, places) in &series {
            let Some(head) = self.appointments.get(*first) else {
                continue;
            };
            let rule = head.permanence.split('_').next().unwrap_or_default();
            let kept = places.iter().filter(|a| !a.cancelled || a.arrived).count();
            if kept == 0 {
                // Cancelled whole, or refused half-way: no enrolment.
                continue;
            }
            let wanted = match self.workshops.get(rule).map(|w| w.completion_sessions) {
                Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
                _ => kept.max(1),
            };
            let present = places.iter().filter(|a| a.arrived).count();
            let o = out.entry(head.permanence.as_str()).or_default();
            o.series_enrolments += 1;
            if present >= wanted {
                o.series_completed += 1;
            }
        }
        for (id, p) in &self.permanences {
            for (resident, rule, at) in &p.workshop_oriented {
                let theirs: Vec<&&Appointment> = places
                    .get(resident.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|a| {
                        a.permanence.split('_').next() == Some(rule.as_str())
                            && a.booked_at.is_some_and(|b| b >= *at)
                    })
                    .collect();
                let o = out.entry(id.as_str()).or_default();
                o.oriented_workshop += 1;
                if !theirs.is_empty() {
                    o.oriented_enrolled += 1;
                }
                if theirs.iter().any(|a| a.arrived) {
                    o.oriented_attended += 1;
                }
            }
        }
        out
    }
}

/// What became of a permanence's appointments.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcomes {
    pub honoured: u32,
    pub no_show: u32,
    /// Of those, the appointments a delivered reminder reached.
    pub reminded_honoured: u32,
    pub reminded_no_show: u32,
    /// A workshop session's places: present, absent, excused.
    pub workshop_present: u32,
    pub workshop_absent: u32,
    pub workshop_excused: u32,
    /// Orientations to a workshop from visits here, those followed by an
    /// enrolment in it, and those whose resident came to a session.
    pub oriented_workshop: u32,
    pub oriented_enrolled: u32,
    pub oriented_attended: u32,
    /// Workshop series enrolments whose first session is here, and those
    /// completed (present at the sessions the workshop asks).
    pub series_enrolments: u32,
    pub series_completed: u32,
}

/// The code of a reason kind in the API and the CSV.
pub fn kind_code(kind: ReasonKind) -> &'static str {
    match kind {
        ReasonKind::OnlineProcedure => "online_procedure",
        ReasonKind::Smartphone => "smartphone",
        ReasonKind::Computer => "computer",
        ReasonKind::Email => "email",
        ReasonKind::Printing => "printing",
        ReasonKind::PersonalDocuments => "personal_documents",
        ReasonKind::Introduction => "introduction",
        ReasonKind::Other => "other",
        ReasonKind::Workshop => "workshop",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded<E: contracts::Event>(position: u64, stream: &str, e: &E) -> RecordedEvent {
        api::Acting::system("test", DateTime::<Utc>::UNIX_EPOCH)
            .recorded(e, stream, 0, Position(position))
            .expect("an event")
    }

    #[test]
    fn sites_are_named_from_their_own_events() {
        let site = SiteId::new();
        let details = |name: &str| {
            Some(cev::SiteDetails {
                name: name.into(),
                ..Default::default()
            })
        };
        let mut f = Fold::default();
        f.fold(&recorded(
            1,
            "site-x",
            &cev::SiteOpened {
                site_id: site.to_string(),
                details: details("Centre social Nord"),
            },
        ))
        .expect("fold");
        assert_eq!(
            f.sites.get(&site).map(String::as_str),
            Some("Centre social Nord")
        );
        f.fold(&recorded(
            2,
            "site-x",
            &cev::SiteDetailsChanged {
                site_id: site.to_string(),
                details: details("Espace numérique Nord"),
            },
        ))
        .expect("fold");
        assert_eq!(
            f.sites.get(&site).map(String::as_str),
            Some("Espace numérique Nord")
        );
    }
}

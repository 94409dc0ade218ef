//! The booking rules, decided on the model alone: no I/O, no clock (the
//! time is given), so each rule is tested on a model built from events.
//!
//! - [`slot`]: which permanence and end a wished time falls in, or why not.
//! - [`has_room`]: whether one more appointment fits (desks at every instant).
//! - [`held_for_reason`]: the one-appointment-per-reason rule.
//! - [`free_times`]: what can be booked, earliest first.
//! - [`step_allowed`]: the day of an appointment (arrived, started, done).
//!
//! The service ([`crate::Appointments`]) runs these inside its decide loop,
//! which appends at the version the decision read.

use chrono::{DateTime, Days, NaiveDate, Utc};
use contracts::{AppointmentId, Reason, ResidentId, SiteId};

use crate::error::{AppointmentError, Available};
use crate::model::{Booking, Model, Stage};
use crate::service::Settings;

/// A time as the resident reads it (Europe/Paris).
pub(crate) fn local(t: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
    contracts::time::to_local(t).fixed_offset()
}

/// The permanence and end of the appointment slot that starts at `start`
/// at `site` for `reason`, or why it cannot be booked: in the past, closer
/// than the notice, past the horizon, at no site, or at no slot.
pub fn slot(
    m: &Model,
    settings: &Settings,
    site: SiteId,
    start: DateTime<Utc>,
    reason: Reason,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), AppointmentError> {
    if start <= now {
        return Err(AppointmentError::invalid(
            "start",
            messages::say!(crate::MESSAGES, "this-time-is-in-past"),
        ));
    }
    if start < now + settings.notice {
        return Err(AppointmentError::invalid(
            "start",
            messages::say!(
                crate::MESSAGES,
                "book-at-least-minutes-ahead",
                notice = settings.notice.num_minutes()
            ),
        ));
    }
    let day = contracts::time::local_date(start);
    let today = contracts::time::local_date(now);
    if day > today + Days::new(settings.horizon_days) {
        return Err(AppointmentError::invalid(
            "start",
            messages::say!(
                crate::MESSAGES,
                "bookings-open-days-ahead-choose",
                horizon_days = settings.horizon_days
            ),
        ));
    }
    if !m.calendar.sites.contains_key(&site) {
        return Err(AppointmentError::invalid(
            "site",
            messages::say!(crate::MESSAGES, "there-is-no-site", site = site),
        ));
    }
    let permanences = m.calendar.permanences(Some(site), day, day)?;
    for p in permanences
        .iter()
        .filter(|p| p.bookable_for(Some(reason)) && p.status == timetable::Status::Open)
    {
        let slots = m.calendar.slots(&p.permanence_id, Some(reason))?;
        if let Some(s) = slots.iter().find(|s| s.starts_at == start) {
            return Ok((p.permanence_id.clone(), s.ends_at));
        }
    }
    Err(AppointmentError::invalid(
        "start",
        messages::say!(crate::MESSAGES, "there-is-no-appointment-at"),
    ))
}

/// Whether one more appointment fits in `start..end` at the permanence:
/// every live booking and held place that overlaps it counts against the
/// desks, so that at no instant do more appointments run than there are
/// desks. `moving` is an appointment that is being moved, or the offer
/// being taken, which does not count against itself.
pub fn has_room(
    m: &Model,
    permanence_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    moving: Option<AppointmentId>,
) -> Result<bool, AppointmentError> {
    let p = m.calendar.permanence(permanence_id)?;
    let overlapping = m
        .live_at(permanence_id)
        .filter(|b| Some(b.id) != moving && b.starts_at < end && start < b.ends_at)
        .count();
    // A place held for someone on a waiting list counts, but for the
    // booking that takes it (whose id is the offer's).
    let held = m
        .waitlists
        .live_at(permanence_id)
        .filter(|h| Some(h.offer) != moving && h.starts_at < end && start < h.ends_at)
        .count();
    Ok(overlapping + held < usize::try_from(p.desks).unwrap_or(usize::MAX))
}

/// One appointment per reason: the appointment `resident` already holds
/// for `reason` that leaves no room for another at `site` (whose limit is
/// 1 unless the site says more), if there is one.
pub fn held_for_reason(
    m: &Model,
    resident: ResidentId,
    site: SiteId,
    reason: Reason,
    now: DateTime<Utc>,
) -> Option<&Booking> {
    let limit = m
        .calendar
        .sites
        .get(&site)
        .map_or(1, |s| s.details.appointments_per_reason.max(1));
    let held: Vec<&Booking> = m
        .by_resident
        .get(&resident)
        .into_iter()
        .flatten()
        .filter_map(|id| m.bookings.get(id))
        .filter(|b| !b.cancelled && b.reason == reason && b.ends_at > now)
        .collect();
    if held.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
        held.first().copied()
    } else {
        None
    }
}

/// A workshop session's place that `resident` holds already: one place
/// per person in a session (the same phone is checked by the service,
/// which asks identity for the enrolled residents' numbers).
pub fn held_in_session<'a>(
    m: &'a Model,
    resident: ResidentId,
    permanence_id: &'a str,
) -> Option<&'a Booking> {
    let resident = m.holder(resident);
    m.live_at(permanence_id)
        .find(|b| m.holder(b.resident) == resident)
}

/// One session of a workshop series: its permanence, start and end.
pub type SeriesSession = (String, DateTime<Utc>, DateTime<Utc>);

/// The sessions a series enrolment at `permanence_id` takes a place in:
/// that session and every later one of its rule to the rule's last day,
/// those that will take place; `None` when the workshop is not a series.
pub fn series_sessions(
    m: &Model,
    permanence_id: &str,
) -> Result<Option<Vec<SeriesSession>>, AppointmentError> {
    let p = m.calendar.permanence(permanence_id)?;
    if !p.workshop.is_some_and(|w| w.series) {
        return Ok(None);
    }
    let last = m
        .calendar
        .rules
        .get(&p.rule_id)
        .and_then(|r| r.spec.valid_until)
        .unwrap_or(p.day);
    let sessions = m
        .calendar
        .permanences(Some(p.site_id), p.day, last.max(p.day))?
        .into_iter()
        .filter(|s| s.rule_id == p.rule_id && s.status == timetable::Status::Open)
        .filter(|s| s.starts_at >= p.starts_at)
        .map(|s| (s.permanence_id, s.starts_at, s.ends_at))
        .collect();
    Ok(Some(sessions))
}

/// Places left in a workshop session (or any permanence's desks over its
/// whole length): its places less its live bookings.
pub fn places_left(m: &Model, permanence_id: &str) -> Result<u32, AppointmentError> {
    let p = m.calendar.permanence(permanence_id)?;
    let taken = u32::try_from(
        m.live_at(permanence_id).count() + m.waitlists.live_at(permanence_id).count(),
    )
    .unwrap_or(u32::MAX);
    Ok(p.desks.saturating_sub(taken))
}

/// Whether an appointment at `from` may go to `to` on its day. Arriving
/// follows a booking; starting and finishing may skip the steps before
/// (a mediator who forgot to check someone in); nothing goes back.
pub fn step_allowed(from: Stage, to: Stage) -> bool {
    match to {
        Stage::Arrived => from == Stage::Booked,
        Stage::InProgress => matches!(from, Stage::Booked | Stage::Arrived),
        Stage::Done => matches!(from, Stage::Booked | Stage::Arrived | Stage::InProgress),
        Stage::NoShow => from == Stage::Booked,
        // Said after the fact: a no-show becomes excused.
        Stage::Excused => matches!(from, Stage::Booked | Stage::NoShow),
        // Taking back an arrival, a no-show or an excuse recorded by
        // mistake.
        Stage::Booked => matches!(from, Stage::Arrived | Stage::NoShow | Stage::Excused),
    }
}

/// Free appointment times for `reason`, at one site or all, on
/// `from..from+days`, earliest first, at most `limit`: not in the past, not
/// closer than the notice, not past the horizon, in open permanences only.
#[allow(clippy::too_many_arguments)]
pub fn free_times(
    m: &Model,
    settings: &Settings,
    site: Option<SiteId>,
    reason: Reason,
    from: NaiveDate,
    days: u64,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<Available>, AppointmentError> {
    let today = contracts::time::local_date(now);
    let from = from.max(today);
    let last = (from + Days::new(days.max(1) - 1)).min(today + Days::new(settings.horizon_days));
    if last < from {
        return Ok(Vec::new());
    }
    let permanences = m.calendar.permanences(site, from, last)?;
    let mut free = Vec::new();
    for p in permanences
        .iter()
        .filter(|p| p.bookable_for(Some(reason)) && p.status == timetable::Status::Open)
    {
        for s in m.calendar.slots(&p.permanence_id, Some(reason))? {
            if s.starts_at >= now + settings.notice
                && has_room(m, &p.permanence_id, s.starts_at, s.ends_at, None)?
            {
                free.push(Available {
                    start: local(s.starts_at),
                    end: local(s.ends_at),
                    site: p.site_id,
                    permanence: p.permanence_id.clone(),
                });
            }
        }
    }
    free.sort_by_key(|a| a.start);
    free.truncate(limit);
    Ok(free)
}

#[cfg(test)]
pub(crate) mod tests {
    //! A model of one site with one permanence on Thursday 10 December
    //! 2026, 09:00–12:00 Paris, 30-minute appointments at one desk.

    use super::*;
    use api::Acting;
    use contracts::proto::appointments::v1 as ev;
    use contracts::proto::calendar::v1 as cal;
    use contracts::{Event, RuleId};
    use eventlog::Position;

    pub(crate) struct Fixture {
        pub model: Model,
        pub site: SiteId,
        pub permanence: String,
        next: u64,
        versions: std::collections::HashMap<String, u64>,
    }

    pub(crate) fn paris(day: u32, h: u32, min: u32) -> DateTime<Utc> {
        contracts::time::to_utc(
            NaiveDate::from_ymd_opt(2026, 12, day)
                .and_then(|d| d.and_hms_opt(h, min, 0))
                .expect("a date"),
        )
        .expect("not in a clock change")
    }

    impl Fixture {
        pub(crate) fn new(desks: u32) -> Fixture {
            let site = SiteId::new();
            let rule = RuleId::new();
            let mut f = Fixture {
                model: Model::default(),
                site,
                permanence: format!("{rule}_2026-12-10"),
                next: 0,
                versions: Default::default(),
            };
            f.fold(
                &site.stream().to_string(),
                &cal::SiteOpened {
                    site_id: site.to_string(),
                    details: Some(cal::SiteDetails {
                        name: "Centre social Nord".into(),
                        address: "1 rue du Nord".into(),
                        open: true,
                        ..Default::default()
                    }),
                },
            );
            f.fold(
                &rule.stream().to_string(),
                &cal::PermanenceRuleCreated {
                    rule_id: rule.to_string(),
                    rule: Some(cal::PermanenceRule {
                        site_id: site.to_string(),
                        label: "Permanence".into(),
                        once_at: "2026-12-10T09:00".into(),
                        duration_minutes: 180,
                        valid_from: "2026-12-01".into(),
                        offer: Some(cal::Offer {
                            appointments: true,
                            appointment_minutes: 30,
                            desks,
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                },
            );
            f
        }

        pub(crate) fn fold<E: Event>(&mut self, stream: &str, e: &E) {
            self.next += 1;
            let version = self
                .versions
                .entry(stream.to_owned())
                .and_modify(|v| *v += 1)
                .or_insert(0);
            let recorded = Acting::system("test", paris(1, 9, 0))
                .recorded(e, stream, *version, Position(self.next))
                .expect("an event");
            self.model.apply(&[recorded]).expect("the model folds it");
        }

        pub(crate) fn book(
            &mut self,
            resident: ResidentId,
            h: u32,
            min: u32,
            reason: Reason,
        ) -> AppointmentId {
            let id = AppointmentId::new();
            let start = paris(10, h, min);
            let stream = format!("booking-{}", self.permanence);
            self.fold(
                &stream,
                &ev::AppointmentBooked {
                    appointment_id: id.to_string(),
                    reference: "ACD-EFG".into(),
                    resident_id: resident.to_string(),
                    site_id: self.site.to_string(),
                    permanence_id: self.permanence.clone(),
                    starts_at: start.to_rfc3339(),
                    ends_at: (start + chrono::Duration::minutes(30)).to_rfc3339(),
                    reason: reason.into(),
                    booker: contracts::Party::Resident.into(),
                    ..Default::default()
                },
            );
            id
        }

        pub(crate) fn cancel(&mut self, id: AppointmentId) {
            let stream = format!("booking-{}", self.permanence);
            self.fold(
                &stream,
                &ev::AppointmentCancelled {
                    appointment_id: id.to_string(),
                    canceller: contracts::Party::Resident.into(),
                    cause: contracts::CancelCause::Asked.into(),
                    ..Default::default()
                },
            );
        }
    }

    fn settings() -> Settings {
        Settings::default()
    }

    #[test]
    fn a_wished_time_finds_its_slot_or_says_why_not() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        let f = Fixture::new(1);
        let now = paris(7, 10, 0);
        let s = settings();
        let caf = Reason::ProcedureCaf;
        let (permanence, end) =
            slot(&f.model, &s, f.site, paris(10, 9, 30), caf, now).expect("09:30 is a slot");
        assert_eq!(permanence, f.permanence);
        assert_eq!(end, paris(10, 10, 0));
        let field = |r: Result<_, AppointmentError>| match r {
            Err(AppointmentError::Invalid { field, message }) => (field, message),
            other => panic!("expected a refusal, got {other:?}"),
        };
        // Between two slots.
        let (f1, m1) = field(slot(&f.model, &s, f.site, paris(10, 9, 10), caf, now));
        assert_eq!(f1, "start");
        assert!(m1.contains("/api/v1/availability"), "{m1}");
        // In the past, and closer than the hour of notice.
        let (_, m2) = field(slot(
            &f.model,
            &s,
            f.site,
            paris(10, 9, 30),
            caf,
            paris(10, 10, 0),
        ));
        assert!(m2.contains("past"), "{m2}");
        let (_, m3) = field(slot(
            &f.model,
            &s,
            f.site,
            paris(10, 9, 30),
            caf,
            paris(10, 9, 0),
        ));
        assert!(m3.contains("60 minutes"), "{m3}");
        // Past the horizon: four weeks ahead by default.
        let (_, m4) = field(slot(
            &f.model,
            &s,
            f.site,
            paris(10, 9, 30),
            caf,
            paris(1, 9, 0) - chrono::Duration::days(20),
        ));
        assert!(m4.contains("28 days"), "{m4}");
        // At a site that does not exist.
        let (f5, _) = field(slot(
            &f.model,
            &s,
            SiteId::new(),
            paris(10, 9, 30),
            caf,
            now,
        ));
        assert_eq!(f5, "site");
    }

    #[test]
    fn desks_bound_the_appointments_at_every_instant() {
        let mut f = Fixture::new(1);
        let (nine, half) = (paris(10, 9, 0), paris(10, 9, 30));
        assert!(has_room(&f.model, &f.permanence, nine, half, None).expect("room"));
        let a = f.book(ResidentId::new(), 9, 0, Reason::Email);
        assert!(!has_room(&f.model, &f.permanence, nine, half, None).expect("room"));
        // The next slot does not overlap; a move of the holder fits its own place.
        assert!(has_room(&f.model, &f.permanence, half, paris(10, 10, 0), None).expect("room"));
        assert!(has_room(&f.model, &f.permanence, nine, half, Some(a)).expect("room"));
        // A cancelled appointment frees its place.
        f.cancel(a);
        assert!(has_room(&f.model, &f.permanence, nine, half, None).expect("room"));
        // Two desks hold two at once.
        let mut two = Fixture::new(2);
        two.book(ResidentId::new(), 9, 0, Reason::Email);
        assert!(has_room(&two.model, &two.permanence, nine, half, None).expect("room"));
        two.book(ResidentId::new(), 9, 0, Reason::Email);
        assert!(!has_room(&two.model, &two.permanence, nine, half, None).expect("room"));
    }

    #[test]
    fn one_appointment_per_reason_unless_cancelled_or_past() {
        let mut f = Fixture::new(2);
        let amina = ResidentId::new();
        let now = paris(7, 10, 0);
        assert!(held_for_reason(&f.model, amina, f.site, Reason::ProcedureCaf, now).is_none());
        let caf = f.book(amina, 9, 0, Reason::ProcedureCaf);
        let held = held_for_reason(&f.model, amina, f.site, Reason::ProcedureCaf, now);
        assert_eq!(held.map(|b| b.id), Some(caf));
        // Another reason is another appointment; another resident is free.
        assert!(held_for_reason(&f.model, amina, f.site, Reason::Email, now).is_none());
        assert!(
            held_for_reason(
                &f.model,
                ResidentId::new(),
                f.site,
                Reason::ProcedureCaf,
                now
            )
            .is_none()
        );
        // Once it has ended, a new one may be booked.
        assert!(
            held_for_reason(
                &f.model,
                amina,
                f.site,
                Reason::ProcedureCaf,
                paris(10, 9, 31)
            )
            .is_none()
        );
        f.cancel(caf);
        assert!(held_for_reason(&f.model, amina, f.site, Reason::ProcedureCaf, now).is_none());
    }

    #[test]
    fn the_day_of_an_appointment_goes_forward_and_a_mistaken_check_in_or_no_show_is_undone() {
        use Stage::*;
        assert!(step_allowed(Booked, Arrived));
        assert!(step_allowed(Arrived, InProgress));
        assert!(step_allowed(Booked, Done), "a forgotten check-in");
        assert!(step_allowed(InProgress, Done));
        assert!(step_allowed(Booked, NoShow));
        assert!(!step_allowed(NoShow, Arrived));
        assert!(!step_allowed(Done, InProgress));
        assert!(!step_allowed(Arrived, NoShow));
        // Undone: back to booked from an arrival or a no-show only.
        assert!(step_allowed(Arrived, Booked));
        assert!(step_allowed(NoShow, Booked));
        assert!(!step_allowed(InProgress, Booked));
        assert!(!step_allowed(Done, Booked));
    }

    #[test]
    fn free_times_skip_full_slots_and_the_notice() {
        let mut f = Fixture::new(1);
        let s = settings();
        let all = free_times(
            &f.model,
            &s,
            None,
            Reason::Email,
            NaiveDate::from_ymd_opt(2026, 12, 10).expect("date"),
            1,
            paris(7, 10, 0),
            usize::MAX,
        )
        .expect("times");
        assert_eq!(all.len(), 6, "09:00 to 11:30, every half hour");
        f.book(ResidentId::new(), 9, 30, Reason::Email);
        let day = NaiveDate::from_ymd_opt(2026, 12, 10).expect("date");
        // On the day at 09:10: 09:00 is past, 09:30 taken, 10:00 within the
        // hour of notice; 10:30 is the first.
        let left = free_times(
            &f.model,
            &s,
            Some(f.site),
            Reason::Email,
            day,
            1,
            paris(10, 9, 10),
            2,
        )
        .expect("times");
        assert_eq!(
            left.iter().map(|a| a.start).collect::<Vec<_>>(),
            vec![local(paris(10, 10, 30)), local(paris(10, 11, 0))]
        );
    }
}

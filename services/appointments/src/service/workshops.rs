//! Workshop sessions ("ateliers collectifs"): permanences whose offer is a
//! workshop, each booked whole with [`Reason::Workshop`] through the same
//! decide loop as appointments (so 100 residents racing for the last 3
//! places make 3 enrolments), with the same reminders, manage link and
//! day list. Here: the sessions with their places left, and the sweep
//! that cancels what a cancelled permanence or a closure left booked.

use api::Acting;
use chrono::{DateTime, Days, FixedOffset, NaiveDate, Utc};
use contracts::{AppointmentId, CancelCause, Language, Party, PhoneNumber, Reason, RuleId, SiteId};
use serde::Serialize;

use super::Appointments;
use super::booking::{BookRequest, Booked, Booker};
use crate::decide::{local, places_left, series_sessions};
use crate::error::AppointmentError;

/// One workshop session as residents and staff see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Session {
    pub permanence_id: String,
    pub site_id: SiteId,
    pub site_name: String,
    /// The workshop's title: its rule's label.
    pub title: String,
    #[serde(flatten)]
    pub workshop: timetable::Workshop,
    pub starts_at: DateTime<FixedOffset>,
    pub ends_at: DateTime<FixedOffset>,
    pub places: u32,
    pub places_left: u32,
    /// Open to enrolment now: held, not full, not closer than the notice.
    pub bookable: bool,
    /// A series: the starts of every session one enrolment here takes a
    /// place in (this one first); `places_left` is the fewest among them.
    /// Empty for a single session.
    #[serde(rename = "series_sessions")]
    pub series: Vec<DateTime<FixedOffset>>,
    #[serde(flatten)]
    pub status: timetable::Status,
}

impl Appointments {
    /// The workshop sessions at one site or all, on `from..from+days`
    /// (at most the booking horizon ahead), earliest first, with the places
    /// each has left. Cancelled sessions are listed, closed, so that a
    /// resident who looks for theirs finds why.
    pub async fn workshop_sessions(
        &self,
        site: Option<SiteId>,
        from: NaiveDate,
        days: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Session>, AppointmentError> {
        let settings = &self.inner.settings;
        let today = contracts::time::local_date(now);
        let from = from.max(today);
        let last =
            (from + Days::new(days.max(1) - 1)).min(today + Days::new(settings.horizon_days));
        if last < from {
            return Ok(Vec::new());
        }
        let m = self.read(false).await?;
        let mut sessions = Vec::new();
        let mut series_listed = std::collections::HashSet::new();
        for p in m.calendar.permanences(site, from, last)? {
            let Some(workshop) = p.workshop else { continue };
            if p.ends_at <= now {
                continue;
            }
            let mut left = places_left(&m, &p.permanence_id)?;
            let mut series = Vec::new();
            if workshop.series {
                // A series is listed once, at the next session one can
                // still enrol from.
                if p.starts_at < now + settings.notice
                    || p.status != timetable::Status::Open
                    || !series_listed.insert(p.rule_id)
                {
                    continue;
                }
                for (id, start, _) in series_sessions(&m, &p.permanence_id)?.into_iter().flatten() {
                    left = left.min(places_left(&m, &id)?);
                    series.push(local(start));
                }
            }
            sessions.push(Session {
                series,
                bookable: p.status == timetable::Status::Open
                    && left > 0
                    && p.starts_at >= now + settings.notice,
                permanence_id: p.permanence_id,
                site_id: p.site_id,
                site_name: p.site_name,
                title: p.label,
                workshop,
                starts_at: local(p.starts_at),
                ends_at: local(p.ends_at),
                places: p.desks,
                places_left: left,
                status: p.status,
            });
        }
        sessions.sort_by_key(|s| s.starts_at);
        Ok(sessions)
    }

    /// Moves the places of workshop sessions whose time changed (the
    /// coordinator changed the workshop's rule) to the session's new time:
    /// each resident is told by the reminders (the moved notice). A place
    /// that cannot follow (the session now too close, or fewer places) is
    /// left as it is and logged. Run every minute by `serve`; running it
    /// twice changes nothing.
    pub async fn follow_moved_sessions(
        &self,
        now: DateTime<Utc>,
    ) -> Result<usize, AppointmentError> {
        let due: Vec<(AppointmentId, DateTime<Utc>)> = {
            let m = self.read(true).await?;
            m.bookings
                .values()
                .filter(|b| {
                    b.reason == contracts::Reason::Workshop
                        && !b.cancelled
                        && b.leaving.is_none()
                        && b.starts_at > now
                })
                .filter_map(|b| {
                    let p = m.calendar.permanence(&b.permanence_id).ok()?;
                    (p.status == timetable::Status::Open
                        && p.workshop.is_some()
                        && (p.starts_at != b.starts_at || p.ends_at != b.ends_at)
                        && p.starts_at > now)
                        .then_some((b.id, p.starts_at))
                })
                .collect()
        };
        let acting = Acting::system("workshops", now);
        let mut moved = 0;
        for (id, start) in due {
            match self.reschedule(&acting, id, start, Party::System).await {
                Ok(_) => moved += 1,
                Err(e @ (AppointmentError::Store(_) | AppointmentError::Internal(_))) => {
                    return Err(e);
                }
                Err(e) => {
                    tracing::warn!(appointment = %id, error = %e, "a workshop place could not follow its session's new time");
                }
            }
        }
        Ok(moved)
    }

    /// Cancels the appointments and workshop places still booked at a
    /// permanence that will not take place (cancelled, or the site closed
    /// that day), saying why: the reminders service tells each resident.
    /// Run every minute by `serve`; running it twice changes nothing.
    pub async fn cancel_for_closed(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due: Vec<(AppointmentId, String)> = {
            let m = self.read(true).await?;
            m.bookings
                .values()
                .filter(|b| !b.cancelled && b.starts_at > now && b.leaving.is_none())
                .filter_map(|b| match m.calendar.permanence(&b.permanence_id) {
                    Ok(p) => match p.status {
                        timetable::Status::Closed { reason } => Some((b.id, reason)),
                        timetable::Status::Open => None,
                    },
                    // A permanence its rule no longer holds (retired, or
                    // moved by a change): left to staff, who were told
                    // how many appointments it held.
                    Err(_) => None,
                })
                .collect()
        };
        let acting = Acting::system("closures", now);
        for (id, reason) in &due {
            self.write_cancel(
                &acting,
                *id,
                Party::System,
                reason,
                CancelCause::PermanenceCancelled,
            )
            .await?;
        }
        Ok(due.len())
    }

    /// Enrols the resident of a visit (an appointment: a drop-in visitor is
    /// not known by name) in `session`, a session of the workshop `rule`,
    /// on the staff member's word: the same rules as any place (one per
    /// person and phone, the room, the notice), the same reminders.
    pub async fn enrol_visitor(
        &self,
        acting: &Acting,
        visit: uuid::Uuid,
        rule: RuleId,
        session: &str,
    ) -> Result<Booked, AppointmentError> {
        let now = acting.at;
        let (resident, site, start) = {
            let m = self.read(false).await?;
            let Some(b) = m.bookings.get(&AppointmentId(visit)) else {
                return Err(AppointmentError::invalid(
                    "session",
                    messages::say!(crate::MESSAGES, "enrol-a-drop-in-visitor-by-booking"),
                ));
            };
            let p = m
                .calendar
                .permanence(session)
                .ok()
                .filter(|p| p.rule_id == rule);
            let Some(p) = p.filter(|p| p.workshop.is_some()) else {
                return Err(AppointmentError::invalid(
                    "session",
                    messages::say!(crate::MESSAGES, "session-is-not-of-this-workshop"),
                ));
            };
            (m.holder(b.resident), p.site_id, p.starts_at)
        };
        let contact = self.inner.residents.contact(resident).await?;
        let Some(contact) = contact else {
            return Err(AppointmentError::NotFound(messages::say!(
                crate::MESSAGES,
                "there-is-no-appointment-or",
                visit = visit
            )));
        };
        let phone = contact
            .phone
            .as_deref()
            .and_then(|p| PhoneNumber::parse(p).ok())
            .ok_or_else(|| {
                AppointmentError::invalid(
                    "session",
                    messages::say!(crate::MESSAGES, "enrol-a-drop-in-visitor-by-booking"),
                )
            })?;
        let request = BookRequest {
            site,
            start,
            reason: Reason::Workshop,
            name: String::new(),
            phone: phone.as_str().to_owned(),
            email: None,
            language: Language::from_str_name(&contact.language).unwrap_or(Language::Fr),
            note: None,
            confirmation: None,
            sms_consent: contact.sms_consent,
        };
        let booker = Booker::Staff {
            acting: acting.clone(),
            override_reason: None,
        };
        let place = {
            let m = self.read(false).await?;
            crate::decide::slot(&m, &self.inner.settings, site, start, Reason::Workshop, now)?
        };
        let decided = self
            .decide_place(&request, &booker, &phone, Some(resident), place, now)
            .await?;
        self.take(acting, &request, resident, &booker, None, decided, None)
            .await
    }
}

//! Waiting lists: a resident joins when nothing is free (appointments of a
//! reason at a site) or a workshop is full; a freed place is held for the
//! first one waiting and offered by SMS (the reminders service sends it),
//! for two hours of the day (20:00–08:00 Paris does not count, and no
//! offer is made then); not taken in time, it goes to the next one.
//!
//! Exactly once: a hold is appended to the booking stream of its
//! permanence at the version the decision read (so a place is held for one
//! person, and two places go to two), and its event id derives from the
//! entry and its number of offers (so one entry is offered one place at a
//! time, whatever the processes: the log refuses the same id twice).

use api::Acting;
use chrono::{DateTime, Days, NaiveTime, Utc};
use contracts::ports::Registration;
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Language, Party, PhoneNumber, Reason, ResidentId, RuleId, SiteId};
use uuid::Uuid;

use super::booking::{BookRequest, Booker};
use super::{Appointments, Decision};
use crate::decide::{self, free_times, has_room};
use crate::error::AppointmentError;
use crate::model::{Booking, Model, booking_stream};
use crate::waitlist::{Entry, Hold, HoldState, list_of, waitlist_stream};

/// How long a place is held: hours of the day.
pub const HOLD: chrono::Duration = chrono::Duration::hours(2);
/// An offer shorter than this (the place starts too soon) is not made.
const SHORTEST_OFFER: chrono::Duration = chrono::Duration::minutes(20);
/// How long an entry's link works.
const ENTRY_LINK_DAYS: i64 = 90;
/// Event ids of holds: derived from the entry and its offer's number.
const HOLD_IDS: Uuid = Uuid::from_u128(0x7761_6974_6c69_7374_2d68_6f6c_6473_0001);

/// 20:00–08:00 in Paris: no offer is made, and a hold's time stops.
pub fn is_night(t: DateTime<Utc>) -> bool {
    let h = contracts::time::to_local(t).time();
    h < NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default()
        || h >= NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default()
}

/// `from` plus `hold` of daytime (08:00–20:00 Paris): the night does not
/// count, whatever the clock changes.
pub fn hold_until(from: DateTime<Utc>, hold: chrono::Duration) -> DateTime<Utc> {
    let (morning, evening) = (
        NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
        NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default(),
    );
    let at = |day: chrono::NaiveDate, t: NaiveTime| {
        contracts::time::to_utc(day.and_time(t)).unwrap_or(from)
    };
    let mut left = hold;
    let mut t = from;
    for _ in 0..400 {
        let local = contracts::time::to_local(t);
        let day = local.date_naive();
        if local.time() < morning {
            t = at(day, morning);
            continue;
        }
        if local.time() >= evening {
            t = at(day + Days::new(1), morning);
            continue;
        }
        let end = at(day, evening);
        if t + left <= end {
            return t + left;
        }
        left -= end - t;
        t = at(day + Days::new(1), morning);
    }
    t + left
}

/// A resident asking to wait.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub site: SiteId,
    /// Appointments of this reason, or, with `workshop`, `Reason::Workshop`.
    pub reason: Reason,
    pub workshop: Option<RuleId>,
    pub name: String,
    pub phone: String,
    pub language: Language,
    /// The offer comes by SMS: a list needs it.
    pub sms_consent: bool,
}

/// A resident on a list.
#[derive(Debug, Clone)]
pub struct Joined {
    pub entry: Entry,
    pub position: usize,
    /// The entry's link: its position, and leaving.
    pub token: String,
}

/// The next offer to make: the first entry waiting without an offer, of
/// the first list with a free place it can take.
struct Next {
    entry: Entry,
    permanence_id: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl Appointments {
    /// Puts a resident on the list of appointments of a reason at a site,
    /// or of a workshop: only when nothing is free (else they book), once
    /// per person and list.
    pub async fn join_waitlist(
        &self,
        request: JoinRequest,
        booker: Booker,
        now: DateTime<Utc>,
    ) -> Result<Joined, AppointmentError> {
        let phone = PhoneNumber::parse(&request.phone)
            .map_err(|e| AppointmentError::invalid("resident.phone", e.to_string()))?;
        if request.name.trim().is_empty() || request.name.chars().count() > 200 {
            return Err(AppointmentError::invalid(
                "resident.name",
                messages::say!(crate::MESSAGES, "give-residents-name-200-characters"),
            ));
        }
        if let Booker::Resident { client } = &booker
            && let Err(wait) = self.inner.per_ip.hit(client).await
        {
            return Err(AppointmentError::too_many(
                messages::say!(crate::MESSAGES, "too-many-bookings-from-this"),
                wait,
            ));
        }
        if !request.sms_consent {
            return Err(AppointmentError::invalid(
                "sms_consent",
                messages::say!(crate::MESSAGES, "a-waiting-list-needs-sms"),
            ));
        }
        let list = {
            let m = self.read(true).await?;
            check_list(&m, &self.inner.settings, &request, now)?
        };
        let acting = match &booker {
            Booker::Resident { .. } => Acting::system("waitlist", now),
            Booker::Staff { acting, .. } => acting.clone(),
        };
        let found = self
            .inner
            .residents
            .resident_named(&phone, &request.name)
            .await?;
        let registration = match found {
            Some(_) => None,
            None => {
                let b = BookRequest {
                    site: request.site,
                    start: now,
                    reason: request.reason,
                    name: request.name.clone(),
                    phone: phone.as_str().to_owned(),
                    email: None,
                    language: request.language,
                    note: None,
                    confirmation: None,
                    sms_consent: true,
                };
                Some(self.register(&acting, &b, &phone).await?)
            }
        };
        let resident = match (&registration, found) {
            (Some(r), _) => r.resident,
            (None, Some(r)) => r,
            (None, None) => return Err(AppointmentError::Internal("an entry for nobody".into())),
        };
        let joined = self
            .write_join(
                &acting,
                &request,
                &list,
                resident,
                &booker,
                registration.as_ref(),
            )
            .await;
        if let (Err(_), Some(r)) = (&joined, &registration) {
            self.drop_registration(&acting, r, false).await;
        }
        joined
    }

    async fn write_join(
        &self,
        acting: &Acting,
        request: &JoinRequest,
        list: &str,
        resident: ResidentId,
        booker: &Booker,
        registering: Option<&Registration>,
    ) -> Result<Joined, AppointmentError> {
        let id = Uuid::now_v7();
        let link = contracts::links::new_link(
            AppointmentId(id),
            resident,
            acting.at + chrono::Duration::days(ENTRY_LINK_DAYS),
        )
        .map_err(|e| AppointmentError::Internal(e.to_string()))?;
        let joined = ev::WaitlistJoined {
            entry_id: id.to_string(),
            list: list.to_owned(),
            site_id: request.site.to_string(),
            reason: request.reason.into(),
            rule_id: request.workshop.map(|r| r.to_string()).unwrap_or_default(),
            resident_id: resident.to_string(),
            joined_by: match booker {
                Booker::Resident { .. } => Party::Resident,
                Booker::Staff { .. } => Party::Staff,
            }
            .into(),
        };
        self.decide_with(registering, |m| {
            let holder = m.holder(resident);
            if let Some(e) = m
                .waitlists
                .waiting(list)
                .find(|e| m.holder(e.resident) == holder)
            {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "you-are-on-this-list-already",
                    position = m.waitlists.position(e).unwrap_or(1)
                )));
            }
            Ok(Decision::Append {
                stream: waitlist_stream(list)?,
                events: vec![acting.event(&joined)?, acting.event(&link.event)?],
                then: (),
            })
        })
        .await?;
        let m = self.read(false).await?;
        let entry = m
            .waitlists
            .entries
            .get(&id)
            .cloned()
            .ok_or_else(|| AppointmentError::Internal("an entry just written".into()))?;
        let position = m.waitlists.position(&entry).unwrap_or(1);
        tracing::info!(entry = %id, list, position, "waiting list joined");
        Ok(Joined {
            entry,
            position,
            token: link.token,
        })
    }

    /// Offers the resident of a visit (an appointment) a place in
    /// `session` of the workshop `rule` by SMS, on a mediator's word: they
    /// join the workshop's list and the place is held for them at once,
    /// two hours of the day, with the SMS and its link as any offer.
    /// Returns the offer's id.
    pub async fn offer_to_visitor(
        &self,
        acting: &Acting,
        visit: Uuid,
        rule: RuleId,
        session: &str,
    ) -> Result<AppointmentId, AppointmentError> {
        let now = acting.at;
        let (resident, site, start, end) = {
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
                .filter(|p| p.rule_id == rule && p.workshop.is_some_and(|w| !w.series));
            let Some(p) = p else {
                return Err(AppointmentError::invalid(
                    "session",
                    messages::say!(crate::MESSAGES, "session-is-not-of-this-workshop"),
                ));
            };
            if decide::held_in_session(&m, m.holder(b.resident), session).is_some() {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "this-phone-has-a-place-in-session"
                )));
            }
            (m.holder(b.resident), p.site_id, p.starts_at, p.ends_at)
        };
        let request = JoinRequest {
            site,
            reason: Reason::Workshop,
            workshop: Some(rule),
            name: String::new(),
            phone: String::new(),
            language: Language::Fr,
            sms_consent: true,
        };
        let booker = Booker::Staff {
            acting: acting.clone(),
            override_reason: None,
        };
        let list = list_of(site, Reason::Workshop, Some(rule));
        let joined = self
            .write_join(acting, &request, &list, resident, &booker, None)
            .await?;
        let next = Next {
            entry: joined.entry,
            permanence_id: session.to_owned(),
            start,
            end,
            expires_at: hold_until(now, HOLD).min(start - self.inner.settings.notice),
        };
        if next.expires_at <= now || !self.hold(acting, &next).await? {
            // No place to hold: they stay on the list, first in line for
            // the next one freed.
            return Err(self.taken(
                &*self.read(true).await?,
                site,
                Reason::Workshop,
                start,
                now,
            )?);
        }
        let m = self.read(false).await?;
        m.waitlists
            .entries
            .get(&next.entry.id)
            .and_then(|e| e.hold)
            .ok_or_else(|| AppointmentError::Internal("a place just held".into()))
    }

    /// An entry, its position while it waits, and the place held for it.
    pub async fn entry(
        &self,
        id: Uuid,
    ) -> Result<(Entry, Option<usize>, Option<Hold>), AppointmentError> {
        let m = self.read(false).await?;
        let entry = m.waitlists.entries.get(&id).cloned().ok_or_else(|| {
            AppointmentError::NotFound(messages::say!(crate::MESSAGES, "there-is-no-such-entry"))
        })?;
        let position = m.waitlists.position(&entry);
        let hold = entry.hold.and_then(|o| m.waitlists.holds.get(&o)).cloned();
        Ok((entry, position, hold))
    }

    /// The entries still waiting on the lists of a site, in order per list.
    pub async fn waiting_at(&self, site: SiteId) -> Result<Vec<(Entry, usize)>, AppointmentError> {
        let m = self.read(false).await?;
        let mut out = Vec::new();
        for list in m.waitlists.lists.keys() {
            for (k, e) in m.waitlists.waiting(list).enumerate() {
                if e.site == site {
                    out.push((e.clone(), k + 1));
                }
            }
        }
        Ok(out)
    }

    /// An offer (a held place), for its page.
    pub async fn offer(&self, id: AppointmentId) -> Result<Hold, AppointmentError> {
        self.read(false)
            .await?
            .waitlists
            .holds
            .get(&id)
            .cloned()
            .ok_or_else(|| {
                AppointmentError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-such-entry"
                ))
            })
    }

    /// Leaves a list (the resident, or reception for them); a place held
    /// for them goes to the next one.
    pub async fn leave_waitlist(&self, acting: &Acting, id: Uuid) -> Result<(), AppointmentError> {
        let hold = self.entry(id).await?.2;
        if let Some(h) = hold.filter(|h| h.state == HoldState::Live) {
            self.release(acting, h.offer, ev::PlaceReleasedCause::Declined)
                .await?;
        }
        self.decide(|m| {
            let Some(e) = m.waitlists.entries.get(&id) else {
                return Err(AppointmentError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-such-entry"
                )));
            };
            if e.ended.is_some() {
                return Ok(Decision::Answer(()));
            }
            Ok(Decision::Append {
                stream: waitlist_stream(&e.list)?,
                events: vec![acting.event(&ev::WaitlistLeft {
                    entry_id: id.to_string(),
                    cause: ev::WaitlistLeftCause::Asked.into(),
                })?],
                then: (),
            })
        })
        .await
    }

    /// Takes the place offered: an appointment whose id is the offer's,
    /// while the offer holds; the offer's link then opens it.
    pub async fn take_offer(
        &self,
        acting: &Acting,
        offer: AppointmentId,
    ) -> Result<Booking, AppointmentError> {
        let now = acting.at;
        let reference = super::booking::random_reference()?;
        self.decide(|m| {
            if m.bookings.contains_key(&offer) {
                return Ok(Decision::Answer(()));
            }
            let h = live_hold(m, offer, now)?;
            if !has_room(m, &h.permanence_id, h.starts_at, h.ends_at, Some(offer))? {
                return Err(AppointmentError::Internal(format!(
                    "a held place taken by someone else: {offer}"
                )));
            }
            let booked = ev::AppointmentBooked {
                appointment_id: offer.to_string(),
                reference: reference.clone(),
                resident_id: h.resident.to_string(),
                site_id: h.site.to_string(),
                permanence_id: h.permanence_id.clone(),
                starts_at: h.starts_at.to_rfc3339(),
                ends_at: h.ends_at.to_rfc3339(),
                reason: h.reason.into(),
                booker: Party::Resident.into(),
                ..Default::default()
            };
            let mut events = vec![acting.event(&booked)?];
            if let Some(hash) = h.link {
                // The offer's link now opens the appointment, to its end.
                events.push(
                    acting.event(&contracts::proto::identity::v1::ManageLinkIssued {
                        appointment_id: offer.to_string(),
                        resident_id: h.resident.to_string(),
                        token_sha256: hash.to_vec(),
                        expires_at: h.ends_at.to_rfc3339(),
                        token: None,
                    })?,
                );
            }
            Ok(Decision::Append {
                stream: booking_stream(&h.permanence_id)?,
                events,
                then: (),
            })
        })
        .await?;
        tracing::info!(appointment = %offer, "a place offered from a waiting list taken");
        self.get(offer).await
    }

    /// Declines the place offered: it goes to the next one, and the
    /// resident leaves the list.
    pub async fn decline_offer(
        &self,
        acting: &Acting,
        offer: AppointmentId,
    ) -> Result<(), AppointmentError> {
        live_hold(&*self.read(false).await?, offer, acting.at)?;
        self.release(acting, offer, ev::PlaceReleasedCause::Declined)
            .await
    }

    async fn release(
        &self,
        acting: &Acting,
        offer: AppointmentId,
        cause: ev::PlaceReleasedCause,
    ) -> Result<(), AppointmentError> {
        self.decide(|m| {
            let Some(h) = m.waitlists.holds.get(&offer) else {
                return Ok(Decision::Answer(()));
            };
            if h.state != HoldState::Live {
                return Ok(Decision::Answer(()));
            }
            Ok(Decision::Append {
                stream: booking_stream(&h.permanence_id)?,
                events: vec![acting.event(&ev::PlaceReleased {
                    offer_id: offer.to_string(),
                    cause: cause.into(),
                })?],
                then: (),
            })
        })
        .await
    }

    /// Releases the places whose offer lapsed (the next one waiting gets
    /// them at the next [`Appointments::offer_freed_places`]). Returns how
    /// many. Run every minute by `serve`.
    pub async fn release_lapsed(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let lapsed: Vec<AppointmentId> = self
            .read(true)
            .await?
            .waitlists
            .lapsed(now)
            .into_iter()
            .map(|h| h.offer)
            .collect();
        let acting = Acting::system("waitlists", now);
        for offer in &lapsed {
            self.release(&acting, *offer, ev::PlaceReleasedCause::Lapsed)
                .await?;
        }
        Ok(lapsed.len())
    }

    /// Holds every freed place for the first one waiting on its list, one
    /// place per entry at a time; none at night. Returns how many offers
    /// were made. Run every minute by `serve` (after releasing the lapsed
    /// ones); two processes running it make each offer once.
    pub async fn offer_freed_places(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        if is_night(now) {
            return Ok(0);
        }
        let acting = Acting::system("waitlists", now);
        let mut made = 0;
        let mut tries = 0usize;
        loop {
            let next = {
                let m = self.read(tries > 0).await?;
                next_offer(&m, &self.inner.settings, now)?
            };
            let Some(next) = next else {
                return Ok(made);
            };
            tries += 1;
            if tries > 100_000 {
                return Err(AppointmentError::Internal(
                    "offering freed places did not settle".into(),
                ));
            }
            if self.hold(&acting, &next).await? {
                made += 1;
            }
        }
    }

    /// Writes one hold and its link, if the place is still free and the
    /// entry still waits without an offer. `false`: someone else decided
    /// first (a booking, or another process's offer to this entry).
    async fn hold(&self, acting: &Acting, next: &Next) -> Result<bool, AppointmentError> {
        let e = &next.entry;
        let offer = AppointmentId::new();
        let mut link = contracts::links::new_link(offer, e.resident, next.expires_at)
            .map_err(|x| AppointmentError::Internal(x.to_string()))?;
        link.event.token = Some(self.inner.vault.seal(e.resident.0, &link.token).await?);
        let held = ev::PlaceHeld {
            offer_id: offer.to_string(),
            entry_id: e.id.to_string(),
            list: e.list.clone(),
            resident_id: e.resident.to_string(),
            site_id: e.site.to_string(),
            permanence_id: next.permanence_id.clone(),
            starts_at: next.start.to_rfc3339(),
            ends_at: next.end.to_rfc3339(),
            reason: e.reason.into(),
            expires_at: next.expires_at.to_rfc3339(),
        };
        let mut event = acting.event(&held)?;
        event.event_id = Uuid::new_v5(&HOLD_IDS, format!("{}/{}", e.id, e.offers).as_bytes());
        let written = self
            .decide(|m| {
                let waits =
                    m.waitlists.entries.get(&e.id).is_some_and(|x| {
                        x.ended.is_none() && x.hold.is_none() && x.offers == e.offers
                    });
                if !waits || !has_room(m, &next.permanence_id, next.start, next.end, None)? {
                    return Ok(Decision::Answer(false));
                }
                Ok(Decision::Append {
                    stream: booking_stream(&next.permanence_id)?,
                    events: vec![event.clone(), acting.event(&link.event)?],
                    then: true,
                })
            })
            .await;
        match written {
            Ok(w) => {
                if w {
                    tracing::info!(entry = %e.id, offer = %offer, permanence = %next.permanence_id, "a freed place held for the first one waiting");
                }
                Ok(w)
            }
            // Another process offered this entry its place first.
            Err(AppointmentError::Append(eventlog::AppendError::DuplicateEventIds { .. })) => {
                drop(self.read(true).await?);
                Ok(false)
            }
            Err(x) => Err(x),
        }
    }
}

/// A live hold, or why it cannot be taken.
fn live_hold(
    m: &Model,
    offer: AppointmentId,
    now: DateTime<Utc>,
) -> Result<&Hold, AppointmentError> {
    let h = m.waitlists.holds.get(&offer).ok_or_else(|| {
        AppointmentError::NotFound(messages::say!(crate::MESSAGES, "there-is-no-such-entry"))
    })?;
    if h.state != HoldState::Live || h.expires_at <= now {
        return Err(AppointmentError::Conflict(messages::say!(
            crate::MESSAGES,
            "this-offer-has-ended"
        )));
    }
    Ok(h)
}

/// The list a request joins, or why not: a reason residents choose at a
/// site, or a workshop of the site; and nothing free (else: book).
fn check_list(
    m: &Model,
    settings: &super::Settings,
    r: &JoinRequest,
    now: DateTime<Utc>,
) -> Result<String, AppointmentError> {
    if !m.calendar.sites.contains_key(&r.site) {
        return Err(AppointmentError::invalid(
            "site",
            messages::say!(crate::MESSAGES, "there-is-no-site", site = r.site),
        ));
    }
    let today = contracts::time::local_date(now);
    let free = match r.workshop {
        Some(rule) => {
            let workshop = m
                .calendar
                .rules
                .get(&rule)
                .filter(|x| x.spec.site == r.site)
                .and_then(|x| x.spec.offer.workshop);
            let Some(workshop) = workshop else {
                return Err(AppointmentError::invalid(
                    "workshop",
                    messages::say!(crate::MESSAGES, "session-is-not-of-this-workshop"),
                ));
            };
            // A series is followed from its start: a place freed in it
            // later is no place to offer.
            if workshop.series {
                return Err(AppointmentError::invalid(
                    "workshop",
                    messages::say!(crate::MESSAGES, "a-series-has-no-waiting-list"),
                ));
            }
            !workshop_places(m, settings, rule, now)?.is_empty()
        }
        None => {
            if !Reason::ALL.contains(&r.reason) {
                return Err(AppointmentError::invalid(
                    "reason",
                    messages::say!(crate::MESSAGES, "say-why-resident-comes"),
                ));
            }
            !free_times(
                m,
                settings,
                Some(r.site),
                r.reason,
                today,
                settings.horizon_days,
                now,
                1,
            )?
            .is_empty()
        }
    };
    if free {
        return Err(AppointmentError::Conflict(messages::say!(
            crate::MESSAGES,
            "there-are-free-places-book-one"
        )));
    }
    Ok(list_of(r.site, r.reason, r.workshop))
}

/// A workshop's sessions with a place one can enrol in now. A series has
/// none to offer (it has no list: it is followed from its first session).
fn workshop_places(
    m: &Model,
    settings: &super::Settings,
    rule: RuleId,
    now: DateTime<Utc>,
) -> Result<Vec<decide::SeriesSession>, AppointmentError> {
    let today = contracts::time::local_date(now);
    let Some(r) = m.calendar.rules.get(&rule) else {
        return Ok(Vec::new());
    };
    if r.spec.offer.workshop.is_none_or(|w| w.series) {
        return Ok(Vec::new());
    }
    let last = today + Days::new(settings.horizon_days);
    let mut out = Vec::new();
    for p in m.calendar.permanences(Some(r.spec.site), today, last)? {
        if p.rule_id == rule
            && p.status == timetable::Status::Open
            && p.starts_at >= now + settings.notice
            && has_room(m, &p.permanence_id, p.starts_at, p.ends_at, None)?
        {
            out.push((p.permanence_id, p.starts_at, p.ends_at));
        }
    }
    Ok(out)
}

/// The next offer to make, if any: for each list in turn, its first entry
/// waiting without an offer whose resident can take a free place now.
fn next_offer(
    m: &Model,
    settings: &super::Settings,
    now: DateTime<Utc>,
) -> Result<Option<Next>, AppointmentError> {
    let today = contracts::time::local_date(now);
    let until = hold_until(now, HOLD);
    for list in m.waitlists.lists.keys() {
        let mut waiting = m
            .waitlists
            .waiting(list)
            .filter(|e| e.hold.is_none())
            .peekable();
        let Some(first) = waiting.peek() else {
            continue;
        };
        let places = match first.workshop {
            Some(rule) => workshop_places(m, settings, rule, now)?,
            None => free_times(
                m,
                settings,
                Some(first.site),
                first.reason,
                today,
                settings.horizon_days,
                now,
                usize::MAX,
            )?
            .into_iter()
            .map(|a| (a.permanence, a.start.to_utc(), a.end.to_utc()))
            .collect(),
        };
        // The place must leave time to take it before the notice.
        let Some((permanence_id, start, end)) = places
            .into_iter()
            .find(|(_, s, _)| *s - settings.notice - now >= SHORTEST_OFFER)
        else {
            continue;
        };
        // Never a place they cannot take: one who holds an appointment of
        // the reason (or a place in the session) is passed over.
        let can_take = |e: &Entry| {
            let resident = m.holder(e.resident);
            match e.workshop {
                Some(_) => decide::held_in_session(m, resident, &permanence_id).is_none(),
                None => decide::held_for_reason(m, resident, e.site, e.reason, now).is_none(),
            }
        };
        if let Some(entry) = waiting.find(|e| can_take(e)) {
            return Ok(Some(Next {
                entry: entry.clone(),
                permanence_id,
                start,
                end,
                expires_at: until.min(start - settings.notice),
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::tests::paris;

    #[test]
    fn a_hold_counts_two_hours_of_the_day_and_never_the_night() {
        // 10:00 → 12:00 the same day.
        assert_eq!(hold_until(paris(10, 10, 0), HOLD), paris(10, 12, 0));
        // 19:30: half an hour tonight, an hour and a half from 08:00.
        assert_eq!(hold_until(paris(10, 19, 30), HOLD), paris(11, 9, 30));
        // Made at night (23:00 or 06:00): from 08:00.
        assert_eq!(hold_until(paris(10, 23, 0), HOLD), paris(11, 10, 0));
        assert_eq!(hold_until(paris(11, 6, 0), HOLD), paris(11, 10, 0));
        assert!(is_night(paris(10, 20, 0)) && is_night(paris(10, 7, 59)));
        assert!(!is_night(paris(10, 8, 0)) && !is_night(paris(10, 19, 59)));
    }
}

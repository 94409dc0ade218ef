//! Availability and booking: every rule is decided on the model before
//! anything is written, so a refused booking leaves nothing behind.

use api::Acting;
use chrono::{DateTime, NaiveDate, Utc};
use contracts::ports::{CodeChallenge, NewResident, Registration, ResidentsError};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Language, Party, PhoneNumber, Reason, ResidentId, SiteId};

use super::{Appointments, Decision};
use crate::decide::{self, SeriesSession, free_times, has_room, local};
use crate::error::{AppointmentError, Available};
use crate::model::{Booking, Model, Stage, booking_stream};

/// Alternatives offered when a place was taken.
const ALTERNATIVES: usize = 5;
/// Online bookings a phone number may receive in a day.
pub const ONLINE_PER_PHONE_DAILY: u32 = 3;
pub const MAX_NOTE: usize = 300;

/// Who books.
#[derive(Debug, Clone)]
pub enum Booker {
    /// The resident, online, from this address.
    Resident { client: String },
    /// Staff on the phone; `override_reason` lets them book past the
    /// one-appointment-per-reason rule.
    Staff {
        acting: Acting,
        override_reason: Option<String>,
    },
}

/// A booking as asked.
#[derive(Debug, Clone)]
pub struct BookRequest {
    pub site: SiteId,
    pub start: DateTime<Utc>,
    pub reason: Reason,
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub language: Language,
    pub note: Option<String>,
    /// The code sent by SMS and its challenge, where the site confirms
    /// online bookings that way (`POST /api/v1/booking-codes`).
    pub confirmation: Option<(CodeChallenge, String)>,
    /// The resident agreed to SMS (confirmation and reminders): the web
    /// form asks; staff on the phone ask aloud.
    pub sms_consent: bool,
}

/// A booking made.
#[derive(Debug, Clone)]
pub struct Booked {
    pub booking: Booking,
    /// The manage token, to send to the resident (once).
    pub token: String,
}

pub(super) fn random_reference() -> Result<String, AppointmentError> {
    const ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppointmentError::Internal(format!("no randomness: {e}")))?;
    let c: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("{}{}{}-{}{}{}", c[0], c[1], c[2], c[3], c[4], c[5]))
}

/// "Amina Diallo" → ("Amina", "Diallo"); one word is a first name.
fn split_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.split_once(char::is_whitespace) {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (name.to_owned(), String::new()),
    }
}

/// What [`Appointments::book`] decided before writing anything.
pub(super) struct Decided {
    pub(super) permanence_id: String,
    pub(super) end: DateTime<Utc>,
    /// The resident with this phone and name, when they are known.
    pub(super) resident: Option<ResidentId>,
    /// A workshop series: every session the enrolment takes a place in,
    /// this one first.
    pub(super) series: Option<Vec<SeriesSession>>,
}

impl Appointments {
    /// Free appointment times for `reason`, at one site or all, on
    /// `from..from+days`, earliest first: not in the past, not closer than
    /// the notice, not past the horizon, in open permanences only.
    pub async fn availability(
        &self,
        site: Option<SiteId>,
        reason: Reason,
        from: NaiveDate,
        days: u64,
        now: DateTime<Utc>,
    ) -> Result<Vec<Available>, AppointmentError> {
        let m = self.read(false).await?;
        free_times(
            &m,
            &self.inner.settings,
            site,
            reason,
            from,
            days,
            now,
            usize::MAX,
        )
    }

    /// Books a place: one wins the last place, the others get the next free
    /// times. Everything is decided first (the request, the limits, the
    /// slot, one appointment per reason, the room, the SMS code); then a new
    /// resident is registered and the place taken. When another booking wins
    /// the place in between, the record registered for this one is erased.
    pub async fn book(
        &self,
        request: BookRequest,
        booker: Booker,
        now: DateTime<Utc>,
    ) -> Result<Booked, AppointmentError> {
        let phone = PhoneNumber::parse(&request.phone)
            .map_err(|e| AppointmentError::invalid("resident.phone", e.to_string()))?;
        let note = check_request(&request)?;
        if let Booker::Resident { client } = &booker {
            // The address first: an address over its limit spends nothing
            // of the number's. The number's quota counts bookings made.
            if let Err(wait) = self.inner.per_ip.hit(client).await {
                return Err(AppointmentError::too_many(
                    messages::say!(crate::MESSAGES, "too-many-bookings-from-this"),
                    wait,
                ));
            }
            if let Err(wait) = self.inner.per_phone.check(phone.as_str()).await {
                return Err(AppointmentError::too_many(
                    messages::say!(crate::MESSAGES, "too-many-bookings-for-this"),
                    wait,
                ));
            }
        }
        let decided = self.decide_booking(&request, &booker, &phone, now).await?;
        let code_taken = self.take_code(&request, &booker, &phone).await?;
        let made = self
            .place(&request, &booker, decided, &phone, note, now)
            .await;
        match (&made, code_taken) {
            (Err(_), Some(challenge)) => {
                self.inner.residents.release_booking_code(&challenge).await
            }
            (Ok(_), _) => {
                if let Booker::Resident { .. } = &booker {
                    let _ = self.inner.per_phone.hit(phone.as_str()).await;
                }
            }
            _ => {}
        }
        made
    }

    /// The rules of a booking, on the model: the slot, one appointment per
    /// reason, then the room.
    async fn decide_booking(
        &self,
        request: &BookRequest,
        booker: &Booker,
        phone: &PhoneNumber,
        now: DateTime<Utc>,
    ) -> Result<Decided, AppointmentError> {
        // The time first: whether it can be booked says nothing about who
        // holds which phone number.
        let (permanence_id, end) = {
            let m = self.read(false).await?;
            decide::slot(
                &m,
                &self.inner.settings,
                request.site,
                request.start,
                request.reason,
                now,
            )?
        };
        // Who it is for: the resident with this phone and this name. Another
        // name is another person (families share a phone), registered apart:
        // a booking never attaches to someone else's record, and never says
        // whether the number is known.
        let resident = self
            .inner
            .residents
            .resident_named(phone, &request.name)
            .await?;
        self.decide_place(request, booker, phone, resident, (permanence_id, end), now)
            .await
    }

    /// The rules of a place once the time and the resident are known: one
    /// place per person and phone in a workshop session, one appointment
    /// per reason, then the room.
    pub(super) async fn decide_place(
        &self,
        request: &BookRequest,
        booker: &Booker,
        phone: &PhoneNumber,
        resident: Option<ResidentId>,
        (permanence_id, end): (String, DateTime<Utc>),
        now: DateTime<Utc>,
    ) -> Result<Decided, AppointmentError> {
        // A workshop session: one place per person, and per phone (a
        // family shares one, and one of them takes the place).
        let workshop = request.reason == Reason::Workshop;
        if workshop {
            let enrolled: Vec<ResidentId> = {
                let m = self.read(false).await?;
                m.live_at(&permanence_id).map(|b| b.resident).collect()
            };
            for r in enrolled.into_iter().filter(|r| Some(*r) != resident) {
                let same = self
                    .inner
                    .residents
                    .contact(r)
                    .await?
                    .and_then(|c| c.phone)
                    .is_some_and(|p| p == phone.as_str());
                if same {
                    return Err(AppointmentError::AlreadyBooked(messages::say!(
                        crate::MESSAGES,
                        "this-phone-has-a-place-in-session"
                    )));
                }
            }
        }
        let m = self.read(false).await?;
        // The one-per-reason rule before the place: a form sent twice (a
        // double click, the back button) hears that it holds the
        // appointment already, not that its own place was taken.
        let held = resident.and_then(|r| {
            if workshop {
                decide::held_in_session(&m, r, &permanence_id)
            } else {
                decide::held_for_reason(&m, r, request.site, request.reason, now)
            }
        });
        match (booker, held) {
            (_, Some(_)) if workshop => {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "this-phone-has-a-place-in-session"
                )));
            }
            (
                Booker::Staff {
                    override_reason: Some(why),
                    ..
                },
                Some(_),
            ) if !why.trim().is_empty() => {}
            (Booker::Staff { .. }, Some(b)) => {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "this-resident-already-has-appointment",
                    starts = local(b.starts_at).format("%Y-%m-%d %H:%M"),
                    reference = b.reference
                )));
            }
            (Booker::Resident { .. }, Some(_)) => {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "you-already-have-appointment-for"
                )));
            }
            (_, None) => {}
        }
        if !has_room(&m, &permanence_id, request.start, end, None)? {
            return Err(self.taken(&m, request.site, request.reason, request.start, now)?);
        }
        // A series takes a place in every session ahead: each must have
        // room, and none be held by this person already.
        let series = if workshop {
            decide::series_sessions(&m, &permanence_id)?
        } else {
            None
        };
        for (p, start, end) in series.iter().flatten() {
            let held = resident.and_then(|r| decide::held_in_session(&m, r, p));
            if held.is_some() {
                return Err(AppointmentError::AlreadyBooked(messages::say!(
                    crate::MESSAGES,
                    "this-phone-has-a-place-in-session"
                )));
            }
            if !has_room(&m, p, *start, *end, None)? {
                return Err(self.taken(&m, request.site, request.reason, request.start, now)?);
            }
        }
        Ok(Decided {
            permanence_id,
            end,
            resident,
            series,
        })
    }

    /// A site may confirm online bookings with a code sent by SMS: the
    /// code is taken here, and given back by the caller if the booking
    /// fails.
    async fn take_code(
        &self,
        request: &BookRequest,
        booker: &Booker,
        phone: &PhoneNumber,
    ) -> Result<Option<CodeChallenge>, AppointmentError> {
        let Booker::Resident { .. } = booker else {
            return Ok(None);
        };
        let asks_code = self
            .read(false)
            .await?
            .calendar
            .sites
            .get(&request.site)
            .is_some_and(|s| s.details.confirms_online_bookings_by_sms);
        if !asks_code {
            return Ok(None);
        }
        let Some((challenge, code)) = &request.confirmation else {
            return Err(AppointmentError::invalid(
                "confirmation",
                messages::say!(crate::MESSAGES, "this-site-confirms-online-bookings"),
            ));
        };
        self.inner
            .residents
            .check_booking_code(challenge, phone, code)
            .await
            .map_err(|e| match e {
                ResidentsError::Invalid(m) | ResidentsError::Refused(m) => {
                    AppointmentError::invalid("confirmation.code", m)
                }
                other => other.into(),
            })?;
        Ok(Some(challenge.clone()))
    }

    /// Writes a booking decided by [`Appointments::book`] if its place is
    /// still free: a new resident's registration is written in the same
    /// commit as their place, so one commit acknowledges the booking, and
    /// a place won by another booking in between leaves no record behind.
    async fn place(
        &self,
        request: &BookRequest,
        booker: &Booker,
        decided: Decided,
        phone: &PhoneNumber,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Booked, AppointmentError> {
        let acting = match booker {
            Booker::Resident { .. } => Acting::system("booking", now),
            Booker::Staff { acting, .. } => acting.clone(),
        };
        let registration = match decided.resident {
            Some(_) => None,
            None => Some(self.register(&acting, request, phone).await?),
        };
        let resident = match (&registration, decided.resident) {
            (Some(r), _) => r.resident,
            (None, Some(r)) => r,
            (None, None) => return Err(AppointmentError::Internal("a booking for nobody".into())),
        };
        let acting = match booker {
            Booker::Resident { .. } => Acting::new(
                eventlog::Actor::Resident(resident.0),
                acting.correlation_id,
                acting.at,
            ),
            Booker::Staff { .. } => acting,
        };
        // A series writes its places one by one: the registration goes with
        // the first, and may stay when a later one is refused.
        let series = decided.series.is_some();
        let taken = self
            .take(
                &acting,
                request,
                resident,
                booker,
                note,
                decided,
                registration.as_ref(),
            )
            .await;
        if let (Err(_), Some(r)) = (&taken, &registration) {
            self.drop_registration(&acting, r, series).await;
        }
        taken
    }

    /// The registration of the new resident a booking is for, to write
    /// with their place.
    pub(super) async fn register(
        &self,
        acting: &Acting,
        request: &BookRequest,
        phone: &PhoneNumber,
    ) -> Result<Registration, AppointmentError> {
        let (first_name, last_name) = split_name(&request.name);
        Ok(self
            .inner
            .residents
            .register(
                acting,
                NewResident {
                    first_name,
                    last_name,
                    phone: phone.as_str().to_owned(),
                    email: request.email.clone(),
                    language: request.language,
                    sms_consent: request.sms_consent,
                    email_consent: request.email.is_some(),
                    site: None,
                },
            )
            .await?)
    }

    /// Writes what [`Appointments::decide_place`] decided: one place, or
    /// every place of a workshop series; with the first place written, the
    /// registration of a new resident.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn take(
        &self,
        acting: &Acting,
        request: &BookRequest,
        resident: ResidentId,
        booker: &Booker,
        note: Option<&str>,
        decided: Decided,
        registering: Option<&Registration>,
    ) -> Result<Booked, AppointmentError> {
        match decided.series {
            Some(sessions) => {
                self.take_series(acting, request, resident, booker, sessions, registering)
                    .await
            }
            None => {
                let place = Place {
                    id: AppointmentId::new(),
                    permanence_id: decided.permanence_id,
                    start: request.start,
                    end: decided.end,
                    series: None,
                };
                self.take_place(acting, request, resident, booker, note, place, registering)
                    .await
            }
        }
    }

    /// The places of a series enrolment, last session first: the first
    /// session's place, whose confirmation tells the resident, is written
    /// once every other one is. A session taken meanwhile cancels what was
    /// written (nobody is told: the resident hears the refusal), and a
    /// crash half-way leaves places without their first, which
    /// [`Appointments::complete_series`] cancels.
    async fn take_series(
        &self,
        acting: &Acting,
        request: &BookRequest,
        resident: ResidentId,
        booker: &Booker,
        sessions: Vec<SeriesSession>,
        registering: Option<&Registration>,
    ) -> Result<Booked, AppointmentError> {
        let first = AppointmentId::new();
        let mut written: Vec<Booked> = Vec::new();
        for (k, (permanence_id, start, end)) in sessions.into_iter().enumerate().rev() {
            let place = Place {
                id: if k == 0 { first } else { AppointmentId::new() },
                permanence_id,
                start,
                end,
                series: Some(first),
            };
            // The registration goes with the first place written.
            let registering = registering.filter(|_| written.is_empty());
            match self
                .take_place(acting, request, resident, booker, None, place, registering)
                .await
            {
                Ok(b) => written.push(b),
                Err(e) => {
                    for b in &written {
                        if let Err(u) = self.cancel_with_series(acting, b.booking.id).await {
                            tracing::warn!(appointment = %b.booking.id, error = %u, "a place of a series refused half-way is left to the start-up sweep");
                        }
                    }
                    return Err(e);
                }
            }
        }
        written
            .pop()
            .ok_or_else(|| AppointmentError::Internal("a series with no session".into()))
    }

    /// Cancels the places of series enrolments whose first place was never
    /// written and that are older than a minute (a crash half-way): the
    /// enrolment did not happen. Run at start and by the minute sweep.
    pub async fn complete_series(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due = self
            .read(true)
            .await?
            .unfinished_series(now - chrono::Duration::minutes(1));
        let acting = Acting::system("appointments", now);
        for id in &due {
            self.cancel_with_series(&acting, *id).await?;
        }
        Ok(due.len())
    }

    /// Cancels a place of a series whose enrolment did not happen whole:
    /// nobody is told (the resident heard the refusal, or nothing).
    async fn cancel_with_series(
        &self,
        acting: &Acting,
        id: AppointmentId,
    ) -> Result<(), AppointmentError> {
        self.write_cancel(
            acting,
            id,
            Party::System,
            "",
            contracts::CancelCause::WithSeries,
        )
        .await
    }

    /// Appends one place and its manage link, if the place is still free
    /// at the time `acting` gives (with a new resident's registration, in
    /// the same commit).
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn take_place(
        &self,
        acting: &Acting,
        request: &BookRequest,
        resident: ResidentId,
        booker: &Booker,
        note: Option<&str>,
        place: Place,
        registering: Option<&Registration>,
    ) -> Result<Booked, AppointmentError> {
        let now = acting.at;
        let Place {
            id,
            permanence_id,
            start,
            end,
            series,
        } = place;
        let (booked_by, override_reason) = match booker {
            Booker::Resident { .. } => (Party::Resident, String::new()),
            Booker::Staff {
                override_reason, ..
            } => (Party::Staff, override_reason.clone().unwrap_or_default()),
        };
        let vault = &self.inner.vault;
        let sealed_note = match note {
            Some(n) => Some(vault.seal(resident.0, n).await?),
            None => None,
        };
        let reference = random_reference()?;
        let mut link = contracts::links::new_link(id, resident, end)
            .map_err(|e| AppointmentError::Internal(e.to_string()))?;
        // The reminders service puts the link in its messages: it reads the
        // token sealed under the resident's key.
        link.event.token = Some(vault.seal(resident.0, &link.token).await?);
        let booked = ev::AppointmentBooked {
            appointment_id: id.to_string(),
            reference: reference.clone(),
            resident_id: resident.to_string(),
            site_id: request.site.to_string(),
            permanence_id: permanence_id.clone(),
            starts_at: start.to_rfc3339(),
            ends_at: end.to_rfc3339(),
            reason: request.reason.into(),
            note: sealed_note,
            booker: booked_by.into(),
            override_reason,
            series_id: series.map(|s| s.to_string()).unwrap_or_default(),
            ..Default::default()
        };
        self.decide_with(registering, |m| {
            if !has_room(m, &permanence_id, start, end, None)? {
                return Err(self.taken(m, request.site, request.reason, start, now)?);
            }
            Ok(Decision::Append {
                stream: booking_stream(&permanence_id)?,
                events: vec![acting.event(&booked)?, acting.event(&link.event)?],
                then: (),
            })
        })
        .await?;
        tracing::info!(appointment = %id, by = booked_by.as_word(), "appointment booked");
        Ok(Booked {
            booking: Booking {
                id,
                reference,
                resident,
                site: request.site,
                permanence_id,
                starts_at: start,
                ends_at: end,
                reason: request.reason,
                booked_by,
                cancelled: false,
                stage: Stage::Booked,
                arrived_at: None,
                leaving: None,
                undone: false,
                links: vec![contracts::links::token_hash(&link.token)],
                series,
                booked_at: now,
            },
            token: link.token,
        })
    }

    /// The refusal of a place taken, with the next free times.
    pub(super) fn taken(
        &self,
        m: &Model,
        site: SiteId,
        reason: Reason,
        start: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<AppointmentError, AppointmentError> {
        // A crowd at opening time asks for the same alternatives again and
        // again: they are kept while the model and the minute are the same.
        let key = (
            site,
            reason,
            contracts::time::local_date(start),
            m.position(),
            now.timestamp() / 60,
        );
        let kept = self.inner.alternatives.lock().ok().and_then(|k| {
            k.as_ref()
                .filter(|(k, _)| *k == key)
                .map(|(_, a)| a.clone())
        });
        let alternatives = match kept {
            Some(a) => a,
            None => {
                let a = free_times(
                    m,
                    &self.inner.settings,
                    Some(site),
                    reason,
                    key.2,
                    self.inner.settings.horizon_days,
                    now,
                    ALTERNATIVES,
                )?;
                if let Ok(mut k) = self.inner.alternatives.lock() {
                    *k = Some((key, a.clone()));
                }
                a
            }
        };
        Ok(AppointmentError::SlotTaken { alternatives })
    }
}

/// One place to write.
pub(super) struct Place {
    pub(super) id: AppointmentId,
    pub(super) permanence_id: String,
    pub(super) start: DateTime<Utc>,
    pub(super) end: DateTime<Utc>,
    pub(super) series: Option<AppointmentId>,
}

/// The parts of a request that need no model: a name, a reason, a note of
/// at most [`MAX_NOTE`] characters (returned trimmed, if any).
fn check_request(request: &BookRequest) -> Result<Option<&str>, AppointmentError> {
    if request.name.trim().is_empty() || request.name.chars().count() > 200 {
        return Err(AppointmentError::invalid(
            "resident.name",
            messages::say!(crate::MESSAGES, "give-residents-name-200-characters"),
        ));
    }
    if request.reason == Reason::Unspecified {
        return Err(AppointmentError::invalid(
            "reason",
            messages::say!(crate::MESSAGES, "say-why-resident-comes"),
        ));
    }
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        return Err(AppointmentError::invalid(
            "note",
            messages::say!(
                crate::MESSAGES,
                "note-has-characters-at-most",
                max = MAX_NOTE
            ),
        ));
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_readable_on_the_phone() {
        let r = random_reference().expect("reference");
        assert_eq!(r.len(), 7);
        assert_eq!(&r[3..4], "-");
        assert!(!r.contains(['0', 'O', '1', 'I', 'L']));
    }

    #[test]
    fn names_split_into_first_and_last() {
        assert_eq!(
            split_name(" Amina  Diallo "),
            ("Amina".into(), "Diallo".into())
        );
        assert_eq!(split_name("Mahmoud"), ("Mahmoud".into(), String::new()));
        assert_eq!(
            split_name("Jean Pierre Martin"),
            ("Jean".into(), "Pierre Martin".into())
        );
    }
}

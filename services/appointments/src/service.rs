//! The appointments service: availability, booking, reading and cancelling.

use std::sync::Arc;
use std::time::Duration;

use api::{Acting, RateLimiter};
use chrono::{DateTime, Days, NaiveDate, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{
    AppointmentId, CancelCause, Language, Party, PhoneNumber, Reason, ResidentId, RuleId, SiteId,
};
use eventlog::{EventStore, ExpectedVersion, Filter, Freshness};
use identity::{Identity, NewResident};
use tokio::sync::Mutex;

use crate::error::{AppointmentError, Available};
use crate::model::{BOOKING, Booking, Model, Stage, booking_stream};

/// How often a booking is tried again when its permanence moved meanwhile.
const ATTEMPTS: usize = 20;
/// Alternatives offered when a place was taken.
const ALTERNATIVES: usize = 5;
/// Online bookings a phone number may receive in a day.
pub const ONLINE_PER_PHONE_DAILY: u32 = 3;
pub const MAX_NOTE: usize = 300;

#[derive(Debug, Clone)]
pub struct Settings {
    /// No booking closer than this to its start.
    pub notice: chrono::Duration,
    /// Booking opens this many days ahead.
    pub horizon_days: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            notice: chrono::Duration::hours(1),
            horizon_days: 28,
        }
    }
}

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
    pub confirmation: Option<(identity::CodeChallenge, String)>,
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

/// The model, read under a std lock for the few microseconds a decision
/// takes (never across an await, which the compiler enforces: the guard is
/// not `Send`), and written only to fold newly read events.
type ModelGuard<'a> = std::sync::RwLockReadGuard<'a, Model>;

/// What a command decided from the model.
enum Decision<T> {
    /// Nothing to write: the answer.
    Answer(T),
    /// Append `events` to the permanence's booking stream, then answer `then`.
    Append {
        stream: eventlog::StreamName,
        events: Vec<eventlog::NewEvent>,
        then: T,
    },
}

#[derive(Clone)]
pub struct Appointments {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    /// What the service takes as now where no request gives the time
    /// (completing moves at start).
    clock: Arc<dyn eventlog::Clock>,
    identity: Identity,
    settings: Settings,
    model: std::sync::RwLock<Model>,
    /// A tokio mutex, held across the awaits of a catch-up: one reads the
    /// log at a time, and the others find the model caught up.
    freshness: Mutex<Freshness>,
    committed: tokio::sync::watch::Receiver<u64>,
    /// Online bookings per address, and per phone number in a day: a
    /// stranger's number receives few messages about bookings it did not
    /// make, however many addresses are used.
    per_ip: RateLimiter,
    per_phone: RateLimiter,
}

fn random_reference() -> Result<String, AppointmentError> {
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

fn local(t: DateTime<Utc>) -> DateTime<chrono::FixedOffset> {
    contracts::time::to_local(t).fixed_offset()
}

impl Appointments {
    pub async fn new(
        store: Arc<dyn EventStore>,
        identity: Identity,
        settings: Settings,
        clock: Arc<dyn eventlog::Clock>,
    ) -> Result<Self, AppointmentError> {
        let service = Appointments {
            inner: Arc::new(Inner {
                clock,
                committed: store.wake(),
                store,
                identity,
                settings,
                model: std::sync::RwLock::new(Model::default()),
                freshness: Mutex::new(Freshness::default()),
                per_ip: RateLimiter::new(20, Duration::from_secs(3600)),
                per_phone: RateLimiter::new(ONLINE_PER_PHONE_DAILY, Duration::from_secs(24 * 3600)),
            }),
        };
        let completed = service.complete_moves().await?;
        if completed > 0 {
            tracing::warn!(
                completed,
                "completed appointment moves a crash had interrupted"
            );
        }
        Ok(service)
    }

    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// Now, from the service's clock (for its sweeps).
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// A copy of the model, caught up with the log (for inspection; the
    /// service's own decisions read it in place).
    pub async fn model(&self) -> Result<Model, AppointmentError> {
        Ok(self.read(false).await?.clone())
    }

    fn guard(&self) -> Result<ModelGuard<'_>, AppointmentError> {
        self.inner
            .model
            .read()
            .map_err(|_| AppointmentError::Internal("the appointments model was poisoned".into()))
    }

    /// The model, caught up with the log: with every commit this process
    /// was told of, read at most 250 ms ago (or now, with `force`).
    async fn read(&self, force: bool) -> Result<ModelGuard<'_>, AppointmentError> {
        let committed = *self.inner.committed.borrow();
        let mut freshness = self.inner.freshness.lock().await;
        let position = self.guard()?.position();
        if force || freshness.is_due(committed, position) {
            freshness.reading();
            let filter = Filter::categories([
                SiteId::CATEGORY,
                RuleId::CATEGORY,
                BOOKING,
                crate::queue::DROP_IN,
                ResidentId::CATEGORY,
            ]);
            let mut after = position;
            loop {
                let events = self.inner.store.read_all(after, 1000, &filter).await?;
                let Some(last) = events.last().map(|e| e.position) else {
                    break;
                };
                self.inner
                    .model
                    .write()
                    .map_err(|_| {
                        AppointmentError::Internal("the appointments model was poisoned".into())
                    })?
                    .apply(&events)?;
                after = last;
            }
        }
        drop(freshness);
        self.guard()
    }

    /// Decides from the model and appends what was decided to the
    /// permanence's stream at the version the decision read; when the
    /// stream moved meanwhile, reads the log and decides again. Every
    /// command goes through here: that is the no-overbooking rule.
    async fn decide<T>(
        &self,
        mut decide: impl FnMut(&Model) -> Result<Decision<T>, AppointmentError>,
    ) -> Result<T, AppointmentError> {
        let mut force = false;
        for _ in 0..ATTEMPTS {
            let (stream, events, then, expected) = {
                let m = self.read(force).await?;
                match decide(&m)? {
                    Decision::Answer(answer) => return Ok(answer),
                    Decision::Append {
                        stream,
                        events,
                        then,
                    } => {
                        let expected = m
                            .version(&stream)
                            .map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact);
                        (stream, events, then, expected)
                    }
                }
            };
            match self.inner.store.append(&stream, expected, events).await {
                Ok(_) => {
                    drop(self.read(false).await?);
                    return Ok(then);
                }
                Err(e) if e.is_conflict() => force = true,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppointmentError::Refused(
            "many people are changing this permanence right now: try again in a moment".into(),
        ))
    }

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
    /// times.
    pub async fn book(
        &self,
        request: BookRequest,
        booker: Booker,
        now: DateTime<Utc>,
    ) -> Result<Booked, AppointmentError> {
        let phone = PhoneNumber::parse(&request.phone)
            .map_err(|e| AppointmentError::invalid("resident.phone", e.to_string()))?;
        if request.name.trim().is_empty() || request.name.chars().count() > 200 {
            return Err(AppointmentError::invalid(
                "resident.name",
                "give the resident's name (200 characters at most)",
            ));
        }
        if request.reason == Reason::Unspecified {
            return Err(AppointmentError::invalid(
                "reason",
                "say why the resident comes",
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
                format!("a note has {MAX_NOTE} characters at most"),
            ));
        }
        if let Booker::Resident { client } = &booker {
            // The address first: an address over its limit spends nothing
            // of the number's. The number's quota counts bookings made.
            if let Err(wait) = self.inner.per_ip.hit(client) {
                return Err(identity::IdentityError::too_many(
                    "too many bookings from this connection",
                    wait,
                )
                .into());
            }
            if let Err(wait) = self.inner.per_phone.check(phone.as_str()) {
                return Err(identity::IdentityError::too_many(
                    "too many bookings for this phone number today",
                    wait,
                )
                .into());
            }
        }
        // The time first: whether it can be booked says nothing about who
        // holds which phone number.
        let (permanence_id, end) = {
            let m = self.read(false).await?;
            self.slot_of(&m, &request, now)?
        };
        // Who it is for: the resident with this phone and this name. Another
        // name is another person (families share a phone), registered apart:
        // a booking never attaches to someone else's record, and never says
        // whether the number is known.
        let resident = self
            .inner
            .identity
            .resident_named(&phone, &request.name)
            .await
            .map_err(AppointmentError::from)?;
        // The one-per-reason rule before the place: a form sent twice (a
        // double click, the back button) hears that it holds the
        // appointment already, not that its own place was taken.
        let already = match resident {
            None => None,
            Some(r) => {
                let m = self.read(false).await?;
                // The site's own limit (default 1) of future appointments
                // per resident and reason.
                let limit = m
                    .calendar
                    .sites
                    .get(&request.site)
                    .map_or(1, |s| s.details.appointments_per_reason.max(1));
                let held: Vec<&Booking> = m
                    .by_resident
                    .get(&r)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| m.bookings.get(id))
                    .filter(|b| !b.cancelled && b.reason == request.reason && b.ends_at > now)
                    .collect();
                (held.len() >= usize::try_from(limit).unwrap_or(usize::MAX))
                    .then(|| held.first().map(|b| (*b).clone()))
                    .flatten()
            }
        };
        match (&booker, already) {
            (
                Booker::Staff {
                    override_reason: Some(why),
                    ..
                },
                Some(_),
            ) if !why.trim().is_empty() => {}
            (Booker::Staff { .. }, Some(b)) => {
                return Err(AppointmentError::AlreadyBooked(format!(
                    "this resident already has an appointment for this reason on {} (reference {}): move it, or give override_reason to book another",
                    local(b.starts_at).format("%Y-%m-%d %H:%M"),
                    b.reference
                )));
            }
            (Booker::Resident { .. }, Some(_)) => {
                return Err(AppointmentError::AlreadyBooked(
                    "you already have an appointment for this reason: use the link in its SMS to move it, or call the help desk".into(),
                ));
            }
            (_, None) => {}
        }
        // A site may confirm online bookings with a code sent by SMS; the
        // code is taken here and given back if the booking fails.
        let mut code_taken = None;
        if let Booker::Resident { .. } = &booker {
            let asks_code = self
                .read(false)
                .await?
                .calendar
                .sites
                .get(&request.site)
                .is_some_and(|s| s.details.confirms_online_bookings_by_sms);
            if asks_code {
                let Some((challenge, code)) = &request.confirmation else {
                    return Err(AppointmentError::invalid(
                        "confirmation",
                        "this site confirms online bookings with a code sent by SMS: ask for one with POST /api/v1/booking-codes, then send it with the booking",
                    ));
                };
                self.inner
                    .identity
                    .check_booking_code(challenge, &phone, code)
                    .map_err(|e| match e {
                        identity::IdentityError::Invalid(m)
                        | identity::IdentityError::Refused(m) => {
                            AppointmentError::invalid("confirmation.code", m)
                        }
                        other => other.into(),
                    })?;
                code_taken = Some(challenge.clone());
            }
        }
        let made = self
            .place(
                &request,
                &booker,
                resident,
                &phone,
                note,
                permanence_id,
                end,
                now,
            )
            .await;
        match (&made, code_taken) {
            (Err(_), Some(challenge)) => self.inner.identity.release_booking_code(&challenge),
            (Ok(_), _) => {
                if let Booker::Resident { .. } = &booker {
                    let _ = self.inner.per_phone.hit(phone.as_str());
                }
            }
            _ => {}
        }
        made
    }

    /// Writes a booking decided by [`Appointments::book`]: registers the
    /// resident if they are new, then takes the place if it is still free.
    #[allow(clippy::too_many_arguments)]
    async fn place(
        &self,
        request: &BookRequest,
        booker: &Booker,
        resident: Option<ResidentId>,
        phone: &PhoneNumber,
        note: Option<&str>,
        permanence_id: String,
        end: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Booked, AppointmentError> {
        {
            let m = self.read(false).await?;
            if !has_room(&m, &permanence_id, request.start, end)? {
                return Err(self.taken(&m, request, now)?);
            }
        }
        let (acting, booked_by, override_reason) = match booker {
            Booker::Resident { .. } => (
                Acting::system("booking", now),
                Party::Resident,
                String::new(),
            ),
            Booker::Staff {
                acting,
                override_reason,
            } => (
                acting.clone(),
                Party::Staff,
                override_reason.clone().unwrap_or_default(),
            ),
        };
        let resident = match resident {
            Some(r) => r,
            None => {
                let (first_name, last_name) = split_name(&request.name);
                self.inner
                    .identity
                    .register_resident(
                        &acting,
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
                    .await?
            }
        };
        let acting = match booker {
            Booker::Resident { .. } => Acting::new(
                eventlog::Actor::Resident(resident.0),
                acting.correlation_id,
                acting.at,
            ),
            Booker::Staff { .. } => acting,
        };
        let sealed_note = match note {
            Some(n) => Some(
                self.inner
                    .identity
                    .vault()
                    .seal(resident.0, n)
                    .await
                    .map_err(|e| AppointmentError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        let id = AppointmentId::new();
        let reference = random_reference()?;
        let mut link = identity::new_link(id, resident, end)?;
        // The reminders service puts the link in its messages: it reads the
        // token sealed under the resident's key.
        link.event.token = Some(
            self.inner
                .identity
                .vault()
                .seal(resident.0, &link.token)
                .await
                .map_err(|e| AppointmentError::Internal(e.to_string()))?,
        );
        let booked = ev::AppointmentBooked {
            appointment_id: id.to_string(),
            reference: reference.clone(),
            resident_id: resident.to_string(),
            site_id: request.site.to_string(),
            permanence_id: permanence_id.clone(),
            starts_at: request.start.to_rfc3339(),
            ends_at: end.to_rfc3339(),
            reason: request.reason.into(),
            note: sealed_note,
            booker: booked_by.into(),
            override_reason,
            ..Default::default()
        };
        self.decide(|m| {
            if !has_room(m, &permanence_id, request.start, end)? {
                return Err(self.taken(m, request, now)?);
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
                starts_at: request.start,
                ends_at: end,
                reason: request.reason,
                booked_by,
                cancelled: false,
                stage: Stage::Booked,
                arrived_at: None,
                leaving: None,
            },
            token: link.token,
        })
    }

    /// The permanence and end of the slot `request` asks for, or why not.
    fn slot_of(
        &self,
        m: &Model,
        request: &BookRequest,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), AppointmentError> {
        let settings = &self.inner.settings;
        if request.start <= now {
            return Err(AppointmentError::invalid(
                "start",
                "this time is in the past: choose a time to come",
            ));
        }
        if request.start < now + settings.notice {
            return Err(AppointmentError::invalid(
                "start",
                format!(
                    "book at least {} minutes ahead; for today, call the help desk",
                    settings.notice.num_minutes()
                ),
            ));
        }
        let day = contracts::time::local_date(request.start);
        let today = contracts::time::local_date(now);
        if day > today + Days::new(settings.horizon_days) {
            return Err(AppointmentError::invalid(
                "start",
                format!(
                    "bookings open {} days ahead: choose an earlier date",
                    settings.horizon_days
                ),
            ));
        }
        if !m.calendar.sites.contains_key(&request.site) {
            return Err(AppointmentError::invalid(
                "site",
                format!("there is no site {}", request.site),
            ));
        }
        let permanences = m
            .calendar
            .permanences(Some(request.site), day, day)
            .map_err(|e| AppointmentError::Internal(e.to_string()))?;
        for p in permanences
            .iter()
            .filter(|p| p.appointments && p.status == calendar::Status::Open)
        {
            let slots = m
                .calendar
                .slots(&p.permanence_id, Some(request.reason))
                .map_err(|e| AppointmentError::Internal(e.to_string()))?;
            if let Some(s) = slots.iter().find(|s| s.starts_at == request.start) {
                return Ok((p.permanence_id.clone(), s.ends_at));
            }
        }
        Err(AppointmentError::invalid(
            "start",
            "there is no appointment at this time at this site: choose one of the times from /api/v1/availability",
        ))
    }

    fn taken(
        &self,
        m: &Model,
        request: &BookRequest,
        now: DateTime<Utc>,
    ) -> Result<AppointmentError, AppointmentError> {
        let alternatives = free_times(
            m,
            &self.inner.settings,
            Some(request.site),
            request.reason,
            contracts::time::local_date(request.start),
            self.inner.settings.horizon_days,
            now,
            ALTERNATIVES,
        )?;
        Ok(AppointmentError::SlotTaken { alternatives })
    }

    /// One booking.
    pub async fn get(&self, id: AppointmentId) -> Result<Booking, AppointmentError> {
        self.read(false)
            .await?
            .bookings
            .get(&id)
            .cloned()
            .ok_or_else(|| AppointmentError::NotFound(format!("there is no appointment {id}")))
    }

    /// Moves a booking to `start` at its site: first the new place is taken
    /// (`AppointmentMovedIn`, at the new permanence's version), then the
    /// old one released (`AppointmentMovedOut`). A crash in between is
    /// mended by [`Appointments::complete_moves`]. The manage link keeps
    /// working until the new end.
    pub async fn reschedule(
        &self,
        acting: &Acting,
        id: AppointmentId,
        start: DateTime<Utc>,
        by: Party,
    ) -> Result<Booking, AppointmentError> {
        let now = acting.at;
        // The link lasts until the new end: its hashes, read once.
        let hashes = self
            .inner
            .identity
            .directory()
            .await
            .map_err(AppointmentError::from)?
            .link_hashes_for(id);
        let notice = self.inner.settings.notice;
        self.decide(|m| {
            let b = m.bookings.get(&id).ok_or_else(|| {
                AppointmentError::NotFound(format!("there is no appointment {id}"))
            })?;
            if b.cancelled {
                return Err(AppointmentError::Conflict(
                    "this appointment was cancelled: book a new one".into(),
                ));
            }
            if by == Party::Resident && b.starts_at - now < notice {
                return Err(AppointmentError::Refused(
                    "this appointment is too close to be moved online: call the help desk".into(),
                ));
            }
            let request = BookRequest {
                sms_consent: true,
                site: b.site,
                start,
                reason: b.reason,
                name: String::new(),
                phone: String::new(),
                email: None,
                language: Language::Fr,
                note: None,
                confirmation: None,
            };
            let (permanence_id, end) = self.slot_of(m, &request, now)?;
            let others = m
                .live_at(&permanence_id)
                .filter(|o| o.id != id && o.starts_at < end && start < o.ends_at)
                .count();
            let desks = m
                .calendar
                .permanence(&permanence_id)
                .map_err(|e| AppointmentError::Internal(e.to_string()))?
                .desks;
            if others >= usize::try_from(desks).unwrap_or(usize::MAX) {
                return Err(self.taken(m, &request, now)?);
            }
            let mut events = vec![acting.event(&ev::AppointmentMovedIn {
                appointment_id: id.to_string(),
                reference: b.reference.clone(),
                resident_id: b.resident.to_string(),
                site_id: b.site.to_string(),
                permanence_id: permanence_id.clone(),
                starts_at: start.to_rfc3339(),
                ends_at: end.to_rfc3339(),
                reason: b.reason.into(),
                booker: b.booked_by.into(),
                from_permanence_id: b.permanence_id.clone(),
                mover: by.into(),
                ..Default::default()
            })?];
            for hash in &hashes {
                events.push(
                    acting.event(&contracts::proto::identity::v1::ManageLinkIssued {
                        appointment_id: id.to_string(),
                        resident_id: b.resident.to_string(),
                        token_sha256: hash.to_vec(),
                        expires_at: end.to_rfc3339(),
                        token: None,
                    })?,
                );
            }
            Ok(Decision::Append {
                stream: booking_stream(&permanence_id)?,
                events,
                then: (),
            })
        })
        .await?;
        self.complete_moves().await?;
        self.get(id).await
    }

    /// Writes the `AppointmentMovedOut` of every move whose second append
    /// did not happen (a crash between the two): afterwards each
    /// appointment is in exactly one place, in the log as in the model. The
    /// event id is derived from the move's, so doing it twice (two
    /// processes, a retry) writes it once. Returns how many were completed.
    pub async fn complete_moves(&self) -> Result<usize, AppointmentError> {
        let unfinished: Vec<Booking> = self.read(true).await?.unfinished_moves().cloned().collect();
        let mut done = 0;
        for b in &unfinished {
            let Some((from, move_event)) = &b.leaving else {
                continue;
            };
            let acting = Acting::system("appointments", self.inner.clock.now());
            let mut e = acting.event(&ev::AppointmentMovedOut {
                appointment_id: b.id.to_string(),
                to_permanence_id: b.permanence_id.clone(),
            })?;
            // Derived from the move's id ("moved out" XOR-ed in): the same
            // move always gives the same id.
            e.event_id = uuid::Uuid::from_u128(
                move_event.as_u128() ^ 0x6d6f_7665_6420_6f75_7400_0000_0000_0001,
            );
            e.metadata = e.metadata.caused_by(*move_event);
            self.inner
                .store
                .append(&booking_stream(from)?, ExpectedVersion::Any, vec![e])
                .await?;
            done += 1;
        }
        if done > 0 {
            drop(self.read(true).await?);
        }
        Ok(done)
    }

    /// Moves an appointment along its day: arrived, started, done, or not
    /// come. Refused when it does not follow (done twice, arrived after a
    /// no-show, anything on a cancelled appointment, or before its day).
    pub async fn advance(
        &self,
        acting: &Acting,
        id: AppointmentId,
        to: Stage,
    ) -> Result<Booking, AppointmentError> {
        let now = acting.at;
        let answered = self
            .decide(|m| {
                let b = m.bookings.get(&id).ok_or_else(|| {
                    AppointmentError::NotFound(format!("there is no appointment {id}"))
                })?;
                if b.cancelled {
                    return Err(AppointmentError::Conflict(
                        "this appointment was cancelled".into(),
                    ));
                }
                if b.stage == to {
                    return Ok(Decision::Answer(Some(b.clone())));
                }
                let allowed = match to {
                    Stage::Arrived => b.stage == Stage::Booked,
                    Stage::InProgress => matches!(b.stage, Stage::Booked | Stage::Arrived),
                    Stage::Done => {
                        matches!(b.stage, Stage::Booked | Stage::Arrived | Stage::InProgress)
                    }
                    Stage::NoShow => b.stage == Stage::Booked,
                    Stage::Booked => false,
                };
                if !allowed {
                    return Err(AppointmentError::Conflict(format!(
                        "this appointment is {} already",
                        stage_words(b.stage)
                    )));
                }
                if contracts::time::local_date(now) < contracts::time::local_date(b.starts_at) {
                    return Err(AppointmentError::Conflict(
                        "this appointment is on another day: it can be marked on its day".into(),
                    ));
                }
                let appointment_id = id.to_string();
                let e = match to {
                    Stage::Arrived => acting.event(&ev::ResidentArrived { appointment_id })?,
                    Stage::InProgress => {
                        acting.event(&ev::AppointmentStarted { appointment_id })?
                    }
                    Stage::Done => acting.event(&ev::AppointmentDone { appointment_id })?,
                    Stage::NoShow => acting.event(&ev::AppointmentNoShow {
                        appointment_id,
                        automatic: false,
                    })?,
                    Stage::Booked => {
                        return Err(AppointmentError::Internal("no way back to booked".into()));
                    }
                };
                Ok(Decision::Append {
                    stream: booking_stream(&b.permanence_id)?,
                    events: vec![e],
                    then: None,
                })
            })
            .await?;
        match answered {
            Some(b) => Ok(b),
            None => self.get(id).await,
        }
    }

    /// Every booking of a resident, in time order.
    pub async fn bookings_of(
        &self,
        resident: ResidentId,
    ) -> Result<Vec<Booking>, AppointmentError> {
        let m = self.read(false).await?;
        let mut list: Vec<Booking> = m
            .by_resident
            .get(&resident)
            .into_iter()
            .flatten()
            .filter_map(|id| m.bookings.get(id))
            .cloned()
            .collect();
        list.sort_by_key(|b| b.starts_at);
        Ok(list)
    }

    /// The day list of a permanence: its live appointments in time order,
    /// those who arrived first among the same time.
    pub async fn day_list(&self, permanence_id: &str) -> Result<Vec<Booking>, AppointmentError> {
        Ok(self.read(false).await?.day_list(permanence_id))
    }

    /// Marks as not come every appointment still only booked once its
    /// permanence has ended (`AppointmentNoShow`, automatic). Returns how
    /// many. Run every minute by `serve`; running it twice changes nothing.
    pub async fn mark_no_shows(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due: Vec<(AppointmentId, String)> = {
            let m = self.read(true).await?;
            m.bookings
                .values()
                .filter(|b| !b.cancelled && b.stage == Stage::Booked && b.leaving.is_none())
                .filter(|b| {
                    m.calendar
                        .permanence(&b.permanence_id)
                        .is_ok_and(|p| p.ends_at <= now)
                })
                .map(|b| (b.id, b.permanence_id.clone()))
                .collect()
        };
        let acting = Acting::system("no-shows", now);
        let mut marked = 0;
        for (id, permanence) in due {
            // A check-in meanwhile wins: the decision is made again.
            let wrote = self
                .decide(|m| match m.bookings.get(&id) {
                    Some(b) if b.stage == Stage::Booked && !b.cancelled => Ok(Decision::Append {
                        stream: booking_stream(&permanence)?,
                        events: vec![acting.event(&ev::AppointmentNoShow {
                            appointment_id: id.to_string(),
                            automatic: true,
                        })?],
                        then: true,
                    }),
                    _ => Ok(Decision::Answer(false)),
                })
                .await?;
            marked += usize::from(wrote);
        }
        if marked > 0 {
            drop(self.read(true).await?);
        }
        Ok(marked)
    }

    /// Cancels the future appointments of `resident` (before or after their
    /// erasure; after it, the sweep finds them through `ResidentErased`).
    /// Returns how many.
    pub async fn cancel_future_of(
        &self,
        acting: &Acting,
        resident: ResidentId,
    ) -> Result<usize, AppointmentError> {
        let now = acting.at;
        let future: Vec<AppointmentId> = self
            .read(true)
            .await?
            .by_resident
            .get(&resident)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        let mut cancelled = 0;
        for id in future {
            let b = self.get(id).await?;
            if !b.cancelled && b.ends_at > now {
                self.write_cancel(acting, id, Party::System, "", CancelCause::ResidentErased)
                    .await?;
                cancelled += 1;
            }
        }
        Ok(cancelled)
    }

    /// Cancels what is ahead of residents erased through another way (the
    /// HTTP erasure, the retention sweep): run every minute by `serve`.
    pub async fn cancel_for_erased(&self, now: DateTime<Utc>) -> Result<usize, AppointmentError> {
        let due = self.read(true).await?.of_erased(now);
        let acting = Acting::system("erasure", now);
        for id in &due {
            self.write_cancel(&acting, *id, Party::System, "", CancelCause::ResidentErased)
                .await?;
        }
        Ok(due.len())
    }

    /// Records the requests a visit carried (an appointment the resident
    /// came to, or a drop-in ticket that was called): 1 to 10, each with
    /// its reason, accompanied or not, and outcome. A later record replaces
    /// an earlier one.
    pub async fn record_requests(
        &self,
        acting: &Acting,
        visit: uuid::Uuid,
        requests: Vec<ev::VisitRequest>,
    ) -> Result<Vec<ev::VisitRequest>, AppointmentError> {
        if requests.is_empty() || requests.len() > 10 {
            return Err(AppointmentError::invalid(
                "requests",
                "record 1 to 10 requests",
            ));
        }
        if requests
            .iter()
            .any(|r| r.reason() == Reason::Unspecified || r.outcome() == ev::Outcome::Unspecified)
        {
            return Err(AppointmentError::invalid(
                "requests",
                "every request needs a reason and an outcome",
            ));
        }
        self.decide(|m| {
            let (kind, site, permanence, stream) =
                if let Some(b) = m.bookings.get(&AppointmentId(visit)) {
                    if b.cancelled
                        || !matches!(b.stage, Stage::Arrived | Stage::InProgress | Stage::Done)
                    {
                        return Err(AppointmentError::Conflict(
                            "record what a visit was about once the resident came".into(),
                        ));
                    }
                    (
                        "appointment",
                        b.site,
                        b.permanence_id.clone(),
                        booking_stream(&b.permanence_id)?,
                    )
                } else if let Some(t) = m.queues.tickets.get(&visit) {
                    if !matches!(
                        t.state,
                        crate::queue::TicketState::Called | crate::queue::TicketState::Served
                    ) {
                        return Err(AppointmentError::Conflict(
                            "record what a visit was about once the resident was called".into(),
                        ));
                    }
                    let site = m
                        .calendar
                        .permanence(&t.permanence_id)
                        .map_err(|e| AppointmentError::Internal(e.to_string()))?
                        .site_id;
                    (
                        "drop_in",
                        site,
                        t.permanence_id.clone(),
                        crate::queue::queue_stream(&t.permanence_id)?,
                    )
                } else {
                    return Err(AppointmentError::NotFound(format!(
                        "there is no appointment or ticket {visit}"
                    )));
                };
            Ok(Decision::Append {
                stream,
                events: vec![acting.event(&ev::VisitRequestsRecorded {
                    visit_id: visit.to_string(),
                    kind: kind.to_owned(),
                    site_id: site.to_string(),
                    permanence_id: permanence,
                    requests: requests.clone(),
                })?],
                then: (),
            })
        })
        .await?;
        Ok(requests)
    }

    /// The requests recorded for a visit.
    pub async fn requests_of(
        &self,
        visit: uuid::Uuid,
    ) -> Result<Vec<ev::VisitRequest>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .visits
            .get(&visit)
            .cloned()
            .unwrap_or_default())
    }

    /// The site of a visit (appointment or ticket).
    pub async fn visit_site(&self, visit: uuid::Uuid) -> Result<SiteId, AppointmentError> {
        let m = self.read(false).await?;
        if let Some(b) = m.bookings.get(&AppointmentId(visit)) {
            return Ok(b.site);
        }
        let t = m.queues.tickets.get(&visit).ok_or_else(|| {
            AppointmentError::NotFound(format!("there is no appointment or ticket {visit}"))
        })?;
        m.calendar
            .permanence(&t.permanence_id)
            .map(|p| p.site_id)
            .map_err(|e| AppointmentError::Internal(e.to_string()))
    }

    /// A resident arrives at a drop-in permanence: a ticket with the next
    /// number, while the permanence is open today and the room not full.
    pub async fn drop_in_arrive(
        &self,
        acting: &Acting,
        permanence_id: &str,
        first_name: Option<&str>,
        reasons: &[Reason],
    ) -> Result<crate::queue::Ticket, AppointmentError> {
        let now = acting.at;
        let first_name = first_name.map(str::trim).filter(|n| !n.is_empty());
        if first_name.is_some_and(|n| n.chars().count() > 50) {
            return Err(AppointmentError::invalid(
                "first_name",
                "a first name only, 50 characters at most",
            ));
        }
        let ticket = uuid::Uuid::now_v7();
        let sealed = match first_name {
            Some(n) => Some(
                self.inner
                    .identity
                    .vault()
                    .seal(ticket, n)
                    .await
                    .map_err(|e| AppointmentError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        self.decide(|m| {
            let p = m
                .calendar
                .permanence(permanence_id)
                .map_err(|_| AppointmentError::NotFound(format!("there is no permanence {permanence_id}")))?;
            if !p.drop_in {
                return Err(AppointmentError::Conflict("this permanence has no drop-in: book an appointment".into()));
            }
            if p.status != calendar::Status::Open || now >= p.ends_at || contracts::time::local_date(now) != p.day {
                return Err(AppointmentError::Conflict("this drop-in is not open now".into()));
            }
            let tickets = m.queues.of(permanence_id);
            let waiting = tickets
                .iter()
                .filter(|t| t.state == crate::queue::TicketState::Waiting)
                .count();
            if let Some(capacity) = p.drop_in_capacity
                && waiting >= usize::try_from(capacity).unwrap_or(usize::MAX)
            {
                return Err(AppointmentError::Conflict(format!(
                    "the drop-in is full ({waiting} people waiting): come back later or book an appointment"
                )));
            }
            Ok(Decision::Append {
                stream: crate::queue::queue_stream(permanence_id)?,
                events: vec![acting.event(&ev::DropInArrived {
                    ticket_id: ticket.to_string(),
                    number: u32::try_from(tickets.len() + 1).unwrap_or(u32::MAX),
                    site_id: p.site_id.to_string(),
                    permanence_id: permanence_id.to_owned(),
                    first_name: sealed.clone(),
                    reasons: reasons.iter().map(|r| i32::from(*r)).collect(),
                })?],
                then: (),
            })
        })
        .await?;
        self.ticket(ticket).await
    }

    /// The site of a permanence, if there is such a permanence.
    pub async fn site_of(&self, permanence_id: &str) -> Result<Option<SiteId>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .calendar
            .permanence(permanence_id)
            .ok()
            .map(|p| p.site_id))
    }

    /// One ticket.
    pub async fn ticket(&self, id: uuid::Uuid) -> Result<crate::queue::Ticket, AppointmentError> {
        self.read(false)
            .await?
            .queues
            .tickets
            .get(&id)
            .cloned()
            .ok_or_else(|| AppointmentError::NotFound(format!("there is no ticket {id}")))
    }

    /// Calls, serves, or records the leaving of a ticket.
    pub async fn drop_in_step(
        &self,
        acting: &Acting,
        id: uuid::Uuid,
        to: crate::queue::TicketState,
    ) -> Result<crate::queue::Ticket, AppointmentError> {
        use crate::queue::TicketState::{Called, Left, Served, Waiting};
        self.decide(|m| {
            let t =
                m.queues.tickets.get(&id).ok_or_else(|| {
                    AppointmentError::NotFound(format!("there is no ticket {id}"))
                })?;
            if t.state == to {
                return Ok(Decision::Answer(()));
            }
            let allowed = match to {
                Called => t.state == Waiting,
                Served => t.state == Called,
                Left => matches!(t.state, Waiting | Called),
                Waiting => false,
            };
            if !allowed {
                return Err(AppointmentError::Conflict(format!(
                    "ticket {} is {:?} already",
                    t.number, t.state
                )));
            }
            let ticket_id = id.to_string();
            let e = match to {
                Called => acting.event(&ev::DropInCalled { ticket_id })?,
                Served => acting.event(&ev::DropInServed { ticket_id })?,
                _ => acting.event(&ev::DropInLeft { ticket_id })?,
            };
            Ok(Decision::Append {
                stream: crate::queue::queue_stream(&t.permanence_id)?,
                events: vec![e],
                then: (),
            })
        })
        .await?;
        self.ticket(id).await
    }

    /// The first name a ticket was given, opened (none when not given, or
    /// when the key to open it is gone).
    pub async fn first_name_of(&self, t: &crate::queue::Ticket) -> Option<String> {
        let sealed = t.first_name.as_ref()?;
        self.inner
            .identity
            .vault()
            .open_sealed(sealed)
            .await
            .ok()
            .and_then(|r| r.as_deref().map(str::to_owned))
    }

    /// The queue of a permanence, in number order.
    pub async fn queue(
        &self,
        permanence_id: &str,
    ) -> Result<Vec<crate::queue::Ticket>, AppointmentError> {
        Ok(self
            .read(false)
            .await?
            .queues
            .of(permanence_id)
            .into_iter()
            .cloned()
            .collect())
    }

    /// Wakes whenever something may have been committed: what the live
    /// queue feed waits on.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.committed.clone()
    }

    /// Cancels a booking at the request of the resident or of staff (who
    /// must say why: the resident is told).
    pub async fn cancel(
        &self,
        acting: &Acting,
        id: AppointmentId,
        by: Party,
        reason: &str,
    ) -> Result<(), AppointmentError> {
        if reason.chars().count() > 200 {
            return Err(AppointmentError::invalid(
                "reason",
                "say why in 200 characters at most",
            ));
        }
        if by == Party::Staff && reason.trim().is_empty() {
            return Err(AppointmentError::invalid(
                "reason",
                "say why the appointment is cancelled (the resident is told)",
            ));
        }
        self.write_cancel(acting, id, by, reason, CancelCause::Asked)
            .await
    }

    /// Writes a cancellation (none when it is cancelled already).
    async fn write_cancel(
        &self,
        acting: &Acting,
        id: AppointmentId,
        by: Party,
        reason: &str,
        cause: CancelCause,
    ) -> Result<(), AppointmentError> {
        let too_close = self.inner.settings.notice;
        self.decide(|m| {
            let b = m.bookings.get(&id).ok_or_else(|| {
                AppointmentError::NotFound(format!("there is no appointment {id}"))
            })?;
            if b.cancelled {
                return Ok(Decision::Answer(()));
            }
            if by == Party::Resident && b.starts_at - acting.at < too_close {
                return Err(AppointmentError::Refused(
                    "this appointment is too close to be cancelled online: call the help desk"
                        .into(),
                ));
            }
            Ok(Decision::Append {
                stream: booking_stream(&b.permanence_id)?,
                events: vec![acting.event(&ev::AppointmentCancelled {
                    appointment_id: id.to_string(),
                    reason: reason.trim().to_owned(),
                    canceller: by.into(),
                    cause: cause.into(),
                    ..Default::default()
                })?],
                then: (),
            })
        })
        .await
    }

    /// The resident behind a booking, for checks.
    pub async fn resident_of(&self, id: AppointmentId) -> Result<ResidentId, AppointmentError> {
        Ok(self.get(id).await?.resident)
    }
}

fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::Booked => "booked",
        Stage::Arrived => "checked in",
        Stage::InProgress => "in progress",
        Stage::Done => "done",
        Stage::NoShow => "marked as not come",
    }
}

/// Whether one more appointment fits in `start..end` at the permanence:
/// every live booking that overlaps it counts against the desks, so that at
/// no instant do more appointments run than there are desks.
fn has_room(
    m: &Model,
    permanence_id: &str,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<bool, AppointmentError> {
    let p = m
        .calendar
        .permanence(permanence_id)
        .map_err(|e| AppointmentError::Internal(e.to_string()))?;
    let overlapping = m
        .live_at(permanence_id)
        .filter(|b| b.starts_at < end && start < b.ends_at)
        .count();
    Ok(overlapping < usize::try_from(p.desks).unwrap_or(usize::MAX))
}

#[allow(clippy::too_many_arguments)]
fn free_times(
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
    let permanences = m
        .calendar
        .permanences(site, from, last)
        .map_err(|e| AppointmentError::Internal(e.to_string()))?;
    let mut free = Vec::new();
    for p in permanences
        .iter()
        .filter(|p| p.appointments && p.status == calendar::Status::Open)
    {
        let slots = m
            .calendar
            .slots(&p.permanence_id, Some(reason))
            .map_err(|e| AppointmentError::Internal(e.to_string()))?;
        for s in slots {
            if s.starts_at >= now + settings.notice
                && has_room(m, &p.permanence_id, s.starts_at, s.ends_at)?
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

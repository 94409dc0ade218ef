//! The appointments service: one file per concern, all over one model
//! and one decide loop (here).
//!
//! - `booking`: availability and `book` (decided first, written after).
//! - `moving`: `reschedule`, and completing moves a crash interrupted.
//! - `day`: reading bookings, the day list, stages, no-shows.
//! - `cancelling`: cancellations, asked or after an erasure.
//! - `visits`: the requests a visit carried.
//! - `drop_in`: the drop-in queue's tickets.
//! - `workshops`: workshop sessions and their places, and cancelling what
//!   a cancelled permanence left booked.
//! - `waitlists`: joining and leaving a waiting list, offering freed places
//!   (held for two hours of the day), taking or declining an offer.
//!
//! The rules themselves are pure functions of the model, in
//! [`crate::decide`].

use std::sync::Arc;
use std::time::Duration;

use api::{Acting, RateLimiter};
use chrono::{DateTime, Utc};
use contracts::Vault;
use contracts::ports::{Registration, ResidentSearch, Residents};
use contracts::{ResidentId, RuleId, SiteId};
use eventlog::{EventStore, ExpectedVersion, Filter, Freshness};
use tokio::sync::Mutex;

use crate::error::AppointmentError;
use crate::model::{BOOKING, Model};

mod booking;
mod cancelling;
mod day;
mod drop_in;
mod moving;
mod visits;
mod waitlists;
mod workshops;

pub use booking::{BookRequest, Booked, Booker, MAX_NOTE, ONLINE_PER_PHONE_DAILY};
pub use visits::Placed;
pub use waitlists::{JoinRequest, Joined, hold_until, is_night};
pub use workshops::Session;

/// What appointments asks of the service that holds residents (identity,
/// handed over by the binary): who holds a phone, registering one, booking
/// codes, manage links, and reception's search. A port, so that this crate
/// depends on no other service.
pub trait ResidentsPort: Residents + ResidentSearch<api::Principal> {}

impl<T: Residents + ResidentSearch<api::Principal>> ResidentsPort for T {}

/// How often a command is tried again when its permanence moved meanwhile.
/// Each conflict means another command on the same stream went through,
/// so the loop always progresses; the bound is about the number of tasks of
/// a process that may write one permanence at once (64 staff bookings of
/// one permanence at once spent 20 tries on each other's commits).
const ATTEMPTS: usize = 64;

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
    residents: Arc<dyn ResidentsPort>,
    /// Seals notes and manage links under the resident's key, and opens a
    /// ticket's first name.
    vault: Vault,
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
    /// The last refusal's alternatives, by what they depend on (see
    /// `Appointments::taken`).
    alternatives: std::sync::Mutex<Option<(AlternativesKey, Vec<crate::error::Available>)>>,
}

/// Site, reason, day asked for, model position, and minute.
type AlternativesKey = (
    SiteId,
    contracts::Reason,
    chrono::NaiveDate,
    eventlog::Position,
    i64,
);

impl Appointments {
    pub async fn new(
        store: Arc<dyn EventStore>,
        residents: Arc<dyn ResidentsPort>,
        vault: Vault,
        settings: Settings,
        clock: Arc<dyn eventlog::Clock>,
    ) -> Result<Self, AppointmentError> {
        // Counted across processes where the store is shared.
        let tallies = store.tallies();
        let service = Appointments {
            inner: Arc::new(Inner {
                clock,
                committed: store.wake(),
                store,
                residents,
                vault,
                settings,
                model: std::sync::RwLock::new(Model::default()),
                freshness: Mutex::new(Freshness::default()),
                per_ip: RateLimiter::new(20, Duration::from_secs(3600))
                    .shared(tallies.clone(), "appointments online bookings per address"),
                per_phone: RateLimiter::new(ONLINE_PER_PHONE_DAILY, Duration::from_secs(24 * 3600))
                    .shared(tallies, "appointments online bookings per phone"),
                alternatives: std::sync::Mutex::new(None),
            }),
        };
        let completed = service.complete_moves().await?;
        if completed > 0 {
            tracing::warn!(
                completed,
                "completed appointment moves a crash had interrupted"
            );
        }
        let undone = service.complete_series(service.inner.clock.now()).await?;
        if undone > 0 {
            tracing::warn!(
                undone,
                "cancelled the places of series enrolments a crash had cut short"
            );
        }
        Ok(service)
    }

    /// The residents' port (reception's search answers through it).
    pub fn residents(&self) -> &dyn ResidentsPort {
        self.inner.residents.as_ref()
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

    /// Folds everything the log holds now (what `/readyz` asks).
    pub async fn refresh(&self) -> Result<(), AppointmentError> {
        drop(self.read(true).await?);
        Ok(())
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
        let freshness = self.inner.freshness.lock().await;
        self.catch_up(freshness, force).await
    }

    /// The model to decide a write on, in the decide loop's first attempt
    /// (a command has read the model fresh before: it never goes back): as
    /// [`Appointments::read`], except that while another task is reading
    /// the log for it, the model as it is, without waiting in line. What
    /// is decided to be written is checked again by the append's expected
    /// version; a refusal (the place was taken) from a model a few commits
    /// behind is the one a caller arriving a moment earlier would have
    /// had. So in a crowd at opening time the losers are not answered one
    /// catch-up after another.
    async fn read_to_decide(&self) -> Result<ModelGuard<'_>, AppointmentError> {
        match self.inner.freshness.try_lock() {
            Ok(freshness) => self.catch_up(freshness, false).await,
            Err(_) => self.guard(),
        }
    }

    async fn catch_up(
        &self,
        mut freshness: tokio::sync::MutexGuard<'_, Freshness>,
        force: bool,
    ) -> Result<ModelGuard<'_>, AppointmentError> {
        let committed = *self.inner.committed.borrow();
        let position = self.guard()?.position();
        if force || freshness.is_due(committed, position) {
            freshness.reading();
            let filter = Filter::categories([
                SiteId::CATEGORY,
                RuleId::CATEGORY,
                BOOKING,
                crate::queue::DROP_IN,
                crate::waitlist::WAITLIST,
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
        decide: impl FnMut(&Model) -> Result<Decision<T>, AppointmentError>,
    ) -> Result<T, AppointmentError> {
        self.decide_with(None, decide).await
    }

    /// [`Appointments::decide`], writing the registration of a new resident
    /// in the same commit as what was decided for them.
    async fn decide_with<T>(
        &self,
        registering: Option<&Registration>,
        mut decide: impl FnMut(&Model) -> Result<Decision<T>, AppointmentError>,
    ) -> Result<T, AppointmentError> {
        let mut force = false;
        for _ in 0..ATTEMPTS {
            let (stream, events, then, expected) = {
                let m = match force {
                    true => self.read(true).await?,
                    false => self.read_to_decide().await?,
                };
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
            let request = eventlog::AppendRequest {
                stream,
                expected,
                events,
            };
            let also = registering.map(|r| r.append.clone()).into_iter().collect();
            let keys = registering.map(|r| r.key.clone()).into_iter().collect();
            match self.inner.store.append_with(request, also, keys).await {
                Ok(_) => {
                    drop(self.read(false).await?);
                    return Ok(then);
                }
                Err(e) if e.is_conflict() => force = true,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppointmentError::Refused(messages::say!(
            crate::MESSAGES,
            "many-people-are-changing-this"
        )))
    }

    /// Undoes what preparing `registration` left when what it was for was
    /// refused: the record, where it may have been written all the same
    /// (`alone`: it went with a write of its own, as a series' first place,
    /// or the store has no transactions across streams), or else only the
    /// key this process holds.
    async fn drop_registration(&self, acting: &Acting, registration: &Registration, alone: bool) {
        let resident = registration.resident;
        let written = if alone || !self.inner.store.transactional() {
            self.inner
                .store
                .read_stream(&registration.append.stream, 0, 1)
                .await
                .map(|e| !e.is_empty())
        } else {
            // Refused with what it was for, in one transaction: not written.
            Ok(false)
        };
        match written {
            Ok(false) => self.inner.vault.forget(resident.0),
            Ok(true) | Err(_) => {
                if let Err(e) = self.inner.residents.forget_unbooked(acting, resident).await {
                    tracing::warn!(resident = %resident, error = %e, "could not erase the record of a lost booking");
                }
            }
        }
    }

    /// Wakes whenever something may have been committed: what the live
    /// queue feed waits on.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.committed.clone()
    }
}

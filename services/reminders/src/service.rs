//! The reminders service: reacts to appointment events (a subscription of
//! its own, with its checkpoint), schedules each message as a
//! `reminder-<id>` stream, and dispatches those whose time has come.
//!
//! Never lost: a message is scheduled before the reaction's checkpoint
//! moves past the event that asked for it, and scheduling is idempotent
//! (the reminder's id derives from that event; its stream must not exist).
//! Never twice: an attempt is recorded (`ReminderAttemptStarted`, at the
//! stream's version, so two dispatchers cannot both start it) before the
//! provider is called, and when the outcome of an attempt is unknown (a
//! crash, a timeout) the provider is asked for the attempt's reference
//! before anything is sent again. One dispatcher sends at a time: it holds
//! a lease in `lease-reminders`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use api::Acting;
use chrono::{DateTime, Utc};
use contracts::ports::Residents;
use contracts::proto::appointments::v1 as aev;
use contracts::proto::reminders::v1 as ev;
use contracts::streams::BOOKING;
use contracts::{AppointmentId, Language, ReminderId, SiteId, decode_event};
use eventlog::{AppendError, EventStore, ExpectedVersion, Filter, Position, RecordedEvent};
use futures_util::StreamExt as _;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::email::{Email, Invitation, Mailer};
use crate::error::ReminderError;
use crate::model::{Change, Channel, Model, Reminder, State, kind_to};
use crate::sms::{Lookup, SendError, Sms, SmsProvider};
use crate::texts::{self, Details, Kind};
use crate::timing;

pub use eventlog::{Clock, ManualClock, SystemClock};

/// A site's own reminder settings; what is not set follows [`Settings`].
#[derive(Debug, Clone, Default)]
pub struct SiteSettings {
    pub hours_before: Option<u32>,
    pub second_hours_before: Option<u32>,
    pub sender: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Where residents reach Créneau: manage links start with it.
    pub public_url: String,
    /// The reminder goes this many hours before (default 48).
    pub hours_before: u32,
    /// A second reminder this many hours before, if set.
    pub second_hours_before: Option<u32>,
    /// Sender ID: 11 letters or digits at most.
    pub sender: String,
    /// Tries before a message is given up.
    pub max_attempts: u32,
    /// How long the dispatcher's lease lasts without renewal.
    pub lease: Duration,
    /// Messages handed to the provider at once.
    pub concurrency: usize,
    /// Confirmations and notices go only for events this recent: a service
    /// started on an old log schedules the reminders still ahead and does
    /// not confirm bookings made long ago.
    pub notices_within: chrono::Duration,
    pub sites: HashMap<SiteId, SiteSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: "http://127.0.0.1:8080".into(),
            hours_before: 48,
            second_hours_before: None,
            sender: "Creneau".into(),
            max_attempts: 8,
            lease: Duration::from_secs(5),
            concurrency: 64,
            notices_within: chrono::Duration::hours(1),
            sites: HashMap::new(),
        }
    }
}

/// Checks a sender ID: what providers accept.
pub fn valid_sender(sender: &str) -> bool {
    (1..=11).contains(&sender.chars().count()) && sender.chars().all(|c| c.is_ascii_alphanumeric())
}

/// How a round went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub scheduled: usize,
    pub withdrawn: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub found_by_lookup: usize,
}

/// A reminder as reception sees it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ReminderView {
    pub id: ReminderId,
    pub appointment: AppointmentId,
    pub kind: &'static str,
    pub channel: &'static str,
    pub due_at: DateTime<Utc>,
    pub state: &'static str,
    pub attempts: u32,
    pub segments: u32,
    pub delivery: Option<String>,
    pub error: Option<String>,
}

fn view(r: &Reminder) -> ReminderView {
    ReminderView {
        id: r.id,
        appointment: r.appointment,
        kind: match r.kind {
            Kind::Confirmation => "confirmation",
            Kind::Reminder => "reminder",
            Kind::Moved => "moved",
            Kind::Cancelled => "cancelled",
            Kind::Offer => "offer",
        },
        channel: match r.channel {
            Channel::Sms => "sms",
            Channel::Email => "email",
        },
        due_at: r.due_at,
        state: match r.state {
            State::Scheduled => "scheduled",
            State::Withdrawn => "withdrawn",
            State::Sent => "sent",
            State::Failed => "failed",
        },
        attempts: r.attempts,
        segments: r.segments,
        delivery: r.delivery.clone(),
        error: r.error.clone(),
    }
}

const CHECKPOINT: &str = "reminders-scheduler";
/// The dispatcher's lease is `lease-reminders`.
pub const LEASE_WORK: &str = "reminders";
/// Reminder ids derive from the event that asked for them (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x6372_656e_6561_7500_7265_6d69_6e64_6572);

/// Where messages go: an SMS provider, and an SMTP server if one is
/// configured (without one, no email is scheduled).
#[derive(Clone)]
pub struct Senders {
    pub sms: Arc<dyn SmsProvider>,
    pub mail: Option<Arc<Mailer>>,
}

impl From<Arc<dyn SmsProvider>> for Senders {
    fn from(sms: Arc<dyn SmsProvider>) -> Self {
        Senders { sms, mail: None }
    }
}

impl<P: SmsProvider + 'static> From<Arc<P>> for Senders {
    fn from(sms: Arc<P>) -> Self {
        Senders { sms, mail: None }
    }
}

#[derive(Clone)]
pub struct Reminders {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    /// Opens the manage link's token sealed in the booking.
    vault: contracts::Vault,
    /// Residents' contact details and booking codes, through the port.
    residents: Arc<dyn Residents>,
    sms: Arc<dyn SmsProvider>,
    mail: Option<Arc<Mailer>>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    model: Mutex<Model>,
    /// One round at a time (held across a dispatch's provider calls).
    round: Mutex<()>,
    /// One catch-up at a time: a query or a delivery report folds what is
    /// new without waiting for a round's dispatch.
    folding: Mutex<()>,
    checkpoint: StdMutex<Position>,
    /// The dispatcher's lease (`lease-reminders`): one process sends.
    lease: api::Lease,
    in_flight: StdMutex<HashSet<ReminderId>>,
}

impl Reminders {
    /// The service; its first round folds the log and reacts to the
    /// appointment events past its checkpoint.
    pub async fn new(
        store: Arc<dyn EventStore>,
        vault: contracts::Vault,
        residents: Arc<dyn Residents>,
        senders: impl Into<Senders>,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ReminderError> {
        let Senders { sms, mail } = senders.into();
        let checkpoint = store
            .load_checkpoint(CHECKPOINT)
            .await?
            .unwrap_or(Position::START);
        let lease = api::Lease::new(
            Arc::clone(&store),
            Arc::clone(&clock),
            LEASE_WORK,
            api::Lease::this_process(),
            settings.lease,
        )?;
        let r = Reminders {
            inner: Arc::new(Inner {
                store,
                vault,
                residents,
                sms,
                mail,
                settings,
                clock,
                model: Mutex::new(Model::default()),
                round: Mutex::new(()),
                folding: Mutex::new(()),
                checkpoint: StdMutex::new(checkpoint),
                lease,
                in_flight: StdMutex::new(HashSet::new()),
            }),
        };
        Ok(r)
    }

    fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    fn checkpoint(&self) -> Position {
        self.inner.checkpoint.lock().map_or(Position::START, |c| *c)
    }

    /// One round: fold what is new (reacting to appointment events past the
    /// checkpoint), then send what is due, if this process holds the lease.
    pub async fn round(&self) -> Result<Round, ReminderError> {
        let _one = self.inner.round.lock().await;
        let mut round = Round::default();
        self.catch_up(&mut round).await?;
        if self.inner.lease.hold().await? {
            self.dispatch(&mut round).await?;
        }
        Ok(round)
    }

    /// Runs rounds until the process ends: after each, waits for a commit,
    /// the next message's time, or a second.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut wake = self.inner.store.wake();
            loop {
                match self.round().await {
                    Ok(r) if r != Round::default() => tracing::info!(?r, "reminders round"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "reminders round failed"),
                }
                let next = self.inner.model.lock().await.next_due();
                let wait = next
                    .and_then(|at| (at - self.now()).to_std().ok())
                    .unwrap_or(Duration::from_secs(1))
                    .clamp(Duration::from_millis(10), Duration::from_secs(1));
                tokio::select! {
                    _ = wake.changed() => {}
                    () = tokio::time::sleep(wait) => {}
                }
            }
        })
    }

    /// Folds the log from where the model is and reacts to the
    /// appointment events past the checkpoint. The checkpoint moves only
    /// past what was handled: a reaction that fails (the store, a resident
    /// who cannot be read) stops the catch-up, and the next round reads
    /// that event again and reacts to it again. Reactions are idempotent
    /// (a reminder's id comes from its event), folds skip what they folded.
    async fn catch_up(&self, round: &mut Round) -> Result<(), ReminderError> {
        let _one = self.inner.folding.lock().await;
        let filter = Filter::categories([BOOKING, ReminderId::CATEGORY, SiteId::CATEGORY]);
        loop {
            let checkpoint = self.checkpoint();
            let after = self.inner.model.lock().await.position.min(checkpoint);
            let batch = self.inner.store.read_all(after, 1000, &filter).await?;
            let Some(last) = batch.last().map(|e| e.position) else {
                return Ok(());
            };
            let mut handled = checkpoint;
            for e in &batch {
                self.inner.model.lock().await.fold(e)?;
                if e.position > checkpoint
                    && e.category() == BOOKING
                    && let Err(failed) = self.react(e, round).await
                {
                    tracing::warn!(position = %e.position, error = %api::chain(&failed), "a reaction failed: it is tried again next round");
                    self.move_checkpoint(handled).await?;
                    return Err(failed);
                }
                handled = handled.max(e.position);
            }
            self.move_checkpoint(last).await?;
        }
    }

    /// Stores the checkpoint at `to`, if that moves it forward.
    async fn move_checkpoint(&self, to: Position) -> Result<(), ReminderError> {
        if to <= self.checkpoint() {
            return Ok(());
        }
        self.inner.store.save_checkpoint(CHECKPOINT, to).await?;
        if let Ok(mut c) = self.inner.checkpoint.lock() {
            *c = (*c).max(to);
        }
        Ok(())
    }

    fn site_settings(&self, site: SiteId) -> (u32, Option<u32>, String) {
        let s = &self.inner.settings;
        let own = s.sites.get(&site).cloned().unwrap_or_default();
        (
            own.hours_before.unwrap_or(s.hours_before),
            own.second_hours_before.or(s.second_hours_before),
            own.sender.unwrap_or_else(|| s.sender.clone()),
        )
    }

    /// What an appointment event asks of the reminders.
    async fn react(&self, e: &RecordedEvent, round: &mut Round) -> Result<(), ReminderError> {
        let now = self.now();
        let recent = now - e.metadata.recorded_at < self.inner.settings.notices_within;
        let acting = Acting::new(
            eventlog::Actor::System("reminders".into()),
            e.metadata.correlation_id,
            self.now(),
        );
        let (appointment, notice) = if let Some(x) = decode_event::<aev::AppointmentBooked>(e)? {
            // A workshop series is confirmed once, by its first place
            // (written last); each place has its reminder.
            let later_of_series = !x.series_id.is_empty() && x.series_id != x.appointment_id;
            let notice = (!later_of_series).then_some(Kind::Confirmation);
            (x.appointment_id, notice)
        } else if let Some(x) = decode_event::<aev::PlaceHeld>(e)? {
            (x.offer_id, Some(Kind::Offer))
        } else if let Some(x) = decode_event::<aev::AppointmentMovedIn>(e)? {
            (x.appointment_id, Some(Kind::Moved))
        } else if let Some(x) = decode_event::<aev::AppointmentCancelled>(e)? {
            // An erased resident is not told (nobody can be), nor about a
            // place cancelled with its series (that one's notice tells).
            #[allow(deprecated)]
            let silent = matches!(
                contracts::CancelCause::read(x.cause, &x.reason),
                contracts::CancelCause::ResidentErased | contracts::CancelCause::WithSeries
            );
            let notice = (!silent).then_some(Kind::Cancelled);
            (x.appointment_id, notice)
        } else {
            return Ok(());
        };
        let Ok(appointment) = appointment.parse::<AppointmentId>() else {
            return Ok(());
        };
        let Some(a) = self
            .inner
            .model
            .lock()
            .await
            .appointments
            .get(&appointment)
            .cloned()
        else {
            return Ok(());
        };
        // A move or a cancellation withdraws what was waiting.
        if !matches!(notice, Some(Kind::Confirmation | Kind::Offer)) {
            for rid in &a.reminders {
                if self
                    .withdraw(&acting, *rid, "the appointment changed")
                    .await?
                {
                    round.withdrawn += 1;
                }
            }
        }
        if a.starts_at <= now {
            return Ok(());
        }
        let details = match self.inner.residents.contact(a.resident).await {
            Ok(Some(d)) => d,
            // Nobody to tell: erased, or never registered.
            Ok(None) => {
                tracing::debug!(appointment = %a.id, "an appointment of a resident who is not there: nothing to schedule");
                return Ok(());
            }
            // The store or the vault failed: not handled, tried again.
            Err(e) => return Err(e.into()),
        };
        let mut channels = Vec::new();
        if details.sms_consent && details.phone.is_some() {
            channels.push(ev::Channel::Sms);
        }
        // An offer is a matter of hours: by SMS only.
        if self.inner.mail.is_some()
            && details.email_consent
            && details.email.is_some()
            && notice != Some(Kind::Offer)
        {
            channels.push(ev::Channel::Email);
        }
        let mut wanted: Vec<(Kind, DateTime<Utc>)> = Vec::new();
        if let Some(kind) = notice
            && recent
        {
            let at = timing::after_night(now);
            if at < a.starts_at {
                wanted.push((kind, at));
            }
        }
        if !a.cancelled && !matches!(notice, Some(Kind::Cancelled | Kind::Offer)) {
            let (hours, second, _) = self.site_settings(a.site);
            for h in std::iter::once(hours).chain(second) {
                if let Some(at) = timing::reminder_at(a.starts_at, h, now) {
                    wanted.push((Kind::Reminder, at));
                }
            }
        }
        let mut each = Vec::new();
        for (n, w) in wanted.into_iter().enumerate() {
            for c in &channels {
                each.push((n, w, *c));
            }
        }
        for (n, (kind, due), channel) in each {
            let rid = ReminderId(Uuid::new_v5(
                &NAMESPACE,
                format!("{}/{n}/{}", e.event_id, channel.as_str_name()).as_bytes(),
            ));
            if self.schedule(&acting, rid, &a, kind, channel, due).await? {
                round.scheduled += 1;
            }
        }
        Ok(())
    }

    /// Starts reminder `rid`'s stream: `kind` about `a` by `channel`, due at
    /// `due`. `false` when the stream exists already (scheduled by an
    /// earlier run, or by another process): once is enough.
    async fn schedule(
        &self,
        acting: &Acting,
        rid: ReminderId,
        a: &crate::model::Appointment,
        kind: Kind,
        channel: ev::Channel,
        due: DateTime<Utc>,
    ) -> Result<bool, ReminderError> {
        let scheduled = ev::ReminderScheduled {
            reminder_id: rid.to_string(),
            appointment_id: a.id.to_string(),
            resident_id: a.resident.to_string(),
            site_id: a.site.to_string(),
            kind: kind_to(kind).into(),
            channel: channel.into(),
            due_at: due.to_rfc3339(),
            starts_at: a.starts_at.to_rfc3339(),
        };
        match self
            .inner
            .store
            .append(
                &rid.stream(),
                ExpectedVersion::NoStream,
                vec![acting.event(&scheduled)?],
            )
            .await
        {
            Ok(done) => {
                self.inner.model.lock().await.apply(
                    rid,
                    0,
                    Change::Scheduled(Box::new(scheduled)),
                    done.last_position.unwrap_or_default(),
                )?;
                Ok(true)
            }
            Err(AppendError::WrongExpectedVersion { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Sends an appointment's last SMS again, as reception does when a
    /// resident on the phone lost it: the same kind of message, now (or at
    /// 08:00 when it is night), through the dispatcher like any other, so
    /// it is retried and reported the same way. A resend asked twice before
    /// the first went (a double tap, two processes) is one message: its id
    /// derives from the messages the appointment had, and a resend still
    /// waiting is answered with its own id.
    pub async fn resend_last_sms(
        &self,
        acting: &Acting,
        id: AppointmentId,
    ) -> Result<ReminderId, ReminderError> {
        self.refresh().await?;
        let now = self.now();
        let (a, last, waiting) = {
            let m = self.inner.model.lock().await;
            let Some(a) = m.appointments.get(&id).cloned() else {
                return Err(ReminderError::NotFound(messages::say!(
                    crate::ERRORS,
                    "there-is-no-appointment",
                    id = id
                )));
            };
            let sms: Vec<&Reminder> = a
                .reminders
                .iter()
                .filter_map(|rid| m.reminders.get(rid))
                .filter(|r| r.channel == Channel::Sms)
                .collect();
            let last = sms
                .iter()
                .filter(|r| matches!(r.state, State::Sent | State::Failed))
                .max_by_key(|r| (r.due_at, r.id))
                .map(|r| r.kind);
            let waiting = sms
                .iter()
                .find(|r| r.state == State::Scheduled && r.due_at <= timing::after_night(now))
                .map(|r| r.id);
            (a, last, waiting)
        };
        if let Some(rid) = waiting {
            return Ok(rid);
        }
        let Some(kind) = last else {
            return Err(ReminderError::Refused(messages::say!(
                crate::ERRORS,
                "no-sms-was-sent"
            )));
        };
        if a.starts_at <= now {
            return Err(ReminderError::Refused(messages::say!(
                crate::ERRORS,
                "appointment-has-passed"
            )));
        }
        if a.cancelled {
            return Err(ReminderError::Refused(messages::say!(
                crate::ERRORS,
                "appointment-is-cancelled"
            )));
        }
        match self.inner.residents.contact(a.resident).await? {
            Some(d) if d.sms_consent && d.phone.is_some() => {}
            _ => {
                return Err(ReminderError::Refused(messages::say!(
                    crate::ERRORS,
                    "no-sms-for-this-person"
                )));
            }
        }
        let rid = ReminderId(Uuid::new_v5(
            &NAMESPACE,
            format!("{}/resend/{}", a.id, a.reminders.len()).as_bytes(),
        ));
        self.schedule(
            acting,
            rid,
            &a,
            kind,
            ev::Channel::Sms,
            timing::after_night(now),
        )
        .await?;
        Ok(rid)
    }

    /// Appends one event to a reminder's stream at the version the model
    /// holds, and applies it. `false` when the stream moved meanwhile.
    async fn record(
        &self,
        r: &Reminder,
        event: eventlog::NewEvent,
        change: Change,
    ) -> Result<bool, ReminderError> {
        match self
            .inner
            .store
            .append(
                &r.id.stream(),
                ExpectedVersion::Exact(r.version),
                vec![event],
            )
            .await
        {
            Ok(done) => {
                self.inner.model.lock().await.apply(
                    r.id,
                    r.version + 1,
                    change,
                    done.last_position.unwrap_or_default(),
                )?;
                Ok(true)
            }
            Err(AppendError::WrongExpectedVersion { .. }) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    async fn withdraw(
        &self,
        acting: &Acting,
        rid: ReminderId,
        reason: &str,
    ) -> Result<bool, ReminderError> {
        let Some(r) = self.inner.model.lock().await.reminders.get(&rid).cloned() else {
            return Ok(false);
        };
        if r.state != State::Scheduled {
            return Ok(false);
        }
        let event = acting.event(&ev::ReminderWithdrawn {
            reminder_id: rid.to_string(),
            reason: reason.to_owned(),
        })?;
        self.record(&r, event, Change::Withdrawn).await
    }

    /// Sends what is due, `concurrency` at a time.
    async fn dispatch(&self, round: &mut Round) -> Result<(), ReminderError> {
        loop {
            let due: Vec<ReminderId> = {
                let model = self.inner.model.lock().await;
                let busy = self
                    .inner
                    .in_flight
                    .lock()
                    .map(|s| s.clone())
                    .unwrap_or_default();
                model
                    .due_now(self.now(), 10_000)
                    .into_iter()
                    .filter(|id| !busy.contains(id))
                    .collect()
            };
            if due.is_empty() {
                return Ok(());
            }
            if let Ok(mut s) = self.inner.in_flight.lock() {
                s.extend(due.iter().copied());
            }
            let outcomes: Vec<Result<Outcome, ReminderError>> =
                futures_util::stream::iter(due.iter().copied())
                    .map(|rid| self.deliver(rid))
                    .buffer_unordered(self.inner.settings.concurrency.max(1))
                    .collect()
                    .await;
            if let Ok(mut s) = self.inner.in_flight.lock() {
                for id in &due {
                    s.remove(id);
                }
            }
            let mut progressed = false;
            for o in outcomes {
                match o {
                    Ok(Outcome::Sent) => {
                        round.sent += 1;
                        progressed = true;
                    }
                    Ok(Outcome::Found) => {
                        round.found_by_lookup += 1;
                        progressed = true;
                    }
                    Ok(Outcome::Retry) => round.retried += 1,
                    Ok(Outcome::Failed) => {
                        round.failed += 1;
                        progressed = true;
                    }
                    Ok(Outcome::Withdrawn) => {
                        round.withdrawn += 1;
                        progressed = true;
                    }
                    Ok(Outcome::Later) => {}
                    Err(e) => tracing::error!(error = %e, "a reminder could not be handled"),
                }
            }
            if !progressed {
                return Ok(());
            }
        }
    }

    /// One message: checks it is still wanted, asks the provider about an
    /// attempt whose outcome is unknown, records a new attempt, sends.
    async fn deliver(&self, rid: ReminderId) -> Result<Outcome, ReminderError> {
        let Some(r) = self.inner.model.lock().await.reminders.get(&rid).cloned() else {
            return Ok(Outcome::Later);
        };
        if r.state != State::Scheduled {
            return Ok(Outcome::Later);
        }
        let now = self.now();
        let acting = Acting::system("reminders", now);
        if r.starts_at <= now {
            self.withdraw(&acting, rid, "the appointment has started")
                .await?;
            return Ok(Outcome::Withdrawn);
        }
        if r.channel == Channel::Sms && !timing::daytime(now) {
            let morning = timing::after_night(now);
            if morning >= r.starts_at {
                self.withdraw(&acting, rid, "only night is left before the appointment")
                    .await?;
                return Ok(Outcome::Withdrawn);
            }
            self.inner.model.lock().await.defer(rid, morning);
            return Ok(Outcome::Later);
        }
        let details = match self.inner.residents.contact(r.resident).await {
            Ok(Some(d)) => d,
            Ok(None) => {
                self.withdraw(&acting, rid, "the resident was erased")
                    .await?;
                return Ok(Outcome::Withdrawn);
            }
            // The store or the vault failed: the message stays due and is
            // tried again next round, never withdrawn for it.
            Err(e) => return Err(e.into()),
        };
        let address = match r.channel {
            Channel::Sms => details.phone.clone().filter(|_| details.sms_consent),
            Channel::Email => details
                .email
                .clone()
                .filter(|_| details.email_consent && self.inner.mail.is_some()),
        };
        let Some(address) = address else {
            self.withdraw(&acting, rid, "no consent, or no phone or email")
                .await?;
            return Ok(Outcome::Withdrawn);
        };
        let provider = match r.channel {
            Channel::Sms => self.inner.sms.name(),
            Channel::Email => "smtp",
        };
        let message = self.message(&r, &details.language, &address).await?;
        let (_, _, sender) = self.site_settings(r.site);
        // A dispatcher that lost its lease (a long dispatch, a pause)
        // calls no provider again: the holder does.
        if !self.inner.lease.held() {
            return Ok(Outcome::Later);
        }
        // The last attempt may have reached the provider: ask before
        // sending again.
        if r.uncertain && !r.reference.is_empty() {
            let lookup = match &message {
                Outgoing::Sms(text) => {
                    let earlier = Sms {
                        to: address.clone(),
                        text: text.clone(),
                        sender: sender.clone(),
                        reference: r.reference.clone(),
                        at: self.inner.clock.now(),
                    };
                    self.inner.sms.lookup(&earlier).await
                }
                Outgoing::Email(_) => Ok(Lookup::Unsupported),
            };
            match lookup {
                Ok(Lookup::Found(message_id)) => {
                    let event = acting.event(&ev::ReminderSent {
                        reminder_id: rid.to_string(),
                        attempt: r.attempts,
                        provider_message_id: message_id.clone(),
                        known_from: "lookup".into(),
                    })?;
                    self.record(&r, event, Change::Sent { message_id }).await?;
                    return Ok(Outcome::Found);
                }
                Ok(Lookup::NotFound) => {}
                Ok(Lookup::Unsupported) => {
                    tracing::warn!(reminder = %rid, provider, "outcome unknown and the provider cannot be asked: sending again");
                }
                Err(e) => return self.retry_later(&acting, &r, &e, now, true).await,
            }
        }
        let attempt = r.attempts + 1;
        let reference = format!("{rid}.{attempt}");
        let segments = match &message {
            Outgoing::Sms(text) => crate::gsm::cost(text).segments,
            Outgoing::Email(_) => 0,
        };
        let started = acting.event(&ev::ReminderAttemptStarted {
            reminder_id: rid.to_string(),
            attempt,
            provider: provider.to_owned(),
            client_reference: reference.clone(),
            segments,
        })?;
        let change = Change::AttemptStarted {
            attempt,
            provider: provider.to_owned(),
            reference: reference.clone(),
            segments,
        };
        if !self.record(&r, started, change).await? {
            return Ok(Outcome::Later);
        }
        let Some(r) = self.inner.model.lock().await.reminders.get(&rid).cloned() else {
            return Ok(Outcome::Later);
        };
        let sent = match (message, &self.inner.mail) {
            (Outgoing::Sms(text), _) => {
                let sms = Sms {
                    to: address,
                    text,
                    sender,
                    reference,
                    at: self.inner.clock.now(),
                };
                self.inner.sms.send(&sms).await
            }
            (Outgoing::Email(email), Some(mailer)) => mailer.send(&email).await,
            (Outgoing::Email(_), None) => Err(SendError::Permanent {
                error: "no mail server is configured".into(),
                code: String::new(),
            }),
        };
        match sent {
            Ok(message_id) => {
                let event = acting.event(&ev::ReminderSent {
                    reminder_id: rid.to_string(),
                    attempt,
                    provider_message_id: message_id.clone(),
                    known_from: "answer".into(),
                })?;
                self.record(&r, event, Change::Sent { message_id }).await?;
                Ok(Outcome::Sent)
            }
            Err(e) => self.retry_later(&acting, &r, &e, now, false).await,
        }
    }

    /// Records a failed try: another one later, or the end after a
    /// permanent refusal or too many tries.
    async fn retry_later(
        &self,
        acting: &Acting,
        r: &Reminder,
        error: &SendError,
        now: DateTime<Utc>,
        looking_up: bool,
    ) -> Result<Outcome, ReminderError> {
        let give_up = |error: String, code: String| -> Result<_, ReminderError> {
            Ok((
                acting.event(&ev::ReminderFailed {
                    reminder_id: r.id.to_string(),
                    error: error.clone(),
                    provider_code: code,
                })?,
                Change::Failed { error },
            ))
        };
        let (event, change, outcome) = match error {
            SendError::Permanent { error, code } => {
                tracing::warn!(reminder = %r.id, error, "the provider refused the message for good");
                let (e, c) = give_up(error.clone(), code.clone())?;
                (e, c, Outcome::Failed)
            }
            SendError::Transient { error, .. }
                if r.attempts >= self.inner.settings.max_attempts =>
            {
                let (e, c) = give_up(
                    format!("{} tries failed; last: {error}", r.attempts),
                    String::new(),
                )?;
                (e, c, Outcome::Failed)
            }
            SendError::Transient {
                error,
                retry_after,
                uncertain,
            } => {
                let jitter = f64::from(Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX);
                let mut wait = timing::backoff(r.attempts.max(1), jitter);
                if let Some(after) = retry_after.and_then(|d| chrono::Duration::from_std(d).ok()) {
                    wait = wait.max(after);
                }
                let retry_at = now + wait;
                // Still unknown whether the earlier attempt went: keep
                // asking before sending.
                let uncertain = *uncertain || (looking_up && r.uncertain);
                tracing::info!(reminder = %r.id, error, %retry_at, uncertain, "message not sent yet: will try again");
                (
                    acting.event(&ev::ReminderAttemptFailed {
                        reminder_id: r.id.to_string(),
                        attempt: r.attempts,
                        error: error.clone(),
                        retry_at: retry_at.to_rfc3339(),
                        uncertain,
                    })?,
                    Change::AttemptFailed {
                        error: error.clone(),
                        retry_at,
                        uncertain,
                    },
                    Outcome::Retry,
                )
            }
        };
        self.record(r, event, change).await?;
        Ok(outcome)
    }

    /// The message of a reminder, in the resident's language: an SMS text,
    /// or an email with its invitation.
    async fn message(
        &self,
        r: &Reminder,
        language: &str,
        address: &str,
    ) -> Result<Outgoing, ReminderError> {
        let language = Language::from_str_name(language).unwrap_or(Language::Fr);
        let site = self
            .inner
            .model
            .lock()
            .await
            .sites
            .get(&r.site)
            .cloned()
            .unwrap_or_default();
        let appointment = self
            .inner
            .model
            .lock()
            .await
            .appointments
            .get(&r.appointment)
            .cloned();
        let token = match appointment.as_ref().and_then(|a| a.token.as_ref()) {
            Some(sealed) => self
                .inner
                .vault
                .open_sealed(sealed)
                .await?
                .as_deref()
                .map(str::to_owned),
            None => None,
        };
        let link =
            token.map(|t| contracts::streams::manage_url(&self.inner.settings.public_url, &t));
        let details = Details {
            starts_at: r.starts_at,
            site_name: &site.name,
            address: &site.address,
            site_phone: Some(site.phone.as_str()).filter(|p| !p.is_empty()),
            reason: appointment
                .as_ref()
                .map_or(contracts::Reason::Other, |a| a.reason),
            link: link
                .as_deref()
                .or(Some(self.inner.settings.public_url.as_str())),
            until: appointment.as_ref().and_then(|a| a.offer_until),
        };
        if r.channel == Channel::Sms {
            return Ok(Outgoing::Sms(texts::sms(r.kind, language, &details)));
        }
        let (subject, text) = texts::email(r.kind, language, &details);
        let from = self
            .inner
            .mail
            .as_ref()
            .map(|m| m.from())
            .unwrap_or_default();
        let calendar_part = appointment.map(|a| {
            let place = format!("{}, {}", site.name, site.address);
            let invite = crate::email::invitation(
                r.kind,
                &Invitation {
                    appointment: contracts::ics::Appointment {
                        id: &a.id.to_string(),
                        sequence: a.sequence,
                        starts_at: a.starts_at,
                        ends_at: a.ends_at,
                        summary: &format!("{} – {}", subject, site.name),
                        location: &place,
                        description: &text,
                        stamp: self.inner.clock.now(),
                    },
                    organizer: &from,
                    attendee: address,
                },
            );
            (invite, r.kind == Kind::Cancelled)
        });
        Ok(Outgoing::Email(Email {
            to: address.to_owned(),
            html: crate::email::html(&text, link.as_deref(), language == Language::Ar),
            subject,
            text,
            calendar: calendar_part,
            message_id: format!("{}@creneau", r.id),
        }))
    }

    /// A delivery report posted by `provider`.
    pub async fn report(
        &self,
        provider: &str,
        body: &[u8],
        secret: Option<&str>,
        signature: Option<&str>,
    ) -> Result<usize, ReminderError> {
        if provider != self.inner.sms.name() {
            return Err(ReminderError::NotFound(messages::say!(
                crate::ERRORS,
                "no-sms-provider-is-configured",
                provider = format!("{:?}", provider)
            )));
        }
        let reports = self
            .inner
            .sms
            .report(body, secret, signature, self.inner.clock.now())
            .map_err(|e| match e {
                crate::sms::ReportError::Forged => ReminderError::ForgedReport(e.to_string()),
                crate::sms::ReportError::Malformed(_) => ReminderError::BadReport(e.to_string()),
            })?;
        let mut recorded = 0;
        for report in reports {
            // Twice at most: the model may be behind the log.
            for _ in 0..2 {
                let r = {
                    let m = self.inner.model.lock().await;
                    m.by_message
                        .get(&report.message_id)
                        .and_then(|id| m.reminders.get(id))
                        .cloned()
                };
                let Some(r) = r else {
                    self.catch_up(&mut Round::default()).await?;
                    continue;
                };
                if r.reported_at.is_some_and(|last| report.at < last) {
                    tracing::info!(
                        message = report.message_id,
                        "an older delivery report: ignored"
                    );
                    break;
                }
                let acting = Acting::system("reminders", self.now());
                let event = acting.event(&ev::ReminderDeliveryReported {
                    reminder_id: r.id.to_string(),
                    provider_message_id: report.message_id.clone(),
                    status: report.status.to_owned(),
                    reported_at: report.at.to_rfc3339(),
                    provider_status: report.provider_status.clone(),
                })?;
                let change = Change::Delivery {
                    status: report.status.to_owned(),
                    at: report.at,
                };
                if self.record(&r, event, change).await? {
                    recorded += 1;
                    break;
                }
                self.catch_up(&mut Round::default()).await?;
            }
        }
        if recorded == 0 {
            tracing::warn!(provider, "a delivery report for no message we know");
        }
        Ok(recorded)
    }

    /// Folds what is new, for a query: it does not wait for a round's
    /// dispatch (the provider calls), only for another catch-up.
    pub async fn refresh(&self) -> Result<(), ReminderError> {
        self.catch_up(&mut Round::default()).await
    }

    /// Sends a booking code by SMS, at once (a code lives 10 minutes: it
    /// is not scheduled, and nothing of it is stored or logged).
    pub async fn send_code(
        &self,
        site: SiteId,
        phone: &str,
        language: Language,
        code: &str,
        reference: &str,
    ) -> Result<(), SendError> {
        let (_, _, sender) = self.site_settings(site);
        let sms = Sms {
            to: phone.to_owned(),
            text: texts::code_sms(language, code),
            sender,
            reference: reference.to_owned(),
            at: self.inner.clock.now(),
        };
        self.inner.sms.send(&sms).await.map(drop)
    }

    /// Whether `site` confirms online bookings with a code, or `None` for
    /// no such site.
    pub async fn site_asks_code(&self, site: SiteId) -> Result<Option<bool>, ReminderError> {
        self.refresh().await?;
        Ok(self
            .inner
            .model
            .lock()
            .await
            .sites
            .get(&site)
            .map(|s| s.confirms_online_bookings_by_sms))
    }

    /// The service that holds residents, for the booking codes.
    pub fn residents(&self) -> &dyn Residents {
        self.inner.residents.as_ref()
    }

    /// The reminders of one appointment, oldest first.
    pub async fn of_appointment(
        &self,
        id: AppointmentId,
    ) -> Result<Vec<ReminderView>, ReminderError> {
        self.refresh().await?;
        let m = self.inner.model.lock().await;
        let mut out: Vec<ReminderView> = m
            .appointments
            .get(&id)
            .into_iter()
            .flat_map(|a| a.reminders.iter())
            .filter_map(|rid| m.reminders.get(rid))
            .map(view)
            .collect();
        out.sort_by_key(|r| r.due_at);
        Ok(out)
    }

    /// Messages that could not be sent, at a site, for reception to phone
    /// the resident: appointments still ahead only.
    pub async fn failed_at(&self, site: SiteId) -> Result<Vec<ReminderView>, ReminderError> {
        self.refresh().await?;
        let now = self.now();
        let m = self.inner.model.lock().await;
        let mut out: Vec<ReminderView> = m
            .reminders
            .values()
            .filter(|r| {
                r.site == site
                    && r.starts_at > now
                    && (r.state == State::Failed || r.delivery.as_deref() == Some("failed"))
            })
            .map(view)
            .collect();
        out.sort_by_key(|r| r.due_at);
        Ok(out)
    }

    /// The site of an appointment the service knows.
    pub async fn site_of(&self, id: AppointmentId) -> Result<Option<SiteId>, ReminderError> {
        self.refresh().await?;
        Ok(self
            .inner
            .model
            .lock()
            .await
            .appointments
            .get(&id)
            .map(|a| a.site))
    }
}

/// A message ready to go.
enum Outgoing {
    Sms(String),
    Email(Email),
}

/// What became of one message in a round.
enum Outcome {
    Sent,
    Found,
    Retry,
    Failed,
    Withdrawn,
    Later,
}

//! The service: subscriptions made, changed and read, and the deliveries,
//! made by whichever process holds the `lease-webhooks` lease.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use api::Acting;
use chrono::{DateTime, Utc};
use contracts::proto::appointments::v1 as ap;
use contracts::proto::reminders::v1 as rm;
use contracts::proto::webhooks::v1 as wh;
use contracts::{SiteId, decode_event};
use eventlog::{Clock, EventStore, ExpectedVersion, Filter, Position, RecordedEvent, StreamName};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::WebhookError;
use crate::kinds::{Kind, SOURCES};
use crate::model::{Model, Subscription};

/// The delays between tries of one event: 10 s, 30 s, 1, 2, 5, 10 and 30
/// minutes, then every hour.
pub const BACKOFF: [u64; 7] = [10, 30, 60, 120, 300, 600, 1800];

/// A subscription whose receiver fails for this long on one event pauses.
pub const PAUSE_AFTER: chrono::Duration = chrono::Duration::hours(24);

/// How long a receiver has to answer one delivery.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The delay before try `attempt + 1`, after `attempt` tries failed.
pub fn backoff(attempt: u32) -> chrono::Duration {
    let i = attempt.saturating_sub(1) as usize;
    chrono::Duration::seconds(BACKOFF.get(i).copied().unwrap_or(3600) as i64)
}

/// Events read per subscription and round.
const BATCH: usize = 256;

/// Events passed over before the subscription records how far it got.
const PASS_RECORDED_EVERY: u64 = 1000;

#[derive(Clone)]
pub struct Webhooks {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn EventStore>,
    /// Derives every subscription's secrets (from the master key).
    secret_key: [u8; 32],
    residents: Arc<dyn contracts::ports::Residents>,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    /// How long a receiver has to answer ([`TIMEOUT`] unless a test
    /// shortens it).
    timeout: std::sync::Mutex<Duration>,
    model: Mutex<Model>,
    /// Where each subscription's last round stopped reading: a shortcut
    /// past events of no interest to it; the log's record is `done_to`.
    read_to: std::sync::Mutex<HashMap<Uuid, Position>>,
}

fn filter() -> Filter {
    let mut categories: Vec<String> = SOURCES.iter().map(|s| (*s).to_owned()).collect();
    categories.push(crate::CATEGORY.to_owned());
    Filter::categories(categories)
}

/// What a subscription is asked with.
#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub url: String,
    pub kinds: Vec<Kind>,
    pub sites: Vec<SiteId>,
    pub personal: bool,
    pub personal_reason: String,
}

impl Webhooks {
    /// The service, its model folded from the log.
    pub async fn new(
        store: Arc<dyn EventStore>,
        secret_key: [u8; 32],
        residents: Arc<dyn contracts::ports::Residents>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, WebhookError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Creneau-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WebhookError::Corrupt(format!("no HTTP client: {e}")))?;
        let w = Webhooks {
            inner: Arc::new(Inner {
                store,
                secret_key,
                residents,
                clock,
                client,
                timeout: std::sync::Mutex::new(TIMEOUT),
                model: Mutex::new(Model::default()),
                read_to: std::sync::Mutex::new(HashMap::new()),
            }),
        };
        w.refresh().await?;
        Ok(w)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    /// How long a receiver has to answer from now on.
    pub fn set_timeout(&self, timeout: Duration) {
        if let Ok(mut t) = self.inner.timeout.lock() {
            *t = timeout;
        }
    }

    fn timeout(&self) -> Duration {
        self.inner.timeout.lock().map_or(TIMEOUT, |t| *t)
    }

    /// Folds what the log holds past the model.
    pub async fn refresh(&self) -> Result<Position, WebhookError> {
        let mut m = self.inner.model.lock().await;
        let filter = filter();
        loop {
            let events = self.inner.store.read_all(m.position, 4096, &filter).await?;
            if events.is_empty() {
                break;
            }
            for e in &events {
                m.apply(e)?;
            }
        }
        Ok(m.position)
    }

    /// The secret of `generation` of a subscription: derived, never
    /// stored.
    pub fn secret(&self, id: Uuid, generation: u32) -> String {
        let mac = contracts::mac::hmac_sha256(
            &self.inner.secret_key,
            &[b"webhook|", id.as_bytes(), &generation.to_be_bytes()],
        );
        format!("whsec_{}", contracts::mac::to_hex(&mac))
    }

    /// The secrets that sign now, the newest first.
    fn signing_secrets(&self, s: &Subscription, now: DateTime<Utc>) -> Vec<String> {
        let mut secrets = vec![self.secret(s.id, s.generation)];
        if s.generation > 0 && s.previous_valid_until.is_some_and(|until| until > now) {
            secrets.push(self.secret(s.id, s.generation - 1));
        }
        secrets
    }

    pub async fn subscriptions(&self) -> Result<Vec<Subscription>, WebhookError> {
        self.refresh().await?;
        let m = self.inner.model.lock().await;
        Ok(m.subscriptions
            .values()
            .filter(|s| !s.removed)
            .cloned()
            .collect())
    }

    pub async fn subscription(&self, id: Uuid) -> Result<Subscription, WebhookError> {
        self.refresh().await?;
        self.known(id).await
    }

    /// The subscription as the model holds it, without reading the log
    /// again (after [`Webhooks::record`], which just did).
    async fn known(&self, id: Uuid) -> Result<Subscription, WebhookError> {
        let m = self.inner.model.lock().await;
        m.subscriptions
            .get(&id)
            .filter(|s| !s.removed)
            .cloned()
            .ok_or_else(|| {
                WebhookError::NotFound(messages::say!(crate::MESSAGES, "no-such-subscription"))
            })
    }

    fn stream(id: Uuid) -> Result<StreamName, WebhookError> {
        Ok(StreamName::of(crate::CATEGORY, id)?)
    }

    /// Subscribes; the secret is answered once (it can be rotated).
    pub async fn subscribe(
        &self,
        acting: &Acting,
        owner: contracts::StaffId,
        new: NewSubscription,
    ) -> Result<(Subscription, String), WebhookError> {
        check_url(&new.url)?;
        if new.kinds.is_empty() {
            return Err(WebhookError::invalid(
                "kinds",
                messages::say!(crate::MESSAGES, "name-the-kinds"),
            ));
        }
        if new.personal && new.personal_reason.trim().chars().count() < 10 {
            return Err(WebhookError::invalid(
                "personal_reason",
                messages::say!(crate::MESSAGES, "say-why-personal"),
            ));
        }
        let id = Uuid::now_v7();
        // Deliveries start with what happens from now on.
        let from = self.inner.store.head().await?;
        self.inner
            .store
            .append(
                &Self::stream(id)?,
                ExpectedVersion::NoStream,
                vec![acting.event(&wh::WebhookSubscribed {
                    subscription_id: id.to_string(),
                    owner_staff_id: owner.to_string(),
                    url: new.url.trim().to_owned(),
                    kinds: new.kinds.iter().map(|k| k.name().to_owned()).collect(),
                    site_ids: new.sites.iter().map(ToString::to_string).collect(),
                    personal: new.personal,
                    personal_reason: new.personal_reason.trim().to_owned(),
                    from_position: from.0,
                })?],
            )
            .await?;
        let s = self.subscription(id).await?;
        let secret = self.secret(id, 0);
        Ok((s, secret))
    }

    /// Appends to a subscription's stream at the version this process
    /// knows.
    async fn record<E: contracts::Event>(
        &self,
        acting: &Acting,
        s: &Subscription,
        event: &E,
    ) -> Result<(), WebhookError> {
        self.inner
            .store
            .append(
                &Self::stream(s.id)?,
                ExpectedVersion::Exact(s.version),
                vec![acting.event(event)?],
            )
            .await
            .map_err(|e| match e {
                eventlog::AppendError::WrongExpectedVersion { .. } => {
                    WebhookError::Conflict(messages::say!(crate::MESSAGES, "changed-meanwhile"))
                }
                other => other.into(),
            })?;
        self.refresh().await?;
        Ok(())
    }

    /// A new secret; the previous one still signs for a day.
    pub async fn rotate(&self, acting: &Acting, id: Uuid) -> Result<String, WebhookError> {
        let s = self.subscription(id).await?;
        let generation = s.generation + 1;
        let until = self.now() + chrono::Duration::hours(24);
        self.record(
            acting,
            &s,
            &wh::WebhookSecretRotated {
                generation,
                previous_valid_until: until.to_rfc3339(),
            },
        )
        .await?;
        Ok(self.secret(id, generation))
    }

    pub async fn pause(&self, acting: &Acting, id: Uuid) -> Result<(), WebhookError> {
        let s = self.subscription(id).await?;
        if s.paused.is_some() {
            return Ok(());
        }
        self.record(
            acting,
            &s,
            &wh::WebhookPaused {
                reason: "owner".to_owned(),
                failing_position: 0,
                error: String::new(),
            },
        )
        .await
    }

    pub async fn resume(&self, acting: &Acting, id: Uuid) -> Result<(), WebhookError> {
        let s = self.subscription(id).await?;
        if s.paused.is_none() && s.failing.is_none() {
            return Ok(());
        }
        self.record(acting, &s, &wh::WebhookResumed { url: s.url.clone() })
            .await
    }

    pub async fn remove(&self, acting: &Acting, id: Uuid) -> Result<(), WebhookError> {
        let s = self.subscription(id).await?;
        self.record(acting, &s, &wh::WebhookRemoved { url: s.url.clone() })
            .await
    }

    /// The last `max` entries of a subscription's delivery log, the
    /// newest first.
    pub async fn deliveries(
        &self,
        id: Uuid,
        max: usize,
    ) -> Result<Vec<crate::Delivery>, WebhookError> {
        let s = self.subscription(id).await?;
        let from = s.version.saturating_sub(max as u64 * 2);
        let events = self
            .inner
            .store
            .read_stream(&Self::stream(id)?, from, max * 2 + 1)
            .await?;
        let mut log = Vec::new();
        for e in events.iter().rev() {
            if let Some(x) = decode_event::<wh::WebhookDelivered>(e)? {
                log.push(crate::Delivery {
                    position: x.position,
                    event_id: x.event_id,
                    kind: x.kind,
                    attempt: x.attempt,
                    status: x.status,
                    delivered: true,
                    error: None,
                    at: e.metadata.recorded_at,
                    next_at: None,
                });
            } else if let Some(x) = decode_event::<wh::WebhookAttemptFailed>(e)? {
                log.push(crate::Delivery {
                    position: x.position,
                    event_id: x.event_id,
                    kind: x.kind,
                    attempt: x.attempt,
                    status: x.status,
                    delivered: false,
                    error: Some(x.error),
                    at: e.metadata.recorded_at,
                    next_at: Some(x.next_at),
                });
            }
            if log.len() == max {
                break;
            }
        }
        Ok(log)
    }

    /// One round: each subscription that is due gets what happened since
    /// its last delivery, in order, until one fails. Returns the events
    /// delivered.
    pub async fn deliver_round(&self, acting: &Acting) -> Result<usize, WebhookError> {
        self.refresh().await?;
        let now = self.now();
        let due: Vec<Subscription> = {
            let m = self.inner.model.lock().await;
            m.subscriptions
                .values()
                .filter(|s| !s.removed && s.paused.is_none())
                .filter(|s| s.failing.as_ref().is_none_or(|f| f.next_at <= now))
                .cloned()
                .collect()
        };
        // Subscriptions side by side; one subscription's events in order.
        let rounds = due.into_iter().map(|s| self.deliver_to(acting, s));
        let mut delivered = 0;
        for r in futures_util::future::join_all(rounds).await {
            match r {
                Ok(n) => delivered += n,
                Err(WebhookError::Conflict(_)) => {} // another process recorded
                Err(e) => return Err(e),
            }
        }
        Ok(delivered)
    }

    async fn deliver_to(
        &self,
        acting: &Acting,
        mut s: Subscription,
    ) -> Result<usize, WebhookError> {
        let known = self
            .inner
            .read_to
            .lock()
            .ok()
            .and_then(|r| r.get(&s.id).copied())
            .unwrap_or(Position(0));
        let mut read = s.done_to.max(known);
        let sources = Filter::categories(SOURCES);
        let mut delivered = 0;
        loop {
            let events = self.inner.store.read_all(read, BATCH, &sources).await?;
            if events.is_empty() {
                break;
            }
            for e in &events {
                let Some((kind, body)) = self.payload(&s, e).await? else {
                    read = e.position;
                    continue;
                };
                let attempt = match &s.failing {
                    Some(f) if f.position == e.position => f.attempts + 1,
                    _ => 1,
                };
                let outcome = self.post(&s, &body, e, attempt).await;
                let event_id = e.event_id.to_string();
                match outcome {
                    Ok(status) => {
                        self.record(
                            acting,
                            &s,
                            &wh::WebhookDelivered {
                                position: e.position.0,
                                event_id,
                                kind: kind.name().to_owned(),
                                attempt,
                                status: u32::from(status),
                            },
                        )
                        .await?;
                        delivered += 1;
                        read = e.position;
                        s = self.known(s.id).await?;
                    }
                    Err((status, error)) => {
                        let now = self.now();
                        let next_at = now + backoff(attempt);
                        tracing::warn!(subscription = %s.id, position = e.position.0, attempt, %error, "a webhook delivery failed; tried again later");
                        self.record(
                            acting,
                            &s,
                            &wh::WebhookAttemptFailed {
                                position: e.position.0,
                                event_id,
                                kind: kind.name().to_owned(),
                                attempt,
                                status: u32::from(status),
                                error: error.clone(),
                                next_at: next_at.to_rfc3339(),
                            },
                        )
                        .await?;
                        let s = self.known(s.id).await?;
                        if s.failing
                            .as_ref()
                            .is_some_and(|f| now - f.first_failed_at >= PAUSE_AFTER)
                        {
                            self.record(
                                acting,
                                &s,
                                &wh::WebhookPaused {
                                    reason: "failing".to_owned(),
                                    failing_position: e.position.0,
                                    error: error.clone(),
                                },
                            )
                            .await?;
                            tracing::warn!(subscription = %s.id, "a webhook paused: its receiver failed for a day");
                        }
                        self.remember(s.id, read);
                        return Ok(delivered);
                    }
                }
            }
            if events.len() < BATCH {
                break;
            }
        }
        self.remember(s.id, read);
        if delivered == 0 && read.0 >= s.done_to.0 + PASS_RECORDED_EVERY {
            self.record(acting, &s, &wh::WebhookPassed { position: read.0 })
                .await?;
        }
        Ok(delivered)
    }

    fn remember(&self, id: Uuid, read: Position) {
        if let Ok(mut r) = self.inner.read_to.lock() {
            r.insert(id, read);
        }
    }

    /// Sends one delivery: the receiver's 2xx status, or its status (0
    /// without an answer) and what went wrong.
    async fn post(
        &self,
        s: &Subscription,
        body: &[u8],
        e: &RecordedEvent,
        attempt: u32,
    ) -> Result<u16, (u16, String)> {
        let now = self.now();
        let signature = crate::sign::sign(&self.signing_secrets(s, now), now.timestamp(), body);
        let sent = self
            .inner
            .client
            .post(&s.url)
            .timeout(self.timeout())
            .header("content-type", "application/json")
            .header(crate::sign::SIGNATURE_HEADER, signature)
            .header("creneau-event-id", e.event_id.to_string())
            .header("creneau-delivery-attempt", attempt.to_string())
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
            Ok(r) => Err((r.status().as_u16(), format!("HTTP {}", r.status().as_u16()))),
            Err(e) if e.is_timeout() => Err((
                0,
                format!("no answer within {} ms", self.timeout().as_millis()),
            )),
            Err(e) if e.is_connect() => Err((0, "the receiver could not be reached".to_owned())),
            Err(e) => Err((0, e.to_string())),
        }
    }

    /// The delivery of `e` to `s`, if `s` asked for it: its kind and body.
    async fn payload(
        &self,
        s: &Subscription,
        e: &RecordedEvent,
    ) -> Result<Option<(Kind, Vec<u8>)>, WebhookError> {
        let Some(kind) = Kind::of(e) else {
            return Ok(None);
        };
        if !s.kinds.contains(&kind) {
            return Ok(None);
        }
        let (site, data, resident) = {
            let m = self.inner.model.lock().await;
            match describe(&m, kind, e)? {
                Some(d) => d,
                None => return Ok(None),
            }
        };
        if !s.sites.is_empty() && !site.is_some_and(|at| s.sites.contains(&at)) {
            return Ok(None);
        }
        let mut body = Envelope {
            id: e.event_id,
            kind: kind.name(),
            subscription_id: s.id,
            position: e.position.0,
            occurred_at: e.metadata.recorded_at,
            data,
            resident: None,
        };
        if s.personal
            && let Some(resident) = resident
        {
            // Read now: a resident erased since the event is not named.
            let contact = self
                .inner
                .residents
                .contact(resident)
                .await
                .map_err(|x| WebhookError::Corrupt(format!("residents: {x}")))?;
            body.resident = Some(contact.map(|c| ResidentShown {
                resident_id: resident,
                phone: c.phone,
                email: c.email,
                language: c.language.trim_start_matches("LANGUAGE_").to_lowercase(),
            }));
        }
        let bytes = serde_json::to_vec(&body)
            .map_err(|x| WebhookError::Corrupt(format!("a payload: {x}")))?;
        Ok(Some((kind, bytes)))
    }
}

/// What a receiver is POSTed.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Envelope {
    /// The event's id: the same for every try of it.
    pub id: Uuid,
    /// `appointment.booked`, `appointment.moved`, `appointment.cancelled`,
    /// `appointment.no_show`, `workshop.enrolled`, `visit.recorded`,
    /// `dropin.served` or `reminder.failed`.
    pub kind: &'static str,
    pub subscription_id: Uuid,
    /// The event's position in the log: deliveries come in this order.
    pub position: u64,
    pub occurred_at: DateTime<Utc>,
    /// What happened: the appointment (`appointment_id`, `reference`,
    /// `site_id`, `permanence_id`, `start`, `end`, `reason`, and `cause`
    /// for a cancellation, `automatic` for a no-show, `from_permanence_id`
    /// for a move, `series_id` for a workshop series); a visit's requests;
    /// a drop-in ticket's number; a reminder's channel and error.
    pub data: Value,
    /// Only for a subscription that chose residents' details: theirs, or
    /// null once they are erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resident: Option<Option<ResidentShown>>,
}

/// A resident's contact details, for subscriptions that chose them.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ResidentShown {
    pub resident_id: contracts::ResidentId,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// `fr`, `en` or `ar`.
    pub language: String,
}

/// The `webhooks` part of the OpenAPI document: what a receiver is sent.
pub fn openapi_webhooks() -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
            s.contract = schemars::generate::Contract::Serialize;
        })
        .into_generator();
    let schema = generator.root_schema_for::<Envelope>();
    let header = |name: &str, what: &str| json!({"name": name, "in": "header", "required": true, "description": what, "schema": {"type": "string"}});
    json!({
        "delivery": {"post": {
            "summary": "One event, POSTed to a subscription's URL",
            "description": "At least once, in log order per subscription. Answer 2xx within 10 s; anything else is tried again after 10 s, 30 s, 1, 2, 5, 10 and 30 minutes, then hourly, and the subscription pauses after a day of failures.",
            "parameters": [
                header("Creneau-Event-Id", "The event's id, the same on every try: drop repeats with it."),
                header(crate::sign::SIGNATURE_HEADER, "t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the secret's text>; two v1 during a rotation. Check t is within five minutes and one v1 matches, in constant time."),
                header("Creneau-Delivery-Attempt", "1 for the first try, then 2, 3…"),
            ],
            "requestBody": {"required": true, "content": {"application/json": {"schema": schema}}},
            "responses": {"2XX": {"description": "Received."}},
        }},
    })
}

/// Where an event happened, what a payload says of it, and whose it is.
type Described = (Option<SiteId>, Value, Option<contracts::ResidentId>);

fn describe(m: &Model, kind: Kind, e: &RecordedEvent) -> Result<Option<Described>, WebhookError> {
    let appointment = |id: &str| -> Option<Described> {
        let uuid: Uuid = id.parse().ok()?;
        let a = m.appointments.get(&uuid)?;
        Some((Some(a.site), a.data(uuid), Some(a.resident)))
    };
    // A booking or a move is said as it was then, from its own event.
    let written = |extra: &dyn Fn(&mut Value)| -> Result<Option<Described>, WebhookError> {
        Ok(crate::model::Appointment::of(e)?.map(|(id, a)| {
            let mut d = a.data(id);
            extra(&mut d);
            (Some(a.site), d, Some(a.resident))
        }))
    };
    Ok(match kind {
        Kind::AppointmentBooked | Kind::WorkshopEnrolled => {
            let series = decode_event::<ap::AppointmentBooked>(e)?
                .map(|x| x.series_id)
                .filter(|s| !s.is_empty());
            written(&|d| d["series_id"] = json!(series))?
        }
        Kind::AppointmentMoved => {
            let from = decode_event::<ap::AppointmentMovedIn>(e)?.map(|x| x.from_permanence_id);
            written(&|d| d["from_permanence_id"] = json!(from))?
        }
        Kind::AppointmentCancelled => {
            let Some(x) = decode_event::<ap::AppointmentCancelled>(e)? else {
                return Ok(None);
            };
            appointment(&x.appointment_id).map(|(site, mut d, r)| {
                d["cause"] = json!(match x.cause() {
                    ap::CancelCause::ResidentErased => "resident_erased",
                    ap::CancelCause::PermanenceCancelled => "permanence_cancelled",
                    ap::CancelCause::WithSeries => "with_series",
                    _ => "asked",
                });
                (site, d, r)
            })
        }
        Kind::AppointmentNoShow => {
            let Some(x) = decode_event::<ap::AppointmentNoShow>(e)? else {
                return Ok(None);
            };
            appointment(&x.appointment_id).map(|(site, mut d, r)| {
                d["automatic"] = json!(x.automatic);
                (site, d, r)
            })
        }
        Kind::VisitRecorded => {
            let Some(x) = decode_event::<ap::VisitRequestsRecorded>(e)? else {
                return Ok(None);
            };
            let requests: Vec<Value> = x
                .requests
                .iter()
                .map(|r| {
                    json!({
                        "reason": r.reason().code(),
                        "accompanied": match r.accompaniment() {
                            ap::Accompaniment::Accompanied => Some(true),
                            ap::Accompaniment::Autonomous => Some(false),
                            _ => None,
                        },
                        "outcome": format!("{:?}", r.outcome()).to_lowercase(),
                    })
                })
                .collect();
            Some((
                x.site_id.parse().ok(),
                json!({
                    "visit_id": x.visit_id,
                    "visit_kind": x.kind,
                    "site_id": x.site_id,
                    "permanence_id": x.permanence_id,
                    "requests": requests,
                }),
                None,
            ))
        }
        Kind::DropInServed => {
            let Some(x) = decode_event::<ap::DropInServed>(e)? else {
                return Ok(None);
            };
            let Some(t) = x
                .ticket_id
                .parse()
                .ok()
                .and_then(|id: Uuid| m.tickets.get(&id))
            else {
                return Ok(None);
            };
            Some((
                Some(t.site),
                json!({
                    "ticket_id": x.ticket_id,
                    "site_id": t.site,
                    "permanence_id": t.permanence,
                    "number": t.number,
                }),
                None,
            ))
        }
        Kind::ReminderFailed => {
            let Some(x) = decode_event::<rm::ReminderFailed>(e)? else {
                return Ok(None);
            };
            let Some(r) = x
                .reminder_id
                .parse()
                .ok()
                .and_then(|id: Uuid| m.reminders.get(&id))
            else {
                return Ok(None);
            };
            let resident = m.appointments.get(&r.appointment).map(|a| a.resident);
            Some((
                r.site,
                json!({
                    "reminder_id": x.reminder_id,
                    "appointment_id": r.appointment,
                    "site_id": r.site,
                    "channel": r.channel,
                    "message": r.kind,
                    "error": x.error,
                }),
                resident,
            ))
        }
    })
}

/// A receiver's address: `https://`, or `http://` on this machine only
/// (a receiver beside Créneau, and the tests).
fn check_url(url: &str) -> Result<(), WebhookError> {
    let url = url.trim();
    let refused = || {
        WebhookError::invalid(
            "url",
            messages::say!(crate::MESSAGES, "url-https", url = format!("{url:?}")),
        )
    };
    let parsed = reqwest::Url::parse(url).map_err(|_| refused())?;
    let local = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match parsed.scheme() {
        "https" if parsed.host_str().is_some() => Ok(()),
        "http" if local => Ok(()),
        _ => Err(refused()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_wait_longer_and_longer_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::seconds(10));
        assert_eq!(backoff(2), chrono::Duration::seconds(30));
        assert_eq!(backoff(7), chrono::Duration::minutes(30));
        assert_eq!(backoff(8), chrono::Duration::hours(1));
        assert_eq!(backoff(80), chrono::Duration::hours(1));
    }

    #[test]
    fn receivers_are_https_or_on_this_machine() {
        assert!(check_url("https://crm.ville.fr/hooks/creneau").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        assert!(check_url("http://crm.ville.fr/hook").is_err());
        assert!(check_url("ftp://x").is_err());
        assert!(check_url("not a url").is_err());
    }
}

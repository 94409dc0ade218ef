//! The HTTP server: every service's routes in one router behind the access
//! layer, the correlation-id and logging middleware, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::{
    AccessPolicy, ApiError, CORRELATION_HEADER, CorrelationId, Doc, Need, Routes, Rule, Verb,
};
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use contracts::Vault;
use eventlog::EventStore;
use identity::Identity;
use tokio::net::TcpListener;
use tracing::Instrument as _;

use crate::metrics::Metrics;
use crate::services::{Service, Services};

/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    pub vault: Vault,
    pub metrics: Arc<Metrics>,
    pub identity: Identity,
    pub calendar: calendar::Calendar,
    pub appointments: appointments::Appointments,
    pub reminders: reminders::Reminders,
    pub webhooks: webhooks::Webhooks,
    pub stats: stats::Stats,
    /// `scheme://host[:port]` of the public address, for origin checks.
    pub origin: Option<String>,
    /// What every service takes as now: identity's, which the others were
    /// composed with (tests set it).
    pub clock: Arc<dyn eventlog::Clock>,
    /// The services whose routes and work this process runs.
    pub services: Services,
    /// How far each service's model had folded, for `/readyz`.
    pub readiness: Arc<Readiness>,
}

/// Per service, the log's head read just before its model last folded all
/// it held: the model is at least that far. `NEVER` until its first fold.
#[derive(Debug)]
pub struct Readiness {
    folded_to: [std::sync::atomic::AtomicU64; Service::ALL.len()],
}

const NEVER: u64 = u64::MAX;

impl Default for Readiness {
    fn default() -> Self {
        Readiness {
            folded_to: std::array::from_fn(|_| std::sync::atomic::AtomicU64::new(NEVER)),
        }
    }
}

impl Readiness {
    fn slot(&self, s: Service) -> &std::sync::atomic::AtomicU64 {
        &self.folded_to[s as usize]
    }

    fn folded_to(&self, s: Service) -> Option<u64> {
        let v = self.slot(s).load(std::sync::atomic::Ordering::Relaxed);
        (v != NEVER).then_some(v)
    }

    fn record(&self, s: Service, head: u64) {
        self.slot(s)
            .fetch_update(
                std::sync::atomic::Ordering::Relaxed,
                std::sync::atomic::Ordering::Relaxed,
                |v| Some(if v == NEVER { head } else { v.max(head) }),
            )
            .ok();
    }
}

/// Folds what the log holds now into `service`'s model (the web pages
/// have none of their own: they read the others').
async fn refresh(state: &AppState, service: Service) -> Result<(), String> {
    let e = |e: &dyn std::error::Error| api::chain(e);
    match service {
        Service::Identity => state.identity.refresh().await.map_err(|x| e(&x)),
        Service::Calendar => state.calendar.model().await.map(drop).map_err(|x| e(&x)),
        Service::Appointments => state.appointments.refresh().await.map_err(|x| e(&x)),
        Service::Reminders => state.reminders.refresh().await.map_err(|x| e(&x)),
        Service::Stats => state.stats.warm_up().await.map_err(|x| e(&x)),
        Service::Web => Ok(()),
        Service::Webhooks => state.webhooks.refresh().await.map(drop).map_err(|x| e(&x)),
    }
}

/// Folds `service`'s model up to the head read first; records it.
async fn fold_to_head(state: &AppState, service: Service) -> Result<(), String> {
    let head = state.store.head().await.map_err(|x| api::chain(&x))?;
    refresh(state, service).await?;
    state.readiness.record(service, head.0);
    Ok(())
}

/// Folds every service of the process up to the log's head, side by side:
/// how long each took (what `creneau bench ready` reports).
pub async fn fold_all(state: &AppState) -> Vec<(Service, Result<Duration, String>)> {
    let folds = state.services.iter().map(|service| async move {
        let started = Instant::now();
        let done = fold_to_head(state, service)
            .await
            .map(|()| started.elapsed());
        (service, done)
    });
    futures_util::future::join_all(folds).await
}

/// Starts folding every service of the process in the background, each
/// retried with backoff until it has folded the whole log once.
pub fn warm_up(state: &AppState) {
    for service in state.services.iter() {
        let state = state.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut wait = Duration::from_millis(500);
            loop {
                match fold_to_head(&state, service).await {
                    Ok(()) => {
                        tracing::info!(
                            service = service.name(),
                            elapsed_ms = started.elapsed().as_millis() as u64,
                            "caught up with the log"
                        );
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(service = service.name(), %error, "could not fold the log: trying again in {wait:?}");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(30));
                    }
                }
            }
        });
    }
}

/// Composes `service` with `open` on a task of its own (so that two
/// services fold on two cores), logging how long it took; an error says
/// which service could not read its model from the log.
async fn timed<T, E>(
    service: &'static str,
    open: impl std::future::Future<Output = Result<T, E>> + Send + 'static,
) -> anyhow::Result<T>
where
    T: Send + 'static,
    E: std::error::Error + Send + Sync + 'static,
{
    let started = Instant::now();
    let composed_service = tokio::spawn(open)
        .await
        .map_err(|e| anyhow::anyhow!("composing {service} stopped: {e}"))?
        .map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot read {service} from the event log"))
        })?;
    tracing::info!(
        service,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "composed"
    );
    Ok(composed_service)
}

impl AppState {
    /// Every service over one store and vault, as `serve` builds them (and
    /// the benches and tests): the calendar's feed key derives from the
    /// master key; reminders go through `senders` (an SMS provider, and an
    /// SMTP server when email is configured).
    pub async fn open(
        store: Arc<dyn EventStore>,
        vault: Vault,
        identity: Identity,
        senders: impl Into<reminders::Senders>,
        reminders: reminders::Settings,
        origin: Option<String>,
    ) -> anyhow::Result<AppState> {
        Self::open_running(
            store,
            vault,
            identity,
            senders,
            reminders,
            origin,
            Services::all(),
        )
        .await
    }

    /// [`AppState::open`] for a process that runs only `services` (what
    /// `serve --services` builds): one that does not run the statistics
    /// folds them for its pages without their lease, so never stores them.
    pub async fn open_running(
        store: Arc<dyn EventStore>,
        vault: Vault,
        identity: Identity,
        senders: impl Into<reminders::Senders>,
        reminders: reminders::Settings,
        origin: Option<String>,
        services: Services,
    ) -> anyhow::Result<AppState> {
        use anyhow::Context as _;
        let clock = identity.clock();
        let senders: reminders::Senders = senders.into();
        if let Some(mail) = &senders.mail {
            // Staff's password reset links go out through the same server.
            identity.set_mail_out(Arc::clone(mail) as Arc<dyn contracts::ports::MailOut>);
        }
        // Each reads its own model from the log, on a task of its own:
        // side by side, on every core. Identity's
        // directory too: read already (a no-op then), or composed unread
        // by `serve`.
        let (_, calendar, appointments, reminders, webhooks) = tokio::try_join!(
            timed("identity", {
                let identity = identity.clone();
                async move { identity.refresh().await }
            }),
            timed(
                "calendar",
                calendar::Calendar::new(Arc::clone(&store), vault.derive_key("calendar feeds v1")),
            ),
            timed(
                "appointments",
                appointments::Appointments::new(
                    Arc::clone(&store),
                    Arc::new(identity.clone()),
                    identity.vault().clone(),
                    appointments::Settings::default(),
                    Arc::clone(&clock),
                ),
            ),
            timed(
                "reminders",
                reminders::Reminders::new(
                    Arc::clone(&store),
                    identity.vault().clone(),
                    Arc::new(identity.clone()),
                    senders,
                    reminders,
                    Arc::clone(&clock),
                ),
            ),
            timed(
                "webhooks",
                webhooks::Webhooks::new(
                    Arc::clone(&store),
                    vault.derive_key("webhook secrets v1"),
                    Arc::new(identity.clone()),
                    Arc::clone(&clock),
                ),
            ),
        )?;
        Ok(AppState {
            stats: stats::Stats::open(
                Arc::clone(&store),
                if services.runs(Service::Stats) {
                    Some(
                        api::Lease::new(
                            Arc::clone(&store),
                            Arc::clone(&clock),
                            STATS_WORK,
                            api::Lease::this_process(),
                            STATS_LEASE,
                        )
                        .context("cannot name the statistics' lease")?,
                    )
                } else {
                    None
                },
            ),
            store,
            vault,
            metrics: Arc::new(Metrics::new()),
            identity,
            calendar,
            appointments,
            reminders,
            webhooks,
            origin,
            clock,
            services,
            readiness: Arc::new(Readiness::default()),
        })
    }

    /// The same state serving only the routes of `services` (tests; `serve`
    /// builds with [`AppState::open_running`], which also leaves the
    /// statistics' lease to the processes that run them).
    pub fn running(mut self, services: Services) -> AppState {
        self.services = services;
        self
    }
}

/// The routes of the services the process runs, each with its access
/// rule.
pub fn routes(state: AppState) -> Routes {
    use Need::Public;
    use Verb::Get;
    let mut services = Routes::new();
    for service in state.services.iter() {
        services = services.merge(match service {
            Service::Identity => identity::routes(state.identity.clone()),
            Service::Calendar => calendar::routes(state.calendar.clone()),
            Service::Appointments => appointments::routes(
                state.appointments.clone(),
                state.origin.as_deref().unwrap_or(""),
            ),
            Service::Reminders => reminders::routes(state.reminders.clone()),
            Service::Stats => stats::routes(state.stats.clone()),
            Service::Webhooks => webhooks::routes(state.webhooks.clone()),
            Service::Web => web::routes(web::Web::new(
                web::Services {
                    identity: state.identity.clone(),
                    calendar: state.calendar.clone(),
                    appointments: state.appointments.clone(),
                    reminders: state.reminders.clone(),
                    stats: state.stats.clone(),
                    webhooks: state.webhooks.clone(),
                },
                state.origin.as_deref().unwrap_or(""),
                Arc::clone(&state.clock),
            )),
        });
    }
    let own: Routes<AppState> = Routes::new()
        .route(Get, "/healthz", Public, health_get)
        .doc(Doc::new("The process answers").content("text/plain", "`ok`."))
        .route(Get, "/readyz", Public, ready_get)
        .doc(
            Doc::new("Every model caught up with the log, and who holds each lease")
                .ok::<ReadyAnswer>()
                .also::<ReadyAnswer>(503),
        )
        .route(Get, "/metrics", Public, metrics_get)
        .doc(
            Doc::new("Prometheus metrics")
                .content("text/plain", "The Prometheus text format (version 0.0.4)."),
        );
    let openapi_doc = Doc::new("This document")
        .content("application/json", "The OpenAPI 3.1 document of the API.");
    let openapi = Rule {
        verb: Get,
        path: "/api/openapi.json",
        need: Public,
        door: api::Door::Api,
        twin: api::Twin::Unsaid,
        doc: Some(openapi_doc),
    };
    // The document lists every route, its own included.
    let mut rules = own.rules().to_vec();
    rules.push(openapi);
    rules.extend_from_slice(services.rules());
    let mut document = api::openapi("Créneau", env!("CARGO_PKG_VERSION"), &rules);
    if state.services.runs(Service::Webhooks) {
        // What subscribers receive, in the document's own `webhooks`.
        document["webhooks"] = webhooks::openapi_webhooks();
    }
    let document = Arc::new(document);
    own.route(openapi.verb, openapi.path, openapi.need, move || {
        let document = Arc::clone(&document);
        async move { axum::Json((*document).clone()) }
    })
    .doc(openapi_doc)
    .with_state(state)
    .merge(services)
}

/// The whole router, state applied: what `serve` runs and tests call.
/// Layers, outermost first: the answers' language, correlation id and
/// logging, security headers, the app's own error answers for what the
/// framework refuses itself (an oversized body, a method a route does not
/// take), then the access rules of the matched route. No body is read past
/// [`api::MAX_BODY`].
pub fn app(state: AppState) -> Router {
    let (router, rules) = routes(state.clone()).into_parts();
    let policy = Arc::new(AccessPolicy::new(
        &rules,
        Arc::new(state.identity.clone()),
        state.origin.clone(),
    ));
    router
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(policy, api::authorize))
        .layer(axum::extract::DefaultBodyLimit::max(api::MAX_BODY))
        .layer(middleware::from_fn(api::uniform_errors))
        .layer(middleware::from_fn(api::security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            read_your_writes,
        ))
        .layer(middleware::from_fn_with_state(state, correlate))
        .layer(middleware::from_fn(api::i18n::localize))
}

async fn health_get() -> &'static str {
    "ok\n"
}

/// How long a process keeps the right to store the statistics without
/// storing them again (it stores every 10,000 events folded).
const STATS_LEASE: Duration = Duration::from_secs(120);
/// The statistics' lease is `lease-stats`.
pub const STATS_WORK: &str = "stats";

/// How long `/readyz` gives the store, and each model, to answer.
const READY_WAIT: Duration = Duration::from_secs(2);

/// Ready when the store answers and every service of the process has
/// folded the log up to the head read at the start of this request. The
/// body says, per service, how many positions of the log its model may
/// still have to read (`behind`), and, for each piece of work that must
/// happen once, whether a process holds its lease: a process can be ready
/// while nobody sends reminders, and says so.
async fn ready_get(State(state): State<AppState>) -> Response {
    let unavailable = |body: ReadyAnswer| {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "5")],
            axum::Json(body),
        )
            .into_response()
    };
    let head = match tokio::time::timeout(READY_WAIT, state.store.head()).await {
        Ok(Ok(p)) => p.0,
        Ok(Err(e)) => {
            return unavailable(ReadyAnswer::store_down(format!(
                "the event store did not answer: {e}"
            )));
        }
        Err(_) => {
            return unavailable(ReadyAnswer::store_down(
                "the event store did not answer within 2 s".to_owned(),
            ));
        }
    };
    let mut ready = true;
    let mut services = Vec::new();
    for service in state.services.iter() {
        // Each model folds up to now, for at most READY_WAIT: a model on
        // its first fold of a long log (see `warm_up`) is not ready yet.
        let error = match tokio::time::timeout(READY_WAIT, fold_to_head(&state, service)).await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("still folding after 2 s".to_owned()),
        };
        let folded = state.readiness.folded_to(service);
        let caught_up = error.is_none() && folded.is_some_and(|f| f >= head);
        ready &= caught_up;
        services.push(ServiceReadyAnswer {
            service: service.name(),
            caught_up,
            behind: head.saturating_sub(folded.unwrap_or(0)),
            error,
        });
    }
    let now = state.clock.now();
    let mut singletons = Vec::new();
    for service in Service::ALL {
        let Some((work, stops)) = service.singleton() else {
            continue;
        };
        let holder = api::holder_of(state.store.as_ref(), work, now).await;
        let (held_by, note) = match holder {
            Ok(Some(h)) => (Some(h.holder), None),
            Ok(None) if state.services.runs(service) => (None, Some("not taken yet".to_owned())),
            // Another process may run it and not have taken it yet (the
            // retention sweep first runs a minute after start).
            Ok(None) => (
                None,
                Some(format!(
                    "no process holds lease-{work} now: unless one runs {service}, {stops}"
                )),
            ),
            Err(e) => (None, Some(format!("the lease could not be read: {e}"))),
        };
        singletons.push(Singleton {
            work,
            service: service.name(),
            runs_here: state.services.runs(service),
            held_by,
            note,
        });
    }
    let body = ReadyAnswer {
        ready,
        store: "ok".to_owned(),
        head: Some(head),
        services,
        singletons,
    };
    if ready {
        axum::Json(body).into_response()
    } else {
        unavailable(body)
    }
}

/// Whether the process answers with every model caught up (200) or not
/// yet (503).
#[derive(serde::Serialize, schemars::JsonSchema)]
struct ReadyAnswer {
    ready: bool,
    /// `ok`, or why the event store did not answer.
    store: String,
    /// The log's last position.
    #[serde(skip_serializing_if = "Option::is_none")]
    head: Option<u64>,
    services: Vec<ServiceReadyAnswer>,
    /// Work that one process of all does at a time, and who holds it.
    singletons: Vec<Singleton>,
}

impl ReadyAnswer {
    fn store_down(store: String) -> Self {
        ReadyAnswer {
            ready: false,
            store,
            head: None,
            services: Vec::new(),
            singletons: Vec::new(),
        }
    }
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct ServiceReadyAnswer {
    service: &'static str,
    caught_up: bool,
    /// Positions of the log its model may still have to read.
    behind: u64,
    error: Option<String>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
struct Singleton {
    work: &'static str,
    service: &'static str,
    runs_here: bool,
    held_by: Option<String>,
    note: Option<String>,
}

async fn metrics_get(State(state): State<AppState>) -> Response {
    let head = match tokio::time::timeout(Duration::from_secs(2), state.store.head()).await {
        Ok(Ok(p)) => Some(p.0),
        _ => None,
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.store.backend(), head),
    )
        .into_response()
}

async fn fallback(request: Request) -> ApiError {
    ApiError::NotFound(messages::say!(
        crate::MESSAGES,
        "no-page-at-check-address",
        uri = request.uri().path()
    ))
}

/// The log position a write's answer carries (`X-Creneau-Position`), and
/// what a later request sends back to read it (`X-Creneau-After`; the
/// pages' `creneau_seen` cookie does the same for browsers).
pub const POSITION_HEADER: &str = "x-creneau-position";
pub const AFTER_HEADER: &str = "x-creneau-after";
const SEEN_COOKIE: &str = "creneau_seen";
/// The longest a read waits for this process to learn of a write made
/// through another.
const READ_WAIT: Duration = Duration::from_secs(2);

/// Read your own writes across processes: a successful write answers with
/// the log position this process knows committed (its own append
/// included); a request that sends a position back waits, at most
/// [`READ_WAIT`], until this process has been told of that commit, so that
/// its models fold it before they answer. A position past the log's head
/// is not waited for.
async fn read_your_writes(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(wanted) = position_asked(&request) {
        wait_for_position(&state, wanted).await;
    }
    let writes = !request.method().is_safe();
    let page = !request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let status = response.status();
    if writes && (status.is_success() || status.is_redirection()) {
        let seen = *state.store.wake().borrow();
        if let Ok(value) = HeaderValue::from_str(&seen.to_string()) {
            response.headers_mut().insert(POSITION_HEADER, value);
        }
        if page {
            let secure = if state.identity.settings().https {
                "; Secure"
            } else {
                ""
            };
            let cookie =
                format!("{SEEN_COOKIE}={seen}; Path=/; Max-Age=60; HttpOnly; SameSite=Lax{secure}");
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
    }
    response
}

/// The position a request asks to read from: the header, else the cookie.
fn position_asked(request: &Request) -> Option<u64> {
    let headers = request.headers();
    if let Some(v) = headers.get(AFTER_HEADER) {
        return v.to_str().ok()?.trim().parse().ok();
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(SEEN_COOKIE)?.strip_prefix('='))
        .and_then(|v| v.parse().ok())
}

async fn wait_for_position(state: &AppState, wanted: u64) {
    let mut wake = state.store.wake();
    if *wake.borrow() >= wanted {
        return;
    }
    // Not told of it yet: is it in the log at all?
    match tokio::time::timeout(READ_WAIT, state.store.head()).await {
        Ok(Ok(head)) if head.0 >= wanted => {}
        _ => return,
    }
    if tokio::time::timeout(READ_WAIT, wake.wait_for(|seen| *seen >= wanted))
        .await
        .is_err()
    {
        tracing::warn!(
            wanted,
            "this process was not told of a commit within {READ_WAIT:?}: answering from what it has"
        );
    }
}

/// Gives each request a correlation id and a span, logs its outcome, and
/// counts it.
async fn correlate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let correlation = CorrelationId::from_header(request.headers().get(&CORRELATION_HEADER));
    request.extensions_mut().insert(correlation);
    // The request's time, read once from the app's clock.
    request.extensions_mut().insert(api::Now(state.clock.now()));
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let client = api::client_ip(
        request.headers(),
        peer,
        state.identity.settings().trust_proxy,
    );
    request.extensions_mut().insert(api::ClientIp(client));
    let id = correlation.0;
    let span = tracing::info_span!(
        "request",
        correlation_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    state.metrics.record_response(status);
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status >= 500 {
            tracing::warn!(status, elapsed_ms, "answered");
        } else {
            tracing::info!(status, elapsed_ms, "answered");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}

/// Serves `app` on `listener` until `shutdown` completes, then lets requests
/// in flight finish for at most [`DRAIN_TIMEOUT`].
pub async fn run(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = Arc::new(tokio::sync::Notify::new());
    let signal = Arc::clone(&stopping);
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: finishing requests in flight");
        signal.notify_one();
    });
    tokio::select! {
        result = serve => result,
        () = async {
            stopping.notified().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        } => {
            tracing::warn!("requests still running after {DRAIN_TIMEOUT:?}: stopping anyway");
            Ok(())
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

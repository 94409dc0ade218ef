//! The HTTP server: every service's routes in one router behind the access
//! layer, the correlation-id and logging middleware, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::{AccessPolicy, ApiError, CORRELATION_HEADER, CorrelationId, Need, Routes, Rule, Verb};
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
    pub stats: stats::Stats,
    /// `scheme://host[:port]` of the public address, for origin checks.
    pub origin: Option<String>,
    /// What every service takes as now: identity's, which the others were
    /// composed with (tests set it).
    pub clock: Arc<dyn eventlog::Clock>,
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
        use anyhow::Context as _;
        let clock = identity.clock();
        let calendar =
            calendar::Calendar::new(Arc::clone(&store), vault.derive_key("calendar feeds v1"))
                .await
                .context("cannot read the calendar from the event log")?;
        let appointments = appointments::Appointments::new(
            Arc::clone(&store),
            identity.clone(),
            appointments::Settings::default(),
            Arc::clone(&clock),
        )
        .await
        .context("cannot read appointments from the event log")?;
        let senders: reminders::Senders = senders.into();
        if let Some(mail) = &senders.mail {
            // Staff's password reset links go out through the same server.
            identity.set_mail_out(Arc::clone(mail) as Arc<dyn contracts::ports::MailOut>);
        }
        let reminders = reminders::Reminders::new(
            Arc::clone(&store),
            identity.clone(),
            senders,
            reminders,
            Arc::clone(&clock),
        )
        .await
        .context("cannot read reminders from the event log")?;
        Ok(AppState {
            stats: stats::Stats::open(
                Arc::clone(&store),
                Some(
                    api::Lease::new(
                        Arc::clone(&store),
                        Arc::clone(&clock),
                        "stats",
                        api::Lease::this_process(),
                        STATS_LEASE,
                    )
                    .context("cannot name the statistics' lease")?,
                ),
            ),
            store,
            vault,
            metrics: Arc::new(Metrics::new()),
            identity,
            calendar,
            appointments,
            reminders,
            origin,
            clock,
        })
    }
}

/// Every route of every service, each with its access rule.
pub fn routes(state: AppState) -> Routes {
    use Need::Public;
    use Verb::Get;
    let services = identity::routes(state.identity.clone())
        .merge(calendar::routes(state.calendar.clone()))
        .merge(appointments::routes(
            state.appointments.clone(),
            state.origin.as_deref().unwrap_or(""),
        ))
        .merge(reminders::routes(state.reminders.clone()))
        .merge(stats::routes(state.stats.clone()))
        .merge(web::routes(web::Web::new(
            state.identity.clone(),
            state.calendar.clone(),
            state.appointments.clone(),
            state.reminders.clone(),
            state.stats.clone(),
            state.origin.as_deref().unwrap_or(""),
            Arc::clone(&state.clock),
        )));
    let own: Routes<AppState> = Routes::new()
        .route(Get, "/healthz", Public, health_get)
        .route(Get, "/readyz", Public, ready_get)
        .route(Get, "/metrics", Public, metrics_get);
    let openapi = Rule {
        verb: Get,
        path: "/api/openapi.json",
        need: Public,
        door: api::Door::Api,
        twin: api::Twin::Unsaid,
    };
    // The document lists every route, its own included.
    let mut rules = own.rules().to_vec();
    rules.push(openapi);
    rules.extend_from_slice(services.rules());
    let document = Arc::new(api::openapi("Créneau", env!("CARGO_PKG_VERSION"), &rules));
    own.route(openapi.verb, openapi.path, openapi.need, move || {
        let document = Arc::clone(&document);
        async move { axum::Json((*document).clone()) }
    })
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
        .layer(middleware::from_fn_with_state(state, correlate))
        .layer(middleware::from_fn(api::i18n::localize))
}

async fn health_get() -> &'static str {
    "ok\n"
}

/// How long a process keeps the right to store the statistics without
/// storing them again (it stores every 10,000 events folded).
const STATS_LEASE: Duration = Duration::from_secs(120);

async fn ready_get(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok("ready\n"),
        Ok(Err(e)) => Err(ApiError::Unavailable(format!("event store: {e}"))),
        Err(_) => Err(ApiError::Unavailable(
            "event store did not answer within 2 s".into(),
        )),
    }
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

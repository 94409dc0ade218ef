//! The HTTP server: the router, the correlation-id and logging middleware,
//! the error type every handler returns, and graceful shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use contracts::Vault;
use eventlog::EventStore;
use tokio::net::TcpListener;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::metrics::Metrics;

/// How long in-flight requests may take to finish after a shutdown signal.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
const CORRELATION_HEADER: HeaderName = HeaderName::from_static("x-correlation-id");

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn EventStore>,
    pub vault: Vault,
    pub metrics: Arc<Metrics>,
}

/// The correlation id of the request being handled: from the caller's
/// `X-Correlation-Id` when it is sensible, otherwise a new UUID v7.
#[derive(Debug, Clone)]
pub struct CorrelationId(pub String);

/// The one error type of the HTTP layer. A 500 says nothing internal: the
/// detail goes to the log, with the correlation id.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("the service is not ready: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            AppError::Unavailable(m) => {
                (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {m}"))
            }
            AppError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "something went wrong on our side; try again, and give the correlation id if it goes on".to_owned(),
                )
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// The whole router, state applied: what `serve` runs and tests call.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(health_get))
        .route("/readyz", get(ready_get))
        .route("/metrics", get(metrics_get))
        .fallback(fallback)
        .layer(middleware::from_fn_with_state(state.clone(), correlate))
        .with_state(state)
}

async fn health_get() -> &'static str {
    "ok\n"
}

async fn ready_get(State(state): State<AppState>) -> Result<&'static str, AppError> {
    match tokio::time::timeout(Duration::from_secs(2), state.store.ping()).await {
        Ok(Ok(())) => Ok("ready\n"),
        Ok(Err(e)) => Err(AppError::Unavailable(format!("event store: {e}"))),
        Err(_) => Err(AppError::Unavailable(
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

async fn fallback(request: Request) -> AppError {
    AppError::NotFound(format!(
        "no page at {}: check the address",
        request.uri().path()
    ))
}

fn sensible_correlation_id(value: &HeaderValue) -> Option<String> {
    let text = value.to_str().ok()?;
    let ok = !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| text.to_owned())
}

/// Gives each request a correlation id and a span, logs its outcome, and
/// counts it.
async fn correlate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&CORRELATION_HEADER)
        .and_then(sensible_correlation_id)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    request.extensions_mut().insert(CorrelationId(id.clone()));
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
    if let Ok(value) = HeaderValue::from_str(&id) {
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
    let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
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

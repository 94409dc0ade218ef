//! The router in-process (`app(state).oneshot(request)`): health, readiness,
//! metrics, errors, correlation ids.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use creneau::metrics::Metrics;
use creneau::server::{AppState, app};
use eventlog::EventStore;
use tower::ServiceExt as _;

async fn state() -> (AppState, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("creneau-http-{}", uuid::Uuid::new_v4().simple()));
    let store: Arc<dyn EventStore> =
        Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
    let vault = contracts::Vault::open(
        contracts::MasterKey::generate().expect("key"),
        Arc::clone(&store),
    )
    .await
    .expect("vault");
    (
        AppState {
            store,
            vault,
            metrics: Arc::new(Metrics::new()),
        },
        dir,
    )
}

async fn get(state: &AppState, path: &str) -> (StatusCode, String, Option<String>) {
    let response = app(state.clone())
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let correlation = response
        .headers()
        .get("x-correlation-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        String::from_utf8_lossy(&bytes).into_owned(),
        correlation,
    )
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let (state, dir) = state().await;
    let (status, body, correlation) = get(&state, "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
    assert!(
        correlation.is_some_and(|c| uuid::Uuid::parse_str(&c).is_ok()),
        "a fresh correlation id"
    );
    assert_eq!(get(&state, "/readyz").await.0, StatusCode::OK);
    let (status, body, _) = get(&state, "/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("no page at /nowhere"), "{body}");
    let (status, metrics, _) = get(&state, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains("creneau_http_responses_total{class=\"2xx\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("creneau_http_responses_total{class=\"4xx\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("creneau_store_up{backend=\"sqlite\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("creneau_store_head_position 0"),
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_caller_correlation_id_is_kept_and_a_hostile_one_replaced() {
    let (state, dir) = state().await;
    let with = |value: &str| {
        Request::get("/healthz")
            .header("x-correlation-id", value)
            .body(Body::empty())
            .expect("request")
    };
    let kept = app(state.clone())
        .oneshot(with("abc-123_X"))
        .await
        .expect("response");
    assert_eq!(kept.headers()["x-correlation-id"], "abc-123_X");
    let replaced = app(state.clone())
        .oneshot(with("<script>alert(1)</script>"))
        .await
        .expect("response");
    assert_ne!(
        replaced.headers()["x-correlation-id"],
        "<script>alert(1)</script>"
    );
    let _ = std::fs::remove_dir_all(dir);
}

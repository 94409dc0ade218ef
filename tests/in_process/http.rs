//! The router in-process (`app(state).oneshot(request)`): health, readiness,
//! metrics, errors, correlation ids.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use creneau::server::{AppState, app};
use creneau_tests::TestApp;
use tower::ServiceExt as _;

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
    let t = TestApp::new().await;
    let state = t.state.clone();
    let (status, body, correlation) = get(&state, "/healthz").await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok\n"));
    assert!(
        correlation.is_some_and(|c| uuid::Uuid::parse_str(&c).is_ok()),
        "a fresh correlation id"
    );
    assert_eq!(get(&state, "/readyz").await.0, StatusCode::OK);
    let (status, body, _) = get(&state, "/nowhere").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        body.contains("aucune page à l'adresse /nowhere"),
        "French without Accept-Language: {body}"
    );
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
}

#[tokio::test]
async fn a_caller_uuid_correlation_id_is_kept_and_anything_else_replaced() {
    let t = TestApp::new().await;
    let state = t.state.clone();
    let with = |value: &str| {
        Request::get("/healthz")
            .header("x-correlation-id", value)
            .body(Body::empty())
            .expect("request")
    };
    let kept = app(state.clone())
        .oneshot(with("0192f0c4-6a1e-7c1a-9d3e-3f2a1b0c9d8e"))
        .await
        .expect("response");
    assert_eq!(
        kept.headers()["x-correlation-id"],
        "0192f0c4-6a1e-7c1a-9d3e-3f2a1b0c9d8e"
    );
    // Events store correlation ids as UUIDs: anything else is replaced.
    let other = app(state.clone())
        .oneshot(with("abc-123_X"))
        .await
        .expect("response");
    assert_ne!(other.headers()["x-correlation-id"], "abc-123_X");
    let replaced = app(state.clone())
        .oneshot(with("<script>alert(1)</script>"))
        .await
        .expect("response");
    assert_ne!(
        replaced.headers()["x-correlation-id"],
        "<script>alert(1)</script>"
    );
}

/// A process that runs some services serves their routes only, and its
/// `/readyz` says which services it runs, how far each is behind the log,
/// and which work that must happen once no process holds.
#[tokio::test]
async fn a_process_serves_only_its_services_and_says_what_it_leaves_to_others() {
    let t = TestApp::new().await;
    let services: creneau::services::Services = "appointments,web".parse().expect("list");
    let state = t.state.clone().running(services);
    let (status, _, _) = get(&state, "/api/v1/sites").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the calendar's routes are elsewhere"
    );
    let (status, _, _) = get(&state, "/api/v1/session").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "so are identity's");
    let (status, body, _) = get(&state, "/").await;
    assert_eq!(status, StatusCode::OK, "the pages are here: {body}");

    let (status, body, _) = get(&state, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ready: serde_json::Value = serde_json::from_str(&body).expect("json");
    let names: Vec<&str> = ready["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["service"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["appointments", "web"]);
    assert!(ready["services"][0]["caught_up"].as_bool().expect("bool"));
    assert_eq!(ready["services"][0]["behind"], 0);
    let reminders = ready["singletons"]
        .as_array()
        .expect("singletons")
        .iter()
        .find(|s| s["service"] == "reminders")
        .expect("the reminders' lease");
    assert_eq!(reminders["runs_here"], false);
    assert!(
        reminders["note"]
            .as_str()
            .is_some_and(|n| n.contains(
                "no process holds lease-reminders now: unless one runs reminders, no SMS or email is sent"
            )),
        "{reminders}"
    );
}

/// `/readyz` is 503, with `Retry-After` and what is wrong, while a model
/// cannot read the log; 200 again once it can.
#[tokio::test]
async fn readiness_is_refused_while_a_model_cannot_read_the_log() {
    let t = TestApp::new().await;
    t.faults.fail_log_reads(true);
    let down = app(t.state.clone())
        .oneshot(
            Request::get("/readyz")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        down.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("5")
    );
    let body = axum::body::to_bytes(down.into_body(), 1 << 20)
        .await
        .expect("body");
    let body: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["ready"], false);
    let appointments = body["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["service"] == "appointments")
        .expect("appointments");
    assert_eq!(appointments["caught_up"], false);
    assert!(
        appointments["error"]
            .as_str()
            .is_some_and(|e| e.contains("injected fault")),
        "{appointments}"
    );
    t.faults.fail_log_reads(false);
    assert_eq!(get(&t.state, "/readyz").await.0, StatusCode::OK);
}

/// A process that does not run the statistics folds them for its pages
/// but never takes their lease (so never stores them); one that runs them
/// does.
#[tokio::test]
async fn only_a_process_running_the_statistics_takes_their_lease() {
    use std::sync::Arc;
    for (services, takes) in [
        ("identity,calendar,appointments,web", false),
        ("stats", true),
    ] {
        let dir =
            std::env::temp_dir().join(format!("creneau-lease-{}", uuid::Uuid::new_v4().simple()));
        let store: Arc<dyn eventlog::EventStore> =
            Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("store"));
        let vault = contracts::Vault::open(
            contracts::MasterKey::generate().expect("key"),
            Arc::clone(&store),
        )
        .await
        .expect("vault");
        let clock = creneau_tests::test_clock();
        let state = creneau_tests::services_over(
            Arc::clone(&store),
            vault,
            Arc::clone(&clock),
            &dir,
            services,
        )
        .await;
        // Something to fold and store: a site.
        state
            .calendar
            .open_site(
                &api::Acting::system("test", clock.now()),
                &contracts::proto::calendar::v1::SiteDetails {
                    name: "Tilleuls".into(),
                    address: "12 rue des Tilleuls".into(),
                    open: true,
                    ..Default::default()
                },
            )
            .await
            .expect("site");
        state.stats.warm_up().await.expect("folded");
        let holder = api::holder_of(
            store.as_ref(),
            creneau::server::STATS_WORK,
            chrono::DateTime::<chrono::Utc>::MIN_UTC,
        )
        .await
        .expect("lease");
        assert_eq!(holder.is_some(), takes, "{services}: {holder:?}");
        let _ = std::fs::remove_dir_all(dir);
    }
}

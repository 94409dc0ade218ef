//! What the in-process HTTP tests share: an app on a throw-away SQLite
//! file, staff accounts made through the identity service, and a request
//! builder that speaks cookies, bearer tokens and CSRF.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use api::Grant;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use contracts::{Role, SiteId, StaffId};
use creneau::metrics::Metrics;
use creneau::server::{AppState, app};
use eventlog::EventStore;
use identity::{Acting, Identity, NewStaff, Settings};
use serde_json::Value;
use tower::ServiceExt as _;

pub const ORIGIN: &str = "http://127.0.0.1:8080";

pub struct TestApp {
    pub state: AppState,
    pub dir: PathBuf,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The `name=value` part of the session cookie this reply sets.
    pub fn cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("creneau_session=") || v.starts_with("__Host-creneau_session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_owned)
    }
}

/// A request being built.
pub struct Call {
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    peer: SocketAddr,
}

impl Call {
    pub fn new(method: Method, path: &str) -> Self {
        Call {
            method,
            path: path.to_owned(),
            // Tests read messages as the code writes them; `language`
            // asks for another one.
            headers: vec![("accept-language".to_owned(), "en".to_owned())],
            body: None,
            peer: SocketAddr::from(([192, 0, 2, 1], 40000)),
        }
    }

    /// The `Accept-Language` of the request; `""` sends none.
    pub fn language(mut self, value: &str) -> Self {
        self.headers.retain(|(k, _)| k != "accept-language");
        if value.is_empty() {
            self
        } else {
            self.header("accept-language", value)
        }
    }

    pub fn get(path: &str) -> Self {
        Call::new(Method::GET, path)
    }

    pub fn post(path: &str) -> Self {
        Call::new(Method::POST, path)
    }

    pub fn delete(path: &str) -> Self {
        Call::new(Method::DELETE, path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn cookie(self, cookie: &str) -> Self {
        self.header("cookie", cookie)
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string());
        self.header("content-type", "application/json")
    }

    pub fn sent_from(mut self, ip: [u8; 4]) -> Self {
        self.peer = SocketAddr::from((ip, 40000));
        self
    }

    fn build(self) -> Request<Body> {
        let mut b = Request::builder().method(self.method).uri(self.path);
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let mut request = b
            .body(self.body.map_or_else(Body::empty, Body::from))
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(self.peer));
        request
    }
}

/// A signed-in staff member.
pub struct Staff {
    pub id: StaffId,
    pub email: String,
    pub password: String,
    pub token: String,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(Settings::default()).await
    }

    pub async fn with_settings(settings: Settings) -> Self {
        let dir =
            std::env::temp_dir().join(format!("creneau-http-{}", uuid::Uuid::new_v4().simple()));
        let store: Arc<dyn EventStore> =
            Arc::new(eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"));
        let vault = contracts::Vault::open(
            contracts::MasterKey::generate().expect("key"),
            Arc::clone(&store),
        )
        .await
        .expect("vault");
        let identity = Identity::new(Arc::clone(&store), vault.clone(), settings)
            .await
            .expect("identity");
        let calendar =
            calendar::Calendar::new(Arc::clone(&store), vault.derive_key("calendar feeds v1"))
                .await
                .expect("calendar");
        let appointments = appointments::Appointments::new(
            Arc::clone(&store),
            identity.clone(),
            appointments::Settings::default(),
        )
        .await
        .expect("appointments");
        TestApp {
            state: AppState {
                calendar,
                appointments,
                store,
                vault,
                metrics: Arc::new(Metrics::new()),
                identity,
                origin: Some(ORIGIN.to_owned()),
            },
            dir,
        }
    }

    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    pub fn identity(&self) -> &Identity {
        &self.state.identity
    }

    pub async fn send(&self, call: Call) -> Reply {
        let response = self.app().oneshot(call.build()).await.expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        // A live feed never ends: its first event is enough.
        if headers
            .get("content-type")
            .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
        {
            use futures_util::StreamExt as _;
            let mut frames = response.into_body().into_data_stream();
            let first = frames.next().await.and_then(Result::ok).unwrap_or_default();
            return Reply {
                status,
                headers,
                body: String::from_utf8_lossy(&first).into_owned(),
            };
        }
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A staff account with these grants, and an API token for it.
    pub async fn staff(&self, name: &str, grants: &[(Role, Option<SiteId>)]) -> Staff {
        let email = format!("{name}@ville.example.fr");
        let password = format!("{name} a un bon mot de passe");
        let acting = Acting::system("test");
        let created = self
            .identity()
            .create_staff(
                &acting,
                NewStaff {
                    email: email.clone(),
                    display_name: name.to_owned(),
                    password: Some(password.clone()),
                    grants: grants
                        .iter()
                        .map(|&(role, site)| Grant { role, site })
                        .collect(),
                },
            )
            .await
            .expect("staff");
        let token = self
            .identity()
            .issue_token(&acting, created.staff_id, "tests", 30)
            .await
            .expect("token")
            .token;
        Staff {
            id: created.staff_id,
            email,
            password,
            token,
        }
    }

    /// A site opened over HTTP with `token` (a coordinator's): its id.
    pub async fn site(&self, token: &str, name: &str, address: &str) -> String {
        let reply = self
            .send(
                Call::post("/api/v1/sites")
                    .bearer(token)
                    .json(serde_json::json!({"name": name, "address": address})),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.json()["site_id"]
            .as_str()
            .expect("site id")
            .to_owned()
    }

    /// A permanence rule written over HTTP at `site`, refused or not.
    pub async fn rule(&self, token: &str, site: &str, rule: Value) -> Reply {
        self.send(
            Call::post(&format!("/api/v1/sites/{site}/rules"))
                .bearer(token)
                .json(rule),
        )
        .await
    }

    /// Signs in over HTTP: the cookie and the CSRF token.
    pub async fn sign_in(&self, staff: &Staff) -> (String, String) {
        let reply = self
            .send(Call::post("/api/v1/session").json(serde_json::json!({
                "email": staff.email,
                "password": staff.password,
            })))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        let csrf = reply.json()["csrf_token"]
            .as_str()
            .expect("csrf token")
            .to_owned();
        (reply.cookie().expect("cookie"), csrf)
    }
}

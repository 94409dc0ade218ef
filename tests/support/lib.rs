//! What the end-to-end tests share: an app on a throw-away SQLite file, on
//! a clock set to a chosen day ([`test_now`]), staff accounts made through
//! the identity service, a request builder that speaks cookies, bearer
//! tokens and CSRF, and the days a test books on ([`TestApp::open_day`]).
//!
//! - `browser`: headless Chromium over WebDriver;
//! - `smtp`: a real SMTP server on loopback;
//! - `sms_stand_in`: an SMS provider on loopback that speaks the generic
//!   webhook's documented API.

pub mod browser;
pub mod contract;
pub mod faults;
pub mod receiver;
pub mod sms_stand_in;
pub mod smtp;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use api::Grant;
use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use contracts::{Role, SiteId, StaffId};
use creneau::server::{AppState, app};
use eventlog::{Clock, EventStore, RunningClock};
use identity::{Acting, Identity, NewStaff, Settings};
use serde_json::{Value, json};
use tower::ServiceExt as _;

pub const ORIGIN: &str = "http://127.0.0.1:8080";

/// The day and hour the tests' clocks start at: `CRENEAU_TEST_NOW`
/// (`2026-12-24T10:00` in Paris time, or RFC 3339), or by default Thursday
/// 10 December 2026, 10:05 in Paris. `scripts/test` runs the suites again
/// on the eve of Christmas, on 1 May, on a Sunday, on the nights of both
/// clock changes and on 31 December: a test that passes today passes on any
/// day of the year.
pub fn test_now() -> DateTime<Utc> {
    const DEFAULT: &str = "2026-12-10T10:05";
    let raw = std::env::var("CRENEAU_TEST_NOW").unwrap_or_else(|_| DEFAULT.to_owned());
    if let Ok(t) = DateTime::parse_from_rfc3339(&raw) {
        return t.with_timezone(&Utc);
    }
    let local = NaiveDateTime::parse_from_str(&raw, "%Y-%m-%dT%H:%M")
        .unwrap_or_else(|e| panic!("CRENEAU_TEST_NOW={raw:?}: {e}: write 2026-12-24T10:00"));
    // A time the clock change skips reads as the hour after.
    contracts::time::to_utc(local)
        .or_else(|_| contracts::time::to_utc(local + chrono::Duration::hours(1)))
        .unwrap_or_else(|e| panic!("CRENEAU_TEST_NOW={raw:?}: {e}"))
}

/// A clock for a test: it starts at [`test_now`] and runs.
pub fn test_clock() -> Arc<dyn Clock> {
    RunningClock::new(test_now())
}

/// The `n`th day after `today` on which a site with the default settings
/// is open: public holidays are skipped (n = 1 is the next one).
pub fn open_day_after(today: NaiveDate, n: u64) -> NaiveDate {
    let mut day = today;
    let mut left = n;
    while left > 0 {
        day = day + Days::new(1);
        if calendar::holidays::holiday(day).is_none() {
            left -= 1;
        }
    }
    day
}

/// `hh:mm` Paris time on `day`, as the API writes times.
pub fn paris_time(day: NaiveDate, hh_mm: &str) -> String {
    contracts::time::to_local(paris(day, hh_mm))
        .fixed_offset()
        .to_rfc3339()
}

/// `hh:mm` Paris time on `day`, as an instant.
pub fn paris(day: NaiveDate, hh_mm: &str) -> DateTime<Utc> {
    let t = chrono::NaiveTime::parse_from_str(hh_mm, "%H:%M").expect("hh:mm");
    contracts::time::to_utc(day.and_time(t)).expect("a time that exists")
}

/// Every service over `store`, as `serve --services SERVICES` composes
/// them (identity with default settings, SMS written to `DIR/sms.jsonl`),
/// on `clock`.
pub async fn services_over(
    store: Arc<dyn EventStore>,
    vault: contracts::Vault,
    clock: Arc<dyn Clock>,
    dir: &std::path::Path,
    services: &str,
) -> AppState {
    let identity = Identity::new(
        Arc::clone(&store),
        vault.clone(),
        Settings::default(),
        clock,
    )
    .await
    .expect("identity");
    let outbox: Arc<dyn reminders::sms::SmsProvider> =
        Arc::new(reminders::sms::Outbox::new(dir.join("sms.jsonl")));
    AppState::open_running(
        store,
        vault,
        identity,
        outbox,
        reminders::Settings::default(),
        None,
        services.parse().expect("services"),
    )
    .await
    .expect("services")
}

/// The first instant from `now` on, hour by hour, between 10:00 and 16:00
/// in Paris: when a test needs SMS to leave (none at night).
pub fn daytime_from(now: DateTime<Utc>) -> DateTime<Utc> {
    (0..24)
        .map(|h| now + chrono::Duration::hours(h))
        .find(|at| (10..16).contains(&chrono::Timelike::hour(&contracts::time::to_local(*at))))
        .unwrap_or(now)
}

/// Books `n` appointments on `day` at `site` as staff, 20 at each 10-minute
/// time from 08:00, for residents "Résident 0" to "Résident n-1" (each
/// with their own phone, consenting to SMS).
pub async fn book_many(
    appointments: &appointments::Appointments,
    site: SiteId,
    day: NaiveDate,
    n: usize,
    acting: &Acting,
) {
    for i in 0..n {
        let start = paris(day, "08:00") + chrono::Duration::minutes(10 * (i / 20) as i64);
        appointments
            .book(
                appointments::BookRequest {
                    sms_consent: true,
                    site,
                    start,
                    reason: contracts::Reason::ProcedureCaf,
                    name: format!("Résident {i}"),
                    phone: format!("06{:08}", 10_000_000 + i),
                    email: None,
                    language: contracts::Language::Fr,
                    note: None,
                    confirmation: None,
                },
                appointments::Booker::Staff {
                    acting: acting.clone(),
                    override_reason: None,
                },
                acting.at,
            )
            .await
            .expect("booked");
    }
}

pub struct TestApp {
    pub state: AppState,
    pub dir: PathBuf,
    /// The store every service of the app reads, with the faults a test
    /// injects.
    pub faults: Arc<faults::FaultyStore>,
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

    /// What a page's form without a session needs to be posted back: the
    /// `name=value` of the browser cookie its token is bound to, and the
    /// token in its `csrf` field.
    pub fn form_token(&self) -> (String, String) {
        let cookie = self
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("creneau_form="))
            .and_then(|v| v.split(';').next())
            .expect("the form cookie")
            .to_owned();
        let token = self
            .body
            .split(r#"name="csrf" value=""#)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the form token")
            .to_owned();
        (cookie, token)
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

    /// A body as it is, without setting its type.
    pub fn raw(mut self, body: String) -> Self {
        self.body = Some(body);
        self
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
        Self::build(settings, ORIGIN, test_clock()).await
    }

    /// An app whose public address is `origin`: what a test that serves it
    /// on a real port needs (browsers send their `Origin`).
    pub async fn with_origin(origin: &str) -> Self {
        Self::build(Settings::default(), origin, test_clock()).await
    }

    /// An app on `clock` (a [`eventlog::ManualClock`] the test moves).
    pub async fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self::build(Settings::default(), ORIGIN, clock).await
    }

    /// An app at `origin` on `clock`.
    pub async fn with_origin_and_clock(origin: &str, clock: Arc<dyn Clock>) -> Self {
        Self::build(Settings::default(), origin, clock).await
    }

    /// Serves the app on `listener` (real HTTP) until the test ends.
    pub fn serve(&self, listener: tokio::net::TcpListener) {
        let app = self.app();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
    }

    async fn build(settings: Settings, origin: &str, clock: Arc<dyn Clock>) -> Self {
        // What the services say when a test calls them directly, outside
        // a request: English, the language these tests read (over HTTP,
        // each request speaks its caller's).
        messages::set_default(messages::Language::En);
        let dir =
            std::env::temp_dir().join(format!("creneau-http-{}", uuid::Uuid::new_v4().simple()));
        let faults = faults::FaultyStore::new(Arc::new(
            eventlog::sqlite::SqliteStore::open(dir.join("c.db")).expect("open"),
        ));
        let store: Arc<dyn EventStore> = faults.clone();
        // The key is also written to `DIR/master.key`, for a `creneau`
        // process a test starts on the same store.
        let master = contracts::MasterKey::generate().expect("key");
        master
            .write_new_file(&dir.join("master.key"))
            .expect("key file");
        let vault = contracts::Vault::open(master, Arc::clone(&store))
            .await
            .expect("vault");
        let identity = Identity::new(Arc::clone(&store), vault.clone(), settings, clock)
            .await
            .expect("identity");
        let outbox: Arc<dyn reminders::sms::SmsProvider> =
            Arc::new(reminders::sms::Outbox::new(dir.join("sms.jsonl")));
        let state = AppState::open(
            store,
            vault,
            identity,
            outbox,
            reminders::Settings {
                public_url: origin.to_owned(),
                ..reminders::Settings::default()
            },
            Some(origin.to_owned()),
        )
        .await
        .expect("services");
        TestApp { state, dir, faults }
    }

    /// Now, on the app's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.clock.now()
    }

    /// Today in Paris, on the app's clock.
    pub fn today(&self) -> NaiveDate {
        contracts::time::local_date(self.now())
    }

    /// The `n`th open day after today ([`open_day_after`]).
    pub fn open_day(&self, n: u64) -> NaiveDate {
        open_day_after(self.today(), n)
    }

    /// 09:00 Paris time on the `n`th open day after today, as the API
    /// writes times.
    pub fn at_nine(&self, n: u64) -> String {
        paris_time(self.open_day(n), "09:00")
    }

    /// The same services with reminders sent through `sms`, on `clock`.
    pub async fn with_sms(
        &self,
        sms: impl Into<reminders::Senders>,
        clock: Arc<dyn Clock>,
        settings: reminders::Settings,
    ) -> reminders::Reminders {
        reminders::Reminders::new(
            Arc::clone(&self.state.store),
            self.state.vault.clone(),
            Arc::new(self.state.identity.clone()),
            sms,
            settings,
            clock,
        )
        .await
        .expect("reminders")
    }

    pub fn app(&self) -> Router {
        app(self.state.clone())
    }

    pub fn identity(&self) -> &Identity {
        &self.state.identity
    }

    /// The app's OpenAPI document, as a contract to hold answers to
    /// (one per distinct document, shared by the tests of the process).
    async fn contract(&self) -> Arc<contract::Contract> {
        static CONTRACTS: std::sync::Mutex<Vec<(String, Arc<contract::Contract>)>> =
            std::sync::Mutex::new(Vec::new());
        let request = Request::builder()
            .uri("/api/openapi.json")
            .body(Body::empty())
            .expect("request");
        let response = self.app().oneshot(request).await.expect("response");
        let bytes = axum::body::to_bytes(response.into_body(), 16 << 20)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let mut known = CONTRACTS.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c)) = known.iter().find(|(d, _)| *d == text) {
            return Arc::clone(c);
        }
        let c = Arc::new(contract::Contract::new(
            serde_json::from_str(&text).expect("the OpenAPI document is JSON"),
        ));
        known.push((text, Arc::clone(&c)));
        c
    }

    /// Sends `call` through the whole app. An answer of the API is held
    /// to its OpenAPI document (see [`contract`]).
    pub async fn send(&self, call: Call) -> Reply {
        let method = call.method.clone();
        let uri = call.path.clone();
        let reply = self.send_unchecked(call).await;
        let path = uri.split('?').next().unwrap_or_default();
        if path.starts_with("/api/")
            || path.starts_with("/ics/")
            || ["/healthz", "/readyz", "/metrics"].contains(&path)
        {
            self.contract()
                .await
                .check(&method, &uri, reply.status, &reply.headers, &reply.body);
        }
        reply
    }

    async fn send_unchecked(&self, call: Call) -> Reply {
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

    /// A staff member with one role at one site (its id as the API
    /// writes it).
    pub async fn staff_at(&self, name: &str, role: Role, site: &str) -> Staff {
        let site: SiteId = site.parse().expect("site id");
        self.staff(name, &[(role, Some(site))]).await
    }

    /// A staff account with these grants, and an API token for it.
    pub async fn staff(&self, name: &str, grants: &[(Role, Option<SiteId>)]) -> Staff {
        let email = format!("{name}@ville.example.fr");
        let password = format!("{name} a un bon mot de passe");
        let acting = Acting::system("test", self.now());
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
            .issue_token(&acting, created.staff_id, "tests", Some(30), None)
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

/// A site opened by a new coordinator of every site, with one rule (the
/// calendar's JSON): the site and the coordinator's token.
pub async fn site_with_rule(t: &TestApp, rule: Value) -> (String, String) {
    let name = format!("coordination-{}", uuid::Uuid::new_v4().simple());
    let boss = t.staff(&name, &[(Role::Coordinator, None)]).await;
    let site = t.site(&boss.token, "Tilleuls", "12 rue des Tilleuls").await;
    let made = t.rule(&boss.token, &site, rule).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    (site, boss.token)
}

/// A site with one appointment permanence every day at 09:00 (three
/// 30-minute slots, `desks` people at once), open from today.
pub async fn site_with_slots(t: &TestApp, desks: u32) -> String {
    let rule = json!({
        "cron": "0 9 * * *", "duration_minutes": 90, "valid_from": t.today().to_string(),
        "offer": {"appointments": true, "appointment_minutes": 30, "desks": desks},
    });
    site_with_rule(t, rule).await.0
}

/// The app served on a real socket of its own (the races go through
/// TCP): its address, and the sender that stops it.
pub fn on_a_socket(t: &TestApp) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let address = listener.local_addr().expect("address");
    let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(creneau::server::run(listener, t.app(), async {
        let _ = stopped.await;
    }));
    (address, stop)
}

/// Books over HTTP as the resident, expecting success: the appointment.
pub async fn book(t: &TestApp, site: &str, start: &str, phone: &str) -> Value {
    let reply = t
        .send(Call::post("/api/v1/appointments").json(booking(site, start, phone)))
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.json()
}

pub fn booking(site: &str, start: &str, phone: &str) -> Value {
    json!({"site": site, "start": start, "reason": "procedure_caf",
           "resident": {"name": "Awa Traoré", "phone": phone}})
}

/// One JSON POST with a bearer token over its own HTTP/1.1 connection, to
/// a server on a real socket: (status, body).
pub async fn post_json(
    address: std::net::SocketAddr,
    path: &str,
    token: &str,
    body: String,
) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut s = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).await.expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).await.expect("read");
    let status = out.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned());
    (status, body)
}

//! A local HTTP stand-in for the SMS providers, on loopback: it checks each
//! request as the provider's documentation describes it (address, method,
//! authentication, fields) and answers as the provider does, including its
//! errors; what it is told to do next can be set by the test.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// What the stand-in does with the next message.
#[derive(Debug, Clone)]
pub enum Next {
    /// Takes it and answers at once.
    Accept,
    /// Takes it, then answers only after `Duration` (longer than the
    /// client waits: a timeout after acceptance).
    AcceptThenHang(Duration),
    /// Answers this status and body, taking nothing.
    Refuse(u16, String, Option<u64>),
    /// Takes it and answers 200 with something that is not the documented
    /// JSON.
    AcceptWithGarbage,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub to: String,
    pub text: String,
    pub sender: String,
    pub reference: String,
}

#[derive(Default)]
struct Inner {
    next: VecDeque<Next>,
    received: Vec<Received>,
    /// Requests that did not follow the documentation, and why.
    wrong: Vec<String>,
    counter: u64,
}

#[derive(Clone)]
pub struct StandIn {
    inner: Arc<Mutex<Inner>>,
    pub address: SocketAddr,
    pub secret: String,
}

impl StandIn {
    pub async fn start(secret: &str) -> StandIn {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let s = StandIn {
            inner,
            address,
            secret: secret.to_owned(),
        };
        let app = Router::new()
            .route("/sms", post(webhook_send))
            .route("/sms/{reference}", get(webhook_lookup))
            .route("/v3/transactionalSMS/send", post(brevo_send))
            .route("/v3/transactionalSMS/statistics/events", get(brevo_events))
            .route(
                "/2010-04-01/Accounts/{account}/Messages.json",
                post(twilio_send).get(twilio_list),
            )
            .route("/1.0/sms/{service}/jobs", post(ovh_send))
            .route("/1.0/sms/{service}/outgoing", get(ovh_outgoing))
            .with_state(s.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        s
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn then(&self, next: Next) {
        self.inner.lock().expect("lock").next.push_back(next);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().expect("lock").received.clone()
    }

    pub fn wrong(&self) -> Vec<String> {
        self.inner.lock().expect("lock").wrong.clone()
    }

    fn next(&self) -> Next {
        self.inner
            .lock()
            .expect("lock")
            .next
            .pop_front()
            .unwrap_or(Next::Accept)
    }

    fn take(&self, to: &str, text: &str, sender: &str, reference: &str) -> String {
        let mut inner = self.inner.lock().expect("lock");
        inner.counter += 1;
        let id = format!("{}", 1_511_882_900_176_220u64 + inner.counter);
        inner.received.push(Received {
            id: id.clone(),
            to: to.to_owned(),
            text: text.to_owned(),
            sender: sender.to_owned(),
            reference: reference.to_owned(),
        });
        id
    }

    fn wrong_request(&self, why: String) -> Response {
        self.inner.lock().expect("lock").wrong.push(why.clone());
        (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": "invalid_parameter", "message": why})),
        )
            .into_response()
    }

    fn find(&self, reference: &str) -> Option<String> {
        self.inner
            .lock()
            .expect("lock")
            .received
            .iter()
            .find(|r| r.reference == reference)
            .map(|r| r.id.clone())
    }
}

fn check_sender(sender: &str) -> Result<(), String> {
    if (1..=11).contains(&sender.len()) && sender.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(format!("sender {sender:?}: 11 letters or digits at most"))
    }
}

/// Plays `next` for a message that passed the checks.
async fn answer(
    s: &StandIn,
    next: Next,
    take: impl FnOnce() -> String,
    ok: impl FnOnce(String) -> Value,
) -> Response {
    match next {
        Next::Accept => {
            let id = take();
            (StatusCode::CREATED, axum::Json(ok(id))).into_response()
        }
        Next::AcceptThenHang(d) => {
            let id = take();
            tokio::time::sleep(d).await;
            (StatusCode::CREATED, axum::Json(ok(id))).into_response()
        }
        Next::AcceptWithGarbage => {
            take();
            (StatusCode::OK, "<html>gateway says hello</html>").into_response()
        }
        Next::Refuse(status, body, retry_after) => {
            let _ = s;
            let mut r = (
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                body,
            )
                .into_response();
            if let Some(secs) = retry_after {
                r.headers_mut()
                    .insert("retry-after", secs.to_string().parse().expect("header"));
            }
            r
        }
    }
}

async fn webhook_send(State(s): State<StandIn>, headers: HeaderMap, body: String) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {}", s.secret))
    {
        return (StatusCode::UNAUTHORIZED, "{\"error\":\"bad secret\"}").into_response();
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return s.wrong_request(format!("not JSON: {body}"));
    };
    let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let (to, text, sender, reference) = (
        field("to"),
        field("text"),
        field("sender"),
        field("reference"),
    );
    if !to.starts_with('+') || to.len() < 8 {
        return s.wrong_request(format!("to {to:?} is not E.164"));
    }
    if text.is_empty() || reference.is_empty() {
        return s.wrong_request("text and reference are required".into());
    }
    if let Err(why) = check_sender(&sender) {
        return s.wrong_request(why);
    }
    let next = s.next();
    answer(
        &s,
        next,
        || s.take(&to, &text, &sender, &reference),
        |id| json!({"id": id}),
    )
    .await
}

async fn webhook_lookup(
    State(s): State<StandIn>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {}", s.secret))
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match s.find(&reference) {
        Some(id) => axum::Json(json!({"id": id})).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn brevo_send(State(s): State<StandIn>, headers: HeaderMap, body: String) -> Response {
    if headers.get("api-key").and_then(|v| v.to_str().ok()) != Some(s.secret.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"code": "unauthorized", "message": "Key not found"})),
        )
            .into_response();
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return s.wrong_request(format!("not JSON: {body}"));
    };
    let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let (recipient, content, sender, tag) = (
        field("recipient"),
        field("content"),
        field("sender"),
        field("tag"),
    );
    if recipient.starts_with('+') || !recipient.chars().all(|c| c.is_ascii_digit()) {
        return s.wrong_request(format!(
            "recipient {recipient:?}: international format without +"
        ));
    }
    if content.is_empty() || field("type") != "transactional" {
        return s.wrong_request("content and type=transactional are required".into());
    }
    if let Err(why) = check_sender(&sender) {
        return s.wrong_request(why);
    }
    if v["unicodeEnabled"].as_bool().is_none() {
        return s.wrong_request("unicodeEnabled must be a boolean".into());
    }
    let next = s.next();
    let to = format!("+{recipient}");
    answer(
        &s,
        next,
        || s.take(&to, &content, &sender, &tag),
        |id| json!({"messageId": id.parse::<u64>().unwrap_or_default()}),
    )
    .await
}

async fn brevo_events(
    State(s): State<StandIn>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if headers.get("api-key").and_then(|v| v.to_str().ok()) != Some(s.secret.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let events: Vec<Value> = q
        .get("tags")
        .and_then(|tag| s.find(tag).map(|id| (tag.clone(), id)))
        .map(|(tag, id)| {
            json!({"phoneNumber": "33600000000", "date": "2026-12-01T10:00:00Z",
                   "messageId": id.parse::<u64>().unwrap_or_default(), "event": "sent", "tag": tag})
        })
        .into_iter()
        .collect();
    axum::Json(json!({"events": events})).into_response()
}

/// Twilio: HTTP Basic with the account SID ("AC…") and the auth token.
fn twilio_auth(s: &StandIn, headers: &HeaderMap, account: &str) -> bool {
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{account}:{}", s.secret))
    );
    account.starts_with("AC")
        && headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn form(body: &str) -> std::collections::HashMap<String, String> {
    let uri: axum::http::Uri = format!("/?{body}").parse().unwrap_or_default();
    axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

async fn twilio_send(
    State(s): State<StandIn>,
    Path(account): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !twilio_auth(&s, &headers, &account) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"code": 20003, "message": "Authenticate", "status": 401})),
        )
            .into_response();
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/x-www-form-urlencoded")
    {
        return s.wrong_request("Twilio takes a form".into());
    }
    let f = form(&body);
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (to, from, text) = (field("To"), field("From"), field("Body"));
    if !to.starts_with('+') || text.is_empty() {
        return s.wrong_request(format!("To {to:?} must be E.164 and Body set"));
    }
    if let Err(why) = check_sender(&from) {
        return s.wrong_request(why);
    }
    if to.starts_with("+331") {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 21614, "message": format!("'To' number {to} is not a valid mobile number"), "status": 400})),
        )
            .into_response();
    }
    let next = s.next();
    answer(
        &s,
        next,
        || s.take(&to, &text, &from, ""),
        |id| json!({"sid": format!("SM{id}"), "status": "queued"}),
    )
    .await
}

async fn twilio_list(
    State(s): State<StandIn>,
    Path(account): Path<String>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if !twilio_auth(&s, &headers, &account) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let to = q.get("To").cloned().unwrap_or_default();
    let messages: Vec<Value> = s
        .received()
        .into_iter()
        .filter(|r| r.to == to)
        .map(
            |r| json!({"sid": format!("SM{}", r.id), "to": r.to, "body": r.text, "status": "sent"}),
        )
        .collect();
    axum::Json(json!({"messages": messages})).into_response()
}

/// OVH: the signature is `$1$` + SHA-1 of
/// `secret+consumer+METHOD+url+body+timestamp`; the stand-in knows the
/// application secret as `StandIn::secret` and the key as "app-key".
fn ovh_signed(s: &StandIn, headers: &HeaderMap, method: &str, url: &str, body: &str) -> bool {
    use sha1::Digest as _;
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let plain = format!(
        "{}+{}+{method}+{url}+{body}+{}",
        s.secret,
        h("x-ovh-consumer"),
        h("x-ovh-timestamp")
    );
    let digest: String = sha1::Sha1::digest(plain.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    h("x-ovh-application") == "app-key" && h("x-ovh-signature") == format!("$1${digest}")
}

async fn ovh_send(
    State(s): State<StandIn>,
    Path(service): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let url = format!("{}/1.0/sms/{service}/jobs", s.url());
    if !ovh_signed(&s, &headers, "POST", &url, &body) {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(json!({"message": "Invalid signature"})),
        )
            .into_response();
    }
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return s.wrong_request(format!("not JSON: {body}"));
    };
    let text_of = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let to = v["receivers"][0].as_str().unwrap_or_default().to_owned();
    let (text, sender, tag) = (text_of("message"), text_of("sender"), text_of("tag"));
    if !to.starts_with('+') || text.is_empty() || tag.is_empty() || tag.len() > 20 {
        return s.wrong_request(format!(
            "receivers {to:?}, message and a tag of 20 characters at most are required"
        ));
    }
    if let Err(why) = check_sender(&sender) {
        return s.wrong_request(why);
    }
    let next = s.next();
    answer(
        &s,
        next,
        || s.take(&to, &text, &sender, &tag),
        |id| {
            json!({"ids": [id.parse::<u64>().unwrap_or_default()], "invalidReceivers": [],
                   "validReceivers": [to], "totalCreditsRemoved": 1, "tag": tag})
        },
    )
    .await
}

async fn ovh_outgoing(
    State(s): State<StandIn>,
    Path(service): Path<String>,
    headers: HeaderMap,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let tag = q.get("tag").cloned().unwrap_or_default();
    let url = format!("{}/1.0/sms/{service}/outgoing?tag={tag}", s.url());
    if !ovh_signed(&s, &headers, "GET", &url, "") {
        return StatusCode::FORBIDDEN.into_response();
    }
    let ids: Vec<u64> = s
        .find(&tag)
        .and_then(|id| id.parse().ok())
        .into_iter()
        .collect();
    axum::Json(json!(ids)).into_response()
}

//! SMS providers, each following its documented HTTP API: the request, the
//! answer, the error codes, the look-up of a message by the reference we
//! gave it (so that a crash or a timeout never sends twice), and the
//! delivery reports it posts back.
//!
//! - [`Webhook`]: a generic JSON provider (any gateway a city runs):
//!   `POST {url}` with `{"to", "text", "sender", "reference"}` and
//!   `Authorization: Bearer {secret}`, answering `{"id"}`; `GET
//!   {url}/{reference}` answers `{"id"}` or 404; reports are JSON
//!   `{"id", "status", "at"}` signed with `X-Signature: sha256=<HMAC of the
//!   body>`.
//! - [`Brevo`]: `POST /v3/transactionalSMS/send` with the `api-key` header,
//!   answering `{"messageId"}`; the attempt's reference goes in `tag`, and
//!   `GET /v3/transactionalSMS/statistics/events?tags=…` finds it again;
//!   reports are Brevo's webhook JSON (`msg_status`, `messageId`, `date`),
//!   authenticated by a secret in the webhook's address (Brevo signs
//!   nothing).
//! - [`Outbox`]: no provider; each message is a JSON line in a file (for
//!   the demo and for a test install: nothing leaves the machine).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

/// One message to hand over.
#[derive(Debug, Clone)]
pub struct Sms {
    /// E.164, with its `+`.
    pub to: String,
    pub text: String,
    /// Sender ID: 11 letters or digits at most.
    pub sender: String,
    /// Names this attempt at the provider.
    pub reference: String,
}

/// Why a provider did not take a message.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// May pass: try again later (after `retry_after` when the provider
    /// said). `uncertain`: the message may have been accepted (a timeout,
    /// a cut connection), so look it up before sending again.
    #[error("{error}")]
    Transient {
        error: String,
        retry_after: Option<Duration>,
        uncertain: bool,
    },
    /// Will not pass (invalid or landline number, opt-out, bad credentials).
    #[error("{error}")]
    Permanent { error: String, code: String },
}

impl SendError {
    fn transient(error: impl Into<String>) -> Self {
        SendError::Transient {
            error: error.into(),
            retry_after: None,
            uncertain: false,
        }
    }

    fn permanent(code: impl Into<String>, error: impl Into<String>) -> Self {
        SendError::Permanent {
            error: error.into(),
            code: code.into(),
        }
    }
}

/// Whether the provider has a message we sent with a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Found(String),
    NotFound,
    /// The provider cannot be asked.
    Unsupported,
}

/// What a delivery report says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub message_id: String,
    /// "delivered", "failed" or "pending".
    pub status: &'static str,
    pub provider_status: String,
    pub at: DateTime<Utc>,
}

/// Why a report was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report's signature or secret is wrong")]
    Forged,
    #[error("the report is not understood: {0}")]
    Malformed(String),
}

/// An SMS provider.
#[async_trait]
pub trait SmsProvider: Send + Sync {
    /// Its name in events and configuration: "brevo", "webhook"…
    fn name(&self) -> &'static str;
    /// Hands `sms` over: the provider's message id.
    async fn send(&self, sms: &Sms) -> Result<String, SendError>;
    /// Finds an earlier attempt (`sms`, with that attempt's reference), if
    /// the provider can say.
    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError>;
    /// Reads a delivery report posted to us: `secret` is what came in the
    /// address (`?secret=`), `signature` the signature header if any.
    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Vec<Report>, ReportError>;
}

/// The HTTP client every provider uses: timeouts so that a provider that
/// hangs costs a retry, not a stuck dispatcher.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// A transport failure: a timeout or a connection cut after the request
/// left may have been accepted.
fn transport(e: &reqwest::Error) -> SendError {
    let uncertain = e.is_timeout() || !e.is_connect();
    SendError::Transient {
        error: format!("provider unreachable: {e}"),
        retry_after: None,
        uncertain,
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Sends `request`: the answer's status, headers and body, or the
/// transport failure (see [`transport`]).
async fn exchange(
    request: reqwest::RequestBuilder,
) -> Result<(StatusCode, reqwest::header::HeaderMap, String), SendError> {
    let answer = request.send().await.map_err(|e| transport(&e))?;
    let status = answer.status();
    let headers = answer.headers().clone();
    let body = answer.text().await.map_err(|e| transport(&e))?;
    Ok((status, headers, body))
}

/// The same, a non-2xx answer read as a refusal.
async fn exchange_ok(request: reqwest::RequestBuilder) -> Result<(StatusCode, String), SendError> {
    let (status, headers, body) = exchange(request).await?;
    if !status.is_success() {
        return Err(refusal(status, &headers, &body));
    }
    Ok((status, body))
}

/// A 2xx answer that does not say what the provider took: it may have
/// taken the message, so the next try looks it up first.
fn unacknowledged(provider: &str, status: StatusCode, body: &str) -> SendError {
    SendError::Transient {
        error: format!(
            "{provider} answered {status} without the message's id: {}",
            body.chars().take(200).collect::<String>()
        ),
        retry_after: None,
        uncertain: true,
    }
}

/// The common reading of a non-2xx answer: 429 and 5xx pass, 4xx do not.
fn refusal(status: StatusCode, headers: &reqwest::header::HeaderMap, body: &str) -> SendError {
    let short: String = body.chars().take(300).collect();
    if status == StatusCode::TOO_MANY_REQUESTS {
        SendError::Transient {
            error: format!("provider busy (429): {short}"),
            retry_after: retry_after(headers),
            uncertain: false,
        }
    } else if status.is_server_error() {
        SendError::Transient {
            error: format!("provider error {status}: {short}"),
            retry_after: retry_after(headers),
            // A 5xx may come after the message was taken (a gateway
            // timing out behind the provider's front): look it up.
            uncertain: status == StatusCode::GATEWAY_TIMEOUT,
        }
    } else {
        SendError::permanent(
            status.as_str(),
            format!("provider refused ({status}): {short}"),
        )
    }
}

fn status_word(raw: &str) -> &'static str {
    match raw.to_ascii_lowercase().as_str() {
        "delivered" | "delivrd" => "delivered",
        "sent" | "accepted" | "queued" | "pending" | "buffered" => "pending",
        _ => "failed",
    }
}

/// HMAC-SHA256 of `body` under `key`, in lower-case hex.
pub fn hmac_hex(key: &[u8], body: &[u8]) -> String {
    use hmac::Mac as _;
    let mut mac = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `given` (hex) is the HMAC-SHA256 of `body` under `key`,
/// compared in constant time.
fn verify_hex(key: &[u8], body: &[u8], given: &str) -> bool {
    use hmac::Mac as _;
    let Some(bytes) = (0..given.len())
        .step_by(2)
        .map(|i| {
            given
                .get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let Ok(mut mac) = <hmac::Hmac<sha2::Sha256>>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

/// The generic JSON provider.
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    secret: String,
}

impl Webhook {
    pub fn new(client: reqwest::Client, url: &str, secret: &str) -> Self {
        Webhook {
            client,
            url: url.trim_end_matches('/').to_owned(),
            secret: secret.to_owned(),
        }
    }
}

#[derive(Deserialize)]
struct IdAnswer {
    id: String,
}

#[derive(Deserialize)]
struct WebhookReport {
    id: String,
    status: String,
    at: DateTime<Utc>,
}

#[async_trait]
impl SmsProvider for Webhook {
    fn name(&self) -> &'static str {
        "webhook"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let (status, body) = exchange_ok(
            self
            .client
            .post(&self.url)
            .bearer_auth(&self.secret)
            .json(&json!({"to": sms.to, "text": sms.text, "sender": sms.sender, "reference": sms.reference}))
        )
        .await?;
        serde_json::from_str::<IdAnswer>(&body)
            .map(|a| a.id)
            // It said yes but not what it took: look it up next time.
            .map_err(|e| unacknowledged("the provider", status, &format!("{e}: {body}")))
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let reference = sms.reference.as_str();
        let (status, headers, body) = exchange(
            self.client
                .get(format!("{}/{reference}", self.url))
                .bearer_auth(&self.secret),
        )
        .await?;
        match status {
            StatusCode::NOT_FOUND => Ok(Lookup::NotFound),
            s if s.is_success() => serde_json::from_str::<IdAnswer>(&body)
                .map(|a| Lookup::Found(a.id))
                .map_err(|e| SendError::transient(format!("look-up answer not understood: {e}"))),
            s => Err(refusal(s, &headers, &body)),
        }
    }

    fn report(
        &self,
        body: &[u8],
        _secret: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Vec<Report>, ReportError> {
        let given = signature
            .and_then(|s| s.strip_prefix("sha256="))
            .ok_or(ReportError::Forged)?;
        if !verify_hex(self.secret.as_bytes(), body, given) {
            return Err(ReportError::Forged);
        }
        let r: WebhookReport =
            serde_json::from_slice(body).map_err(|e| ReportError::Malformed(e.to_string()))?;
        Ok(vec![Report {
            status: status_word(&r.status),
            provider_status: r.status,
            message_id: r.id,
            at: r.at,
        }])
    }
}

/// Brevo's transactional SMS.
pub struct Brevo {
    client: reqwest::Client,
    base: String,
    api_key: String,
    report_secret: String,
}

impl Brevo {
    /// `base`: `https://api.brevo.com` (another address in tests).
    pub fn new(client: reqwest::Client, base: &str, api_key: &str, report_secret: &str) -> Self {
        Brevo {
            client,
            base: base.trim_end_matches('/').to_owned(),
            api_key: api_key.to_owned(),
            report_secret: report_secret.to_owned(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BrevoSent {
    message_id: serde_json::Value,
}

#[derive(Deserialize)]
struct BrevoEvents {
    #[serde(default)]
    events: Vec<BrevoEvent>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BrevoEvent {
    message_id: serde_json::Value,
}

#[derive(Deserialize)]
struct BrevoReport {
    #[serde(rename = "messageId")]
    message_id: serde_json::Value,
    msg_status: String,
    date: String,
}

/// Brevo writes message ids as numbers; they are kept as text.
fn id_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

#[async_trait]
impl SmsProvider for Brevo {
    fn name(&self) -> &'static str {
        "brevo"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let (status, body) = exchange_ok(
            self
            .client
            .post(format!("{}/v3/transactionalSMS/send", self.base))
            .header("api-key", &self.api_key)
            .header("accept", "application/json")
            .json(&json!({
                "sender": sms.sender,
                // International format without the plus sign.
                "recipient": sms.to.trim_start_matches('+'),
                "content": sms.text,
                "type": "transactional",
                "tag": sms.reference,
                "unicodeEnabled": crate::gsm::cost(&sms.text).encoding == crate::gsm::Encoding::Ucs2,
            }))
        )
        .await?;
        serde_json::from_str::<BrevoSent>(&body)
            .ok()
            .and_then(|a| id_text(&a.message_id))
            .ok_or_else(|| unacknowledged("Brevo", status, &body))
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let reference = sms.reference.as_str();
        let (_, body) = exchange_ok(
            self.client
                .get(format!(
                    "{}/v3/transactionalSMS/statistics/events",
                    self.base
                ))
                .header("api-key", &self.api_key)
                .header("accept", "application/json")
                .query(&[("tags", reference), ("limit", "10"), ("days", "30")]),
        )
        .await?;
        let events: BrevoEvents = serde_json::from_str(&body)
            .map_err(|e| SendError::transient(format!("Brevo's events not understood: {e}")))?;
        Ok(events
            .events
            .iter()
            .find_map(|e| id_text(&e.message_id))
            .map_or(Lookup::NotFound, Lookup::Found))
    }

    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        _signature: Option<&str>,
    ) -> Result<Vec<Report>, ReportError> {
        same_secret(&self.report_secret, secret)?;
        let r: BrevoReport =
            serde_json::from_slice(body).map_err(|e| ReportError::Malformed(e.to_string()))?;
        let message_id =
            id_text(&r.message_id).ok_or_else(|| ReportError::Malformed("no messageId".into()))?;
        let at = DateTime::parse_from_rfc3339(&r.date)
            .map(|d| d.with_timezone(&Utc))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(&r.date, "%Y-%m-%d %H:%M:%S")
                    .map(|n| n.and_utc())
            })
            .map_err(|e| ReportError::Malformed(format!("date {:?}: {e}", r.date)))?;
        Ok(vec![Report {
            status: status_word(&r.msg_status),
            provider_status: r.msg_status,
            message_id,
            at,
        }])
    }
}

/// Twilio's Programmable Messaging: `POST
/// /2010-04-01/Accounts/{sid}/Messages.json` (form fields `To`, `From`,
/// `Body`, `StatusCallback`), HTTP Basic with the account SID and auth
/// token, answering `{"sid", "status"}`; errors `{"code", "message"}` where
/// 21211 (invalid number), 21614 (not a mobile) and 21610 (the recipient
/// opted out) are final. Twilio keeps no reference of ours: the look-up
/// lists the messages sent to the number since the attempt's day and finds
/// the one with the same text. Status callbacks are form posts
/// (`MessageSid`, `MessageStatus`) to an address that carries our secret.
pub struct Twilio {
    client: reqwest::Client,
    base: String,
    account: String,
    token: String,
    report_secret: String,
    callback: Option<String>,
}

impl Twilio {
    /// `base`: `https://api.twilio.com`; `callback`: where Twilio posts
    /// delivery reports (with `?secret=`), if they are wanted.
    pub fn new(
        client: reqwest::Client,
        base: &str,
        account: &str,
        token: &str,
        report_secret: &str,
        callback: Option<String>,
    ) -> Self {
        Twilio {
            client,
            base: base.trim_end_matches('/').to_owned(),
            account: account.to_owned(),
            token: token.to_owned(),
            report_secret: report_secret.to_owned(),
            callback,
        }
    }

    fn messages(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base, self.account
        )
    }
}

#[derive(Deserialize)]
struct TwilioMessage {
    sid: String,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
struct TwilioList {
    #[serde(default)]
    messages: Vec<TwilioMessage>,
}

#[derive(Deserialize)]
struct TwilioError {
    code: Option<u64>,
    message: Option<String>,
}

/// Twilio's error codes that no retry will fix.
const TWILIO_FINAL: [u64; 5] = [21211, 21214, 21408, 21610, 21614];

#[async_trait]
impl SmsProvider for Twilio {
    fn name(&self) -> &'static str {
        "twilio"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let mut form = vec![
            ("To", sms.to.as_str()),
            ("From", sms.sender.as_str()),
            ("Body", sms.text.as_str()),
        ];
        if let Some(cb) = &self.callback {
            form.push(("StatusCallback", cb.as_str()));
        }
        let (status, headers, body) = exchange(
            self.client
                .post(self.messages())
                .basic_auth(&self.account, Some(&self.token))
                .form(&form),
        )
        .await?;
        if status.is_success() {
            return serde_json::from_str::<TwilioMessage>(&body)
                .map(|m| m.sid)
                .map_err(|e| unacknowledged("Twilio", status, &format!("{e}: {body}")));
        }
        if status == StatusCode::BAD_REQUEST
            && let Ok(TwilioError {
                code: Some(code),
                message,
            }) = serde_json::from_str(&body)
            && TWILIO_FINAL.contains(&code)
        {
            return Err(SendError::permanent(
                code.to_string(),
                message.unwrap_or_default(),
            ));
        }
        Err(refusal(status, &headers, &body))
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let since = (Utc::now() - chrono::Duration::days(2))
            .format("%Y-%m-%d")
            .to_string();
        let (_, body) = exchange_ok(
            self.client
                .get(self.messages())
                .basic_auth(&self.account, Some(&self.token))
                .query(&[
                    ("To", sms.to.as_str()),
                    ("DateSent>", since.as_str()),
                    ("PageSize", "50"),
                ]),
        )
        .await?;
        let list: TwilioList = serde_json::from_str(&body)
            .map_err(|e| SendError::transient(format!("Twilio's list not understood: {e}")))?;
        Ok(list
            .messages
            .into_iter()
            .find(|m| m.body == sms.text)
            .map_or(Lookup::NotFound, |m| Lookup::Found(m.sid)))
    }

    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        _signature: Option<&str>,
    ) -> Result<Vec<Report>, ReportError> {
        same_secret(&self.report_secret, secret)?;
        let fields: std::collections::HashMap<String, String> = form_fields(body);
        let message_id = fields
            .get("MessageSid")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ReportError::Malformed("no MessageSid".into()))?
            .clone();
        let raw = fields.get("MessageStatus").cloned().unwrap_or_default();
        Ok(vec![Report {
            status: match raw.as_str() {
                "undelivered" => "failed",
                other => status_word(other),
            },
            provider_status: raw,
            message_id,
            // Twilio's callbacks carry no time: when it came.
            at: Utc::now(),
        }])
    }
}

/// `application/x-www-form-urlencoded` fields (Twilio's callbacks, OVH's
/// query), read by the same decoder as the API's query strings.
fn form_fields(body: &[u8]) -> std::collections::HashMap<String, String> {
    let Ok(uri) = format!("/?{}", String::from_utf8_lossy(body)).parse::<axum::http::Uri>() else {
        return Default::default();
    };
    axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
        .map(|q| q.0)
        .unwrap_or_default()
}

/// A shared secret from a report's address, compared in constant time.
fn same_secret(expected: &str, given: Option<&str>) -> Result<(), ReportError> {
    let given = given.ok_or(ReportError::Forged)?;
    if verify_hex(
        expected.as_bytes(),
        b"report secret",
        &hmac_hex(given.as_bytes(), b"report secret"),
    ) {
        Ok(())
    } else {
        Err(ReportError::Forged)
    }
}

/// OVHcloud SMS: `POST /1.0/sms/{service}/jobs` with `{"message",
/// "receivers", "sender", "tag", "charset", "noStopClause", "priority"}`,
/// every request signed: `X-Ovh-Application`, `X-Ovh-Consumer`,
/// `X-Ovh-Timestamp` and `X-Ovh-Signature` = `$1$` + SHA-1 of
/// `secret+consumer+METHOD+url+body+timestamp`. The answer lists `ids` and
/// `invalidReceivers` (final). The attempt's tag finds it again: `GET
/// /1.0/sms/{service}/outgoing?tag=…`. Delivery reports come by `GET` to
/// the job's `callBack` address (with our secret) as `id`, `ptt`
/// (13: delivered; 14, 16: failed) and `date`.
pub struct Ovh {
    client: reqwest::Client,
    base: String,
    service: String,
    application_key: String,
    application_secret: String,
    consumer_key: String,
    report_secret: String,
    callback: Option<String>,
}

impl Ovh {
    /// `base`: `https://eu.api.ovh.com`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: reqwest::Client,
        base: &str,
        service: &str,
        application_key: &str,
        application_secret: &str,
        consumer_key: &str,
        report_secret: &str,
        callback: Option<String>,
    ) -> Self {
        Ovh {
            client,
            base: base.trim_end_matches('/').to_owned(),
            service: service.to_owned(),
            application_key: application_key.to_owned(),
            application_secret: application_secret.to_owned(),
            consumer_key: consumer_key.to_owned(),
            report_secret: report_secret.to_owned(),
            callback,
        }
    }

    /// OVH's tag is short: 20 characters derived from the reference.
    fn tag(reference: &str) -> String {
        hmac_hex(b"ovh tag", reference.as_bytes())[..20].to_owned()
    }

    /// The signed request.
    fn signed(&self, method: reqwest::Method, url: &str, body: &str) -> reqwest::RequestBuilder {
        use sha1::Digest as _;
        let timestamp = Utc::now().timestamp().to_string();
        let plain = format!(
            "{}+{}+{}+{}+{}+{}",
            self.application_secret, self.consumer_key, method, url, body, timestamp
        );
        let digest: String = sha1::Sha1::digest(plain.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.client
            .request(method, url)
            .header("X-Ovh-Application", &self.application_key)
            .header("X-Ovh-Consumer", &self.consumer_key)
            .header("X-Ovh-Timestamp", timestamp)
            .header("X-Ovh-Signature", format!("$1${digest}"))
            .header("content-type", "application/json")
            .body(body.to_owned())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OvhJob {
    #[serde(default)]
    ids: Vec<u64>,
    #[serde(default)]
    invalid_receivers: Vec<String>,
}

#[async_trait]
impl SmsProvider for Ovh {
    fn name(&self) -> &'static str {
        "ovh"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        let url = format!("{}/1.0/sms/{}/jobs", self.base, self.service);
        let mut job = json!({
            "message": sms.text,
            "receivers": [sms.to],
            "sender": sms.sender,
            "tag": Ovh::tag(&sms.reference),
            "charset": "UTF-8",
            "noStopClause": true,
            "priority": "high",
        });
        if let Some(cb) = &self.callback {
            job["callBack"] = json!(cb);
        }
        let (status, body) =
            exchange_ok(self.signed(reqwest::Method::POST, &url, &job.to_string())).await?;
        let job: OvhJob = serde_json::from_str(&body)
            .map_err(|e| unacknowledged("OVH", status, &format!("{e}: {body}")))?;
        if !job.invalid_receivers.is_empty() {
            return Err(SendError::permanent(
                "invalidReceivers",
                format!(
                    "OVH refused the number {}",
                    job.invalid_receivers.join(", ")
                ),
            ));
        }
        job.ids
            .first()
            .map(u64::to_string)
            .ok_or_else(|| unacknowledged("OVH", status, &body))
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let url = format!(
            "{}/1.0/sms/{}/outgoing?tag={}",
            self.base,
            self.service,
            Ovh::tag(&sms.reference)
        );
        let (_, body) = exchange_ok(self.signed(reqwest::Method::GET, &url, "")).await?;
        let ids: Vec<u64> = serde_json::from_str(&body)
            .map_err(|e| SendError::transient(format!("OVH's list not understood: {e}")))?;
        Ok(ids
            .first()
            .map_or(Lookup::NotFound, |id| Lookup::Found(id.to_string())))
    }

    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        _signature: Option<&str>,
    ) -> Result<Vec<Report>, ReportError> {
        same_secret(&self.report_secret, secret)?;
        let fields = form_fields(body);
        let message_id = fields
            .get("id")
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ReportError::Malformed("no id".into()))?
            .clone();
        let ptt = fields.get("ptt").cloned().unwrap_or_default();
        let at = fields
            .get("date")
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map_or_else(Utc::now, |d| d.with_timezone(&Utc));
        Ok(vec![Report {
            status: match ptt.as_str() {
                "13" => "delivered",
                "14" | "16" | "4" => "failed",
                _ => "pending",
            },
            provider_status: format!("ptt {ptt}"),
            message_id,
            at,
        }])
    }
}

/// Messages written to a file, one JSON line each, instead of sent.
pub struct Outbox {
    path: std::path::PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl Outbox {
    pub fn new(path: std::path::PathBuf) -> Self {
        Outbox {
            path,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The lines written so far.
    pub fn lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}

#[async_trait]
impl SmsProvider for Outbox {
    fn name(&self) -> &'static str {
        "outbox"
    }

    async fn send(&self, sms: &Sms) -> Result<String, SendError> {
        use std::io::Write as _;
        let _one = self.lock.lock().await;
        let id = uuid::Uuid::now_v7().to_string();
        let line = json!({
            "id": id, "to": sms.to, "sender": sms.sender, "reference": sms.reference,
            "text": sms.text, "segments": crate::gsm::cost(&sms.text).segments,
            "at": Utc::now().to_rfc3339(),
        });
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| {
                f.write_all(format!("{line}\n").as_bytes())?;
                f.sync_data()
            })
            .map_err(|e| {
                SendError::transient(format!("cannot write {}: {e}", self.path.display()))
            })?;
        Ok(id)
    }

    async fn lookup(&self, sms: &Sms) -> Result<Lookup, SendError> {
        let reference = sms.reference.as_str();
        let _one = self.lock.lock().await;
        Ok(self
            .lines()
            .iter()
            .find(|l| l["reference"] == reference)
            .and_then(|l| l["id"].as_str().map(str::to_owned))
            .map_or(Lookup::NotFound, Lookup::Found))
    }

    fn report(
        &self,
        _: &[u8],
        _: Option<&str>,
        _: Option<&str>,
    ) -> Result<Vec<Report>, ReportError> {
        Err(ReportError::Malformed(
            "the outbox takes no delivery reports".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_statuses_read_as_three_words() {
        assert_eq!(status_word("delivered"), "delivered");
        assert_eq!(status_word("accepted"), "pending");
        assert_eq!(status_word("hardBounce"), "failed");
        assert_eq!(status_word("rejected"), "failed");
    }

    #[test]
    fn webhook_reports_need_the_right_signature() {
        let client = reqwest::Client::new();
        let p = Webhook::new(client, "http://127.0.0.1:1/sms", "s3cret");
        let body = br#"{"id":"m1","status":"delivered","at":"2026-12-01T10:00:00Z"}"#;
        let good = format!("sha256={}", hmac_hex(b"s3cret", body));
        assert_eq!(
            p.report(body, None, Some(&good)).expect("report")[0].status,
            "delivered"
        );
        assert_eq!(
            p.report(body, None, Some("sha256=00")),
            Err(ReportError::Forged)
        );
        assert_eq!(p.report(body, None, None), Err(ReportError::Forged));
        let other = br#"{"id":"m1","status":"delivered","at":"2027-12-01T10:00:00Z"}"#;
        assert_eq!(p.report(other, None, Some(&good)), Err(ReportError::Forged));
    }

    #[test]
    fn brevo_reports_need_the_secret_and_keep_numeric_ids() {
        let p = Brevo::new(
            reqwest::Client::new(),
            "http://127.0.0.1:1",
            "key",
            "hook-secret",
        );
        let body = br#"{"id":1,"to":"33612345678","messageId":1511882900176220,"msg_status":"delivered","date":"2026-12-01 10:00:00","tag":"r.1"}"#;
        let r = p.report(body, Some("hook-secret"), None).expect("report");
        assert_eq!(r[0].message_id, "1511882900176220");
        assert_eq!(r[0].status, "delivered");
        assert_eq!(
            p.report(body, Some("guess"), None),
            Err(ReportError::Forged)
        );
        assert!(matches!(
            p.report(b"<html>", Some("hook-secret"), None),
            Err(ReportError::Malformed(_))
        ));
    }
}

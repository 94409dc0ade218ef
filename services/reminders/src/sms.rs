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
    /// Finds the message sent with `reference`, if the provider can say.
    async fn lookup(&self, reference: &str) -> Result<Lookup, SendError>;
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
        let answer = self
            .client
            .post(&self.url)
            .bearer_auth(&self.secret)
            .json(&json!({"to": sms.to, "text": sms.text, "sender": sms.sender, "reference": sms.reference}))
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.text().await.map_err(|e| transport(&e))?;
        if !status.is_success() {
            return Err(refusal(status, &headers, &body));
        }
        serde_json::from_str::<IdAnswer>(&body)
            .map(|a| a.id)
            .map_err(|e| SendError::Transient {
                // It said yes but not what it took: look it up next time.
                error: format!(
                    "provider answered {status} without an id ({e}): {}",
                    body.chars().take(200).collect::<String>()
                ),
                retry_after: None,
                uncertain: true,
            })
    }

    async fn lookup(&self, reference: &str) -> Result<Lookup, SendError> {
        let answer = self
            .client
            .get(format!("{}/{reference}", self.url))
            .bearer_auth(&self.secret)
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.text().await.map_err(|e| transport(&e))?;
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
        let answer = self
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
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.text().await.map_err(|e| transport(&e))?;
        if !status.is_success() {
            return Err(refusal(status, &headers, &body));
        }
        serde_json::from_str::<BrevoSent>(&body)
            .ok()
            .and_then(|a| id_text(&a.message_id))
            .ok_or_else(|| SendError::Transient {
                error: format!(
                    "Brevo answered {status} without a messageId: {}",
                    body.chars().take(200).collect::<String>()
                ),
                retry_after: None,
                uncertain: true,
            })
    }

    async fn lookup(&self, reference: &str) -> Result<Lookup, SendError> {
        let answer = self
            .client
            .get(format!(
                "{}/v3/transactionalSMS/statistics/events",
                self.base
            ))
            .header("api-key", &self.api_key)
            .header("accept", "application/json")
            .query(&[("tags", reference), ("limit", "10"), ("days", "30")])
            .send()
            .await
            .map_err(|e| transport(&e))?;
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.text().await.map_err(|e| transport(&e))?;
        if !status.is_success() {
            return Err(refusal(status, &headers, &body));
        }
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
        let given = secret.ok_or(ReportError::Forged)?;
        // Compared as MACs, in constant time.
        let same = verify_hex(
            self.report_secret.as_bytes(),
            b"brevo report",
            &hmac_hex(given.as_bytes(), b"brevo report"),
        );
        if !same {
            return Err(ReportError::Forged);
        }
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

    async fn lookup(&self, reference: &str) -> Result<Lookup, SendError> {
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

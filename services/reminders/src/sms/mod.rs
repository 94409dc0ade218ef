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
//!
//! One file per provider: `webhook`, `brevo`, `twilio`, `ovh`, `outbox`;
//! this module holds the trait and what they share (the HTTP exchange, the
//! reading of a refusal, HMAC checks).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use contracts::mac;
use reqwest::StatusCode;

mod brevo;
mod outbox;
mod ovh;
mod twilio;
mod webhook;

pub use brevo::Brevo;
pub use outbox::Outbox;
pub use ovh::Ovh;
pub use twilio::Twilio;
pub use webhook::Webhook;

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
    /// When this attempt is made, from the dispatcher's clock.
    pub at: DateTime<Utc>,
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
    #[error("{}", messages::say!(crate::ERRORS, "report-forged"))]
    Forged,
    #[error("{}", messages::say!(crate::ERRORS, "report-not-understood", why = .0))]
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
    /// address (`?secret=`), `signature` the signature header if any,
    /// `received_at` when it came (for reports that carry no time).
    fn report(
        &self,
        body: &[u8],
        secret: Option<&str>,
        signature: Option<&str>,
        received_at: DateTime<Utc>,
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
    mac::to_hex(&mac::hmac_sha256(key, &[body]))
}

/// Whether `given` (hex) is the HMAC-SHA256 of `body` under `key`,
/// compared in constant time.
fn verify_hex(key: &[u8], body: &[u8], given: &str) -> bool {
    mac::from_hex(given).is_some_and(|bytes| mac::verify_hmac_sha256(key, &[body], &bytes))
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
    if mac::same_bytes(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(ReportError::Forged)
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
    fn hmac_hex_checks_in_constant_time_and_reads_only_hex() {
        let m = hmac_hex(b"k", b"body");
        assert!(verify_hex(b"k", b"body", &m));
        assert!(!verify_hex(b"k", b"other", &m));
        assert!(!verify_hex(b"k", b"body", "not hex"));
        assert!(same_secret("s", Some("s")).is_ok());
        assert_eq!(same_secret("s", Some("t")), Err(ReportError::Forged));
        assert_eq!(same_secret("s", None), Err(ReportError::Forged));
    }
}

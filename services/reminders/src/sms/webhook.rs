//! The generic JSON provider: any gateway a city runs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::{
    Lookup, Report, ReportError, SendError, Sms, SmsProvider, exchange, exchange_ok, refusal,
    status_word, unacknowledged, verify_hex,
};

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
        _received_at: DateTime<Utc>,
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

#[cfg(test)]
mod tests {
    use super::super::hmac_hex;
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_900_000, 0).expect("time")
    }

    #[test]
    fn webhook_reports_need_the_right_signature() {
        let client = reqwest::Client::new();
        let p = Webhook::new(client, "http://127.0.0.1:1/sms", "s3cret");
        let body = br#"{"id":"m1","status":"delivered","at":"2026-12-01T10:00:00Z"}"#;
        let good = format!("sha256={}", hmac_hex(b"s3cret", body));
        assert_eq!(
            p.report(body, None, Some(&good), at()).expect("report")[0].status,
            "delivered"
        );
        assert_eq!(
            p.report(body, None, Some("sha256=00"), at()),
            Err(ReportError::Forged)
        );
        assert_eq!(p.report(body, None, None, at()), Err(ReportError::Forged));
        let other = br#"{"id":"m1","status":"delivered","at":"2027-12-01T10:00:00Z"}"#;
        assert_eq!(
            p.report(other, None, Some(&good), at()),
            Err(ReportError::Forged)
        );
    }
}

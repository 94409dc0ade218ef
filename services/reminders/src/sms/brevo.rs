//! Brevo's transactional SMS.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{
    Lookup, Report, ReportError, SendError, Sms, SmsProvider, exchange_ok, same_secret,
    status_word, unacknowledged,
};

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
        _received_at: DateTime<Utc>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_900_000, 0).expect("time")
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
        let r = p
            .report(body, Some("hook-secret"), None, at())
            .expect("report");
        assert_eq!(r[0].message_id, "1511882900176220");
        assert_eq!(r[0].status, "delivered");
        assert_eq!(
            p.report(body, Some("guess"), None, at()),
            Err(ReportError::Forged)
        );
        assert!(matches!(
            p.report(b"<html>", Some("hook-secret"), None, at()),
            Err(ReportError::Malformed(_))
        ));
    }
}

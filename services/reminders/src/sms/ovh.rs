//! OVHcloud SMS.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::{
    Lookup, Report, ReportError, SendError, Sms, SmsProvider, exchange_ok, form_fields, hmac_hex,
    same_secret, unacknowledged,
};

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
    fn signed(
        &self,
        method: reqwest::Method,
        url: &str,
        body: &str,
        at: DateTime<Utc>,
    ) -> reqwest::RequestBuilder {
        use sha1::Digest as _;
        let timestamp = at.timestamp().to_string();
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
            exchange_ok(self.signed(reqwest::Method::POST, &url, &job.to_string(), sms.at)).await?;
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
        let (_, body) = exchange_ok(self.signed(reqwest::Method::GET, &url, "", sms.at)).await?;
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
        _received_at: DateTime<Utc>,
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

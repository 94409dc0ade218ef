//! Twilio's Programmable Messaging.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::Deserialize;

use super::{
    Lookup, Report, ReportError, SendError, Sms, SmsProvider, exchange, exchange_ok, form_fields,
    refusal, same_secret, status_word, unacknowledged,
};

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
        let since = (sms.at - chrono::Duration::days(2))
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
        received_at: DateTime<Utc>,
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
            at: received_at,
        }])
    }
}

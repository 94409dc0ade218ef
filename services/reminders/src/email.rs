//! Email over SMTP (lettre: a connection pool, STARTTLS, TLS, or plain on
//! loopback), each message with an iCalendar invitation (RFC 5546): a
//! stable UID per appointment, a SEQUENCE that grows with every change, and
//! `METHOD:CANCEL` / `STATUS:CANCELLED` when it is cancelled; plain text and
//! HTML bodies.
//!
//! SMTP cannot be asked whether it took a message: an attempt whose outcome
//! is unknown (the connection cut after the data was sent) is sent again,
//! with the same Message-ID (mail programs show one message for one id).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::sms::SendError;
use crate::texts::Kind;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// None: only for a server on this machine.
    Plain,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
    /// "Créneau <rdv@ville.fr>".
    pub from: String,
    pub timeout: Duration,
}

/// One email.
#[derive(Debug, Clone)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The invitation, and whether it cancels.
    pub calendar: Option<(String, bool)>,
    /// Stable across attempts: `<reminder id>@creneau`.
    pub message_id: String,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(s: &MailSettings) -> Result<Self, String> {
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| format!("from address {:?}: {e}", s.from))?;
        let builder = match s.security {
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|e| format!("SMTP server {}: {e}", s.host))?,
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|e| format!("SMTP server {}: {e}", s.host))?,
            Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(s.timeout))
            .pool_config(PoolConfig::new().max_size(8));
        if let (Some(u), Some(p)) = (&s.username, &s.password) {
            builder = builder.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(Mailer {
            transport: builder.build(),
            from,
        })
    }

    /// The sender, as written in the From header.
    pub fn from(&self) -> String {
        self.from.to_string()
    }

    /// Sends `email`: its Message-ID.
    pub async fn send(&self, email: &Email) -> Result<String, SendError> {
        let to: Mailbox = email.to.parse().map_err(|e| SendError::Permanent {
            error: format!("{:?} is not an email address: {e}", email.to),
            code: "invalid_address".into(),
        })?;
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(email.text.clone()))
            .singlepart(SinglePart::html(email.html.clone()));
        let body = match &email.calendar {
            Some((ics, cancels)) => {
                let method = if *cancels { "CANCEL" } else { "REQUEST" };
                let kind =
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))
                        .map_err(|e| SendError::Permanent {
                        error: format!("calendar part: {e}"),
                        code: "internal".into(),
                    })?;
                let invite = SinglePart::builder().header(kind.clone()).body(ics.clone());
                let attachment = lettre::message::Attachment::new("invitation.ics".into())
                    .body(ics.clone(), kind);
                MultiPart::mixed()
                    .multipart(alternative.singlepart(invite))
                    .singlepart(attachment)
            }
            None => alternative,
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(email.message_id.clone()))
            .multipart(body)
            .map_err(|e| SendError::Permanent {
                error: format!("the message cannot be built: {e}"),
                code: "internal".into(),
            })?;
        match self.transport.send(message).await {
            Ok(_) => Ok(email.message_id.clone()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent {
                error: format!("the mail server refused it: {e}"),
                code: e.status().map(|c| c.to_string()).unwrap_or_default(),
            }),
            Err(e) if e.is_transient() => Err(SendError::Transient {
                error: format!("the mail server asked to try later: {e}"),
                retry_after: None,
                uncertain: false,
            }),
            // A timeout or a cut connection: it may have been taken.
            Err(e) => Err(SendError::Transient {
                error: format!("the mail server could not be reached: {e}"),
                retry_after: None,
                uncertain: true,
            }),
        }
    }
}

/// Whether `text` is an address lettre can send from or to
/// ("Créneau <rdv@ville.fr>" or "rdv@ville.fr").
pub fn valid_address(text: &str) -> bool {
    text.parse::<Mailbox>().is_ok()
}

/// What the invitation says: the appointment, and who sends it to whom.
pub struct Invitation<'a> {
    pub appointment: contracts::ics::Appointment<'a>,
    pub organizer: &'a str,
    pub attendee: &'a str,
}

/// The invitation (`METHOD:REQUEST`) or its cancellation (`METHOD:CANCEL`).
pub fn invitation(kind: Kind, i: &Invitation<'_>) -> String {
    let cancels = kind == Kind::Cancelled;
    let organizer = i
        .organizer
        .rsplit_once('<')
        .map_or(i.organizer, |(_, a)| a.trim_end_matches('>'));
    contracts::ics::appointment(
        &i.appointment,
        if cancels { "CANCEL" } else { "REQUEST" },
        &[
            format!("ORGANIZER:mailto:{organizer}"),
            format!("ATTENDEE;RSVP=FALSE:mailto:{}", i.attendee),
        ],
        cancels,
    )
}

/// The HTML body: the plain text, escaped, one paragraph per line, the
/// link made a link.
pub fn html(text: &str, link: Option<&str>, rtl: bool) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut body = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut p = escape(line);
        if let Some(link) = link {
            let e = escape(link);
            p = p.replace(&e, &format!("<a href=\"{e}\">{e}</a>"));
        }
        body.push_str(&format!("<p>{p}</p>\n"));
    }
    format!(
        "<!doctype html>\n<html dir=\"{}\"><body style=\"font-family:sans-serif;font-size:16px;line-height:1.5\">\n{body}</body></html>\n",
        if rtl { "rtl" } else { "ltr" }
    )
}

#[async_trait::async_trait]
impl contracts::ports::MailOut for Mailer {
    async fn send_plain(&self, to: &str, subject: &str, text: &str) -> Result<(), String> {
        let email = Email {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: text.to_owned(),
            html: html(text, None, false),
            calendar: None,
            message_id: format!("{}@creneau", uuid::Uuid::now_v7().simple()),
        };
        self.send(&email)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invitation_keeps_its_uid_and_a_cancellation_says_so() {
        let i = Invitation {
            appointment: contracts::ics::Appointment {
                id: "0193",
                sequence: 2,
                starts_at: "2026-12-01T13:30:00Z".parse().expect("t"),
                ends_at: "2026-12-01T14:00:00Z".parse().expect("t"),
                summary: "Rendez-vous, Espace numérique",
                location: "12 rue des Tilleuls; Lyon",
                description: "Apportez vos codes CAF.",
                stamp: "2026-11-20T08:00:00Z".parse().expect("t"),
            },
            organizer: "Créneau <rdv@ville.example.fr>",
            attendee: "awa@example.fr",
        };
        let request = invitation(Kind::Reminder, &i);
        assert!(request.contains("METHOD:REQUEST\r\n"), "{request}");
        assert!(request.contains("UID:0193@creneau\r\n"));
        assert!(request.contains("SEQUENCE:2\r\n"));
        assert!(request.contains("DTSTART:20261201T133000Z\r\n"));
        assert!(request.contains("LOCATION:12 rue des Tilleuls\\; Lyon\r\n"));
        assert!(request.contains("ORGANIZER:mailto:rdv@ville.example.fr\r\n"));
        let cancel = invitation(Kind::Cancelled, &i);
        assert!(cancel.contains("METHOD:CANCEL\r\n") && cancel.contains("STATUS:CANCELLED\r\n"));
    }

    #[test]
    fn html_escapes_and_links() {
        let h = html(
            "Lieu : <b>\nLien : https://x.fr/r/a",
            Some("https://x.fr/r/a"),
            false,
        );
        assert!(h.contains("<p>Lieu : &lt;b&gt;</p>"), "{h}");
        assert!(
            h.contains("<a href=\"https://x.fr/r/a\">https://x.fr/r/a</a>"),
            "{h}"
        );
    }
}

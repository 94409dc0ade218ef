//! A staff member who forgot their password (or whose account is locked
//! for their address) asks for a link by email and chooses a new one.
//!
//! Nothing is stored: the link carries the account, its expiry and an HMAC
//! of both with a fingerprint of the current password hash, under a key
//! derived from the master key. Any process can check it; it stops working
//! after [`RESET_LIFETIME`] and as soon as the password changes (so it
//! works once). Offered only where an SMTP server is configured.

use std::sync::Arc;
use std::time::Duration;

use chrono::DateTime;
use contracts::StaffId;
use contracts::ports::MailOut;
use messages::Language;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::IdentityError;
use crate::secret;
use crate::service::Identity;
use api::Acting;

/// How long a reset link works.
pub const RESET_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The page a reset link opens, with `?jeton=<token>`.
pub const RESET_PAGE: &str = "/connexion/nouveau";

fn fingerprint(password_hash: Option<&str>) -> String {
    let digest = Sha256::digest(password_hash.unwrap_or_default().as_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn message(staff: StaffId, expires: i64, fingerprint: &str) -> String {
    format!("password reset|{staff}|{expires}|{fingerprint}")
}

/// What a link that cannot be used says (whatever the reason).
fn not_valid() -> String {
    messages::say!(crate::MESSAGES, "this-link-does-not-work")
}

impl Identity {
    /// Where reset links are sent from: the binary sets it when an SMTP
    /// server is configured.
    pub fn set_mail_out(&self, mail: Arc<dyn MailOut>) {
        let _ = self.inner.mail.set(mail);
    }

    /// Whether staff can ask for a reset link by email here.
    pub fn offers_password_resets(&self) -> bool {
        self.inner.mail.get().is_some()
    }

    /// Sends a reset link to the account with `email`, if there is one and
    /// it is not disabled, in `lang`. The answer is the same either way:
    /// it never says whether an account exists. Limited per address (an
    /// answer says so) and per account (silently).
    pub async fn request_password_reset(
        &self,
        email: &str,
        client: &str,
        lang: Language,
    ) -> Result<(), IdentityError> {
        let Some(mail) = self.inner.mail.get() else {
            return Err(IdentityError::Refused(messages::say!(
                crate::MESSAGES,
                "password-resets-by-email-are"
            )));
        };
        if let Err(wait) = self.inner.resets_per_ip.hit(client).await {
            return Err(IdentityError::too_many(
                messages::say!(crate::MESSAGES, "too-many-reset-links-were"),
                wait,
            ));
        }
        if email.len() > 254 {
            return Ok(());
        }
        let email = crate::directory::normalize_email(email);
        let Some(staff) = self.look_up(|d| d.staff_by_email(&email).cloned()).await? else {
            return Ok(());
        };
        if staff.disabled || self.inner.resets_per_account.hit(&email).await.is_err() {
            return Ok(());
        }
        let expires = (self.now()
            + chrono::Duration::from_std(RESET_LIFETIME).unwrap_or(chrono::Duration::minutes(30)))
        .timestamp();
        let mac = secret::sign(
            &self.inner.reset_key,
            &message(
                staff.id,
                expires,
                &fingerprint(staff.password_hash.as_deref()),
            ),
        );
        let link = format!(
            "{}{RESET_PAGE}?jeton={}.{expires}.{mac}",
            self.settings().public_url.trim_end_matches('/'),
            staff.id.0.simple()
        );
        let subject = crate::MESSAGES.say(lang, "reset-email-subject", &[]);
        let text = crate::MESSAGES.say(
            lang,
            "reset-email-body",
            &[
                ("name", staff.display_name.as_str().into()),
                ("link", link.as_str().into()),
            ],
        ) + "\n";
        // The caller learns nothing from a failure either: it is logged.
        if let Err(e) = mail.send_plain(&staff.email, &subject, &text).await {
            tracing::warn!(staff = %staff.id, error = %e, "a password reset email could not be sent");
        } else {
            tracing::info!(staff = %staff.id, "password reset link sent");
        }
        Ok(())
    }

    /// The account a reset token is for, if it still works.
    pub async fn reset_token_owner(&self, token: &str) -> Result<StaffId, IdentityError> {
        let invalid = || IdentityError::Invalid(not_valid());
        let mut parts = token.trim().splitn(3, '.');
        let (Some(id), Some(expires), Some(mac)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let id: StaffId = Uuid::parse_str(id).map(StaffId).map_err(|_| invalid())?;
        let expires: i64 = expires.parse().map_err(|_| invalid())?;
        if DateTime::from_timestamp(expires, 0).is_none_or(|at| at <= self.now()) {
            return Err(invalid());
        }
        let staff = self
            .look_up(|d| d.staff(id).cloned())
            .await?
            .filter(|s| !s.disabled)
            .ok_or_else(invalid)?;
        let signed = message(id, expires, &fingerprint(staff.password_hash.as_deref()));
        if !secret::verify(&self.inner.reset_key, &signed, mac) {
            return Err(invalid());
        }
        Ok(id)
    }

    /// Sets a new password with a reset token: the account's sessions and
    /// API tokens end, every lock on it is lifted, the link stops working.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: String,
        correlation: Uuid,
    ) -> Result<(), IdentityError> {
        let id = self.reset_token_owner(token).await?;
        let acting = Acting::new(eventlog::Actor::Staff(id.0), correlation, self.now());
        self.set_password(&acting, id, Some(new_password)).await?;
        tracing::info!(staff = %id, "password reset by email link");
        Ok(())
    }
}

//! Residents' manage links: a resident has no account; the link sent with
//! their appointment lets them see, cancel or move that appointment and
//! nothing else. The token carries 128 random bits (22 characters, short
//! enough for a one-segment SMS); the log keeps only its
//! SHA-256, in a `ManageLinkIssued` event that the appointments service
//! appends to the appointment's own stream when it books.

use chrono::{DateTime, Utc};
use contracts::proto::identity::v1 as ev;
use contracts::{AppointmentId, ResidentId};

use crate::error::IdentityError;
use crate::secret;
use crate::service::Identity;

/// A new link: the token to send (once), and the event that records it.
#[derive(Debug, Clone)]
pub struct NewLink {
    pub token: String,
    pub event: ev::ManageLinkIssued,
}

/// What a valid link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAccess {
    pub appointment_id: AppointmentId,
    pub resident_id: ResidentId,
    pub expires_at: DateTime<Utc>,
}

/// Characters of a manage link's token.
pub const LINK_TOKEN_LEN: usize = 22;

const NOT_VALID: &str = "this link is not valid: check that the whole address from your SMS or email was copied, or call the help desk";

/// A link for `appointment`, valid until `expires_at` (the end of the
/// appointment).
pub fn new_link(
    appointment: AppointmentId,
    resident: ResidentId,
    expires_at: DateTime<Utc>,
) -> Result<NewLink, IdentityError> {
    let token = secret::link_token()?;
    Ok(NewLink {
        event: ev::ManageLinkIssued {
            appointment_id: appointment.to_string(),
            resident_id: resident.to_string(),
            token_sha256: secret::token_hash(&token).to_vec(),
            expires_at: expires_at.to_rfc3339(),
            token: None,
        },
        token,
    })
}

/// The event that ends a link early (a new one replaced it).
pub fn revoke_link(appointment: AppointmentId, token: &str) -> ev::ManageLinkRevoked {
    ev::ManageLinkRevoked {
        appointment_id: appointment.to_string(),
        token_sha256: secret::token_hash(token).to_vec(),
    }
}

impl Identity {
    /// What `token` opens, for a caller at `client` (an IP address). Failed
    /// look-ups are rate-limited per address, so tokens cannot be guessed
    /// by trying (they could not anyway: 2^128).
    pub async fn resolve_link(
        &self,
        token: &str,
        client: &str,
    ) -> Result<LinkAccess, IdentityError> {
        let malformed = token.len() != LINK_TOKEN_LEN
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let found = if malformed {
            None
        } else {
            let hash = secret::token_hash(token);
            self.look_up(|d| d.link(&hash).cloned()).await?
        };
        let Some(link) = found else {
            if let Err(wait) = self.inner.links_per_ip.hit(client).await {
                return Err(IdentityError::too_many(
                    messages::say!(crate::MESSAGES, "too-many-wrong-links-from"),
                    wait,
                ));
            }
            return Err(IdentityError::NotFound(NOT_VALID.into()));
        };
        if link.revoked {
            return Err(IdentityError::NotFound(messages::say!(
                crate::MESSAGES,
                "this-link-no-longer-works"
            )));
        }
        if link.expires_at <= self.now() {
            return Err(IdentityError::NotFound(messages::say!(
                crate::MESSAGES,
                "this-link-has-expired-appointment"
            )));
        }
        Ok(LinkAccess {
            appointment_id: link.appointment_id,
            resident_id: link.resident_id,
            expires_at: link.expires_at,
        })
    }

    /// The access `token` gives to `appointment`: a token for another
    /// appointment is refused exactly as an unknown one is.
    pub async fn link_for(
        &self,
        token: &str,
        appointment: AppointmentId,
        client: &str,
    ) -> Result<LinkAccess, IdentityError> {
        let access = self.resolve_link(token, client).await?;
        if access.appointment_id != appointment {
            return Err(IdentityError::NotFound(NOT_VALID.into()));
        }
        Ok(access)
    }
}

//! Opening residents' manage links (their shape and how one is made are in
//! `contracts::links`: appointments makes them when it books).

use chrono::{DateTime, Utc};
use contracts::links::LINK_TOKEN_LEN;
use contracts::proto::identity::v1 as ev;
use contracts::{AppointmentId, ResidentId};

use crate::error::IdentityError;
use crate::secret;
use crate::service::Identity;

/// What a valid link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkAccess {
    pub appointment_id: AppointmentId,
    pub resident_id: ResidentId,
    pub expires_at: DateTime<Utc>,
}

const NOT_VALID: &str = "this link is not valid: check that the whole address from your SMS or email was copied, or call the help desk";

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

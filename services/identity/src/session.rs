//! Signing in and out, and checking credentials on every request.
//!
//! A session is an event pair (`StaffSignedIn`, `StaffSignedOut`) and a
//! cookie `<session id>.<last seen, unix seconds>.<HMAC>`: the HMAC (under a
//! key derived from the master key) makes the cookie unforgeable, the log
//! makes it revocable, and the last-seen time, renewed at most once a
//! minute, ends it after inactivity without a write per request.

use api::{Authenticated, Authenticator, Credentials, Principal, SessionInfo};
use async_trait::async_trait;
use axum::http::HeaderValue;
use contracts::StaffId;
use contracts::proto::identity::v1 as ev;
use eventlog::{Actor, ExpectedVersion};
use uuid::Uuid;

use crate::directory::{StaffView, normalize_email};
use crate::error::IdentityError;
use crate::password;
use crate::secret;
use crate::service::{Identity, blocking};
use api::Acting;

/// A cookie's last-seen time is renewed when it is older than this.
const RENEW_AFTER: i64 = 60;

/// A successful sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub principal: Principal,
    /// The whole `Set-Cookie` value.
    pub set_cookie: HeaderValue,
}

const NOT_VALID: &str = "your session is not valid: sign in again";

/// The longest email an account may have (RFC 5321).
const MAX_EMAIL: usize = 254;
/// The longest password hashed: longer is no stronger, only slower.
const MAX_PASSWORD: usize = 1024;

fn principal_of(
    staff: &StaffView,
    session: Option<SessionInfo>,
    token_id: Option<Uuid>,
) -> Principal {
    Principal {
        staff_id: staff.id,
        display_name: staff.display_name.clone(),
        grants: staff.grants.iter().copied().collect(),
        session,
        token_id,
    }
}

impl Identity {
    /// The session cookie's name: `__Host-` prefixed over HTTPS.
    pub fn cookie_name(&self) -> &'static str {
        if self.settings().https {
            "__Host-creneau_session"
        } else {
            "creneau_session"
        }
    }

    fn csrf_for(&self, session: Uuid) -> String {
        secret::sign(&self.inner.cookie_key, &format!("csrf|{session}"))
    }

    fn make_cookie(&self, session: Uuid, last_seen: i64) -> Result<HeaderValue, IdentityError> {
        let body = format!("{}.{last_seen}", session.simple());
        let mac = secret::sign(&self.inner.cookie_key, &format!("session|{body}"));
        let secure = if self.settings().https {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{}={body}.{mac}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            self.cookie_name(),
            self.settings().session_idle.as_secs()
        ))
        .map_err(|e| IdentityError::Internal(format!("cookie: {e}")))
    }

    /// A `Set-Cookie` value that deletes the session cookie.
    pub fn expired_cookie(&self) -> HeaderValue {
        let secure = if self.settings().https {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}",
            self.cookie_name()
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// Signs in with email and password from `client` (an IP address).
    /// Unknown email and wrong password take the same time and get the
    /// same answer.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: &str,
        correlation_id: Uuid,
    ) -> Result<SignedIn, IdentityError> {
        if let Err(wait) = self.inner.sign_in_per_ip.hit(client).await {
            return Err(IdentityError::too_many(
                messages::say!(crate::MESSAGES, "too-many-sign-in-attempts"),
                wait,
            ));
        }
        // No account has a longer email, nor a password longer than this:
        // answered at once, as a wrong password, and never stored.
        if email.len() > MAX_EMAIL || password.len() > MAX_PASSWORD {
            return Err(IdentityError::WrongCredentials);
        }
        let email = normalize_email(email);
        // Failures count per account and address: wrong passwords from one
        // address never lock the account for another.
        if let Some(wait) = self.inner.lockout.locked(&email, client).await {
            return Err(IdentityError::too_many(
                messages::say!(
                    crate::MESSAGES,
                    "this-account-is-locked-for",
                    max_failures = self.inner.lockout.max_failures()
                ),
                wait,
            ));
        }
        let found = self.look_up(|d| d.staff_by_email(&email).cloned()).await?;
        let hash = found
            .as_ref()
            .and_then(|s| s.password_hash.clone())
            .unwrap_or_else(|| self.inner.decoy_hash.clone());
        let typed = password.to_owned();
        let matches = blocking(move || Ok(password::verify(&typed, &hash))).await?;
        let staff = match found {
            Some(staff) if matches => staff,
            _ => {
                if let Some(wait) = self.inner.lockout.failed(&email, client).await {
                    tracing::warn!(
                        "an account was locked for one address after repeated wrong passwords"
                    );
                    return Err(IdentityError::too_many(
                        messages::say!(
                            crate::MESSAGES,
                            "this-account-is-now-locked",
                            max_failures = self.inner.lockout.max_failures()
                        ),
                        wait,
                    ));
                }
                return Err(IdentityError::WrongCredentials);
            }
        };
        if staff.disabled {
            return Err(IdentityError::Refused(messages::say!(
                crate::MESSAGES,
                "this-account-is-disabled-ask"
            )));
        }
        self.inner.lockout.cleared(&email, client).await;
        let session = Uuid::now_v7();
        let acting = Acting::new(Actor::Staff(staff.id.0), correlation_id, self.now());
        let e = acting.event(&ev::StaffSignedIn {
            staff_id: staff.id.to_string(),
            session_id: session.to_string(),
        })?;
        self.append(&staff.id.stream(), ExpectedVersion::Any, vec![e])
            .await?;
        tracing::info!(staff = %staff.id, "signed in");
        let info = SessionInfo {
            session_id: session,
            csrf: self.csrf_for(session),
        };
        Ok(SignedIn {
            set_cookie: self.make_cookie(session, self.now().timestamp())?,
            principal: principal_of(&staff, Some(info), None),
        })
    }

    /// Ends a session.
    pub async fn sign_out(
        &self,
        acting: &Acting,
        staff: StaffId,
        session: Uuid,
        cause: &str,
    ) -> Result<(), IdentityError> {
        let e = acting.event(&ev::StaffSignedOut {
            staff_id: staff.to_string(),
            session_id: session.to_string(),
            cause: cause.to_owned(),
        })?;
        self.append(&staff.stream(), ExpectedVersion::Any, vec![e])
            .await
    }

    async fn check_session(&self, cookie: &str) -> Result<Authenticated, IdentityError> {
        let invalid = || IdentityError::NotSignedIn(NOT_VALID.into());
        let mut parts = cookie.splitn(3, '.');
        let (Some(id), Some(seen), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if !secret::verify(&self.inner.cookie_key, &format!("session|{id}.{seen}"), mac) {
            return Err(invalid());
        }
        let session: Uuid = id.parse().map_err(|_| invalid())?;
        let last_seen: i64 = seen.parse().map_err(|_| invalid())?;
        let (mut principal, disabled, view) = self
            .look_up(|d| {
                d.session(session).map(|(staff, view)| {
                    (
                        principal_of(staff, None, None),
                        staff.disabled,
                        view.clone(),
                    )
                })
            })
            .await?
            .ok_or_else(invalid)?;
        let now = self.now();
        let idle = i64::try_from(self.settings().session_idle.as_secs()).unwrap_or(i64::MAX);
        let max = chrono::Duration::from_std(self.settings().session_max)
            .unwrap_or(chrono::Duration::MAX);
        if !view.open || disabled {
            return Err(IdentityError::NotSignedIn(messages::say!(
                crate::MESSAGES,
                "your-session-was-ended-signed"
            )));
        }
        if now.timestamp() - last_seen > idle {
            return Err(IdentityError::NotSignedIn(messages::say!(
                crate::MESSAGES,
                "your-session-ended-after-minutes",
                minutes = idle / 60
            )));
        }
        if now - view.opened_at > max {
            return Err(IdentityError::NotSignedIn(messages::say!(
                crate::MESSAGES,
                "your-session-ended-hours-after",
                num_hours = max.num_hours()
            )));
        }
        principal.session = Some(SessionInfo {
            session_id: session,
            csrf: self.csrf_for(session),
        });
        let set_cookie = if now.timestamp() - last_seen >= RENEW_AFTER {
            Some(self.make_cookie(session, now.timestamp())?)
        } else {
            None
        };
        Ok(Authenticated {
            principal,
            set_cookie,
        })
    }

    async fn check_token(&self, token: &str) -> Result<Authenticated, IdentityError> {
        let refused =
            || IdentityError::NotSignedIn(messages::say!(crate::MESSAGES, "this-api-token-is-not"));
        let hash = secret::token_hash(token);
        let now = self.now();
        // A token older than the administrator's maximum stops working, even
        // one issued before the maximum was lowered.
        let oldest = now
            - chrono::Duration::days(i64::from(
                self.settings()
                    .token_max_days
                    .clamp(1, crate::staff::MAX_TOKEN_DAYS),
            ));
        let principal = self
            .look_up(|d| {
                d.token(&hash).and_then(|(staff, view)| {
                    let usable = !view.revoked
                        && !staff.disabled
                        && view.expires_at > now
                        && view.issued_at >= oldest;
                    usable.then(|| principal_of(staff, None, Some(view.token_id)))
                })
            })
            .await?
            .ok_or_else(refused)?;
        Ok(Authenticated {
            principal,
            set_cookie: None,
        })
    }
}

#[async_trait]
impl Authenticator for Identity {
    fn session_cookie(&self) -> &str {
        self.cookie_name()
    }

    async fn authenticate(
        &self,
        credentials: Credentials<'_>,
    ) -> Result<Authenticated, api::ApiError> {
        let checked = match credentials {
            Credentials::Session(cookie) => self.check_session(cookie).await,
            Credentials::Bearer(token) => self.check_token(token).await,
        };
        checked.map_err(api::ApiError::from)
    }
}

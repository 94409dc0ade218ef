//! Staff accounts: create, grant and revoke roles, set passwords, disable
//! and enable, API tokens. Each command decides from the account's current
//! state and appends to its `staff-<id>` stream at the version it decided
//! from.

use api::{Grant, role_name};
use chrono::{DateTime, Utc};
use contracts::proto::identity::v1 as ev;
use contracts::{Role, StaffId};
use eventlog::ExpectedVersion;
use uuid::Uuid;

use crate::directory::{Directory, StaffView, normalize_email};
use crate::error::IdentityError;
use crate::password;
use crate::secret;
use crate::service::{Identity, blocking};
use api::Acting;

/// A new account, as asked.
#[derive(Debug, Clone)]
pub struct NewStaff {
    pub email: String,
    pub display_name: String,
    /// `None`: a password is generated and returned once.
    pub password: Option<String>,
    pub grants: Vec<Grant>,
}

#[derive(Debug, Clone)]
pub struct CreatedStaff {
    pub staff_id: StaffId,
    /// The generated password, shown once, when none was given.
    pub generated_password: Option<String>,
}

/// An API token, shown once when issued.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token_id: Uuid,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Prefix of API tokens, so that a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = api::STAFF_TOKEN_PREFIX;
/// The longest [`crate::Settings::token_max_days`] may be.
pub const MAX_TOKEN_DAYS: u32 = 365;
/// A new token's life when its maker does not say.
pub const DEFAULT_TOKEN_DAYS: u32 = 90;
/// [`crate::Settings::token_max_days`] when the administrator does not say.
pub const DEFAULT_TOKEN_MAX_DAYS: u32 = 90;
const MAX_ACTIVE_TOKENS: usize = 20;

fn check_email(email: &str) -> Result<String, IdentityError> {
    contracts::email::parse_email(email)
        .map(|e| normalize_email(&e))
        .map_err(|e| IdentityError::Invalid(e.to_string()))
}

fn check_name(name: &str) -> Result<String, IdentityError> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 100 || name.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(messages::say!(
            crate::MESSAGES,
            "give-name-of-1-to"
        )));
    }
    Ok(name.to_owned())
}

fn staff_or_not_found(d: &Directory, id: StaffId) -> Result<StaffView, IdentityError> {
    d.staff(id).cloned().ok_or_else(|| {
        IdentityError::NotFound(messages::say!(
            crate::MESSAGES,
            "there-is-no-staff-account",
            id = id
        ))
    })
}

fn grant_event(id: StaffId, g: Grant) -> ev::StaffRoleGranted {
    ev::StaffRoleGranted {
        staff_id: id.to_string(),
        role: g.role.into(),
        site_id: g.site.map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn describe(g: Grant) -> String {
    match g.site {
        Some(site) => messages::say!(
            crate::MESSAGES,
            "at-site",
            role = role_name(g.role),
            site = site
        ),
        None => format!("{} at every site", role_name(g.role)),
    }
}

/// Whether `id` is the only enabled administrator of every site.
fn last_admin(d: &Directory, id: StaffId) -> bool {
    let admin = Grant {
        role: Role::Admin,
        site: None,
    };
    let others = d
        .all_staff()
        .into_iter()
        .any(|s| s.id != id && !s.disabled && s.grants.contains(&admin));
    !others
        && d.staff(id)
            .is_some_and(|s| !s.disabled && s.grants.contains(&admin))
}

async fn hash_password(password: String) -> Result<String, IdentityError> {
    password::check_policy(&password)?;
    blocking(move || password::hash(&password)).await
}

impl Identity {
    /// Creates an account with its password and first roles.
    pub async fn create_staff(
        &self,
        acting: &Acting,
        new: NewStaff,
    ) -> Result<CreatedStaff, IdentityError> {
        let email = check_email(&new.email)?;
        let display_name = check_name(&new.display_name)?;
        if new.grants.iter().any(|g| g.role == Role::Unspecified) {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "every-grant-needs-role"
            )));
        }
        let (password, generated) = match new.password {
            Some(p) => (p, None),
            None => {
                let p = password::generate()?;
                (p.clone(), Some(p))
            }
        };
        let hash = hash_password(password).await?;
        if self.directory().await?.staff_by_email(&email).is_some() {
            return Err(IdentityError::Conflict(messages::say!(
                crate::MESSAGES,
                "there-is-already-account-for",
                email = email
            )));
        }
        let id = StaffId::new();
        let vault = self.vault();
        let mut events = vec![
            acting.event(&ev::StaffAccountCreated {
                staff_id: id.to_string(),
                email: Some(vault.seal(id.0, &email).await?),
                display_name: Some(vault.seal(id.0, &display_name).await?),
            })?,
            acting.event(&ev::StaffPasswordSet {
                staff_id: id.to_string(),
                password_hash: Some(vault.seal(id.0, &hash).await?),
            })?,
        ];
        for g in &new.grants {
            events.push(acting.event(&grant_event(id, *g))?);
        }
        self.append(&id.stream(), ExpectedVersion::NoStream, events)
            .await?;
        tracing::info!(staff = %id, "staff account created");
        Ok(CreatedStaff {
            staff_id: id,
            generated_password: generated,
        })
    }

    /// Grants a role; granting one that is held already changes nothing.
    pub async fn grant_role(
        &self,
        acting: &Acting,
        id: StaffId,
        grant: Grant,
    ) -> Result<(), IdentityError> {
        if grant.role == Role::Unspecified {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "say-which-role-to-grant"
            )));
        }
        self.retrying(|| async {
            let staff = staff_or_not_found(&*self.directory().await?, id)?;
            if staff.grants.contains(&grant) {
                return Ok(());
            }
            let e = acting.event(&grant_event(id, grant))?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await
    }

    /// Takes a role back. The last administrator of every site keeps theirs.
    pub async fn revoke_role(
        &self,
        acting: &Acting,
        id: StaffId,
        grant: Grant,
    ) -> Result<(), IdentityError> {
        self.retrying(|| async {
            let d = self.directory().await?;
            let staff = staff_or_not_found(&d, id)?;
            if !staff.grants.contains(&grant) {
                return Err(IdentityError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "does-not-have-role",
                    display_name = staff.display_name,
                    role = describe(grant)
                )));
            }
            if grant.role == Role::Admin && grant.site.is_none() && last_admin(&d, id) {
                return Err(IdentityError::Refused(messages::say!(
                    crate::MESSAGES,
                    "this-is-last-administrator-make"
                )));
            }
            drop(d);
            let e = acting.event(&ev::StaffRoleRevoked {
                staff_id: id.to_string(),
                role: grant.role.into(),
                site_id: grant.site.map(|s| s.to_string()).unwrap_or_default(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await
    }

    /// Sets a new password (generated when `None`, and returned), ending
    /// the account's sessions.
    pub async fn set_password(
        &self,
        acting: &Acting,
        id: StaffId,
        password: Option<String>,
    ) -> Result<Option<String>, IdentityError> {
        let (password, generated) = match password {
            Some(p) => (p, None),
            None => {
                let p = password::generate()?;
                (p.clone(), Some(p))
            }
        };
        let hash = hash_password(password).await?;
        let sealed = self.vault().seal(id.0, &hash).await?;
        let email = self
            .retrying(|| async {
                let staff = staff_or_not_found(&*self.directory().await?, id)?;
                let e = acting.event(&ev::StaffPasswordSet {
                    staff_id: id.to_string(),
                    password_hash: Some(sealed.clone()),
                })?;
                self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                    .await?;
                Ok(staff.email)
            })
            .await?;
        // A new password unlocks the account from every address.
        self.inner.lockout.cleared_all(&email).await;
        Ok(generated)
    }

    /// Changes one's own password, after checking the current one.
    pub async fn change_own_password(
        &self,
        acting: &Acting,
        id: StaffId,
        current: String,
        new: String,
    ) -> Result<(), IdentityError> {
        let staff = staff_or_not_found(&*self.directory().await?, id)?;
        // Guesses of the current password through a signed-in session
        // count apart from sign-in failures.
        const FROM: &str = "own password change";
        if let Some(wait) = self.inner.lockout.locked(&staff.email, FROM).await {
            return Err(IdentityError::too_many(
                messages::say!(crate::MESSAGES, "too-many-wrong-passwords"),
                wait,
            ));
        }
        let hash = staff.password_hash.clone().unwrap_or_default();
        if !blocking(move || Ok(password::verify(&current, &hash))).await? {
            self.inner.lockout.failed(&staff.email, FROM).await;
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "current-password-is-wrong-type"
            )));
        }
        self.set_password(acting, id, Some(new)).await.map(|_| ())
    }

    /// Disables an account: it cannot sign in; its sessions and tokens stop.
    pub async fn disable_staff(
        &self,
        acting: &Acting,
        id: StaffId,
        reason: &str,
    ) -> Result<(), IdentityError> {
        self.retrying(|| async {
            let d = self.directory().await?;
            let staff = staff_or_not_found(&d, id)?;
            if staff.disabled {
                return Ok(());
            }
            if last_admin(&d, id) {
                return Err(IdentityError::Refused(messages::say!(
                    crate::MESSAGES,
                    "this-is-last-administrator-make"
                )));
            }
            drop(d);
            let e = acting.event(&ev::StaffDisabled {
                staff_id: id.to_string(),
                reason: reason.trim().chars().take(200).collect(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await
    }

    pub async fn enable_staff(&self, acting: &Acting, id: StaffId) -> Result<(), IdentityError> {
        self.retrying(|| async {
            let staff = staff_or_not_found(&*self.directory().await?, id)?;
            if !staff.disabled {
                return Ok(());
            }
            let e = acting.event(&ev::StaffEnabled {
                staff_id: id.to_string(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await
    }

    /// Issues an API token for `id`, valid `days` days (at most the
    /// administrator's maximum). A token made with a token (`by_token`)
    /// ends no later than it.
    pub async fn issue_token(
        &self,
        acting: &Acting,
        id: StaffId,
        label: &str,
        days: Option<u32>,
        by_token: Option<Uuid>,
    ) -> Result<IssuedToken, IdentityError> {
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 80 {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "give-token-label-of-1"
            )));
        }
        let max = self.settings().token_max_days.clamp(1, MAX_TOKEN_DAYS);
        let days = days.unwrap_or(DEFAULT_TOKEN_DAYS.min(max));
        if !(1..=max).contains(&days) {
            return Err(IdentityError::Invalid(messages::say!(
                crate::MESSAGES,
                "token-lasts-1-to-days",
                max = max,
                days = days
            )));
        }
        let token = format!("{TOKEN_PREFIX}{}", secret::random_token()?);
        let token_id = Uuid::now_v7();
        let expires_at = self.now() + chrono::Duration::days(i64::from(days));
        self.retrying(|| async {
            let staff = staff_or_not_found(&*self.directory().await?, id)?;
            let now = self.now();
            if let Some(maker) = by_token.and_then(|t| staff.tokens.get(&t))
                && expires_at > maker.expires_at
            {
                return Err(IdentityError::Invalid(messages::say!(
                    crate::MESSAGES,
                    "token-cannot-make-token-that",
                    ends = maker.expires_at.format("%Y-%m-%d")
                )));
            }
            let active = staff
                .tokens
                .values()
                .filter(|t| !t.revoked && t.expires_at > now)
                .count();
            if active >= MAX_ACTIVE_TOKENS {
                return Err(IdentityError::Refused(messages::say!(
                    crate::MESSAGES,
                    "tokens-are-active-already-revoke",
                    active = active
                )));
            }
            let e = acting.event(&ev::ApiTokenIssued {
                staff_id: id.to_string(),
                token_id: token_id.to_string(),
                label: label.to_owned(),
                token_sha256: secret::token_hash(&token).to_vec(),
                expires_at: expires_at.to_rfc3339(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await?;
        Ok(IssuedToken {
            token_id,
            token,
            expires_at,
        })
    }

    /// Revokes token `token_id` of account `id`.
    pub async fn revoke_token(
        &self,
        acting: &Acting,
        id: StaffId,
        token_id: Uuid,
    ) -> Result<(), IdentityError> {
        self.retrying(|| async {
            let staff = staff_or_not_found(&*self.directory().await?, id)?;
            let Some(token) = staff.tokens.get(&token_id) else {
                return Err(IdentityError::NotFound(messages::say!(
                    crate::MESSAGES,
                    "there-is-no-token",
                    token_id = token_id
                )));
            };
            if token.revoked {
                return Ok(());
            }
            let e = acting.event(&ev::ApiTokenRevoked {
                staff_id: id.to_string(),
                token_id: token_id.to_string(),
            })?;
            self.append(&id.stream(), ExpectedVersion::Exact(staff.version), vec![e])
                .await
        })
        .await
    }

    /// Whose token `token_id` is.
    pub async fn token_owner(&self, token_id: Uuid) -> Result<Option<StaffId>, IdentityError> {
        Ok(self
            .directory()
            .await?
            .all_staff()
            .into_iter()
            .find(|s| s.tokens.contains_key(&token_id))
            .map(|s| s.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked_and_compared_in_lower_case() {
        // These assertions read the English messages.
        messages::set_default(messages::Language::En);
        assert_eq!(
            check_email(" Ana@Ville.FR ").expect("valid"),
            "ana@ville.fr"
        );
        for bad in ["ana", "ana@ville", "@ville.fr", "a na@ville.fr", "ana@.fr"] {
            let e = check_email(bad).unwrap_err().to_string();
            assert!(e.contains("name@example.fr"), "{bad}: {e}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(check_name("  Ana Martin ").expect("valid"), "Ana Martin");
        assert!(check_name("   ").is_err());
        assert!(check_name(&"x".repeat(101)).is_err());
    }
}

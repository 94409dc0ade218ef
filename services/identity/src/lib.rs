//! Identity and access: who staff are and what they may do, how residents
//! reach their own appointment without an account, and what happens to
//! personal data (erasure, retention, right of access, audit).
//!
//! - `service`: [`Identity`], the service's state, and [`Settings`].
//! - `directory`: the read model folded from the log (staff, sessions,
//!   tokens, residents, links), caught up before every use.
//! - `staff`: account commands (create, roles, passwords, disable, tokens).
//! - `session`: sign-in and sign-out, and the [`api::Authenticator`] that
//!   checks session cookies and bearer tokens.
//! - `resets`: a new password through a link sent by email.
//! - `links`: residents' manage links.
//! - `codes`: the 6-digit SMS code that confirms an online booking.
//! - `residents`: registration, merging, erasure, export, retention.
//! - `reads`: which residents staff may see (the sites that serve them),
//!   and the audit record of every read of their personal data.
//! - `audit`: who did what, from the log.
//! - `password`, `secret`: argon2id, tokens, HMAC.
//! - `http`: the routes, each declared with its access rule.
//!
//! Invariant: owns the `staff-*`, `resident-*` and `residentreads-*`
//! streams; reads the rest of the log only for links, activity, audit and
//! the sites that serve each resident (the site of their appointments).
//! Knows nothing of the calendar's or appointments' internals.

// The identity service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "identity", fr, en, ar);

mod audit;
mod codes;
mod directory;
mod error;
mod http;
mod links;
pub mod password;
mod reads;
mod resets;
mod residents;
mod secret;
mod service;
mod session;
mod staff;

pub use api::Acting;
pub use audit::{AuditEntry, Subject};
pub use codes::{CODE_LIFETIME, CodeChallenge, IssuedCode, MAX_ATTEMPTS};
pub use contracts::links::{LINK_TOKEN_LEN, NewLink, new_link};
pub use directory::{Directory, LinkView, ResidentView, StaffView, normalize_email, search_form};
pub use error::IdentityError;
pub use http::{role_names, routes};
pub use links::{LinkAccess, revoke_link};
pub use reads::{READS, ReadPurpose, ResidentSeen, SEARCH_LIMIT, scope_of};
pub use resets::{RESET_LIFETIME, RESET_PAGE};
pub use residents::{
    Erasure, ErasureCause, ExportedEvent, NewResident, ResidentDetails, ResidentExport,
    mentions_resident,
};
pub use service::{Identity, Settings};
pub use session::SignedIn;
pub use staff::{CreatedStaff, IssuedToken, MAX_TOKEN_DAYS, NewStaff, TOKEN_PREFIX};

//! What every Créneau HTTP API shares, so that each service's routes behave
//! alike and no route escapes the access rules.
//!
//! - `error`: [`ApiError`], the one error answer (JSON `{"error": code,
//!   "message", "field"?}`), and
//!   [`ApiJson`], a JSON extractor whose rejection is that answer.
//! - `access`: roles and grants, the [`Principal`] a request acts as, the
//!   [`Need`] every route declares, [`Routes`] (a router that records those
//!   declarations) and the [`authorize`] middleware that enforces them,
//!   with CSRF and origin checks for cookie sessions.
//! - `correlation`: the [`CorrelationId`] and the time ([`Now`]) every
//!   request carries.
//! - `headers`: security headers on every answer.
//! - `signing`: HMAC-SHA256 signatures ([`sign`], [`verify`]).
//! - `openapi`: the OpenAPI document, generated from the route table.
//! - `limits`: rate limits and lockouts, in memory.
//! - `lease`: [`Lease`], work that must happen once among processes, under
//!   a lease kept in the log.
//! - `i18n`: the request's language (the pages' choice, or the API
//!   caller's `Accept-Language`), in which every message is said.
//!
//! Invariant: nothing here knows how staff are stored or how a password is
//! checked; that is behind the [`Authenticator`] trait (the identity
//! service implements it).

// The api service's messages (`messages/fr.ftl`, `messages/en.ftl`):
// every refusal it answers says it in the caller's language.
messages::catalogue!(MESSAGES, "api", fr, en, ar);

mod access;
mod correlation;
mod error;
mod headers;
pub mod i18n;
mod lease;
mod limits;
mod openapi;
mod signing;

pub use access::{
    AccessPolicy, Authenticated, Authenticator, CSRF_HEADER, Credentials, Door, FRONT_DESK, Grant,
    MaybeStaff, Need, Principal, Routes, Rule, STAFF_TOKEN_PREFIX, Scope, SessionInfo, Twin, Verb,
    authorize, cookie, safe_return, same_secret, url_encode,
};
/// Who acts, in which correlation: in `contracts`, where the ports take it.
pub use contracts::Acting;
/// Roles are named in `contracts`, where services that are not HTTP read
/// them too.
pub use contracts::{parse_role, role_name};
pub use correlation::{CORRELATION_HEADER, CorrelationId, Now};
pub use error::{
    ApiError, ApiJson, ApiQuery, ErrorBody, MAX_BODY, chain, json_body, path_id, too_large,
    uniform_errors,
};
pub use headers::security_headers;
pub use lease::{Holder, Lease, LeaseError, holder_of};
pub use limits::{
    Claims, ClientIp, Lockout, MAX_KEYS, RateLimiter, client_ip, try_again, wait_words,
};
pub use openapi::{Body, Doc, openapi};
pub use signing::{sign, verify};

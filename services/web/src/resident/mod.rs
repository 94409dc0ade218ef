//! Residents: book in four steps (where, why, when, who), one question per
//! screen, then see, move or cancel from the link in the SMS.
//!
//! `choose`: where, why, when; `who`: who comes, the SMS code, the
//! booking; `manage`: the link from the SMS; `workshops`: the workshop
//! sessions and their places, whose "sign up" leads to `who`. Shared helpers stay here.

use std::collections::BTreeMap;

use api::ApiError;
use appointments::{AppointmentError, Available, BookRequest, Booker, Booking};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDate, NaiveDateTime, Utc};
use contracts::{AppointmentId, PhoneNumber, Reason, SiteId};
use maud::{Markup, html};
use serde::Deserialize;

use crate::Web;
use crate::forms::{self, FORM_COOKIE, TokenCheck};
use crate::layout::{Ctx, Page, failure, map_link, says, see_other, when};
use crate::text::{pictogram, reason_label};

mod choose;
mod manage;
mod waiting;
mod who;
mod workshops;

pub use choose::*;
pub use manage::*;
pub use waiting::*;
pub use who::*;
pub use workshops::*;

/// How far ahead residents see free times.
const DAYS_AHEAD: u64 = 28;

/// How many of the earliest free times come first.
const EARLIEST: usize = 6;

/// The longest name part a form takes.
const MAX_NAME: usize = 100;

const MAX_EMAIL: usize = 200;

/// How a time travels in an address: local Paris time.
const START_FORMAT: &str = "%Y-%m-%dT%H:%M";

fn step(ctx: &Ctx, n: u32) -> Markup {
    html! { p.step { (ctx.w.step(n)) } }
}

fn back(ctx: &Ctx, to: &str) -> Markup {
    let arrow = if ctx.w.dir == "rtl" { "→ " } else { "← " };
    html! { p { a href=(to) { (arrow) (ctx.w.back) } } }
}

async fn site(web: &Web, raw: &str) -> Result<calendar::SiteView, ApiError> {
    let not_found =
        || ApiError::NotFound(messages::say!(crate::ERRORS, "there-is-no-site", raw = raw));
    let id: SiteId = raw.parse().map_err(|_| not_found())?;
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    model.sites.get(&id).cloned().ok_or_else(not_found)
}

fn reason(raw: &str) -> Result<Reason, ApiError> {
    Reason::from_code(raw).ok_or_else(|| ApiError::NotFound(format!("there is no reason {raw}")))
}

fn start_text(a: &Available) -> String {
    a.start.naive_local().format(START_FORMAT).to_string()
}

/// Free times at `site` for `reason` over the next `days`, earliest first.
async fn free_times_within(
    web: &Web,
    site: SiteId,
    reason: Reason,
    days: u64,
) -> Result<Vec<Available>, ApiError> {
    let now = web.now();
    Ok(web
        .inner
        .appointments
        .availability(
            Some(site),
            reason,
            contracts::time::local_date(now),
            days,
            now,
        )
        .await?)
}

/// Free times at `site` for `reason`, earliest first.
async fn free_times(web: &Web, site: SiteId, reason: Reason) -> Result<Vec<Available>, ApiError> {
    free_times_within(web, site, reason, DAYS_AHEAD).await
}

/// The next free time at `site`: most sites have one within the week, so
/// the week is read first and the four weeks only when it has none.
async fn next_free(web: &Web, site: SiteId) -> Result<Option<Available>, ApiError> {
    for days in [7, DAYS_AHEAD] {
        if let Some(first) = free_times_within(web, site, Reason::ProcedureOther, days)
            .await?
            .into_iter()
            .next()
        {
            return Ok(Some(first));
        }
    }
    Ok(None)
}

/// Who books from a page: front-desk staff of `site` on the resident's
/// behalf, or the resident from their address.
fn page_booker(ctx: &Ctx, site: SiteId) -> Result<Booker, ApiError> {
    Ok(match &ctx.staff {
        Some(p) => {
            p.require(api::FRONT_DESK, Some(site))?;
            Booker::Staff {
                acting: p.acting(ctx.correlation, ctx.now),
                override_reason: None,
            }
        }
        None => Booker::Resident {
            client: ctx.client.clone(),
        },
    })
}

/// The token of a form: a staff member's session token, else a resident's
/// form token (see [`public_form_token`]).
fn form_token(web: &Web, ctx: &Ctx) -> (String, Option<axum::http::HeaderValue>) {
    match ctx.staff.as_ref().and_then(|p| p.session.as_ref()) {
        Some(session) => (session.csrf.clone(), None),
        None if ctx.staff.is_some() => (String::new(), None),
        None => public_form_token(web, ctx),
    }
}

/// The token of a form shown to someone without a session (a resident,
/// the sign-in page), and the cookie to set when the browser had none to
/// bind it to.
pub(crate) fn public_form_token(web: &Web, ctx: &Ctx) -> (String, Option<axum::http::HeaderValue>) {
    let now = web.now();
    match &ctx.browser {
        Some(b) => (web.inner.forms.token(b, now), None),
        None => {
            let b = forms::new_browser_value();
            let cookie = forms::set_cookie(
                FORM_COOKIE,
                &b,
                forms::FORM_TOKEN_HOURS * 3600 * 6,
                web.inner.secure_cookies,
            );
            (web.inner.forms.token(&b, now), Some(cookie))
        }
    }
}

/// Whether a resident's form came from this browser lately; staff forms
/// were checked by the access layer already.
fn form_is_fresh(web: &Web, ctx: &Ctx, pairs: &[(String, String)]) -> bool {
    ctx.staff.is_some()
        || web.inner.forms.check(
            ctx.browser.as_deref(),
            forms::field(pairs, "csrf"),
            web.now(),
        ) == TokenCheck::Good
}

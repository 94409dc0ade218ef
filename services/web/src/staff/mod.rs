//! Staff pages: sign-in; reception (find a resident by phone or name, move,
//! cancel, book on their behalf, SMS to call back about); mediators (today's
//! permanences, check-in, the live drop-in queue, a visit's requests, the
//! printable day sheet); coordinators (the statistics). In French, or
//! English when chosen; every action is a form that works from the
//! keyboard and without script.
//!
//! One file per audience's flow: `sign_in`, `reception`, `day` (the
//! mediators' permanences and queue), `visits`, `figures` (statistics).

use api::{ApiError, FRONT_DESK, Principal};
use appointments::{AppointmentError, Available, Booking, Stage, Ticket, TicketState};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use contracts::proto::appointments::v1 as ev;
use contracts::{AppointmentId, Language, Reason, Role, SiteId};
use identity::ReadPurpose;
use maud::{Markup, html};
use serde::Deserialize;

use crate::Web;
use crate::forms::{self, TokenCheck};
use crate::layout::{
    Ctx, Page, Refusal, csrf_field, failure, phone_words, refusal_top, says, see_other,
    staff_input, staff_language, url_encode, when,
};
use crate::text::reason_label;

use crate::layout::{t, t_with};
use crate::resident::DayQuery;

mod agenda;
mod day;
mod figures;
mod reception;
mod sign_in;
mod visits;
mod waiting;
mod webhooks;

pub use agenda::*;
pub use day::*;
pub use figures::*;
pub use reception::*;
pub use sign_in::*;
pub use visits::*;
pub use waiting::*;
pub use webhooks::*;

/// Staff see reasons in French or English.
fn reason_words(ctx: &Ctx, r: Reason) -> &'static str {
    reason_label(
        if ctx.lang == Language::En {
            Language::En
        } else {
            Language::Fr
        },
        r,
    )
}

/// A time of day, written as every page and message writes times.
fn hm(ctx: &Ctx, at: DateTime<Utc>) -> String {
    reminders::texts::time(ctx.lang, contracts::time::to_local(at).time())
}

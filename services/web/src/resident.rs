//! Residents: book in four steps (where, why, when, who), one question per
//! screen, then see, move or cancel from the link in the SMS.

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
use crate::text::{fill, pictogram, reason_label};

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
    html! { p.step { (fill(ctx.w.step, &[&n.to_string()])) } }
}

fn back(ctx: &Ctx, to: &str) -> Markup {
    let arrow = if ctx.w.dir == "rtl" { "→ " } else { "← " };
    html! { p { a href=(to) { (arrow) (ctx.w.back) } } }
}

async fn site(web: &Web, raw: &str) -> Result<calendar::SiteView, ApiError> {
    let not_found = || ApiError::NotFound(format!("there is no site {raw}"));
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

/// Step 1: where. Every open site, its address, a map and its next free
/// time.
pub async fn sites_page(State(web): State<Web>, ctx: Ctx) -> Response {
    match sites(&web, &ctx).await {
        Ok(page) => page.render(&ctx),
        Err(e) => failure(&ctx, &e),
    }
}

async fn sites(web: &Web, ctx: &Ctx) -> Result<Page, ApiError> {
    let w = ctx.w;
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let mut sites: Vec<&calendar::SiteView> = model.sites.values().collect();
    sites.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    let mut next = BTreeMap::new();
    for s in &sites {
        if s.details.open {
            next.insert(s.id, next_free(web, s.id).await?);
        }
    }
    let body = html! {
        h1 { (w.book_title) }
        p { (w.book_intro) }
        (step(ctx, 1))
        h2 { (w.where_q) }
        ul.choices {
            @for s in &sites {
                li {
                    @if s.details.open {
                        a.choice href={ "/rdv/" (s.id) } {
                            strong { bdi { (s.details.name) } }
                            span { bdi { (s.details.address) } }
                            br;
                            @match next.get(&s.id).and_then(Option::as_ref) {
                                Some(a) => span { (fill(w.next_free, &[&when(ctx, a.start.to_utc())])) },
                                None => span { (w.no_free) },
                            }
                        }
                        @if !s.details.address.is_empty() {
                            p { a href=(map_link(&s.details.address)) rel="noreferrer" { (w.map) " — " bdi { (s.details.name) } } }
                        }
                    } @else {
                        div.choice aria-disabled="true" {
                            strong { (s.details.name) }
                            span { (w.closed_now) }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(w.book_title, body))
}

/// Step 2: why. Big buttons, a pictogram and a few words each.
pub async fn reasons_page(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    let site = match site(&web, &raw).await {
        Ok(s) => s,
        Err(e) => return failure(&ctx, &e),
    };
    let w = ctx.w;
    let body = html! {
        (back(&ctx, "/"))
        (step(&ctx, 2))
        h1 { (w.why_q) }
        p { (site.details.name) }
        ul.choices.reasons {
            @for r in Reason::ALL {
                li {
                    a.choice href={ "/rdv/" (site.id) "/" (r.code()) } {
                        span.picto aria-hidden="true" { (pictogram(r)) }
                        strong { (reason_label(ctx.lang, r)) }
                    }
                }
            }
        }
    };
    Page::new(w.why_q, body).render(&ctx)
}

/// `?jour=2026-12-01`: the day a time picker shows.
#[derive(Deserialize)]
pub struct DayQuery {
    jour: Option<String>,
}

impl DayQuery {
    /// The day asked for; none (or one that is not a date) shows the
    /// earliest times.
    pub fn day(&self) -> Option<NaiveDate> {
        self.jour.as_deref().and_then(|d| d.parse().ok())
    }
}

/// The earliest free times, then every day that has one, then the times of
/// the chosen day; `link` makes each time's link or button.
fn time_picker(
    ctx: &Ctx,
    times: &[Available],
    day: Option<NaiveDate>,
    here: &str,
    link: &dyn Fn(&Available) -> Markup,
) -> Markup {
    let w = ctx.w;
    let mut days: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for a in times {
        *days.entry(a.start.date_naive()).or_default() += 1;
    }
    let on_day: Vec<&Available> = day
        .map(|d| times.iter().filter(|a| a.start.date_naive() == d).collect())
        .unwrap_or_default();
    html! {
        @if times.is_empty() {
            p.alert { (w.no_free) }
        } @else {
            @if let Some(d) = day {
                h2 id="jour" { (fill(w.times_on, &[&day_words(ctx, d)])) }
                @if on_day.is_empty() {
                    p { (w.none_that_day) }
                } @else {
                    ul.times { @for a in &on_day { li { (link(a)) } } }
                }
            } @else {
                h2 { (w.earliest) }
                ul.times { @for a in times.iter().take(EARLIEST) { li { (link(a)) } } }
            }
            h2 { (w.other_day) }
            ul.times {
                @for (d, n) in &days {
                    li {
                        a href={ (here) "?jour=" (d) "#jour" } aria-current=[(Some(*d) == day).then_some("date")] {
                            (day_words(ctx, *d))
                            span.hint { (fill(w.free_count, &[&n.to_string()])) }
                        }
                    }
                }
            }
        }
    }
}

fn day_words(ctx: &Ctx, d: NaiveDate) -> String {
    reminders::texts::day(ctx.lang, d)
}

fn time_words(a: &Available) -> String {
    a.start.format("%H:%M").to_string()
}

/// Step 3: when.
pub async fn times_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw_site, raw_reason)): Path<(String, String)>,
    Query(q): Query<DayQuery>,
) -> Response {
    let found = async {
        let site = site(&web, &raw_site).await?;
        let reason = reason(&raw_reason)?;
        let times: Vec<Available> = free_times(&web, site.id, reason).await?;
        Ok::<_, ApiError>((site, reason, times))
    }
    .await;
    let (site, reason, times) = match found {
        Ok(f) => f,
        Err(e) => return failure(&ctx, &e),
    };
    let day = q.day();
    let w = ctx.w;
    let here = format!("/rdv/{}/{}", site.id, reason.code());
    let link = |a: &Available| {
        html! { a href={ (here) "/" (start_text(a)) } { (time_words(a)) @if day.is_none() { " · " (day_words(&ctx, a.start.date_naive())) } } }
    };
    let body = html! {
        (back(&ctx, &format!("/rdv/{}", site.id)))
        (step(&ctx, 3))
        h1 { (w.when_q) }
        p { (site.details.name) " · " (reason_label(ctx.lang, reason)) }
        (time_picker(&ctx, &times, day, &here, &link))
    };
    Page::new(w.when_q, body).render(&ctx)
}

/// What the "who" form holds.
#[derive(Default, Clone)]
struct Who {
    first_name: String,
    last_name: String,
    phone: String,
    email: String,
    sms: bool,
    code: String,
    challenge: String,
}

impl Who {
    fn read(pairs: &[(String, String)]) -> Who {
        let f = |n| forms::field(pairs, n).to_owned();
        Who {
            first_name: f("first_name"),
            last_name: f("last_name"),
            phone: f("phone"),
            email: f("email"),
            sms: forms::field(pairs, "sms") == "yes",
            code: f("code"),
            challenge: f("challenge"),
        }
    }

    /// Each field's problem, in the resident's words.
    fn problems(&self, ctx: &Ctx) -> BTreeMap<&'static str, String> {
        let w = ctx.w;
        let mut p = BTreeMap::new();
        let too_long = |max: usize| fill(w.err_too_long, &[&max.to_string()]);
        if self.first_name.is_empty() {
            p.insert("first_name", w.err_first_name.to_owned());
        } else if self.first_name.chars().count() > MAX_NAME {
            p.insert("first_name", too_long(MAX_NAME));
        }
        if self.last_name.is_empty() {
            p.insert("last_name", w.err_last_name.to_owned());
        } else if self.last_name.chars().count() > MAX_NAME {
            p.insert("last_name", too_long(MAX_NAME));
        }
        if PhoneNumber::parse(&self.phone).is_err() {
            p.insert("phone", w.err_phone.to_owned());
        }
        if self.email.chars().count() > MAX_EMAIL {
            p.insert("email", too_long(MAX_EMAIL));
        } else if !self.email.is_empty() && contracts::email::parse_email(&self.email).is_err() {
            p.insert("email", w.err_email.to_owned());
        }
        p
    }

    fn hidden(&self) -> Markup {
        html! {
            input type="hidden" name="first_name" value=(self.first_name);
            input type="hidden" name="last_name" value=(self.last_name);
            input type="hidden" name="phone" value=(self.phone);
            input type="hidden" name="email" value=(self.email);
            @if self.sms { input type="hidden" name="sms" value="yes"; }
        }
    }
}

/// One labelled field, its hint and its error, tied together for screen
/// readers.
fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    hint: Option<&str>,
    problems: &BTreeMap<&'static str, String>,
) -> Markup {
    let error = problems.get(name);
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{name}-hint {name}-error")),
        (true, false) => Some(format!("{name}-hint")),
        (false, true) => Some(format!("{name}-error")),
        (false, false) => None,
    };
    html! {
        label for=(name) {
            (label)
            @if let Some(h) = hint { span.hint id={ (name) "-hint" } { (h) } }
        }
        @if let Some(e) = error { p.error id={ (name) "-error" } { (e) } }
        // Numbers and addresses are typed left to right, in Arabic too.
        input type=(kind) id=(name) name=(name) value=(value) autocomplete=(autocomplete)
            dir=[matches!(kind, "tel" | "email").then_some("ltr")]
            aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
    }
}

struct Chosen {
    site: calendar::SiteView,
    reason: Reason,
    start: NaiveDateTime,
}

async fn chosen(
    web: &Web,
    raw_site: &str,
    raw_reason: &str,
    raw_start: &str,
) -> Result<Chosen, ApiError> {
    let site = site(web, raw_site).await?;
    let reason = reason(raw_reason)?;
    let start = NaiveDateTime::parse_from_str(raw_start, START_FORMAT)
        .map_err(|_| ApiError::NotFound(format!("{raw_start:?} is not a time")))?;
    Ok(Chosen {
        site,
        reason,
        start,
    })
}

fn summary(
    ctx: &Ctx,
    site: &calendar::SiteView,
    reason: Reason,
    at: chrono::DateTime<Utc>,
) -> Markup {
    let w = ctx.w;
    html! {
        dl.summary {
            dt { (w.date_time) } dd { strong { (when(ctx, at)) } }
            dt { (w.place) } dd { bdi { (site.details.name) } }
            @if !site.details.address.is_empty() {
                dt { (w.address) } dd { bdi { (site.details.address) } " · " a href=(map_link(&site.details.address)) rel="noreferrer" { (w.map) } }
            }
            dt { (w.reason) } dd { (reason_label(ctx.lang, reason)) }
            @if let Some(h) = reminders::texts::hint(ctx.lang, reason) {
                dt { (w.bring) } dd { (h) }
            }
        }
    }
}

fn who_form(
    web: &Web,
    ctx: &Ctx,
    c: &Chosen,
    who: &Who,
    problems: &BTreeMap<&'static str, String>,
    top: Option<String>,
    status: StatusCode,
) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let at = contracts::time::to_utc(c.start).unwrap_or_else(|_| web.now());
    let action = format!(
        "/rdv/{}/{}/{}",
        c.site.id,
        c.reason.code(),
        c.start.format(START_FORMAT)
    );
    let body = html! {
        (back(ctx, &format!("/rdv/{}/{}", c.site.id, c.reason.code())))
        (step(ctx, 4))
        h1 { (w.who_q) }
        (summary(ctx, &c.site, c.reason, at))
        @if let Some(t) = &top {
            div.alert role="alert" tabindex="-1" id="probleme" { p { (t) } }
        } @else if !problems.is_empty() {
            div.alert role="alert" { p { (w.err_fix) } }
        }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(token);
            (input("first_name", w.first_name, "text", &who.first_name, "given-name", None, problems))
            (input("last_name", w.last_name, "text", &who.last_name, "family-name", None, problems))
            (input("phone", w.mobile, "tel", &who.phone, "tel", Some(w.mobile_hint), problems))
            (input("email", w.email, "email", &who.email, "email", Some(w.email_hint), problems))
            label.check for="sms" {
                input type="checkbox" id="sms" name="sms" value="yes" checked[who.sms || who.phone.is_empty()];
                span { (w.sms_consent) }
            }
            button type="submit" { (w.confirm) }
        }
    };
    Page::new(w.who_q, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

/// Step 4: who. The form, with the chosen time summed up above it.
pub async fn who_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw_site, raw_reason, raw_start)): Path<(String, String, String)>,
) -> Response {
    match chosen(&web, &raw_site, &raw_reason, &raw_start).await {
        Ok(c) => who_form(
            &web,
            &ctx,
            &c,
            &Who::default(),
            &BTreeMap::new(),
            None,
            StatusCode::OK,
        ),
        Err(e) => failure(&ctx, &e),
    }
}

fn code_form(web: &Web, ctx: &Ctx, c: &Chosen, who: &Who, problem: Option<&str>) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let action = format!(
        "/rdv/{}/{}/{}",
        c.site.id,
        c.reason.code(),
        c.start.format(START_FORMAT)
    );
    let shown_phone =
        PhoneNumber::parse(&who.phone).map_or_else(|_| who.phone.clone(), |p| p.display_national());
    let errors: BTreeMap<&'static str, String> = problem
        .map(|p| ("code", p.to_owned()))
        .into_iter()
        .collect();
    let body = html! {
        (step(ctx, 4))
        h1 { (w.code_title) }
        p { (fill(w.code_sent, &[&shown_phone])) }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(token);
            (who.hidden())
            input type="hidden" name="challenge" value=(who.challenge);
            (input("code", w.code_label, "text", "", "one-time-code", None, &errors))
            button type="submit" { (w.confirm) }
        }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(token);
            (who.hidden())
            button.secondary type="submit" { (w.code_send_again) }
        }
    };
    Page::new(w.code_title, body)
        .status(if problem.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        })
        .cookie(cookie)
        .render(ctx)
}

/// The times offered instead of one just taken: each button books it with
/// the same answers.
fn taken_page(web: &Web, ctx: &Ctx, c: &Chosen, who: &Who, alternatives: &[Available]) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let body = html! {
        (step(ctx, 4))
        h1 { (w.err_taken) }
        @if alternatives.is_empty() {
            p.alert { (w.no_free) }
        }
        ul.times {
            @for a in alternatives {
                li {
                    form method="post" action={ "/rdv/" (c.site.id) "/" (c.reason.code()) "/" (start_text(a)) } {
                        input type="hidden" name="csrf" value=(token);
                        (who.hidden())
                        button type="submit" { (time_words(a)) " · " (day_words(ctx, a.start.date_naive())) }
                    }
                }
            }
        }
        p { a href={ "/rdv/" (c.site.id) "/" (c.reason.code()) } { (w.other_day) } }
    };
    Page::new(w.err_taken, body)
        .status(StatusCode::CONFLICT)
        .cookie(cookie)
        .render(ctx)
}

/// Sends the form: checks it, asks for the SMS code where the site wants
/// one, books, and goes to the appointment's page.
pub async fn book_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw_site, raw_reason, raw_start)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let c = match chosen(&web, &raw_site, &raw_reason, &raw_start).await {
        Ok(c) => c,
        Err(e) => return failure(&ctx, &e),
    };
    let pairs = forms::pairs(&body);
    let who = Who::read(&pairs);
    if !form_is_fresh(&web, &ctx, &pairs) {
        return who_form(
            &web,
            &ctx,
            &c,
            &who,
            &BTreeMap::new(),
            Some(ctx.w.err_expired.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let problems = who.problems(&ctx);
    if !problems.is_empty() {
        return who_form(
            &web,
            &ctx,
            &c,
            &who,
            &problems,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let Ok(start) = contracts::time::to_utc(c.start) else {
        return failure(
            &ctx,
            &ApiError::NotFound("this time does not exist in Paris".into()),
        );
    };
    let mut confirmation = None;
    if ctx.staff.is_none() && c.site.details.confirms_online_bookings_by_sms {
        if who.code.is_empty() || who.challenge.is_empty() {
            return send_code(&web, &ctx, &c, who).await;
        }
        match serde_json::from_str::<identity::CodeChallenge>(&who.challenge) {
            Ok(challenge) => confirmation = Some((challenge, who.code.clone())),
            Err(_) => return send_code(&web, &ctx, &c, who).await,
        }
    }
    let request = BookRequest {
        site: c.site.id,
        start,
        reason: c.reason,
        name: format!("{} {}", who.first_name, who.last_name),
        phone: who.phone.clone(),
        email: Some(who.email.clone()).filter(|e| !e.is_empty()),
        language: ctx.lang,
        note: None,
        confirmation,
        sms_consent: who.sms,
    };
    let booker = match &ctx.staff {
        Some(p) => {
            if let Err(e) = p.require(api::FRONT_DESK, Some(c.site.id)) {
                return failure(&ctx, &e);
            }
            Booker::Staff {
                acting: p.acting(ctx.correlation, ctx.now),
                override_reason: None,
            }
        }
        None => Booker::Resident {
            client: ctx.client.clone(),
        },
    };
    match web
        .inner
        .appointments
        .book(request, booker, web.now())
        .await
    {
        Ok(booked) => {
            if ctx.staff.is_some() {
                let phone = PhoneNumber::parse(&who.phone)
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                return see_other(&format!(
                    "/agents/accueil?q={}&fait=reserve",
                    crate::layout::url_encode(&phone)
                ));
            }
            let sms = if who.sms { "1" } else { "0" };
            see_other(&format!("/r/{}?nouveau={sms}", booked.token))
        }
        Err(AppointmentError::SlotTaken { alternatives }) => {
            taken_page(&web, &ctx, &c, &who, &alternatives)
        }
        Err(AppointmentError::AlreadyBooked(_)) => who_form(
            &web,
            &ctx,
            &c,
            &who,
            &BTreeMap::new(),
            Some(ctx.w.err_already.to_owned()),
            StatusCode::CONFLICT,
        ),
        Err(AppointmentError::Invalid { field, message }) if field.starts_with("confirmation") => {
            tracing::info!(%message, "a booking code was refused");
            let again = Who {
                code: String::new(),
                ..who
            };
            code_form(&web, &ctx, &c, &again, Some(ctx.w.err_code))
        }
        Err(AppointmentError::Invalid { field, message }) => {
            let e = ApiError::Invalid {
                field: field.to_owned(),
                message,
            };
            let mut problems = BTreeMap::new();
            let key = match field {
                "resident.phone" => Some("phone"),
                "resident.email" => Some("email"),
                "resident.name" => Some("last_name"),
                _ => None,
            };
            match key {
                Some(k) => {
                    problems.insert(k, says(&ctx, &e));
                    who_form(
                        &web,
                        &ctx,
                        &c,
                        &who,
                        &problems,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                }
                None => who_form(
                    &web,
                    &ctx,
                    &c,
                    &who,
                    &problems,
                    Some(format!("{} {}", ctx.w.err_other, says(&ctx, &e))),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            who_form(
                &web,
                &ctx,
                &c,
                &who,
                &BTreeMap::new(),
                Some(format!("{} {}", ctx.w.err_other, says(&ctx, &e))),
                e.status(),
            )
        }
    }
}

async fn send_code(web: &Web, ctx: &Ctx, c: &Chosen, who: Who) -> Response {
    match reminders::send_booking_code(
        &web.inner.reminders,
        c.site.id,
        &who.phone,
        ctx.lang,
        &ctx.client,
    )
    .await
    {
        Ok(challenge) => {
            let who = Who {
                challenge: serde_json::to_string(&challenge).unwrap_or_default(),
                code: String::new(),
                ..who
            };
            code_form(web, ctx, c, &who, None)
        }
        Err(e) => who_form(
            web,
            ctx,
            c,
            &who,
            &BTreeMap::new(),
            Some(says(ctx, &e)),
            e.status(),
        ),
    }
}

/// What the holder of a manage link may see.
struct Held {
    token: String,
    booking: Booking,
    site: calendar::SiteView,
}

async fn held(web: &Web, ctx: &Ctx, token: &str) -> Result<Held, ApiError> {
    let access = web
        .inner
        .identity
        .resolve_link(token, &ctx.client)
        .await
        .map_err(ApiError::from)?;
    let booking = web.inner.appointments.get(access.appointment_id).await?;
    let site = site(web, &booking.site.to_string()).await?;
    Ok(Held {
        token: token.to_owned(),
        booking,
        site,
    })
}

fn link_failure(ctx: &Ctx, e: &ApiError) -> Response {
    match e {
        ApiError::NotFound(_) | ApiError::Unauthorized(_) | ApiError::Forbidden(_) => {
            let w = ctx.w;
            Page::new(
                w.your_appointment,
                html! {
                    h1 { (w.your_appointment) }
                    p.alert role="alert" { (w.err_link) }
                    p { a href="/" { (w.book_title) } }
                },
            )
            .status(StatusCode::NOT_FOUND)
            .render(ctx)
        }
        _ => failure(ctx, e),
    }
}

#[derive(Deserialize)]
pub struct ManageQuery {
    nouveau: Option<String>,
    fait: Option<String>,
}

/// The page the SMS link opens: the appointment, how to move or cancel it.
/// Right after booking it is the confirmation.
pub async fn manage_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<ManageQuery>,
) -> Response {
    let h = match held(&web, &ctx, &token).await {
        Ok(h) => h,
        Err(e) => return link_failure(&ctx, &e),
    };
    let w = ctx.w;
    let (form, cookie) = form_token(&web, &ctx);
    let b = &h.booking;
    let over = b.ends_at <= web.now();
    let title = if q.nouveau.is_some() && !b.cancelled {
        w.booked_title
    } else {
        w.your_appointment
    };
    let body = html! {
        h1 { (title) }
        @if q.nouveau.is_some() && !b.cancelled {
            p.notice role="status" {
                @if q.nouveau.as_deref() == Some("0") { (w.booked_no_sms) } @else { (w.booked_sms) }
            }
        }
        @match q.fait.as_deref() {
            Some("deplace") => p.notice role="status" { (w.moved) },
            _ => {},
        }
        @if b.cancelled {
            p.alert role="status" { (w.cancelled) }
        } @else if over {
            p.notice { (w.past) }
        }
        (summary(&ctx, &h.site, b.reason, b.starts_at))
        p { (w.reference) " : " strong { (b.reference) } }
        @if !b.cancelled && !over {
            p { (w.how_to_cancel) }
            p { a.button.secondary href={ "/r/" (h.token) "/deplacer" } { (w.move_) } }
            details {
                summary { (w.cancel) }
                form method="post" action={ "/r/" (h.token) "/annuler" } {
                    input type="hidden" name="csrf" value=(form);
                    p { (w.cancel_q) }
                    button.danger type="submit" { (w.cancel_yes) }
                }
            }
        }
        @if b.cancelled || over {
            p { a.button href="/" { (w.book_title) } }
        }
    };
    Page::new(title, body).cookie(cookie).render(&ctx)
}

fn resident_acting(ctx: &Ctx, b: &Booking) -> api::Acting {
    api::Acting::new(
        eventlog::Actor::Resident(b.resident.0),
        ctx.correlation.0,
        ctx.now.0,
    )
}

/// Cancels from the manage page, then shows it again.
pub async fn cancel_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let h = match held(&web, &ctx, &token).await {
        Ok(h) => h,
        Err(e) => return link_failure(&ctx, &e),
    };
    let pairs = forms::pairs(&body);
    if !form_is_fresh(&web, &ctx, &pairs) {
        // The page was stale: show it again; nothing was cancelled.
        return see_other(&format!("/r/{token}"));
    }
    if !h.booking.cancelled
        && let Err(e) = web
            .inner
            .appointments
            .cancel(
                &resident_acting(&ctx, &h.booking),
                h.booking.id,
                contracts::Party::Resident,
                "",
            )
            .await
    {
        return failure(&ctx, &ApiError::from(e));
    }
    see_other(&format!("/r/{token}"))
}

fn move_body(
    ctx: &Ctx,
    h: &Held,
    times: &[Available],
    day: Option<NaiveDate>,
    form: &str,
    top: Option<&str>,
) -> Markup {
    let w = ctx.w;
    let here = format!("/r/{}/deplacer", h.token);
    let link = |a: &Available| {
        html! {
            form.inline method="post" action=(here) {
                input type="hidden" name="csrf" value=(form);
                input type="hidden" name="start" value=(start_text(a));
                button type="submit" { (time_words(a)) @if day.is_none() { " · " (day_words(ctx, a.start.date_naive())) } }
            }
        }
    };
    html! {
        (back(ctx, &format!("/r/{}", h.token)))
        h1 { (w.move_q) }
        @if let Some(t) = top { p.alert role="alert" { (t) } }
        (summary(ctx, &h.site, h.booking.reason, h.booking.starts_at))
        (time_picker(ctx, times, day, &here, &link))
    }
}

/// Other free times for the same reason at the same site.
pub async fn move_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(q): Query<DayQuery>,
) -> Response {
    let h = match held(&web, &ctx, &token).await {
        Ok(h) => h,
        Err(e) => return link_failure(&ctx, &e),
    };
    if h.booking.cancelled {
        return see_other(&format!("/r/{token}"));
    }
    let times = match free_times(&web, h.site.id, h.booking.reason).await {
        Ok(t) => t,
        Err(e) => return failure(&ctx, &e),
    };
    let day = q.day();
    let (form, cookie) = form_token(&web, &ctx);
    Page::new(ctx.w.move_q, move_body(&ctx, &h, &times, day, &form, None))
        .cookie(cookie)
        .render(&ctx)
}

/// Moves to the time chosen, then shows the appointment.
pub async fn move_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let h = match held(&web, &ctx, &token).await {
        Ok(h) => h,
        Err(e) => return link_failure(&ctx, &e),
    };
    let pairs = forms::pairs(&body);
    let start = NaiveDateTime::parse_from_str(forms::field(&pairs, "start"), START_FORMAT)
        .ok()
        .and_then(|t| contracts::time::to_utc(t).ok());
    let problem = if !form_is_fresh(&web, &ctx, &pairs) {
        Some(ctx.w.err_expired.to_owned())
    } else if let Some(start) = start {
        match web
            .inner
            .appointments
            .reschedule(
                &resident_acting(&ctx, &h.booking),
                h.booking.id,
                start,
                contracts::Party::Resident,
            )
            .await
        {
            Ok(_) => return see_other(&format!("/r/{token}?fait=deplace")),
            Err(AppointmentError::SlotTaken { .. }) => Some(ctx.w.err_taken.to_owned()),
            Err(e) => Some(format!(
                "{} {}",
                ctx.w.err_other,
                says(&ctx, &ApiError::from(e))
            )),
        }
    } else {
        Some(ctx.w.err_taken.to_owned())
    };
    let times = match free_times(&web, h.site.id, h.booking.reason).await {
        Ok(t) => t,
        Err(e) => return failure(&ctx, &e),
    };
    let (form, cookie) = form_token(&web, &ctx);
    Page::new(
        ctx.w.move_q,
        move_body(&ctx, &h, &times, None, &form, problem.as_deref()),
    )
    .status(StatusCode::CONFLICT)
    .cookie(cookie)
    .render(&ctx)
}

/// Used by reception to open an appointment by id (staff only).
pub fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("there is no appointment {raw}")))
}

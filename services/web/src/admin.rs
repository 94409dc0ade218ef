//! Coordinators' pages: their sites (details, closures, permanence rules
//! with a preview of the next occurrences) and, for administrators, staff
//! and roles. Rules are written as days of the week and a time, never as a
//! cron expression; the calendar service turns them into one.

use api::{ApiError, Grant, Principal};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike as _, NaiveDate, Weekday};
use contracts::proto::calendar::v1 as cal;
use contracts::{Reason, Role, RuleId, SiteId};
use maud::{Markup, html};

use crate::Web;
use crate::forms;
use crate::layout::{
    Ctx, Page, Refusal, csrf_field, refusal_top, says, see_other, staff_input, t_with,
};
use crate::text::reason_label;

const COORDINATOR: &[Role] = &[Role::Coordinator];
/// How far ahead a rule's preview looks.
const PREVIEW_DAYS: u64 = 28;
const PREVIEW_COUNT: usize = 8;

use crate::layout::t;

async fn site_of(web: &Web, p: &Principal, raw: &str) -> Result<calendar::SiteView, ApiError> {
    let id: SiteId = raw.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(crate::ERRORS, "there-is-no-site", raw = raw))
    })?;
    p.require(COORDINATOR, Some(id))?;
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    model.sites.get(&id).cloned().ok_or_else(|| {
        ApiError::NotFound(messages::say!(crate::ERRORS, "there-is-no-site", raw = raw))
    })
}

/// The details a site form sends.
fn details_from(pairs: &[(String, String)], keep: Option<&cal::SiteDetails>) -> cal::SiteDetails {
    let f = |n| forms::field(pairs, n).to_owned();
    let on = |n| forms::field(pairs, n) == "oui";
    cal::SiteDetails {
        name: f("name"),
        address: f("address"),
        phone: f("phone"),
        accessibility: f("accessibility"),
        open: keep.is_none() || on("open"),
        opens_on_public_holidays: on("holidays"),
        confirms_online_bookings_by_sms: on("code"),
        appointments_per_reason: keep.map_or(0, |k| k.appointments_per_reason),
        // One per line.
        partners: forms::field(pairs, "partners")
            .lines()
            .map(str::to_owned)
            .collect(),
    }
}

fn details_fields(ctx: &Ctx, d: &cal::SiteDetails, editing: bool, r: Option<&Refusal>) -> Markup {
    html! {
        (staff_input("name", &t(ctx, "name"), "text", &d.name, r))
        (staff_input("address", &t(ctx, "address"), "text", &d.address, r))
        (staff_input("phone", &t(ctx, "front-desk-phone"), "tel", &d.phone, r))
        (staff_input("accessibility", &t(ctx, "access-ramp-lift-hearing-loop"), "text", &d.accessibility, r))
        @let wrong = r.filter(|r| r.about("partners"));
        label for="partners" { (t(ctx, "partners-one-per-line")) }
        textarea id="partners" name="partners" rows="4"
            aria-invalid=[wrong.map(|_| "true")] aria-describedby=[wrong.map(|_| "err-partners")] { (d.partners.join("\n")) }
        @if let Some(w) = wrong { p.error id="err-partners" { (w.message) } }
        @if editing {
            label.check { input type="checkbox" name="open" value="oui" checked[d.open]; span { (t(ctx, "open-untick-closed-until-further")) } }
        }
        label.check { input type="checkbox" name="holidays" value="oui" checked[d.opens_on_public_holidays]; span { (t(ctx, "open-on-public-holidays")) } }
        label.check { input type="checkbox" name="code" value="oui" checked[d.confirms_online_bookings_by_sms]; span { (t(ctx, "confirm-online-bookings-with-an")) } }
    }
}

/// `GET /agents/lieux`: the coordinator's sites, and a form to open one.
pub async fn sites_page(State(web): State<Web>, ctx: Ctx) -> Response {
    staff_page!(
        ctx,
        p,
        sites_view(&web, ctx, p, &cal::SiteDetails::default(), None)
    )
}

async fn sites_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    draft: &cal::SiteDetails,
    problem: Option<Refusal>,
) -> Result<Response, ApiError> {
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let mut sites: Vec<&calendar::SiteView> = model
        .sites
        .values()
        .filter(|s| p.may(COORDINATOR, Some(s.id)))
        .collect();
    sites.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    let title = t(ctx, "sites");
    let body = html! {
        h1 { (title) }
        ul.choices {
            @for s in &sites {
                li { a.choice href={ "/agents/lieux/" (s.id) } {
                    strong { (s.details.name) }
                    span { (s.details.address) @if !s.details.open { " · " (t(ctx, "closed")) } }
                } }
            }
        }
        @if p.may_everywhere(COORDINATOR) {
            h2 { (t(ctx, "open-a-site")) }
            (refusal_top(problem.as_ref()))
            form method="post" action="/agents/lieux" {
                (csrf_field(ctx))
                (details_fields(ctx, draft, false, problem.as_ref()))
                button type="submit" { (t(ctx, "open-this-site")) }
            }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .refused_if(problem.is_some())
        .render(ctx))
}

pub async fn site_create(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    staff_page!(ctx, p, async {
        // A new site belongs to no one yet: coordinators of every site open
        // them (the route's need, as for POST /api/v1/sites).
        let pairs = forms::pairs(&body);
        let d = details_from(&pairs, None);
        match web
            .inner
            .calendar
            .open_site(&p.acting(ctx.correlation, ctx.now), &d)
            .await
        {
            Ok(id) => Ok(see_other(&format!("/agents/lieux/{id}"))),
            Err(e) => {
                let e = ApiError::from(e);
                sites_view(&web, ctx, p, &d, Some(Refusal::of(ctx, &e))).await
            }
        }
    })
}

/// A rule as the form writes it: days of the week and a start time.
struct RuleForm {
    label: String,
    days: Vec<Weekday>,
    start: String,
    /// The end, as a time of day (a permanence ends the day it starts).
    end: String,
    valid_from: String,
    appointments: bool,
    appointment_minutes: String,
    desks: String,
    drop_in: bool,
    /// A workshop: each permanence is a session of `desks` places.
    workshop: bool,
    /// The workshop's theme (a reason's code) and level.
    theme: String,
    level: String,
    /// A series: one enrolment for every session to `until`, completed
    /// at `completion` sessions attended (empty: all).
    series: bool,
    completion: String,
    /// The last day (empty: none).
    until: String,
}

const WEEK: [(Weekday, &str); 7] = [
    (Weekday::Mon, "weekday-mon"),
    (Weekday::Tue, "weekday-tue"),
    (Weekday::Wed, "weekday-wed"),
    (Weekday::Thu, "weekday-thu"),
    (Weekday::Fri, "weekday-fri"),
    (Weekday::Sat, "weekday-sat"),
    (Weekday::Sun, "weekday-sun"),
];

impl RuleForm {
    fn empty(today: NaiveDate) -> RuleForm {
        RuleForm {
            label: String::new(),
            days: Vec::new(),
            start: "09:00".into(),
            end: "12:00".into(),
            valid_from: today.to_string(),
            appointments: true,
            appointment_minutes: "30".into(),
            desks: "1".into(),
            drop_in: false,
            workshop: false,
            theme: Reason::Smartphone.code(),
            level: "all".into(),
            series: false,
            completion: String::new(),
            until: String::new(),
        }
    }

    /// The form of a rule as saved, for editing it in place: weekly rules
    /// ("m h * * DAYS") only; a rule written otherwise (through the API)
    /// has none, and is changed through the API.
    fn of(view: &calendar::RuleView) -> Option<RuleForm> {
        let calendar::schedule::When::Recurring(cron) = &view.spec.when else {
            return None;
        };
        let fields: Vec<&str> = cron.as_str().split_whitespace().collect();
        let [minute, hour, "*", "*", days] = fields.as_slice() else {
            return None;
        };
        let start = chrono::NaiveTime::from_hms_opt(hour.parse().ok()?, minute.parse().ok()?, 0)?;
        let days: Vec<Weekday> = if *days == "*" {
            WEEK.iter().map(|w| w.0).collect()
        } else {
            days.split(',')
                .map(|d| {
                    WEEK.iter()
                        .find(|w| format!("{:?}", w.0).eq_ignore_ascii_case(d))
                        .map(|w| w.0)
                })
                .collect::<Option<Vec<_>>>()?
        };
        let end = start + chrono::Duration::minutes(i64::from(view.spec.duration_minutes));
        let o = &view.spec.offer;
        Some(RuleForm {
            label: view.spec.label.clone(),
            days,
            start: start.format("%H:%M").to_string(),
            end: end.format("%H:%M").to_string(),
            valid_from: view.spec.valid_from.to_string(),
            appointments: o.appointments,
            appointment_minutes: o.appointment_minutes.to_string(),
            desks: o.desks.to_string(),
            drop_in: o.drop_in,
            workshop: o.workshop.is_some(),
            theme: o
                .workshop
                .map_or_else(|| Reason::Smartphone.code(), |w| w.theme.code()),
            level: o
                .workshop
                .map_or("all", |w| calendar::level_name(w.level))
                .to_owned(),
            series: o.workshop.is_some_and(|w| w.series),
            completion: o
                .workshop
                .filter(|w| w.completion_sessions > 0)
                .map_or_else(String::new, |w| w.completion_sessions.to_string()),
            until: view
                .spec
                .valid_until
                .map_or_else(String::new, |d| d.to_string()),
        })
    }

    fn read(pairs: &[(String, String)]) -> RuleForm {
        let f = |n| forms::field(pairs, n).to_owned();
        RuleForm {
            label: f("label"),
            days: forms::fields(pairs, "day")
                .into_iter()
                .filter_map(|d| d.parse::<u32>().ok())
                .filter_map(|n| WEEK.get(n as usize).map(|w| w.0))
                .collect(),
            start: f("start"),
            end: f("end"),
            valid_from: f("valid_from"),
            appointments: forms::field(pairs, "appointments") == "oui",
            appointment_minutes: f("appointment_minutes"),
            desks: f("desks"),
            drop_in: forms::field(pairs, "drop_in") == "oui",
            workshop: forms::field(pairs, "workshop") == "oui",
            theme: f("theme"),
            level: f("level"),
            series: forms::field(pairs, "series") == "oui",
            completion: f("completion"),
            until: f("until"),
        }
    }

    /// The rule to write, or what is wrong (a message of the staff
    /// catalogue).
    fn rule(&self, site: SiteId) -> Result<cal::PermanenceRule, (&'static str, &'static str)> {
        if self.days.is_empty() {
            return Err(("day", "rule-tick-a-day"));
        }
        // "09:00", "9:00", "9h00" and "9h" all read as nine o'clock.
        let time = |text: &str| {
            let text = text.trim().replace(['h', 'H'], ":");
            let (h, m) = text.split_once(':').unwrap_or((&text, "0"));
            let m = if m.is_empty() { "0" } else { m };
            Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?))
                .filter(|(h, m)| *h < 24 && *m < 60)
        };
        let (h, m) = time(&self.start).ok_or(("start", "rule-start-time"))?;
        let (end_h, end_m) = time(&self.end).ok_or(("end", "rule-end-time"))?;
        let (from, to) = (h * 60 + m, end_h * 60 + end_m);
        if to <= from {
            return Err(("end", "rule-end-after-start"));
        }
        let number = |field: &'static str, text: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| (field, "rule-figures"))
        };
        let days: Vec<String> = self
            .days
            .iter()
            // The calendar asks for day names, not numbers (which differ
            // between cron dialects).
            .map(|d| format!("{d:?}").to_uppercase())
            .collect();
        Ok(cal::PermanenceRule {
            site_id: site.to_string(),
            label: self.label.clone(),
            cron: format!("{m} {h} * * {}", days.join(",")),
            once_at: String::new(),
            duration_minutes: to - from,
            valid_from: self.valid_from.clone(),
            valid_until: self.until.trim().to_owned(),
            offer: Some(if self.workshop {
                // A workshop is an offer of its own: its places, a theme
                // and a level; the calendar checks them.
                cal::Offer {
                    desks: number("desks", &self.desks)?,
                    workshop: Some(cal::Workshop {
                        theme: Reason::from_code(&self.theme)
                            .filter(|r| Reason::ALL.contains(r))
                            .ok_or(("theme", "workshop-choose-theme"))?
                            .into(),
                        level: calendar::level_of(&self.level)
                            .unwrap_or(cal::WorkshopLevel::All)
                            .into(),
                        language: contracts::Language::Fr.into(),
                        series: self.series,
                        completion_sessions: match self.completion.trim() {
                            "" => 0,
                            n => number("completion", n)?,
                        },
                    }),
                    ..Default::default()
                }
            } else {
                cal::Offer {
                    drop_in: self.drop_in,
                    drop_in_capacity: 0,
                    appointments: self.appointments,
                    appointment_minutes: if self.appointments {
                        number("appointment_minutes", &self.appointment_minutes)?
                    } else {
                        0
                    },
                    desks: if self.appointments {
                        number("desks", &self.desks)?
                    } else {
                        0
                    },
                    by_reason: Vec::new(),
                    roles_on_duty: Vec::new(),
                    workshop: None,
                }
            }),
        })
    }
}

/// A rule in one sentence: "Every Tuesday and Thursday, 14h00–16h00:
/// appointments (2 desks) and drop-in".
fn rule_sentence(ctx: &Ctx, spec: &calendar::RuleSpec) -> String {
    let when = match &spec.when {
        calendar::schedule::When::Recurring(r) => {
            // The cron's last field names the days (MON,TUE…, or *).
            let mut parts = r.as_str().split_whitespace();
            let (minute, hour) = (parts.next(), parts.next());
            let days: Vec<String> = parts
                .nth(2)
                .unwrap_or("*")
                .split(',')
                .filter_map(|d| {
                    WEEK.iter()
                        .find(|w| format!("{:?}", w.0).eq_ignore_ascii_case(d))
                        .map(|w| t(ctx, w.1))
                })
                .collect();
            let start = minute
                .zip(hour)
                .and_then(|(m, h)| Some((h.parse::<u32>().ok()?, m.parse::<u32>().ok()?)))
                .and_then(|(h, m)| chrono::NaiveTime::from_hms_opt(h, m, 0));
            let times = start.map_or_else(String::new, |s| {
                let e = s + chrono::Duration::minutes(i64::from(spec.duration_minutes));
                format!(
                    "{}–{}",
                    reminders::texts::time(ctx.lang, s),
                    reminders::texts::time(ctx.lang, e)
                )
            });
            if days.is_empty() {
                t_with(ctx, "rule-every-day", &[("times", times.into())])
            } else {
                t_with(
                    ctx,
                    "rule-every",
                    &[("days", days.join(", ").into()), ("times", times.into())],
                )
            }
        }
        calendar::schedule::When::Once(at) => {
            let e = *at + chrono::Duration::minutes(i64::from(spec.duration_minutes));
            t_with(
                ctx,
                "rule-once",
                &[(
                    "when",
                    format!(
                        "{} {} {}–{}",
                        day_name(ctx, at.date().weekday()),
                        at.format("%d/%m/%Y"),
                        reminders::texts::time(ctx.lang, at.time()),
                        reminders::texts::time(ctx.lang, e.time())
                    )
                    .into(),
                )],
            )
        }
    };
    let o = &spec.offer;
    if o.workshop.is_some() {
        let offer = t_with(ctx, "rule-offers-workshop", &[("places", o.desks.into())]);
        return format!("{when} : {offer}");
    }
    let offer = match (o.appointments, o.drop_in) {
        (true, true) => t_with(ctx, "rule-offers-both", &[("desks", o.desks.into())]),
        (true, false) => t_with(
            ctx,
            "rule-offers-appointments",
            &[("desks", o.desks.into())],
        ),
        _ => t(ctx, "rule-offers-drop-in"),
    };
    format!("{when} : {offer}")
}

/// The next occurrences of a rule, as a coordinator checks them.
fn occurrences(ctx: &Ctx, rule: &calendar::RuleView, from: NaiveDate) -> Markup {
    let to = from + chrono::Days::new(PREVIEW_DAYS);
    let list = rule.occurrences(from, to);
    html! {
        @if list.is_empty() {
            p { (t(ctx, "no-permanence-in-the-next")) }
        } @else {
            ul {
                @for (start, end) in list.iter().take(PREVIEW_COUNT) {
                    li {
                        (day_name(ctx, start.date().weekday())) " " (start.format("%d/%m/%Y")) " " (reminders::texts::time(ctx.lang, start.time())) "–" (reminders::texts::time(ctx.lang, end.time()))
                        @if let Some(why) = rule.cancelled.get(&start.date()) { " · " (t(ctx, "cancelled")) " (" (why) ")" }
                    }
                }
            }
        }
    }
}

fn day_name(ctx: &Ctx, d: Weekday) -> String {
    WEEK.iter()
        .find(|w| w.0 == d)
        .map_or_else(String::new, |w| t(ctx, w.1))
}

/// Where a rule form goes: a new rule at a site, or a rule changed in
/// place at the version the coordinator saw.
enum RuleTarget {
    New(SiteId),
    Edit { rule: RuleId, version: u64 },
}

fn rule_form(
    ctx: &Ctx,
    target: &RuleTarget,
    f: &RuleForm,
    problem: Option<&Refusal>,
    preview: Option<Markup>,
) -> Markup {
    let action = match target {
        RuleTarget::New(site) => format!("/agents/lieux/{site}/regles"),
        RuleTarget::Edit { rule, .. } => format!("/agents/regles/{rule}"),
    };
    html! {
        @if let RuleTarget::New(_) = target {
            h2 id="nouvelle-regle" { (t(ctx, "new-regular-permanence")) }
        }
        (refusal_top(problem))
        @if let Some(pv) = preview {
            div.notice role="status" { p { strong { (t(ctx, "preview-the-next-permanences")) } } (pv) }
        }
        form method="post" action=(action) {
            (csrf_field(ctx))
            @if let RuleTarget::Edit { version, .. } = target {
                input type="hidden" name="version" value=(version);
            }
            (staff_input("label", &t(ctx, "name-e-g-tuesday-morning"), "text", &f.label, problem))
            @let no_day = problem.filter(|r| r.about("day"));
            fieldset aria-describedby=[no_day.map(|_| "err-day")] {
                legend { (t(ctx, "days")) }
                div.chips {
                    @for (i, (d, id)) in WEEK.iter().enumerate() {
                        label { input type="checkbox" name="day" value=(i) checked[f.days.contains(d)]; (t(ctx, id)) }
                    }
                }
                @if let Some(r) = no_day { p.error id="err-day" { (r.message) } }
            }
            div.grid2 {
                div { (staff_input("start", &t(ctx, "start"), "text", &f.start, problem)) }
                div { (staff_input("end", &t(ctx, "end-time"), "text", &f.end, problem)) }
                div { (staff_input("valid_from", &t(ctx, "from"), "date", &f.valid_from, problem)) }
                div { (staff_input("until", &t(ctx, "last-day-optional"), "date", &f.until, problem)) }
            }
            fieldset {
                legend { (t(ctx, "what-is-offered")) }
                label.check { input type="checkbox" name="appointments" value="oui" checked[f.appointments]; span { (t(ctx, "individual-appointments")) } }
                div.grid2 {
                    div { (staff_input("appointment_minutes", &t(ctx, "appointment-length-minutes"), "text", &f.appointment_minutes, problem)) }
                    div { (staff_input("desks", &t(ctx, "appointments-at-once-desks"), "text", &f.desks, problem)) }
                }
                label.check { input type="checkbox" name="drop_in" value="oui" checked[f.drop_in]; span { (t(ctx, "drop-in-queue")) } }
                label.check { input type="checkbox" name="workshop" value="oui" checked[f.workshop]; span { (t(ctx, "workshop-instead")) } }
                div.grid2 {
                    div {
                        label for="theme" { (t(ctx, "workshop-theme")) }
                        select id="theme" name="theme" {
                            @for r in Reason::ALL.into_iter().filter(|r| r.kind() != contracts::ReasonKind::OnlineProcedure) {
                                option value=(r.code()) selected[f.theme == r.code()] { (reason_label(ctx.lang, r)) }
                            }
                        }
                    }
                    div {
                        label.check { input type="checkbox" name="series" value="oui" checked[f.series]; span { (t(ctx, "workshop-series")) } }
                    }
                    div { (staff_input("completion", &t(ctx, "workshop-completion"), "text", &f.completion, problem)) }
                    div {
                        label for="level" { (t(ctx, "workshop-level")) }
                        select id="level" name="level" {
                            @for (code, id) in [("all", "workshop-level-all"), ("beginner", "workshop-level-beginner"), ("intermediate", "workshop-level-intermediate")] {
                                option value=(code) selected[f.level == code] { (t(ctx, id)) }
                            }
                        }
                    }
                }
            }
            button.secondary type="submit" name="action" value="preview" { (t(ctx, "preview-the-next-dates")) }
            " "
            button type="submit" name="action" value="save" { (t(ctx, "save-the-permanence")) }
        }
    }
}

/// `GET /agents/lieux/{site_id}`.
pub async fn site_page(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let site = site_of(&web, p, &raw).await?;
        let today = contracts::time::local_date(web.now());
        site_view(
            &web,
            ctx,
            &site,
            &RuleForm::empty(today),
            None,
            None,
            &SiteForms::default(),
        )
        .await
    })
}

/// The site's page again, with a refused site or closure form as typed.
async fn site_refused(
    web: &Web,
    ctx: &Ctx,
    site: &calendar::SiteView,
    others: &SiteForms,
) -> Result<Response, ApiError> {
    let today = contracts::time::local_date(web.now());
    site_view(web, ctx, site, &RuleForm::empty(today), None, None, others).await
}

/// What was typed in a site page's other forms when one was refused: the
/// site's details, or a closure (first day, last day, reason).
#[derive(Default)]
struct SiteForms {
    details: Option<cal::SiteDetails>,
    details_refused: Option<Refusal>,
    closure: [String; 3],
    closure_refused: Option<Refusal>,
}

async fn site_view(
    web: &Web,
    ctx: &Ctx,
    site: &calendar::SiteView,
    draft: &RuleForm,
    problem: Option<Refusal>,
    preview: Option<Markup>,
    others: &SiteForms,
) -> Result<Response, ApiError> {
    let today = contracts::time::local_date(web.now());
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let rules: Vec<&calendar::RuleView> = model
        .rules
        .values()
        .filter(|r| r.spec.site == site.id && r.retired_from.is_none_or(|d| d > today))
        .collect();
    let title = site.details.name.clone();
    let body = html! {
        p { a href="/agents/lieux" { "← " (t(ctx, "sites")) } }
        h1 { (title) }
        div.grid2 {
            section {
                h2 { (t(ctx, "the-site")) }
                (refusal_top(others.details_refused.as_ref()))
                form method="post" action={ "/agents/lieux/" (site.id) } {
                    (csrf_field(ctx))
                    input type="hidden" name="version" value=(site.version);
                    (details_fields(ctx, others.details.as_ref().unwrap_or(&site.details), true, others.details_refused.as_ref()))
                    button type="submit" { (t(ctx, "save")) }
                }
                h2 { (t(ctx, "closures-holidays-works")) }
                @if site.closures.is_empty() { p { (t(ctx, "none")) } }
                ul {
                    @for (id, c) in &site.closures {
                        li {
                            (c.first_day.format("%d/%m/%Y")) " → " (c.last_day.format("%d/%m/%Y")) " · " (c.reason) " "
                            // Asked twice: the site opens again on those days.
                            details.confirm {
                                summary { (t(ctx, "lift")) }
                                form method="post" action={ "/agents/lieux/" (site.id) "/fermetures/" (id) "/lever" } {
                                    (csrf_field(ctx))
                                    p { (t(ctx, "lift-q")) }
                                    button.small.danger type="submit" { (t(ctx, "lift-yes")) }
                                }
                            }
                        }
                    }
                }
                (refusal_top(others.closure_refused.as_ref()))
                form method="post" action={ "/agents/lieux/" (site.id) "/fermetures" } {
                    (csrf_field(ctx))
                    div.grid2 {
                        div { (staff_input("first_day", &t(ctx, "from-2"), "date", &others.closure[0], others.closure_refused.as_ref())) }
                        div { (staff_input("last_day", &t(ctx, "to"), "date", &others.closure[1], others.closure_refused.as_ref())) }
                    }
                    (staff_input("reason", &t(ctx, "why-residents-see-it"), "text", &others.closure[2], others.closure_refused.as_ref()))
                    button type="submit" { (t(ctx, "close-on-those-days")) }
                }
                p.hint { (t(ctx, "public-holidays-are-closed-unless")) }
            }
            section {
                h2 { (t(ctx, "regular-permanences")) }
                @if rules.is_empty() { p { (t(ctx, "none")) } }
                @for r in &rules {
                    article {
                        h3 { (if r.spec.label.is_empty() { t(ctx, "permanence") } else { r.spec.label.clone() }) }
                        p { (rule_sentence(ctx, &r.spec)) }
                        (occurrences(ctx, r, today))
                        p { a href={ "/agents/regles/" (r.id) } { (t(ctx, "change-this-permanence")) } }
                        details.confirm {
                            summary { (t(ctx, "stop-from-today")) }
                            form method="post" action={ "/agents/regles/" (r.id) "/retirer" } {
                                (csrf_field(ctx))
                                p { (t(ctx, "stop-q")) }
                                button.small.danger type="submit" { (t(ctx, "stop-yes")) }
                            }
                        }
                    }
                }
                (rule_form(ctx, &RuleTarget::New(site.id), draft, problem.as_ref(), preview))
            }
        }
    };
    let refused =
        problem.is_some() || others.details_refused.is_some() || others.closure_refused.is_some();
    Ok(Page::new(title, body)
        .wide()
        .refused_if(refused)
        .render(ctx))
}

pub async fn site_change(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let site = site_of(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let d = details_from(&pairs, Some(&site.details));
        let version = forms::field(&pairs, "version").parse().ok();
        match web
            .inner
            .calendar
            .change_site(&p.acting(ctx.correlation, ctx.now), site.id, &d, version)
            .await
        {
            Ok(()) => Ok(see_other(&format!("/agents/lieux/{}", site.id))),
            Err(e) => {
                let others = SiteForms {
                    details_refused: Some(Refusal::of(ctx, &ApiError::from(e))),
                    details: Some(d),
                    ..SiteForms::default()
                };
                site_refused(&web, ctx, &site, &others).await
            }
        }
    })
}

pub async fn closure_create(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let site = site_of(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let day = |n: &'static str| {
            calendar::parse_day(n, forms::field(&pairs, n)).map_err(|i| ApiError::Invalid {
                field: i.field.to_owned(),
                message: i.message,
            })
        };
        let scheduled = match (day("first_day"), day("last_day")) {
            (Ok(first), Ok(last)) => web
                .inner
                .calendar
                .schedule_closure(
                    &p.acting(ctx.correlation, ctx.now),
                    site.id,
                    first,
                    last,
                    forms::field(&pairs, "reason"),
                )
                .await
                .map(|_| ())
                .map_err(ApiError::from),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        match scheduled {
            Ok(()) => Ok(see_other(&format!("/agents/lieux/{}", site.id))),
            Err(e) => {
                let others = SiteForms {
                    closure: ["first_day", "last_day", "reason"]
                        .map(|n| forms::field(&pairs, n).to_owned()),
                    closure_refused: Some(Refusal::of(ctx, &e)),
                    ..SiteForms::default()
                };
                site_refused(&web, ctx, &site, &others).await
            }
        }
    })
}

pub async fn closure_lift(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw, closure)): Path<(String, String)>,
) -> Response {
    staff_page!(ctx, p, async {
        let site = site_of(&web, p, &raw).await?;
        let closure: uuid::Uuid = closure
            .parse()
            .map_err(|_| ApiError::NotFound(format!("there is no closure {closure}")))?;
        web.inner
            .calendar
            .lift_closure(&p.acting(ctx.correlation, ctx.now), site.id, closure)
            .await
            .map_err(ApiError::from)?;
        Ok(see_other(&format!("/agents/lieux/{}", site.id)))
    })
}

/// Saves a rule, or shows its next dates without saving it.
pub async fn rule_create(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let site = site_of(&web, p, &raw).await?;
        rule_submitted(&web, ctx, p, &site, &RuleTarget::New(site.id), &body).await
    })
}

/// A rule's form, read and checked: shown again with what is wrong (what
/// was typed kept), or with its next dates (a preview), or saved (a new
/// rule, or the rule changed at the version the coordinator saw).
async fn rule_submitted(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    site: &calendar::SiteView,
    target: &RuleTarget,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let pairs = forms::pairs(body);
    let draft = RuleForm::read(&pairs);
    // The version the coordinator saw, as the form carried it.
    let target = match target {
        RuleTarget::Edit { rule, version } => RuleTarget::Edit {
            rule: *rule,
            version: forms::field(&pairs, "version").parse().unwrap_or(*version),
        },
        RuleTarget::New(s) => RuleTarget::New(*s),
    };
    let refused = |r: Refusal| async {
        Ok(unprocessable(
            rule_view(web, ctx, site, &target, &draft, Some(r), None).await?,
        ))
    };
    let mut rule = match draft.rule(site.id) {
        Ok(r) => r,
        Err((field, id)) => return refused(Refusal::at(field, t(ctx, id))).await,
    };
    if let RuleTarget::Edit { rule: id, .. } = &target {
        let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
        if let Some(saved) = model.rules.get(id) {
            keep_unseen(&mut rule, &saved.spec);
        }
    }
    let spec = match calendar::check_rule(&rule) {
        Ok(s) => s,
        Err(i) => {
            // The form writes the cron from the days and the start, the
            // length from the end.
            let field = match i.field {
                "cron" => "start",
                "duration_minutes" => "end",
                "valid_until" => "until",
                "offer.desks" => "desks",
                f => f,
            };
            return refused(Refusal::at(field, i.message)).await;
        }
    };
    if forms::field(&pairs, "action") == "preview" {
        let view = calendar::RuleView {
            id: RuleId::new(),
            spec,
            retired_from: None,
            cancelled: Default::default(),
            staff: Default::default(),
            version: 0,
        };
        let from = view
            .spec
            .valid_from
            .max(contracts::time::local_date(web.now()));
        let preview = occurrences(ctx, &view, from);
        return rule_view(web, ctx, site, &target, &draft, None, Some(preview)).await;
    }
    // A change never strands an appointment already booked: those that no
    // longer fit the new hours are moved or cancelled first.
    if let RuleTarget::Edit { rule: id, .. } = &target {
        let stranded = stranded(web, *id, &spec).await?;
        if stranded > 0 {
            return refused(Refusal::at(
                "start",
                t_with(ctx, "rule-change-strands", &[("count", stranded.into())]),
            ))
            .await;
        }
    }
    let acting = p.acting(ctx.correlation, ctx.now);
    let saved = match &target {
        RuleTarget::New(_) => web
            .inner
            .calendar
            .create_rule(&acting, &rule)
            .await
            .map(|_| ()),
        RuleTarget::Edit { rule: id, version } => {
            web.inner
                .calendar
                .change_rule(&acting, *id, &rule, Some(*version))
                .await
        }
    };
    match saved {
        Ok(()) => Ok(see_other(&format!("/agents/lieux/{}", site.id))),
        Err(e) => refused(Refusal::of(ctx, &ApiError::from(e))).await,
    }
}

/// How many coming appointments of rule `id` would fall outside its
/// permanences once it reads `spec`: a day it no longer has, hours it no
/// longer covers, appointments it no longer offers.
async fn stranded(web: &Web, id: RuleId, spec: &calendar::RuleSpec) -> Result<usize, ApiError> {
    let now = web.now();
    let today = contracts::time::local_date(now);
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let Some(old) = model.rules.get(&id) else {
        return Ok(0);
    };
    let new = calendar::RuleView {
        spec: spec.clone(),
        ..old.clone()
    };
    let local = |t: chrono::DateTime<chrono::Utc>| contracts::time::to_local(t).naive_local();
    let mut count = 0;
    let last = today + chrono::Duration::days(calendar::MAX_RANGE_DAYS);
    for (start, _) in old.occurrences(today, last) {
        let day = start.date();
        let list = web
            .inner
            .appointments
            .day_list(&calendar::permanence_id(id, day))
            .await?;
        if list.is_empty() {
            continue;
        }
        let fits = if spec.offer.appointments || spec.offer.workshop.is_some() {
            new.occurrences(day, day)
        } else {
            Vec::new()
        };
        count += list
            .iter()
            .filter(|b| b.starts_at > now)
            .filter(|b| {
                // A workshop's places follow their session to its new
                // time (and are told): stranded only when the day has none.
                if spec.offer.workshop.is_some() {
                    return fits.is_empty();
                }
                let (s, e) = (local(b.starts_at), local(b.ends_at));
                !fits.iter().any(|(fs, fe)| *fs <= s && e <= *fe)
            })
            .count();
    }
    Ok(count)
}

/// What the form does not show stays as it was saved: the drop-in
/// capacity, the lengths per reason and the roles on duty (set through the
/// API).
fn keep_unseen(rule: &mut cal::PermanenceRule, saved: &calendar::RuleSpec) {
    if let Some(o) = rule.offer.as_mut() {
        o.drop_in_capacity = saved.offer.drop_in_capacity.unwrap_or(0);
        o.by_reason = saved
            .offer
            .by_reason
            .iter()
            .map(|(r, m)| cal::ReasonLength {
                reason: i32::from(*r),
                length_minutes: *m,
            })
            .collect();
        o.roles_on_duty = saved
            .offer
            .roles_on_duty
            .iter()
            .map(|r| i32::from(*r))
            .collect();
    }
}

/// The page a rule form is on: the site's page for a new rule, the rule's
/// own page for a change.
async fn rule_view(
    web: &Web,
    ctx: &Ctx,
    site: &calendar::SiteView,
    target: &RuleTarget,
    draft: &RuleForm,
    problem: Option<Refusal>,
    preview: Option<Markup>,
) -> Result<Response, ApiError> {
    match target {
        RuleTarget::New(_) => {
            site_view(
                web,
                ctx,
                site,
                draft,
                problem,
                preview,
                &SiteForms::default(),
            )
            .await
        }
        RuleTarget::Edit { .. } => {
            let title = t(ctx, "change-this-permanence");
            let body = html! {
                p { a href={ "/agents/lieux/" (site.id) } { "← " (site.details.name) } }
                h1 { (title) }
                (rule_form(ctx, target, draft, problem.as_ref(), preview))
                p.hint { (t(ctx, "change-applies-to-coming")) }
            };
            Ok(Page::new(title, body).render(ctx))
        }
    }
}

fn unprocessable(mut r: Response) -> Response {
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    r
}

/// The rule of the address, at a site where `p` coordinates.
async fn rule_at(
    web: &Web,
    p: &Principal,
    raw: &str,
) -> Result<(calendar::RuleView, calendar::SiteView), ApiError> {
    let not_found =
        || ApiError::NotFound(messages::say!(crate::ERRORS, "there-is-no-rule", raw = raw));
    let id: RuleId = raw.parse().map_err(|_| not_found())?;
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let rule = model.rules.get(&id).cloned().ok_or_else(not_found)?;
    p.require(COORDINATOR, Some(rule.spec.site))?;
    let site = model
        .sites
        .get(&rule.spec.site)
        .cloned()
        .ok_or_else(not_found)?;
    Ok((rule, site))
}

/// `GET /agents/regles/{rule_id}`: a rule's form, filled as it is saved.
pub async fn rule_page(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let (rule, site) = rule_at(&web, p, &raw).await?;
        let target = RuleTarget::Edit {
            rule: rule.id,
            version: rule.version,
        };
        match RuleForm::of(&rule) {
            Some(draft) => rule_view(&web, ctx, &site, &target, &draft, None, None).await,
            None => Err(ApiError::Invalid {
                field: "rule".into(),
                message: t(ctx, "rule-changed-through-api"),
            }),
        }
    })
}

/// `POST /agents/regles/{rule_id}`: the rule changed in place.
pub async fn rule_change(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let (rule, site) = rule_at(&web, p, &raw).await?;
        let target = RuleTarget::Edit {
            rule: rule.id,
            version: rule.version,
        };
        rule_submitted(&web, ctx, p, &site, &target, &body).await
    })
}

pub async fn rule_retire(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let (rule, site) = rule_at(&web, p, &raw).await?;
        let today = contracts::time::local_date(web.now());
        web.inner
            .calendar
            .retire_rule(&p.acting(ctx.correlation, ctx.now), rule.id, today)
            .await
            .map_err(ApiError::from)?;
        Ok(see_other(&format!("/agents/lieux/{}", site.id)))
    })
}

const ROLES: [(Role, &str); 5] = [
    (Role::Reception, "role-reception"),
    (Role::Mediator, "role-mediator"),
    (Role::ItHelper, "role-it-helper"),
    (Role::Coordinator, "role-coordinator"),
    (Role::Admin, "role-admin"),
];

fn role_words(ctx: &Ctx, r: Role) -> String {
    ROLES
        .iter()
        .find(|x| x.0 == r)
        .map_or_else(String::new, |x| t(ctx, x.1))
}

/// `GET /agents/equipe`: every staff member and their roles; only an
/// administrator of every site manages accounts.
pub async fn team_page(State(web): State<Web>, ctx: Ctx) -> Response {
    staff_page!(ctx, p, team_view(&web, ctx, p, None, None, None))
}

async fn team_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    problem: Option<String>,
    created: Option<(&'static str, String, String)>,
    refused_new: Option<(Refusal, [String; 2])>,
) -> Result<Response, ApiError> {
    if !p.is_admin() {
        return Err(ApiError::Forbidden(messages::say!(
            crate::ERRORS,
            "this-needs-administrator-of-every"
        )));
    }
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let site_name = |s: Option<SiteId>| match s {
        None => t(ctx, "every-site").to_owned(),
        Some(id) => model
            .sites
            .get(&id)
            .map_or_else(|| id.to_string(), |v| v.details.name.clone()),
    };
    let staff: Vec<(contracts::StaffId, String, String, bool, Vec<Grant>)> = {
        let d = web
            .inner
            .identity
            .directory()
            .await
            .map_err(ApiError::from)?;
        let mut list: Vec<_> = d
            .all_staff()
            .into_iter()
            .map(|s| {
                (
                    s.id,
                    s.display_name.clone(),
                    s.email.clone(),
                    s.disabled,
                    s.grants.iter().copied().collect(),
                )
            })
            .collect();
        list.sort_by(|a, b| a.1.cmp(&b.1));
        list
    };
    let mut sites: Vec<&calendar::SiteView> = model.sites.values().collect();
    sites.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    let title = t(ctx, "staff");
    // Each form's fields get ids of their own (one form per row).
    let grant_fields = |prefix: &str| {
        html! {
            div.grid2 {
                div {
                    label for={ (prefix) "-role" } { (t(ctx, "role")) }
                    select id={ (prefix) "-role" } name="role" { @for (r, id) in ROLES { option value=(api::role_name(r)) { (t(ctx, id)) } } }
                }
                div {
                    label for={ (prefix) "-site" } { (t(ctx, "site")) }
                    select id={ (prefix) "-site" } name="site" {
                        option value="" { (t(ctx, "every-site-2")) }
                        @for s in &sites { option value=(s.id) { (s.details.name) } }
                    }
                }
            }
        }
    };
    let body = html! {
        h1 { (title) }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        // A new account's password, or one an administrator set anew.
        @if let Some((heading, email, password)) = &created {
            div.notice role="status" {
                p { (t(ctx, heading)) strong { (email) } "." }
                p { (t(ctx, "password-shown-once-give-it")) code { (password) } }
            }
        }
        div.scroll tabindex="0" {
            table {
                thead { tr { th { (t(ctx, "name")) } th { (t(ctx, "email")) } th { (t(ctx, "roles")) } } }
                tbody {
                    @for (id, name, email, disabled, grants) in &staff {
                        tr {
                            td { (name) @if *disabled { " · " (t(ctx, "disabled")) } }
                            td { (email) }
                            td {
                                ul {
                                    @for g in grants {
                                        li {
                                            (role_words(ctx, g.role)) " · " (site_name(g.site)) " "
                                            form.inline method="post" action={ "/agents/equipe/" (id) "/roles" } {
                                                (csrf_field(ctx))
                                                input type="hidden" name="action" value="revoke";
                                                input type="hidden" name="role" value=(api::role_name(g.role));
                                                input type="hidden" name="site" value=(g.site.map(|s| s.to_string()).unwrap_or_default());
                                                button.small.secondary type="submit" { (t(ctx, "remove")) span.skip { " " (name) } }
                                            }
                                        }
                                    }
                                }
                                details.confirm {
                                    summary { (t(ctx, "reset-password")) span.skip { " " (name) } }
                                    form method="post" action={ "/agents/equipe/" (id) "/mot-de-passe" } {
                                        (csrf_field(ctx))
                                        p { (t(ctx, "reset-password-q")) }
                                        button.small.danger type="submit" { (t(ctx, "reset-password-yes")) }
                                    }
                                }
                                details {
                                    summary { (t(ctx, "grant-a-role")) span.skip { " " (name) } }
                                    form method="post" action={ "/agents/equipe/" (id) "/roles" } {
                                        (csrf_field(ctx))
                                        input type="hidden" name="action" value="grant";
                                        (grant_fields(&format!("g-{id}")))
                                        button.small type="submit" { (t(ctx, "grant")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { (t(ctx, "new-account")) }
        @let (new_refused, typed) = match &refused_new {
            Some((r, typed)) => (Some(r), typed.clone()),
            None => (None, Default::default()),
        };
        (refusal_top(new_refused))
        form method="post" action="/agents/equipe" {
            (csrf_field(ctx))
            (staff_input("name", &t(ctx, "display-name"), "text", &typed[0], new_refused))
            (staff_input("email", &t(ctx, "email"), "email", &typed[1], new_refused))
            (grant_fields("new"))
            button type="submit" { (t(ctx, "create-the-account")) }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .refused_if(problem.is_some() || refused_new.is_some())
        .render(ctx))
}

/// The team page again, saying why an action on a staff member was
/// refused.
async fn team_refused(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    e: &ApiError,
) -> Result<Response, ApiError> {
    team_view(web, ctx, p, Some(says(ctx, e)), None, None).await
}

fn grant_from(pairs: &[(String, String)]) -> Result<Grant, ApiError> {
    let role = api::parse_role(forms::field(pairs, "role")).map_err(|m| ApiError::Invalid {
        field: "role".into(),
        message: m,
    })?;
    let site = match forms::field(pairs, "site") {
        "" => None,
        s => Some(s.parse::<SiteId>().map_err(|_| {
            ApiError::NotFound(messages::say!(
                crate::ERRORS,
                "there-is-no-site-2",
                site = s
            ))
        })?),
    };
    Ok(Grant { role, site })
}

pub async fn staff_create(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    staff_page!(ctx, p, async {
        if !p.is_admin() {
            return Err(ApiError::Forbidden(messages::say!(
                crate::ERRORS,
                "this-needs-administrator-of-every"
            )));
        }
        let pairs = forms::pairs(&body);
        let email = forms::field(&pairs, "email").to_owned();
        let name = forms::field(&pairs, "name").to_owned();
        let typed = [name.clone(), email.clone()];
        let grant = match grant_from(&pairs) {
            Ok(g) => g,
            Err(e) => {
                let r = Refusal::of(ctx, &e);
                return team_view(&web, ctx, p, None, None, Some((r, typed))).await;
            }
        };
        let created = web
            .inner
            .identity
            .create_staff(
                &identity::Acting::new(p.actor(), ctx.correlation.0, ctx.now.0),
                identity::NewStaff {
                    email: email.clone(),
                    display_name: name.clone(),
                    password: None,
                    grants: vec![grant],
                },
            )
            .await;
        match created {
            Ok(c) => {
                team_view(
                    &web,
                    ctx,
                    p,
                    None,
                    Some((
                        "account-created-for",
                        email,
                        c.generated_password.unwrap_or_default(),
                    )),
                    None,
                )
                .await
            }
            Err(e) => {
                // Identity names no field: a taken or malformed address is
                // the email's, anything else the name's.
                let field = match &e {
                    identity::IdentityError::Conflict(_) => Some("email"),
                    identity::IdentityError::Invalid(_)
                        if contracts::email::parse_email(&email).is_err() =>
                    {
                        Some("email")
                    }
                    identity::IdentityError::Invalid(_) => Some("name"),
                    _ => None,
                };
                let mut r = Refusal::of(ctx, &ApiError::from(e));
                r.field = field.map(str::to_owned);
                team_view(&web, ctx, p, None, None, Some((r, typed))).await
            }
        }
    })
}

/// The staff member of the address, for an administrator only.
fn staff_for_admin(p: &Principal, raw: &str) -> Result<contracts::StaffId, ApiError> {
    if !p.is_admin() {
        return Err(ApiError::Forbidden(messages::say!(
            crate::ERRORS,
            "this-needs-administrator-of-every"
        )));
    }
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("there is no staff member {raw}")))
}

/// An administrator gives a staff member a new password (shown once, to
/// hand over in person); their sessions end.
pub async fn staff_password(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let id = staff_for_admin(p, &raw)?;
        let acting = identity::Acting::new(p.actor(), ctx.correlation.0, ctx.now.0);
        let email = web
            .inner
            .identity
            .directory()
            .await
            .map_err(ApiError::from)?
            .all_staff()
            .into_iter()
            .find(|s| s.id == id)
            .map(|s| s.email.clone())
            .ok_or_else(|| ApiError::NotFound(format!("there is no staff member {raw}")))?;
        match web.inner.identity.set_password(&acting, id, None).await {
            Ok(generated) => {
                team_view(
                    &web,
                    ctx,
                    p,
                    None,
                    Some(("new-password-for", email, generated.unwrap_or_default())),
                    None,
                )
                .await
            }
            Err(e) => team_refused(&web, ctx, p, &ApiError::from(e)).await,
        }
    })
}

pub async fn staff_roles(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let id = staff_for_admin(p, &raw)?;
        let pairs = forms::pairs(&body);
        let grant = match grant_from(&pairs) {
            Ok(g) => g,
            Err(e) => return team_refused(&web, ctx, p, &e).await,
        };
        let acting = identity::Acting::new(p.actor(), ctx.correlation.0, ctx.now.0);
        let done = if forms::field(&pairs, "action") == "revoke" {
            web.inner.identity.revoke_role(&acting, id, grant).await
        } else {
            web.inner.identity.grant_role(&acting, id, grant).await
        };
        match done {
            Ok(()) => Ok(see_other("/agents/equipe")),
            Err(e) => team_refused(&web, ctx, p, &ApiError::from(e)).await,
        }
    })
}

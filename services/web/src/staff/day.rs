//! The mediators' day: today's permanences, check-in, the live drop-in
//! queue, and the printable day sheet.

use super::*;

/// What a permanence's day counts: appointments booked (live), residents
/// arrived and not yet done, people waiting in the queue, people seen
/// (appointments done, tickets served).
struct DayCounts {
    booked: usize,
    arrived: usize,
    waiting: usize,
    seen: usize,
}

async fn counts(web: &Web, x: &calendar::Permanence) -> Result<DayCounts, ApiError> {
    let list = web.inner.appointments.day_list(&x.permanence_id).await?;
    let tickets: Vec<Ticket> = web.inner.appointments.queue(&x.permanence_id).await?;
    Ok(DayCounts {
        booked: list.len(),
        arrived: list
            .iter()
            .filter(|b| matches!(b.stage, Stage::Arrived | Stage::InProgress))
            .count(),
        waiting: tickets
            .iter()
            .filter(|k| k.state == TicketState::Waiting)
            .count(),
        seen: list.iter().filter(|b| b.stage == Stage::Done).count()
            + tickets
                .iter()
                .filter(|k| k.state == TicketState::Served)
                .count(),
    })
}

/// The permanences of a day (today unless `?jour=` says another) at the
/// sites of the signed-in staff member, each with its counts.
pub async fn day_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<DayQuery>) -> Response {
    staff_page!(ctx, p, async {
        let today = contracts::time::local_date(web.now());
        // `?jour=2026-12-01`, as the residents' day picker says it.
        let day = q.day().unwrap_or(today);
        let list: Vec<calendar::Permanence> = web
            .inner
            .calendar
            .permanences(None, day, day)
            .await
            .map_err(ApiError::from)?
            .into_iter()
            .filter(|x| p.may(FRONT_DESK, Some(x.site_id)))
            .collect();
        let mut counted = Vec::with_capacity(list.len());
        for x in &list {
            counted.push(counts(&web, x).await?);
        }
        let title = if day == today {
            t(ctx, "todays-permanences")
        } else {
            t_with(
                ctx,
                "permanences-of",
                &[("day", reminders::texts::day(ctx.lang, day).into())],
            )
        };
        let body = html! {
            h1 { (title) }
            form.inline method="get" action="/agents/journee" {
                p {
                    a href={ "/agents/journee?jour=" (day.pred_opt().unwrap_or(day)) } { (t(ctx, "previous-day")) }
                    " · "
                    @if day != today { a href="/agents/journee" { (t(ctx, "back-to-today")) } " · " }
                    a href={ "/agents/journee?jour=" (day.succ_opt().unwrap_or(day)) } { (t(ctx, "next-day")) }
                }
                label for="jour" { (t(ctx, "another-day")) }
                input type="date" id="jour" name="jour" value=(day);
                button.small type="submit" { (t(ctx, "show")) }
            }
            @if list.is_empty() { p { (t(ctx, "no-permanence-that-day")) } }
            ul.choices {
                @for (x, c) in list.iter().zip(&counted) {
                    li { a.choice href={ "/agents/permanences/" (x.permanence_id) } {
                        strong { (x.site_name) " · " (reminders::texts::time(ctx.lang, x.starts_local.time())) "–" (reminders::texts::time(ctx.lang, x.ends_local.time())) }
                        span { (x.label) @if matches!(x.status, calendar::Status::Closed { .. }) { " · " (t(ctx, "cancelled")) } }
                        span.counts {
                            (t_with(ctx, "count-booked", &[("count", c.booked.into())])) " · "
                            (t_with(ctx, "count-arrived", &[("count", c.arrived.into())])) " · "
                            (t_with(ctx, "count-waiting", &[("count", c.waiting.into())])) " · "
                            (t_with(ctx, "count-seen", &[("count", c.seen.into())]))
                        }
                    } }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

pub(super) async fn permanence_at_desk(
    web: &Web,
    p: &Principal,
    id: &str,
) -> Result<calendar::Permanence, ApiError> {
    let x = web
        .inner
        .calendar
        .permanence(id)
        .await
        .map_err(ApiError::from)?;
    p.require(FRONT_DESK, Some(x.site_id))?;
    Ok(x)
}

pub(super) fn stage_words(ctx: &Ctx, s: Stage) -> String {
    match s {
        Stage::Booked => t(ctx, "expected"),
        Stage::Arrived => t(ctx, "arrived"),
        Stage::InProgress => t(ctx, "in-progress"),
        Stage::Done => t(ctx, "done"),
        Stage::NoShow => t(ctx, "did-not-come"),
        Stage::Excused => t(ctx, "excused"),
    }
}

pub(super) fn ticket_words(ctx: &Ctx, s: TicketState) -> (String, &'static str) {
    match s {
        TicketState::Waiting => (t(ctx, "waiting"), "waiting"),
        TicketState::Called => (t(ctx, "called"), "called"),
        TicketState::Served => (t(ctx, "served"), "done"),
        TicketState::Left => (t(ctx, "left"), ""),
    }
}

/// The queue's table: what the live script replaces.
pub(super) async fn queue_markup(
    web: &Web,
    ctx: &Ctx,
    x: &calendar::Permanence,
) -> Result<Markup, ApiError> {
    let tickets: Vec<Ticket> = web.inner.appointments.queue(&x.permanence_id).await?;
    let mut names = Vec::with_capacity(tickets.len());
    for tk in &tickets {
        names.push(web.inner.appointments.first_name_of(tk).await);
    }
    let waiting = tickets
        .iter()
        .filter(|k| k.state == TicketState::Waiting)
        .count();
    // live.js puts the minutes in the braces as the wait ticks.
    let minutes_format = t(ctx, "minutes-ticking");
    let now = web.now();
    Ok(html! {
        p role="status" { (t_with(ctx, "people-waiting", &[("count", waiting.into())])) }
        div.scroll tabindex="0" {
            table.stack {
                thead { tr { th.num { "N°" } th { (t(ctx, "first-name")) } th { (t(ctx, "for")) } th { (t(ctx, "state")) } th { (t(ctx, "wait")) } th { (t(ctx, "actions")) } } }
                tbody {
                    @for (tk, name) in tickets.iter().zip(&names) {
                        @let (state, class) = ticket_words(ctx, tk.state);
                        tr id={ "ticket-" (tk.id) } {
                            td.num { (tk.number) }
                            td { (name.as_deref().unwrap_or("—")) }
                            td { @for r in &tk.reasons { span.badge { (reason_words(ctx, *r)) } " " } }
                            td { span class={ "badge " (class) } { (state) } }
                            td {
                                @match (tk.state, tk.waited_minutes()) {
                                    (TicketState::Waiting, _) => span data-since=(tk.arrived_at.to_rfc3339()) data-format=(minutes_format) { (minutes_since(now, tk.arrived_at)) " min" },
                                    (_, Some(m)) => span { (m) " min" },
                                    _ => span { "—" },
                                }
                            }
                            td {
                                @if tk.state == TicketState::Waiting {
                                    (ticket_button(ctx, tk, "called", &t(ctx, "call")))
                                }
                                @if tk.state == TicketState::Called {
                                    (ticket_button(ctx, tk, "served", &t(ctx, "done-2")))
                                }
                                @if matches!(tk.state, TicketState::Waiting | TicketState::Called) {
                                    (ticket_button(ctx, tk, "left", &t(ctx, "left-2")))
                                }
                                @if matches!(tk.state, TicketState::Called | TicketState::Served) {
                                    a.button.small.secondary href={ "/agents/visites/" (tk.id) } { (t(ctx, "requests")) }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

pub(super) fn minutes_since(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (now - then).num_minutes().max(0)
}

pub(super) fn ticket_button(ctx: &Ctx, tk: &Ticket, step: &str, label: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/agents/tickets/" (tk.id) } {
            (csrf_field(ctx))
            input type="hidden" name="etape" value=(step);
            button.small type="submit" id={ "t-" (tk.id) "-" (step) } { (label) " " span.skip { "n° " (tk.number) } }
        }
    }
}

pub(super) fn reason_chips(ctx: &Ctx, name: &str, checked: &[Reason]) -> Markup {
    html! {
        div.chips {
            @for r in Reason::ALL {
                label {
                    input type="checkbox" name=(name) value=(r.code()) checked[checked.contains(&r)];
                    (reason_words(ctx, r))
                }
            }
        }
    }
}

/// The name and phone number of each appointment's resident, as `p` may
/// see them (recorded in the audit with `purpose`).
pub(super) async fn people(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    purpose: ReadPurpose,
    list: &[Booking],
) -> Result<Vec<(String, String)>, ApiError> {
    let seen = web
        .inner
        .identity
        .residents_for(
            p,
            ctx.correlation.0,
            purpose,
            list.iter().map(|b| b.resident),
        )
        .await
        .map_err(ApiError::from)?;
    Ok(list
        .iter()
        .map(|b| {
            seen.get(&b.resident)
                .map(|r| (r.name.clone(), r.phone.clone()))
                .unwrap_or_default()
        })
        .collect())
}

/// A permanence's live appointments in time order, with their residents'
/// names as `p` may see them (an audited day-list read).
pub(super) async fn day_list_named(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    permanence_id: &str,
) -> Result<(Vec<Booking>, Vec<String>), ApiError> {
    let list = web.inner.appointments.day_list(permanence_id).await?;
    let names = people(web, ctx, p, ReadPurpose::DayList, &list)
        .await?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Ok((list, names))
}

/// A permanence's day: appointments with their buttons, the drop-in queue
/// (live), and the arrival form.
pub async fn permanence_page(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        permanence_view(&web, ctx, p, &id, None, &Arrival::default()).await
    })
}

/// What was typed in the arrival form when it was refused.
#[derive(Default)]
pub(super) struct Arrival {
    first_name: String,
    reasons: Vec<Reason>,
}

/// A permanence's page, with what went wrong (an action refused: shown at
/// the top, and under the arrival form's field when it is about it) and
/// what was typed in the arrival form.
pub(super) async fn permanence_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    id: &str,
    problem: Option<Refusal>,
    typed: &Arrival,
) -> Result<Response, ApiError> {
    let x = permanence_at_desk(web, p, id).await?;
    let (list, names) = day_list_named(web, ctx, p, &x.permanence_id).await?;
    let queue = if x.drop_in {
        Some(queue_markup(web, ctx, &x).await?)
    } else {
        None
    };
    let title = format!(
        "{} · {} {}–{}",
        x.site_name,
        x.day.format("%d/%m"),
        reminders::texts::time(ctx.lang, x.starts_local.time()),
        reminders::texts::time(ctx.lang, x.ends_local.time())
    );
    let body = html! {
        p { a href="/agents/journee" { "← " (t(ctx, "todays-permanences")) } " · " a href={ "/agents/permanences/" (x.permanence_id) "/feuille" } { (t(ctx, "printable-day-sheet")) } }
        h1 { (title) }
        (refusal_top(problem.as_ref()))
        div.grid2 {
            section aria-labelledby="h-rdv" {
                h2 id="h-rdv" { (t(ctx, "appointments")) " (" (list.len()) ")" }
                @if list.is_empty() { p { (t(ctx, "no-appointment")) } }
                div.scroll tabindex="0" {
                    table.stack {
                        thead { tr { th { (t(ctx, "time")) } th { (t(ctx, "resident")) } th { (t(ctx, "for")) } th { (t(ctx, "state")) } th { (t(ctx, "actions")) } } }
                        tbody {
                            @for (b, name) in list.iter().zip(&names) {
                                tr id={ "rdv-" (b.id) } {
                                    td { (hm(ctx, b.starts_at)) }
                                    td { (name) }
                                    td { (reason_words(ctx, b.reason)) }
                                    td { span.badge { (stage_words(ctx, b.stage)) } }
                                    td {
                                        @if b.stage == Stage::Booked {
                                            (step_button(ctx, b, "arrived", &t(ctx, "arrived-2"), name))
                                            (step_button(ctx, b, "no-show", &t(ctx, "no-show"), name))
                                        }
                                        // Said they could not come: not
                                        // counted absent.
                                        @if matches!(b.stage, Stage::Booked | Stage::NoShow) {
                                            (step_button(ctx, b, "excused", &t(ctx, "excuse"), name))
                                        }
                                        // A tap by mistake is taken back.
                                        @if matches!(b.stage, Stage::Arrived | Stage::NoShow | Stage::Excused) {
                                            (step_button(ctx, b, "undo", &t(ctx, "undo"), name))
                                        }
                                        @if matches!(b.stage, Stage::Arrived | Stage::InProgress) {
                                            (step_button(ctx, b, "done", &t(ctx, "done-2"), name))
                                        }
                                        @if matches!(b.stage, Stage::Arrived | Stage::InProgress | Stage::Done) {
                                            a.button.small.secondary href={ "/agents/visites/" (b.id) } { (t(ctx, "requests")) span.skip { " " (name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(q) = queue {
                section aria-labelledby="h-file" {
                    h2 id="h-file" { (t(ctx, "drop-in-queue-2")) }
                    div id="file" aria-live="polite"
                        data-live={ "/api/v1/sites/" (x.site_id) "/permanences/" (x.permanence_id) "/queue/live" }
                        data-fragment={ "/agents/permanences/" (x.permanence_id) "/file" } { (q) }
                    // Without the script the queue does not follow by
                    // itself: say so, with the way to see it again.
                    noscript {
                        p.hint {
                            (t(ctx, "queue-without-script")) " "
                            a href={ "/agents/permanences/" (x.permanence_id) "#file" } { (t(ctx, "refresh")) }
                        }
                    }
                    form method="post" action={ "/agents/permanences/" (x.permanence_id) "/file" } {
                        (csrf_field(ctx))
                        fieldset {
                            legend { (t(ctx, "someone-arrives")) }
                            (staff_input("first_name", &t(ctx, "first-name-optional"), "text", &typed.first_name, problem.as_ref()))
                            p { (t(ctx, "what-for")) }
                            (reason_chips(ctx, "reason", &typed.reasons))
                            button type="submit" { (t(ctx, "add-to-the-queue")) }
                        }
                    }
                }
            }
        }
    };
    let status = match &problem {
        None => StatusCode::OK,
        Some(r) if r.field.is_some() => StatusCode::UNPROCESSABLE_ENTITY,
        Some(_) => StatusCode::CONFLICT,
    };
    Ok(Page::new(title, body).wide().status(status).render(ctx))
}

/// Where a refused action on a permanence goes: back to its page, which
/// says why, except when the page itself cannot be shown (not found, not
/// allowed), which the error page says.
pub(super) async fn refused_on_permanence(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    permanence_id: &str,
    e: ApiError,
    typed: &Arrival,
) -> Result<Response, ApiError> {
    match e {
        ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::BadRequest(_) => {
            let r = Refusal::of(ctx, &e);
            permanence_view(web, ctx, p, permanence_id, Some(r), typed).await
        }
        e => Err(e),
    }
}

pub(super) fn step_button(ctx: &Ctx, b: &Booking, step: &str, label: &str, name: &str) -> Markup {
    html! {
        form.inline method="post" action={ "/agents/rdv/" (b.id) "/etape" } {
            (csrf_field(ctx))
            input type="hidden" name="etape" value=(step);
            // "Absent" does not look like "Arrivé", and undoing looks
            // like neither.
            button type="submit" id={ "a-" (b.id) "-" (step) }
                class=(match step { "no-show" => "small absent", "undo" => "small secondary", _ => "small" }) { (label) span.skip { " " (name) } }
        }
    }
}

pub async fn queue_fragment(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let m = queue_markup(&web, ctx, &x).await?;
        Ok((
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            m.into_string(),
        )
            .into_response())
    })
}

pub(super) fn reasons_from(
    pairs: &[(String, String)],
    name: &str,
) -> Result<Vec<Reason>, ApiError> {
    forms::fields(pairs, name)
        .into_iter()
        .map(|c| {
            Reason::from_code(c).ok_or_else(|| ApiError::Invalid {
                field: name.into(),
                message: format!("{c:?} is not a reason"),
            })
        })
        .collect()
}

pub async fn arrive_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let pairs = forms::pairs(&body);
        let reasons = reasons_from(&pairs, "reason")?;
        let first = forms::field(&pairs, "first_name");
        match web
            .inner
            .appointments
            .drop_in_arrive(
                &p.acting(ctx.correlation, ctx.now),
                &x.permanence_id,
                Some(first),
                &reasons,
            )
            .await
        {
            Ok(_) => Ok(see_other(&format!(
                "/agents/permanences/{}#file",
                x.permanence_id
            ))),
            Err(e) => {
                let typed = Arrival {
                    first_name: first.to_owned(),
                    reasons,
                };
                refused_on_permanence(&web, ctx, p, &x.permanence_id, e.into(), &typed).await
            }
        }
    })
}

pub async fn ticket_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let id: uuid::Uuid = raw.parse().map_err(|_| {
            ApiError::NotFound(messages::say!(
                crate::ERRORS,
                "there-is-no-ticket",
                raw = raw
            ))
        })?;
        let ticket = web.inner.appointments.ticket(id).await?;
        let x = permanence_at_desk(&web, p, &ticket.permanence_id).await?;
        let pairs = forms::pairs(&body);
        let to = match forms::field(&pairs, "etape") {
            "called" => TicketState::Called,
            "served" => TicketState::Served,
            "left" => TicketState::Left,
            other => {
                return Err(ApiError::Invalid {
                    field: "etape".into(),
                    message: format!("{other:?}: use called, served or left"),
                });
            }
        };
        match web
            .inner
            .appointments
            .drop_in_step(&p.acting(ctx.correlation, ctx.now), id, to)
            .await
        {
            Ok(_) => Ok(see_other(&format!(
                "/agents/permanences/{}#file",
                x.permanence_id
            ))),
            Err(e) => {
                refused_on_permanence(
                    &web,
                    ctx,
                    p,
                    &x.permanence_id,
                    e.into(),
                    &Arrival::default(),
                )
                .await
            }
        }
    })
}

/// Blank rows on the day sheet, for people who come without a booking.
const WALK_IN_ROWS: usize = 8;

/// One page to print: the day's appointments and the queue of a
/// permanence, with a phone number to call for each appointment, and blank
/// rows for walk-ins.
pub async fn day_sheet(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let x = permanence_at_desk(&web, p, &id).await?;
        let list = web.inner.appointments.day_list(&x.permanence_id).await?;
        let people = people(&web, ctx, p, ReadPurpose::DayList, &list).await?;
        let tickets: Vec<Ticket> = web.inner.appointments.queue(&x.permanence_id).await?;
        let mut names = Vec::with_capacity(tickets.len());
        for tk in &tickets {
            names.push(web.inner.appointments.first_name_of(tk).await);
        }
        let title = format!(
            "{} · {} · {}–{}",
            x.site_name,
            x.day.format("%d/%m/%Y"),
            reminders::texts::time(ctx.lang, x.starts_local.time()),
            reminders::texts::time(ctx.lang, x.ends_local.time())
        );
        let body = html! {
            h1 { (title) }
            p.no-print { a href={ "/agents/permanences/" (x.permanence_id) } { "← " (t(ctx, "back")) } }
            div.scroll tabindex="0" {
                table {
                    thead { tr { th { (t(ctx, "time")) } th { (t(ctx, "resident")) } th { (t(ctx, "phone")) } th { (t(ctx, "for")) } th { (t(ctx, "ref")) } th { (t(ctx, "came")) } } }
                    tbody {
                        @for (b, (name, phone)) in list.iter().zip(&people) {
                            tr { td { (hm(ctx, b.starts_at)) } td { (name) } td { (phone_words(phone)) } td { (reason_words(ctx, b.reason)) } td { (b.reference) } td { "☐" } }
                        }
                    }
                }
            }
            p { (list.len()) " " (t(ctx, "appointments-2")) }
            @if x.drop_in {
                h2 { (t(ctx, "drop-in-queue-2")) }
                div.scroll tabindex="0" {
                    table {
                        thead { tr { th.num { "N°" } th { (t(ctx, "first-name")) } th { (t(ctx, "for")) } th { (t(ctx, "state")) } } }
                        tbody {
                            @for (tk, name) in tickets.iter().zip(&names) {
                                tr {
                                    td.num { (tk.number) }
                                    td { (name.as_deref().unwrap_or("—")) }
                                    td { @for r in &tk.reasons { (reason_words(ctx, *r)) " " } }
                                    td { (ticket_words(ctx, tk.state).0) }
                                }
                            }
                        }
                    }
                }
            }
            // Rows to fill in by hand for people who come without a
            // booking, when the sheet is on paper.
            h2 { (t(ctx, "walk-ins")) }
            div.scroll tabindex="0" {
                table.blank {
                    thead { tr { th { (t(ctx, "time")) } th { (t(ctx, "first-name")) } th { (t(ctx, "for")) } th { (t(ctx, "came")) } } }
                    tbody { @for _ in 0..WALK_IN_ROWS { tr { td {} td {} td {} td { "☐" } } } }
                }
            }
            p.no-print { button.secondary type="button" data-print hidden { (t(ctx, "print")) } }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

//! Reception: find a resident by phone or name, move, cancel, book on
//! their behalf, and the SMS to call back about.

use super::*;

#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
    fait: Option<String>,
}

pub(super) fn done_words(ctx: &Ctx, fait: Option<&str>) -> Option<String> {
    match fait? {
        "reserve" => Some(t(ctx, "booked-the-confirmation-sms-is")),
        "deplace" => Some(t(ctx, "moved-the-resident-gets-an")),
        "annule" => Some(t(ctx, "cancelled-the-resident-gets-an")),
        _ => None,
    }
}

/// Sites where `p` has one of `roles`.
pub(super) async fn sites_of(
    web: &Web,
    p: &Principal,
    roles: &[Role],
) -> Result<Vec<calendar::SiteView>, ApiError> {
    let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
    let mut sites: Vec<calendar::SiteView> = model
        .sites
        .values()
        .filter(|s| p.may(roles, Some(s.id)))
        .cloned()
        .collect();
    sites.sort_by(|a, b| a.details.name.cmp(&b.details.name));
    Ok(sites)
}

pub(super) fn booking_row(ctx: &Ctx, b: &Booking, site_name: &str, back: &str) -> Markup {
    html! {
        tr {
            td { (when(ctx, b.starts_at)) }
            td { (site_name) }
            td { (reason_words(ctx, b.reason)) }
            td { (b.reference) }
            td {
                a.button.small.secondary href={ "/agents/rdv/" (b.id) "/deplacer" } { (t(ctx, "move")) }
                details {
                    summary { (t(ctx, "cancel")) }
                    form method="post" action={ "/agents/rdv/" (b.id) "/annuler" } {
                        (csrf_field(ctx))
                        input type="hidden" name="retour" value=(back);
                        label for={ "motif-" (b.id) } { (t(ctx, "reason-optional")) }
                        input type="text" id={ "motif-" (b.id) } name="motif" maxlength="200";
                        p { (t(ctx, "cancel-q")) }
                        button.danger.small type="submit" { (t(ctx, "cancel-this-appointment")) }
                    }
                }
            }
        }
    }
}

/// Reception: one search box, what it finds, and the SMS that failed.
pub async fn reception_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<SearchQuery>,
) -> Response {
    staff_page!(ctx, p, reception(&web, ctx, p, q, None))
}

pub(super) async fn reception(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    q: SearchQuery,
    problem: Option<&ApiError>,
) -> Result<Response, ApiError> {
    let query = q.q.as_deref().unwrap_or("").trim().to_owned();
    let sites = sites_of(web, p, FRONT_DESK).await?;
    let site_name = |id: SiteId| site_name_in(&sites, id);
    let mut found = Vec::new();
    let mut too_short = !query.is_empty() && query.chars().count() < 2;
    if query.chars().count() >= 2 {
        let residents = match web
            .inner
            .identity
            .find_residents(p, ctx.correlation.0, &query)
            .await
        {
            Ok(found) => found,
            Err(identity::IdentityError::Invalid(_)) => {
                too_short = true;
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let now = web.now();
        for identity::ResidentSeen {
            id, name, phone, ..
        } in residents
        {
            let upcoming: Vec<Booking> = web
                .inner
                .appointments
                .bookings_of(id)
                .await?
                .into_iter()
                .filter(|b| b.ends_at > now && !b.cancelled && p.may(FRONT_DESK, Some(b.site)))
                .collect();
            found.push((id, name, phone, upcoming));
        }
    }
    let mut failed = Vec::new();
    for s in &sites {
        for r in web
            .inner
            .reminders
            .failed_at(s.id)
            .await
            .map_err(ApiError::internal)?
        {
            let resident = web.inner.appointments.resident_of(r.appointment).await.ok();
            failed.push((s.details.name.clone(), r, resident));
        }
    }
    let to_call = web
        .inner
        .identity
        .residents_for(
            p,
            ctx.correlation.0,
            ReadPurpose::CallBack,
            failed.iter().filter_map(|(_, _, r)| *r),
        )
        .await
        .map_err(ApiError::from)?;
    let failed: Vec<_> = failed
        .into_iter()
        .map(|(site, r, resident)| {
            let who = resident
                .and_then(|id| to_call.get(&id))
                .map(|v| (v.name.clone(), v.phone.clone()));
            (site, r, who)
        })
        .collect();
    let back = ctx.here.clone();
    let title = t(ctx, "reception");
    let body = html! {
        h1 { (title) }
        @if let Some(d) = done_words(ctx, q.fait.as_deref()) { p.notice role="status" { (d) } }
        @if let Some(e) = problem { p.alert role="alert" { (says(ctx, e)) } }
        form method="get" action="/agents/accueil" role="search" {
            label for="q" { (t(ctx, "residents-phone-number-or-name")) }
            input type="search" id="q" name="q" value=(query) autofocus;
            button type="submit" { (t(ctx, "search")) }
        }
        @if too_short { p.error role="alert" { (t(ctx, "type-at-least-two-letters")) } }
        @if query.chars().count() >= 2 {
            h2 { (t(ctx, "results")) " (" (found.len()) ")" }
            @if found.is_empty() {
                p { (t(ctx, "nobody-found-check-the-number")) }
            }
            @for (id, name, phone, upcoming) in &found {
                section {
                    h3 { (name) " · " (phone_words(phone)) }
                    p {
                        a.button.small.secondary href={ "/agents/pour/" (id) } { (t(ctx, "book-for-this-person")) span.skip { " " (name) } }
                        " "
                        a.button.small.secondary href={ "/agents/personnes/" (id) } { (t(ctx, "history")) span.skip { " " (name) } }
                    }
                    @if upcoming.is_empty() {
                        p { (t(ctx, "no-upcoming-appointment")) }
                    } @else {
                        div.scroll tabindex="0" {
                            table {
                                caption.skip { (t(ctx, "upcoming-appointments-of")) (name) }
                                thead { tr { th { (t(ctx, "when")) } th { (t(ctx, "place")) } th { (t(ctx, "reason")) } th { (t(ctx, "reference")) } th { (t(ctx, "actions")) } } }
                                tbody { @for b in upcoming { (booking_row(ctx, b, &site_name(b.site), &back)) } }
                            }
                        }
                    }
                }
            }
        }
        p { a.button.secondary href="/" { (t(ctx, "book-for-a-resident")) } }
        h2 { (t(ctx, "sms-not-delivered-call-back")) }
        @if failed.is_empty() {
            p { (t(ctx, "none-2")) }
        } @else {
            div.scroll tabindex="0" {
                table {
                    thead { tr { th { (t(ctx, "place")) } th { (t(ctx, "resident")) } th { (t(ctx, "message")) } th { (t(ctx, "error")) } } }
                    tbody {
                        @for (site, r, who) in &failed {
                            tr {
                                td { (site) }
                                td { @if let Some((n, ph)) = who { (n) " · " a href={ "tel:" (ph) } { (phone_words(ph)) } } @else { "—" } }
                                td { (r.kind) " (" (r.channel) ")" }
                                td { (r.error.as_deref().unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = problem.map_or(StatusCode::OK, ApiError::status);
    Ok(Page::new(title, body).wide().status(status).render(ctx))
}

pub(super) async fn booking_at_desk(
    web: &Web,
    p: &Principal,
    raw: &str,
) -> Result<Booking, ApiError> {
    let id: AppointmentId = crate::resident::appointment_id(raw)?;
    let b = web.inner.appointments.get(id).await?;
    p.require(FRONT_DESK, Some(b.site))?;
    Ok(b)
}

pub(super) async fn move_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    b: &Booking,
    day: Option<NaiveDate>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let now = web.now();
    let from = day.unwrap_or_else(|| contracts::time::local_date(now));
    let times: Vec<Available> = web
        .inner
        .appointments
        .availability(
            Some(b.site),
            b.reason,
            from,
            if day.is_some() { 1 } else { 28 },
            now,
        )
        .await?;
    let phone = people(
        web,
        ctx,
        p,
        ReadPurpose::Appointment,
        std::slice::from_ref(b),
    )
    .await?
    .pop()
    .filter(|(name, _)| !name.is_empty());
    let title = t(ctx, "move-the-appointment");
    let action = format!("/agents/rdv/{}/deplacer", b.id);
    let body = html! {
        p { a href={ "/agents/accueil?q=" (url_encode(phone.as_ref().map_or("", |p| p.1.as_str()))) } { "← " (t(ctx, "back")) } }
        h1 { (title) }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        p {
            @if let Some((n, ph)) = &phone { (n) " · " (phone_words(ph)) " · " }
            (reason_words(ctx, b.reason)) " · " strong { (when(ctx, b.starts_at)) }
        }
        h2 { @if let Some(d) = day { (d.format("%d/%m/%Y")) } @else { (t(ctx, "next-free-times")) } }
        @if times.is_empty() { p { (t(ctx, "no-free-time")) } }
        ul.times {
            @for a in times.iter().take(if day.is_some() { 40 } else { 12 }) {
                li {
                    form.inline method="post" action=(action) {
                        (csrf_field(ctx))
                        input type="hidden" name="start" value=(a.start.naive_local().format("%Y-%m-%dT%H:%M"));
                        button type="submit" { (when(ctx, a.start.to_utc())) }
                    }
                }
            }
        }
        form method="get" action=(action) {
            label for="jour" { (t(ctx, "another-day")) }
            input type="date" id="jour" name="jour" value=[day.map(|d| d.to_string())];
            button.secondary type="submit" { (t(ctx, "show-that-day")) }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .status(if problem.is_some() {
            StatusCode::CONFLICT
        } else {
            StatusCode::OK
        })
        .render(ctx))
}

pub async fn move_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<DayQuery>,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let day = q.day();
        move_view(&web, ctx, p, &b, day, None).await
    })
}

pub async fn move_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let start = NaiveDateTime::parse_from_str(forms::field(&pairs, "start"), "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|t| contracts::time::to_utc(t).ok());
        let Some(start) = start else {
            return move_view(
                &web,
                ctx,
                p,
                &b,
                None,
                Some(t(ctx, "choose-a-time-from-the").to_owned()),
            )
            .await;
        };
        match web
            .inner
            .appointments
            .reschedule(
                &p.acting(ctx.correlation, ctx.now),
                b.id,
                start,
                contracts::Party::Staff,
            )
            .await
        {
            Ok(_) => {
                let phone = web
                    .inner
                    .identity
                    .directory()
                    .await
                    .map_err(ApiError::from)?
                    .resident(b.resident)
                    .map(|r| r.phone.clone())
                    .unwrap_or_default();
                Ok(see_other(&format!(
                    "/agents/accueil?q={}&fait=deplace",
                    url_encode(&phone)
                )))
            }
            Err(AppointmentError::SlotTaken { .. }) => {
                move_view(
                    &web,
                    ctx,
                    p,
                    &b,
                    None,
                    Some(t(ctx, "that-time-was-just-taken").to_owned()),
                )
                .await
            }
            Err(e) => {
                let e = ApiError::from(e);
                move_view(&web, ctx, p, &b, None, Some(says(ctx, &e))).await
            }
        }
    })
}

pub async fn cancel_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let back = api::safe_return(Some(forms::field(&pairs, "retour")));
        if !b.cancelled
            && let Err(e) = web
                .inner
                .appointments
                .cancel(
                    &p.acting(ctx.correlation, ctx.now),
                    b.id,
                    contracts::Party::Staff,
                    forms::field(&pairs, "motif"),
                )
                .await
        {
            // Back to the search it came from, which says why.
            let query = back.split_once('?').map_or("", |(_, q)| q);
            let searched = forms::pairs(query.as_bytes());
            let q = SearchQuery {
                q: Some(forms::field(&searched, "q").to_owned()),
                fait: None,
            };
            return reception(&web, ctx, p, q, Some(&ApiError::from(e))).await;
        }
        let sep = if back.contains('?') { '&' } else { '?' };
        Ok(see_other(&format!("{back}{sep}fait=annule")))
    })
}

/// The resident of the address, if the staff member may see them: read
/// as an audited record read.
async fn resident_at(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    raw: &str,
) -> Result<(contracts::ResidentId, identity::ResidentSeen), ApiError> {
    let not_found = || ApiError::NotFound(t(ctx, "there-is-no-such-resident"));
    let id: contracts::ResidentId = raw.parse().map_err(|_| not_found())?;
    let seen = resident_seen(web, ctx, p, id)
        .await?
        .ok_or_else(not_found)?;
    Ok((id, seen))
}

/// Resident `id` as `p` sees them (`None`: not visible from their sites),
/// recorded in the audit as a record read.
pub(crate) async fn resident_seen(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    id: contracts::ResidentId,
) -> Result<Option<identity::ResidentSeen>, ApiError> {
    Ok(web
        .inner
        .identity
        .residents_for(p, ctx.correlation.0, ReadPurpose::Record, [id])
        .await
        .map_err(ApiError::from)?
        .remove(&id))
}

/// A site's name among `sites` (empty when not one of them).
fn site_name_in(sites: &[calendar::SiteView], id: SiteId) -> String {
    sites
        .iter()
        .find(|s| s.id == id)
        .map_or_else(String::new, |s| s.details.name.clone())
}

/// A resident's history, as reception sees it on the phone: every
/// appointment at the caller's sites, past and coming (no-shows and
/// cancellations included), each with the messages sent about it and
/// whether they arrived. Read as an audited record read.
pub async fn history_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<SearchQuery>,
) -> Response {
    staff_page!(ctx, p, async {
        let done = (q.fait.as_deref() == Some("sms")).then(|| t(ctx, "sms-sent-again"));
        history(&web, ctx, p, &raw, done, None).await
    })
}

/// Sends an appointment's last SMS again, from the resident's history;
/// back to the history, which says it was done or why it could not be.
pub async fn resend_post(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let resident = b.resident.to_string();
        match web
            .inner
            .reminders
            .resend_last_sms(&p.acting(ctx.correlation, ctx.now), b.id)
            .await
        {
            Ok(_) => Ok(see_other(&format!(
                "/agents/personnes/{resident}?fait=sms#rdv-{}",
                b.id
            ))),
            Err(e) => {
                let e = ApiError::from(e);
                history(&web, ctx, p, &resident, None, Some(says(ctx, &e))).await
            }
        }
    })
}

async fn history(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    raw: &str,
    done: Option<String>,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let (id, who) = resident_at(web, ctx, p, raw).await?;
    let who = &who;
    let sites = sites_of(web, p, FRONT_DESK).await?;
    let site_name = |site: SiteId| site_name_in(&sites, site);
    let mut list: Vec<Booking> = web
        .inner
        .appointments
        .bookings_of(id)
        .await?
        .into_iter()
        .filter(|b| p.may(FRONT_DESK, Some(b.site)))
        .collect();
    // The latest first: what reception is asked about.
    list.reverse();
    let mut sent = Vec::with_capacity(list.len());
    for b in &list {
        sent.push(
            web.inner
                .reminders
                .of_appointment(b.id)
                .await
                .map_err(ApiError::internal)?,
        );
    }
    let no_shows = list.iter().filter(|b| b.stage == Stage::NoShow).count();
    let title = t_with(ctx, "history-of", &[("name", who.name.clone().into())]);
    let now = web.now();
    let body = html! {
        p { a href={ "/agents/accueil?q=" (crate::layout::url_encode(&who.phone)) } { "← " (t(ctx, "reception")) } }
        h1 { (title) }
        @if let Some(d) = &done { p.notice role="status" { (d) } }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        p { (phone_words(&who.phone)) " · " (t_with(ctx, "history-counts", &[("count", list.len().into()), ("no_shows", no_shows.into())])) }
        @if list.is_empty() { p { (t(ctx, "no-appointment")) } }
        div.scroll tabindex="0" {
            table {
                thead { tr { th { (t(ctx, "when")) } th { (t(ctx, "place")) } th { (t(ctx, "reason")) } th { (t(ctx, "state")) } th { (t(ctx, "messages-sent")) } } }
                tbody {
                    @for (b, messages) in list.iter().zip(&sent) {
                        tr id={ "rdv-" (b.id) } {
                            td { (when(ctx, b.starts_at)) }
                            td { (site_name(b.site)) }
                            td { (reason_words(ctx, b.reason)) }
                            td { @if b.cancelled { (t(ctx, "cancelled")) } @else { (super::day::stage_words(ctx, b.stage)) } }
                            td {
                                @if messages.is_empty() { "—" }
                                ul {
                                    @for m in messages {
                                        li {
                                            (m.kind) " (" (m.channel) ") · " (m.state)
                                            @if let Some(d) = &m.delivery { " · " (d) }
                                            @if let Some(e) = &m.error { " · " (e) }
                                        }
                                    }
                                }
                                // A resident on the phone who lost the
                                // SMS: it goes again.
                                @if !b.cancelled && b.starts_at > now && messages.iter().any(|m| m.channel == "sms" && matches!(m.state, "sent" | "failed")) {
                                    form.inline method="post" action={ "/agents/rdv/" (b.id) "/renvoyer-sms" } {
                                        (csrf_field(ctx))
                                        button.small.secondary type="submit" { (t(ctx, "send-last-sms-again")) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let status = if problem.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    Ok(Page::new(title, body).wide().status(status).render(ctx))
}

/// "Book for this person": remembers the resident found, then opens the
/// booking steps, whose last form comes filled with them.
pub async fn book_for(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = resident_at(&web, ctx, p, &raw).await?;
        let mut to = see_other("/");
        to.headers_mut().append(
            header::SET_COOKIE,
            forms::set_cookie(
                forms::FOR_COOKIE,
                &id.to_string(),
                3600,
                web.inner.secure_cookies,
            ),
        );
        Ok(to)
    })
}

pub async fn step_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let b = booking_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let to = match Stage::of_step(forms::field(&pairs, "etape")) {
            Some(to) => to,
            None => {
                let other = forms::field(&pairs, "etape");
                return Err(ApiError::Invalid {
                    field: "etape".into(),
                    message: format!(
                        "{other:?}: use arrived, started, done, no-show, excused or undo"
                    ),
                });
            }
        };
        match web
            .inner
            .appointments
            .advance(&p.acting(ctx.correlation, ctx.now), b.id, to)
            .await
        {
            Ok(_) => Ok(see_other(&format!(
                "/agents/permanences/{}#rdv-{}",
                b.permanence_id, b.id
            ))),
            Err(e) => {
                super::day::refused_on_permanence(
                    &web,
                    ctx,
                    p,
                    &b.permanence_id,
                    e.into(),
                    &super::day::Arrival::default(),
                )
                .await
            }
        }
    })
}

//! The manage link from the SMS: see, cancel or move an appointment.

use super::*;

/// What the holder of a manage link may see.
pub(super) struct Held {
    token: String,
    booking: Booking,
    site: calendar::SiteView,
}

pub(super) async fn held(web: &Web, ctx: &Ctx, token: &str) -> Result<Held, ApiError> {
    let access = web
        .inner
        .identity
        .resolve_link(token, &ctx.client)
        .await
        .map_err(ApiError::from)?;
    held_from(web, token, access.appointment_id).await
}

/// The appointment a link resolved to opens.
async fn held_from(web: &Web, token: &str, id: AppointmentId) -> Result<Held, ApiError> {
    let booking = web.inner.appointments.get(id).await?;
    let site = site(web, &booking.site.to_string()).await?;
    Ok(Held {
        token: token.to_owned(),
        booking,
        site,
    })
}

/// The SMS link opens in the language the resident booked in, whatever
/// browser opens it (a relative's phone, a computer at the library), unless
/// this browser chose a language itself.
pub(super) async fn booked_language(web: &Web, mut ctx: Ctx, b: &Booking) -> Ctx {
    if ctx.lang_chosen {
        return ctx;
    }
    // Identity keeps the language's proto name (`LANGUAGE_AR`).
    if let Ok(d) = web.inner.identity.resident_details(b.resident).await
        && let Some(l) = contracts::Language::from_str_name(&d.language)
        && l != contracts::Language::Unspecified
    {
        ctx.lang = l;
        ctx.w = crate::text::words(l);
    }
    ctx
}

pub(super) async fn link_failure(web: &Web, ctx: &Ctx, e: &ApiError) -> Response {
    match e {
        ApiError::NotFound(_) | ApiError::Unauthorized(_) | ApiError::Forbidden(_) => {
            let w = ctx.w;
            // The link does not say which place: every place's number.
            let mut sites: Vec<(String, String)> = match web.inner.calendar.model().await {
                Ok(m) => m
                    .sites
                    .values()
                    .filter(|s| !s.details.phone.is_empty())
                    .map(|s| (s.details.name.clone(), s.details.phone.clone()))
                    .collect(),
                Err(_) => Vec::new(),
            };
            sites.sort();
            Page::new(
                &w.your_appointment,
                html! {
                    h1 { (w.your_appointment) }
                    p.alert role="alert" { (w.err_link) }
                    @if !sites.is_empty() {
                        p { (w.err_link_call) }
                        ul {
                            @for (name, phone) in &sites {
                                li { bdi { (name) } " : " (super::who::phone_link(phone)) }
                            }
                        }
                    }
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
    pub(super) nouveau: Option<String>,
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
    let access = match web.inner.identity.resolve_link(&token, &ctx.client).await {
        Ok(a) => a,
        Err(e) => return link_failure(&web, &ctx, &e.into()).await,
    };
    let h = match held_from(&web, &token, access.appointment_id).await {
        Ok(h) => h,
        // No appointment: the link of a place offered from a waiting
        // list, or of the list.
        Err(e @ ApiError::NotFound(_)) => {
            match super::waiting::page_for(&web, &ctx, &token, access.appointment_id, &q).await {
                Some(page) => return page,
                None => return link_failure(&web, &ctx, &e).await,
            }
        }
        Err(e) => return link_failure(&web, &ctx, &e).await,
    };
    let ctx = booked_language(&web, ctx, &h.booking).await;
    // Whatever the services say while answering is said in that
    // language too.
    messages::scope(ctx.lang.into(), async {
        let w = ctx.w;
        let (form, cookie) = form_token(&web, &ctx);
        let b = &h.booking;
        let over = b.ends_at <= web.now();
        let title = if q.nouveau.is_some() && !b.cancelled {
            &w.booked_title
        } else {
            &w.your_appointment
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
            p { (w.reference) " : " strong { bdi dir="ltr" { (b.reference) } } }
            @if !b.cancelled && !over {
                // Only who was told an SMS is coming is sent to its link.
                p { @if q.nouveau.as_deref() == Some("0") { (w.how_to_cancel_no_sms) } @else { (w.how_to_cancel) } }
                p.actions.no-print {
                    a.button.secondary href={ "/r/" (h.token) "/rendez-vous.ics" } download { (w.add_to_calendar) }
                    " "
                    // Shown by the script, which prints; without it, the
                    // browser's own menu prints the page as well (print styles).
                    button.secondary type="button" data-print hidden { (w.print) }
                }
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
    })
    .await
}

/// The appointment as an iCalendar file, for the resident's own calendar
/// (the same UID as the emailed invitation).
pub async fn ics_download(State(web): State<Web>, ctx: Ctx, Path(token): Path<String>) -> Response {
    use axum::response::IntoResponse as _;
    let h = match held(&web, &ctx, &token).await {
        Ok(h) => h,
        Err(e) => return link_failure(&web, &ctx, &e).await,
    };
    let ctx = booked_language(&web, ctx, &h.booking).await;
    // Whatever the services say while answering is said in that
    // language too.
    messages::scope(ctx.lang.into(), async {
        let w = ctx.w;
        let b = &h.booking;
        let d = &h.site.details;
        let mut description = format!("{} : {}", w.reference, b.reference);
        if !d.phone.is_empty() {
            description.push_str(&format!("\n{} : {}", w.site_phone, d.phone));
        }
        if let Some(bring) = reminders::texts::hint(ctx.lang, b.reason) {
            description.push_str(&format!("\n{} : {bring}", w.bring));
        }
        let text = contracts::ics::appointment(
            &contracts::ics::Appointment {
                id: &b.id.to_string(),
                sequence: 0,
                stamp: web.now(),
                starts_at: b.starts_at,
                ends_at: b.ends_at,
                summary: &format!("{} – {}", reason_label(ctx.lang, b.reason), d.name),
                location: &format!("{}, {}", d.name, d.address),
                description: &description,
            },
            "PUBLISH",
            &[],
            b.cancelled,
        );
        (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8",
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"rendez-vous.ics\"",
                ),
                (axum::http::header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response()
    })
    .await
}

pub(super) fn resident_acting(ctx: &Ctx, b: &Booking) -> api::Acting {
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
        Err(e) => return link_failure(&web, &ctx, &e).await,
    };
    let ctx = booked_language(&web, ctx, &h.booking).await;
    // Whatever the services say while answering is said in that
    // language too.
    messages::scope(ctx.lang.into(), async {
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
    })
    .await
}

pub(super) fn move_body(
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
                button type="submit" { (time_words(ctx, a)) @if day.is_none() { " · " (day_words(ctx, a.start.date_naive())) } }
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
        Err(e) => return link_failure(&web, &ctx, &e).await,
    };
    let ctx = booked_language(&web, ctx, &h.booking).await;
    // Whatever the services say while answering is said in that
    // language too.
    messages::scope(ctx.lang.into(), async {
        if h.booking.cancelled {
            return see_other(&format!("/r/{token}"));
        }
        let times = match free_times(&web, h.site.id, h.booking.reason).await {
            Ok(t) => t,
            Err(e) => return failure(&ctx, &e),
        };
        let day = q.day();
        let (form, cookie) = form_token(&web, &ctx);
        Page::new(&ctx.w.move_q, move_body(&ctx, &h, &times, day, &form, None))
            .cookie(cookie)
            .render(&ctx)
    })
    .await
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
        Err(e) => return link_failure(&web, &ctx, &e).await,
    };
    let ctx = booked_language(&web, ctx, &h.booking).await;
    // Whatever the services say while answering is said in that
    // language too.
    messages::scope(ctx.lang.into(), async {
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
            &ctx.w.move_q,
            move_body(&ctx, &h, &times, None, &form, problem.as_deref()),
        )
        .status(StatusCode::CONFLICT)
        .cookie(cookie)
        .render(&ctx)
    })
    .await
}

/// Used by reception to open an appointment by id (staff only).
pub fn appointment_id(raw: &str) -> Result<AppointmentId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::NotFound(messages::say!(
            crate::ERRORS,
            "there-is-no-appointment",
            raw = raw
        ))
    })
}

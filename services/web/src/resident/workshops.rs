//! Workshops ("ateliers collectifs"): the sessions ahead with their places
//! left, in three steps to a place: the list, who comes (the booking form,
//! reason `workshop`, at the session's start), done.

use super::*;

/// `?lieu=<site id>`: one site's workshops.
#[derive(Deserialize)]
pub struct WorkshopsQuery {
    lieu: Option<String>,
}

/// The workshops of the next four weeks, at every site or one.
pub async fn workshops_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<WorkshopsQuery>,
) -> Response {
    match workshops(&web, &ctx, q.lieu.as_deref()).await {
        Ok(page) => page.render(&ctx),
        Err(e) => failure(&ctx, &e),
    }
}

async fn workshops(web: &Web, ctx: &Ctx, lieu: Option<&str>) -> Result<Page, ApiError> {
    let w = ctx.w;
    let site_id = match lieu.filter(|l| !l.is_empty()) {
        Some(raw) => Some(site(web, raw).await?.id),
        None => None,
    };
    let now = web.now();
    let sessions = web
        .inner
        .appointments
        .workshop_sessions(site_id, contracts::time::local_date(now), DAYS_AHEAD, now)
        .await?;
    let body = html! {
        (back(ctx, "/"))
        h1 { (w.workshops) }
        p { (w.workshops_intro) }
        @if sessions.is_empty() {
            p.notice { (w.no_workshops) }
        }
        ul.choices {
            @for s in &sessions {
                li {
                    @let details = html! {
                        strong { bdi { (s.title) } }
                        span.line { (when(ctx, s.starts_at.to_utc())) }
                        span.line { bdi { (s.site_name) } }
                        @if !s.series.is_empty() {
                            span.line { (w.workshop_series(&s.series.iter().map(|d| reminders::texts::day(ctx.lang, d.date_naive())).collect::<Vec<_>>())) }
                        }
                        span.line { (w.workshop_level(calendar::level_name(s.workshop.level))) " · " (w.workshop_language(s.workshop.language)) }
                        @match &s.status {
                            calendar::Status::Closed { reason } => span.line { (w.closed_now) " — " bdi { (reason) } },
                            calendar::Status::Open if s.places_left == 0 => span.line { (w.workshop_full) },
                            calendar::Status::Open => span.line.places { (w.workshop_places(s.places_left, s.places)) },
                        }
                    };
                    @if s.bookable {
                        a.choice href={ "/rdv/" (s.site_id) "/" (Reason::Workshop.code()) "/" (s.starts_at.naive_local().format(START_FORMAT)) } {
                            (details)
                            span.button { (w.workshop_enrol) }
                        }
                    } @else {
                        div.choice aria-disabled="true" { (details) }
                        // Full: the workshop's waiting list.
                        @if s.places_left == 0 && s.status == calendar::Status::Open && !s.workshop.series {
                            @if let Some(rule) = s.permanence_id.split('_').next().and_then(|r| r.parse().ok()) {
                                (super::waiting::wait_link(ctx, s.site_id, Reason::Workshop, Some(rule)))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Page::new(&w.workshops, body))
}

//! The first three steps of a booking: where, why, when.

use super::*;
use contracts::ReasonKind;

/// Step 1: where. Every open site, its address, a map and its next free
/// time.
pub async fn sites_page(State(web): State<Web>, ctx: Ctx) -> Response {
    match sites(&web, &ctx).await {
        Ok(page) => page.render(&ctx),
        Err(e) => failure(&ctx, &e),
    }
}

pub(super) async fn sites(web: &Web, ctx: &Ctx) -> Result<Page, ApiError> {
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
        p { a href="/ateliers" { (w.workshops_link) } }
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
                                Some(a) => span { (w.next_free(&when(ctx, a.start.to_utc()))) },
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
    Ok(Page::new(&w.book_title, body))
}

/// `?heure=2026-12-01T09:30`: a time already chosen (reception's "book
/// here" on a site's agenda), before the reason.
#[derive(Deserialize)]
pub struct AtQuery {
    heure: Option<String>,
}

/// Step 2: why. Big buttons, a pictogram and a few words each. With a time
/// already chosen, each reason goes straight to the form where that time
/// is free for it (reasons differ in length), else to that day's times.
pub async fn reasons_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    Query(q): Query<AtQuery>,
) -> Response {
    let site = match site(&web, &raw).await {
        Ok(s) => s,
        Err(e) => return failure(&ctx, &e),
    };
    let at: Option<NaiveDateTime> = q
        .heure
        .as_deref()
        .and_then(|h| NaiveDateTime::parse_from_str(h, START_FORMAT).ok());
    let mut fits: BTreeMap<Reason, bool> = BTreeMap::new();
    if let Some(at) = at {
        let now = web.now();
        for r in Reason::ALL {
            let free = match web
                .inner
                .appointments
                .availability(Some(site.id), r, at.date(), 1, now)
                .await
            {
                Ok(times) => times,
                Err(e) => return failure(&ctx, &e.into()),
            };
            fits.insert(r, free.iter().any(|a| a.start.naive_local() == at));
        }
    }
    let link = |r: Reason| match at {
        Some(at) if fits.get(&r).copied().unwrap_or(false) => {
            format!("/rdv/{}/{}/{}", site.id, r.code(), at.format(START_FORMAT))
        }
        Some(at) => format!("/rdv/{}/{}?jour={}#jour", site.id, r.code(), at.date()),
        None => format!("/rdv/{}/{}", site.id, r.code()),
    };
    let w = ctx.w;
    let body = html! {
        (back(&ctx, "/"))
        (step(&ctx, 2))
        h1 { (w.why_q) }
        p { (site.details.name) }
        @if let Some(at) = at {
            @if let Ok(utc) = contracts::time::to_utc(at) { p.notice { (w.time_chosen(&when(&ctx, utc))) } }
        }
        // Two groups, not seventeen cards in a column: a procedure, or
        // help with a device.
        @for (heading, procedures) in [(&w.group_procedure, true), (&w.group_device, false)] {
            h2 { (heading) }
            ul.choices.reasons {
                @for r in Reason::ALL.into_iter().filter(|r| (r.kind() == ReasonKind::OnlineProcedure) == procedures) {
                    li {
                        a.choice href=(link(r)) {
                            span.picto aria-hidden="true" { (pictogram(r)) }
                            strong { (reason_label(ctx.lang, r)) }
                        }
                    }
                }
            }
        }
    };
    Page::new(&w.why_q, body).render(&ctx)
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
pub(super) fn time_picker(
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
                h2 id="jour" { (w.times_on(&day_words(ctx, d))) }
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
                            span.hint { (w.free_count(*n)) }
                        }
                    }
                }
            }
        }
    }
}

pub(super) fn day_words(ctx: &Ctx, d: NaiveDate) -> String {
    reminders::texts::day(ctx.lang, d)
}

/// A free time's hour, written as every page and message writes times.
pub(super) fn time_words(ctx: &Ctx, a: &Available) -> String {
    reminders::texts::time(ctx.lang, a.start.time())
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
        html! { a href={ (here) "/" (start_text(a)) } { (time_words(&ctx, a)) @if day.is_none() { " · " (day_words(&ctx, a.start.date_naive())) } } }
    };
    let body = html! {
        (back(&ctx, &format!("/rdv/{}", site.id)))
        (step(&ctx, 3))
        h1 { (w.when_q) }
        p { (site.details.name) " · " (reason_label(ctx.lang, reason)) }
        (time_picker(&ctx, &times, day, &here, &link))
        // Nothing free in the four weeks: the waiting list.
        @if times.is_empty() { (super::waiting::wait_link(&ctx, site.id, reason, None)) }
    };
    Page::new(&w.when_q, body).render(&ctx)
}

//! A site's agenda for a day or a week, as reception reads it on the phone:
//! each permanence with its desks, who is booked at each time and how many
//! places are free, and "book here" on a free place.

use super::reception::sites_of;
use super::*;

#[derive(Deserialize)]
pub struct AgendaQuery {
    lieu: Option<String>,
    jour: Option<String>,
    /// `semaine` shows the week (Monday to Sunday) of the day.
    vue: Option<String>,
}

/// One appointment time of a permanence: who is booked then, and how many
/// places are left.
struct Row {
    starts_at: DateTime<Utc>,
    booked: Vec<(Booking, String)>,
    free: usize,
}

/// The rows of one permanence: its slots at the rule's usual length, each
/// appointment under the slot it starts in, and the places free at each.
async fn rows(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    x: &calendar::Permanence,
) -> Result<Vec<Row>, ApiError> {
    let (list, names) = super::day::day_list_named(web, ctx, p, &x.permanence_id).await?;
    let slots = web
        .inner
        .calendar
        .slots(&x.permanence_id, None)
        .await
        .map_err(ApiError::from)?;
    let desks = usize::try_from(x.desks).unwrap_or(usize::MAX);
    Ok(slots
        .iter()
        .map(|s| {
            let booked: Vec<(Booking, String)> = list
                .iter()
                .zip(&names)
                .filter(|(b, _)| s.starts_at <= b.starts_at && b.starts_at < s.ends_at)
                .map(|(b, n)| (b.clone(), n.clone()))
                .collect();
            let overlapping = list
                .iter()
                .filter(|b| b.starts_at < s.ends_at && s.starts_at < b.ends_at)
                .count();
            Row {
                starts_at: s.starts_at,
                booked,
                free: desks.saturating_sub(overlapping),
            }
        })
        .collect())
}

/// The agenda of one of the caller's sites (the first unless `?lieu=`) for
/// a day (`?jour=`, today by default) or its week (`?vue=semaine`).
pub async fn agenda_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<AgendaQuery>,
) -> Response {
    staff_page!(ctx, p, async {
        let sites = sites_of(&web, p, FRONT_DESK).await?;
        let asked: Option<SiteId> = q.lieu.as_deref().and_then(|s| s.parse().ok());
        let Some(site) = asked
            .and_then(|id| sites.iter().find(|s| s.id == id))
            .or_else(|| sites.first())
        else {
            let title = t(ctx, "menu-agenda");
            let body = html! { h1 { (title) } p { (t(ctx, "no-site-of-yours")) } };
            return Ok(Page::new(title, body).render(ctx));
        };
        let now = web.now();
        let today = contracts::time::local_date(now);
        let day = q
            .jour
            .as_deref()
            .and_then(|d| d.parse::<NaiveDate>().ok())
            .unwrap_or(today)
            // Ten years either way: far enough for any agenda, and the
            // week's arithmetic never leaves the calendar.
            .clamp(
                today - chrono::Days::new(3660),
                today + chrono::Days::new(3660),
            );
        let week = q.vue.as_deref() == Some("semaine");
        let (from, to, step) = if week {
            let monday = day
                - chrono::Days::new(u64::from(
                    chrono::Datelike::weekday(&day).num_days_from_monday(),
                ));
            (monday, monday + chrono::Days::new(6), 7)
        } else {
            (day, day, 1)
        };
        let list = web
            .inner
            .calendar
            .permanences(Some(site.id), from, to)
            .await
            .map_err(ApiError::from)?;
        let mut all = Vec::with_capacity(list.len());
        for x in &list {
            all.push(rows(&web, ctx, p, x).await?);
        }
        let vue = if week { "semaine" } else { "jour" };
        let here = |d: NaiveDate| format!("/agents/agenda?lieu={}&vue={vue}&jour={d}", site.id);
        let title = t_with(
            ctx,
            "agenda-of",
            &[("site", site.details.name.clone().into())],
        );
        let span = if week {
            t_with(
                ctx,
                "week-from-to",
                &[
                    ("from", reminders::texts::day(ctx.lang, from).into()),
                    ("to", reminders::texts::day(ctx.lang, to).into()),
                ],
            )
        } else {
            reminders::texts::day(ctx.lang, day)
        };
        let body = html! {
            h1 { (title) }
            form.inline method="get" action="/agents/agenda" {
                label for="lieu" { (t(ctx, "place")) }
                select id="lieu" name="lieu" {
                    @for s in &sites {
                        option value=(s.id) selected[s.id == site.id] { (s.details.name) }
                    }
                }
                label for="jour" { (t(ctx, "day")) }
                input type="date" id="jour" name="jour" value=(day);
                label for="vue" { (t(ctx, "show-as")) }
                select id="vue" name="vue" {
                    option value="jour" selected[!week] { (t(ctx, "one-day")) }
                    option value="semaine" selected[week] { (t(ctx, "one-week")) }
                }
                button.small type="submit" { (t(ctx, "show")) }
            }
            p {
                a href=(here(from - chrono::Days::new(step))) { (t(ctx, if week { "previous-week" } else { "previous-day" })) }
                " · "
                a href=(here(to + chrono::Days::new(1))) { (t(ctx, if week { "next-week" } else { "next-day" })) }
            }
            h2 { (span) }
            @if list.is_empty() { p { (t(ctx, "no-permanence-then")) } }
            @for (x, rows) in list.iter().zip(&all) {
                section.permanence aria-labelledby={ "p-" (x.permanence_id) } {
                    h3 id={ "p-" (x.permanence_id) } {
                        @if week { (reminders::texts::day(ctx.lang, x.day)) " · " }
                        (reminders::texts::time(ctx.lang, x.starts_local.time())) "–" (reminders::texts::time(ctx.lang, x.ends_local.time()))
                    }
                    p {
                        @if !x.label.is_empty() { (x.label) " · " }
                        (t_with(ctx, "desks-count", &[("count", x.desks.into())]))
                        @if x.drop_in { " · " (t(ctx, "drop-in-queue-2")) }
                        @if x.appointments { " · " (t(ctx, "appointments")) }
                        @if x.workshop.is_some() { " · " (t(ctx, "workshop")) }
                        @if matches!(x.status, calendar::Status::Closed { .. }) { " · " strong { (t(ctx, "cancelled")) } }
                        " · " a href={ "/agents/permanences/" (x.permanence_id) } { (t(ctx, "open-the-permanence")) }
                    }
                    @if rows.is_empty() {
                        p { (t(ctx, "no-appointment-times")) }
                    } @else {
                        div.scroll tabindex="0" {
                            table.stack {
                                thead { tr { th { (t(ctx, "time")) } th { (t(ctx, "booked")) } th { (t(ctx, "free-places")) } th { (t(ctx, "actions")) } } }
                                tbody {
                                    @for r in rows {
                                        tr {
                                            td { (hm(ctx, r.starts_at)) }
                                            td {
                                                @if r.booked.is_empty() { "—" }
                                                ul.plain {
                                                    @for (b, name) in &r.booked {
                                                        li {
                                                            a href={ "/agents/personnes/" (b.resident) } { (name) }
                                                            " · " (reason_words(ctx, b.reason))
                                                            @if b.stage != Stage::Booked { " · " (super::day::stage_words(ctx, b.stage)) }
                                                        }
                                                    }
                                                }
                                            }
                                            td {
                                                @if r.starts_at > now {
                                                    (t_with(ctx, "free-places-count", &[("count", r.free.into())]))
                                                } @else { "—" }
                                            }
                                            td {
                                                @if r.free > 0 && r.starts_at > now {
                                                    // A workshop session's place is booked whole, as a
                                                    // workshop place; any other time asks the reason.
                                                    @let at = contracts::time::to_local(r.starts_at).format("%Y-%m-%dT%H:%M");
                                                    @let href = if x.workshop.is_some() {
                                                        format!("/rdv/{}/{}/{at}", site.id, Reason::Workshop.code())
                                                    } else {
                                                        format!("/rdv/{}?heure={at}", site.id)
                                                    };
                                                    a.button.small href=(href) {
                                                        (t(ctx, "book-here")) span.skip { " " (hm(ctx, r.starts_at)) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(Page::new(title, body).wide().render(ctx))
    })
}

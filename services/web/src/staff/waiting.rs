//! Reception's view of a site's waiting lists: who waits for what, in
//! order, whether a place is held for them and until when; add someone on
//! the phone (the residents' form, as staff), take someone off.

use super::reception::sites_of;
use super::*;

#[derive(Deserialize)]
pub struct WaitingQuery {
    lieu: Option<String>,
}

/// `GET /agents/attente`: the lists of one of the caller's sites.
pub async fn waiting_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<WaitingQuery>,
) -> Response {
    staff_page!(ctx, p, async {
        let sites = sites_of(&web, p, FRONT_DESK).await?;
        let asked: Option<SiteId> = q.lieu.as_deref().and_then(|s| s.parse().ok());
        let title = t(ctx, "menu-waiting");
        let Some(site) = asked
            .and_then(|id| sites.iter().find(|s| s.id == id))
            .or_else(|| sites.first())
        else {
            let body = html! { h1 { (title) } p { (t(ctx, "no-site-of-yours")) } };
            return Ok(Page::new(&title, body).render(ctx));
        };
        let list = web.inner.appointments.waiting_at(site.id).await?;
        let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
        let what = |e: &appointments::Entry| match e.workshop {
            Some(rule) => model
                .rules
                .get(&rule)
                .map_or_else(|| rule.to_string(), |r| r.spec.label.clone()),
            None => reason_words(ctx, e.reason).to_owned(),
        };
        let mut rows = Vec::with_capacity(list.len());
        for (e, position) in &list {
            let hold = match e.hold {
                Some(o) => Some(web.inner.appointments.offer(o).await?),
                None => None,
            };
            rows.push((e, *position, hold));
        }
        let body = html! {
            h1 { (title) " · " (site.details.name) }
            form.inline method="get" action="/agents/attente" {
                label for="lieu" { (t(ctx, "place")) }
                select id="lieu" name="lieu" {
                    @for s in &sites {
                        option value=(s.id) selected[s.id == site.id] { (s.details.name) }
                    }
                }
                " "
                button.secondary type="submit" { (t(ctx, "show")) }
            }
            p.hint { (t(ctx, "waiting-hint")) }
            p { a href={ "/attente?lieu=" (site.id) "&motif=" (Reason::ProcedureOther.code()) } { (t(ctx, "waiting-add")) } }
            @if rows.is_empty() {
                p { (t(ctx, "waiting-none")) }
            } @else {
                div.scroll tabindex="0" {
                    table.stack {
                        thead { tr {
                            th scope="col" { (t(ctx, "waiting-for")) }
                            th.num scope="col" { (t(ctx, "waiting-position")) }
                            th scope="col" { (t(ctx, "waiting-since")) }
                            th scope="col" { (t(ctx, "waiting-offer")) }
                            th scope="col" { (t(ctx, "actions")) }
                        } }
                        tbody {
                            @for (e, position, hold) in &rows {
                                tr {
                                    td { (what(e)) }
                                    td.num { (position) }
                                    td { (reminders::texts::when(ctx.lang, e.joined_at)) }
                                    td {
                                        @match hold {
                                            Some(h) => {
                                                (reminders::texts::when(ctx.lang, h.starts_at)) " · "
                                                (t_with(ctx, "waiting-held-until", &[("until", reminders::texts::time(ctx.lang, contracts::time::to_local(h.expires_at).time()).into())]))
                                            }
                                            None => "—",
                                        }
                                    }
                                    td {
                                        a.button.small.secondary href={ "/agents/personnes/" (e.resident) } { (t(ctx, "history")) }
                                        " "
                                        form.inline method="post" action={ "/agents/attente/" (e.id) "/retirer" } {
                                            (csrf_field(ctx))
                                            button.small.secondary type="submit" { (t(ctx, "waiting-remove")) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        };
        Ok(Page::new(&title, body).wide().render(ctx))
    })
}

/// `POST /agents/attente/{entry}/retirer`: reception takes someone off a
/// list of its site (a place held for them goes to the next one).
pub async fn waiting_remove(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let id: uuid::Uuid = raw
            .parse()
            .map_err(|_| ApiError::NotFound(format!("there is no entry {raw}")))?;
        let (entry, _, _) = web.inner.appointments.entry(id).await?;
        p.require(FRONT_DESK, Some(entry.site))?;
        web.inner
            .appointments
            .leave_waitlist(&p.acting(ctx.correlation, ctx.now), id)
            .await?;
        Ok(see_other(&format!("/agents/attente?lieu={}", entry.site)))
    })
}

//! Coordinators' and administrators' view of their webhooks: where each
//! delivers, whether it delivers, what failed and when it is tried again,
//! why one paused (and resuming it), and its last deliveries. Subscribing
//! is done through the API (`POST /api/v1/webhooks`), by whoever sets up
//! the receiving system.

use super::*;

/// The subscriptions `p` sees: their own, or every one for an
/// administrator.
async fn theirs(web: &Web, p: &Principal) -> Result<Vec<::webhooks::Subscription>, ApiError> {
    Ok(web
        .inner
        .webhooks
        .subscriptions()
        .await
        .map_err(ApiError::from)?
        .into_iter()
        .filter(|s| p.is_admin() || s.owner == p.staff_id)
        .collect())
}

/// Why a subscription is paused, in the page's language.
fn why(ctx: &Ctx, s: &::webhooks::Subscription) -> String {
    match &s.paused {
        Some(::webhooks::Paused::Failing(error)) => t_with(
            ctx,
            "webhook-paused-failing",
            &[("error", error.clone().into())],
        ),
        Some(::webhooks::Paused::ByOwner) => t(ctx, "webhook-paused-by-owner"),
        None => String::new(),
    }
}

/// The notice of the staff home page: one line per paused subscription of
/// the caller's.
pub async fn paused_notice(web: &Web, ctx: &Ctx, p: &Principal) -> Markup {
    let paused: Vec<::webhooks::Subscription> = match theirs(web, p).await {
        Ok(all) => all.into_iter().filter(|s| s.paused.is_some()).collect(),
        Err(_) => Vec::new(),
    };
    html! {
        @for s in &paused {
            p.notice role="status" {
                (t_with(ctx, "webhook-paused-notice", &[("url", s.url.clone().into()), ("reason", why(ctx, s).into())]))
                " "
                a href="/agents/webhooks" { (t(ctx, "webhook-see")) }
            }
        }
    }
}

/// `GET /agents/webhooks`.
pub async fn webhooks_page(State(web): State<Web>, ctx: Ctx) -> Response {
    staff_page!(ctx, p, async {
        let title = t(ctx, "menu-webhooks");
        let mine = theirs(&web, p).await?;
        let mut logs = Vec::with_capacity(mine.len());
        for s in &mine {
            logs.push(
                web.inner
                    .webhooks
                    .deliveries(s.id, 10)
                    .await
                    .map_err(ApiError::from)?,
            );
        }
        let body = html! {
            h1 { (title) }
            p.hint { (t(ctx, "webhooks-hint")) }
            @if mine.is_empty() {
                p { (t(ctx, "webhooks-none")) }
            }
            @for (s, log) in mine.iter().zip(&logs) {
                section {
                    h2 { (s.url) }
                    p { (t(ctx, "webhook-kinds")) " " (s.kinds.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")) }
                    @if s.personal {
                        p { (t(ctx, "webhook-personal")) " " (s.personal_reason) }
                    }
                    @if s.paused.is_some() {
                        p.notice role="status" { (t(ctx, "webhook-paused")) " " (why(ctx, s)) }
                        form method="post" action={ "/agents/webhooks/" (s.id) "/reprendre" } {
                            (csrf_field(ctx))
                            button type="submit" { (t(ctx, "webhook-resume")) }
                        }
                    } @else if let Some(f) = &s.failing {
                        p { (t_with(ctx, "webhook-retrying", &[("error", f.error.clone().into()), ("when", when(ctx, f.next_at).into())])) }
                    } @else {
                        p { (t_with(ctx, "webhook-active", &[("count", s.delivered.into())])) }
                    }
                    @if !log.is_empty() {
                        div.scroll tabindex="0" {
                            table.stack {
                                caption { (t(ctx, "webhook-last-deliveries")) }
                                thead { tr {
                                    th scope="col" { (t(ctx, "webhook-when")) }
                                    th scope="col" { (t(ctx, "webhook-event")) }
                                    th.num scope="col" { (t(ctx, "webhook-attempt")) }
                                    th scope="col" { (t(ctx, "webhook-result")) }
                                } }
                                tbody {
                                    @for d in log {
                                        tr {
                                            td { (when(ctx, d.at)) }
                                            td { (d.kind) }
                                            td.num { (d.attempt) }
                                            td {
                                                @if d.delivered { (t_with(ctx, "webhook-delivered", &[("status", d.status.into())])) }
                                                @else { (d.error.clone().unwrap_or_default()) }
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
        Ok(Page::new(&title, body).wide().render(ctx))
    })
}

/// `POST /agents/webhooks/{webhook_id}/reprendre`: deliveries go on, at
/// once, from where they stopped.
pub async fn webhook_resume(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let none = || ApiError::NotFound(t(ctx, "webhook-none-such"));
        let id: uuid::Uuid = raw.parse().map_err(|_| none())?;
        let s = theirs(&web, p)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(none)?;
        web.inner
            .webhooks
            .resume(&p.acting(ctx.correlation, ctx.now), s.id)
            .await
            .map_err(ApiError::from)?;
        Ok(see_other("/agents/webhooks"))
    })
}

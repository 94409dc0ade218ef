//! Waiting lists, for residents: join when nothing is free ("prévenez-moi
//! si une place se libère"), then the link of the confirmation shows the
//! position and leaves the list; the SMS of an offer opens the place held
//! for them, to take or decline.

use super::*;

/// `?lieu=<site>&motif=<reason>` or `?lieu=<site>&atelier=<rule>`.
#[derive(Deserialize)]
pub struct WaitQuery {
    lieu: Option<String>,
    motif: Option<String>,
    atelier: Option<String>,
}

struct Wanted {
    site: calendar::SiteView,
    reason: Reason,
    workshop: Option<contracts::RuleId>,
    /// What is waited for, in words: a reason, or the workshop's title.
    what: String,
    query: String,
}

async fn wanted(web: &Web, ctx: &Ctx, q: &WaitQuery) -> Result<Wanted, ApiError> {
    let site = site(web, q.lieu.as_deref().unwrap_or_default()).await?;
    if let Some(raw) = q.atelier.as_deref() {
        let model = web.inner.calendar.model().await.map_err(ApiError::from)?;
        let rule = raw
            .parse::<contracts::RuleId>()
            .ok()
            .and_then(|r| model.rules.get(&r))
            .filter(|r| r.spec.site == site.id && r.spec.offer.workshop.is_some())
            .ok_or_else(|| ApiError::NotFound(format!("there is no workshop {raw}")))?;
        return Ok(Wanted {
            what: rule.spec.label.clone(),
            workshop: Some(rule.id),
            reason: Reason::Workshop,
            query: format!("lieu={}&atelier={}", site.id, rule.id),
            site,
        });
    }
    let reason = reason(q.motif.as_deref().unwrap_or_default())?;
    Ok(Wanted {
        what: reason_label(ctx.lang, reason).to_owned(),
        query: format!("lieu={}&motif={}", site.id, reason.code()),
        workshop: None,
        reason,
        site,
    })
}

/// The link to a list, from a page with nothing free.
pub(super) fn wait_link(
    ctx: &Ctx,
    site: SiteId,
    reason: Reason,
    workshop: Option<contracts::RuleId>,
) -> Markup {
    let href = match workshop {
        Some(rule) => format!("/attente?lieu={site}&atelier={rule}"),
        None => format!("/attente?lieu={site}&motif={}", reason.code()),
    };
    html! { p { a.button href=(href) { (ctx.w.wait_link) } } }
}

fn wait_form(
    web: &Web,
    ctx: &Ctx,
    wanted: &Wanted,
    who: &Who,
    problems: &BTreeMap<&'static str, String>,
    top: Option<String>,
    status: StatusCode,
) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let body = html! {
        (back(ctx, "/"))
        h1 { (w.wait_title) }
        p { strong { bdi { (wanted.what) } } " · " bdi { (wanted.site.details.name) } }
        p { (w.wait_intro) }
        @if let Some(t) = &top {
            div.alert role="alert" tabindex="-1" id="probleme" { p { (t) } }
        } @else if !problems.is_empty() {
            div.alert role="alert" { p { (w.err_fix) } }
        }
        form method="post" action={ "/attente?" (wanted.query) } novalidate {
            input type="hidden" name="csrf" value=(token);
            (who.fields(ctx, problems))
            // The offer comes by SMS: the consent is what the list is.
            label.check for="sms" {
                input type="checkbox" id="sms" name="sms" value="yes" aria-describedby="sms-hint" checked[who.sms];
                span { (w.sms_consent) }
            }
            @if let Some(e) = problems.get("sms") { p.error id="sms-error" { (e) } }
            p.hint id="sms-hint" { (w.wait_sms_hint) }
            button type="submit" { (w.wait_join) }
        }
    };
    Page::new(&w.wait_title, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

/// The form to join a list.
pub async fn wait_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<WaitQuery>) -> Response {
    match wanted(&web, &ctx, &q).await {
        Ok(wanted) => wait_form(
            &web,
            &ctx,
            &wanted,
            &Who::default(),
            &BTreeMap::new(),
            None,
            StatusCode::OK,
        ),
        Err(e) => failure(&ctx, &e),
    }
}

/// Joins the list: the resident online, or reception for them.
pub async fn wait_post(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<WaitQuery>,
    body: Bytes,
) -> Response {
    let wanted = match wanted(&web, &ctx, &q).await {
        Ok(w) => w,
        Err(e) => return failure(&ctx, &e),
    };
    let pairs = forms::pairs(&body);
    let who = Who::read(&pairs);
    let form = |problems: &BTreeMap<&'static str, String>, top: Option<String>, status| {
        wait_form(&web, &ctx, &wanted, &who, problems, top, status)
    };
    if !form_is_fresh(&web, &ctx, &pairs) {
        return form(
            &BTreeMap::new(),
            Some(ctx.w.err_expired.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let mut problems = who.problems(&ctx);
    if !who.sms {
        problems.insert("sms", ctx.w.wait_sms_needed.to_owned());
    }
    if !problems.is_empty() {
        return form(&problems, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let booker = match page_booker(&ctx, wanted.site.id) {
        Ok(b) => b,
        Err(e) => return failure(&ctx, &e),
    };
    let request = appointments::JoinRequest {
        site: wanted.site.id,
        reason: wanted.reason,
        workshop: wanted.workshop,
        name: format!("{} {}", who.first_name, who.last_name),
        phone: who.phone.clone(),
        language: ctx.lang,
        sms_consent: who.sms,
    };
    match web
        .inner
        .appointments
        .join_waitlist(request, booker, web.now())
        .await
    {
        Ok(joined) => see_other(&format!("/r/{}?nouveau=1", joined.token)),
        Err(e @ (AppointmentError::AlreadyBooked(_) | AppointmentError::Conflict(_))) => {
            let e = ApiError::from(e);
            form(&BTreeMap::new(), Some(says(&ctx, &e)), StatusCode::CONFLICT)
        }
        Err(e) => failure(&ctx, &e.into()),
    }
}

/// What a link resolved to `id` opens when it is not an appointment's: an
/// offer not taken yet, or a waiting-list entry. `None`: neither.
pub(super) async fn page_for(
    web: &Web,
    ctx: &Ctx,
    token: &str,
    id: AppointmentId,
    q: &ManageQuery,
) -> Option<Response> {
    let (form, cookie) = form_token(web, ctx);
    let w = ctx.w;
    if let Ok(h) = web.inner.appointments.offer(id).await {
        let site = site(web, &h.site.to_string()).await.ok()?;
        let live = h.state == appointments::HoldState::Live && h.expires_at > web.now();
        let until =
            reminders::texts::time(ctx.lang, contracts::time::to_local(h.expires_at).time());
        let body = html! {
            h1 { (w.offer_title) }
            @if live {
                p.notice role="status" { (w.offer_until(&until)) }
            } @else {
                p.alert role="status" { (w.offer_ended) }
            }
            (super::who::summary(ctx, &site, h.reason, h.starts_at))
            @if live {
                form method="post" action={ "/r/" (token) "/prendre" } {
                    input type="hidden" name="csrf" value=(form);
                    button type="submit" { (w.offer_take) }
                }
                form method="post" action={ "/r/" (token) "/refuser" } {
                    input type="hidden" name="csrf" value=(form);
                    button.secondary type="submit" { (w.offer_decline) }
                }
            }
        };
        return Some(Page::new(&w.offer_title, body).cookie(cookie).render(ctx));
    }
    let (entry, position, _) = web.inner.appointments.entry(id.0).await.ok()?;
    let site = site(web, &entry.site.to_string()).await.ok()?;
    let what = match entry.workshop {
        Some(rule) => web
            .inner
            .calendar
            .model()
            .await
            .ok()
            .and_then(|m| m.rules.get(&rule).map(|r| r.spec.label.clone()))
            .unwrap_or_default(),
        None => reason_label(ctx.lang, entry.reason).to_owned(),
    };
    let body = html! {
        h1 { (w.wait_title) }
        p { strong { bdi { (what) } } " · " bdi { (site.details.name) } }
        @match position {
            Some(n) => {
                @if q.nouveau.is_some() { p.notice role="status" { (w.wait_joined) } }
                p.notice { (w.wait_position(n)) }
                p { (w.wait_keep_link) }
                form method="post" action={ "/r/" (token) "/quitter" } {
                    input type="hidden" name="csrf" value=(form);
                    button.secondary type="submit" { (w.wait_leave) }
                }
            }
            None => p.notice role="status" { (w.wait_left) },
        }
        p { a href="/" { (w.book_title) } }
    };
    Some(Page::new(&w.wait_title, body).cookie(cookie).render(ctx))
}

/// The resident acting on their own link.
fn acting_for(ctx: &Ctx, resident: contracts::ResidentId) -> api::Acting {
    api::Acting::new(
        eventlog::Actor::Resident(resident.0),
        ctx.correlation.0,
        ctx.now.0,
    )
}

/// What a form on a link's page does: take or decline the offer, leave
/// the list. Then the link's page again.
async fn on_link(web: &Web, ctx: &Ctx, token: &str, body: &Bytes, what: &str) -> Response {
    let pairs = forms::pairs(body);
    if !form_is_fresh(web, ctx, &pairs) {
        return see_other(&format!("/r/{token}"));
    }
    let access = match web.inner.identity.resolve_link(token, &ctx.client).await {
        Ok(a) => a,
        Err(e) => return link_failure(web, ctx, &e.into()).await,
    };
    let id = access.appointment_id;
    let acting = acting_for(ctx, access.resident_id);
    let done = match what {
        "take" => web
            .inner
            .appointments
            .take_offer(&acting, id)
            .await
            .map(|_| ()),
        "decline" => web.inner.appointments.decline_offer(&acting, id).await,
        _ => web.inner.appointments.leave_waitlist(&acting, id.0).await,
    };
    match done {
        Ok(()) if what == "take" => see_other(&format!("/r/{token}?nouveau=1")),
        Ok(()) => see_other(&format!("/r/{token}")),
        Err(e) => failure(ctx, &e.into()),
    }
}

pub async fn take_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    on_link(&web, &ctx, &token, &body, "take").await
}

pub async fn decline_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    on_link(&web, &ctx, &token, &body, "decline").await
}

pub async fn leave_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    on_link(&web, &ctx, &token, &body, "leave").await
}

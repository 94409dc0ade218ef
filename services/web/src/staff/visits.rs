//! The requests a visit carried, as the mediator records them.

use super::*;

/// Where a visit (an appointment or a ticket) happened, checked for `p`.
pub(super) async fn visit_at_desk(
    web: &Web,
    p: &Principal,
    raw: &str,
) -> Result<(uuid::Uuid, SiteId), ApiError> {
    let id: uuid::Uuid = raw
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no visit {raw}")))?;
    let site = web.inner.appointments.visit_site(id).await?;
    p.require(FRONT_DESK, Some(site))?;
    Ok((id, site))
}

/// Who a visit was for (a booking's resident, read as the day list reads
/// them; a ticket's first name or number) and the permanence it was at.
async fn visit_context(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    id: uuid::Uuid,
) -> Result<(String, String), ApiError> {
    match web.inner.appointments.get(AppointmentId(id)).await {
        Ok(b) => {
            let name =
                super::day::people(web, ctx, p, ReadPurpose::DayList, std::slice::from_ref(&b))
                    .await?
                    .pop()
                    .map(|(name, _)| name)
                    .unwrap_or_default();
            Ok((name, b.permanence_id))
        }
        Err(_) => {
            let t = web.inner.appointments.ticket(id).await?;
            let name = web
                .inner
                .appointments
                .first_name_of(&t)
                .await
                .unwrap_or_else(|| format!("N° {}", t.number));
            Ok((name, t.permanence_id))
        }
    }
}

pub(super) async fn visit_view(
    web: &Web,
    ctx: &Ctx,
    p: &Principal,
    id: uuid::Uuid,
    problem: Option<String>,
) -> Result<Response, ApiError> {
    let recorded = web.inner.appointments.requests_of(id).await?;
    let oriented = web.inner.appointments.orientations_of(id).await?;
    let (name, permanence_id) = visit_context(web, ctx, p, id).await?;
    let permanence = web.inner.calendar.permanence(&permanence_id).await?;
    let partners: Vec<String> = web
        .inner
        .calendar
        .model()
        .await
        .map_err(ApiError::from)?
        .sites
        .get(&permanence.site_id)
        .map(|s| s.details.partners.clone())
        .unwrap_or_default();
    // One tap each: another kind of helper, or a partner the site lists.
    let helpers = [
        ("helper", "it_helper", t(ctx, "orient-it-helper")),
        ("helper", "mediator", t(ctx, "orient-mediator")),
    ];
    let targets: Vec<(&str, String, String)> = helpers
        .into_iter()
        .map(|(k, to, words)| (k, to.to_owned(), words))
        .chain(partners.iter().map(|p| ("partner", p.clone(), p.clone())))
        .collect();
    let said = |k: &str, to: &str| {
        oriented.iter().any(|o| {
            o.to == to
                && match o.to_kind() {
                    ev::OrientationKind::Partner => k == "partner",
                    ev::OrientationKind::Workshop => k == "workshop",
                    _ => k == "helper",
                }
        })
    };
    // The workshops ahead at this site: a resident who came by appointment
    // is enrolled in one tap; a drop-in visitor is oriented (they enrol
    // with their name and number from the workshops' page).
    let by_appointment = web
        .inner
        .appointments
        .get(contracts::AppointmentId(id))
        .await
        .is_ok();
    let now = web.now();
    let mut sessions = web
        .inner
        .appointments
        .workshop_sessions(
            Some(permanence.site_id),
            contracts::time::local_date(now),
            28,
            now,
        )
        .await?;
    sessions.retain(|s| s.bookable);
    if !by_appointment {
        let mut seen = std::collections::HashSet::new();
        sessions.retain(|s| seen.insert(s.permanence_id.split('_').next().map(str::to_owned)));
    }
    sessions.truncate(6);
    let checked: Vec<Reason> = recorded.iter().map(|r| r.reason()).collect();
    // Nothing is chosen in advance: a question left unanswered counts as
    // "not said" in the figures, never as accompanied or done.
    let how = recorded.first().map(ev::VisitRequest::how);
    let autonomy = recorded.first().map(ev::VisitRequest::autonomy);
    let title = t(ctx, "the-visits-requests");
    let body = html! {
        p { a href={ "/agents/permanences/" (permanence_id) } { "← " (permanence.site_name) @if !permanence.label.is_empty() { " · " (permanence.label) } " · " (permanence.day.format("%d/%m")) } }
        h1 { (title) " · " (name) }
        p { (permanence.site_name) " · " (permanence.day.format("%d/%m/%Y")) " · " (reminders::texts::time(ctx.lang, permanence.starts_local.time())) "–" (reminders::texts::time(ctx.lang, permanence.ends_local.time())) }
        @if let Some(m) = &problem { p.alert role="alert" { (m) } }
        @if !recorded.is_empty() { p.notice role="status" { (t_with(ctx, "requests-recorded", &[("count", recorded.len().into())])) } }
        form method="post" action={ "/agents/visites/" (id) } {
            (csrf_field(ctx))
            fieldset {
                legend { (t(ctx, "requests-one-per-box")) }
                (reason_chips(ctx, "reason", &checked))
            }
            fieldset {
                legend { (t(ctx, "how")) }
                div.chips {
                    label { input type="radio" name="accompagne" value="oui" checked[how == Some(ev::Accompaniment::Accompanied)]; (t(ctx, "accompanied")) }
                    label { input type="radio" name="accompagne" value="non" checked[how == Some(ev::Accompaniment::Autonomous)]; (t(ctx, "autonomous")) }
                    label { input type="radio" name="accompagne" value="" checked[how == Some(ev::Accompaniment::NotSaid)]; (t(ctx, "not-said")) }
                }
            }
            fieldset {
                legend { (t(ctx, "autonomy-for-what-was-done")) }
                div.chips {
                    @for (value, level, words) in [
                        ("guided", ev::Autonomy::Guided, "autonomy-guided"),
                        ("with_help", ev::Autonomy::WithHelp, "autonomy-with-help"),
                        ("autonomous", ev::Autonomy::Autonomous, "autonomy-autonomous"),
                        ("", ev::Autonomy::NotSaid, "not-said"),
                    ] {
                        label { input type="radio" name="autonomie" value=(value) checked[autonomy == Some(level)]; (t(ctx, words)) }
                    }
                }
            }
            // An outcome per request once they are recorded; before that,
            // one for all of them.
            @if recorded.is_empty() {
                fieldset {
                    legend { (t(ctx, "outcome")) }
                    (outcome_choices(ctx, "resultat", None))
                }
            } @else {
                @for r in &recorded {
                    fieldset {
                        legend { (t(ctx, "outcome")) " · " (reason_words(ctx, r.reason())) }
                        (outcome_choices(ctx, &format!("resultat-{}", r.reason().code()), Some(r.came_to())))
                    }
                }
            }
            button type="submit" { (t(ctx, "save")) }
        }
        section aria-labelledby="h-orient" {
            h2 id="h-orient" { (t(ctx, "orient-the-person")) }
            p.hint { (t(ctx, "orient-hint")) }
            ul.plain.chips {
                @for (kind, to, words) in &targets {
                    li {
                        @if said(kind, to) {
                            span.badge.done { "✓ " (words) }
                        } @else {
                            form.inline method="post" action={ "/agents/visites/" (id) "/orienter" } {
                                (csrf_field(ctx))
                                input type="hidden" name="to_kind" value=(kind);
                                input type="hidden" name="to" value=(to);
                                button.small.secondary type="submit" { (words) }
                            }
                        }
                    }
                }
            }
            @if partners.is_empty() { p.hint { (t(ctx, "no-partners-listed")) } }
            h3 { (t(ctx, "orient-to-a-workshop")) }
            @if sessions.is_empty() { p.hint { (t(ctx, "no-workshop-ahead")) } }
            ul.plain.chips {
                @for s in &sessions {
                    @let rule = s.permanence_id.split('_').next().unwrap_or_default();
                    @let words = if by_appointment {
                        t_with(ctx, "enrol-in-session", &[("title", s.title.clone().into()), ("when", when(ctx, s.starts_at.to_utc()).into())])
                    } else {
                        t_with(ctx, "orient-to-workshop", &[("title", s.title.clone().into())])
                    };
                    li {
                        form.inline method="post" action={ "/agents/visites/" (id) "/orienter" } {
                            (csrf_field(ctx))
                            input type="hidden" name="to_kind" value="workshop";
                            input type="hidden" name="to" value=(rule);
                            @if by_appointment { input type="hidden" name="session" value=(s.permanence_id); }
                            button.small.secondary type="submit" { (words) }
                        }
                    }
                    // Or let them decide: the place held for them and
                    // offered by SMS, two hours of the day to take it.
                    @if by_appointment && !s.workshop.series {
                        li {
                            form.inline method="post" action={ "/agents/visites/" (id) "/orienter" } {
                                (csrf_field(ctx))
                                input type="hidden" name="to_kind" value="workshop";
                                input type="hidden" name="to" value=(rule);
                                input type="hidden" name="session" value=(s.permanence_id);
                                input type="hidden" name="by_sms" value="oui";
                                button.small.secondary type="submit" { (t_with(ctx, "offer-session-by-sms", &[("title", s.title.clone().into()), ("when", when(ctx, s.starts_at.to_utc()).into())])) }
                            }
                        }
                    }
                }
            }
            @if oriented.iter().any(|o| o.to_kind() == ev::OrientationKind::Workshop) {
                p.notice role="status" { (t(ctx, "oriented-to-a-workshop")) }
            }
        }
    };
    Ok(Page::new(title, body)
        .wide()
        .refused_if(problem.is_some())
        .render(ctx))
}

/// The outcome radios of one request (`name`), none chosen in advance.
fn outcome_choices(ctx: &Ctx, name: &str, chosen: Option<ev::Outcome>) -> Markup {
    html! {
        div.chips {
            @for (value, outcome, words) in [
                ("done", ev::Outcome::Done, "done-3"),
                ("follow_up", ev::Outcome::FollowUp, "follow-up"),
                ("redirected", ev::Outcome::Redirected, "sent-elsewhere"),
                ("", ev::Outcome::NotSaid, "not-said"),
            ] {
                label { input type="radio" name=(name) value=(value) checked[chosen == Some(outcome)]; (t(ctx, words)) }
            }
        }
    }
}

/// What a request came to, as the form says it.
fn outcome_of(value: &str) -> ev::Outcome {
    match value {
        "done" => ev::Outcome::Done,
        "follow_up" => ev::Outcome::FollowUp,
        "redirected" => ev::Outcome::Redirected,
        _ => ev::Outcome::NotSaid,
    }
}

pub async fn visit_page(State(web): State<Web>, ctx: Ctx, Path(raw): Path<String>) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = visit_at_desk(&web, p, &raw).await?;
        visit_view(&web, ctx, p, id, None).await
    })
}

pub async fn visit_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = visit_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let reasons = reasons_from(&pairs, "reason")?;
        if reasons.is_empty() {
            return visit_view(
                &web,
                ctx,
                p,
                id,
                Some(t(ctx, "tick-at-least-one-request").to_owned()),
            )
            .await;
        }
        // An unanswered question is "not said".
        let how = match forms::field(&pairs, "accompagne") {
            "oui" => ev::Accompaniment::Accompanied,
            "non" => ev::Accompaniment::Autonomous,
            _ => ev::Accompaniment::NotSaid,
        };
        let autonomy = match forms::field(&pairs, "autonomie") {
            "guided" => ev::Autonomy::Guided,
            "with_help" => ev::Autonomy::WithHelp,
            "autonomous" => ev::Autonomy::Autonomous,
            _ => ev::Autonomy::NotSaid,
        };
        // Each request's own outcome where the form asked for it, else the
        // one for all.
        let requests = reasons
            .into_iter()
            .map(|r| {
                let own = forms::field(&pairs, &format!("resultat-{}", r.code()));
                let value = if own.is_empty() {
                    forms::field(&pairs, "resultat")
                } else {
                    own
                };
                ev::VisitRequest::recorded(r, how, outcome_of(value)).with_autonomy(autonomy)
            })
            .collect();
        match web
            .inner
            .appointments
            .record_requests(&p.acting(ctx.correlation, ctx.now), id, requests)
            .await
        {
            Ok(_) => {}
            Err(AppointmentError::Invalid { message, .. }) => {
                let e = ApiError::Invalid {
                    field: String::new(),
                    message,
                };
                return visit_view(&web, ctx, p, id, Some(says(ctx, &e))).await;
            }
            Err(e) => return Err(e.into()),
        }
        let (_, permanence) = visit_context(&web, ctx, p, id).await?;
        Ok(see_other(&format!("/agents/permanences/{permanence}")))
    })
}

/// One tap on the visit's page: the resident oriented to a helper or a
/// partner; back to the visit, which shows it.
pub async fn orient_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path(raw): Path<String>,
    body: Bytes,
) -> Response {
    staff_page!(ctx, p, async {
        let (id, _) = visit_at_desk(&web, p, &raw).await?;
        let pairs = forms::pairs(&body);
        let oriented = match appointments::orientation_kind(forms::field(&pairs, "to_kind")) {
            Ok(kind) => {
                web.inner
                    .appointments
                    .orient_and_enrol(
                        &p.acting(ctx.correlation, ctx.now),
                        id,
                        kind,
                        forms::field(&pairs, "to"),
                        Some(forms::field(&pairs, "session")),
                        forms::field(&pairs, "by_sms") == "oui",
                    )
                    .await
            }
            Err(e) => Err(e),
        };
        match oriented {
            Ok(_) => Ok(see_other(&format!("/agents/visites/{id}#h-orient"))),
            Err(e) => {
                let e = ApiError::from(e);
                visit_view(&web, ctx, p, id, Some(says(ctx, &e))).await
            }
        }
    })
}

//! The last step, who comes: the form, the SMS code some sites ask for,
//! and the booking itself.

use super::*;

/// What the "who" form holds.
#[derive(Default, Clone)]
pub(super) struct Who {
    pub(super) first_name: String,
    pub(super) last_name: String,
    pub(super) phone: String,
    email: String,
    pub(super) sms: bool,
    code: String,
    challenge: String,
}

impl Who {
    /// The name and the mobile number, labelled, with their errors.
    pub(super) fn fields(&self, ctx: &Ctx, problems: &BTreeMap<&'static str, String>) -> Markup {
        let w = ctx.w;
        html! {
            (input("first_name", &w.first_name, "text", &self.first_name, "given-name", None, problems))
            (input("last_name", &w.last_name, "text", &self.last_name, "family-name", None, problems))
            (input("phone", &w.mobile, "tel", &self.phone, "tel", Some(&w.mobile_hint), problems))
        }
    }

    pub(super) fn read(pairs: &[(String, String)]) -> Who {
        let f = |n| forms::field(pairs, n).to_owned();
        Who {
            first_name: f("first_name"),
            last_name: f("last_name"),
            phone: f("phone"),
            email: f("email"),
            sms: forms::field(pairs, "sms") == "yes",
            code: f("code"),
            challenge: f("challenge"),
        }
    }

    /// Each field's problem, in the resident's words.
    pub(super) fn problems(&self, ctx: &Ctx) -> BTreeMap<&'static str, String> {
        let w = ctx.w;
        let mut p = BTreeMap::new();
        let too_long = |max: usize| w.err_too_long(max);
        if self.first_name.is_empty() {
            p.insert("first_name", w.err_first_name.to_owned());
        } else if self.first_name.chars().count() > MAX_NAME {
            p.insert("first_name", too_long(MAX_NAME));
        }
        if self.last_name.is_empty() {
            p.insert("last_name", w.err_last_name.to_owned());
        } else if self.last_name.chars().count() > MAX_NAME {
            p.insert("last_name", too_long(MAX_NAME));
        }
        if PhoneNumber::parse(&self.phone).is_err() {
            p.insert("phone", w.err_phone.to_owned());
        }
        if self.email.chars().count() > MAX_EMAIL {
            p.insert("email", too_long(MAX_EMAIL));
        } else if !self.email.is_empty() && contracts::email::parse_email(&self.email).is_err() {
            p.insert("email", w.err_email.to_owned());
        }
        p
    }

    fn hidden(&self) -> Markup {
        html! {
            input type="hidden" name="first_name" value=(self.first_name);
            input type="hidden" name="last_name" value=(self.last_name);
            input type="hidden" name="phone" value=(self.phone);
            input type="hidden" name="email" value=(self.email);
            @if self.sms { input type="hidden" name="sms" value="yes"; }
        }
    }
}

/// One labelled field, its hint and its error, tied together for screen
/// readers.
pub(super) fn input(
    name: &str,
    label: &str,
    kind: &str,
    value: &str,
    autocomplete: &str,
    hint: Option<&str>,
    problems: &BTreeMap<&'static str, String>,
) -> Markup {
    let error = problems.get(name);
    let described = match (hint.is_some(), error.is_some()) {
        (true, true) => Some(format!("{name}-hint {name}-error")),
        (true, false) => Some(format!("{name}-hint")),
        (false, true) => Some(format!("{name}-error")),
        (false, false) => None,
    };
    html! {
        label for=(name) {
            (label)
            @if let Some(h) = hint { span.hint id={ (name) "-hint" } { (h) } }
        }
        @if let Some(e) = error { p.error id={ (name) "-error" } { (e) } }
        // Numbers and addresses are typed left to right, in Arabic too.
        input type=(kind) id=(name) name=(name) value=(value) autocomplete=(autocomplete)
            dir=[matches!(kind, "tel" | "email").then_some("ltr")]
            aria-invalid=[error.map(|_| "true")] aria-describedby=[described];
    }
}

pub(super) struct Chosen {
    site: calendar::SiteView,
    reason: Reason,
    start: NaiveDateTime,
}

pub(super) async fn chosen(
    web: &Web,
    raw_site: &str,
    raw_reason: &str,
    raw_start: &str,
) -> Result<Chosen, ApiError> {
    let site = site(web, raw_site).await?;
    let reason = reason(raw_reason)?;
    let start = NaiveDateTime::parse_from_str(raw_start, START_FORMAT)
        .map_err(|_| ApiError::NotFound(format!("{raw_start:?} is not a time")))?;
    Ok(Chosen {
        site,
        reason,
        start,
    })
}

pub(super) fn summary(
    ctx: &Ctx,
    site: &calendar::SiteView,
    reason: Reason,
    at: chrono::DateTime<Utc>,
) -> Markup {
    let w = ctx.w;
    html! {
        dl.summary {
            dt { (w.date_time) } dd { strong { (when(ctx, at)) } }
            dt { (w.place) } dd { bdi { (site.details.name) } }
            @if !site.details.address.is_empty() {
                dt { (w.address) } dd { bdi { (site.details.address) } " · " a href=(map_link(&site.details.address)) rel="noreferrer" { (w.map) } }
            }
            @if !site.details.phone.is_empty() {
                dt { (w.site_phone) } dd { (phone_link(&site.details.phone)) }
            }
            @if !site.details.accessibility.is_empty() {
                dt { (w.access) } dd { bdi { (site.details.accessibility) } }
            }
            dt { (w.reason) } dd { (reason_label(ctx.lang, reason)) }
            @if let Some(h) = reminders::texts::hint(ctx.lang, reason) {
                dt { (w.bring) } dd { (h) }
            }
        }
    }
}

/// A site's phone number as a link that calls it, its digits kept left to
/// right in right-to-left text.
pub(super) fn phone_link(phone: &str) -> Markup {
    let dial: String = phone
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect();
    html! { a href={ "tel:" (dial) } { bdi dir="ltr" { (phone) } } }
}

pub(super) fn who_form(
    web: &Web,
    ctx: &Ctx,
    c: &Chosen,
    who: &Who,
    problems: &BTreeMap<&'static str, String>,
    top: Option<String>,
    status: StatusCode,
) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let at = contracts::time::to_utc(c.start).unwrap_or_else(|_| web.now());
    let action = format!(
        "/rdv/{}/{}/{}",
        c.site.id,
        c.reason.code(),
        c.start.format(START_FORMAT)
    );
    let body = html! {
        (back(ctx, &format!("/rdv/{}/{}", c.site.id, c.reason.code())))
        (step(ctx, 4))
        h1 { (w.who_q) }
        (summary(ctx, &c.site, c.reason, at))
        @if let Some(t) = &top {
            div.alert role="alert" tabindex="-1" id="probleme" { p { (t) } }
        } @else if !problems.is_empty() {
            div.alert role="alert" { p { (w.err_fix) } }
        }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(token);
            (who.fields(ctx, problems))
            (input("email", &w.email, "email", &who.email, "email", Some(&w.email_hint), problems))
            // Consent is a choice the resident makes: never ticked in
            // advance, and the booking goes through without it.
            label.check for="sms" {
                input type="checkbox" id="sms" name="sms" value="yes" aria-describedby="sms-hint" checked[who.sms];
                span { (w.sms_consent) }
            }
            p.hint id="sms-hint" { (w.sms_consent_hint) }
            button type="submit" { (w.confirm) }
        }
    };
    Page::new(&w.who_q, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

/// Step 4: who. The form, with the chosen time summed up above it.
pub async fn who_page(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw_site, raw_reason, raw_start)): Path<(String, String, String)>,
) -> Response {
    match chosen(&web, &raw_site, &raw_reason, &raw_start).await {
        Ok(c) => {
            let who = match booking_for(&web, &ctx).await {
                Ok(who) => who.unwrap_or_default(),
                Err(e) => return failure(&ctx, &e),
            };
            who_form(&web, &ctx, &c, &who, &BTreeMap::new(), None, StatusCode::OK)
        }
        Err(e) => failure(&ctx, &e),
    }
}

/// The form filled with the resident a staff member chose in reception's
/// search ("book for this person"), read as a record read (audited);
/// `None` for residents booking themselves, or when no one was chosen.
async fn booking_for(web: &Web, ctx: &Ctx) -> Result<Option<Who>, ApiError> {
    let (Some(p), Some(id)) = (&ctx.staff, ctx.booking_for) else {
        return Ok(None);
    };
    if crate::staff::resident_seen(web, ctx, p, id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let d = web
        .inner
        .identity
        .resident_details(id)
        .await
        .map_err(ApiError::from)?;
    Ok(Some(Who {
        first_name: d.first_name.unwrap_or_default(),
        last_name: d.last_name.unwrap_or_default(),
        phone: d
            .phone
            .as_deref()
            .map(crate::layout::phone_words)
            .unwrap_or_default(),
        email: d.email.unwrap_or_default(),
        sms: d.sms_consent,
        ..Who::default()
    }))
}

pub(super) fn code_form(
    web: &Web,
    ctx: &Ctx,
    c: &Chosen,
    who: &Who,
    problem: Option<&str>,
) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let action = format!(
        "/rdv/{}/{}/{}",
        c.site.id,
        c.reason.code(),
        c.start.format(START_FORMAT)
    );
    let shown_phone =
        PhoneNumber::parse(&who.phone).map_or_else(|_| who.phone.clone(), |p| p.display_national());
    let errors: BTreeMap<&'static str, String> = problem
        .map(|p| ("code", p.to_owned()))
        .into_iter()
        .collect();
    let body = html! {
        (step(ctx, 4))
        h1 { (w.code_title) }
        p { (w.code_sent(&shown_phone)) }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(token);
            (who.hidden())
            input type="hidden" name="challenge" value=(who.challenge);
            (input("code", &w.code_label, "text", "", "one-time-code", None, &errors))
            button type="submit" { (w.confirm) }
        }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(token);
            (who.hidden())
            button.secondary type="submit" { (w.code_send_again) }
        }
    };
    Page::new(&w.code_title, body)
        .status(if problem.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        })
        .cookie(cookie)
        .render(ctx)
}

/// The times offered instead of one just taken: each button books it with
/// the same answers.
pub(super) fn taken_page(
    web: &Web,
    ctx: &Ctx,
    c: &Chosen,
    who: &Who,
    alternatives: &[Available],
) -> Response {
    let w = ctx.w;
    let (token, cookie) = form_token(web, ctx);
    let body = html! {
        (step(ctx, 4))
        h1 { (w.err_taken) }
        @if alternatives.is_empty() {
            p.alert { (w.no_free) }
        }
        ul.times {
            @for a in alternatives {
                li {
                    form method="post" action={ "/rdv/" (c.site.id) "/" (c.reason.code()) "/" (start_text(a)) } {
                        input type="hidden" name="csrf" value=(token);
                        (who.hidden())
                        button type="submit" { (time_words(ctx, a)) " · " (day_words(ctx, a.start.date_naive())) }
                    }
                }
            }
        }
        p { a href={ "/rdv/" (c.site.id) "/" (c.reason.code()) } { (w.other_day) } }
    };
    Page::new(&w.err_taken, body)
        .status(StatusCode::CONFLICT)
        .cookie(cookie)
        .render(ctx)
}

/// Sends the form: checks it, asks for the SMS code where the site wants
/// one, books, and goes to the appointment's page.
pub async fn book_post(
    State(web): State<Web>,
    ctx: Ctx,
    Path((raw_site, raw_reason, raw_start)): Path<(String, String, String)>,
    body: Bytes,
) -> Response {
    let c = match chosen(&web, &raw_site, &raw_reason, &raw_start).await {
        Ok(c) => c,
        Err(e) => return failure(&ctx, &e),
    };
    let pairs = forms::pairs(&body);
    let who = Who::read(&pairs);
    if !form_is_fresh(&web, &ctx, &pairs) {
        return who_form(
            &web,
            &ctx,
            &c,
            &who,
            &BTreeMap::new(),
            Some(ctx.w.err_expired.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let problems = who.problems(&ctx);
    if !problems.is_empty() {
        return who_form(
            &web,
            &ctx,
            &c,
            &who,
            &problems,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let Ok(start) = contracts::time::to_utc(c.start) else {
        return failure(
            &ctx,
            &ApiError::NotFound("this time does not exist in Paris".into()),
        );
    };
    let mut confirmation = None;
    if ctx.staff.is_none() && c.site.details.confirms_online_bookings_by_sms {
        if who.code.is_empty() || who.challenge.is_empty() {
            return send_code(&web, &ctx, &c, who).await;
        }
        match serde_json::from_str::<identity::CodeChallenge>(&who.challenge) {
            Ok(challenge) => confirmation = Some((challenge, who.code.clone())),
            Err(_) => return send_code(&web, &ctx, &c, who).await,
        }
    }
    let request = BookRequest {
        site: c.site.id,
        start,
        reason: c.reason,
        name: format!("{} {}", who.first_name, who.last_name),
        phone: who.phone.clone(),
        email: Some(who.email.clone()).filter(|e| !e.is_empty()),
        language: ctx.lang,
        note: None,
        confirmation,
        sms_consent: who.sms,
    };
    let booker = match page_booker(&ctx, c.site.id) {
        Ok(b) => b,
        Err(e) => return failure(&ctx, &e),
    };
    match web
        .inner
        .appointments
        .book(request, booker, web.now())
        .await
    {
        Ok(booked) => {
            if ctx.staff.is_some() {
                let phone = PhoneNumber::parse(&who.phone)
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default();
                let mut to = see_other(&format!(
                    "/agents/accueil?q={}&fait=reserve",
                    crate::layout::url_encode(&phone)
                ));
                // Booked: the next booking is for whoever comes next.
                to.headers_mut().append(
                    axum::http::header::SET_COOKIE,
                    forms::set_cookie(forms::FOR_COOKIE, "", 0, web.inner.secure_cookies),
                );
                return to;
            }
            let sms = if who.sms { "1" } else { "0" };
            see_other(&format!("/r/{}?nouveau={sms}", booked.token))
        }
        Err(AppointmentError::SlotTaken { alternatives }) => {
            taken_page(&web, &ctx, &c, &who, &alternatives)
        }
        Err(AppointmentError::AlreadyBooked(_)) => who_form(
            &web,
            &ctx,
            &c,
            &who,
            &BTreeMap::new(),
            Some(ctx.w.err_already.to_owned()),
            StatusCode::CONFLICT,
        ),
        Err(AppointmentError::Invalid { field, message }) if field.starts_with("confirmation") => {
            tracing::info!(%message, "a booking code was refused");
            let again = Who {
                code: String::new(),
                ..who
            };
            code_form(&web, &ctx, &c, &again, Some(&ctx.w.err_code))
        }
        Err(AppointmentError::Invalid { field, message }) => {
            let e = ApiError::Invalid {
                field: field.to_owned(),
                message,
            };
            let mut problems = BTreeMap::new();
            let key = match field {
                "resident.phone" => Some("phone"),
                "resident.email" => Some("email"),
                "resident.name" => Some("last_name"),
                _ => None,
            };
            match key {
                Some(k) => {
                    problems.insert(k, says(&ctx, &e));
                    who_form(
                        &web,
                        &ctx,
                        &c,
                        &who,
                        &problems,
                        None,
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                }
                None => who_form(
                    &web,
                    &ctx,
                    &c,
                    &who,
                    &problems,
                    Some(format!("{} {}", ctx.w.err_other, says(&ctx, &e))),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
            }
        }
        Err(e) => {
            let e = ApiError::from(e);
            who_form(
                &web,
                &ctx,
                &c,
                &who,
                &BTreeMap::new(),
                Some(format!("{} {}", ctx.w.err_other, says(&ctx, &e))),
                e.status(),
            )
        }
    }
}

pub(super) async fn send_code(web: &Web, ctx: &Ctx, c: &Chosen, who: Who) -> Response {
    match reminders::send_booking_code(
        &web.inner.reminders,
        c.site.id,
        &who.phone,
        ctx.lang,
        &ctx.client,
    )
    .await
    {
        Ok(challenge) => {
            let who = Who {
                challenge: serde_json::to_string(&challenge).unwrap_or_default(),
                code: String::new(),
                ..who
            };
            code_form(web, ctx, c, &who, None)
        }
        Err(e) => who_form(
            web,
            ctx,
            c,
            &who,
            &BTreeMap::new(),
            Some(says(ctx, &e)),
            e.status(),
        ),
    }
}

//! Signing in and out, and the staff home page.

use super::*;

#[derive(Deserialize)]
pub struct SignInQuery {
    retour: Option<String>,
}

pub(super) fn sign_in_form(
    web: &Web,
    ctx: &Ctx,
    email: &str,
    back: &str,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (token, cookie) = crate::resident::public_form_token(web, ctx);
    let title = t(ctx, "staff-sign-in");
    let body = html! {
        h1 { (title) }
        @if let Some(p) = &problem { p.alert role="alert" id="probleme" { (p) } }
        form method="post" action="/connexion" {
            input type="hidden" name="csrf" value=(token);
            input type="hidden" name="retour" value=(back);
            label for="email" { (t(ctx, "email-address")) }
            input type="email" id="email" name="email" value=(email) autocomplete="username" required;
            label for="password" { (t(ctx, "password")) }
            input type="password" id="password" name="password" autocomplete="current-password" required;
            button type="submit" { (t(ctx, "sign-in")) }
        }
        @if web.inner.identity.offers_password_resets() {
            p { a href="/connexion/oubli" { (t(ctx, "forgotten-password-or-account-locked")) } }
        }
    };
    Page::new(title, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

pub async fn sign_in_page(
    State(web): State<Web>,
    ctx: Ctx,
    Query(q): Query<SignInQuery>,
) -> Response {
    let ctx = staff_language(ctx);
    let back = api::safe_return(q.retour.as_deref());
    if ctx.staff.is_some() {
        return see_other(if back == "/" { "/agents" } else { &back });
    }
    sign_in_form(&web, &ctx, "", &back, None, StatusCode::OK)
}

pub async fn sign_in_post(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    let ctx = staff_language(ctx);
    let pairs = forms::pairs(&body);
    let email = forms::field(&pairs, "email");
    let back = api::safe_return(Some(forms::field(&pairs, "retour")));
    let back = if back == "/" {
        "/agents".to_owned()
    } else {
        back
    };
    if web.inner.forms.check(
        ctx.browser.as_deref(),
        forms::field(&pairs, "csrf"),
        web.now(),
    ) != TokenCheck::Good
    {
        let m = t(&ctx, "the-page-was-open-for-3");
        return sign_in_form(
            &web,
            &ctx,
            email,
            &back,
            Some(m.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    match web
        .inner
        .identity
        .sign_in(email, password, &ctx.client, ctx.correlation.0)
        .await
    {
        Ok(signed) => {
            let mut r = see_other(&back);
            r.headers_mut()
                .append(header::SET_COOKIE, signed.set_cookie);
            r
        }
        Err(e) => {
            let e = ApiError::from(e);
            sign_in_form(&web, &ctx, email, &back, Some(says(&ctx, &e)), e.status())
        }
    }
}

pub async fn sign_out_post(State(web): State<Web>, ctx: Ctx, principal: Principal) -> Response {
    if let Some(session) = &principal.session
        && let Err(e) = web
            .inner
            .identity
            .sign_out(
                &principal.acting(ctx.correlation, ctx.now),
                principal.staff_id,
                session.session_id,
                "sign_out",
            )
            .await
    {
        return failure(&ctx, &ApiError::from(e));
    }
    let mut r = see_other("/connexion");
    r.headers_mut()
        .append(header::SET_COOKIE, web.inner.identity.expired_cookie());
    r
}

pub async fn home_page(State(web): State<Web>, ctx: Ctx) -> Response {
    staff_page!(ctx, p, async {
        let ctx_title = t(ctx, "staff-2");
        let paused = super::paused_notice(&web, ctx, p).await;
        let body = html! {
            h1 { (ctx_title) }
            p { (t(ctx, "hello")) " " (p.display_name) "." }
            (paused)
            ul.choices {
                @if p.may(FRONT_DESK, None) {
                    li { a.choice href="/agents/accueil" { strong { (t(ctx, "reception")) } span { (t(ctx, "find-a-resident-book-move")) } } }
                }
                @if p.may(FRONT_DESK, None) {
                    li { a.choice href="/agents/journee" { strong { (t(ctx, "today")) } span { (t(ctx, "todays-permanences-arrivals-and-the")) } } }
                }
                @if p.may(&[Role::Coordinator], None) {
                    li { a.choice href="/agents/lieux" { strong { (t(ctx, "sites-2")) } span { (t(ctx, "sites-their-regular-permanences-their")) } } }
                    li { a.choice href="/agents/statistiques" { strong { (t(ctx, "statistics")) } span { (t(ctx, "attendance-requests-waits-no-shows")) } } }
                }
            }
        };
        Ok(Page::new(ctx_title, body).wide().render(ctx))
    })
}

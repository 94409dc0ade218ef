//! A forgotten password: `/connexion/oubli` asks for a link by email,
//! `/connexion/nouveau?jeton=…` (the link) chooses a new password. The
//! JSON twins are `POST /api/v1/password-resets` and `…/confirm`.

use api::ApiError;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use crate::Web;
use crate::forms::{self, TokenCheck};
use crate::layout::t;
use crate::layout::{Ctx, Page, says, staff_language};
use crate::resident::public_form_token;

fn fresh(web: &Web, ctx: &Ctx, pairs: &[(String, String)]) -> bool {
    web.inner.forms.check(
        ctx.browser.as_deref(),
        forms::field(pairs, "csrf"),
        web.now(),
    ) == TokenCheck::Good
}

fn ask_form(
    web: &Web,
    ctx: &Ctx,
    email: &str,
    said: Option<(String, bool)>,
    status: StatusCode,
) -> Response {
    let (token, cookie) = public_form_token(web, ctx);
    let title = t(ctx, "forgotten-password");
    let body = html! {
        h1 { (title) }
        @match &said {
            Some((m, true)) => p.notice role="status" { (m) },
            Some((m, false)) => p.alert role="alert" { (m) },
            None => p { (t(ctx, "give-your-accounts-email-address")) },
        }
        form method="post" action="/connexion/oubli" {
            input type="hidden" name="csrf" value=(token);
            label for="email" { (t(ctx, "email-address")) }
            input type="email" id="email" name="email" value=(email) autocomplete="username" required;
            button type="submit" { (t(ctx, "send-me-the-link")) }
        }
        p { a href="/connexion" { (t(ctx, "back-to-sign-in")) } }
    };
    Page::new(title, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

pub async fn forgot_page(State(web): State<Web>, ctx: Ctx) -> Response {
    let ctx = staff_language(ctx);
    ask_form(&web, &ctx, "", None, StatusCode::OK)
}

pub async fn forgot_post(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    let ctx = staff_language(ctx);
    let pairs = forms::pairs(&body);
    let email = forms::field(&pairs, "email");
    if !fresh(&web, &ctx, &pairs) {
        let m = t(&ctx, "the-page-was-open-for");
        return ask_form(
            &web,
            &ctx,
            email,
            Some((m.to_owned(), false)),
            StatusCode::BAD_REQUEST,
        );
    }
    match web
        .inner
        .identity
        .request_password_reset(email, &ctx.client, ctx.lang.into())
        .await
    {
        Ok(()) => {
            let m = t(&ctx, "if-this-address-has-an");
            ask_form(&web, &ctx, "", Some((m.to_owned(), true)), StatusCode::OK)
        }
        Err(e) => {
            let e = ApiError::from(e);
            ask_form(&web, &ctx, email, Some((says(&ctx, &e), false)), e.status())
        }
    }
}

#[derive(Deserialize)]
pub struct ResetQuery {
    jeton: Option<String>,
}

fn choose_form(
    web: &Web,
    ctx: &Ctx,
    token: &str,
    problem: Option<String>,
    status: StatusCode,
) -> Response {
    let (csrf, cookie) = public_form_token(web, ctx);
    let title = t(ctx, "new-password");
    let body = html! {
        h1 { (title) }
        @if let Some(p) = &problem { p.alert role="alert" id="probleme" { (p) } }
        form method="post" action="/connexion/nouveau" {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="jeton" value=(token);
            label for="password" { (t(ctx, "new-password-at-least-12")) }
            input type="password" id="password" name="password" autocomplete="new-password" minlength="12" required;
            label for="again" { (t(ctx, "the-same-again")) }
            input type="password" id="again" name="again" autocomplete="new-password" minlength="12" required;
            button type="submit" { (t(ctx, "save")) }
        }
    };
    Page::new(title, body)
        .status(status)
        .cookie(cookie)
        .render(ctx)
}

fn link_broken(ctx: &Ctx, e: &ApiError) -> Response {
    let title = t(ctx, "link-out-of-use");
    Page::new(
        &title,
        html! {
            h1 { (title) }
            p.alert role="alert" { (says(ctx, e)) }
            p { a.button href="/connexion/oubli" { (t(ctx, "ask-for-a-new-link")) } }
        },
    )
    .status(e.status())
    .render(ctx)
}

pub async fn reset_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<ResetQuery>) -> Response {
    let ctx = staff_language(ctx);
    let token = q.jeton.unwrap_or_default();
    match web.inner.identity.reset_token_owner(&token).await {
        Ok(_) => choose_form(&web, &ctx, &token, None, StatusCode::OK),
        Err(e) => link_broken(&ctx, &ApiError::from(e)),
    }
}

pub async fn reset_post(State(web): State<Web>, ctx: Ctx, body: Bytes) -> Response {
    let ctx = staff_language(ctx);
    let pairs = forms::pairs(&body);
    let token = forms::field(&pairs, "jeton");
    if !fresh(&web, &ctx, &pairs) {
        let m = t(&ctx, "the-page-was-open-for-2");
        return choose_form(
            &web,
            &ctx,
            token,
            Some(m.to_owned()),
            StatusCode::BAD_REQUEST,
        );
    }
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map_or("", |(_, v)| v.as_str());
    let again = pairs
        .iter()
        .find(|(k, _)| k == "again")
        .map_or("", |(_, v)| v.as_str());
    if password != again {
        let m = t(&ctx, "the-two-passwords-differ-type");
        return choose_form(
            &web,
            &ctx,
            token,
            Some(m.to_owned()),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    match web
        .inner
        .identity
        .reset_password(token, password.to_owned(), ctx.correlation.0)
        .await
    {
        Ok(()) => {
            let title = t(&ctx, "password-changed");
            Page::new(
                &title,
                html! {
                    h1 { (title) }
                    p.notice role="status" { (t(&ctx, "your-new-password-is-saved")) }
                    p { a.button href="/connexion" { (t(&ctx, "sign-in")) } }
                },
            )
            .render(&ctx)
        }
        Err(identity::IdentityError::Invalid(m)) if m.starts_with("this link") => {
            link_broken(&ctx, &ApiError::BadRequest(m))
        }
        Err(e) => {
            let e = ApiError::from(e);
            choose_form(&web, &ctx, token, Some(says(&ctx, &e)), e.status())
        }
    }
}

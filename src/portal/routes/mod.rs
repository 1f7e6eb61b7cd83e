//! Routing: which handler answers a request. Requests under a foreign Host are intercepted
//! traffic (nft redirected the client's port 80 here) and get a redirect; the rest are
//! dispatched by method and path through `Route`, one file per endpoint family.

mod captive;
pub mod forgot;
pub mod lang;
pub mod login;
mod logo;
mod logout;
mod packages;
mod pages;
pub mod payments;
mod session;

use hyper::body::Incoming;
use hyper::header::{ACCEPT_LANGUAGE, HOST, ORIGIN};
use hyper::{Method, Request, Response, StatusCode};

use super::http::{self, Body};
use super::{Portal, RequestContext};
use crate::i18n::Lang;

/// Every endpoint the portal serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    FormPay,
    FormPaybill,
    /// By the payment's view token (never its row id).
    PaymentPage(String),
    FormForgot,
    ApiPay,
    ApiPayment(String),
    MpesaCallback(String),
    ApiForgot,
    Splash,
    Status,
    FormLogin,
    /// `GET /login?voucher=CODE`: the splash page with the code filled in.
    LoginLink,
    /// `GET /v/CODE`: the same, by a shorter address, the one a printed voucher's QR code
    /// holds (a smaller symbol with bigger modules: `webadmin::print::voucher_url`).
    VoucherLink(String),
    FormLogout,
    ApiLogin,
    ApiLogout,
    ApiCheckSession,
    ApiPackages,
    ApiCaptive,
    /// `GET /lang?set=sw&back=/path`: the language switch.
    Lang,
    /// `GET /logo`: the venue's logo.
    Logo,
    NotFound,
    MethodNotAllowed,
}

impl Route {
    pub fn of(method: &Method, path: &str) -> Route {
        let get = method == Method::GET || method == Method::HEAD;
        let post = method == Method::POST;
        if let Some(token) = path.strip_prefix("/pay/").filter(|t| is_view_token(t)) {
            return if get { Route::PaymentPage(token.to_owned()) } else { Route::MethodNotAllowed };
        }
        // Some Daraja setups refuse callback URLs containing "mpesa": both paths work.
        let callback_token = path.strip_prefix("/api/payments/callback/").or_else(|| path.strip_prefix("/api/payments/mpesa/callback/"));
        if let Some(token) = callback_token.filter(|t| !t.is_empty() && !t.contains('/')) {
            return if post { Route::MpesaCallback(token.to_owned()) } else { Route::MethodNotAllowed };
        }
        if let Some(token) = path.strip_prefix("/api/payments/").filter(|t| is_view_token(t)) {
            return if get { Route::ApiPayment(token.to_owned()) } else { Route::MethodNotAllowed };
        }
        if path == "/login" && get {
            return Route::LoginLink;
        }
        if let Some(code) = path.strip_prefix("/v/").filter(|c| !c.is_empty() && !c.contains('/')) {
            return if get { Route::VoucherLink(code.to_owned()) } else { Route::MethodNotAllowed };
        }
        let route = match path {
            "/pay" => (post, Route::FormPay),
            "/paybill" => (post, Route::FormPaybill),
            "/forgot" => (post, Route::FormForgot),
            "/api/payments/mpesa" => (post, Route::ApiPay),
            "/api/hotspot/forgot-password" => (post, Route::ApiForgot),
            "/" | "/index.html" => (get, Route::Splash),
            "/status" => (get, Route::Status),
            "/login" => (post, Route::FormLogin),
            "/logout" => (post, Route::FormLogout),
            "/api/hotspot/login" => (post, Route::ApiLogin),
            "/api/hotspot/logout" => (post, Route::ApiLogout),
            "/api/hotspot/check-session" => (post || get, Route::ApiCheckSession),
            "/api/packages" => (get, Route::ApiPackages),
            "/api/captive" => (get, Route::ApiCaptive),
            "/lang" => (get, Route::Lang),
            "/logo" => (get, Route::Logo),
            _ => return Route::NotFound,
        };
        match route {
            (true, route) => route,
            (false, _) => Route::MethodNotAllowed,
        }
    }

    fn is_api(path: &str) -> bool {
        path.starts_with("/api/")
    }
}

/// A payment's view token: 32 lowercase hex digits (anything else, such as an old numeric
/// payment id, is not a page).
fn is_view_token(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A POST sent by a page of another site (its `Origin` is not this portal): another site
/// must not log a visitor out, log them in to someone else's account, send prompts or ask
/// for resets in their name. Browsers send `Origin` with every cross-site POST (`null` from
/// sandboxed frames and other opaque origins, refused too); requests without one (Daraja's
/// callbacks, scripts, old clients) are not from a browser page and pass.
fn foreign_post(portal: &Portal, ctx: &RequestContext, req: &Request<Incoming>) -> bool {
    if req.method() != Method::POST {
        return false;
    }
    match req.headers().get(ORIGIN).map(|o| o.to_str().ok().and_then(http::origin_authority)) {
        None => false,
        Some(Some(authority)) => !portal.is_own_host(authority, ctx),
        Some(None) => true,
    }
}

/// The language a request asked for (the switch's cookie, then the browser's), if any.
fn chosen_language(req: &Request<Incoming>) -> Option<Lang> {
    let header = req.headers().get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    Lang::chosen(http::cookie(req.headers(), "lang"), header)
}

/// Where the language switch of this request's page comes back to: the page itself for
/// the pages a browser opens (a voucher link with its normalised code), the start page
/// otherwise. Never raw input: a mistyped path is not echoed back.
fn back_of(route: &Route, query: &str) -> String {
    match route {
        Route::Status => "/status".into(),
        Route::PaymentPage(token) => format!("/pay/{token}"),
        Route::LoginLink => format!("/login?voucher={}", http::url_encode(&pages::voucher_of(query))),
        Route::VoucherLink(code) => format!("/login?voucher={}", http::url_encode(&pages::normalised(code))),
        _ => "/".into(),
    }
}

/// An answer being worked out (`handle`).
type Answer<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Response<Body>> + Send + 'a>>;

/// Answers one request. Never fails: every problem becomes a response a person can read.
pub async fn handle(portal: &Portal, mut ctx: RequestContext, req: Request<Incoming>) -> Response<Body> {
    let route = Route::of(req.method(), req.uri().path());
    ctx.chosen_lang = chosen_language(&req);
    ctx.lang = ctx.chosen_lang.unwrap_or_else(|| portal.branding.get().default_language);
    ctx.back = back_of(&route, req.uri().query().unwrap_or_default());
    let w = ctx.words();
    if let Some(host) = req.headers().get(HOST).and_then(|h| h.to_str().ok()) {
        if !portal.is_own_host(host, &ctx) {
            return pages::intercepted(portal, &ctx, host, req.uri()).await;
        }
    }
    let path = req.uri().path().to_owned();
    let message = |status: StatusCode, text: &str| {
        if Route::is_api(&path) {
            http::json_error(status, text)
        } else {
            http::html(status, super::pages::message(&portal.frame(&ctx), w.title, text))
        }
    };
    if foreign_post(portal, &ctx, &req) {
        return message(StatusCode::FORBIDDEN, w.err_foreign_origin);
    }
    // Boxed: each answer its own state machine, not all inlined into this one.
    let answer: Answer<'_> = match &route {
        Route::FormPay => Box::pin(payments::form(portal, &ctx, req)),
        Route::FormPaybill => Box::pin(payments::paybill_form(portal, &ctx, req)),
        Route::PaymentPage(token) => Box::pin(payments::page(portal, &ctx, token)),
        Route::ApiPay => Box::pin(payments::api_start(portal, &ctx, req)),
        Route::ApiPayment(token) => Box::pin(payments::api_status(portal, &ctx, token)),
        Route::MpesaCallback(token) => Box::pin(payments::callback(portal, &ctx, token, req)),
        Route::FormForgot => Box::pin(forgot::form(portal, &ctx, req)),
        Route::ApiForgot => Box::pin(forgot::api(portal, &ctx, req)),
        Route::Splash => Box::pin(pages::splash(portal, &ctx)),
        Route::Status => Box::pin(pages::status(portal, &ctx)),
        Route::FormLogin => Box::pin(login::form(portal, &ctx, req)),
        Route::LoginLink => Box::pin(pages::login_link(portal, &ctx, pages::voucher_of(req.uri().query().unwrap_or_default()))),
        Route::VoucherLink(code) => Box::pin(pages::login_link(portal, &ctx, pages::normalised(code))),
        Route::FormLogout => Box::pin(logout::form(portal, &ctx)),
        Route::ApiLogin => Box::pin(login::api(portal, &ctx, req)),
        Route::ApiLogout => Box::pin(logout::api(portal, &ctx)),
        Route::ApiCheckSession => Box::pin(session::check(portal, &ctx)),
        Route::ApiPackages => Box::pin(packages::list(portal, &ctx)),
        Route::ApiCaptive => Box::pin(captive::api(portal, &ctx)),
        Route::Lang => return lang::switch(&ctx, req.uri().query().unwrap_or_default()),
        Route::Logo => return logo::logo(portal, &ctx),
        Route::MethodNotAllowed => return message(StatusCode::METHOD_NOT_ALLOWED, w.err_method),
        Route::NotFound => return message(StatusCode::NOT_FOUND, w.not_found),
    };
    answer.await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_method_and_path() {
        assert_eq!(Route::of(&Method::GET, "/"), Route::Splash);
        assert_eq!(Route::of(&Method::POST, "/login"), Route::FormLogin);
        assert_eq!(Route::of(&Method::GET, "/login"), Route::LoginLink);
        assert_eq!(Route::of(&Method::GET, "/v/K7MX3QPAB"), Route::VoucherLink("K7MX3QPAB".into()));
        assert_eq!(Route::of(&Method::POST, "/v/K7MX3QPAB"), Route::MethodNotAllowed);
        assert_eq!(Route::of(&Method::GET, "/v/"), Route::NotFound);
        assert_eq!(Route::of(&Method::GET, "/v/A/B"), Route::NotFound);
        assert_eq!(Route::of(&Method::PUT, "/login"), Route::MethodNotAllowed);
        assert_eq!(Route::of(&Method::POST, "/api/hotspot/login"), Route::ApiLogin);
        assert_eq!(Route::of(&Method::GET, "/api/captive"), Route::ApiCaptive);
        assert_eq!(Route::of(&Method::GET, "/lang"), Route::Lang);
        assert_eq!(Route::of(&Method::POST, "/lang"), Route::MethodNotAllowed);
        assert_eq!(Route::of(&Method::GET, "/logo"), Route::Logo);
        assert_eq!(Route::of(&Method::GET, "/nope"), Route::NotFound);
        assert!(Route::is_api("/api/x"));
        let token = "0123456789abcdef0123456789abcdef";
        assert_eq!(Route::of(&Method::GET, &format!("/pay/{token}")), Route::PaymentPage(token.into()));
        assert_eq!(Route::of(&Method::GET, &format!("/api/payments/{token}")), Route::ApiPayment(token.into()));
        // Old numeric ids and anything not shaped like a token are not pages.
        for path in ["/pay/12", "/api/payments/7", "/pay/0123456789ABCDEF0123456789ABCDEF", "/api/payments/0123456789abcdef"] {
            assert_eq!(Route::of(&Method::GET, path), Route::NotFound, "{path}");
        }
        assert_eq!(Route::of(&Method::POST, "/api/payments/mpesa"), Route::ApiPay);
        assert_eq!(Route::of(&Method::POST, "/api/payments/mpesa/callback/ab12"), Route::MpesaCallback("ab12".into()));
        assert_eq!(Route::of(&Method::POST, "/api/payments/callback/cd34"), Route::MpesaCallback("cd34".into()));
        assert_eq!(Route::of(&Method::POST, "/api/payments/mpesa/callback/"), Route::NotFound);
        assert_eq!(Route::of(&Method::GET, "/pay/x"), Route::NotFound);
    }
}

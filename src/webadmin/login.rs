//! `GET /login` and `POST /login`: the login page, and checking the operator's password —
//! limited per address and in all (`auth`), verified off the runtime thread (the hash is
//! slow on purpose), recorded in the audit either way. No password set yet: the page says how
//! to set one, and every login is refused.

use std::time::Duration;

use hyper::header::{HeaderValue, RETRY_AFTER};
use hyper::{Response, StatusCode};

use super::dispatch::{audit, html, redirect, refusal_page, set_cookie, Asked};
use super::{auth, layout, password, Form, WebAdmin};
use crate::portal::http::Body;

/// Longest a login waits for the hashing share before the router is called busy.
const HASH_WAIT: Duration = Duration::from_secs(10);

/// What the login page shows above the form.
enum Notice {
    None,
    /// A `.error` paragraph.
    Error(String),
    /// No password yet: the hint (`#no-password`), no form.
    NoPassword,
}

/// `GET /login`: already logged in → the dashboard.
pub async fn show(web: &WebAdmin, asked: &Asked) -> Response<Body> {
    let now = web.monotonic_secs();
    if asked.session_id.as_deref().is_some_and(|id| web.auth().session(id, now).is_some()) {
        return redirect("/");
    }
    match web.admin.admin_password_hash().await {
        Ok(Some(_)) => html(StatusCode::OK, page(web, asked, Notice::None)),
        Ok(None) => html(StatusCode::OK, page(web, asked, Notice::NoPassword)),
        Err(e) => {
            log::error!("web admin: cannot read the admin password: {}", crate::error_chain(&e));
            let w = &asked.lang.words().admin;
            html(StatusCode::INTERNAL_SERVER_ERROR, refusal_page(web, asked, w.login_title, w.server_error))
        }
    }
}

/// `POST /login` with field `password`.
pub async fn attempt(web: &WebAdmin, asked: &Asked, form: &Form) -> Response<Body> {
    let w = &asked.lang.words().admin;
    let now = web.monotonic_secs();
    if let Err(too_many) = web.auth().may_try(asked.peer, now) {
        let message = format!("{} {}", w.too_many_tries, (w.try_again_in)(too_many.retry_after_secs));
        let mut r = html(StatusCode::TOO_MANY_REQUESTS, page(web, asked, Notice::Error(message)));
        if let Ok(v) = HeaderValue::from_str(&too_many.retry_after_secs.max(1).to_string()) {
            r.headers_mut().insert(RETRY_AFTER, v);
        }
        return r;
    }
    if !auth::origin_ok(asked.origin.as_deref(), asked.host.as_deref()) {
        return html(StatusCode::FORBIDDEN, refusal_page(web, asked, w.refused_title, w.csrf_expired));
    }
    let stored = match web.admin.admin_password_hash().await {
        Ok(Some(stored)) => stored,
        Ok(None) => return html(StatusCode::FORBIDDEN, page(web, asked, Notice::NoPassword)),
        Err(e) => {
            log::error!("web admin: cannot read the admin password: {}", crate::error_chain(&e));
            return html(StatusCode::INTERNAL_SERVER_ERROR, page(web, asked, Notice::Error(w.server_error.into())));
        }
    };
    let typed = form.get("password").unwrap_or("").to_owned();
    let right = match web.hashing.call(Some(HASH_WAIT), move || password::verify(&typed, &stored)).await {
        Ok(right) => right,
        Err(e) => {
            log::warn!("web admin: {e}");
            return html(StatusCode::SERVICE_UNAVAILABLE, page(web, asked, Notice::Error(w.busy.into())));
        }
    };
    if !right {
        log::warn!("web admin: wrong password from {}", asked.peer);
        web.auth().record_wrong(asked.peer, web.monotonic_secs());
        audit(web, asked.who(), "login failed".into(), String::new()).await;
        return html(StatusCode::UNAUTHORIZED, page(web, asked, Notice::Error(w.wrong_password.into())));
    }
    let session = match web.auth().start(asked.peer, web.monotonic_secs()) {
        Ok(session) => session,
        Err(e) => {
            log::error!("web admin: cannot draw a session id: {e}");
            return html(StatusCode::INTERNAL_SERVER_ERROR, page(web, asked, Notice::Error(w.server_error.into())));
        }
    };
    audit(web, asked.who(), "login".into(), String::new()).await;
    let mut r = redirect("/");
    set_cookie(&mut r, &auth::session_cookie(&session.id));
    r
}

fn page(web: &WebAdmin, asked: &Asked, notice: Notice) -> String {
    let w = &asked.lang.words().admin;
    let e = layout::escape;
    let (notice, form) = match notice {
        Notice::NoPassword => (format!("<p class=\"error\" id=\"no-password\">{}</p>", e(w.no_password_yet)), String::new()),
        Notice::Error(message) => (format!("<p class=\"error\">{}</p>", e(&message)), form(w)),
        Notice::None => (String::new(), form(w)),
    };
    let body = format!("<main id=\"page-login\"><h1>{}</h1>{notice}{form}</main>", e(w.login_title));
    layout::bare_page(asked.lang, &web.venue(), "/login", w.login_title, &body)
}

fn form(w: &crate::i18n::AdminCoreWords) -> String {
    format!(
        "<form id=\"login\" class=\"card\" method=\"post\" action=\"/login\"><label for=\"password\">{}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required autofocus>\
         <p><button type=\"submit\">{}</button></p></form>",
        layout::escape(w.password),
        layout::escape(w.log_in)
    )
}

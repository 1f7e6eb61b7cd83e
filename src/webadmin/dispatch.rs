//! One admin request, from the raw request to the response: refuses the hotspot side,
//! answers the routes open to everyone (`/login`, `/lang`, `/logo`), sends anyone without a
//! session to `/login`, checks every POST's origin and CSRF token before any section sees
//! it, ends sessions (`/logout`), hands the rest to `route`, writes the audit row of every
//! POST that succeeded, and puts the security headers on every response.

use std::net::IpAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE, LOCATION, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};

use super::{auth, layout, login, route, Ctx, Form, Outcome, WebAdmin};
use crate::i18n::Lang;
use crate::portal::http::{read_body_max, Body};

/// Largest request body (a logo upload: at most 32 KB of image in a multipart form).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The headers every admin response carries: never cached, never framed, no script, no
/// outside resource, forms only to this site, no referrer leaving it.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    ),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
];

/// What the request says about itself, read once.
pub(crate) struct Asked {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub lang: Lang,
    pub session_id: Option<String>,
    pub origin: Option<String>,
    pub host: Option<String>,
    pub content_type: String,
    pub peer: IpAddr,
}

impl Asked {
    fn of(web: &WebAdmin, peer: IpAddr, headers: &HeaderMap, method: &Method, uri: &hyper::Uri) -> Asked {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let cookies: Vec<&str> = headers.get_all(hyper::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect();
        Asked {
            method: method.clone(),
            path: uri.path().to_owned(),
            query: uri.query().unwrap_or("").to_owned(),
            lang: Lang::pick(auth::cookie(cookies.iter().copied(), "lang"), text("accept-language").as_deref(), web.default_lang()),
            session_id: auth::cookie(cookies.iter().copied(), auth::COOKIE).map(str::to_owned),
            origin: text("origin"),
            host: text("host"),
            content_type: text("content-type").unwrap_or_default(),
            peer,
        }
    }

    /// `admin@192.168.1.23`, for the audit.
    pub fn who(&self) -> String {
        format!("admin@{}", super::hotspot_side::canonical(self.peer))
    }
}

/// Answers one request (`hotspot_side`: the connection came from the hotspot interface).
pub async fn handle(web: &WebAdmin, peer: IpAddr, hotspot_side: bool, req: Request<Incoming>) -> Response<Body> {
    let mut response = if hotspot_side {
        plain(StatusCode::FORBIDDEN, "Forbidden\n")
    } else {
        answer(web, peer, req).await
    };
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    response
}

async fn answer(web: &WebAdmin, peer: IpAddr, req: Request<Incoming>) -> Response<Body> {
    let asked = Asked::of(web, peer, req.headers(), req.method(), req.uri());
    match (&asked.method, asked.path.as_str()) {
        (&Method::GET, "/lang") => return switch_language(&asked.query),
        // The venue's logo (open to everyone, as on the portal); nosniff is among the security headers.
        (&Method::GET, "/logo") => {
            return match super::settings::logo_response(&web.branding.get()) {
                Some((content_type, bytes)) => response(StatusCode::OK, content_type, bytes),
                None => plain(StatusCode::NOT_FOUND, "no logo\n"),
            }
        }
        (&Method::GET, "/login") => return login::show(web, &asked).await,
        (&Method::POST, "/login") => {
            return match read_body_max(req, MAX_BODY_BYTES).await {
                Ok(body) => login::attempt(web, &asked, &Form::parse(&body)).await,
                Err(e) => too_big(web, &asked, e.status()),
            }
        }
        _ => {}
    }
    let now = web.monotonic_secs();
    let Some(session) = asked.session_id.as_deref().and_then(|id| web.auth().session(id, now)) else {
        return redirect("/login");
    };
    let body = if asked.method == Method::POST {
        match read_body_max(req, MAX_BODY_BYTES).await {
            Ok(body) => body,
            Err(e) => return too_big(web, &asked, e.status()),
        }
    } else {
        Bytes::new()
    };
    let form = if asked.content_type.starts_with("application/x-www-form-urlencoded") { Form::parse(&body) } else { Form::default() };
    let who = asked.who();
    if asked.method == Method::POST {
        let sent = form.get("csrf").map(str::to_owned).or_else(|| multipart_field(&asked.content_type, &body, "csrf"));
        if !auth::origin_ok(asked.origin.as_deref(), asked.host.as_deref()) || !auth::csrf_ok(&session.csrf, sent.as_deref()) {
            let w = &asked.lang.words().admin;
            let page = refusal_page(web, &asked, w.refused_title, w.csrf_expired);
            return html(StatusCode::FORBIDDEN, page);
        }
        if asked.path == "/logout" {
            web.auth().end(&session.id);
            audit(web, who, "logout".into(), String::new()).await;
            let mut r = redirect("/login");
            set_cookie(&mut r, &auth::cleared_cookie());
            return r;
        }
    }
    let ctx = Ctx {
        web,
        lang: asked.lang,
        words: asked.lang.words(),
        csrf: &session.csrf,
        who: &who,
        query: &asked.query,
        form: &form,
        body: &body,
        content_type: &asked.content_type,
        path: &asked.path,
    };
    let outcome = route(&ctx, &asked.method, &asked.path).await;
    if asked.method == Method::POST {
        if let Outcome::Redirect(_) = &outcome {
            audit(web, who.clone(), asked.path.clone(), audit_detail(&form)).await;
        }
    }
    respond(&ctx, outcome)
}

/// Turns a handler's outcome into the response.
fn respond(ctx: &Ctx<'_>, outcome: Outcome) -> Response<Body> {
    let w = &ctx.words.admin;
    match outcome {
        Outcome::Page { title, body } => html(StatusCode::OK, layout::page(ctx, &title, &body)),
        Outcome::Bare(document) => html(StatusCode::OK, document),
        Outcome::Redirect(to) => redirect(auth::local_path(Some(&to))),
        Outcome::Download { content_type, filename, body } => {
            let mut r = response(StatusCode::OK, content_type, body);
            let safe: String = filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).take(100).collect();
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
                r.headers_mut().insert(hyper::header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Outcome::Invalid(message) => {
            let body = format!("<main id=\"page-error\"><h1>{}</h1><p class=\"error\">{}</p></main>", layout::escape(w.invalid_title), layout::escape(&message));
            html(StatusCode::BAD_REQUEST, layout::page(ctx, w.invalid_title, &body))
        }
        Outcome::NotFound => {
            let body = format!("<main id=\"page-error\"><h1>{}</h1><p>{}</p></main>", layout::escape(w.not_found_title), layout::escape(w.not_found));
            html(StatusCode::NOT_FOUND, layout::page(ctx, w.not_found_title, &body))
        }
    }
}

/// The audit's detail of a form: its fields but the token and any password, `k=v` apart.
pub fn audit_detail(form: &Form) -> String {
    form.fields()
        .iter()
        .filter(|(k, _)| k != "csrf" && !k.contains("password"))
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes an audit row; a failure is logged (the change itself is done).
pub(crate) async fn audit(web: &WebAdmin, who: String, action: String, detail: String) {
    if let Err(e) = web.admin.record_audit(who, action, detail).await {
        log::error!("web admin: cannot write the audit: {}", crate::error_chain(&e));
    }
}

/// `GET /lang?set=sw&back=/path`: remembers the language for a year, back to the page.
fn switch_language(query: &str) -> Response<Body> {
    let back = super::query_param(query, "back");
    let mut r = redirect(auth::local_path(back.as_deref()));
    if let Some(lang) = super::query_param(query, "set").as_deref().and_then(Lang::from_code) {
        set_cookie(&mut r, &auth::lang_cookie(lang.code()));
    }
    r
}

/// A page outside the logged-in frame that says no (`title`, `message` in `.error`).
pub(crate) fn refusal_page(web: &WebAdmin, asked: &Asked, title: &str, message: &str) -> String {
    let body = format!(
        "<main id=\"page-refused\"><h1>{}</h1><p class=\"error\">{}</p><p><a href=\"/\">{}</a></p></main>",
        layout::escape(title),
        layout::escape(message),
        layout::escape(asked.lang.words().admin.nav_dashboard)
    );
    layout::bare_page(asked.lang, &web.venue(), &asked.path, title, &body)
}

/// A body over `MAX_BODY_BYTES`, or too slow (413 or 408).
fn too_big(web: &WebAdmin, asked: &Asked, status: StatusCode) -> Response<Body> {
    let w = &asked.lang.words().admin;
    html(status, refusal_page(web, asked, w.invalid_title, w.request_too_big))
}

/// The value of a plain field in a `multipart/form-data` body (the CSRF token of an upload).
pub fn multipart_field(content_type: &str, body: &[u8], name: &str) -> Option<String> {
    if !content_type.starts_with("multipart/form-data") {
        return None;
    }
    let marker = format!("name=\"{name}\"");
    let at = find(body, marker.as_bytes())? + marker.len();
    let start = at + find(&body[at..], b"\r\n\r\n")? + 4;
    let len = find(&body[start..], b"\r\n")?;
    String::from_utf8(body[start..start + len].to_vec()).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

pub(crate) fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

pub(crate) fn html(status: StatusCode, page: String) -> Response<Body> {
    response(status, "text/html; charset=utf-8", page)
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    response(status, "text/plain; charset=utf-8", text)
}

/// 303 See Other to a local path.
pub(crate) fn redirect(to: &str) -> Response<Body> {
    let mut r = response(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", Bytes::new());
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

pub(crate) fn set_cookie(r: &mut Response<Body>, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        r.headers_mut().append(SET_COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_leaves_out_the_token_and_passwords() {
        let form = Form::parse(b"csrf=abc&minutes=30&mb=&password=x&new_password=y");
        assert_eq!(audit_detail(&form), "minutes=30 mb=");
    }

    #[test]
    fn an_uploads_token_is_found_in_its_multipart_body() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nf00d\r\n--XX\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\n\r\n\x89PNG\r\n--XX--\r\n";
        assert_eq!(multipart_field("multipart/form-data; boundary=XX", body, "csrf").as_deref(), Some("f00d"));
        assert_eq!(multipart_field("application/x-www-form-urlencoded", body, "csrf"), None);
        assert_eq!(multipart_field("multipart/form-data; boundary=XX", body, "other"), None);
    }

    #[test]
    fn the_language_switch_goes_back_only_to_this_site() {
        let r = switch_language("set=sw&back=%2Fsystem");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/system");
        assert_eq!(r.headers()[SET_COOKIE], "lang=sw; SameSite=Lax; Path=/; Max-Age=31536000");
        let r = switch_language("set=xx&back=//evil.example");
        assert_eq!(r.headers()[LOCATION], "/");
        assert!(r.headers().get(SET_COOKIE).is_none());
    }
}

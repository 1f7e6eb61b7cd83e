//! `GET /lang?set=sw&back=/status`: the visible language switch. Remembers the choice in the
//! `lang` cookie (a year, whole site, SameSite=Lax) and sends the browser back with a 303 —
//! only to a local path (`/…`, never `//host` or `/\host`, which browsers take for another
//! site), else to the start page. An unknown language changes nothing.

use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Response, StatusCode};

use super::super::http::{self, Body};
use super::super::RequestContext;
use crate::i18n::Lang;

/// A year, in seconds: how long the choice is kept.
const COOKIE_MAX_AGE_SECS: u32 = 365 * 24 * 3600;

pub fn switch(ctx: &RequestContext, query: &str) -> Response<Body> {
    let set = http::form_field(query.as_bytes(), "set").and_then(|code| Lang::from_code(&code));
    let back = http::form_field(query.as_bytes(), "back").unwrap_or_default();
    let lang = set.unwrap_or(ctx.lang);
    let mut r = http::redirect(StatusCode::SEE_OTHER, local_path(&back), &lang.words().portal);
    if let Some(lang) = set {
        let cookie = format!("lang={}; Max-Age={COOKIE_MAX_AGE_SECS}; Path=/; SameSite=Lax", lang.code());
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            r.headers_mut().insert(SET_COOKIE, v);
        }
    }
    r
}

/// `back` if it is a path on this site, else `/`. Pure.
pub fn local_path(back: &str) -> &str {
    let local = back.starts_with('/')
        && !back.starts_with("//")
        && !back.starts_with("/\\")
        && back.len() <= 1024
        && back.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if local {
        back
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_gone_back_to() {
        for good in ["/", "/status", "/login?voucher=AB12", "/pay/0123456789abcdef0123456789abcdef"] {
            assert_eq!(local_path(good), good);
        }
        for bad in ["", "status", "//evil.example/", "/\\evil.example", "/a\\b", "http://evil.example/", "/a b", "/a\r\nSet-Cookie: x", "/é"] {
            assert_eq!(local_path(bad), "/", "{bad:?}");
        }
    }
}

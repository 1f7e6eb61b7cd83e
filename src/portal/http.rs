//! Small HTTP helpers for the routes: building responses, reading a bounded request body,
//! decoding HTML form fields, escaping HTML. No routing, no state.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONNECTION, CONTENT_TYPE, LOCATION, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS};
use hyper::{Request, Response, StatusCode};
use serde::Serialize;

use crate::i18n::PortalWords;

pub type Body = Full<Bytes>;

/// Largest request body we read: a login form is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;
/// Time a client gets to send its body once the headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);

fn response(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Portal answers depend on who asks and when: never cache them.
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // Some answers repeat what the client typed (a refused phone number): a browser must
    // never take JSON or text for HTML.
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

pub fn html(status: StatusCode, page: String) -> Response<Body> {
    response(status, "text/html; charset=utf-8", page)
}

/// An image (the venue's logo), cacheable for a few minutes; `nosniff` as every answer.
pub fn image(content_type: &'static str, bytes: &[u8]) -> Response<Body> {
    let mut r = response(StatusCode::OK, content_type, Bytes::copy_from_slice(bytes));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    r
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    response(status, "application/json", body)
}

pub fn json_with_type(status: StatusCode, content_type: &'static str, value: &impl Serialize) -> Response<Body> {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut r = response(status, content_type, body);
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    r
}

/// `{"error": message}` with a 4xx/5xx status.
pub fn json_error(status: StatusCode, message: &str) -> Response<Body> {
    json(status, &serde_json::json!({ "error": message }))
}

pub fn with_retry_after(mut r: Response<Body>, secs: u64) -> Response<Body> {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(RETRY_AFTER, v);
    }
    r
}

/// A redirect with a small HTML body (some probes treat an empty body as "no portal"), its
/// link in `words`' language.
pub fn redirect(status: StatusCode, location: &str, words: &PortalWords) -> Response<Body> {
    let href = escape(location);
    let body = format!(
        "<!doctype html><html><head><meta http-equiv=\"refresh\" content=\"0;url={href}\"></head>\
         <body><a href=\"{href}\">{}</a></body></html>",
        words.go_to_login
    );
    let mut r = html(status, body);
    match HeaderValue::from_str(location) {
        Ok(v) => {
            r.headers_mut().insert(LOCATION, v);
        }
        Err(_) => *r.status_mut() = StatusCode::BAD_REQUEST,
    }
    r
}

/// Asks the client to close the connection after this response (intercepted connections
/// must not be reused once the client is online).
pub fn closing(mut r: Response<Body>) -> Response<Body> {
    r.headers_mut().insert(CONNECTION, HeaderValue::from_static("close"));
    r
}

#[derive(Debug, PartialEq, Eq)]
pub enum BodyError {
    TooLarge,
    Timeout,
    Broken,
}

impl BodyError {
    pub fn message(&self, words: &PortalWords) -> &'static str {
        match self {
            BodyError::TooLarge => words.err_body_too_large,
            BodyError::Timeout | BodyError::Broken => words.err_body_timeout,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            BodyError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BodyError::Timeout | BodyError::Broken => StatusCode::REQUEST_TIMEOUT,
        }
    }
}

/// Reads the whole body, at most `MAX_BODY_BYTES`, within `BODY_TIMEOUT`.
pub async fn read_body(req: Request<Incoming>) -> Result<Bytes, BodyError> {
    read_body_max(req, MAX_BODY_BYTES).await
}

/// Reads the whole body, at most `max_bytes` (the web admin takes a logo), within
/// `BODY_TIMEOUT`.
pub async fn read_body_max(req: Request<Incoming>, max_bytes: usize) -> Result<Bytes, BodyError> {
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max_bytes) {
        return Err(BodyError::TooLarge);
    }
    let limited = Limited::new(req.into_body(), max_bytes);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Broken),
    }
}

/// The value of `name` in an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|&b| b == b'&').find_map(|pair| {
        let mut kv = pair.splitn(2, |&b| b == b'=');
        let key = url_decode(kv.next()?);
        (key == name).then(|| url_decode(kv.next().unwrap_or_default()))
    })
}

/// Decodes `+` and `%XX` (two hex digits exactly; otherwise kept as typed). The portal's
/// forms and the web admin's share it.
pub fn url_decode(input: &[u8]) -> String {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'+' => out.push(b' '),
            // Two hex digits exactly (`u8::from_str_radix` would also take `+1`, a sign).
            b'%' if i + 2 < input.len() => match (hex_digit(input[i + 1]), hex_digit(input[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high << 4 | low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `host` if it is a plain URL authority — a name or IPv4 address, or a bracketed IPv6
/// address, with an optional port — and nothing that would change where a URL built from it
/// points (`/`, `@`, `\`, `?`, `#`, `%`, spaces, control or non-ASCII characters).
pub fn authority(host: &str) -> Option<&str> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (v6, after) = rest.split_once(']')?;
            if v6.is_empty() || !v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
                return None;
            }
            match after {
                "" => (None, None),
                _ => (None, Some(after.strip_prefix(':')?)),
            }
        }
        None => match host.split_once(':') {
            Some((name, port)) => (Some(name), Some(port)),
            None => (Some(host), None),
        },
    };
    let name_ok = name.is_none_or(|n| {
        !n.is_empty() && n.len() <= 253 && n.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
    });
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (name_ok && port_ok).then_some(host)
}

/// The `host[:port]` of an `http://` or `https://` origin or URL (`Origin` headers).
pub fn origin_authority(origin: &str) -> Option<&str> {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))?;
    authority(rest.split('/').next()?)
}

/// The value of cookie `name` in a request's `Cookie` headers, if any.
pub fn cookie<'a>(headers: &'a hyper::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| pair.trim().split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v.trim().trim_matches('"')))
}

/// Percent-encodes `s` for a URL's query value: only unreserved characters and `/` stay.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_decode() {
        let body = b"voucher=ab+cd%2D12&username=&x=%zz%4";
        assert_eq!(form_field(body, "voucher").as_deref(), Some("ab cd-12"));
        assert_eq!(form_field(body, "username").as_deref(), Some(""));
        assert_eq!(form_field(body, "x").as_deref(), Some("%zz%4"));
        assert_eq!(form_field(body, "password"), None);
        assert_eq!(form_field(b"", "voucher"), None);
    }

    #[test]
    fn a_percent_escape_is_two_hex_digits_not_a_signed_number() {
        // `%+1` used to decode to byte 0x01 (from_str_radix takes a sign): it is `%`, then
        // `+` (a space), then `1`.
        assert_eq!(form_field(b"x=%+1&y=%+A", "x").as_deref(), Some("% 1"));
        assert_eq!(form_field(b"x=%+1&y=%+A", "y").as_deref(), Some("% A"));
        assert_eq!(form_field(b"x=%-1", "x").as_deref(), Some("%-1"));
        assert_eq!(form_field(b"x=%41%2b%2B", "x").as_deref(), Some("A++"));
    }

    #[test]
    fn only_plain_authorities_pass() {
        for good in ["example.com", "example.com:8080", "10.77.0.1:2050", "my_host.lan", "[2001:db8::1]", "[::1]:80", "XN--80AK6AA92E.COM"] {
            assert_eq!(authority(good), Some(good), "{good}");
        }
        for bad in [
            "", "evil.com/x", "user@evil.com", "evil.com\\x", "a b", "evil.com?x", "evil.com#x", "evil.com%2f", "ex\tample.com",
            "exämple.com", "host:", "host:80:80", "host:80a", "[::1", "[::1]x", "[]", "[fe80::1%eth0]", ":80", "host\r\nX: y",
        ] {
            assert_eq!(authority(bad), None, "{bad:?}");
        }
        assert_eq!(origin_authority("http://10.77.0.1:2050"), Some("10.77.0.1:2050"));
        assert_eq!(origin_authority("https://portal.example/"), Some("portal.example"));
        assert_eq!(origin_authority("null"), None);
        assert_eq!(origin_authority("http://a@b"), None);
    }

    #[test]
    fn cookies_and_query_values() {
        let mut headers = hyper::HeaderMap::new();
        headers.append(hyper::header::COOKIE, HeaderValue::from_static("a=1; lang=sw"));
        headers.append(hyper::header::COOKIE, HeaderValue::from_static("x=y"));
        assert_eq!(cookie(&headers, "lang"), Some("sw"));
        assert_eq!(cookie(&headers, "x"), Some("y"));
        assert_eq!(cookie(&headers, "ang"), None);
        assert_eq!(url_encode("/login?voucher=AB 12&x=é"), "/login%3Fvoucher%3DAB%2012%26x%3D%C3%A9");
        assert_eq!(form_field(url_encode("/a?b=c d").as_bytes(), "/a?b"), None, "one value, not a pair");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}

//! Blocking HTTP(S) client for the upstream services (Daraja, SMS gateways, later the
//! central server), over `ureq`. Calls block: the daemon makes them on the blocking pool
//! through each service's `share::Share` (bounded concurrency), never on the runtime thread
//! nor on the firewall's or store's threads. Every call has timeouts, follows no redirects, and reads at
//! most `MAX_BODY_BYTES` of the answer. Any status is returned as data: callers decide what
//! a 4xx or 5xx means for their service.
//!
//! TLS (cargo feature `https`, `tls.rs`) trusts the router's CA bundle rather than a copy
//! compiled into the binary; a build without it (`plain.rs`) speaks plain HTTP only.

pub mod share;

#[cfg(not(feature = "https"))]
#[path = "plain.rs"]
mod tls;
#[cfg(feature = "https")]
mod tls;

use std::time::Duration;

/// Where OpenWrt (`ca-bundle`) and Debian keep the trusted certificate authorities.
pub const DEFAULT_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Largest answer body read from an upstream service.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;

/// Errors show the URL without user info or query (`shown_url`): a token there must not
/// reach a log line.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No answer: DNS, connection refused, timeout, TLS failure. Usually worth retrying.
    #[error("cannot reach {url}")]
    Unreachable {
        url: String,
        #[source]
        source: ureq::Error,
    },
    #[error("the answer from {url} could not be read")]
    Body {
        url: String,
        #[source]
        source: ureq::Error,
    },
}

/// An upstream answer: status and body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

impl HttpResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Shared, cheap to clone (connections are pooled by the agent).
#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
}

impl HttpClient {
    /// `timeout` bounds a whole call; connecting gets at most 5 s of it. HTTPS trusts the
    /// authorities in the system's CA bundle (`DEFAULT_CA_BUNDLE`).
    pub fn new(timeout: Duration) -> HttpClient {
        HttpClient::with_ca_bundle(timeout, std::path::Path::new(DEFAULT_CA_BUNDLE))
    }

    /// Like `new`, trusting the authorities in the PEM file `ca_bundle`.
    pub fn with_ca_bundle(timeout: Duration, ca_bundle: &std::path::Path) -> HttpClient {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(5))))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("hotspotd/", env!("CARGO_PKG_VERSION")));
        let config = tls::configure(config, ca_bundle).build();
        HttpClient { agent: config.into() }
    }

    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        finish(url, request.call())
    }

    /// POSTs `body` with the given content type.
    pub fn post(&self, url: &str, headers: &[(&str, &str)], content_type: &str, body: &[u8]) -> Result<HttpResponse, HttpError> {
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        finish(url, request.send(body))
    }

    /// POSTs `body` and also returns the answer's `header` (e.g. a signature), reading at most
    /// `limit` bytes of the body.
    pub fn post_signed(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        content_type: &str,
        body: &[u8],
        header: &str,
        limit: u64,
    ) -> Result<(HttpResponse, Option<String>), HttpError> {
        let mut request = self.agent.post(url).header("Content-Type", content_type);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send(body).map_err(|source| HttpError::Unreachable { url: shown_url(url), source })?;
        let value = response.headers().get(header).and_then(|v| v.to_str().ok()).map(str::to_owned);
        Ok((read_answer(url, response, limit)?, value))
    }

    /// POSTs `fields` as an HTML form (`application/x-www-form-urlencoded`).
    pub fn post_form(&self, url: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Result<HttpResponse, HttpError> {
        self.post(url, headers, "application/x-www-form-urlencoded", form_encode(fields).as_bytes())
    }
}

fn finish(url: &str, result: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Result<HttpResponse, HttpError> {
    let response = result.map_err(|source| HttpError::Unreachable { url: shown_url(url), source })?;
    read_answer(url, response, MAX_BODY_BYTES)
}

fn read_answer(url: &str, mut response: ureq::http::Response<ureq::Body>, limit: u64) -> Result<HttpResponse, HttpError> {
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(limit)
        .read_to_string()
        .map_err(|source| HttpError::Body { url: shown_url(url), source })?;
    Ok(HttpResponse { status, body })
}

/// `url` without user info or query: what is safe to show in an error.
pub fn shown_url(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or_default();
    match without_query.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => without_query.to_owned(),
    }
}

/// `application/x-www-form-urlencoded` encoding of `pairs`.
pub fn form_encode(pairs: &[(&str, &str)]) -> String {
    fn encode(s: &str, out: &mut String) {
        for b in s.bytes() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
                b' ' => out.push('+'),
                b => out.push_str(&format!("%{b:02X}")),
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode(k, &mut out);
        out.push('=');
        encode(v, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_what_it_must() {
        assert_eq!(form_encode(&[("to", "+254712345678"), ("message", "user a&b=c pass")]), "to=%2B254712345678&message=user+a%26b%3Dc+pass");
    }

    #[test]
    fn an_unreachable_host_is_a_clear_error_not_a_hang() {
        // Port 9 (discard) on loopback: nothing listens in the test environment.
        let client = HttpClient::new(Duration::from_secs(2));
        let started = std::time::Instant::now();
        let err = client.get("http://127.0.0.1:9/", &[]).unwrap_err();
        assert!(matches!(err, HttpError::Unreachable { .. }), "{err:?}");
        let shown = HttpClient::new(Duration::from_secs(2)).get("http://user:pw@127.0.0.1:9/x?token=abc", &[]).unwrap_err().to_string();
        assert_eq!(shown, "cannot reach http://127.0.0.1:9/x", "no secret in the error");
        assert!(started.elapsed() < Duration::from_secs(3));
    }
}

//! Logging in: `POST /login` (HTML form, ends on a real page) and `POST /api/hotspot/login`
//! (JSON). Both go through `attempt`, which applies the guessing limits (`ratelimit`: per
//! device by MAC and by address, and all devices together).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::{Deserialize, Serialize};

use super::super::http::{self, Body};
use super::super::{Portal, RequestContext};
use super::pages::{splash_with, Refill};
use crate::access::Refusal;
use crate::sessions::{Credential, LoginRecord, SessionError};
use crate::store::catalog::Package;

/// Why a login did not happen, ready to show.
struct Failure {
    status: StatusCode,
    message: String,
    retry_after: Option<u64>,
}

impl Failure {
    fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure { status, message: message.into(), retry_after: None }
    }
}

fn refusal_status(refusal: &Refusal) -> StatusCode {
    match refusal {
        Refusal::UnknownVoucher | Refusal::WrongCredentials => StatusCode::UNAUTHORIZED,
        _ => StatusCode::FORBIDDEN,
    }
}

/// Checks the rate limit, logs in, and counts failures that look like guessing.
async fn attempt(portal: &Portal, ctx: &RequestContext, credential: Option<Credential>) -> Result<LoginRecord, Failure> {
    let w = ctx.words();
    let Some(client) = ctx.client else {
        return Err(Failure::new(StatusCode::BAD_REQUEST, w.err_unknown_device));
    };
    if let Err(refusal) = portal.check_guess(client) {
        let mut failure = Failure::new(StatusCode::TOO_MANY_REQUESTS, (w.guess_refused)(&refusal));
        failure.retry_after = Some(refusal.retry_after_secs());
        return Err(failure);
    }
    let Some(credential) = credential else {
        return Err(Failure::new(StatusCode::BAD_REQUEST, w.err_no_credential));
    };
    match portal.sessions.login(client, credential).await {
        Ok(record) => Ok(record),
        Err(SessionError::Refused(refusal)) => {
            if matches!(refusal, Refusal::UnknownVoucher | Refusal::WrongCredentials) {
                portal.record_wrong_guess(client);
            }
            Err(Failure::new(refusal_status(&refusal), (w.refusal)(&refusal)))
        }
        Err(e) => {
            log::error!("login of {} failed: {}", client.ip, crate::error_chain(&e));
            Err(Failure::new(StatusCode::SERVICE_UNAVAILABLE, w.err_unavailable))
        }
    }
}

fn credential_from(voucher: Option<String>, username: Option<String>, password: Option<String>) -> Option<Credential> {
    let voucher = voucher.filter(|v| !v.trim().is_empty());
    let username = username.filter(|u| !u.trim().is_empty());
    match (voucher, username, password) {
        (Some(code), _, _) => Some(Credential::Voucher(code)),
        (None, Some(username), Some(password)) => Some(Credential::Password { username, password }),
        _ => None,
    }
}

/// `POST /login`: success goes to the status page (a real navigation, so iOS closes its
/// login sheet); failure shows the splash page again with the reason.
pub async fn form(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return splash_with(portal, ctx, e.status(), &Refill { error: Some(e.message(ctx.words())), ..Refill::default() }).await,
    };
    let voucher = http::form_field(&body, "voucher");
    match attempt(portal, ctx, credential_of_form(&body)).await {
        Ok(_) => http::redirect(StatusCode::SEE_OTHER, "/status", ctx.words()),
        Err(f) => {
            let refill = Refill { error: Some(&f.message), voucher: voucher.as_deref().unwrap_or(""), ..Refill::default() };
            let page = splash_with(portal, ctx, f.status, &refill).await;
            match f.retry_after {
                Some(secs) => http::with_retry_after(page, secs),
                None => page,
            }
        }
    }
}

/// The credential a login form carries (`voucher`, or `username` and `password`). Pure.
pub fn credential_of_form(body: &[u8]) -> Option<Credential> {
    credential_from(http::form_field(body, "voucher"), http::form_field(body, "username"), http::form_field(body, "password"))
}

#[derive(Deserialize)]
struct LoginRequest {
    voucher: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// The credential a JSON login body carries; `Err` when it is not such a body. Pure.
pub fn credential_of_json(body: &[u8]) -> Result<Option<Credential>, serde_json::Error> {
    let request = crate::json_fields::from_bytes::<LoginRequest>(body)?;
    Ok(credential_from(request.voucher, request.username, request.password))
}

#[derive(Serialize)]
struct LoginResponse<'a> {
    ok: bool,
    username: &'a str,
    expires_at: i64,
    seconds_remaining: i64,
    bytes_remaining: Option<i64>,
    package: &'a Package,
}

/// `POST /api/hotspot/login` with `{"voucher":"…"}` or `{"username":"…","password":"…"}`.
pub async fn api(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return http::json_error(e.status(), e.message(ctx.words())),
    };
    let Ok(credential) = credential_of_json(&body) else {
        return http::json_error(StatusCode::BAD_REQUEST, ctx.words().err_bad_json);
    };
    match attempt(portal, ctx, credential).await {
        Ok(record) => http::json(
            StatusCode::OK,
            &LoginResponse {
                ok: true,
                username: &record.username,
                expires_at: record.expires_at,
                seconds_remaining: record.remaining.secs,
                bytes_remaining: record.remaining.bytes,
                package: &record.package,
            },
        ),
        Err(f) => {
            let r = http::json_error(f.status, &f.message);
            match f.retry_after {
                Some(secs) => http::with_retry_after(r, secs),
                None => r,
            }
        }
    }
}

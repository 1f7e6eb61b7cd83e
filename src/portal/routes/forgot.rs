//! "Forgot my password": `POST /forgot` (form) and `POST /api/hotspot/forgot-password`
//! (`{"phone":"…"}`). The active account of that number gets a new password by SMS. The
//! answer is the same whether or not the number has an account (no one can probe who is a
//! customer), and requests are limited per client address and per account.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;

use super::super::http::{self, Body};
use super::super::{Portal, RequestContext};
use super::pages::{splash_with, Refill};
use crate::accounts::{self, ResetOutcome};
use crate::phone::Phone;

/// Why no reset: status, words, and seconds to wait (Retry-After) if waiting helps.
type ResetError = (StatusCode, String, Option<u64>);

/// Either the generic "on its way" notice or an error to show.
async fn reset(portal: &Portal, ctx: &RequestContext, phone: &str) -> Result<(), ResetError> {
    let w = ctx.words();
    if !portal.sms_enabled {
        return Err((StatusCode::NOT_FOUND, w.forgot_no_sms.into(), None));
    }
    let Some(client) = ctx.client else {
        return Err((StatusCode::BAD_REQUEST, w.err_unknown_device.into(), None));
    };
    let phone = Phone::parse(phone, &portal.country_code)
        .map_err(|e| (StatusCode::BAD_REQUEST, (w.bad_phone)(&e.0), None))?;
    if let Err(refusal) = portal.take_reset(client) {
        let wait = refusal.retry_after_secs();
        return Err((StatusCode::TOO_MANY_REQUESTS, (w.resets_refused)(wait), Some(wait)));
    }
    let (now, lang) = (portal.sessions.now(), ctx.chosen_lang);
    match portal.sessions.store().call(move |conn| accounts::reset_password(conn, &phone, lang, now)).await {
        Ok(ResetOutcome::Queued) => {
            portal.jobs.notify();
            Ok(())
        }
        Ok(ResetOutcome::NoAccount) | Ok(ResetOutcome::TooOften) => Ok(()),
        Err(e) => {
            log::error!("password reset failed: {}", crate::error_chain(&e));
            Err((StatusCode::SERVICE_UNAVAILABLE, w.err_unavailable.into(), None))
        }
    }
}

pub async fn form(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return splash_with(portal, ctx, e.status(), &Refill { error: Some(e.message(ctx.words())), ..Refill::default() }).await,
    };
    let phone = phone_of_form(&body);
    match reset(portal, ctx, &phone).await {
        Ok(()) => splash_with(portal, ctx, StatusCode::OK, &Refill { notice: Some(ctx.words().forgot_sent), ..Refill::default() }).await,
        Err((status, message, wait)) => {
            let page = splash_with(portal, ctx, status, &Refill { error: Some(&message), ..Refill::default() }).await;
            match wait {
                Some(secs) => http::with_retry_after(page, secs),
                None => page,
            }
        }
    }
}

/// The phone number typed into the form (empty when absent). Pure.
pub fn phone_of_form(body: &[u8]) -> String {
    http::form_field(body, "phone").unwrap_or_default()
}

#[derive(Deserialize)]
struct ForgotRequest {
    phone: String,
}

/// The phone number of a JSON body; `None` when it is not `{"phone": "…"}`. Pure.
pub fn phone_of_json(body: &[u8]) -> Option<String> {
    crate::json_fields::from_bytes::<ForgotRequest>(body).ok().map(|r| r.phone)
}

pub async fn api(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return http::json_error(e.status(), e.message(ctx.words())),
    };
    let Some(phone) = phone_of_json(&body) else {
        return http::json_error(StatusCode::BAD_REQUEST, ctx.words().err_forgot_json);
    };
    match reset(portal, ctx, &phone).await {
        Ok(()) => http::json(StatusCode::OK, &serde_json::json!({ "ok": true, "message": ctx.words().forgot_sent })),
        Err((status, message, wait)) => {
            let r = http::json_error(status, &message);
            match wait {
                Some(secs) => http::with_retry_after(r, secs),
                None => r,
            }
        }
    }
}

//! Paying with M-Pesa: `POST /pay` (form) and `POST /api/payments/mpesa` (JSON) send the
//! prompt, within the limits per device and per number (`payments::limits`: 429 with
//! Retry-After beyond them); `GET /pay/{token}` (a page that refreshes itself) and
//! `GET /api/payments/{token}` say where it stands; `POST /api/payments/mpesa/callback/{token}`
//! takes Daraja's result.
//!
//! A payment's pages are named by its `view_token` (128 random bits, given only to the device
//! that started it), never by its row id: nobody can count through other people's payments.
//! Whoever holds the token sees the status; the credentials are shown only to the device
//! that paid (same MAC).

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::super::http::{self, Body};
use super::super::pages::{self, PaymentState};
use super::super::{Portal, RequestContext};
use crate::i18n::PortalWords;
use super::pages::{splash_with, Refill};
use crate::payments::{CallbackVerdict, PayError, PaymentView};
use crate::store::payments::{PaymentFailure, PaymentStatus};

fn pay_error(w: &PortalWords, e: &PayError) -> (StatusCode, &'static str) {
    match e {
        PayError::Disabled => (StatusCode::NOT_FOUND, w.pay_disabled),
        PayError::UnknownDevice => (StatusCode::BAD_REQUEST, w.err_unknown_device),
        PayError::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, ""),
        PayError::BadPhone(_) => (StatusCode::BAD_REQUEST, ""),
        PayError::UnknownPackage(_) => (StatusCode::BAD_REQUEST, w.pay_unknown_package),
        PayError::FreePackage(_) => (StatusCode::BAD_REQUEST, w.pay_free_package),
        PayError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, w.pay_unavailable),
        PayError::Refused(_) => (StatusCode::BAD_GATEWAY, w.pay_refused),
        PayError::Store(_) | PayError::NoPaybillReference => (StatusCode::SERVICE_UNAVAILABLE, w.err_unavailable),
    }
}

fn pay_message(w: &PortalWords, e: &PayError) -> String {
    match e {
        PayError::BadPhone(bad) => (w.bad_phone)(&bad.0),
        PayError::Limited(refusal) => (w.prompt_limited)(refusal),
        other => pay_error(w, other).1.to_owned(),
    }
}

/// A refusal for going over the prompt limits says when to come back.
fn with_wait(r: Response<Body>, e: &PayError) -> Response<Body> {
    match e {
        PayError::Limited(refusal) => http::with_retry_after(r, refusal.retry_after_secs()),
        _ => r,
    }
}

/// `POST /pay` with `package_id` and `phone`: on to the payment page, or back to the splash
/// page with the reason.
pub async fn form(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return splash_with(portal, ctx, e.status(), &Refill { error: Some(e.message(ctx.words())), ..Refill::default() }).await,
    };
    let PayRequest { package_id, phone } = PayRequest::of_form(&body);
    match portal.payments.start(ctx.client, package_id, &phone, ctx.chosen_lang).await {
        Ok(started) => http::redirect(StatusCode::SEE_OTHER, &format!("/pay/{}", started.view_token), ctx.words()),
        Err(e) => {
            let message = pay_message(ctx.words(), &e);
            let status = pay_error(ctx.words(), &e).0;
            let page = splash_with(portal, ctx, status, &Refill { error: Some(&message), phone: &phone, ..Refill::default() }).await;
            with_wait(page, &e)
        }
    }
}

/// `POST /paybill` with `package_id`: on to the payment page with the paybill and account
/// number to pay to, or back to the splash page with the reason.
pub async fn paybill_form(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return splash_with(portal, ctx, e.status(), &Refill { error: Some(e.message(ctx.words())), ..Refill::default() }).await,
    };
    let package_id = http::form_field(&body, "package_id").and_then(|p| p.parse().ok()).unwrap_or(-1);
    match portal.payments.start_paybill(ctx.client, package_id).await {
        Ok(started) => http::redirect(StatusCode::SEE_OTHER, &format!("/pay/{}", started.view_token), ctx.words()),
        Err(e) => {
            let message = pay_message(ctx.words(), &e);
            splash_with(portal, ctx, pay_error(ctx.words(), &e).0, &Refill { error: Some(&message), ..Refill::default() }).await
        }
    }
}

/// What a payment request asks for.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct PayRequest {
    pub package_id: i64,
    pub phone: String,
}

impl PayRequest {
    /// From the `/pay` form; a missing or unreadable package is `-1` (unknown). Pure.
    pub fn of_form(body: &[u8]) -> PayRequest {
        let phone = http::form_field(body, "phone").unwrap_or_default();
        let package_id = http::form_field(body, "package_id").and_then(|p| p.parse().ok()).unwrap_or(-1);
        PayRequest { package_id, phone }
    }

    /// From a JSON body; `None` when it is not `{"package_id": N, "phone": "…"}`. Pure.
    pub fn of_json(body: &[u8]) -> Option<PayRequest> {
        crate::json_fields::from_bytes(body).ok()
    }
}

/// `POST /api/payments/mpesa` `{"package_id":…,"phone":"…"}` → 201 `{"id":"<token>","status":"pending"}`
/// (the id to poll is the payment's view token).
pub async fn api_start(portal: &Portal, ctx: &RequestContext, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return http::json_error(e.status(), e.message(ctx.words())),
    };
    let Some(request) = PayRequest::of_json(&body) else {
        return http::json_error(StatusCode::BAD_REQUEST, ctx.words().err_pay_json);
    };
    match portal.payments.start(ctx.client, request.package_id, &request.phone, ctx.chosen_lang).await {
        Ok(started) => http::json(
            StatusCode::CREATED,
            &json!({ "id": started.view_token, "status": "pending", "message": ctx.words().pay_check_phone }),
        ),
        Err(e) => with_wait(http::json_error(pay_error(ctx.words(), &e).0, &pay_message(ctx.words(), &e)), &e),
    }
}

/// Where a payment stands, for this device.
fn state_of(portal: &Portal, ctx: &RequestContext, view: &PaymentView) -> PaymentState {
    let w = ctx.words();
    let p = &view.payment;
    if let (PaymentStatus::Pending, Some(how)) = (p.status, portal.payments.paybill_instructions(p)) {
        return PaymentState::Paybill { paybill: how.paybill, account: how.account, amount: (w.price)(p.amount, &view.currency) };
    }
    match p.status {
        PaymentStatus::Pending => PaymentState::Waiting {
            prompt: (w.pay_prompt)(p.amount, &view.currency, &view.package_name),
            demo: portal.payments.is_demo(),
        },
        PaymentStatus::Confirmed if p.user_id.is_none() => PaymentState::SettingUp,
        PaymentStatus::Confirmed => {
            let is_payer = ctx.client.is_some_and(|c| p.mac.as_deref() == Some(c.mac.to_string().as_str()));
            let credentials = match (is_payer, &view.username, &view.password) {
                (true, Some(u), Some(pw)) => Some((u.clone(), pw.clone())),
                _ => None,
            };
            PaymentState::Done { is_payer, credentials, by_sms: portal.sms_enabled }
        }
        PaymentStatus::Failed | PaymentStatus::Cancelled => {
            PaymentState::Failed { reason: (w.payment_failure)(p.failure.unwrap_or(PaymentFailure::Declined)).to_owned() }
        }
    }
}

async fn load(portal: &Portal, w: &PortalWords, view_token: &str) -> Result<PaymentView, (StatusCode, &'static str)> {
    match portal.payments.view(view_token).await {
        Ok(Some(view)) => Ok(view),
        Ok(None) => Err((StatusCode::NOT_FOUND, w.pay_not_found)),
        Err(e) => {
            log::error!("payment page: {}", crate::error_chain(&e));
            Err((StatusCode::SERVICE_UNAVAILABLE, w.err_unavailable))
        }
    }
}

/// `GET /pay/{token}`.
pub async fn page(portal: &Portal, ctx: &RequestContext, view_token: &str) -> Response<Body> {
    match load(portal, ctx.words(), view_token).await {
        Ok(view) => http::html(StatusCode::OK, pages::payment(&portal.frame(ctx), &state_of(portal, ctx, &view))),
        Err((status, message)) => http::html(status, pages::message(&portal.frame(ctx), ctx.words().pay_page_title, message)),
    }
}

/// `GET /api/payments/{token}`.
pub async fn api_status(portal: &Portal, ctx: &RequestContext, view_token: &str) -> Response<Body> {
    let w = ctx.words();
    let view = match load(portal, w, view_token).await {
        Ok(view) => view,
        Err((status, message)) => return http::json_error(status, message),
    };
    let state = state_of(portal, ctx, &view);
    let p = &view.payment;
    let mut answer = json!({
        "id": view_token,
        "status": p.status,
        "amount": p.amount,
        "package": view.package_name,
        "phone": mask(&p.phone),
        "demo": portal.payments.is_demo(),
    });
    match state {
        PaymentState::Waiting { prompt, .. } => answer["message"] = json!(prompt),
        PaymentState::Paybill { paybill, account, .. } => {
            answer["message"] = json!(w.paybill_waiting);
            answer["paybill"] = json!(paybill);
            answer["account"] = json!(account);
        }
        PaymentState::SettingUp => answer["message"] = json!(w.pay_setting_up),
        PaymentState::Done { is_payer, credentials, .. } => {
            answer["message"] = json!(if is_payer { w.pay_done } else { w.pay_done_elsewhere });
            answer["receipt"] = json!(p.receipt_number);
            if let Some((username, password)) = credentials {
                answer["username"] = json!(username);
                answer["password"] = json!(password);
            }
        }
        PaymentState::Failed { reason } => {
            answer["message"] = json!(reason);
            answer["reason"] = json!(p.failure);
        }
    }
    http::json(StatusCode::OK, &answer)
}

/// `2547****5678`: enough for the payer to recognise, not for a bystander to read.
fn mask(phone: &str) -> String {
    if phone.len() < 8 {
        return "****".into();
    }
    format!("{}****{}", &phone[..4], &phone[phone.len() - 4..])
}

/// `POST /api/payments/mpesa/callback/{token}`: Daraja's result. Daraja gets 200 for what
/// it should stop resending; forged or stale callbacks change nothing.
pub async fn callback(portal: &Portal, ctx: &RequestContext, token: &str, req: Request<Incoming>) -> Response<Body> {
    let body = match http::read_body(req).await {
        Ok(body) => body,
        Err(e) => return http::json_error(e.status(), e.message(ctx.words())),
    };
    match portal.payments.callback(token, &body).await {
        CallbackVerdict::Accepted => http::json(StatusCode::OK, &json!({ "ResultCode": 0, "ResultDesc": "Accepted" })),
        CallbackVerdict::Rejected => http::json(StatusCode::OK, &json!({ "ResultCode": 1, "ResultDesc": "Rejected" })),
        CallbackVerdict::Malformed => http::json_error(StatusCode::BAD_REQUEST, "not an STK callback"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn phones_are_masked() {
        assert_eq!(super::mask("254712345678"), "2547****5678");
        assert_eq!(super::mask("123"), "****");
    }
}

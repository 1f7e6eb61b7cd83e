//! Logging out: `POST /logout` (form, back to the splash page) and `POST /api/hotspot/logout`.
//! Ends this device's session; the account keeps its remaining time.

use hyper::{Response, StatusCode};

use super::super::http::{self, Body};
use super::super::{pages, text, Portal, RequestContext};

async fn logout(portal: &Portal, ctx: &RequestContext) -> Result<bool, (StatusCode, &'static str)> {
    let Some(client) = ctx.client else {
        return Err((StatusCode::BAD_REQUEST, text::ERR_UNKNOWN_DEVICE));
    };
    portal.sessions.logout(client).await.map_err(|e| {
        log::error!("logout of {} failed: {}", client.ip, crate::error_chain(&e));
        (StatusCode::SERVICE_UNAVAILABLE, text::ERR_UNAVAILABLE)
    })
}

pub async fn form(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match logout(portal, ctx).await {
        Ok(_) => http::redirect(StatusCode::SEE_OTHER, "/"),
        Err((status, message)) => http::html(status, pages::message(text::TITLE, message)),
    }
}

pub async fn api(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match logout(portal, ctx).await {
        Ok(was_online) => http::json(StatusCode::OK, &serde_json::json!({ "ok": true, "was_online": was_online })),
        Err((status, message)) => http::json_error(status, message),
    }
}

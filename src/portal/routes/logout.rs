//! Logging out: `POST /logout` (form, back to the splash page) and `POST /api/hotspot/logout`.
//! Ends this device's session; the account keeps its remaining time.

use hyper::{Response, StatusCode};

use super::super::http::{self, Body};
use super::super::{pages, Portal, RequestContext};

async fn logout(portal: &Portal, ctx: &RequestContext) -> Result<bool, (StatusCode, &'static str)> {
    let Some(client) = ctx.client else {
        return Err((StatusCode::BAD_REQUEST, ctx.words().err_unknown_device));
    };
    portal.sessions.logout(client).await.map_err(|e| {
        log::error!("logout of {} failed: {}", client.ip, crate::error_chain(&e));
        (StatusCode::SERVICE_UNAVAILABLE, ctx.words().err_unavailable)
    })
}

pub async fn form(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match logout(portal, ctx).await {
        Ok(_) => http::redirect(StatusCode::SEE_OTHER, "/", ctx.words()),
        Err((status, message)) => http::html(status, pages::message(&portal.frame(ctx), ctx.words().title, message)),
    }
}

pub async fn api(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match logout(portal, ctx).await {
        Ok(was_online) => http::json(StatusCode::OK, &serde_json::json!({ "ok": true, "was_online": was_online })),
        Err((status, message)) => http::json_error(status, message),
    }
}

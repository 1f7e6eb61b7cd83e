//! `POST /api/hotspot/check-session`: is this device online, and how much is left.

use hyper::{Response, StatusCode};
use serde_json::json;

use super::super::http::{self, Body};
use super::super::{text, Portal, RequestContext};

pub async fn check(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match portal.client_status(ctx).await {
        None => http::json_error(StatusCode::BAD_REQUEST, text::ERR_UNKNOWN_DEVICE),
        Some(Err(_)) => http::json_error(StatusCode::SERVICE_UNAVAILABLE, text::ERR_UNAVAILABLE),
        Some(Ok(None)) => http::json(StatusCode::OK, &json!({ "active": false, "message": text::ERR_NOT_LOGGED_IN })),
        Some(Ok(Some(s))) => http::json(
            StatusCode::OK,
            &json!({
                "active": true,
                "username": s.session.username,
                "mac": s.session.mac,
                "ip": s.session.ip,
                "expires_at": s.session.expires_at,
                "seconds_remaining": s.remaining.secs,
                "bytes_remaining": s.remaining.bytes,
                "devices_online": s.devices_online,
                "max_devices": s.max_devices,
                "package": s.package,
            }),
        ),
    }
}

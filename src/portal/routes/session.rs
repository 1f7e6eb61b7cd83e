//! `POST /api/hotspot/check-session`: is this device online, how much is left, how much it
//! has used (live: as of the last kernel reading, a few seconds old at most), how fast it may
//! go; and if it is offline because its package ran out, why.

use hyper::{Response, StatusCode};
use serde_json::json;

use super::super::http::{self, Body};
use super::super::{Portal, RequestContext};

pub async fn check(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    let w = ctx.words();
    match portal.client_status(ctx).await {
        None => http::json_error(StatusCode::BAD_REQUEST, w.err_unknown_device),
        Some(Err(_)) => http::json_error(StatusCode::SERVICE_UNAVAILABLE, w.err_unavailable),
        Some(Ok(None)) => match portal.why_offline(ctx).await {
            Some(ended) => http::json(
                StatusCode::OK,
                &json!({ "active": false, "ended": ended_word(ended), "message": (w.ended)(ended) }),
            ),
            None => http::json(StatusCode::OK, &json!({ "active": false, "message": w.err_not_logged_in })),
        },
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
                "bytes_uploaded": s.session.bytes_in,
                "bytes_downloaded": s.session.bytes_out,
                "down_kbps": s.rate.down_kbps,
                "up_kbps": s.rate.up_kbps,
                "devices_online": s.devices_online,
                "max_devices": s.max_devices,
                "package": s.package,
            }),
        ),
    }
}

fn ended_word(ended: crate::sessions::records::Ended) -> &'static str {
    match ended {
        crate::sessions::records::Ended::DataUsedUp => "quota",
        crate::sessions::records::Ended::TimeUp => "expired",
    }
}

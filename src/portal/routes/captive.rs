//! `GET /api/captive`: the RFC 8908 Captive Portal API (`application/captive+json`).

use hyper::{Response, StatusCode};
use serde_json::{json, Map, Value};

use super::super::http::{self, Body};
use super::super::{Portal, RequestContext};

const MEDIA_TYPE: &str = "application/captive+json";

pub async fn api(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    let mut answer = Map::new();
    let status = match portal.client_status(ctx).await {
        Some(Ok(status)) => status,
        Some(Err(_)) => None,
        None => None,
    };
    answer.insert("captive".into(), json!(status.is_none()));
    answer.insert("user-portal-url".into(), json!(portal.portal_url(ctx)));
    if let Some(venue) = &portal.venue_info_url {
        answer.insert("venue-info-url".into(), json!(venue));
    }
    if let Some(status) = status {
        answer.insert("seconds-remaining".into(), json!(status.remaining.secs));
        if let Some(bytes) = status.remaining.bytes {
            answer.insert("bytes-remaining".into(), json!(bytes));
        }
        answer.insert("can-extend-session".into(), json!(true));
    }
    http::json_with_type(StatusCode::OK, MEDIA_TYPE, &Value::Object(answer))
}

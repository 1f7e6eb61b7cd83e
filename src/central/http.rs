//! HTTP pieces every endpoint shares: reading a request body within a limit, and building
//! JSON, HTML and error responses (`{"error":"words saying what to fix"}`).

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde::Serialize;

pub type Reply = Response<Full<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body could not be read")]
    Read,
}

impl BodyError {
    pub fn reply(&self) -> Reply {
        match self {
            BodyError::TooLarge(_) => error(StatusCode::PAYLOAD_TOO_LARGE, &self.to_string()),
            BodyError::Read => error(StatusCode::BAD_REQUEST, &self.to_string()),
        }
    }
}

/// The whole body, refused past `limit` bytes (a declared length is checked before reading).
pub async fn read_body(req: Request<Incoming>, limit: usize) -> Result<Bytes, BodyError> {
    let declared = req.headers().get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    match Limited::new(req.into_body(), limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge(limit)),
        Err(_) => Err(BodyError::Read),
    }
}

/// A response with `body` and its content type.
pub fn bytes(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let mut reply = Response::new(Full::new(body.into()));
    *reply.status_mut() = status;
    reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    reply
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Reply {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    bytes(status, "application/json", body)
}

/// `{"error": words}`.
pub fn error(status: StatusCode, words: &str) -> Reply {
    json(status, &serde_json::json!({ "error": words }))
}

pub fn html(status: StatusCode, page: String) -> Reply {
    bytes(status, "text/html; charset=utf-8", page)
}

/// The database failed: 500, the cause logged (not shown).
pub fn internal(what: &str, cause: &dyn std::error::Error) -> Reply {
    log::error!("{what}: {}", crate::error_chain(cause));
    error(StatusCode::INTERNAL_SERVER_ERROR, "the central server could not do this now (database); try again")
}

pub fn not_found() -> Reply {
    error(StatusCode::NOT_FOUND, "no such page")
}

pub fn method_not_allowed(allowed: &'static str) -> Reply {
    let mut reply = error(StatusCode::METHOD_NOT_ALLOWED, &format!("use {allowed} here"));
    reply.headers_mut().insert(hyper::header::ALLOW, HeaderValue::from_static(allowed));
    reply
}

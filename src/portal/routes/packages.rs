//! `GET /api/packages`: the packages on sale.

use hyper::{Response, StatusCode};

use super::super::http::{self, Body};
use super::super::{Portal, RequestContext};
use crate::store::catalog;

pub async fn list(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match portal.sessions.store().call(|conn| catalog::list_packages(conn, true)).await {
        Ok(packages) => http::json(StatusCode::OK, &serde_json::json!({ "packages": packages })),
        Err(e) => {
            log::error!("cannot list packages: {}", crate::error_chain(&e));
            http::json_error(StatusCode::SERVICE_UNAVAILABLE, ctx.words().err_unavailable)
        }
    }
}

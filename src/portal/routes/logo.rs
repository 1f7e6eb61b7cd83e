//! `GET /logo`: the venue's logo as the operator uploaded it (PNG, JPEG, GIF or WebP, its
//! type sniffed from its bytes by `branding`), with `nosniff`; 404 when there is none.

use hyper::{Response, StatusCode};

use super::super::http::{self, Body};
use super::super::{pages, Portal, RequestContext};

pub fn logo(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    let frame = portal.frame(ctx);
    match &frame.branding.logo {
        Some(logo) => http::image(logo.content_type, &logo.bytes),
        None => {
            let w = frame.words();
            http::html(StatusCode::NOT_FOUND, pages::message(&frame, w.title, w.not_found))
        }
    }
}

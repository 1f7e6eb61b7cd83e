//! HTML pages: the splash page, the status page, and the answer to intercepted requests.

use hyper::{Response, StatusCode, Uri};

use super::super::http::{self, Body};
use super::super::pages::{self, MpesaForm, Splash};
use super::super::{Portal, RequestContext};
use crate::store::catalog;

/// `GET /`: the status page for a device that is online, the splash page otherwise — saying
/// why, if its package just cut it off (data used up, time up).
pub async fn splash(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    if let Some(Ok(Some(status))) = portal.client_status(ctx).await {
        return http::html(StatusCode::OK, pages::status(&portal.frame(ctx), &status));
    }
    let notice = portal.why_offline(ctx).await.map(ctx.words().ended);
    splash_with(portal, ctx, StatusCode::OK, &Refill { notice, ..Refill::default() }).await
}

/// `GET /login?voucher=CODE` and `GET /v/CODE` (what a printed voucher's QR code opens): the
/// splash page with `code` (normalised) filled in, for the phone user to press "log in" — a
/// GET changes nothing. A device already online sees its status, as on the splash page.
pub async fn login_link(portal: &Portal, ctx: &RequestContext, code: String) -> Response<Body> {
    if let Some(Ok(Some(status))) = portal.client_status(ctx).await {
        return http::html(StatusCode::OK, pages::status(&portal.frame(ctx), &status));
    }
    splash_with(portal, ctx, StatusCode::OK, &Refill { voucher: &code, ..Refill::default() }).await
}

/// The voucher code of a voucher link's query, normalised (at most 32 characters). Pure.
pub fn voucher_of(query: &str) -> String {
    normalised(&http::form_field(query.as_bytes(), "voucher").unwrap_or_default())
}

/// A voucher code from a link as the login form shows it: normalised, at most 32 characters.
pub fn normalised(typed: &str) -> String {
    crate::credentials::normalise_voucher_code(typed).chars().take(32).collect()
}

/// What a failed form post puts back on the splash page.
#[derive(Debug, Clone, Default)]
pub struct Refill<'a> {
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
    pub voucher: &'a str,
    pub phone: &'a str,
}

/// The splash page, with an error or notice on top and the fields refilled.
pub async fn splash_with(portal: &Portal, ctx: &RequestContext, status: StatusCode, refill: &Refill<'_>) -> Response<Body> {
    let frame = portal.frame(ctx);
    match portal.sessions.store().call(|conn| catalog::list_packages(conn, true)).await {
        Ok(packages) => {
            let view = Splash {
                error: refill.error,
                notice: refill.notice,
                voucher: refill.voucher,
                mpesa: portal.payments.enabled().then(|| MpesaForm {
                    demo: portal.payments.is_demo(),
                    unavailable: portal.payments.unavailable(),
                    phone: refill.phone,
                }),
                forgot: portal.sms_enabled,
                paybill: portal.payments.paybill_enabled(),
            };
            http::html(status, pages::splash(&frame, &packages, &view))
        }
        Err(e) => {
            log::error!("cannot list packages: {}", crate::error_chain(&e));
            let w = frame.words();
            http::html(StatusCode::SERVICE_UNAVAILABLE, pages::message(&frame, w.title, w.err_unavailable))
        }
    }
}

/// `GET /status`.
pub async fn status(portal: &Portal, ctx: &RequestContext) -> Response<Body> {
    match portal.client_status(ctx).await {
        Some(Ok(Some(status))) => http::html(StatusCode::OK, pages::status(&portal.frame(ctx), &status)),
        Some(Ok(None)) | None => http::redirect(StatusCode::SEE_OTHER, "/", ctx.words()),
        Some(Err(_)) => {
            let w = ctx.words();
            http::html(StatusCode::SERVICE_UNAVAILABLE, pages::message(&portal.frame(ctx), w.title, w.err_unavailable))
        }
    }
}

/// A request for someone else's site that the firewall sent here. A device that is not
/// online is sent to the portal (this is what makes the login sheet pop up), whatever its
/// Host says. A device that is online got here on a connection intercepted before it logged
/// in: send it back to the address it wanted, on a fresh connection, which the firewall no
/// longer intercepts — but only to a plain `host[:port]` (`http::authority`): a Host such as
/// `evil.example/x@` or one with spaces would make the redirect point somewhere else than
/// the Host names, so it gets a 400.
pub async fn intercepted(portal: &Portal, ctx: &RequestContext, host: &str, uri: &Uri) -> Response<Body> {
    let online = matches!(portal.client_status(ctx).await, Some(Ok(Some(_))));
    let location = if online {
        let Some(host) = http::authority(host) else {
            let w = ctx.words();
            return http::closing(http::html(StatusCode::BAD_REQUEST, pages::message(&portal.frame(ctx), w.title, w.err_bad_host)));
        };
        let path = uri.path_and_query().map(|p| p.as_str()).filter(|p| p.starts_with('/')).unwrap_or("/");
        format!("http://{host}{path}")
    } else {
        portal.portal_url(ctx)
    };
    http::closing(http::redirect(StatusCode::FOUND, &location, ctx.words()))
}

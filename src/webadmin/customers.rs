//! The web admin's page(s) for devices online (`/devices`, kick) and customers (`/customers`, search, history, extend, disable, enable, resend). Owner: H3b (money).
//! A stub until its owner fills it in: every path answers `NotFound`.

use hyper::Method;

use super::{Ctx, Outcome};

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let _ = (ctx, method, path);
    Outcome::NotFound
}

//! The web admin's page(s) for vouchers: stock, create a batch, a batch's codes, revoke, print, CSV (`/vouchers…`). Owner: H3c (shop).
//! A stub until its owner fills it in: every path answers `NotFound`.

use hyper::Method;

use super::{Ctx, Outcome};

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let _ = (ctx, method, path);
    Outcome::NotFound
}

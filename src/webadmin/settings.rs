//! The web admin's page(s) for settings: venue name, colours, logo, support phone, terms, default language (`/settings…`). Owner: H3c (shop).
//! A stub until its owner fills it in: every path answers `NotFound`.

use hyper::Method;

use super::{Ctx, Outcome};

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let _ = (ctx, method, path);
    Outcome::NotFound
}

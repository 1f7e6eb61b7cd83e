//! The web admin's packages (`/packages…`): the list (price, time, data, speeds, devices, on
//! sale or hidden) with the add form (`POST /packages`), a package's edit form (`GET` and
//! `POST /packages/{id}`), and hiding or showing it (`POST /packages/{id}/hide|show`, the
//! `packages.active` column the splash page lists by). An edit changes what is sold from
//! now on; accounts already sold copied their limits and keep them.

use std::fmt::Write as _;

use hyper::Method;

use super::layout::{csrf_field, escape, header_row};
use super::{Ctx, Form, Outcome, Page};
use crate::admin::{AdminError, Reply, Request};
use crate::i18n::AdminShopWords;
use crate::store::catalog::{NewPackage, Package};

/// The most devices one package may allow at once.
pub const MAX_DEVICES: u32 = 50;

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let rest = path.strip_prefix("/packages").unwrap_or("");
    let mut parts = rest.trim_start_matches('/').splitn(2, '/');
    let id = parts.next().filter(|s| !s.is_empty());
    let action = parts.next();
    let page: Page<'_> = match (method, id.map(str::parse::<i64>), action) {
        (&Method::GET, None, None) if rest.is_empty() => Box::pin(list(ctx)),
        (&Method::POST, None, None) if rest.is_empty() => Box::pin(add(ctx)),
        (&Method::GET, Some(Ok(id)), None) => Box::pin(edit_page(ctx, id)),
        (&Method::POST, Some(Ok(id)), None) => Box::pin(edit(ctx, id)),
        (&Method::POST, Some(Ok(id)), Some(a @ ("hide" | "show"))) => Box::pin(set_active(ctx, id, a == "show")),
        _ => return Outcome::NotFound,
    };
    page.await
}

/// Reads the package form (`name price minutes data_mb down_kbps up_kbps max_devices`);
/// `Err` holds the words saying what to fix. Data is in decimal MB (as operators sell it).
pub fn package_form(w: &AdminShopWords, f: &Form) -> Result<NewPackage, &'static str> {
    let text = |name: &str| f.get(name).unwrap_or("").trim();
    let name = text("name");
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(w.err_name);
    }
    let price = text("price").parse::<i64>().ok().filter(|p| (0..=1_000_000_000).contains(p)).ok_or(w.err_price)?;
    let minutes = text("minutes").parse::<i64>().ok().filter(|m| (1..=60 * 24 * 3660).contains(m)).ok_or(w.err_minutes)?;
    // Empty: unlimited; otherwise a whole number above 0.
    let optional = |name: &str, max: i64, err: &'static str| match text(name) {
        "" => Ok(None),
        v => v.parse::<i64>().ok().filter(|v| (1..=max).contains(v)).map(Some).ok_or(err),
    };
    let data_mb = optional("data_mb", 100_000_000, w.err_data)?;
    let down_kbps = optional("down_kbps", 10_000_000, w.err_speed)?;
    let up_kbps = optional("up_kbps", 10_000_000, w.err_speed)?;
    let max_devices = text("max_devices").parse::<u32>().ok().filter(|d| (1..=MAX_DEVICES).contains(d)).ok_or(w.err_devices)?;
    Ok(NewPackage {
        name: name.to_owned(),
        price,
        duration_secs: minutes * 60,
        data_limit_bytes: data_mb.map(|mb| mb * 1_000_000),
        down_kbps,
        up_kbps,
        max_devices,
    })
}

fn failed(ctx: &Ctx<'_>, e: AdminError) -> Outcome {
    match e {
        AdminError::Store(crate::store::StoreError::UnknownPackage(_)) => Outcome::NotFound,
        AdminError::Invalid(message) => Outcome::Invalid(message),
        e => {
            log::error!("web admin: packages: {}", crate::error_chain(&e));
            Outcome::Invalid(ctx.words.shop.err_failed.into())
        }
    }
}

async fn add(ctx: &Ctx<'_>) -> Outcome {
    match package_form(&ctx.words.shop, ctx.form) {
        Ok(new) => match ctx.web.admin.execute(Request::PackageAdd(new)).await {
            Ok(Reply::PackageAdded { id }) => Outcome::Redirect(format!("/packages#package-{id}")),
            Ok(_) => Outcome::Redirect("/packages".into()),
            Err(e) => failed(ctx, e),
        },
        Err(words) => Outcome::Invalid(words.into()),
    }
}

async fn edit(ctx: &Ctx<'_>, id: i64) -> Outcome {
    match package_form(&ctx.words.shop, ctx.form) {
        Ok(edit) => match ctx.web.admin.package_update(id, edit).await {
            Ok(()) => Outcome::Redirect(format!("/packages#package-{id}")),
            Err(e) => failed(ctx, e),
        },
        Err(words) => Outcome::Invalid(words.into()),
    }
}

async fn set_active(ctx: &Ctx<'_>, id: i64, active: bool) -> Outcome {
    match ctx.web.admin.package_set_active(id, active).await {
        Ok(()) => Outcome::Redirect(format!("/packages#package-{id}")),
        Err(e) => failed(ctx, e),
    }
}

async fn list(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let packages = match ctx.web.admin.packages_all().await {
        Ok(p) => p,
        Err(e) => return failed(ctx, e),
    };
    let mut body = format!("<main id=\"page-packages\"><h1>{}</h1>", escape(w.packages_title));
    let _ = write!(
        body,
        "<div class=\"table\"><table id=\"packages\">{}",
        header_row(&[w.name_label, w.col_price, w.col_time, w.col_data, w.col_speed, w.col_devices, w.col_sale, ""])
    );
    for p in &packages {
        row(&mut body, ctx, p);
    }
    let _ = write!(body, "</table></div><p class=\"muted\">{}</p><div class=\"card\"><h2>{}</h2>", escape(w.hide_note), escape(w.add_heading));
    form(&mut body, ctx, "/packages", "package-add", None, w.add_button);
    body.push_str("</div></main>");
    Outcome::Page { title: w.packages_title.into(), body }
}

fn row(body: &mut String, ctx: &Ctx<'_>, p: &Package) {
    let w = &ctx.words.shop;
    let data = p.data_limit_bytes.map_or_else(|| w.unlimited.to_owned(), |b| (w.data)(b));
    let (sale, button, action) = if p.active { (w.on_sale, w.hide, "hide") } else { (w.hidden, w.show, "show") };
    let _ = write!(
        body,
        "<tr id=\"package-{id}\" data-active=\"{}\"><td><a href=\"/packages/{id}\">{}</a></td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
         <td><a class=\"button quiet\" href=\"/packages/{id}\">{}</a> <form class=\"inline {action}\" method=\"post\" action=\"/packages/{id}/{action}\">{}<button class=\"quiet\" type=\"submit\">{}</button></form></td></tr>",
        p.active,
        escape(&p.name),
        escape(&p.currency),
        p.price,
        escape(&(w.duration)(p.duration_secs)),
        escape(&data),
        escape(&(w.speed)(p.down_kbps, p.up_kbps)),
        p.max_devices,
        escape(sale),
        escape(w.edit),
        csrf_field(ctx),
        escape(button),
        id = p.id,
    );
}

/// The add or edit form, filled from `p` when editing.
fn form(body: &mut String, ctx: &Ctx<'_>, action: &str, id: &str, p: Option<&Package>, button: &str) {
    let w = &ctx.words.shop;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let fields: [(&str, &str, String, &str); 7] = [
        ("name", w.name_label, p.map(|p| p.name.clone()).unwrap_or_default(), "text\" maxlength=\"64\" required"),
        ("price", w.price_label, p.map(|p| p.price.to_string()).unwrap_or_default(), "number\" min=\"0\" required"),
        ("minutes", w.minutes_label, p.map(|p| (p.duration_secs / 60).to_string()).unwrap_or_default(), "number\" min=\"1\" required"),
        ("data_mb", w.data_label, opt(p.and_then(|p| p.data_limit_bytes).map(|b| b / 1_000_000)), "number\" min=\"1"),
        ("down_kbps", w.down_label, opt(p.and_then(|p| p.down_kbps)), "number\" min=\"1"),
        ("up_kbps", w.up_label, opt(p.and_then(|p| p.up_kbps)), "number\" min=\"1"),
        ("max_devices", w.devices_label, p.map_or("1".into(), |p| p.max_devices.to_string()), "number\" min=\"1\" max=\"50\" required"),
    ];
    let _ = write!(body, "<form id=\"{id}\" method=\"post\" action=\"{action}\">{}", csrf_field(ctx));
    for (name, label, value, kind) in fields {
        let _ = write!(
            body,
            "<label for=\"{id}-{name}\">{}</label><input id=\"{id}-{name}\" name=\"{name}\" value=\"{}\" type=\"{kind}\">",
            escape(label),
            escape(&value)
        );
    }
    let _ = write!(body, "<p><button type=\"submit\">{}</button></p></form>", escape(button));
}

async fn edit_page(ctx: &Ctx<'_>, id: i64) -> Outcome {
    let w = &ctx.words.shop;
    let p = match ctx.web.admin.package(id).await {
        Ok(Some(p)) => p,
        Ok(None) => return Outcome::NotFound,
        Err(e) => return failed(ctx, e),
    };
    let mut body = format!("<main id=\"page-package\"><h1>{}: {}</h1><div class=\"card\">", escape(w.edit_heading), escape(&p.name));
    form(&mut body, ctx, &format!("/packages/{id}"), "package-edit", Some(&p), w.save_button);
    let (button, action) = if p.active { (w.hide, "hide") } else { (w.show, "show") };
    let _ = write!(
        body,
        "<p class=\"muted\">{}</p></div><form class=\"{action}\" method=\"post\" action=\"/packages/{id}/{action}\">{}<button class=\"quiet\" type=\"submit\">{}</button></form><p class=\"muted\">{}</p></main>",
        escape(w.edit_note),
        csrf_field(ctx),
        escape(button),
        escape(w.hide_note)
    );
    Outcome::Page { title: format!("{}: {}", w.edit_heading, p.name), body }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn form(body: &str) -> Form {
        Form::parse(body.as_bytes())
    }

    const GOOD: &str = "name=Big+Hour&price=50&minutes=90&data_mb=1500&down_kbps=2048&up_kbps=&max_devices=2";

    #[test]
    fn a_good_form_becomes_a_package_in_seconds_and_bytes() {
        let w = &Lang::En.words().shop;
        let p = package_form(w, &form(GOOD)).unwrap();
        assert_eq!(p, NewPackage { name: "Big Hour".into(), price: 50, duration_secs: 5400, data_limit_bytes: Some(1_500_000_000), down_kbps: Some(2048), up_kbps: None, max_devices: 2 });
    }

    #[test]
    fn each_bad_field_gets_words_saying_what_to_fix() {
        let w = &Lang::Sw.words().shop;
        let cases = [
            ("name=", w.err_name),
            ("name=%07bell", w.err_name),
            ("price=-1", w.err_price),
            ("price=12.5", w.err_price),
            ("minutes=0", w.err_minutes),
            ("minutes=", w.err_minutes),
            ("data_mb=0", w.err_data),
            ("data_mb=lots", w.err_data),
            ("down_kbps=-5", w.err_speed),
            ("up_kbps=99999999999", w.err_speed),
            ("max_devices=0", w.err_devices),
            ("max_devices=51", w.err_devices),
        ];
        for (bad, want) in cases {
            // The bad field comes first, so it wins over the good one.
            assert_eq!(package_form(w, &form(&format!("{bad}&{GOOD}"))), Err(want), "{bad}");
        }
    }
}

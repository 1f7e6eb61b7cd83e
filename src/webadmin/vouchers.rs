//! The web admin's vouchers (`/vouchers…`): stock per package and batch with the create
//! form (`POST /vouchers` → the new batch's page), a batch's codes (`GET
//! /vouchers/batch?name=`) with links to print and export, revoking one code or a whole
//! batch's unused ones (`POST /vouchers/revoke`), the printout (`GET /vouchers/print`, a bare
//! document from `print.rs`) and the CSV (`GET /vouchers.csv?batch=`). Operations go through
//! `admin::Admin`; the batch name `""` stands for vouchers made without one.

use std::fmt::Write as _;

use hyper::Method;

use super::layout::{csrf_field, escape, header_row, local_time};
use super::print::{self, Layout, Sheet, Standing};
use super::{query_param, url_encode, Ctx, Outcome, Page};
use crate::admin::{AdminError, Reply, Request};
use crate::store::catalog::{BatchVoucher, VoucherStock};

/// The most vouchers one web form creates (a print run of 500 is already 42 A4 sheets).
pub const MAX_CREATE: u32 = 500;
/// The most codes a batch's page lists (the CSV and the printouts have them all).
pub const MAX_SHOWN: usize = 200;
/// The longest batch name.
pub const MAX_BATCH_CHARS: usize = 40;

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let page: Page<'_> = match (method, path) {
        (&Method::GET, "/vouchers") => Box::pin(stock_page(ctx)),
        (&Method::POST, "/vouchers") => Box::pin(create(ctx)),
        (&Method::GET, "/vouchers/batch") => Box::pin(batch_page(ctx)),
        (&Method::POST, "/vouchers/revoke") => Box::pin(revoke(ctx)),
        (&Method::GET, "/vouchers/print") => Box::pin(print_page(ctx)),
        (&Method::GET, "/vouchers.csv") => Box::pin(csv(ctx)),
        _ => return Outcome::NotFound,
    };
    page.await
}

/// What the create form asks for, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBatch {
    pub package_id: i64,
    pub count: u32,
    /// `None`: no name.
    pub batch: Option<String>,
}

/// Reads the create form; `Err` holds the words saying what to fix.
pub fn new_batch(w: &crate::i18n::AdminShopWords, package_id: Option<&str>, count: Option<&str>, batch: Option<&str>) -> Result<NewBatch, &'static str> {
    let package_id = package_id.and_then(|v| v.trim().parse::<i64>().ok()).filter(|&id| id > 0).ok_or(w.err_package)?;
    let count = count.and_then(|v| v.trim().parse::<u32>().ok()).filter(|c| (1..=MAX_CREATE).contains(c)).ok_or(w.err_count)?;
    let batch = batch.unwrap_or("").trim();
    if batch.chars().count() > MAX_BATCH_CHARS
        || !batch.chars().all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | ':'))
    {
        return Err(w.err_batch);
    }
    Ok(NewBatch { package_id, count, batch: (!batch.is_empty()).then(|| batch.to_owned()) })
}

/// The batch name a query names (`name=` or `batch=`); empty: vouchers without a name.
fn batch_of(name: Option<String>) -> Option<String> {
    name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
}

fn failed(ctx: &Ctx<'_>, e: AdminError) -> Outcome {
    match e {
        AdminError::Invalid(message) => Outcome::Invalid(message),
        AdminError::Store(crate::store::StoreError::UnknownPackage(_)) => Outcome::Invalid(ctx.words.shop.err_package.into()),
        e => {
            log::error!("web admin: vouchers: {}", crate::error_chain(&e));
            Outcome::Invalid(ctx.words.shop.err_failed.into())
        }
    }
}

async fn create(ctx: &Ctx<'_>) -> Outcome {
    let f = ctx.form;
    let new = match new_batch(&ctx.words.shop, f.get("package_id"), f.get("count"), f.get("batch")) {
        Ok(new) => new,
        Err(words) => return Outcome::Invalid(words.into()),
    };
    // Only a package on sale: a hidden package's vouchers would not work.
    match ctx.web.admin.package(new.package_id).await {
        Ok(Some(p)) if p.active => {}
        Ok(_) => return Outcome::Invalid(ctx.words.shop.err_package.into()),
        Err(e) => return failed(ctx, e),
    }
    let name = new.batch.clone().unwrap_or_default();
    let request = Request::VoucherCreate { package_id: new.package_id, count: new.count, batch: new.batch };
    match ctx.web.admin.execute(request).await {
        Ok(_) => Outcome::Redirect(format!("/vouchers/batch?name={}", url_encode(&name))),
        Err(e) => failed(ctx, e),
    }
}

async fn stock_page(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let admin = &ctx.web.admin;
    let (stock, packages) = match (admin.voucher_stock().await, admin.execute(Request::PackageList).await) {
        // Only packages on sale: a hidden package's vouchers do not work.
        (Ok(stock), Ok(Reply::Packages(packages))) => (stock, packages.into_iter().filter(|p| p.active).collect::<Vec<_>>()),
        (Err(e), _) | (_, Err(e)) => return failed(ctx, e),
        _ => return Outcome::Invalid(w.err_failed.into()),
    };
    let mut body = format!("<main id=\"page-vouchers\"><h1>{}</h1><div class=\"card\"><h2>{}</h2>", escape(w.vouchers_title), escape(w.create_heading));
    if packages.is_empty() {
        let _ = write!(body, "<p>{} <a href=\"/packages\">{}</a></p>", escape(w.no_packages), escape(w.packages_title));
    } else {
        // Today and the minute (the venue's time): a new name for each print run.
        let today = local_time(ctx.web.admin.catalog_now(), ctx.web.utc_offset_secs);
        let _ = write!(
            body,
            "<form id=\"voucher-create\" method=\"post\" action=\"/vouchers\">{}<label for=\"package_id\">{}</label><select id=\"package_id\" name=\"package_id\">",
            csrf_field(ctx),
            escape(w.package_label)
        );
        for p in &packages {
            let _ = write!(body, "<option value=\"{}\">{} · {} {}</option>", p.id, escape(&p.name), escape(&p.currency), p.price);
        }
        let _ = write!(
            body,
            "</select><label for=\"count\">{}</label><input id=\"count\" name=\"count\" type=\"number\" min=\"1\" max=\"{MAX_CREATE}\" value=\"12\" required>\
             <label for=\"batch\">{}</label><input id=\"batch\" name=\"batch\" maxlength=\"{MAX_BATCH_CHARS}\" value=\"{}\"><p><button type=\"submit\">{}</button></p></form>",
            escape(w.count_label),
            escape(w.batch_label),
            escape(&today),
            escape(w.create_button)
        );
    }
    let _ = write!(body, "</div><h2>{}</h2>", escape(w.stock_heading));
    stock_table(&mut body, w, &stock);
    body.push_str("</main>");
    Outcome::Page { title: w.vouchers_title.into(), body }
}

fn stock_table(body: &mut String, w: &crate::i18n::AdminShopWords, stock: &[VoucherStock]) {
    if stock.is_empty() {
        let _ = write!(body, "<p class=\"muted\">{}</p>", escape(w.no_vouchers));
        return;
    }
    let _ = write!(
        body,
        "<div class=\"table\"><table id=\"stock\">{}",
        header_row(&[w.col_batch, w.col_package, w.col_unused, w.col_used, w.col_expired, w.col_revoked])
    );
    for s in stock {
        let name = s.batch.as_deref().unwrap_or("");
        let label = if name.is_empty() { w.no_batch } else { name };
        let _ = write!(
            body,
            "<tr><td><a href=\"/vouchers/batch?name={}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            url_encode(name), escape(label), escape(&s.package_name), s.unused, s.used, s.expired, s.revoked
        );
    }
    body.push_str("</table></div>");
}

fn status_words(w: &crate::i18n::AdminShopWords, v: &BatchVoucher) -> &'static str {
    match Standing::of(v) {
        Standing::Unused => w.st_unused,
        Standing::Used => w.st_used,
        Standing::Expired => w.st_expired,
        Standing::Revoked => w.st_revoked,
    }
}

async fn batch_page(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let name = batch_of(query_param(ctx.query, "name"));
    let vouchers = match ctx.web.admin.batch_vouchers(name.clone()).await {
        Ok(v) if v.is_empty() => return Outcome::NotFound,
        Ok(v) => v,
        Err(e) => return failed(ctx, e),
    };
    let shown = name.as_deref().unwrap_or(w.no_batch);
    let q = url_encode(name.as_deref().unwrap_or(""));
    let mut body = format!(
        "<main id=\"page-batch\"><h1>{}: {}</h1><p class=\"links\"><a class=\"button\" id=\"print-a4-12\" href=\"/vouchers/print?batch={q}&amp;layout=a4&amp;per_page=12\">{}</a> \
         <a class=\"button\" id=\"print-a4-24\" href=\"/vouchers/print?batch={q}&amp;layout=a4&amp;per_page=24\">{}</a> \
         <a class=\"button\" id=\"print-roll\" href=\"/vouchers/print?batch={q}&amp;layout=roll\">{}</a> \
         <a class=\"button quiet\" id=\"csv\" href=\"/vouchers.csv?batch={q}\">{}</a></p>",
        escape(w.batch_title), escape(shown), escape(w.print_a4_12), escape(w.print_a4_24), escape(w.print_roll), escape(w.download_csv)
    );
    // One form: a box per unused code (a form per row would pass 50 KB for a big batch).
    let _ = write!(
        body,
        "<form id=\"revoke\" method=\"post\" action=\"/vouchers/revoke\">{}<div class=\"table\"><table id=\"codes\">{}",
        csrf_field(ctx),
        header_row(&[w.col_code, w.col_package, w.col_status, w.col_redeemed])
    );
    let mut any_unused = false;
    for v in vouchers.iter().take(MAX_SHOWN) {
        let code = escape(&v.code);
        let tick = if v.status == crate::store::catalog::VoucherStatus::Unused {
            any_unused = true;
            format!("<input type=\"checkbox\" name=\"code\" value=\"{code}\"> ")
        } else {
            String::new()
        };
        let redeemed = v.redeemed_at.map(|t| local_time(t, ctx.web.utc_offset_secs)).unwrap_or_default();
        let _ = write!(
            body,
            "<tr data-code=\"{code}\"><td><label>{tick}<code>{code}</code></label></td><td>{}</td><td class=\"status\">{}</td><td>{}</td></tr>",
            escape(&v.package_name), escape(status_words(w, v)), escape(&redeemed)
        );
    }
    body.push_str("</table></div>");
    if vouchers.len() > MAX_SHOWN {
        let _ = write!(body, "<p class=\"muted\">{}</p>", escape(&(w.first_shown)(MAX_SHOWN, vouchers.len())));
    }
    if any_unused {
        let _ = write!(body, "<p><button class=\"quiet\" type=\"submit\">{}</button></p>", escape(w.revoke));
    }
    body.push_str("</form>");
    if any_unused {
        let _ = write!(
            body,
            "<form id=\"revoke-batch\" method=\"post\" action=\"/vouchers/revoke\">{}<input type=\"hidden\" name=\"batch\" value=\"{}\"><p><button class=\"quiet\" type=\"submit\">{}</button></p></form>",
            csrf_field(ctx), escape(name.as_deref().unwrap_or("")), escape(w.revoke_batch)
        );
    }
    let _ = write!(body, "<p class=\"muted\">{}</p></main>", escape(w.revoked_note));
    Outcome::Page { title: format!("{}: {shown}", w.batch_title), body }
}

/// `POST /vouchers/revoke`: the ticked `code`s (each must be unused), or every unused one of
/// a `batch`. Back to the batch's page.
async fn revoke(ctx: &Ctx<'_>) -> Outcome {
    let w = &ctx.words.shop;
    let codes: Vec<&str> = ctx.form.all("code").filter(|c| !c.trim().is_empty()).take(MAX_SHOWN).collect();
    if let Some(first) = codes.first() {
        let batch = match ctx.web.admin.voucher_batch_of((*first).to_owned()).await {
            Ok(Some(batch)) => batch,
            Ok(None) => return Outcome::Invalid(w.err_revoke.into()),
            Err(e) => return failed(ctx, e),
        };
        for code in codes {
            match ctx.web.admin.execute(Request::VoucherRevoke { code: code.to_owned() }).await {
                Ok(_) => {}
                Err(AdminError::Invalid(_)) => return Outcome::Invalid(w.err_revoke.into()),
                Err(e) => return failed(ctx, e),
            }
        }
        return Outcome::Redirect(format!("/vouchers/batch?name={}", url_encode(batch.as_deref().unwrap_or(""))));
    }
    let Some(name) = ctx.form.get("batch") else { return Outcome::Invalid(w.err_no_batch.into()) };
    let batch = batch_of(Some(name.to_owned()));
    match ctx.web.admin.voucher_revoke_batch(batch.clone()).await {
        Ok(_) => Outcome::Redirect(format!("/vouchers/batch?name={}", url_encode(batch.as_deref().unwrap_or("")))),
        Err(e) => failed(ctx, e),
    }
}

async fn print_page(ctx: &Ctx<'_>) -> Outcome {
    let batch = batch_of(query_param(ctx.query, "batch"));
    let layout = Layout::from_query(query_param(ctx.query, "layout").as_deref(), query_param(ctx.query, "per_page").as_deref());
    let all = query_param(ctx.query, "status").as_deref() == Some("all");
    let vouchers = match ctx.web.admin.batch_vouchers(batch.clone()).await {
        Ok(v) => v.into_iter().filter(|v| all || Standing::of(v) == Standing::Unused).collect::<Vec<_>>(),
        Err(e) => return failed(ctx, e),
    };
    let branding = ctx.web.branding.get();
    let base = ctx.web.admin.portal_base();
    let sheet = Sheet { branding: &branding, words: ctx.words, lang: ctx.lang, portal_base: &base, layout, batch: batch.as_deref().unwrap_or("") };
    Outcome::Bare(print::document(&sheet, &vouchers))
}

async fn csv(ctx: &Ctx<'_>) -> Outcome {
    let batch = batch_of(query_param(ctx.query, "batch"));
    match ctx.web.admin.batch_vouchers(batch.clone()).await {
        Ok(vouchers) => {
            let stem: String = batch.as_deref().unwrap_or("vouchers").chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
            Outcome::Download { content_type: "text/csv; charset=utf-8", filename: format!("vouchers-{stem}.csv"), body: print::csv(&vouchers) }
        }
        Err(e) => failed(ctx, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn the_create_form_is_checked_with_words_that_say_what_to_fix() {
        let w = &Lang::En.words().shop;
        assert_eq!(new_batch(w, Some("3"), Some("12"), Some(" 2026-12-07 ")), Ok(NewBatch { package_id: 3, count: 12, batch: Some("2026-12-07".into()) }));
        assert_eq!(new_batch(w, Some("3"), Some("500"), Some("")).unwrap().batch, None);
        assert_eq!(new_batch(w, None, Some("12"), None), Err(w.err_package));
        assert_eq!(new_batch(w, Some("x"), Some("12"), None), Err(w.err_package));
        for count in ["0", "501", "-1", "", "ten", "1e3"] {
            assert_eq!(new_batch(w, Some("3"), Some(count), None), Err(w.err_count), "{count}");
        }
        assert_eq!(new_batch(w, Some("3"), Some("1"), Some("<script>")), Err(w.err_batch));
        assert_eq!(new_batch(w, Some("3"), Some("1"), Some(&"b".repeat(41))), Err(w.err_batch));
        assert!(new_batch(w, Some("3"), Some("1"), Some("Duka la Juma: Desemba")).is_ok());
    }
}

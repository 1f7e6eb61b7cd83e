//! The frame around every admin page: the document head, the one shared stylesheet
//! (`STYLE`), the header with the venue's name, the navigation, the log-out button and the
//! language switch. Also the small pieces pages share: `escape`, `csrf_field`, `header_row`,
//! `local_time`.
//! Pure: strings in, strings out; no I/O.

use super::{url_encode, Ctx};
use crate::i18n::Lang;

pub use crate::portal::http::escape;

/// The one stylesheet (inline: no external asset; the uplink may be down). Mobile-first:
/// one column, big touch targets; tables scroll sideways on a phone.
pub const STYLE: &str = "\
*{box-sizing:border-box}svg.chart{display:block;max-width:32rem;margin:0 auto}\
body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2530;background:#f4f6f8}\
header{background:#1d2530;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem}\
header .venue{font-weight:700;margin-right:auto}\
header a{color:#fff}\
nav{display:flex;flex-wrap:wrap;gap:.25rem;padding:.4rem .6rem;background:#fff;border-bottom:1px solid #dde2e7}\
nav a{padding:.45rem .7rem;border-radius:.4rem;color:#1d2530;text-decoration:none}\
nav a:hover,nav a.here{background:#e6f2ea;color:#0a7d3b}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
h1{font-size:1.4rem;margin:.2rem 0 1rem}h2{font-size:1.1rem;margin:1.4rem 0 .5rem}\
.card{background:#fff;border:1px solid #dde2e7;border-radius:.6rem;padding:1rem;margin-bottom:1rem}\
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));gap:.8rem}\
.big{font-size:1.5rem;font-weight:700}\
.table{overflow-x:auto}\
table{border-collapse:collapse;width:100%;background:#fff}\
th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid #e6e9ed;vertical-align:top}\
th{font-size:.85rem;color:#5a6470}\
form.inline{display:inline}\
label{display:block;margin:.6rem 0 .2rem;font-weight:600}\
input,select,textarea{font:inherit;padding:.5rem;border:1px solid #b8c0c8;border-radius:.4rem;width:100%;max-width:24rem;background:#fff}\
button,.button{font:inherit;padding:.5rem 1rem;border:0;border-radius:.4rem;background:#0a7d3b;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}\
button.quiet{background:#e6e9ed;color:#1d2530}\
header button{background:transparent;border:1px solid #fff;padding:.25rem .7rem}\
.error{color:#b3261e;font-weight:600}\
.ok{color:#0a7d3b}.warn{color:#b35c00}\
.muted{color:#5a6470;font-size:.9rem}\
.lang a{margin-left:.4rem}\
";

/// The sections in the navigation: (path, page name for `<a class="here">`, label).
fn nav_items(ctx: &Ctx<'_>) -> [(&'static str, &'static str); 8] {
    let w = &ctx.words.admin;
    [
        ("/", w.nav_dashboard),
        ("/devices", w.nav_devices),
        ("/customers", w.nav_customers),
        ("/payments", w.nav_payments),
        ("/vouchers", w.nav_vouchers),
        ("/packages", w.nav_packages),
        ("/settings", w.nav_settings),
        ("/system", w.nav_system),
    ]
}

/// A whole page: head, header (venue, language switch, log out), navigation, then `body`
/// (the page's `<main id="page-NAME">…</main>`).
pub fn page(ctx: &Ctx<'_>, title: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in nav_items(ctx) {
        let here = if section_of(ctx.path) == section_of(href) { " class=\"here\"" } else { "" };
        nav.push_str(&format!("<a href=\"{href}\"{here}>{}</a>", escape(label)));
    }
    let logout = format!(
        "<form class=\"inline\" method=\"post\" action=\"/logout\">{}<button type=\"submit\" id=\"logout\">{}</button></form>",
        csrf_field(ctx),
        escape(ctx.words.admin.log_out)
    );
    document(ctx.lang, &ctx.web.venue(), ctx.path, title, &format!("<nav>{nav}</nav>{body}"), &logout)
}

/// A page outside the logged-in frame (login, refusals): header and switch, no navigation.
pub fn bare_page(lang: Lang, venue: &str, path: &str, title: &str, body: &str) -> String {
    document(lang, venue, path, title, body, "")
}

fn document(lang: Lang, venue: &str, path: &str, title: &str, body: &str, header_extra: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} · {venue}</title><style>{STYLE}</style></head><body>\
         <header><span class=\"venue\">{venue}</span>{switch}{header_extra}</header>{body}</body></html>",
        code = lang.code(),
        title = escape(title),
        venue = escape(venue),
        switch = language_switch(path),
    )
}

/// `/customers/0712…` → `customers`; `/` → ``.
fn section_of(path: &str) -> &str {
    let section = path.trim_start_matches('/').split(['/', '.', '?']).next().unwrap_or("");
    if section == "customer" { "customers" } else { section }
}

/// Links to `/lang?set=xx&back=<this page>`, each language in its own name.
pub fn language_switch(path: &str) -> String {
    let back = url_encode(path);
    let mut out = String::from("<span class=\"lang\">");
    for lang in Lang::ALL {
        let code = lang.code();
        out.push_str(&format!("<a class=\"lang-{code}\" href=\"/lang?set={code}&amp;back={back}\" hreflang=\"{code}\">{}</a>", lang.name()));
    }
    out.push_str("</span>");
    out
}

/// The hidden field every admin form carries: `<input type="hidden" name="csrf" value="…">`.
pub fn csrf_field(ctx: &Ctx<'_>) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(ctx.csrf))
}

/// A table's header row: `<tr><th>label</th>…</tr>`, each label escaped (`""`: an empty cell).
pub fn header_row(labels: &[&str]) -> String {
    let mut out = String::from("<tr>");
    for label in labels {
        out.push_str("<th>");
        out.push_str(&escape(label));
        out.push_str("</th>");
    }
    out.push_str("</tr>");
    out
}

/// A Unix time as the venue reads it (`option utc_offset`): `2026-12-07 04:40`.
pub fn local_time(unix_secs: i64, utc_offset_secs: i32) -> String {
    let local = unix_secs + i64::from(utc_offset_secs);
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = crate::calendar::civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}", secs / 3600, secs % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_switch_links_back_to_this_page_in_each_language() {
        let switch = language_switch("/customers?q=07 1");
        assert!(switch.contains("<a class=\"lang-en\" href=\"/lang?set=en&amp;back=/customers%3Fq%3D07%201\""), "{switch}");
        assert!(switch.contains("class=\"lang-sw\""));
        assert!(switch.contains(">Kiswahili<"));
    }

    #[test]
    fn times_are_the_venues() {
        assert_eq!(local_time(0, 3 * 3600), "1970-01-01 03:00");
        assert_eq!(local_time(1_796_601_600, 3 * 3600), "2026-12-07 03:00");
        assert_eq!(local_time(1_796_601_600 - 1, -3600), "2026-12-06 22:59");
    }

    #[test]
    fn sections_match_their_pages() {
        assert_eq!(section_of("/customers/0712"), "customers");
        assert_eq!(section_of("/"), "");
        assert_eq!(section_of("/vouchers.csv"), "vouchers");
        assert_eq!(section_of("/system?x"), "system");
    }
}

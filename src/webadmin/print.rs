//! What a batch of vouchers becomes outside the admin's frame: a printable HTML document
//! (an A4 sheet of 12 or 24 with cut lines, or an 80 mm thermal roll), each voucher with the
//! venue's name, the package, its price and validity, the code and a QR code of the portal's
//! `/v/CODE` (`voucher_url`); and the CSV export. Pure: takes the vouchers, branding and words.

use std::fmt::Write as _;

use super::qr;
use crate::branding::Branding;
use crate::i18n::{Lang, Words};
use crate::portal::http::escape;
use crate::store::catalog::{BatchVoucher, VoucherStatus};

/// How the vouchers are laid out on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A4 sheets: 12 (2 × 6) or 24 (3 × 8) per page.
    A4 { per_page: usize },
    /// An 80 mm thermal roll: one after another.
    Roll,
}

impl Layout {
    /// From `layout=a4|roll&per_page=12|24` (A4 with 12 unless asked otherwise).
    pub fn from_query(layout: Option<&str>, per_page: Option<&str>) -> Layout {
        match (layout, per_page) {
            (Some("roll"), _) => Layout::Roll,
            (_, Some("24")) => Layout::A4 { per_page: 24 },
            _ => Layout::A4 { per_page: 12 },
        }
    }

    fn columns(self) -> usize {
        match self {
            Layout::A4 { per_page: 24 } => 3,
            Layout::A4 { .. } => 2,
            Layout::Roll => 1,
        }
    }

    /// The QR code's printed width, quiet zone included (≥ 25 mm: phones read it at arm's
    /// length).
    fn qr_mm(self) -> u32 {
        match self {
            Layout::A4 { per_page: 24 } => 26,
            Layout::A4 { .. } => 30,
            Layout::Roll => 40,
        }
    }
}

/// The address a customer's phone opens: `portal_url` if configured, else the portal's
/// listen address, an unspecified IP (0.0.0.0) replaced by the host the operator reached
/// the admin at (the router's LAN address, which hotspot clients reach too).
pub fn portal_base(config: &crate::config::Config, admin_host: Option<&str>) -> String {
    if let Some(url) = config.portal_url.as_deref().filter(|u| !u.trim().is_empty()) {
        return url.trim().trim_end_matches('/').to_owned();
    }
    let listen = config.listen;
    let host = match (listen.ip().is_unspecified(), admin_host.and_then(host_only)) {
        (true, Some(host)) => host.to_owned(),
        _ => match listen.ip() {
            std::net::IpAddr::V6(ip) => format!("[{ip}]"),
            ip => ip.to_string(),
        },
    };
    format!("http://{host}:{}", listen.port())
}

/// The host of a `Host` header without its port, if it is a plain name or address.
fn host_only(header: &str) -> Option<&str> {
    let header = header.trim();
    let host = if header.starts_with('[') { header.split_inclusive(']').next()? } else { header.split(':').next()? };
    let plain = !host.is_empty() && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    plain.then_some(host)
}

/// What a voucher's QR code holds: the portal's short voucher link, which opens the splash
/// page with the code filled in as `/login?voucher=CODE` does. Short on purpose: a router's
/// `http://192.168.1.1:2050/v/K7MX3QPAB` (36 bytes) fits a version-3 symbol (29 modules),
/// where the `/login?voucher=` form needs version 4 (33): bigger modules at the same printed
/// width for cheap phone cameras, and a sheet of 24 ~10 KB smaller.
pub fn voucher_url(portal_base: &str, code: &str) -> String {
    format!("{portal_base}/v/{code}")
}

/// What is shared by every voucher of a printout.
pub struct Sheet<'a> {
    pub branding: &'a Branding,
    pub words: &'static Words,
    pub lang: Lang,
    pub portal_base: &'a str,
    pub layout: Layout,
    /// The batch's name, for the document's title.
    pub batch: &'a str,
}

const CSS: &str = "*{box-sizing:border-box}body{margin:0;font-family:sans-serif;color:#000;background:#fff}\
.voucher{border:1px dashed #777;padding:2mm 3mm;display:flex;gap:3mm;align-items:center;overflow:hidden;break-inside:avoid}\
.voucher .t{flex:1;min-width:0}.n{font-weight:bold;font-size:11pt;border-bottom:2px solid var(--p);margin-bottom:1mm}\
.k{font-size:10pt}.code{display:block;font:bold 14pt monospace;letter-spacing:1px;margin:1mm 0}.h{font-size:7pt}\
svg.qr{flex:none;background:#fff;shape-rendering:crispEdges}.sheet{display:grid;break-after:page}.sheet:last-child{break-after:auto}\
@media screen{body{background:#eee}.sheet,.roll{background:#fff;margin:5mm auto}}";

/// The whole printable document for `vouchers`.
pub fn document(sheet: &Sheet, vouchers: &[BatchVoucher]) -> String {
    let w = &sheet.words.shop;
    let mut out = String::with_capacity(1024 + vouchers.len() * 2600);
    let page_css = match sheet.layout {
        Layout::A4 { per_page } => {
            let (cols, rows) = (sheet.layout.columns(), per_page / sheet.layout.columns());
            format!(
                "@page{{size:A4;margin:8mm}}.sheet{{width:194mm;height:280mm;grid-template-columns:repeat({cols},1fr);grid-template-rows:repeat({rows},1fr)}}"
            )
        }
        Layout::Roll => "@page{size:80mm auto;margin:3mm}.roll{width:74mm}.voucher{flex-direction:column;text-align:center;border-width:0 0 1px;padding:4mm 0}".to_owned(),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} {}</title><style>{CSS}{page_css}:root{{--p:{}}}</style></head><body><main id=\"page-print\">",
        sheet.lang.code(),
        escape(w.print_title),
        escape(sheet.batch),
        sheet.branding.primary_colour,
    );
    if vouchers.is_empty() {
        let _ = write!(out, "<p>{}</p>", escape(w.print_nothing));
    }
    let per_page = match sheet.layout {
        Layout::A4 { per_page } => per_page,
        Layout::Roll => usize::MAX,
    };
    for page in vouchers.chunks(per_page.min(vouchers.len().max(1))) {
        out.push_str(if sheet.layout == Layout::Roll { "<div class=\"roll\">" } else { "<div class=\"sheet\">" });
        for v in page {
            voucher(&mut out, sheet, v);
        }
        out.push_str("</div>");
    }
    out.push_str("</main></body></html>");
    out
}

fn voucher(out: &mut String, sheet: &Sheet, v: &BatchVoucher) {
    let w = &sheet.words.shop;
    let qr = qr::svg(&voucher_url(sheet.portal_base, &v.code), sheet.layout.qr_mm()).unwrap_or_default();
    let data = v.data_limit_bytes.map_or_else(|| w.unlimited_data.to_owned(), |b| (w.data)(b));
    let _ = write!(
        out,
        // Short class names (n: venue name, k: package, h: hint): a sheet of 24 stays under 50 KB.
        "<div class=\"voucher\">{qr}<div class=\"t\"><div class=\"n\">{}</div><div class=\"k\">{} · {}\u{a0}{}<br>{} · {}</div><span class=\"code\">{}</span><div class=\"h\">{}</div></div></div>",
        escape(&sheet.branding.venue_name),
        escape(&v.package_name),
        escape(&v.currency),
        v.price,
        escape(&(w.duration)(v.duration_secs)),
        escape(&data),
        escape(&v.code),
        escape(w.print_hint),
    );
}

/// Where a voucher stands as the operator sees it: `Expired` is unused but past its
/// `valid_until` (the store keeps it `unused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Unused,
    Used,
    Expired,
    Revoked,
}

impl Standing {
    pub fn of(v: &BatchVoucher) -> Standing {
        match v.status {
            VoucherStatus::Unused if v.expired => Standing::Expired,
            VoucherStatus::Unused => Standing::Unused,
            VoucherStatus::Redeemed => Standing::Used,
            VoucherStatus::Revoked => Standing::Revoked,
        }
    }

    /// The CSV's word.
    pub fn key(self) -> &'static str {
        match self {
            Standing::Unused => "unused",
            Standing::Used => "used",
            Standing::Expired => "expired",
            Standing::Revoked => "revoked",
        }
    }
}

/// The CSV export: `code,package,price,currency,status,created,redeemed` (UTC, RFC 3339),
/// every field quoted as RFC 4180 asks, and a leading `=+-@` defused so a spreadsheet
/// never runs a package name as a formula.
pub fn csv(vouchers: &[BatchVoucher]) -> Vec<u8> {
    let mut out = String::from("code,package,price,currency,status,created,redeemed\r\n");
    for v in vouchers {
        let fields = [
            v.code.clone(),
            v.package_name.clone(),
            v.price.to_string(),
            v.currency.clone(),
            Standing::of(v).key().to_owned(),
            utc(v.created_at),
            v.redeemed_at.map(utc).unwrap_or_default(),
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, f);
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

fn csv_field(out: &mut String, field: &str) {
    let defuse = field.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = defuse || field.contains([',', '"', '\n', '\r']);
    if quote {
        out.push('"');
    }
    if defuse {
        out.push('\'');
    }
    out.push_str(&field.replace('"', "\"\""));
    if quote {
        out.push('"');
    }
}

/// `2026-12-07T01:02:03Z`.
pub fn utc(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let (y, m, d) = crate::calendar::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voucher(code: &str, name: &str) -> BatchVoucher {
        BatchVoucher {
            code: code.into(),
            package_name: name.into(),
            price: 50,
            currency: "KES".into(),
            duration_secs: 3 * 3600,
            data_limit_bytes: Some(1_000_000_000),
            status: VoucherStatus::Unused,
            valid_until: None,
            created_at: 1_796_601_600,
            redeemed_at: None,
            expired: false,
        }
    }

    fn print(layout: Layout, n: usize) -> String {
        let branding = Branding { venue_name: "Mama <Njeri>".into(), ..Branding::default() };
        let vouchers: Vec<_> = (0..n).map(|i| voucher(&format!("K7MX3Q{i:03}"), "3 hours")).collect();
        let sheet = Sheet { branding: &branding, words: Lang::En.words(), lang: Lang::En, portal_base: "http://10.0.0.1:2050", layout, batch: "b" };
        document(&sheet, &vouchers)
    }

    #[test]
    fn twelve_on_a4_fit_one_sheet_each_with_a_code_and_one_qr_path_under_50_kb() {
        let page = print(Layout::A4 { per_page: 12 }, 12);
        assert_eq!(page.matches("<div class=\"voucher\">").count(), 12);
        assert_eq!(page.matches("<svg class=\"qr\"").count(), 12);
        assert_eq!(page.matches("<path").count(), 12);
        assert_eq!(page.matches("<div class=\"sheet\">").count(), 1);
        assert!(page.contains("<span class=\"code\">K7MX3Q011</span>"));
        assert!(page.contains("Mama &lt;Njeri&gt;") && !page.contains("<Njeri>"));
        assert!(page.contains("size:A4") && page.contains("repeat(2,1fr)") && page.contains("repeat(6,1fr)"));
        assert!(CSS.contains("svg.qr{flex:none;background:#fff;shape-rendering:crispEdges}"));
        assert!(page.len() <= 50 * 1024, "{} bytes", page.len());
    }

    #[test]
    fn twenty_four_per_page_and_the_roll_lay_out_as_asked() {
        let page = print(Layout::A4 { per_page: 24 }, 30);
        assert_eq!(page.matches("<div class=\"sheet\">").count(), 2);
        assert!(page.contains("repeat(3,1fr)") && page.contains("repeat(8,1fr)"));
        let roll = print(Layout::Roll, 3);
        assert!(roll.contains("size:80mm auto") && roll.matches("<div class=\"voucher\">").count() == 3);
        assert_eq!(Layout::from_query(Some("roll"), Some("24")), Layout::Roll);
        assert_eq!(Layout::from_query(Some("a4"), Some("24")), Layout::A4 { per_page: 24 });
        assert_eq!(Layout::from_query(None, Some("99")), Layout::A4 { per_page: 12 });
    }

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let mut a = voucher("AAAA", "Day, \"VIP\"");
        a.redeemed_at = Some(1_796_605_200);
        a.status = VoucherStatus::Redeemed;
        let b = voucher("BBBB", "=HYPERLINK(\"x\")");
        let text = String::from_utf8(csv(&[a, b])).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], "code,package,price,currency,status,created,redeemed");
        assert_eq!(lines[1], "AAAA,\"Day, \"\"VIP\"\"\",50,KES,used,2026-12-07T00:00:00Z,2026-12-07T01:00:00Z");
        assert_eq!(lines[2], "BBBB,\"'=HYPERLINK(\"\"x\"\")\",50,KES,unused,2026-12-07T00:00:00Z,");
        assert_eq!(lines[3], "");
    }

    #[test]
    fn the_portal_base_prefers_portal_url_then_the_admin_host_for_an_unspecified_listen() {
        let mut config = crate::config::Config::defaults();
        config.listen = "0.0.0.0:2050".parse().unwrap();
        assert_eq!(portal_base(&config, Some("192.168.1.1:2051")), "http://192.168.1.1:2050");
        assert_eq!(portal_base(&config, Some("evil/x@y")), "http://0.0.0.0:2050");
        config.listen = "10.1.0.1:2050".parse().unwrap();
        assert_eq!(portal_base(&config, Some("192.168.1.1:2051")), "http://10.1.0.1:2050");
        config.portal_url = Some("https://wifi.example/".into());
        assert_eq!(portal_base(&config, None), "https://wifi.example");
        assert_eq!(voucher_url("http://10.1.0.1:2050", "ABC"), "http://10.1.0.1:2050/v/ABC");
        assert_eq!(host_only("[fd00::1]:2051"), Some("[fd00::1]"));
    }

    #[test]
    fn utc_dates_are_civil() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_601_599), "2026-12-06T23:59:59Z");
    }
}

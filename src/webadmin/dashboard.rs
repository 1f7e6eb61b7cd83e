//! The dashboard (`GET /`): revenue today, over 7 and 30 days by method (M-Pesa, vouchers
//! sold), devices online now, data used today, vouchers left per package, and three charts
//! (revenue per day, devices online per hour, data per day) as inline SVG. A banner says so
//! when the database holds the demo's sample data. The figures come from
//! `Admin::dashboard`; `render` is pure. Also the number formats the money pages share.

use hyper::Method;

use super::charts::{self, Chart, Series};
use super::layout::{escape, header_row};
use super::{Ctx, Outcome};
use crate::admin::Dashboard;
use crate::i18n::AdminMoneyWords;
use crate::store::reports::DaySales;

/// The charts' colours: M-Pesa green, vouchers amber, devices and data blue.
const GREEN: &str = "#0a7d3b";
const AMBER: &str = "#e08a00";
const BLUE: &str = "#1f6fb2";

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    if *method != Method::GET || path != "/" {
        return Outcome::NotFound;
    }
    match ctx.web.admin.dashboard().await {
        Ok(d) => Outcome::Page { title: ctx.words.money.dashboard_title.into(), body: render(&ctx.words.money, &d) },
        Err(e) => Outcome::Invalid(crate::error_chain(&e)),
    }
}

/// `1250` → `1,250`.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + 4);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `KES 1,250`.
pub fn kes(n: i64) -> String {
    format!("KES {}", thousands(n))
}

/// `0 B`, `12 kB`, `350 MB`, `1.2 GB` (decimal units, as packages sell them).
pub fn bytes(n: i64) -> String {
    let n = n.max(0);
    if n >= 1_000_000_000 {
        format!("{}.{} GB", n / 1_000_000_000, n % 1_000_000_000 / 100_000_000)
    } else if n >= 1_000_000 {
        format!("{} MB", n / 1_000_000)
    } else if n >= 1_000 {
        format!("{} kB", n / 1_000)
    } else {
        format!("{n} B")
    }
}

fn plain(n: i64) -> String {
    thousands(n)
}

/// One figure: a label, the big value (with an id for tests), and a line under it.
fn card(label: &str, id: &str, value: &str, under: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"muted\">{}</div><div class=\"big\" id=\"{id}\">{}</div><div class=\"muted\">{under}</div></div>",
        escape(label),
        escape(value)
    )
}

fn split(w: &AdminMoneyWords, s: DaySales) -> String {
    format!("M-Pesa {} · {} {}", escape(&kes(s.mpesa)), escape(w.vouchers_sold), escape(&kes(s.vouchers)))
}

/// The page's `<main id="page-dashboard">`.
pub fn render(w: &AdminMoneyWords, d: &Dashboard) -> String {
    let mut out = String::with_capacity(24 * 1024);
    out.push_str("<main id=\"page-dashboard\">");
    if d.demo {
        out.push_str(&format!("<p class=\"card warn\" id=\"demo-banner\">{}</p>", escape(w.demo_banner)));
    }
    out.push_str(&format!("<h1>{}</h1><div class=\"cards\">", escape(w.dashboard_title)));
    let total = |s: DaySales| kes(s.mpesa + s.vouchers);
    out.push_str(&card(w.revenue_today, "revenue-today", &total(d.today), &split(w, d.today)));
    out.push_str(&card(w.last_7_days, "revenue-7-days", &total(d.week), &split(w, d.week)));
    out.push_str(&card(w.last_30_days, "revenue-30-days", &total(d.month), &split(w, d.month)));
    out.push_str(&card(w.devices_online, "devices-online", &thousands(d.devices_online), ""));
    out.push_str(&card(w.data_today, "data-today", &bytes(d.data_today_bytes), ""));
    out.push_str("</div>");
    // Charts.
    let days: Vec<String> = d.days.iter().map(|day| day.date.short()).collect();
    let mpesa: Vec<i64> = d.days.iter().map(|day| day.sales.mpesa).collect();
    let vouchers: Vec<i64> = d.days.iter().map(|day| day.sales.vouchers).collect();
    let data: Vec<i64> = d.days.iter().map(|day| day.bytes).collect();
    let hours: Vec<String> =
        d.hours.iter().map(|(start, _)| format!("{}h", (start + d.utc_offset_secs as i64).rem_euclid(86_400) / 3600)).collect();
    let devices: Vec<i64> = d.hours.iter().map(|(_, n)| *n as i64).collect();
    let revenue = [Series { name: "M-Pesa", colour: GREEN, values: &mpesa }, Series { name: w.vouchers_sold, colour: AMBER, values: &vouchers }];
    let online = [Series { name: w.devices_online, colour: BLUE, values: &devices }];
    let used = [Series { name: w.data_used, colour: BLUE, values: &data }];
    for chart in [
        Chart { id: "chart-revenue", title: w.chart_revenue, labels: &days, series: &revenue, unit: plain, empty_note: w.no_sales },
        Chart { id: "chart-devices", title: w.chart_devices, labels: &hours, series: &online, unit: plain, empty_note: w.no_devices },
        Chart { id: "chart-data", title: w.chart_data, labels: &days, series: &used, unit: bytes, empty_note: w.no_data },
    ] {
        out.push_str("<div class=\"card\">");
        out.push_str(&charts::bars(&chart));
        out.push_str("</div>");
    }
    // Voucher stock.
    out.push_str(&format!(
        "<h2>{}</h2><div class=\"card table\"><table id=\"vouchers-left\">{}",
        escape(w.vouchers_left),
        header_row(&[w.package, w.price, w.unused])
    ));
    for s in &d.stock {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&s.package),
            escape(&kes(s.price)),
            thousands(s.unused)
        ));
    }
    out.push_str("</table></div></main>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::periods::Date;
    use crate::admin::DayReport;
    use crate::i18n::Lang;
    use crate::store::reports::Stock;

    fn dashboard(days: usize, demo: bool) -> Dashboard {
        let start = Date { year: 2026, month: 11, day: 8 }.start(3 * 3600);
        let days: Vec<DayReport> = (0..days)
            .map(|i| DayReport {
                date: Date::at(start + i as i64 * 86_400, 3 * 3600),
                sales: DaySales { mpesa: 100 + i as i64 * 7, vouchers: 50 },
                bytes: 1_500_000_000 + i as i64,
            })
            .collect();
        Dashboard {
            now: start + 30 * 86_400 - 3600,
            demo,
            today: DaySales { mpesa: 100, vouchers: 50 },
            week: DaySales { mpesa: 1000, vouchers: 250 },
            month: DaySales { mpesa: 4000, vouchers: 1500 },
            devices_online: 3,
            data_today_bytes: 2_345_000_000,
            stock: vec![Stock { package: "1 hour <fast>".into(), price: 10, unused: 12 }],
            hours: (0..48).map(|h| (start + h * 3600, (h % 7) as u32)).collect(),
            days,
            utc_offset_secs: 3 * 3600,
        }
    }

    #[test]
    fn numbers_read_as_people_write_them() {
        assert_eq!([0, 999, 1000, 1_234_567, -1500].map(thousands), ["0", "999", "1,000", "1,234,567", "-1,500"]);
        assert_eq!(kes(150), "KES 150");
        assert_eq!([0, 999, 12_345, 350_000_000, 1_234_000_000].map(bytes), ["0 B", "999 B", "12 kB", "350 MB", "1.2 GB"]);
    }

    #[test]
    fn the_dashboard_shows_the_figures_charts_and_stock() {
        let page = render(&Lang::En.words().money, &dashboard(30, false));
        assert!(page.starts_with("<main id=\"page-dashboard\">") && page.ends_with("</main>"));
        assert!(page.contains("id=\"revenue-today\">KES 150</div>"), "{page}");
        assert!(page.contains("id=\"revenue-30-days\">KES 5,500</div>"));
        assert!(page.contains("id=\"data-today\">2.3 GB</div>"));
        for id in ["chart-revenue", "chart-devices", "chart-data"] {
            assert!(page.contains(&format!("<svg class=\"chart\" id=\"{id}\"")), "{id}");
        }
        assert!(page.contains("1 hour &lt;fast&gt;") && !page.contains("<fast>"));
        assert!(!page.contains("demo-banner"));
        assert!(page.len() < 50_000, "{}", page.len());
        let sw = render(&Lang::Sw.words().money, &dashboard(30, true));
        assert!(sw.contains("Mapato ya leo") && sw.contains("id=\"demo-banner\""));
    }
}

//! The payments list (`GET /payments?from=YYYY-MM-DD&to=YYYY-MM-DD&status=&phone=&receipt=`):
//! a filter form (GET, so a filtered list can be bookmarked), the totals of what it selects
//! (amount paid, how many of each status), the rows newest first (at most 200), failed ones
//! with their reason in words. `Admin::payments_report` reads; `render` is pure.

use hyper::Method;

use super::dashboard::{kes, thousands};
use super::layout::{escape, local_time};
use super::{query_param, Ctx, Outcome};
use crate::admin::periods::Date;
use crate::admin::{AdminError, PaymentQuery, PaymentsReport};
use crate::i18n::AdminMoneyWords;
use crate::store::payments::PaymentStatus;

/// The statuses the filter offers, in this order.
const STATUSES: [PaymentStatus; 4] = [PaymentStatus::Confirmed, PaymentStatus::Pending, PaymentStatus::Failed, PaymentStatus::Cancelled];

/// What the form holds, as typed (shown back in it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed {
    pub from: String,
    pub to: String,
    pub status: String,
    pub phone: String,
    pub receipt: String,
}

impl Typed {
    fn from_query(query: &str) -> Typed {
        let get = |name| query_param(query, name).map(|v| v.trim().chars().take(40).collect()).unwrap_or_default();
        Typed { from: get("from"), to: get("to"), status: get("status"), phone: get("phone"), receipt: get("receipt") }
    }

    /// The query; `None`: a date is not a date.
    pub fn query(&self) -> Option<PaymentQuery> {
        let date = |text: &str| if text.is_empty() { Some(None) } else { Date::parse(text).map(Some) };
        let nonempty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Some(PaymentQuery {
            from: date(&self.from)?,
            to: date(&self.to)?,
            status: PaymentStatus::parse(&self.status),
            phone: nonempty(&self.phone),
            receipt: nonempty(&self.receipt),
        })
    }
}

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    if *method != Method::GET || path != "/payments" {
        return Outcome::NotFound;
    }
    let w = &ctx.words.money;
    let typed = Typed::from_query(ctx.query);
    let Some(query) = typed.query() else { return Outcome::Invalid(w.bad_date.into()) };
    match ctx.web.admin.payments_report(query).await {
        Ok(report) => Outcome::Page { title: w.payments_title.into(), body: render(w, &typed, &report, ctx.web.utc_offset_secs) },
        Err(AdminError::Invalid(_)) => Outcome::Invalid(w.bad_date.into()),
        Err(e) => Outcome::Invalid(crate::error_chain(&e)),
    }
}

fn method_name(w: &AdminMoneyWords, provider: &str) -> String {
    match provider {
        "mpesa" | "central" => "M-Pesa".into(),
        "demo" => w.demo_method.into(),
        "cash" => w.cash_method.into(),
        other => other.into(),
    }
}

/// The page's `<main id="page-payments">`.
pub fn render(w: &AdminMoneyWords, typed: &Typed, report: &PaymentsReport, utc_offset_secs: i32) -> String {
    let mut out = String::with_capacity(8 * 1024 + report.rows.len() * 200);
    let input = |id: &str, label: &str, value: &str, kind: &str| {
        format!(
            "<div><label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" type=\"{kind}\" value=\"{}\"></div>",
            escape(label),
            escape(value)
        )
    };
    out.push_str(&format!("<main id=\"page-payments\"><h1>{}</h1><form class=\"card cards\" id=\"filter\" method=\"get\" action=\"/payments\">", escape(w.payments_title)));
    out.push_str(&input("from", w.from, &typed.from, "date"));
    out.push_str(&input("to", w.to, &typed.to, "date"));
    out.push_str(&format!("<div><label for=\"status\">{}</label><select id=\"status\" name=\"status\"><option value=\"\">{}</option>", escape(w.status), escape(w.any)));
    for s in STATUSES {
        let selected = if typed.status == s.as_str() { " selected" } else { "" };
        out.push_str(&format!("<option value=\"{}\"{selected}>{}</option>", s.as_str(), escape((w.payment_status)(s))));
    }
    out.push_str("</select></div>");
    out.push_str(&input("phone", w.phone, &typed.phone, "tel"));
    out.push_str(&input("receipt", w.receipt, &typed.receipt, "text"));
    out.push_str(&format!(
        "<div><label>&nbsp;</label><button type=\"submit\">{}</button></div></form><p><a id=\"failed-link\" href=\"/payments?status=failed\">{}</a></p>",
        escape(w.show),
        escape(w.failed_payments)
    ));
    // Totals.
    out.push_str(&format!(
        "<div class=\"cards\"><div class=\"card\"><div class=\"muted\">{}</div><div class=\"big\" id=\"paid-total\">{}</div></div>",
        escape(w.confirmed_total),
        escape(&kes(report.totals.confirmed_amount))
    ));
    for (status, count) in &report.totals.counts {
        out.push_str(&format!(
            "<div class=\"card\"><div class=\"muted\">{}</div><div class=\"big\" id=\"count-{}\">{}</div></div>",
            escape((w.payment_status)(*status)),
            status.as_str(),
            thousands(*count)
        ));
    }
    out.push_str("</div>");
    if report.rows.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p></main>", escape(w.no_payment)));
        return out;
    }
    out.push_str("<div class=\"card table\"><table id=\"payments\"><tr>");
    for label in [w.date, w.amount, w.method, w.phone, w.status, w.receipt, w.reason] {
        out.push_str(&format!("<th>{}</th>", escape(label)));
    }
    out.push_str("</tr>");
    for p in &report.rows {
        let reason = match (p.status, p.failure) {
            (_, Some(f)) => (w.failure)(f),
            (PaymentStatus::Failed | PaymentStatus::Cancelled, None) => w.no_reason,
            _ => "",
        };
        // The payer's number, linked to the account it paid for (named when not the number).
        let payer = match &p.account {
            Some(name) if *name == p.phone => format!("<a href=\"{}\">{}</a>", escape(&super::customers::customer_path(name)), escape(name)),
            Some(name) => format!(
                "{} (<a href=\"{}\">{}</a>)",
                escape(&p.phone),
                escape(&super::customers::customer_path(name)),
                escape(name)
            ),
            None => escape(&p.phone),
        };
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{payer}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&local_time(p.created_at, utc_offset_secs)),
            escape(&kes(p.amount)),
            escape(&method_name(w, &p.provider)),
            escape((w.payment_status)(p.status)),
            escape(p.receipt.as_deref().unwrap_or("")),
            escape(reason)
        ));
    }
    out.push_str("</table></div>");
    if report.truncated {
        out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.more_rows)));
    }
    out.push_str("</main>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use crate::store::payments::{PaymentFailure, PaymentListing};
    use crate::store::reports::PaymentTotals;

    fn listing(id: i64, status: PaymentStatus, failure: Option<PaymentFailure>) -> PaymentListing {
        PaymentListing {
            id,
            provider: "mpesa".into(),
            phone: "254700000001".into(),
            amount: 50,
            status,
            receipt: (status == PaymentStatus::Confirmed).then(|| "QAB<1>".into()),
            account: Some("254700000001".into()),
            failure,
            created_at: 1_796_601_600,
        }
    }

    #[test]
    fn two_hundred_rows_fit_the_page_budget_with_the_frame() {
        let mut rows = Vec::new();
        for i in 0..200 {
            let mut p = listing(i, if i % 3 == 0 { PaymentStatus::Failed } else { PaymentStatus::Confirmed }, None);
            if p.status == PaymentStatus::Failed {
                p.failure = Some(PaymentFailure::Refused);
            } else {
                p.receipt = Some("SLK4H7ABCD".into());
            }
            p.account = Some(format!("254712{i:06}"));
            p.phone = format!("254712{i:06}");
            rows.push(p);
        }
        let totals = PaymentTotals { confirmed_amount: 99_999, counts: STATUSES.iter().map(|s| (*s, 1000)).collect() };
        let report = PaymentsReport { rows, totals, truncated: true };
        let page = render(&Lang::Sw.words().money, &Typed::default(), &report, 0);
        let frame = crate::webadmin::layout::STYLE.len() + 1500;
        assert!(page.len() + frame <= 50_000, "{} + {frame} bytes", page.len());
    }

    #[test]
    fn the_form_reads_dates_and_refuses_nonsense() {
        let typed = Typed::from_query("from=2026-12-01&to=2026-12-07&status=failed&phone=0712&receipt=");
        let q = typed.query().unwrap();
        assert_eq!(q.from, Date::parse("2026-12-01"));
        assert_eq!(q.status, Some(PaymentStatus::Failed));
        assert_eq!((q.phone.as_deref(), q.receipt), (Some("0712"), None));
        assert_eq!(Typed::from_query("").query(), Some(PaymentQuery::default()));
        assert_eq!(Typed::from_query("from=yesterday").query(), None);
        assert_eq!(Typed::from_query("status=bogus").query().unwrap().status, None);
    }

    #[test]
    fn failed_payments_say_why_and_totals_are_shown() {
        let report = PaymentsReport {
            rows: vec![
                listing(3, PaymentStatus::Failed, Some(PaymentFailure::InsufficientFunds)),
                listing(2, PaymentStatus::Cancelled, None),
                listing(1, PaymentStatus::Confirmed, None),
            ],
            totals: PaymentTotals { confirmed_amount: 1250, counts: vec![(PaymentStatus::Confirmed, 1), (PaymentStatus::Failed, 1)] },
            truncated: true,
        };
        let typed = Typed { phone: "\"><script>".into(), status: "failed".into(), ..Default::default() };
        let page = render(&Lang::En.words().money, &typed, &report, 3 * 3600);
        assert!(page.starts_with("<main id=\"page-payments\">"));
        assert!(page.contains("Not enough money in M-Pesa") && page.contains("No reason given"), "{page}");
        assert!(page.contains("id=\"paid-total\">KES 1,250<") && page.contains("id=\"count-failed\">1<"));
        assert!(page.contains("<option value=\"failed\" selected>"));
        assert!(!page.contains("<script>") && !page.contains("QAB<1>") && page.contains("QAB&lt;1&gt;"));
        assert!(page.contains("2026-12-07 03:00") && page.contains("Only the newest 200"));
        let sw = render(&Lang::Sw.words().money, &typed, &report, 0);
        assert!(sw.contains("Pesa haitoshi kwenye M-Pesa") && sw.contains("Yameshindwa"));
    }
}

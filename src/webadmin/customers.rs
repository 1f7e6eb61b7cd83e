//! Devices online and customers. `GET /devices`: every device online (MAC, IP, account,
//! package, time and data left, speed), each row with a kick form (`POST /devices/kick`,
//! field `mac`). `GET /customers?q=`: accounts by phone or username. `GET
//! /customers/{username}`: the account, what it has left, its payments and sessions, and
//! its forms: `POST …/extend` (`minutes`, `mb`), `…/disable`, `…/enable`, `…/resend`.
//! A successful POST redirects back with `?done=<what>`, which the page says in words.
//! Operations are `Admin`'s (`Request::Clients`, `Kick`, `UserDisable`, `UserEnable`, and
//! the customer methods); the HTML is built by the pure `render_*` functions.

use hyper::Method;

use super::dashboard::{bytes, kes};
use super::layout::{csrf_field, escape, header_row, local_time};
use super::{query_param, url_decode, url_encode, Ctx, Outcome};
use crate::admin::{AdminError, ClientRow, Customer, Reply, Request};
use crate::i18n::AdminMoneyWords;
use crate::netaddr::MacAddr;
use crate::store::reports::AccountListing;

/// What the pages need from the request: the words, the form token's field, the venue's
/// offset (times shown), the query (`?done=`).
pub struct View<'a> {
    pub w: &'static AdminMoneyWords,
    /// `<input type="hidden" name="csrf" …>`.
    pub csrf_field: String,
    pub utc_offset_secs: i32,
    pub query: &'a str,
}

impl<'a> View<'a> {
    fn of(ctx: &'a Ctx<'_>) -> View<'a> {
        View { w: &ctx.words.money, csrf_field: csrf_field(ctx), utc_offset_secs: ctx.web.utc_offset_secs, query: ctx.query }
    }
}

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let w = &ctx.words.money;
    match (method, path) {
        (&Method::GET, "/devices") => match ctx.web.admin.execute(Request::Clients).await {
            Ok(Reply::Clients(rows)) => Outcome::Page { title: w.devices_title.into(), body: render_devices(&View::of(ctx), &rows) },
            Ok(_) => Outcome::Invalid("unexpected reply".into()),
            Err(e) => Outcome::Invalid(crate::error_chain(&e)),
        },
        (&Method::POST, "/devices/kick") => {
            let Some(mac) = ctx.form.get("mac").and_then(|m| m.trim().parse::<MacAddr>().ok()) else {
                return Outcome::Invalid(w.not_online.into());
            };
            match ctx.web.admin.execute(Request::Kick { mac }).await {
                Ok(_) => Outcome::Redirect("/devices?done=kicked".into()),
                Err(AdminError::NotOnline(_)) => Outcome::Invalid(w.not_online.into()),
                Err(e) => Outcome::Invalid(crate::error_chain(&e)),
            }
        }
        (&Method::GET, "/customers") => {
            let q = query_param(ctx.query, "q").unwrap_or_default();
            match ctx.web.admin.search_customers(&q).await {
                Ok(rows) => Outcome::Page { title: w.customers_title.into(), body: render_search(&View::of(ctx), &q, &rows) },
                Err(e) => Outcome::Invalid(crate::error_chain(&e)),
            }
        }
        _ => match path.strip_prefix("/customers/").map(split_action) {
            Some((username, None)) if *method == Method::GET => customer_page(ctx, &username).await,
            Some((username, Some(action))) if *method == Method::POST => act(ctx, &username, action).await,
            _ => Outcome::NotFound,
        },
    }
}

/// `amina/extend` → (`amina`, Some(`extend`)); `07%2F1` → (`07/1`, None).
fn split_action(rest: &str) -> (String, Option<&str>) {
    match rest.rsplit_once('/') {
        Some((name, action)) => (url_decode(name.as_bytes()), Some(action)),
        None => (url_decode(rest.as_bytes()), None),
    }
}

/// A customer's page address (a `/` in a username is encoded too).
pub fn customer_path(username: &str) -> String {
    format!("/customers/{}", url_encode(username).replace('/', "%2F"))
}

async fn customer_page(ctx: &Ctx<'_>, username: &str) -> Outcome {
    match ctx.web.admin.customer(username).await {
        Ok(Some(c)) => {
            let done = query_param(ctx.query, "done").unwrap_or_default();
            Outcome::Page { title: c.username.clone(), body: render_customer(&View::of(ctx), &c, &done) }
        }
        Ok(None) => Outcome::NotFound,
        Err(e) => Outcome::Invalid(crate::error_chain(&e)),
    }
}

/// A whole number from a form field; empty is 0.
fn number(field: Option<&str>) -> Option<i64> {
    match field.map(str::trim).unwrap_or("") {
        "" => Some(0),
        text => text.parse().ok(),
    }
}

async fn act(ctx: &Ctx<'_>, username: &str, action: &str) -> Outcome {
    let w = &ctx.words.money;
    let admin = &ctx.web.admin;
    let result = match action {
        "extend" => match (number(ctx.form.get("minutes")), number(ctx.form.get("mb"))) {
            (Some(minutes), Some(mb)) => admin.extend_customer(username, minutes, mb).await.map(|_| "extended"),
            _ => Err(AdminError::Invalid(String::new())),
        },
        "disable" => admin.execute(Request::UserDisable { username: username.to_owned() }).await.map(|_| "disabled"),
        "enable" => admin.execute(Request::UserEnable { username: username.to_owned() }).await.map(|_| "enabled"),
        "resend" => admin.resend_customer(username).await.map(|_| "resent"),
        _ => return Outcome::NotFound,
    };
    match result {
        Ok(done) => Outcome::Redirect(format!("{}?done={done}", customer_path(username))),
        Err(AdminError::NoSuchUser(_)) => Outcome::NotFound,
        Err(AdminError::Invalid(_)) if action == "extend" => Outcome::Invalid(w.extend_invalid.into()),
        Err(AdminError::Invalid(_)) if action == "resend" => Outcome::Invalid(w.no_phone.into()),
        Err(e) => Outcome::Invalid(crate::error_chain(&e)),
    }
}


fn speed(w: &AdminMoneyWords, down: Option<i64>, up: Option<i64>) -> String {
    let one = |k: Option<i64>| match k {
        Some(k) if k >= 1000 => format!("{}.{} Mbit/s", k / 1000, k % 1000 / 100),
        Some(k) => format!("{k} kbit/s"),
        None => w.unlimited.to_owned(),
    };
    format!("↓ {} ↑ {}", one(down), one(up))
}

/// The devices page's `<main id="page-devices">`.
/// Devices listed per page (each row ~0.6 KB with its kick form).
pub const DEVICES_PER_PAGE: usize = 60;

pub fn render_devices(v: &View, rows: &[ClientRow]) -> String {
    let w = v.w;
    let mut out = format!("<main id=\"page-devices\"><h1>{}</h1>", escape(w.devices_title));
    if query_param(v.query, "done").as_deref() == Some("kicked") {
        out.push_str(&format!("<p class=\"ok\">{}</p>", escape(w.kicked)));
    }
    if rows.is_empty() {
        out.push_str(&format!("<p class=\"muted\" id=\"no-devices\">{}</p></main>", escape(w.no_device_online)));
        return out;
    }
    // A page of devices at a time: each row carries its own kick form, and a page stays
    // under 50 KB.
    let pages = rows.len().div_ceil(DEVICES_PER_PAGE);
    let page = query_param(v.query, "page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let first = (page - 1) * DEVICES_PER_PAGE;
    let shown = &rows[first..(first + DEVICES_PER_PAGE).min(rows.len())];
    if pages > 1 {
        out.push_str(&format!("<p class=\"muted\" id=\"shown\">{}", escape(&(w.shown)(first + 1, first + shown.len(), rows.len()))));
        if page > 1 {
            out.push_str(&format!(" <a href=\"/devices?page={}\">{}</a>", page - 1, escape(w.previous)));
        }
        if page < pages {
            out.push_str(&format!(" <a id=\"next\" href=\"/devices?page={}\">{}</a>", page + 1, escape(w.next)));
        }
        out.push_str("</p>");
    }
    out.push_str("<div class=\"card table\"><table id=\"devices\">");
    // The device and its kick button first: on a phone the table scrolls sideways.
    out.push_str(&header_row(&["MAC / IP", "", w.account, w.package, w.time_left, w.data_left, w.speed]));
    let csrf = &v.csrf_field;
    for r in shown {
        let mac = escape(&r.mac);
        out.push_str(&format!(
            "<tr data-mac=\"{mac}\"><td>{mac}<br><span class=\"muted\">{}</span></td>\
             <td><form class=\"kick\" method=\"post\" action=\"/devices/kick\">{csrf}<input type=\"hidden\" name=\"mac\" value=\"{mac}\">\
             <button>{}</button></form></td><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.ip),
            escape(w.kick),
            escape(&customer_path(&r.username)),
            escape(&r.username),
            escape(&r.package),
            escape(&(w.duration)(r.seconds_left)),
            escape(&r.data_left_bytes.map_or_else(|| w.unlimited.to_owned(), bytes)),
            escape(&speed(w, r.down_kbps, r.up_kbps)),
        ));
    }
    out.push_str("</table></div></main>");
    out
}

/// The search page's `<main id="page-customers">`.
pub fn render_search(v: &View, q: &str, rows: &[AccountListing]) -> String {
    let w = v.w;
    let mut out = format!(
        "<main id=\"page-customers\"><h1>{}</h1><form class=\"card\" id=\"search\" method=\"get\" action=\"/customers\">\
         <label for=\"q\">{}</label><input id=\"q\" name=\"q\" value=\"{}\" maxlength=\"32\" inputmode=\"search\"> \
         <button type=\"submit\">{}</button><p class=\"muted\">{}</p></form>",
        escape(w.customers_title),
        escape(w.search_label),
        escape(q),
        escape(w.search),
        escape(w.search_hint)
    );
    if rows.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p></main>", escape(w.no_customer)));
        return out;
    }
    out.push_str("<div class=\"card table\"><table id=\"customers\">");
    out.push_str(&header_row(&[w.account, w.phone, w.package, w.status, w.created]));
    for r in rows {
        let status = crate::access::AccountStatus::parse(&r.status).map_or(r.status.as_str(), |s| (w.account_status)(s));
        out.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&customer_path(&r.username)),
            escape(&r.username),
            escape(r.phone.as_deref().unwrap_or("")),
            escape(&r.package),
            escape(status),
            escape(&local_time(r.created_at, v.utc_offset_secs))
        ));
    }
    out.push_str("</table></div></main>");
    out
}

/// A customer's `<main id="page-customer">`; `done`: what the last POST did.
pub fn render_customer(v: &View, c: &Customer, done: &str) -> String {
    let w = v.w;
    let time = |t: i64| escape(&local_time(t, v.utc_offset_secs));
    let base = escape(&customer_path(&c.username));
    let csrf = &v.csrf_field;
    let mut out = format!("<main id=\"page-customer\"><h1>{}</h1>", escape(&c.username));
    let said = match done {
        "extended" => w.extended,
        "disabled" => w.disabled,
        "enabled" => w.enabled,
        "resent" => w.resent,
        _ => "",
    };
    if !said.is_empty() {
        out.push_str(&format!("<p class=\"ok\" id=\"done\">{}</p>", escape(said)));
    }
    let mut time_left = (w.duration)(c.secs_left);
    if !c.clock_started {
        time_left = format!("{time_left} ({})", w.clock_not_started);
    }
    let rows = [
        (w.phone, c.phone.clone().unwrap_or_default(), "phone"),
        (w.package, c.package.clone(), "package"),
        (w.status, (w.account_status)(c.status).to_owned(), "status"),
        (w.time_left, time_left, "time-left"),
        (w.data_left, c.data_left_bytes.map_or_else(|| w.unlimited.to_owned(), bytes), "data-left"),
        (w.data_used, bytes(c.data_used_bytes), "data-used"),
    ];
    out.push_str("<div class=\"card table\"><table>");
    for (label, value, id) in rows {
        out.push_str(&format!("<tr><th>{}</th><td id=\"{id}\">{}</td></tr>", escape(label), escape(&value)));
    }
    out.push_str("</table></div>");
    // Forms: extend; disable or enable; resend.
    out.push_str(&format!(
        "<form class=\"card\" id=\"extend\" method=\"post\" action=\"{base}/extend\">{csrf}<h2>{}</h2>\
         <label for=\"minutes\">{}</label><input id=\"minutes\" name=\"minutes\" type=\"number\" min=\"0\" inputmode=\"numeric\">\
         <label for=\"mb\">{}</label><input id=\"mb\" name=\"mb\" type=\"number\" min=\"0\" inputmode=\"numeric\">\
         <p><button type=\"submit\">{}</button></p></form><div class=\"card\">",
        escape(w.add_time_or_data),
        escape(w.minutes),
        escape(w.megabytes),
        escape(w.extend)
    ));
    let (toggle, label) = if c.status == crate::access::AccountStatus::Suspended { ("enable", w.enable) } else { ("disable", w.disable) };
    out.push_str(&format!(
        "<form class=\"inline\" id=\"{toggle}\" method=\"post\" action=\"{base}/{toggle}\">{csrf}<button type=\"submit\" class=\"quiet\">{}</button></form> ",
        escape(label)
    ));
    if c.phone.as_deref().is_some_and(|p| !p.is_empty()) {
        out.push_str(&format!(
            "<form class=\"inline\" id=\"resend\" method=\"post\" action=\"{base}/resend\">{csrf}<button type=\"submit\" class=\"quiet\">{}</button></form>",
            escape(w.resend)
        ));
    }
    out.push_str("</div>");
    // History.
    out.push_str(&format!("<h2>{}</h2>", escape(w.payments_title)));
    if c.payments.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.none_yet)));
    } else {
        out.push_str("<div class=\"card table\"><table id=\"payments\">");
        out.push_str(&header_row(&[w.date, w.amount, w.status, w.receipt]));
        for p in &c.payments {
            let status = match p.failure {
                Some(f) => format!("{}: {}", (w.payment_status)(p.status), (w.failure)(f)),
                None => (w.payment_status)(p.status).to_owned(),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(p.created_at),
                escape(&kes(p.amount)),
                escape(&status),
                escape(p.receipt.as_deref().unwrap_or(""))
            ));
        }
        out.push_str("</table></div>");
    }
    out.push_str(&format!("<h2>{}</h2>", escape(w.sessions)));
    if c.sessions.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.none_yet)));
    } else {
        out.push_str("<div class=\"card table\"><table id=\"sessions\">");
        out.push_str(&header_row(&["MAC", w.started, w.ended, w.data_used]));
        for s in &c.sessions {
            let ended = match s.ended_at {
                Some(t) => time(t),
                None => format!("<span class=\"ok\">{}</span>", escape(w.online_now)),
            };
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{ended}</td><td>{}</td></tr>",
                escape(&s.mac),
                time(s.started_at),
                escape(&bytes(s.bytes))
            ));
        }
        out.push_str("</table></div>");
    }
    out.push_str("</main>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::AccountStatus;
    use crate::i18n::Lang;
    use crate::store::payments::{PaymentFailure, PaymentListing, PaymentStatus};
    use crate::store::reports::SessionListing;

    fn view(lang: Lang, query: &str) -> View<'_> {
        View { w: &lang.words().money, csrf_field: "<input type=\"hidden\" name=\"csrf\" value=\"tok\">".into(), utc_offset_secs: 3 * 3600, query }
    }

    fn client(mac: &str, username: &str) -> ClientRow {
        ClientRow {
            session_id: 1,
            mac: mac.into(),
            ip: "10.0.0.5".into(),
            username: username.into(),
            enforcer: "local".into(),
            expires_at: 0,
            seconds_left: 3 * 3600 + 5 * 60,
            bytes_up: 0,
            bytes_down: 0,
            data_left_bytes: Some(250_000_000),
            package: "Saa <moja>".into(),
            down_kbps: Some(2500),
            up_kbps: None,
        }
    }

    #[test]
    fn each_device_has_a_kick_form_with_the_token_and_text_is_escaped() {
        let rows = [client("02:00:00:00:00:01", "amina/1"), client("02:00:00:00:00:02", "<b>")];
        let page = render_devices(&view(Lang::En, "done=kicked"), &rows);
        assert!(page.starts_with("<main id=\"page-devices\">") && page.contains("The device was disconnected."));
        for mac in ["02:00:00:00:00:01", "02:00:00:00:00:02"] {
            assert!(page.contains(&format!("<tr data-mac=\"{mac}\">")), "{page}");
            assert!(page.contains(&format!("<input type=\"hidden\" name=\"mac\" value=\"{mac}\">")));
        }
        assert_eq!(page.matches("<form class=\"kick\" method=\"post\" action=\"/devices/kick\"><input type=\"hidden\" name=\"csrf\" value=\"tok\">").count(), 2);
        assert!(page.contains("href=\"/customers/amina%2F1\"") && page.contains("&lt;b&gt;") && !page.contains("<b>"));
        assert!(page.contains("3 h 05 min") && page.contains("250 MB") && page.contains("↓ 2.5 Mbit/s ↑ Unlimited"), "{page}");
        assert!(page.contains("Saa &lt;moja&gt;"));
        let sw = render_devices(&view(Lang::Sw, ""), &[]);
        // Many devices: a page at a time, each page within the budget.
        let many: Vec<ClientRow> = (0..150).map(|i| client(&format!("02:00:00:00:{:02x}:{:02x}", i / 256, i % 256), &format!("2547120000{i:02}"))).collect();
        let first = render_devices(&view(Lang::En, ""), &many);
        assert_eq!(first.matches("<tr data-mac=").count(), DEVICES_PER_PAGE);
        assert!(first.contains("Devices 1 to 60 of 150") && first.contains("href=\"/devices?page=2\""), "{first}");
        let csrf_64 = "x".repeat(64);
        let real = View { csrf_field: format!("<input type=\"hidden\" name=\"csrf\" value=\"{csrf_64}\">"), ..view(Lang::Sw, "page=3") };
        let last = render_devices(&real, &many);
        assert_eq!(last.matches("<tr data-mac=").count(), 30);
        assert!(last.contains("href=\"/devices?page=2\"") && !last.contains("page=4"));
        assert!(render_devices(&real, &many[..60]).len() + crate::webadmin::layout::STYLE.len() + 1500 <= 50_000);
        assert_eq!(render_devices(&view(Lang::En, "page=99"), &many).matches("<tr data-mac=").count(), 30, "past the end: the last page");
        assert!(sw.contains("Hakuna kifaa kilichounganishwa sasa."));
    }

    #[test]
    fn a_customer_page_has_its_forms_and_history() {
        let mut c = Customer {
            username: "254700000001".into(),
            phone: Some("254700000001".into()),
            package: "Hour".into(),
            status: AccountStatus::Active,
            secs_left: 600,
            clock_started: false,
            data_left_bytes: None,
            data_used_bytes: 12_000,
            payments: vec![PaymentListing {
                id: 1,
                provider: "mpesa".into(),
                phone: "254700000001".into(),
                amount: 50,
                status: PaymentStatus::Failed,
                receipt: None,
                account: None,
                failure: Some(PaymentFailure::WrongPin),
                created_at: 0,
            }],
            sessions: vec![SessionListing { mac: "02:00:00:00:00:01".into(), ip: "i".into(), started_at: 0, ended_at: None, bytes: 5, end_reason: None }],
        };
        let page = render_customer(&view(Lang::En, ""), &c, "extended");
        assert!(page.starts_with("<main id=\"page-customer\">") && page.contains("id=\"done\">Time or data added."));
        assert!(page.contains("<form class=\"card\" id=\"extend\" method=\"post\" action=\"/customers/254700000001/extend\"><input type=\"hidden\" name=\"csrf\""));
        assert!(page.contains("name=\"minutes\"") && page.contains("name=\"mb\""));
        assert!(page.contains("action=\"/customers/254700000001/disable\"") && page.contains("action=\"/customers/254700000001/resend\""));
        assert!(page.contains("10 min (starts at the first login)") && page.contains("Failed: Wrong M-Pesa PIN") && page.contains("online now"));
        c.status = AccountStatus::Suspended;
        c.phone = None;
        let page = render_customer(&view(Lang::Sw, ""), &c, "");
        assert!(page.contains("action=\"/customers/254700000001/enable\"") && !page.contains("/resend\""));
        assert!(page.contains("Imezimwa") && page.contains("PIN ya M-Pesa si sahihi") && !page.contains("id=\"done\""));
    }

    #[test]
    fn actions_are_split_from_the_username() {
        assert_eq!(split_action("amina/extend"), ("amina".into(), Some("extend")));
        assert_eq!(split_action("a%2Fb"), ("a/b".into(), None));
        assert_eq!(split_action("a%2Fb/resend"), ("a/b".into(), Some("resend")));
        assert_eq!(customer_path("a b/c"), "/customers/a%20b%2Fc");
        assert_eq!(number(Some(" 15 ")), Some(15));
        assert_eq!(number(Some("")), Some(0));
        assert_eq!(number(None), Some(0));
        assert_eq!(number(Some("1.5")), None);
    }
}

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
use super::layout::{csrf_field, escape, local_time};
use super::{query_param, url_decode, url_encode, Ctx, Outcome};
use crate::admin::{AdminError, ClientRow, Customer, Reply, Request};
use crate::i18n::AdminMoneyWords;
use crate::netaddr::MacAddr;
use crate::store::reports::AccountListing;

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    let w = &ctx.words.money;
    match (method, path) {
        (&Method::GET, "/devices") => match ctx.web.admin.execute(Request::Clients).await {
            Ok(Reply::Clients(rows)) => Outcome::Page { title: w.devices_title.into(), body: render_devices(ctx, &rows) },
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
                Ok(rows) => Outcome::Page { title: w.customers_title.into(), body: render_search(ctx, &q, &rows) },
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
            Outcome::Page { title: c.username.clone(), body: render_customer(ctx, &c, &done) }
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

fn th(labels: &[&str]) -> String {
    let mut out = String::from("<tr>");
    for l in labels {
        out.push_str("<th>");
        out.push_str(&escape(l));
        out.push_str("</th>");
    }
    out.push_str("</tr>");
    out
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
pub fn render_devices(ctx: &Ctx<'_>, rows: &[ClientRow]) -> String {
    let w = &ctx.words.money;
    let mut out = format!("<main id=\"page-devices\"><h1>{}</h1>", escape(w.devices_title));
    if query_param(ctx.query, "done").as_deref() == Some("kicked") {
        out.push_str(&format!("<p class=\"ok\">{}</p>", escape(w.kicked)));
    }
    if rows.is_empty() {
        out.push_str(&format!("<p class=\"muted\" id=\"no-devices\">{}</p></main>", escape(w.no_device_online)));
        return out;
    }
    out.push_str("<div class=\"card table\"><table id=\"devices\">");
    out.push_str(&th(&["MAC", "IP", w.account, w.package, w.time_left, w.data_left, w.speed, ""]));
    let csrf = csrf_field(ctx);
    for r in rows {
        let mac = escape(&r.mac);
        out.push_str(&format!(
            "<tr data-mac=\"{mac}\"><td>{mac}</td><td>{}</td><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>\
             <td><form class=\"kick\" method=\"post\" action=\"/devices/kick\">{csrf}<input type=\"hidden\" name=\"mac\" value=\"{mac}\">\
             <button type=\"submit\">{}</button></form></td></tr>",
            escape(&r.ip),
            escape(&customer_path(&r.username)),
            escape(&r.username),
            escape(&r.package),
            escape(&(w.duration)(r.seconds_left)),
            escape(&r.data_left_bytes.map_or_else(|| w.unlimited.to_owned(), bytes)),
            escape(&speed(w, r.down_kbps, r.up_kbps)),
            escape(w.kick)
        ));
    }
    out.push_str("</table></div></main>");
    out
}

/// The search page's `<main id="page-customers">`.
pub fn render_search(ctx: &Ctx<'_>, q: &str, rows: &[AccountListing]) -> String {
    let w = &ctx.words.money;
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
    out.push_str(&th(&[w.account, w.phone, w.package, w.status, w.created]));
    for r in rows {
        let status = crate::access::AccountStatus::parse(&r.status).map_or(r.status.as_str(), |s| (w.account_status)(s));
        out.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&customer_path(&r.username)),
            escape(&r.username),
            escape(r.phone.as_deref().unwrap_or("")),
            escape(&r.package),
            escape(status),
            escape(&local_time(r.created_at, ctx.web.utc_offset_secs))
        ));
    }
    out.push_str("</table></div></main>");
    out
}

/// A customer's `<main id="page-customer">`; `done`: what the last POST did.
pub fn render_customer(ctx: &Ctx<'_>, c: &Customer, done: &str) -> String {
    let w = &ctx.words.money;
    let time = |t: i64| escape(&local_time(t, ctx.web.utc_offset_secs));
    let base = escape(&customer_path(&c.username));
    let csrf = csrf_field(ctx);
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
        out.push_str(&th(&[w.date, w.amount, w.status, w.receipt]));
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
        out.push_str(&th(&["MAC", w.started, w.ended, w.data_used]));
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

//! The fleet page, `GET /fleet`: server-rendered HTML for the operator's phone, no script
//! needed. Login is a form posting an operator token to `POST /fleet/login`, which sets an
//! HttpOnly SameSite=Strict cookie holding it (checked against `operators` on every view);
//! `POST /fleet/logout` clears it. Shows the routers (online or not, last sync age, version,
//! backlog, devices online), revenue per day per router and method for the last 14 days
//! (East Africa Time), and the latest failed commands.

use super::db::RequestError;
use std::fmt::Write;

use hyper::body::Incoming;
use hyper::header::{HeaderValue, COOKIE, LOCATION, SET_COOKIE};
use hyper::{Method, Request, StatusCode};

use super::api::ONLINE_SECS;
use super::http::{self, Reply};
use super::server::Central;
use super::{items, registry};

const COOKIE_NAME: &str = "hotspotd_fleet";
const MAX_FORM_BYTES: usize = 4096;
const DAYS: i32 = 14;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;padding:12px;max-width:60em;color:#222}\
h1{font-size:1.3em}h2{font-size:1.1em;margin-top:1.5em}table{border-collapse:collapse;width:100%;font-size:.9em}\
th,td{text-align:left;padding:6px 4px;border-bottom:1px solid #ddd}td.n,th.n{text-align:right}\
.on{color:#0a7a2f;font-weight:600}.off{color:#b00020;font-weight:600}.wrap{overflow-x:auto}\
input{font-size:1em;padding:8px;width:100%;box-sizing:border-box;margin:6px 0}button{font-size:1em;padding:8px 16px}\
.err{color:#b00020}form.out{float:right}";

pub use crate::portal::http::escape;

/// "3 min ago" and the like.
pub fn age(secs: i64) -> String {
    match secs.max(0) {
        s if s < 120 => format!("{s} s ago"),
        s if s < 7200 => format!("{} min ago", s / 60),
        s if s < 172_800 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// One field of an `application/x-www-form-urlencoded` body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let raw = text.split('&').find_map(|pair| pair.split_once('=').filter(|(n, _)| *n == name).map(|(_, v)| v))?;
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn cookie_token(req: &Request<Incoming>) -> Option<String> {
    req.headers().get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|c| {
        let (name, value) = c.trim().split_once('=')?;
        (name == COOKIE_NAME && !value.is_empty()).then(|| value.to_owned())
    })
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        escape(title)
    )
}

fn login_page(status: StatusCode, message: Option<&str>) -> Reply {
    let message = message.map(|m| format!("<p class=err>{}</p>", escape(m))).unwrap_or_default();
    let body = format!(
        "<h1>hotspotd fleet</h1>{message}<form method=post action=/fleet/login>\
         <label>Operator token<input name=token type=password autocomplete=current-password required></label>\
         <button>Log in</button></form><p>A token comes from <code>hotspotd-central operator add --name NAME</code>.</p>"
    );
    http::html(status, page("hotspotd fleet: log in", &body))
}

fn see_fleet(cookie: &str) -> Reply {
    let mut reply = http::html(StatusCode::SEE_OTHER, page("hotspotd fleet", "<a href=/fleet>fleet</a>"));
    reply.headers_mut().insert(LOCATION, HeaderValue::from_static("/fleet"));
    if let Ok(value) = HeaderValue::from_str(cookie) {
        reply.headers_mut().insert(SET_COOKIE, value);
    }
    reply
}

pub async fn handle(central: &Central, req: Request<Incoming>, rest: &[&str]) -> Reply {
    match (req.method().clone(), rest) {
        (Method::GET, []) => view(central, req).await,
        (Method::POST, ["login"]) => login(central, req).await,
        (Method::POST, ["logout"]) => see_fleet(&format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/fleet; Max-Age=0")),
        (_, [] | ["login"] | ["logout"]) => http::method_not_allowed(if rest.is_empty() { "GET" } else { "POST" }),
        _ => http::not_found(),
    }
}

async fn login(central: &Central, req: Request<Incoming>) -> Reply {
    let body = match http::read_body(req, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(e) => return e.reply(),
    };
    let Some(token) = form_field(&body, "token").map(|t| t.trim().to_owned()).filter(|t| !t.is_empty() && t.len() <= 128) else {
        return login_page(StatusCode::BAD_REQUEST, Some("Enter your operator token."));
    };
    let client = match central.pool.get().await {
        Ok(c) => c,
        Err(e) => return http::internal("fleet login", &e),
    };
    match registry::operator_by_token(&**client, &token).await {
        Ok(Some(_)) if token.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            see_fleet(&format!("{COOKIE_NAME}={token}; HttpOnly; SameSite=Strict; Path=/fleet; Max-Age=2592000"))
        }
        Ok(_) => login_page(StatusCode::UNAUTHORIZED, Some("That token is not valid.")),
        Err(e) => http::internal("fleet login", &e),
    }
}

async fn view(central: &Central, req: Request<Incoming>) -> Reply {
    let Some(token) = cookie_token(&req) else { return login_page(StatusCode::OK, None) };
    match render(central, &token).await {
        Ok(Some(html)) => http::html(StatusCode::OK, html),
        Ok(None) => login_page(StatusCode::UNAUTHORIZED, Some("Your session is no longer valid: log in again.")),
        Err(e) => http::internal("fleet page", &e),
    }
}

async fn render(central: &Central, token: &str) -> Result<Option<String>, RequestError> {
    let client = central.pool.get().await?;
    let Some(operator) = registry::operator_by_token(&**client, token).await? else { return Ok(None) };
    let mut body = format!(
        "<form class=out method=post action=/fleet/logout><button>Log out</button></form><h1>Fleet</h1><p>Logged in as {}</p>",
        escape(&operator)
    );

    let routers = client
        .query(
            "SELECT id, name, extract(epoch FROM now() - last_seen)::bigint, version, backlog, devices_online
             FROM routers ORDER BY name",
            &[],
        )
        .await?;
    body.push_str("<h2>Routers</h2><div class=wrap><table><tr><th>Router</th><th>State</th><th>Last sync</th><th>Version</th><th class=n>Backlog</th><th class=n>Online devices</th></tr>");
    for r in &routers {
        let (id, name, ago): (i64, String, Option<i64>) = (r.get(0), r.get(1), r.get(2));
        let online = ago.is_some_and(|a| a <= ONLINE_SECS);
        let _ = write!(
            body,
            "<tr><td>{} <small>#{id}</small></td><td class={}>{}</td><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
            escape(&name),
            if online { "on" } else { "off" },
            if online { "online" } else { "offline" },
            ago.map_or_else(|| "never".to_owned(), age),
            escape(r.get::<_, Option<String>>(3).as_deref().unwrap_or("-")),
            r.get::<_, Option<i64>>(4).map_or_else(|| "-".to_owned(), |b| b.to_string()),
            r.get::<_, Option<i64>>(5).map_or_else(|| "-".to_owned(), |d| d.to_string()),
        );
    }
    body.push_str("</table></div>");

    let revenue = client
        .query(
            "SELECT to_char((s.at AT TIME ZONE 'Africa/Nairobi')::date, 'YYYY-MM-DD') AS day, r.name,
                    sum(s.amount) FILTER (WHERE s.method = 'stk')::bigint, sum(s.amount) FILTER (WHERE s.method = 'paybill')::bigint,
                    sum(s.amount) FILTER (WHERE s.method = 'voucher')::bigint, sum(s.amount)::bigint
             FROM sales s JOIN routers r ON r.id = s.router_id
             WHERE s.at >= date_trunc('day', now() AT TIME ZONE 'Africa/Nairobi') AT TIME ZONE 'Africa/Nairobi' - make_interval(days => $1)
             GROUP BY 1, 2 ORDER BY 1 DESC, 2",
            &[&(DAYS - 1)],
        )
        .await?;
    let _ = write!(body, "<h2>Revenue, last {DAYS} days</h2>");
    if revenue.is_empty() {
        body.push_str("<p>No sales yet.</p>");
    } else {
        body.push_str("<div class=wrap><table><tr><th>Day</th><th>Router</th><th class=n>STK</th><th class=n>Paybill</th><th class=n>Voucher</th><th class=n>Total</th></tr>");
        for r in &revenue {
            let cell = |i: usize| r.get::<_, Option<i64>>(i).unwrap_or(0).to_string();
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td><td class=n>{}</td></tr>",
                escape(&r.get::<_, String>(0)),
                escape(&r.get::<_, String>(1)),
                cell(2),
                cell(3),
                cell(4),
                cell(5)
            );
        }
        body.push_str("</table></div>");
    }

    let failed = items::failed(&**client, 20).await?;
    body.push_str("<h2>Failed commands</h2>");
    if failed.is_empty() {
        body.push_str("<p>None.</p>");
    } else {
        body.push_str("<div class=wrap><table><tr><th>#</th><th>Router</th><th>Command</th><th>Reason</th></tr>");
        for item in &failed {
            let kind = item.body.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
            let _ = write!(
                body,
                "<tr><td>{}</td><td>#{}</td><td>{}</td><td>{}</td></tr>",
                item.id,
                item.router_id,
                escape(kind),
                escape(item.result.as_deref().unwrap_or(""))
            );
        }
        body.push_str("</table></div>");
    }
    Ok(Some(page("hotspotd fleet", &body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_forms_are_read() {
        assert_eq!(escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
        assert_eq!(form_field(b"a=1&token=ab%2Fc+d", "token").as_deref(), Some("ab/c d"));
        assert_eq!(form_field(b"token=%zz", "token"), None);
        assert_eq!(form_field(b"other=1", "token"), None);
        assert_eq!(age(30), "30 s ago");
        assert_eq!(age(600), "10 min ago");
    }
}

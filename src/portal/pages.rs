//! The portal's HTML: splash, status and message pages. Plain forms that work without
//! JavaScript (iOS closes its login sheet only after a real navigation), mobile first,
//! one small inline stylesheet. Words come from `text`; everything shown is escaped.

use super::http::escape;
use super::text;
use crate::sessions::ClientStatus;
use crate::store::catalog::Package;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1d2530}\
main{max-width:28rem;margin:0 auto;padding:1rem}h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.5rem}\
section{background:#fff;border-radius:.75rem;padding:1rem;margin:.75rem 0;box-shadow:0 1px 3px #0002}\
label{display:block;margin:.5rem 0 .25rem}input{width:100%;box-sizing:border-box;font-size:1.1rem;padding:.6rem;\
border:1px solid #9aa5b1;border-radius:.5rem}button{width:100%;margin-top:.75rem;font-size:1.1rem;padding:.7rem;\
border:0;border-radius:.5rem;background:#0a7d3b;color:#fff}.pkg{display:flex;justify-content:space-between;\
padding:.5rem 0;border-bottom:1px solid #e4e7eb}.pkg:last-child{border:0}.price{font-weight:bold}\
.error{background:#fde8e8;color:#8a1c1c;padding:.75rem;border-radius:.5rem}\
.notice{background:#e3f4ea;color:#0b4d27;padding:.75rem;border-radius:.5rem}.muted{color:#52606d;font-size:.9rem}\
dl{display:grid;grid-template-columns:auto 1fr;gap:.4rem 1rem}dt{color:#52606d}dd{margin:0;font-weight:bold}";

fn page(title: &str, body: &str, refresh_secs: Option<u32>) -> String {
    let refresh = refresh_secs.map(|s| format!("<meta http-equiv=\"refresh\" content=\"{s}\">")).unwrap_or_default();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">{refresh}\
         <title>{}</title><style>{STYLE}</style></head><body><main><h1>{}</h1>{body}</main></body></html>",
        escape(title),
        escape(title)
    )
}

fn package_line(p: &Package) -> String {
    let mut details = vec![text::duration(p.duration_secs)];
    if let Some(cap) = p.data_limit_bytes {
        details.push(text::bytes(cap));
    }
    details.push(text::devices(p.max_devices));
    format!(
        "<div class=\"pkg\"><div><b>{}</b><br><span class=\"muted\">{}</span></div><div class=\"price\">{}</div></div>",
        escape(&p.name),
        escape(&details.join(" · ")),
        escape(&text::price(p.price, &p.currency))
    )
}

/// What the splash page shows besides the packages.
#[derive(Debug, Clone, Default)]
pub struct Splash<'a> {
    /// Shown on top after a failed attempt.
    pub error: Option<&'a str>,
    /// Shown on top as information (e.g. "a new password is on its way").
    pub notice: Option<&'a str>,
    /// Refills the voucher field.
    pub voucher: &'a str,
    /// The M-Pesa form, when payments are on.
    pub mpesa: Option<MpesaForm<'a>>,
    /// Offer "forgot my password" (needs SMS).
    pub forgot: bool,
    /// Offer paying from the M-Pesa menu (paybill).
    pub paybill: bool,
}

#[derive(Debug, Clone, Default)]
pub struct MpesaForm<'a> {
    pub demo: bool,
    /// M-Pesa could not be reached a moment ago: say so instead of showing the form.
    pub unavailable: bool,
    /// Refills the phone field.
    pub phone: &'a str,
}

fn mpesa_form(packages: &[Package], form: &MpesaForm) -> String {
    let priced: Vec<&Package> = packages.iter().filter(|p| p.price > 0).collect();
    if priced.is_empty() {
        return String::new();
    }
    if form.unavailable {
        return format!("<section><h2>{}</h2><p class=\"error\">{}</p></section>", text::PAY_HEADING, text::PAY_UNAVAILABLE);
    }
    let demo = if form.demo { format!("<p class=\"error\">{}</p>", text::PAY_DEMO_NOTE) } else { String::new() };
    let options: String = priced
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<label><input type=\"radio\" name=\"package_id\" value=\"{}\"{} style=\"width:auto\"> {} — {}</label>",
                p.id,
                if i == 0 { " checked" } else { "" },
                escape(&p.name),
                escape(&text::price(p.price, &p.currency))
            )
        })
        .collect();
    format!(
        "<section><h2>{}</h2>{demo}<form method=\"post\" action=\"/pay\"><fieldset style=\"border:0;padding:0\">\
         <legend>{}</legend>{options}</fieldset><label for=\"phone\">{}</label><input id=\"phone\" name=\"phone\" \
         type=\"tel\" inputmode=\"tel\" autocomplete=\"tel\" placeholder=\"0712345678\" value=\"{}\" required>\
         <button type=\"submit\">{}</button></form></section>",
        text::PAY_HEADING,
        text::PAY_PACKAGE_LABEL,
        text::PAY_PHONE_LABEL,
        escape(form.phone),
        text::PAY_BUTTON
    )
}

/// Paying from the M-Pesa menu: pick a package, get the paybill and account number.
fn paybill_form(packages: &[Package]) -> String {
    let options: String = packages
        .iter()
        .filter(|p| p.price > 0)
        .map(|p| format!("<button type=\"submit\" name=\"package_id\" value=\"{}\">{} — {}</button>", p.id, escape(&p.name), escape(&text::price(p.price, &p.currency))))
        .collect();
    if options.is_empty() {
        return String::new();
    }
    format!("<section><h2>{}</h2><p class=\"muted\">{}</p><form method=\"post\" action=\"/paybill\">{options}</form></section>", text::PAYBILL_HEADING, text::PAYBILL_HINT)
}

/// The start page: what is sold, M-Pesa, the voucher form and the account form.
pub fn splash(packages: &[Package], view: &Splash) -> String {
    let mut body = String::new();
    if let Some(error) = view.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error)));
    }
    if let Some(notice) = view.notice {
        body.push_str(&format!("<p class=\"notice\" role=\"status\">{}</p>", escape(notice)));
    }
    body.push_str(&format!("<section><h2>{}</h2>", text::PACKAGES_HEADING));
    if packages.is_empty() {
        body.push_str(&format!("<p>{}</p>", text::NO_PACKAGES));
    }
    for p in packages {
        body.push_str(&package_line(p));
    }
    if view.mpesa.is_none() {
        body.push_str(&format!("<p class=\"muted\">{}</p>", text::BUY_HINT));
    }
    body.push_str("</section>");
    if let Some(form) = &view.mpesa {
        body.push_str(&mpesa_form(packages, form));
    }
    if view.paybill {
        body.push_str(&paybill_form(packages));
    }
    body.push_str(&format!(
        "<section><h2>{}</h2><form method=\"post\" action=\"/login\">\
         <label for=\"voucher\">{}</label><input id=\"voucher\" name=\"voucher\" value=\"{}\" \
         autocapitalize=\"characters\" autocomplete=\"off\" required>\
         <button type=\"submit\">{}</button></form></section>",
        text::VOUCHER_HEADING,
        text::VOUCHER_LABEL,
        escape(view.voucher),
        text::VOUCHER_BUTTON
    ));
    body.push_str(&format!(
        "<section><h2>{}</h2><form method=\"post\" action=\"/login\">\
         <label for=\"username\">{}</label><input id=\"username\" name=\"username\" autocapitalize=\"none\" \
         autocomplete=\"username\" required>\
         <label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <button type=\"submit\">{}</button></form></section>",
        text::ACCOUNT_HEADING,
        text::USERNAME_LABEL,
        text::PASSWORD_LABEL,
        text::LOGIN_BUTTON
    ));
    if view.forgot {
        body.push_str(&format!(
            "<section><h2>{}</h2><form method=\"post\" action=\"/forgot\"><label for=\"fphone\">{}</label>\
             <input id=\"fphone\" name=\"phone\" type=\"tel\" inputmode=\"tel\" required>\
             <button type=\"submit\">{}</button></form></section>",
            text::FORGOT_HEADING,
            text::PAY_PHONE_LABEL,
            text::FORGOT_BUTTON
        ));
    }
    page(text::TITLE, &body, None)
}

/// The payment page: waiting for the PIN (refreshes itself), done (with the credentials
/// for the paying device), or why it failed with a way to try again.
pub fn payment(state: &PaymentState) -> String {
    let (body, refresh) = match state {
        PaymentState::Waiting { prompt, demo } => {
            let demo = if *demo { format!("<p class=\"error\">{}</p>", text::PAY_DEMO_NOTE) } else { String::new() };
            (format!("<section>{demo}<p role=\"status\">{}</p></section>", escape(prompt)), Some(3))
        }
        PaymentState::Paybill { paybill, account, amount } => (
            format!(
                "<section><p>{}</p><dl><dt>{}</dt><dd id=\"paybill\">{}</dd><dt>{}</dt><dd id=\"account\">{}</dd><dt>{}</dt><dd>{}</dd></dl>\
                 <p role=\"status\">{}</p></section>",
                text::PAYBILL_STEPS,
                text::PAYBILL_NUMBER_LABEL,
                escape(paybill),
                text::PAYBILL_ACCOUNT_LABEL,
                escape(account),
                text::PAYBILL_AMOUNT_LABEL,
                escape(amount),
                text::PAYBILL_WAITING
            ),
            Some(10),
        ),
        PaymentState::SettingUp => (format!("<section><p role=\"status\">{}</p></section>", text::PAY_SETTING_UP), Some(2)),
        PaymentState::Done { is_payer, credentials, by_sms } => {
            let creds = match credentials {
                Some((user, password)) => format!(
                    "<p>{}</p><dl><dt>{}</dt><dd id=\"username\">{}</dd><dt>{}</dt><dd id=\"password\">{}</dd></dl>",
                    if *by_sms { text::PAY_CREDENTIALS_SMS } else { text::PAY_CREDENTIALS },
                    text::USERNAME_LABEL,
                    escape(user),
                    text::PASSWORD_LABEL,
                    escape(password)
                ),
                None => String::new(),
            };
            (
                format!(
                    "<section><p role=\"status\"><b>{}</b></p>{creds}<p><a href=\"/status\">{}</a></p></section>",
                    if *is_payer { text::PAY_DONE } else { text::PAY_DONE_ELSEWHERE },
                    text::STATUS_HEADING
                ),
                None,
            )
        }
        PaymentState::Failed { reason } => (
            format!(
                "<section><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">{}</a></p></section>",
                escape(reason),
                text::PAY_TRY_AGAIN
            ),
            None,
        ),
    };
    page(text::PAY_PAGE_TITLE, &body, refresh)
}

/// Where a payment stands, as the payment page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentState {
    Waiting { prompt: String, demo: bool },
    /// A paybill purchase not paid yet: where to pay (`amount` with its currency).
    Paybill { paybill: String, account: String, amount: String },
    SettingUp,
    /// `is_payer`: this is the device that paid (it is online now). `credentials` only for
    /// that device, while not yet wiped; `by_sms`: they were also sent by SMS.
    Done { is_payer: bool, credentials: Option<(String, String)>, by_sms: bool },
    Failed { reason: String },
}

/// What a logged-in device sees: time and data left, its own usage, its speed, and the
/// logout button.
pub fn status(status: &ClientStatus) -> String {
    let data_left = status.remaining.bytes.map(text::bytes).unwrap_or_else(|| text::UNLIMITED.into());
    let used = format!(
        "{} ↓ {} ↑",
        text::bytes(status.session.bytes_out),
        text::bytes(status.session.bytes_in)
    );
    let speed = text::speed(status.rate.down_kbps, status.rate.up_kbps)
        .map(|s| format!("<dt>{}</dt><dd id=\"speed\">{}</dd>", text::SPEED, escape(&s)))
        .unwrap_or_default();
    let body = format!(
        "<section><p>{}</p><dl>\
         <dt>{}</dt><dd id=\"time-left\">{}</dd><dt>{}</dt><dd id=\"data-left\">{}</dd>\
         <dt>{}</dt><dd id=\"data-used\">{}</dd>{speed}<dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} / {}</dd><dt>{}</dt><dd>{}<br><span class=\"muted\">{}</span></dd>\
         </dl><form method=\"post\" action=\"/logout\"><button type=\"submit\">{}</button></form></section>",
        text::CONTINUE_BROWSING,
        text::TIME_LEFT,
        escape(&text::duration(status.remaining.secs)),
        text::DATA_LEFT,
        escape(&data_left),
        text::DATA_USED,
        escape(&used),
        text::PACKAGE,
        escape(&status.package.name),
        text::ACCOUNT,
        escape(&status.session.username),
        text::DEVICES,
        status.devices_online,
        status.max_devices,
        text::THIS_DEVICE,
        escape(&status.session.ip),
        escape(&status.session.mac),
        text::LOGOUT_BUTTON
    );
    page(text::STATUS_HEADING, &body, Some(60))
}

/// A page with one message and a way back.
pub fn message(title: &str, message: &str) -> String {
    let body = format!(
        "<section><p>{}</p><p><a href=\"/\">{}</a></p></section>",
        escape(message),
        text::BACK_TO_START
    );
    page(title, &body, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(n: i64) -> Package {
        Package {
            id: n,
            name: format!("Package <{n}>"),
            price: 10 * n,
            currency: "KES".into(),
            duration_secs: 3600 * n,
            data_limit_bytes: Some(1_000_000_000),
            down_kbps: None,
            up_kbps: None,
            max_devices: 2,
            active: true,
        }
    }

    #[test]
    fn splash_stays_small_and_escapes_what_it_shows() {
        let packages: Vec<Package> = (1..=20).map(package).collect();
        let view = Splash {
            error: Some("Wrong <code>"),
            voucher: "\"><script>",
            mpesa: Some(MpesaForm { demo: true, unavailable: false, phone: "0712" }),
            forgot: true,
            ..Splash::default()
        };
        let page = splash(&packages, &view);
        assert!(page.len() < 30 * 1024, "splash is {} bytes", page.len());
        assert!(page.contains("Package &lt;3&gt;"));
        assert!(page.contains("Wrong &lt;code&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("<form method=\"post\" action=\"/login\">"), "works without JavaScript");
    }
}

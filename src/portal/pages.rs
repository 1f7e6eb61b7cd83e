//! The portal's HTML: splash, status and message pages. Plain forms that work without
//! JavaScript (iOS closes its login sheet only after a real navigation), mobile first,
//! one small inline stylesheet (`frame`). Words come from the page's language
//! (`i18n::PortalWords`); everything shown is escaped.

pub use super::frame::Frame;
use super::frame::{page, terms};
use super::http::escape;
use crate::i18n::PortalWords;
use crate::sessions::ClientStatus;
use crate::store::catalog::Package;

fn package_line(w: &PortalWords, p: &Package) -> String {
    let mut details = vec![(w.duration)(p.duration_secs)];
    if let Some(cap) = p.data_limit_bytes {
        details.push((w.bytes)(cap));
    }
    details.push((w.devices_allowed)(p.max_devices));
    format!(
        "<div class=\"pkg\"><div><b>{}</b><br><span class=\"muted\">{}</span></div><div class=\"price\">{}</div></div>",
        escape(&p.name),
        escape(&details.join(" · ")),
        escape(&(w.price)(p.price, &p.currency))
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

fn mpesa_form(w: &PortalWords, packages: &[Package], form: &MpesaForm) -> String {
    let priced: Vec<&Package> = packages.iter().filter(|p| p.price > 0).collect();
    if priced.is_empty() {
        return String::new();
    }
    if form.unavailable {
        return format!("<section><h2>{}</h2><p class=\"error\">{}</p></section>", w.pay_heading, w.pay_unavailable);
    }
    let demo = if form.demo { format!("<p class=\"error\">{}</p>", w.pay_demo_note) } else { String::new() };
    let options: String = priced
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<label><input type=\"radio\" name=\"package_id\" value=\"{}\"{} style=\"width:auto\"> {} — {}</label>",
                p.id,
                if i == 0 { " checked" } else { "" },
                escape(&p.name),
                escape(&(w.price)(p.price, &p.currency))
            )
        })
        .collect();
    format!(
        "<section><h2>{}</h2>{demo}<form method=\"post\" action=\"/pay\"><fieldset style=\"border:0;padding:0\">\
         <legend>{}</legend>{options}</fieldset><label for=\"phone\">{}</label><input id=\"phone\" name=\"phone\" \
         type=\"tel\" inputmode=\"tel\" autocomplete=\"tel\" placeholder=\"0712345678\" value=\"{}\" required>\
         <button type=\"submit\">{}</button></form></section>",
        w.pay_heading,
        w.pay_package_label,
        w.pay_phone_label,
        escape(form.phone),
        w.pay_button
    )
}

/// Paying from the M-Pesa menu: pick a package, get the paybill and account number.
fn paybill_form(w: &PortalWords, packages: &[Package]) -> String {
    let options: String = packages
        .iter()
        .filter(|p| p.price > 0)
        .map(|p| format!("<button type=\"submit\" name=\"package_id\" value=\"{}\">{} — {}</button>", p.id, escape(&p.name), escape(&(w.price)(p.price, &p.currency))))
        .collect();
    if options.is_empty() {
        return String::new();
    }
    format!("<section><h2>{}</h2><p class=\"muted\">{}</p><form method=\"post\" action=\"/paybill\">{options}</form></section>", w.paybill_heading, w.paybill_hint)
}

/// The start page: what is sold, M-Pesa, the voucher form and the account form.
pub fn splash(frame: &Frame, packages: &[Package], view: &Splash) -> String {
    let w = frame.words();
    let mut body = String::new();
    if let Some(error) = view.error {
        body.push_str(&format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error)));
    }
    if let Some(notice) = view.notice {
        body.push_str(&format!("<p class=\"notice\" role=\"status\">{}</p>", escape(notice)));
    }
    body.push_str(&format!("<section><h2>{}</h2>", w.packages_heading));
    if packages.is_empty() {
        body.push_str(&format!("<p>{}</p>", w.no_packages));
    }
    for p in packages {
        body.push_str(&package_line(w, p));
    }
    if view.mpesa.is_none() {
        body.push_str(&format!("<p class=\"muted\">{}</p>", w.buy_hint));
    }
    body.push_str("</section>");
    if let Some(form) = &view.mpesa {
        body.push_str(&mpesa_form(w, packages, form));
    }
    if view.paybill {
        body.push_str(&paybill_form(w, packages));
    }
    body.push_str(&format!(
        "<section><h2>{}</h2><form method=\"post\" action=\"/login\">\
         <label for=\"voucher\">{}</label><input id=\"voucher\" name=\"voucher\" value=\"{}\" \
         autocapitalize=\"characters\" autocomplete=\"off\" required>\
         <button type=\"submit\">{}</button></form></section>",
        w.voucher_heading,
        w.voucher_label,
        escape(view.voucher),
        w.voucher_button
    ));
    body.push_str(&format!(
        "<section><h2>{}</h2><form method=\"post\" action=\"/login\">\
         <label for=\"username\">{}</label><input id=\"username\" name=\"username\" autocapitalize=\"none\" \
         autocomplete=\"username\" required>\
         <label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <button type=\"submit\">{}</button></form></section>",
        w.account_heading,
        w.username_label,
        w.password_label,
        w.login_button
    ));
    if view.forgot {
        body.push_str(&format!(
            "<section><h2>{}</h2><form method=\"post\" action=\"/forgot\"><label for=\"fphone\">{}</label>\
             <input id=\"fphone\" name=\"phone\" type=\"tel\" inputmode=\"tel\" required>\
             <button type=\"submit\">{}</button></form></section>",
            w.forgot_heading,
            w.pay_phone_label,
            w.forgot_button
        ));
    }
    body.push_str(&terms(frame));
    page(frame, frame.venue(), &body, None)
}

/// The payment page: waiting for the PIN (refreshes itself), done (with the credentials
/// for the paying device), or why it failed with a way to try again.
pub fn payment(frame: &Frame, state: &PaymentState) -> String {
    let w = frame.words();
    let (body, refresh) = match state {
        PaymentState::Waiting { prompt, demo } => {
            let demo = if *demo { format!("<p class=\"error\">{}</p>", w.pay_demo_note) } else { String::new() };
            (format!("<section>{demo}<p role=\"status\">{}</p></section>", escape(prompt)), Some(3))
        }
        PaymentState::Paybill { paybill, account, amount } => (
            format!(
                "<section><p>{}</p><dl><dt>{}</dt><dd id=\"paybill\">{}</dd><dt>{}</dt><dd id=\"account\">{}</dd><dt>{}</dt><dd>{}</dd></dl>\
                 <p role=\"status\">{}</p></section>",
                w.paybill_steps,
                w.paybill_number_label,
                escape(paybill),
                w.paybill_account_label,
                escape(account),
                w.paybill_amount_label,
                escape(amount),
                w.paybill_waiting
            ),
            Some(10),
        ),
        PaymentState::SettingUp => (format!("<section><p role=\"status\">{}</p></section>", w.pay_setting_up), Some(2)),
        PaymentState::Done { is_payer, credentials, by_sms } => {
            let creds = match credentials {
                Some((user, password)) => format!(
                    "<p>{}</p><dl><dt>{}</dt><dd id=\"username\">{}</dd><dt>{}</dt><dd id=\"password\">{}</dd></dl>",
                    if *by_sms { w.pay_credentials_sms } else { w.pay_credentials },
                    w.username_label,
                    escape(user),
                    w.password_label,
                    escape(password)
                ),
                None => String::new(),
            };
            (
                format!(
                    "<section><p role=\"status\"><b>{}</b></p>{creds}<p><a href=\"/status\">{}</a></p></section>",
                    if *is_payer { w.pay_done } else { w.pay_done_elsewhere },
                    w.status_heading
                ),
                None,
            )
        }
        PaymentState::Failed { reason } => (
            format!(
                "<section><p class=\"error\" role=\"alert\">{}</p><p><a href=\"/\">{}</a></p></section>",
                escape(reason),
                w.pay_try_again
            ),
            None,
        ),
    };
    page(frame, w.pay_page_title, &body, refresh)
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
pub fn status(frame: &Frame, status: &ClientStatus) -> String {
    let w = frame.words();
    let data_left = status.remaining.bytes.map(w.bytes).unwrap_or_else(|| w.unlimited.into());
    let used = format!(
        "{} ↓ {} ↑",
        (w.bytes)(status.session.bytes_out),
        (w.bytes)(status.session.bytes_in)
    );
    let speed = (w.speed_of)(status.rate.down_kbps, status.rate.up_kbps)
        .map(|s| format!("<dt>{}</dt><dd id=\"speed\">{}</dd>", w.speed, escape(&s)))
        .unwrap_or_default();
    let body = format!(
        "<section><h2 id=\"online\">{}</h2><p>{}</p><dl>\
         <dt>{}</dt><dd id=\"time-left\">{}</dd><dt>{}</dt><dd id=\"data-left\">{}</dd>\
         <dt>{}</dt><dd id=\"data-used\">{}</dd>{speed}<dt>{}</dt><dd>{}</dd>\
         <dt>{}</dt><dd>{}</dd><dt>{}</dt><dd>{} / {}</dd><dt>{}</dt><dd>{}<br><span class=\"muted\">{}</span></dd>\
         </dl><form method=\"post\" action=\"/logout\"><button type=\"submit\">{}</button></form></section>",
        w.status_heading,
        w.continue_browsing,
        w.time_left,
        escape(&(w.duration)(status.remaining.secs)),
        w.data_left,
        escape(&data_left),
        w.data_used,
        escape(&used),
        w.package,
        escape(&status.package.name),
        w.account,
        escape(&status.session.username),
        w.devices,
        status.devices_online,
        status.max_devices,
        w.this_device,
        escape(&status.session.ip),
        escape(&status.session.mac),
        w.logout_button
    );
    page(frame, frame.venue(), &body, Some(60))
}

/// A page with one message and a way back.
pub fn message(frame: &Frame, title: &str, message: &str) -> String {
    let body = format!(
        "<section><p>{}</p><p><a href=\"/\">{}</a></p></section>",
        escape(message),
        frame.words().back_to_start
    );
    page(frame, title, &body, None)
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
        let frame = Frame { lang: crate::i18n::Lang::En, branding: Default::default(), back: "/".into() };
        let page = splash(&frame, &packages, &view);
        assert!(page.len() < 30 * 1024, "splash is {} bytes", page.len());
        assert!(page.contains("Package &lt;3&gt;"));
        assert!(page.contains("Wrong &lt;code&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("<form method=\"post\" action=\"/login\">"), "works without JavaScript");
    }

    #[test]
    fn the_splash_speaks_swahili() {
        let frame = Frame { lang: crate::i18n::Lang::Sw, branding: Default::default(), back: "/".into() };
        let view = Splash { mpesa: Some(MpesaForm::default()), ..Splash::default() };
        let page = splash(&frame, &[package(1)], &view);
        assert!(page.contains("<html lang=\"sw\">"));
        for words in ["Vifurushi", "Una vocha?", "Ingia", "Nunua kifurushi kwa M-Pesa", "Weka namba ya M-Pesa", "Lipa", "saa 1", "hadi vifaa 2"] {
            assert!(page.contains(words), "{words}: {page}");
        }
        assert!(!page.contains("Have a voucher"));
    }
}

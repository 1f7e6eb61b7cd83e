//! The keys of the captive portal, its status and payment pages, its JSON answers and the
//! SMS texts: one field per sentence or label (`&'static str`), or a function for words
//! built from values (`wait`, `duration`, `refusal`…). Both `en.rs` and `sw.rs` fill every
//! field. Also the few language-free pieces both languages' functions share (units: `500 MB`,
//! `2 Mbit/s`). Pure.

use crate::access::Refusal;
use crate::payments::limits::PromptRefusal;
use crate::portal::ratelimit::GuessRefusal;
use crate::sessions::records::Ended;
use crate::store::payments::PaymentFailure;

words! {
    pub struct PortalWords {
        /// The title of pages that are not branded (messages, errors).
        title,
        packages_heading,
        no_packages,
        voucher_heading,
        voucher_label,
        voucher_button,
        account_heading,
        username_label,
        password_label,
        login_button,
        buy_hint,
        status_heading,
        time_left,
        data_left,
        data_used,
        speed,
        unlimited,
        package,
        account,
        devices,
        this_device,
        logout_button,
        continue_browsing,
        not_found,
        back_to_start,
        /// The link in a redirect's body.
        go_to_login,
        /// The label of the language switch.
        language,
        /// Before the support phone number (a `tel:` link).
        need_help,
        /// The collapsed terms of use on the splash page.
        terms,

        err_bad_json,
        /// What `POST /api/hotspot/forgot-password` wants.
        err_forgot_json,
        /// What `POST /api/payments/mpesa` wants.
        err_pay_json,
        err_no_credential,
        err_body_too_large,
        err_body_timeout,
        err_unknown_device,
        err_unavailable,
        err_method,
        err_not_logged_in,
        err_bad_host,
        err_foreign_origin,

        pay_heading,
        paybill_heading,
        paybill_hint,
        paybill_steps,
        paybill_number_label,
        paybill_account_label,
        paybill_amount_label,
        paybill_waiting,
        pay_phone_label,
        pay_package_label,
        pay_button,
        pay_demo_note,
        pay_unavailable,
        pay_refused,
        pay_free_package,
        pay_unknown_package,
        pay_disabled,
        pay_not_found,
        pay_page_title,
        pay_check_phone,
        pay_setting_up,
        pay_done,
        /// The status page of someone else's (or another device's) payment.
        pay_done_elsewhere,
        pay_credentials_sms,
        pay_credentials,
        pay_try_again,
        forgot_heading,
        forgot_button,
        forgot_sent,
        forgot_no_sms,

        /// The SMS with the login (`sms::credentials_message`): GSM-7 only, short.
        sms_heading,
        sms_username,
        sms_password,
        sms_valid,
        sms_login_at,
        /// The short forms, when the long ones do not fit one segment.
        sms_user_short,
        sms_pass_short,
    }
    fns {
        /// `45 seconds`, `12 minutes`: how long to wait, rounded up.
        wait: fn(u64) -> String,
        /// Why no M-Pesa prompt was sent now (too many, for this device or this number).
        prompt_limited: fn(&PromptRefusal) -> String,
        /// The prompt the payer must answer: amount, currency, package name.
        pay_prompt: fn(i64, &str, &str) -> String,
        /// Why a payment did not go through (the word stored in `payments.failure`).
        payment_failure: fn(PaymentFailure) -> &'static str,
        /// Why a login was refused, in words a phone user understands.
        refusal: fn(&Refusal) -> String,
        /// Why a device may not try a code or password now.
        guess_refused: fn(&GuessRefusal) -> String,
        /// Too many password reset requests from this device (seconds to wait).
        resets_refused: fn(u64) -> String,
        /// Why a device was cut off (the splash page and check-session say so).
        ended: fn(Ended) -> &'static str,
        /// `2 Mbit/s down, 512 kbit/s up`; `None` when the device is not speed-limited.
        speed_of: fn(Option<u32>, Option<u32>) -> Option<String>,
        /// `3 h 20 min`, `45 min`, `30 s`, `2 days`.
        duration: fn(i64) -> String,
        /// `500 MB`, `1.5 GB` (decimal units, as operators sell them).
        bytes: fn(i64) -> String,
        /// `KES 50`.
        price: fn(i64, &str) -> String,
        /// How many devices a package allows at a time.
        devices_allowed: fn(u32) -> String,
        /// What was typed is not a mobile number.
        bad_phone: fn(&str) -> String,
    }
}

/// `500 MB`, `1.5 GB`, `64 KB`: the same in both languages.
pub fn bytes_si(n: i64) -> String {
    const MB: i64 = 1_000_000;
    if n >= 1000 * MB {
        let tenths = n / (100 * MB);
        if tenths % 10 == 0 {
            format!("{} GB", tenths / 10)
        } else {
            format!("{}.{} GB", tenths / 10, tenths % 10)
        }
    } else if n >= MB {
        format!("{} MB", n / MB)
    } else {
        format!("{} KB", n / 1000)
    }
}

/// `2 Mbit/s`, `2.5 Mbit/s`, `512 kbit/s`: the same in both languages.
pub fn rate(kbps: u32) -> String {
    if kbps >= 1000 && kbps % 100 == 0 {
        let tenths = kbps / 100;
        if tenths % 10 == 0 {
            format!("{} Mbit/s", tenths / 10)
        } else {
            format!("{}.{} Mbit/s", tenths / 10, tenths % 10)
        }
    } else {
        format!("{kbps} kbit/s")
    }
}

/// `KES 50`: the same in both languages (Kenyans write it so in either).
pub fn money(amount: i64, currency: &str) -> String {
    format!("{currency} {amount}")
}

/// Days, hours, minutes and seconds of `secs` (negative counts as 0).
pub fn split_duration(secs: i64) -> (i64, i64, i64, i64) {
    let secs = secs.max(0);
    (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60, secs)
}

#[cfg(test)]
#[path = "portal_tests.rs"]
mod tests;

//! Every sentence a phone user reads, in one place so the portal can be translated.

use crate::access::Refusal;
use crate::store::payments::PaymentFailure;

pub const TITLE: &str = "Wi-Fi hotspot";
pub const SPLASH_HEADING: &str = "Get online";
pub const PACKAGES_HEADING: &str = "Packages";
pub const NO_PACKAGES: &str = "No packages are on sale right now. Please ask the staff.";
pub const VOUCHER_HEADING: &str = "Have a voucher?";
pub const VOUCHER_LABEL: &str = "Voucher code";
pub const VOUCHER_BUTTON: &str = "Connect";
pub const ACCOUNT_HEADING: &str = "Have a username and password?";
pub const USERNAME_LABEL: &str = "Username";
pub const PASSWORD_LABEL: &str = "Password";
pub const LOGIN_BUTTON: &str = "Log in";
pub const BUY_HINT: &str = "Buy a voucher from the attendant, or log in with the details we sent you by SMS.";
pub const STATUS_HEADING: &str = "You are online";
pub const TIME_LEFT: &str = "Time left";
pub const DATA_LEFT: &str = "Data left";
pub const DATA_USED: &str = "Used on this device";
pub const SPEED: &str = "Speed";
pub const ENDED_DATA_USED_UP: &str =
    "Your data bundle is used up, so you were disconnected. Buy a new package below to get back online.";
pub const ENDED_TIME_UP: &str = "Your package time is up, so you were disconnected. Buy a new package below to get back online.";
pub const UNLIMITED: &str = "Unlimited";
pub const PACKAGE: &str = "Package";
pub const ACCOUNT: &str = "Account";
pub const DEVICES: &str = "Devices online";
pub const THIS_DEVICE: &str = "This device";
pub const LOGOUT_BUTTON: &str = "Log out";
pub const CONTINUE_BROWSING: &str = "You can now browse the internet.";
pub const NOT_FOUND: &str = "This page does not exist.";
pub const BACK_TO_START: &str = "Back to the start page";
pub const GO_TO_LOGIN: &str = "Tap here to log in to the Wi-Fi";

pub const ERR_BAD_JSON: &str = "The request is not valid JSON. Send {\"voucher\":\"CODE\"} or {\"username\":\"…\",\"password\":\"…\"}.";
pub const ERR_NO_CREDENTIAL: &str = "Enter a voucher code, or a username and password.";
pub const ERR_BODY_TOO_LARGE: &str = "The request is too large.";
pub const ERR_BODY_TIMEOUT: &str = "The request took too long to arrive. Please try again.";
pub const ERR_UNKNOWN_DEVICE: &str =
    "We could not identify your device. Disconnect from the Wi-Fi, reconnect, and try again.";
pub const ERR_UNAVAILABLE: &str = "The hotspot could not complete that right now. Please try again in a moment.";
pub const ERR_METHOD: &str = "That method is not allowed here.";
pub const ERR_NOT_LOGGED_IN: &str = "This device is not logged in.";
pub const ERR_BAD_HOST: &str = "That web address is not valid.";
pub const ERR_FOREIGN_ORIGIN: &str = "This form was sent from another website. Open the hotspot page and try again.";

pub const PAY_HEADING: &str = "Buy with M-Pesa";
pub const PAYBILL_HEADING: &str = "No M-Pesa prompt? Pay from the M-Pesa menu";
pub const PAYBILL_HINT: &str = "Choose a package to get the paybill and account number to pay to.";
pub const PAYBILL_STEPS: &str = "On your phone: M-Pesa, Lipa na M-Pesa, Pay Bill. Enter:";
pub const PAYBILL_NUMBER_LABEL: &str = "Business number";
pub const PAYBILL_ACCOUNT_LABEL: &str = "Account number";
pub const PAYBILL_AMOUNT_LABEL: &str = "Amount";
pub const PAYBILL_WAITING: &str = "Keep this page open: you are online within a minute of paying.";
pub const PAY_PHONE_LABEL: &str = "M-Pesa phone number";
pub const PAY_PACKAGE_LABEL: &str = "Package";
pub const PAY_BUTTON: &str = "Pay";
pub const PAY_DEMO_NOTE: &str = "DEMO MODE: no money moves; every payment is approved after a few seconds.";
pub const PAY_UNAVAILABLE: &str =
    "M-Pesa payments are unavailable right now. Use a voucher from the attendant, or try again in a few minutes.";
pub const PAY_REFUSED: &str = "M-Pesa payments are not working at this hotspot right now. Please use a voucher or ask the staff.";
pub const PAY_FREE_PACKAGE: &str = "This package is free: ask the attendant for a voucher.";
pub const PAY_UNKNOWN_PACKAGE: &str = "That package is not on sale. Please choose another one.";
pub const PAY_DISABLED: &str = "This hotspot does not take M-Pesa payments. Use a voucher from the attendant.";
pub const PAY_NOT_FOUND: &str = "There is no such payment.";
pub const PAY_PAGE_TITLE: &str = "M-Pesa payment";
pub const PAY_CHECK_PHONE: &str = "Check your phone and enter your M-Pesa PIN.";
pub const PAY_SETTING_UP: &str = "Payment received. Setting up your access…";
pub const PAY_DONE: &str = "Paid! This device is online.";
/// The status page of someone else's (or another device's) payment.
pub const PAY_DONE_ELSEWHERE: &str = "Paid. The device that paid is online.";
pub const PAY_CREDENTIALS_SMS: &str = "Your login for other devices (also sent by SMS):";
pub const PAY_CREDENTIALS: &str = "Your login for other devices. Write it down: it is shown only now.";
pub const PAY_TRY_AGAIN: &str = "Try again";
pub const FORGOT_HEADING: &str = "Forgot your password?";
pub const FORGOT_BUTTON: &str = "Send me a new password";
pub const FORGOT_SENT: &str =
    "If this number has an active package, a new password is on its way by SMS. It may take a minute.";
pub const FORGOT_NO_SMS: &str = "This hotspot cannot send SMS. Please ask the staff.";

/// `45 seconds`, `12 minutes`: how long to wait, rounded up.
pub fn wait(secs: u64) -> String {
    match secs {
        0..=1 => "1 second".into(),
        2..=119 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    }
}

/// Why no M-Pesa prompt was sent now (too many, for this device or this number).
pub fn prompt_limited(refusal: &crate::payments::limits::PromptRefusal) -> String {
    use crate::payments::limits::{PromptRefusal, Who};
    let wait = wait(refusal.retry_after_secs());
    match refusal {
        PromptRefusal::Open { who: Who::Device, .. } => {
            format!("An M-Pesa prompt from this device is still waiting. Answer it on the phone, or try again in {wait}.")
        }
        PromptRefusal::Open { who: Who::Number, .. } => {
            format!("An M-Pesa prompt is already waiting on that phone number. Answer it, or try again in {wait}.")
        }
        PromptRefusal::Hourly { who: Who::Device, .. } => {
            format!("This device has asked for too many M-Pesa prompts. Try again in {wait}, or use a voucher.")
        }
        PromptRefusal::Hourly { who: Who::Number, .. } => {
            format!("Too many M-Pesa prompts went to that phone number this hour. Try again in {wait}, or use a voucher.")
        }
    }
}

/// The prompt the payer must answer.
pub fn pay_prompt(amount: i64, currency: &str, package: &str) -> String {
    format!("Check your phone: enter your M-Pesa PIN to pay {} for {package}. This page updates by itself.", price(amount, currency))
}

/// Why a payment did not go through (the word stored in `payments.failure`).
pub fn payment_failure(failure: PaymentFailure) -> &'static str {
    match failure {
        PaymentFailure::Cancelled => "You cancelled the M-Pesa prompt. No money was taken.",
        PaymentFailure::WrongPin => "The M-Pesa PIN was wrong. No money was taken. Try again.",
        PaymentFailure::InsufficientFunds => "Your M-Pesa balance is too low for this package. No money was taken.",
        PaymentFailure::PhoneUnreachable => "Your phone could not be reached. Check it is on and has signal, then try again.",
        PaymentFailure::Timeout => "The M-Pesa prompt was not answered in time. No money was taken. Try again.",
        PaymentFailure::Duplicate => "You just paid this amount from this number. Wait two minutes before paying again.",
        PaymentFailure::Unavailable => PAY_UNAVAILABLE,
        PaymentFailure::Refused => PAY_REFUSED,
        PaymentFailure::Unconfirmed => {
            "M-Pesa could not be reached to confirm this payment. If money was taken, show the M-Pesa SMS to the staff."
        }
        PaymentFailure::Interrupted => "The payment was interrupted before the prompt was sent. No money was taken. Try again.",
        PaymentFailure::Declined => "M-Pesa declined the payment. No money was taken. Please ask the staff if this repeats.",
    }
}

/// Why a login was refused, in words a phone user understands.
pub fn refusal(refusal: &Refusal) -> String {
    match refusal {
        Refusal::UnknownVoucher => "That voucher code is not valid. Check the code and try again.".into(),
        Refusal::VoucherRevoked => "This voucher has been cancelled. Please ask the staff.".into(),
        Refusal::VoucherLapsed => "This voucher expired before it was used. Please ask the staff.".into(),
        Refusal::PackageWithdrawn => "This voucher's package is no longer sold. Please ask the staff.".into(),
        Refusal::WrongCredentials => "Wrong username or password.".into(),
        Refusal::Expired { .. } => "Your package has expired. Buy a new package to get back online.".into(),
        Refusal::DataExhausted => "You have used all the data in your package. Buy a new package to continue.".into(),
        Refusal::Suspended => "This account is suspended. Please ask the staff.".into(),
        Refusal::AddressInUse => {
            "Another device is using this device's address. Turn Wi-Fi off and on to get an address of its own, then try again.".into()
        }
        Refusal::DeviceLimit { max_devices } => format!(
            "Device limit reached: this package allows {max_devices} device{} at a time. Log out on another device first.",
            if *max_devices == 1 { "" } else { "s" }
        ),
    }
}

/// Why a device may not try a code or password now.
pub fn guess_refused(refusal: &crate::portal::ratelimit::GuessRefusal) -> String {
    use crate::portal::ratelimit::GuessRefusal;
    let secs = refusal.retry_after_secs();
    match refusal {
        GuessRefusal::Device { .. } => format!("Too many wrong attempts. Wait {secs} seconds and try again."),
        GuessRefusal::Busy { .. } => {
            format!("The hotspot is refusing many wrong codes right now. Wait {secs} seconds and try again.")
        }
    }
}

/// Too many password reset requests from this device.
pub fn resets_refused(retry_after_secs: u64) -> String {
    format!("Too many password requests from this device. Wait {} and try again.", wait(retry_after_secs))
}

/// Why a device was cut off (the splash page and check-session say so).
pub fn ended(ended: crate::sessions::records::Ended) -> &'static str {
    match ended {
        crate::sessions::records::Ended::DataUsedUp => ENDED_DATA_USED_UP,
        crate::sessions::records::Ended::TimeUp => ENDED_TIME_UP,
    }
}

/// `2 Mbit/s down, 512 kbit/s up`; `None` when the device is not speed-limited.
pub fn speed(down_kbps: Option<u32>, up_kbps: Option<u32>) -> Option<String> {
    let rate = |kbps: u32| {
        if kbps >= 1000 && kbps % 100 == 0 {
            let mbit = kbps as f64 / 1000.0;
            format!("{} Mbit/s", if mbit.fract() == 0.0 { format!("{mbit:.0}") } else { format!("{mbit:.1}") })
        } else {
            format!("{kbps} kbit/s")
        }
    };
    match (down_kbps, up_kbps) {
        (None, None) => None,
        (d, u) => Some(format!(
            "{} down, {} up",
            d.map_or_else(|| UNLIMITED.to_lowercase(), rate),
            u.map_or_else(|| UNLIMITED.to_lowercase(), rate)
        )),
    }
}

/// `3 h 20 min`, `45 min`, `30 s`.
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (days, hours, mins) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{secs} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} day{}", if d == 1 { "" } else { "s" }),
        (d, h, _) => format!("{d} day{} {h} h", if d == 1 { "" } else { "s" }),
    }
}

/// `500 MB`, `1.5 GB` (decimal units, as operators sell them).
pub fn bytes(n: i64) -> String {
    const MB: i64 = 1_000_000;
    if n >= 1000 * MB {
        let tenths = n / (100 * MB);
        if tenths % 10 == 0 { format!("{} GB", tenths / 10) } else { format!("{}.{} GB", tenths / 10, tenths % 10) }
    } else if n >= MB {
        format!("{} MB", n / MB)
    } else {
        format!("{} KB", n / 1000)
    }
}

pub fn price(amount: i64, currency: &str) -> String {
    format!("{currency} {amount}")
}

pub fn devices(max: u32) -> String {
    if max == 1 { "1 device".into() } else { format!("up to {max} devices") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_naturally() {
        assert_eq!(duration(30), "30 s");
        assert_eq!(duration(45 * 60), "45 min");
        assert_eq!(duration(3600), "1 h");
        assert_eq!(duration(3 * 3600 + 20 * 60 + 5), "3 h 20 min");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(7 * 86_400 + 3600), "7 days 1 h");
        assert_eq!(bytes(500_000_000), "500 MB");
        assert_eq!(bytes(1_000_000_000), "1 GB");
        assert_eq!(bytes(1_500_000_000), "1.5 GB");
        assert_eq!(bytes(64_000), "64 KB");
        assert_eq!(speed(Some(1000), Some(512)).as_deref(), Some("1 Mbit/s down, 512 kbit/s up"));
        assert_eq!(speed(Some(2500), None).as_deref(), Some("2.5 Mbit/s down, unlimited up"));
        assert_eq!(speed(None, None), None);
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait(1), "1 second");
        assert_eq!(wait(45), "45 seconds");
        assert_eq!(wait(120), "2 minutes");
        assert_eq!(wait(3599), "60 minutes");
    }

    #[test]
    fn device_limit_message_names_the_limit() {
        assert!(refusal(&Refusal::DeviceLimit { max_devices: 2 }).contains("allows 2 devices"));
        assert!(refusal(&Refusal::DeviceLimit { max_devices: 1 }).contains("allows 1 device at"));
    }
}

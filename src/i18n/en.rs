//! Every word in English (see `mod.rs`). One `const` per section, so each section can be
//! read (and reviewed by a speaker) on its own.

use super::*;

pub const WORDS: Words = Words { portal: PORTAL, admin: ADMIN, money: MONEY, shop: SHOP };

// ---- The portal, its status and payment pages, and the SMS texts ----
const PORTAL: PortalWords = PortalWords {
    title: "Wi-Fi hotspot",
    packages_heading: "Packages",
    no_packages: "No packages are on sale right now. Please ask the staff.",
    voucher_heading: "Have a voucher?",
    voucher_label: "Voucher code",
    voucher_button: "Connect",
    account_heading: "Have a username and password?",
    username_label: "Username",
    password_label: "Password",
    login_button: "Log in",
    buy_hint: "Buy a voucher from the attendant, or log in with the details we sent you by SMS.",
    status_heading: "You are online",
    time_left: "Time left",
    data_left: "Data left",
    data_used: "Used on this device",
    speed: "Speed",
    unlimited: "Unlimited",
    package: "Package",
    account: "Account",
    devices: "Devices online",
    this_device: "This device",
    logout_button: "Log out",
    continue_browsing: "You can now browse the internet.",
    not_found: "This page does not exist.",
    back_to_start: "Back to the start page",
    go_to_login: "Tap here to log in to the Wi-Fi",
    language: "Language",
    need_help: "Need help? Call",
    terms: "Terms of use",

    err_bad_json: "The request is not valid JSON. Send {\"voucher\":\"CODE\"} or {\"username\":\"…\",\"password\":\"…\"}.",
    err_forgot_json: "Send {\"phone\": \"0712345678\"}.",
    err_pay_json: "Send {\"package_id\": 1, \"phone\": \"0712345678\"}.",
    err_no_credential: "Enter a voucher code, or a username and password.",
    err_body_too_large: "The request is too large.",
    err_body_timeout: "The request took too long to arrive. Please try again.",
    err_unknown_device: "We could not identify your device. Disconnect from the Wi-Fi, reconnect, and try again.",
    err_unavailable: "The hotspot could not complete that right now. Please try again in a moment.",
    err_method: "That method is not allowed here.",
    err_not_logged_in: "This device is not logged in.",
    err_bad_host: "That web address is not valid.",
    err_foreign_origin: "This form was sent from another website. Open the hotspot page and try again.",

    pay_heading: "Buy with M-Pesa",
    paybill_heading: "No M-Pesa prompt? Pay from the M-Pesa menu",
    paybill_hint: "Choose a package to get the paybill and account number to pay to.",
    paybill_steps: "On your phone: M-Pesa, Lipa na M-Pesa, Pay Bill. Enter:",
    paybill_number_label: "Business number",
    paybill_account_label: "Account number",
    paybill_amount_label: "Amount",
    paybill_waiting: "Keep this page open: you are online within a minute of paying.",
    pay_phone_label: "M-Pesa phone number",
    pay_package_label: "Package",
    pay_button: "Pay",
    pay_demo_note: "DEMO MODE: no money moves; every payment is approved after a few seconds.",
    pay_unavailable: "M-Pesa payments are unavailable right now. Use a voucher from the attendant, or try again in a few minutes.",
    pay_refused: "M-Pesa payments are not working at this hotspot right now. Please use a voucher or ask the staff.",
    pay_free_package: "This package is free: ask the attendant for a voucher.",
    pay_unknown_package: "That package is not on sale. Please choose another one.",
    pay_disabled: "This hotspot does not take M-Pesa payments. Use a voucher from the attendant.",
    pay_not_found: "There is no such payment.",
    pay_page_title: "M-Pesa payment",
    pay_check_phone: "Check your phone and enter your M-Pesa PIN.",
    pay_setting_up: "Payment received. Setting up your access…",
    pay_done: "Paid! This device is online.",
    pay_done_elsewhere: "Paid. The device that paid is online.",
    pay_credentials_sms: "Your login for other devices (also sent by SMS):",
    pay_credentials: "Your login for other devices. Write it down: it is shown only now.",
    pay_try_again: "Try again",
    forgot_heading: "Forgot your password?",
    forgot_button: "Send me a new password",
    forgot_sent: "If this number has an active package, a new password is on its way by SMS. It may take a minute.",
    forgot_no_sms: "This hotspot cannot send SMS. Please ask the staff.",

    sms_heading: "Your Wi-Fi login",
    sms_username: "Username: ",
    sms_password: "Password: ",
    sms_valid: "Valid: ",
    sms_login_at: "Log in at ",
    sms_user_short: "User: ",
    sms_pass_short: "Pass: ",

    wait: |secs| match secs {
        0..=1 => "1 second".into(),
        2..=119 => format!("{secs} seconds"),
        _ => format!("{} minutes", secs.div_ceil(60)),
    },
    prompt_limited: |refusal| {
        use crate::payments::limits::{PromptRefusal, Who};
        let wait = (PORTAL.wait)(refusal.retry_after_secs());
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
    },
    pay_prompt: |amount, currency, package| {
        format!(
            "Check your phone: enter your M-Pesa PIN to pay {} for {package}. This page updates by itself.",
            super::portal::money(amount, currency)
        )
    },
    payment_failure: |failure| {
        use crate::store::payments::PaymentFailure;
        match failure {
            PaymentFailure::Cancelled => "You cancelled the M-Pesa prompt. No money was taken.",
            PaymentFailure::WrongPin => "The M-Pesa PIN was wrong. No money was taken. Try again.",
            PaymentFailure::InsufficientFunds => "Your M-Pesa balance is too low for this package. No money was taken.",
            PaymentFailure::PhoneUnreachable => "Your phone could not be reached. Check it is on and has signal, then try again.",
            PaymentFailure::Timeout => "The M-Pesa prompt was not answered in time. No money was taken. Try again.",
            PaymentFailure::Duplicate => "You just paid this amount from this number. Wait two minutes before paying again.",
            PaymentFailure::Unavailable => PORTAL.pay_unavailable,
            PaymentFailure::Refused => PORTAL.pay_refused,
            PaymentFailure::Unconfirmed => {
                "M-Pesa could not be reached to confirm this payment. If money was taken, show the M-Pesa SMS to the staff."
            }
            PaymentFailure::Interrupted => "The payment was interrupted before the prompt was sent. No money was taken. Try again.",
            PaymentFailure::Declined => "M-Pesa declined the payment. No money was taken. Please ask the staff if this repeats.",
        }
    },
    refusal: |refusal| {
        use crate::access::Refusal;
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
                "Another device is using this device's address. Turn Wi-Fi off and on to get an address of its own, then try again."
                    .into()
            }
            Refusal::DeviceLimit { max_devices } => format!(
                "Device limit reached: this package allows {max_devices} device{} at a time. Log out on another device first.",
                if *max_devices == 1 { "" } else { "s" }
            ),
        }
    },
    guess_refused: |refusal| {
        use crate::portal::ratelimit::GuessRefusal;
        let secs = refusal.retry_after_secs();
        match refusal {
            GuessRefusal::Device { .. } => format!("Too many wrong attempts. Wait {secs} seconds and try again."),
            GuessRefusal::Busy { .. } => {
                format!("The hotspot is refusing many wrong codes right now. Wait {secs} seconds and try again.")
            }
        }
    },
    resets_refused: |secs| {
        format!("Too many password requests from this device. Wait {} and try again.", (PORTAL.wait)(secs))
    },
    ended: |ended| match ended {
        crate::sessions::records::Ended::DataUsedUp => {
            "Your data bundle is used up, so you were disconnected. Buy a new package below to get back online."
        }
        crate::sessions::records::Ended::TimeUp => {
            "Your package time is up, so you were disconnected. Buy a new package below to get back online."
        }
    },
    speed_of: |down, up| {
        let rate = |kbps: Option<u32>| kbps.map_or_else(|| "unlimited".to_owned(), super::portal::rate);
        match (down, up) {
            (None, None) => None,
            (d, u) => Some(format!("{} down, {} up", rate(d), rate(u))),
        }
    },
    duration: |secs| {
        let plural = |n: i64| if n == 1 { "" } else { "s" };
        match super::portal::split_duration(secs) {
            (0, 0, 0, s) => format!("{s} s"),
            (0, 0, m, _) => format!("{m} min"),
            (0, h, 0, _) => format!("{h} h"),
            (0, h, m, _) => format!("{h} h {m} min"),
            (d, 0, _, _) => format!("{d} day{}", plural(d)),
            (d, h, _, _) => format!("{d} day{} {h} h", plural(d)),
        }
    },
    bytes: super::portal::bytes_si,
    price: super::portal::money,
    devices_allowed: |max| if max == 1 { "1 device".into() } else { format!("up to {max} devices") },
    bad_phone: |typed| format!("`{typed}` is not a mobile number; type it like 0712345678"),
};

// ---- The web admin: frame, login, System ----
const ADMIN: AdminCoreWords = AdminCoreWords {
    nav_dashboard: "Dashboard",
    nav_devices: "Devices",
    nav_customers: "Customers",
    nav_payments: "Payments",
    nav_vouchers: "Vouchers",
    nav_packages: "Packages",
    nav_settings: "Settings",
    nav_system: "System",
    log_out: "Log out",
    login_title: "Log in",
    password: "Password",
    log_in: "Log in",
    wrong_password: "Wrong password.",
    too_many_tries: "Too many wrong passwords.",
    no_password_yet: "No admin password is set yet. On the router, run: hotspotd admin password",
    refused_title: "Not allowed",
    csrf_expired: "This form has expired or came from elsewhere. Reload the page and try again.",
    not_found_title: "Not found",
    not_found: "There is no such page.",
    invalid_title: "Cannot do that",
    server_error: "Something went wrong. Try again; if it keeps happening, look at the router's log.",
    busy: "The router is busy. Try again in a moment.",
    request_too_big: "The form was too large, or too slow to arrive. Try again.",
    system_title: "System",
    firewall: "Firewall",
    firewall_in_place: "In place",
    firewall_missing: "Missing: customers are not being controlled!",
    firewall_off: "Off (firewall 'none'): nothing is enforced",
    clock: "Clock",
    clock_trusted: "Correct (set by NTP)",
    clock_not_trusted: "Not confirmed yet (no NTP since the router started)",
    clock_now: "Now",
    speed_limits: "Speed limits",
    none: "None",
    jobs: "Jobs",
    jobs_waiting: "Waiting",
    jobs_failed: "Failed",
    no_failed_jobs: "No failed jobs.",
    retry: "Retry",
    job_kind: "Kind",
    job_error: "Error",
    job_attempts: "Attempts",
    database: "Database",
    database_size: "Size",
    version: "Version",
    uptime: "Running for",
    radius: "RADIUS server",
    radius_requests: "Requests answered",
    sync: "Sync with the central server",
    sync_last_ok: "Last success",
    sync_last_error: "Last error",
    sync_backlog: "Events waiting",
    never: "Never",
    devices_online: "Devices online",
    vouchers_unused: "Unused vouchers",
    packages_on_sale: "Packages on sale",
    changes: "Recent changes",
    when: "When",
    who: "Who",
    what: "What",
    details: "Details",
    no_changes: "No changes yet.",
    more_not_shown: "Only the latest are shown.",
    try_again_in: en_try_again_in,
};

fn en_try_again_in(secs: u64) -> String {
    match secs.div_ceil(60) {
        0 | 1 => "Try again in a minute.".into(),
        n => format!("Try again in {n} minutes."),
    }
}

// ---- The web admin: dashboard, customers and devices, payments ----
const MONEY: AdminMoneyWords = AdminMoneyWords {
    dashboard_title: "Dashboard",
    demo_banner: "Demo data: these sales and sessions are samples, not real customers.",
    revenue_today: "Revenue today",
    last_7_days: "Last 7 days",
    last_30_days: "Last 30 days",
    vouchers_sold: "Vouchers sold",
    devices_online: "Devices online",
    data_today: "Data used today",
    vouchers_left: "Vouchers left",
    unused: "Unused",
    price: "Price",
    chart_revenue: "Revenue per day (30 days)",
    chart_devices: "Devices online per hour (48 hours)",
    chart_data: "Data used per day (30 days)",
    no_sales: "No sales yet",
    no_devices: "No device online yet",
    no_data: "No data used yet",
    total: "Total",
    devices_title: "Devices online",
    no_device_online: "No device is online now.",
    account: "Account",
    time_left: "Time left",
    data_left: "Data left",
    speed: "Speed",
    unlimited: "Unlimited",
    kick: "Kick",
    kicked: "The device was disconnected.",
    next: "Next",
    previous: "Previous",
    not_online: "That device is not online any more.",
    customers_title: "Customers",
    search_label: "Phone number or username",
    search: "Search",
    search_hint: "Type part of a phone number or username.",
    no_customer: "No account matches.",
    phone: "Phone",
    status: "Status",
    created: "Created",
    package: "Package",
    data_used: "Data used",
    clock_not_started: "starts at the first login",
    add_time_or_data: "Add time or data",
    minutes: "Minutes",
    megabytes: "Megabytes (MB)",
    extend: "Extend",
    extended: "Time or data added.",
    extend_invalid: "Give whole minutes, megabytes or both, above 0 (at most a year, 1,000,000 MB).",
    disable: "Disable",
    disabled: "The account is disabled and its devices are offline.",
    enable: "Enable",
    enabled: "The account can log in again.",
    resend: "Resend login details",
    resent: "New login details are on their way by SMS.",
    no_phone: "This account has no phone number to send to.",
    sessions: "Sessions",
    started: "Started",
    ended: "Ended",
    online_now: "online now",
    none_yet: "None yet.",
    payments_title: "Payments",
    from: "From",
    to: "To",
    any: "Any",
    receipt: "Receipt",
    show: "Show",
    confirmed_total: "Paid in total",
    count: "Count",
    date: "Date",
    amount: "Amount",
    method: "Method",
    reason: "Reason",
    failed_payments: "Failed payments",
    no_payment: "No payment matches.",
    more_rows: "Only the newest 200 are listed; narrow the dates to see the rest. The totals count them all.",
    bad_date: "Write dates like 2026-12-07, the first one not after the last.",
    no_reason: "No reason given",
    demo_method: "Demo",
    cash_method: "Cash",
    account_status: en_account_status,
    payment_status: en_payment_status,
    failure: en_failure,
    duration: en_short_duration,
    shown: en_shown,
};

fn en_account_status(s: crate::access::AccountStatus) -> &'static str {
    use crate::access::AccountStatus::*;
    match s {
        Active => "Active",
        Expired => "Time is up",
        Exhausted => "Data used up",
        Suspended => "Disabled",
    }
}

fn en_payment_status(s: crate::store::payments::PaymentStatus) -> &'static str {
    use crate::store::payments::PaymentStatus::*;
    match s {
        Pending => "Waiting",
        Confirmed => "Paid",
        Failed => "Failed",
        Cancelled => "Cancelled",
    }
}

fn en_failure(f: crate::store::payments::PaymentFailure) -> &'static str {
    use crate::store::payments::PaymentFailure::*;
    match f {
        Cancelled => "The customer cancelled the M-Pesa prompt",
        WrongPin => "Wrong M-Pesa PIN",
        InsufficientFunds => "Not enough money in M-Pesa",
        PhoneUnreachable => "The phone could not be reached",
        Timeout => "Nobody answered the prompt in time",
        Duplicate => "The same amount from the same number within 2 minutes",
        Declined => "M-Pesa declined it",
        Refused => "M-Pesa refused the request (check the M-Pesa settings)",
        Unavailable => "M-Pesa could not be reached",
        Interrupted => "The router restarted before the prompt was sent",
        Unconfirmed => "No result from M-Pesa for a day",
    }
}

fn en_shown(first: usize, last: usize, of: usize) -> String {
    format!("Devices {first} to {last} of {of}")
}

fn en_short_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m:02} min"),
        (1, _) => format!("1 day {h} h"),
        _ => format!("{d} days {h} h"),
    }
}

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {
    vouchers_title: "Vouchers",
    create_heading: "Create vouchers",
    package_label: "Package",
    count_label: "How many (1 to 500)",
    batch_label: "Batch name",
    create_button: "Create",
    stock_heading: "Stock",
    col_package: "Package",
    col_batch: "Batch",
    col_unused: "Unused",
    col_used: "Used",
    col_expired: "Expired",
    col_revoked: "Revoked",
    no_batch: "(no name)",
    no_vouchers: "No vouchers yet.",
    no_packages: "Add a package first.",
    open_batch: "Codes and printing",
    err_count: "Type how many vouchers to create, from 1 to 500.",
    err_package: "Choose a package.",
    err_batch: "A batch name is at most 40 letters, digits, spaces or - _ . :",
    batch_title: "Batch",
    col_code: "Code",
    col_status: "Status",
    col_redeemed: "Used on",
    st_unused: "unused",
    st_used: "used",
    st_expired: "expired",
    st_revoked: "revoked",
    print_a4_12: "Print A4, 12 per page",
    print_a4_24: "Print A4, 24 per page",
    print_roll: "Print on an 80 mm roll",
    download_csv: "Download CSV",
    revoke: "Revoke",
    revoke_batch: "Revoke every unused voucher of this batch",
    revoked_note: "A revoked voucher no longer works. A used one keeps working.",
    err_revoke: "There is no such voucher, or it was already used or revoked.",
    err_no_batch: "There is no such batch.",
    print_title: "Vouchers",
    print_nothing: "This batch has no unused vouchers to print.",
    print_hint: "Join the Wi-Fi, then scan or type the code.",
    unlimited_data: "Unlimited data",
    packages_title: "Packages",
    add_heading: "Add a package",
    edit_heading: "Edit package",
    name_label: "Name",
    price_label: "Price (KES)",
    minutes_label: "Time (minutes)",
    data_label: "Data (MB; empty: unlimited)",
    down_label: "Download speed (kbit/s; empty: no limit)",
    up_label: "Upload speed (kbit/s; empty: no limit)",
    devices_label: "Devices at once",
    save_button: "Save",
    add_button: "Add",
    col_price: "Price",
    col_time: "Time",
    col_data: "Data",
    col_speed: "Speed",
    col_devices: "Devices",
    col_sale: "On sale",
    on_sale: "On sale",
    hidden: "Hidden",
    hide: "Hide",
    show: "Put on sale",
    edit: "Edit",
    unlimited: "Unlimited",
    edit_note: "Changes apply to what is sold from now on: customers keep what they bought.",
    hide_note: "A hidden package is not sold, and its unused vouchers do not work until it is put on sale again.",
    err_name: "Give the package a name of 1 to 64 characters.",
    err_price: "The price is a whole number of shillings, 0 or more.",
    err_minutes: "The time is a whole number of minutes, above 0.",
    err_data: "Data is a whole number of MB above 0, or empty for unlimited.",
    err_speed: "A speed is a whole number of kbit/s above 0, or empty for no limit.",
    err_devices: "Devices at once is a whole number from 1 to 50.",
    err_no_package: "There is no such package.",
    settings_title: "Settings",
    venue_label: "Venue name",
    primary_label: "Main colour",
    accent_label: "Second colour",
    phone_label: "Support phone",
    terms_label: "Terms of use",
    language_label: "Default language",
    logo_heading: "Logo",
    logo_hint: "PNG, JPEG, GIF or WebP, at most 32 KB.",
    upload_button: "Upload",
    remove_logo: "Remove logo",
    no_logo: "No logo yet.",
    err_venue: "The venue name must be 1 to 64 characters.",
    err_colour: "Colours are written # and six hex digits, such as #0a7d3b.",
    err_phone: "The support phone may hold only digits, spaces, + and - (at most 24).",
    err_terms: "The terms of use may be at most 4000 characters.",
    err_language: "Choose English or Kiswahili.",
    err_logo_empty: "Choose an image file first.",
    err_logo_large: "The logo is larger than 32 KB: make it smaller.",
    err_logo_type: "The logo must be a PNG, JPEG, GIF or WebP image.",
    err_upload: "The upload could not be read. Try again.",
    err_failed: "Something went wrong. Try again.",
    duration: en_shop_duration,
    data: portal::bytes_si,
    speed: en_speed,
    first_shown: |shown, all| format!("The first {shown} of {all} codes are shown; the CSV and the printouts have them all."),
};

fn en_shop_duration(secs: i64) -> String {
    let plural = |n: i64, one: &str, many: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {many}") };
    match admin_shop::parts(secs) {
        (0, 0, m) => plural(m, "minute", "minutes"),
        (0, h, 0) => plural(h, "hour", "hours"),
        (0, h, m) => format!("{} {}", plural(h, "hour", "hours"), plural(m, "minute", "minutes")),
        (d, 0, 0) if d % 7 == 0 => plural(d / 7, "week", "weeks"),
        (d, 0, _) => plural(d, "day", "days"),
        (d, h, _) => format!("{} {}", plural(d, "day", "days"), plural(h, "hour", "hours")),
    }
}

fn en_speed(down: Option<i64>, up: Option<i64>) -> String {
    let rate = |r: Option<i64>| r.map_or_else(|| "no limit".to_owned(), |kbps| portal::rate(u32::try_from(kbps).unwrap_or(u32::MAX)));
    format!("{} down, {} up", rate(down), rate(up))
}

//! Every word in English (see `mod.rs`). One `const` per section, so each section can be
//! read (and reviewed by a speaker) on its own.

use super::*;

pub const WORDS: Words = Words { portal: PORTAL, admin: ADMIN, money: MONEY, shop: SHOP };

// ---- The portal, its status and payment pages, and the SMS texts ----
const PORTAL: PortalWords = PortalWords {};

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
    duration: en_duration,
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

fn en_duration(secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m:02} min"),
        (1, _) => format!("1 day {h} h"),
        _ => format!("{d} days {h} h"),
    }
}

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {};

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
const MONEY: AdminMoneyWords = AdminMoneyWords {};

// ---- The web admin: vouchers, packages, settings ----
const SHOP: AdminShopWords = AdminShopWords {};

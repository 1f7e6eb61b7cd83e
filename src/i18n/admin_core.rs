//! The keys of the web admin's frame, login, settings-free pages and the System page: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminCoreWords {
        // The frame: navigation and header.
        nav_dashboard, nav_devices, nav_customers, nav_payments, nav_vouchers, nav_packages, nav_settings, nav_system,
        log_out,
        // Login.
        login_title, password, log_in, wrong_password, too_many_tries, no_password_yet,
        // Refusals and errors.
        refused_title, csrf_expired, not_found_title, not_found, invalid_title, server_error, busy, request_too_big,
        // The System page.
        system_title, firewall, firewall_in_place, firewall_missing, firewall_off, clock, clock_trusted,
        clock_not_trusted, clock_now, speed_limits, none, jobs, jobs_waiting, jobs_failed, no_failed_jobs, retry,
        job_kind, job_error, job_attempts, database, database_size, version, uptime, radius, radius_requests, sync,
        sync_last_ok, sync_last_error, sync_backlog, never, devices_online, vouchers_unused, packages_on_sale,
        changes, when, who, what, details, no_changes, more_not_shown,
    }
    fns {
        /// After too many wrong passwords: when to try again.
        try_again_in: fn(u64) -> String,
    }
}

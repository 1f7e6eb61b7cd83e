//! The keys of the web admin's dashboard, customers and devices, and payments pages: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminMoneyWords {
        // The dashboard.
        dashboard_title, demo_banner, revenue_today, last_7_days, last_30_days, vouchers_sold, devices_online,
        data_today, vouchers_left, unused, price, chart_revenue, chart_devices, chart_data, no_sales, no_devices, no_data,
        total,
        // Devices online.
        devices_title, no_device_online, account, time_left, data_left, speed, unlimited, kick, kicked, not_online, next,
        previous,
        // Customers: search.
        customers_title, search_label, search, search_hint, no_customer, phone, status, created, package,
        // One customer.
        data_used, clock_not_started, add_time_or_data, minutes, megabytes, extend, extended, extend_invalid,
        disable, disabled, enable, enabled, resend, resent, no_phone, sessions, started, ended, online_now, none_yet,
        // Payments.
        payments_title, from, to, any, receipt, show, confirmed_total, count, date, amount, method, reason,
        failed_payments, no_payment, more_rows, bad_date, no_reason, demo_method, cash_method,
    }
    fns {
        /// An account's state in words.
        account_status: fn(crate::access::AccountStatus) -> &'static str,
        /// A payment's state in words.
        payment_status: fn(crate::store::payments::PaymentStatus) -> &'static str,
        /// Why a payment failed, in words.
        failure: fn(crate::store::payments::PaymentFailure) -> &'static str,
        /// A span of time left: `2 h 05 min`, `3 days 4 h`.
        duration: fn(i64) -> String,
        /// Which devices a page lists: `Devices 61 to 120 of 150`.
        shown: fn(usize, usize, usize) -> String,
    }
}

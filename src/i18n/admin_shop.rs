//! The keys of the web admin's vouchers (and their print layouts), packages and settings pages: one field per sentence or label (`&'static str`), or a
//! function for words built from values. Both `en.rs` and `sw.rs` fill every field.

words! {
    pub struct AdminShopWords {
        // Vouchers: stock and the create form.
        vouchers_title, create_heading, package_label, count_label, batch_label, create_button,
        stock_heading, col_package, col_batch, col_unused, col_used, col_expired, col_revoked,
        no_batch, no_vouchers, no_packages, open_batch,
        err_count, err_package, err_batch,
        // A batch's page.
        batch_title, col_code, col_status, col_redeemed, st_unused, st_used, st_expired, st_revoked,
        print_a4_12, print_a4_24, print_roll, download_csv, revoke, revoke_batch, revoked_note,
        err_revoke, err_no_batch,
        // The printout.
        print_title, print_nothing, print_hint, unlimited_data,
        // Packages.
        packages_title, add_heading, edit_heading, name_label, price_label, minutes_label, data_label,
        down_label, up_label, devices_label, save_button, add_button, col_price, col_time, col_data,
        col_speed, col_devices, col_sale, on_sale, hidden, hide, show, edit, unlimited, edit_note, hide_note,
        err_name, err_price, err_minutes, err_data, err_speed, err_devices, err_no_package,
        // Settings.
        settings_title, venue_label, primary_label, accent_label, phone_label, terms_label,
        language_label, logo_heading, logo_hint, upload_button, remove_logo, no_logo,
        err_venue, err_colour, err_phone, err_terms, err_language,
        err_logo_empty, err_logo_large, err_logo_type, err_upload, err_failed,
    }
    fns {
        /// A package's time: `3 hours`, `1 day`, `30 minutes`.
        duration: fn(i64) -> String,
        /// A data allowance in bytes: `500 MB`, `1.5 GB`.
        data: fn(i64) -> String,
        /// Speeds in kbit/s (`None`: no limit): `2 Mbit/s down, 512 kbit/s up`.
        speed: fn(Option<i64>, Option<i64>) -> String,
        /// A long batch's page: `The first 200 of 500 codes are shown; the CSV has them all.`
        first_shown: fn(usize, usize) -> String,
    }
}

/// Whole days, hours and minutes of `secs` (what a duration is said in).
pub fn parts(secs: i64) -> (i64, i64, i64) {
    let secs = secs.max(0);
    (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60)
}

//! The portal's request bodies (login, payment, forgotten password): any bytes to every
//! decoder, and fields from the input sent as a form and as JSON decoding alike.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::{json_bodies, split_input};

fuzz_target!(|data: &[u8]| {
    json_bodies::check_any_body(data);
    // voucher, username, password; the encoding style; which of the three are sent.
    let parts = split_input(data, 5);
    let text = |i: usize| std::str::from_utf8(parts[i]).ok();
    let sent = |i: usize| text(i).filter(|_| parts[4].get(i).is_some_and(|b| b & 1 == 1));
    json_bodies::check_login_fields(sent(0), sent(1), sent(2), parts[3]);
    if let Some(phone) = text(1) {
        let package_id = parts[2].iter().fold(0i64, |n, &b| n.wrapping_mul(257).wrapping_add(i64::from(b)));
        json_bodies::check_pay_fields(package_id, phone, parts[3]);
        json_bodies::check_forgot_fields(phone, parts[3]);
    }
});

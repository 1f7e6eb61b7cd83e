//! HTML form bodies: `form_field` against the reference decoder on any bytes, and any
//! name and value, encoded in the style the input picks, decoding to themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::{form, split_input};

fuzz_target!(|data: &[u8]| {
    form::check_form_body(data);
    let parts = split_input(data, 3);
    if let (Ok(name), Ok(value)) = (std::str::from_utf8(parts[0]), std::str::from_utf8(parts[1])) {
        form::check_form_round_trip(name, value, parts[2]);
    }
});

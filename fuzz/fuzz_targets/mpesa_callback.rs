//! The M-Pesa STK callback on any body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::callback;

fuzz_target!(|data: &[u8]| {
    callback::check_callback_body(data);
});

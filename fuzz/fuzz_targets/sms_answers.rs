//! The SMS gateways' answers: any status (the first two bytes) and body, to every provider.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::sms;

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else { return };
    sms::check_sms_answer(u16::from_be_bytes(*status) % 600, &String::from_utf8_lossy(body));
});

//! Daraja's token, push and query answers: any status (the first two bytes) and body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::daraja;

fuzz_target!(|data: &[u8]| {
    let Some((status, body)) = data.split_first_chunk::<2>() else { return };
    daraja::check_daraja_answer(u16::from_be_bytes(*status) % 600, &String::from_utf8_lossy(body));
});

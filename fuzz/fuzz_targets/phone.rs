//! Phone numbers: any text under Kenya's code or a code the first byte picks, and nine
//! digits from the input typed every usual way.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::phone;

fuzz_target!(|data: &[u8]| {
    let Some((&code, rest)) = data.split_first() else { return };
    let country_code = if code < 128 { "254".to_owned() } else { (1 + code as u32 % 999).to_string() };
    phone::check_phone_text(&String::from_utf8_lossy(rest), &country_code);
    if rest.len() >= 9 {
        let national: String = rest[..9].iter().map(|b| char::from(b'0' + b % 10)).collect();
        phone::check_phone_forms(&country_code, &national);
    }
});

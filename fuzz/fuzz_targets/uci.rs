//! The UCI file parser on any text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::uci;

fuzz_target!(|data: &[u8]| {
    uci::check_uci_text(&String::from_utf8_lossy(data));
});

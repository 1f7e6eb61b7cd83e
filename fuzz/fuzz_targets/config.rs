//! The typed configuration on any text (as it is and under a main section).
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::config;

fuzz_target!(|data: &[u8]| {
    config::check_config_text(&String::from_utf8_lossy(data));
});

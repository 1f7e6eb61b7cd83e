//! Routing on any method token and path.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::{routing, split_input};

fuzz_target!(|data: &[u8]| {
    let parts = split_input(data, 2);
    routing::check_route(parts[0], &String::from_utf8_lossy(parts[1]));
});

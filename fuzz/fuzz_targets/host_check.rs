//! The Host check on any header, local address and portal URL.
#![no_main]

use std::net::SocketAddr;

use libfuzzer_sys::fuzz_target;
use properties::{host, split_input};

fuzz_target!(|data: &[u8]| {
    let Some((address, rest)) = data.split_first_chunk::<6>() else { return };
    let local = SocketAddr::from(([address[0], address[1], address[2], address[3]], u16::from_be_bytes([address[4], address[5]])));
    let parts = split_input(rest, 2);
    let portal_url = (!parts[1].is_empty()).then(|| String::from_utf8_lossy(parts[1]).into_owned());
    host::check_host(&String::from_utf8_lossy(parts[0]), local, portal_url.as_deref());
});

//! MAC addresses and CIDR blocks: any text, and the values the input's bytes spell.
#![no_main]

use libfuzzer_sys::fuzz_target;
use properties::netaddr;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    netaddr::check_mac_text(&text);
    netaddr::check_cidr_text(&text);
    if let Some(bytes) = data.first_chunk::<6>() {
        netaddr::check_mac_round_trip(*bytes);
    }
    if let Some(&[a, b, c, d, prefix]) = data.first_chunk::<5>() {
        netaddr::check_cidr_round_trip(u32::from_be_bytes([a, b, c, d]), prefix);
    }
});

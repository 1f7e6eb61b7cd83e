//! The neighbour table: any text looked up for the address in the first four bytes, and a
//! kernel-written table of the entries the input spells (11 bytes each).
#![no_main]

use std::net::Ipv4Addr;

use libfuzzer_sys::fuzz_target;
use properties::arp;

fuzz_target!(|data: &[u8]| {
    let Some((ip, rest)) = data.split_first_chunk::<4>() else { return };
    let ip = Ipv4Addr::from(*ip);
    arp::check_arp_text(&String::from_utf8_lossy(rest), ip);
    // Few distinct addresses, so that lookups hit: 10.77.0.10 to 10.77.0.13.
    let entries: Vec<_> = rest
        .chunks_exact(11)
        .map(|c| (Ipv4Addr::new(10, 77, 0, 10 + c[0] % 4), u32::from_be_bytes([c[1], c[2], c[3], c[4]]), [c[5], c[6], c[7], c[8], c[9], c[10]]))
        .collect();
    arp::check_arp_entries(&entries, Ipv4Addr::new(10, 77, 0, 10 + ip.octets()[3] % 4));
});

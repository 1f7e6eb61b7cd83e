//! MAC addresses and IPv4 CIDR blocks (`netaddr`), from the config file, the neighbour
//! table and the CLI: text that parses is exactly the documented form and prints back to
//! its normal form, which parses to the same value; every value round-trips.

use std::net::Ipv4Addr;

use hotspotd::netaddr::{Ipv4Cidr, MacAddr};

/// Whether `s` is six pairs of hex digits separated by `:` or `-`.
fn is_mac_text(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 17
        && b.iter().enumerate().all(|(i, &c)| if i % 3 == 2 { c == b':' || c == b'-' } else { c.is_ascii_hexdigit() })
}

/// Any text as a MAC address.
pub fn check_mac_text(s: &str) {
    match s.parse::<MacAddr>() {
        Ok(mac) => {
            assert!(is_mac_text(s), "{s:?} is not a MAC address but parsed as {mac}");
            assert_eq!(mac.to_string(), s.to_ascii_lowercase().replace('-', ":"), "{s:?}");
        }
        Err(e) => {
            assert!(!is_mac_text(s), "{s:?} is a MAC address but was refused: {e}");
            assert!(e.to_string().contains("is not a MAC address"), "{e}");
        }
    }
}

/// Every MAC prints to a text that parses back to it, in either case and separator.
pub fn check_mac_round_trip(bytes: [u8; 6]) {
    let mac = MacAddr(bytes);
    let text = mac.to_string();
    for form in [text.clone(), text.to_ascii_uppercase(), text.replace(':', "-")] {
        assert_eq!(form.parse::<MacAddr>(), Ok(mac), "{form:?}");
    }
}

fn mask(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

/// Any text as a CIDR block.
pub fn check_cidr_text(s: &str) {
    let Ok(cidr) = s.parse::<Ipv4Cidr>() else { return };
    let (addr, prefix) = s.split_once('/').unwrap_or((s, "32"));
    let typed: Ipv4Addr = addr.parse().unwrap_or_else(|_| panic!("{s:?} parsed with address part {addr:?}"));
    assert!(!prefix.is_empty() && prefix.len() <= 2 && prefix.bytes().all(|b| b.is_ascii_digit()), "{s:?} parsed with prefix {prefix:?}");
    assert!(cidr.prefix <= 32 && prefix.parse::<u8>() == Ok(cidr.prefix), "{s:?} → {cidr}");
    assert_eq!(u32::from(cidr.addr), u32::from(typed) & mask(cidr.prefix), "{s:?} is not normalised to its network: {cidr}");
    assert_eq!(cidr.to_string().parse::<Ipv4Cidr>(), Ok(cidr), "{s:?} → {cidr} does not parse back");
}

/// Every address and prefix: the block is the address's network, and prints back to itself.
pub fn check_cidr_round_trip(addr: u32, prefix: u8) {
    let prefix = prefix % 33;
    let cidr: Ipv4Cidr = format!("{}/{prefix}", Ipv4Addr::from(addr)).parse().expect("a valid block");
    assert_eq!(cidr, Ipv4Cidr { addr: Ipv4Addr::from(addr & mask(prefix)), prefix });
    assert_eq!(cidr.to_string().parse::<Ipv4Cidr>(), Ok(cidr));
    if prefix == 32 {
        assert_eq!(Ipv4Addr::from(addr).to_string().parse::<Ipv4Cidr>(), Ok(cidr), "a bare address is a /32");
    }
}

//! Finds a client's MAC address from its IPv4 address in the kernel's neighbour (ARP)
//! table, `/proc/net/arp`. The parser is pure; the read is one small procfs file (memory,
//! not flash), cheap enough for the request path.
//!
//! Loopback has no neighbour table. A loopback peer is a program on the router itself (the
//! demo, the tests): `127.0.0.1` is this machine (`MacAddr::LOCAL`); any other `127.0.x.y` is
//! a device of its own (MAC `02:7f:00:00:XX:YY`), and `127.N.x.y` with N ≥ 1 is device N
//! whatever the rest of the address (MAC `02:7f:NN:00:00:00`). So the per-device limits (by
//! MAC) can be exercised over loopback by many devices, some using many addresses, as on
//! the Wi-Fi. (All locally administered MACs, which no real interface reports here.)

use std::net::Ipv4Addr;

use crate::netaddr::MacAddr;

const ARP_TABLE: &str = "/proc/net/arp";
/// ATF_COM: the entry is complete (a real reply was seen).
const FLAG_COMPLETE: u32 = 0x2;

/// The MAC of `ip` if the kernel has a complete neighbour entry for it.
pub fn mac_of(ip: Ipv4Addr) -> Option<MacAddr> {
    let table = std::fs::read_to_string(ARP_TABLE).ok()?;
    find_in_arp_table(&table, ip)
}

/// The device a loopback address stands for (see the module documentation).
pub fn loopback_device(ip: Ipv4Addr) -> MacAddr {
    match ip.octets() {
        [_, 0, 0, 1] => MacAddr::LOCAL,
        [_, 0, x, y] => MacAddr([0x02, 0x7f, 0, 0, x, y]),
        [_, n, _, _] => MacAddr([0x02, 0x7f, n, 0, 0, 0]),
    }
}

pub fn find_in_arp_table(table: &str, ip: Ipv4Addr) -> Option<MacAddr> {
    table.lines().skip(1).find_map(|line| {
        let mut cols = line.split_whitespace();
        let (addr, _hw_type, flags, mac) = (cols.next()?, cols.next()?, cols.next()?, cols.next()?);
        if addr.parse::<Ipv4Addr>().ok()? != ip {
            return None;
        }
        // As the kernel writes them: `0x` and hex digits (from_str_radix alone takes a sign).
        let flags = flags.strip_prefix("0x").filter(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_hexdigit()))?;
        let flags = u32::from_str_radix(flags, 16).ok()?;
        let mac: MacAddr = mac.parse().ok()?;
        (flags & FLAG_COMPLETE != 0 && mac != MacAddr::LOCAL).then_some(mac)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = "\
IP address       HW type     Flags       HW address            Mask     Device
10.77.0.11       0x1         0x2         02:00:00:00:00:01     *        br-lan
10.77.0.12       0x1         0x0         00:00:00:00:00:00     *        br-lan
10.77.0.13       0x1         0x6         02:00:00:00:00:03     *        br-lan
";

    #[test]
    fn finds_complete_entries_only() {
        let find = |last| find_in_arp_table(TABLE, Ipv4Addr::new(10, 77, 0, last));
        assert_eq!(find(11), Some("02:00:00:00:00:01".parse().unwrap()));
        assert_eq!(find(12), None, "incomplete entry");
        assert_eq!(find(13), Some("02:00:00:00:00:03".parse().unwrap()));
        assert_eq!(find(14), None, "absent");
        assert_eq!(find_in_arp_table("garbage\nmore garbage here x y", Ipv4Addr::new(1, 2, 3, 4)), None);
    }

    #[test]
    fn flags_are_read_only_as_the_kernel_writes_them() {
        // `082`, `0x0x2` and `+2` were all read as complete entries.
        for flags in ["082", "0x0x2", "+2", "0x+2", "0x"] {
            let table = format!("header\n10.77.0.11       0x1         {flags:<11} 02:00:00:00:00:01     *        br-lan\n");
            assert_eq!(find_in_arp_table(&table, Ipv4Addr::new(10, 77, 0, 11)), None, "{flags}");
        }
    }

    #[test]
    fn loopback_addresses_stand_for_devices() {
        let device = |a, b, c| loopback_device(Ipv4Addr::new(127, a, b, c));
        assert_eq!(device(0, 0, 1), MacAddr::LOCAL);
        assert_eq!(device(0, 0, 2).to_string(), "02:7f:00:00:00:02", "another address, another device");
        assert_eq!(device(0, 1, 2).to_string(), "02:7f:00:00:01:02");
        assert_eq!(device(3, 0, 1).to_string(), "02:7f:03:00:00:00");
        assert_eq!(device(3, 7, 9), device(3, 0, 1), "device 3, another address");
        assert_ne!(device(4, 0, 1), device(3, 0, 1));
    }
}

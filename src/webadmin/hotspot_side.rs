//! Whether an admin request comes from the hotspot side, where it is refused: the peer's
//! address lies in the subnet of the client-facing `interface` (its IPv4 address and
//! netmask), or the kernel's neighbour table has it on that interface. The nft table drops
//! such packets too (`firewall::nft`); this is the daemon's own check, for a router whose
//! table is missing or `firewall 'none'`. The interface `lo` (the demo) refuses nobody.
//!
//! `refused` is the pure rule; `interface_subnets` and `neighbour_interface` read the kernel.

use std::net::{IpAddr, Ipv4Addr};

/// An address with its prefix length: one subnet of an interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Subnet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix.min(32))).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix.min(128))).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as the IPv4 address it is.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The rule: refused if the interface is not `lo` and the peer is in one of its subnets or
/// the neighbour table puts it on that interface.
pub fn refused(interface: &str, peer: IpAddr, subnets: &[Subnet], neighbour_on: Option<&str>) -> bool {
    if interface == "lo" {
        return false;
    }
    let peer = canonical(peer);
    subnets.iter().any(|s| s.contains(peer)) || neighbour_on == Some(interface)
}

/// Reads the kernel's view and applies the rule.
pub fn is_refused(interface: &str, peer: IpAddr) -> bool {
    if interface == "lo" {
        return false;
    }
    let neighbour = match canonical(peer) {
        IpAddr::V4(v4) => neighbour_interface(v4),
        IpAddr::V6(_) => None,
    };
    refused(interface, peer, &interface_subnets(interface), neighbour.as_deref())
}

/// The interface the kernel's ARP table has `ip` on (`/proc/net/arp`, last column).
pub fn neighbour_interface(ip: Ipv4Addr) -> Option<String> {
    let table = std::fs::read_to_string("/proc/net/arp").ok()?;
    interface_in_arp_table(&table, ip).map(str::to_owned)
}

/// The `Device` column of `ip`'s entry, complete or not (an incomplete entry on the hotspot
/// side is still the hotspot side).
pub fn interface_in_arp_table(table: &str, ip: Ipv4Addr) -> Option<&str> {
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        (cols.len() >= 6 && cols[0].parse::<Ipv4Addr>().ok()? == ip).then(|| cols[5])
    })
}

/// The subnets of `interface`: its IPv4 address and netmask (`SIOCGIFADDR`,
/// `SIOCGIFNETMASK`; the hotspot's clients are IPv4, and the neighbour table covers any
/// other address they hold). Empty if it has none or cannot be read. Not `getifaddrs`: musl
/// reads that over netlink, which qemu-user does not translate for a big-endian guest (the
/// mips tests in CI spun there for ever).
pub fn interface_subnets(interface: &str) -> Vec<Subnet> {
    ipv4_subnet(interface).into_iter().collect()
}

fn ipv4_subnet(interface: &str) -> Option<Subnet> {
    let name = interface.as_bytes();
    if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains(&0) {
        return None;
    }
    // SAFETY: a plain socket, closed below; only used for the two ioctls.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    // The request numbers are `c_ulong` on glibc and `c_int`-sized on musl; `as _` takes either.
    let ask = |request: u64| -> Option<u32> {
        // SAFETY: an all-zero ifreq is valid; the name is copied in NUL-terminated (checked
        // shorter than IFNAMSIZ above).
        let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
        for (to, from) in req.ifr_name.iter_mut().zip(name) {
            *to = *from as libc::c_char;
        }
        // SAFETY: both requests fill the ifreq's address with a sockaddr_in for AF_INET.
        unsafe {
            if libc::ioctl(fd, request as _, &mut req) != 0 {
                return None;
            }
            let sin = &*(std::ptr::addr_of!(req.ifr_ifru) as *const libc::sockaddr_in);
            Some(u32::from_be(sin.sin_addr.s_addr))
        }
    };
    #[allow(clippy::useless_conversion)] // the constants are u64 on glibc, u32 on musl
    let (addr, mask) = (ask(u64::from(libc::SIOCGIFADDR)), ask(u64::from(libc::SIOCGIFNETMASK)));
    // SAFETY: our own descriptor, closed once.
    unsafe { libc::close(fd) };
    Some(Subnet { addr: IpAddr::V4(Ipv4Addr::from(addr?)), prefix: mask?.count_ones() as u8 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(s: &str, prefix: u8) -> Subnet {
        Subnet { addr: s.parse().unwrap(), prefix }
    }

    #[test]
    fn the_hotspot_side_is_refused_and_the_lan_is_not() {
        let hotspot = [subnet("10.77.0.1", 24), subnet("fd00:77::1", 64)];
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(refused("br-guest", ip("10.77.0.23"), &hotspot, None));
        assert!(refused("br-guest", ip("::ffff:10.77.0.23"), &hotspot, None), "v4-mapped");
        assert!(refused("br-guest", ip("fd00:77::abcd"), &hotspot, None));
        assert!(!refused("br-guest", ip("192.168.1.23"), &hotspot, None), "the LAN");
        assert!(refused("br-guest", ip("192.168.1.23"), &hotspot, Some("br-guest")), "a neighbour on the hotspot side with a foreign address");
        assert!(!refused("br-guest", ip("192.168.1.23"), &hotspot, Some("br-lan")));
        assert!(!refused("lo", ip("127.0.0.1"), &[subnet("127.0.0.1", 8)], Some("lo")), "the demo refuses nobody");
        assert!(refused("br-guest", ip("10.0.0.5"), &[subnet("10.0.0.1", 0)], None), "a /0 holds everything");
    }

    #[test]
    fn subnets_hold_their_addresses() {
        assert!(subnet("10.77.0.1", 24).contains("10.77.0.255".parse().unwrap()));
        assert!(!subnet("10.77.0.1", 24).contains("10.77.1.1".parse().unwrap()));
        assert!(subnet("10.77.0.1", 32).contains("10.77.0.1".parse().unwrap()));
        assert!(!subnet("10.77.0.1", 24).contains("fd00::1".parse().unwrap()));
    }

    #[test]
    fn the_arp_tables_device_column_is_read() {
        let table = "IP address       HW type     Flags       HW address            Mask     Device\n\
                     10.77.0.11       0x1         0x2         02:00:00:00:00:01     *        br-guest\n\
                     192.168.1.5      0x1         0x0         00:00:00:00:00:00     *        br-lan\n";
        assert_eq!(interface_in_arp_table(table, Ipv4Addr::new(10, 77, 0, 11)), Some("br-guest"));
        assert_eq!(interface_in_arp_table(table, Ipv4Addr::new(192, 168, 1, 5)), Some("br-lan"));
        assert_eq!(interface_in_arp_table(table, Ipv4Addr::new(1, 1, 1, 1)), None);
    }

    #[test]
    fn loopback_has_a_subnet() {
        assert!(interface_subnets("lo").iter().any(|s| s.contains(IpAddr::V4(Ipv4Addr::LOCALHOST))));
        assert!(interface_subnets("no-such-if0").is_empty());
    }
}

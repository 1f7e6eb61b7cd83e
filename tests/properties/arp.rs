//! The kernel's neighbour table (`portal::neighbours::find_in_arp_table`, read from
//! `/proc/net/arp`), which decides which device a portal request comes from: the MAC found
//! is that of the first complete entry for the address, never the "no MAC" placeholder.

use std::net::Ipv4Addr;

use hotspotd::netaddr::MacAddr;
use hotspotd::portal::neighbours::find_in_arp_table;

const HEADER: &str = "IP address       HW type     Flags       HW address            Mask     Device\n";

/// ATF_COM: a complete entry.
const COMPLETE: u32 = 0x2;

/// Any text and address: what is found comes from a line (not the header) for that
/// address whose flags say complete.
pub fn check_arp_text(table: &str, ip: Ipv4Addr) {
    let Some(mac) = find_in_arp_table(table, ip) else { return };
    assert_ne!(mac, MacAddr::LOCAL, "the placeholder MAC was found for {ip} in {table:?}");
    let from_a_line = table.lines().skip(1).any(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        cols.len() >= 4
            && cols[0].parse::<Ipv4Addr>() == Ok(ip)
            && cols[2].strip_prefix("0x").and_then(|f| u32::from_str_radix(f, 16).ok()).is_some_and(|f| f & COMPLETE != 0)
            && cols[3].parse::<MacAddr>() == Ok(mac)
    });
    assert!(from_a_line, "{mac} for {ip} is on no complete line of {table:?}");
}

/// A table as the kernel writes it, from (address, flags, MAC) entries.
pub fn table_of(entries: &[(Ipv4Addr, u32, [u8; 6])]) -> String {
    let mut table = String::from(HEADER);
    for (ip, flags, mac) in entries {
        table.push_str(&format!("{:<16} 0x1         {:<11} {:<21} *        br-lan\n", ip.to_string(), format!("0x{flags:x}"), MacAddr(*mac)));
    }
    table
}

/// Lookups in a kernel-written table give the first complete entry with a real MAC.
pub fn check_arp_entries(entries: &[(Ipv4Addr, u32, [u8; 6])], ip: Ipv4Addr) {
    let table = table_of(entries);
    let expected = entries
        .iter()
        .find(|(addr, flags, mac)| *addr == ip && flags & COMPLETE != 0 && MacAddr(*mac) != MacAddr::LOCAL)
        .map(|(_, _, mac)| MacAddr(*mac));
    assert_eq!(find_in_arp_table(&table, ip), expected, "{ip} in\n{table}");
}

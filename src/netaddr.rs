//! Small address types the rest of the daemon shares: a device's MAC address and an IPv4
//! CIDR block. Pure parsing and formatting, no I/O.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

/// A 48-bit Ethernet address, shown as lowercase `aa:bb:cc:dd:ee:ff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// Stands for "this machine" when a client talks to the portal over loopback (the demo).
    pub const LOCAL: MacAddr = MacAddr([0; 6]);

    /// Reads a RADIUS Calling-Station-Id in any spelling NASes use: `AA:BB:CC:DD:EE:FF`
    /// (MikroTik), `AA-BB-CC-DD-EE-FF` (CoovaChilli, uspot), `aabb.ccdd.eeff` (Cisco),
    /// `aabb-ccdd-eeff`, `aabbcc-ddeeff`, or bare hex `AABBCCDDEEFF`, any case, spaces around
    /// ignored. One separator kind, groups of equal length; `None` for anything else (a
    /// phone number, an IP address), so one device is one device whatever its NAS writes.
    pub fn from_calling_station(text: &str) -> Option<MacAddr> {
        let text = text.trim();
        let separator = text.bytes().find(|b| matches!(b, b':' | b'-' | b'.'));
        let groups = match separator {
            Some(sep) => text.split(sep as char).collect::<Vec<_>>(),
            None => vec![text],
        };
        let width = match (groups.len(), separator) {
            (6, Some(b':' | b'-')) => 2,
            (3, Some(b'.' | b'-')) => 4,
            (2, Some(b'-' | b':')) => 6,
            (1, None) => 12,
            _ => return None,
        };
        let mut hex = [0u8; 12];
        let mut at = 0;
        for group in groups {
            // ASCII hex digits only (`from_str_radix` would take a sign).
            if group.len() != width || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            hex[at..at + width].copy_from_slice(group.as_bytes());
            at += width;
        }
        let mut bytes = [0u8; 6];
        for (byte, pair) in bytes.iter_mut().zip(hex.chunks_exact(2)) {
            let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
            *byte = digit(pair[0])? << 4 | digit(pair[1])?;
        }
        Some(MacAddr(bytes))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(f, "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2], b[3], b[4], b[5])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadMac(pub String);

impl fmt::Display for BadMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a MAC address (expected aa:bb:cc:dd:ee:ff)", self.0)
    }
}

impl std::error::Error for BadMac {}

impl FromStr for MacAddr {
    type Err = BadMac;

    /// Accepts `:` or `-` separators, any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadMac(s.to_owned());
        let mut bytes = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in &mut bytes {
            let part = parts.next().ok_or_else(bad)?;
            // Two hex digits exactly (`u8::from_str_radix` would also take `+f`, a sign).
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
        }
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(MacAddr(bytes))
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MacAddr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// An IPv4 network such as `198.51.100.0/24` (a bare address means `/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            // Digits only: `u8::from_str` would also take a sign (`/+8`).
            Some((a, p)) if (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) => (a, p.parse::<u8>().ok().filter(|p| *p <= 32)),
            Some((a, _)) => (a, None),
            None => (s, Some(32)),
        };
        let bad = || format!("`{s}` is not an IPv4 address or CIDR block (e.g. 198.51.100.0/24)");
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        let prefix = prefix.ok_or_else(bad)?;
        // Normalise to the network address so nft accepts it in an interval set.
        let mask = if prefix == 0 { 0 } else { u32::MAX << (32 - prefix) };
        Ok(Ipv4Cidr { addr: Ipv4Addr::from(u32::from(addr) & mask), prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_round_trips_and_rejects_garbage() {
        let mac: MacAddr = "02-00-00-AB-cd-0F".parse().unwrap();
        assert_eq!(mac.to_string(), "02:00:00:ab:cd:0f");
        for bad in ["", "02:00:00:00:00", "02:00:00:00:00:00:00", "zz:00:00:00:00:00", "2:0:0:0:0:0"] {
            assert!(bad.parse::<MacAddr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn calling_station_ids_in_every_spelling_are_one_device() {
        let mac = MacAddr([0xaa, 0xbb, 0xcc, 0x0d, 0xee, 0x0f]);
        for spelling in [
            "AA:BB:CC:0D:EE:0F",
            "aa:bb:cc:0d:ee:0f",
            "AA-BB-CC-0D-EE-0F",
            "aa-bb-cc-0d-ee-0f",
            "AABBCC0DEE0F",
            "aabbcc0dee0f",
            "aabb.cc0d.ee0f",
            "AABB-CC0D-EE0F",
            "aabbcc-0dee0f",
            " AA:BB:CC:0D:EE:0F ",
        ] {
            assert_eq!(MacAddr::from_calling_station(spelling), Some(mac), "{spelling}");
        }
        for garbage in [
            "",
            "AA:BB:CC:0D:EE",
            "AA:BB:CC:0D:EE:0F:11",
            "AA:BB-CC:0D:EE:0F",
            "AA:BB:CC:0D:EE:0G",
            "A:BB:CC:0D:EE:0FF",
            "+A:BB:CC:0D:EE:0F",
            "AABBCC0DEE0",
            "AABBCC0DEE0F0",
            "aabb.cc0d.ee0f.1122",
            "aabb:cc0d:ee0f",
            "192.168.88.10",
            "+254712345678",
            "ÄA:BB:CC:0D:EE:0F",
        ] {
            assert_eq!(MacAddr::from_calling_station(garbage), None, "{garbage}");
        }
    }

    #[test]
    fn cidr_parses_and_normalises() {
        assert_eq!("198.51.100.7/24".parse::<Ipv4Cidr>().unwrap().to_string(), "198.51.100.0/24");
        assert_eq!("1.2.3.4".parse::<Ipv4Cidr>().unwrap().to_string(), "1.2.3.4/32");
        assert!("1.2.3.4/33".parse::<Ipv4Cidr>().is_err());
        assert!("example.com".parse::<Ipv4Cidr>().is_err());
    }

    #[test]
    fn signs_are_not_digits() {
        // Both used to be accepted: from_str_radix and u8::from_str take a leading `+`.
        assert!("+2:00:00:00:00:01".parse::<MacAddr>().is_err());
        assert!("02:00:00:00:00:+a".parse::<MacAddr>().is_err());
        assert!("1.2.3.4/+8".parse::<Ipv4Cidr>().is_err());
        assert!("1.2.3.4/".parse::<Ipv4Cidr>().is_err());
        assert!("1.2.3.4/008".parse::<Ipv4Cidr>().is_err());
        assert_eq!("1.2.3.4/08".parse::<Ipv4Cidr>().unwrap().to_string(), "1.0.0.0/8");
    }
}

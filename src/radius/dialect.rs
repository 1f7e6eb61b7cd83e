//! How a package's limits are spoken to each family of NAS, and read back from a RADIUS
//! server's reply: Session-Timeout for time; MikroTik, ChilliSpot (CoovaChilli, uspot) and
//! WISPr vendor attributes for the data left and the speeds. Pure.
//!
//! | vendor   | data left                                         | speeds                                          |
//! |----------|---------------------------------------------------|-------------------------------------------------|
//! | mikrotik | Mikrotik-Total-Limit + Mikrotik-Total-Limit-Gigawords | Mikrotik-Rate-Limit `UPk/DOWNk` (rx/tx as the router sees it) |
//! | chilli   | ChilliSpot-Max-Total-Octets (at most 4 GiB)       | ChilliSpot-Bandwidth-Max-Up / -Down, kbit/s     |
//! | wispr    | (none in the dictionary)                          | WISPr-Bandwidth-Max-Up / -Down, bit/s           |
//! | generic  | (none)                                            | (none)                                          |
//!
//! A NAS reads 0 as "no limit", so a limit of nothing left is sent as 1 (byte, second).

use std::fmt;
use std::str::FromStr;

use super::dictionary::*;
use super::packet::Packet;
use crate::firewall::Rate;
use crate::sessions::enforcement::NasLimits;

/// The family of a NAS, which decides the attributes it understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Vendor {
    Mikrotik,
    /// ChilliSpot, CoovaChilli and uspot.
    Chilli,
    Wispr,
    /// Session-Timeout only.
    Generic,
}

impl Vendor {
    pub fn as_str(self) -> &'static str {
        match self {
            Vendor::Mikrotik => "mikrotik",
            Vendor::Chilli => "chilli",
            Vendor::Wispr => "wispr",
            Vendor::Generic => "generic",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown NAS vendor `{0}` (mikrotik, chilli, wispr or generic)")]
pub struct UnknownVendor(pub String);

impl FromStr for Vendor {
    type Err = UnknownVendor;

    fn from_str(s: &str) -> Result<Vendor, UnknownVendor> {
        match s {
            "mikrotik" => Ok(Vendor::Mikrotik),
            "chilli" => Ok(Vendor::Chilli),
            "wispr" => Ok(Vendor::Wispr),
            "generic" => Ok(Vendor::Generic),
            other => Err(UnknownVendor(other.to_string())),
        }
    }
}

/// Adds Session-Timeout (at least 1), the data left and the speeds in `vendor`'s dialect
/// (see the table above). Speeds are sent only when one of them is limited.
pub fn push_limits(packet: &mut Packet, vendor: Vendor, limits: &NasLimits) {
    packet.push_u32(SESSION_TIMEOUT, limits.session_timeout_secs.clamp(1, u64::from(u32::MAX)) as u32);
    let data = limits.data_left_bytes.map(|d| d.max(1));
    let rate = limits.rate;
    let limited = rate.up_kbps.is_some() || rate.down_kbps.is_some();
    match vendor {
        Vendor::Mikrotik => {
            if let Some(data) = data {
                // Both always: a CoA that lowers a quota must also clear the old gigawords.
                packet.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT, data as u32);
                packet.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS, (data >> 32).min(u64::from(u32::MAX)) as u32);
            }
            if limited {
                let side = |kbps: Option<u32>| kbps.map_or_else(|| "0".to_string(), |k| format!("{k}k"));
                packet.push_vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT, format!("{}/{}", side(rate.up_kbps), side(rate.down_kbps)).into_bytes());
            }
        }
        Vendor::Chilli => {
            if let Some(data) = data {
                packet.push_vendor_u32(VENDOR_CHILLI, CHILLI_MAX_TOTAL_OCTETS, data.min(u64::from(u32::MAX)) as u32);
            }
            if let Some(up) = rate.up_kbps {
                packet.push_vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_UP, up);
            }
            if let Some(down) = rate.down_kbps {
                packet.push_vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_DOWN, down);
            }
        }
        Vendor::Wispr => {
            if let Some(up) = rate.up_kbps {
                packet.push_vendor_u32(VENDOR_WISPR, WISPR_BANDWIDTH_MAX_UP, up.saturating_mul(1000));
            }
            if let Some(down) = rate.down_kbps {
                packet.push_vendor_u32(VENDOR_WISPR, WISPR_BANDWIDTH_MAX_DOWN, down.saturating_mul(1000));
            }
        }
        Vendor::Generic => {}
    }
}

/// The limits a RADIUS server's Access-Accept gives, in whichever dialect it speaks
/// (MikroTik first, then ChilliSpot, then WISPr, per limit). A 0 is no limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplyLimits {
    pub session_timeout_secs: Option<u64>,
    pub data_bytes: Option<u64>,
    pub rate: Rate,
}

pub fn limits_from_reply(packet: &Packet) -> ReplyLimits {
    let mikrotik_data = match (packet.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), packet.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS)) {
        (None, None) => None,
        (octets, gigawords) => Some((u64::from(gigawords.unwrap_or(0)) << 32) | u64::from(octets.unwrap_or(0))),
    };
    let data_bytes = mikrotik_data.filter(|&d| d > 0).or_else(|| packet.vendor_u32(VENDOR_CHILLI, CHILLI_MAX_TOTAL_OCTETS).filter(|&d| d > 0).map(u64::from));
    let (mikrotik_up, mikrotik_down) = packet
        .vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT)
        .and_then(|v| std::str::from_utf8(v).ok())
        .map(parse_mikrotik_rate)
        .unwrap_or((None, None));
    let chilli = |t| packet.vendor_u32(VENDOR_CHILLI, t);
    let wispr = |t| packet.vendor_u32(VENDOR_WISPR, t).map(|bits: u32| bits.div_ceil(1000));
    let rate = Rate {
        up_kbps: mikrotik_up.or_else(|| chilli(CHILLI_BANDWIDTH_MAX_UP)).or_else(|| wispr(WISPR_BANDWIDTH_MAX_UP)).filter(|&k| k > 0),
        down_kbps: mikrotik_down.or_else(|| chilli(CHILLI_BANDWIDTH_MAX_DOWN)).or_else(|| wispr(WISPR_BANDWIDTH_MAX_DOWN)).filter(|&k| k > 0),
    };
    ReplyLimits { session_timeout_secs: packet.get_u32(SESSION_TIMEOUT).map(u64::from), data_bytes, rate }
}

/// Mikrotik-Rate-Limit `rx[/tx] [bursts…]` → (up, down) in kbit/s. rx (what the router
/// receives) is the client's upload; a missing tx is the same as rx. Unparsable → none.
fn parse_mikrotik_rate(text: &str) -> (Option<u32>, Option<u32>) {
    let first = text.split_whitespace().next().unwrap_or("");
    let mut sides = first.splitn(2, '/');
    let rx = sides.next().and_then(parse_mikrotik_speed);
    let tx = match sides.next() {
        Some(tx) => parse_mikrotik_speed(tx),
        None => rx,
    };
    (rx, tx)
}

/// `512k`, `2M`, `1G` or bit/s → kbit/s (k = 1000).
fn parse_mikrotik_speed(text: &str) -> Option<u32> {
    let (digits, per_kbit) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1u64),
        b'M' | b'm' => (&text[..text.len() - 1], 1_000),
        b'G' | b'g' => (&text[..text.len() - 1], 1_000_000),
        _ => (text, 0),
    };
    let n: u64 = digits.parse().ok()?;
    let kbps = if per_kbit == 0 { n.div_ceil(1000) } else { n.saturating_mul(per_kbit) };
    Some(kbps.min(u64::from(u32::MAX)) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::radius::packet::Code;

    fn limits(secs: u64, data: Option<u64>, up: Option<u32>, down: Option<u32>) -> NasLimits {
        NasLimits { session_timeout_secs: secs, data_left_bytes: data, rate: Rate { up_kbps: up, down_kbps: down } }
    }

    fn pushed(vendor: Vendor, l: &NasLimits) -> Packet {
        let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        push_limits(&mut p, vendor, l);
        Packet::decode(&p.encode()).unwrap()
    }

    #[test]
    fn mikrotik_gets_total_limit_with_gigawords_and_rx_tx_rate() {
        let five_gib = 5 * (1u64 << 30);
        let p = pushed(Vendor::Mikrotik, &limits(3600, Some(five_gib), Some(512), Some(2048)));
        assert_eq!(p.get_u32(SESSION_TIMEOUT), Some(3600));
        assert_eq!(p.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), Some((five_gib & 0xFFFF_FFFF) as u32));
        assert_eq!(p.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS), Some(1));
        assert_eq!(p.vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT), Some(&b"512k/2048k"[..]), "rx (upload) first");
        let back = limits_from_reply(&p);
        assert_eq!(back, ReplyLimits { session_timeout_secs: Some(3600), data_bytes: Some(five_gib), rate: Rate { up_kbps: Some(512), down_kbps: Some(2048) } });

        let p = pushed(Vendor::Mikrotik, &limits(0, Some(0), None, Some(1024)));
        assert_eq!(p.get_u32(SESSION_TIMEOUT), Some(1), "never 0: a NAS reads 0 as no limit");
        assert_eq!(p.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), Some(1));
        assert_eq!(p.vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS), Some(0));
        assert_eq!(p.vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT), Some(&b"0/1024k"[..]));
        assert_eq!(limits_from_reply(&p).rate, Rate { up_kbps: None, down_kbps: Some(1024) });

        let p = pushed(Vendor::Mikrotik, &limits(u64::MAX, None, None, None));
        assert_eq!(p.get_u32(SESSION_TIMEOUT), Some(u32::MAX));
        assert_eq!(p.attributes.len(), 1, "no data or rate attributes when unlimited");
    }

    #[test]
    fn chilli_gets_max_total_octets_and_kbit_bandwidth() {
        let p = pushed(Vendor::Chilli, &limits(60, Some(10_000_000), Some(256), Some(1024)));
        assert_eq!(p.get_u32(SESSION_TIMEOUT), Some(60));
        assert_eq!(p.vendor_u32(VENDOR_CHILLI, CHILLI_MAX_TOTAL_OCTETS), Some(10_000_000));
        assert_eq!(p.vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_UP), Some(256));
        assert_eq!(p.vendor_u32(VENDOR_CHILLI, CHILLI_BANDWIDTH_MAX_DOWN), Some(1024));
        assert_eq!(p.vendor(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT), None);
        assert_eq!(limits_from_reply(&p), ReplyLimits { session_timeout_secs: Some(60), data_bytes: Some(10_000_000), rate: Rate { up_kbps: Some(256), down_kbps: Some(1024) } });
        let p = pushed(Vendor::Chilli, &limits(60, Some(1 << 40), None, None));
        assert_eq!(p.vendor_u32(VENDOR_CHILLI, CHILLI_MAX_TOTAL_OCTETS), Some(u32::MAX), "capped at what 32 bits hold");
    }

    #[test]
    fn wispr_gets_bandwidth_in_bits_and_generic_only_the_timeout() {
        let p = pushed(Vendor::Wispr, &limits(90, Some(5_000), Some(256), Some(1024)));
        assert_eq!(p.vendor_u32(VENDOR_WISPR, WISPR_BANDWIDTH_MAX_UP), Some(256_000));
        assert_eq!(p.vendor_u32(VENDOR_WISPR, WISPR_BANDWIDTH_MAX_DOWN), Some(1_024_000));
        assert_eq!(p.attributes.len(), 3);
        assert_eq!(limits_from_reply(&p), ReplyLimits { session_timeout_secs: Some(90), data_bytes: None, rate: Rate { up_kbps: Some(256), down_kbps: Some(1024) } });

        let p = pushed(Vendor::Generic, &limits(90, Some(5_000), Some(256), Some(1024)));
        assert_eq!(p.attributes.len(), 1);
        assert_eq!(p.get_u32(SESSION_TIMEOUT), Some(90));
        assert_eq!(limits_from_reply(&p), ReplyLimits { session_timeout_secs: Some(90), ..ReplyLimits::default() });
    }

    #[test]
    fn replies_in_other_spellings() {
        let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        p.push_vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT, &b"2M/4M 4M/8M 1M/2M 10/10"[..]);
        p.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT_GIGAWORDS, 2);
        assert_eq!(limits_from_reply(&p), ReplyLimits { session_timeout_secs: None, data_bytes: Some(2 << 32), rate: Rate { up_kbps: Some(2000), down_kbps: Some(4000) } });
        assert_eq!(parse_mikrotik_rate("512k"), (Some(512), Some(512)), "no tx: the same as rx");
        assert_eq!(parse_mikrotik_rate("128000/1G"), (Some(128), Some(1_000_000)));
        assert_eq!(parse_mikrotik_rate("fast/"), (None, None));
        assert_eq!(parse_mikrotik_rate(""), (None, None));
        let mut p = Packet::new(Code::AccessAccept, 1, [0; 16]);
        p.push_vendor_u32(VENDOR_MIKROTIK, MIKROTIK_TOTAL_LIMIT, 0);
        p.push_vendor_u32(VENDOR_CHILLI, CHILLI_MAX_TOTAL_OCTETS, 77);
        p.push_vendor(VENDOR_MIKROTIK, MIKROTIK_RATE_LIMIT, &b"0/0"[..]);
        p.push_vendor_u32(VENDOR_WISPR, WISPR_BANDWIDTH_MAX_DOWN, 1500);
        assert_eq!(limits_from_reply(&p), ReplyLimits { session_timeout_secs: None, data_bytes: Some(77), rate: Rate { up_kbps: None, down_kbps: None } }, "0 is no limit, and MikroTik's 0/0 says so first");
        assert_eq!("chilli".parse::<Vendor>(), Ok(Vendor::Chilli));
        assert_eq!("coova".parse::<Vendor>(), Err(UnknownVendor("coova".into())));
        assert_eq!(Vendor::Wispr.to_string(), "wispr");
    }
}

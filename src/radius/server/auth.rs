//! Access-Request → `NasLogin`, and the decision → Access-Accept / Access-Reject bytes.
//! Pure (no sockets, no database): `mod.rs` feeds it datagrams and sends what it returns.
//!
//! Checks, in order: a RADIUS packet (codec), an Access-Request, the Message-Authenticator
//! (a wrong one always drops; a missing one drops when the NAS entry requires it, the
//! BlastRADIUS default), a User-Name, then the password: PAP (User-Password unhidden with
//! the secret) or CHAP (CHAP-Password, with CHAP-Challenge or else the Request
//! Authenticator as the challenge). No password attribute at all is an empty PAP password
//! (MAC authentication, voucher setups without one).

use std::net::Ipv4Addr;

use super::stats::Dropped;
use super::ReplyTo;
use crate::access::Refusal;
use crate::netaddr::MacAddr;
use crate::i18n::Lang;
use crate::radius::crypto::{self, MessageAuthenticator};
use crate::radius::dictionary as dict;
use crate::radius::packet::{Code, Packet, PacketRef, MAX_VALUE_LEN};
use crate::radius::{dialect, Nas};
use crate::sessions::nas::{NasGrant, NasLogin, PasswordCheck};

/// Reads an Access-Request from `nas`: the login to decide and what its reply needs.
pub fn read(raw: &[u8], nas: &Nas) -> Result<(NasLogin, ReplyTo), Dropped> {
    let packet = PacketRef::parse(raw).map_err(|_| Dropped::Malformed)?;
    if packet.code() != Code::AccessRequest {
        return Err(Dropped::Malformed);
    }
    match crypto::check_message_authenticator(raw, nas.secret.as_bytes(), None) {
        MessageAuthenticator::Valid => {}
        MessageAuthenticator::Invalid => return Err(Dropped::MessageAuthenticator),
        MessageAuthenticator::Absent if nas.require_message_authenticator => return Err(Dropped::MessageAuthenticator),
        MessageAuthenticator::Absent => {}
    }
    let username = packet.get(dict::USER_NAME).and_then(|v| std::str::from_utf8(v).ok()).ok_or(Dropped::Malformed)?;
    let authenticator = packet.authenticator();
    let password = if let Some(hidden) = packet.get(dict::USER_PASSWORD) {
        let clear = crypto::unhide_password(hidden, nas.secret.as_bytes(), &authenticator).ok_or(Dropped::Malformed)?;
        PasswordCheck::Pap(clear)
    } else if let Some(chap) = packet.get(dict::CHAP_PASSWORD) {
        if chap.len() != 17 {
            return Err(Dropped::Malformed);
        }
        let challenge = packet.get(dict::CHAP_CHALLENGE).unwrap_or(&authenticator);
        PasswordCheck::Chap { chap_password: chap.to_vec(), challenge: challenge.to_vec() }
    } else {
        PasswordCheck::Pap(Vec::new())
    };
    let login = NasLogin {
        nas: nas.name.clone(),
        username: username.to_owned(),
        password,
        mac: calling_station(&packet),
        ip: framed_ip(&packet),
    };
    Ok((login, ReplyTo::of(&packet)))
}

/// The Calling-Station-Id as a MAC, in whatever spelling the NAS used.
pub fn calling_station(packet: &PacketRef) -> Option<MacAddr> {
    packet.get(dict::CALLING_STATION_ID).and_then(|v| std::str::from_utf8(v).ok()).and_then(MacAddr::from_calling_station)
}

pub fn framed_ip(packet: &PacketRef) -> Option<Ipv4Addr> {
    packet.get(dict::FRAMED_IP_ADDRESS).and_then(|v| <[u8; 4]>::try_from(v).ok()).map(Ipv4Addr::from)
}

/// The Access-Accept for `grant`: its limits in the NAS's dialect, the interim interval,
/// the Class that binds accounting to this login, the Proxy-States, a Message-Authenticator.
pub fn accept(to: &ReplyTo, nas: &Nas, grant: &NasGrant, interim_interval: u32) -> Vec<u8> {
    let mut reply = Packet::new(Code::AccessAccept, to.identifier, [0; 16]);
    dialect::push_limits(&mut reply, nas.vendor, &grant.limits);
    reply.push_u32(dict::ACCT_INTERIM_INTERVAL, interim_interval.max(60));
    if !grant.class.is_empty() && grant.class.len() <= MAX_VALUE_LEN {
        reply.push(dict::CLASS, grant.class.clone());
    }
    to.echo_proxy_states(&mut reply);
    crypto::encode_reply(&reply, &to.authenticator, nas.secret.as_bytes())
}

/// The Access-Reject for `refusal`, with the portal's words for it as Reply-Message (in
/// English: a NAS shows it in its own page, whose language we do not know).
pub fn reject(to: &ReplyTo, nas: &Nas, refusal: &Refusal) -> Vec<u8> {
    let mut reply = Packet::new(Code::AccessReject, to.identifier, [0; 16]);
    let message = (Lang::En.words().portal.refusal)(refusal);
    reply.push(dict::REPLY_MESSAGE, truncated(&message, MAX_VALUE_LEN).as_bytes().to_vec());
    to.echo_proxy_states(&mut reply);
    crypto::encode_reply(&reply, &to.authenticator, nas.secret.as_bytes())
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncated(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
#[path = "auth_tests.rs"]
mod tests;

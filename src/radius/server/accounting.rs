//! Accounting-Request → `NasAccounting`, and the Accounting-Response bytes. Pure (no
//! sockets, no database): `mod.rs` batches what this returns and sends the responses once
//! the batch is recorded.
//!
//! The Request Authenticator must match the NAS's secret (it covers the whole packet, a
//! Message-Authenticator included). Octet counters include their Gigawords (RFC 2869).

use super::auth::{calling_station, framed_ip};
use super::stats::Dropped;
use super::ReplyTo;
use crate::radius::crypto;
use crate::radius::dictionary as dict;
use crate::radius::packet::{Code, Packet, PacketRef};
use crate::radius::Nas;
use crate::sessions::nas::{AcctStatus, NasAccounting};

/// Reads an Accounting-Request from `nas`: what to record and what its response needs.
pub fn read(raw: &[u8], nas: &Nas) -> Result<(NasAccounting, ReplyTo), Dropped> {
    let packet = PacketRef::parse(raw).map_err(|_| Dropped::Malformed)?;
    if packet.code() != Code::AccountingRequest {
        return Err(Dropped::Malformed);
    }
    if !crypto::request_authenticator_valid(raw, nas.secret.as_bytes()) {
        return Err(Dropped::BadAuthenticator);
    }
    let status = match packet.get_u32(dict::ACCT_STATUS_TYPE) {
        Some(dict::ACCT_STATUS_START) => AcctStatus::Start,
        Some(dict::ACCT_STATUS_STOP) => AcctStatus::Stop,
        Some(dict::ACCT_STATUS_INTERIM_UPDATE) => AcctStatus::Interim,
        Some(dict::ACCT_STATUS_ACCOUNTING_ON) => AcctStatus::On,
        Some(dict::ACCT_STATUS_ACCOUNTING_OFF) => AcctStatus::Off,
        _ => return Err(Dropped::Malformed),
    };
    let text = |kind: u8| packet.get(kind).map(|v| String::from_utf8_lossy(v).into_owned());
    let acct_session_id = text(dict::ACCT_SESSION_ID).unwrap_or_default();
    if acct_session_id.is_empty() && !matches!(status, AcctStatus::On | AcctStatus::Off) {
        return Err(Dropped::Malformed);
    }
    let record = NasAccounting {
        nas: nas.name.clone(),
        status,
        acct_session_id,
        username: text(dict::USER_NAME).unwrap_or_default(),
        class: packet.get(dict::CLASS).map(<[u8]>::to_vec),
        mac: calling_station(&packet),
        ip: framed_ip(&packet),
        input_bytes: packet.octets(dict::ACCT_INPUT_OCTETS, dict::ACCT_INPUT_GIGAWORDS).unwrap_or(0),
        output_bytes: packet.octets(dict::ACCT_OUTPUT_OCTETS, dict::ACCT_OUTPUT_GIGAWORDS).unwrap_or(0),
        session_time: packet.get_u32(dict::ACCT_SESSION_TIME),
        terminate_cause: packet.get_u32(dict::ACCT_TERMINATE_CAUSE),
        authenticator: packet.authenticator(),
    };
    Ok((record, ReplyTo::of(&packet)))
}

/// The Accounting-Response (sent only once the request is recorded).
pub fn response(to: &ReplyTo, nas: &Nas) -> Vec<u8> {
    let mut reply = Packet::new(Code::AccountingResponse, to.identifier, [0; 16]);
    to.echo_proxy_states(&mut reply);
    crypto::encode_reply(&reply, &to.authenticator, nas.secret.as_bytes())
}

//! Access-Request and Accounting-Request reading, and the replies, on packets built with the
//! codec in the forms NAS devices use.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::firewall::Rate;
use crate::radius::dialect::Vendor;
use crate::radius::packet::Packet;
use crate::radius::server::{accounting, ReplyTo};
use crate::sessions::enforcement::NasLimits;
use crate::sessions::nas::AcctStatus;

fn nas(require_message_authenticator: bool) -> Nas {
    Nas {
        name: "till-1".into(),
        address: IpAddr::from([192, 168, 88, 1]),
        secret: "s3cret-for-tests".into(),
        vendor: Vendor::Mikrotik,
        require_message_authenticator,
        das_port: 3799,
    }
}

fn request() -> Packet {
    let mut p = Packet::new(Code::AccessRequest, 7, crypto::random_authenticator());
    p.push(dict::USER_NAME, b"amina".to_vec());
    p.push(dict::CALLING_STATION_ID, b"AA-BB-CC-DD-EE-01".to_vec());
    p.push(dict::FRAMED_IP_ADDRESS, vec![10, 5, 50, 7]);
    p
}

fn pap(password: &[u8]) -> Packet {
    let mut p = request();
    let hidden = crypto::hide_password(password, nas(true).secret.as_bytes(), &p.authenticator);
    p.push(dict::USER_PASSWORD, hidden);
    p
}

#[test]
fn pap_is_unhidden_and_the_device_read_in_its_spelling() {
    let raw = crypto::encode_request(&pap(b"sunny-day"), nas(true).secret.as_bytes());
    let (login, to) = read(&raw, &nas(true)).unwrap();
    assert_eq!(login.username, "amina");
    assert!(matches!(&login.password, PasswordCheck::Pap(p) if p == b"sunny-day"));
    assert_eq!(login.mac, Some(MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01])));
    assert_eq!(login.ip, Some(Ipv4Addr::new(10, 5, 50, 7)));
    assert_eq!(login.nas, "till-1");
    assert_eq!(to.identifier, 7);
}

#[test]
fn chap_takes_its_challenge_or_the_request_authenticator() {
    let secret = nas(true).secret;
    let mut p = request();
    p.push(dict::CHAP_PASSWORD, [1u8; 17].to_vec());
    let raw = crypto::encode_request(&p, secret.as_bytes());
    let (login, _) = read(&raw, &nas(true)).unwrap();
    assert!(matches!(&login.password, PasswordCheck::Chap { challenge, .. } if challenge[..] == p.authenticator[..]));
    p.push(dict::CHAP_CHALLENGE, b"0123456789abcdef".to_vec());
    let raw = crypto::encode_request(&p, secret.as_bytes());
    let (login, _) = read(&raw, &nas(true)).unwrap();
    assert!(matches!(&login.password, PasswordCheck::Chap { challenge, .. } if challenge == b"0123456789abcdef"));
    let mut short = request();
    short.push(dict::CHAP_PASSWORD, [1u8; 16].to_vec());
    assert_eq!(read(&crypto::encode_request(&short, secret.as_bytes()), &nas(true)).err(), Some(Dropped::Malformed));
}

#[test]
fn message_authenticator_rules_blastradius() {
    let strict = nas(true);
    let lenient = nas(false);
    let plain = pap(b"pw").encode();
    assert_eq!(read(&plain, &strict).err(), Some(Dropped::MessageAuthenticator), "required and absent");
    assert!(read(&plain, &lenient).is_ok(), "allowed to be absent");
    let mut forged = crypto::encode_request(&pap(b"pw"), strict.secret.as_bytes());
    let last = forged.len() - 1;
    forged[last] ^= 0x80;
    assert_eq!(read(&forged, &lenient).err(), Some(Dropped::MessageAuthenticator), "a wrong one always drops");
    let other_secret = crypto::encode_request(&pap(b"pw"), b"another secret");
    assert_eq!(read(&other_secret, &strict).err(), Some(Dropped::MessageAuthenticator));
}

#[test]
fn malformed_requests_are_dropped() {
    let secret = nas(true).secret;
    let good = crypto::encode_request(&pap(b"pw"), secret.as_bytes());
    assert_eq!(read(&good[..19], &nas(true)).err(), Some(Dropped::Malformed));
    let mut no_user = Packet::new(Code::AccessRequest, 1, crypto::random_authenticator());
    no_user.push(dict::CALLING_STATION_ID, b"x".to_vec());
    assert_eq!(read(&crypto::encode_request(&no_user, secret.as_bytes()), &nas(true)).err(), Some(Dropped::Malformed));
    let mut bad_password = request();
    bad_password.push(dict::USER_PASSWORD, vec![0; 15]);
    assert_eq!(read(&crypto::encode_request(&bad_password, secret.as_bytes()), &nas(true)).err(), Some(Dropped::Malformed));
    let accounting = crypto::encode_request(&Packet::new(Code::AccountingRequest, 1, [0; 16]), secret.as_bytes());
    assert_eq!(read(&accounting, &nas(true)).err(), Some(Dropped::Malformed), "not for this port");
}

fn grant() -> NasGrant {
    NasGrant {
        session_id: 12,
        username: "amina".into(),
        class: b"hotspotd:12".to_vec(),
        limits: NasLimits { session_timeout_secs: 3000, data_left_bytes: Some(5_000_000_000), rate: Rate { down_kbps: Some(2048), up_kbps: Some(512) } },
    }
}

fn reply_to() -> ReplyTo {
    ReplyTo { identifier: 9, authenticator: [5; 16], proxy_states: vec![b"one".to_vec(), b"two".to_vec()] }
}

#[test]
fn an_accept_carries_limits_interim_class_and_proxy_states() {
    let nas = nas(true);
    let raw = accept(&reply_to(), &nas, &grant(), 30);
    assert!(crypto::reply_valid(&raw, &[5; 16], nas.secret.as_bytes()));
    assert_eq!(crypto::check_message_authenticator(&raw, nas.secret.as_bytes(), Some(&[5; 16])), MessageAuthenticator::Valid);
    let reply = Packet::decode(&raw).unwrap();
    assert_eq!((reply.code, reply.identifier), (Code::AccessAccept, 9));
    assert_eq!(reply.get_u32(dict::SESSION_TIMEOUT), Some(3000));
    assert_eq!(reply.get_u32(dict::ACCT_INTERIM_INTERVAL), Some(60), "never below 60 s");
    assert_eq!(reply.get(dict::CLASS), Some(&b"hotspotd:12"[..]));
    assert_eq!(reply.get_all(dict::PROXY_STATE).collect::<Vec<_>>(), [&b"one"[..], &b"two"[..]]);
    assert_eq!(reply.vendor(dict::VENDOR_MIKROTIK, dict::MIKROTIK_RATE_LIMIT), Some(&b"512k/2048k"[..]));
}

#[test]
fn a_reject_says_why_in_the_portal_s_words() {
    let nas = nas(true);
    let raw = reject(&reply_to(), &nas, &Refusal::DeviceLimit { max_devices: 2 });
    assert!(crypto::reply_valid(&raw, &[5; 16], nas.secret.as_bytes()));
    let reply = Packet::decode(&raw).unwrap();
    assert_eq!(reply.code, Code::AccessReject);
    assert_eq!(reply.get_str(dict::REPLY_MESSAGE).unwrap(), (crate::i18n::Lang::En.words().portal.refusal)(&Refusal::DeviceLimit { max_devices: 2 }));
    assert_eq!(reply.get_all(dict::PROXY_STATE).count(), 2);
    assert_eq!(truncated("ab€", 4), "ab", "cut at a character boundary");
}

fn accounting_request(status: u32) -> Packet {
    let mut p = Packet::new(Code::AccountingRequest, 3, [0; 16]);
    p.push_u32(dict::ACCT_STATUS_TYPE, status);
    p.push(dict::ACCT_SESSION_ID, b"81a00001".to_vec());
    p.push(dict::USER_NAME, b"amina".to_vec());
    p.push(dict::CLASS, b"hotspotd:12".to_vec());
    p.push(dict::CALLING_STATION_ID, b"aabb.ccdd.ee01".to_vec());
    p.push_u32(dict::ACCT_INPUT_OCTETS, 100);
    p.push_u32(dict::ACCT_INPUT_GIGAWORDS, 2);
    p.push_u32(dict::ACCT_OUTPUT_OCTETS, 300);
    p.push_u32(dict::ACCT_SESSION_TIME, 60);
    p.push(dict::PROXY_STATE, b"ps".to_vec());
    p
}

#[test]
fn accounting_is_read_with_gigawords_and_answered_with_its_proxy_state() {
    let nas = nas(true);
    let raw = crypto::encode_request(&accounting_request(dict::ACCT_STATUS_INTERIM_UPDATE), nas.secret.as_bytes());
    let (record, to) = accounting::read(&raw, &nas).unwrap();
    assert_eq!(record.status, AcctStatus::Interim);
    assert_eq!(record.input_bytes, 2 * (1u64 << 32) + 100);
    assert_eq!(record.output_bytes, 300);
    assert_eq!((record.acct_session_id.as_str(), record.username.as_str()), ("81a00001", "amina"));
    assert_eq!(record.class.as_deref(), Some(&b"hotspotd:12"[..]));
    assert_eq!(record.mac, Some(MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x01])));
    assert_eq!(record.session_time, Some(60));
    let response = accounting::response(&to, &nas);
    assert!(crypto::reply_valid(&response, &to.authenticator, nas.secret.as_bytes()));
    let response = Packet::decode(&response).unwrap();
    assert_eq!((response.code, response.identifier), (Code::AccountingResponse, 3));
    assert_eq!(response.get(dict::PROXY_STATE), Some(&b"ps"[..]));
}

#[test]
fn accounting_with_a_wrong_secret_or_status_is_dropped() {
    let nas = nas(true);
    let wrong = crypto::encode_request(&accounting_request(dict::ACCT_STATUS_START), b"not the secret");
    assert_eq!(accounting::read(&wrong, &nas).err(), Some(Dropped::BadAuthenticator));
    let mut tampered = crypto::encode_request(&accounting_request(dict::ACCT_STATUS_START), nas.secret.as_bytes());
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(accounting::read(&tampered, &nas).err(), Some(Dropped::BadAuthenticator));
    let unknown = crypto::encode_request(&accounting_request(15), nas.secret.as_bytes());
    assert_eq!(accounting::read(&unknown, &nas).err(), Some(Dropped::Malformed));
    let mut on = Packet::new(Code::AccountingRequest, 4, [0; 16]);
    on.push_u32(dict::ACCT_STATUS_TYPE, dict::ACCT_STATUS_ACCOUNTING_ON);
    let (record, _) = accounting::read(&crypto::encode_request(&on, nas.secret.as_bytes()), &nas).unwrap();
    assert_eq!((record.status, record.acct_session_id.as_str()), (AcctStatus::On, ""), "On/Off name no session");
    let mut no_id = Packet::new(Code::AccountingRequest, 4, [0; 16]);
    no_id.push_u32(dict::ACCT_STATUS_TYPE, dict::ACCT_STATUS_START);
    assert_eq!(accounting::read(&crypto::encode_request(&no_id, nas.secret.as_bytes()), &nas).err(), Some(Dropped::Malformed));
}

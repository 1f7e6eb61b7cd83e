//! The sync protocol as bytes: what a router and the central server say to each other, how
//! each side signs what it sends, and the paybill account numbers both read. Shared by the
//! router (`sync::client`) and the central server (`central::`, feature `central`); pure (no
//! I/O, no clock).
//!
//! One exchange, always started by the router: `POST /sync/v1/exchange` with
//! an `ExchangeRequest` (events from its outbox, its status, how long it may wait for news),
//! answered by an `ExchangeResponse` (the highest event sequence stored, what the central has
//! for the router). Both directions carry an HMAC-SHA256 over everything that matters, keyed
//! with the router's key:
//! - request: `sync-request\n{method}\n{path}\n{router}\n{stream}\n{counter}\n` + body;
//! - response: `sync-response\n{router}\n{stream}\n{counter}\n{status}\n` + body.
//!
//! `counter` grows with every request of a stream and is never reused (the router reserves
//! blocks of them in its database), so the central refuses a replayed request without
//! trusting any clock; a response names the request's counter, so a replayed or swapped
//! response fails at the router. `stream` is random per router database: a router whose
//! database was replaced starts a new stream (its sequence numbers and counters start again)
//! instead of being refused as a replay of itself.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json_fields::{self, Fields};
use sha2::Sha256;

/// Where a router sends its exchanges.
pub const EXCHANGE_PATH: &str = "/sync/v1/exchange";
pub const HEADER_ROUTER: &str = "x-hotspotd-router";
pub const HEADER_STREAM: &str = "x-hotspotd-stream";
pub const HEADER_COUNTER: &str = "x-hotspotd-counter";
pub const HEADER_SIGNATURE: &str = "x-hotspotd-signature";
/// Longest a central holds an exchange open waiting for news (a router asks for less).
pub const MAX_WAIT_SECS: u32 = 50;
/// Most events in one request.
pub const MAX_BATCH_EVENTS: usize = 200;
/// Largest request or response body either side accepts.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most items in one response.
pub const MAX_ITEMS: usize = 100;

type HmacSha256 = Hmac<Sha256>;

/// What a request signature covers, besides the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHead<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub router: i64,
    pub stream: &'a str,
    pub counter: u64,
}

fn mac_of(key: &[u8]) -> HmacSha256 {
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC takes a key of any length")
}

fn request_mac(key: &[u8], head: &RequestHead<'_>, body: &[u8]) -> HmacSha256 {
    let mut mac = mac_of(key);
    mac.update(format!("sync-request\n{}\n{}\n{}\n{}\n{}\n", head.method, head.path, head.router, head.stream, head.counter).as_bytes());
    mac.update(body);
    mac
}

fn response_mac(key: &[u8], head: &RequestHead<'_>, status: u16, body: &[u8]) -> HmacSha256 {
    let mut mac = mac_of(key);
    mac.update(format!("sync-response\n{}\n{}\n{}\n{}\n", head.router, head.stream, head.counter, status).as_bytes());
    mac.update(body);
    mac
}

/// The request signature (lower-case hex) for the `x-hotspotd-signature` header.
pub fn sign_request(key: &[u8], head: &RequestHead<'_>, body: &[u8]) -> String {
    hex(&request_mac(key, head, body).finalize().into_bytes())
}

/// Whether `signature` (hex) is the request's, compared in constant time.
pub fn request_signed(key: &[u8], head: &RequestHead<'_>, body: &[u8], signature: &str) -> bool {
    unhex(signature).is_some_and(|sig| request_mac(key, head, body).verify_slice(&sig).is_ok())
}

/// The response signature for the request `head`, answered with `status` and `body`.
pub fn sign_response(key: &[u8], head: &RequestHead<'_>, status: u16, body: &[u8]) -> String {
    hex(&response_mac(key, head, status, body).finalize().into_bytes())
}

/// Whether `signature` (hex) is the central's answer to the request `head`.
pub fn response_signed(key: &[u8], head: &RequestHead<'_>, status: u16, body: &[u8], signature: &str) -> bool {
    unhex(signature).is_some_and(|sig| response_mac(key, head, status, body).verify_slice(&sig).is_ok())
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

pub fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    text.as_bytes().chunks(2).map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)).collect()
}

/// What a router sends.
#[derive(Debug, Serialize, Deserialize)]
pub struct ExchangeRequest {
    /// Outbox events in sequence order (at most `MAX_BATCH_EVENTS`).
    #[serde(default)]
    pub events: Vec<WireEvent>,
    /// The router as it is now (every exchange carries one; only the latest matters).
    pub status: RouterStatus,
    /// How long the central may hold the answer when it has nothing for the router
    /// (0: answer at once). Capped at `MAX_WAIT_SECS`.
    #[serde(default)]
    pub wait_secs: u32,
}

/// One outbox event: its sequence number in the stream, the router's time when it was
/// written and whether the router's clock was trusted then, and the event itself
/// (`store::outbox::Event` as JSON, `{"event":"payment_confirmed",…}`).
#[derive(Debug, Serialize, Deserialize)]
pub struct WireEvent {
    pub seq: i64,
    pub at: i64,
    pub clock_trusted: bool,
    pub event: Box<RawValue>,
}

/// The router's status snapshot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterStatus {
    pub version: String,
    pub uptime_secs: i64,
    pub devices_online: i64,
    pub clock_trusted: bool,
    /// The router's wall clock when it sent this.
    pub router_time: i64,
    pub db_bytes: i64,
    /// Events not yet acknowledged (this batch included).
    pub backlog: i64,
}

/// What the central answers. Read by hand (`from_json`) like `Order`, which it carries.
#[derive(Debug, Default, Serialize)]
pub struct ExchangeResponse {
    /// Every event of the stream up to this sequence number is stored: the router may delete
    /// them. `None`: nothing stored yet.
    pub acked_seq: Option<i64>,
    /// What waits for the router, oldest first (at most `MAX_ITEMS`): delivered again until
    /// the router reports its result (a `command_result` event), so each must be applied at
    /// most once by its `id`.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// Something the central has for one router, by the central's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub id: i64,
    pub body: Order,
}

impl ExchangeResponse {
    /// Reads `{"acked_seq":12,"items":[{"id":3,"body":{"kick":{…}}}]}` (`acked_seq` may be
    /// missing or null, `items` missing).
    pub fn from_json(value: serde_json::Value) -> Result<ExchangeResponse, json_fields::Error> {
        let mut f = Fields::of(value)?;
        let acked_seq = f.get("acked_seq")?;
        let items = match f.take("items") {
            None => Vec::new(),
            Some(serde_json::Value::Array(items)) => items.into_iter().map(Item::from_json).collect::<Result<_, _>>()?,
            Some(_) => return Err(serde::de::Error::custom("invalid value for field `items`")),
        };
        Ok(ExchangeResponse { acked_seq, items })
    }
}

impl Item {
    pub fn from_json(value: serde_json::Value) -> Result<Item, json_fields::Error> {
        let mut f = Fields::of(value)?;
        let id = f.get("id")?;
        let body = f.take("body").ok_or_else(|| <json_fields::Error as serde::de::Error>::missing_field("body"))?;
        Ok(Item { id, body: Order::from_json(body)? })
    }
}

impl<'de> Deserialize<'de> for ExchangeResponse {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ExchangeResponse, D::Error> {
        json_fields::deserialize(deserializer, ExchangeResponse::from_json)
    }
}

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Item, D::Error> {
        json_fields::deserialize(deserializer, Item::from_json)
    }
}

/// What an item asks of the router. On the wire externally tagged (`{"kick":{"mac":"…"}}`);
/// the operator API writes and shows it with the kind inside (`{"kind":"kick","mac":"…"}`,
/// `from_api`, `to_api`). Its decoder is hand-written (`from_json`, the same shapes as
/// serde's derive would take): the derived one cost the router's binary ~20 KB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// End a device's session (by MAC), or every session of an account (by username).
    Kick {
        #[serde(default)]
        mac: Option<String>,
        #[serde(default)]
        username: Option<String>,
    },
    /// Give an account more time and/or data.
    Extend {
        username: String,
        #[serde(default)]
        seconds: i64,
        #[serde(default)]
        bytes: i64,
    },
    /// Disable an account (its devices go offline) or revoke an unused voucher.
    Disable {
        #[serde(default)]
        username: Option<String>,
        #[serde(default)]
        voucher: Option<String>,
    },
    /// Let a disabled account log in again.
    Enable { username: String },
    /// Send an account's login details again by SMS (a new password: the old one is not kept).
    Resend { username: String },
    /// Vouchers the central issued for this router (it keeps the codes to print them), for
    /// the router's package of that name.
    Vouchers {
        package: String,
        #[serde(default)]
        batch: Option<String>,
        codes: Vec<String>,
    },
    /// A package on sale, managed centrally: added, or updated by its name.
    Package(CentralPackage),
    /// A paybill (C2B) payment confirmed at the central for one of this router's account
    /// numbers.
    Paybill(PaybillPayment),
    /// An STK result Daraja posted to the central's relay URL for this router: the router
    /// treats it as if posted to its own callback URL (`token` is the last path segment).
    StkCallback { token: String, body: String },
}

impl Order {
    /// Reads the operator API's form, `{"kind":"extend","username":…}`.
    pub fn from_api(value: serde_json::Value) -> Result<Order, String> {
        let serde_json::Value::Object(mut fields) = value else { return Err("a command is a JSON object".into()) };
        let kind = match fields.remove("kind") {
            Some(serde_json::Value::String(kind)) => kind,
            _ => return Err("a command needs \"kind\": kick, extend, disable, enable, resend, vouchers or package".into()),
        };
        let mut tagged = serde_json::Map::new();
        tagged.insert(kind, serde_json::Value::Object(fields));
        Order::from_json(serde_json::Value::Object(tagged)).map_err(|e| e.to_string())
    }

    /// Reads the wire form, `{"extend":{"username":…}}` (`#[serde(default)]` fields may be
    /// missing, `Option`s may also be missing or `null`, unknown fields are ignored).
    pub fn from_json(value: serde_json::Value) -> Result<Order, json_fields::Error> {
        const KINDS: &[&str] = &["kick", "extend", "disable", "enable", "resend", "vouchers", "package", "paybill", "stk_callback"];
        let (kind, body) = json_fields::external(value)?;
        let mut f = Fields::of(body)?;
        Ok(match kind.as_str() {
            "kick" => Order::Kick { mac: f.get("mac")?, username: f.get("username")? },
            "extend" => Order::Extend { username: f.get("username")?, seconds: f.or("seconds", 0)?, bytes: f.or("bytes", 0)? },
            "disable" => Order::Disable { username: f.get("username")?, voucher: f.get("voucher")? },
            "enable" => Order::Enable { username: f.get("username")? },
            "resend" => Order::Resend { username: f.get("username")? },
            "vouchers" => Order::Vouchers { package: f.get("package")?, batch: f.get("batch")?, codes: f.get("codes")? },
            "package" => Order::Package(CentralPackage {
                name: f.get("name")?,
                price: f.get("price")?,
                duration_secs: f.get("duration_secs")?,
                data_limit_bytes: f.get("data_limit_bytes")?,
                down_kbps: f.get("down_kbps")?,
                up_kbps: f.get("up_kbps")?,
                max_devices: f.or("max_devices", one())?,
                hidden: f.or("hidden", false)?,
            }),
            "paybill" => Order::Paybill(PaybillPayment {
                trans_id: f.get("trans_id")?,
                amount: f.get("amount")?,
                account: f.get("account")?,
                msisdn: f.get("msisdn")?,
                name: f.get("name")?,
                trans_time: f.get("trans_time")?,
            }),
            "stk_callback" => Order::StkCallback { token: f.get("token")?, body: f.get("body")? },
            other => return Err(json_fields::unknown(other, KINDS)),
        })
    }

    /// The operator API's form of this order.
    pub fn to_api(&self) -> serde_json::Value {
        let tagged = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        let Some((kind, serde_json::Value::Object(fields))) = tagged.as_object().and_then(|o| o.iter().next()) else { return tagged };
        let mut api = serde_json::Map::new();
        api.insert("kind".into(), serde_json::Value::String(kind.clone()));
        api.extend(fields.clone());
        serde_json::Value::Object(api)
    }
}

impl<'de> Deserialize<'de> for Order {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Order, D::Error> {
        json_fields::deserialize(deserializer, Order::from_json)
    }
}

/// A package as the central manages it (prices in whole shillings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentralPackage {
    pub name: String,
    pub price: i64,
    pub duration_secs: i64,
    #[serde(default)]
    pub data_limit_bytes: Option<i64>,
    #[serde(default)]
    pub down_kbps: Option<i64>,
    #[serde(default)]
    pub up_kbps: Option<i64>,
    #[serde(default = "one")]
    pub max_devices: i64,
    /// Not offered on the portal (vouchers of it still work).
    #[serde(default)]
    pub hidden: bool,
}

fn one() -> i64 {
    1
}

/// A C2B confirmation as the router needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaybillPayment {
    /// M-Pesa's TransID (the receipt): a payment is credited once per TransID.
    pub trans_id: String,
    /// Whole shillings.
    pub amount: i64,
    /// The BillRefNumber the payer typed (see `account_number`).
    pub account: String,
    /// As Safaricom shows it (masked: `25470****149`).
    pub msisdn: String,
    /// The payer's names as M-Pesa gives them.
    pub name: String,
    /// `YYYYMMDDHHmmss`, East Africa Time.
    pub trans_time: String,
}

/// Digits of a paybill reference (the purchase part of an account number), check digit not
/// included.
pub const REFERENCE_DIGITS: usize = 5;

/// The account number a payer types in the M-Pesa menu to pay for `reference` (a purchase
/// the router is waiting for) at router `router`: the router's id, the reference in five
/// digits, then a Damm check digit over all of them, which catches any one mistyped digit
/// and any two neighbours swapped. Digits only (a phone keypad); at most 20 characters for
/// any router id below 10^13.
pub fn account_number(router: i64, reference: u32) -> String {
    let digits = format!("{router}{:0width$}", reference % 100_000, width = REFERENCE_DIGITS);
    let check = damm(digits.bytes());
    format!("{digits}{check}")
}

/// Reads an account number: `(router, reference)`, or `None` when it is not one of ours
/// (not digits, too short, a wrong check digit). Spaces and dashes are ignored.
pub fn parse_account_number(text: &str) -> Option<(i64, u32)> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if digits.len() < REFERENCE_DIGITS + 2 || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if damm(digits.bytes()) != 0 {
        return None;
    }
    let router_end = digits.len() - REFERENCE_DIGITS - 1;
    let router: i64 = digits[..router_end].parse().ok()?;
    let reference: u32 = digits[router_end..digits.len() - 1].parse().ok()?;
    (router > 0 && !digits.starts_with('0')).then_some((router, reference))
}

/// The Damm algorithm's check digit of ASCII digits (0 for a number that ends in its own).
fn damm(digits: impl Iterator<Item = u8>) -> u8 {
    const TABLE: [[u8; 10]; 10] = [
        [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
        [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
        [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
        [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
        [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
        [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
        [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
        [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
        [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
        [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
    ];
    digits.fold(0, |interim, d| TABLE[usize::from(interim)][usize::from(d - b'0')])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(counter: u64) -> RequestHead<'static> {
        RequestHead { method: "POST", path: EXCHANGE_PATH, router: 7, stream: "ab12", counter }
    }

    #[test]
    fn a_signed_request_checks_out_and_any_change_fails() {
        let sig = sign_request(b"key", &head(5), b"{}");
        assert!(request_signed(b"key", &head(5), b"{}", &sig));
        assert!(!request_signed(b"key", &head(6), b"{}", &sig), "another counter");
        assert!(!request_signed(b"key", &head(5), b"{ }", &sig), "another body");
        assert!(!request_signed(b"other", &head(5), b"{}", &sig), "another key");
        assert!(!request_signed(b"key", &RequestHead { path: "/x", ..head(5) }, b"{}", &sig), "another path");
        assert!(!request_signed(b"key", &head(5), b"{}", "zz"), "not hex");
    }

    #[test]
    fn a_response_is_bound_to_its_request() {
        let sig = sign_response(b"key", &head(5), 200, b"{}");
        assert!(response_signed(b"key", &head(5), 200, b"{}", &sig));
        assert!(!response_signed(b"key", &head(4), 200, b"{}", &sig), "an older request's answer");
        assert!(!response_signed(b"key", &head(5), 500, b"{}", &sig), "another status");
        // A response signature is not a request signature.
        assert!(!request_signed(b"key", &head(5), b"{}", &sig));
    }

    #[test]
    fn account_numbers_round_trip_and_catch_typos() {
        let number = account_number(17, 4839);
        assert_eq!(number.len(), 2 + 5 + 1);
        assert!(number.starts_with("1704839"), "{number}");
        assert_eq!(parse_account_number(&number), Some((17, 4839)));
        assert_eq!(parse_account_number(&format!("17-04839 {}", &number[7..])), Some((17, 4839)));
        // Every single-digit change and every swap of neighbours is refused.
        let bytes = number.as_bytes();
        for i in 0..bytes.len() {
            for d in b'0'..=b'9' {
                if d != bytes[i] {
                    let mut typo = bytes.to_vec();
                    typo[i] = d;
                    assert_eq!(parse_account_number(std::str::from_utf8(&typo).unwrap()), None, "{:?}", typo);
                }
            }
            if i + 1 < bytes.len() && bytes[i] != bytes[i + 1] {
                let mut swapped = bytes.to_vec();
                swapped.swap(i, i + 1);
                assert_eq!(parse_account_number(std::str::from_utf8(&swapped).unwrap()), None);
            }
        }
        assert_eq!(parse_account_number("abc"), None);
        assert_eq!(parse_account_number("12"), None);
        assert!(account_number(9_999_999_999_999, 99_999).len() <= 20);
    }

    #[test]
    fn orders_read_as_the_operator_api_writes_them_and_travel_tagged() {
        let api = |text: &str| Order::from_api(serde_json::from_str(text).unwrap());
        let kick = api(r#"{"kind":"kick","mac":"02:00:00:00:00:01"}"#).unwrap();
        assert_eq!(kick, Order::Kick { mac: Some("02:00:00:00:00:01".into()), username: None });
        let extend = api(r#"{"kind":"extend","username":"u1","seconds":3600}"#).unwrap();
        assert_eq!(extend, Order::Extend { username: "u1".into(), seconds: 3600, bytes: 0 });
        assert!(api(r#"{"kind":"explode"}"#).is_err());
        assert!(api(r#"{"mac":"x"}"#).unwrap_err().contains("kind"));
        // On the wire: externally tagged, and back to the API's form.
        assert_eq!(serde_json::to_string(&extend).unwrap(), r#"{"extend":{"username":"u1","seconds":3600,"bytes":0}}"#);
        let package = api(r#"{"kind":"package","name":"Hour","price":20,"duration_secs":3600}"#).unwrap();
        assert_eq!(Order::from_api(package.to_api()).unwrap(), package);
        assert_eq!(extend.to_api()["kind"], "extend");
    }

    #[test]
    fn every_order_round_trips_on_the_wire_and_defaults_hold() {
        let orders = [
            Order::Kick { mac: Some("02:00:00:00:00:01".into()), username: None },
            Order::Kick { mac: None, username: Some("u1".into()) },
            Order::Extend { username: "u1".into(), seconds: 60, bytes: 1 << 40 },
            Order::Disable { username: None, voucher: Some("ABCD".into()) },
            Order::Enable { username: "u2".into() },
            Order::Resend { username: "u3".into() },
            Order::Vouchers { package: "Hour".into(), batch: Some("b".into()), codes: vec!["A1".into(), "B2".into()] },
            Order::Vouchers { package: "Hour".into(), batch: None, codes: vec![] },
            Order::Package(CentralPackage {
                name: "Day".into(),
                price: 50,
                duration_secs: 86400,
                data_limit_bytes: Some(1 << 30),
                down_kbps: Some(2048),
                up_kbps: None,
                max_devices: 3,
                hidden: true,
            }),
            Order::Paybill(PaybillPayment {
                trans_id: "RKT1".into(),
                amount: 20,
                account: "1704839".into(),
                msisdn: "25470****149".into(),
                name: "JOHN".into(),
                trans_time: "20240101120000".into(),
            }),
            Order::StkCallback { token: "t".into(), body: "{\"Body\":{}}".into() },
        ];
        for order in orders {
            let json = serde_json::to_string(&order).unwrap();
            assert_eq!(serde_json::from_str::<Order>(&json).unwrap(), order, "{json}");
            assert_eq!(Order::from_api(order.to_api()).unwrap(), order);
        }
        let item: Item = serde_json::from_str(r#"{"id":4,"body":{"package":{"name":"H","price":1,"duration_secs":2,"extra":true}}}"#).unwrap();
        let expected = CentralPackage { name: "H".into(), price: 1, duration_secs: 2, data_limit_bytes: None, down_kbps: None, up_kbps: None, max_devices: 1, hidden: false };
        assert_eq!(item, Item { id: 4, body: Order::Package(expected) });
        let response: ExchangeResponse = serde_json::from_str(r#"{"acked_seq":null,"items":[{"id":1,"body":{"enable":{"username":"u"}}}]}"#).unwrap();
        assert_eq!((response.acked_seq, response.items.len()), (None, 1));
        let response: ExchangeResponse = serde_json::from_str(r#"{"acked_seq":9}"#).unwrap();
        assert_eq!((response.acked_seq, response.items.len()), (Some(9), 0));
        for bad in [r#"{"acked_seq":"9"}"#, r#"{"items":{}}"#, r#"{"items":[{"id":1}]}"#, r#"{"items":[{"body":{"enable":{"username":"u"}}}]}"#, "[]"] {
            assert!(serde_json::from_str::<ExchangeResponse>(bad).is_err(), "{bad}");
        }
        let kick: Order = serde_json::from_str(r#"{"kick":{"mac":null}}"#).unwrap();
        assert_eq!(kick, Order::Kick { mac: None, username: None });
        for bad in [
            r#"{"extend":{"seconds":1}}"#,
            r#"{"extend":{"username":"u","seconds":null}}"#,
            r#"{"extend":{"username":"u","seconds":1.5}}"#,
            r#"{"explode":{}}"#,
            r#""enable""#,
            r#"{"enable":{"username":"u"},"resend":{"username":"u"}}"#,
            r#"{"vouchers":{"package":"p","codes":[1]}}"#,
        ] {
            assert!(serde_json::from_str::<Order>(bad).is_err(), "{bad}");
        }
    }
}

//! The M-Pesa STK callback (`payments::mpesa::parse_callback`), the one body a stranger on
//! the internet can POST to us: anything that parses is well-formed (a success always says
//! how much and with which receipt; text is bounded and printable), errors are short, and a
//! callback in the shapes Daraja sends (numbers as numbers or as strings) reads back as
//! itself.

use hotspotd::payments::mpesa::{parse_callback, StkCallback};
use serde_json::{json, Value};

/// Any body.
pub fn check_callback_body(body: &[u8]) {
    match parse_callback(body) {
        Ok(cb) => {
            for id in [&cb.merchant_request_id, &cb.checkout_request_id] {
                assert!(!id.is_empty() && id.chars().count() <= 200 && !id.chars().any(char::is_control), "{cb:?}");
            }
            assert!(cb.result_desc.chars().count() <= 200, "{cb:?}");
            if cb.result_code == 0 {
                assert!(cb.amount.is_some() && cb.receipt.is_some(), "a success without amount or receipt: {cb:?}");
            }
            assert!(cb.amount.is_none_or(|a| a >= 1), "{cb:?}");
            let receipt_ok = |r: &String| !r.is_empty() && r.len() <= 20 && r.chars().all(|c| c.is_ascii_alphanumeric());
            assert!(cb.receipt.as_ref().is_none_or(receipt_ok), "{cb:?}");
            let digits = |s: &String, masked: bool| !s.is_empty() && s.len() <= 20 && s.chars().all(|c| c.is_ascii_digit() || (masked && c == '*'));
            assert!(cb.phone.as_ref().is_none_or(|p| digits(p, true)), "{cb:?}");
            assert!(cb.transaction_date.as_ref().is_none_or(|d| digits(d, false)), "{cb:?}");
        }
        Err(e) => {
            let shown = hotspotd::error_chain(&e);
            assert!(shown.chars().count() <= 300, "a long error (it is logged): {shown}");
        }
    }
}

/// A number as Daraja may send it: a JSON number, or the same digits in a string.
fn number(n: i64, as_text: bool) -> Value {
    if as_text {
        Value::String(n.to_string())
    } else {
        json!(n)
    }
}

/// `cb` in the shape of Daraja's documentation; `as_text` picks strings for its numbers.
pub fn body_of(cb: &StkCallback, as_text: bool) -> Vec<u8> {
    let mut items = vec![json!({ "Name": "Balance" })];
    if let Some(amount) = cb.amount {
        items.push(json!({ "Name": "Amount", "Value": number(amount, as_text) }));
    }
    if let Some(receipt) = &cb.receipt {
        items.push(json!({ "Name": "MpesaReceiptNumber", "Value": receipt }));
    }
    // Digits that a JSON number keeps exactly (no leading zero, in range) may be one.
    let digits = |text: &String| match text.parse::<i64>() {
        Ok(n) if n.to_string() == *text => number(n, as_text),
        _ => json!(text),
    };
    if let Some(date) = &cb.transaction_date {
        items.push(json!({ "Name": "TransactionDate", "Value": digits(date) }));
    }
    if let Some(phone) = &cb.phone {
        items.push(json!({ "Name": "PhoneNumber", "Value": digits(phone) }));
    }
    let body = json!({ "Body": { "stkCallback": {
        "MerchantRequestID": cb.merchant_request_id,
        "CheckoutRequestID": cb.checkout_request_id,
        "ResultCode": number(cb.result_code, as_text),
        "ResultDesc": cb.result_desc,
        "CallbackMetadata": { "Item": items },
    }}});
    serde_json::to_vec(&body).unwrap()
}

/// A well-formed callback reads back as itself, with its numbers in either form.
pub fn check_callback_round_trip(cb: &StkCallback) {
    for as_text in [false, true] {
        let body = body_of(cb, as_text);
        match parse_callback(&body) {
            Ok(read) => assert_eq!(&read, cb, "{}", String::from_utf8_lossy(&body)),
            Err(e) => panic!("{e}: {}", String::from_utf8_lossy(&body)),
        }
    }
}

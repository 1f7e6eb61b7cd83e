//! Daraja's answers (`payments::mpesa::daraja::read_*`): the OAuth token, the STK push
//! and the STK query. Any status and body: no panic, nothing accepted from a refused
//! answer, errors short enough for a log line whatever the body's size; well-formed
//! answers read back as what they say.

use hotspotd::http_client::HttpResponse;
use hotspotd::payments::mpesa::daraja::{read_push_answer, read_query_answer, read_token};
use hotspotd::payments::mpesa::{MpesaError, PushAccepted, QueryOutcome};
use serde_json::{json, Value};

/// Longest error text a Daraja answer may produce (two clipped 200-character fields, the
/// operator hint and the fixed words).
const MAX_ERROR_CHARS: usize = 700;

fn check_error(e: &MpesaError, status: u16, body: &str) {
    let shown = hotspotd::error_chain(e);
    assert!(shown.chars().count() <= MAX_ERROR_CHARS, "HTTP {status} {body:?} gave a {}-character error", shown.chars().count());
}

/// Any status and body, to the three readers.
pub fn check_daraja_answer(status: u16, body: &str) {
    let answer = HttpResponse { status, body: body.to_owned() };
    let success = (200..300).contains(&status);
    match read_token(&answer) {
        Ok((token, secs)) => {
            assert!(success && !token.expose().is_empty() && secs > 0, "HTTP {status} {body:?} gave a token for {secs} s");
        }
        Err(e) => check_error(&e, status, body),
    }
    match read_push_answer(&answer) {
        Ok(accepted) => {
            assert!(success, "HTTP {status} {body:?} accepted a push");
            assert!(!accepted.checkout_request_id.is_empty() && !accepted.merchant_request_id.is_empty(), "{accepted:?}");
        }
        Err(e) => check_error(&e, status, body),
    }
    match read_query_answer(&answer) {
        Ok(QueryOutcome::Finished { result_desc, .. }) => {
            assert!(success, "HTTP {status} {body:?} finished a payment");
            assert!(result_desc.chars().count() <= 200, "{result_desc:?}");
        }
        Ok(QueryOutcome::Pending) => {}
        Err(e) => check_error(&e, status, body),
    }
}

/// A token answer, with `expires_in` as a number or a string.
pub fn check_token_round_trip(token: &str, expires_in: u64, as_text: bool) {
    let expires: Value = if as_text { json!(expires_in.to_string()) } else { json!(expires_in) };
    let body = json!({ "access_token": token, "expires_in": expires }).to_string();
    match read_token(&HttpResponse { status: 200, body: body.clone() }) {
        Ok((read, secs)) => {
            assert!(!token.is_empty() && expires_in > 0, "{body} was accepted");
            assert_eq!((read.expose(), secs), (token, expires_in), "{body}");
        }
        Err(e) => assert!(token.is_empty() || expires_in == 0, "{body}: {e}"),
    }
}

/// An accepted push reads back as its two ids.
pub fn check_push_round_trip(checkout_request_id: &str, merchant_request_id: &str) {
    let body = json!({
        "MerchantRequestID": merchant_request_id, "CheckoutRequestID": checkout_request_id,
        "ResponseCode": "0", "ResponseDescription": "Success. Request accepted for processing",
    })
    .to_string();
    let expected = PushAccepted { checkout_request_id: checkout_request_id.to_owned(), merchant_request_id: merchant_request_id.to_owned() };
    match read_push_answer(&HttpResponse { status: 200, body: body.clone() }) {
        Ok(read) => assert_eq!(read, expected, "{body}"),
        Err(e) => assert!(checkout_request_id.is_empty() || merchant_request_id.is_empty(), "{body}: {e}"),
    }
}

/// A finished query reads back as its result code and (clipped) description.
pub fn check_query_round_trip(result_code: i64, result_desc: &str, as_text: bool) {
    let code: Value = if as_text { json!(result_code.to_string()) } else { json!(result_code) };
    let body = json!({ "ResponseCode": "0", "CheckoutRequestID": "ws_CO_1", "ResultCode": code, "ResultDesc": result_desc }).to_string();
    let read = read_query_answer(&HttpResponse { status: 200, body: body.clone() }).unwrap_or_else(|e| panic!("{body}: {e}"));
    let clipped: String = result_desc.chars().take(200).collect();
    assert_eq!(read, QueryOutcome::Finished { result_code, result_desc: clipped }, "{body}");
}

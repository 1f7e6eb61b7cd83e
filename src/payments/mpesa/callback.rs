//! The result Daraja POSTs to our CallBackURL after an STK push, read into `StkCallback`.
//! Pure: bytes in, typed callback or a named error out.
//!
//! Must not: trust what it reads. Callbacks carry no signature, so a parsed callback proves
//! nothing; the payment flow accepts one only when it matches a pending payment of ours
//! (CheckoutRequestID, amount, phone, the token in the URL path) and an STK query confirms
//! it, and it is idempotent on CheckoutRequestID and receipt. This file only makes sure
//! that what it hands over is well-formed.

use serde_json::{Map, Value};

/// One STK result, as Daraja reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StkCallback {
    pub merchant_request_id: String,
    pub checkout_request_id: String,
    /// 0 is paid; anything else is why not (`Decline::from_result_code`).
    pub result_code: i64,
    pub result_desc: String,
    /// Whole shillings. Always present when `result_code` is 0.
    pub amount: Option<i64>,
    /// `MpesaReceiptNumber`, e.g. `NLJ7RT61SV`. Always present when `result_code` is 0.
    pub receipt: Option<String>,
    /// The payer as Daraja shows it: digits (`254708374149`), possibly masked with `*`.
    pub phone: Option<String>,
    /// `YYYYMMDDHHmmss` in East Africa Time, as digits.
    pub transaction_date: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallbackError {
    #[error("the M-Pesa callback is not JSON")]
    NotJson(#[source] serde_json::Error),
    /// A required field is absent (or null). The name is its path, e.g. `stkCallback.ResultCode`.
    #[error("the M-Pesa callback has no {0}")]
    Missing(&'static str),
    /// A field is there but unusable: wrong type, out of range, a fractional amount…
    #[error("the M-Pesa callback's {field} {problem}")]
    Invalid { field: &'static str, problem: &'static str },
}

/// Longest text field kept (ids, descriptions); Daraja's are far shorter.
const MAX_TEXT_CHARS: usize = 200;
/// Largest whole number a JSON float carries exactly (2^53).
const MAX_EXACT_FLOAT: f64 = 9_007_199_254_740_992.0;

/// Reads a callback body: `{"Body":{"stkCallback":{…}}}`.
pub fn parse_callback(body: &[u8]) -> Result<StkCallback, CallbackError> {
    let root: Value = crate::json_fields::from_bytes(body).map_err(CallbackError::NotJson)?;
    let stk = match root.get("Body").and_then(|b| b.get("stkCallback")) {
        None | Some(Value::Null) => return Err(CallbackError::Missing("Body.stkCallback")),
        Some(Value::Object(stk)) => stk,
        Some(_) => return Err(invalid("Body.stkCallback", "is not an object")),
    };
    let merchant_request_id = required_text(stk, "MerchantRequestID", "stkCallback.MerchantRequestID")?;
    let checkout_request_id = required_text(stk, "CheckoutRequestID", "stkCallback.CheckoutRequestID")?;
    let result_code = match stk.get("ResultCode") {
        None | Some(Value::Null) => return Err(CallbackError::Missing("stkCallback.ResultCode")),
        Some(v) => whole_number(v).map_err(|problem| invalid("stkCallback.ResultCode", problem))?,
    };
    let result_desc = match stk.get("ResultDesc") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.chars().take(MAX_TEXT_CHARS).collect(),
        Some(_) => return Err(invalid("stkCallback.ResultDesc", "is not text")),
    };
    let items = metadata_items(stk)?;

    let amount = match items.value("Amount", "CallbackMetadata.Amount")? {
        None => None,
        Some(v) => {
            let amount = whole_number(v).map_err(|problem| invalid("CallbackMetadata.Amount", problem))?;
            if amount < 1 {
                return Err(invalid("CallbackMetadata.Amount", "is not a positive number of shillings"));
            }
            Some(amount)
        }
    };
    let receipt = match items.value("MpesaReceiptNumber", "CallbackMetadata.MpesaReceiptNumber")? {
        None => None,
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 20 && s.chars().all(|c| c.is_ascii_alphanumeric()) => Some(s.clone()),
        Some(_) => return Err(invalid("CallbackMetadata.MpesaReceiptNumber", "is not 1 to 20 letters and digits")),
    };
    let phone = match items.value("PhoneNumber", "CallbackMetadata.PhoneNumber")? {
        None => None,
        Some(v) => Some(digits(v, true).map_err(|problem| invalid("CallbackMetadata.PhoneNumber", problem))?),
    };
    let transaction_date = match items.value("TransactionDate", "CallbackMetadata.TransactionDate")? {
        None => None,
        Some(v) => Some(digits(v, false).map_err(|problem| invalid("CallbackMetadata.TransactionDate", problem))?),
    };
    if result_code == 0 {
        amount.ok_or(CallbackError::Missing("CallbackMetadata.Amount"))?;
        receipt.as_ref().ok_or(CallbackError::Missing("CallbackMetadata.MpesaReceiptNumber"))?;
    }
    Ok(StkCallback { merchant_request_id, checkout_request_id, result_code, result_desc, amount, receipt, phone, transaction_date })
}

fn invalid(field: &'static str, problem: &'static str) -> CallbackError {
    CallbackError::Invalid { field, problem }
}

fn required_text(object: &Map<String, Value>, key: &str, field: &'static str) -> Result<String, CallbackError> {
    match object.get(key) {
        None | Some(Value::Null) => Err(CallbackError::Missing(field)),
        Some(Value::String(s)) if s.is_empty() => Err(CallbackError::Missing(field)),
        Some(Value::String(s)) if s.chars().count() <= MAX_TEXT_CHARS && !s.chars().any(char::is_control) => Ok(s.clone()),
        Some(Value::String(_)) => Err(invalid(field, "is too long or has control characters")),
        Some(_) => Err(invalid(field, "is not text")),
    }
}

/// `CallbackMetadata.Item`: `[{"Name":…,"Value":…}, …]`; absent on failures.
struct Items<'a>(Vec<(&'a str, Option<&'a Value>)>);

fn metadata_items(stk: &Map<String, Value>) -> Result<Items<'_>, CallbackError> {
    let list = match stk.get("CallbackMetadata") {
        None | Some(Value::Null) => return Ok(Items(Vec::new())),
        Some(metadata) => match metadata.get("Item") {
            Some(Value::Array(list)) => list,
            None | Some(Value::Null) => return Ok(Items(Vec::new())),
            Some(_) => return Err(invalid("CallbackMetadata.Item", "is not a list")),
        },
    };
    let mut items = Vec::with_capacity(list.len());
    for item in list {
        let name = item.get("Name").and_then(Value::as_str).ok_or(invalid("CallbackMetadata.Item", "has an entry without a Name"))?;
        let value = item.get("Value").filter(|v| !v.is_null());
        items.push((name, value));
    }
    Ok(Items(items))
}

impl<'a> Items<'a> {
    /// The Value of the item called `name`: `None` when there is no such item or it has no
    /// Value (Daraja sends `{"Name":"Balance"}`). A name given twice is refused.
    fn value(&self, name: &str, field: &'static str) -> Result<Option<&'a Value>, CallbackError> {
        let mut found = self.0.iter().filter(|(n, _)| *n == name);
        let first = found.next().and_then(|(_, v)| *v);
        if found.next().is_some() {
            return Err(invalid(field, "appears more than once"));
        }
        Ok(first)
    }
}

/// A whole number from a JSON number (`1`, `1.00`) or a string of one (`"1"`, `"1.00"`).
fn whole_number(value: &Value) -> Result<i64, &'static str> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i)
            } else if n.is_u64() {
                Err("is too large")
            } else {
                whole_float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => {
            let (negative, unsigned) = s.strip_prefix('-').map_or((false, s.as_str()), |rest| (true, rest));
            let plain = !unsigned.is_empty()
                && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
                && unsigned.chars().filter(|&c| c == '.').count() <= 1
                && !unsigned.starts_with('.');
            if !plain {
                return Err("is not a number");
            }
            // With its sign: `-9223372036854775808` is an i64, its digits alone are not.
            match s.parse::<i64>() {
                Ok(i) => Ok(i),
                Err(_) => whole_decimal(negative, unsigned),
            }
        }
        _ => Err("is not a number"),
    }
}

fn whole_float(f: f64) -> Result<i64, &'static str> {
    if !f.is_finite() || f.abs() > MAX_EXACT_FLOAT {
        Err("is too large")
    } else if f.fract() != 0.0 {
        Err("is not a whole number (M-Pesa pays whole shillings)")
    } else {
        Ok(f as i64)
    }
}

/// What `whole_float` makes of the nearest f64 to `unsigned` (digits with at most one `.`,
/// not first), worked out on the digits: std's float parser costs 15 KB on mips. Whole when
/// the fraction is within half the f64 spacing of an integer (ties go to the even mantissa,
/// the integer's); too large past 2^53, where the spacing passes 1.
fn whole_decimal(negative: bool, unsigned: &str) -> Result<i64, &'static str> {
    const EXACT: u128 = 1 << 53;
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let (int, frac) = (int.trim_start_matches('0'), frac.trim_end_matches('0'));
    if int.len() > 20 {
        return Err("is too large");
    }
    let i = int.bytes().fold(0u128, |n, d| n * 10 + u128::from(d - b'0'));
    let whole = if frac.is_empty() {
        // 2^53 + 1 is halfway to 2^53 + 2: the even mantissa, 2^53, wins.
        match i {
            i if i <= EXACT => i,
            i if i == EXACT + 1 => EXACT,
            _ => return Err("is too large"),
        }
    } else if i >= EXACT {
        // Below 2^53 + 1 it rounds to 2^53, past it to 2^53 + 2 or more.
        if i == EXACT {
            EXACT
        } else {
            return Err("is too large");
        }
    } else if i >= EXACT / 2 {
        // Spacing 1: to the nearest integer, a half to the even one.
        match compare_fractions(frac.as_bytes(), b"5") {
            std::cmp::Ordering::Less => i,
            std::cmp::Ordering::Greater => i + 1,
            std::cmp::Ordering::Equal => i + (i & 1),
        }
    } else {
        // Spacing 2^(k-52) in [2^k, 2^(k+1)): whole within 2^-n of an integer, n = 53 - k;
        // below 1, within the smallest subnormal's half of 0 or 2^-54 of 1.
        let (down, up) = match i {
            0 => (1075, 54),
            i => {
                let n = 53 - (127 - i.leading_zeros());
                (n, n)
            }
        };
        // 2^-1075 has 323 zeros after the point: a fraction with fewer is larger (this spares
        // working out its 1075 digits for an ordinary `0.5`).
        let surely_larger = i == 0 && frac.len() - frac.trim_start_matches('0').len() < 320;
        if !surely_larger && compare_fractions(frac.as_bytes(), &two_to_minus(down)).is_le() {
            i
        } else if compare_fractions(frac.as_bytes(), &one_minus(&two_to_minus(up))).is_ge() {
            i + 1
        } else {
            return Err("is not a whole number (M-Pesa pays whole shillings)");
        }
    };
    let whole = whole as i64;
    Ok(if negative { -whole } else { whole })
}

/// The digits after the point of 2^-n: exactly n of them (5^n, zeros before).
fn two_to_minus(n: u32) -> Vec<u8> {
    let mut digits = vec![0u8; n as usize];
    let last = digits.len() - 1;
    digits[last] = 1;
    for _ in 0..n {
        let mut carry = 0;
        for d in digits.iter_mut().rev() {
            let v = *d * 5 + carry;
            *d = v % 10;
            carry = v / 10;
        }
    }
    digits.iter_mut().for_each(|d| *d += b'0');
    digits
}

/// The digits after the point of 1 - x, x's digits ending in a non-zero one.
fn one_minus(x: &[u8]) -> Vec<u8> {
    let last = x.len() - 1;
    x.iter().enumerate().map(|(at, &d)| if at == last { b'0' + 10 - (d - b'0') } else { b'0' + 9 - (d - b'0') }).collect()
}

/// Compares two fractions given as their digits after the point.
fn compare_fractions(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let digit = |s: &[u8], at: usize| s.get(at).copied().unwrap_or(b'0');
    (0..a.len().max(b.len())).map(|at| digit(a, at).cmp(&digit(b, at))).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
}

/// A non-negative whole number (`254708374149`, `20191219102115`) as its digits; strings
/// are accepted too, and for phone numbers Daraja's `*` masking.
fn digits(value: &Value, masked_ok: bool) -> Result<String, &'static str> {
    match value {
        Value::String(s) => {
            let ok = !s.is_empty() && s.len() <= 20 && s.chars().all(|c| c.is_ascii_digit() || (masked_ok && c == '*'));
            if ok {
                Ok(s.clone())
            } else {
                Err("is not a string of up to 20 digits")
            }
        }
        Value::Number(_) => match whole_number(value)? {
            n if n < 0 => Err("is negative"),
            n => Ok(n.to_string()),
        },
        _ => Err("is not a number"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `whole_decimal` replaced: std's float parser, then `whole_float`.
    fn through_f64(negative: bool, unsigned: &str) -> Result<i64, &'static str> {
        let f = unsigned.parse::<f64>().map_err(|_| "is not a number")?;
        whole_float(if negative { -f } else { f })
    }

    #[test]
    fn decimal_strings_are_judged_as_through_an_f64() {
        let mut ints: Vec<String> = ["0", "1", "2", "7", "10", "250", "1000", "999999", "00012"].map(String::from).to_vec();
        for k in [1u32, 2, 3, 10, 20, 30, 40, 49, 50, 51, 52, 53, 54, 60, 63, 64, 66] {
            let p = 1u128 << k;
            for i in [p - 1, p, p + 1, p + 2, p + 3] {
                ints.push(i.to_string());
            }
        }
        ints.push("123456789012345678901".into());
        let mut fracs: Vec<String> = ["", "0", "00", "5", "50", "25", "75", "125", "4999999", "5000001", "1", "9", "99", "999999999", "3", "01"].map(String::from).to_vec();
        for n in [2u32, 3, 10, 20, 30, 40, 50, 51, 52, 53, 54, 55, 60] {
            for neighbour in ["", "0", "1", "00001", "9"] {
                let low = String::from_utf8(two_to_minus(n)).unwrap();
                let high = String::from_utf8(one_minus(&two_to_minus(n))).unwrap();
                fracs.push(format!("{low}{neighbour}"));
                fracs.push(format!("{high}{neighbour}"));
                // Just below: the last digit one less, then nines.
                let mut below = low.clone().into_bytes();
                *below.last_mut().unwrap() -= 1;
                fracs.push(format!("{}999", String::from_utf8(below).unwrap()));
                let mut below = high.clone().into_bytes();
                *below.last_mut().unwrap() -= 1;
                fracs.push(format!("{}999", String::from_utf8(below).unwrap()));
            }
        }
        fracs.push(format!("{}1", "0".repeat(400)));
        fracs.push(String::from_utf8(two_to_minus(1075)).unwrap());
        fracs.push(format!("{}1", String::from_utf8(two_to_minus(1075)).unwrap()));
        let mut checked = 0;
        for int in &ints {
            for frac in &fracs {
                for text in [format!("{int}.{frac}"), int.clone()] {
                    for negative in [false, true] {
                        assert_eq!(whole_decimal(negative, &text), through_f64(negative, &text), "{negative} {text}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000);
        assert_eq!(whole_decimal(false, "12."), Ok(12));
    }

    const SUCCESS: &str = r#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925",
 "ResultCode":0,"ResultDesc":"The service request is processed successfully.",
 "CallbackMetadata":{"Item":[{"Name":"Amount","Value":1.00},{"Name":"MpesaReceiptNumber","Value":"NLJ7RT61SV"},
 {"Name":"Balance"},{"Name":"TransactionDate","Value":20191219102115},{"Name":"PhoneNumber","Value":254708374149}]}}}}"#;

    const CANCELLED: &str = r#"{"Body":{"stkCallback":{"MerchantRequestID":"29115-34620561-1","CheckoutRequestID":"ws_CO_191220191020363925",
 "ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}"#;

    fn paid() -> StkCallback {
        StkCallback {
            merchant_request_id: "29115-34620561-1".into(),
            checkout_request_id: "ws_CO_191220191020363925".into(),
            result_code: 0,
            result_desc: "The service request is processed successfully.".into(),
            amount: Some(1),
            receipt: Some("NLJ7RT61SV".into()),
            phone: Some("254708374149".into()),
            transaction_date: Some("20191219102115".into()),
        }
    }

    /// A success callback with these metadata items.
    fn with_items(items: &str) -> String {
        format!(
            r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"m1","CheckoutRequestID":"ws_CO_1","ResultCode":0,"ResultDesc":"ok",
            "CallbackMetadata":{{"Item":[{items}]}}}}}}}}"#
        )
    }

    #[test]
    fn the_specs_examples() {
        assert_eq!(parse_callback(SUCCESS.as_bytes()).unwrap(), paid());
        let cancelled = parse_callback(CANCELLED.as_bytes()).unwrap();
        assert_eq!(
            cancelled,
            StkCallback {
                result_code: 1032,
                result_desc: "Request cancelled by user".into(),
                amount: None,
                receipt: None,
                phone: None,
                transaction_date: None,
                ..paid()
            }
        );
    }

    #[test]
    fn items_are_read_by_name_in_any_order_and_form() {
        // (items, amount, phone, date)
        type Case<'a> = (&'a str, Option<i64>, Option<&'a str>, Option<&'a str>);
        let cases: &[Case] = &[
            (r#"{"Name":"PhoneNumber","Value":254708374149},{"Name":"MpesaReceiptNumber","Value":"R1"},{"Name":"Amount","Value":1}"#, Some(1), Some("254708374149"), None),
            (r#"{"Name":"Amount","Value":"10"},{"Name":"MpesaReceiptNumber","Value":"R1"},{"Name":"PhoneNumber","Value":"254708374149"}"#, Some(10), Some("254708374149"), None),
            (r#"{"Name":"Amount","Value":"50.00"},{"Name":"MpesaReceiptNumber","Value":"R1"},{"Name":"TransactionDate","Value":"20191219102115"}"#, Some(50), None, Some("20191219102115")),
            (r#"{"Name":"Amount","Value":250000.0},{"Name":"MpesaReceiptNumber","Value":"R1"},{"Name":"PhoneNumber","Value":"2547****149"}"#, Some(250_000), Some("2547****149"), None),
            (r#"{"Name":"Balance"},{"Name":"Amount","Value":5},{"Name":"Unknown","Value":[1,2]},{"Name":"MpesaReceiptNumber","Value":"R1"},{"Name":"PhoneNumber","Value":null}"#, Some(5), None, None),
        ];
        for (items, amount, phone, date) in cases {
            let callback = parse_callback(with_items(items).as_bytes()).unwrap_or_else(|e| panic!("{items}: {e}"));
            assert_eq!(callback.amount, *amount, "{items}");
            assert_eq!(callback.receipt.as_deref(), Some("R1"), "{items}");
            assert_eq!(callback.phone.as_deref(), *phone, "{items}");
            assert_eq!(callback.transaction_date.as_deref(), *date, "{items}");
        }
    }

    #[test]
    fn bad_callbacks_name_what_is_wrong() {
        let receipt = r#"{"Name":"MpesaReceiptNumber","Value":"R1"}"#;
        let cases: Vec<(String, &str)> = vec![
            ("".into(), "not JSON"),
            ("garbage".into(), "not JSON"),
            ("\u{0}\u{ff}".into(), "not JSON"),
            ("[1,2,3]".into(), "no Body.stkCallback"),
            (r#"{"Body":{}}"#.into(), "no Body.stkCallback"),
            (r#"{"Body":{"stkCallback":"yes"}}"#.into(), "Body.stkCallback is not an object"),
            (r#"{"Body":{"stkCallback":{"CheckoutRequestID":"ws_CO_1","ResultCode":0}}}"#.into(), "no stkCallback.MerchantRequestID"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","ResultCode":0}}}"#.into(), "no stkCallback.CheckoutRequestID"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"","ResultCode":0}}}"#.into(), "no stkCallback.CheckoutRequestID"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":7,"ResultCode":0}}}"#.into(), "CheckoutRequestID is not text"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c"}}}"#.into(), "no stkCallback.ResultCode"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":"zero"}}}"#.into(), "ResultCode is not a number"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":9223372036854775808}}}"#.into(), "ResultCode is too large"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":1e300}}}"#.into(), "ResultCode is too large"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":1e400}}}"#.into(), "not JSON"),
            // A success must say how much and with which receipt.
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":0}}}"#.into(), "no CallbackMetadata.Amount"),
            (with_items(r#"{"Name":"Amount","Value":1}"#), "no CallbackMetadata.MpesaReceiptNumber"),
            (with_items(&format!(r#"{{"Name":"Amount"}},{receipt}"#)), "no CallbackMetadata.Amount"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1.50}},{receipt}"#)), "Amount is not a whole number"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":"1.5"}},{receipt}"#)), "Amount is not a whole number"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":0}},{receipt}"#)), "Amount is not a positive"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":-5}},{receipt}"#)), "Amount is not a positive"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":"1e3"}},{receipt}"#)), "Amount is not a number"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":"NaN"}},{receipt}"#)), "Amount is not a number"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":true}},{receipt}"#)), "Amount is not a number"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":99999999999999999999}},{receipt}"#)), "Amount is too large"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1e20}},{receipt}"#)), "Amount is too large"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{{"Name":"Amount","Value":1000}},{receipt}"#)), "Amount appears more than once"),
            (with_items(r#"{"Name":"Amount","Value":1},{"Name":"MpesaReceiptNumber","Value":"NLJ 7RT"}"#), "MpesaReceiptNumber is not 1 to 20"),
            (with_items(r#"{"Name":"Amount","Value":1},{"Name":"MpesaReceiptNumber","Value":12345}"#), "MpesaReceiptNumber is not 1 to 20"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},{{"Name":"PhoneNumber","Value":-254}}"#)), "PhoneNumber is negative"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},{{"Name":"PhoneNumber","Value":"+2547"}}"#)), "PhoneNumber is not a string of up to 20 digits"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},{{"Name":"PhoneNumber","Value":1e30}}"#)), "PhoneNumber is too large"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},{{"Name":"TransactionDate","Value":"2019-12-19"}}"#)), "TransactionDate is not a string"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},{{"Value":3}}"#)), "entry without a Name"),
            (with_items(&format!(r#"{{"Name":"Amount","Value":1}},{receipt},7"#)), "entry without a Name"),
            (r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":1,"CallbackMetadata":{"Item":{}}}}}"#.into(), "Item is not a list"),
        ];
        for (body, needle) in cases {
            let err = parse_callback(body.as_bytes()).expect_err(&body);
            let shown = crate::error_chain(&err);
            assert!(shown.contains(needle), "{body}\n gave: {shown}\n wanted: {needle}");
        }
    }

    #[test]
    fn every_i64_reads_from_a_string_too() {
        // `"-9223372036854775808"` was refused as too large (its digits alone overflow).
        for code in [i64::MIN, i64::MIN + 1, -1, 1032, i64::MAX] {
            let body = format!(r#"{{"Body":{{"stkCallback":{{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":"{code}"}}}}}}"#);
            assert_eq!(parse_callback(body.as_bytes()).map(|c| c.result_code).ok(), Some(code), "{body}");
        }
    }

    #[test]
    fn failures_need_no_metadata_and_may_carry_some() {
        let body = r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":"2001","ResultDesc":"The initiator information is invalid.",
            "CallbackMetadata":{"Item":[{"Name":"Balance"}]}}}}"#;
        let callback = parse_callback(body.as_bytes()).unwrap();
        assert_eq!((callback.result_code, callback.amount, callback.receipt), (2001, None, None));
        let no_desc = r#"{"Body":{"stkCallback":{"MerchantRequestID":"m","CheckoutRequestID":"c","ResultCode":1037,"CallbackMetadata":null}}}"#;
        assert_eq!(parse_callback(no_desc.as_bytes()).unwrap().result_desc, "");
    }
}

//! Phone numbers as payers type them (`phone::Phone::parse`): a number that parses is a
//! country code and nine digits, parses again to itself from both of its printed forms and
//! with separators anywhere; a refusal says how to type one and quotes at most 32
//! characters of the input; every usual way of typing a valid number reads the same.

use hotspotd::phone::Phone;

/// Any text and calling code.
pub fn check_phone_text(typed: &str, country_code: &str) {
    match Phone::parse(typed, country_code) {
        Ok(phone) => {
            let msisdn = phone.msisdn();
            let national = msisdn.strip_prefix(country_code).unwrap_or_else(|| panic!("{typed:?} gave {msisdn}"));
            assert!(national.len() == 9 && national.bytes().all(|b| b.is_ascii_digit()), "{typed:?} gave {msisdn}");
            if country_code == "254" {
                assert!(national.starts_with('7') || national.starts_with('1'), "{typed:?} is not a Kenyan mobile: {msisdn}");
            }
            assert_eq!(phone.e164(), format!("+{msisdn}"));
            for form in [msisdn.clone(), phone.e164(), format!("0{national}"), spaced(&msisdn)] {
                assert_eq!(Phone::parse(&form, country_code).as_ref(), Ok(&phone), "{typed:?} → {msisdn}, but {form:?}");
            }
        }
        Err(e) => {
            assert!(e.to_string().contains("type it like 0712345678"), "{e}");
            assert!(e.0.chars().count() <= 32, "the refusal quotes too much: {e}");
        }
    }
    let typed_spaced = spaced(typed);
    assert_eq!(Phone::parse(&typed_spaced, country_code).ok(), Phone::parse(typed, country_code).ok(), "{typed:?} vs {typed_spaced:?}");
}

/// `text` with separators people type between its characters (`0712 345-678`).
fn spaced(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && c != '+' {
            out.push([' ', '-', '.', '(', ')'][i % 5]);
        }
        out.push(c);
    }
    out
}

/// The nine digits after a calling code, typed every usual way, read as one number.
pub fn check_phone_forms(country_code: &str, national: &str) {
    assert!(national.len() == 9 && national.bytes().all(|b| b.is_ascii_digit()));
    let is_mobile = country_code != "254" || national.starts_with('7') || national.starts_with('1');
    let forms = [national.to_owned(), format!("0{national}"), format!("{country_code}{national}"), format!("+{country_code}{national}")];
    for typed in forms {
        match Phone::parse(&typed, country_code) {
            Ok(phone) => {
                assert!(is_mobile, "{typed:?} is not a mobile number, but parsed");
                assert_eq!(phone.msisdn(), format!("{country_code}{national}"), "{typed:?}");
            }
            Err(e) => assert!(!is_mobile, "{typed:?} with code {country_code}: {e}"),
        }
    }
}

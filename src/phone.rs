//! Phone numbers as payers type them: `0712 345 678`, `712345678`, `+254712345678`,
//! `254712345678`, `0112…`. Normalised to the national significant number, shown as
//! `254712345678` for M-Pesa and `+254712345678` (E.164) for SMS. Anything else is a clear
//! error before any call is made. Pure.

use std::fmt;

/// A valid mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone {
    country_code: String,
    /// Digits after the country code, e.g. `712345678`.
    national: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadPhone(pub String);

impl fmt::Display for BadPhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a mobile number; type it like 0712345678", self.0)
    }
}

impl std::error::Error for BadPhone {}

impl Phone {
    /// Parses what a person typed; `country_code` (e.g. `254`) applies to local forms.
    pub fn parse(typed: &str, country_code: &str) -> Result<Phone, BadPhone> {
        let bad = || BadPhone(typed.trim().chars().take(32).collect());
        let compact: String = typed.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '.')).collect();
        let (plus, digits) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        let national = if let Some(rest) = digits.strip_prefix(country_code).filter(|r| r.len() == 9) {
            rest
        } else if plus {
            return Err(bad()); // another country's number
        } else if let Some(rest) = digits.strip_prefix('0').filter(|r| r.len() == 9) {
            rest
        } else if digits.len() == 9 {
            digits
        } else {
            return Err(bad());
        };
        // Kenyan mobile numbers start with 7 or 1 (Safaricom, Airtel, Telkom).
        if country_code == "254" && !matches!(national.as_bytes()[0], b'7' | b'1') {
            return Err(bad());
        }
        Ok(Phone { country_code: country_code.to_owned(), national: national.to_owned() })
    }

    /// `254712345678`: what M-Pesa wants.
    pub fn msisdn(&self) -> String {
        format!("{}{}", self.country_code, self.national)
    }

    /// `+254712345678`: what SMS gateways want.
    pub fn e164(&self) -> String {
        format!("+{}{}", self.country_code, self.national)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_way_people_type_a_number() {
        for typed in ["0712345678", "712345678", "+254712345678", "254712345678", "0712 345 678", "+254 (712) 345-678"] {
            let phone = Phone::parse(typed, "254").unwrap_or_else(|e| panic!("{typed}: {e}"));
            assert_eq!(phone.msisdn(), "254712345678", "{typed}");
            assert_eq!(phone.e164(), "+254712345678", "{typed}");
        }
        assert_eq!(Phone::parse("0112345678", "254").unwrap().msisdn(), "254112345678");
    }

    #[test]
    fn anything_else_is_refused_with_a_hint() {
        for typed in ["", "07123", "07123456789", "0812345678", "+255712345678", "hello", "2547123456789", "+"] {
            let err = Phone::parse(typed, "254").unwrap_err();
            assert!(err.to_string().contains("like 0712345678"), "{typed}: {err}");
        }
    }
}

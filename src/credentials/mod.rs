//! Secrets a phone user types: voucher codes and account passwords.
//!
//! Generation draws from the kernel's random source (`/dev/urandom`); hashing, verifying and
//! normalising what a user typed are pure. Account passwords are stored as salted
//! HMAC-SHA256 (`v1$SALT$MAC`, hex): they are short-lived, randomly generated hotspot
//! passwords, and logins are rate-limited, so a slow KDF would only cost router CPU.
//! `sealed` keeps them recoverable too, for RADIUS CHAP.

pub mod sealed;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Read;

type HmacSha256 = Hmac<Sha256>;

/// Voucher and password characters: no 0/O, 1/I/L, so codes read out loud survive.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
pub const VOUCHER_LEN: usize = 8;
const PASSWORD_LEN: usize = 6;

/// Fills `buf` from the kernel's random source.
pub fn random_bytes(buf: &mut [u8]) -> std::io::Result<()> {
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

fn random_code(len: usize) -> std::io::Result<String> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 32];
    while out.len() < len {
        random_bytes(&mut buf)?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for &b in buf.iter().filter(|&&b| (b as usize) < limit) {
            if out.len() == len {
                break;
            }
            out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
        }
    }
    Ok(out)
}

/// A new voucher code, e.g. `K7MX3QPA` (about 39 bits).
pub fn new_voucher_code() -> std::io::Result<String> {
    random_code(VOUCHER_LEN)
}

/// A new account password, lowercase for phone keyboards, e.g. `k7mx3q`.
pub fn new_password() -> std::io::Result<String> {
    Ok(random_code(PASSWORD_LEN)?.to_ascii_lowercase())
}

/// Whether a normalised code could be one of ours (our length and alphabet), so a lookup is
/// worth it (a RADIUS username is tried as a voucher first).
pub fn could_be_voucher_code(code: &str) -> bool {
    code.len() == VOUCHER_LEN && code.bytes().all(|b| ALPHABET.contains(&b))
}

/// What a user typed, as stored: upper case, without spaces or dashes (`k7mx-3qpa` → `K7MX3QPA`).
pub fn normalise_voucher_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn mac_of(salt: &[u8], password: &str) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(salt).expect("HMAC accepts any key length");
    mac.update(password.as_bytes());
    mac
}

/// Hashes a password with a fresh random salt.
pub fn hash_password(password: &str) -> std::io::Result<String> {
    let mut salt = [0u8; 16];
    random_bytes(&mut salt)?;
    Ok(hash_password_with_salt(password, &salt))
}

pub fn hash_password_with_salt(password: &str, salt: &[u8]) -> String {
    let digest = mac_of(salt, password).finalize().into_bytes();
    format!("v1${}${}", hex(salt), hex(&digest))
}

/// Checks a typed password against a stored hash, in constant time. A malformed hash
/// never verifies.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("v1"), Some(salt), Some(digest), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Some(salt), Some(digest)) = (unhex(salt), unhex(digest)) else { return false };
    mac_of(&salt, password).verify_slice(&digest).is_ok()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn voucher_codes_use_the_readable_alphabet() {
        let code = new_voucher_code().unwrap();
        assert_eq!(code.len(), VOUCHER_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert_ne!(code, new_voucher_code().unwrap());
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(normalise_voucher_code(" k7mx-3qpa "), "K7MX3QPA");
        assert_eq!(normalise_voucher_code("K7MX 3QPA"), "K7MX3QPA");
    }

    #[test]
    fn passwords_verify_only_when_right() {
        let stored = hash_password("k7mx3q").unwrap();
        assert!(verify_password("k7mx3q", &stored));
        assert!(!verify_password("k7mx3Q", &stored));
        assert!(!verify_password("", &stored));
        assert_ne!(stored, hash_password("k7mx3q").unwrap(), "salts differ");
        for malformed in ["", "v1$", "v1$zz$00", "v2$00$00", "v1$00$00$00"] {
            assert!(!verify_password("x", malformed), "{malformed}");
        }
    }

    #[test]
    fn known_answer() {
        // HMAC-SHA256(key = "salt", "password"), as `openssl dgst -sha256 -hmac salt` prints it.
        assert_eq!(
            hash_password_with_salt("password", b"salt"),
            "v1$73616c74$84ec44c7d6fc41917953a1dafca3c7d7856f7a9d0328b991b76f0d36be1224b9"
        );
    }
}

//! The operator's password as stored (settings key `admin_password`):
//! `pbkdf2-sha256$<iterations>$<salt, base64>$<hash, base64>` — PBKDF2-HMAC-SHA256
//! (RFC 8018) over a 16-byte random salt, 32-byte output, built on the `hmac` and `sha2`
//! crates already in the binary. Pure apart from drawing the salt; hashing is slow on
//! purpose, so callers run it off the runtime thread (`dispatch` uses a `Share`).
//!
//! Unlike hotspot passwords (random, short-lived, `credentials`), this one is chosen by a
//! person and guards everything, so it gets a slow hash: a stolen database (a backup, a
//! sold router) should not give the password away cheaply.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Iterations for new hashes, sized for about half a second on the router. Measured on
/// x86-64 (AMD EPYC, `opt-level = "z"` as the router build, sha2 using the CPU's SHA
/// extensions): 450–530 k iterations a second, where the time goes mostly into HMAC
/// bookkeeping, not the compressions. A MIPS 24Kc at ~580 MHz (in-order, 32-bit, no SHA
/// instructions: ~2.5 µs per SHA-256 block, four blocks an iteration, plus that bookkeeping
/// at a fifth of the clock) is estimated at 25–50 µs an iteration: 20,000 take ~0.5–1 s
/// there and ~40 ms on the PC. Slow for a thief's guessing, fine for an operator who logs
/// in once in 12 hours. Stored hashes keep their own count, so this can be changed later
/// without breaking them.
pub const ITERATIONS: u32 = 20_000;
/// Shortest password `hotspotd admin password` accepts.
pub const MIN_LEN: usize = 8;
/// Stored hashes with more iterations than this are refused (a hostile value would pin a
/// core for hours).
const MAX_ITERATIONS: u32 = 10_000_000;
const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
const SCHEME: &str = "pbkdf2-sha256";

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is too short: use at least {MIN_LEN} characters")]
    TooShort,
    #[error("cannot read random bytes for the salt")]
    Random(#[source] std::io::Error),
}

/// Whether `password` may be set (length in characters, surrounding spaces not counted).
pub fn check_new(password: &str) -> Result<(), PasswordError> {
    if password.trim().chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort);
    }
    Ok(())
}

/// A new stored hash of `password` with a fresh salt and `ITERATIONS`.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let mut salt = [0u8; SALT_LEN];
    crate::credentials::random_bytes(&mut salt).map_err(PasswordError::Random)?;
    Ok(hash_with(password, &salt, ITERATIONS))
}

/// The stored form for a given salt and iteration count.
pub fn hash_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let out = pbkdf2(password.as_bytes(), salt, iterations);
    format!("{SCHEME}${iterations}${}${}", B64.encode(salt), B64.encode(out))
}

/// Whether `password` matches `stored` (compared in constant time). A stored value in
/// another format never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(SCHEME), Some(iterations), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(iterations) = iterations.parse::<u32>() else { return false };
    let (Ok(salt), Ok(expected)) = (B64.decode(salt), B64.decode(expected)) else { return false };
    if iterations == 0 || iterations > MAX_ITERATIONS || expected.len() != HASH_LEN {
        return false;
    }
    let got = pbkdf2(password.as_bytes(), &salt, iterations);
    super::auth::constant_time_eq(&got, &expected)
}

/// PBKDF2-HMAC-SHA256 with one output block (32 bytes).
fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> [u8; HASH_LEN] {
    // HMAC takes a key of any length.
    let keyed = HmacSha256::new_from_slice(password).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; HASH_LEN] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u) {
            *o ^= x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn pbkdf2_matches_the_published_vectors() {
        // RFC 7914 section 11 (PBKDF2-HMAC-SHA256), first 32 bytes.
        assert_eq!(hex(&pbkdf2(b"passwd", b"salt", 1)), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc");
        // Widely published vector (password/salt, 2 iterations).
        assert_eq!(hex(&pbkdf2(b"password", b"salt", 2)), "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
    }

    #[test]
    fn the_stored_form_and_verification() {
        let stored = hash_with("correct horse", b"0123456789abcdef", 1000);
        let parts: Vec<&str> = stored.split('$').collect();
        assert_eq!(parts[..3], ["pbkdf2-sha256", "1000", "MDEyMzQ1Njc4OWFiY2RlZg"]);
        assert_eq!(B64.decode(parts[3]).unwrap().len(), 32);
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct horsE", &stored));
        assert!(!verify("", &stored));
        for bad in ["", "v1$x$y", "pbkdf2-sha256$0$MDEy$AAAA", "pbkdf2-sha256$99999999$MDEy$AAAA", &format!("{stored}$x")] {
            assert!(!verify("correct horse", bad), "{bad}");
        }
        let fresh = hash("correct horse").unwrap();
        assert!(fresh.starts_with(&format!("pbkdf2-sha256${ITERATIONS}$")));
        assert_ne!(fresh, hash("correct horse").unwrap(), "a new salt each time");
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_new("1234567").is_err());
        assert!(check_new("  1234567  ").is_err());
        assert!(check_new("12345678").is_ok());
        assert!(check_new("nenosiri").is_ok());
    }
}

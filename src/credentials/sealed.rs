//! Account passwords kept recoverable for RADIUS CHAP, which needs the password itself
//! (the NAS sends MD5(ident ‖ password ‖ challenge), never the password). Sealed: encrypted
//! and authenticated with a 32-byte key kept in a file outside the database (`option
//! password_key_file`), so a copy of the database alone reveals no password.
//!
//! The construction uses only what the binary already has (HMAC-SHA256): two subkeys from
//! the key (`enc`, `mac`); a random 16-byte nonce; keystream blocks HMAC(enc, nonce ‖ i);
//! tag HMAC(mac, nonce ‖ ciphertext) truncated to 16 bytes (encrypt-then-MAC). Stored as
//! `s1$NONCE$CIPHERTEXT$TAG` in hex.
//!
//! The key is process configuration, loaded once at start (`install`) by the daemon and by
//! commands that create accounts; without one, accounts get no sealed password and CHAP
//! logins to them are refused (PAP still works).

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::OnceLock;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::{hex, random_bytes, unhex};

type HmacSha256 = Hmac<Sha256>;

const KEY_LEN: usize = 32;
/// Passwords longer than this are not sealed (ours are 6 characters; CHAP allows 128 octets).
const MAX_LEN: usize = 128;

/// The sealing key, in memory only.
#[derive(Clone)]
pub struct SealingKey {
    enc: [u8; 32],
    mac: [u8; 32],
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the password key file {path}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot create the password key file {path}")]
    Create {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the password key file {path} holds {len} bytes; it must hold exactly {KEY_LEN} (delete it to have a new one made, which makes CHAP fail for existing accounts until their passwords are reset)")]
    Length { path: String, len: usize },
}

impl SealingKey {
    pub fn from_bytes(key: &[u8; KEY_LEN]) -> SealingKey {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        SealingKey { enc: derive(b"hotspotd password seal enc"), mac: derive(b"hotspotd password seal mac") }
    }

    /// Reads the key file, creating it (mode 0600, random) if it does not exist yet.
    pub fn load_or_create(path: &Path) -> Result<SealingKey, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => {
                let key: [u8; KEY_LEN] =
                    bytes.as_slice().try_into().map_err(|_| KeyError::Length { path: shown, len: bytes.len() })?;
                Ok(SealingKey::from_bytes(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let create = |source| KeyError::Create { path: shown.clone(), source };
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(create)?;
                }
                let mut key = [0u8; KEY_LEN];
                random_bytes(&mut key).map_err(create)?;
                let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(create)?;
                file.write_all(&key).and_then(|()| file.sync_all()).map_err(create)?;
                Ok(SealingKey::from_bytes(&key))
            }
            Err(source) => Err(KeyError::Read { path: shown, source }),
        }
    }

    fn keystream_xor(&self, nonce: &[u8], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            let mut mac = HmacSha256::new_from_slice(&self.enc).expect("HMAC accepts any key length");
            mac.update(nonce);
            mac.update(&(i as u32).to_be_bytes());
            let block = mac.finalize().into_bytes();
            chunk.iter_mut().zip(block.iter()).for_each(|(b, k)| *b ^= k);
        }
    }

    fn tag(&self, nonce: &[u8], ciphertext: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.mac).expect("HMAC accepts any key length");
        mac.update(nonce);
        mac.update(ciphertext);
        mac
    }

    /// Seals a password (`None` if it is too long to be a hotspot password, or no random
    /// bytes could be read).
    pub fn seal(&self, password: &str) -> Option<String> {
        if password.len() > MAX_LEN {
            return None;
        }
        let mut nonce = [0u8; 16];
        random_bytes(&mut nonce).ok()?;
        let mut data = password.as_bytes().to_vec();
        self.keystream_xor(&nonce, &mut data);
        let tag = self.tag(&nonce, &data).finalize().into_bytes();
        Some(format!("s1${}${}${}", hex(&nonce), hex(&data), hex(&tag[..16])))
    }

    /// The password a sealed string holds; `None` if it was sealed with another key, was
    /// altered, or is not a sealed string.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let mut parts = sealed.split('$');
        let (Some("s1"), Some(nonce), Some(data), Some(tag), None) = (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let (nonce, mut data, tag) = (unhex(nonce)?, unhex(data)?, unhex(tag)?);
        self.tag(&nonce, &data).verify_truncated_left(&tag).ok()?;
        self.keystream_xor(&nonce, &mut data);
        String::from_utf8(data).ok()
    }
}

static KEY: OnceLock<SealingKey> = OnceLock::new();

/// Makes `key` the process's sealing key (the first call wins).
pub fn install(key: SealingKey) {
    let _ = KEY.set(key);
}

/// The process's sealing key, if one was installed.
pub fn key() -> Option<&'static SealingKey> {
    KEY.get()
}

/// Seals `password` with the process's key (`None` without one).
pub fn seal(password: &str) -> Option<String> {
    key()?.seal(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_password_opens_only_with_its_key_and_unaltered() {
        let key = SealingKey::from_bytes(&[7; 32]);
        let sealed = key.seal("k7mx3q").unwrap();
        assert!(!sealed.contains("k7mx3q"));
        assert_eq!(key.open(&sealed).as_deref(), Some("k7mx3q"));
        assert_ne!(sealed, key.seal("k7mx3q").unwrap(), "nonces differ");
        assert_eq!(SealingKey::from_bytes(&[8; 32]).open(&sealed), None, "another key");
        let mut altered = sealed.clone().into_bytes();
        let i = sealed.find('$').unwrap() + 35; // a ciphertext digit
        altered[i] = if altered[i] == b'0' { b'1' } else { b'0' };
        assert_eq!(key.open(std::str::from_utf8(&altered).unwrap()), None, "altered");
        for garbage in ["", "s1$", "s1$00$00$00$00", "v1$00$00", "s1$zz$00$00"] {
            assert_eq!(key.open(garbage), None, "{garbage}");
        }
        let long = "x".repeat(40);
        assert_eq!(key.open(&key.seal(&long).unwrap()), Some(long), "more than one keystream block");
    }

    #[test]
    fn the_key_file_is_made_once_private_and_checked() {
        let dir = std::env::temp_dir().join(format!("hotspotd-seal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("keys/password.key");
        let sealed = SealingKey::load_or_create(&path).unwrap().seal("abc123").unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(SealingKey::load_or_create(&path).unwrap().open(&sealed).as_deref(), Some("abc123"), "same key next start");
        std::fs::write(&path, b"short").unwrap();
        let err = SealingKey::load_or_create(&path).err().unwrap();
        assert!(err.to_string().contains("must hold exactly 32"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Who is logged in to the web admin, and the pure rules around it: sessions (in memory,
//! bounded, absolute expiry), their cookie, the per-session CSRF token, the `Origin` check
//! and the wrong-password limits. Time comes in as monotonic seconds; no I/O here except
//! drawing random tokens (`credentials::random_bytes`).
//!
//! Sessions live in memory only: a daemon restart logs the operator out, which is cheap (one
//! password) and means no session secret ever reaches the flash.

use std::collections::HashMap;
use std::net::IpAddr;

/// The session cookie's name.
pub const COOKIE: &str = "hotspotd_admin";
/// A session's absolute lifetime (also the cookie's `Max-Age`).
pub const SESSION_SECS: u64 = 12 * 3600;
/// Sessions at once; a new login evicts the oldest.
pub const MAX_SESSIONS: usize = 8;
/// Wrong passwords per source address per `PER_ADDRESS_WINDOW_SECS`…
pub const WRONG_PER_ADDRESS: u32 = 5;
pub const PER_ADDRESS_WINDOW_SECS: u64 = 300;
/// …and from all addresses together per `ALL_WINDOW_SECS`.
pub const WRONG_ALL: u32 = 30;
pub const ALL_WINDOW_SECS: u64 = 60;
/// Addresses the limiter remembers (when full, the stalest goes).
const LIMITER_CAPACITY: usize = 256;

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    /// The cookie's value: 32 random bytes, hex.
    pub id: String,
    /// The token every form of this session carries (hex, 32 bytes).
    pub csrf: String,
    /// When it began (monotonic seconds).
    pub started: u64,
    pub peer: IpAddr,
}

/// Why a login may not be tried now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooMany {
    pub retry_after_secs: u64,
}

/// Sessions and wrong-password counts.
#[derive(Debug, Default)]
pub struct AuthState {
    sessions: Vec<Session>,
    /// Per address: (window start, failures in it).
    wrong: HashMap<IpAddr, (u64, u32)>,
    /// All addresses: (window start, failures in it).
    wrong_all: (u64, u32),
}

impl AuthState {
    pub fn new() -> AuthState {
        AuthState::default()
    }

    /// The live session whose id is `cookie` (compared in constant time), if any.
    pub fn session(&mut self, cookie: &str, now: u64) -> Option<Session> {
        self.sessions.retain(|s| now < s.started + SESSION_SECS);
        self.sessions.iter().find(|s| constant_time_eq(s.id.as_bytes(), cookie.as_bytes())).cloned()
    }

    /// Starts a session for `peer` with fresh random id and token; the oldest goes if full.
    pub fn start(&mut self, peer: IpAddr, now: u64) -> std::io::Result<Session> {
        let session = Session { id: random_hex()?, csrf: random_hex()?, started: now, peer };
        self.sessions.retain(|s| now < s.started + SESSION_SECS);
        while self.sessions.len() >= MAX_SESSIONS {
            self.sessions.remove(0);
        }
        self.sessions.push(session.clone());
        Ok(session)
    }

    /// Ends the session `id` (log out).
    pub fn end(&mut self, id: &str) {
        self.sessions.retain(|s| !constant_time_eq(s.id.as_bytes(), id.as_bytes()));
    }

    pub fn sessions(&self) -> usize {
        self.sessions.len()
    }

    /// Whether `peer` may try a password now.
    pub fn may_try(&self, peer: IpAddr, now: u64) -> Result<(), TooMany> {
        if let Some(&(started, failures)) = self.wrong.get(&peer) {
            let ends = started + PER_ADDRESS_WINDOW_SECS;
            if failures >= WRONG_PER_ADDRESS && now < ends {
                return Err(TooMany { retry_after_secs: ends - now });
            }
        }
        let (started, failures) = self.wrong_all;
        let ends = started + ALL_WINDOW_SECS;
        if failures >= WRONG_ALL && now < ends {
            return Err(TooMany { retry_after_secs: ends - now });
        }
        Ok(())
    }

    /// Counts a wrong password from `peer`. (A right one forgets nothing: failures age out.)
    pub fn record_wrong(&mut self, peer: IpAddr, now: u64) {
        if !self.wrong.contains_key(&peer) && self.wrong.len() >= LIMITER_CAPACITY {
            self.wrong.retain(|_, (started, _)| now < *started + PER_ADDRESS_WINDOW_SECS);
            if self.wrong.len() >= LIMITER_CAPACITY {
                if let Some(stalest) = self.wrong.iter().min_by_key(|(_, (started, _))| *started).map(|(k, _)| *k) {
                    self.wrong.remove(&stalest);
                }
            }
        }
        let entry = self.wrong.entry(peer).or_insert((now, 0));
        if now >= entry.0 + PER_ADDRESS_WINDOW_SECS {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        if self.wrong_all.1 == 0 || now >= self.wrong_all.0 + ALL_WINDOW_SECS {
            self.wrong_all = (now, 0);
        }
        self.wrong_all.1 = self.wrong_all.1.saturating_add(1);
    }
}

/// 32 random bytes from the kernel, hex (64 characters).
pub fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    crate::credentials::random_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Equal contents, in time that depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The `Set-Cookie` value that logs a browser in.
pub fn session_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={SESSION_SECS}")
}

/// The `Set-Cookie` value that logs a browser out.
pub fn cleared_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The `Set-Cookie` value of the language switch: a year, sent on top-level links too.
pub fn lang_cookie(code: &str) -> String {
    format!("lang={code}; SameSite=Lax; Path=/; Max-Age=31536000")
}

/// The value of cookie `name` in `Cookie` header values (`a=1; b=2`).
pub fn cookie<'a>(headers: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    headers
        .into_iter()
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// Whether a POST's form carries this session's token (constant time).
pub fn csrf_ok(session_token: &str, sent: Option<&str>) -> bool {
    sent.is_some_and(|sent| !session_token.is_empty() && constant_time_eq(session_token.as_bytes(), sent.as_bytes()))
}

/// Whether a POST may have come from a page of this admin: no `Origin` header (older
/// browsers, curl), or one whose host[:port] is the `Host` the request was sent to.
pub fn origin_ok(origin: Option<&str>, host: Option<&str>) -> bool {
    let Some(origin) = origin else { return true };
    let Some(from) = crate::portal::http::origin_authority(origin.trim()) else { return false };
    host.is_some_and(|host| from.eq_ignore_ascii_case(host.trim()))
}

/// Where the language switch may send the browser back to: a local path only (`/x`, not
/// `//evil.example` or `/\evil`), else `/`.
pub fn local_path(back: Option<&str>) -> &str {
    match back {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.bytes().any(|b| b < 0x20 || b == 0x7f) => p,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 168, 1, last])
    }

    #[test]
    fn cookies_have_the_attributes_that_keep_them_safe() {
        assert_eq!(session_cookie("ab"), "hotspotd_admin=ab; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200");
        assert!(cleared_cookie().ends_with("Max-Age=0"));
        assert_eq!(lang_cookie("sw"), "lang=sw; SameSite=Lax; Path=/; Max-Age=31536000");
        assert_eq!(cookie(["lang=sw; hotspotd_admin=f00 ", "x=1"], COOKIE), Some("f00"));
        assert_eq!(cookie(["a=1", "lang=en"], "lang"), Some("en"));
        assert_eq!(cookie(["xhotspotd_admin=1"], COOKIE), None);
    }

    #[test]
    fn sessions_are_bounded_expire_and_end() {
        let mut state = AuthState::new();
        let first = state.start(ip(2), 0).unwrap();
        assert_eq!(first.id.len(), 64);
        assert_ne!(first.id, first.csrf);
        assert_eq!(state.session(&first.id, 10).map(|s| s.csrf), Some(first.csrf.clone()));
        assert!(state.session("nope", 10).is_none());
        assert!(state.session(&first.id, SESSION_SECS).is_none(), "12 h is absolute");
        let ids: Vec<String> = (0..MAX_SESSIONS + 1).map(|i| state.start(ip(3), 100 + i as u64).unwrap().id).collect();
        assert_eq!(state.sessions(), MAX_SESSIONS);
        assert!(state.session(&ids[0], 200).is_none(), "the oldest was evicted");
        assert!(state.session(&ids[MAX_SESSIONS], 200).is_some());
        state.end(&ids[MAX_SESSIONS]);
        assert!(state.session(&ids[MAX_SESSIONS], 200).is_none());
    }

    #[test]
    fn csrf_and_origin_checks() {
        assert!(csrf_ok("abc", Some("abc")));
        assert!(!csrf_ok("abc", Some("abd")));
        assert!(!csrf_ok("abc", None));
        assert!(!csrf_ok("", Some("")));
        assert!(origin_ok(None, Some("192.168.1.1:2051")));
        assert!(origin_ok(Some("http://192.168.1.1:2051"), Some("192.168.1.1:2051")));
        assert!(!origin_ok(Some("http://evil.example"), Some("192.168.1.1:2051")));
        assert!(!origin_ok(Some("null"), Some("192.168.1.1:2051")));
        assert!(!origin_ok(Some("http://192.168.1.1:2051"), None));
    }

    #[test]
    fn the_way_back_stays_on_this_site() {
        assert_eq!(local_path(Some("/system?x=1")), "/system?x=1");
        for bad in ["//evil.example/", "/\\evil", "http://evil", "", "/a\r\nSet-Cookie: x"] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn five_wrong_per_address_then_wait_and_thirty_in_all() {
        let mut state = AuthState::new();
        for _ in 0..WRONG_PER_ADDRESS {
            assert!(state.may_try(ip(9), 10).is_ok());
            state.record_wrong(ip(9), 10);
        }
        assert_eq!(state.may_try(ip(9), 70), Err(TooMany { retry_after_secs: 240 }));
        assert!(state.may_try(ip(8), 70).is_ok(), "another address still may");
        assert!(state.may_try(ip(9), 310).is_ok(), "the window ended");
        let mut state = AuthState::new();
        for i in 0..WRONG_ALL {
            state.record_wrong(IpAddr::from([10, 0, (i / 200) as u8, (i % 200) as u8]), 5);
        }
        assert_eq!(state.may_try(ip(1), 20), Err(TooMany { retry_after_secs: 45 }));
        assert!(state.may_try(ip(1), 65).is_ok());
    }

    #[test]
    fn the_limiter_is_bounded() {
        let mut state = AuthState::new();
        for i in 0..1000u32 {
            state.record_wrong(IpAddr::from(i.to_be_bytes()), u64::from(i));
        }
        assert!(state.wrong.len() <= LIMITER_CAPACITY);
    }
}

//! Time for the daemon, behind a trait. Pure code takes `now` as an argument instead, so its
//! tests need no clock at all.
//!
//! Stored times are Unix seconds. Operator commands use the wall clock (`SystemClock`); the
//! daemon uses `Timeline`, which advances with the monotonic clock only and follows a
//! wall-clock jump only when the daemon has shifted every active deadline by the same amount
//! (see `timeline` for the rules). The kernel's set-element timeouts run on a monotonic clock
//! too, so both agree whatever NTP does.

pub mod timeline;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub use timeline::{Anchor, Checkpoint, Reading, Trust};

/// Whether the wall clock was trusted when last judged (`store::timeline::trust`): what each
/// sync event records beside its time, without a lookup per event.
static TRUSTED: AtomicBool = AtomicBool::new(false);

/// Records the latest judgement of the wall clock.
pub fn note_trusted(trusted: bool) {
    TRUSTED.store(trusted, Ordering::Relaxed);
}

/// The latest judgement of the wall clock (false until one is made).
pub fn last_trusted() -> bool {
    TRUSTED.load(Ordering::Relaxed)
}

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

/// The system's real-time clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        read().wall_ms.div_euclid(1000)
    }
}

/// The daemon's clock: wall-clock seconds that move with the monotonic clock, re-anchored
/// only through `rebase` (after the deadlines were shifted to match).
pub struct Timeline {
    anchor: Mutex<Anchor>,
}

impl Timeline {
    /// A timeline that agrees with the wall clock now.
    pub fn new() -> Timeline {
        Timeline { anchor: Mutex::new(Anchor::at(read())) }
    }

    fn anchor(&self) -> Anchor {
        *self.anchor.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Seconds the wall clock has jumped away from the timeline, with the reading that saw it.
    pub fn jumped(&self) -> Option<(i64, Reading)> {
        let now = read();
        timeline::jump_secs(self.anchor(), now).map(|secs| (secs, now))
    }

    /// Agree with the wall clock as read in `now` again (after a shift).
    pub fn rebase(&self, now: Reading) {
        *self.anchor.lock().unwrap_or_else(|e| e.into_inner()) = Anchor::at(now);
    }

    /// What to persist so a restart can tell how much time passed (see `timeline`).
    pub fn checkpoint(&self, boot_id: &str) -> Checkpoint {
        let boot_ms = read().boot_ms;
        Checkpoint { boot_id: boot_id.to_owned(), boot_ms, at: self.anchor().timeline_ms(boot_ms).div_euclid(1000) }
    }
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline::new()
    }
}

impl Clock for Timeline {
    fn now(&self) -> i64 {
        self.anchor().timeline_ms(read().boot_ms).div_euclid(1000)
    }
}

/// Reads the wall clock and the boot clock together.
pub fn read() -> Reading {
    let wall_ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    Reading { wall_ms, boot_ms: boot_ms() }
}

/// Milliseconds since boot, counting suspend (CLOCK_BOOTTIME): monotonic, shared by every
/// process of this boot, so a restarted daemon can measure how long it was away.
fn boot_ms() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; clock_gettime only writes to it.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) } == 0;
    // time_t and c_long are 32 bits on some router targets: widen before multiplying.
    #[allow(clippy::unnecessary_cast)]
    if ok {
        ts.tv_sec as i64 * 1000 + ts.tv_nsec as i64 / 1_000_000
    } else {
        0
    }
}

/// This boot's random id (`/proc/sys/kernel/random/boot_id`); another boot has another.
/// Without procfs, a value that never matches a stored one: time is then never charged for
/// a restart's gap, the same as after a reboot.
pub fn boot_id() -> String {
    boot_id_from(std::fs::read_to_string(BOOT_ID).ok())
}

const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// The boot id in what procfs gave (`None`: nothing readable), or the fallback.
fn boot_id_from(read: Option<String>) -> String {
    read.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && !s.contains(char::is_whitespace))
        .unwrap_or_else(|| format!("unknown-{}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_starts_at_the_wall_clock_and_rebases() {
        let t = Timeline::new();
        assert!((t.now() - SystemClock.now()).abs() <= 1);
        assert_eq!(t.jumped(), None);
        // Pretend the wall clock was a day behind when the anchor was taken.
        let now = read();
        t.rebase(Reading { wall_ms: now.wall_ms - 86_400_000, boot_ms: now.boot_ms });
        let (secs, reading) = t.jumped().expect("a day's difference is a jump");
        assert_eq!(secs, 86_400);
        t.rebase(reading);
        assert_eq!(t.jumped(), None);
        let c = t.checkpoint("b");
        assert!((c.at - SystemClock.now()).abs() <= 1 && c.boot_id == "b");
    }

    /// The kernel's form: 8-4-4-4-12 lowercase hex digits.
    fn is_uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    }

    #[test]
    fn boot_clock_and_id_are_readable() {
        assert!(boot_ms() > 0);
        let id = boot_id();
        match std::fs::read_to_string(BOOT_ID) {
            // The kernel's id for this boot, as procfs shows it, the same on every call.
            Ok(kernel) => {
                assert_eq!(id, kernel.trim(), "not the kernel's boot id");
                assert!(is_uuid(&id), "{id:?} is not UUID-shaped");
                assert_eq!(boot_id(), id, "the boot id changed between two calls");
            }
            Err(_) => assert!(id.starts_with("unknown-"), "{id:?} without procfs"),
        }
    }

    #[test]
    fn the_fallback_never_equals_a_real_boot_id() {
        // A stored id from a real boot must never match, or a restart's gap would be charged
        // to sessions as if no time had passed in between.
        let real = "4f1a2b3c-5d6e-4f70-8192-a3b4c5d6e7f8";
        assert!(is_uuid(real));
        assert_eq!(boot_id_from(Some(format!("{real}\n"))), real);
        for unreadable in [None, Some(String::new()), Some("  \n".into()), Some("two words\n".into())] {
            let fallback = boot_id_from(unreadable.clone());
            assert!(!is_uuid(&fallback) && fallback != real, "{unreadable:?} gave {fallback:?}");
            assert!(fallback.starts_with("unknown-"), "{fallback:?}");
        }
    }
}

//! What the load generator counts: failures by kind, latencies, and its random numbers.

use super::*;

/// A small PRNG (xorshift64*): load shape only, nothing secret.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn seeded(salt: u64) -> Rng {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        Rng((nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What went wrong, counted by kind.
#[derive(Clone, Copy)]
pub(crate) enum Failure {
    Connect = 0,
    /// The central closed a kept-alive connection before answering (its connection
    /// lifetime, or it went away).
    Closed,
    Io,
    Timeout,
    Status,
    Signature,
    Ack,
    Body,
    Command,
}
pub(crate) const FAILURE_NAMES: [&str; 9] = ["connect", "closed", "io", "timeout", "status", "signature", "ack", "body", "command"];

/// Everything the routers and the operator count, shared.
pub(crate) struct Figures {
    pub(crate) failures: [AtomicU64; 9],
    /// Latency (µs) of exchanges that carried events, started inside the window.
    pub(crate) sync_us: Mutex<Vec<u64>>,
    /// Events the central acknowledged, of exchanges started inside the window.
    pub(crate) events_acked: AtomicU64,
    /// Events acknowledged over the whole run (ramp included), to compare with the database.
    pub(crate) events_total: AtomicU64,
    pub(crate) exchanges: AtomicU64,
    pub(crate) connected: AtomicI64,
    /// Command id → (router, when posted), for commands posted inside the window.
    pub(crate) posted: Mutex<HashMap<i64, (i64, Instant)>>,
    /// Command id → (router, when first handed out).
    pub(crate) delivered: Mutex<HashMap<i64, (i64, Instant)>>,
    /// A sample status / first failure of each kind, to say what went wrong in words.
    pub(crate) first_failure: Mutex<HashMap<usize, String>>,
}

impl Figures {
    pub(crate) fn fail(&self, kind: Failure, words: impl FnOnce() -> String) {
        self.failures[kind as usize].fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_failure.lock().unwrap();
        first.entry(kind as usize).or_insert_with(words);
    }
}

/// The run's clock: routers connect during [start, window_start), figures count
/// [window_start, window_end).
#[derive(Clone, Copy)]
pub(crate) struct Timing {
    pub(crate) start: Instant,
    pub(crate) window_start: Instant,
    pub(crate) window_end: Instant,
    pub(crate) interval: Duration,
    pub(crate) wait_secs: u32,
}

impl Timing {
    pub(crate) fn in_window(&self, at: Instant) -> bool {
        at >= self.window_start && at < self.window_end
    }
}

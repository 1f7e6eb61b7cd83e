//! The demo payment provider (`mode demo`, `run --demo`): no money moves. A push is
//! accepted at once and reads as paid `approve_after` later, so a newcomer can walk through
//! "pay → online" without Daraja credentials. `is_demo()` is true so the portal labels it.
//!
//! Must not: be mistaken for real payments (the portal shows the label), or grow without
//! bound (at most `MAX_PROMPTS` prompts are remembered, the oldest dropped first).

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{MpesaApi, MpesaError, PushAccepted, QueryOutcome, StkPush, LOCAL_CODE};

/// How long a demo prompt stays pending.
pub const APPROVE_AFTER: Duration = Duration::from_secs(4);
/// Prompts remembered; older ones are forgotten (and then unknown to `stk_query`).
pub const MAX_PROMPTS: usize = 256;
pub const APPROVED_DESC: &str = "Demo payment approved";

pub struct DemoMpesa {
    approve_after: Duration,
    prompts: Mutex<Prompts>,
}

struct Prompts {
    /// The `<n>` of the next `demo_<n>`. Starts at the Unix time in milliseconds, so ids do
    /// not repeat across restarts (the payments table keys on them).
    next: u64,
    /// (checkout id, pushed at), oldest first.
    pushed: VecDeque<(String, Instant)>,
}

impl DemoMpesa {
    pub fn new(approve_after: Duration) -> DemoMpesa {
        let next = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(1);
        DemoMpesa { approve_after, prompts: Mutex::new(Prompts { next, pushed: VecDeque::with_capacity(16) }) }
    }
}

impl MpesaApi for DemoMpesa {
    fn stk_push(&self, push: &StkPush) -> Result<PushAccepted, MpesaError> {
        push.check()?;
        let mut prompts = self.prompts.lock().unwrap_or_else(PoisonError::into_inner);
        let n = prompts.next;
        prompts.next += 1;
        let checkout_request_id = format!("demo_{n}");
        if prompts.pushed.len() >= MAX_PROMPTS {
            prompts.pushed.pop_front();
        }
        prompts.pushed.push_back((checkout_request_id.clone(), Instant::now()));
        Ok(PushAccepted { checkout_request_id, merchant_request_id: format!("demo-merchant-{n}") })
    }

    fn stk_query(&self, checkout_request_id: &str) -> Result<QueryOutcome, MpesaError> {
        let prompts = self.prompts.lock().unwrap_or_else(PoisonError::into_inner);
        let Some((_, pushed_at)) = prompts.pushed.iter().find(|(id, _)| id == checkout_request_id) else {
            return Err(MpesaError::Rejected { code: LOCAL_CODE.into(), message: "no such demo payment".into() });
        };
        if pushed_at.elapsed() < self.approve_after {
            Ok(QueryOutcome::Pending)
        } else {
            Ok(QueryOutcome::Finished { result_code: 0, result_desc: APPROVED_DESC.into() })
        }
    }

    fn is_demo(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::Phone;

    fn push(amount: i64) -> StkPush {
        StkPush {
            phone: Phone::parse("0712345678", "254").unwrap(),
            amount,
            account_reference: "Hotspot".into(),
            description: "1 hour".into(),
            callback_url: "https://example.invalid/cb".into(),
        }
    }

    #[test]
    fn pending_then_approved() {
        let demo = DemoMpesa::new(Duration::from_millis(500));
        assert!(demo.is_demo());
        let accepted = demo.stk_push(&push(10)).unwrap();
        assert!(accepted.checkout_request_id.starts_with("demo_"), "{accepted:?}");
        assert_eq!(demo.stk_query(&accepted.checkout_request_id).unwrap(), QueryOutcome::Pending);
        std::thread::sleep(Duration::from_millis(600));
        assert_eq!(
            demo.stk_query(&accepted.checkout_request_id).unwrap(),
            QueryOutcome::Finished { result_code: 0, result_desc: APPROVED_DESC.into() }
        );
    }

    #[test]
    fn ids_are_distinct_and_unknown_ones_refused() {
        let demo = DemoMpesa::new(Duration::ZERO);
        let a = demo.stk_push(&push(10)).unwrap();
        let b = demo.stk_push(&push(10)).unwrap();
        assert_ne!(a.checkout_request_id, b.checkout_request_id);
        assert!(matches!(demo.stk_query("ws_CO_1"), Err(MpesaError::Rejected { .. })));
        assert!(matches!(demo.stk_push(&push(0)), Err(MpesaError::Rejected { .. })), "an invalid request is refused");
    }

    #[test]
    fn memory_is_bounded() {
        let demo = DemoMpesa::new(Duration::ZERO);
        let first = demo.stk_push(&push(10)).unwrap();
        let mut last = first.clone();
        for _ in 0..MAX_PROMPTS {
            last = demo.stk_push(&push(10)).unwrap();
        }
        assert_eq!(demo.prompts.lock().unwrap().pushed.len(), MAX_PROMPTS);
        assert!(demo.stk_query(&first.checkout_request_id).is_err(), "the oldest prompt was dropped");
        assert!(matches!(demo.stk_query(&last.checkout_request_id), Ok(QueryOutcome::Finished { result_code: 0, .. })));
    }
}

//! The payment poller: learns each pending payment's result by asking Daraja's STK query API
//! (the normal way behind NAT; a callback only makes it ask sooner), fairly — a round-robin
//! over every pending payment, so stale prompts cannot delay a real payer — within M-Pesa's
//! share of the upstream threads, and stopping at once when the daemon stops. What the
//! answers mean for a payment (credit, decline, time out) is decided here and recorded
//! through `store::payments` and `flow::confirm`.

use std::time::Duration;

use tokio::sync::watch;

use super::flow::{confirm, failure_of, share_failure, Payments};
use super::mpesa::{Decline, MpesaError, QueryOutcome};
use crate::store::payments::{self, Awaiting, PaymentFailure, PaymentStatus};

/// Payments asked about per round: those to ask first, then the next ones of the sweep. They
/// are asked two at a time (`poll_once`), within M-Pesa's share (`MPESA_CALLS`, 3), so one
/// call stays free for payers' prompts.
const POLL_BATCH: u32 = 16;
/// A payment row whose prompt was never sent (daemon died in between) is failed after this.
const UNSENT_GRACE_SECS: i64 = 60;
/// A payment whose result cannot be learned (Daraja unreachable) is given up after this.
const UNCONFIRMED_GIVE_UP_SECS: i64 = 24 * 3600;

/// The poller's round-robin, in memory (a write per query would wear the flash): it sweeps
/// the pending payments in id order, a batch a round, going on after the one it asked last
/// and starting over after the newest, so each is asked once per sweep however many there
/// are. A new prompt, or one a callback names, is asked first, before the sweep goes on.
#[derive(Debug, Default)]
pub struct PollTurn {
    /// The last payment the sweep asked about.
    after_id: i64,
    /// Payments to ask about in the next round before the sweep (at most `POLL_BATCH`).
    first: Vec<i64>,
}

impl Payments {
    pub(super) fn lock_turn(&self) -> std::sync::MutexGuard<'_, PollTurn> {
        self.turn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Has the next round ask about `payment_id` before its sweep.
    pub(super) fn ask_first(&self, payment_id: i64) {
        let mut turn = self.lock_turn();
        if turn.first.len() < POLL_BATCH as usize && !turn.first.contains(&payment_id) {
            turn.first.push(payment_id);
        }
    }

    /// One round: fails prompts never sent, then asks about up to `POLL_BATCH` pending
    /// payments, two at a time (those to ask first, then the next ones of the round-robin, see
    /// `PollTurn`), and credits, declines or times them out. Fair: however many stale prompts
    /// wait, each pending payment is asked in turn. Dropping the future abandons the queries
    /// under way (their threads finish on their own; nothing is half-written).
    pub async fn poll_once(&self) {
        let now = self.clock.now();
        let (first, after_id) = {
            let mut turn = self.lock_turn();
            (std::mem::take(&mut turn.first), turn.after_id)
        };
        let ids = first.clone();
        let due = self
            .store
            .call(move |conn| {
                for id in payments::never_sent(conn, now - UNSENT_GRACE_SECS)? {
                    payments::mark_failed(conn, id, PaymentFailure::Interrupted, None, None, now)?;
                }
                let mut due = Vec::new();
                for id in ids {
                    let Some(p) = payments::get(conn, id)? else { continue };
                    if let (Some(checkout_request_id), PaymentStatus::Pending) = (p.checkout_request_id, p.status) {
                        due.push(Awaiting { id, checkout_request_id, created_at: p.created_at });
                    }
                }
                let rest = POLL_BATCH.saturating_sub(due.len() as u32);
                let mut swept = payments::awaiting_result(conn, after_id, i64::MAX, rest)?;
                if (swept.len() as u32) < rest {
                    // Past the newest: start over from the oldest.
                    swept.extend(payments::awaiting_result(conn, 0, after_id, rest - swept.len() as u32)?);
                }
                Ok((due, swept))
            })
            .await;
        let (mut due, swept) = match due {
            Ok(due) => due,
            Err(e) => return log::error!("payments: {}", crate::error_chain(&e)),
        };
        if let Some(last) = swept.last() {
            self.lock_turn().after_id = last.id;
        }
        due.extend(swept.into_iter().filter(|p| !first.contains(&p.id)));
        let mut due = due.iter();
        while let Some(one) = due.next() {
            match due.next() {
                Some(two) => {
                    tokio::join!(self.ask(one), self.ask(two));
                }
                None => self.ask(one).await,
            }
        }
    }

    /// Asks Daraja about one payment and acts on the answer.
    async fn ask(&self, payment: &Awaiting) {
        let mpesa = self.mpesa.clone();
        let checkout = payment.checkout_request_id.clone();
        let answer = match self.mpesa_calls.call(None, move || mpesa.stk_query(&checkout)).await {
            Ok(answer) => {
                self.note_reachability(&answer);
                answer
            }
            Err(e) => Err(share_failure(e)),
        };
        let now = self.clock.now();
        let timeout = self.config.payment_timeout.as_secs() as i64;
        let id = payment.id;
        let outcome = match answer {
            // Daraja itself says nobody answered the prompt in time.
            Ok(QueryOutcome::Pending) | Err(MpesaError::Rejected { .. } | MpesaError::Protocol(_))
                if now - payment.created_at >= timeout =>
            {
                self.store
                    .call(move |conn| payments::mark_failed(conn, id, PaymentFailure::Timeout, None, Some("no answer in time"), now))
                    .await
                    .map(|_| "timed out")
            }
            // Daraja unreachable: the payer may have paid just before the uplink went down.
            // Keep asking (the answer comes when the uplink returns); give up after a day.
            Err(MpesaError::Unreachable(_) | MpesaError::Busy { .. }) if now - payment.created_at >= UNCONFIRMED_GIVE_UP_SECS => {
                self.store
                    .call(move |conn| payments::mark_failed(conn, id, PaymentFailure::Unconfirmed, None, Some("M-Pesa unreachable for a day"), now))
                    .await
                    .map(|_| "given up: M-Pesa unreachable for a day")
            }
            Ok(QueryOutcome::Pending) => return,
            Err(e) => return log::debug!("payment {id}: query failed, will retry: {}", crate::error_chain(&e)),
            Ok(QueryOutcome::Finished { result_code: 0, result_desc }) => {
                let credited = self.store.call(move |conn| confirm(conn, id, &result_desc, now)).await;
                if matches!(credited, Ok(true)) {
                    self.jobs.notify();
                }
                credited.map(|_| "confirmed")
            }
            Ok(QueryOutcome::Finished { result_code, result_desc }) => {
                let decline = Decline::from_result_code(result_code);
                let code = result_code.to_string();
                self.store
                    .call(move |conn| {
                        payments::mark_failed(conn, id, failure_of(decline), Some(&code), Some(&result_desc), now)
                    })
                    .await
                    .map(|_| "declined")
            }
        };
        match outcome {
            Ok(what) => log::info!("payment {id}: {what}"),
            Err(e) => log::error!("payment {id}: {}", crate::error_chain(&e)),
        }
    }

    /// Polls until `stopped`: every `poll_interval`, and at once when woken. A stop in the
    /// middle of a round ends it at once: queries under way are not waited for.
    pub async fn run_poller(self, mut stopped: watch::Receiver<bool>) {
        let interval: Duration = self.config.poll_interval;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = self.poll_now.notified() => {}
                _ = stopped.changed() => return,
            }
            tokio::select! {
                _ = self.poll_once() => {}
                _ = stopped.changed() => return,
            }
        }
    }
}

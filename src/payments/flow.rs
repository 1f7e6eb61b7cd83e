//! From "pay" to "paid": starts an STK push for a package, learns the result by polling the
//! STK query API (the normal way behind NAT) or sooner when a callback arrives, and credits
//! a payment only when a query confirms it. Crediting moves the payment out of `pending`
//! and enqueues `CreateHotspotUser` in one transaction, so a payment is credited at most
//! once, whatever is replayed, forged or interrupted.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{watch, Notify};

use super::mpesa::{callback, Decline, MpesaApi, MpesaError, PushAccepted, QueryOutcome, StkPush, LOCAL_CODE};
use crate::clock::Clock;
use crate::config::MpesaConfig;
use crate::credentials;
use crate::http_client::share::{Share, ShareError, MPESA_CALLS};
use crate::jobs::worker::Jobs;
use crate::jobs::{queue, JobKind};
use crate::phone::Phone;
use crate::sessions::Client;
use crate::store::payments::{self, Awaiting, NewPayment, PaymentRecord};
use crate::store::{accounts, catalog, Store, StoreError};

/// Payments asked about per round: those to ask first, then the next ones of the sweep. They
/// are asked two at a time (`poll_once`), within M-Pesa's share (`MPESA_CALLS`, 3), so one
/// call stays free for payers' prompts.
const POLL_BATCH: u32 = 16;
/// How long a payer's prompt waits for a free M-Pesa permit before the portal answers that
/// M-Pesa is unavailable (rather than hanging behind slow calls).
const PUSH_PERMIT_WAIT: Duration = Duration::from_secs(2);
/// A payment row whose prompt was never sent (daemon died in between) is failed after this.
const UNSENT_GRACE_SECS: i64 = 60;
/// A payment whose result cannot be learned (Daraja unreachable) is given up after this.
const UNCONFIRMED_GIVE_UP_SECS: i64 = 24 * 3600;
/// After Daraja was unreachable, the portal says so (and hides the form) for this long.
const UNAVAILABLE_NOTICE_SECS: i64 = 120;

/// Where Daraja is told to post results when the router has no public URL. Daraja requires
/// a URL; nothing listens there, and polling finds the result.
/// (`.invalid` never resolves, so nothing is ever posted anywhere.)
const NO_CALLBACK_URL: &str = "https://callback.invalid/hotspotd";

/// Why a payment could not be started; each has words for the payer in `portal::text`.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("M-Pesa payments are not enabled")]
    Disabled,
    #[error(transparent)]
    BadPhone(#[from] crate::phone::BadPhone),
    #[error("no package {0} is on sale")]
    UnknownPackage(i64),
    #[error("package {0} is free: use a voucher")]
    FreePackage(i64),
    #[error("M-Pesa is unavailable")]
    Unavailable(#[source] MpesaError),
    #[error("M-Pesa refused the request (check the mpesa settings)")]
    Refused(#[source] MpesaError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A payment as the portal shows it to the payer.
#[derive(Debug, Clone)]
pub struct PaymentView {
    pub payment: PaymentRecord,
    pub package_name: String,
    /// The package's currency (the amount is in whole units of it).
    pub currency: String,
    /// Credentials of the account it paid for, while not yet wiped.
    pub username: Option<String>,
    pub password: Option<String>,
}

/// Shared by the portal and the poller. Cheap to clone.
#[derive(Clone)]
pub struct Payments {
    store: Store,
    mpesa: Arc<dyn MpesaApi>,
    config: Arc<MpesaConfig>,
    country_code: Arc<str>,
    clock: Arc<dyn Clock>,
    jobs: Jobs,
    /// Wakes the poller (a new prompt, a callback).
    poll_now: Arc<Notify>,
    /// When Daraja last could not be reached (`None`: it answered since). A mutex, not an
    /// atomic: 32-bit mips has no 64-bit atomics.
    unreachable_at: Arc<std::sync::Mutex<Option<i64>>>,
    /// M-Pesa's share of the upstream threads: prompts and queries together.
    mpesa_calls: Share,
    /// Where the poller's round-robin over pending payments stands.
    turn: Arc<Mutex<PollTurn>>,
}

/// The poller's round-robin, in memory (a write per query would wear the flash): it sweeps
/// the pending payments in id order, a batch a round, going on after the one it asked last
/// and starting over after the newest, so each is asked once per sweep however many there
/// are. A new prompt, or one a callback names, is asked first, before the sweep goes on.
#[derive(Debug, Default)]
struct PollTurn {
    /// The last payment the sweep asked about.
    after_id: i64,
    /// Payments to ask about in the next round before the sweep (at most `POLL_BATCH`).
    first: Vec<i64>,
}

impl Payments {
    pub fn new(
        store: Store,
        mpesa: Arc<dyn MpesaApi>,
        config: MpesaConfig,
        country_code: &str,
        clock: Arc<dyn Clock>,
        jobs: Jobs,
    ) -> Payments {
        Payments {
            store,
            mpesa,
            config: Arc::new(config),
            country_code: country_code.into(),
            clock,
            jobs,
            poll_now: Arc::new(Notify::new()),
            unreachable_at: Arc::default(),
            mpesa_calls: Share::new("M-Pesa", MPESA_CALLS),
            turn: Arc::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    pub fn is_demo(&self) -> bool {
        self.mpesa.is_demo()
    }

    /// Whether Daraja could not be reached a moment ago (the portal offers vouchers instead).
    pub fn unavailable(&self) -> bool {
        let at = *self.unreachable_at.lock().unwrap_or_else(|p| p.into_inner());
        at.is_some_and(|at| self.clock.now() - at < UNAVAILABLE_NOTICE_SECS)
    }

    /// Notes whether Daraja answered (any answer, even a refusal) or could not be reached.
    fn note_reachability<T>(&self, result: &Result<T, MpesaError>) {
        let mut at = self.unreachable_at.lock().unwrap_or_else(|p| p.into_inner());
        *at = match result {
            Err(MpesaError::Unreachable(_)) => Some(self.clock.now()),
            _ => None,
        };
    }

    /// Sends the payment prompt for `package_id` to `phone`; returns the payment id.
    pub async fn start(&self, client: Option<Client>, package_id: i64, phone: &str) -> Result<i64, PayError> {
        if !self.config.enabled {
            return Err(PayError::Disabled);
        }
        let phone = Phone::parse(phone, &self.country_code)?;
        let package = self
            .store
            .call(move |conn| catalog::get_package(conn, package_id))
            .await?
            .filter(|p| p.active)
            .ok_or(PayError::UnknownPackage(package_id))?;
        if package.price <= 0 {
            return Err(PayError::FreePackage(package_id));
        }
        let token = random_token().map_err(StoreError::Random)?;
        let now = self.clock.now();
        let (msisdn, mac, ip, tok) = (phone.msisdn(), client.map(|c| c.mac.to_string()), client.map(|c| c.ip.to_string()), token.clone());
        let provider = if self.is_demo() { "demo" } else { "mpesa" };
        let amount = package.price;
        let payment_id = self
            .store
            .call(move |conn| {
                let new = NewPayment {
                    provider,
                    phone: &msisdn,
                    mac: mac.as_deref(),
                    ip: ip.as_deref(),
                    package_id,
                    amount,
                    callback_token: &tok,
                };
                payments::insert_pending(conn, &new, now)
            })
            .await?;
        let push = StkPush {
            phone,
            amount,
            account_reference: self.config.account_reference.clone(),
            description: package.name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == ' ').take(13).collect(),
            callback_url: match &self.config.callback_url {
                Some(base) => format!("{}/{token}", base.trim_end_matches('/')),
                None => format!("{NO_CALLBACK_URL}/{token}"),
            },
        };
        let mpesa = self.mpesa.clone();
        let pushed = match self.mpesa_calls.call(Some(PUSH_PERMIT_WAIT), move || mpesa.stk_push(&push)).await {
            Ok(pushed) => {
                self.note_reachability(&pushed);
                pushed
            }
            // Daraja was not asked: says nothing about whether it can be reached.
            Err(e) => Err(share_failure(e)),
        };
        match pushed {
            Ok(PushAccepted { checkout_request_id, merchant_request_id }) => {
                self.store
                    .call(move |conn| payments::set_checkout(conn, payment_id, &checkout_request_id, &merchant_request_id, now))
                    .await?;
                log::info!("payment {payment_id}: prompt sent for KES {amount}");
                self.ask_first(payment_id);
                self.poll_now.notify_one();
                Ok(payment_id)
            }
            Err(e) => {
                let (failure, refused) = match &e {
                    MpesaError::Rejected { .. } | MpesaError::Protocol(_) => ("refused", true),
                    MpesaError::Unreachable(_) | MpesaError::Busy { .. } => ("unavailable", false),
                };
                log::warn!("payment {payment_id}: prompt not sent: {}", crate::error_chain(&e));
                self.store
                    .call(move |conn| payments::mark_failed(conn, payment_id, false, failure, None, None, now))
                    .await?;
                Err(if refused { PayError::Refused(e) } else { PayError::Unavailable(e) })
            }
        }
    }

    /// The payment with its package and the credentials it bought: the stored plaintext
    /// while not wiped, then the copy the account job handed over (kept in memory for a
    /// while, so the paying device still sees them after the SMS went out).
    pub async fn view(&self, payment_id: i64) -> Result<Option<PaymentView>, StoreError> {
        let handoff = self.jobs.handoff().clone();
        let now = self.clock.now();
        self.store
            .call(move |conn| {
                let Some(payment) = payments::get(conn, payment_id)? else { return Ok(None) };
                let (package_name, currency) = catalog::get_package(conn, payment.package_id)?
                    .map(|p| (p.name, p.currency))
                    .unwrap_or_else(|| (String::new(), "KES".into()));
                let credential = accounts::credential_for_payment(conn, payment_id)?;
                let password = credential.as_ref().and_then(|c| {
                    c.password_plain.clone().or_else(|| handoff.password(payment_id, &c.username, now))
                });
                Ok(Some(PaymentView {
                    package_name,
                    currency,
                    username: credential.map(|c| c.username),
                    password,
                    payment,
                }))
            })
            .await
    }

    /// A result posted by Daraja to our callback URL. Never credits by itself: a callback
    /// that matches a pending payment of ours (token, CheckoutRequestID, amount, phone)
    /// only records its receipt and makes the poller query at once.
    pub async fn callback(&self, token: &str, body: &[u8]) -> CallbackVerdict {
        let parsed = match callback::parse_callback(body) {
            Ok(parsed) => parsed,
            Err(e) => {
                log::warn!("M-Pesa callback ignored: {e}");
                return CallbackVerdict::Malformed;
            }
        };
        let token = token.to_owned();
        let now = self.clock.now();
        let verdict = self
            .store
            .call(move |conn| Ok(check_callback(conn, &token, &parsed, now)))
            .await
            .unwrap_or_else(|e| Err(format!("database: {}", crate::error_chain(&e))));
        match verdict {
            Ok(payment_id) => {
                log::info!("payment {payment_id}: callback received; confirming by query");
                self.ask_first(payment_id);
                self.poll_now.notify_one();
                CallbackVerdict::Accepted
            }
            Err(reason) => {
                log::warn!("M-Pesa callback rejected (forged or stale?): {reason}");
                CallbackVerdict::Rejected
            }
        }
    }

    fn lock_turn(&self) -> std::sync::MutexGuard<'_, PollTurn> {
        self.turn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Has the next round ask about `payment_id` before its sweep.
    fn ask_first(&self, payment_id: i64) {
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
                    payments::mark_failed(conn, id, false, "interrupted", None, None, now)?;
                }
                let mut due = Vec::new();
                for id in ids {
                    let Some(p) = payments::get(conn, id)? else { continue };
                    if let (Some(checkout_request_id), "pending") = (p.checkout_request_id, p.status.as_str()) {
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
                    .call(move |conn| payments::mark_failed(conn, id, false, "timeout", None, Some("no answer in time"), now))
                    .await
                    .map(|_| "timed out")
            }
            // Daraja unreachable: the payer may have paid just before the uplink went down.
            // Keep asking (the answer comes when the uplink returns); give up after a day.
            Err(MpesaError::Unreachable(_) | MpesaError::Busy { .. }) if now - payment.created_at >= UNCONFIRMED_GIVE_UP_SECS => {
                self.store
                    .call(move |conn| payments::mark_failed(conn, id, false, "unconfirmed", None, Some("M-Pesa unreachable for a day"), now))
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
                        payments::mark_failed(conn, id, decline == Decline::Cancelled, decline_word(decline), Some(&code), Some(&result_desc), now)
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

/// An M-Pesa call the share did not run, as the flow's error: busy (every permit in use)
/// reads as "M-Pesa is busy", which the portal shows as unavailable.
fn share_failure(e: ShareError) -> MpesaError {
    match e {
        ShareError::Busy { permits, waited, .. } => MpesaError::Busy {
            code: LOCAL_CODE.into(),
            message: format!("{permits} calls already under way, none finished within {waited:?}"),
        },
        ShareError::Stopped { .. } => MpesaError::Protocol(e.to_string()),
    }
}

/// How the callback endpoint answers Daraja.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackVerdict {
    Accepted,
    /// Not ours, not pending, or not matching: logged, nothing changed.
    Rejected,
    Malformed,
}

/// Checks a callback against the pending payment it names; returns the payment id.
///
/// A CheckoutRequestID we do not know may still be ours: when the daemon died between
/// sending the prompt and storing Daraja's answer, the payment has no CheckoutRequestID and
/// polling cannot ask about it. The token in the URL (secret, one per payment, given only
/// to Daraja) names it; after the same checks the callback's CheckoutRequestID is stored,
/// and the STK query still decides, as for any callback.
fn check_callback(conn: &Connection, token: &str, cb: &callback::StkCallback, now: i64) -> Result<i64, String> {
    let (payment, adopt) = match payments::by_checkout(conn, &cb.checkout_request_id).map_err(|e| e.to_string())? {
        Some(payment) => (payment, false),
        None => match payments::unsent_by_token(conn, token).map_err(|e| e.to_string())? {
            Some(payment) => (payment, true),
            None => return Err(format!("unknown CheckoutRequestID {}", cb.checkout_request_id)),
        },
    };
    let expected = payment.callback_token.as_deref().unwrap_or_default();
    if !constant_time_eq(expected.as_bytes(), token.as_bytes()) || expected.is_empty() {
        return Err(format!("payment {}: wrong callback token", payment.id));
    }
    if payment.status != "pending" {
        return Err(format!("payment {} is already {}", payment.id, payment.status));
    }
    if let Some(amount) = cb.amount.filter(|a| *a != payment.amount) {
        return Err(format!("payment {}: amount {amount} instead of {}", payment.id, payment.amount));
    }
    if let Some(phone) = cb.phone.as_deref().filter(|p| !phone_matches(p, &payment.phone)) {
        return Err(format!("payment {}: phone {phone} is not the payer's", payment.id));
    }
    if let Some(receipt) = cb.receipt.as_deref() {
        if payments::receipt_used(conn, receipt).map_err(|e| e.to_string())? {
            return Err(format!("receipt {receipt} was already credited"));
        }
    }
    if adopt {
        if !payments::adopt_checkout(conn, payment.id, &cb.checkout_request_id, &cb.merchant_request_id, now)
            .map_err(|e| e.to_string())?
        {
            return Err(format!("payment {} changed meanwhile", payment.id));
        }
        log::info!("payment {}: its prompt's CheckoutRequestID was lost (restart); the callback supplied it", payment.id);
    }
    payments::record_callback(conn, payment.id, cb.receipt.as_deref().filter(|_| cb.result_code == 0), now)
        .map_err(|e| e.to_string())?;
    Ok(payment.id)
}

/// Credits a pending payment and enqueues its account, atomically. `false`: not pending.
pub fn confirm(conn: &mut Connection, payment_id: i64, result_desc: &str, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let credited = payments::confirm(&tx, payment_id, result_desc, now)?;
    if credited {
        queue::enqueue(&tx, &JobKind::CreateHotspotUser { payment_id }, now)?;
    }
    tx.commit()?;
    Ok(credited)
}

/// The word stored in `payments.failure` for a decline.
pub fn decline_word(decline: Decline) -> &'static str {
    match decline {
        Decline::Cancelled => "cancelled",
        Decline::WrongPin => "wrong_pin",
        Decline::InsufficientFunds => "insufficient_funds",
        Decline::PhoneUnreachable => "phone_unreachable",
        Decline::TimedOut => "timeout",
        Decline::Duplicate => "duplicate",
        Decline::Other => "declined",
    }
}

/// Whether a callback's phone names the payer. Daraja sometimes masks digits (`2547****149`):
/// a masked digit matches any digit.
fn phone_matches(reported: &str, payer: &str) -> bool {
    reported.len() == payer.len() && reported.bytes().zip(payer.bytes()).all(|(r, p)| r == b'*' || r == p)
}

fn random_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    credentials::random_bytes(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_phones_match_only_the_payer() {
        assert!(phone_matches("254708374149", "254708374149"));
        assert!(phone_matches("2547****4149", "254708374149"));
        assert!(!phone_matches("2547****4148", "254708374149"));
        assert!(!phone_matches("25470837414", "254708374149"));
    }

    #[test]
    fn a_callback_recovers_a_prompt_whose_answer_was_never_stored() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrations::migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO packages (id, name, price, duration_secs, created_at, updated_at) VALUES (1, 'hour', 10, 3600, 0, 0)",
            [],
        )
        .unwrap();
        let new = NewPayment {
            provider: "mpesa",
            phone: "254712345678",
            mac: None,
            ip: None,
            package_id: 1,
            amount: 10,
            callback_token: "a1b2c3",
        };
        let id = payments::insert_pending(&conn, &new, 100).unwrap();
        let cb = |checkout: &str, amount: i64| callback::StkCallback {
            merchant_request_id: "m-1".into(),
            checkout_request_id: checkout.into(),
            result_code: 0,
            result_desc: "ok".into(),
            amount: Some(amount),
            receipt: Some("QRC1234567".into()),
            phone: Some("254712345678".into()),
            transaction_date: None,
        };
        // Without the token, or with the wrong amount, nothing is adopted.
        assert!(check_callback(&conn, "ffffff", &cb("ws_CO_1", 10), 110).unwrap_err().contains("unknown"));
        assert!(check_callback(&conn, "a1b2c3", &cb("ws_CO_1", 1), 110).unwrap_err().contains("amount"));
        assert_eq!(payments::get(&conn, id).unwrap().unwrap().checkout_request_id, None);
        // With it, the payment gets the CheckoutRequestID, so the poller can ask about it.
        assert_eq!(check_callback(&conn, "a1b2c3", &cb("ws_CO_1", 10), 110), Ok(id));
        let payment = payments::get(&conn, id).unwrap().unwrap();
        assert_eq!((payment.checkout_request_id.as_deref(), payment.status.as_str()), (Some("ws_CO_1"), "pending"));
        assert_eq!(payment.callback_receipt.as_deref(), Some("QRC1234567"));
        // A later callback naming another CheckoutRequestID with the same token changes nothing.
        assert!(check_callback(&conn, "a1b2c3", &cb("ws_CO_2", 10), 120).is_err());
        assert_eq!(payments::get(&conn, id).unwrap().unwrap().checkout_request_id.as_deref(), Some("ws_CO_1"));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

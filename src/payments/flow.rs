//! From "pay" to "paid": starts an STK push for a package, learns the result by polling the
//! STK query API (the normal way behind NAT) or sooner when a callback arrives, and credits
//! a payment only when a query confirms it. Crediting moves the payment out of `pending`
//! and enqueues `CreateHotspotUser` in one transaction, so a payment is credited at most
//! once, whatever is replayed, forged or interrupted.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Notify;

use super::limits::{self, PromptLimits, PromptRefusal, RecentPrompt};
use super::mpesa::{callback, Decline, MpesaApi, MpesaError, PushAccepted, StkPush, LOCAL_CODE};
use super::poller::PollTurn;
use crate::clock::Clock;
use crate::config::MpesaConfig;
use crate::credentials;
use crate::http_client::share::{Share, ShareError, MPESA_CALLS};
use crate::i18n::Lang;
use crate::jobs::worker::Jobs;
use crate::jobs::{queue, CreateHotspotUser};
use crate::phone::Phone;
use crate::sessions::Client;
use crate::store::payments::{self, NewPayment, PaymentFailure, PaymentRecord, PaymentStatus, PromptsOf};
use crate::store::{accounts, catalog, Store, StoreError};

/// How long a payer's prompt waits for a free M-Pesa permit before the portal answers that
/// M-Pesa is unavailable (rather than hanging behind slow calls).
const PUSH_PERMIT_WAIT: Duration = Duration::from_secs(2);
/// After Daraja was unreachable, the portal says so (and hides the form) for this long.
const UNAVAILABLE_NOTICE_SECS: i64 = 120;

/// Where Daraja is told to post results when the router has no public URL. Daraja requires
/// a URL; nothing listens there, and polling finds the result.
/// (`.invalid` never resolves, so nothing is ever posted anywhere.)
const NO_CALLBACK_URL: &str = "https://callback.invalid/hotspotd";

/// Why a payment could not be started; each has words for the payer in `i18n::PortalWords`.
#[derive(Debug, thiserror::Error)]
pub enum PayError {
    #[error("M-Pesa payments are not enabled")]
    Disabled,
    #[error("the device could not be identified (no neighbour entry)")]
    UnknownDevice,
    #[error(transparent)]
    Limited(#[from] PromptRefusal),
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
    /// Every paybill reference was given out in the last 30 days (tens of thousands).
    #[error("no paybill reference is free (every one was given out in the last 30 days)")]
    NoPaybillReference,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A prompt that went out: the payment's row id (for logs, never shown) and the token its
/// status page is reached by (`/pay/<view_token>`).
#[derive(Debug, Clone)]
pub struct Started {
    pub id: i64,
    pub view_token: String,
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
    pub(super) store: Store,
    pub(super) mpesa: Arc<dyn MpesaApi>,
    pub(super) config: Arc<MpesaConfig>,
    pub(super) country_code: Arc<str>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) jobs: Jobs,
    /// Wakes the poller (a new prompt, a callback).
    pub(super) poll_now: Arc<Notify>,
    /// When Daraja last could not be reached (`None`: it answered since). A mutex, not an
    /// atomic: 32-bit mips has no 64-bit atomics.
    unreachable_at: Arc<std::sync::Mutex<Option<i64>>>,
    /// M-Pesa's share of the upstream threads: prompts and queries together.
    pub(super) mpesa_calls: Share,
    /// Where the poller's round-robin over pending payments stands (`poller`).
    pub(super) turn: Arc<std::sync::Mutex<PollTurn>>,
    /// The operator's paybill, when payers may pay from the M-Pesa menu (`paybill`).
    pub(super) paybill: Option<super::paybill::Paybill>,
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
            paybill: None,
        }
    }

    /// Offers paying from the M-Pesa menu to `paybill` (needs the central server).
    pub fn with_paybill(mut self, paybill: super::paybill::Paybill) -> Payments {
        self.paybill = Some(paybill);
        self
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
    pub(super) fn note_reachability<T>(&self, result: &Result<T, MpesaError>) {
        let mut at = self.unreachable_at.lock().unwrap_or_else(|p| p.into_inner());
        *at = match result {
            Err(MpesaError::Unreachable(_)) => Some(self.clock.now()),
            _ => None,
        };
    }

    /// The prompt limits per device and per number (see `limits`).
    fn prompt_limits(&self) -> PromptLimits {
        PromptLimits {
            at_once: self.config.prompts_at_once,
            per_hour: self.config.prompts_per_hour,
            prompt_lifetime_secs: self.config.payment_timeout.as_secs() as i64,
        }
    }

    /// Sends the payment prompt for `package_id` to `phone` on behalf of `client`, unless
    /// that device or that number has reached its prompt limits: then nothing is written
    /// and nothing is sent. `lang`: the language the payer's page asked for, for the SMS with
    /// their login (`None`: the operator's).
    pub async fn start(&self, client: Option<Client>, package_id: i64, phone: &str, lang: Option<Lang>) -> Result<Started, PayError> {
        if !self.config.enabled {
            return Err(PayError::Disabled);
        }
        // Limits are per device: a device we cannot name gets no prompt.
        let client = client.ok_or(PayError::UnknownDevice)?;
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
        let view_token = random_token().map_err(StoreError::Random)?;
        let now = self.clock.now();
        let (msisdn, mac, ip) = (phone.msisdn(), client.mac.to_string(), client.ip.to_string());
        let (tok, view) = (token.clone(), view_token.clone());
        let provider = if self.is_demo() { "demo" } else { "mpesa" };
        let amount = package.price;
        let limits = self.prompt_limits();
        // The check and the row in one call on the database thread: a burst of requests
        // cannot pass the check together.
        let inserted = self
            .store
            .call(move |conn| {
                let (since, until, rows) = (PromptLimits::window_start(now), now + limits::FUTURE_SLACK_SECS, limits.rows_needed());
                let recent = |of| -> Result<Vec<RecentPrompt>, StoreError> {
                    let found = payments::recent_prompts(conn, of, since, until, rows)?;
                    Ok(found.into_iter().map(|(created_at, pending)| RecentPrompt { created_at, pending }).collect())
                };
                let (device, number) = (recent(PromptsOf::Device(&mac))?, recent(PromptsOf::Number(&msisdn))?);
                if let Err(refusal) = limits.decide(&device, &number, now) {
                    return Ok(Err(refusal));
                }
                let new = NewPayment {
                    provider,
                    phone: &msisdn,
                    mac: Some(&mac),
                    ip: Some(&ip),
                    package_id,
                    amount,
                    callback_token: &tok,
                    view_token: &view,
                    lang,
                };
                payments::insert_pending(conn, &new, now).map(Ok)
            })
            .await?;
        let payment_id = inserted.inspect_err(|refusal| log::debug!("no M-Pesa prompt for {}: {refusal}", client.ip))?;
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
                Ok(Started { id: payment_id, view_token })
            }
            Err(e) => {
                let (failure, refused) = match &e {
                    MpesaError::Rejected { .. } | MpesaError::Protocol(_) => (PaymentFailure::Refused, true),
                    MpesaError::Unreachable(_) | MpesaError::Busy { .. } => (PaymentFailure::Unavailable, false),
                };
                log::warn!("payment {payment_id}: prompt not sent: {}", crate::error_chain(&e));
                self.store
                    .call(move |conn| payments::mark_failed(conn, payment_id, failure, None, None, now))
                    .await?;
                Err(if refused { PayError::Refused(e) } else { PayError::Unavailable(e) })
            }
        }
    }

    /// The payment with its package and the credentials it bought: the stored plaintext
    /// while not wiped, then the copy the account job handed over (kept in memory for a
    /// while, so the paying device still sees them after the SMS went out).
    /// The payment is named by its status page's token, never by its row id.
    pub async fn view(&self, view_token: &str) -> Result<Option<PaymentView>, StoreError> {
        let handoff = self.jobs.handoff().clone();
        let now = self.clock.now();
        let view_token = view_token.to_owned();
        self.store
            .call(move |conn| {
                let Some(payment) = payments::by_view_token(conn, &view_token)? else { return Ok(None) };
                let payment_id = payment.id;
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
            .unwrap_or_else(|e| Err(CallbackRejection::Store(e)));
        match verdict {
            Ok(payment_id) => {
                log::info!("payment {payment_id}: callback received; confirming by query");
                self.ask_first(payment_id);
                self.poll_now.notify_one();
                CallbackVerdict::Accepted
            }
            Err(reason) => {
                log::warn!("M-Pesa callback rejected (forged or stale?): {}", crate::error_chain(&reason));
                CallbackVerdict::Rejected
            }
        }
    }
}

/// An M-Pesa call the share did not run, as the flow's error: busy (every permit in use)
/// reads as "M-Pesa is busy", which the portal shows as unavailable.
pub(super) fn share_failure(e: ShareError) -> MpesaError {
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

/// Why a callback was not taken: each is logged; Daraja is told "rejected" and nothing
/// changes.
#[derive(Debug, thiserror::Error)]
pub enum CallbackRejection {
    #[error("unknown CheckoutRequestID {0}")]
    UnknownCheckout(String),
    #[error("payment {0}: wrong callback token")]
    WrongToken(i64),
    #[error("payment {payment} is already {status}")]
    NotPending { payment: i64, status: PaymentStatus },
    #[error("payment {payment}: amount {reported} instead of {expected}")]
    WrongAmount { payment: i64, reported: i64, expected: i64 },
    #[error("payment {payment}: phone {reported} is not the payer's")]
    WrongPhone { payment: i64, reported: String },
    #[error("receipt {0} was already credited")]
    ReceiptUsed(String),
    #[error("payment {0} changed meanwhile")]
    ChangedMeanwhile(i64),
    #[error("the database failed")]
    Store(#[from] StoreError),
}

/// Checks a callback against the pending payment it names; returns the payment id.
///
/// A CheckoutRequestID we do not know may still be ours: when the daemon died between
/// sending the prompt and storing Daraja's answer, the payment has no CheckoutRequestID and
/// polling cannot ask about it. The token in the URL (secret, one per payment, given only
/// to Daraja) names it; after the same checks the callback's CheckoutRequestID is stored,
/// and the STK query still decides, as for any callback.
fn check_callback(conn: &Connection, token: &str, cb: &callback::StkCallback, now: i64) -> Result<i64, CallbackRejection> {
    let (payment, adopt) = match payments::by_checkout(conn, &cb.checkout_request_id)? {
        Some(payment) => (payment, false),
        None => match payments::unsent_by_token(conn, token)? {
            Some(payment) => (payment, true),
            None => return Err(CallbackRejection::UnknownCheckout(cb.checkout_request_id.clone())),
        },
    };
    let expected = payment.callback_token.as_deref().unwrap_or_default();
    if !constant_time_eq(expected.as_bytes(), token.as_bytes()) || expected.is_empty() {
        return Err(CallbackRejection::WrongToken(payment.id));
    }
    if payment.status != PaymentStatus::Pending {
        return Err(CallbackRejection::NotPending { payment: payment.id, status: payment.status });
    }
    if let Some(amount) = cb.amount.filter(|a| *a != payment.amount) {
        return Err(CallbackRejection::WrongAmount { payment: payment.id, reported: amount, expected: payment.amount });
    }
    if let Some(phone) = cb.phone.as_deref().filter(|p| !phone_matches(p, &payment.phone)) {
        return Err(CallbackRejection::WrongPhone { payment: payment.id, reported: phone.to_owned() });
    }
    if let Some(receipt) = cb.receipt.as_deref() {
        if payments::receipt_used(conn, receipt)? {
            return Err(CallbackRejection::ReceiptUsed(receipt.to_owned()));
        }
    }
    if adopt {
        if !payments::adopt_checkout(conn, payment.id, &cb.checkout_request_id, &cb.merchant_request_id, now)? {
            return Err(CallbackRejection::ChangedMeanwhile(payment.id));
        }
        log::info!("payment {}: its prompt's CheckoutRequestID was lost (restart); the callback supplied it", payment.id);
    }
    payments::record_callback(conn, payment.id, cb.receipt.as_deref().filter(|_| cb.result_code == 0), now)?;
    Ok(payment.id)
}

/// Credits a pending payment and enqueues its account, atomically. `false`: not pending.
pub fn confirm(conn: &mut Connection, payment_id: i64, result_desc: &str, now: i64) -> Result<bool, StoreError> {
    let tx = conn.transaction()?;
    let credited = payments::confirm(&tx, payment_id, result_desc, now)?;
    if credited {
        queue::enqueue(&tx, CreateHotspotUser { payment_id }, now)?;
    }
    tx.commit()?;
    Ok(credited)
}

/// What is stored in `payments.failure` for a decline.
pub fn failure_of(decline: Decline) -> PaymentFailure {
    match decline {
        Decline::Cancelled => PaymentFailure::Cancelled,
        Decline::WrongPin => PaymentFailure::WrongPin,
        Decline::InsufficientFunds => PaymentFailure::InsufficientFunds,
        Decline::PhoneUnreachable => PaymentFailure::PhoneUnreachable,
        Decline::TimedOut => PaymentFailure::Timeout,
        Decline::Duplicate => PaymentFailure::Duplicate,
        Decline::Other => PaymentFailure::Declined,
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
        let conn = crate::store::migrations::memory();
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
            view_token: "d4e5f6",
            lang: None,
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
        assert!(matches!(check_callback(&conn, "ffffff", &cb("ws_CO_1", 10), 110), Err(CallbackRejection::UnknownCheckout(_))));
        assert!(matches!(
            check_callback(&conn, "a1b2c3", &cb("ws_CO_1", 1), 110),
            Err(CallbackRejection::WrongAmount { reported: 1, expected: 10, .. })
        ));
        assert_eq!(payments::get(&conn, id).unwrap().unwrap().checkout_request_id, None);
        // With it, the payment gets the CheckoutRequestID, so the poller can ask about it.
        assert_eq!(check_callback(&conn, "a1b2c3", &cb("ws_CO_1", 10), 110).unwrap(), id);
        let payment = payments::get(&conn, id).unwrap().unwrap();
        assert_eq!((payment.checkout_request_id.as_deref(), payment.status), (Some("ws_CO_1"), PaymentStatus::Pending));
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

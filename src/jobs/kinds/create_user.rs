//! `CreateHotspotUser`: a confirmed payment becomes an account — a new one for a new phone
//! number, or the same number's account extended (time and data add up) — with a fresh
//! password queued for SMS, all in one transaction. Then the account's running sessions get
//! the extra time and data, and the paying device is logged in, so the payer is online
//! without typing anything. Running it again finds `payments.user_id` set and only repeats
//! the (idempotent) top-up and login. The new username and password are also left with the
//! payment page (`handoff`), which shows them to the paying device after the SMS job has
//! wiped the stored plaintext.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::access::{self, Purchase};
use crate::credentials;
use crate::jobs::{queue, JobContext, JobError, JobKind, Priority, SendCredentialsSms};
use crate::sessions::{records, Client, Credential, Grant, SessionError};
use crate::store::accounts::{self, AccountSource};
use crate::store::payments::{self, PaymentStatus};
use crate::store::sessions as session_rows;
use crate::store::{catalog, StoreError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateHotspotUser {
    pub payment_id: i64,
}

impl JobKind for CreateHotspotUser {
    const NAME: &'static str = "CreateHotspotUser";
    const PRIORITY: Priority = Priority::High;
    const MAX_ATTEMPTS: u32 = 20;

    fn unique_key(&self) -> String {
        format!("create-user:{}", self.payment_id)
    }
}

/// What the transaction decided.
struct Paid {
    user_id: i64,
    /// The device that paid, to log in.
    payer: Option<Client>,
    /// The account's running sessions, with their extended time and cap.
    refresh: Vec<Grant>,
    /// Username and password made by this run (`None` when an earlier run made them).
    fresh: Option<(String, String)>,
}

impl CreateHotspotUser {
    pub async fn apply(&self, ctx: &JobContext) -> Result<(), JobError> {
        let now = ctx.sessions.now();
        let payment_id = self.payment_id;
        let paid = ctx.sessions.store().call(move |conn| Ok(account_for(conn, payment_id, now))).await??;
        if let Some((username, password)) = &paid.fresh {
            ctx.jobs.handoff().put(payment_id, username, password, now);
            ctx.jobs.notify(); // the SMS job
        }
        if !paid.refresh.is_empty() {
            ctx.sessions.top_up(paid.refresh).await?;
        }
        if let Some(client) = paid.payer {
            match ctx.sessions.login(client, Credential::Paid { user_id: paid.user_id }).await {
                Ok(_) => {}
                // e.g. the device limit: the payer can still log in by hand on another device.
                Err(SessionError::Refused(refusal)) => {
                    log::info!("payment {payment_id}: paying device {} not logged in: {}", client.mac, refusal.code())
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

fn account_for(conn: &mut Connection, payment_id: i64, now: i64) -> Result<Paid, JobError> {
    let tx = conn.transaction().map_err(StoreError::from)?;
    let payment = payments::get(&tx, payment_id)?.ok_or(JobError::Gone { what: "payment", id: payment_id })?;
    if payment.status != PaymentStatus::Confirmed {
        return Err(JobError::NotConfirmed { payment: payment_id, status: payment.status });
    }
    let mut fresh = None;
    let user_id = match payment.user_id {
        Some(user_id) => user_id,
        None => {
            let package = catalog::get_package(&tx, payment.package_id)?.ok_or(JobError::Gone { what: "package", id: payment.package_id })?;
            let password = credentials::new_password().map_err(StoreError::Random)?;
            let hash = credentials::hash_password(&password).map_err(StoreError::Random)?;
            // A phone number is one account: its username is the number. A paybill payer's
            // number comes masked: a new account with a username of its own, shown on the
            // payment page only (no SMS).
            let paybill = payment.provider == payments::PAYBILL_PROVIDER;
            let phone = (!paybill).then(|| payment.phone.clone());
            let username = match &phone {
                Some(number) => number.clone(),
                None => format!("u{}", credentials::new_password().map_err(StoreError::Random)?),
            };
            let existing = if paybill { None } else { accounts::find_account(&tx, &username)? };
            let user_id = match existing {
                Some(record) => {
                    let purchase = Purchase {
                        duration_secs: package.duration_secs,
                        data_limit_bytes: package.data_limit_bytes,
                        max_devices: package.max_devices,
                    };
                    let extended = access::extend(&record.account, purchase, now);
                    accounts::save_extension(&tx, &extended, package.id, Some(payment_id), &hash, now)?;
                    if let Some(at) = extended.expires_at {
                        session_rows::set_user_expiry(&tx, extended.user_id, at)?;
                    }
                    extended.user_id
                }
                None => accounts::create_account(&tx, &username, Some(&hash), phone.as_deref(), &package, AccountSource::Payment, now)?,
            };
            accounts::seal_password(&tx, user_id, &password, false)?;
            let credential = accounts::NewCredential {
                user_id,
                username: &username,
                password: &password,
                phone: phone.as_deref(),
                payment_id: Some(payment_id),
                lang: payment.lang,
            };
            let credential_id = accounts::add_credential(&tx, &credential, now)?;
            payments::set_user(&tx, payment_id, user_id)?;
            if phone.is_some() {
                queue::enqueue(&tx, SendCredentialsSms { credential_id }, now)?;
            }
            log::info!("payment {payment_id}: account {username} ready (credentials queued for SMS)");
            fresh = Some((username, password));
            user_id
        }
    };
    let refresh = records::authorised_now(&tx, Some(user_id), now)?;
    let payer = (|| Some(Client { ip: payment.ip.as_deref()?.parse().ok()?, mac: payment.mac.as_deref()?.parse().ok()? }))();
    tx.commit().map_err(StoreError::from)?;
    Ok(Paid { user_id, payer, refresh, fresh })
}

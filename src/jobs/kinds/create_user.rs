//! `CreateHotspotUser`: a confirmed payment becomes an account — a new one for a new phone
//! number, or the same number's account extended (time and data add up) — with a fresh
//! password queued for SMS, all in one transaction. Then the paying device is logged in, so
//! the payer is online without typing anything. Running it again finds `payments.user_id`
//! set and only repeats the (idempotent) login. The new username and password are also
//! left with the payment page (`handoff`), which shows them to the paying device after the
//! SMS job has wiped the stored plaintext.

use rusqlite::Connection;

use super::{retry, JobContext};
use crate::access::{self, Purchase};
use crate::credentials;
use crate::jobs::handoff::Handoff;
use crate::jobs::{queue, JobError, JobKind};
use crate::sessions::{records, Client, Credential, DeviceAccess, SessionError};
use crate::store::accounts::{self, AccountSource};
use crate::store::sessions as session_rows;
use crate::store::{catalog, payments, StoreError};

/// What the transaction decided.
struct Paid {
    user_id: i64,
    /// The device that paid, to log in.
    payer: Option<Client>,
    /// Devices already online on the account, with their extended time and cap.
    refresh: Vec<DeviceAccess>,
    /// Username and password made by this run (`None` when an earlier run made them).
    fresh: Option<(String, String)>,
}

pub async fn run(ctx: &JobContext, handoff: &Handoff, payment_id: i64) -> Result<(), JobError> {
    let now = ctx.sessions.now();
    let paid = ctx.sessions.store().call(move |conn| account_for(conn, payment_id, now)).await.map_err(retry)??;
    if let Some((username, password)) = &paid.fresh {
        handoff.put(payment_id, username, password, now);
    }
    let retry = |e: SessionError| JobError::Retry(crate::error_chain(&e));
    if paid.refresh.iter().any(|a| a.cap_bytes.is_none()) {
        // An unlimited account with devices online may have just lost a cap (an unlimited
        // package stacked onto a capped one): the kernel's quota for it must go, which the
        // rebuilt table does (rare, and correct also when this job runs again).
        ctx.sessions.restore().await.map_err(retry)?;
    } else if !paid.refresh.is_empty() {
        ctx.sessions.authorise(paid.refresh).await.map_err(retry)?;
    }
    if let Some(client) = paid.payer {
        match ctx.sessions.login(client, Credential::Paid { user_id: paid.user_id }).await {
            Ok(_) => {}
            // e.g. the device limit: the payer can still log in by hand on another device.
            Err(SessionError::Refused(refusal)) => {
                log::info!("payment {payment_id}: paying device {} not logged in: {refusal:?}", client.mac)
            }
            Err(e) => return Err(JobError::Retry(crate::error_chain(&e))),
        }
    }
    Ok(())
}

fn account_for(conn: &mut Connection, payment_id: i64, now: i64) -> Result<Result<Paid, JobError>, StoreError> {
    let tx = conn.transaction()?;
    let Some(payment) = payments::get(&tx, payment_id)? else {
        return Ok(Err(JobError::Permanent(format!("there is no payment {payment_id}"))));
    };
    if payment.status != "confirmed" {
        return Ok(Err(JobError::Permanent(format!("payment {payment_id} is {}, not confirmed", payment.status))));
    }
    let mut fresh = None;
    let user_id = match payment.user_id {
        Some(user_id) => user_id,
        None => {
            let Some(package) = catalog::get_package(&tx, payment.package_id)? else {
                return Ok(Err(JobError::Permanent(format!("payment {payment_id}: package {} is gone", payment.package_id))));
            };
            let password = credentials::new_password().map_err(StoreError::Random)?;
            let hash = credentials::hash_password(&password).map_err(StoreError::Random)?;
            // A phone number is one account: its username is the number.
            let username = payment.phone.clone();
            let user_id = match accounts::find_account(&tx, &username)? {
                Some(record) => {
                    let purchase = Purchase {
                        duration_secs: package.duration_secs,
                        data_limit_bytes: package.data_limit_bytes,
                        max_devices: package.max_devices,
                    };
                    let extended = access::extend(&record.account, purchase, now);
                    accounts::save_extension(&tx, &extended, package.id, &hash, now)?;
                    if let Some(at) = extended.expires_at {
                        session_rows::set_user_expiry(&tx, extended.user_id, at)?;
                    }
                    extended.user_id
                }
                None => accounts::create_account(&tx, &username, Some(&hash), Some(&payment.phone), &package, AccountSource::Payment, now)?,
            };
            let credential_id =
                accounts::add_credential(&tx, user_id, &username, &password, Some(&payment.phone), Some(payment_id), now)?;
            payments::set_user(&tx, payment_id, user_id)?;
            queue::enqueue(&tx, &JobKind::SendCredentialsSms { credential_id }, now)?;
            log::info!("payment {payment_id}: account {username} ready (credentials queued for SMS)");
            fresh = Some((username, password));
            user_id
        }
    };
    let refresh = records::authorised_now(&tx, Some(user_id), now)?;
    let payer = (|| Some(Client { ip: payment.ip.as_deref()?.parse().ok()?, mac: payment.mac.as_deref()?.parse().ok()? }))();
    tx.commit()?;
    Ok(Ok(Paid { user_id, payer, refresh, fresh }))
}

//! Applying what the central sends (`wire::Item`): each item once, by its id, through the
//! same operations as the CLI and the portal (`admin`, `Sessions`, `payments`), with its
//! outcome queued back to the central as a `command_result` event.
//!
//! Items whose change is not idempotent (an extension, a paybill payment) record their id in
//! the transaction that makes the change. The rest (kicks, disables, vouchers, packages, STK
//! results — each harmless to repeat) record it just after: a crash in between repeats the
//! change, never loses it.

use super::wire::{Item, Order};
use crate::accounts::{self as account_ops, ResendOutcome};
use crate::admin::{Admin, AdminError, Reply, Request};
use crate::jobs::worker::Jobs;
use crate::netaddr::MacAddr;
use crate::payments::{paybill, CallbackVerdict, Payments};
use crate::sessions::Sessions;
use crate::store::sessions::EndMethod;
use crate::store::sync::{self as sync_rows, Outcome};
use crate::store::catalog::{self, Revoke};
use crate::store::{Store, StoreError};

/// What applying needs: the daemon's operations.
#[derive(Clone)]
pub struct Applier {
    pub admin: Admin,
    pub sessions: Sessions,
    pub payments: Payments,
    pub jobs: Jobs,
    pub store: Store,
    pub router_id: i64,
}

impl Applier {
    /// Applies `item` unless it was applied already. Only a database failure is an error
    /// (the item is then delivered and tried again).
    pub async fn apply(&self, item: Item) -> Result<(), StoreError> {
        let id = item.id;
        if self.store.call(move |conn| sync_rows::applied(conn, id)).await?.is_some() {
            return Ok(());
        }
        let outcome = match self.carry_out(item.id, item.body).await? {
            Recorded::Already(outcome) => outcome,
            Recorded::Not(outcome) => {
                let recorded = outcome.clone();
                let now = self.sessions.now();
                self.store.call(move |conn| sync_rows::record_applied(conn, id, &recorded, now)).await?;
                outcome
            }
        };
        if outcome.ok {
            log::info!("central item {id}: {}", outcome.detail);
        } else {
            log::warn!("central item {id} failed: {}", outcome.detail);
        }
        Ok(())
    }

    async fn carry_out(&self, id: i64, order: Order) -> Result<Recorded, StoreError> {
        let outcome = match order {
            Order::Extend { username, seconds, bytes } => {
                if seconds < 0 || bytes < 0 || seconds + bytes == 0 {
                    Outcome::failed("an extension needs seconds or bytes above 0")
                } else {
                    return match self.sessions.extend_account(Some(id), username, seconds, bytes).await {
                        Ok(outcome) => Ok(Recorded::Already(outcome)),
                        Err(crate::sessions::SessionError::Store(e)) => Err(e),
                        // Recorded in the database already; the firewall is rebuilt on failure.
                        Err(e) => Ok(Recorded::Already(Outcome::done(format!("extended; the firewall reported: {e}")))),
                    };
                }
            }
            Order::Paybill(paid) => {
                let (router_id, now) = (self.router_id, self.sessions.now());
                let outcome = self.store.call(move |conn| paybill::credit(conn, id, router_id, &paid, now)).await?;
                self.jobs.notify();
                return Ok(Recorded::Already(outcome));
            }
            Order::Kick { mac: Some(mac), .. } => match mac.parse::<MacAddr>() {
                Ok(mac) => match self.sessions.kick(mac, EndMethod::Central).await {
                    Ok(0) => Outcome::failed(format!("{mac} has no active session")),
                    Ok(n) => Outcome::done(format!("{mac}: {n} session(s) ended")),
                    Err(e) => Outcome::failed(crate::error_chain(&e)),
                },
                Err(_) => Outcome::failed(format!("`{mac}` is not a MAC address")),
            },
            Order::Kick { username: Some(username), .. } => match self.sessions.kick_account(username.clone(), EndMethod::Central).await {
                Ok(Some(n)) => Outcome::done(format!("{username}: {n} session(s) ended")),
                Ok(None) => Outcome::failed(no_account(&username)),
                Err(e) => Outcome::failed(crate::error_chain(&e)),
            },
            Order::Kick { .. } => Outcome::failed("a kick needs a mac or a username"),
            Order::Disable { username: Some(username), .. } => self.admin_op(Request::UserDisable { username }).await,
            Order::Disable { voucher: Some(code), .. } => self.admin_op(Request::VoucherRevoke { code }).await,
            Order::Disable { .. } => Outcome::failed("disable needs a username or a voucher"),
            Order::Enable { username } => self.admin_op(Request::UserEnable { username }).await,
            Order::Resend { username } => {
                let now = self.sessions.now();
                let name = username.clone();
                match self.store.call(move |conn| account_ops::resend_credentials(conn, &name, now)).await? {
                    ResendOutcome::Queued { phone } => {
                        self.jobs.notify();
                        Outcome::done(format!("new login details for {username} queued by SMS to {phone}"))
                    }
                    ResendOutcome::NoAccount => Outcome::failed(no_account(&username)),
                    ResendOutcome::NoPhone => Outcome::failed(format!("{username} has no phone number to send to")),
                }
            }
            Order::Vouchers { package, batch, codes } => {
                let now = self.sessions.now();
                let name = package.clone();
                let total = codes.len();
                match self.store.call(move |conn| catalog::add_issued_vouchers(conn, &name, batch.as_deref(), &codes, now)).await? {
                    Some(added) => Outcome::done(format!("{added} of {total} vouchers added to {package}")),
                    None => Outcome::failed(format!("there is no package named `{package}` on this router")),
                }
            }
            Order::Package(package) => {
                let now = self.sessions.now();
                let name = package.name.clone();
                let id = self.store.call(move |conn| catalog::put_central_package(conn, &package, now)).await?;
                Outcome::done(format!("package {name} is package {id} here"))
            }
            Order::StkCallback { token, body } => match self.payments.callback(&token, body.as_bytes()).await {
                CallbackVerdict::Accepted => Outcome::done("taken; the payment is confirmed by an STK query before it is credited"),
                CallbackVerdict::Rejected => Outcome::failed("no pending payment of this router matches it (forged or stale?)"),
                CallbackVerdict::Malformed => Outcome::failed("not an STK result"),
            },
        };
        Ok(Recorded::Not(outcome))
    }

    async fn admin_op(&self, request: Request) -> Outcome {
        match self.admin.execute(request).await {
            Ok(Reply::UserDisabled { username, sessions }) => Outcome::done(format!("{username} disabled; {sessions} session(s) ended")),
            Ok(Reply::UserEnabled { username, changed: true }) => Outcome::done(format!("{username} enabled")),
            Ok(Reply::UserEnabled { username, changed: false }) => Outcome::done(format!("{username} was not disabled")),
            Ok(Reply::VoucherRevoked(Revoke::Revoked)) => Outcome::done("voucher revoked"),
            Ok(Reply::VoucherRevoked(Revoke::NotUnused(status))) => Outcome::failed(format!("the voucher is {status}: only an unused one can be revoked")),
            Ok(Reply::VoucherRevoked(Revoke::NoSuchCode)) => Outcome::failed("there is no such voucher on this router"),
            Ok(other) => Outcome::done(format!("{other:?}")),
            Err(AdminError::NoSuchUser(username)) => Outcome::failed(no_account(&username)),
            Err(e) => Outcome::failed(crate::error_chain(&e)),
        }
    }
}

/// An outcome, and whether the operation recorded it itself.
enum Recorded {
    Already(Outcome),
    Not(Outcome),
}

fn no_account(username: &str) -> String {
    format!("there is no account `{username}` on this router")
}

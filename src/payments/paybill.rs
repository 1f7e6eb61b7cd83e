//! Paying from the M-Pesa menu (paybill, C2B) when the payer cannot get the STK prompt. The
//! portal gives the paying device an account number (`sync::wire::account_number`: this
//! router's id at the central and a purchase reference); the payer sends the price to the
//! operator's paybill with it; Safaricom tells the central server, which hands the payment
//! to this router on its next exchange (`sync`); `credit` then confirms the purchase and the
//! usual `CreateHotspotUser` job puts the device online.
//!
//! Safaricom masks the payer's number, so a paybill purchase makes an account with a
//! generated username (shown on the payment page, not sent by SMS). A payment is credited
//! once per TransID; a second payment with the same account number buys the package again.

use rusqlite::Connection;

use super::flow::{PayError, Payments, Started};
use crate::jobs::{queue, CreateHotspotUser};
use crate::sessions::Client;
use crate::store::payments::{self, NewPayment, PaymentRecord, PAYBILL_PROVIDER, PAYBILL_REF_KEPT_SECS};
use crate::store::sync::{self as sync_rows, Outcome};
use crate::store::{catalog, StoreError};
use crate::sync::wire::{self, PaybillPayment};

/// A device's purchase waits for a paybill payment this long before a new visit makes it a
/// new account number (the old one still credits when paid).
const PURCHASE_SHOWN_SECS: i64 = 86_400;

/// Where to pay, as the payment page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaybillInstructions {
    pub paybill: String,
    pub account: String,
}

/// The operator's paybill and this router's id at the central.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paybill {
    pub number: String,
    pub router_id: i64,
}

impl Payments {
    /// Whether the portal offers paying from the M-Pesa menu.
    pub fn paybill_enabled(&self) -> bool {
        self.paybill.is_some()
    }

    /// A purchase of `package_id` to pay from the M-Pesa menu: the device's pending one of
    /// the last day, or a new one with a fresh reference.
    pub async fn start_paybill(&self, client: Option<Client>, package_id: i64) -> Result<Started, PayError> {
        if self.paybill.is_none() {
            return Err(PayError::Disabled);
        }
        let client = client.ok_or(PayError::UnknownDevice)?;
        let now = self.clock.now();
        let (mac, ip) = (client.mac.to_string(), client.ip.to_string());
        let mut fresh = [0u8; 36];
        crate::credentials::random_bytes(&mut fresh).map_err(StoreError::Random)?;
        let started = self
            .store
            .call(move |conn| {
                let tx = conn.transaction()?;
                let Some(package) = catalog::get_package(&tx, package_id)?.filter(|p| p.active) else { return Ok(Err(PayError::UnknownPackage(package_id))) };
                if package.price <= 0 {
                    return Ok(Err(PayError::FreePackage(package_id)));
                }
                if let Some(earlier) = payments::pending_paybill(&tx, &mac, package_id, now - PURCHASE_SHOWN_SECS)? {
                    if let Some(view_token) = payments::view_token(&tx, earlier.id)? {
                        return Ok(Ok(Started { id: earlier.id, view_token }));
                    }
                }
                let Some(reference) = free_reference(&tx, &fresh[..20], now)? else { return Ok(Err(PayError::NoPaybillReference)) };
                let view_token = wire::hex(&fresh[20..36]);
                let new = NewPayment {
                    provider: PAYBILL_PROVIDER,
                    phone: "",
                    mac: Some(&mac),
                    ip: Some(&ip),
                    package_id,
                    amount: package.price,
                    callback_token: "",
                    view_token: &view_token,
                    lang: None,
                };
                let id = payments::insert_pending(&tx, &new, now)?;
                payments::set_paybill_ref(&tx, id, reference)?;
                tx.commit()?;
                Ok(Ok(Started { id, view_token }))
            })
            .await??;
        Ok(started)
    }

    /// Where to pay for a pending paybill purchase (`None` for any other payment).
    pub fn paybill_instructions(&self, payment: &PaymentRecord) -> Option<PaybillInstructions> {
        let paybill = self.paybill.as_ref()?;
        let reference = u32::try_from(payment.paybill_ref?).ok()?;
        Some(PaybillInstructions { paybill: paybill.number.clone(), account: wire::account_number(paybill.router_id, reference) })
    }
}

/// A reference no purchase was given in the last 30 days, drawn from `random` (ten tries of
/// two bytes each; `None` only when the router sold tens of thousands in a month).
fn free_reference(conn: &Connection, random: &[u8], now: i64) -> Result<Option<i64>, StoreError> {
    for pair in random.chunks(2).take(10) {
        let draw = (u32::from(pair[0]) << 8 | u32::from(pair[1])) as i64;
        let reference = 10_000 + (draw * 7 + i64::from(random[0])) % 90_000;
        if !payments::paybill_ref_taken(conn, reference, now - PAYBILL_REF_KEPT_SECS)? {
            return Ok(Some(reference));
        }
    }
    Ok(None)
}

/// Credits a paybill payment the central relayed as its item `item_id`, once: returns the
/// outcome recorded for the item (the earlier one if it was applied already). A credited
/// payment's `CreateHotspotUser` job is queued in the same transaction.
pub fn credit(conn: &mut Connection, item_id: i64, router_id: i64, paid: &PaybillPayment, now: i64) -> Result<Outcome, StoreError> {
    let tx = conn.transaction()?;
    if let Some(earlier) = sync_rows::applied(&tx, item_id)? {
        return Ok(earlier);
    }
    let outcome = decide(&tx, router_id, paid, now)?;
    sync_rows::record_applied(&tx, item_id, &outcome, now)?;
    tx.commit()?;
    Ok(outcome)
}

fn decide(conn: &Connection, router_id: i64, paid: &PaybillPayment, now: i64) -> Result<Outcome, StoreError> {
    let account = &paid.account;
    let reference = match wire::parse_account_number(account) {
        Some((router, reference)) if router == router_id => reference,
        _ => return Ok(Outcome::failed(format!("account number {account} is not one of this router's"))),
    };
    if payments::receipt_used(conn, &paid.trans_id)? {
        return Ok(Outcome::done(format!("{} was credited already", paid.trans_id)));
    }
    let Some(purchase) = payments::by_paybill_ref(conn, i64::from(reference))? else {
        return Ok(Outcome::failed(format!(
            "no purchase has account number {account} on this router (mistyped?): credit KES {} from {} by hand",
            paid.amount, paid.msisdn
        )));
    };
    if paid.amount < purchase.amount {
        return Ok(Outcome::failed(format!(
            "{} paid KES {} for a package of KES {}: not credited (refund or credit it by hand)",
            paid.trans_id, paid.amount, purchase.amount
        )));
    }
    // Paid again with the same account number: a new purchase of the same package.
    let payment_id = if purchase.status == payments::PaymentStatus::Pending {
        purchase.id
    } else {
        let mut token = [0u8; 16];
        crate::credentials::random_bytes(&mut token).map_err(StoreError::Random)?;
        let view_token = wire::hex(&token);
        let again = NewPayment {
            provider: PAYBILL_PROVIDER,
            phone: "",
            mac: purchase.mac.as_deref(),
            ip: purchase.ip.as_deref(),
            package_id: purchase.package_id,
            amount: purchase.amount,
            callback_token: "",
            view_token: &view_token,
            lang: None,
        };
        let id = payments::insert_pending(conn, &again, now)?;
        payments::set_paybill_ref(conn, id, i64::from(reference))?;
        id
    };
    payments::record_paybill(conn, payment_id, &paid.msisdn, &paid.trans_id, now)?;
    if !payments::confirm(conn, payment_id, "paid by paybill", now)? {
        return Ok(Outcome::failed(format!("purchase {payment_id} changed meanwhile")));
    }
    queue::enqueue(conn, CreateHotspotUser { payment_id }, now)?;
    Ok(Outcome::done(format!("{} of KES {} credited to purchase {payment_id}", paid.trans_id, paid.amount)))
}

//! Paybill (C2B): `POST /pay/c2b/{secret}/validate` and `…/confirm` (aliases under
//! `/mpesa/c2b/{secret}/`). The secret (in `settings`, made at first start) keeps strangers
//! from posting confirmations: a wrong one is 404 and nothing is stored.
//!
//! - validate answers from the database alone, fast: the BillRefNumber must be one of our
//!   account numbers (`wire::parse_account_number`) for a router that exists (else
//!   `C2B00012`), the amount a positive whole number (else `C2B00013`).
//! - confirm stores the payment once per TransID; when new and its account number names a
//!   router, a `paybill` item for that router is queued in the same transaction. Unknown
//!   account numbers are kept unmatched for the operator. `ResultCode` 0 only after commit.

use hyper::body::Incoming;
use hyper::{Request, StatusCode};
use serde_json::{json, Value};

use super::http::{self, Reply};
use super::registry::sha256_hex;
use super::server::Central;
use super::{items, registry};
use crate::sync::wire::{parse_account_number, Order, PaybillPayment};

/// Largest C2B body (Daraja's are under 1 KB).
pub const MAX_C2B_BYTES: usize = 16 * 1024;

/// A C2B body as we keep it. Pure reading, no I/O.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2b {
    pub trans_id: String,
    /// Whole shillings; `None` when TransAmount is not a positive whole number.
    pub amount: Option<i64>,
    pub account: String,
    pub msisdn: String,
    pub name: String,
    pub trans_time: String,
}

fn text(body: &Value, field: &str) -> String {
    match body.get(field) {
        Some(Value::String(s)) => s.trim().chars().take(100).collect(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A positive whole number of shillings from `"10"`, `"10.00"` or `10`.
pub fn whole_amount(value: Option<&Value>) -> Option<i64> {
    let text = match value? {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !fraction.bytes().all(|b| b == b'0') {
        return None;
    }
    whole.parse::<i64>().ok().filter(|&n| n > 0)
}

/// Reads a validation or confirmation body; `Err` says what is wrong.
pub fn read(body: &[u8]) -> Result<C2b, String> {
    let value: Value = serde_json::from_slice(body).map_err(|_| "the body is not JSON".to_owned())?;
    if !value.is_object() {
        return Err("the body is not a JSON object".into());
    }
    let trans_id = text(&value, "TransID");
    if trans_id.is_empty() || trans_id.len() > 40 {
        return Err("TransID is missing".into());
    }
    let name = ["FirstName", "MiddleName", "LastName"].iter().map(|f| text(&value, f)).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ");
    Ok(C2b {
        trans_id,
        amount: whole_amount(value.get("TransAmount")),
        account: text(&value, "BillRefNumber"),
        msisdn: text(&value, "MSISDN"),
        name,
        trans_time: text(&value, "TransTime"),
    })
}

fn result(code: &str, desc: &str) -> Reply {
    http::json(StatusCode::OK, &json!({ "ResultCode": code, "ResultDesc": desc }))
}

/// Whether `secret` is this central's (compared as hashes, so in constant time enough).
async fn secret_matches(client: &tokio_postgres::Client, secret: &str) -> Result<bool, tokio_postgres::Error> {
    let row = client.query_opt("SELECT value FROM settings WHERE name = 'c2b_secret'", &[]).await?;
    Ok(row.is_some_and(|r| sha256_hex(r.get::<_, String>(0).as_bytes()) == sha256_hex(secret.as_bytes())))
}

#[derive(Debug, thiserror::Error)]
pub enum C2bError {
    #[error("no database connection")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("a query failed")]
    Query(#[from] tokio_postgres::Error),
    #[error(transparent)]
    Db(#[from] super::db::DbError),
}

pub enum Step {
    Validate,
    Confirm,
}

pub async fn handle(central: &Central, req: Request<Incoming>, secret: &str, step: Step) -> Reply {
    match answer(central, req, secret, step).await {
        Ok(reply) => reply,
        Err(e) => http::internal("c2b", &e),
    }
}

async fn answer(central: &Central, req: Request<Incoming>, secret: &str, step: Step) -> Result<Reply, C2bError> {
    // The body first: no pooled connection waits on a slow client.
    let body = match http::read_body(req, MAX_C2B_BYTES).await {
        Ok(b) => b,
        Err(e) => return Ok(e.reply()),
    };
    let mut client = central.pool.get().await?;
    if !secret_matches(&client, secret).await? {
        return Ok(http::not_found());
    }
    let c2b = match read(&body) {
        Ok(c2b) => c2b,
        Err(words) => {
            return Ok(http::json(StatusCode::BAD_REQUEST, &json!({ "ResultCode": "C2B00016", "ResultDesc": format!("Rejected: {words}") })));
        }
    };
    let router = parse_account_number(&c2b.account);
    match step {
        Step::Validate => {
            let known = match router {
                Some((id, _)) => registry::router_exists(&**client, id).await?,
                None => false,
            };
            Ok(if !known {
                result("C2B00012", "Rejected: unknown account number")
            } else if c2b.amount.is_none() {
                result("C2B00013", "Rejected: the amount must be a whole number of shillings")
            } else {
                result("0", "Accepted")
            })
        }
        Step::Confirm => {
            let raw: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (router_id, reference) = match router {
                Some((id, reference)) if c2b.amount.is_some() => (Some(id), Some(reference as i32)),
                _ => (None, None),
            };
            let tx = client.transaction().await?;
            let inserted = tx
                .query_opt(
                    "INSERT INTO c2b_payments (trans_id, amount, account, msisdn, name, trans_time, router_id, reference, body)
                     VALUES ($1, $2, $3, $4, $5, $6, (SELECT id FROM routers WHERE id = $7), $8, $9)
                     ON CONFLICT (trans_id) DO NOTHING RETURNING router_id",
                    &[&c2b.trans_id, &c2b.amount, &c2b.account, &c2b.msisdn, &c2b.name, &c2b.trans_time, &router_id, &reference, &raw],
                )
                .await?;
            if let (Some(row), Some(amount)) = (inserted, c2b.amount) {
                if let Some(router) = row.get::<_, Option<i64>>(0) {
                    let payment = PaybillPayment {
                        trans_id: c2b.trans_id.clone(),
                        amount,
                        account: c2b.account.clone(),
                        msisdn: c2b.msisdn.clone(),
                        name: c2b.name.clone(),
                        trans_time: c2b.trans_time.clone(),
                    };
                    let item = items::queue(&*tx, router, &Order::Paybill(payment)).await?;
                    tx.execute("UPDATE c2b_payments SET item_id = $2 WHERE trans_id = $1", &[&c2b.trans_id, &item]).await?;
                }
            }
            tx.commit().await?;
            Ok(http::json(StatusCode::OK, &json!({ "ResultCode": 0, "ResultDesc": "Success" })))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_positive_whole_shillings() {
        assert_eq!(whole_amount(Some(&json!("10"))), Some(10));
        assert_eq!(whole_amount(Some(&json!("10.00"))), Some(10));
        assert_eq!(whole_amount(Some(&json!(25))), Some(25));
        assert_eq!(whole_amount(Some(&json!("10.50"))), None);
        assert_eq!(whole_amount(Some(&json!("0"))), None);
        assert_eq!(whole_amount(Some(&json!("-5"))), None);
        assert_eq!(whole_amount(None), None);
    }

    #[test]
    fn a_daraja_body_reads() {
        let body = br#"{"TransactionType":"Pay Bill","TransID":"RKTQDM7W6S","TransTime":"20191122063845","TransAmount":"10","BusinessShortCode":"600638","BillRefNumber":"invoice008","MSISDN":"25470****149","FirstName":"John","MiddleName":"","LastName":"Doe"}"#;
        let c2b = read(body).unwrap();
        assert_eq!(c2b.trans_id, "RKTQDM7W6S");
        assert_eq!(c2b.amount, Some(10));
        assert_eq!(c2b.name, "John Doe");
        assert!(read(b"{}").is_err());
        assert!(read(b"nope").is_err());
    }
}

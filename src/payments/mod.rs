//! Payments: M-Pesa STK push (`mpesa/`), and the flow from "pay" to "online": a pending
//! payment row, the prompt, the result by callback or by polling, and — once confirmed —
//! the account, in one transaction with the job that creates it.

pub mod flow;
pub mod limits;
pub mod mpesa;
pub mod paybill;
mod poller;

pub use flow::{CallbackVerdict, PayError, PaymentView, Payments, Started};

//! Which orders an operator may send through the API, and what each needs. Pure: an
//! `Order` in, `Ok` or the words saying what to fix out.

use crate::sync::wire::Order;

/// Most voucher codes in one `vouchers` order.
pub const MAX_VOUCHER_CODES: usize = 1000;

pub fn check(order: &Order) -> Result<(), String> {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    match order {
        Order::Kick { mac, username } if blank(mac) && blank(username) => Err("kick needs a mac or a username".into()),
        Order::Extend { username, .. } if username.trim().is_empty() => Err("extend needs a username".into()),
        Order::Extend { seconds, bytes, .. } if *seconds < 0 || *bytes < 0 => Err("extend's seconds and bytes must not be negative".into()),
        Order::Extend { seconds: 0, bytes: 0, .. } => Err("extend needs seconds or bytes greater than 0".into()),
        Order::Disable { username, voucher } if blank(username) && blank(voucher) => Err("disable needs a username or a voucher".into()),
        Order::Enable { username } | Order::Resend { username } if username.trim().is_empty() => Err("this command needs a username".into()),
        Order::Vouchers { codes, .. } if codes.is_empty() || codes.len() > MAX_VOUCHER_CODES => {
            Err(format!("vouchers needs between 1 and {MAX_VOUCHER_CODES} codes"))
        }
        Order::Vouchers { codes, .. } if codes.iter().any(|c| c.trim().is_empty()) => Err("a voucher code must not be empty".into()),
        Order::Vouchers { package_id, .. } if *package_id <= 0 => Err("vouchers needs the package_id of the router's package".into()),
        Order::Package(p) if p.name.trim().is_empty() => Err("package needs a name".into()),
        Order::Package(p) if p.price < 0 || p.duration_secs <= 0 || p.max_devices < 1 => {
            Err("package needs price ≥ 0, duration_secs > 0 and max_devices ≥ 1".into())
        }
        Order::Paybill(_) | Order::StkCallback { .. } => Err("paybill and stk_callback items come from M-Pesa, not from the API".into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(json: &str) -> Order {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn orders_need_what_they_act_on() {
        assert!(check(&order(r#"{"kind":"kick","mac":"02:00:00:00:00:01"}"#)).is_ok());
        assert!(check(&order(r#"{"kind":"kick"}"#)).unwrap_err().contains("mac or a username"));
        assert!(check(&order(r#"{"kind":"extend","username":"u","seconds":60}"#)).is_ok());
        assert!(check(&order(r#"{"kind":"extend","username":"u"}"#)).unwrap_err().contains("greater than 0"));
        assert!(check(&order(r#"{"kind":"extend","username":"u","seconds":-5,"bytes":9}"#)).is_err());
        assert!(check(&order(r#"{"kind":"disable"}"#)).is_err());
        assert!(check(&order(r#"{"kind":"enable","username":" "}"#)).is_err());
        assert!(check(&order(r#"{"kind":"vouchers","package_id":1,"codes":[]}"#)).is_err());
        assert!(check(&order(r#"{"kind":"stk_callback","token":"t","body":"{}"}"#)).is_err());
    }
}

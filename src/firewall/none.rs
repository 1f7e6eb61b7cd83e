//! The `none` backend: enforces and counts nothing, and logs each change, so the demo and
//! development show what the router would be told.

use super::{Authorised, Firewall, FirewallError, Policy, Revoked, UsageReading};

pub struct NoFirewall {
    policy: Policy,
}

impl NoFirewall {
    pub fn new(policy: Policy) -> NoFirewall {
        NoFirewall { policy }
    }
}

impl Firewall for NoFirewall {
    fn install(&self, clients: &[Authorised]) -> Result<(), FirewallError> {
        log::info!(
            "firewall none: not enforcing on {} ({} devices authorised)",
            self.policy.interface,
            clients.len()
        );
        Ok(())
    }

    fn update(&self, authorise: &[Authorised], revoke: &[Revoked]) -> Result<(), FirewallError> {
        for r in revoke {
            log::info!("firewall none: access ended for {} ({})", r.device.ip, r.device.mac);
        }
        for a in authorise {
            let cap = a.quota.map_or("no data cap".to_string(), |q| format!("{} of {} bytes used", q.used_bytes, q.limit_bytes));
            log::info!(
                "firewall none: access granted to {} ({}) for {} s, {cap}, speed {:?}",
                a.device.ip,
                a.device.mac,
                a.timeout_secs,
                a.rate
            );
        }
        Ok(())
    }

    fn is_installed(&self) -> Result<bool, FirewallError> {
        Ok(true)
    }

    fn read_usage(&self) -> Result<UsageReading, FirewallError> {
        Ok(UsageReading::default())
    }
}

//! The `none` backend: enforces nothing and logs each change, so the demo and development
//! show what the router would be told.

use super::{Authorised, Device, Firewall, FirewallError, Policy};

pub struct NoFirewall;

impl Firewall for NoFirewall {
    fn install(&self, policy: &Policy, clients: &[Authorised]) -> Result<(), FirewallError> {
        log::info!(
            "firewall none: not enforcing on {} ({} devices authorised)",
            policy.interface,
            clients.len()
        );
        Ok(())
    }

    fn update(&self, authorise: &[Authorised], revoke: &[Device]) -> Result<(), FirewallError> {
        for d in revoke {
            log::info!("firewall none: access ended for {} ({})", d.ip, d.mac);
        }
        for a in authorise {
            log::info!(
                "firewall none: access granted to {} ({}) for {} s",
                a.device.ip,
                a.device.mac,
                a.timeout_secs
            );
        }
        Ok(())
    }

    fn is_installed(&self) -> Result<bool, FirewallError> {
        Ok(true)
    }
}

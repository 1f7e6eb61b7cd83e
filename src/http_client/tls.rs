//! TLS for upstream calls: rustls with ring, trusting the certificate authorities of the
//! router's CA bundle (OpenWrt's `ca-bundle` package, Debian's `ca-certificates`: the same
//! path). Reading them from the router instead of compiling Mozilla's list into the binary
//! keeps 0.2 MB off a flash chip, and the list is updated with the firmware.

use std::path::Path;
use std::sync::Arc;

use ureq::config::ConfigBuilder;
use ureq::tls::{parse_pem, PemItem, RootCerts, TlsConfig};
use ureq::typestate::AgentScope;

/// A bundle is ~200 KB; refuse to read anything absurd.
const MAX_BUNDLE_BYTES: u64 = 4 << 20;

/// The ring provider (the `unversioned` API is pinned by Cargo.lock with ureq's rustls) and
/// the authorities in `ca_bundle`.
pub fn configure(builder: ConfigBuilder<AgentScope>, ca_bundle: &Path) -> ConfigBuilder<AgentScope> {
    let tls = TlsConfig::builder()
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(root_certs(ca_bundle))
        .build();
    builder.tls_config(tls)
}

/// The certificates in `path`. None (missing file) means every HTTPS call fails its
/// handshake, and the log says why once, here.
fn root_certs(path: &Path) -> RootCerts {
    use std::io::Read;
    let mut pem = Vec::new();
    let read = std::fs::File::open(path).and_then(|f| f.take(MAX_BUNDLE_BYTES).read_to_end(&mut pem));
    let certs: Vec<_> = parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(PemItem::Certificate(cert)) => Some(cert),
            _ => None,
        })
        .collect();
    match read {
        Err(e) => log::warn!(
            "cannot read the CA bundle {} ({e}): HTTPS to M-Pesa and SMS gateways will fail; install it (opkg install ca-bundle) or set `option ca_bundle`",
            path.display()
        ),
        Ok(_) if certs.is_empty() => {
            log::warn!("no certificates in the CA bundle {}: HTTPS to M-Pesa and SMS gateways will fail", path.display())
        }
        Ok(_) => log::debug!("{} trusted certificate authorities from {}", certs.len(), path.display()),
    }
    RootCerts::new_with_certs(&certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_system_bundle_and_survives_a_missing_one() {
        // The build machines have Debian's bundle; a router has OpenWrt's at the same path.
        let system = Path::new(crate::http_client::DEFAULT_CA_BUNDLE);
        if system.exists() {
            assert!(matches!(root_certs(system), RootCerts::Specific(c) if c.len() > 50));
        }
        assert!(matches!(root_certs(Path::new("/nonexistent/ca.crt")), RootCerts::Specific(c) if c.is_empty()));
    }
}

//! `hotspotd run --demo`: the embedded setup a newcomer starts with. Data under
//! `./hotspotd-data`, portal on 127.0.0.1:2050, no firewall, a few sample packages, and some
//! unused voucher codes printed at start. RADIUS answers on 127.0.0.1:1812/1813 for a demo
//! NAS at 127.0.0.1 (secret `DEMO_NAS_SECRET`), so `radtest CODE CODE 127.0.0.1 0 SECRET`
//! logs a voucher in as a MikroTik would. The web admin answers on 127.0.0.1:2051 with the
//! password `DEMO_ADMIN_PASSWORD` (set at start if none is). A new demo database also gets a
//! month of sample sales and sessions (`store::demo_data`, marked as demo data) for the web
//! admin's dashboard.

use std::path::Path;

use crate::config::{Config, RadiusConfig};
use crate::radius::dialect::Vendor;
use crate::radius::Nas;
use crate::store::catalog::{self, NewPackage, Package};
use crate::store::{self, audit, settings, StoreError};

pub const DATA_DIR: &str = "hotspotd-data";
/// Unused vouchers kept ready per package in the demo.
const VOUCHERS_PER_PACKAGE: usize = 2;

/// The demo NAS's shared secret (printed at start; a demo only).
pub const DEMO_NAS_SECRET: &str = "hotspotd-demo";
/// The demo's web admin password (127.0.0.1:2051), set at start when none is (printed).
pub const DEMO_ADMIN_PASSWORD: &str = "hotspotd-demo";

pub fn config() -> Config {
    Config {
        radius: Some(RadiusConfig {
            listen: [127, 0, 0, 1].into(),
            auth_port: 1812,
            acct_port: 1813,
            interim_interval: 300,
            nases: vec![Nas {
                name: "demo-nas".into(),
                address: [127, 0, 0, 1].into(),
                secret: DEMO_NAS_SECRET.into(),
                vendor: Vendor::Mikrotik,
                require_message_authenticator: true,
                // Nothing on loopback takes Disconnect-Requests.
                das_port: 0,
            }],
        }),
        // The sample data's month stays whole on the dashboard's data chart.
        usage_keep: std::time::Duration::from_secs(31 * 86_400),
        ..Config::demo(Path::new(DATA_DIR))
    }
}

fn sample_packages() -> Vec<NewPackage> {
    let package = |name: &str, price, duration_secs, data_mb: Option<i64>, max_devices| NewPackage {
        name: name.into(),
        price,
        duration_secs,
        data_limit_bytes: data_mb.map(|mb| mb * 1_000_000),
        down_kbps: None,
        up_kbps: None,
        max_devices,
    };
    vec![
        package("Try it: 2 minutes", 0, 120, None, 1),
        package("1 hour", 10, 3600, None, 1),
        package("1 day, 1 GB", 50, 86_400, Some(1000), 2),
        package("1 week", 250, 7 * 86_400, None, 3),
    ]
}

/// Adds the sample packages to an empty database and tops up unused vouchers; returns the
/// unused codes with their package.
pub fn seed(config: &Config, now: i64) -> Result<Vec<(String, Package)>, StoreError> {
    let mut conn = store::open(&config.database)?;
    if catalog::list_packages(&conn, false)?.is_empty() {
        for p in sample_packages() {
            catalog::add_package(&conn, &p, now)?;
        }
        store::demo_data::seed(&mut conn, now)?;
    }
    let packages = catalog::list_packages(&conn, true)?;
    let unused = catalog::list_vouchers(&conn, true)?;
    for p in &packages {
        let have = unused.iter().filter(|v| v.package_id == p.id).count();
        if have < VOUCHERS_PER_PACKAGE {
            catalog::create_vouchers(&mut conn, p.id, (VOUCHERS_PER_PACKAGE - have) as u32, Some("demo"), now)?;
        }
    }
    let codes = catalog::list_vouchers(&conn, true)?
        .into_iter()
        .filter_map(|v| Some((v.code, packages.iter().find(|p| p.id == v.package_id)?.clone())))
        .collect();
    Ok(codes)
}

/// Sets the demo's web admin password if none is set; `true` if it did.
pub fn admin_password(config: &Config, now: i64) -> Result<bool, StoreError> {
    let conn = store::open(&config.database)?;
    if settings::get(&conn, settings::ADMIN_PASSWORD)?.is_some() {
        return Ok(false);
    }
    let stored = crate::webadmin::password::hash(DEMO_ADMIN_PASSWORD).map_err(|e| match e {
        crate::webadmin::password::PasswordError::Random(io) => StoreError::Random(io),
        other => StoreError::Random(std::io::Error::other(other.to_string())),
    })?;
    settings::set(&conn, settings::ADMIN_PASSWORD, &stored)?;
    audit::record(&conn, now, "demo", "password changed", "the demo's password")?;
    Ok(true)
}

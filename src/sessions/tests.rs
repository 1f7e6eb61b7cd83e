//! `Sessions` with in-process fakes of the enforcers (a firewall and a NAS that record what
//! they are told) over a real SQLite file: the routing logic — each change reaches the
//! session's own enforcer, whoever enforces it — and the recording of final totals. The
//! real firewall is tested on real nft in the lab tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::*;
use crate::clock::Clock;
use crate::firewall::{Authorised, Device, Firewall, FirewallError, Revoked, Traffic, UsageReading};
use crate::store::catalog::{self, NewPackage};
use crate::store::outbox;
use crate::store::Store;

const NOW: i64 = 1_800_000_000;

struct FixedClock(Mutex<i64>);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        *self.0.lock().unwrap()
    }
}

/// What the fake firewall was told, and the counters it reports.
#[derive(Default)]
struct Kernel {
    authorised: Vec<Authorised>,
    revoked: Vec<Revoked>,
    counters: HashMap<std::net::Ipv4Addr, Traffic>,
}

#[derive(Default, Clone)]
struct FakeFirewall(Arc<Mutex<Kernel>>);

impl Firewall for FakeFirewall {
    fn install(&self, clients: &[Authorised]) -> Result<(), FirewallError> {
        self.0.lock().unwrap().authorised = clients.to_vec();
        Ok(())
    }

    fn update(&self, authorise: &[Authorised], revoke: &[Revoked]) -> Result<(), FirewallError> {
        let mut k = self.0.lock().unwrap();
        k.authorised.extend_from_slice(authorise);
        k.revoked.extend_from_slice(revoke);
        Ok(())
    }

    fn is_installed(&self) -> Result<bool, FirewallError> {
        Ok(true)
    }

    fn read_usage(&self) -> Result<UsageReading, FirewallError> {
        Ok(UsageReading { devices: self.0.lock().unwrap().counters.clone(), quotas: HashMap::new() })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NasCall {
    Disconnect(String),
    Change(String, u64),
}

#[derive(Default, Clone)]
struct FakeNas(Arc<Mutex<Vec<NasCall>>>);

impl NasControl for FakeNas {
    fn disconnect(&self, session: &NasSession) -> Result<(), NasError> {
        self.0.lock().unwrap().push(NasCall::Disconnect(session.acct_session_id.clone()));
        Ok(())
    }

    fn change(&self, session: &NasSession, limits: &enforcement::NasLimits) -> Result<(), NasError> {
        self.0.lock().unwrap().push(NasCall::Change(session.acct_session_id.clone(), limits.session_timeout_secs));
        Ok(())
    }
}

struct Setup {
    dir: std::path::PathBuf,
    sessions: Sessions,
    firewall: FakeFirewall,
    nas: FakeNas,
    clock: Arc<FixedClock>,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn setup(name: &str) -> Setup {
    let dir = std::env::temp_dir().join(format!("hotspotd-sessions-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let conn = crate::store::open(&dir.join("hotspotd.db")).unwrap();
    let (store, _thread) = Store::start(conn).unwrap();
    let firewall = FakeFirewall::default();
    let nas = FakeNas::default();
    let clock = Arc::new(FixedClock(Mutex::new(NOW)));
    let worker = crate::firewall::FirewallWorker::start(Arc::new(firewall.clone())).unwrap();
    let sessions = Sessions::new(store, worker, clock.clone()).with_nas(Arc::new(nas.clone()));
    Setup { dir, sessions, firewall, nas, clock }
}

fn client(n: u8) -> Client {
    Client { ip: [10, 77, 0, 10 + n].into(), mac: crate::netaddr::MacAddr([2, 0, 0, 0, 0, n]) }
}

/// A capped package, a voucher for it, and the account that voucher makes at its first
/// login (on device 1, enforced by our firewall). Returns the account id.
async fn capped_account(s: &Setup) -> i64 {
    let code = s
        .sessions
        .store()
        .call(|conn| {
            let new = NewPackage {
                name: "Day".into(),
                price: 50,
                duration_secs: 3600,
                data_limit_bytes: Some(1_000_000),
                down_kbps: None,
                up_kbps: None,
                max_devices: 3,
            };
            let id = catalog::add_package(conn, &new, NOW)?;
            Ok(catalog::create_vouchers(conn, id, 1, None, NOW)?.remove(0))
        })
        .await
        .unwrap();
    s.sessions.login(client(1), Credential::Voucher(code)).await.unwrap().grant.account_id
}

/// Session `n` of the account that a NAS enforces (as RADIUS accounting will create them);
/// its Acct-Session-Id.
async fn nas_session(s: &Setup, account_id: i64, n: u8) -> String {
    let acct_session_id = format!("MT-8100000{n}");
    let id = acct_session_id.clone();
    s.sessions
        .store()
        .call(move |conn| {
            conn.execute(
                "INSERT INTO sessions (user_id, mac, ip, nas, acct_session_id, started_at, expires_at)
                 VALUES (?1, ?2, ?3, 'till-1', ?4, ?5, ?6)",
                rusqlite::params![account_id, format!("02:00:00:00:00:a{n}"), format!("192.168.88.2{n}"), id, NOW, NOW + 3600],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    acct_session_id
}

fn nas_calls(s: &Setup) -> Vec<NasCall> {
    std::mem::take(&mut *s.nas.0.lock().unwrap())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

#[test]
fn top_ups_kicks_and_caps_reach_whoever_enforces_the_session() {
    runtime().block_on(async {
        let s = setup("route");
        let account = capped_account(&s).await;
        let nas_id = nas_session(&s, account, 1).await;
        assert!(nas_calls(&s).is_empty());

        // A top-up: the local device is re-authorised in the kernel, the NAS gets a CoA.
        let grants = s.sessions.store().call(move |conn| records::authorised_now(conn, Some(account), NOW + 60)).await.unwrap();
        *s.clock.0.lock().unwrap() = NOW + 60;
        s.sessions.top_up(grants).await.unwrap();
        assert_eq!(nas_calls(&s), [NasCall::Change(nas_id.clone(), 3540)]);
        assert_eq!(s.firewall.0.lock().unwrap().authorised.last().unwrap().device.ip, client(1).ip);

        // The operator kicks the NAS device: the NAS is told, the kernel is not touched.
        let before = s.firewall.0.lock().unwrap().revoked.len();
        assert_eq!(s.sessions.kick("02:00:00:00:00:a1".parse().unwrap(), EndMethod::Cli).await.unwrap(), 1);
        assert_eq!(nas_calls(&s), [NasCall::Disconnect(nas_id)]);
        assert_eq!(s.firewall.0.lock().unwrap().revoked.len(), before);

        // The cap: every session of the account ends, each through its own enforcer.
        let second = nas_session(&s, account, 2).await;
        s.sessions.end_exhausted(account).await.unwrap();
        assert_eq!(nas_calls(&s), [NasCall::Disconnect(second)]);
        let revoked = s.firewall.0.lock().unwrap().revoked.clone();
        assert_eq!(revoked.last().map(|r| r.device), Some(Device { ip: client(1).ip, mac: client(1).mac }));
        assert!(revoked.last().unwrap().last_of_account, "the account's quota goes with its last device");
    });
}

#[test]
fn expiry_ends_nas_sessions_through_their_nas() {
    runtime().block_on(async {
        let s = setup("expiry");
        let account = capped_account(&s).await;
        let nas_id = nas_session(&s, account, 1).await;
        *s.clock.0.lock().unwrap() = NOW + 3600;
        assert_eq!(s.sessions.expire_due().await.unwrap(), 2);
        assert_eq!(nas_calls(&s), [NasCall::Disconnect(nas_id)]);
        assert_eq!(s.firewall.0.lock().unwrap().revoked.len(), 1, "the local device left the kernel");
    });
}

#[test]
fn a_kick_records_the_kernels_last_count_in_the_session_and_its_end_event() {
    runtime().block_on(async {
        let s = setup("totals");
        capped_account(&s).await;
        s.firewall.0.lock().unwrap().counters.insert(client(1).ip, Traffic { up: 1_500, down: 90_000 });
        assert_eq!(s.sessions.kick(client(1).mac, EndMethod::Cli).await.unwrap(), 1);
        let (bytes_in, bytes_out, used) = s
            .sessions
            .store()
            .call(|conn| {
                Ok(conn.query_row(
                    "SELECT s.bytes_in, s.bytes_out, u.data_used_bytes FROM sessions s JOIN hotspot_users u ON u.id = s.user_id",
                    [],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
                )?)
            })
            .await
            .unwrap();
        assert_eq!((bytes_in, bytes_out, used), (1_500, 90_000, 91_500));
        let events = s.sessions.store().call(|conn| outbox::unsent(conn, 0, 100)).await.unwrap();
        let ended: serde_json::Value = events.iter().find(|e| e.op == "ended").map(|e| serde_json::from_str(&e.payload).unwrap()).unwrap();
        assert_eq!((ended["bytes_up"].as_i64(), ended["bytes_down"].as_i64(), ended["reason"].as_str()), (Some(1_500), Some(90_000), Some("admin")));
        // Kicking a device that is not online ends nothing.
        assert_eq!(s.sessions.kick(client(1).mac, EndMethod::Cli).await.unwrap(), 0);
    });
}

#[test]
fn without_a_nas_control_the_database_still_ends_the_session() {
    runtime().block_on(async {
        let mut s = setup("nonas");
        s.sessions.nas = None;
        let account = capped_account(&s).await;
        nas_session(&s, account, 1).await;
        assert_eq!(s.sessions.kick("02:00:00:00:00:a1".parse().unwrap(), EndMethod::Cli).await.unwrap(), 1);
        let active: i64 = s
            .sessions
            .store()
            .call(|conn| Ok(conn.query_row("SELECT count(*) FROM sessions WHERE nas = 'till-1' AND status = 'active'", [], |r| r.get(0))?))
            .await
            .unwrap();
        assert_eq!(active, 0);
    });
}

/// A voucher for a one-device, one-hour package.
async fn voucher(s: &Setup) -> String {
    s.sessions
        .store()
        .call(|conn| {
            let new = NewPackage { name: "Hour".into(), price: 10, duration_secs: 3600, data_limit_bytes: None, down_kbps: None, up_kbps: None, max_devices: 1 };
            let id = catalog::add_package(conn, &new, NOW)?;
            Ok(catalog::create_vouchers(conn, id, 1, None, NOW)?.remove(0))
        })
        .await
        .unwrap()
}

/// A usage poll in which device 1's counters read `down` bytes.
async fn poll(s: &Setup, down: u64) {
    s.firewall.0.lock().unwrap().counters.insert(client(1).ip, Traffic { up: 100, down });
    let reading = s.sessions.read_usage().await.unwrap();
    s.sessions.settle(&reading).await.unwrap();
}

#[test]
fn a_device_cannot_take_the_address_of_a_device_that_is_using_it() {
    runtime().block_on(async {
        let s = setup("spoof");
        let victim = voucher(&s).await;
        s.sessions.login(client(1), Credential::Voucher(victim)).await.unwrap();
        poll(&s, 1_000).await;
        poll(&s, 5_000).await; // the victim is browsing
        // Another device (its own MAC, the victim's address) logs in with a voucher of its own.
        let spoofer = Client { ip: client(1).ip, mac: client(2).mac };
        let code = voucher(&s).await;
        let refused = s.sessions.login(spoofer, Credential::Voucher(code.clone())).await;
        assert!(matches!(refused, Err(SessionError::Refused(Refusal::AddressInUse))), "{refused:?}");
        assert!(s.sessions.status(client(1)).await.unwrap().is_some(), "the victim is still online");
        // An address whose device has gone quiet (its lease handed to a new device) is taken over.
        *s.clock.0.lock().unwrap() = NOW + ADDRESS_IDLE_SECS + 1;
        poll(&s, 5_000).await;
        s.sessions.login(spoofer, Credential::Voucher(code)).await.unwrap();
        assert!(s.sessions.status(client(1)).await.unwrap().is_none(), "the old holder's session was replaced");
    });
}

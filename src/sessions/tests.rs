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
    let sessions = Sessions::new(store, worker, clock.clone()).with_nas(Arc::new(nas.clone()), crate::jobs::worker::Jobs::new());
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

/// Runs the queued jobs as the worker would (Disconnect-Requests are jobs), then returns
/// what the NAS was told.
async fn nas_calls_after_jobs(s: &Setup) -> Vec<NasCall> {
    let ctx = crate::jobs::JobContext {
        sessions: s.sessions.clone(),
        jobs: crate::jobs::worker::Jobs::new(),
        sms: None,
        sms_calls: Share::new("SMS", 1),
        country_code: "254".into(),
        portal_url: String::new(),
    };
    let now = s.sessions.now();
    while let Some(claimed) = s.sessions.store().call(move |conn| crate::jobs::queue::claim_next(conn, now)).await.unwrap() {
        claimed.job.unwrap().apply(&ctx).await.unwrap();
        let id = claimed.lease.id;
        s.sessions.store().call(move |conn| crate::jobs::queue::complete(conn, id)).await.unwrap();
    }
    nas_calls(s)
}

/// The method and NAS answer in a session's audit row.
async fn audit(s: &Setup, acct_session_id: &str) -> (String, Option<String>) {
    let id = acct_session_id.to_owned();
    s.sessions
        .store()
        .call(move |conn| {
            Ok(conn.query_row(
                "SELECT d.method, d.nas_result FROM session_disconnections d JOIN sessions s ON s.id = d.session_id WHERE s.acct_session_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .await
        .unwrap()
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
        // The CoA-Request goes out in the background (a silent NAS holds nothing up).
        for _ in 0..200 {
            if !s.nas.0.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(nas_calls(&s), [NasCall::Change(nas_id.clone(), 3540)]);
        assert_eq!(s.firewall.0.lock().unwrap().authorised.last().unwrap().device.ip, client(1).ip);

        // The operator kicks the NAS device: a Disconnect-Request is queued in the same
        // transaction, the NAS is told by the job, the kernel is not touched.
        let before = s.firewall.0.lock().unwrap().revoked.len();
        assert_eq!(s.sessions.kick("02:00:00:00:00:a1".parse().unwrap(), EndMethod::Cli).await.unwrap(), 1);
        assert_eq!(audit(&s, &nas_id).await, ("radius_disconnect".into(), Some("pending".into())));
        assert_eq!(nas_calls_after_jobs(&s).await, [NasCall::Disconnect(nas_id.clone())]);
        assert_eq!(audit(&s, &nas_id).await, ("radius_disconnect".into(), Some("acked".into())));
        assert_eq!(s.firewall.0.lock().unwrap().revoked.len(), before);

        // The cap: every session of the account ends, each through its own enforcer.
        let second = nas_session(&s, account, 2).await;
        s.sessions.end_exhausted(account).await.unwrap();
        assert_eq!(nas_calls_after_jobs(&s).await, [NasCall::Disconnect(second)]);
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
        assert_eq!(nas_calls_after_jobs(&s).await, [NasCall::Disconnect(nas_id)]);
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

mod nas_devices {
    //! NAS logins and accounting (`sessions::nas`) over the same real SQLite file: the rules
    //! the portal uses, the session a login opens, and accounting recorded once however often
    //! the NAS repeats it.

    use super::*;
    use crate::credentials::sealed::{self, SealingKey};
    use crate::sessions::nas::{AcctStatus, NasAccounting, NasLogin, PasswordCheck};
    use md5::{Digest, Md5};

    const MAC: &str = "02:00:00:00:00:b1";

    fn login(username: &str, password: PasswordCheck, mac: &str) -> NasLogin {
        NasLogin { nas: "till-1".into(), username: username.into(), password, mac: mac.parse().ok(), ip: Some([192, 168, 88, 30].into()) }
    }

    fn pap(p: &str) -> PasswordCheck {
        PasswordCheck::Pap(p.as_bytes().to_vec())
    }

    fn chap(password: &str) -> PasswordCheck {
        let challenge = b"0123456789abcdef".to_vec();
        let mut md5 = Md5::new();
        md5.update([7u8]);
        md5.update(password.as_bytes());
        md5.update(&challenge);
        let mut chap_password = vec![7u8];
        chap_password.extend_from_slice(&md5.finalize());
        PasswordCheck::Chap { chap_password, challenge }
    }

    fn report(status: AcctStatus, id: &str, class: Option<Vec<u8>>, up: u64, down: u64) -> NasAccounting {
        let mut authenticator = [0u8; 16];
        authenticator[..id.len().min(16)].copy_from_slice(&id.as_bytes()[..id.len().min(16)]);
        authenticator[15] = status as u8;
        NasAccounting {
            nas: "till-1".into(),
            status,
            acct_session_id: id.into(),
            username: String::new(),
            class,
            mac: MAC.parse().ok(),
            ip: Some([192, 168, 88, 30].into()),
            input_bytes: up,
            output_bytes: down,
            session_time: None,
            terminate_cause: Some(1),
            authenticator,
        }
    }

    async fn row(s: &Setup, sql: &'static str) -> (i64, i64, String) {
        s.sessions.store().call(move |conn| Ok(conn.query_row(sql, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?)).await.unwrap()
    }

    #[test]
    fn vouchers_accounts_and_entitled_devices_log_in_by_the_portals_rules() {
        runtime().block_on(async {
            let s = setup("nas-login");
            sealed::install(SealingKey::from_bytes(&[9; 32]));
            let code = voucher(&s).await;
            // A voucher: User-Name is the code, the password the code or empty.
            let wrong = s.sessions.nas_login(login(&code, pap("nope"), MAC)).await.unwrap();
            assert_eq!(wrong.unwrap_err(), Refusal::WrongCredentials);
            let grant = s.sessions.nas_login(login(&code.to_lowercase(), pap(""), MAC)).await.unwrap().unwrap();
            assert_eq!(grant.class, format!("hotspotd:{}", grant.session_id).into_bytes());
            assert_eq!((grant.limits.session_timeout_secs, grant.limits.data_left_bytes), (3600, None));
            // The NAS asking again for the same device keeps its one session.
            let again = s.sessions.nas_login(login(&code, pap(&code), MAC)).await.unwrap().unwrap();
            assert_eq!(again.session_id, grant.session_id);
            // The package allows one device: the portal device and the NAS device share it.
            let second = s.sessions.nas_login(login(&code, pap(""), "02:00:00:00:00:b2")).await.unwrap();
            assert_eq!(second.unwrap_err(), Refusal::DeviceLimit { max_devices: 1 });
            let portal = s.sessions.login(client(2), Credential::Voucher(code.clone())).await;
            assert!(matches!(portal, Err(SessionError::Refused(Refusal::DeviceLimit { .. }))), "{portal:?}");
            // MAC authentication: the device already entitled, by its MAC in any spelling.
            let by_mac = s.sessions.nas_login(login("02-00-00-00-00-B1", pap(""), MAC)).await.unwrap().unwrap();
            assert_eq!(by_mac.session_id, grant.session_id);
            let stranger = s.sessions.nas_login(login("02:00:00:00:00:b9", pap(""), "02:00:00:00:00:b9")).await.unwrap();
            assert_eq!(stranger.unwrap_err(), Refusal::WrongCredentials);

            // An account: PAP against its hash, CHAP against its sealed password.
            s.sessions
                .store()
                .call(|conn| {
                    let package = catalog::get_package(conn, 1)?.unwrap();
                    let hash = crate::credentials::hash_password("k7mx3q").unwrap();
                    let id = crate::store::accounts::create_account(conn, "254712000001", Some(&hash), None, &package, crate::store::accounts::AccountSource::Admin, NOW)?;
                    crate::store::accounts::seal_password(conn, id, "k7mx3q", false)
                })
                .await
                .unwrap();
            let mac3 = "02:00:00:00:00:b3";
            assert!(s.sessions.nas_login(login("254712000001", pap("k7mx3q"), mac3)).await.unwrap().is_ok());
            assert!(s.sessions.nas_login(login("254712000001", chap("k7mx3q"), mac3)).await.unwrap().is_ok());
            assert_eq!(s.sessions.nas_login(login("254712000001", chap("k7mx3Q"), mac3)).await.unwrap().unwrap_err(), Refusal::WrongCredentials);
            assert_eq!(s.sessions.nas_login(login("254712000009", pap("k7mx3q"), mac3)).await.unwrap().unwrap_err(), Refusal::WrongCredentials);
            let sealed: String = s.sessions.store().call(|conn| Ok(conn.query_row("SELECT password_sealed FROM hotspot_users WHERE username = '254712000001'", [], |r| r.get(0))?)).await.unwrap();
            assert!(sealed.starts_with("s1$") && !sealed.contains("k7mx3q"), "{sealed}");
            let refusals = row(&s, "SELECT count(*), 0, group_concat(DISTINCT reason) FROM auth_log WHERE outcome = 'rejected' AND method LIKE 'radius%'").await;
            assert_eq!(refusals.0, 5, "{refusals:?}");
        });
    }

    #[test]
    fn accounting_is_recorded_once_however_often_the_nas_repeats_it() {
        runtime().block_on(async {
            let s = setup("nas-acct");
            let code = voucher(&s).await;
            let grant = s.sessions.nas_login(login(&code, pap(""), MAC)).await.unwrap().unwrap();
            let start = report(AcctStatus::Start, "81000001", Some(grant.class.clone()), 0, 0);
            s.sessions.nas_accounting(vec![start.clone(), start]).await.unwrap();
            let bound = row(&s, "SELECT id, user_id, nas_session_id FROM sessions WHERE nas = 'till-1'").await;
            assert_eq!((bound.0, bound.2.as_str()), (grant.session_id, "81000001"), "the Start is bound to the accepted session by its Class");
            // Interim updates: cumulative counters replace, a repeat or an older one changes nothing.
            let interim = report(AcctStatus::Interim, "81000001", None, 1_000, 50_000);
            s.sessions.nas_accounting(vec![interim.clone(), interim.clone(), report(AcctStatus::Interim, "81000001", None, 900, 40_000)]).await.unwrap();
            s.sessions.nas_accounting(vec![interim]).await.unwrap();
            let used = row(&s, "SELECT bytes_in, bytes_out, 'x' FROM session_usage").await;
            assert_eq!((used.0, used.1), (1_000, 50_000));
            let clients = s.sessions.store().call(|conn| crate::store::sessions::active(conn)).await.unwrap();
            assert_eq!((clients.len(), clients[0].acct_session_id.as_str(), clients[0].bytes_out), (1, "81000001", 50_000));
            // Stop: the session ends with its totals and the portal's audit row; a repeat is harmless.
            let stop = report(AcctStatus::Stop, "81000001", None, 2_000, 5_000_000_000);
            s.sessions.nas_accounting(vec![stop.clone()]).await.unwrap();
            s.sessions.nas_accounting(vec![stop]).await.unwrap();
            let ended = row(&s, "SELECT s.bytes_out, u.data_used_bytes, d.method || ':' || d.reason FROM sessions s JOIN hotspot_users u ON u.id = s.user_id JOIN session_disconnections d ON d.session_id = s.id").await;
            assert_eq!(ended, (5_000_000_000, 5_000_002_000, "nas:logout".into()));
            assert!(nas_calls_after_jobs(&s).await.is_empty(), "the NAS ended it itself: no Disconnect-Request");
        });
    }

    #[test]
    fn a_nas_restart_ends_its_sessions_once_and_a_cap_reached_behind_a_nas_cuts_everyone() {
        runtime().block_on(async {
            let s = setup("nas-restart");
            let account = capped_account(&s).await; // 1 MB cap, device 1 on the portal
            let username = row(&s, "SELECT id, 0, username FROM hotspot_users").await.2;
            let grant = s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().unwrap();
            assert_eq!(grant.limits.data_left_bytes, Some(1_000_000));
            let mut on = report(AcctStatus::On, "", None, 0, 0);
            on.authenticator = [1; 16];
            // Accounting for the session: 1.2 MB used behind the NAS — the account is used up,
            // its portal device is cut in the kernel and the NAS gets a Disconnect-Request.
            s.sessions.nas_accounting(vec![report(AcctStatus::Interim, "81000002", Some(grant.class.clone()), 200_000, 1_000_000)]).await.unwrap();
            assert_eq!(nas_calls_after_jobs(&s).await, [NasCall::Disconnect("81000002".into())]);
            let status = row(&s, "SELECT count(*), 0, (SELECT status FROM hotspot_users) FROM sessions WHERE status = 'active'").await;
            assert_eq!((status.0, status.2.as_str()), (0, "exhausted"));
            assert!(s.firewall.0.lock().unwrap().revoked.iter().any(|r| r.account_id == account && r.last_of_account));
            // A NAS restart (Accounting-On) ends its sessions; the same packet replayed later ends nothing.
            s.sessions.store().call(move |conn| Ok(conn.execute("UPDATE hotspot_users SET status = 'active', data_limit_bytes = NULL", [])?)).await.unwrap();
            let grant = s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().unwrap();
            s.sessions.nas_accounting(vec![on.clone()]).await.unwrap();
            let after = row(&s, "SELECT count(*), 0, '' FROM sessions WHERE status = 'active'").await;
            assert_eq!(after.0, 0);
            s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().unwrap();
            s.sessions.nas_accounting(vec![on]).await.unwrap();
            let replayed = row(&s, "SELECT count(*), 0, '' FROM sessions WHERE status = 'active'").await;
            assert_eq!(replayed.0, 1, "a replayed Accounting-On closes nothing");
            let reason = row(&s, "SELECT count(*), 0, group_concat(reason) FROM session_disconnections WHERE method = 'nas'").await;
            assert_eq!(reason.2, "nas_reboot");
            let _ = grant;
        });
    }

    #[test]
    fn a_disabled_account_is_cut_off_everywhere_and_refused_until_enabled() {
        runtime().block_on(async {
            let s = setup("nas-disable");
            capped_account(&s).await; // device 1 on the portal
            let username = row(&s, "SELECT id, 0, username FROM hotspot_users").await.2;
            let grant = s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().unwrap();
            s.sessions.nas_accounting(vec![report(AcctStatus::Start, "81000003", Some(grant.class), 0, 0)]).await.unwrap();
            assert_eq!(s.sessions.disable_account(username.clone()).await.unwrap(), Some(2));
            assert_eq!(nas_calls_after_jobs(&s).await, [NasCall::Disconnect("81000003".into())]);
            assert_eq!(audit(&s, "00000002").await, ("radius_disconnect".into(), Some("acked".into())));
            assert_eq!(s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().unwrap_err(), Refusal::Suspended);
            assert!(matches!(s.sessions.login(client(1), Credential::Voucher(username.clone())).await, Err(SessionError::Refused(Refusal::Suspended))));
            assert_eq!(s.sessions.enable_account(username.clone()).await.unwrap(), Some(true));
            assert!(s.sessions.nas_login(login(&username, pap(""), MAC)).await.unwrap().is_ok());
            assert_eq!(s.sessions.disable_account("nobody".into()).await.unwrap(), None);
        });
    }

    #[test]
    fn a_nas_that_restarts_and_reuses_its_session_ids_starts_new_sessions() {
        runtime().block_on(async {
            let s = setup("nas-reuse");
            let code = voucher(&s).await;
            let first = s.sessions.nas_login(login(&code, pap(""), MAC)).await.unwrap().unwrap();
            s.sessions.nas_accounting(vec![report(AcctStatus::Start, "81000001", Some(first.class.clone()), 0, 0)]).await.unwrap();
            s.sessions.nas_accounting(vec![report(AcctStatus::Stop, "81000001", None, 10, 700)]).await.unwrap();
            // The NAS reboots and numbers its sessions from the start again.
            let second = s.sessions.nas_login(login(&code, pap(""), MAC)).await.unwrap().unwrap();
            assert_ne!(second.session_id, first.session_id);
            s.sessions.nas_accounting(vec![report(AcctStatus::Start, "81000001", Some(second.class.clone()), 0, 0)]).await.unwrap();
            s.sessions.nas_accounting(vec![report(AcctStatus::Interim, "81000001", None, 5, 300)]).await.unwrap();
            let old = row(&s, "SELECT bytes_in, bytes_out, status FROM sessions WHERE id = 1").await;
            assert_eq!(old, (10, 700, "ended".into()), "the old session keeps its own totals");
            let new = row(&s, "SELECT s.id, su.bytes_out, s.nas_session_id FROM sessions s JOIN session_usage su ON su.session_id = s.id WHERE s.status = 'active'").await;
            assert_eq!(new, (second.session_id, 300, "81000001".into()));
        });
    }

    #[test]
    fn a_nas_that_names_no_device_keeps_one_session_per_account() {
        runtime().block_on(async {
            let s = setup("nas-nomac");
            let code = voucher(&s).await;
            let first = s.sessions.nas_login(login(&code, pap(""), "")).await.unwrap().unwrap();
            let again = s.sessions.nas_login(login(&code, pap(""), "")).await.unwrap().unwrap();
            assert_eq!(again.session_id, first.session_id, "no Calling-Station-Id: the same device again, not a second one");
            let active = row(&s, "SELECT count(*), 0, '' FROM sessions WHERE status = 'active'").await;
            assert_eq!(active.0, 1);
        });
    }
}

//! The status report (`hotspotd status`): is the daemon running, is the firewall in place,
//! what is for sale and online, can the clock be believed, how usage, jobs and the sync
//! backlog stand. Also recording that NTP set the clock (`hotspotd clock synced`).

use serde::Serialize;

use super::{Admin, AdminError, Reply};
use crate::clock::{self, Clock, SystemClock, Trust};
use crate::config::{FirewallKind, MpesaMode};
use crate::jobs::queue;
use crate::store::{self, catalog, outbox};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReport {
    /// The daemon answered this report (`false`: the command read the database itself).
    pub daemon_running: bool,
    pub daemon_pid: Option<u32>,
    pub daemon_uptime_secs: Option<u64>,
    pub database: String,
    pub portal: String,
    pub interface: String,
    /// `nft` or `none`.
    pub firewall: String,
    /// Whether the table `inet hotspotd` is in place (`None`: firewall `none`, or unknown).
    pub firewall_installed: Option<bool>,
    /// Why the firewall could not be checked, if it could not.
    pub firewall_error: Option<String>,
    /// Speed limits as tc holds them (`None`: firewall `none`).
    pub speed_limits: Option<String>,
    pub packages_on_sale: usize,
    pub vouchers_unused: i64,
    pub devices_online: usize,
    pub clock_trusted: bool,
    /// When NTP last set the clock during this boot.
    pub clock_synced_at: Option<i64>,
    /// The latest time known to be good.
    pub clock_last_good: Option<i64>,
    /// The time the report was made (the daemon's timeline).
    pub now: i64,
    pub usage_sessions_checkpointed: i64,
    pub usage_last_checkpoint: Option<i64>,
    pub usage_checkpoint_secs: u64,
    pub usage_poll_secs: u64,
    pub jobs_pending: usize,
    pub jobs_failed: usize,
    /// `off`, `demo` or `daraja`.
    pub mpesa: String,
    pub mpesa_base_url: String,
    pub sms: String,
    /// Events waiting in the sync outbox.
    pub sync_backlog: i64,
    /// The central server (`config sync`): where, the last success and the last error
    /// (`None`: no sync configured).
    pub sync: Option<crate::sync::SyncReport>,
    /// The RADIUS server's sockets and counters (`None`: not serving RADIUS, or the daemon
    /// is not running).
    pub radius: Option<crate::radius::server::Status>,
    /// The central RADIUS server (`config radius_upstream`): its address and how its
    /// accounting stands (`None`: none configured).
    pub radius_upstream: Option<RadiusUpstreamReport>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RadiusUpstreamReport {
    pub server: String,
    pub accounting: bool,
    pub authentication: bool,
    #[serde(flatten)]
    pub status: crate::radius::upstream::queue::UpstreamStatus,
}

pub async fn report(admin: &Admin) -> Result<StatusReport, AdminError> {
    let config = admin.system.config.clone();
    let now = admin.sessions.now();
    let boot_id = clock::boot_id();
    let (firewall_installed, firewall_error) = match config.firewall {
        FirewallKind::None => (None, None),
        FirewallKind::Nft => match admin.sessions.firewall_installed().await {
            Ok(installed) => (Some(installed), None),
            Err(e) => (None, Some(crate::error_chain(&e))),
        },
    };
    let speed_limits = match config.firewall {
        FirewallKind::None => None,
        FirewallKind::Nft => {
            let interface = config.interface.clone();
            tokio::task::spawn_blocking(move || crate::firewall::describe_shaping(&interface)).await.ok()
        }
    };
    let mut report = admin
        .sessions
        .store()
        .call(move |conn| {
            let trust = store::timeline::trust(conn, &boot_id, now)?;
            let (clock_synced_at, clock_last_good) = match trust {
                Trust::Synced { at } => (Some(at), None),
                Trust::PastLastGood { last_good } => (None, Some(last_good)),
                Trust::Untrusted { last_good } => (None, last_good),
            };
            Ok(StatusReport {
                daemon_running: false,
                daemon_pid: None,
                daemon_uptime_secs: None,
                database: config.database.display().to_string(),
                portal: config.listen.to_string(),
                interface: config.interface.clone(),
                firewall: config.firewall.to_string(),
                firewall_installed,
                firewall_error,
                speed_limits,
                packages_on_sale: catalog::list_packages(conn, true)?.len(),
                vouchers_unused: catalog::count_unused_vouchers(conn)?,
                devices_online: store::sessions::active(conn)?.iter().filter(|s| s.expires_at > now).count(),
                clock_trusted: trust.is_trusted(),
                clock_synced_at,
                clock_last_good,
                now,
                usage_sessions_checkpointed: store::usage::checkpointed(conn)?.len() as i64,
                usage_last_checkpoint: store::timeline::last_checkpoint(conn)?.map(|c| c.at),
                usage_checkpoint_secs: config.usage_checkpoint_interval.as_secs(),
                usage_poll_secs: config.usage_poll_interval.as_secs(),
                jobs_pending: queue::pending(conn)?.len(),
                jobs_failed: queue::failed(conn)?.len(),
                mpesa: match (config.mpesa.enabled, config.mpesa.mode) {
                    (false, _) => "off".into(),
                    (true, MpesaMode::Demo) => "demo".into(),
                    (true, MpesaMode::Daraja) => "daraja".into(),
                },
                mpesa_base_url: config.mpesa.base_url.clone(),
                sms: format!("{:?}", config.sms.provider).to_lowercase(),
                sync_backlog: outbox::backlog(conn)?,
                sync: None,
                radius: None,
                radius_upstream: match &config.radius_upstream {
                    None => None,
                    Some(u) => Some(RadiusUpstreamReport {
                        server: format!("{} (auth {}, acct {})", u.server, u.auth_port, u.acct_port),
                        accounting: u.accounting,
                        authentication: u.authentication,
                        status: crate::radius::upstream::queue::status(conn)?,
                    }),
                },
            })
        })
        .await?;
    if let Some(started) = admin.system.daemon_started {
        report.daemon_running = true;
        report.daemon_pid = Some(std::process::id());
        report.daemon_uptime_secs = Some(started.elapsed().as_secs());
    }
    report.radius = admin.system.radius.as_ref().map(|stats| stats.status());
    report.sync = admin.system.config.sync.as_ref().map(|sync| {
        let mut now = match &admin.system.sync {
            Some(health) => health.report(),
            None => crate::sync::SyncReport {
                url: crate::http_client::shown_url(&sync.url),
                router_id: sync.router_id,
                last_error: Some("the daemon is not running: nothing is synced".into()),
                ..Default::default()
            },
        };
        now.backlog = report.sync_backlog;
        now
    });
    Ok(report)
}

/// Records that NTP has just set the wall clock, during this boot (the NTP hotplug hook).
pub async fn clock_synced(admin: &Admin) -> Result<Reply, AdminError> {
    // The wall clock, not the daemon's timeline: NTP has just set it, and the timeline
    // follows the jump only at its next tick.
    let now = SystemClock.now();
    let boot_id = clock::boot_id();
    admin.sessions.store().call(move |conn| store::timeline::record_sync(conn, &boot_id, now)).await?;
    Ok(Reply::ClockSynced)
}

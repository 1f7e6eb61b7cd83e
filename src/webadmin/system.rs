//! The System page (`GET /system`): firewall, clock, speed limits, jobs (failed ones with a
//! retry button, `POST /system/jobs/{id}/retry`), database size, version, RADIUS and sync
//! when configured, and the latest changes from the audit. Built from the same reports as
//! `hotspotd status` and `hotspotd jobs` (`admin::Request::Status`, `Jobs`): no SQL here.

use hyper::Method;

use super::layout::{csrf_field, escape, header_row, local_time};
use super::{Ctx, Outcome};
use crate::admin::{AdminError, JobList, Reply, Request, StatusReport};
use crate::store::audit::AuditRow;

/// Audit rows shown.
const CHANGES_SHOWN: u32 = 50;
/// Failed jobs listed (the page stays small; the CLI's `hotspotd jobs` lists them all).
const FAILED_SHOWN: usize = 50;

pub async fn handle(ctx: &Ctx<'_>, method: &Method, path: &str) -> Outcome {
    match *method {
        Method::GET if path == "/system" => page(ctx).await,
        Method::POST => match retry_id(path) {
            Some(id) => match ctx.web.admin.execute(Request::JobRetry { id }).await {
                Ok(_) => Outcome::Redirect("/system".into()),
                Err(AdminError::Invalid(message)) => Outcome::Invalid(message),
                Err(e) => Outcome::Invalid(crate::error_chain(&e)),
            },
            None => Outcome::NotFound,
        },
        _ => Outcome::NotFound,
    }
}

/// `/system/jobs/12/retry` → 12.
fn retry_id(path: &str) -> Option<i64> {
    path.strip_prefix("/system/jobs/")?.strip_suffix("/retry")?.parse().ok()
}

async fn page(ctx: &Ctx<'_>) -> Outcome {
    let admin = &ctx.web.admin;
    let status = match admin.execute(Request::Status).await {
        Ok(Reply::Status(report)) => report,
        Ok(_) => return Outcome::Invalid("unexpected reply".into()),
        Err(e) => return Outcome::Invalid(crate::error_chain(&e)),
    };
    let jobs = match admin.execute(Request::Jobs).await {
        Ok(Reply::Jobs(list)) => list,
        Ok(_) => return Outcome::Invalid("unexpected reply".into()),
        Err(e) => return Outcome::Invalid(crate::error_chain(&e)),
    };
    let changes = admin.audit_log(CHANGES_SHOWN).await.unwrap_or_else(|e| {
        log::error!("web admin: cannot read the audit: {}", crate::error_chain(&e));
        Vec::new()
    });
    let w = &ctx.words.admin;
    let body = render(ctx, &status, &jobs, &changes, admin.database_bytes());
    Outcome::Page { title: w.system_title.into(), body }
}

fn row(label: &str, value: &str) -> String {
    format!("<tr><th>{}</th><td>{value}</td></tr>", escape(label))
}

fn render(ctx: &Ctx<'_>, s: &StatusReport, jobs: &JobList, changes: &[AuditRow], db_bytes: Option<u64>) -> String {
    let w = &ctx.words.admin;
    let time = |t: i64| escape(&local_time(t, ctx.web.utc_offset_secs));
    let mut out = format!("<main id=\"page-system\"><h1>{}</h1><div class=\"card table\"><table>", escape(w.system_title));
    let firewall = match (s.firewall.as_str(), s.firewall_installed) {
        ("none", _) => format!("<span class=\"warn\">{}</span>", escape(w.firewall_off)),
        (_, Some(true)) => format!("<span class=\"ok\" id=\"firewall-ok\">{}</span> ({})", escape(w.firewall_in_place), escape(&s.interface)),
        (_, _) => format!(
            "<span class=\"error\">{}</span> {}",
            escape(w.firewall_missing),
            escape(s.firewall_error.as_deref().unwrap_or(""))
        ),
    };
    out.push_str(&row(w.firewall, &firewall));
    let clock = if s.clock_trusted {
        format!("<span class=\"ok\">{}</span>", escape(w.clock_trusted))
    } else {
        format!("<span class=\"warn\">{}</span>", escape(w.clock_not_trusted))
    };
    out.push_str(&row(w.clock, &format!("{clock} — {}: {}", escape(w.clock_now), time(s.now))));
    let limits = s.speed_limits.as_deref().filter(|l| !l.trim().is_empty()).map_or_else(|| escape(w.none), |l| format!("<pre>{}</pre>", escape(l)));
    out.push_str(&row(w.speed_limits, &limits));
    out.push_str(&row(w.devices_online, &s.devices_online.to_string()));
    out.push_str(&row(w.packages_on_sale, &s.packages_on_sale.to_string()));
    out.push_str(&row(w.vouchers_unused, &s.vouchers_unused.to_string()));
    let size = db_bytes.map_or_else(|| "?".into(), |b| format!("{} MB", megabytes(b)));
    out.push_str(&row(w.database, &format!("{} — {}: {size}", escape(&s.database), escape(w.database_size))));
    out.push_str(&row(w.version, &format!("<span id=\"version\">hotspotd {}</span>", env!("CARGO_PKG_VERSION"))));
    if let Some(up) = s.daemon_uptime_secs {
        out.push_str(&row(w.uptime, &format!("{}d {}h {}m", up / 86_400, up % 86_400 / 3600, up % 3600 / 60)));
    }
    if let Some(r) = &s.radius {
        let answered = r.counters.accepted + r.counters.rejected + r.counters.accounting_recorded;
        out.push_str(&row(w.radius, &format!("{} / {} — {}: {answered}", escape(&r.auth), escape(&r.accounting), escape(w.radius_requests))));
    }
    if let Some(sync) = &s.sync {
        let last_ok = sync.last_success.map_or_else(|| escape(w.never), time);
        let mut value = format!("{} — {}: {last_ok}; {}: {}", escape(&sync.url), escape(w.sync_last_ok), escape(w.sync_backlog), sync.backlog);
        if let Some(e) = &sync.last_error {
            value.push_str(&format!("<br><span class=\"error\">{}: {}</span>", escape(w.sync_last_error), escape(e)));
        }
        out.push_str(&row(w.sync, &value));
    }
    out.push_str("</table></div>");
    out.push_str(&format!(
        "<h2>{}</h2><p>{}: {} · {}: {}</p>",
        escape(w.jobs),
        escape(w.jobs_waiting),
        jobs.pending.len(),
        escape(w.jobs_failed),
        jobs.failed.len()
    ));
    if jobs.failed.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.no_failed_jobs)));
    } else {
        out.push_str("<div class=\"card table\"><table id=\"failed-jobs\">");
        out.push_str(&header_row(&["#", w.job_kind, w.when, w.job_attempts, w.job_error, ""]));
        for job in jobs.failed.iter().take(FAILED_SHOWN) {
            out.push_str(&format!(
                "<tr data-job=\"{id}\"><td>{id}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>\
                 <form class=\"inline retry\" method=\"post\" action=\"/system/jobs/{id}/retry\">{}<button type=\"submit\">{}</button></form></td></tr>",
                escape(&job.kind),
                time(job.at),
                job.attempts,
                escape(job.error.as_deref().unwrap_or("")),
                csrf_field(ctx),
                escape(w.retry),
                id = job.id,
            ));
        }
        out.push_str("</table></div>");
        if jobs.failed.len() > FAILED_SHOWN {
            out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.more_not_shown)));
        }
    }
    out.push_str(&format!("<h2>{}</h2>", escape(w.changes)));
    if changes.is_empty() {
        out.push_str(&format!("<p class=\"muted\">{}</p>", escape(w.no_changes)));
    } else {
        out.push_str("<div class=\"card table\"><table id=\"audit\">");
        out.push_str(&header_row(&[w.when, w.who, w.what, w.details]));
        for c in changes {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                time(c.at),
                escape(&c.who),
                escape(&c.action),
                escape(&c.detail)
            ));
        }
        out.push_str("</table></div>");
    }
    out.push_str("</main>");
    out
}

/// `bytes` in MB to one decimal, as `format!("{:.1}", bytes as f64 / 1e6)` writes it (core's
/// float formatting costs 8 KB on mips): the quotient's exact binary value to the nearest
/// tenth, a half to the even one.
fn megabytes(bytes: u64) -> String {
    let bits = (bytes as f64 / 1e6).to_bits();
    let exponent = (bits >> 52) as i32;
    if exponent == 0 {
        return "0.0".into();
    }
    // quotient = mantissa * 2^-shift; under 2^45 and over 2^-20: shift is 8 to 72.
    let mantissa = u128::from(bits & ((1 << 52) - 1) | 1 << 52);
    let shift = (1075 - exponent) as u32;
    let scaled = mantissa * 10;
    let (mut tenths, rest, half) = (scaled >> shift, scaled & ((1 << shift) - 1), 1u128 << (shift - 1));
    if rest > half || (rest == half && tenths & 1 == 1) {
        tenths += 1;
    }
    format!("{}.{}", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn megabytes_are_written_as_the_float_formatting_did() {
        let mut sizes: Vec<u64> = (0..2_000_000).step_by(2_500).collect();
        for base in [0u64, 4_096, 1_000_000, 12_345_678, 999_999_999, 1 << 40, u64::MAX / 2, u64::MAX - 1_000_000] {
            for delta in [0u64, 1, 49_999, 50_000, 50_001, 149_999, 150_000, 150_001, 250_000, 350_000, 750_000, 999_999] {
                sizes.push(base.saturating_add(delta));
            }
        }
        for b in sizes {
            assert_eq!(super::megabytes(b), format!("{:.1}", b as f64 / 1e6), "{b} bytes");
        }
    }

    use super::*;

    #[test]
    fn retry_paths_name_a_job() {
        assert_eq!(retry_id("/system/jobs/12/retry"), Some(12));
        assert_eq!(retry_id("/system/jobs/x/retry"), None);
        assert_eq!(retry_id("/system/jobs/12"), None);
    }
}

//! `hotspotd`: reads the command line and the configuration, then runs the daemon or an
//! operator command. Exit codes: 0 done, 1 failed (the message says why), 2 usage error.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use hotspotd::cli::{self, Command};
use hotspotd::clock::{Clock, SystemClock};
use hotspotd::config::{self, Config};
use hotspotd::http_client::share;
use hotspotd::{daemon, demo, error_chain, i18n::Lang, logging};

/// How long the runtime's last tasks get once the daemon has stopped (blocking upstream calls
/// are not waited for at all).
const RUNTIME_SHUTDOWN: Duration = Duration::from_millis(100);

fn main() -> ExitCode {
    let invocation = match cli::parse(std::env::args_os().skip(1)) {
        Ok(invocation) => invocation,
        Err(e) => {
            eprintln!("hotspotd: {e}\nRun `hotspotd --help` for usage.");
            return ExitCode::from(2);
        }
    };
    match invocation.command {
        Command::Help => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("hotspotd {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let config = if invocation.demo {
        demo::config()
    } else {
        let path = invocation.config.clone().unwrap_or_else(|| PathBuf::from(config::DEFAULT_PATH));
        match Config::load(&path) {
            Ok(config) => config,
            Err(e) => {
                eprintln!("hotspotd: {}", error_chain(&e));
                return ExitCode::FAILURE;
            }
        }
    };
    logging::init(config.log_level);
    let result = match invocation.command {
        Command::Run => run(config, invocation.demo),
        Command::Operation(request) => {
            let mut out = std::io::stdout().lock();
            cli::execute(&config, request, invocation.json, &mut out).map_err(|e| error_chain(&e))
        }
        Command::AdminPassword => cli::admin_password::run_on_stdin(&config).map_err(|e| error_chain(&e)),
        Command::Help | Command::Version => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("hotspotd: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(config: Config, demo_mode: bool) -> Result<(), String> {
    if demo_mode {
        let codes = demo::seed(&config, SystemClock.now()).map_err(|e| error_chain(&e))?;
        println!("hotspotd demo: open http://{}/ (firewall 'none': nothing is enforced)", config.listen);
        println!("data in ./{}/; unused voucher codes:", demo::DATA_DIR);
        let w = &Lang::En.words().portal;
        for (code, package) in &codes {
            println!("  {code}  {} ({}, {})", package.name, (w.price)(package.price, &package.currency), (w.duration)(package.duration_secs));
        }
        if let Some(admin) = config.admin_listen {
            let set_now = demo::admin_password(&config, SystemClock.now()).map_err(|e| error_chain(&e))?;
            let note = if set_now { "" } else { " (unless you changed it)" };
            println!("web admin: http://{admin}/ password '{}'{note}", demo::DEMO_ADMIN_PASSWORD);
        }
        if let (Some(radius), Some((code, _))) = (&config.radius, codes.first()) {
            println!(
                "RADIUS on {}:{}/{} for a demo NAS at 127.0.0.1, secret '{}'; try: radtest {code} {code} 127.0.0.1 0 {}",
                radius.listen, radius.auth_port, radius.acct_port, demo::DEMO_NAS_SECRET, demo::DEMO_NAS_SECRET
            );
        }
    }
    // One thread is enough for a router's one or two cores. SQLite and nft/tc have threads
    // of their own; the blocking pool is for upstream HTTP only, sized to the services'
    // shares, so a call that has its permit never waits for a thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .max_blocking_threads(share::BLOCKING_THREADS)
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(daemon::run(config));
    // Upstream calls still under way (a dead uplink: up to their 20 s timeout) cannot be
    // cancelled; what had to reach the database is committed by now. Don't wait for them.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    result.map_err(|e| error_chain(&e))
}

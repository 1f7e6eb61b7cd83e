//! `hotspotd-central`: the central server of a hotspotd fleet (see `hotspotd::central`).
//! Parses the command line, runs the command, and turns errors into words and exit codes.

use hotspotd::central::cli::{self, Command};
use hotspotd::central::{db, migrations, registry, server};
use hotspotd::error_chain;

fn main() {
    let level = match std::env::var("RUST_LOG").as_deref() {
        Ok("error") => log::LevelFilter::Error,
        Ok("warn") => log::LevelFilter::Warn,
        Ok("debug") | Ok("trace") => log::LevelFilter::Debug,
        _ => log::LevelFilter::Info,
    };
    hotspotd::logging::init(level);
    let command = match cli::parse(std::env::args_os().skip(1)) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("hotspotd-central: {e}\n\n{}", cli::USAGE);
            std::process::exit(2);
        }
    };
    if command == Command::Help {
        print!("{}", cli::USAGE);
        return;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("hotspotd-central: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(message) = runtime.block_on(execute(command)) {
        eprintln!("hotspotd-central: {message}");
        std::process::exit(1);
    }
}

async fn execute(command: Command) -> Result<(), String> {
    let url = db::url_from_env().map_err(|e| error_chain(&e))?;
    if let Command::Run { listen } = command {
        return server::run(&url, listen).await.map_err(|e| error_chain(&e));
    }
    let config = db::config(&url).map_err(|e| error_chain(&e))?;
    let mut client = db::connect(&config).await.map_err(|e| error_chain(&e))?;
    migrations::migrate(&mut client).await.map_err(|e| error_chain(&e))?;
    match command {
        Command::RouterAdd { name } => {
            let (id, key) = registry::add_router(&client, &name).await.map_err(|e| error_chain(&e))?;
            println!("{id} {key}");
        }
        Command::RouterList => {
            let routers = registry::list_routers(&client).await.map_err(|e| error_chain(&e))?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
            println!("{:<6} {:<24} {:<16} {:<12} {}", "ID", "NAME", "LAST SYNC", "VERSION", "BACKLOG");
            for r in routers {
                let seen = r.last_seen.map_or_else(|| "never".to_owned(), |t| format!("{}s ago", (now - t).max(0)));
                let backlog = r.backlog.map_or_else(|| "-".to_owned(), |b| b.to_string());
                println!("{:<6} {:<24} {:<16} {:<12} {}", r.id, r.name, seen, r.version.as_deref().unwrap_or("-"), backlog);
            }
        }
        Command::OperatorAdd { name } => {
            let token = registry::add_operator(&client, &name).await.map_err(|e| error_chain(&e))?;
            println!("{token}");
        }
        Command::PaybillUrls { base } => {
            let secret = registry::c2b_secret(&client).await.map_err(|e| error_chain(&e))?;
            let (validate, confirm) = cli::paybill_urls(&base, &secret);
            println!("ValidationURL:   {validate}\nConfirmationURL: {confirm}");
        }
        Command::Run { .. } | Command::Help => {}
    }
    Ok(())
}

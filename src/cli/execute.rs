//! Carrying out an operator's operation from the command line: through the running daemon's
//! control socket (one writer for the firewall and usage), or, when no daemon runs on this
//! database, in this process on the same code (`admin::local`). Then the answer is printed.

use std::io::Write;

use super::render;
use crate::admin::{local, Reply, Request};
use crate::config::Config;
use crate::control::client::{self, ControlError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Control(#[from] ControlError),
    #[error(transparent)]
    Local(#[from] local::LocalError),
    #[error("cannot write the output")]
    Output(#[from] std::io::Error),
}

/// Runs `request` and prints its answer (`json`: as JSON) to `out`.
pub fn execute(config: &Config, request: Request, json: bool, out: &mut impl Write) -> Result<(), CliError> {
    let reply = run(config, request)?;
    if json {
        serde_json::to_writer_pretty(&mut *out, &reply.value()).map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        render::text(&reply, out)?;
    }
    Ok(())
}

fn run(config: &Config, request: Request) -> Result<Reply, CliError> {
    match client::call(&config.control_socket, &request) {
        Ok(reply) => Ok(reply),
        Err(ControlError::NotRunning(_)) => Ok(local::execute(config, request)?),
        Err(e) => Err(e.into()),
    }
}

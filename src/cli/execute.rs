//! Carrying out an operator's operation from the command line: through the running daemon's
//! control socket (one writer for the firewall and usage), or, when no daemon runs on this
//! database, in this process on the same code (`admin::local`). Then the answer is printed,
//! rendered by `render` either way.

use std::io::Write;

use super::render;
use crate::admin::{local, Request};
use crate::config::Config;
use crate::control::client::{self, ControlError};
use crate::control::Call;

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
    let call = Call { json, request };
    let output = match client::call(&config.control_socket, &call) {
        Ok(output) => output,
        Err(ControlError::NotRunning(_)) => render::output(&local::execute(config, call.request)?, json),
        Err(e) => return Err(e.into()),
    };
    out.write_all(output.as_bytes())?;
    Ok(())
}

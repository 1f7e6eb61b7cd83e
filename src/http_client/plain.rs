//! The build without the `https` feature: no TLS to configure (https URLs are refused when the
//! configuration is read).

use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

pub fn configure(builder: ConfigBuilder<AgentScope>, _ca_bundle: &std::path::Path) -> ConfigBuilder<AgentScope> {
    builder
}

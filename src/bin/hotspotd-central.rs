//! `hotspotd-central`: the central server (see `hotspotd::central`).
fn main() {
    eprintln!("hotspotd-central: not built yet");
    std::process::exit(1);
}

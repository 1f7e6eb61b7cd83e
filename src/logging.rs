//! A minimal logger to stderr: procd forwards a service's stderr to logd (`logread`), and
//! on a terminal it is what a developer reads. Lines: `LEVEL target: message`.

use std::io::Write;

struct StderrLogger;

impl log::Log for StderrLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let _ = writeln!(std::io::stderr().lock(), "{:<5} {}", record.level(), record.args());
        }
    }

    fn flush(&self) {}
}

static LOGGER: StderrLogger = StderrLogger;

pub fn init(level: log::LevelFilter) {
    // A second call (tests) keeps the first logger and just moves the level.
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

//! The central server (`hotspotd-central`, feature `central`).

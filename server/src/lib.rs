//! Segue's recommendation server: the HTTP API over the current model, hot reload of the
//! models the miner publishes, and the web page.

pub mod config;

pub use config::Config;

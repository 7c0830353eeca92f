//! Segue's recommendation server: the HTTP API over the current model, hot reload of the
//! models the miner publishes, and the web page.
//!
//! [`app`] builds the whole router from a [`state::Shared`]; [`reload::Reloader`] (a model
//! directory) or [`follow::Follower`] (object storage) keeps the state's model current; [`serve_connections`] accepts connections and serves the router on
//! them under the connection limits; [`serve`] runs it all until SIGTERM or SIGINT and
//! drains. The JSON shapes, paths and limits are the `api` crate's.

mod background;
mod cache;
pub mod config;
mod connections;
pub mod error;
pub mod follow;
pub mod metrics;
mod middleware;
pub mod openapi;
pub mod reload;
mod router;
pub mod routes;
pub mod search;
mod serve;
pub mod state;
mod web;

pub use cache::PendingWrites;
pub use config::{Config, ConnectionLimits, Limits};
pub use connections::{ServeOptions, serve_connections};
pub use error::ApiError;
pub use router::{AppOptions, app};
pub use serve::serve;
pub use state::{AppState, Loaded, Shared};

//! Server tests: routes through `app(state).oneshot(..)`, hot reload and shutdown on real
//! sockets, with models mined from generated playlists by the miner's own code; and the
//! deployment files checked against the binaries' real configuration.

mod common;
mod deploy;
mod process;
mod reload;
mod routes;

//! Server tests: routes through `app(state).oneshot(..)`, hot reload and shutdown on real
//! sockets, with models mined from generated playlists by the miner's own code.

mod common;
mod process;
mod reload;
mod routes;

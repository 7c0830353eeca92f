//! Server tests: routes through `app(state).oneshot(..)`; hot reload, shutdown and hostile
//! clients on real sockets; with models mined from generated playlists by the miner's own
//! code.

mod common;
mod follow;
mod guarded;
mod hostile;
mod process;
mod reload;
mod routes;
mod traffic;

//! The engine's integration tests: one binary, natively and under wasm32.

mod blob;
mod build;
mod platform;
#[cfg(not(target_arch = "wasm32"))]
mod props;
mod rank;
#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod wasm_api;

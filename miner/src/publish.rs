//! Publishing a model to a model directory: the store's directory kind
//! (`store::dir`), under the names the miner has always used.

pub use store::dir::{Published, current, publish, write_atomic};
pub use store::layout::{CURRENT, EXTENSION, MODELS};

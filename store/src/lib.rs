//! Segue's model store: where published models live and how they are named.
//!
//! [`layout`] is the contract (pure: names and the pointer's syntax) that the miner's
//! publisher, the server's follower and every tool share; [`dir`] publishes into and reads
//! from a model directory on a file system, atomically.

#![deny(missing_docs)]

pub mod dir;
pub mod layout;

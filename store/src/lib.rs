//! Segue's model store: where published models live and how they are named.
//!
//! [`layout`] is the contract (pure: names and the pointer's syntax) that the miner's
//! publisher, the server's follower and every tool share. A store is one of two kinds, chosen
//! by one location ([`open`]): a model directory on a file system ([`dir`], atomic renames),
//! or a prefix in object storage ([`object`]: S3 and S3-compatible endpoints, GCS, Azure
//! Blob, through the `object_store` crate, with conditional writes of the pointer). [`Store`]
//! gives both the same operations: publish, list, roll back, read the current model.

#![deny(missing_docs)]

pub mod dir;
pub mod layout;
pub mod object;
mod store;

pub use store::{Expected, ModelEntry, OpenError, Published, Store, StoreError, open, open_with};

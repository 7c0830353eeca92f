//! Segue's miner: reads playlist datasets, mines frequent itemsets with FP-growth, derives
//! association rules and publishes the engine's rule blob atomically.
//!
//! The binary (`src/main.rs`) is a thin clap front end over these modules.

pub mod bootstrap;
pub mod cli;
pub mod dataset;
pub mod evaluate;
pub mod fit;
pub mod fpgrowth;
pub mod guard;
pub mod import;
pub mod inspect;
pub mod knn;
pub mod mine;
pub mod models;
pub mod pipeline;
pub mod progress;
pub mod publish;
pub mod report;
pub mod rotate;
pub mod run;
pub mod sweep;
pub mod synth;

//! The miner's integration tests: one binary.

mod cli;
mod fpgrowth;
mod publish;
mod read;
mod rules;
mod synth;

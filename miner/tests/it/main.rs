//! The miner's integration tests: one binary.

mod cli;
mod crash;
mod fpgrowth;
mod publish;
mod read;
mod rules;
mod run;
mod synth;

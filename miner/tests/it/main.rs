//! The miner's integration tests: one binary.

mod cli;
mod crash;
mod discover;
mod evaluate;
mod fit;
mod fpgrowth;
mod guard;
mod neighbors;
mod options;
mod read;
mod rules;
mod run;
mod spark;
mod spark_s3;
mod store;
mod sweep;
mod synth;

/// A finished process's stdout and stderr, for assertions and failure messages.
pub(crate) fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

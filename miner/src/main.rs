//! Segue's miner: playlist datasets in, a published rule blob out.
//!
//! The mining pipeline arrives with its own issue; today this binary only reports its version
//! and the blob format it will write.

fn main() {
    println!(
        "segue miner {} (blob format {})",
        env!("CARGO_PKG_VERSION"),
        engine::FORMAT_VERSION
    );
}

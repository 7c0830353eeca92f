//! Segue's recommendation server.
//!
//! The HTTP API arrives with its own issue; today this binary only reports its version and the
//! blob format it will read.

fn main() {
    println!(
        "segue server {} (blob format {})",
        env!("CARGO_PKG_VERSION"),
        engine::FORMAT_VERSION
    );
}

//! Segue's recommendation server (see `server --help`).

use clap::Parser;

fn main() {
    let config = server::Config::parse();
    println!("segue server {}: {config:?}", env!("CARGO_PKG_VERSION"));
}

//! Writes a generated model of MPD scale (about 2M tracks and 1M rules, the benchmarks' shape)
//! into a model directory laid out as the miner publishes: `DIR/models/<id>.segue` and
//! `DIR/current`. For server benchmarks (reloading a large model under load).
//!
//! `cargo run --release -p engine --example mpd_blob -- DIR [SEED]`

use testkit::{Shape, generate};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: mpd_blob DIR [SEED]");
        std::process::exit(2);
    };
    let seed = args
        .next()
        .map_or(1, |s| s.parse().expect("SEED is a number"));
    let model = generate(&Shape { seed, ..Shape::MPD });
    let blob = model.to_blob();
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir.join("models")).expect("creates DIR/models");
    let name = format!("models/{}.segue", model.id());
    std::fs::write(dir.join(&name), &blob).expect("writes the blob");
    std::fs::write(dir.join("current"), format!("{name}\n")).expect("writes current");
    println!(
        "{}: {} tracks, {} rules, {} bytes",
        dir.join(&name).display(),
        model.track_count(),
        model.rule_count(),
        blob.len()
    );
}

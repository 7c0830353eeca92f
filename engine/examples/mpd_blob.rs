//! Writes a generated model of MPD scale (about 2M tracks and 1M rules, the benchmarks' shape)
//! into a model directory, published as the miner publishes (`store::dir::publish`: the blob,
//! then the `current` pointer, each by an atomic rename). For server benchmarks (reloading a
//! large model under load).
//!
//! `cargo run --release -p engine --example mpd_blob -- DIR [SEED]`
//!
//! Native only: the model store (object storage through tokio) does not build for wasm32, so
//! there the example is an empty program (`cargo test --target wasm32-unknown-unknown` builds
//! the examples too).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    use testkit::{Shape, generate};

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
    let published = store::dir::publish(std::path::Path::new(&dir), model.id(), &blob, 5)
        .expect("publishes into DIR");
    println!(
        "{}: {} tracks, {} rules, {} bytes",
        published.path.display(),
        model.track_count(),
        model.rule_count(),
        blob.len()
    );
}

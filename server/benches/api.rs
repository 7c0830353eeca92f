//! Where a recommendation's time goes without the network: the engine alone, then the whole
//! router (middleware, JSON in and out) through `oneshot`, on one core.
//!
//! `cargo bench -p server --bench api -- MODEL_DIR BODIES`
//!
//! MODEL_DIR is a miner `--out` directory; BODIES a file of request bodies, one per line
//! (`bench/server.sh` writes one).

use std::hint::black_box;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use server::{AppOptions, Limits, Loaded, Shared};
use tower::ServiceExt;

/// The server binary's allocator, so that the figures are the server's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn report(label: &str, mut times: Vec<Duration>) {
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "| {label} | {} | {:.1?} | {:.1?} | {:.1?} | {:.1?} |",
        times.len(),
        mean,
        percentile(&times, 0.5),
        percentile(&times, 0.9),
        percentile(&times, 0.99)
    );
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let [dir, bodies] = args.as_slice() else {
        eprintln!("usage: cargo bench -p server --bench api -- MODEL_DIR BODIES");
        std::process::exit(2);
    };
    let dir = std::path::Path::new(dir);
    let pointer = std::fs::read_to_string(dir.join("current")).expect("current");
    let loaded = Loaded::load(dir, pointer.trim()).expect("loads");
    let bodies: Vec<String> = std::fs::read_to_string(bodies)
        .expect("bodies")
        .lines()
        .map(str::to_owned)
        .collect();
    let requests: Vec<(Vec<String>, usize)> = bodies
        .iter()
        .map(|b| {
            let v: serde_json::Value = serde_json::from_str(b).expect("json");
            let songs = v["songs"]
                .as_array()
                .expect("songs")
                .iter()
                .map(|s| s.as_str().expect("string").to_owned())
                .collect();
            (songs, v["k"].as_u64().unwrap_or(10) as usize)
        })
        .collect();

    println!("| step | requests | mean | p50 | p90 | p99 |");
    println!("|---|---|---|---|---|---|");
    let rounds = 10;
    let mut times = Vec::new();
    for _ in 0..rounds {
        for (songs, k) in &requests {
            let options = engine::Options {
                k: *k,
                ..engine::Options::default()
            };
            let t = Instant::now();
            black_box(engine::recommend(&loaded.model, songs, &options));
            times.push(t.elapsed());
        }
    }
    report("engine::recommend", times);

    let mut times = Vec::new();
    for _ in 0..rounds {
        for body in &bodies {
            let t = Instant::now();
            let v: serde_json::Value = serde_json::from_str(black_box(body)).expect("json");
            black_box(serde_json::to_vec(&v).expect("json"));
            times.push(t.elapsed());
        }
    }
    report("parse + write the request JSON (reference)", times);

    let state = Shared::new(Limits::default());
    state.install(loaded);
    let app = server::app(state, &AppOptions::default());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for (label, uri) in [
        ("router: POST /api/recommend", "/api/recommend"),
        ("router: GET /healthz", "/healthz"),
    ] {
        let mut times = Vec::new();
        let mut bytes = 0;
        runtime.block_on(async {
            for _ in 0..rounds {
                for body in &bodies {
                    let request = if uri == "/healthz" {
                        Request::get(uri).body(Body::empty())
                    } else {
                        Request::post(uri)
                            .header("content-type", "application/json")
                            .body(Body::from(body.clone()))
                    }
                    .expect("request");
                    let t = Instant::now();
                    let response = app.clone().oneshot(request).await.expect("infallible");
                    let out = response
                        .into_body()
                        .collect()
                        .await
                        .expect("body")
                        .to_bytes();
                    times.push(t.elapsed());
                    bytes += out.len();
                }
            }
        });
        let n = times.len();
        report(label, times);
        println!("|  mean response: {} bytes | | | | | |", bytes / n);
    }
}

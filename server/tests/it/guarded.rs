//! The miner's publish guard seen from the real server binary on 127.0.0.1, following the
//! model directory: a refused run leaves the served model alone, a forced one switches it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use miner::dataset::{Format, ReadOptions};
use miner::guard::GuardOptions;
use miner::mine::MineOptions;
use miner::pipeline::{PipelineOptions, mine_and_publish};

use crate::common::{Binary, request};

/// The model id `/api/model` reports.
fn served(addr: SocketAddr) -> String {
    let answer = request(
        addr,
        "GET /api/model HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .expect("answers");
    let body = answer.split("\r\n\r\n").nth(1).expect("a body");
    let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
    json["version"].as_str().expect("version").to_owned()
}

fn options(out: &Path, force: bool) -> PipelineOptions {
    PipelineOptions {
        read: ReadOptions {
            format: Format::Auto,
            skip_invalid: false,
        },
        mine: MineOptions {
            min_support: None,
            min_count: Some(1),
            max_len: 3,
            min_confidence: 0.05,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
            adaptive: miner::fit::Adaptive::BUILT_IN,
        },
        store: out.display().to_string(),
        keep: 5,
        itemsets: None,
        guard: GuardOptions {
            force,
            ..GuardOptions::default()
        },
    }
}

#[test]
fn the_server_never_switches_on_a_refused_run_and_does_on_a_forced_one() {
    let _heavy = crate::common::heavy();
    // Serves a model mined from 800 playlists, polling its directory every 100 ms.
    let server = Binary::start(&[]);
    let good = served(server.addr);
    let inputs = tempfile::tempdir().expect("tempdir");
    let tiny = inputs.path().join("tiny.csv");
    std::fs::write(
        &tiny,
        "pid,track_uri,track_name\n0,spotify:track:a,A\n0,spotify:track:b,B\n",
    )
    .expect("writes");

    let err = mine_and_publish(
        std::slice::from_ref(&tiny),
        &options(server.model_dir(), false),
        "2026-12-02T00:00:00Z".into(),
    )
    .expect_err("refused");
    let check = err.refusal().expect("a refusal");
    assert_eq!(check.candidate.playlists, 1);
    assert_eq!(check.current.as_ref().map(|c| c.playlists), Some(800));
    // Twenty poll intervals: the server keeps its model all along.
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(2) {
        assert_eq!(served(server.addr), good, "switched on a refused run");
        std::thread::sleep(Duration::from_millis(50));
    }

    let summary = mine_and_publish(
        std::slice::from_ref(&tiny),
        &options(server.model_dir(), true),
        "2026-12-02T00:00:01Z".into(),
    )
    .expect("forced");
    assert_ne!(summary.model_id, good);
    let started = Instant::now();
    while served(server.addr) != summary.model_id {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the forced model is not served"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

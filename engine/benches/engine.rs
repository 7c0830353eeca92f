//! Engine benchmarks on a generated model of MPD scale (about 2M tracks and 1M rules):
//! decode + index time, and recommend latency with 1, 5 and 25 seeds.
//!
//! `cargo bench -p engine --bench engine` (add `-- --quick` for a fast pass). Besides
//! criterion's figures it prints the model's size and a per-request latency distribution.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion};
use engine::{Model, Options, Strategy, TrackId, recommend};
use testkit::{Shape, cubed, generate};

/// Seed lists of `n` URIs drawn like real seeds: mostly popular tracks, heavy-tailed.
fn seed_lists(model: &Model, n: usize, lists: usize) -> Vec<Vec<&str>> {
    let mut rng = testkit::rng(n as u64);
    (0..lists)
        .map(|_| {
            (0..n)
                .map(|_| model.track(TrackId(cubed(&mut rng, 20_000) as u32)).uri)
                .collect()
        })
        .collect()
}

fn percentiles(model: &Model, n: usize, strategy: Strategy) {
    let lists = seed_lists(model, n, 20_000);
    let mut times = Vec::with_capacity(lists.len());
    let mut rule_picks = 0usize;
    let options = Options {
        strategy,
        ..Options::default()
    };
    for seeds in &lists {
        let start = Instant::now();
        let answer = recommend(model, seeds, &options);
        times.push(start.elapsed());
        rule_picks += answer
            .tracks
            .iter()
            .filter(|t| t.source == engine::Source::Rule)
            .count();
        black_box(answer);
    }
    times.sort_unstable();
    let at = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!(
        "recommend {n:>2} seeds, {:<15} {} requests: p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  (rule picks per answer {:.1})",
        strategy.name(),
        times.len(),
        at(0.5),
        at(0.9),
        at(0.99),
        times[times.len() - 1],
        rule_picks as f64 / lists.len() as f64
    );
}

fn main() {
    let start = Instant::now();
    let model = generate(&Shape::MPD);
    let built = start.elapsed();
    let blob = model.to_blob();
    let mem = model.memory();
    println!(
        "model: {} tracks, {} antecedents, {} rules; built in {built:.2?}; blob {:.1} MB",
        model.track_count(),
        model.antecedent_count(),
        model.rule_count(),
        blob.len() as f64 / 1e6
    );
    println!(
        "memory: tracks {:.1} MB, rules {:.1} MB = {:.1} bytes per rule beyond the track table",
        mem.tracks as f64 / 1e6,
        mem.rules as f64 / 1e6,
        mem.rules as f64 / model.rule_count() as f64
    );
    let start = Instant::now();
    let decoded = Model::from_blob(&blob).expect("decodes");
    println!("one decode + index: {:.2?}", start.elapsed());
    assert!(decoded == model);
    drop(model);
    for n in [1, 5, 25] {
        percentiles(&decoded, n, Strategy::default());
    }
    for strategy in Strategy::ALL {
        percentiles(&decoded, 5, strategy);
    }

    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("decode");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(20));
    group.bench_function("decode+index MPD-scale blob", |b| {
        b.iter(|| Model::from_blob(black_box(&blob)))
    });
    // What the server does: the string pools stay slices of the blob.
    let shared = bytes::Bytes::from(blob.clone());
    group.bench_function("shared decode+index MPD-scale blob", |b| {
        b.iter(|| Model::from_shared_blob(black_box(&shared)))
    });
    group.finish();

    let mut group = c.benchmark_group("recommend");
    for n in [1, 5, 25] {
        let lists = seed_lists(&decoded, n, 4096);
        let mut i = 0;
        group.bench_with_input(BenchmarkId::new("seeds", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % lists.len();
                recommend(&decoded, black_box(&lists[i]), &Options::default())
            })
        });
    }
    group.finish();
    c.final_summary();
}

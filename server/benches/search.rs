//! Track search on a catalog of 2M tracks: index build time and memory, and per-query latency
//! by kind of query (p50/p90/p99 over many queries).
//!
//! `cargo bench -p server --bench search`
//!
//! Names are made of generated words (about 100k distinct, a few accented), so that search
//! faces the variety of a real catalog rather than a small vocabulary.

use std::hint::black_box;
use std::time::{Duration, Instant};

use engine::{ModelBuilder, ModelParams, TrackInput};
use server::search::Catalog;

/// The workspace's SplitMix64, drawing indexes by `% n` (the catalog the figures in
/// docs/benchmarks.md were measured on).
struct Rng(engine::SplitMix64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(engine::SplitMix64::new(seed))
    }

    fn below(&mut self, n: usize) -> usize {
        (self.0.next_u64() % n as u64) as usize
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ra", "so", "tu", "vi", "ze", "bel", "dor", "fan", "gil", "har", "jun",
    "kel", "lum", "mor", "nix", "pol", "qua", "ros", "sil", "tor", "ul", "ven", "wil", "yor", "é",
    "ñа", "ö", "ar", "en", "in", "on", "un", "the", "love", "night", "blue", "fire", "rain", "sky",
    "heart", "gold", "stone", "wave", "star", "dream", "light",
];

fn word(rng: &mut Rng) -> String {
    let n = 1 + rng.below(3);
    let mut w: String = (0..n)
        .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
        .collect();
    if let Some(first) = w.get(..1) {
        let upper = first.to_uppercase();
        w.replace_range(..1, &upper);
    }
    w
}

fn phrase(rng: &mut Rng, max_words: usize) -> String {
    let n = 1 + rng.below(max_words);
    (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

fn model(tracks: usize) -> engine::Model {
    let mut rng = Rng::new(42);
    let mut b = ModelBuilder::new(ModelParams {
        created_at: "2026-11-28T00:00:00Z".into(),
        datasets: vec!["search-bench".into()],
        playlists: 1_000_000,
        min_support: 0.0,
        min_count: 1,
        min_confidence: 0.0,
        max_len: 3,
        miner_version: "bench".into(),
        adaptive: engine::AdaptiveRule::BUILT_IN,
    });
    let artists: Vec<String> = (0..tracks / 8).map(|_| phrase(&mut rng, 2)).collect();
    for i in 0..tracks {
        b.add_track(TrackInput {
            uri: format!("spotify:track:{i:022}"),
            name: phrase(&mut rng, 4),
            artist: artists[rng.below(artists.len())].clone(),
            album: String::new(),
            count: (45_000.0 / ((i + 1) as f64).powf(0.75)).max(1.0) as u32,
        });
    }
    b.build().expect("builds")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

fn main() {
    let tracks = 2_000_000;
    let started = Instant::now();
    let model = model(tracks);
    println!("generated {tracks} tracks in {:.1?}", started.elapsed());
    let started = Instant::now();
    let catalog = Catalog::new(&model);
    println!(
        "index built in {:.2?}, {:.0} MB",
        started.elapsed(),
        catalog.memory() as f64 / 1e6
    );

    let mut rng = Rng::new(7);
    let mut kinds: Vec<(&str, Vec<String>)> = Vec::new();
    let popular = |rng: &mut Rng| model.track(engine::TrackId(rng.below(20_000) as u32));
    let any = |rng: &mut Rng| model.track(engine::TrackId(rng.below(tracks) as u32));
    kinds.push((
        "prefix of a popular name (4 chars)",
        (0..2000)
            .map(|_| popular(&mut rng).name.chars().take(4).collect())
            .collect(),
    ));
    kinds.push((
        "whole name of any track",
        (0..2000).map(|_| any(&mut rng).name.to_owned()).collect(),
    ));
    kinds.push((
        "name + artist of any track",
        (0..2000)
            .map(|_| {
                let t = any(&mut rng);
                format!("{} {}", t.name, t.artist)
            })
            .collect(),
    ));
    kinds.push((
        "inner substring (5 chars) of any name",
        (0..2000)
            .map(|_| {
                let name: Vec<char> = any(&mut rng).name.chars().collect();
                let start = name.len().saturating_sub(5) / 2;
                name[start..(start + 5).min(name.len())].iter().collect()
            })
            .collect(),
    ));
    kinds.push((
        "as typed: lower case, no accents",
        (0..2000)
            .map(|_| {
                any(&mut rng)
                    .name
                    .to_lowercase()
                    .replace(['é', 'ö'], "e")
                    .replace('ñ', "n")
            })
            .collect(),
    ));
    kinds.push((
        "one or two letters",
        (0..500)
            .map(|_| {
                popular(&mut rng)
                    .name
                    .chars()
                    .take(1 + rng.below(2))
                    .collect()
            })
            .collect(),
    ));
    kinds.push(("no match", (0..500).map(|i| format!("zzqx{i}")).collect()));

    println!("\n| query | queries | p50 | p90 | p99 | max | mean results |");
    println!("|---|---|---|---|---|---|---|");
    let mut all = Vec::new();
    for (kind, queries) in &kinds {
        let mut times = Vec::with_capacity(queries.len());
        let mut results = 0;
        for q in queries {
            let t = Instant::now();
            let found = black_box(catalog.search(black_box(q), 10));
            times.push(t.elapsed());
            results += found.len();
        }
        times.sort_unstable();
        all.extend_from_slice(&times);
        println!(
            "| {kind} | {} | {:.1?} | {:.1?} | {:.1?} | {:.1?} | {:.1} |",
            queries.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.9),
            percentile(&times, 0.99),
            times[times.len() - 1],
            results as f64 / queries.len() as f64
        );
    }
    all.sort_unstable();
    println!(
        "| all | {} | {:.1?} | {:.1?} | {:.1?} | {:.1?} | |",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.9),
        percentile(&all, 0.99),
        all[all.len() - 1]
    );
}

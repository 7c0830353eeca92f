//! Deterministic generated models of any size with MPD-like shape: heavy-tailed popularity,
//! names shared by different songs, rules concentrated on popular tracks.
//! Shared by the tests and the benchmarks (`#[path]`-included there); no `rand`, so that it runs
//! the same natively and in wasm.

#![allow(dead_code, unreachable_pub)]

use engine::{Model, ModelBuilder, ModelParams, RuleInput, TrackInput};

/// SplitMix64: tiny, deterministic, good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Skewed towards 0: `floor(n * u^3)`, so low indexes (popular tracks) come up far more often.
    pub fn skewed(&mut self, n: u64) -> u64 {
        let u = self.unit();
        ((n as f64) * u * u * u) as u64
    }
}

pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub fn uri(rng: &mut Rng) -> String {
    let mut s = String::from("spotify:track:");
    for _ in 0..22 {
        s.push(BASE62[rng.below(62) as usize] as char);
    }
    s
}

/// Shape of a generated model.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub tracks: usize,
    pub rules: usize,
    pub playlists: u32,
    /// Antecedents and consequents are drawn from the `hot` most popular tracks.
    pub hot: usize,
    pub seed: u64,
}

impl Shape {
    /// MPD scale: about 2M tracks and 1M rules.
    pub const MPD: Shape = Shape {
        tracks: 2_000_000,
        rules: 1_000_000,
        playlists: 1_000_000,
        hot: 60_000,
        seed: 1,
    };
    /// Small enough for unit tests, large enough for many rules per seed.
    pub const SMALL: Shape = Shape {
        tracks: 3_000,
        rules: 12_000,
        playlists: 10_000,
        hot: 600,
        seed: 7,
    };
}

/// Track counts: Zipf-like, the top track in about 4.5% of playlists, the tail at 1.
pub fn counts(shape: &Shape) -> Vec<u32> {
    let top = f64::from(shape.playlists) * 0.045;
    (0..shape.tracks)
        .map(|i| ((top / ((i + 1) as f64).powf(0.75)) as u32).max(1))
        .collect()
}

pub fn generate(shape: &Shape) -> Model {
    let mut rng = Rng::new(shape.seed);
    let counts = counts(shape);
    let mut b = ModelBuilder::new(ModelParams {
        created_at: "2026-11-28T00:00:00Z".into(),
        datasets: vec![format!("generated-{}x{}", shape.tracks, shape.rules)],
        playlists: shape.playlists,
        min_support: 0.0,
        min_count: 1,
        min_confidence: 0.0,
        max_len: 3,
        miner_version: "test".into(),
    });
    let names = (shape.tracks / 2).max(1) as u64;
    let artists = (shape.tracks / 8).max(1) as u64;
    for (i, &count) in counts.iter().enumerate() {
        let name = match i % 97 {
            0 => format!("Canción Nº {}", rng.below(names)),
            1 => format!("夜に駆ける {}", rng.below(names)),
            _ => format!("Song {}", rng.below(names)),
        };
        let artist = rng.below(artists);
        b.add_track(TrackInput {
            uri: uri(&mut rng),
            name,
            artist: format!("Artist {artist}"),
            album: format!("Album {artist}-{}", rng.below(4)),
            count,
        });
    }
    let hot = shape.hot.min(shape.tracks) as u64;
    let mut seen = rustc_hash::FxHashSet::default();
    let mut made = 0;
    // Small shapes may not have room for the rules asked for: give up after enough misses.
    let mut attempts = 0usize;
    while made < shape.rules && attempts < 100 * shape.rules + 1_000 {
        attempts += 1;
        let a = rng.skewed(hot) as u32;
        let antecedent = if rng.below(10) < 4 {
            vec![a]
        } else {
            let b2 = rng.skewed(hot) as u32;
            if b2 == a {
                continue;
            }
            let mut v = vec![a, b2];
            v.sort_unstable();
            v
        };
        if !seen.insert(antecedent.clone()) {
            continue;
        }
        let min_item = antecedent
            .iter()
            .map(|&t| counts[t as usize])
            .min()
            .unwrap_or(1);
        let antecedent_count = if antecedent.len() == 1 {
            min_item
        } else {
            1 + rng.below(u64::from(min_item)) as u32
        };
        let group = (1 + rng.below(4) as usize).min(shape.rules - made);
        let mut consequents: Vec<u32> = Vec::new();
        for _ in 0..group * 3 {
            if consequents.len() == group {
                break;
            }
            let y = rng.skewed(hot * 2).min(shape.tracks as u64 - 1) as u32;
            if !antecedent.contains(&y) && !consequents.contains(&y) {
                consequents.push(y);
            }
        }
        for y in consequents {
            let cap = antecedent_count.min(counts[y as usize]);
            b.add_rule(RuleInput {
                antecedent: antecedent.clone(),
                consequent: y,
                count: 1 + rng.below(u64::from(cap)) as u32,
                antecedent_count,
            });
            made += 1;
        }
    }
    b.build().expect("generated model is valid")
}

/// Seed lists as users send them: popular tracks by URI or by name, some unknown.
pub fn seed_lists(
    model: &Model,
    rng: &mut Rng,
    lists: usize,
    max_seeds: usize,
) -> Vec<Vec<String>> {
    let n = model.track_count() as u64;
    (0..lists)
        .map(|_| {
            let len = 1 + rng.below(max_seeds as u64) as usize;
            (0..len)
                .map(|_| {
                    let t = model.track(engine::TrackId(rng.skewed(n.min(2_000)) as u32));
                    match rng.below(10) {
                        0 => format!("unknown song {}", rng.below(1000)),
                        1..=3 => t.name.to_uppercase(),
                        _ => t.uri.to_owned(),
                    }
                })
                .collect()
        })
        .collect()
}

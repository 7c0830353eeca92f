//! Deterministic generated models of any size with MPD-like shape: heavy-tailed popularity,
//! names shared by different songs, rules concentrated on popular tracks. Drawn with
//! [`engine::SplitMix64`] (no `rand`), so that they are the same natively and in wasm.

use engine::{Model, ModelBuilder, ModelParams, RuleInput, SplitMix64, TrackId, TrackInput};

/// The generator the models and seed lists are drawn with: [`SplitMix64`] started at
/// `seed ^ 0x9E37_79B9_7F4A_7C15`, as it always was here (the snapshots of generated models
/// depend on it).
pub fn rng(seed: u64) -> SplitMix64 {
    SplitMix64::new(seed ^ 0x9E37_79B9_7F4A_7C15)
}

/// An index in `0..n` skewed towards 0, `floor(n * u^3)`, so that low indexes (popular
/// tracks) come up far more often. Not [`SplitMix64::skewed`]`(n, 3.0)`: `u * u * u` and
/// `powf` may round differently, and the generated models must not change.
pub fn cubed(rng: &mut SplitMix64, n: u64) -> u64 {
    let u = rng.unit();
    ((n as f64) * u * u * u) as u64
}

/// `rng.below(n)` for the `u64` counts of the generator (all below 2^32, so the same on wasm32).
fn below(rng: &mut SplitMix64, n: u64) -> u64 {
    rng.below(n as usize) as u64
}

/// The characters of a Spotify id.
pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A random Spotify track URI.
pub fn uri(rng: &mut SplitMix64) -> String {
    let mut s = String::from("spotify:track:");
    for _ in 0..22 {
        s.push(BASE62[rng.below(62)] as char);
    }
    s
}

/// Shape of a generated model.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Number of tracks.
    pub tracks: usize,
    /// Number of rules asked for (small shapes may not have room for them all).
    pub rules: usize,
    /// Number of playlists the counts are out of.
    pub playlists: u32,
    /// Antecedents and consequents are drawn from the `hot` most popular tracks.
    pub hot: usize,
    /// Seed of the generator.
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

/// The model of `shape`: a pure function of it.
pub fn generate(shape: &Shape) -> Model {
    generate_with_rule(shape, engine::AdaptiveRule::BUILT_IN)
}

/// [`generate`] with another adaptive rule (the same tracks and rules; another blob and id).
pub fn generate_with_rule(shape: &Shape, adaptive: engine::AdaptiveRule) -> Model {
    let mut rng = rng(shape.seed);
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
        adaptive,
    });
    let names = (shape.tracks / 2).max(1) as u64;
    let artists = (shape.tracks / 8).max(1) as u64;
    for (i, &count) in counts.iter().enumerate() {
        let name = match i % 97 {
            0 => format!("Canción Nº {}", below(&mut rng, names)),
            1 => format!("夜に駆ける {}", below(&mut rng, names)),
            _ => format!("Song {}", below(&mut rng, names)),
        };
        let artist = below(&mut rng, artists);
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
        let a = cubed(&mut rng, hot) as u32;
        let antecedent = if rng.below(10) < 4 {
            vec![a]
        } else {
            let b2 = cubed(&mut rng, hot) as u32;
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
            1 + below(&mut rng, u64::from(min_item)) as u32
        };
        let group = (1 + rng.below(4)).min(shape.rules - made);
        let mut consequents: Vec<u32> = Vec::new();
        for _ in 0..group * 3 {
            if consequents.len() == group {
                break;
            }
            let y = cubed(&mut rng, hot * 2).min(shape.tracks as u64 - 1) as u32;
            if !antecedent.contains(&y) && !consequents.contains(&y) {
                consequents.push(y);
            }
        }
        for y in consequents {
            let cap = antecedent_count.min(counts[y as usize]);
            b.add_rule(RuleInput {
                antecedent: antecedent.clone(),
                consequent: y,
                count: 1 + below(&mut rng, u64::from(cap)) as u32,
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
    rng: &mut SplitMix64,
    lists: usize,
    max_seeds: usize,
) -> Vec<Vec<String>> {
    let n = model.track_count() as u64;
    (0..lists)
        .map(|_| {
            let len = 1 + rng.below(max_seeds);
            (0..len)
                .map(|_| {
                    let t = model.track(TrackId(cubed(rng, n.min(2_000)) as u32));
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

/// `count` random sets of track ids below `tracks`, for checks against brute force on small
/// data: each of 1 to `max_len` draws from a skewed popularity (`exponent`, as
/// [`SplitMix64::skewed`]: many ties in counts), sorted and deduplicated.
pub fn random_sets(
    seed: u64,
    count: usize,
    tracks: u32,
    max_len: usize,
    exponent: f64,
) -> Vec<Vec<u32>> {
    let mut rng = SplitMix64::new(seed);
    (0..count)
        .map(|_| {
            let len = 1 + rng.below(max_len);
            let mut set: Vec<u32> = (0..len)
                .map(|_| rng.skewed(tracks as usize, exponent) as u32)
                .collect();
            set.sort_unstable();
            set.dedup();
            set
        })
        .collect()
}

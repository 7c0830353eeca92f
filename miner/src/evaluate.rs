//! `miner evaluate`: offline playlist-continuation quality, in the shapes and with the metrics
//! of the RecSys Challenge 2018.
//!
//! - Playlists are split into train and test by a seeded hash of their position
//!   ([`split`]); the model is mined on train with the same code and options as `mine`.
//! - Each test playlist long enough for a [`Shape`] keeps that many tracks as seeds and holds
//!   out the rest. "First n" are the playlist's first n tracks in the order they were read
//!   (a repeated track at its first place) when the dataset kept it
//!   ([`crate::dataset::ReadRequest::keep_order`], as `miner evaluate` and `miner sweep`
//!   read); a dataset read as sets falls back to a seeded permutation. "Random n" are drawn
//!   by a seeded permutation per shape.
//! - Every [`Ranker`] ranks up to [`MAX_RANK`] tracks; [`score_list`] scores them against the
//!   held-out tracks (tracks absent from train count as held out and can never be found).
//!
//! Everything is a function of the dataset, the options and the seed: the figures (all but
//! the timings) are the same on every run and with any number of threads. The tables and
//! chart of an [`Evaluation`] are in [`crate::report`].

use std::time::{Duration, Instant};

use engine::{Model, Options, Source, Strategy, TrackId, recommend};
use rayon::prelude::*;

use crate::bootstrap::{Interval, Units, intervals};
use crate::dataset::Dataset;
use crate::dataset::Transactions;
use crate::knn::ItemKnn;
use crate::mine::{MineError, MineOptions, mine};
use engine::SplitMix64;

/// Length of every ranked list (the challenge's 500).
pub const MAX_RANK: usize = 500;

/// How many seeds a test case keeps, and how they are chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    /// The first `n` tracks of the playlist.
    First(usize),
    /// `n` tracks drawn at random from the playlist.
    Random(usize),
}

impl Shape {
    /// The challenge's shapes with seeds: first 1, 5, 10, 25, 100; random 25 and 100.
    pub const CHALLENGE: [Shape; 7] = [
        Shape::First(1),
        Shape::First(5),
        Shape::First(10),
        Shape::First(25),
        Shape::Random(25),
        Shape::First(100),
        Shape::Random(100),
    ];

    /// Seeds kept.
    pub fn seeds(self) -> usize {
        match self {
            Shape::First(n) | Shape::Random(n) => n,
        }
    }

    /// A playlist is long enough when at least one track is left to hold out.
    pub fn fits(self, len: usize) -> bool {
        len > self.seeds()
    }

    /// Its label, e.g. `first 5`.
    pub fn label(self) -> String {
        match self {
            Shape::First(n) => format!("first {n}"),
            Shape::Random(n) => format!("random {n}"),
        }
    }
}

/// Something that ranks tracks for seeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ranker {
    /// The most popular tracks of train (no rules): the baseline every ranking must beat.
    Popular,
    /// Item-kNN over the training playlists ([`crate::knn`]): the strong baseline, with no
    /// support threshold.
    Knn,
    /// The engine with a strategy; [`Strategy::Original`] is the original service's ranking
    /// (best confidence over single-seed rules), the other baseline.
    Engine(Strategy),
}

impl Ranker {
    /// The popularity and item-kNN baselines, then the engine with every strategy (the
    /// original's first).
    pub fn all() -> Vec<Ranker> {
        let mut out = vec![Ranker::Popular, Ranker::Knn];
        out.extend(Strategy::ALL.into_iter().map(Ranker::Engine));
        out
    }

    /// Its name in reports: `popular`, or the strategy's name.
    pub fn name(self) -> &'static str {
        match self {
            Ranker::Popular => "popular",
            Ranker::Knn => "item_knn",
            Ranker::Engine(s) => s.name(),
        }
    }
}

/// What to evaluate.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalOptions {
    /// Share of playlists held out as test playlists, in (0, 1).
    pub test_fraction: f64,
    /// Seed of the split and of the seed draws.
    pub seed: u64,
    /// Mining settings (as `mine`'s).
    pub mine: MineOptions,
    /// The rankers to compare.
    pub rankers: Vec<Ranker>,
    /// The shapes to evaluate.
    pub shapes: Vec<Shape>,
    /// Bootstrap resamples for the 95% intervals (0: no intervals, each is its mean).
    pub resamples: usize,
    /// Neighbors kept per track by the item-kNN baseline.
    pub knn_neighbors: usize,
    /// Evaluate within the training playlists only: the test playlists of (`seed`,
    /// `test_fraction`) are dropped and the rest is split again, on its own stream, into a
    /// fitting part (mined) and a validation part (ranked). A setting chosen on this report has
    /// never seen a test playlist.
    pub validation: bool,
}

/// The default number of bootstrap resamples.
pub const RESAMPLES: usize = 1_000;
/// The default number of neighbors per track of the item-kNN baseline.
pub const KNN_NEIGHBORS: usize = 200;
/// Confidence level of every interval.
pub const LEVEL: f64 = 0.95;

/// One test case's figures.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CaseMetrics {
    /// |G ∩ R\[..|G|\]| / |G|.
    pub r_precision: f64,
    /// DCG / ideal DCG, binary relevance, over the ranked list.
    pub ndcg: f64,
    /// Pages of 10 flipped before the first relevant track (51 when none is within 500).
    pub clicks: u32,
    /// Whether a held-out track is among the first 10.
    pub hit_at_10: bool,
}

/// Scores one ranked list. `relevant` holds the held-out tracks that can be ranked (sorted);
/// `held_out` counts every held-out track, rankable or not (|G| ≥ `relevant.len()`).
pub fn score_list(ranked: &[u32], relevant: &[u32], held_out: usize) -> CaseMetrics {
    debug_assert!(relevant.windows(2).all(|w| w[0] < w[1]) && held_out >= relevant.len());
    if held_out == 0 {
        return CaseMetrics::default();
    }
    let ranked = &ranked[..ranked.len().min(MAX_RANK)];
    let hit = |t: &u32| relevant.binary_search(t).is_ok();
    let found_in_r = ranked.iter().take(held_out).filter(|t| hit(t)).count();
    let gain = |i: usize| 1.0 / ((i + 2) as f64).log2();
    let dcg: f64 = ranked
        .iter()
        .enumerate()
        .filter(|(_, t)| hit(t))
        .map(|(i, _)| gain(i))
        .sum();
    let ideal: f64 = (0..held_out.min(MAX_RANK)).map(gain).sum();
    let first = ranked.iter().position(hit);
    CaseMetrics {
        r_precision: found_in_r as f64 / held_out as f64,
        ndcg: dcg / ideal,
        clicks: first.map_or(51, |p| (p / 10) as u32),
        hit_at_10: ranked.iter().take(10).any(hit),
    }
}

const SPLIT: u64 = 1;
const ORDER: u64 = 2;
const DRAW: u64 = 3;
const VALIDATION: u64 = 4;
const FIT: u64 = 5;

/// Splits `data` into train (a dataset of the tracks that occur in it, ids renumbered, reading
/// order kept when `data` kept it) and the test playlists (item ids of `data`). Playlist `i`
/// is a test playlist when a hash of `(seed, i)` falls below `test_fraction`.
pub fn split(data: &Dataset, test_fraction: f64, seed: u64) -> (Dataset, Vec<Vec<u32>>) {
    split_on(data, test_fraction, seed, SPLIT)
}

/// Whether playlist `position` is a test playlist of [`split`]`(_, test_fraction, seed)`.
pub fn is_test_playlist(position: usize, test_fraction: f64, seed: u64) -> bool {
    falls_in(SPLIT, position, test_fraction, seed)
}

/// Whether playlist `position` falls in the held-out part of the split on `stream`.
fn falls_in(stream: u64, position: usize, fraction: f64, seed: u64) -> bool {
    SplitMix64::stream(seed, stream, position as u64).unit() < fraction
}

/// [`split`] on a stream of its own, for fitting a model's adaptive rule ([`crate::fit`]):
/// the fitting part, and the validation playlists.
pub fn split_fit(data: &Dataset, fraction: f64, seed: u64) -> (Dataset, Vec<Vec<u32>>) {
    split_on(data, fraction, seed, FIT)
}

/// [`split`] on `stream` ([`SPLIT`] for the test split, [`VALIDATION`] for the split of the
/// training playlists into fitting and validation parts).
fn split_on(
    data: &Dataset,
    test_fraction: f64,
    seed: u64,
    stream: u64,
) -> (Dataset, Vec<Vec<u32>>) {
    let mut new_id = vec![u32::MAX; data.tracks.len()];
    let mut train = Transactions::new();
    let mut train_order = data.order.as_ref().map(|_| Transactions::new());
    let mut tracks = Vec::new();
    let mut test = Vec::new();
    let mut items = Vec::new();
    for (i, playlist) in data.transactions.iter().enumerate() {
        if falls_in(stream, i, test_fraction, seed) {
            // In reading order when the dataset kept it.
            test.push(data.order.as_ref().map_or(playlist, |o| o.get(i)).to_vec());
            continue;
        }
        items.clear();
        for &t in playlist {
            if new_id[t as usize] == u32::MAX {
                new_id[t as usize] = tracks.len() as u32;
                tracks.push(data.tracks[t as usize].clone());
            }
            items.push(new_id[t as usize]);
        }
        if let (Some(out), Some(order)) = (train_order.as_mut(), data.order.as_ref()) {
            let read: Vec<u32> = order.get(i).iter().map(|&t| new_id[t as usize]).collect();
            out.push(&read);
        }
        items.sort_unstable();
        train.push(&items);
    }
    let rows = train.items.len() as u64;
    let train = Dataset {
        labels: data.labels.clone(),
        tracks,
        transactions: train,
        order: train_order,
        rows,
        skipped: 0,
        skip_reasons: Vec::new(),
    };
    (train, test)
}

/// A paired difference of a metric: ranker minus default, case by case.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Difference {
    /// Mean difference.
    pub mean: f64,
    /// Its 95% bootstrap interval (resampling test playlists).
    pub interval: Interval,
}

impl Difference {
    /// Whether the interval excludes zero: a difference the data support.
    pub fn real(&self) -> bool {
        self.interval.excludes_zero()
    }
}

/// A ranker's paired differences against the default on the same cases.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct VsDefault {
    /// R-precision difference (positive: better than the default).
    pub r_precision: Difference,
    /// NDCG difference (positive: better).
    pub ndcg: Difference,
    /// Clicks difference (negative: better).
    pub clicks: Difference,
}

/// Figures of one ranker on one shape (or `all`: every case of every shape).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ResultRow {
    /// The ranker's name.
    pub ranker: String,
    /// The shape's label, or `all`.
    pub shape: String,
    /// Test cases.
    pub cases: usize,
    /// Mean R-precision.
    pub r_precision: f64,
    /// Its 95% bootstrap interval.
    pub r_precision_ci: Interval,
    /// Mean NDCG.
    pub ndcg: f64,
    /// Its 95% bootstrap interval.
    pub ndcg_ci: Interval,
    /// Mean recommended-songs clicks.
    pub clicks: f64,
    /// Its 95% bootstrap interval.
    pub clicks_ci: Interval,
    /// Share of cases with a held-out track in the first 10.
    pub hit_at_10: f64,
    /// Share of the model's tracks that appear in at least one first-10 list.
    pub coverage: f64,
    /// Share of cases with at least one rule-based (for item-kNN: neighbor-based) track.
    pub rule_share: f64,
    /// Paired differences against the default ranker (none for the default itself, or when
    /// the default was not evaluated).
    pub vs_default: Option<VsDefault>,
}

/// What `miner evaluate` measured.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Evaluation {
    /// Labels of the datasets.
    pub datasets: Vec<String>,
    /// Whether this is a validation run ([`EvalOptions::validation`]): `playlists` are then
    /// the training playlists, split into fitting ("train") and validation ("test") parts.
    pub validation: bool,
    /// Playlists read (in a validation run: the training playlists).
    pub playlists: usize,
    /// Playlists mined.
    pub train_playlists: usize,
    /// Playlists held out.
    pub test_playlists: usize,
    /// Test fraction and seed.
    pub test_fraction: f64,
    /// Seed of the split and draws.
    pub seed: u64,
    /// Minimum count used on train.
    pub min_count: u32,
    /// Max itemset size.
    pub max_len: usize,
    /// Minimum confidence.
    pub min_confidence: f64,
    /// Consequents kept per antecedent, when the rules were pruned.
    pub max_consequents: Option<usize>,
    /// Neighbor rules asked for per track (`--neighbors`), if any.
    pub neighbors: Option<usize>,
    /// Of the model's rules, the neighbor rules FP-growth had not found.
    pub neighbor_rules: usize,
    /// The model's adaptive rule (`FEW/SEEDS/MANY`), what the default ranks with.
    #[serde(serialize_with = "crate::mine::display")]
    pub adaptive: engine::AdaptiveRule,
    /// How it came about (fitted on the training playlists only, or given).
    pub adaptive_choice: crate::fit::Choice,
    /// Tracks in the model.
    pub model_tracks: usize,
    /// Rules in the model.
    pub rules: usize,
    /// Blob size in bytes.
    pub model_bytes: usize,
    /// Neighbor pairs kept by item-kNN (0 when it was not evaluated).
    pub knn_pairs: usize,
    /// The ranker the differences are taken against.
    pub default_ranker: String,
    /// Bootstrap resamples behind the intervals.
    pub resamples: usize,
    /// Seconds spent mining train.
    pub mine_seconds: f64,
    /// Seconds spent building item-kNN.
    pub knn_seconds: f64,
    /// Seconds spent ranking and scoring.
    pub rank_seconds: f64,
    /// Seconds spent on the intervals.
    pub bootstrap_seconds: f64,
    /// Per ranker: `all` first, then each shape.
    pub results: Vec<ResultRow>,
}

impl EvalOptions {
    /// Checks every setting that needs no data (the test fraction is within (0, 1), then the
    /// mining settings), so that a typo fails before any input is read.
    pub fn validate(&self) -> Result<(), MineError> {
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return Err(MineError::BadOption(format!(
                "--test-fraction {} must be within (0, 1)",
                self.test_fraction
            )));
        }
        if self.rankers.contains(&Ranker::Knn) && self.knn_neighbors == 0 {
            return Err(MineError::BadOption(
                "--knn-neighbors must be at least 1".into(),
            ));
        }
        self.mine.validate()
    }

    /// The ranker differences are taken against: the engine's default strategy.
    pub fn default_ranker() -> Ranker {
        Ranker::Engine(Strategy::default())
    }
}

/// Builds item-kNN over `train`'s playlists, with the model's track ids (popularity ranks).
pub fn build_knn(model: &Model, train: &Dataset, neighbors: usize) -> ItemKnn {
    let to_model: Vec<u32> = train
        .tracks
        .iter()
        .map(|t| model.track_by_uri(&t.uri).map_or(u32::MAX, |id| id.0))
        .collect();
    let mut mapped = Transactions::new();
    let mut items = Vec::new();
    for playlist in train.transactions.iter() {
        items.clear();
        items.extend(
            playlist
                .iter()
                .map(|&t| to_model[t as usize])
                .filter(|&t| t != u32::MAX),
        );
        mapped.push(&items);
    }
    ItemKnn::build(mapped.iter(), model.track_count(), neighbors)
}

/// Splits, mines train, builds item-kNN when asked, ranks, scores and resamples.
pub fn evaluate(data: &Dataset, options: &EvalOptions) -> Result<Evaluation, MineError> {
    options.validate()?;
    let fitting;
    let (data, (train, test)) = if options.validation {
        fitting = split(data, options.test_fraction, options.seed).0;
        let parts = split_on(&fitting, options.test_fraction, options.seed, VALIDATION);
        (&fitting, parts)
    } else {
        (data, split(data, options.test_fraction, options.seed))
    };
    let start = Instant::now();
    let mined = mine(&train, &options.mine, "1970-01-01T00:00:00Z".into())?;
    let mine_time = start.elapsed();
    tracing::info!(
        train = train.transactions.len(),
        test = test.len(),
        rules = mined.report.rules,
        "mined the training playlists"
    );
    let start = Instant::now();
    let knn = options
        .rankers
        .contains(&Ranker::Knn)
        .then(|| build_knn(&mined.model, &train, options.knn_neighbors));
    let knn_time = start.elapsed();
    drop(train);
    let start = Instant::now();
    let cases = rank_cases(&mined.model, knn.as_ref(), data, &test, options);
    let rank_time = start.elapsed();
    let start = Instant::now();
    let results = aggregate(&mined.model, &cases, options);
    Ok(Evaluation {
        datasets: data.labels.clone(),
        validation: options.validation,
        playlists: data.transactions.len(),
        train_playlists: data.transactions.len() - test.len(),
        test_playlists: test.len(),
        test_fraction: options.test_fraction,
        seed: options.seed,
        min_count: mined.report.min_count,
        max_len: options.mine.max_len,
        min_confidence: options.mine.min_confidence,
        max_consequents: options.mine.max_consequents,
        neighbors: options.mine.neighbors,
        neighbor_rules: mined.report.neighbor_rules,
        adaptive: mined.report.adaptive,
        adaptive_choice: mined.report.adaptive_choice.clone(),
        model_tracks: mined.model.track_count(),
        rules: mined.model.rule_count(),
        model_bytes: mined.model.blob_len(),
        knn_pairs: knn.as_ref().map_or(0, ItemKnn::pairs),
        default_ranker: EvalOptions::default_ranker().name().to_owned(),
        resamples: options.resamples,
        mine_seconds: secs(mine_time),
        knn_seconds: secs(knn_time),
        rank_seconds: secs(rank_time),
        bootstrap_seconds: secs(start.elapsed()),
        results,
    })
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

/// Appends the most popular of the `n` tracks (ids are popularity ranks) that are neither
/// seeds (sorted) nor `taken`, up to `k` in all.
fn popular_fill(out: &mut Vec<u32>, n: u32, seeds: &[u32], k: usize, taken: impl Fn(u32) -> bool) {
    for id in 0..n {
        if out.len() >= k {
            break;
        }
        if seeds.binary_search(&id).is_err() && !taken(id) {
            out.push(id);
        }
    }
}

/// One ranker's result on one case: its metrics, whether a rule (or neighbor) contributed,
/// and the first 10 tracks.
pub type RankerResult = (CaseMetrics, bool, Vec<u32>);

/// One test case: the test playlist (its index), the shape (index into the options'), and
/// each ranker's result in the options' order.
#[derive(Clone, Debug)]
pub struct Case {
    /// Index of the test playlist.
    pub playlist: usize,
    /// Index of the shape.
    pub shape: usize,
    /// Distinct seeds the model knows (what [`Strategy::Adaptive`] switches on).
    pub seeds: usize,
    /// Per ranker.
    pub results: Vec<RankerResult>,
}

/// Ranks every test case with every ranker and aggregates per ranker and shape.
/// `test` holds item ids of `data`; the model's tracks are found by URI.
pub fn rank_and_score(
    model: &Model,
    knn: Option<&ItemKnn>,
    data: &Dataset,
    test: &[Vec<u32>],
    options: &EvalOptions,
) -> Vec<ResultRow> {
    let cases = rank_cases(model, knn, data, test, options);
    aggregate(model, &cases, options)
}

/// Ranks every test case with every ranker. `knn` is needed when the rankers include
/// [`Ranker::Knn`].
pub fn rank_cases(
    model: &Model,
    knn: Option<&ItemKnn>,
    data: &Dataset,
    test: &[Vec<u32>],
    options: &EvalOptions,
) -> Vec<Case> {
    let n = model.track_count() as u32;
    // Item id -> model track id; tracks absent from train get ids past the model's, distinct,
    // so that they count as held out but are never ranked.
    let to_model: Vec<u32> = data
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            model
                .track_by_uri(&t.uri)
                .map_or(n.saturating_add(i as u32), |id| id.0)
        })
        .collect();
    test.par_iter()
        .enumerate()
        .flat_map_iter(|(p, playlist)| {
            let mut order: Vec<u32> = playlist.iter().map(|&t| to_model[t as usize]).collect();
            if data.order.is_none() {
                // No reading order kept: a seeded one stands in for it.
                SplitMix64::stream(options.seed, ORDER, p as u64).shuffle(&mut order);
            }
            let mut out = Vec::new();
            for (s, &shape) in options.shapes.iter().enumerate() {
                if !shape.fits(order.len()) {
                    continue;
                }
                let (seeds, held): (Vec<u32>, Vec<u32>) = match shape {
                    Shape::First(k) => (order[..k].to_vec(), order[k..].to_vec()),
                    Shape::Random(k) => {
                        let mut drawn = order.clone();
                        SplitMix64::stream(options.seed, DRAW + s as u64, p as u64)
                            .shuffle(&mut drawn);
                        (drawn[..k].to_vec(), drawn[k..].to_vec())
                    }
                };
                let mut relevant: Vec<u32> = held.iter().copied().filter(|&t| t < n).collect();
                relevant.sort_unstable();
                let seed_uris: Vec<&str> = seeds
                    .iter()
                    .filter(|&&t| t < n)
                    .map(|&t| model.track(TrackId(t)).uri)
                    .collect();
                let mut known: Vec<u32> = seeds.iter().copied().filter(|&t| t < n).collect();
                known.sort_unstable();
                let results: Vec<RankerResult> = options
                    .rankers
                    .iter()
                    .map(|&ranker| {
                        let (ranked, rule) = match ranker {
                            Ranker::Popular => {
                                let mut out = Vec::with_capacity(MAX_RANK);
                                popular_fill(&mut out, n, &known, MAX_RANK, |_| false);
                                (out, false)
                            }
                            Ranker::Knn => knn
                                .expect("item-kNN is built when it is ranked")
                                .recommend(&known, MAX_RANK),
                            Ranker::Engine(strategy) => {
                                let answer = recommend(
                                    model,
                                    &seed_uris,
                                    &Options {
                                        k: MAX_RANK,
                                        strategy,
                                    },
                                );
                                let rule = answer.tracks.iter().any(|t| t.source == Source::Rule);
                                (answer.tracks.iter().map(|t| t.id.0).collect(), rule)
                            }
                        };
                        let metrics = score_list(&ranked, &relevant, held.len());
                        (metrics, rule, ranked.iter().take(10).copied().collect())
                    })
                    .collect();
                out.push(Case {
                    playlist: p,
                    shape: s,
                    seeds: known.len(),
                    results,
                });
            }
            out
        })
        .collect()
}

/// Series per ranker in the bootstrap units: R-precision, NDCG, clicks, and the same three
/// minus the default's.
const SERIES: usize = 6;

/// Means, intervals and paired differences per ranker and shape (`all` first).
pub fn aggregate(model: &Model, cases: &[Case], options: &EvalOptions) -> Vec<ResultRow> {
    let tracks = model.track_count().max(1);
    let rankers = options.rankers.len();
    let default = options
        .rankers
        .iter()
        .position(|&r| r == EvalOptions::default_ranker());
    let shapes: Vec<Option<usize>> = std::iter::once(None)
        .chain((0..options.shapes.len()).map(Some))
        .collect();
    // Per shape: the bootstrap intervals of every ranker's series, resampling test playlists.
    let per_shape: Vec<Vec<Interval>> = shapes
        .iter()
        .map(|&shape| {
            let mut units = Units::new(rankers * SERIES);
            let mut by_playlist: Vec<(f64, Vec<f64>)> = Vec::new();
            let mut index: rustc_hash::FxHashMap<usize, usize> = Default::default();
            for case in cases.iter().filter(|c| shape.is_none_or(|s| s == c.shape)) {
                let slot = *index.entry(case.playlist).or_insert_with(|| {
                    by_playlist.push((0.0, vec![0.0; rankers * SERIES]));
                    by_playlist.len() - 1
                });
                let (weight, sums) = &mut by_playlist[slot];
                *weight += 1.0;
                let values = |m: &CaseMetrics| [m.r_precision, m.ndcg, f64::from(m.clicks)];
                let base = default.map(|d| values(&case.results[d].0));
                for (r, (m, _, _)) in case.results.iter().enumerate() {
                    let v = values(m);
                    for k in 0..3 {
                        sums[r * SERIES + k] += v[k];
                        sums[r * SERIES + 3 + k] += base.map_or(0.0, |b| v[k] - b[k]);
                    }
                }
            }
            for (weight, sums) in &by_playlist {
                units.push(*weight, sums);
            }
            let seed = options.seed ^ shape.map_or(0, |s| s as u64 + 1);
            intervals(&units, options.resamples, LEVEL, seed)
        })
        .collect();
    let mut rows = Vec::new();
    for (r, ranker) in options.rankers.iter().enumerate() {
        for (shape, ci) in shapes.iter().zip(&per_shape) {
            let mut seen = vec![false; tracks];
            let mut sum = [0.0; SERIES];
            let (mut count, mut hits, mut rule) = (0usize, 0usize, 0usize);
            for case in cases.iter().filter(|c| shape.is_none_or(|s| s == c.shape)) {
                let (m, fired, top) = &case.results[r];
                count += 1;
                let b = default.map(|d| case.results[d].0);
                let v = [m.r_precision, m.ndcg, f64::from(m.clicks)];
                for k in 0..3 {
                    sum[k] += v[k];
                    if let Some(b) = b {
                        let bv = [b.r_precision, b.ndcg, f64::from(b.clicks)];
                        sum[3 + k] += v[k] - bv[k];
                    }
                }
                hits += usize::from(m.hit_at_10);
                rule += usize::from(*fired);
                for &t in top {
                    seen[t as usize] = true;
                }
            }
            let mean = |x: f64| if count == 0 { 0.0 } else { x / count as f64 };
            let ci = &ci[r * SERIES..(r + 1) * SERIES];
            let diff = |k: usize| Difference {
                mean: mean(sum[3 + k]),
                interval: ci[3 + k],
            };
            rows.push(ResultRow {
                ranker: ranker.name().to_owned(),
                shape: shape.map_or("all".to_owned(), |s| options.shapes[s].label()),
                cases: count,
                r_precision: mean(sum[0]),
                r_precision_ci: ci[0],
                ndcg: mean(sum[1]),
                ndcg_ci: ci[1],
                clicks: mean(sum[2]),
                clicks_ci: ci[2],
                hit_at_10: mean(hits as f64),
                coverage: seen.iter().filter(|&&b| b).count() as f64 / tracks as f64,
                rule_share: mean(rule as f64),
                vs_default: default.filter(|&d| d != r).map(|_| VsDefault {
                    r_precision: diff(0),
                    ndcg: diff(1),
                    clicks: diff(2),
                }),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn metrics_by_hand() {
        // G = {1, 2, 3}; R = [9, 1, 8, 2, ...]: R[..3] holds 1 of G.
        let m = score_list(&[9, 1, 8, 2], &[1, 2, 3], 3);
        assert!(close(m.r_precision, 1.0 / 3.0));
        // DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3) + 1/2.
        let dcg = 1.0 / 3f64.log2() + 1.0 / 5f64.log2();
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5;
        assert!(close(m.ndcg, dcg / ideal));
        assert_eq!(m.clicks, 0);
        assert!(m.hit_at_10);
    }

    #[test]
    fn a_perfect_list_scores_one() {
        let m = score_list(&[4, 5, 6, 7], &[4, 5], 2);
        assert!(close(m.r_precision, 1.0) && close(m.ndcg, 1.0));
        assert_eq!(m.clicks, 0);
    }

    #[test]
    fn clicks_count_pages_of_ten() {
        let ranked: Vec<u32> = (100..700).collect();
        assert_eq!(score_list(&ranked, &[109], 1).clicks, 0);
        assert_eq!(score_list(&ranked, &[110], 1).clicks, 1);
        assert_eq!(score_list(&ranked, &[599], 1).clicks, 49);
        // Beyond 500 the list is cut: as if not found.
        assert_eq!(score_list(&ranked, &[600], 1).clicks, 51);
        assert!(!score_list(&ranked, &[110], 1).hit_at_10);
        assert!(score_list(&ranked, &[109], 1).hit_at_10);
    }

    #[test]
    fn unrankable_held_out_tracks_still_count() {
        // G has 4 tracks, only 1 of which the model knows; it is ranked first.
        let m = score_list(&[7, 8], &[7], 4);
        assert!(close(m.r_precision, 0.25));
        let ideal = 1.0 + 1.0 / 3f64.log2() + 0.5 + 1.0 / 5f64.log2();
        assert!(close(m.ndcg, 1.0 / ideal));
        let none = score_list(&[8, 9], &[], 2);
        assert_eq!(
            none,
            CaseMetrics {
                clicks: 51,
                ..CaseMetrics::default()
            }
        );
    }

    #[test]
    fn shapes_need_a_held_out_track() {
        assert!(!Shape::First(5).fits(5));
        assert!(Shape::First(5).fits(6));
        assert_eq!(Shape::Random(25).label(), "random 25");
    }

    #[test]
    fn popular_fill_skips_seeds_and_taken() {
        let mut out = vec![];
        popular_fill(&mut out, 100, &[0, 2], 4, |t| t == 3);
        assert_eq!(out, [1, 4, 5, 6]);
        let mut short = vec![];
        popular_fill(&mut short, 3, &[1], 10, |_| false);
        assert_eq!(short, [0, 2], "the catalog runs out");
    }
}

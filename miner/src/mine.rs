//! From a dataset to a model: frequent itemsets, rules, the engine's builder.

use std::time::{Duration, Instant};

use engine::{Model, ModelBuilder, ModelParams, RuleInput, TrackInput};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::dataset::{Dataset, TrackMeta};
use crate::fit::{Adaptive, Choice};
use crate::fpgrowth::{Itemset, frequent_itemsets_counted, item_counts};
use crate::progress::Counters;

/// Mining settings.
#[derive(Clone, Debug, PartialEq)]
pub struct MineOptions {
    /// Minimum support as a fraction of playlists (min count = ceil(fraction × playlists)).
    pub min_support: Option<f64>,
    /// Minimum support as a count (overrides `min_support`).
    pub min_count: Option<u32>,
    /// Largest itemset mined.
    pub max_len: usize,
    /// Minimum confidence of a kept rule.
    pub min_confidence: f64,
    /// Keep only the best N rules per antecedent ([`prune`]); `None` keeps every rule.
    pub max_consequents: Option<usize>,
    /// Add each track's N most similar tracks as one-track rules ([`neighbor_rules`]), below
    /// the support threshold too; `None` adds none.
    pub neighbors: Option<usize>,
    /// The fewest playlists a neighbor rule's two tracks must share (at least 1).
    pub neighbor_min_count: u32,
    /// How the model's adaptive rule is chosen: fitted on the playlists mined
    /// ([`crate::fit`]), or given.
    pub adaptive: Adaptive,
}

/// The default of [`MineOptions::neighbor_min_count`]: a pair seen in a single playlist is
/// noise that would only bloat the blob.
pub const NEIGHBOR_MIN_COUNT: u32 = 2;

impl MineOptions {
    /// Checks every setting that needs no data, so that a typo fails before any input is
    /// read: the minimum confidence is within [0, 1], the largest itemset has at least 2
    /// items, and the minimum support is within (0, 1] unless a minimum count replaces it.
    pub fn validate(&self) -> Result<(), MineError> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(MineError::BadOption(format!(
                "--min-confidence {} must be within [0, 1]",
                self.min_confidence
            )));
        }
        if self.max_len < 2 {
            return Err(MineError::BadOption(format!(
                "--max-len {} must be at least 2 (rules need two tracks)",
                self.max_len
            )));
        }
        if self.max_consequents == Some(0) {
            return Err(MineError::BadOption(
                "--max-consequents 0 would keep no rule: give at least 1, or leave it out".into(),
            ));
        }
        if self.neighbors == Some(0) {
            return Err(MineError::BadOption(
                "--neighbors 0 would add no rule: give at least 1, or leave it out".into(),
            ));
        }
        if self.neighbor_min_count == 0 {
            return Err(MineError::BadOption(
                "--neighbor-min-count 0: a rule needs at least one playlist".into(),
            ));
        }
        self.support().map(|_| ())
    }

    /// The minimum count, or else the checked support fraction (1% when neither is set).
    fn support(&self) -> Result<Support, MineError> {
        if let Some(count) = self.min_count {
            return Ok(Support::Count(count));
        }
        let fraction = self.min_support.unwrap_or(0.01);
        if !(fraction > 0.0 && fraction <= 1.0) {
            return Err(MineError::BadOption(format!(
                "--min-support {fraction} must be within (0, 1]"
            )));
        }
        Ok(Support::Fraction(fraction))
    }
}

/// How the minimum support is given.
enum Support {
    /// As a count of playlists.
    Count(u32),
    /// As a fraction of the playlists, within (0, 1].
    Fraction(f64),
}

/// Why mining produced no model.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum MineError {
    /// The dataset has no playlist.
    #[error("the input has no playlists: nothing to mine")]
    Empty,
    /// The support leaves nothing frequent.
    #[error(
        "no itemset reaches the minimum count {min_count} of {playlists} playlists: lower --min-support or --min-count"
    )]
    NothingFrequent {
        /// The minimum count.
        min_count: u32,
        /// Playlists mined.
        playlists: u32,
    },
    /// A setting is out of range.
    #[error("{0}")]
    BadOption(String),
    /// The engine refused the model (a bug: the miner checks what the engine checks).
    #[error("the engine rejected the mined model: {0}")]
    Build(#[from] engine::BuildError),
}

/// What mining found, for the summary.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MineReport {
    /// Playlists mined.
    pub playlists: u32,
    /// Playlist entries read.
    pub rows: u64,
    /// Distinct tracks.
    pub tracks: usize,
    /// Minimum count used.
    pub min_count: u32,
    /// Frequent itemsets by size (index 0 = size 1).
    pub itemsets_by_len: Vec<usize>,
    /// Rules kept (neighbor rules included).
    pub rules: usize,
    /// Of those, the neighbor rules that FP-growth had not found ([`neighbor_rules`]).
    pub neighbor_rules: usize,
    /// The model's adaptive rule.
    #[serde(serialize_with = "display")]
    pub adaptive: engine::AdaptiveRule,
    /// How it came about.
    pub adaptive_choice: Choice,
    /// Share of tracks that, as a single seed, fire at least one rule.
    pub tracks_with_rule: f64,
    /// Time spent finding frequent itemsets (and, with `--neighbors`, the neighbor pairs).
    #[serde(serialize_with = "secs")]
    pub mine_time: Duration,
    /// Time spent deriving rules and building the model.
    #[serde(serialize_with = "secs")]
    pub rules_time: Duration,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

/// Serializes a value as its `Display` text.
pub(crate) fn display<S: serde::Serializer>(
    v: &impl std::fmt::Display,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// The minimum count for `playlists` playlists: `min_count`, or `ceil(min_support × playlists)`,
/// at least 1.
pub fn min_count_for(options: &MineOptions, playlists: u32) -> Result<u32, MineError> {
    Ok(match options.support()? {
        Support::Count(count) => count.max(1),
        Support::Fraction(fraction) => ((fraction * f64::from(playlists)).ceil() as u32).max(1),
    })
}

/// Every rule X -> y with one consequent from the frequent itemsets of size ≥ 2, kept when
/// `count(X ∪ {y}) / count(X) >= min_confidence`.
///
/// That is a filter on counts, not a score: the rules carry only counts, and the engine's
/// builder derives the confidence and lift it stores (`engine::rule_scores`). The threshold
/// is the engine's own test, `engine::meets_min_confidence` (the exact ratio of counts), the
/// one its validator applies to every rule.
pub fn derive_rules(itemsets: &[Itemset], min_confidence: f64) -> Vec<RuleInput> {
    let counts: FxHashMap<&[u32], u32> = itemsets
        .iter()
        .map(|s| (s.items.as_slice(), s.count))
        .collect();
    let mut rules = Vec::new();
    let mut antecedent = Vec::new();
    for set in itemsets.iter().filter(|s| s.items.len() >= 2) {
        for (i, &y) in set.items.iter().enumerate() {
            antecedent.clear();
            antecedent.extend(
                set.items
                    .iter()
                    .enumerate()
                    .filter(|&(j, _)| j != i)
                    .map(|(_, &t)| t),
            );
            let antecedent_count = counts[antecedent.as_slice()]; // subsets of frequent sets are frequent
            if engine::meets_min_confidence(set.count, antecedent_count, min_confidence) {
                rules.push(RuleInput {
                    antecedent: antecedent.clone(),
                    consequent: y,
                    count: set.count,
                    antecedent_count,
                });
            }
        }
    }
    rules
}

/// Keeps, for every antecedent, its `max_consequents` best rules: highest count (so highest
/// confidence, the antecedent being the same), then the less popular consequent (so higher
/// lift), then the lower consequent id. The kept rules stay in their original order.
///
/// `item_counts[y]` is the number of playlists holding item `y`.
pub fn prune(rules: Vec<RuleInput>, max_consequents: usize, item_counts: &[u32]) -> Vec<RuleInput> {
    let mut order: Vec<usize> = (0..rules.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (ra, rb) = (&rules[a], &rules[b]);
        ra.antecedent
            .cmp(&rb.antecedent)
            .then(rb.count.cmp(&ra.count))
            .then(item_counts[ra.consequent as usize].cmp(&item_counts[rb.consequent as usize]))
            .then(ra.consequent.cmp(&rb.consequent))
    });
    let mut keep = vec![false; rules.len()];
    let mut run = 0;
    for (i, &r) in order.iter().enumerate() {
        if i > 0 && rules[order[i - 1]].antecedent != rules[r].antecedent {
            run = 0;
        }
        if run < max_consequents {
            keep[r] = true;
        }
        run += 1;
    }
    rules
        .into_iter()
        .zip(keep)
        .filter_map(|(rule, k)| k.then_some(rule))
        .collect()
}

/// One-track rules `{a} -> {b}` for each track `a`'s `top` most similar tracks `b`: cosine
/// `co(a, b) / √(n_a n_b)` over every pair of `tx` that shares at least `min_count` playlists
/// and meets `min_confidence` (`co / n_a`, the engine's `meets_min_confidence`, as every rule
/// must); ties in cosine by lower id ([`crate::knn::neighbors`], the computation item-kNN uses).
/// The rules carry their real counts (`co(a, b)`, `n_a`), so their confidence and lift are
/// those of any mined rule of the same itemset. In order of `a`, then cosine.
///
/// With the engine's `cosine` strategy, one-track rules score a candidate by the sum of its
/// cosines to the seeds: item-kNN's score, over these neighbors.
pub fn neighbor_rules(
    tx: &crate::dataset::Transactions,
    tracks: usize,
    top: usize,
    min_count: u32,
    min_confidence: f64,
) -> Vec<RuleInput> {
    let found = crate::knn::neighbors(tx.iter(), tracks, top, |co, n_a| {
        co >= min_count && engine::meets_min_confidence(co, n_a, min_confidence)
    });
    let mut rules = Vec::with_capacity(found.rows.iter().map(Vec::len).sum());
    for (a, row) in found.rows.iter().enumerate() {
        for n in row {
            rules.push(RuleInput {
                antecedent: vec![a as u32],
                consequent: n.track,
                count: n.count,
                antecedent_count: found.counts[a],
            });
        }
    }
    rules
}

/// Appends to `rules` the rules of `neighbors` that are not already there (the same
/// one-track antecedent and consequent: the same itemset, so the same counts); returns how
/// many it appended. `rules` keep their order, the new ones follow in theirs.
pub fn merge_neighbors(rules: &mut Vec<RuleInput>, neighbors: Vec<RuleInput>) -> usize {
    let present: FxHashSet<(u32, u32)> = rules
        .iter()
        .filter(|r| r.antecedent.len() == 1)
        .map(|r| (r.antecedent[0], r.consequent))
        .collect();
    let before = rules.len();
    rules.extend(
        neighbors
            .into_iter()
            .filter(|r| !present.contains(&(r.antecedent[0], r.consequent))),
    );
    rules.len() - before
}

/// What [`mine`] produces.
#[derive(Debug)]
pub struct Mined {
    /// The model, ready to publish.
    pub model: Model,
    /// Figures for the summary.
    pub report: MineReport,
    /// Every frequent itemset (item ids of the dataset), by size then items.
    pub itemsets: Vec<Itemset>,
}

/// One mining run: its settings, and where it reports progress.
///
/// A plain `&MineOptions` converts into a request that counts nowhere.
#[derive(Clone, Copy, Debug)]
pub struct MineRequest<'a> {
    /// The settings.
    pub options: &'a MineOptions,
    /// Counters to advance while finding frequent itemsets (total = frequent items, done =
    /// items mined).
    pub progress: Option<&'a Counters>,
}

impl<'a> From<&'a MineOptions> for MineRequest<'a> {
    fn from(options: &'a MineOptions) -> Self {
        MineRequest {
            options,
            progress: None,
        }
    }
}

/// Mines `dataset` into a model. `created_at` is RFC 3339 UTC.
pub fn mine<'a>(
    dataset: &Dataset,
    request: impl Into<MineRequest<'a>>,
    created_at: String,
) -> Result<Mined, MineError> {
    let MineRequest { options, progress } = request.into();
    options.validate()?;
    let tx = &dataset.transactions;
    let playlists = u32::try_from(tx.len())
        .map_err(|_| MineError::BadOption("more than 2^32 playlists".into()))?;
    if playlists == 0 {
        return Err(MineError::Empty);
    }
    let min_count = min_count_for(options, playlists)?;
    let adaptive = crate::fit::resolve(options.adaptive, dataset, options)?;
    let start = Instant::now();
    let counts = item_counts(tx, dataset.tracks.len());
    let itemsets = frequent_itemsets_counted(
        tx,
        &counts,
        min_count,
        options.max_len,
        progress.unwrap_or(&Counters::default()),
    );
    let neighbors = options.neighbors.map(|top| {
        neighbor_rules(
            tx,
            dataset.tracks.len(),
            top,
            options.neighbor_min_count,
            options.min_confidence,
        )
    });
    let found = Found {
        tracks: &dataset.tracks,
        counts: &counts,
        labels: dataset.labels.clone(),
        playlists,
        rows: dataset.rows,
        min_count,
        itemsets,
        mine_time: start.elapsed(),
    };
    model_with_neighbors(found, neighbors, adaptive, options, created_at)
}

/// Frequent itemsets and what the model needs besides them: what `miner mine` finds with
/// FP-growth and `miner import` reads from Spark's output. Both make their model from it
/// with [`model_from_itemsets`].
#[derive(Debug)]
pub struct Found<'a> {
    /// Tracks by item id.
    pub tracks: &'a [TrackMeta],
    /// Playlists containing each track, by item id.
    pub counts: &'a [u32],
    /// The inputs, as labels for the model's metadata.
    pub labels: Vec<String>,
    /// Playlists mined.
    pub playlists: u32,
    /// Playlist entries read.
    pub rows: u64,
    /// The minimum count the itemsets were mined with.
    pub min_count: u32,
    /// Every itemset of 1..=max_len items (ids ascending) in at least `min_count` playlists.
    pub itemsets: Vec<Itemset>,
    /// Time spent finding them.
    pub mine_time: Duration,
}

/// The rules of `found.itemsets` (confidence from `options`) and the model, with
/// `options.max_len` and the support in effect in its metadata (`options.min_support`, or
/// min count / playlists when a minimum count was given).
/// The adaptive rule must be given: fitting it needs the playlists.
pub fn model_from_itemsets(
    found: Found<'_>,
    options: &MineOptions,
    created_at: String,
) -> Result<Mined, MineError> {
    let rule = given_rule(options)?;
    model_with_neighbors(found, None, (rule, Choice::Given), options, created_at)
}

/// The adaptive rule `options` give, for a model made without the playlists (fitting needs
/// them).
pub fn given_rule(options: &MineOptions) -> Result<engine::AdaptiveRule, MineError> {
    match options.adaptive {
        Adaptive::Given(rule) => Ok(rule),
        Adaptive::Fit => Err(MineError::BadOption(
            "--adaptive fit needs the playlists, which the importer does not read: give a rule \
             (built-in, or FEW/SEEDS/MANY such as sum/25/cosine)"
                .into(),
        )),
    }
}

/// [`model_from_itemsets`], plus `neighbors` ([`neighbor_rules`]) merged after the (pruned)
/// FP-growth rules ([`merge_neighbors`]). With neighbors, the model's `min_count` is the
/// lowest count a rule may have: the smaller of the support's and `neighbor_min_count`.
fn model_with_neighbors(
    found: Found<'_>,
    neighbors: Option<Vec<RuleInput>>,
    (adaptive, adaptive_choice): (engine::AdaptiveRule, Choice),
    options: &MineOptions,
    created_at: String,
) -> Result<Mined, MineError> {
    let Found {
        tracks,
        counts,
        labels,
        playlists,
        rows,
        min_count,
        itemsets,
        mine_time,
    } = found;
    if itemsets.is_empty() {
        return Err(MineError::NothingFrequent {
            min_count,
            playlists,
        });
    }
    let start = Instant::now();
    let mut rules = derive_rules(&itemsets, options.min_confidence);
    if let Some(n) = options.max_consequents {
        rules = prune(rules, n, counts);
    }
    let has_neighbors = neighbors.is_some();
    let added = neighbors.map_or(0, |n| merge_neighbors(&mut rules, n));
    let rule_min_count = if has_neighbors {
        min_count.min(options.neighbor_min_count)
    } else {
        min_count
    };
    let mut by_len = vec![0; options.max_len];
    for s in &itemsets {
        by_len[s.items.len() - 1] += 1;
    }
    let singles: FxHashSet<u32> = rules
        .iter()
        .filter(|r| r.antecedent.len() == 1)
        .map(|r| r.antecedent[0])
        .collect();
    let mut builder = ModelBuilder::new(ModelParams {
        created_at,
        datasets: labels,
        playlists,
        // The support in effect: a minimum count overrides the fraction (which then was not
        // used), and stands for min count / playlists.
        min_support: match (options.min_count, options.min_support) {
            (None, Some(fraction)) => fraction,
            _ => f64::from(min_count) / f64::from(playlists),
        }
        .min(1.0),
        min_count: rule_min_count,
        min_confidence: options.min_confidence,
        max_len: options.max_len as u32,
        miner_version: env!("CARGO_PKG_VERSION").to_owned(),
        adaptive,
    });
    for (meta, &count) in tracks.iter().zip(counts) {
        builder.add_track(TrackInput {
            uri: meta.uri.clone(),
            name: meta.name.clone(),
            artist: meta.artist.clone(),
            album: meta.album.clone(),
            count,
        });
    }
    let n_rules = rules.len();
    for rule in rules {
        builder.add_rule(rule);
    }
    let model = builder.build()?;
    let report = MineReport {
        playlists,
        rows,
        tracks: tracks.len(),
        min_count,
        itemsets_by_len: by_len,
        rules: n_rules,
        neighbor_rules: added,
        adaptive,
        adaptive_choice,
        tracks_with_rule: singles.len() as f64 / tracks.len().max(1) as f64,
        mine_time,
        rules_time: start.elapsed(),
    };
    Ok(Mined {
        model,
        report,
        itemsets,
    })
}

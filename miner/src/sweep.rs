//! `miner sweep`: mines one dataset at several supports and measures what each costs and
//! gives, so that the minimum support is a measured trade-off instead of a guess. The table
//! and chart of the rows are in [`crate::report`].

use std::time::Instant;

use crate::bootstrap::Interval;
use crate::dataset::Dataset;
use crate::evaluate::{EvalOptions, Ranker, Shape, rank_and_score, split};
use crate::mine::{MineError, MineOptions, mine};

/// One support's figures.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepRow {
    /// Minimum support (fraction).
    pub support: f64,
    /// Rules kept per antecedent (`None`: every rule).
    pub max_consequents: Option<usize>,
    /// Minimum count it gives.
    pub min_count: u32,
    /// Mining + rules + model build, in seconds.
    pub seconds: f64,
    /// Peak resident memory while mining at this support, when the platform tells.
    pub peak_rss_bytes: Option<u64>,
    /// Frequent itemsets by size (index 0 = size 1).
    pub itemsets_by_len: Vec<usize>,
    /// Rules kept.
    pub rules: usize,
    /// Blob size in bytes.
    pub model_bytes: usize,
    /// Share of tracks that fire at least one rule as a single seed.
    pub tracks_with_rule: f64,
    /// The model's adaptive rule (`FEW/SEEDS/MANY`; none without a model).
    pub adaptive: Option<String>,
    /// Quality on held-out playlists, when the sweep measured it.
    pub quality: Option<SweepQuality>,
}

/// One support's quality on the held-out playlists: the default strategy over every
/// RecSys 2018 shape (see [`crate::evaluate`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct SweepQuality {
    /// Mean R-precision.
    pub r_precision: f64,
    /// Its 95% bootstrap interval (resampling the held-out playlists).
    pub r_precision_ci: Interval,
    /// Mean NDCG.
    pub ndcg: f64,
    /// Its 95% bootstrap interval.
    pub ndcg_ci: Interval,
    /// Share of test cases with a held-out track in the first 10.
    pub hit_at_10: f64,
    /// Share of test cases with at least one rule-based track.
    pub rule_share: f64,
}

/// What to sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepOptions {
    /// Every mining setting but the support (`min_support` and `min_count` are replaced by
    /// each support in turn).
    pub mine: MineOptions,
    /// The minimum supports to mine at (fractions), in order.
    pub supports: Vec<f64>,
    /// The rules kept per antecedent to try at each support (0: every rule), in order.
    pub max_consequents: Vec<usize>,
    /// Share of the playlists held out (seeded, as `miner evaluate` does) to measure each
    /// support's quality on; every support then mines the rest. 0 measures no quality and
    /// mines every playlist.
    pub test_fraction: f64,
    /// Seed of the held-out split.
    pub seed: u64,
}

impl SweepOptions {
    /// Checks every setting that needs no data, so that a typo fails before any input is
    /// read: each support is within (0, 1], the held-out share within [0, 1), and the mining
    /// settings at each support are valid.
    pub fn validate(&self) -> Result<(), MineError> {
        if let Some(bad) = self.supports.iter().find(|s| !(**s > 0.0 && **s <= 1.0)) {
            return Err(MineError::BadOption(format!(
                "--supports: {bad} is not within (0, 1]"
            )));
        }
        if !(0.0..1.0).contains(&self.test_fraction) {
            return Err(MineError::BadOption(format!(
                "--test-fraction {} is not within [0, 1)",
                self.test_fraction
            )));
        }
        self.settings().iter().try_for_each(MineOptions::validate)
    }

    /// The mining settings at `support`, unpruned.
    fn at(&self, support: f64) -> MineOptions {
        MineOptions {
            min_support: Some(support),
            min_count: None,
            max_consequents: None,
            ..self.mine.clone()
        }
    }

    /// Every setting to mine, in order: each support with each pruning.
    fn settings(&self) -> Vec<MineOptions> {
        let prunes: Vec<Option<usize>> = if self.max_consequents.is_empty() {
            vec![self.mine.max_consequents]
        } else {
            self.max_consequents
                .iter()
                .map(|&n| (n > 0).then_some(n))
                .collect()
        };
        self.supports
            .iter()
            .flat_map(|&support| {
                prunes.iter().map(move |&max_consequents| MineOptions {
                    max_consequents,
                    ..self.at(support)
                })
            })
            .collect()
    }
}

/// Mines `data` at each support. Supports with nothing frequent get a row with zero rules.
/// With a held-out share, time, memory and sizes are those of mining the training part, and
/// each row has the model's quality on the held-out playlists.
pub fn sweep(data: &Dataset, options: &SweepOptions) -> Result<Vec<SweepRow>, MineError> {
    options.validate()?;
    if options.test_fraction == 0.0 {
        return sweep_inner(data, options, |_| None);
    }
    let (train, test) = split(data, options.test_fraction, options.seed);
    let eval = EvalOptions {
        test_fraction: options.test_fraction,
        seed: options.seed,
        mine: options.mine.clone(),
        rankers: vec![Ranker::Engine(engine::Strategy::default())],
        shapes: Shape::CHALLENGE.to_vec(),
        resamples: 200,
        knn_neighbors: 0,
        validation: false,
    };
    sweep_inner(&train, options, |model| {
        let all = rank_and_score(model, None, data, &test, &eval)
            .into_iter()
            .next()
            .expect("the `all` row comes first");
        Some(SweepQuality {
            r_precision: all.r_precision,
            r_precision_ci: all.r_precision_ci,
            ndcg: all.ndcg,
            ndcg_ci: all.ndcg_ci,
            hit_at_10: all.hit_at_10,
            rule_share: all.rule_share,
        })
    })
}

fn sweep_inner(
    data: &Dataset,
    options: &SweepOptions,
    quality: impl Fn(&engine::Model) -> Option<SweepQuality>,
) -> Result<Vec<SweepRow>, MineError> {
    let mut rows = Vec::new();
    for setting in options.settings() {
        let support = setting.min_support.expect("a sweep setting has a support");
        let max_consequents = setting.max_consequents;
        reset_peak_rss();
        let start = Instant::now();
        let row = match mine(data, &setting, "1970-01-01T00:00:00Z".into()) {
            Ok(mined) => SweepRow {
                support,
                max_consequents,
                min_count: mined.report.min_count,
                seconds: start.elapsed().as_secs_f64(),
                peak_rss_bytes: crate::progress::peak_rss(),
                itemsets_by_len: mined.report.itemsets_by_len.clone(),
                rules: mined.report.rules,
                model_bytes: mined.model.blob_len(),
                tracks_with_rule: mined.report.tracks_with_rule,
                adaptive: Some(mined.report.adaptive.to_string()),
                quality: quality(&mined.model),
            },
            Err(MineError::NothingFrequent { min_count, .. }) => SweepRow {
                support,
                max_consequents,
                min_count,
                seconds: start.elapsed().as_secs_f64(),
                peak_rss_bytes: crate::progress::peak_rss(),
                itemsets_by_len: vec![0; options.mine.max_len],
                rules: 0,
                model_bytes: 0,
                tracks_with_rule: 0.0,
                adaptive: None,
                quality: None,
            },
            Err(e) => return Err(e),
        };
        tracing::info!(
            support,
            ?max_consequents,
            rules = row.rules,
            seconds = row.seconds,
            "swept"
        );
        rows.push(row);
    }
    Ok(rows)
}

/// Resets the kernel's peak-RSS mark (Linux), so each support's peak is its own.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

//! Fitting a model's adaptive rule ([`engine::AdaptiveRule`]) on the playlists it is mined
//! from, never on anything else.
//!
//! - The playlists are split by a seeded hash of their position ([`SEED`], a stream of its
//!   own) into a fitting part and a validation part ([`FRACTION`] of them, at most
//!   [`MAX_PLAYLISTS`] ranked).
//! - The fitting part is mined with the model's own settings.
//! - Each validation playlist is ranked in the challenge's shapes with every strategy of
//!   [`CANDIDATES`], by `miner evaluate`'s own ranking and metrics
//!   ([`crate::evaluate::rank_cases`]).
//! - The rule `(few, T, many)`, `T` among the shapes' seed counts ([`THRESHOLDS`]), with the
//!   highest mean NDCG over those cases is the model's. Ties go to
//!   [`AdaptiveRule::BUILT_IN`], then to the first rule in the order `few`, `T`, `many` of
//!   those lists.
//! - With fewer than [`MIN_CASES`] validation cases (counted before anything is mined), or a
//!   fitting part with nothing frequent, the model keeps [`AdaptiveRule::BUILT_IN`] and the
//!   [`Choice`] says why.
//!
//! `miner evaluate` mines its training playlists with the same options, so the rule of the
//! model it scores is fitted on training playlists only. Like mining, fitting is a function
//! of the playlists and the options: the same rule on every run and with any number of
//! threads.

use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use engine::{AdaptiveRule, Strategy};

use crate::dataset::Dataset;
use crate::evaluate::{self, EvalOptions, Ranker, Shape};
use crate::mine::{MineError, MineOptions, mine};

/// Share of the playlists set aside to validate the rule.
pub const FRACTION: f64 = 0.2;
/// Seed of the fitting split (its hash stream is distinct from `evaluate`'s).
pub const SEED: u64 = 0;
/// The most validation playlists ranked: enough for a stable choice, bounded in time.
pub const MAX_PLAYLISTS: usize = 5_000;
/// The fewest validation cases a fit needs; with fewer the model keeps the built-in rule.
pub const MIN_CASES: usize = 1_000;
/// The strategies a fitted rule picks from.
pub const CANDIDATES: [Strategy; 3] = [Strategy::Sum, Strategy::LiftWeighted, Strategy::Cosine];
/// The seed counts a fitted rule may switch at: the challenge's shapes.
pub const THRESHOLDS: [u32; 5] = [1, 5, 10, 25, 100];

/// How a mined model's adaptive rule is chosen (`--adaptive`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Adaptive {
    /// Fitted on a validation part of the playlists mined ([`fit`]): `fit`.
    #[default]
    Fit,
    /// This rule: `built-in` ([`AdaptiveRule::BUILT_IN`]) or `FEW/SEEDS/MANY`.
    Given(AdaptiveRule),
}

impl Adaptive {
    /// [`AdaptiveRule::BUILT_IN`], given.
    pub const BUILT_IN: Adaptive = Adaptive::Given(AdaptiveRule::BUILT_IN);
}

impl FromStr for Adaptive {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fit" => Ok(Adaptive::Fit),
            "built-in" => Ok(Adaptive::Given(AdaptiveRule::BUILT_IN)),
            rule => rule
                .parse()
                .map(Adaptive::Given)
                .map_err(|e| format!("{e}; or `fit` (fitted on the playlists), or `built-in`")),
        }
    }
}

impl fmt::Display for Adaptive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Adaptive::Fit => f.write_str("fit"),
            Adaptive::Given(rule) if *rule == AdaptiveRule::BUILT_IN => f.write_str("built-in"),
            Adaptive::Given(rule) => rule.fmt(f),
        }
    }
}

/// How the model's rule came about, for the summary.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Choice {
    /// Given by `--adaptive` (or by the importer).
    Given,
    /// Fitted ([`fit`]).
    Fitted {
        /// Validation playlists ranked.
        validation_playlists: usize,
        /// Their cases (playlist and shape).
        cases: usize,
        /// The chosen rule's mean validation NDCG.
        ndcg: f64,
        /// The built-in rule's, on the same cases.
        built_in_ndcg: f64,
        /// Seconds spent fitting (mining the fitting part included).
        seconds: f64,
    },
    /// Fitting was asked for, but the playlists give too few validation cases: the built-in
    /// rule.
    TooFew {
        /// Validation cases there were.
        cases: usize,
    },
    /// Fitting was asked for, but the fitting part has nothing frequent at this support: the
    /// built-in rule.
    NothingFrequent,
}

impl fmt::Display for Choice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Choice::Given => f.write_str("given"),
            Choice::Fitted {
                validation_playlists,
                cases,
                ndcg,
                built_in_ndcg,
                seconds,
            } => write!(
                f,
                "fitted on {validation_playlists} validation playlists ({cases} cases): NDCG \
                 {ndcg:.4}, built-in {built_in_ndcg:.4}; {seconds:.1} s"
            ),
            Choice::TooFew { cases } => write!(
                f,
                "built-in: {cases} validation cases, fewer than the {MIN_CASES} a fit needs"
            ),
            Choice::NothingFrequent => f.write_str(
                "built-in: the fitting part of the playlists has nothing frequent at this support",
            ),
        }
    }
}

/// One validation case as the fit sees it: distinct resolved seeds, and the NDCG of each of
/// [`CANDIDATES`].
pub type FitCase = (usize, [f64; CANDIDATES.len()]);

/// The rule `adaptive` stands for on `data` with `options`, and how it came about.
pub fn resolve(
    adaptive: Adaptive,
    data: &Dataset,
    options: &MineOptions,
) -> Result<(AdaptiveRule, Choice), MineError> {
    match adaptive {
        Adaptive::Given(rule) => Ok((rule, Choice::Given)),
        Adaptive::Fit => fit(data, options),
    }
}

/// Fits the rule on `data` (module docs).
pub fn fit(data: &Dataset, options: &MineOptions) -> Result<(AdaptiveRule, Choice), MineError> {
    let start = Instant::now();
    let (fitting, mut validation) = evaluate::split_fit(data, FRACTION, SEED);
    validation.truncate(MAX_PLAYLISTS);
    // Counted before mining (`rank_cases` makes one case per shape a playlist is longer
    // than): a fit that cannot have enough cases costs nothing.
    let possible: usize = validation
        .iter()
        .map(|p| Shape::CHALLENGE.iter().filter(|s| s.fits(p.len())).count())
        .sum();
    if possible < MIN_CASES {
        return Ok((AdaptiveRule::BUILT_IN, Choice::TooFew { cases: possible }));
    }
    tracing::info!(
        fitting = fitting.transactions.len(),
        validation = validation.len(),
        cases = possible,
        "fitting the adaptive rule"
    );
    let options = MineOptions {
        adaptive: Adaptive::BUILT_IN,
        ..options.clone()
    };
    let mined = match mine(&fitting, &options, "1970-01-01T00:00:00Z".into()) {
        Ok(mined) => mined,
        Err(MineError::NothingFrequent { .. } | MineError::Empty) => {
            return Ok((AdaptiveRule::BUILT_IN, Choice::NothingFrequent));
        }
        Err(e) => return Err(e),
    };
    drop(fitting);
    let eval = EvalOptions {
        test_fraction: FRACTION,
        seed: SEED,
        mine: options,
        rankers: CANDIDATES.into_iter().map(Ranker::Engine).collect(),
        shapes: Shape::CHALLENGE.to_vec(),
        resamples: 0,
        knn_neighbors: 1,
        validation: false,
    };
    let cases: Vec<FitCase> = evaluate::rank_cases(&mined.model, None, data, &validation, &eval)
        .iter()
        .map(|case| {
            let mut ndcg = [0.0; CANDIDATES.len()];
            for (out, (metrics, _, _)) in ndcg.iter_mut().zip(&case.results) {
                *out = metrics.ndcg;
            }
            (case.seeds, ndcg)
        })
        .collect();
    let (rule, ndcg) = choose(&cases);
    let choice = Choice::Fitted {
        validation_playlists: validation.len(),
        cases: cases.len(),
        ndcg,
        built_in_ndcg: mean_ndcg(&cases, &AdaptiveRule::BUILT_IN),
        seconds: start.elapsed().as_secs_f64(),
    };
    tracing::info!(%rule, %choice, "fitted the adaptive rule");
    Ok((rule, choice))
}

/// Every rule a fit considers: the built-in one first, then `(few, T, many)` in the order
/// of [`CANDIDATES`], [`THRESHOLDS`], [`CANDIDATES`].
pub fn rules() -> impl Iterator<Item = AdaptiveRule> {
    let fitted = CANDIDATES.into_iter().flat_map(|few| {
        THRESHOLDS.into_iter().flat_map(move |max_few_seeds| {
            CANDIDATES.into_iter().map(move |many| AdaptiveRule {
                few,
                max_few_seeds,
                many,
            })
        })
    });
    std::iter::once(AdaptiveRule::BUILT_IN).chain(fitted)
}

/// The rule of [`rules`] with the highest mean NDCG over `cases` (the first one on a tie),
/// and that mean.
pub fn choose(cases: &[FitCase]) -> (AdaptiveRule, f64) {
    let mut best = (AdaptiveRule::BUILT_IN, f64::NEG_INFINITY);
    for rule in rules() {
        let ndcg = mean_ndcg(cases, &rule);
        if ndcg > best.1 {
            best = (rule, ndcg);
        }
    }
    best
}

/// Mean NDCG over `cases` when each is scored with the strategy `rule` picks for it.
pub fn mean_ndcg(cases: &[FitCase], rule: &AdaptiveRule) -> f64 {
    let column = |s: Strategy| {
        CANDIDATES
            .iter()
            .position(|&c| c == s)
            .expect("a fitted rule picks among the candidates")
    };
    let sum: f64 = cases
        .iter()
        .map(|(seeds, ndcg)| ndcg[column(rule.pick(*seeds))])
        .sum();
    sum / cases.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases with 1..=100 seeds whose NDCG per candidate is `ndcg(seeds)`.
    fn cases(ndcg: impl Fn(usize) -> [f64; 3]) -> Vec<FitCase> {
        (1..=100).map(|s| (s, ndcg(s))).collect()
    }

    #[test]
    fn the_switch_goes_where_the_best_strategy_changes() {
        // sum best up to 5 seeds, cosine best above.
        let c = cases(|s| {
            if s <= 5 {
                [0.5, 0.1, 0.2]
            } else {
                [0.3, 0.1, 0.6]
            }
        });
        let (rule, ndcg) = choose(&c);
        let expected = AdaptiveRule {
            few: Strategy::Sum,
            max_few_seeds: 5,
            many: Strategy::Cosine,
        };
        assert_eq!(rule, expected);
        assert_eq!(ndcg, mean_ndcg(&c, &expected));
        assert!(ndcg > mean_ndcg(&c, &AdaptiveRule::BUILT_IN));
    }

    #[test]
    fn ties_go_to_the_built_in_rule_then_to_the_first() {
        let flat = cases(|_| [0.2, 0.2, 0.2]);
        assert_eq!(choose(&flat).0, AdaptiveRule::BUILT_IN);
        // lift_weighted best everywhere: every T ties, the first (1) wins.
        let lift = cases(|_| [0.1, 0.4, 0.2]);
        assert_eq!(
            choose(&lift).0,
            AdaptiveRule {
                few: Strategy::LiftWeighted,
                max_few_seeds: 1,
                many: Strategy::LiftWeighted,
            }
        );
    }

    #[test]
    fn every_rule_is_considered_once() {
        let all: Vec<AdaptiveRule> = rules().collect();
        assert_eq!(
            all.len(),
            1 + CANDIDATES.len() * THRESHOLDS.len() * CANDIDATES.len()
        );
        assert_eq!(all[0], AdaptiveRule::BUILT_IN);
        assert!(all[1..].contains(&AdaptiveRule::BUILT_IN));
    }

    #[test]
    fn the_setting_reads_what_it_writes() {
        for text in ["fit", "built-in", "lift_weighted/10/cosine"] {
            let adaptive: Adaptive = text.parse().unwrap();
            assert_eq!(adaptive.to_string(), text);
        }
        assert_eq!("sum/25/cosine".parse(), Ok(Adaptive::BUILT_IN));
        let err = "fitted".parse::<Adaptive>().unwrap_err();
        assert!(err.contains("\"fitted\"") && err.contains("`fit`"), "{err}");
    }
}

//! Fitting the adaptive rule: what `mine` stores, and that `evaluate` fits on training
//! playlists only.

use engine::AdaptiveRule;
use miner::dataset::{Dataset, Transactions};
use miner::evaluate::{EvalOptions, Ranker, Shape, evaluate, is_test_playlist};
use miner::fit::{self, Adaptive, Choice};
use miner::mine::{MineOptions, mine};

fn generated(playlists: usize, seed: u64) -> Dataset {
    crate::evaluate::generated(playlists, seed).2
}

fn options(adaptive: Adaptive) -> MineOptions {
    MineOptions {
        min_support: Some(0.01),
        adaptive,
        ..crate::evaluate::options(0.2, 1).mine
    }
}

#[test]
fn mine_stores_the_fitted_rule_and_says_how_it_was_chosen() {
    let data = generated(5_000, 11);
    let mined = mine(
        &data,
        &options(Adaptive::Fit),
        "2026-12-02T00:00:00Z".into(),
    )
    .unwrap();
    let rule = mined.model.metadata().adaptive;
    assert_eq!(mined.report.adaptive, rule);
    let Choice::Fitted {
        validation_playlists,
        cases,
        ndcg,
        built_in_ndcg,
        ..
    } = mined.report.adaptive_choice
    else {
        panic!("not fitted: {:?}", mined.report.adaptive_choice)
    };
    assert!(
        (800..1_200).contains(&validation_playlists),
        "{validation_playlists}"
    );
    assert!(cases >= fit::MIN_CASES, "{cases}");
    assert!(
        ndcg >= built_in_ndcg && ndcg > 0.0,
        "{ndcg} < {built_in_ndcg}"
    );
    // The same rule as a fit of its own: deterministic (and with any number of threads).
    assert_eq!(fit::fit(&data, &options(Adaptive::Fit)).unwrap().0, rule);

    // A given rule is stored as it is, with no fit.
    let given = AdaptiveRule {
        few: engine::Strategy::NoisyOr,
        max_few_seeds: 3,
        many: engine::Strategy::Original,
    };
    let mined = mine(
        &data,
        &options(Adaptive::Given(given)),
        "2026-12-02T00:00:00Z".into(),
    )
    .unwrap();
    assert_eq!(mined.model.metadata().adaptive, given);
    assert_eq!(mined.report.adaptive_choice, Choice::Given);
}

#[test]
fn too_few_playlists_keep_the_built_in_rule() {
    let data = generated(300, 12);
    let options = MineOptions {
        min_support: Some(0.05),
        ..options(Adaptive::Fit)
    };
    let mined = mine(&data, &options, "2026-12-02T00:00:00Z".into()).unwrap();
    assert_eq!(mined.model.metadata().adaptive, AdaptiveRule::BUILT_IN);
    assert!(
        matches!(mined.report.adaptive_choice, Choice::TooFew { cases } if cases < fit::MIN_CASES),
        "{:?}",
        mined.report.adaptive_choice
    );
}

#[test]
fn a_fitting_part_with_nothing_frequent_keeps_the_built_in_rule() {
    let data = generated(2_000, 14);
    // Only the most popular track is frequent in all the playlists; in four fifths of them,
    // nothing is.
    let mut counts = vec![0u32; data.tracks.len()];
    for playlist in data.transactions.iter() {
        for &t in playlist {
            counts[t as usize] += 1;
        }
    }
    let options = MineOptions {
        min_count: counts.iter().max().copied(),
        ..options(Adaptive::Fit)
    };
    let mined = mine(&data, &options, "2026-12-02T00:00:00Z".into()).unwrap();
    assert_eq!(mined.model.metadata().adaptive, AdaptiveRule::BUILT_IN);
    assert_eq!(mined.report.adaptive_choice, Choice::NothingFrequent);
    assert!(
        mined
            .report
            .adaptive_choice
            .to_string()
            .contains("nothing frequent"),
        "{}",
        mined.report.adaptive_choice
    );
}

/// `data` with every test playlist of (`fraction`, `seed`) replaced by other tracks.
fn other_test_playlists(data: &Dataset, fraction: f64, seed: u64) -> Dataset {
    let n = data.tracks.len() as u32;
    let mut transactions = Transactions::new();
    for (i, playlist) in data.transactions.iter().enumerate() {
        if is_test_playlist(i, fraction, seed) {
            let mut moved: Vec<u32> = playlist.iter().map(|&t| (t * 7 + 3) % n).collect();
            moved.sort_unstable();
            moved.dedup();
            transactions.push(&moved);
        } else {
            transactions.push(playlist);
        }
    }
    Dataset {
        transactions,
        ..data.clone()
    }
}

#[test]
fn evaluate_fits_on_the_training_playlists_only() {
    let data = generated(6_000, 13);
    let eval = EvalOptions {
        test_fraction: 0.2,
        seed: 5,
        mine: options(Adaptive::Fit),
        rankers: vec![EvalOptions::default_ranker()],
        shapes: Shape::CHALLENGE.to_vec(),
        resamples: 0,
        knn_neighbors: 1,
        validation: false,
    };
    let changed = other_test_playlists(&data, 0.2, 5);
    let (a, b) = (
        evaluate(&data, &eval).unwrap(),
        evaluate(&changed, &eval).unwrap(),
    );
    assert!(matches!(a.adaptive_choice, Choice::Fitted { .. }));
    // The test playlists changed the figures, not the rule nor anything of its fit.
    assert_ne!(a.results, b.results);
    assert_eq!(a.adaptive, b.adaptive);
    let untimed = |c: &Choice| {
        let mut c = c.clone();
        if let Choice::Fitted { seconds, .. } = &mut c {
            *seconds = 0.0;
        }
        c
    };
    assert_eq!(untimed(&a.adaptive_choice), untimed(&b.adaptive_choice));
    // And the rule is the one fitted on the training playlists alone.
    let (train, _) = miner::evaluate::split(&data, 0.2, 5);
    let (rule, _) = fit::fit(&train, &options(Adaptive::Fit)).unwrap();
    assert_eq!(a.adaptive, rule);
    assert_eq!(
        EvalOptions::default_ranker(),
        Ranker::Engine(engine::Strategy::Adaptive)
    );
}

//! `miner evaluate`: the split, the whole evaluation on generated playlists, the command, and
//! the sweep's quality columns.

use std::process::Command;

use miner::dataset::{Dataset, Format, ReadOptions, read};
use miner::evaluate::{EvalOptions, Ranker, Shape, evaluate, split};
use miner::mine::MineOptions;
use miner::report::Report;
use miner::sweep::SweepOptions;
use miner::synth::{SynthOptions, write};

use crate::text;

pub(crate) fn generated(
    playlists: usize,
    seed: u64,
) -> (tempfile::TempDir, std::path::PathBuf, Dataset) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("s.dat");
    write(&SynthOptions { playlists, seed }, Format::Baskets, &path).expect("writes");
    let data = read(
        std::slice::from_ref(&path),
        ReadOptions {
            format: Format::Baskets,
            skip_invalid: false,
        },
    )
    .expect("reads");
    (dir, path, data)
}

pub(crate) fn options(test_fraction: f64, seed: u64) -> EvalOptions {
    EvalOptions {
        test_fraction,
        seed,
        mine: MineOptions {
            min_support: Some(0.004),
            min_count: None,
            max_len: 3,
            min_confidence: 0.05,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
            adaptive: miner::fit::Adaptive::BUILT_IN,
        },
        rankers: Ranker::all(),
        shapes: Shape::CHALLENGE.to_vec(),
        resamples: 100,
        knn_neighbors: 50,
        validation: false,
    }
}

#[test]
fn the_split_is_seeded_disjoint_and_complete() {
    let (_dir, _path, data) = generated(2_000, 4);
    let (train, test) = split(&data, 0.25, 7);
    assert_eq!(train.transactions.len() + test.len(), 2_000);
    assert!(
        (400..600).contains(&test.len()),
        "about a quarter: {}",
        test.len()
    );
    // Train keeps only its own tracks, each playlist the same set of URIs as in the input.
    let uris = |d: &Dataset, p: &[u32]| -> Vec<String> {
        let mut v: Vec<String> = p
            .iter()
            .map(|&t| d.tracks[t as usize].uri.clone())
            .collect();
        v.sort();
        v
    };
    let all: Vec<Vec<String>> = data.transactions.iter().map(|p| uris(&data, p)).collect();
    let mut rebuilt: Vec<Vec<String>> =
        train.transactions.iter().map(|p| uris(&train, p)).collect();
    rebuilt.extend(test.iter().map(|p| uris(&data, p)));
    let (mut a, mut b) = (all.clone(), rebuilt);
    a.sort();
    b.sort();
    assert_eq!(a, b, "train and test partition the playlists");
    let used: std::collections::BTreeSet<u32> = train.transactions.items.iter().copied().collect();
    assert_eq!(
        used.len(),
        train.tracks.len(),
        "no track without a playlist"
    );
    // Same seed, same split; another seed, another one.
    assert_eq!(split(&data, 0.25, 7).1, test);
    assert_ne!(split(&data, 0.25, 8).1, test);
}

/// `--validation` evaluates on the training playlists only: the fitting and validation parts
/// together are exactly the training playlists of the plain split, and the train split keeps
/// each playlist's reading order.
#[test]
fn validation_never_reads_a_test_playlist() {
    let (_dir, _path, mut data) = generated(3_000, 6);
    // A reading order that differs from the sorted sets, to see it carried through the split.
    let mut order = miner::dataset::Transactions::new();
    for p in data.transactions.iter() {
        let mut reversed = p.to_vec();
        reversed.reverse();
        order.push(&reversed);
    }
    data.order = Some(order);
    let (train, test) = split(&data, 0.2, 9);
    let train_order = train.order.as_ref().expect("train keeps the reading order");
    // Back to the input's ids through the URIs: each training playlist reads in descending
    // input id order, as the reversed order above says.
    let old_id: std::collections::HashMap<&str, u32> = data
        .tracks
        .iter()
        .enumerate()
        .map(|(i, t)| (t.uri.as_str(), i as u32))
        .collect();
    for (i, p) in train.transactions.iter().enumerate() {
        let read: Vec<u32> = train_order
            .get(i)
            .iter()
            .map(|&t| old_id[train.tracks[t as usize].uri.as_str()])
            .collect();
        assert!(
            read.windows(2).all(|w| w[0] > w[1]),
            "playlist {i}: {read:?}"
        );
        let mut set = train_order.get(i).to_vec();
        set.sort_unstable();
        assert_eq!(set, p, "playlist {i}: the same tracks");
    }
    let plain = evaluate(&data, &options(0.2, 9)).expect("evaluates");
    let validation = evaluate(
        &data,
        &EvalOptions {
            validation: true,
            ..options(0.2, 9)
        },
    )
    .expect("evaluates");
    assert!(validation.validation && !plain.validation);
    assert_eq!(validation.playlists, train.transactions.len());
    assert_eq!(plain.test_playlists, test.len());
    assert_eq!(
        validation.train_playlists + validation.test_playlists,
        plain.train_playlists
    );
    assert!(validation.test_playlists > 0 && validation.train_playlists > 0);
    assert!(validation.markdown().starts_with("**Validation run**"));
}

#[test]
fn rules_beat_popularity_on_generated_playlists() {
    let (_dir, _path, data) = generated(4_000, 3);
    let options = options(0.2, 1);
    let e = evaluate(&data, &options).expect("evaluates");
    assert!(e.rules > 100, "a model with rules ({})", e.rules);
    assert_eq!(e.train_playlists + e.test_playlists, 4_000);
    let shapes = 1 + Shape::CHALLENGE.len();
    assert_eq!(e.results.len(), Ranker::all().len() * shapes);
    let row = |ranker: &str, shape: &str| {
        e.results
            .iter()
            .find(|r| r.ranker == ranker && r.shape == shape)
            .unwrap_or_else(|| panic!("{ranker} {shape}"))
    };
    // Every test playlist has at least 5 tracks, so all of them take part in "first 1".
    assert_eq!(row("popular", "first 1").cases, e.test_playlists);
    let per_shape: usize = Shape::CHALLENGE
        .iter()
        .map(|s| row("popular", &s.label()).cases)
        .sum();
    assert_eq!(row("popular", "all").cases, per_shape);
    assert!(row("popular", "first 100").cases < row("popular", "first 25").cases);
    assert_eq!(row("popular", "all").rule_share, 0.0);
    for ranker in [
        "original",
        "best_confidence",
        "sum",
        "noisy_or",
        "lift_weighted",
        "cosine",
        "adaptive",
    ] {
        let (r, p) = (row(ranker, "all"), row("popular", "all"));
        assert!(
            r.rule_share > 0.3,
            "{ranker}: rules fire ({})",
            r.rule_share
        );
        assert!(
            r.ndcg > p.ndcg * 1.2,
            "{ranker}: NDCG {} vs {}",
            r.ndcg,
            p.ndcg
        );
        assert!(r.hit_at_10 > p.hit_at_10 * 1.5, "{ranker}: hit@10");
        assert!(r.r_precision > p.r_precision, "{ranker}: R-precision");
        assert!(r.clicks < p.clicks, "{ranker}: clicks");
        assert!(r.coverage > p.coverage, "{ranker}: coverage");
        for m in [r.r_precision, r.ndcg, r.hit_at_10, r.coverage, r.rule_share] {
            assert!((0.0..=1.0).contains(&m));
        }
    }
    // Item-kNN ranks from neighbors in every case, and beats popularity.
    let (k, p) = (row("item_knn", "all"), row("popular", "all"));
    assert!(
        k.rule_share > 0.9 && k.ndcg > p.ndcg * 1.2,
        "item-kNN {k:?}"
    );
    // Intervals hold their means; the default has no difference row, the others have one
    // whose mean is the difference of the means (same cases).
    let default = row("adaptive", "first 5");
    assert!(default.vs_default.is_none());
    for r in e.results.iter() {
        assert!(r.r_precision_ci.contains(r.r_precision), "{r:?}");
        assert!(
            r.ndcg_ci.contains(r.ndcg) && r.clicks_ci.contains(r.clicks),
            "{r:?}"
        );
        if r.ranker == "adaptive" {
            continue;
        }
        let base = row("adaptive", &r.shape);
        let vs = r.vs_default.expect("a difference against the default");
        assert!((vs.ndcg.mean - (r.ndcg - base.ndcg)).abs() < 1e-9);
        assert!((vs.r_precision.mean - (r.r_precision - base.r_precision)).abs() < 1e-9);
        assert!(vs.ndcg.interval.contains(vs.ndcg.mean));
    }
    // Popularity is far below the default: a real difference.
    assert!(row("popular", "all").vs_default.expect("diff").ndcg.real());
    assert!(
        row("popular", "all")
            .vs_default
            .expect("diff")
            .ndcg
            .interval
            .high
            < 0.0
    );
    // Deterministic: the same figures again (all but the timings).
    let again = evaluate(&data, &options).expect("evaluates");
    assert_eq!(again.results, e.results);
    let table = e.markdown();
    assert!(table.contains("### random 100") && table.contains("| lift_weighted |"));
    assert!(
        table.contains("| item_knn |") && table.contains("**"),
        "{table}"
    );
}

#[test]
fn the_command_writes_table_json_and_chart() {
    let (dir, path, _) = generated(3_000, 2);
    let report = dir.path().join("report");
    let o = Command::new(env!("CARGO_BIN_EXE_miner"))
        .args(["evaluate", "--input", path.to_str().expect("utf-8")])
        .args(["--min-support", "0.005", "--test-fraction", "0.3"])
        .args(["--resamples", "100", "--knn-neighbors", "50"])
        .arg("--report")
        .arg(&report)
        .output()
        .expect("runs");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("| noisy_or |"), "{}", text(&o));
    let md = std::fs::read_to_string(report.join("evaluate.md")).expect("reads");
    assert!(md.contains("### first 5"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(report.join("evaluate.json")).expect("reads"),
    )
    .expect("json");
    assert_eq!(json["test_fraction"], 0.3);
    assert_eq!(
        json["results"].as_array().expect("rows").len(),
        Ranker::all().len() * (1 + Shape::CHALLENGE.len())
    );
    let svg = std::fs::read_to_string(report.join("evaluate.svg")).expect("reads");
    assert!(svg.starts_with("<svg") && svg.contains("NDCG by seed shape"));
    for bad in ["0", "1", "1.5"] {
        let o = Command::new(env!("CARGO_BIN_EXE_miner"))
            .args(["evaluate", "--input", path.to_str().expect("utf-8")])
            .args(["--test-fraction", bad])
            .arg("--report")
            .arg(&report)
            .output()
            .expect("runs");
        assert!(
            !o.status.success() && text(&o).contains("must be within (0, 1)"),
            "{bad}: {}",
            text(&o)
        );
    }
}

#[test]
fn the_sweep_measures_quality_per_support() {
    let (_dir, _path, data) = generated(4_000, 9);
    let options = SweepOptions {
        mine: MineOptions {
            min_support: None,
            min_count: None,
            max_len: 3,
            min_confidence: 0.05,
            max_consequents: None,
            neighbors: None,
            neighbor_min_count: miner::mine::NEIGHBOR_MIN_COUNT,
            adaptive: miner::fit::Adaptive::BUILT_IN,
        },
        supports: vec![0.2, 0.01, 0.004],
        max_consequents: vec![],
        test_fraction: 0.2,
        seed: 1,
    };
    let rows = miner::sweep::sweep(&data, &options).expect("sweeps");
    assert_eq!(rows[0].quality, None, "nothing frequent at 20%");
    let q: Vec<_> = rows[1..]
        .iter()
        .map(|r| r.quality.clone().expect("measured"))
        .collect();
    assert!(
        q[1].hit_at_10 >= q[0].hit_at_10 && q[1].rule_share > q[0].rule_share,
        "a lower support answers more with rules: {q:?}"
    );
    let table = rows.markdown();
    assert!(
        table
            .lines()
            .next()
            .expect("header")
            .ends_with("| R-precision [95% CI] | NDCG [95% CI] | hit@10 | rule-based |")
    );
    assert!(
        table
            .lines()
            .nth(2)
            .expect("row")
            .ends_with("| n/a | n/a | n/a | n/a |")
    );
}

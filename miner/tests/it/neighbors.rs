//! Neighbor rules (`mine --neighbors`): against a brute-force count of every pair, merged with
//! the FP-growth rules without duplicates, and a model holding them decoded and ranked.

use std::collections::BTreeSet;

use engine::{Options, RuleInput, Source, Strategy, recommend};
use miner::dataset::{Dataset, TrackMeta, Transactions};
use miner::knn::ItemKnn;
use miner::mine::{MineOptions, derive_rules, merge_neighbors, mine, neighbor_rules};

use crate::fpgrowth::brute_force;

/// Random playlists over `tracks` tracks with a skewed popularity (many ties in counts).
fn random_tx(seed: u64, playlists: usize, tracks: u32) -> Transactions {
    let mut tx = Transactions::new();
    for p in testkit::random_sets(seed, playlists, tracks, 9, 1.5) {
        tx.push(&p);
    }
    tx
}

/// The oracle: every ordered pair counted by scanning every playlist, filtered by count and
/// confidence (exact fractions), the `top` best per antecedent by cosine compared exactly
/// (co₁² n₂ against co₂² n₁, the antecedent's count being the same), ties by lower id.
fn oracle(
    tx: &Transactions,
    tracks: u32,
    top: usize,
    min_count: u32,
    conf: (u64, u64),
) -> Vec<(u32, u32, u32, u32)> {
    let n: Vec<u32> = (0..tracks)
        .map(|t| tx.iter().filter(|p| p.contains(&t)).count() as u32)
        .collect();
    let mut out = Vec::new();
    for a in 0..tracks {
        let mut row: Vec<(u32, u32)> = (0..tracks)
            .filter(|&b| b != a)
            .map(|b| {
                let co = tx
                    .iter()
                    .filter(|p| p.contains(&a) && p.contains(&b))
                    .count() as u32;
                (b, co)
            })
            // co / n_a >= num / den, in integers.
            .filter(|&(_, co)| {
                co > 0
                    && co >= min_count
                    && u64::from(co) * conf.1 >= conf.0 * u64::from(n[a as usize])
            })
            .collect();
        row.sort_by(|&(b1, c1), &(b2, c2)| {
            let lhs = u64::from(c1) * u64::from(c1) * u64::from(n[b2 as usize]);
            let rhs = u64::from(c2) * u64::from(c2) * u64::from(n[b1 as usize]);
            rhs.cmp(&lhs).then(b1.cmp(&b2))
        });
        row.truncate(top);
        out.extend(row.into_iter().map(|(b, co)| (a, b, co, n[a as usize])));
    }
    out
}

/// Asserts `got == want`, showing the first difference only.
fn same<T: PartialEq + std::fmt::Debug>(got: &[T], want: &[T], what: &str) {
    if let Some(i) = (0..got.len().max(want.len())).find(|&i| got.get(i) != want.get(i)) {
        panic!(
            "{what}: first difference at {i}: got {:?}, want {:?} ({} vs {} in all)",
            &got[i.min(got.len())..got.len().min(i + 3)],
            &want[i.min(want.len())..want.len().min(i + 3)],
            got.len(),
            want.len()
        );
    }
}

fn flat(rules: &[RuleInput]) -> Vec<(u32, u32, u32, u32)> {
    rules
        .iter()
        .map(|r| {
            assert_eq!(
                r.antecedent.len(),
                1,
                "a neighbor rule has one track: {r:?}"
            );
            (r.antecedent[0], r.consequent, r.count, r.antecedent_count)
        })
        .collect()
}

#[test]
fn neighbor_rules_are_the_brute_force_top_n() {
    for seed in 0..12 {
        let tracks = 25;
        let tx = random_tx(seed, 80, tracks);
        // (top, min count, min confidence as a fraction)
        for (top, min_count, conf) in [
            (100, 1, (0, 1)),
            (3, 1, (0, 1)),
            (5, 2, (0, 1)),
            (4, 2, (1, 5)),
            (1, 3, (1, 10)),
        ] {
            let got = flat(&neighbor_rules(
                &tx,
                tracks as usize,
                top,
                min_count,
                conf.0 as f64 / conf.1 as f64,
            ));
            let want = oracle(&tx, tracks, top, min_count, conf);
            same(
                &got,
                &want,
                &format!("seed {seed}, top {top}, min count {min_count}, conf {conf:?}"),
            );
        }
    }
}

#[test]
fn the_oracle_sees_what_a_hand_count_sees() {
    // 0 with 1 in three playlists, 0 with 2 in one; 0 is in four, 1 in three, 2 in two.
    let mut tx = Transactions::new();
    for p in [&[0, 1][..], &[0, 1], &[0, 1, 2], &[2]] {
        tx.push(p);
    }
    let rules = flat(&neighbor_rules(&tx, 3, 10, 1, 0.0));
    // cos(0,1) = 3/√(3·3) = 1; cos(0,2) = 1/√(3·2); cos(1,2) = 1/√(3·2).
    assert_eq!(
        rules,
        [
            (0, 1, 3, 3),
            (0, 2, 1, 3),
            (1, 0, 3, 3),
            (1, 2, 1, 3),
            (2, 0, 1, 2),
            (2, 1, 1, 2)
        ]
    );
    assert_eq!(rules, oracle(&tx, 3, 10, 1, (0, 1)));
    // A minimum count of 2 keeps only the pair seen three times.
    assert_eq!(
        flat(&neighbor_rules(&tx, 3, 10, 2, 0.0)),
        [(0, 1, 3, 3), (1, 0, 3, 3)]
    );
}

/// A dataset of `tx` over tracks named `t0`, `t1`, ...
pub(crate) fn dataset(tx: Transactions, tracks: u32) -> Dataset {
    let rows = tx.items.len() as u64;
    Dataset {
        labels: vec!["generated".into()],
        tracks: (0..tracks)
            .map(|t| TrackMeta {
                uri: format!("t{t}"),
                name: format!("song {t}"),
                artist: "a".into(),
                album: "b".into(),
            })
            .collect(),
        transactions: tx,
        order: None,
        rows,
        skipped: 0,
        skip_reasons: Vec::new(),
    }
}

fn options(
    neighbors: Option<usize>,
    min_count: u32,
    max_consequents: Option<usize>,
) -> MineOptions {
    MineOptions {
        min_support: None,
        min_count: Some(min_count),
        max_len: 3,
        min_confidence: 0.05,
        max_consequents,
        neighbors,
        neighbor_min_count: 2,
        adaptive: miner::fit::Adaptive::BUILT_IN,
    }
}

/// The model's rules as (antecedent URIs sorted, consequent URI, count, antecedent count).
fn model_rules(model: &engine::Model) -> Vec<(Vec<String>, String, u32, u32)> {
    model
        .rules()
        .map(|r| {
            let mut antecedent: Vec<String> = r
                .antecedent
                .iter()
                .map(|t| model.track(t).uri.to_owned())
                .collect();
            antecedent.sort();
            (
                antecedent,
                model.track(r.consequent).uri.to_owned(),
                r.count,
                r.antecedent_count,
            )
        })
        .collect()
}

#[test]
fn the_model_holds_the_fp_growth_rules_and_the_new_neighbor_rules_once() {
    let tracks = 40;
    for seed in 0..6 {
        let tx = random_tx(100 + seed, 300, tracks);
        let uri = |t: u32| format!("t{t}");
        for max_consequents in [None, Some(2)] {
            // FP-growth at min count 6, by brute force, pruned as mine prunes.
            let item_counts: Vec<u32> = (0..tracks)
                .map(|t| tx.iter().filter(|p| p.contains(&t)).count() as u32)
                .collect();
            let mut fp = derive_rules(&brute_force(&tx, 6, 3), 0.05);
            if let Some(n) = max_consequents {
                fp = miner::mine::prune(fp, n, &item_counts);
            }
            let neighbors = oracle(&tx, tracks, 5, 2, (1, 20));
            let key = |a: &[u32], y: u32| {
                let mut a: Vec<String> = a.iter().map(|&t| uri(t)).collect();
                a.sort();
                (a, uri(y))
            };
            let mut want: BTreeSet<(Vec<String>, String, u32, u32)> = BTreeSet::new();
            for r in &fp {
                let (a, y) = key(&r.antecedent, r.consequent);
                want.insert((a, y, r.count, r.antecedent_count));
            }
            let fp_only = want.len();
            for &(a, b, co, na) in &neighbors {
                let (a, y) = key(&[a], b);
                want.insert((a, y, co, na));
            }
            assert!(
                want.len() > fp_only,
                "seed {seed}: neighbors add rules below the support"
            );
            assert!(
                want.len() < fp_only + neighbors.len(),
                "seed {seed}: and overlap the mined ones"
            );

            let data = dataset(tx.clone(), tracks);
            let mined = mine(
                &data,
                &options(Some(5), 6, max_consequents),
                "2026-01-01T00:00:00Z".into(),
            )
            .expect("mines");
            let got = model_rules(&mined.model);
            let got_set: BTreeSet<_> = got.iter().cloned().collect();
            assert_eq!(got.len(), got_set.len(), "seed {seed}: no rule twice");
            same(
                &got_set.iter().collect::<Vec<_>>(),
                &want.iter().collect::<Vec<_>>(),
                &format!("seed {seed}, max_consequents {max_consequents:?}"),
            );
            assert_eq!(mined.report.rules, got.len());
            assert_eq!(mined.report.neighbor_rules, want.len() - fp_only);
            // The lowest count a rule may have is recorded, so the validator accepts them.
            assert_eq!(mined.model.metadata().min_count, 2);
            let without = mine(
                &data,
                &options(None, 6, max_consequents),
                "2026-01-01T00:00:00Z".into(),
            )
            .expect("mines");
            assert_eq!(without.model.metadata().min_count, 6);
            assert_eq!(without.model.rule_count(), fp_only);
        }
    }
}

#[test]
fn merging_drops_only_the_rules_already_there() {
    let rule = |a: Vec<u32>, y: u32, count: u32| RuleInput {
        antecedent: a,
        consequent: y,
        count,
        antecedent_count: 9,
    };
    let mut rules = vec![
        rule(vec![0], 1, 5),
        rule(vec![0, 2], 1, 3),
        rule(vec![2], 0, 4),
    ];
    let added = merge_neighbors(
        &mut rules,
        vec![
            rule(vec![0], 1, 5),
            rule(vec![0], 2, 2),
            rule(vec![2], 1, 2),
            rule(vec![2], 0, 4),
        ],
    );
    assert_eq!(added, 2);
    let shown: Vec<(Vec<u32>, u32)> = rules
        .iter()
        .map(|r| (r.antecedent.clone(), r.consequent))
        .collect();
    assert_eq!(
        shown,
        [
            (vec![0], 1),
            (vec![0, 2], 1),
            (vec![2], 0),
            (vec![0], 2),
            (vec![2], 1)
        ]
    );
}

/// A blob with neighbor rules decodes, and the cosine strategy on one seed ranks its
/// neighbors as item-kNN does: the same tracks, with item-kNN's cosine as the score.
#[test]
fn a_blob_with_neighbor_rules_decodes_and_ranks_like_item_knn() {
    let tracks = 60;
    let tx = random_tx(7, 400, tracks);
    let data = dataset(tx.clone(), tracks);
    // Every neighbor (so that no tie is cut differently: the miner breaks ties by item id,
    // item-kNN below by popularity rank), every pair.
    let mut opts = options(Some(1_000), 1, None);
    opts.min_confidence = 0.0;
    opts.neighbor_min_count = 1;
    // A support only single tracks reach (the most popular one's count): no FP-growth rule.
    let n = |t: u32| tx.iter().filter(|p| p.contains(&t)).count() as u32;
    opts.min_count = Some((0..tracks).map(n).max().expect("tracks"));
    let mined = mine(&data, &opts, "2026-01-01T00:00:00Z".into()).expect("mines");
    assert_eq!(
        mined.report.rules, mined.report.neighbor_rules,
        "neighbor rules only"
    );
    let blob = mined.model.to_blob();
    let model = engine::Model::from_blob(&blob).expect("decodes and validates");
    assert_eq!(model_rules(&model), model_rules(&mined.model));
    // Item-kNN over the same playlists, with the model's ids (popularity ranks).
    let to_model: Vec<u32> = (0..tracks)
        .map(|t| model.track_by_uri(&format!("t{t}")).expect("known").0)
        .collect();
    let mut mapped = Transactions::new();
    for p in tx.iter() {
        let mut q: Vec<u32> = p.iter().map(|&t| to_model[t as usize]).collect();
        q.sort_unstable();
        mapped.push(&q);
    }
    let knn = ItemKnn::build(mapped.iter(), tracks as usize, 1_000);
    let mut compared = 0;
    for seed in 0..tracks {
        let id = to_model[seed as usize];
        let answer = recommend(
            &model,
            &[format!("t{seed}")],
            &Options {
                k: tracks as usize,
                strategy: Strategy::Cosine,
            },
        );
        let ranked: Vec<(u32, f32)> = answer
            .tracks
            .iter()
            .filter(|t| t.source == Source::Rule)
            .map(|t| (t.id.0, t.score))
            .collect();
        let want: Vec<(u32, f64)> = knn.row(id).collect();
        let got_ids: BTreeSet<u32> = ranked.iter().map(|r| r.0).collect();
        let want_ids: BTreeSet<u32> = want.iter().map(|r| r.0).collect();
        assert_eq!(got_ids, want_ids, "seed t{seed}");
        for &(t, score) in &ranked {
            let cos = want.iter().find(|w| w.0 == t).expect("a neighbor").1;
            assert!(
                (f64::from(score) - cos).abs() < 1e-5,
                "seed t{seed}, track {t}: {score} vs {cos}"
            );
        }
        assert!(ranked.windows(2).all(|w| w[0].1 >= w[1].1), "best first");
        compared += usize::from(!ranked.is_empty());
    }
    assert!(
        compared > tracks as usize / 2,
        "most tracks have neighbors: {compared}"
    );
}

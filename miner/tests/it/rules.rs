//! Rules: a hand-checked fixture and the definition applied to brute-force counts.

use miner::dataset::Transactions;
use miner::fpgrowth::{Itemset, frequent_itemsets};
use miner::mine::derive_rules;

use crate::fpgrowth::brute_force;

/// Han et al.'s textbook transactions, items a..e as 0..4.
fn textbook() -> Transactions {
    let mut tx = Transactions::new();
    for row in [
        &[0, 1][..],
        &[1, 2, 3],
        &[0, 2, 3, 4],
        &[0, 3, 4],
        &[0, 1, 2],
        &[0, 1, 2, 3],
        &[0],
        &[0, 1, 2],
        &[0, 1, 3],
        &[1, 2, 4],
    ] {
        tx.push(row);
    }
    tx
}

#[test]
fn hand_checked_itemsets() {
    let sets = frequent_itemsets(&textbook(), 5, 3, 3);
    let show: Vec<String> = sets
        .iter()
        .map(|s| format!("{:?}:{}", s.items, s.count))
        .collect();
    // Checked by hand: ae, be, ce, de (2, 1, 2, 2), abd, acd and bcd (2 each) fall short of 3.
    assert_eq!(
        show.join(" "),
        "[0]:8 [1]:7 [2]:6 [3]:5 [4]:3 [0, 1]:5 [0, 2]:4 [0, 3]:4 [1, 2]:5 [1, 3]:3 [2, 3]:3 [0, 1, 2]:3"
    );
}

#[test]
fn hand_checked_rules() {
    let sets = frequent_itemsets(&textbook(), 5, 3, 3);
    let mut rules: Vec<String> = derive_rules(&sets, 0.6)
        .iter()
        .map(|r| {
            format!(
                "{:?}->{} {}/{}",
                r.antecedent, r.consequent, r.count, r.antecedent_count
            )
        })
        .collect();
    rules.sort();
    // Counts: a 8, b 7, c 6, d 5; ab 5, ac 4, ad 4, bc 5, bd 3, cd 3; abc 3 (bcd is 2).
    // Kept at confidence >= 0.6: a->b 5/8, b->a 5/7, b->c 5/7, c->b 5/6, c->a 4/6, d->a 4/5,
    // d->b 3/5, d->c 3/5, ac->b 3/4, bc->a 3/5, ab->c 3/5; dropped: a->c 4/8, a->d 4/8,
    // b->d 3/7, c->d 3/6.
    let expected = [
        "[0, 1]->2 3/5",
        "[0, 2]->1 3/4",
        "[0]->1 5/8",
        "[1, 2]->0 3/5",
        "[1]->0 5/7",
        "[1]->2 5/7",
        "[2]->0 4/6",
        "[2]->1 5/6",
        "[3]->0 4/5",
        "[3]->1 3/5",
        "[3]->2 3/5",
    ];
    assert_eq!(rules, expected);
}

#[test]
fn rules_follow_the_definition_on_brute_force_counts() {
    let tx = textbook();
    for (min_count, max_len, min_conf) in [(1, 4, 0.0), (2, 3, 0.3), (3, 3, 0.75)] {
        let truth = brute_force(&tx, min_count, max_len);
        let count = |items: &[u32]| truth.iter().find(|s| s.items == items).map(|s| s.count);
        let mut expected = Vec::new();
        for set in truth.iter().filter(|s| s.items.len() >= 2) {
            for &y in &set.items {
                let x: Vec<u32> = set.items.iter().copied().filter(|&t| t != y).collect();
                let cx = count(&x).expect("subsets of frequent sets are frequent");
                if f64::from(set.count) / f64::from(cx) >= min_conf {
                    expected.push((x, y, set.count, cx));
                }
            }
        }
        let mut got: Vec<_> =
            derive_rules(&frequent_itemsets(&tx, 5, min_count, max_len), min_conf)
                .into_iter()
                .map(|r| (r.antecedent, r.consequent, r.count, r.antecedent_count))
                .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected);
    }
}

/// The threshold is tested on the exact ratio in `f64`, as the engine's validator tests it,
/// and not on the `f32` confidence the engine stores (`engine::rule_scores`), which rounds
/// across common thresholds in both directions.
#[test]
fn the_confidence_threshold_is_tested_on_the_ratio_in_f64() {
    let itemsets = |x: u32, xy: u32| {
        vec![
            Itemset {
                items: vec![0],
                count: x,
            },
            Itemset {
                items: vec![1],
                count: xy,
            },
            Itemset {
                items: vec![0, 1],
                count: xy,
            },
        ]
    };
    let fires = |sets: &[Itemset], min_confidence: f64| {
        derive_rules(sets, min_confidence)
            .iter()
            .any(|r| r.antecedent == [0] && r.consequent == 1)
    };
    // 1/100 at 0.01: kept, although its f32 confidence is below 0.01.
    assert!(fires(&itemsets(100, 1), 0.01));
    let (stored, _) = engine::rule_scores(1, 100, 1, 100);
    assert!(f64::from(stored) < 0.01);
    // 1/3 at 0.33333334: dropped, although its f32 confidence is above 0.33333334.
    assert!(!fires(&itemsets(3, 1), 0.33333334));
    let (stored, _) = engine::rule_scores(1, 3, 1, 3);
    assert!(f64::from(stored) >= 0.33333334);
}

/// Pruning keeps, per antecedent, exactly the N rules a brute-force ranking keeps.
#[test]
fn pruning_keeps_exactly_the_best_n_per_antecedent() {
    use miner::mine::prune;
    let mut rng = engine::SplitMix64::new(11);
    for round in 0..50 {
        let items = 12u32;
        let item_counts: Vec<u32> = (0..items).map(|_| 1 + rng.below(40) as u32).collect();
        let mut rules = Vec::new();
        for a in 0..4u32 {
            let antecedent = if a == 3 { vec![0, 1] } else { vec![a] };
            let antecedent_count = 50;
            for y in 0..items {
                if !antecedent.contains(&y) && rng.chance(0.7) {
                    rules.push(engine::RuleInput {
                        antecedent: antecedent.clone(),
                        consequent: y,
                        count: 1 + rng.below(4) as u32, // many ties
                        antecedent_count,
                    });
                }
            }
        }
        for n in [1, 2, 3, 100] {
            let kept = prune(rules.clone(), n, &item_counts);
            // Brute force: for each rule, count the rules of its antecedent that beat it.
            let beats = |a: &engine::RuleInput, b: &engine::RuleInput| {
                (
                    a.count,
                    std::cmp::Reverse(item_counts[a.consequent as usize]),
                    std::cmp::Reverse(a.consequent),
                ) > (
                    b.count,
                    std::cmp::Reverse(item_counts[b.consequent as usize]),
                    std::cmp::Reverse(b.consequent),
                )
            };
            let want: Vec<&engine::RuleInput> = rules
                .iter()
                .filter(|r| {
                    rules
                        .iter()
                        .filter(|o| o.antecedent == r.antecedent && beats(o, r))
                        .count()
                        < n
                })
                .collect();
            assert_eq!(
                kept.iter().collect::<Vec<_>>(),
                want,
                "round {round}, n {n}"
            );
        }
    }
}

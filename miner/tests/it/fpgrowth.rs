//! FP-growth against a brute-force counter: exactly the same itemsets and counts.

use std::collections::BTreeMap;

use miner::dataset::Transactions;
use miner::fpgrowth::{Itemset, frequent_itemsets};
use proptest::prelude::*;

/// Counts every subset (up to `max_len` items) of every transaction.
pub(crate) fn brute_force(tx: &Transactions, min_count: u32, max_len: usize) -> Vec<Itemset> {
    let mut counts: BTreeMap<Vec<u32>, u32> = BTreeMap::new();
    for t in tx.iter() {
        let mut items = t.to_vec();
        items.sort_unstable();
        let n = items.len();
        assert!(n <= 20, "brute force wants small transactions");
        for mask in 1u32..(1 << n) {
            if mask.count_ones() as usize > max_len {
                continue;
            }
            let set: Vec<u32> = (0..n)
                .filter(|&i| mask & (1 << i) != 0)
                .map(|i| items[i])
                .collect();
            *counts.entry(set).or_default() += 1;
        }
    }
    let mut sets: Vec<Itemset> = counts
        .into_iter()
        .filter(|&(_, c)| c >= min_count.max(1))
        .map(|(items, count)| Itemset { items, count })
        .collect();
    sets.sort_by(|a, b| {
        a.items
            .len()
            .cmp(&b.items.len())
            .then_with(|| a.items.cmp(&b.items))
    });
    sets
}

fn transactions(rows: &[Vec<u32>]) -> Transactions {
    let mut tx = Transactions::new();
    for row in rows {
        let mut r = row.clone();
        r.sort_unstable();
        r.dedup();
        tx.push(&r);
    }
    tx
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn matches_brute_force(
        rows in proptest::collection::vec(proptest::collection::vec(0u32..14, 0..10), 0..80),
        min_count in 1u32..8,
        max_len in 1usize..6,
    ) {
        let tx = transactions(&rows);
        let got = frequent_itemsets(&tx, 14, min_count, max_len);
        prop_assert_eq!(got, brute_force(&tx, min_count, max_len));
    }

    #[test]
    fn dense_baskets_match_brute_force(
        rows in proptest::collection::vec(proptest::collection::vec(0u32..8, 4..9), 1..60),
        min_count in 1u32..4,
    ) {
        // Few items, long baskets: deep conditional trees, many single-path shortcuts.
        let tx = transactions(&rows);
        for max_len in [2, 3, 4, 8] {
            prop_assert_eq!(frequent_itemsets(&tx, 8, min_count, max_len), brute_force(&tx, min_count, max_len));
        }
    }
}

#[test]
fn single_path_and_identical_transactions() {
    let tx = transactions(&[
        vec![1, 2, 3, 4],
        vec![1, 2, 3, 4],
        vec![1, 2, 3],
        vec![1, 2],
    ]);
    for max_len in 1..=5 {
        for min_count in 1..=5 {
            assert_eq!(
                frequent_itemsets(&tx, 5, min_count, max_len),
                brute_force(&tx, min_count, max_len)
            );
        }
    }
}

#[test]
fn larger_random_data_matches() {
    // 2,000 transactions over 60 items with a skew, deterministic.
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let rows: Vec<Vec<u32>> = (0..2_000)
        .map(|_| {
            let len = 1 + next() % 12;
            (0..len).map(|_| (next() % 60).min(next() % 60)).collect()
        })
        .collect();
    let tx = transactions(&rows);
    for (min_count, max_len) in [(20, 3), (60, 4), (5, 2), (200, 5)] {
        let got = frequent_itemsets(&tx, 60, min_count, max_len);
        assert!(
            got.len() > 10,
            "{min_count}/{max_len}: the case should find itemsets"
        );
        assert_eq!(
            got,
            brute_force(&tx, min_count, max_len),
            "min count {min_count}, max len {max_len}"
        );
    }
}

#[test]
fn nothing_frequent_and_empty_input() {
    let tx = transactions(&[vec![1], vec![2]]);
    assert!(frequent_itemsets(&tx, 3, 2, 3).is_empty());
    assert!(frequent_itemsets(&Transactions::new(), 0, 1, 3).is_empty());
    assert!(frequent_itemsets(&tx, 3, 1, 0).is_empty());
}

#[test]
fn default_transactions_are_empty_not_broken() {
    let tx = Transactions::default();
    assert_eq!((tx.len(), tx.is_empty()), (0, true));
    assert_eq!(tx, Transactions::new());
}

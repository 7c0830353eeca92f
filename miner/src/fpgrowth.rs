//! FP-growth: every itemset contained in at least `min_count` transactions, up to `max_len`
//! items, with its exact count.
//!
//! - Items are re-numbered by rank (most frequent first), and each transaction's frequent items
//!   become a path of ascending ranks.
//! - The FP-tree is an arena of flat arrays (`item`, `count`, `parent`) built from the sorted
//!   paths: consecutive sorted paths share their common prefix, so the tree comes out in
//!   depth-first order with no child lookups at all.
//! - Each frequent item's conditional tree is mined independently, in parallel (rayon); the
//!   recursion stops one level early when only `max_len` is left (counting the conditional base
//!   is enough), and a tree that is a single path yields its combinations directly.

use std::sync::atomic::Ordering;

use rayon::prelude::*;

use crate::dataset::Transactions;
use crate::progress::Counters;

/// A frequent itemset: item ids ascending, and the number of transactions containing them all.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Itemset {
    /// Item ids, ascending.
    pub items: Vec<u32>,
    /// Support count.
    pub count: u32,
}

/// Counts how many transactions contain each item (`n_items` = one past the largest id).
pub fn item_counts(tx: &Transactions, n_items: usize) -> Vec<u32> {
    let mut counts = vec![0u32; n_items];
    for &item in &tx.items {
        counts[item as usize] += 1;
    }
    counts
}

/// Every itemset of 1 to `max_len` items contained in at least `min_count` (≥ 1) transactions,
/// sorted by length, then items.
pub fn frequent_itemsets(
    tx: &Transactions,
    n_items: usize,
    min_count: u32,
    max_len: usize,
) -> Vec<Itemset> {
    let counts = item_counts(tx, n_items);
    frequent_itemsets_counted(tx, &counts, min_count, max_len, &Counters::default())
}

/// [`frequent_itemsets`] for a caller that already has the item counts
/// ([`item_counts`]), advancing `progress` (total = frequent items, done = items mined).
pub fn frequent_itemsets_counted(
    tx: &Transactions,
    counts: &[u32],
    min_count: u32,
    max_len: usize,
    progress: &Counters,
) -> Vec<Itemset> {
    let min_count = min_count.max(1);
    if max_len == 0 {
        return Vec::new();
    }
    let n_items = counts.len();
    // Rank the frequent items: most frequent first, ties by id.
    let mut frequent: Vec<u32> = (0..n_items as u32)
        .filter(|&i| counts[i as usize] >= min_count)
        .collect();
    frequent.sort_unstable_by(|&a, &b| counts[b as usize].cmp(&counts[a as usize]).then(a.cmp(&b)));
    let mut rank_of = vec![u32::MAX; n_items];
    for (rank, &item) in frequent.iter().enumerate() {
        rank_of[item as usize] = rank as u32;
    }
    let n_ranks = frequent.len();
    progress.total.store(n_ranks as u64, Ordering::Relaxed);

    // Paths: each transaction's frequent items as ascending ranks.
    let mut paths = Paths::default();
    let mut buf = Vec::new();
    for t in tx.iter() {
        buf.clear();
        buf.extend(
            t.iter()
                .map(|&i| rank_of[i as usize])
                .filter(|&r| r != u32::MAX),
        );
        if !buf.is_empty() {
            buf.sort_unstable();
            paths.push(&buf, 1);
        }
    }
    let tree = Tree::build(&paths);
    drop(paths);
    let totals: Vec<u32> = frequent.iter().map(|&i| counts[i as usize]).collect();

    let mined: Vec<Vec<(Vec<u32>, u32)>> = (0..n_ranks as u32)
        .into_par_iter()
        .map_init(
            || Scratch::new(n_ranks),
            |scratch, rank| {
                let mut out = vec![(vec![rank], totals[rank as usize])];
                if max_len > 1 {
                    let base = tree.conditional_base(rank);
                    let mut suffix = vec![rank];
                    mine_base(&base, &mut suffix, min_count, max_len, scratch, &mut out);
                }
                progress.done.fetch_add(1, Ordering::Relaxed);
                out
            },
        )
        .collect();

    let mut itemsets: Vec<Itemset> = mined
        .into_iter()
        .flatten()
        .map(|(ranks, count)| {
            let mut items: Vec<u32> = ranks.iter().map(|&r| frequent[r as usize]).collect();
            items.sort_unstable();
            Itemset { items, count }
        })
        .collect();
    itemsets.sort_unstable_by(|a, b| {
        a.items
            .len()
            .cmp(&b.items.len())
            .then_with(|| a.items.cmp(&b.items))
    });
    itemsets
}

/// Weighted paths of ascending ranks, flat.
#[derive(Default)]
struct Paths {
    items: Vec<u32>,
    ends: Vec<usize>,
    weights: Vec<u32>,
}

impl Paths {
    fn push(&mut self, path: &[u32], weight: u32) {
        self.items.extend_from_slice(path);
        self.ends.push(self.items.len());
        self.weights.push(weight);
    }

    fn get(&self, p: usize) -> &[u32] {
        let start = if p == 0 { 0 } else { self.ends[p - 1] };
        &self.items[start..self.ends[p]]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// An FP-tree in depth-first order. Node 0 is the root.
struct Tree {
    item: Vec<u32>,
    count: Vec<u32>,
    parent: Vec<u32>,
    /// Nodes of each rank: `by_rank[r]` lists the nodes whose item is `r`.
    by_rank: Vec<Vec<u32>>,
}

impl Tree {
    fn build(paths: &Paths) -> Tree {
        let mut order: Vec<u32> = (0..paths.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| paths.get(a as usize).cmp(paths.get(b as usize)));
        let mut tree = Tree {
            item: vec![u32::MAX],
            count: vec![0],
            parent: vec![0],
            by_rank: Vec::new(),
        };
        // stack[d] is the node at depth d on the current path (stack[0] = root).
        let mut stack: Vec<u32> = vec![0];
        let mut prev: &[u32] = &[];
        for &p in &order {
            let path = paths.get(p as usize);
            let weight = paths.weights[p as usize];
            let common = path.iter().zip(prev).take_while(|(a, b)| a == b).count();
            stack.truncate(common + 1);
            for &node in &stack[1..] {
                tree.count[node as usize] += weight;
            }
            for &rank in &path[common..] {
                let node = tree.item.len() as u32;
                tree.item.push(rank);
                tree.count.push(weight);
                tree.parent
                    .push(*stack.last().expect("root is on the stack"));
                stack.push(node);
                if tree.by_rank.len() <= rank as usize {
                    tree.by_rank.resize(rank as usize + 1, Vec::new());
                }
                tree.by_rank[rank as usize].push(node);
            }
            prev = path;
        }
        tree
    }

    /// The prefix paths of every node of `rank`, weighted by that node's count.
    fn conditional_base(&self, rank: u32) -> Paths {
        let mut base = Paths::default();
        let mut buf = Vec::new();
        for &node in self
            .by_rank
            .get(rank as usize)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            buf.clear();
            let mut up = self.parent[node as usize];
            while up != 0 {
                buf.push(self.item[up as usize]);
                up = self.parent[up as usize];
            }
            if !buf.is_empty() {
                buf.reverse();
                base.push(&buf, self.count[node as usize]);
            }
        }
        base
    }

    /// True when every node has at most one child (the tree is one chain).
    fn is_single_path(&self) -> bool {
        (1..self.parent.len()).all(|n| self.parent[n] as usize == n - 1)
    }
}

/// Per-worker dense counters over ranks, reset after each use.
struct Scratch {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

impl Scratch {
    fn new(n_ranks: usize) -> Self {
        Scratch {
            counts: vec![0; n_ranks],
            touched: Vec::new(),
        }
    }

    /// The ranks whose weighted count in `base` reaches `min_count`, with their counts,
    /// ascending by rank.
    fn frequent_in(&mut self, base: &Paths, min_count: u32) -> Vec<(u32, u32)> {
        for p in 0..base.len() {
            let weight = base.weights[p];
            for &rank in base.get(p) {
                if self.counts[rank as usize] == 0 {
                    self.touched.push(rank);
                }
                self.counts[rank as usize] += weight;
            }
        }
        let mut frequent: Vec<(u32, u32)> = self
            .touched
            .iter()
            .map(|&r| (r, self.counts[r as usize]))
            .filter(|&(_, c)| c >= min_count)
            .collect();
        for &r in &self.touched {
            self.counts[r as usize] = 0;
        }
        self.touched.clear();
        frequent.sort_unstable();
        frequent
    }
}

/// Mines the conditional pattern base of `suffix` (whose own itemset is already reported).
fn mine_base(
    base: &Paths,
    suffix: &mut Vec<u32>,
    min_count: u32,
    max_len: usize,
    scratch: &mut Scratch,
    out: &mut Vec<(Vec<u32>, u32)>,
) {
    let frequent = scratch.frequent_in(base, min_count);
    if frequent.is_empty() {
        return;
    }
    // One item short of max_len: the extensions are exactly the frequent items of the base.
    if suffix.len() + 1 == max_len {
        for &(rank, count) in &frequent {
            let mut items = suffix.clone();
            items.push(rank);
            out.push((items, count));
        }
        return;
    }
    // Keep only the frequent items of each path, then build the conditional tree.
    let mut keep = Vec::new();
    let mut filtered = Paths::default();
    for p in 0..base.len() {
        keep.clear();
        keep.extend(
            base.get(p)
                .iter()
                .copied()
                .filter(|r| frequent.binary_search_by_key(r, |&(f, _)| f).is_ok()),
        );
        if !keep.is_empty() {
            filtered.push(&keep, base.weights[p]);
        }
    }
    let tree = Tree::build(&filtered);
    drop(filtered);
    if tree.is_single_path() {
        let chain: Vec<(u32, u32)> = (1..tree.item.len())
            .map(|n| (tree.item[n], tree.count[n]))
            .collect();
        combinations(&chain, suffix, max_len - suffix.len(), out);
        return;
    }
    for &(rank, count) in &frequent {
        let mut items = suffix.clone();
        items.push(rank);
        out.push((items, count));
        let sub = tree.conditional_base(rank);
        suffix.push(rank);
        mine_base(&sub, suffix, min_count, max_len, scratch, out);
        suffix.pop();
    }
}

/// Every non-empty combination of up to `room` nodes of a single-path tree, with `suffix`.
/// Counts fall along the path, so a combination's count is its deepest node's count.
fn combinations(chain: &[(u32, u32)], suffix: &[u32], room: usize, out: &mut Vec<(Vec<u32>, u32)>) {
    fn walk(
        chain: &[(u32, u32)],
        start: usize,
        picked: &mut Vec<u32>,
        room: usize,
        suffix: &[u32],
        out: &mut Vec<(Vec<u32>, u32)>,
    ) {
        for i in start..chain.len() {
            picked.push(chain[i].0);
            let mut items = suffix.to_vec();
            items.extend_from_slice(picked);
            out.push((items, chain[i].1));
            if picked.len() < room {
                walk(chain, i + 1, picked, room, suffix, out);
            }
            picked.pop();
        }
    }
    walk(chain, 0, &mut Vec::new(), room, suffix, out);
}

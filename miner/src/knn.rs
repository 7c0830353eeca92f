//! Item-kNN, the strong baseline of `miner evaluate`: cosine similarity over co-occurrence
//! counts on the training playlists, with no support threshold; and [`neighbors`], the
//! co-occurrence computation it shares with the miner's neighbor rules (`miner mine
//! --neighbors`).
//!
//! `sim(i, j) = co(i, j) / √(n_i × n_j)`, where `co(i, j)` counts the playlists holding both
//! tracks and `n_i` those holding `i`. Every pair that co-occurs at least once is counted
//! (sparsely: per track, through the playlists that hold it, one track per rayon task), and
//! each track keeps its `neighbors` most similar tracks (ties: lower id first). A candidate's
//! score for a set of seeds is the sum of its similarities to the seeds; the list is filled
//! up with popular tracks, as the engine fills its own.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Each track's most similar tracks (ids as given to [`ItemKnn::build`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ItemKnn {
    /// Start of each track's neighbors in `neighbors`/`similarity`, plus the end.
    offsets: Vec<usize>,
    /// Neighbor ids, per track by similarity descending then id ascending.
    neighbors: Vec<u32>,
    /// Their cosine similarities.
    similarity: Vec<f64>,
}

/// One neighbor of a track: the other track, the playlists holding both, and their cosine.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Neighbor {
    /// The neighbor's id.
    pub track: u32,
    /// `co(i, j)`: playlists holding both tracks.
    pub count: u32,
    /// `co(i, j) / √(n_i × n_j)`.
    pub cosine: f64,
}

/// Every track's neighbors, the one computation behind item-kNN ([`ItemKnn::build`]) and the
/// miner's neighbor rules ([`crate::mine::neighbor_rules`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbors {
    /// `n_i`: playlists holding each track.
    pub counts: Vec<u32>,
    /// Per track, its kept neighbors by cosine descending (exactly), then id ascending.
    pub rows: Vec<Vec<Neighbor>>,
}

/// Counts the co-occurrences of `playlists` (each a set of distinct track ids below `tracks`)
/// and keeps, per track `i`, the `top` most similar tracks `j` among those for which
/// `keep(co(i, j), n_i)` holds (every pair that co-occurs at least once is counted: sparsely,
/// through the playlists that hold `i`, one track per rayon task). Cosines are compared
/// exactly (on the counts, not on their rounded `f64` values); ties: lower id first. The
/// result does not depend on the number of threads.
pub fn neighbors<'a, I, F>(playlists: I, tracks: usize, top: usize, keep: F) -> Neighbors
where
    I: IntoIterator<Item = &'a [u32]>,
    F: Fn(u32, u32) -> bool + Sync,
{
    // Inverted index: track -> playlists holding it.
    let sets: Vec<&[u32]> = playlists.into_iter().collect();
    let mut count = vec![0u32; tracks];
    for set in &sets {
        for &t in *set {
            count[t as usize] += 1;
        }
    }
    let mut start = vec![0usize; tracks + 1];
    for t in 0..tracks {
        start[t + 1] = start[t] + count[t] as usize;
    }
    let mut holders = vec![0u32; start[tracks]];
    let mut fill = start.clone();
    for (p, set) in sets.iter().enumerate() {
        for &t in *set {
            holders[fill[t as usize]] = p as u32;
            fill[t as usize] += 1;
        }
    }
    let rows: Vec<Vec<Neighbor>> = (0..tracks)
        .into_par_iter()
        .map_init(
            || (vec![0u32; tracks], Vec::new()),
            |(co, touched), i| {
                for &p in &holders[start[i]..start[i + 1]] {
                    for &j in sets[p as usize] {
                        if j as usize != i {
                            if co[j as usize] == 0 {
                                touched.push(j);
                            }
                            co[j as usize] += 1;
                        }
                    }
                }
                let ni = count[i];
                let mut row: Vec<Neighbor> = touched
                    .drain(..)
                    .filter_map(|j| {
                        let c = std::mem::take(&mut co[j as usize]);
                        keep(c, ni).then(|| Neighbor {
                            track: j,
                            count: c,
                            cosine: f64::from(c)
                                / (f64::from(ni) * f64::from(count[j as usize])).sqrt(),
                        })
                    })
                    .collect();
                // By cosine, compared exactly: cos(i, x) > cos(i, y) iff co_x² n_y > co_y² n_x
                // (in f64 two equal cosines may round apart); then lower id.
                let by = |x: &Neighbor, y: &Neighbor| {
                    let key = |a: &Neighbor, b: &Neighbor| {
                        u128::from(a.count).pow(2) * u128::from(count[b.track as usize])
                    };
                    key(y, x).cmp(&key(x, y)).then(x.track.cmp(&y.track))
                };
                if row.len() > top {
                    row.select_nth_unstable_by(top, by);
                    row.truncate(top);
                    row.shrink_to_fit(); // a popular track touches many more
                }
                row.sort_unstable_by(by);
                row
            },
        )
        .collect();
    Neighbors {
        counts: count,
        rows,
    }
}

impl ItemKnn {
    /// Counts the co-occurrences of `playlists` (each a set of track ids below `tracks`) and
    /// keeps, per track, the `neighbors` most similar tracks ([`neighbors`], every pair).
    pub fn build<'a, I>(playlists: I, tracks: usize, neighbors: usize) -> ItemKnn
    where
        I: IntoIterator<Item = &'a [u32]>,
    {
        let rows = self::neighbors(playlists, tracks, neighbors, |_, _| true).rows;
        let mut offsets = Vec::with_capacity(tracks + 1);
        offsets.push(0);
        let total = rows.iter().map(Vec::len).sum();
        let mut ids = Vec::with_capacity(total);
        let mut sims = Vec::with_capacity(total);
        for row in rows {
            for n in row {
                ids.push(n.track);
                sims.push(n.cosine);
            }
            offsets.push(ids.len());
        }
        ItemKnn {
            offsets,
            neighbors: ids,
            similarity: sims,
        }
    }

    /// Tracks known to the model.
    pub fn tracks(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Neighbor pairs kept (the model's size).
    pub fn pairs(&self) -> usize {
        self.neighbors.len()
    }

    /// Track `i`'s kept neighbors and their similarities, most similar first.
    pub fn row(&self, i: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = self.offsets[i as usize]..self.offsets[i as usize + 1];
        self.neighbors[range.clone()]
            .iter()
            .copied()
            .zip(self.similarity[range].iter().copied())
    }

    /// Up to `k` tracks that are not seeds, by summed similarity to the `seeds` (sorted,
    /// known ids), ties by lower id; then the remaining tracks in id order (ids are popularity
    /// ranks in a model), skipping seeds. Returns the list and whether any track came from a
    /// neighbor.
    pub fn recommend(&self, seeds: &[u32], k: usize) -> (Vec<u32>, bool) {
        let mut score: FxHashMap<u32, f64> = FxHashMap::default();
        for &s in seeds {
            for (j, sim) in self.row(s) {
                if seeds.binary_search(&j).is_err() {
                    *score.entry(j).or_insert(0.0) += sim;
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = score.into_iter().collect();
        let by = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if ranked.len() > k {
            ranked.select_nth_unstable_by(k, by);
            ranked.truncate(k);
        }
        ranked.sort_unstable_by(by);
        let from_neighbors = !ranked.is_empty();
        let mut out: Vec<u32> = ranked.into_iter().map(|(j, _)| j).collect();
        let taken: rustc_hash::FxHashSet<u32> = out.iter().copied().collect();
        for id in 0..self.tracks() as u32 {
            if out.len() >= k {
                break;
            }
            if seeds.binary_search(&id).is_err() && !taken.contains(&id) {
                out.push(id);
            }
        }
        (out, from_neighbors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dense oracle: every pair's cosine from a full co-occurrence matrix.
    fn dense(playlists: &[Vec<u32>], tracks: usize) -> Vec<Vec<f64>> {
        let (co, n) = counts(playlists, tracks);
        (0..tracks)
            .map(|i| {
                (0..tracks)
                    .map(|j| {
                        if co[i][j] == 0 {
                            0.0
                        } else {
                            f64::from(co[i][j]) / (f64::from(n[i]) * f64::from(n[j])).sqrt()
                        }
                    })
                    .collect()
            })
            .collect()
    }

    /// Every pair's co-occurrences and every track's count, by scanning every playlist.
    fn counts(playlists: &[Vec<u32>], tracks: usize) -> (Vec<Vec<u32>>, Vec<u32>) {
        let mut co = vec![vec![0u32; tracks]; tracks];
        let mut n = vec![0u32; tracks];
        for p in playlists {
            for &a in p {
                n[a as usize] += 1;
                for &b in p {
                    if a != b {
                        co[a as usize][b as usize] += 1;
                    }
                }
            }
        }
        (co, n)
    }

    fn random_playlists(seed: u64, count: usize, tracks: u32) -> Vec<Vec<u32>> {
        testkit::random_sets(seed, count, tracks, 8, 2.0)
    }

    #[test]
    fn matches_the_dense_computation() {
        for seed in 0..20 {
            let tracks = 30;
            let playlists = random_playlists(seed, 60, tracks as u32);
            let oracle = dense(&playlists, tracks);
            let knn = ItemKnn::build(playlists.iter().map(Vec::as_slice), tracks, tracks);
            for (i, dense_row) in oracle.iter().enumerate() {
                let mut want: Vec<(u32, f64)> = (0..tracks as u32)
                    .filter(|&j| dense_row[j as usize] > 0.0)
                    .map(|j| (j, dense_row[j as usize]))
                    .collect();
                // Exactly, on the counts: co(i, a)² n_b against co(i, b)² n_a.
                let (co, n) = counts(&playlists, tracks);
                let key =
                    |a: u32, b: u32| u64::from(co[i][a as usize]).pow(2) * u64::from(n[b as usize]);
                want.sort_by(|a, b| key(b.0, a.0).cmp(&key(a.0, b.0)).then(a.0.cmp(&b.0)));
                let got: Vec<(u32, f64)> = knn.row(i as u32).collect();
                assert_eq!(got, want, "seed {seed}, track {i}");
            }
            // Truncated to 3 neighbors: the first 3 of the full row.
            let top3 = ItemKnn::build(playlists.iter().map(Vec::as_slice), tracks, 3);
            for i in 0..tracks as u32 {
                let full: Vec<_> = knn.row(i).take(3).collect();
                assert_eq!(top3.row(i).collect::<Vec<_>>(), full);
            }
            // Scores: the dense sums over the seeds, best first, then the popular fill.
            let seeds = [1u32, 4, 7];
            let (ranked, rule) = knn.recommend(&seeds, tracks);
            let mut want: Vec<(u32, f64)> = (0..tracks as u32)
                .filter(|j| !seeds.contains(j))
                .map(|j| {
                    (
                        j,
                        seeds.iter().map(|&s| oracle[s as usize][j as usize]).sum(),
                    )
                })
                .filter(|&(_, s)| s > 0.0)
                .collect();
            want.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let scored = want.len();
            assert_eq!(rule, scored > 0);
            let ids: Vec<u32> = want.into_iter().map(|(j, _)| j).collect();
            assert_eq!(ranked[..scored], ids[..], "seed {seed}");
            assert_eq!(ranked.len(), tracks - seeds.len(), "filled with the rest");
            assert!(ranked[scored..].windows(2).all(|w| w[0] < w[1]));
        }
    }

    #[test]
    fn by_hand() {
        // 0 and 1 together twice; 0 alone once; 2 with 1 once.
        let p: Vec<Vec<u32>> = vec![vec![0, 1], vec![0, 1], vec![0], vec![1, 2]];
        let knn = ItemKnn::build(p.iter().map(Vec::as_slice), 3, 10);
        let row0: Vec<_> = knn.row(0).collect();
        assert_eq!(row0, [(1, 2.0 / (3.0f64 * 3.0).sqrt())]);
        let row2: Vec<_> = knn.row(2).collect();
        assert_eq!(row2, [(1, 1.0 / 3.0f64.sqrt())]);
        assert_eq!(knn.recommend(&[2], 2), (vec![1, 0], true));
    }
}

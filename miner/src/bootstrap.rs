//! Percentile bootstrap confidence intervals of means, seeded and paired.
//!
//! The unit of resampling is what is independent: a test playlist. A unit carries a weight
//! (how many cases it holds) and, per series, the sum of its cases' values; a resample draws
//! as many units as there are, with replacement, and each series' estimate is
//! `Σ sums / Σ weights` over the draw. Every series is estimated on the same draws, so the
//! interval of a difference series (ranker minus default, case by case) is a paired one.
//!
//! Resample `b` draws with `SplitMix64::stream(seed, 0xB007, b)`: the intervals are a function
//! of the data and the seed alone, whatever the number of threads.

use engine::SplitMix64;
use rayon::prelude::*;

/// A two-sided interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// Whether 0 lies outside the interval: a difference the resampling says is real.
    pub fn excludes_zero(self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }

    /// Whether `x` lies within the interval (bounds included).
    pub fn contains(self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// Units to resample: `weights[u]` cases in unit `u`, and `sums[u * series + s]` the sum of
/// series `s` over them.
#[derive(Clone, Debug, Default)]
pub struct Units {
    /// Series per unit.
    pub series: usize,
    /// Cases per unit.
    pub weights: Vec<f64>,
    /// Row-major sums, `series` per unit.
    pub sums: Vec<f64>,
}

impl Units {
    /// Empty units of `series` series.
    pub fn new(series: usize) -> Units {
        Units {
            series,
            ..Units::default()
        }
    }

    /// Adds a unit of `weight` cases whose series sum to `sums`.
    pub fn push(&mut self, weight: f64, sums: &[f64]) {
        assert_eq!(sums.len(), self.series, "one sum per series");
        self.weights.push(weight);
        self.sums.extend_from_slice(sums);
    }

    /// Units held.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Whether there is no unit.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }
}

/// The `level` (e.g. 0.95) percentile interval of each series' mean over `resamples`
/// resamples. With no unit or no resample, every interval is the point estimate (0 when
/// there is no unit).
pub fn intervals(units: &Units, resamples: usize, level: f64, seed: u64) -> Vec<Interval> {
    let s = units.series;
    let n = units.len();
    let point = |weights: f64, sums: &[f64]| -> Vec<f64> {
        sums.iter()
            .map(|&x| if weights > 0.0 { x / weights } else { 0.0 })
            .collect()
    };
    if n == 0 || resamples == 0 {
        let mut total = vec![0.0; s];
        for u in 0..n {
            for (t, x) in total.iter_mut().zip(&units.sums[u * s..(u + 1) * s]) {
                *t += x;
            }
        }
        let w: f64 = units.weights.iter().sum();
        return point(w, &total)
            .into_iter()
            .map(|m| Interval { low: m, high: m })
            .collect();
    }
    let estimates: Vec<Vec<f64>> = (0..resamples)
        .into_par_iter()
        .map(|b| {
            let mut rng = SplitMix64::stream(seed, 0xB007, b as u64);
            let mut total = vec![0.0; s];
            let mut w = 0.0;
            for _ in 0..n {
                let u = rng.below(n);
                w += units.weights[u];
                for (t, x) in total.iter_mut().zip(&units.sums[u * s..(u + 1) * s]) {
                    *t += x;
                }
            }
            point(w, &total)
        })
        .collect();
    let alpha = (1.0 - level) / 2.0;
    let lo = ((alpha * resamples as f64).floor() as usize).min(resamples - 1);
    let hi = (((1.0 - alpha) * resamples as f64).ceil() as usize)
        .saturating_sub(1)
        .min(resamples - 1);
    (0..s)
        .map(|k| {
            let mut v: Vec<f64> = estimates.iter().map(|e| e[k]).collect();
            v.sort_unstable_by(f64::total_cmp);
            Interval {
                low: v[lo],
                high: v[hi],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(values: &[f64]) -> Units {
        let mut u = Units::new(1);
        for &v in values {
            u.push(1.0, &[v]);
        }
        u
    }

    #[test]
    fn deterministic_under_a_seed() {
        let values: Vec<f64> = (0..500).map(|i| f64::from((i * 37) % 101)).collect();
        let u = units(&values);
        let a = intervals(&u, 400, 0.95, 9);
        assert_eq!(a, intervals(&u, 400, 0.95, 9));
        assert_ne!(a, intervals(&u, 400, 0.95, 10));
        // The thread count does not matter.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .expect("pool");
        assert_eq!(pool.install(|| intervals(&u, 400, 0.95, 9)), a);
    }

    #[test]
    fn a_constant_has_a_point_interval() {
        let u = units(&[0.25; 50]);
        assert_eq!(
            intervals(&u, 100, 0.95, 1),
            [Interval {
                low: 0.25,
                high: 0.25
            }]
        );
        assert_eq!(intervals(&Units::new(2), 100, 0.95, 1)[1].high, 0.0);
    }

    #[test]
    fn covers_a_known_mean_at_the_normal_width() {
        // Bernoulli(0.3) draws: the 95% interval of the mean is about ±1.96·√(p(1−p)/n).
        // Over 40 data sets the true mean must be covered about 95% of the time.
        let n = 2_000;
        let mut covered = 0;
        for set in 0..40u64 {
            let mut rng = SplitMix64::new(set);
            let values: Vec<f64> = (0..n).map(|_| f64::from(rng.chance(0.3) as u8)).collect();
            let ci = intervals(&units(&values), 500, 0.95, set)[0];
            let half = 1.96 * (0.3f64 * 0.7 / n as f64).sqrt();
            let width = ci.high - ci.low;
            assert!(
                (width - 2.0 * half).abs() < 0.25 * 2.0 * half,
                "width {width} vs {}",
                2.0 * half
            );
            covered += usize::from(ci.contains(0.3));
        }
        assert!(covered >= 34, "covered {covered} of 40");
    }

    #[test]
    fn paired_differences_see_what_unpaired_means_hide() {
        // b = a + 0.01 ± 0.01 case by case, with a spread of a far larger than 0.01: the
        // means' intervals overlap, the paired difference's excludes zero.
        let mut u = Units::new(3);
        let mut rng = SplitMix64::new(3);
        for _ in 0..1_000 {
            let a = rng.unit();
            let b = a + 0.01 + 0.02 * (rng.unit() - 0.5);
            u.push(1.0, &[a, b, b - a]);
        }
        let ci = intervals(&u, 500, 0.95, 2);
        assert!(ci[0].high > ci[1].low, "the means overlap");
        assert!(ci[2].excludes_zero(), "{:?}", ci[2]);
        assert!(ci[2].low > 0.008 && ci[2].high < 0.012, "{:?}", ci[2]);
    }

    #[test]
    fn weights_make_a_ratio_of_sums() {
        // Two units: 3 cases summing to 3, 1 case summing to 0: the mean is 0.75, not 0.5.
        let mut u = Units::new(1);
        u.push(3.0, &[3.0]);
        u.push(1.0, &[0.0]);
        assert_eq!(intervals(&u, 0, 0.95, 1)[0].low, 0.75);
    }
}

//! SplitMix64, the workspace's one seeded generator.

/// SplitMix64 (Steele, Lea and Flood, 2014): the workspace's one seeded generator, for
/// generated data, evaluation splits and test inputs.
///
/// Deterministic, a pure function of its seed: the engine draws no entropy. Small, fast and
/// stable forever: generated data, evaluation splits and the snapshots built on them must not
/// change with a crate version, so neither the algorithm nor any method's arithmetic may.
///
/// ```
/// use engine::SplitMix64;
/// let mut a = SplitMix64::new(7);
/// let mut b = SplitMix64::new(7);
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert!(a.below(10) < 10);
/// ```
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The generator whose state starts at `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// An independent generator for item `index` of stream `stream` under `seed`, so that
    /// each draw depends on its own coordinates and not on the order of the others.
    pub fn stream(seed: u64, stream: u64, index: u64) -> Self {
        let mut r = SplitMix64(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        r.0 ^= r.next_u64() ^ index.wrapping_mul(0x9FB2_1C65_1E98_DF25);
        r
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// An index in `0..n` (0 when `n` is 0), by multiply-shift: no modulo bias worth the name.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// A uniform `f64` in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// An index in `0..n` (`n` > 0), power-law skewed towards 0: `n × u^exponent`.
    pub fn skewed(&mut self, n: usize, exponent: f64) -> usize {
        ((n as f64) * self.unit().powf(exponent)).min((n - 1) as f64) as usize
    }

    /// Shuffles `items` uniformly (Fisher-Yates).
    pub fn shuffle(&mut self, items: &mut [u32]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SplitMix64;

    /// The reference outputs of SplitMix64 (Vigna's `splitmix64.c`) for seed 1234567: the
    /// generator must never drift from them.
    #[test]
    fn matches_the_reference_sequence() {
        let mut rng = SplitMix64::new(1_234_567);
        let first: Vec<u64> = (0..5).map(|_| rng.next_u64()).collect();
        assert_eq!(
            first,
            [
                6_457_827_717_110_365_317,
                3_203_168_211_198_807_973,
                9_817_491_932_198_370_423,
                4_593_380_528_125_082_431,
                16_408_922_859_458_223_821,
            ]
        );
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut rng = SplitMix64::new(3);
        for n in 1..200 {
            assert!(rng.below(n) < n);
            assert!(rng.skewed(n, 2.5) < n);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
        assert_eq!(rng.below(0), 0);
        let mut items: Vec<u32> = (0..50).collect();
        rng.shuffle(&mut items);
        let mut sorted = items.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<u32>>());
        assert_ne!(items, sorted, "50 items come back in another order");
    }

    #[test]
    fn streams_are_deterministic_and_distinct() {
        let draw = |stream, index| SplitMix64::stream(9, stream, index).next_u64();
        assert_eq!(draw(1, 2), draw(1, 2));
        assert_ne!(draw(1, 2), draw(1, 3));
        assert_ne!(draw(1, 2), draw(2, 2));
    }
}

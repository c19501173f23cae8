//! SplitMix64: the site's only source of randomness.
//!
//! Ten lines instead of a dependency on `rand`, and — more to the point — a
//! generator whose output can never change under us with a crate upgrade:
//! the same seed must give the same pages, links and HTML forever, because
//! tests compare what a crawler found with what the site says it serves.

/// Steele, Lea and Flood's SplitMix64 (the seeding generator of
/// `java.util.SplittableRandom` and of xoshiro). Not cryptographic; fast,
/// full-period and statistically fine for choosing link forms and delays.
#[derive(Clone, Debug)]
pub(crate) struct SplitMix64 {
    state: u64,
}

/// The golden-ratio increment of SplitMix64.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64's output function: a good 64-bit mixer on its own, used to
/// derive independent seeds (per page, per request) from one site seed.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `0..n`. The modulo bias (at most n / 2^64) is irrelevant
    /// for the small `n` used here.
    ///
    /// `n` must be positive: every caller passes a length it has checked.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        debug_assert!(n > 0, "SplitMix64::below(0)");
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub(crate) fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// A float in `[0, 1)` with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_reference_sequence() {
        // First outputs for seed 1234567 from the reference C implementation
        // (Vigna's splitmix64.c), so the graph can't drift silently.
        let mut rng = SplitMix64::new(1_234_567);
        assert_eq!(rng.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(rng.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(rng.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn helpers_stay_in_range() {
        let mut rng = SplitMix64::new(7);
        for _ in 0..1000 {
            assert!(rng.below(3) < 3);
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}

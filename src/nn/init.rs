//! Seeded uniform initial values, independent of tch's global RNG.
//!
//! Why: a search is reproducible from its seed only if every initial weight is a pure function
//! of that seed. tch's `manual_seed`/`uniform_` use one process-global generator that any other
//! libtorch user can advance, so the values are drawn here from an explicitly seeded ChaCha8
//! stream and copied into the variables.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A ChaCha8 stream turned into uniform(-bound, bound) f32 values. Successive `draw`s continue
/// the same stream, so filling variables one after another in a fixed (name) order gives
/// values that depend on the seed and that order only.
pub struct SeededUniform {
    rng: ChaCha8Rng,
}

impl SeededUniform {
    /// The stream of `ChaCha8Rng::seed_from_u64(seed)`.
    pub fn new(seed: u64) -> SeededUniform {
        SeededUniform {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// The next `n` values in [-bound, bound): 24 random bits of one `u32` each -> uniform
    /// [0, 1) -> affine map. Explicit so the values depend only on the ChaCha8 stream, not on
    /// `rand`'s distribution code.
    pub fn draw(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                let u = (self.rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32;
                (2.0 * u - 1.0) * bound
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_seeded_bounded_and_continue_the_stream() {
        let all = SeededUniform::new(7).draw(1000, 0.25);
        assert!(all.iter().all(|v| (-0.25..0.25).contains(v)));
        assert!(all.iter().any(|&v| v < -0.2) && all.iter().any(|&v| v > 0.2));
        let mut split = SeededUniform::new(7);
        let mut joined = split.draw(600, 0.25);
        joined.extend(split.draw(400, 0.25));
        assert_eq!(joined, all);
        assert_ne!(SeededUniform::new(8).draw(1000, 0.25), all);
    }
}

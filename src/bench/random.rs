//! Random search: the baseline every strategy must beat (Li & Talwalkar, 2019).

use rand_chacha::ChaCha8Rng;

use super::proposer::{uniform_arch, Proposer};
use crate::space::{Arch, Space};

/// Proposes every decision uniformly at random, independently of past rewards.
#[derive(Clone, Debug)]
pub struct RandomSearch {
    sizes: Vec<usize>,
}

impl RandomSearch {
    pub fn new(space: &Space) -> Self {
        RandomSearch {
            sizes: space.decision_sizes(),
        }
    }
}

impl Proposer for RandomSearch {
    fn propose(&mut self, rng: &mut ChaCha8Rng) -> Arch {
        uniform_arch(&self.sizes, rng)
    }

    fn observe(&mut self, _arch: &Arch, _reward: f64) {}

    fn name(&self) -> String {
        "rs".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn uniform_over_every_decision_and_seeded() {
        let space = Space::builtin("mnas").expect("built-in space");
        let mut rs = RandomSearch::new(&space);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let sizes = space.decision_sizes();
        let mut counts = vec![vec![0usize; 4]; sizes.len()];
        for _ in 0..4000 {
            let a = rs.propose(&mut rng);
            space.validate(&a).expect("valid arch");
            for (i, &t) in a.tokens.iter().enumerate() {
                counts[i][usize::from(t)] += 1;
            }
        }
        for (i, &n) in sizes.iter().enumerate() {
            for c in &counts[i][..n] {
                let expected = 4000 / n;
                assert!(
                    c.abs_diff(expected) < expected / 5,
                    "decision {i}: {c} vs {expected}"
                );
            }
        }
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = ChaCha8Rng::seed_from_u64(3);
        assert_eq!(rs.propose(&mut a), rs.propose(&mut b));
    }
}

//! Regularized (aging) evolution, Real et al. 2019: the strongest simple baseline on tabular
//! NAS benchmarks, and the one peers.md's `re_p20_s5` row measures.

use std::collections::VecDeque;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::proposer::{uniform_arch, Proposer};
use crate::space::{Arch, Space};

/// Regularized evolution: the first `population` proposals are uniform random; after that,
/// draw `sample_size` members of the population (with replacement, as in the paper's code),
/// take the best, and mutate one decision to a different choice. Every observed architecture
/// joins the population and the OLDEST member leaves, so good but old lineages age out.
#[derive(Clone, Debug)]
pub struct RegularizedEvolution {
    sizes: Vec<usize>,
    /// Positions of decisions with more than one choice: the only ones a mutation can change.
    mutable: Vec<usize>,
    population_size: usize,
    sample_size: usize,
    /// Oldest first.
    population: VecDeque<(Arch, f64)>,
}

impl RegularizedEvolution {
    /// Population 20, tournament 5: peers.md's best regularized-evolution setting.
    pub const DEFAULT_POPULATION: usize = 20;
    pub const DEFAULT_SAMPLE_SIZE: usize = 5;

    /// `population` and `sample_size` are clamped to at least 1.
    pub fn new(space: &Space, population: usize, sample_size: usize) -> Self {
        let sizes = space.decision_sizes();
        let mutable = (0..sizes.len()).filter(|&i| sizes[i] > 1).collect();
        RegularizedEvolution {
            sizes,
            mutable,
            population_size: population.max(1),
            sample_size: sample_size.max(1),
            population: VecDeque::with_capacity(population.max(1) + 1),
        }
    }

    /// `new` with the defaults (population 20, sample 5).
    pub fn with_defaults(space: &Space) -> Self {
        Self::new(space, Self::DEFAULT_POPULATION, Self::DEFAULT_SAMPLE_SIZE)
    }

    /// The current population, oldest first (for inspection and tests).
    pub fn population(&self) -> impl Iterator<Item = &(Arch, f64)> {
        self.population.iter()
    }

    /// Tournament selection: the best of `sample_size` uniform draws (ties: earliest draw).
    fn select_parent(&self, rng: &mut ChaCha8Rng) -> &Arch {
        let mut best: Option<&(Arch, f64)> = None;
        for _ in 0..self.sample_size {
            let candidate = &self.population[rng.gen_range(0..self.population.len())];
            if best.is_none_or(|b| candidate.1 > b.1) {
                best = Some(candidate);
            }
        }
        // sample_size >= 1 and the population is non-empty when this is called.
        &best.expect("tournament draws at least one member").0
    }

    /// Changes one mutable decision to a different choice, uniformly.
    fn mutate(&self, parent: &Arch, rng: &mut ChaCha8Rng) -> Arch {
        let mut child = parent.clone();
        if self.mutable.is_empty() {
            return child;
        }
        let position = self.mutable[rng.gen_range(0..self.mutable.len())];
        let current = usize::from(child.tokens[position]);
        // Draw from the other n-1 choices: skip over the current one.
        let mut token = rng.gen_range(0..self.sizes[position] - 1);
        if token >= current {
            token += 1;
        }
        // Choice counts are at most 256, so the index fits a u8.
        child.tokens[position] = token as u8;
        child
    }
}

impl Proposer for RegularizedEvolution {
    fn propose(&mut self, rng: &mut ChaCha8Rng) -> Arch {
        if self.population.len() < self.population_size {
            return uniform_arch(&self.sizes, rng);
        }
        let parent = self.select_parent(rng).clone();
        self.mutate(&parent, rng)
    }

    fn observe(&mut self, arch: &Arch, reward: f64) {
        self.population.push_back((arch.clone(), reward));
        while self.population.len() > self.population_size {
            self.population.pop_front();
        }
    }

    fn name(&self) -> String {
        format!("re_p{}_s{}", self.population_size, self.sample_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn space() -> Space {
        Space::from_toml_str(
            include_str!("../../schema/spaces/nb-macro.toml"),
            "nb-macro.toml",
        )
        .expect("nb-macro space parses")
    }

    #[test]
    fn initial_population_then_single_mutations_with_aging() {
        let s = space();
        let mut re = RegularizedEvolution::new(&s, 4, 2);
        assert_eq!(re.name(), "re_p4_s2");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Fill the population; rewards make member 2 the best.
        let mut initial = Vec::new();
        for i in 0..4 {
            let a = re.propose(&mut rng);
            re.observe(&a, if i == 2 { 1.0 } else { 0.0 });
            initial.push(a);
        }
        for _ in 0..200 {
            let child = re.propose(&mut rng);
            s.validate(&child).expect("valid child");
            // Every child differs from some member in exactly one decision.
            let diffs: Vec<usize> = re
                .population()
                .map(|(m, _)| {
                    m.tokens
                        .iter()
                        .zip(&child.tokens)
                        .filter(|(a, b)| a != b)
                        .count()
                })
                .collect();
            assert!(
                diffs.contains(&1),
                "child {child} is not a single mutation: {diffs:?}"
            );
        }
        // Aging: after 4 more observations the initial members are all gone.
        for _ in 0..4 {
            let c = re.propose(&mut rng);
            re.observe(&c, 0.5);
        }
        assert_eq!(re.population().count(), 4);
        assert!(re.population().all(|(_, r)| *r == 0.5));
    }

    #[test]
    fn tournament_of_whole_population_picks_the_best() {
        let s = space();
        let mut re = RegularizedEvolution::new(&s, 3, 50);
        let best = Arch::new(vec![2; 8]);
        re.observe(&Arch::new(vec![0; 8]), 0.1);
        re.observe(&best, 0.9);
        re.observe(&Arch::new(vec![1; 8]), 0.2);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for _ in 0..50 {
            let child = re.propose(&mut rng);
            let d = child
                .tokens
                .iter()
                .zip(&best.tokens)
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(d, 1, "{child} is not a mutation of the best member");
        }
    }
}

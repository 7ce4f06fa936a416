//! Synthetic data for the critic tests: random MnasNet architectures (42 decisions, one-hot of
//! length 119) whose reward is a known weighted sum of their one-hot positions plus noise.
#![allow(dead_code)]

use fnas::space::{Arch, Space};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// One libtorch thread: the critic's tensors are tiny and bit-exact determinism assumes a
/// fixed thread count.
pub fn one_thread() {
    tch::set_num_threads(1);
}

pub fn mnas() -> Space {
    Space::builtin("mnas").expect("built-in mnas space parses")
}

/// A known relation over the one-hot: reward = mean + spread * (w · onehot) / sqrt(42) + noise,
/// with `w` uniform(-1, 1) per one-hot position, drawn from `seed`.
pub struct Relation {
    pub space: Space,
    pub weights: Vec<f64>,
    pub mean: f64,
    pub spread: f64,
}

/// A sampled data set: inputs (one-hots), noisy rewards, the noise-free rewards and whether
/// each sample belongs to the noisy subset.
pub struct Data {
    pub archs: Vec<Arch>,
    pub inputs: Vec<Vec<f32>>,
    pub rewards: Vec<f64>,
    pub clean: Vec<f64>,
    pub noisy: Vec<bool>,
}

impl Relation {
    /// Accuracy-like rewards: mean 0.7, spread 0.05 (as on a trained proxy task).
    pub fn new(seed: u64) -> Relation {
        Relation::scaled(seed, 0.7, 0.05)
    }

    pub fn scaled(seed: u64, mean: f64, spread: f64) -> Relation {
        let space = mnas();
        let len: usize = space.decision_sizes().iter().sum();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let weights = (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect();
        Relation {
            space,
            weights,
            mean,
            spread,
        }
    }

    pub fn input_dim(&self) -> usize {
        self.weights.len()
    }

    /// Noise-free reward of one one-hot.
    pub fn clean(&self, onehot: &[f32]) -> f64 {
        let n = self.space.num_decisions() as f64;
        let dot: f64 = onehot
            .iter()
            .zip(&self.weights)
            .map(|(&x, w)| f64::from(x) * w)
            .sum();
        self.mean + self.spread * dot / n.sqrt()
    }

    /// `n` uniformly random archs. Every sample gets uniform noise of half-width
    /// `noise * spread`; samples whose first decision (block 1's op) is 0 are the "noisy
    /// subset" and get `noisy_extra * spread` more.
    pub fn sample(&self, n: usize, seed: u64, noise: f64, noisy_extra: f64) -> Data {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let sizes = self.space.decision_sizes();
        let mut data = Data {
            archs: Vec::new(),
            inputs: Vec::new(),
            rewards: Vec::new(),
            clean: Vec::new(),
            noisy: Vec::new(),
        };
        for _ in 0..n {
            let tokens: Vec<u8> = sizes.iter().map(|&c| rng.gen_range(0..c) as u8).collect();
            let arch = Arch::new(tokens);
            let x = self.space.one_hot(&arch);
            let clean = self.clean(&x);
            let noisy = arch.tokens[0] == 0;
            let half = self.spread * (noise + if noisy { noisy_extra } else { 0.0 });
            let r = clean + rng.gen_range(-1.0..=1.0) * half;
            data.archs.push(arch);
            data.inputs.push(x);
            data.rewards.push(r);
            data.clean.push(clean);
            data.noisy.push(noisy);
        }
        data
    }
}

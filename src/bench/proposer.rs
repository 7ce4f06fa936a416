//! The ask/tell interface every table-scored strategy implements, so baselines and the
//! controller can be driven by the same loop (and the same seeds).

use rand_chacha::ChaCha8Rng;

use crate::space::Arch;

/// A search strategy as ask/tell: `propose` the next architecture, then `observe` its reward.
/// All randomness comes from the caller's `rng`, so a seed reproduces a whole run.
pub trait Proposer {
    /// The next architecture to evaluate. May repeat an earlier one; the caller decides
    /// whether a repeat costs an evaluation.
    fn propose(&mut self, rng: &mut ChaCha8Rng) -> Arch;

    /// The reward of an architecture this proposer proposed (repeats included, with the
    /// cached reward), so its state can advance.
    fn observe(&mut self, arch: &Arch, reward: f64);

    /// Short name used in tables and plots (e.g. `rs`, `re_p20_s5`).
    fn name(&self) -> String;
}

/// Draws a token uniformly for every decision: random search's proposal, evolution's
/// initial population, and the random architectures of the pool experiments (`examples/`).
pub fn uniform_arch(sizes: &[usize], rng: &mut ChaCha8Rng) -> Arch {
    use rand::Rng;
    Arch::new(
        sizes
            .iter()
            // Choice counts are at most 256 (Space rejects more), so the index fits a u8.
            .map(|&n| rng.gen_range(0..n) as u8)
            .collect(),
    )
}

//! Reproducible sampling of token sequences from the controller.
//!
//! The network runs step by step under `no_grad`; the categorical draw happens in Rust by
//! inverse CDF with exactly one uniform per position taken from the caller's `ChaCha8Rng`, so
//! the same controller bytes and RNG state always give the same architectures (tch's global
//! generator and `multinomial` are never used).

use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use tch::nn::Module;
use tch::{Device, Kind, Tensor};

use super::controller::Controller;

/// One sampled architecture: a token per position and the log-probability the sampling policy
/// gave each chosen token (the PPO "old" log-probs).
#[derive(Debug, Clone, PartialEq)]
pub struct Sampled {
    pub tokens: Vec<u8>,
    pub log_probs: Vec<f32>,
}

impl Sampled {
    /// Log-probability of the whole sequence (sum over positions, in f64).
    pub fn total_log_prob(&self) -> f64 {
        self.log_probs.iter().map(|&x| x as f64).sum()
    }
}

/// A uniform in [0, 1) from the top 53 bits of one `u64`, independent of `rand`'s
/// distribution code so the stream is fixed by ChaCha8 alone.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Inverse-CDF draw from a log-distribution: the first index whose cumulative probability
/// exceeds `u`. If rounding leaves the total below `u`, the last index with non-zero
/// probability is taken.
pub(crate) fn draw(log_dist: &[f32], u: f64) -> usize {
    let mut cum = 0.0f64;
    let mut last_nonzero = 0;
    for (i, &lp) in log_dist.iter().enumerate() {
        let p = (lp as f64).exp();
        if p > 0.0 {
            last_nonzero = i;
        }
        cum += p;
        if u < cum {
            return i;
        }
    }
    last_nonzero
}

impl Controller {
    /// Samples one architecture. Same as `sample_batch(1, rng)`.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> Sampled {
        // Internal invariant: sample_batch returns exactly n results.
        self.sample_batch(1, rng)
            .pop()
            .expect("sample_batch(1) returns one sample")
    }

    /// Samples `n` architectures in one batched pass (much cheaper per sample than `n` calls
    /// of `sample`). The uniforms are drawn up front in sequence-major order, i.e. exactly as
    /// `n` successive `sample` calls would draw them, so the result equals those calls unless
    /// a uniform lands within float rounding of a CDF boundary, and the RNG ends in the same
    /// state either way.
    pub fn sample_batch(&self, n: usize, rng: &mut ChaCha8Rng) -> Vec<Sampled> {
        if n == 0 {
            return Vec::new();
        }
        let t = self.sizes.len();
        let uniforms: Vec<f64> = (0..n * t).map(|_| uniform(rng)).collect();
        let mut out: Vec<Sampled> = (0..n)
            .map(|_| Sampled {
                tokens: Vec::with_capacity(t),
                log_probs: Vec::with_capacity(t),
            })
            .collect();
        tch::no_grad(|| {
            let nb = n as i64;
            let mut x = self.start.expand([nb, self.cfg.hidden as i64], false);
            let mut h = Tensor::zeros([nb, self.cfg.hidden as i64], (Kind::Float, Device::Cpu));
            let mut c = h.zeros_like();
            for (p, head) in self.heads.iter().enumerate() {
                (h, c) = self.cell.step(&x, &h, &c);
                let lsm = head.forward(&h).log_softmax(-1, Kind::Float);
                // Internal invariant: a float [n, choices] tensor always converts.
                let rows = Vec::<Vec<f32>>::try_from(&lsm).expect("[n, c] float tensor");
                let mut chosen = Vec::with_capacity(n);
                for (i, row) in rows.iter().enumerate() {
                    let token = draw(row, uniforms[i * t + p]);
                    out[i].tokens.push(token as u8);
                    out[i].log_probs.push(row[token]);
                    chosen.push(token as i64);
                }
                if let Some(emb) = self.embeds.get(p) {
                    x = emb.forward(&Tensor::from_slice(&chosen));
                }
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::draw;

    #[test]
    fn draw_follows_the_cdf() {
        let ld: Vec<f32> = [0.25f32, 0.5, 0.25].iter().map(|p| p.ln()).collect();
        assert_eq!(draw(&ld, 0.0), 0);
        assert_eq!(draw(&ld, 0.2499), 0);
        assert_eq!(draw(&ld, 0.2501), 1);
        assert_eq!(draw(&ld, 0.7499), 1);
        assert_eq!(draw(&ld, 0.7501), 2);
        assert_eq!(draw(&ld, 0.999_999_999), 2);
    }

    #[test]
    fn draw_never_picks_a_zero_probability_tail() {
        // Total mass 0.5 (as if rounding lost the rest): a high u must not pick index 1.
        let ld = [0.5f32.ln(), f32::NEG_INFINITY];
        assert_eq!(draw(&ld, 0.7), 0);
    }
}

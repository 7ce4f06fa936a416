//! Drawing without replacement by priority, reproducibly from an explicit ChaCha8 stream.

use rand::distributions::Open01;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Positions of `k` distinct items drawn without replacement with probabilities proportional
/// to exp(log_p), returned in ascending position order.
///
/// Uses the Gumbel-top-k trick (key_i = log p_i + Gumbel noise, keep the k largest keys),
/// which has the same distribution as drawing one item at a time and renormalising, but works
/// in log space (no underflow for peaked priorities) and always consumes exactly one uniform
/// per item, in position order, whatever k is. Ties in the keys go to the lower position.
pub fn gumbel_top_k(log_p: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut keyed: Vec<(f64, usize)> = log_p
        .iter()
        .enumerate()
        .map(|(i, lp)| {
            let u: f64 = rng.sample(Open01);
            (lp - (-u.ln()).ln(), i)
        })
        .collect();
    // Keys are finite: log_p is finite and u is in the open interval (0, 1).
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = keyed.into_iter().take(k).map(|(_, i)| i).collect();
    chosen.sort_unstable();
    chosen
}

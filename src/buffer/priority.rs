//! The arithmetic of prioritized replay, kept in log space so rewards in percent (~90) with a
//! temperature of 1, or larger, give neither overflow nor NaN.

/// log P_i = r_i/T - logsumexp_j(r_j/T), computed with max subtraction. Empty in, empty out.
pub fn log_priorities(rewards: &[f64], temperature: f64) -> Vec<f64> {
    let scaled: Vec<f64> = rewards.iter().map(|r| r / temperature).collect();
    let max = scaled.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = scaled.iter().map(|s| (s - max).exp()).sum();
    // sum >= 1 when non-empty (the max term is exp(0)), so ln is finite.
    let log_norm = max + sum.ln();
    scaled.iter().map(|s| s - log_norm).collect()
}

/// S_i = (N P_i)^-beta = exp(-beta (ln N + log P_i)), optionally divided by max_j S_j.
/// Saturates at f64::MAX instead of returning infinity when a priority is astronomically
/// small (reward gap / T above ~700).
pub fn importance_weights(log_p: &[f64], beta: f64, normalize: bool) -> Vec<f64> {
    let ln_n = (log_p.len() as f64).ln();
    let log_s: Vec<f64> = log_p.iter().map(|lp| -beta * (ln_n + lp)).collect();
    let shift = if normalize {
        log_s.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    } else {
        0.0
    };
    log_s
        .iter()
        .map(|ls| (ls - shift).exp().min(f64::MAX))
        .collect()
}

//! Rank correlation and quantiles: how good a critic is (Spearman of V vs R) and where the
//! uncertainty threshold sits (a quantile of recent honest errors).

/// Spearman rank correlation of `a` and `b` (paired by index): the Pearson correlation of
/// their ranks, with tied values given the average of the ranks they span.
///
/// Returns 0.0 when it is undefined: fewer than 2 pairs, lengths that differ, or one side
/// constant (no rank information). 0.0 rather than NaN because the value is recorded in
/// events whose replay is compared for equality, and NaN never equals itself.
/// Non-finite values are ranked by `f64::total_cmp` (NaN above +inf); callers pass finite
/// values.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.len() < 2 {
        return 0.0;
    }
    let ra = average_ranks(a);
    let rb = average_ranks(b);
    let n = ra.len() as f64;
    let mean = (n + 1.0) / 2.0; // mean of ranks 1..=n, unchanged by averaging ties
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        let (dx, dy) = (x - mean, y - mean);
        cov += dx * dy;
        va += dx * dx;
        vb += dy * dy;
    }
    if va == 0.0 || vb == 0.0 {
        return 0.0;
    }
    (cov / (va * vb).sqrt()).clamp(-1.0, 1.0)
}

/// 1-based ranks of `values`; tied values all get the mean of the ranks they occupy.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        // Positions start..end hold ranks start+1..=end; their mean is (start+1+end)/2.
        let rank = (start + 1 + end) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// The `q`-quantile of `values` with linear interpolation between order statistics (the
/// "type 7" rule, numpy's and R's default): position `q * (n - 1)` in the sorted values.
///
/// NaN values are ignored. Returns `None` when no value is left or `q` is not in [0, 1].
pub fn quantile(values: &[f64], q: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&q) {
        return None;
    }
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    if lo == hi {
        return Some(sorted[lo]);
    }
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

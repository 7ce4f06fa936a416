//! Multi-seed statistics of search runs, with the exact conventions of peers.md so fnas's
//! figures can be put next to the peers' figures:
//! - a trace is one seed's rewards (or best-so-far values) in the order of its DISTINCT
//!   evaluations; best@k is the best of the first k;
//! - intervals are mean +- t_{0.975, n-1} x sd / sqrt(n), sd with n-1 (checked against
//!   peers.md: nb201_c100 re_p20_s5 best@300 `73.48 [73.42, 73.55]` is 9 seeds at 73.5133
//!   and one at 73.22, which gives [73.418, 73.550] with t and [73.427, 73.542] with 1.96);
//! - "evaluations to reach" a threshold is the median over seeds, a seed that never reaches
//!   it counting as infinity, so the median is a miss once half the seeds miss (`>300 (5)`).

use std::fmt;

use super::tdist::t_quantile;

/// Mean over seeds with a two-sided 95% Student-t interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub mean: f64,
    /// Lower / upper bound; NaN when fewer than 2 values (no spread to estimate).
    pub lo: f64,
    pub hi: f64,
    /// Number of values (seeds) behind the figure.
    pub n: usize,
}

impl Interval {
    /// Mean and 95% t-interval of `values` (NaN mean for no values).
    pub fn of(values: &[f64]) -> Interval {
        let n = values.len();
        if n == 0 {
            return Interval {
                mean: f64::NAN,
                lo: f64::NAN,
                hi: f64::NAN,
                n,
            };
        }
        let mean = values.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Interval {
                mean,
                lo: f64::NAN,
                hi: f64::NAN,
                n,
            };
        }
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        let half = t_quantile(0.975, n - 1) * var.sqrt() / (n as f64).sqrt();
        Interval {
            mean,
            lo: mean - half,
            hi: mean + half,
            n,
        }
    }
}

impl fmt::Display for Interval {
    /// peers.md's cell format: `92.74 [92.57, 92.90]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2} [{:.2}, {:.2}]", self.mean, self.lo, self.hi)
    }
}

/// Running maximum of a seed's rewards: element i is the best of the first i+1 evaluations.
pub fn best_so_far(rewards: &[f64]) -> Vec<f64> {
    let mut best = f64::NEG_INFINITY;
    rewards
        .iter()
        .map(|&r| {
            best = best.max(r);
            best
        })
        .collect()
}

/// The best value among a trace's first `k` evaluations. A trace shorter than `k` (a run
/// that stalled: it could not find new architectures) contributes its overall best.
/// `None` for an empty trace or k = 0.
pub fn best_within(trace: &[f64], k: usize) -> Option<f64> {
    trace[..k.min(trace.len())].iter().copied().reduce(f64::max)
}

/// best@k over seeds (traces may be raw rewards or best-so-far: the max is the same).
/// Empty traces are left out; `n` says how many seeds contributed.
pub fn best_at(traces: &[Vec<f64>], k: usize) -> Interval {
    let values: Vec<f64> = traces.iter().filter_map(|t| best_within(t, k)).collect();
    Interval::of(&values)
}

/// Mean best-so-far with its 95% band after each evaluation 1..=longest trace: element i is
/// best@(i+1) over seeds (what the best-so-far plot draws and a curve CSV would hold).
pub fn best_so_far_curve(traces: &[Vec<f64>]) -> Vec<Interval> {
    let running: Vec<Vec<f64>> = traces.iter().map(|t| best_so_far(t)).collect();
    let longest = running.iter().map(Vec::len).max().unwrap_or(0);
    (0..longest)
        .map(|i| {
            // A shorter (stalled) trace keeps its final best, as in `best_within`.
            let values: Vec<f64> = running
                .iter()
                .filter_map(|t| t.get(i).or(t.last()).copied())
                .collect();
            Interval::of(&values)
        })
        .collect()
}

/// Simple regret at k: the table's global best minus best@k, averaged over seeds (equal to
/// global best - mean best@k, but exactly 0 when every seed found the optimum).
pub fn regret_at(traces: &[Vec<f64>], k: usize, global_best: f64) -> f64 {
    let gaps: Vec<f64> = traces
        .iter()
        .filter_map(|t| best_within(t, k))
        .map(|b| global_best - b)
        .collect();
    Interval::of(&gaps).mean
}

/// 1-based number of the first evaluation whose value reaches `threshold` (>=), if any.
pub fn evals_to_reach(trace: &[f64], threshold: f64) -> Option<usize> {
    trace.iter().position(|&v| v >= threshold).map(|i| i + 1)
}

/// Median over seeds of the evaluations needed to reach a threshold, with the miss count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reach {
    /// `None` when the median seed misses (misses count as infinity).
    pub median: Option<f64>,
    /// Seeds that never reached the threshold within their trace.
    pub misses: usize,
    pub runs: usize,
}

impl Reach {
    /// Evaluations-to-threshold of every trace, summarised by the median (even counts:
    /// mean of the two middle values; infinite if either is a miss).
    pub fn of(traces: &[Vec<f64>], threshold: f64) -> Reach {
        let mut hits: Vec<f64> = traces
            .iter()
            .filter_map(|t| evals_to_reach(t, threshold))
            .map(|n| n as f64)
            .collect();
        hits.sort_by(f64::total_cmp);
        let runs = traces.len();
        let misses = runs - hits.len();
        // Sorted values with misses (infinity) last: index i is a hit iff i < hits.len().
        let at = |i: usize| hits.get(i).copied();
        let median = match runs {
            0 => None,
            n if n % 2 == 1 => at(n / 2),
            n => match (at(n / 2 - 1), at(n / 2)) {
                (Some(a), Some(b)) => Some(0.5 * (a + b)),
                _ => None,
            },
        };
        Reach {
            median,
            misses,
            runs,
        }
    }

    /// peers.md's cell format: `41.5 (1)`, `224 (4)`, or `>300 (9)` when the median misses
    /// (`budget` is the runs' evaluation budget).
    pub fn display(&self, budget: usize) -> String {
        match self.median {
            Some(m) if m.fract() == 0.0 => format!("{m:.0} ({})", self.misses),
            Some(m) => format!("{m:.1} ({})", self.misses),
            None => format!(">{budget} ({})", self.misses),
        }
    }
}

/// One strategy's row of a comparison table.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub runs: usize,
    pub budget: usize,
    /// (k, best@k) for each requested k.
    pub best_at: Vec<(usize, Interval)>,
    /// Global best minus mean best@budget.
    pub regret: f64,
    /// One entry per requested threshold, in order.
    pub reach: Vec<Reach>,
}

/// Computes a strategy's table row from its per-seed traces.
pub fn summarize(
    traces: &[Vec<f64>],
    budget: usize,
    ks: &[usize],
    global_best: f64,
    thresholds: &[f64],
) -> Summary {
    Summary {
        runs: traces.len(),
        budget,
        best_at: ks.iter().map(|&k| (k, best_at(traces, k))).collect(),
        regret: regret_at(traces, budget, global_best),
        reach: thresholds.iter().map(|&t| Reach::of(traces, t)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn interval_by_hand() {
        // values 1..=5: mean 3, sd sqrt(2.5) = 1.5811, se 0.7071, t(0.975, 4) = 2.7764
        let i = Interval::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(i.n, 5);
        assert!(close(i.mean, 3.0, 1e-12));
        assert!(
            close(i.hi - i.mean, 2.776_445 * (2.5f64 / 5.0).sqrt(), 1e-5),
            "{i:?}"
        );
        assert!(close(i.mean - i.lo, i.hi - i.mean, 1e-12));
        let one = Interval::of(&[4.0]);
        assert_eq!(one.mean, 4.0);
        assert!(one.lo.is_nan() && one.hi.is_nan());
        assert!(Interval::of(&[]).mean.is_nan());
        let flat = Interval::of(&[2.0; 10]);
        assert_eq!((flat.lo, flat.hi), (2.0, 2.0));
    }

    #[test]
    fn reproduces_a_peers_bracket() {
        // nb201_c100 re_p20_s5 best@300: 9 seeds at the optimum 73.5133, one at 73.22
        // (regret 0.029, 1 miss) -> peers.md prints `73.48 [73.42, 73.55]`.
        let mut v = vec![73.5133; 9];
        v.push(73.22);
        let i = Interval::of(&v);
        assert_eq!(i.to_string(), "73.48 [73.42, 73.55]");
        assert!(close(73.5133 - i.mean, 0.029, 0.0005));
    }

    #[test]
    fn best_so_far_and_best_at() {
        let r = [3.0, 1.0, 4.0, 1.0, 5.0];
        assert_eq!(best_so_far(&r), vec![3.0, 3.0, 4.0, 4.0, 5.0]);
        assert_eq!(best_within(&r, 2), Some(3.0));
        assert_eq!(best_within(&r, 3), Some(4.0));
        assert_eq!(best_within(&r, 99), Some(5.0)); // stalled run: overall best
        assert_eq!(best_within(&r, 0), None);
        assert_eq!(best_within(&[], 3), None);

        let traces = vec![vec![1.0, 2.0, 3.0], vec![3.0, 3.0, 3.0], vec![]];
        let b2 = best_at(&traces, 2);
        assert_eq!((b2.n, b2.mean), (2, 2.5));
        // regret@3 = 5 - mean(3, 3) = 2
        assert!(close(regret_at(&traces, 3, 5.0), 2.0, 1e-12));
    }

    #[test]
    fn curve_carries_stalled_runs_forward() {
        let traces = vec![vec![1.0, 3.0, 2.0], vec![2.0], vec![]];
        let c = best_so_far_curve(&traces);
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].n, c[0].mean), (2, 1.5));
        assert_eq!(c[1].mean, 2.5);
        assert_eq!(c[2].mean, 2.5); // raw 2.0 at step 3 does not lower the best (3.0)
        assert!(best_so_far_curve(&[]).is_empty());
    }

    #[test]
    fn evals_to_reach_is_one_based() {
        let t = [1.0, 2.0, 5.0, 5.0];
        assert_eq!(evals_to_reach(&t, 5.0), Some(3));
        assert_eq!(evals_to_reach(&t, 0.5), Some(1));
        assert_eq!(evals_to_reach(&t, 6.0), None);
    }

    /// A trace of `len` evaluations that first reaches 1.0 at evaluation `at` (None: never).
    fn reaching(at: Option<usize>, len: usize) -> Vec<f64> {
        (1..=len)
            .map(|i| if at.is_some_and(|a| i >= a) { 1.0 } else { 0.0 })
            .collect()
    }

    #[test]
    fn median_with_misses_as_infinity() {
        // 10 seeds: 6 hits (10, 20, 30, 40, 50, 60) and 4 misses. Sorted with misses last,
        // the middle two are the 5th and 6th values: 50 and 60 -> 55, shown `55 (4)`.
        let mut traces: Vec<Vec<f64>> = [10, 20, 30, 40, 50, 60]
            .iter()
            .map(|&a| reaching(Some(a), 300))
            .collect();
        traces.extend((0..4).map(|_| reaching(None, 300)));
        let r = Reach::of(&traces, 1.0);
        assert_eq!((r.median, r.misses, r.runs), (Some(55.0), 4, 10));
        assert_eq!(r.display(300), "55 (4)");

        // 5 misses: the 6th value is infinite -> the median misses (peers.md `>300 (5)`).
        traces[5] = reaching(None, 300);
        let r = Reach::of(&traces, 1.0);
        assert_eq!((r.median, r.misses), (None, 5));
        assert_eq!(r.display(300), ">300 (5)");

        // Half-integers print with one decimal: hits 41 and 42 in the middle -> 41.5.
        let traces: Vec<Vec<f64>> = [30, 41, 42, 50]
            .iter()
            .map(|&a| reaching(Some(a), 100))
            .collect();
        assert_eq!(Reach::of(&traces, 1.0).display(100), "41.5 (0)");
        // Odd count: the middle value.
        let traces: Vec<Vec<f64>> = [Some(7), None, Some(3)]
            .iter()
            .map(|&a| reaching(a, 9))
            .collect();
        assert_eq!(Reach::of(&traces, 1.0).median, Some(7.0));
        assert_eq!(Reach::of(&[], 1.0).median, None);
    }

    #[test]
    fn summary_collects_the_row() {
        let traces: Vec<Vec<f64>> = vec![vec![1.0, 2.0, 4.0], vec![2.0, 3.0, 3.0]];
        let s = summarize(&traces, 3, &[1, 3], 4.0, &[3.0, 4.0]);
        assert_eq!(s.runs, 2);
        assert_eq!(s.best_at[0].0, 1);
        assert_eq!(s.best_at[0].1.mean, 1.5);
        assert_eq!(s.best_at[1].1.mean, 3.5);
        assert!(close(s.regret, 0.5, 1e-12));
        // threshold 3: seeds reach at 3 and 2 -> 2.5; threshold 4: one miss of two -> miss.
        assert_eq!(s.reach[0].median, Some(2.5));
        assert_eq!(s.reach[1].display(3), ">3 (1)");
    }
}

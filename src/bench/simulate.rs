//! Runs a proposer against a table with peers.md's accounting: a budget of DISTINCT
//! evaluations, re-proposals answered from a cache for free (and still shown to the proposer,
//! as a cached evaluator would), and a cap on proposals so a converged strategy cannot loop
//! forever. The pipeline does the same through events; this is the in-memory reference.

use std::collections::HashMap;

use rand_chacha::ChaCha8Rng;

use super::error::BenchError;
use super::proposer::Proposer;
use super::stats::best_so_far;
use super::table::BenchTable;
use crate::space::Arch;

/// What makes an evaluation new (and so costs budget).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distinct {
    /// A new encoding (table row). peers.md's convention: its proposal counts (random search
    /// on NAS-Bench-Macro needs ~306 proposals for 300 evaluations) only fit this one.
    Encoding,
    /// A new network (canonical class): re-proposing a duplicate encoding is free.
    Network,
}

/// One seed's run on a table.
#[derive(Clone, Debug, PartialEq)]
pub struct TableRun {
    /// Rewards of the distinct evaluations, in order (length <= budget).
    pub rewards: Vec<f64>,
    /// The architectures evaluated, aligned with `rewards`.
    pub archs: Vec<Arch>,
    /// Proposals made, repeats included.
    pub proposals: usize,
}

impl TableRun {
    /// Best-so-far after each distinct evaluation (the trace `stats` and `plot` take).
    pub fn best_so_far(&self) -> Vec<f64> {
        best_so_far(&self.rewards)
    }

    /// True if the run hit the proposal cap before spending its budget.
    pub fn stalled(&self, budget: usize) -> bool {
        self.rewards.len() < budget
    }
}

/// Asks `proposer` for architectures until `budget` distinct ones were evaluated or
/// `max_proposals` were made. Rewards are the table's accuracy column. Errors if a proposed
/// architecture does not fit the space or has no row.
pub fn run_on_table(
    proposer: &mut dyn Proposer,
    table: &BenchTable,
    rng: &mut ChaCha8Rng,
    budget: usize,
    max_proposals: usize,
    distinct: Distinct,
) -> Result<TableRun, BenchError> {
    let mut cache: HashMap<Arch, f64> = HashMap::with_capacity(budget);
    let mut run = TableRun {
        rewards: Vec::with_capacity(budget),
        archs: Vec::with_capacity(budget),
        proposals: 0,
    };
    while run.rewards.len() < budget && run.proposals < max_proposals {
        let arch = proposer.propose(rng);
        run.proposals += 1;
        let key = match distinct {
            Distinct::Encoding => arch.clone(),
            Distinct::Network => table.canonical(&arch),
        };
        let reward = match cache.get(&key) {
            Some(&cached) => cached,
            None => {
                let reward = table.lookup(&arch)?.accuracy;
                cache.insert(key, reward);
                run.rewards.push(reward);
                run.archs.push(arch.clone());
                reward
            }
        };
        proposer.observe(&arch, reward);
    }
    Ok(run)
}

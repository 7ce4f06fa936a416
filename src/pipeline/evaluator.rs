//! Where rewards come from. The search loop only sees `Evaluator`: the tch trainer now,
//! tabular benchmarks and the critic later, with the same events and the same replay.

use std::sync::Arc;

use tch::nn::VarStore;

use crate::bench::BenchTable;
use crate::pool::{load_part, part_kind, PartKind, PartWeights};
use crate::space::{cost, mnas_net, Arch, Space};
use crate::store::RewardSource;
use crate::train::{Dataset, NetPlan, Objective, ProxyConfig, TrainError, Trainer};

use super::lkp::{LkpJob, TrainedPart};
use super::PipelineError;

/// The measured outcome of one architecture.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub source: RewardSource,
    pub accuracy: f64,
    pub macs: u64,
    pub params: u64,
    pub reward: f64,
    pub train_seconds: f64,
    pub failure: Option<String>,
    /// With `--modules lkp`, the trained network's parts (stem, blocks, head) for the pool;
    /// empty otherwise and for failed trainings (their weights are not finite).
    pub parts: Vec<TrainedPart>,
}

/// Scores architectures; one instance per worker thread (tch tensors are not `Sync`).
pub trait Evaluator {
    fn evaluate(&mut self, arch: &Arch, seed: u64) -> Result<Evaluation, PipelineError>;

    /// As `evaluate`, starting from pool weights and returning the trained parts when `lkp`
    /// is given. Evaluators without weights (tables) ignore it.
    fn evaluate_with(
        &mut self,
        arch: &Arch,
        seed: u64,
        lkp: Option<&LkpJob>,
    ) -> Result<Evaluation, PipelineError> {
        let _ = lkp;
        self.evaluate(arch, seed)
    }
}

/// Makes one evaluator inside each worker thread.
pub trait EvaluatorFactory: Send + Sync {
    fn make(&self) -> Result<Box<dyn Evaluator>, PipelineError>;
}

/// Really trains each architecture on the proxy task.
pub struct TrainedEvaluatorFactory {
    pub space: Space,
    pub data: Arc<Dataset>,
    pub proxy: ProxyConfig,
    pub objective: Objective,
}

/// Resolution and classes of the full-size network whose cost the reward penalises.
const FULL_RESOLUTION: usize = 224;
const FULL_CLASSES: usize = 1000;

impl EvaluatorFactory for TrainedEvaluatorFactory {
    fn make(&self) -> Result<Box<dyn Evaluator>, PipelineError> {
        Ok(Box::new(TrainedEvaluator {
            space: self.space.clone(),
            trainer: Trainer::new(self.data.clone())?,
            channels: self.data.channels,
            classes: self.data.classes,
            proxy: self.proxy.clone(),
            objective: self.objective,
        }))
    }
}

struct TrainedEvaluator {
    space: Space,
    trainer: Trainer,
    channels: usize,
    classes: usize,
    proxy: ProxyConfig,
    objective: Objective,
}

impl Evaluator for TrainedEvaluator {
    fn evaluate(&mut self, arch: &Arch, seed: u64) -> Result<Evaluation, PipelineError> {
        self.evaluate_with(arch, seed, None)
    }

    fn evaluate_with(
        &mut self,
        arch: &Arch,
        seed: u64,
        lkp: Option<&LkpJob>,
    ) -> Result<Evaluation, PipelineError> {
        let full = cost(
            &mnas_net(&self.space, arch, 3, FULL_CLASSES)?,
            FULL_RESOLUTION,
        );
        let net = mnas_net(&self.space, arch, self.channels, self.classes)?;
        let blocks = self.space.num_blocks();
        let hook = |vars: &mut VarStore, _: &NetPlan| -> Result<(), TrainError> {
            for init in lkp.map_or(&[][..], |l| &l.inits[..]) {
                let kind = part_kind(init.part, blocks).ok_or_else(|| TrainError::InvalidNet {
                    reason: format!("pool part {} out of range", init.part),
                })?;
                load_part(vars, kind, &init.weights, init.same_task).map_err(|e| {
                    TrainError::InvalidNet {
                        reason: format!("loading pool part {}: {e}", init.part),
                    }
                })?;
            }
            Ok(())
        };
        let run = self
            .trainer
            .train_with(&net, &self.proxy, seed, lkp.map(|_| &hook as _))?;
        let outcome = run.outcome;
        let parts = match lkp {
            Some(job) if outcome.failure.is_none() => {
                trained_parts(&run.vars, job, blocks, outcome.steps as u64)?
            }
            _ => Vec::new(),
        };
        let reward = match outcome.failure {
            Some(_) => 0.0,
            None => self.objective.reward(outcome.accuracy, full.macs as f64),
        };
        Ok(Evaluation {
            source: RewardSource::Trained,
            accuracy: outcome.accuracy,
            macs: full.macs,
            params: full.params,
            reward,
            train_seconds: outcome.train_seconds,
            failure: outcome.failure,
            parts,
        })
    }
}

/// Every part of a trained network as encoded weights, with its key and total iterations.
fn trained_parts(
    vars: &VarStore,
    job: &LkpJob,
    blocks: usize,
    steps: u64,
) -> Result<Vec<TrainedPart>, PipelineError> {
    let mut parts = Vec::with_capacity(job.keys.len());
    for (part, key) in job.keys.iter().enumerate() {
        let part = part as u32;
        let kind: PartKind = part_kind(part, blocks)
            .ok_or_else(|| PipelineError::Invalid(format!("pool part {part} out of range")))?;
        let init = job.inits.iter().find(|i| i.part == part);
        parts.push(TrainedPart {
            part,
            key: key.clone(),
            bytes: PartWeights::extract(vars, kind)?.encode(),
            iterations: steps + init.map_or(0, |i| i.iterations),
            init_similarity: init.map(|i| i.similarity),
        });
    }
    Ok(parts)
}

/// Looks rewards up in a benchmark table: the reward is the table's accuracy value as
/// written (percent for the shared tables), so targets compare exactly with the table.
pub struct TableEvaluatorFactory {
    pub table: Arc<BenchTable>,
}

impl EvaluatorFactory for TableEvaluatorFactory {
    fn make(&self) -> Result<Box<dyn Evaluator>, PipelineError> {
        Ok(Box::new(TableEvaluator {
            table: self.table.clone(),
        }))
    }
}

struct TableEvaluator {
    table: Arc<BenchTable>,
}

impl Evaluator for TableEvaluator {
    fn evaluate(&mut self, arch: &Arch, _seed: u64) -> Result<Evaluation, PipelineError> {
        let row = self.table.lookup(arch)?;
        // Cost columns in millions (`flops_M`) are scaled to a count like MACs elsewhere.
        let scale = if self.table.cost_column().is_some_and(|c| c.ends_with("_M")) {
            1e6
        } else {
            1.0
        };
        Ok(Evaluation {
            source: RewardSource::Table,
            accuracy: row.accuracy / 100.0,
            macs: row.cost.map_or(0, |c| (c * scale).round() as u64),
            params: 0,
            reward: row.accuracy,
            train_seconds: 0.0,
            failure: None,
            parts: Vec::new(),
        })
    }
}

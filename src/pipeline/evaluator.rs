//! Where rewards come from. The search loop only sees `Evaluator`: the tch trainer now,
//! tabular benchmarks and the critic later, with the same events and the same replay.

use std::sync::Arc;

use crate::bench::BenchTable;
use crate::space::{cost, mnas_net, Arch, Space};
use crate::store::RewardSource;
use crate::train::{Dataset, Objective, ProxyConfig, Trainer};

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
}

/// Scores architectures; one instance per worker thread (tch tensors are not `Sync`).
pub trait Evaluator {
    fn evaluate(&mut self, arch: &Arch, seed: u64) -> Result<Evaluation, PipelineError>;
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
        let full = cost(
            &mnas_net(&self.space, arch, 3, FULL_CLASSES)?,
            FULL_RESOLUTION,
        );
        let net = mnas_net(&self.space, arch, self.channels, self.classes)?;
        let outcome = self.trainer.train(&net, &self.proxy, seed)?;
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
        })
    }
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
        })
    }
}

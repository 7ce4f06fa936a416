//! What a task spec names, loaded and checked before anything is appended: image data to
//! train on, or a benchmark table to look rewards up in.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::bench::BenchTable;
use crate::space::{mnas_net, Arch, Space};
use crate::store::TaskRegistered;
use crate::train::{load_task, Dataset};

use super::evaluator::{EvaluatorFactory, TableEvaluatorFactory, TrainedEvaluatorFactory};
use super::{PipelineError, SearchConfig};

/// The data behind a task.
pub enum TaskData {
    Images(Arc<Dataset>),
    Table {
        table: Arc<BenchTable>,
        fingerprint: String,
    },
}

impl TaskData {
    /// Loads `config.task`: `table:FILE.csv` or an image task (`digits`, `idx:DIR`, `cifar:DIR`).
    pub fn load(config: &SearchConfig, space: &Space) -> Result<TaskData, PipelineError> {
        if let Some(path) = config.task.strip_prefix("table:") {
            let table = BenchTable::load(
                path,
                space,
                config.table.accuracy_column.as_deref(),
                config.table.cost_column.as_deref(),
            )?;
            let expected: f64 = space.decision_sizes().iter().map(|&n| n as f64).product();
            if (table.len() as f64) < expected {
                return Err(PipelineError::Invalid(format!(
                    "{path}: the table has rows for {} of the {expected} architectures of space '{}'",
                    table.len(),
                    space.name()
                )));
            }
            let bytes =
                std::fs::read(path).map_err(|e| PipelineError::Invalid(format!("{path}: {e}")))?;
            let mut h = Sha256::new();
            h.update(&bytes);
            h.update(table.accuracy_column().as_bytes());
            h.update([0]);
            h.update(table.cost_column().unwrap_or("").as_bytes());
            return Ok(TaskData::Table {
                table: Arc::new(table),
                fingerprint: hex::encode(h.finalize()),
            });
        }
        // Image tasks train networks decoded from the MnasNet space: refuse other spaces now.
        if mnas_net(space, &Arch::new(vec![0; space.num_decisions()]), 1, 10).is_err() {
            return Err(PipelineError::Invalid(format!(
                "--space {}: image tasks train MnasNet-space networks (--space mnas); tabular spaces go with --task table:FILE.csv",
                space.name()
            )));
        }
        Ok(TaskData::Images(Arc::new(load_task(
            &config.task,
            &config.data,
        )?)))
    }

    pub fn fingerprint(&self) -> &str {
        match self {
            TaskData::Images(d) => &d.fingerprint,
            TaskData::Table { fingerprint, .. } => fingerprint,
        }
    }

    /// The event that registers this task under `name`.
    pub fn registration(&self, name: &str) -> TaskRegistered {
        let (input_shape, classes, train, val) = match self {
            TaskData::Images(d) => (
                [d.channels, d.height, d.width]
                    .iter()
                    .map(|&x| x as u32)
                    .collect(),
                d.classes as u32,
                d.train.labels.len() as u64,
                d.val.labels.len() as u64,
            ),
            TaskData::Table { table, .. } => (Vec::new(), 0, table.len() as u64, 0),
        };
        TaskRegistered {
            task: name.to_string(),
            fingerprint: self.fingerprint().to_string(),
            input_shape,
            classes,
            train_samples: train,
            val_samples: val,
        }
    }

    /// One evaluator per worker thread, of the kind this task needs.
    pub fn evaluators(&self, space: &Space, config: &SearchConfig) -> Box<dyn EvaluatorFactory> {
        match self {
            TaskData::Images(data) => Box::new(TrainedEvaluatorFactory {
                space: space.clone(),
                data: data.clone(),
                proxy: config.proxy.clone(),
                objective: config.objective,
            }),
            TaskData::Table { table, .. } => Box::new(TableEvaluatorFactory {
                table: table.clone(),
            }),
        }
    }
}

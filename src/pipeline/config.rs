//! The full description of a search: recorded verbatim (as JSON) in `ExperimentStarted`, so
//! a resumed or replayed experiment runs with exactly the settings it started with.

use serde::{Deserialize, Serialize};

use crate::agent::ControllerConfig;
use crate::train::{DataOptions, Objective, ProxyConfig};

/// Everything that determines a search's outcome besides the data itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SearchConfig {
    /// Task spec as the user gave it (`digits`, `idx:DIR`, `cifar:DIR`).
    pub task: String,
    /// Name the task is registered under in the store.
    pub task_name: String,
    /// Search space name (`mnas`).
    pub space: String,
    pub seed: u64,
    /// Number of sampled architectures, the search's stopping point.
    pub budget: u64,
    /// Architectures per PPO update.
    pub batch_size: usize,
    /// Trainer threads.
    pub workers: usize,
    pub data: DataOptions,
    pub proxy: ProxyConfig,
    pub controller: ControllerConfig,
    pub objective: Objective,
    /// EMA decay of the reward baseline.
    pub baseline_decay: f64,
}

impl SearchConfig {
    /// Serialised form stored in the log.
    pub fn to_json(&self) -> String {
        // Serialising plain data with serde_json cannot fail (no maps with non-string keys).
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

//! The full description of a search: recorded verbatim (as JSON) in `ExperimentStarted`, so
//! a resumed or replayed experiment runs with exactly the settings it started with.

use serde::{Deserialize, Serialize};

use crate::agent::ControllerConfig;
use crate::train::{DataOptions, Objective, ProxyConfig};

use crate::buffer::BufferConfig;

use super::lkp::LkpConfig;
use super::prior::PriorConfig;
use super::uac::UacConfig;

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
    /// Which strategy proposes architectures.
    pub strategy: StrategyConfig,
    /// Columns of a `table:` task.
    pub table: TableOptions,
    /// Stop after this many proposals even if the budget of distinct evaluations is not
    /// reached (a strategy that keeps re-proposing known architectures stalls).
    pub max_proposals: u64,
    /// The uncertainty-aware critic (`--modules uac`), for the `mnas` strategy.
    pub uac: Option<UacConfig>,
    /// The architecture experience buffer (`--modules aeb`), for the `mnas` strategy.
    pub aeb: Option<BufferConfig>,
    /// Module specs as given (`uac`, `uac.ema`, `aeb`), for the strategy's name.
    pub modules: Vec<String>,
    /// The lifelong knowledge pool (`--modules lkp`), real training only; absent in configs
    /// recorded before it existed.
    #[serde(default)]
    pub lkp: Option<LkpConfig>,
    /// Warm start from recorded knowledge (`--init-from TASK`, `--warm-from ID`); absent in
    /// configs recorded before it existed, which are cold starts.
    #[serde(default)]
    pub prior: PriorConfig,
}

/// The modules of the default strategy `fnas`, the best row of the ablation in docs/bench:
/// UAC as critic-guided selection (64 policy draws per position, scored by the mean plus the
/// spread of the critic's value members, the one-edit neighbours of the best 3 measured
/// architectures as extra candidates, at least 200 critic steps per refit, the prior's best
/// 20 architectures as candidates in a warm search) and AEB.
pub const FNAS_MODULES: [&str; 2] = ["uac.sel64.f200.ens.n3.p20", "aeb"];

/// Architectures per PPO update (and critic refit) of `fnas`: small budgets want the critic
/// refitted often (measured: batch 10 beat 20 on every table).
pub const FNAS_BATCH: usize = 10;

/// The proposer of architectures. `Mnas` is the LSTM controller trained with PPO; the
/// others are the baselines a benchmark compares it with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum StrategyConfig {
    Mnas,
    Random,
    Evolution {
        population: usize,
        sample_size: usize,
    },
}

impl StrategyConfig {
    /// Parses a `--algo`/bench name: `mnas`, `rs`, `re` (population 20, tournament 5, the
    /// best regularized-evolution setting in peers.md) or `re_pP_sS`.
    pub fn parse(name: &str) -> Result<StrategyConfig, String> {
        match name {
            "mnas" => Ok(StrategyConfig::Mnas),
            "rs" | "random" => Ok(StrategyConfig::Random),
            "re" | "evolution" => Ok(StrategyConfig::Evolution {
                population: 20,
                sample_size: 5,
            }),
            other => {
                let parsed = other.strip_prefix("re_p").and_then(|rest| {
                    let (p, s) = rest.split_once("_s")?;
                    Some((p.parse().ok()?, s.parse().ok()?))
                });
                match parsed {
                    Some((population, sample_size)) if population >= 1 && sample_size >= 1 && sample_size <= population => {
                        Ok(StrategyConfig::Evolution { population, sample_size })
                    }
                    Some((p, s)) => Err(format!("strategy '{other}': needs population P >= 1 and 1 <= tournament S <= P (got P={p}, S={s})")),
                    None => Err(format!("unknown strategy '{other}' (expected mnas, rs, re, re_pP_sS or fnas, with +module)")),
                }
            }
        }
    }

    /// The short name used in tables and plots.
    pub fn name(&self) -> String {
        match self {
            StrategyConfig::Mnas => "mnas".into(),
            StrategyConfig::Random => "rs".into(),
            StrategyConfig::Evolution {
                population,
                sample_size,
            } => format!("re_p{population}_s{sample_size}"),
        }
    }
}

/// Which columns of a benchmark table are read (`None`: the table format's default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TableOptions {
    pub accuracy_column: Option<String>,
    pub cost_column: Option<String>,
}

impl SearchConfig {
    /// The default settings for a search of `budget` distinct evaluations on `task`.
    pub fn new(task: &str, task_name: &str, space: &str, seed: u64, budget: u64) -> SearchConfig {
        SearchConfig {
            task: task.to_string(),
            task_name: task_name.to_string(),
            space: space.to_string(),
            seed,
            budget,
            batch_size: 20,
            workers: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            data: DataOptions::default(),
            proxy: ProxyConfig::default(),
            controller: ControllerConfig::default(),
            objective: Objective::default(),
            baseline_decay: 0.95,
            strategy: StrategyConfig::Mnas,
            table: TableOptions::default(),
            max_proposals: budget.saturating_mul(5),
            uac: None,
            aeb: None,
            modules: Vec::new(),
            lkp: None,
            prior: PriorConfig::default(),
        }
    }

    /// Serialised form stored in the log.
    pub fn to_json(&self) -> String {
        // Serialising plain data with serde_json cannot fail (no maps with non-string keys).
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Strategy and modules as one name: `mnas`, `mnas+uac`, `rs`, `re_p20_s5`.
    pub fn strategy_name(&self) -> String {
        std::iter::once(self.strategy.name())
            .chain(self.modules.iter().cloned())
            .collect::<Vec<_>>()
            .join("+")
    }

    /// Applies a strategy name with its modules (`mnas+uac`; `fnas` = the controller with
    /// the best measured modules, `FNAS_MODULES`, and batch `FNAS_BATCH`; see docs/bench).
    pub fn set_strategy(&mut self, name: &str) -> Result<(), String> {
        let mut parts = name.split('+');
        let base = parts.next().unwrap_or_default();
        let (strategy, mut modules): (StrategyConfig, Vec<&str>) = match base {
            "fnas" => {
                self.batch_size = FNAS_BATCH;
                (StrategyConfig::Mnas, FNAS_MODULES.to_vec())
            }
            other => (StrategyConfig::parse(other)?, Vec::new()),
        };
        modules.extend(parts);
        self.set_modules(&strategy, &modules)?;
        self.strategy = strategy;
        Ok(())
    }

    /// Enables FNAS modules by name (`uac`, with options such as `uac.ema`; `aeb`), recording the
    /// spec so the strategy's name says exactly what ran.
    pub fn set_modules(
        &mut self,
        strategy: &StrategyConfig,
        modules: &[&str],
    ) -> Result<(), String> {
        for module in modules.iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
            if *strategy != StrategyConfig::Mnas {
                return Err(format!(
                    "module {module} needs the mnas strategy, not {}",
                    strategy.name()
                ));
            }
            let name = module.split('.').next().unwrap_or_default();
            if self
                .modules
                .iter()
                .any(|m| m.split('.').next() == Some(name))
            {
                return Err(format!(
                    "module {name} given twice (fnas already includes uac and aeb)"
                ));
            }
            match Some(name) {
                Some("uac") => self.uac = Some(UacConfig::parse(module)?),
                Some("aeb") if module == "aeb" => {
                    // Priorities softmax(r / T) assume rewards on the paper's 0-1 accuracy
                    // scale; table rewards are percentages, so T = 100 keeps the same
                    // sharpness (T = 1 on percentages gave importance weights of 1e8).
                    let temperature = if self.task.starts_with("table:") {
                        100.0
                    } else {
                        1.0
                    };
                    self.aeb = Some(BufferConfig {
                        temperature,
                        ..BufferConfig::default()
                    });
                }
                Some("lkp") => {
                    LkpConfig::check_task(&self.task)?;
                    self.lkp = Some(LkpConfig::parse(module)?);
                }
                _ => {
                    return Err(format!(
                        "unknown module '{module}' (available: uac, aeb, lkp)"
                    ))
                }
            }
            self.modules.push(module.to_string());
        }
        Ok(())
    }
}
